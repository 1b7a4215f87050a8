-- fluxbot schema 2 on PostgreSQL: as 0002_quota_controls.sql (exact integer sums kept by a trigger,
-- the append-only ledger, limits and guild settings); triggers are PL/pgSQL functions here.
ALTER TABLE ledger ADD COLUMN units bigint NOT NULL DEFAULT 0;
ALTER TABLE ledger ADD COLUMN closes bigint NOT NULL DEFAULT 0;
ALTER TABLE ledger ADD COLUMN role_id bigint;

CREATE TABLE ledger_totals (
    guild_key   bigint NOT NULL,
    user_key    bigint NOT NULL,
    period      text NOT NULL,
    used        bigint NOT NULL DEFAULT 0,
    held        bigint NOT NULL DEFAULT 0,
    granted     bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (guild_key, user_key, period)
);

-- The member's and the guild's totals, as triggers ledger_totals_member and ledger_totals_guild.
CREATE FUNCTION ledger_totals_add() RETURNS trigger LANGUAGE plpgsql AS $$
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
    INSERT INTO ledger_totals AS t (guild_key, user_key, period, used, held, granted)
    VALUES (
        COALESCE(NEW.guild_id, 0), 0, NEW.period,
        CASE WHEN NEW.kind = 'charge' THEN NEW.units
             WHEN NEW.kind = 'reset' AND NEW.user_id IS NULL THEN -NEW.units ELSE 0 END,
        CASE NEW.kind WHEN 'hold' THEN NEW.units WHEN 'release' THEN -NEW.units
                      WHEN 'charge' THEN -NEW.closes ELSE 0 END,
        CASE WHEN NEW.kind = 'grant' AND NEW.user_id IS NULL AND NEW.role_id IS NULL THEN NEW.units
             ELSE 0 END
    )
    ON CONFLICT (guild_key, user_key, period) DO UPDATE SET
        used = t.used + excluded.used, held = t.held + excluded.held,
        granted = t.granted + excluded.granted;
    RETURN NULL;
END;
$$;
CREATE TRIGGER ledger_totals_add AFTER INSERT ON ledger FOR EACH ROW EXECUTE FUNCTION ledger_totals_add();

-- Append-only, enforced by the database itself (an integrity error, as SQLite's RAISE(ABORT)).
CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the quota ledger is append-only' USING ERRCODE = 'integrity_constraint_violation';
END;
$$;
CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_no_truncate BEFORE TRUNCATE ON ledger EXECUTE FUNCTION ledger_append_only();

CREATE INDEX ledger_by_member_recent ON ledger(guild_id, user_id, id);
CREATE INDEX ledger_role_grants ON ledger(guild_id, period, role_id) WHERE role_id IS NOT NULL;

CREATE TABLE quota_limits (
    guild_id    bigint NOT NULL,
    scope       text NOT NULL CHECK (scope IN ('member', 'role', 'default', 'guild')),
    target_id   bigint NOT NULL,
    amount      text,
    actor_id    bigint,
    updated_at  double precision NOT NULL,
    PRIMARY KEY (guild_id, scope, target_id)
);

CREATE TABLE guild_settings (
    guild_id              bigint PRIMARY KEY,
    default_model         text,
    allowed_models        text,
    max_safety_tolerance  bigint,
    allowed_channels      text,
    quota_period          text CHECK (quota_period IN ('day', 'week', 'month')),
    actor_id              bigint,
    updated_at            double precision NOT NULL
);
