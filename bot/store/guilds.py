"""What a guild's admins configured: credit limits (`/admin quota limit`) and settings (`/admin settings`)."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

import aiosqlite

from bot.settings import Limit
from bot.store.db import Database

LimitScope = Literal["member", "role", "default", "guild"]


@dataclass(frozen=True, slots=True)
class GuildSettings:
    """A guild's own settings; None everywhere means "as configured for the whole bot"."""

    guild_id: int
    default_model: str | None = None
    allowed_models: tuple[str, ...] | None = None
    max_safety_tolerance: int | None = None
    allowed_channels: tuple[int, ...] | None = None
    quota_period: str | None = None


@dataclass(frozen=True, slots=True)
class LimitRow:
    scope: LimitScope
    target_id: int
    amount: Limit


def _limit(text: str | None) -> Limit:
    return Decimal(text) if text is not None else None


class GuildStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- settings ---------------------------------------------------------------------------------

    async def settings(
        self, guild_id: int | None, *, conn: aiosqlite.Connection | None = None
    ) -> GuildSettings:
        if guild_id is None:
            return GuildSettings(0)
        sql = "SELECT * FROM guild_settings WHERE guild_id = ?"
        if conn is None:
            row = await self.db.fetchone(sql, (guild_id,))
        else:
            async with conn.execute(sql, (guild_id,)) as cursor:
                row = await cursor.fetchone()
        if row is None:
            return GuildSettings(guild_id)
        return GuildSettings(
            guild_id=guild_id,
            default_model=row["default_model"],
            allowed_models=tuple(json.loads(row["allowed_models"])) if row["allowed_models"] else None,
            max_safety_tolerance=row["max_safety_tolerance"],
            allowed_channels=tuple(int(c) for c in json.loads(row["allowed_channels"]))
            if row["allowed_channels"]
            else None,
            quota_period=row["quota_period"],
        )

    async def save_settings(self, new: GuildSettings, *, actor_id: int | None) -> None:
        await self.db.execute(
            """INSERT INTO guild_settings (guild_id, default_model, allowed_models, max_safety_tolerance,
                                           allowed_channels, quota_period, actor_id, updated_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (guild_id) DO UPDATE SET
                   default_model = excluded.default_model, allowed_models = excluded.allowed_models,
                   max_safety_tolerance = excluded.max_safety_tolerance,
                   allowed_channels = excluded.allowed_channels, quota_period = excluded.quota_period,
                   actor_id = excluded.actor_id, updated_at = excluded.updated_at""",
            (
                new.guild_id,
                new.default_model,
                json.dumps(list(new.allowed_models)) if new.allowed_models is not None else None,
                new.max_safety_tolerance,
                json.dumps([str(c) for c in new.allowed_channels])
                if new.allowed_channels is not None
                else None,
                new.quota_period,
                actor_id,
                time.time(),
            ),
        )

    # -- limits -----------------------------------------------------------------------------------

    async def set_limit(
        self, guild_id: int, scope: LimitScope, target_id: int, amount: Limit, *, actor_id: int | None
    ) -> None:
        await self.db.execute(
            """INSERT INTO quota_limits (guild_id, scope, target_id, amount, actor_id, updated_at)
               VALUES (?, ?, ?, ?, ?, ?)
               ON CONFLICT (guild_id, scope, target_id) DO UPDATE SET
                   amount = excluded.amount, actor_id = excluded.actor_id,
                   updated_at = excluded.updated_at""",
            (guild_id, scope, target_id, str(amount) if amount is not None else None, actor_id, time.time()),
        )

    async def clear_limit(self, guild_id: int, scope: LimitScope, target_id: int) -> bool:
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "DELETE FROM quota_limits WHERE guild_id = ? AND scope = ? AND target_id = ?",
                (guild_id, scope, target_id),
            )
            return cursor.rowcount > 0

    async def limits_for(
        self,
        guild_id: int,
        user_id: int,
        role_ids: Sequence[int],
        *,
        conn: aiosqlite.Connection | None = None,
    ) -> list[LimitRow]:
        """Every limit that may apply to this member: theirs, their roles', the guild's default and budget."""
        marks = ",".join("?" * len(role_ids)) or "NULL"
        sql = f"""SELECT scope, target_id, amount FROM quota_limits WHERE guild_id = ? AND (
                      (scope = 'member' AND target_id = ?) OR scope IN ('default', 'guild')
                      OR (scope = 'role' AND target_id IN ({marks})))"""  # noqa: S608 - placeholders only
        params: tuple[Any, ...] = (guild_id, user_id, *role_ids)
        if conn is None:
            rows = await self.db.fetchall(sql, params)
        else:
            async with conn.execute(sql, params) as cursor:
                rows = list(await cursor.fetchall())
        return [LimitRow(r["scope"], int(r["target_id"]), _limit(r["amount"])) for r in rows]

    async def all_limits(self, guild_id: int) -> list[LimitRow]:
        rows = await self.db.fetchall(
            "SELECT scope, target_id, amount FROM quota_limits WHERE guild_id = ? ORDER BY scope, target_id",
            (guild_id,),
        )
        return [LimitRow(r["scope"], int(r["target_id"]), _limit(r["amount"])) for r in rows]
