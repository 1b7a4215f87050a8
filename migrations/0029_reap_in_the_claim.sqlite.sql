-- fluxbot schema 29 on SQLite: nothing. Claims are PostgreSQL's (one worker drives every job on
-- SQLite: bot/jobs/claims.py `LocalClaims`); 0029_reap_in_the_claim.postgresql.sql makes a
-- worker's claim pass reap the dead workers.
SELECT 1;
