-- fluxbot schema 19: languages (issue 19). A server's own language (`/admin settings language:`),
-- used when a member's client speaks none the bot does; and the language a Discord job was asked
-- in, kept with its reply coordinates so that late posts, DMs and buttons after a restart speak
-- it. NULL: the bot's DEFAULT_LANGUAGE. Plain SQL that SQLite and PostgreSQL both run.
ALTER TABLE guild_settings ADD COLUMN language TEXT;
ALTER TABLE job_deliveries ADD COLUMN locale TEXT;
