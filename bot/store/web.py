"""What the web dashboard reads and writes (bot/dashboard/): sign-in links, sessions, a member's
images a page at a time, a server's usage per day and its live queue. Migration 0016.

Tokens and session ids are never stored: only their SHA-256 (`digest`), so a copy of the database
signs nobody in.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from bot.jobs.model import UNFINISHED_STATES
from bot.store.base import Database
from bot.store.ledger import from_units


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class WebSession:
    user_id: int
    guild_ids: tuple[int, ...]
    expires_at: float


@dataclass(frozen=True, slots=True)
class GalleryItem:
    """One of a member's stored images, as "My images" shows it."""

    id: str
    seq: int
    model: str
    prompt: str
    seed: int | None
    width: int | None
    height: int | None
    cost: Decimal | None
    created_at: float
    channel_id: int | None
    result_message_id: int | None
    result_path: str
    #: As asked, when the provider reported no pixel size: "1376x768", "16:9", ...
    requested_size: str | None = None


@dataclass(frozen=True, slots=True)
class QueuedJob:
    id: str
    state: str
    model: str
    user_id: int
    created_at: float
    estimate: Decimal


@dataclass(frozen=True, slots=True)
class DailyCharge:
    """Credits charged in one UTC day (`day`: days since 1970-01-01) for one model."""

    day: int
    model: str
    credits: Decimal


def requested_size(params: str) -> str | None:
    """The size a job asked for, from its stored request (no images in it: a few hundred bytes)."""
    try:
        body = json.loads(params).get("body") or {}
    except (ValueError, AttributeError):
        return None
    if body.get("width") and body.get("height"):
        return f"{body['width']}×{body['height']}"
    size = body.get("size") or body.get("aspect_ratio")
    return str(size) if size else None


#: A server's charges since a moment: through `ledger_charges_by_guild_time`, which holds charges only
#: (migration 0028: holds, releases and grants are not written into it).
DAILY_CHARGES = (
    "SELECT model, created_at, units FROM ledger WHERE guild_id = ? AND kind = 'charge' AND created_at >= ?"
)


class WebStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- sign-in links ----------------------------------------------------------------------------

    async def add_link(self, token: str, user_id: int, guild_id: int, *, lifetime: float) -> None:
        now = time.time()
        await self.db.execute(
            "INSERT INTO web_login_links (token_hash, user_id, guild_id, created_at, expires_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (digest(token), user_id, guild_id, now, now + lifetime),
        )

    async def redeem_link(self, token: str) -> tuple[int, int] | None:
        """(member, server) of a valid, unused link, which is used up by this call; else None.

        One compare-and-set: two browsers racing with the same link get one session between them.
        """
        now = time.time()
        key = digest(token)
        used = await self.db.execute_one(
            "UPDATE web_login_links SET used_at = ? WHERE token_hash = ? AND used_at IS NULL"
            " AND expires_at > ?",
            (now, key, now),
        )
        if used != 1:
            return None
        row = await self.db.fetchone(
            "SELECT user_id, guild_id FROM web_login_links WHERE token_hash = ?", (key,)
        )
        return (int(row["user_id"]), int(row["guild_id"])) if row else None

    async def link_usable(self, token: str) -> bool:
        row = await self.db.fetchone(
            "SELECT 1 FROM web_login_links WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?",
            (digest(token), time.time()),
        )
        return row is not None

    async def forget_expired(self, *, before: float) -> None:
        """Links and sessions that expired before `before` (they open nothing already): rows gone."""
        await self.db.execute("DELETE FROM web_login_links WHERE expires_at < ?", (before,))
        await self.db.execute("DELETE FROM web_sessions WHERE expires_at < ?", (before,))

    # -- sessions ---------------------------------------------------------------------------------

    async def add_session(
        self, session_id: str, user_id: int, guild_ids: Sequence[int], *, lifetime: float
    ) -> None:
        now = time.time()
        await self.db.execute(
            "INSERT INTO web_sessions (id_hash, user_id, guild_ids, created_at, expires_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (digest(session_id), user_id, json.dumps([str(g) for g in guild_ids]), now, now + lifetime),
        )

    async def session(self, session_id: str) -> WebSession | None:
        row = await self.db.fetchone(
            "SELECT user_id, guild_ids, expires_at FROM web_sessions"
            " WHERE id_hash = ? AND ended_at IS NULL AND expires_at > ?",
            (digest(session_id), time.time()),
        )
        if row is None:
            return None
        guilds = tuple(int(g) for g in json.loads(row["guild_ids"]))
        return WebSession(int(row["user_id"]), guilds, float(row["expires_at"]))

    async def end_session(self, session_id: str) -> None:
        await self.db.execute(
            "UPDATE web_sessions SET ended_at = ? WHERE id_hash = ? AND ended_at IS NULL",
            (time.time(), digest(session_id)),
        )

    # -- "My images" ------------------------------------------------------------------------------

    async def gallery(
        self,
        guild_id: int,
        user_id: int,
        *,
        before: int | None = None,
        model: str | None = None,
        search: str | None = None,
        limit: int = 24,
    ) -> list[GalleryItem]:
        """A page of the member's stored images in the server, newest first, older than `before`
        (a `seq`): keyset paging on the `jobs_by_member` index, as fast on page 400 as on page 1."""
        where = ["j.guild_id = ?", "j.user_id = ?", "j.result_path IS NOT NULL"]
        params: list[Any] = [guild_id, user_id]
        if before is not None:
            where.append("j.seq < ?")
            params.append(before)
        if model:
            where.append("j.model = ?")
            params.append(model)
        if search:
            where.append("LOWER(j.prompt) LIKE ? ESCAPE '\\'")
            escaped = search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            params.append(f"%{escaped}%")
        params.append(limit)
        columns = (
            "j.id, j.seq, j.model, j.prompt, j.seed, j.width, j.height, j.cost, j.created_at,"
            " j.channel_id, j.result_path, j.params, d.result_message_id"
        )
        clauses = " AND ".join(where)  # fixed clauses above; values only as ? parameters
        sql = f"SELECT {columns} FROM jobs j LEFT JOIN job_deliveries d ON d.job_id = j.id WHERE {clauses} ORDER BY j.seq DESC LIMIT ?"  # noqa: S608, E501
        rows = await self.db.fetchall(
            sql,
            params,
        )
        return [
            GalleryItem(
                id=r["id"],
                seq=int(r["seq"]),
                model=r["model"],
                prompt=r["prompt"],
                seed=r["seed"],
                width=r["width"],
                height=r["height"],
                cost=Decimal(r["cost"]) if r["cost"] is not None else None,
                created_at=float(r["created_at"]),
                channel_id=r["channel_id"],
                result_message_id=r["result_message_id"],
                result_path=r["result_path"],
                requested_size=None if r["width"] else requested_size(r["params"]),
            )
            for r in rows
        ]

    async def models_used(self, guild_id: int, user_id: int) -> list[str]:
        rows = await self.db.fetchall(
            "SELECT DISTINCT model FROM jobs WHERE guild_id = ? AND user_id = ? AND result_path IS NOT NULL"
            " ORDER BY model",
            (guild_id, user_id),
        )
        return [str(r["model"]) for r in rows]

    # -- operators --------------------------------------------------------------------------------

    async def queue(self, guild_id: int, *, limit: int = 100) -> list[QueuedJob]:
        """The server's jobs not yet finished, oldest first."""
        states = [s.value for s in UNFINISHED_STATES]
        marks = ",".join("?" * len(states))
        sql = f"SELECT id, state, model, user_id, created_at, estimate FROM jobs WHERE guild_id = ? AND state IN ({marks}) ORDER BY seq LIMIT ?"  # noqa: S608, E501
        rows = await self.db.fetchall(
            sql,
            (guild_id, *states, limit),
        )
        return [
            QueuedJob(
                r["id"],
                r["state"],
                r["model"],
                int(r["user_id"]),
                float(r["created_at"]),
                Decimal(r["estimate"]),
            )
            for r in rows
        ]

    async def daily_charges(self, guild_id: int, *, since: float) -> list[DailyCharge]:
        """Credits charged per UTC day and model since `since` (POSIX seconds)."""
        rows = await self.db.fetchall(DAILY_CHARGES, (guild_id, since))
        totals: dict[tuple[int, str], int] = {}
        for r in rows:
            key = (int(float(r["created_at"]) // 86400), str(r["model"] or "?"))
            totals[key] = totals.get(key, 0) + int(r["units"])
        return [DailyCharge(day, model, from_units(units)) for (day, model), units in sorted(totals.items())]
