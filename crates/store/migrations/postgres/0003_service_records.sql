CREATE TABLE bank_settings (
    bank_id        BIGINT PRIMARY KEY REFERENCES banks(id) ON DELETE CASCADE,
    tenant         TEXT NOT NULL,
    enabled_ratio  DOUBLE PRECISION NOT NULL DEFAULT 1.0,
    threshold      BIGINT,
    webhook_url    TEXT,
    webhook_secret TEXT,
    review         BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE bank_shares (
    bank_id BIGINT NOT NULL REFERENCES banks(id) ON DELETE CASCADE,
    tenant  TEXT NOT NULL,
    PRIMARY KEY (bank_id, tenant)
);
CREATE TABLE contents (
    id            BIGINT PRIMARY KEY,
    bank          TEXT NOT NULL,
    note          TEXT,
    metadata      TEXT,
    disable_until BIGINT NOT NULL DEFAULT 1,
    updated_at    BIGINT NOT NULL
);
CREATE TABLE content_links (
    entry_id   BIGINT PRIMARY KEY,
    content_id BIGINT NOT NULL
);
CREATE INDEX content_links_by_content ON content_links (content_id);
CREATE TABLE api_keys (
    id          BIGSERIAL PRIMARY KEY,
    tenant      TEXT NOT NULL,
    name        TEXT NOT NULL,
    role        TEXT NOT NULL,
    secret_hash TEXT NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);
CREATE TABLE audit (
    id      BIGSERIAL PRIMARY KEY,
    at      BIGINT NOT NULL,
    tenant  TEXT NOT NULL,
    key_id  BIGINT,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    bank    TEXT,
    target  TEXT,
    detail  TEXT
);
CREATE INDEX audit_by_time ON audit (at);
CREATE TABLE match_records (
    id          BIGSERIAL PRIMARY KEY,
    at          BIGINT NOT NULL,
    tenant      TEXT NOT NULL,
    key_id      BIGINT,
    bank        TEXT NOT NULL,
    content_id  BIGINT NOT NULL,
    entry_id    BIGINT NOT NULL,
    signal_type TEXT NOT NULL,
    query       TEXT NOT NULL,
    distance    BIGINT NOT NULL
);
CREATE INDEX match_records_by_time ON match_records (at);
CREATE TABLE holds (
    id          BIGSERIAL PRIMARY KEY,
    tenant      TEXT NOT NULL,
    kind        TEXT NOT NULL,
    target      TEXT NOT NULL,
    reason      TEXT NOT NULL,
    placed_by   TEXT NOT NULL,
    placed_at   BIGINT NOT NULL,
    released_at BIGINT
);
CREATE TABLE reviews (
    id          BIGSERIAL PRIMARY KEY,
    at          BIGINT NOT NULL,
    reason      TEXT NOT NULL,
    state       TEXT NOT NULL,
    decided_by  TEXT,
    decided_at  BIGINT,
    tenant      TEXT NOT NULL,
    key_id      BIGINT,
    bank        TEXT NOT NULL,
    content_id  BIGINT NOT NULL,
    entry_id    BIGINT NOT NULL,
    signal_type TEXT NOT NULL,
    query       TEXT NOT NULL,
    distance    BIGINT NOT NULL
);
CREATE TABLE deliveries (
    id         BIGSERIAL PRIMARY KEY,
    at         BIGINT NOT NULL,
    bank       TEXT NOT NULL,
    url        TEXT NOT NULL,
    secret     TEXT NOT NULL,
    body       TEXT NOT NULL,
    attempts   BIGINT NOT NULL,
    next_at    BIGINT NOT NULL,
    state      TEXT NOT NULL,
    last_error TEXT
);
CREATE INDEX deliveries_due ON deliveries (state, next_at);
