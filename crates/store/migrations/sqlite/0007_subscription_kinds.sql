-- A subscription follows a bank's feed or a partner hotline's shared
-- assessments.
ALTER TABLE feed_subscriptions ADD COLUMN kind TEXT NOT NULL DEFAULT 'bank';
