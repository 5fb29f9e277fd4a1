-- The hotline: cases (one per canonical URL), the reports that named
-- them, reporters' contacts apart, notices, appeals, attached hashes and
-- the blocklist's log.
CREATE TABLE hotline_cases (
    id              BIGSERIAL PRIMARY KEY,
    url             TEXT NOT NULL UNIQUE,
    url_sha256      TEXT NOT NULL,
    host            TEXT NOT NULL,
    state           TEXT NOT NULL,
    verdict         TEXT,
    category        TEXT,
    first_assessor  BIGINT,
    first_verdict   TEXT,
    first_category  TEXT,
    assessed_at     BIGINT,
    confirmed_at    BIGINT,
    provider        TEXT,
    abuse           TEXT,
    jurisdiction    TEXT,
    webhook         TEXT,
    ip              TEXT,
    notices         BIGINT NOT NULL DEFAULT 0,
    first_notice_at BIGINT,
    last_notice_at  BIGINT,
    last_check_at   BIGINT,
    last_check      TEXT,
    removed_at      BIGINT,
    reports         BIGINT NOT NULL DEFAULT 1,
    created_at      BIGINT NOT NULL
);
CREATE INDEX hotline_cases_by_state ON hotline_cases (state);
CREATE TABLE hotline_reports (
    id          BIGSERIAL PRIMARY KEY,
    case_id     BIGINT NOT NULL,
    at          BIGINT NOT NULL,
    source      TEXT NOT NULL,
    description TEXT
);
CREATE TABLE hotline_contacts (
    report_id BIGINT PRIMARY KEY,
    contact   TEXT NOT NULL
);
CREATE TABLE hotline_notices (
    id       BIGSERIAL PRIMARY KEY,
    case_id  BIGINT NOT NULL,
    at       BIGINT NOT NULL,
    attempt  BIGINT NOT NULL,
    text     TEXT NOT NULL,
    delivery TEXT
);
CREATE TABLE hotline_appeals (
    id         BIGSERIAL PRIMARY KEY,
    case_id    BIGINT NOT NULL,
    at         BIGINT NOT NULL,
    reason     TEXT NOT NULL,
    state      TEXT NOT NULL,
    decided_by TEXT,
    decided_at BIGINT
);
CREATE TABLE hotline_hashes (
    id          BIGSERIAL PRIMARY KEY,
    case_id     BIGINT NOT NULL,
    signal_type TEXT NOT NULL,
    value       TEXT NOT NULL,
    added_by    TEXT NOT NULL,
    at          BIGINT NOT NULL
);
CREATE TABLE blocklist_log (
    seq        BIGSERIAL PRIMARY KEY,
    at         BIGINT NOT NULL,
    url        TEXT NOT NULL,
    url_sha256 TEXT NOT NULL,
    op         TEXT NOT NULL
);
