-- fluxbot schema 23 on PostgreSQL: a guild's quota totals in parts, one per database connection.
--
-- Every ledger entry of a guild added its amounts to the guild's one `ledger_totals` row
-- (user_key = 0), so every transaction writing an entry of the guild locked that row until its
-- COMMIT: the writers of all processes, whatever member, queued one behind the other. Now each
-- connection adds the guild's share to a part of its own (`part` = its backend's process id, which
-- no two live connections share), so writers never wait on each other for the guild's figures,
-- and the guild's totals are the sum of its parts (view `guild_totals`; SQLite has one writer and
-- keeps the single row, behind a view of the same name). The rows of user_key = 0 written so far
-- stay as they are and count as one more part. The member's row is unchanged.
CREATE TABLE ledger_guild_parts (
    guild_key   bigint NOT NULL,
    period      text NOT NULL,
    part        integer NOT NULL,
    used        bigint NOT NULL DEFAULT 0,
    held        bigint NOT NULL DEFAULT 0,
    granted     bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (guild_key, period, part)
);

CREATE VIEW guild_totals AS
    SELECT guild_key, period, CAST(SUM(used) AS bigint) AS used, CAST(SUM(held) AS bigint) AS held,
           CAST(SUM(granted) AS bigint) AS granted
    FROM (SELECT guild_key, period, used, held, granted FROM ledger_totals WHERE user_key = 0
          UNION ALL
          SELECT guild_key, period, used, held, granted FROM ledger_guild_parts) AS parts
    GROUP BY guild_key, period;

CREATE OR REPLACE FUNCTION ledger_totals_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.user_id IS NOT NULL THEN
        INSERT INTO ledger_totals AS t (guild_key, user_key, period, used, held, granted)
        VALUES (
            COALESCE(NEW.guild_id, 0), NEW.user_id, NEW.period,
            CASE NEW.kind WHEN 'charge' THEN NEW.units WHEN 'reset' THEN -NEW.units ELSE 0 END,
            CASE NEW.kind WHEN 'hold' THEN NEW.units WHEN 'release' THEN -NEW.units
                          WHEN 'charge' THEN -NEW.closes ELSE 0 END,
            CASE NEW.kind WHEN 'grant' THEN NEW.units ELSE 0 END
        )
        ON CONFLICT (guild_key, user_key, period) DO UPDATE SET
            used = t.used + excluded.used, held = t.held + excluded.held,
            granted = t.granted + excluded.granted;
    END IF;
    INSERT INTO ledger_guild_parts AS t (guild_key, period, part, used, held, granted)
    VALUES (
        COALESCE(NEW.guild_id, 0), NEW.period, pg_backend_pid(),
        CASE WHEN NEW.kind = 'charge' THEN NEW.units
             WHEN NEW.kind = 'reset' AND NEW.user_id IS NULL THEN -NEW.units ELSE 0 END,
        CASE NEW.kind WHEN 'hold' THEN NEW.units WHEN 'release' THEN -NEW.units
                      WHEN 'charge' THEN -NEW.closes ELSE 0 END,
        CASE WHEN NEW.kind = 'grant' AND NEW.user_id IS NULL AND NEW.role_id IS NULL THEN NEW.units
             ELSE 0 END
    )
    ON CONFLICT (guild_key, period, part) DO UPDATE SET
        used = t.used + excluded.used, held = t.held + excluded.held,
        granted = t.granted + excluded.granted;
    RETURN NULL;
END;
$$;
