CREATE TABLE bank_settings (
    bank_id        INTEGER PRIMARY KEY REFERENCES banks(id) ON DELETE CASCADE,
    tenant         TEXT NOT NULL,
    enabled_ratio  REAL NOT NULL DEFAULT 1.0,
    threshold      INTEGER,
    webhook_url    TEXT,
    webhook_secret TEXT,
    review         INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE bank_shares (
    bank_id INTEGER NOT NULL REFERENCES banks(id) ON DELETE CASCADE,
    tenant  TEXT NOT NULL,
    PRIMARY KEY (bank_id, tenant)
);
CREATE TABLE contents (
    id            INTEGER PRIMARY KEY,
    bank          TEXT NOT NULL,
    note          TEXT,
    metadata      TEXT,
    disable_until INTEGER NOT NULL DEFAULT 1,
    updated_at    INTEGER NOT NULL
);
CREATE TABLE content_links (
    entry_id   INTEGER PRIMARY KEY,
    content_id INTEGER NOT NULL
);
CREATE INDEX content_links_by_content ON content_links (content_id);
CREATE TABLE api_keys (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant      TEXT NOT NULL,
    name        TEXT NOT NULL,
    role        TEXT NOT NULL,
    secret_hash TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);
CREATE TABLE audit (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    at      INTEGER NOT NULL,
    tenant  TEXT NOT NULL,
    key_id  INTEGER,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    bank    TEXT,
    target  TEXT,
    detail  TEXT
);
CREATE INDEX audit_by_time ON audit (at);
CREATE TABLE match_records (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          INTEGER NOT NULL,
    tenant      TEXT NOT NULL,
    key_id      INTEGER,
    bank        TEXT NOT NULL,
    content_id  INTEGER NOT NULL,
    entry_id    INTEGER NOT NULL,
    signal_type TEXT NOT NULL,
    query       TEXT NOT NULL,
    distance    INTEGER NOT NULL
);
CREATE INDEX match_records_by_time ON match_records (at);
CREATE TABLE holds (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant      TEXT NOT NULL,
    kind        TEXT NOT NULL,
    target      TEXT NOT NULL,
    reason      TEXT NOT NULL,
    placed_by   TEXT NOT NULL,
    placed_at   INTEGER NOT NULL,
    released_at INTEGER
);
CREATE TABLE reviews (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          INTEGER NOT NULL,
    reason      TEXT NOT NULL,
    state       TEXT NOT NULL,
    decided_by  TEXT,
    decided_at  INTEGER,
    tenant      TEXT NOT NULL,
    key_id      INTEGER,
    bank        TEXT NOT NULL,
    content_id  INTEGER NOT NULL,
    entry_id    INTEGER NOT NULL,
    signal_type TEXT NOT NULL,
    query       TEXT NOT NULL,
    distance    INTEGER NOT NULL
);
CREATE TABLE deliveries (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         INTEGER NOT NULL,
    bank       TEXT NOT NULL,
    url        TEXT NOT NULL,
    secret     TEXT NOT NULL,
    body       TEXT NOT NULL,
    attempts   INTEGER NOT NULL,
    next_at    INTEGER NOT NULL,
    state      TEXT NOT NULL,
    last_error TEXT
);
CREATE INDEX deliveries_due ON deliveries (state, next_at);
