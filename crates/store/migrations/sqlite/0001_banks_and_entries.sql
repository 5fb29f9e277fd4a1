CREATE TABLE banks (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL CHECK (kind IN ('positive', 'negative')),
    description TEXT,
    created_at  TEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE entries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    bank_id         INTEGER NOT NULL REFERENCES banks(id) ON DELETE CASCADE,
    signal_type     TEXT NOT NULL,
    value           BLOB NOT NULL,
    quality         INTEGER,
    content_id      TEXT,
    category        TEXT,
    source          TEXT,
    origin          TEXT,
    added_at        TEXT NOT NULL,
    added_version   INTEGER NOT NULL,
    revoked_at      TEXT,
    revoke_reason   TEXT,
    revoked_version INTEGER
);
CREATE UNIQUE INDEX entries_active_value
    ON entries (bank_id, signal_type, value) WHERE revoked_at IS NULL;
CREATE INDEX entries_by_bank ON entries (bank_id, id);
