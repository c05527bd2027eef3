-- PostgreSQL's 0021 refuses TRUNCATE on the append-only tables. SQLite has no
-- TRUNCATE (DELETE is refused row by row by the triggers already in place); this
-- file keeps the two migration trees in step.
SELECT 1;
