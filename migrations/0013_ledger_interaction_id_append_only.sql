-- fluxbot schema 13: `interaction_id` (0012) joins the columns an UPDATE of the ledger may not change.
-- The append-only trigger of 0009 lists every column but the member ids; a column added later must
-- be added to it, and 0012 was not, so an UPDATE could rewrite an entry's interaction_id.
DROP TRIGGER ledger_no_update;
CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger
WHEN (
    NEW.id IS OLD.id AND NEW.kind IS OLD.kind AND NEW.guild_id IS OLD.guild_id
    AND NEW.role_id IS OLD.role_id AND NEW.job_id IS OLD.job_id AND NEW.amount IS OLD.amount
    AND NEW.units IS OLD.units AND NEW.closes IS OLD.closes AND NEW.period IS OLD.period
    AND NEW.provider IS OLD.provider AND NEW.model IS OLD.model AND NEW.size IS OLD.size
    AND NEW.note IS OLD.note AND NEW.created_at IS OLD.created_at
    AND NEW.interaction_id IS OLD.interaction_id
    AND (NEW.user_id IS OLD.user_id OR (OLD.user_id > 0 AND NEW.user_id < 0))
    AND (NEW.actor_id IS OLD.actor_id OR (OLD.actor_id > 0 AND NEW.actor_id < 0))
) IS NOT 1  -- not plainly true (NULL too: `NULL < 0` must refuse, not slip through)
BEGIN
    SELECT RAISE(ABORT, 'the quota ledger is append-only');
END;
