-- fluxbot schema 15 (issue 18, items 5 and 6): private results and members' presets.
-- A server's rule for private results: NULL or 'allow' (members choose), 'forbid', 'force'.
-- A job's delivery says whether its result is shown only to its member (an ephemeral reply, then
-- a DM; never the channel). Each member's own defaults for the image commands in a server (`/settings`).
-- Plain SQL that SQLite and PostgreSQL both run.
ALTER TABLE guild_settings ADD COLUMN private_mode TEXT;
ALTER TABLE job_deliveries ADD COLUMN private INTEGER NOT NULL DEFAULT 0;
CREATE TABLE member_presets (
    guild_id       BIGINT NOT NULL,
    user_id        BIGINT NOT NULL,
    model          TEXT,
    aspect_ratio   TEXT,
    output_format  TEXT,
    private        INTEGER,
    suffix         TEXT,
    updated_at     DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (guild_id, user_id)
);
