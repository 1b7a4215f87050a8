-- fluxbot schema: data that does not grow forever (RETENTION_DAYS).
--
-- `purged_at`: when a finished job's prompt, result image and reference images were deleted (by the
-- retention sweep, or by `/admin privacy erase`). The row stays: the ledger names it, and the books
-- must still add up. The sweep reads the oldest finished jobs not yet purged through the partial
-- index, which holds only those, so it stays small however long the history grows.
ALTER TABLE jobs ADD COLUMN purged_at REAL;
CREATE INDEX jobs_to_purge ON jobs(finished_at) WHERE purged_at IS NULL AND finished_at IS NOT NULL;
