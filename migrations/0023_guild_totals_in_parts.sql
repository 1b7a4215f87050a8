-- fluxbot schema 23 on SQLite: the view `guild_totals`, a guild's quota totals, which PostgreSQL
-- keeps in parts (0023_guild_totals_in_parts.postgresql.sql). SQLite has one writer at a time and
-- keeps the one row per guild (user_key = 0) the trigger of 0002 writes.
CREATE VIEW guild_totals AS
    SELECT guild_key, period, used, held, granted FROM ledger_totals WHERE user_key = 0;
