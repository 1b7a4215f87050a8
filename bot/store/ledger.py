"""The append-only quota ledger. Usage is derived from entries, never stored as a running total."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import aiosqlite

from bot.store.db import Database

ZERO = Decimal(0)


@dataclass(slots=True)
class Usage:
    """A member's (or a guild's) standing in one period."""

    used: Decimal = ZERO  # real charges, less resets
    held: Decimal = ZERO  # estimates of jobs not yet charged or released
    granted: Decimal = ZERO  # one-off credit added to the limit
    open_holds: dict[str, Decimal] = field(default_factory=dict)

    @property
    def committed(self) -> Decimal:
        return self.used + self.held


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    kind: str
    amount: Decimal
    job_id: str | None
    model: str | None
    created_at: float
    note: str | None


def summarize(rows: Sequence[Any]) -> Usage:
    usage = Usage()
    closed: set[str] = set()
    holds: dict[str, Decimal] = {}
    for row in rows:
        kind, amount, job_id = row["kind"], Decimal(row["amount"]), row["job_id"]
        if kind == "charge":
            usage.used += amount
            closed.add(job_id)
        elif kind == "release":
            closed.add(job_id)
        elif kind == "hold":
            holds[job_id] = amount
        elif kind == "grant":
            usage.granted += amount
        elif kind == "reset":
            usage.used -= amount
    usage.open_holds = {job: amount for job, amount in holds.items() if job not in closed}
    usage.held = sum(usage.open_holds.values(), ZERO)
    return usage


class Ledger:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- writes, inside the caller's transaction -------------------------------------------------

    async def add(
        self,
        conn: aiosqlite.Connection,
        kind: str,
        amount: Decimal,
        *,
        period: str,
        guild_id: int | None,
        user_id: int | None,
        job_id: str | None = None,
        provider: str | None = None,
        model: str | None = None,
        size: str | None = None,
        actor_id: int | None = None,
        note: str | None = None,
    ) -> None:
        await conn.execute(
            """INSERT INTO ledger (kind, guild_id, user_id, job_id, amount, period, provider, model, size,
                                   actor_id, note, created_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            (
                kind,
                guild_id,
                user_id,
                job_id,
                str(amount),
                period,
                provider,
                model,
                size,
                actor_id,
                note,
                time.time(),
            ),
        )

    async def hold_of(self, conn: aiosqlite.Connection, job_id: str) -> aiosqlite.Row | None:
        async with conn.execute(
            "SELECT * FROM ledger WHERE job_id = ? AND kind = 'hold'", (job_id,)
        ) as cursor:
            return await cursor.fetchone()

    async def closed(self, conn: aiosqlite.Connection, job_id: str) -> bool:
        async with conn.execute(
            "SELECT 1 FROM ledger WHERE job_id = ? AND kind IN ('charge', 'release')", (job_id,)
        ) as cursor:
            return await cursor.fetchone() is not None

    # -- reads ------------------------------------------------------------------------------------

    async def member_usage(
        self, guild_id: int | None, user_id: int, period: str, *, conn: aiosqlite.Connection | None = None
    ) -> Usage:
        sql = "SELECT kind, amount, job_id FROM ledger WHERE guild_id IS ? AND user_id = ? AND period = ?"
        return summarize(await self._rows(sql, (guild_id, user_id, period), conn))

    async def guild_usage(
        self, guild_id: int, period: str, *, conn: aiosqlite.Connection | None = None
    ) -> Usage:
        sql = "SELECT kind, amount, job_id FROM ledger WHERE guild_id = ? AND period = ? AND kind != 'grant'"
        return summarize(await self._rows(sql, (guild_id, period), conn))

    async def last_price(self, provider: str, model: str, size: str | None) -> Decimal | None:
        """The most recent real charge for this provider, model and size."""
        row = await self.db.fetchone(
            """SELECT amount FROM ledger WHERE kind = 'charge' AND provider = ? AND model = ? AND size IS ?
               ORDER BY id DESC LIMIT 1""",
            (provider, model, size),
        )
        return Decimal(row["amount"]) if row else None

    async def recent_entries(
        self, guild_id: int | None, user_id: int, *, kinds: Sequence[str] = ("charge",), limit: int = 5
    ) -> list[LedgerEntry]:
        marks = ",".join("?" * len(kinds))
        rows = await self.db.fetchall(
            f"""SELECT kind, amount, job_id, model, created_at, note FROM ledger
                WHERE guild_id IS ? AND user_id = ? AND kind IN ({marks})
                ORDER BY id DESC LIMIT ?""",  # noqa: S608 - only placeholders are interpolated
            (guild_id, user_id, *kinds, limit),
        )
        return [
            LedgerEntry(r["kind"], Decimal(r["amount"]), r["job_id"], r["model"], r["created_at"], r["note"])
            for r in rows
        ]

    async def _rows(self, sql: str, params: Sequence[Any], conn: aiosqlite.Connection | None) -> list[Any]:
        if conn is None:
            return await self.db.fetchall(sql, params)
        async with conn.execute(sql, params) as cursor:
            return list(await cursor.fetchall())
