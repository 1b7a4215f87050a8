-- fluxbot schema 28: a ledger entry writes one index fewer (holds, releases, grants). SQLite runs
-- this; PostgreSQL runs 0028_lighter_ledger_entries.postgresql.sql (this and more).
-- The web dashboard's "usage per day" (bot/store/web.py `daily_charges`) is the only reader of
-- ledger_by_guild_time (0016), and it reads charges: the index now holds charges alone. (PostgreSQL
-- also drops the foreign key ledger.job_id -> jobs, whose check locks the job's row there:
-- 0028_lighter_ledger_entries.postgresql.sql. SQLite's takes no lock and stays.)
DROP INDEX ledger_by_guild_time;
CREATE INDEX ledger_charges_by_guild_time ON ledger(guild_id, created_at) WHERE kind = 'charge';
