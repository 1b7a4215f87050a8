-- fluxbot schema 17: claims. On PostgreSQL several workers share the jobs and each claims the ones
-- it drives (bot/store/claims.py); on SQLite one process drives them all and never claims, so the
-- column is only kept for a schema that reads the same on both.
ALTER TABLE jobs ADD COLUMN claimed_by TEXT;
