-- fluxbot schema 12: a grant is written once per Discord interaction. An admin command delivered
-- twice (a gateway replay, a retry of the same interaction) must not grant twice: the grant's
-- rows carry the interaction's id, and the index refuses a second row for the same interaction
-- and target (QuotaService.grant answers "already granted" instead).
ALTER TABLE ledger ADD COLUMN interaction_id INTEGER;
CREATE UNIQUE INDEX ledger_once_per_interaction
    ON ledger(interaction_id, kind, COALESCE(user_id, 0), COALESCE(role_id, 0))
    WHERE interaction_id IS NOT NULL;
