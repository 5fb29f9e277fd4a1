-- Records that belong to a bank point at its id, not its name: a rename
-- carries its holds, dead letters, subscriptions and opinions with it, and
-- a bank made later under a deleted bank's name inherits none of them.
-- The name columns stay, as the name the record was made under.
ALTER TABLE holds ADD COLUMN bank_id BIGINT;
UPDATE holds SET bank_id = (SELECT b.id FROM banks b WHERE b.name = holds.target)
WHERE kind = 'bank';
ALTER TABLE deliveries ADD COLUMN bank_id BIGINT;
UPDATE deliveries SET bank_id = (SELECT b.id FROM banks b WHERE b.name = deliveries.bank);
ALTER TABLE feed_subscriptions ADD COLUMN bank_id BIGINT;
UPDATE feed_subscriptions SET bank_id = (SELECT b.id FROM banks b WHERE b.name = feed_subscriptions.bank)
WHERE kind = 'bank';
ALTER TABLE feed_opinions ADD COLUMN bank_id BIGINT;
UPDATE feed_opinions SET bank_id = (SELECT b.id FROM banks b WHERE b.name = feed_opinions.bank);
