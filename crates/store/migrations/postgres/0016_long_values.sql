-- vPDQ values (a video's frames) run to kilobytes, past what a B-tree
-- entry holds: the uniqueness of an item's value is kept on its MD5.
DROP INDEX entries_active_item;
CREATE UNIQUE INDEX entries_active_item
ON entries (bank_id, signal_type, md5(value), (coalesce(content_id, '')))
WHERE revoked_at IS NULL;
