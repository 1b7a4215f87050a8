"""Small facts the bot keeps between starts, one text value per key (table `bot_state`)."""

from __future__ import annotations

import time

from bot.store.db import Database


class BotState:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, key: str) -> str | None:
        row = await self.db.fetchone("SELECT value FROM bot_state WHERE key = ?", (key,))
        return None if row is None else str(row["value"])

    async def put(self, key: str, value: str) -> None:
        await self.db.execute(
            "INSERT INTO bot_state (key, value, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            (key, value, time.time()),
        )

    async def put_new(self, key: str, value: str) -> bool:
        """Set `key` only when it is absent; whether this call set it. A compare-and-set: of several
        processes asking at once, exactly one gets True (a warning told once, not once per process)."""
        added = await self.db.execute_one(
            "INSERT INTO bot_state (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING",
            (key, value, time.time()),
        )
        return added > 0

    async def forget(self, key: str) -> None:
        await self.db.execute("DELETE FROM bot_state WHERE key = ?", (key,))
