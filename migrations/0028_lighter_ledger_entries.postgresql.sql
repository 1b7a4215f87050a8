-- fluxbot schema 28 on PostgreSQL: a ledger entry writes one index fewer (holds, releases, grants)
-- and no longer locks its job's row.
--
-- The web dashboard's "usage per day" (bot/store/web.py `daily_charges`) is the only reader of
-- ledger_by_guild_time (0016), and it reads charges: the index now holds charges alone, so a hold,
-- a release or a grant is written into one index fewer (a WAL record and a B-tree insert each).
DROP INDEX ledger_by_guild_time;
CREATE INDEX ledger_charges_by_guild_time ON ledger(guild_id, created_at) WHERE kind = 'charge';
-- The foreign key ledger.job_id -> jobs(id): PostgreSQL checks it on every entry with a job by
-- locking the job's row FOR KEY SHARE (an SPI query and a WAL record per entry, two per hold +
-- settle pair; and while the entry's transaction runs, a worker's `FOR UPDATE SKIP LOCKED` claim
-- skips that job). It guarded nothing the writes do not already: no job row is ever deleted or
-- renumbered (retention and erasure purge a job's content, not its row), and every entry naming
-- a job is written by the statement that writes the job (the hold: `FROM job_written`), moves it
-- (a charge or release after a move: `EXISTS (SELECT 1 FROM moved)`) or reads its hold's entry (a
-- release). SQLite keeps its foreign key (its check takes no lock; dropping one means rebuilding
-- the table). docs/DEVELOPING.md, invariants.
ALTER TABLE ledger DROP CONSTRAINT ledger_job_id_fkey;
