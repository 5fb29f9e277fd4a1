-- The audit log as a hash chain: each entry keeps the hash of the entry
-- before it and its own. `audit_chain` holds the newest hash (its one row
-- is also what writers lock, so that two writers never fork the chain);
-- `audit_cuts` the links a retention purge cut. Entries written before
-- this migration have no hashes and are reported as unchained.
ALTER TABLE audit ADD COLUMN prev_hash TEXT;
ALTER TABLE audit ADD COLUMN hash TEXT;
CREATE TABLE audit_chain (
    id   INTEGER PRIMARY KEY,
    head TEXT NOT NULL
);
INSERT INTO audit_chain (id, head) VALUES (1, '');
CREATE TABLE audit_cuts (
    entry_id INTEGER PRIMARY KEY,
    after    TEXT NOT NULL
);
