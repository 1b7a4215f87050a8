-- fluxbot schema: a member's erasure (/admin privacy erase, bot/store/privacy.py).
--
-- The ledger stays append-only, with one exception: an erased member's id in `user_id` (and, for an
-- erased admin, `actor_id`) may be replaced by a pseudonym, a negative number no Discord id can be.
-- Only from a real id (> 0) to a pseudonym (< 0), and nothing else in the row may change, so amounts,
-- periods and kinds are as they were. (A column added later must be added to this list.)
DROP TRIGGER ledger_no_update;
CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger
WHEN (
    NEW.id IS OLD.id AND NEW.kind IS OLD.kind AND NEW.guild_id IS OLD.guild_id
    AND NEW.role_id IS OLD.role_id AND NEW.job_id IS OLD.job_id AND NEW.amount IS OLD.amount
    AND NEW.units IS OLD.units AND NEW.closes IS OLD.closes AND NEW.period IS OLD.period
    AND NEW.provider IS OLD.provider AND NEW.model IS OLD.model AND NEW.size IS OLD.size
    AND NEW.note IS OLD.note AND NEW.created_at IS OLD.created_at
    AND (NEW.user_id IS OLD.user_id OR (OLD.user_id > 0 AND NEW.user_id < 0))
    AND (NEW.actor_id IS OLD.actor_id OR (OLD.actor_id > 0 AND NEW.actor_id < 0))
) IS NOT 1  -- not plainly true (NULL too: `NULL < 0` must refuse, not slip through)
BEGIN
    SELECT RAISE(ABORT, 'the quota ledger is append-only');
END;

-- A pseudonymised entry's share of the member totals moves with it (the guild's totals, user_key 0,
-- do not change): the same figures as trigger ledger_totals_member (0002), taken from the old
-- member (whose emptied row goes: no total is left under their id) and given to the pseudonym.
CREATE TRIGGER ledger_totals_pseudonym AFTER UPDATE OF user_id ON ledger
WHEN NEW.user_id IS NOT OLD.user_id
BEGIN
    UPDATE ledger_totals SET
        used = used - CASE OLD.kind WHEN 'charge' THEN OLD.units WHEN 'reset' THEN -OLD.units ELSE 0 END,
        held = held - CASE OLD.kind WHEN 'hold' THEN OLD.units WHEN 'release' THEN -OLD.units
                                    WHEN 'charge' THEN -OLD.closes ELSE 0 END,
        granted = granted - CASE OLD.kind WHEN 'grant' THEN OLD.units ELSE 0 END
    WHERE guild_key = COALESCE(OLD.guild_id, 0) AND user_key = OLD.user_id AND period = OLD.period;
    DELETE FROM ledger_totals
    WHERE guild_key = COALESCE(OLD.guild_id, 0) AND user_key = OLD.user_id AND period = OLD.period
      AND used = 0 AND held = 0 AND granted = 0;
    INSERT INTO ledger_totals (guild_key, user_key, period, used, held, granted)
    VALUES (
        COALESCE(NEW.guild_id, 0), NEW.user_id, NEW.period,
        CASE NEW.kind WHEN 'charge' THEN NEW.units WHEN 'reset' THEN -NEW.units ELSE 0 END,
        CASE NEW.kind WHEN 'hold' THEN NEW.units WHEN 'release' THEN -NEW.units
                      WHEN 'charge' THEN -NEW.closes ELSE 0 END,
        CASE NEW.kind WHEN 'grant' THEN NEW.units ELSE 0 END
    )
    ON CONFLICT (guild_key, user_key, period) DO UPDATE SET
        used = used + excluded.used, held = held + excluded.held, granted = granted + excluded.granted;
END;

-- Each erasure, without whom it erased: the guild, the pseudonym the ledger now shows, who asked.
CREATE TABLE erasures (
    id          INTEGER PRIMARY KEY,
    guild_id    INTEGER NOT NULL,
    pseudonym   INTEGER NOT NULL,
    actor_id    INTEGER,
    jobs        INTEGER NOT NULL,
    created_at  REAL NOT NULL
);
