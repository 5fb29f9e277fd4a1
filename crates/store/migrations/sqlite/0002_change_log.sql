CREATE TABLE changes (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    bank_name   TEXT NOT NULL,
    kind        TEXT NOT NULL,
    bank_kind   TEXT,
    first_entry INTEGER,
    last_entry  INTEGER,
    at          TEXT NOT NULL
);
