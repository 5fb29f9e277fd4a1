-- Cuts move into the chain: a retention purge's own chained entry names
-- the links it cut, and a check believes no other. The cuts recorded here
-- before were taken into the chain by one entry (`audit.cuts_chained`,
-- written by the upgrade just before this migration); a row added here
-- would have hidden a deletion, so the table goes.
DROP TABLE audit_cuts;
