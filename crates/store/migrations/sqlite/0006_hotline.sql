-- The hotline: cases (one per canonical URL), the reports that named
-- them, reporters' contacts apart, notices, appeals, attached hashes and
-- the blocklist's log.
CREATE TABLE hotline_cases (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    url             TEXT NOT NULL UNIQUE,
    url_sha256      TEXT NOT NULL,
    host            TEXT NOT NULL,
    state           TEXT NOT NULL,
    verdict         TEXT,
    category        TEXT,
    first_assessor  INTEGER,
    first_verdict   TEXT,
    first_category  TEXT,
    assessed_at     INTEGER,
    confirmed_at    INTEGER,
    provider        TEXT,
    abuse           TEXT,
    jurisdiction    TEXT,
    webhook         TEXT,
    ip              TEXT,
    notices         INTEGER NOT NULL DEFAULT 0,
    first_notice_at INTEGER,
    last_notice_at  INTEGER,
    last_check_at   INTEGER,
    last_check      TEXT,
    removed_at      INTEGER,
    reports         INTEGER NOT NULL DEFAULT 1,
    created_at      INTEGER NOT NULL
);
CREATE INDEX hotline_cases_by_state ON hotline_cases (state);
CREATE TABLE hotline_reports (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id     INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    source      TEXT NOT NULL,
    description TEXT
);
CREATE TABLE hotline_contacts (
    report_id INTEGER PRIMARY KEY,
    contact   TEXT NOT NULL
);
CREATE TABLE hotline_notices (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id  INTEGER NOT NULL,
    at       INTEGER NOT NULL,
    attempt  INTEGER NOT NULL,
    text     TEXT NOT NULL,
    delivery TEXT
);
CREATE TABLE hotline_appeals (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id    INTEGER NOT NULL,
    at         INTEGER NOT NULL,
    reason     TEXT NOT NULL,
    state      TEXT NOT NULL,
    decided_by TEXT,
    decided_at INTEGER
);
CREATE TABLE hotline_hashes (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id     INTEGER NOT NULL,
    signal_type TEXT NOT NULL,
    value       TEXT NOT NULL,
    added_by    TEXT NOT NULL,
    at          INTEGER NOT NULL
);
CREATE TABLE blocklist_log (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    at         INTEGER NOT NULL,
    url        TEXT NOT NULL,
    url_sha256 TEXT NOT NULL,
    op         TEXT NOT NULL
);
