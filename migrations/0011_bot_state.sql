-- fluxbot schema: small facts the bot keeps between starts (bot/store/bot_state.py), e.g. the hash
-- of the command tree it last registered with Discord, so that it syncs only when that changes.
CREATE TABLE bot_state (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at REAL NOT NULL
);
