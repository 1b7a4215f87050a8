-- fluxbot schema 2: exact integer sums for the ledger, limits by member/role/guild, guild settings.
--
-- The ledger stays append-only and authoritative: `amount` keeps the provider's figure exactly as
-- text. `units` is the same amount in micro-credits (1 credit = 1,000,000 units), exact for up to
-- six decimals (a provider figure with more is rounded up, never down), so usage can be summed by
-- SQLite in integers instead of parsing text in Python.

ALTER TABLE ledger ADD COLUMN units INTEGER NOT NULL DEFAULT 0;
-- A charge closes its job's hold: `closes` is that hold's units (0 when there was no hold).
ALTER TABLE ledger ADD COLUMN closes INTEGER NOT NULL DEFAULT 0;
-- A grant to every member with a role (user_id NULL): it raises the limit of whoever has the role.
ALTER TABLE ledger ADD COLUMN role_id INTEGER;

-- Rows written by schema 1 (amounts of at most six decimals: round() of the scaled double is exact).
UPDATE ledger SET units = CAST(round(CAST(amount AS REAL) * 1000000) AS INTEGER);
UPDATE ledger SET closes = COALESCE(
    (SELECT h.units FROM ledger AS h WHERE h.job_id = ledger.job_id AND h.kind = 'hold'), 0)
    WHERE kind = 'charge';

-- Per (guild, member, period) and per (guild, period) (user_key 0) totals, maintained only by the
-- trigger below from the entries as they are appended, in the same transaction. Nothing else
-- writes this table; `Ledger.derive()` recomputes the same figures from the entries (tests check
-- they agree). It makes a hold O(1) however long the ledger grows.
CREATE TABLE ledger_totals (
    guild_key   INTEGER NOT NULL,            -- guild id, 0 outside a guild (CLI)
    user_key    INTEGER NOT NULL,            -- member id, 0 for the guild's own budget
    period      TEXT NOT NULL,
    used        INTEGER NOT NULL DEFAULT 0,  -- units charged, less resets
    held        INTEGER NOT NULL DEFAULT 0,  -- units held by jobs not yet charged or released
    granted     INTEGER NOT NULL DEFAULT 0,  -- units granted on top of the limit
    PRIMARY KEY (guild_key, user_key, period)
) WITHOUT ROWID;

-- A member's entry counts for the member; every entry counts for the guild's budget, except a
-- member's or a role's grant (it raises only those members' limits) and a member's reset (it
-- forgives the member, while the guild really spent the credits). Role grants are few and are
-- summed from the entries when a member's allowance is read (index ledger_role_grants).
CREATE TRIGGER ledger_totals_member AFTER INSERT ON ledger WHEN NEW.user_id IS NOT NULL
BEGIN
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

CREATE TRIGGER ledger_totals_guild AFTER INSERT ON ledger
BEGIN
    INSERT INTO ledger_totals (guild_key, user_key, period, used, held, granted)
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
        used = used + excluded.used, held = held + excluded.held, granted = granted + excluded.granted;
END;

INSERT INTO ledger_totals (guild_key, user_key, period, used, held, granted)
    SELECT COALESCE(guild_id, 0), user_id, period,
           SUM(CASE kind WHEN 'charge' THEN units WHEN 'reset' THEN -units ELSE 0 END),
           SUM(CASE kind WHEN 'hold' THEN units WHEN 'release' THEN -units
                         WHEN 'charge' THEN -closes ELSE 0 END),
           SUM(CASE kind WHEN 'grant' THEN units ELSE 0 END)
    FROM ledger WHERE user_id IS NOT NULL GROUP BY COALESCE(guild_id, 0), user_id, period;
INSERT INTO ledger_totals (guild_key, user_key, period, used, held, granted)
    SELECT COALESCE(guild_id, 0), 0, period,
           SUM(CASE WHEN kind = 'charge' THEN units
                    WHEN kind = 'reset' AND user_id IS NULL THEN -units ELSE 0 END),
           SUM(CASE kind WHEN 'hold' THEN units WHEN 'release' THEN -units
                         WHEN 'charge' THEN -closes ELSE 0 END),
           SUM(CASE WHEN kind = 'grant' AND user_id IS NULL AND role_id IS NULL THEN units ELSE 0 END)
    FROM ledger GROUP BY COALESCE(guild_id, 0), period;

-- Append-only, enforced by the database itself.
CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger
BEGIN
    SELECT RAISE(ABORT, 'the quota ledger is append-only');
END;
CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger
BEGIN
    SELECT RAISE(ABORT, 'the quota ledger is append-only');
END;

-- /history and /admin quota usage read a member's recent entries.
CREATE INDEX ledger_by_member_recent ON ledger(guild_id, user_id, id);
CREATE INDEX ledger_role_grants ON ledger(guild_id, period, role_id) WHERE role_id IS NOT NULL;

-- Credit limits set with /admin quota limit. `amount` NULL means unlimited.
--   member   one member (target_id = user id)          — wins over everything else
--   role     members with that role (target_id = role id); the highest of a member's roles applies
--   default  every member of the guild (target_id 0)   — instead of QUOTA_DEFAULT_LIMIT
--   guild    the guild's own budget (target_id 0)      — instead of QUOTA_GUILD_LIMIT
CREATE TABLE quota_limits (
    guild_id    INTEGER NOT NULL,
    scope       TEXT NOT NULL CHECK (scope IN ('member', 'role', 'default', 'guild')),
    target_id   INTEGER NOT NULL,
    amount      TEXT,
    actor_id    INTEGER,
    updated_at  REAL NOT NULL,
    PRIMARY KEY (guild_id, scope, target_id)
) WITHOUT ROWID;

-- Per-guild settings (/admin settings). NULL means "as configured for the whole bot".
CREATE TABLE guild_settings (
    guild_id              INTEGER PRIMARY KEY,
    default_model         TEXT,
    allowed_models        TEXT,      -- JSON list of model ids; NULL = every model
    max_safety_tolerance  INTEGER,   -- may only lower MAX_SAFETY_TOLERANCE
    allowed_channels      TEXT,      -- JSON list of channel ids; NULL = every channel
    quota_period          TEXT CHECK (quota_period IN ('day', 'week', 'month')),
    actor_id              INTEGER,
    updated_at            REAL NOT NULL
);
