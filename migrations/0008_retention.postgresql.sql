-- fluxbot schema 8 on PostgreSQL: as 0008_retention.sql, the time as double precision.
ALTER TABLE jobs ADD COLUMN purged_at double precision;
CREATE INDEX jobs_to_purge ON jobs(finished_at) WHERE purged_at IS NULL AND finished_at IS NOT NULL;
