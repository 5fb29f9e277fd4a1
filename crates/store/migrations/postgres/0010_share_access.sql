-- A tenant a bank is shared with may match against it; 'read' also lets
-- it read the bank's contents and export it, when the owner grants that.
ALTER TABLE bank_shares ADD COLUMN access TEXT NOT NULL DEFAULT 'match';
