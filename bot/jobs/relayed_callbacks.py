"""Callbacks other processes relayed, handed to the jobs this one drives (PostgreSQL only).

A callback can reach a process that does not drive its job (a gateway, another worker): read
there, its body is kept in the store and announced by NOTIFY (`CallbackDesk`, bot/jobs/callbacks.py).
Imported on PostgreSQL only (bot/jobs/shared_scheduler.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from bot.jobs.callbacks import CallbackDesk
from bot.jobs.model import Job, JobState
from bot.store.claims import ClaimStore

log = logging.getLogger(__name__)


class RelayedCallbacks:
    """Shared claims: the callbacks other processes relayed (bot/store/claims.py), handed to the jobs
    this process drives — when NOTIFY says one came (`heard`), and when it claims a job that was
    already submitted (`claimed`: a late callback may have come while nobody drove it)."""

    def __init__(self, store: ClaimStore, desk: CallbackDesk, driven: Callable[[str], Job | None]) -> None:
        self.store = store
        self.desk = desk
        self.driven = driven
        self._seen: dict[str, int] = {}  # job id → the last relayed callback handed over
        self._tasks: set[asyncio.Task[None]] = set()

    def heard(self, job_id: str) -> None:
        if self.driven(job_id) is not None:
            self._spawn([job_id])

    def claimed(self, jobs: list[Job]) -> None:
        started = [job.id for job in jobs if job.state in (JobState.SUBMITTING, JobState.RUNNING)]
        if started:
            self._spawn(started)

    def _spawn(self, job_ids: list[str]) -> None:
        task = asyncio.create_task(self._hand_over(job_ids), name="fluxbot-relayed-callbacks")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _hand_over(self, job_ids: list[str]) -> None:
        try:
            relayed = await self.store.relayed(job_ids)
        except Exception as exc:  # polling is the fallback
            log.warning("reading relayed callbacks failed (%s)", type(exc).__name__)
            return
        for number, job_id, body in relayed:
            job = self.driven(job_id)
            if job is None or number <= self._seen.get(job_id, 0):
                continue
            self._seen[job_id] = number
            self.desk.take(job, body)
        if len(self._seen) > 10_000:
            self._seen = {j: n for j, n in self._seen.items() if self.driven(j) is not None}
