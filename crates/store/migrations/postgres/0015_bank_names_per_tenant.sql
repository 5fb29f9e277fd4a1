-- Bank names are per tenant: a bank of any tenant but the default one is
-- named TENANT:NAME, so that two tenants may use one name and neither
-- learns of the other's banks. Banks made before move into their owner's
-- namespace (records follow bank ids; only contents name their bank).
UPDATE contents SET bank = (
    SELECT s.tenant || ':' || b.name
    FROM banks b JOIN bank_settings s ON s.bank_id = b.id
    WHERE b.name = contents.bank)
WHERE bank IN (
    SELECT b.name FROM banks b JOIN bank_settings s ON s.bank_id = b.id
    WHERE s.tenant <> 'default' AND b.name NOT LIKE '%:%');
UPDATE banks SET name = (
    SELECT s.tenant FROM bank_settings s WHERE s.bank_id = banks.id) || ':' || name
WHERE name NOT LIKE '%:%'
  AND id IN (SELECT bank_id FROM bank_settings WHERE tenant <> 'default');
