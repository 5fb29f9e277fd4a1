-- vPDQ values (a video's frames) run to kilobytes, past what a B-tree
-- entry holds: a vPDQ item is kept unique on its value's MD5, every other
-- type on the value itself (which lookups and revocations by value use).
DROP INDEX entries_active_item;
CREATE UNIQUE INDEX entries_active_item
ON entries (bank_id, signal_type, value, (coalesce(content_id, '')))
WHERE revoked_at IS NULL AND signal_type <> 'vpdq';
CREATE UNIQUE INDEX entries_active_video
ON entries (bank_id, signal_type, md5(value), (coalesce(content_id, '')))
WHERE revoked_at IS NULL AND signal_type = 'vpdq';
