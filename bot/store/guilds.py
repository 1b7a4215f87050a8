"""What a guild's admins configured: credit limits (`/admin quota limit`) and settings (`/admin settings`)."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from bot.settings import Limit
from bot.store.base import Transaction
from bot.store.db import Database
from bot.store.statements import POSTGRESQL

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
    #: Private results (issue 18): None or "allow" (members choose), "forbid", "force".
    private_mode: str | None = None
    #: Where job and admin lines are posted (`/admin settings audit_channel:`); None: nowhere.
    audit_channel_id: int | None = None
    #: The safety tolerance of age-restricted channels (under MAX_SAFETY_TOLERANCE); None: as elsewhere.
    nsfw_safety_tolerance: int | None = None
    #: The server's language (bot/i18n), for members whose client speaks none the bot does.
    language: str | None = None


#: The values of `GuildSettings.private_mode` (`/admin settings private:`).
PRIVATE_MODES = ("allow", "forbid", "force")


@dataclass(frozen=True, slots=True)
class LimitRow:
    scope: LimitScope
    target_id: int
    amount: Limit


def _limit(text: str | None) -> Limit:
    return Decimal(text) if text is not None else None


@dataclass(frozen=True, slots=True)
class GuildConfig:
    settings: GuildSettings
    limits: dict[tuple[str, int], Limit]


#: On PostgreSQL: the NOTIFY channel of guild changes, one per schema (bot/store/guild_changes.py
#: listens to it), and what every write here sends on it (the guild's id).
CHANGES_CHANNEL = "SELECT 'fluxbot_guilds_' || current_schema()"
_CHANGED = "SELECT pg_notify('fluxbot_guilds_' || current_schema(), ?)"


class GuildStore:
    """Reads are served from a small per-guild cache (a hold must not pay two queries for rules that
    change a few times a month); every write here drops the guild's entry, and entries expire after
    `ttl` seconds in case another process edited the file.

    On PostgreSQL every write also sends a NOTIFY (`_CHANGED`, the guild's id), and each
    process listens (bot/store/guild_changes.py, `following`): another process's change drops the
    entry as soon as it is heard, a few milliseconds after its commit. While a process is not
    listening (connecting, its connection lost) it caches nothing: each read goes to the store."""

    def __init__(self, db: Database, *, ttl: float = 30.0) -> None:
        self.db = db
        self.ttl = ttl
        self._cache: dict[int, tuple[float, GuildConfig]] = {}
        #: PostgreSQL: whether other processes' changes are heard now (False: cache nothing);
        #: None where nobody listens (SQLite, one process: its own writes drop the entries).
        self.following: bool | None = None
        self._generation = 0  # bumped by every `forget`: a read that raced one is not cached

    async def config(self, guild_id: int, *, conn: Transaction | None = None) -> GuildConfig:
        cached = self._cache.get(guild_id)
        now = time.monotonic()
        if cached is not None and cached[0] > now:
            return cached[1]
        generation = self._generation
        settings_sql = "SELECT * FROM guild_settings WHERE guild_id = ?"
        limits_sql = "SELECT scope, target_id, amount FROM quota_limits WHERE guild_id = ?"
        if conn is None:
            rows = await self.db.fetchall(settings_sql, (guild_id,))
            limit_rows = await self.db.fetchall(limits_sql, (guild_id,))
        else:
            rows = await conn.fetchall(settings_sql, (guild_id,))
            limit_rows = await conn.fetchall(limits_sql, (guild_id,))
        config = GuildConfig(
            _settings(guild_id, rows[0] if rows else None),
            {(r["scope"], int(r["target_id"])): _limit(r["amount"]) for r in limit_rows},
        )
        if generation == self._generation and self.following is not False:
            self._cache[guild_id] = (now + self.ttl, config)
        return config

    def forget(self, guild_id: int | None = None) -> None:
        """Drop the guild's entry (None: every entry)."""
        self._generation += 1
        if guild_id is None:
            self._cache.clear()
        else:
            self._cache.pop(guild_id, None)

    @asynccontextmanager
    async def _changing(self, guild_id: int) -> AsyncIterator[Transaction]:
        """A write of the guild's rules: its transaction, which on PostgreSQL also tells every other
        process (a NOTIFY is delivered when, and only if, its transaction commits: no process can
        miss a change that was stored). The entry here is dropped before and after."""
        self.forget(guild_id)
        async with self.db.transaction() as conn:
            yield conn
            if self.db.dialect == POSTGRESQL:
                await conn.execute(_CHANGED, (str(guild_id),))
        self.forget(guild_id)

    # -- settings ---------------------------------------------------------------------------------

    async def settings(self, guild_id: int | None, *, conn: Transaction | None = None) -> GuildSettings:
        if guild_id is None:
            return GuildSettings(0)
        return (await self.config(guild_id, conn=conn)).settings

    async def save_settings(self, new: GuildSettings, *, actor_id: int | None) -> None:
        async with self._changing(new.guild_id) as conn:
            await conn.execute(
                """INSERT INTO guild_settings (guild_id, default_model, allowed_models, max_safety_tolerance,
                                               allowed_channels, quota_period, private_mode,
                                               audit_channel_id, nsfw_safety_tolerance, language, actor_id,
                                               updated_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (guild_id) DO UPDATE SET
                       default_model = excluded.default_model, allowed_models = excluded.allowed_models,
                       max_safety_tolerance = excluded.max_safety_tolerance,
                       allowed_channels = excluded.allowed_channels, quota_period = excluded.quota_period,
                       private_mode = excluded.private_mode,
                       audit_channel_id = excluded.audit_channel_id,
                       nsfw_safety_tolerance = excluded.nsfw_safety_tolerance,
                       language = excluded.language,
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
                    new.private_mode,
                    new.audit_channel_id,
                    new.nsfw_safety_tolerance,
                    new.language,
                    actor_id,
                    time.time(),
                ),
            )

    async def audit_channels(self) -> dict[int, int]:
        """Every server with an audit channel: guild id → channel id."""
        rows = await self.db.fetchall(
            "SELECT guild_id, audit_channel_id FROM guild_settings WHERE audit_channel_id IS NOT NULL"
        )
        return {int(r["guild_id"]): int(r["audit_channel_id"]) for r in rows}

    async def settings_actor(self, guild_id: int) -> int | None:
        """Who last changed this server's settings (told when its audit channel is lost)."""
        row = await self.db.fetchone("SELECT actor_id FROM guild_settings WHERE guild_id = ?", (guild_id,))
        return int(row["actor_id"]) if row is not None and row["actor_id"] is not None else None

    # -- limits -----------------------------------------------------------------------------------

    async def set_limit(
        self, guild_id: int, scope: LimitScope, target_id: int, amount: Limit, *, actor_id: int | None
    ) -> None:
        async with self._changing(guild_id) as conn:
            await conn.execute(
                """INSERT INTO quota_limits (guild_id, scope, target_id, amount, actor_id, updated_at)
                   VALUES (?, ?, ?, ?, ?, ?)
                   ON CONFLICT (guild_id, scope, target_id) DO UPDATE SET
                       amount = excluded.amount, actor_id = excluded.actor_id,
                       updated_at = excluded.updated_at""",
                (guild_id, scope, target_id, None if amount is None else str(amount), actor_id, time.time()),
            )

    async def clear_limit(self, guild_id: int, scope: LimitScope, target_id: int) -> bool:
        async with self._changing(guild_id) as conn:
            removed = (
                await conn.execute(
                    "DELETE FROM quota_limits WHERE guild_id = ? AND scope = ? AND target_id = ?",
                    (guild_id, scope, target_id),
                )
                > 0
            )
        return removed

    async def limits_for(
        self,
        guild_id: int,
        user_id: int,
        role_ids: Sequence[int],
        *,
        conn: Transaction | None = None,
    ) -> list[LimitRow]:
        """Every limit that may apply to this member: theirs, their roles', the guild's default and budget."""
        limits = (await self.config(guild_id, conn=conn)).limits
        wanted: list[tuple[LimitScope, int]] = [("member", user_id), ("default", 0), ("guild", 0)]
        wanted += [("role", r) for r in role_ids]
        return [LimitRow(scope, t, limits[(scope, t)]) for scope, t in wanted if (scope, t) in limits]

    async def all_limits(self, guild_id: int) -> list[LimitRow]:
        rows = await self.db.fetchall(
            "SELECT scope, target_id, amount FROM quota_limits WHERE guild_id = ? ORDER BY scope, target_id",
            (guild_id,),
        )
        return [LimitRow(r["scope"], int(r["target_id"]), _limit(r["amount"])) for r in rows]


def _settings(guild_id: int, row: Any) -> GuildSettings:
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
        private_mode=row["private_mode"],
        audit_channel_id=int(row["audit_channel_id"]) if row["audit_channel_id"] is not None else None,
        nsfw_safety_tolerance=row["nsfw_safety_tolerance"],
        language=row["language"],
    )
