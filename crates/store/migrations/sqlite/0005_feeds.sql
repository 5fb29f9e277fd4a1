-- The publishable log of each bank: one row per import (a range of
-- entry ids) or revocation, numbered densely per bank. Existing banks'
-- history is written in, version by version.
CREATE TABLE feed_log (
    bank_id     INTEGER NOT NULL REFERENCES banks(id) ON DELETE CASCADE,
    first_seq   INTEGER NOT NULL,
    count       INTEGER NOT NULL,
    op          TEXT NOT NULL,
    first_entry INTEGER NOT NULL,
    PRIMARY KEY (bank_id, first_seq)
);
INSERT INTO feed_log (bank_id, first_seq, count, op, first_entry)
SELECT bank_id,
CAST(sum(n) OVER (PARTITION BY bank_id ORDER BY version, op_order, first_entry) AS INTEGER) - n + 1,
n, op, first_entry
FROM (SELECT bank_id, added_version AS version, 0 AS op_order, min(id) AS first_entry,
count(*) AS n, 'add' AS op
FROM entries GROUP BY bank_id, added_version
UNION ALL
SELECT bank_id, revoked_version, 1, id, 1, 'remove'
FROM entries WHERE revoked_version IS NOT NULL) AS batches;
CREATE TABLE feed_subscriptions (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    url        TEXT NOT NULL UNIQUE,
    bank       TEXT NOT NULL,
    public_key TEXT NOT NULL,
    api_key    TEXT,
    feed_id    TEXT,
    checkpoint INTEGER NOT NULL DEFAULT 0,
    synced_at  INTEGER,
    last_error TEXT,
    created_at INTEGER NOT NULL
);
CREATE TABLE feed_opinions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          INTEGER NOT NULL,
    bank        TEXT NOT NULL,
    tenant      TEXT NOT NULL,
    key_id      INTEGER,
    actor       TEXT NOT NULL,
    signal_type TEXT NOT NULL,
    value       TEXT NOT NULL,
    opinion     TEXT NOT NULL,
    note        TEXT
);
