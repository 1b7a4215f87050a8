-- fluxbot schema 12 on PostgreSQL: as 0012_grants_once_per_interaction.sql; a Discord interaction id
-- is a 64-bit snowflake (bigint).
ALTER TABLE ledger ADD COLUMN interaction_id bigint;
CREATE UNIQUE INDEX ledger_once_per_interaction
    ON ledger(interaction_id, kind, COALESCE(user_id, 0), COALESCE(role_id, 0))
    WHERE interaction_id IS NOT NULL;
