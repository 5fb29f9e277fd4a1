CREATE TABLE banks (
    id          BIGSERIAL PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL CHECK (kind IN ('positive', 'negative')),
    description TEXT,
    created_at  TEXT NOT NULL,
    version     BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE entries (
    id              BIGSERIAL PRIMARY KEY,
    bank_id         BIGINT NOT NULL REFERENCES banks(id) ON DELETE CASCADE,
    signal_type     TEXT NOT NULL,
    value           BYTEA NOT NULL,
    quality         SMALLINT,
    content_id      TEXT,
    category        TEXT,
    source          TEXT,
    origin          TEXT,
    added_at        TEXT NOT NULL,
    added_version   BIGINT NOT NULL,
    revoked_at      TEXT,
    revoke_reason   TEXT,
    revoked_version BIGINT
);
CREATE UNIQUE INDEX entries_active_value
    ON entries (bank_id, signal_type, value) WHERE revoked_at IS NULL;
CREATE INDEX entries_by_bank ON entries (bank_id, id);
