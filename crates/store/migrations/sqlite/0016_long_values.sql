-- PostgreSQL keys long values (vPDQ) on their MD5 from here; SQLite's
-- indexes hold values of any length, so nothing changes.
SELECT 1;
