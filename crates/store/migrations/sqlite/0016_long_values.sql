-- PostgreSQL keys long values (vPDQ) on their MD5 from here, with a hash
-- index to find them; SQLite's indexes hold values of any length, so its
-- unique index on the value stays and serves both.
SELECT 1;
