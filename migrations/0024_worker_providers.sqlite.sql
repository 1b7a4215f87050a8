-- fluxbot schema 24 on SQLite: nothing. The workers' providers are for PostgreSQL's workers
-- (0024_worker_providers.postgresql.sql); on SQLite one process drives every job and has no workers table.
SELECT 1;
