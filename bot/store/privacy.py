"""A member's data in one server: exported for them (`/privacy export`), erased on an admin's request
(`/admin privacy erase`).

Erasure deletes the member's prompts, result images and reference images there, as the retention
sweep does (`bot.store.retention`), and replaces the member's id by a pseudonym in their jobs and
in the quota ledger. The ledger stays append-only: the one update the database allows on it
(migration 0009) is a member id turned into a pseudonym, nothing else in the row, so every amount
and the server's totals stay exactly as they were. The pseudonym is a random negative number (no
Discord id is negative) and no table maps it back to the member: the `erasures` table records that
an erasure happened, when, by whom, and under which pseudonym, not whose.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.errors import InvalidInput
from bot.jobs.model import UNFINISHED_STATES
from bot.store.db import Database
from bot.store.jobs import JobRepository
from bot.store.presets import PresetStore, forget_controls
from bot.store.retention import SWEEP_BATCH, files_of, purge_rows, remove_files
from bot.store.statements import Execute, Lock, Query, Unit, guild_lock, locking, member_lock


def _when(timestamp: float | None) -> str | None:
    return datetime.fromtimestamp(timestamp, UTC).isoformat() if timestamp is not None else None


def _job_record(row: sqlite3.Row) -> dict[str, Any]:
    params = json.loads(row["params"])
    return {
        "id": row["id"],
        "created_at": _when(row["created_at"]),
        "finished_at": _when(row["finished_at"]),
        "state": row["state"],
        "model": row["model"],
        "provider": row["provider"],
        "prompt": row["prompt"],
        "options": params.get("options", {}),
        "seed": row["seed"],
        "width": row["width"],
        "height": row["height"],
        "estimate": row["estimate"],
        "cost": row["cost"],
        "error": row["error_message"],
        "parent_job_id": row["parent_job_id"],
        "deleted_at": _when(row["purged_at"]),  # prompt and images deleted (retention or erasure)
    }


def _ledger_record(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "kind": row["kind"],
        "amount": row["amount"],
        "period": row["period"],
        "job_id": row["job_id"],
        "model": row["model"],
        "note": row["note"],
        "created_at": _when(row["created_at"]),
    }


async def export_member(db: Database, guild_id: int, user_id: int) -> bytes:
    """The member's jobs (with prompts) and ledger entries in this server, as UTF-8 JSON."""
    jobs = await db.fetchall(
        # What a member gets of a job: no tokens, no provider internals.
        "SELECT id, state, model, provider, prompt, params, seed, width, height, estimate, cost,"
        " error_message, parent_job_id, created_at, finished_at, purged_at"
        " FROM jobs WHERE user_id = ? AND guild_id = ? ORDER BY seq",
        (user_id, guild_id),
    )
    entries = await db.fetchall(
        "SELECT kind, amount, period, job_id, model, note, created_at FROM ledger"
        " WHERE guild_id = ? AND user_id = ? ORDER BY id",
        (guild_id, user_id),
    )
    preset = await PresetStore(db).get(guild_id, user_id)
    document = {
        "exported_at": _when(time.time()),
        "server_id": str(guild_id),
        "member_id": str(user_id),
        "settings": preset.public(),  # `/settings`: the member's own defaults here
        "jobs": [_job_record(r) for r in jobs],
        "ledger": [_ledger_record(r) for r in entries],
    }
    return json.dumps(document, ensure_ascii=False, indent=1).encode()


@dataclass(frozen=True, slots=True)
class Erasure:
    jobs: int  # jobs whose prompt and files were deleted
    entries: int  # ledger entries pseudonymised
    freed: int  # bytes of files deleted
    pseudonym: int


def new_pseudonym() -> int:
    """A random negative 62-bit number: never a Discord id, never derived from the member's id."""
    return -(secrets.randbits(62) + 1)


_STATES = tuple(s.value for s in UNFINISHED_STATES)
#: The member's jobs in the server that still hold quota under their id.
UNFINISHED = f"SELECT COUNT(*) FROM jobs WHERE user_id = ? AND guild_id = ? AND state IN ({','.join('?' * len(_STATES))})"  # noqa: S608, E501


def _erasure_locks(guild_id: int, user_id: int, *_: object) -> tuple[Lock, ...]:
    return guild_lock(guild_id), member_lock(user_id)


@locking(_erasure_locks)
def _pseudonymise(
    guild_id: int,
    user_id: int,
    pseudonym: int,
    job_ids: Sequence[str],
    actor_id: int,
) -> Unit[int]:
    """A unit: purge the jobs, then the member's id becomes the pseudonym."""
    unfinished = yield Query(UNFINISHED, (user_id, guild_id, *_STATES), one=True)
    if unfinished[0]:
        raise ErasureBlocked("their files of finished jobs are already deleted")  # a job came in meanwhile
    now = time.time()
    for start in range(0, len(job_ids), SWEEP_BATCH):
        yield from purge_rows(job_ids[start : start + SWEEP_BATCH], now)
    yield Execute(
        "UPDATE jobs SET user_id = ? WHERE guild_id = ? AND user_id = ?", (pseudonym, guild_id, user_id)
    )
    entries = yield Execute(
        "UPDATE ledger SET user_id = ? WHERE guild_id = ? AND user_id = ?", (pseudonym, guild_id, user_id)
    )
    yield Execute(
        "UPDATE ledger SET actor_id = ? WHERE guild_id = ? AND actor_id = ?", (pseudonym, guild_id, user_id)
    )
    yield Execute("DELETE FROM member_presets WHERE guild_id = ? AND user_id = ?", (guild_id, user_id))
    yield Execute(
        "INSERT INTO erasures (guild_id, pseudonym, actor_id, jobs, created_at) VALUES (?, ?, ?, ?, ?)",
        (guild_id, pseudonym, actor_id, len(job_ids), now),
    )
    return int(entries)


class ErasureBlocked(InvalidInput):
    """The member has unfinished jobs in the server (they hold quota under the member's id)."""

    def __init__(self, done: str = "nothing was erased") -> None:
        super().__init__(
            "That member has jobs queued or running in this server. Erase again once they have "
            f"finished (queued ones can be cancelled from `/jobs`); {done}."
        )


async def erase_member(
    db: Database, jobs: JobRepository, guild_id: int, user_id: int, actor_id: int
) -> Erasure:
    """Delete the member's prompts and files in this server and pseudonymise their rows.

    Refused (`ErasureBlocked`, nothing changed) while they have unfinished jobs here: those still
    hold quota under the member's id. Files go first, then the rows in one unit, as in the sweep.
    """
    unfinished = await db.fetchone(UNFINISHED, (user_id, guild_id, *_STATES))
    if unfinished is not None and unfinished[0]:
        raise ErasureBlocked
    rows = await db.fetchall(
        "SELECT id, result_path FROM jobs WHERE user_id = ? AND guild_id = ?", (user_id, guild_id)
    )
    freed = await asyncio.to_thread(remove_files, await files_of(db, jobs, rows))
    pseudonym = new_pseudonym()
    job_ids = [r["id"] for r in rows]
    try:
        entries = await db.atomic(_pseudonymise, guild_id, user_id, pseudonym, job_ids, actor_id)
    finally:
        forget_controls(db, guild_id)  # the member's preset went
    return Erasure(len(job_ids), entries, freed, pseudonym)
