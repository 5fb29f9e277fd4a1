-- Derived hashes: extra PDQ hashes of a known picture (its centred crops,
-- its trimmed content), named by the view that made them (NULL: the
-- item's own hash). Matched only by robust lookups; exports carry them
-- only when asked.
ALTER TABLE entries ADD COLUMN derived TEXT;
-- Whether uploads matched against the bank also try views of the upload
-- (trimmed borders, content regions, crops, undone turns) and the bank's
-- derived hashes; the largest distance at which a view matches.
ALTER TABLE bank_settings ADD COLUMN robust BIGINT NOT NULL DEFAULT 0;
ALTER TABLE bank_settings ADD COLUMN view_threshold BIGINT;
