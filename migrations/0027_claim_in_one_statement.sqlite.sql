-- fluxbot schema 27 on SQLite: nothing. Claims are PostgreSQL's (one worker drives every job on
-- SQLite: bot/jobs/claims.py `LocalClaims`); 0027_claim_in_one_statement.postgresql.sql makes a
-- worker's claim pass one statement.
SELECT 1;
