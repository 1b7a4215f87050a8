-- fluxbot schema 16: the web dashboard (bot/dashboard/, bot/store/web.py). Plain SQL that SQLite
-- and PostgreSQL both run.
--
-- A `/dashboard` sign-in link: only the SHA-256 of its token is kept; it works once (`used_at`)
-- and for ten minutes.
CREATE TABLE web_login_links (
    token_hash  TEXT PRIMARY KEY,
    user_id     BIGINT NOT NULL,
    guild_id    BIGINT NOT NULL,
    created_at  DOUBLE PRECISION NOT NULL,
    expires_at  DOUBLE PRECISION NOT NULL,
    used_at     DOUBLE PRECISION
);
-- A signed-in browser: the cookie carries the session id (signed), the row only its SHA-256.
-- `guild_ids`: the servers this sign-in may open (JSON list of ids as text); `/logout` sets `ended_at`.
CREATE TABLE web_sessions (
    id_hash     TEXT PRIMARY KEY,
    user_id     BIGINT NOT NULL,
    guild_ids   TEXT NOT NULL,
    created_at  DOUBLE PRECISION NOT NULL,
    expires_at  DOUBLE PRECISION NOT NULL,
    ended_at    DOUBLE PRECISION
);
CREATE INDEX web_sessions_by_user ON web_sessions(user_id);
-- "My images": a member's images in one server, newest first, a page at a time (keyset on seq).
CREATE INDEX jobs_gallery ON jobs(guild_id, user_id, seq);
-- The operators' live queue and usage per day read a server's jobs and charges.
CREATE INDEX jobs_by_guild_state ON jobs(guild_id, state, seq);
CREATE INDEX ledger_by_guild_time ON ledger(guild_id, kind, created_at);
