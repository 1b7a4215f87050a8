"""Store units of a job's life, run by `Database.atomic` (bot/store/statements.py: what a unit is).

Each is one atomic unit (on SQLite its own savepoint, group-committed with the other units of the
moment); none does I/O of its own. The job core builds the statements first, then runs one of these.
"""

from __future__ import annotations

from typing import Any, Protocol

from bot.errors import QueueFull
from bot.i18n import text
from bot.jobs.model import Job
from bot.store.db import Statement
from bot.store.deliveries import Delivery, delivery_after_job, insert_delivery, record_ids
from bot.store.files import StoredInput
from bot.store.jobs import Transition, count_unfinished, insert_job, with_queue_room
from bot.store.ledger import Close
from bot.store.statements import (
    Execute,
    Lock,
    Returning,
    Unit,
    locking,
    locks_taken,
    member_lock,
    one_statement,
)


class HoldWrite(Protocol):
    """A prepared quota hold (`bot.quota.Hold`): appends itself if it fits the limits."""

    @property
    def fits(self) -> Statement | None:
        """Its check alone, as the tail of an `INSERT .. SELECT` (`Ledger.hold_fits`), for the job's
        insert; None where the job goes in unchecked (SQLite: the unit's savepoint undoes a refusal)."""
        ...

    #: Its entry alone, as the second write of the job's insert (`Ledger.hold_entry`): the check,
    #: the job and the hold in one statement. None where the hold is its own statement (SQLite).
    entry: Statement | None

    def write(self) -> Unit[bool]: ...

    def locks(self) -> tuple[Lock, ...]:
        """What its check must have to itself (the member's lock; the guild's with a budget)."""
        ...


class HoldRefused(Exception):
    """The hold did not fit: roll the unit back (`Database.atomic` does, on any exception)."""


def _new_job_locks(job: Job, _images: object, _limit: object, hold: HoldWrite, *_: Any) -> tuple[Lock, ...]:
    return member_lock(job.user_id), *hold.locks()


def _close_locks(move: Transition, *_: object) -> tuple[Lock, ...]:
    return (member_lock(move.job.user_id),)


def _new_job_single_check(_job: Job, _images: object, _limit: object, hold: HoldWrite, *_: Any) -> bool:
    """Where the queue check, the job and its hold are one statement (PostgreSQL), the accept checks
    and writes the member's figures in that statement alone (`locking`)."""
    return hold.fits is not None and hold.entry is not None


@locking(_new_job_locks, single_check=_new_job_single_check)
def store_new_job(
    job: Job,
    images: list[StoredInput],
    queue_limit: int | None,
    hold: HoldWrite,
    delivery: Delivery | None = None,
) -> Unit[None]:
    """Atomically: check the member's queue, insert the job (and its Discord delivery), write its hold.

    Raises `QueueFull`, or `HoldRefused` when the hold does not fit the limits (the caller says
    why); either way the unit is rolled back: nothing was stored or held. On PostgreSQL it holds
    the member's lock (`member_lock`) and, when the hold checks a guild budget, the guild's
    (`guild_lock`): the queue count and the quota totals it checks are the latest committed, and
    no other process's hold can slip in.
    A `Database.atomic` unit; `JobManager.submit` runs it (and benchmarks/quota_throughput.py).
    """
    if hold.fits is not None and hold.entry is not None:
        # PostgreSQL: the queue check, the hold's check, the job, its hold and its delivery in one
        # statement, so a refused accept writes nothing (its batch goes on without a savepoint),
        # and accepts of one member may share a wave of their batch (`single_check`).
        then = [hold.entry] if delivery is None else [hold.entry, delivery_after_job(delivery)]
        fits = hold.fits if queue_limit is None else with_queue_room(hold.fits, job.user_id, queue_limit)
        if (yield from insert_job(job, images, only_if=(fits, then))):
            return
        if queue_limit is not None:  # refused: which check (the queue's first, as on SQLite)?
            waiting = yield from count_unfinished(job.user_id)  # still under the member's lock
            if waiting >= queue_limit:
                raise QueueFull(text("queue-full", waiting=waiting))
        raise HoldRefused
    if queue_limit is not None:
        waiting = yield from count_unfinished(job.user_id)
        if waiting >= queue_limit:
            raise QueueFull(text("queue-full", waiting=waiting))
    # SQLite: the job first (the hold refers to it), then the hold, which checks the limits as it
    # writes; a refusal rolls the unit back (its savepoint).
    yield from insert_job(job, images)
    if delivery is not None:
        yield from insert_delivery(delivery)
    if not (yield from hold.write()):  # checks again as it writes: the one atomic check
        raise HoldRefused


#: On PostgreSQL, a job's move and the close of its hold as one statement (`Close.after_move`
#: writes only when the move changed the job): one row, `_written` the jobs moved (0 or 1). It
#: takes its locks first (`locked`, read before `moved` runs: the job's row is not held while it
#: waits), so that alone it needs no transaction around it (`one_statement`); in a batch's
#: transaction, which took them already, that is at once.
_MOVE_THEN_CLOSE = """WITH locked AS MATERIALIZED ({locks}),
    moved AS ({move} RETURNING 1),
    closed AS ({close})
    SELECT (SELECT n FROM locked) AS _locks, (SELECT count(*) FROM moved) AS _written"""


@one_statement
@locking(_close_locks, single_check=lambda *_: True)
def move_and_close(move: Transition, close: Close) -> Unit[None]:
    """Atomically: a job's state change and its charge (or release). Holds the member's lock on
    PostgreSQL (its entry moves the member's totals row, which a hold checks under that lock).
    Raises `StaleJobState` (rolling the unit back: nothing charged) if another task moved the job
    first.

    On PostgreSQL one statement (`Close.after_move`), which takes the member's lock itself: a
    settle alone in its batch (jobs end one by one) is one round trip, where it was BEGIN with the
    lock, the statement and COMMIT."""
    if close.after_move is not None:
        close_sql, close_params = close.after_move
        locks_sql, locks_params = locks_taken(_close_locks(move))
        sql = _MOVE_THEN_CLOSE.format(locks=locks_sql, move=move.sql, close=close_sql)
        row = yield Returning(sql, (*locks_params, *move.params, *close_params), one_row=True)
        move.check(0 if row is None else 1)
        return
    yield from move.write()
    yield Execute(*close.statement)


def move_and_record(move: Transition, ids: dict[str, int]) -> Unit[None]:
    """Atomically: a delivered job's posted messages (their ids, `job_deliveries`) and its move to
    `delivered`: one unit where the sink's write and the move were two (SQLite; PostgreSQL ends such
    a job in one statement with its release, `ClaimStore.end_delivered`). Raises `StaleJobState`
    (rolling the ids back with it) if another writer moved the job first."""
    yield from record_ids(move.job.id, ids)
    yield from move.write()
