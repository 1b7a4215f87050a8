"""Claims: which jobs this process drives, and for how long it may act for them.

One interface, `Claims`, two implementations:

- `LocalClaims` (SQLite, one process): this process drives every job of its origins; claiming is
  the in-memory fair queue's business (bot/jobs/queue.py) and every method here is free.
- `SharedClaims` (PostgreSQL, bot/jobs/worker.py): this process is one worker among several. It
  claims jobs in the store (bot/store/claims.py) under the global limits, holds them with a lease it
  renews, releases each when its drive ends, and is told by NOTIFY what the others did.

The parts call only this interface: `Runs` releases a job when its drive ends (`release`), the
`Driver` and `Handoff` ask `fence` right before an act that cannot be taken back (a paid submit, a
post), the manager announces new and cancelled jobs (`announce`).
"""

from __future__ import annotations

from bot.jobs.model import Job
from bot.store.jobs import StaleJobState, Transition


class ClaimLost(StaleJobState):
    """This process may no longer act for the job: its lease ran out, and another worker may have
    taken the job over. The drive leaves it (as for any stale state); the job is not lost."""


class Claims:
    """What the job core asks about claims (see the module docstring). The base is `LocalClaims`."""

    #: Jobs are claimed in the store and shared with other processes.
    shared: bool = False

    async def start(self) -> None:
        """Begin: on PostgreSQL, register this worker, its lease and its wake-ups."""

    async def stop(self, *, release: bool = True) -> None:
        """End: on PostgreSQL, give this worker's jobs back (`release=False`: just drop the
        connection, as a process that dies does)."""

    @property
    def holder(self) -> str | None:
        """The id a job's `claimed_by` must name for this process to act for it; None: no claims
        (SQLite, one process)."""
        return None

    def fence(self, job: Job) -> None:
        """Raise `ClaimLost` when this process may no longer act for `job` (before a paid submit or a
        post)."""

    async def release(self, job: Job) -> None:
        """The job's drive here ended (finished, back in the queue, or left): others may take it."""

    async def end_delivered(self, move: Transition, ids: dict[str, int]) -> bool:
        """End a delivered job here, with its posted messages' `ids` and its release, in one store
        statement; False: not here (no claims), the caller stores the end itself. Raises
        `StaleJobState` when another writer moved the job first (its release then comes as usual)."""
        return False

    async def announce(self, event: str = "poke") -> None:
        """Tell the processes that drive jobs: a job was queued or cancelled, a slot was freed."""


class LocalClaims(Claims):
    """SQLite, one process: every job of this process's origins is its own; nothing to claim."""
