-- When the newest verified page of a subscription was made: older pages
-- are refused as replays, and a subscription whose pages stop getting
-- newer is reported stale.
ALTER TABLE feed_subscriptions ADD COLUMN fresh_at INTEGER;
