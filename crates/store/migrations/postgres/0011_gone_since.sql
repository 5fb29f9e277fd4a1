-- When re-checks started finding a listed URL's material gone: a case is
-- removed (and delisted) only when a later check, far enough apart, finds
-- it gone too.
ALTER TABLE hotline_cases ADD COLUMN gone_since BIGINT;
