-- fluxbot schema 13 on PostgreSQL: as 0013_ledger_interaction_id_append_only.sql, `interaction_id`
-- joins the columns an UPDATE of the ledger may not change.
CREATE OR REPLACE FUNCTION ledger_only_pseudonyms() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.id IS NOT DISTINCT FROM OLD.id AND NEW.kind IS NOT DISTINCT FROM OLD.kind
       AND NEW.guild_id IS NOT DISTINCT FROM OLD.guild_id AND NEW.role_id IS NOT DISTINCT FROM OLD.role_id
       AND NEW.job_id IS NOT DISTINCT FROM OLD.job_id AND NEW.amount IS NOT DISTINCT FROM OLD.amount
       AND NEW.units IS NOT DISTINCT FROM OLD.units AND NEW.closes IS NOT DISTINCT FROM OLD.closes
       AND NEW.period IS NOT DISTINCT FROM OLD.period AND NEW.provider IS NOT DISTINCT FROM OLD.provider
       AND NEW.model IS NOT DISTINCT FROM OLD.model AND NEW.size IS NOT DISTINCT FROM OLD.size
       AND NEW.note IS NOT DISTINCT FROM OLD.note AND NEW.created_at IS NOT DISTINCT FROM OLD.created_at
       AND NEW.interaction_id IS NOT DISTINCT FROM OLD.interaction_id
       AND (NEW.user_id IS NOT DISTINCT FROM OLD.user_id OR (OLD.user_id > 0 AND NEW.user_id < 0))
       AND (NEW.actor_id IS NOT DISTINCT FROM OLD.actor_id OR (OLD.actor_id > 0 AND NEW.actor_id < 0))
    THEN
        RETURN NEW;  -- plainly true only: a NULL condition (`NULL < 0`) refuses, as in SQLite
    END IF;
    RAISE EXCEPTION 'the quota ledger is append-only' USING ERRCODE = 'integrity_constraint_violation';
END;
$$;
