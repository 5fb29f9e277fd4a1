-- As in PostgreSQL, where vPDQ values (kilobytes) are unique on their MD5:
-- SQLite's indexes hold values of any length, so both key the value.
DROP INDEX entries_active_item;
CREATE UNIQUE INDEX entries_active_item
ON entries (bank_id, signal_type, value, (coalesce(content_id, '')))
WHERE revoked_at IS NULL AND signal_type <> 'vpdq';
CREATE UNIQUE INDEX entries_active_video
ON entries (bank_id, signal_type, value, (coalesce(content_id, '')))
WHERE revoked_at IS NULL AND signal_type = 'vpdq';
