-- fluxbot schema 31 on SQLite: nothing. Claims are PostgreSQL's (one worker drives every job on
-- SQLite: bot/jobs/claims.py `LocalClaims`); 0031_provider_slots_in_parts.postgresql.sql keeps a
-- provider's slots in use as they change, for the claim pass.
SELECT 1;
