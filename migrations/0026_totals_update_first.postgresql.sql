-- fluxbot schema 26 on PostgreSQL: the totals trigger updates the row it adds to, and inserts only
-- when there is none yet.
--
-- Every ledger entry adds to two rows (the member's `ledger_totals`, the guild's part in
-- `ledger_guild_parts`, 0023), and after the first entry of a period both rows exist. The trigger
-- wrote them with `INSERT .. ON CONFLICT DO UPDATE`, which for a row that exists probes the index,
-- locks the row (a WAL record of its own) and then updates it: 2 WAL records a row, 4 per entry, 8
-- per hold + settle pair (benchmarks/pg_quota_throughput.py). A plain UPDATE of a column no index
-- names is one HOT update: one record. When it finds no row (the period's first entry), the
-- upsert still runs, so two transactions adding the first entry of a row at once still meet on the
-- primary key and both amounts land (READ COMMITTED: the second waits for the first's row, then
-- updates it). The amounts are the same as before; SQLite's trigger is unchanged.
CREATE OR REPLACE FUNCTION ledger_totals_add() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    add_key bigint := COALESCE(NEW.guild_id, 0);
    add_member_used bigint := CASE NEW.kind WHEN 'charge' THEN NEW.units
                                            WHEN 'reset' THEN -NEW.units ELSE 0 END;
    add_member_granted bigint := CASE NEW.kind WHEN 'grant' THEN NEW.units ELSE 0 END;
    add_guild_used bigint := CASE WHEN NEW.kind = 'charge' THEN NEW.units
                                  WHEN NEW.kind = 'reset' AND NEW.user_id IS NULL THEN -NEW.units
                                  ELSE 0 END;
    add_guild_granted bigint := CASE WHEN NEW.kind = 'grant' AND NEW.user_id IS NULL
                                          AND NEW.role_id IS NULL THEN NEW.units ELSE 0 END;
    -- The same for the member and the guild.
    add_held bigint := CASE NEW.kind WHEN 'hold' THEN NEW.units WHEN 'release' THEN -NEW.units
                                     WHEN 'charge' THEN -NEW.closes ELSE 0 END;
BEGIN
    IF NEW.user_id IS NOT NULL THEN
        UPDATE ledger_totals AS t SET used = t.used + add_member_used, held = t.held + add_held,
                                      granted = t.granted + add_member_granted
            WHERE t.guild_key = add_key AND t.user_key = NEW.user_id AND t.period = NEW.period;
        IF NOT FOUND THEN
            INSERT INTO ledger_totals AS t (guild_key, user_key, period, used, held, granted)
            VALUES (add_key, NEW.user_id, NEW.period, add_member_used, add_held, add_member_granted)
            ON CONFLICT (guild_key, user_key, period) DO UPDATE SET
                used = t.used + excluded.used, held = t.held + excluded.held,
                granted = t.granted + excluded.granted;
        END IF;
    END IF;
    UPDATE ledger_guild_parts AS t SET used = t.used + add_guild_used, held = t.held + add_held,
                                       granted = t.granted + add_guild_granted
        WHERE t.guild_key = add_key AND t.period = NEW.period AND t.part = pg_backend_pid();
    IF NOT FOUND THEN
        INSERT INTO ledger_guild_parts AS t (guild_key, period, part, used, held, granted)
        VALUES (add_key, NEW.period, pg_backend_pid(), add_guild_used, add_held, add_guild_granted)
        ON CONFLICT (guild_key, period, part) DO UPDATE SET
            used = t.used + excluded.used, held = t.held + excluded.held,
            granted = t.granted + excluded.granted;
    END IF;
    RETURN NULL;
END;
$$;
