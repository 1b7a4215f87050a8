-- fluxbot schema 18: operator controls (issue 19). Plain SQL that SQLite and PostgreSQL both run.
-- A server's audit channel and its safety tolerance for age-restricted channels (/admin settings).
ALTER TABLE guild_settings ADD COLUMN audit_channel_id BIGINT;
ALTER TABLE guild_settings ADD COLUMN nsfw_safety_tolerance BIGINT;

-- Lines waiting for a server's audit channel (bot/store/audit.py): written when they happen, deleted
-- once posted, so a channel the bot cannot reach loses none of them. `seq` orders them.
CREATE TABLE audit_lines (
    id          TEXT PRIMARY KEY,
    guild_id    BIGINT NOT NULL,
    seq         BIGINT NOT NULL,
    line        TEXT NOT NULL,
    created_at  DOUBLE PRECISION NOT NULL
);
CREATE INDEX audit_lines_by_guild ON audit_lines(guild_id, seq);

-- Words, phrases and `*` wildcards refused in a server's prompts (/admin rules).
CREATE TABLE prompt_rules (
    guild_id    BIGINT NOT NULL,
    rule        TEXT NOT NULL,
    actor_id    BIGINT,
    created_at  DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (guild_id, rule)
);

-- Members and servers the bot's owners blocked (/owner block); the pause is in bot_state.
CREATE TABLE owner_blocks (
    kind        TEXT NOT NULL CHECK (kind IN ('member', 'guild')),
    target_id   BIGINT NOT NULL,
    reason      TEXT,
    actor_id    BIGINT,
    created_at  DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (kind, target_id)
);

-- /owner stats reads jobs by when they were created.
CREATE INDEX jobs_by_created ON jobs(created_at);
