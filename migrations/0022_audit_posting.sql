-- fluxbot schema 22 (issue 19, item 2): each audit line posted exactly once, whatever the number of
-- gateway processes (PostgreSQL). Plain SQL that SQLite and PostgreSQL both run.
--
-- A server's turn to post (bot/discord/audit.py): one row per server, taken by one poster at a
-- time with a compare-and-set on `until` (the turn is free once `until` passed). While it posts,
-- `until` is the end of its lease; after the post, when the server's next message may go out
-- (5 s later; a minute after a refusal), so the pace holds across processes.
CREATE TABLE audit_posters (
    guild_id    BIGINT PRIMARY KEY,
    holder      TEXT NOT NULL,
    until       DOUBLE PRECISION NOT NULL
);

-- The Discord message nonce of the send that carried the line. Written before the send: a poster
-- that dies (or times out) before it deletes the lines leaves them with their nonce, and the next
-- turn sends the same lines with the same nonce; Discord (`enforce_nonce`) answers with the
-- message it already created instead of posting it again.
ALTER TABLE audit_lines ADD COLUMN nonce TEXT;
