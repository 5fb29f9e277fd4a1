ALTER TABLE entries ADD COLUMN metadata TEXT;
