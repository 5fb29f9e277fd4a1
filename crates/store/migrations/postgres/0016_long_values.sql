-- vPDQ values (a video's frames) run to kilobytes, past what a B-tree
-- entry holds: an item's value is kept unique on its MD5, and values are
-- found through a hash index, which holds values of any length.
DROP INDEX entries_active_item;
CREATE UNIQUE INDEX entries_active_item
ON entries (bank_id, signal_type, md5(value), (coalesce(content_id, '')))
WHERE revoked_at IS NULL;
CREATE INDEX entries_by_value ON entries USING hash (value) WHERE revoked_at IS NULL;
