-- fluxbot schema 26 on SQLite: nothing. The totals trigger's change is PostgreSQL's
-- (0026_totals_update_first.postgresql.sql); SQLite's trigger writes one row at a time under its
-- single writer, unchanged.
SELECT 1;
