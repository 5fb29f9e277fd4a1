-- One value may belong to several items of a bank (two files with one
-- picture): unique per item, not per value.
DROP INDEX entries_active_value;
CREATE UNIQUE INDEX entries_active_item
ON entries (bank_id, signal_type, value, (coalesce(content_id, '')))
WHERE revoked_at IS NULL;
