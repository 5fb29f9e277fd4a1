-- Bank names are per tenant: a bank of any tenant but the default one is
-- named TENANT:NAME, so that two tenants may use one name and neither
-- learns of the other's banks. Banks made before move into their owner's
-- namespace, and so do the records that name them (the audit log keeps
-- the names it was written with: its entries are hash-chained; a bank's
-- former names let legal holds keep those entries).
CREATE TABLE bank_former_names (
    bank_id INTEGER NOT NULL REFERENCES banks(id) ON DELETE CASCADE,
    name    TEXT NOT NULL,
    PRIMARY KEY (bank_id, name)
);
CREATE TEMPORARY TABLE renamed AS
    SELECT b.name FROM banks b JOIN bank_settings s ON s.bank_id = b.id
    WHERE s.tenant <> 'default' AND b.name NOT LIKE '%:%';
INSERT INTO bank_former_names (bank_id, name)
    SELECT id, name FROM banks WHERE name IN (SELECT name FROM renamed);
UPDATE contents SET bank = (
    SELECT s.tenant || ':' || b.name
    FROM banks b JOIN bank_settings s ON s.bank_id = b.id
    WHERE b.name = contents.bank)
WHERE bank IN (SELECT name FROM renamed);
UPDATE match_records SET bank = (
    SELECT s.tenant || ':' || b.name
    FROM banks b JOIN bank_settings s ON s.bank_id = b.id
    WHERE b.name = match_records.bank)
WHERE bank IN (SELECT name FROM renamed);
UPDATE reviews SET bank = (
    SELECT s.tenant || ':' || b.name
    FROM banks b JOIN bank_settings s ON s.bank_id = b.id
    WHERE b.name = reviews.bank)
WHERE bank IN (SELECT name FROM renamed);
UPDATE deliveries SET bank = (
    SELECT s.tenant || ':' || b.name
    FROM banks b JOIN bank_settings s ON s.bank_id = b.id
    WHERE b.name = deliveries.bank)
WHERE bank IN (SELECT name FROM renamed);
UPDATE feed_opinions SET bank = (
    SELECT s.tenant || ':' || b.name
    FROM banks b JOIN bank_settings s ON s.bank_id = b.id
    WHERE b.name = feed_opinions.bank)
WHERE bank IN (SELECT name FROM renamed);
UPDATE feed_subscriptions SET bank = (
    SELECT s.tenant || ':' || b.name
    FROM banks b JOIN bank_settings s ON s.bank_id = b.id
    WHERE b.name = feed_subscriptions.bank)
WHERE bank IN (SELECT name FROM renamed) AND kind = 'bank';
UPDATE holds SET target = (
    SELECT s.tenant || ':' || b.name
    FROM banks b JOIN bank_settings s ON s.bank_id = b.id
    WHERE b.name = holds.target)
WHERE target IN (SELECT name FROM renamed) AND kind = 'bank';
UPDATE banks SET name = (
    SELECT s.tenant FROM bank_settings s WHERE s.bank_id = banks.id) || ':' || name
WHERE name IN (SELECT name FROM renamed);
DROP TABLE renamed;
