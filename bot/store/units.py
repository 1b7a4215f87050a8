"""Store units of a job's life: plain functions run in the store's thread by `Database.atomic`.

Each is one atomic unit (its own savepoint, group-committed with the other units of the moment);
none may await. The job core builds the statements first, then runs one of these.
"""

from __future__ import annotations

import sqlite3
from typing import Protocol

from bot.errors import QueueFull
from bot.jobs.model import Job
from bot.store.db import Statement
from bot.store.files import StoredInput
from bot.store.jobs import Transition, count_unfinished, insert_job


class HoldWrite(Protocol):
    """A prepared quota hold (`bot.quota.Hold`): appends itself if it fits the limits."""

    def write(self, conn: sqlite3.Connection) -> bool: ...


class HoldRefused(Exception):
    """The hold did not fit: roll the unit back (`Database.atomic` does, on any exception)."""


def store_new_job(
    conn: sqlite3.Connection, job: Job, images: list[StoredInput], queue_limit: int | None, hold: HoldWrite
) -> None:
    """In the store's thread, atomically: check the member's queue, insert the job, write its hold.

    Raises `QueueFull`, or `HoldRefused` when the hold does not fit the limits (the caller says
    why); either way the unit is rolled back: nothing was stored or held. A `Database.atomic`
    unit; `JobManager.submit` runs it (and benchmarks/quota_throughput.py, to measure it).
    """
    if queue_limit is not None:
        waiting = count_unfinished(conn, job.user_id)
        if waiting >= queue_limit:
            raise QueueFull(
                f"You already have {waiting} jobs queued or running. "
                "Wait for one to finish (see `/jobs`) and try again."
            )
    insert_job(conn, job, images)  # first: the hold refers to it
    if not hold.write(conn):
        raise HoldRefused


def move_and_close(conn: sqlite3.Connection, move: Transition, close: Statement) -> None:
    """In the store's thread, atomically: a job's state change and its charge (or release)."""
    move.write(conn)  # raises StaleJobState (rolling the unit back) if another task moved it first
    conn.execute(*close)
