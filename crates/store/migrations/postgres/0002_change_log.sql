CREATE TABLE changes (
    seq         BIGSERIAL PRIMARY KEY,
    bank_name   TEXT NOT NULL,
    kind        TEXT NOT NULL,
    bank_kind   TEXT,
    first_entry BIGINT,
    last_entry  BIGINT,
    at          TEXT NOT NULL
);
