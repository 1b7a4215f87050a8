"""The scheduler: the fair queue's clock and hands — which queued job starts when, and who hears of it.

It owns the in-memory index of queued jobs and provider slots (`FairQueue`, bot/jobs/queue.py),
rebuilt from the store at start: it never re-reads the table, so 2,000 jobs in flight cost one
pass over a list per completion, not a query. It knows nothing of how a job is driven: it calls
the `launch` hook it was started with for each job it lets start, and `announce` for each queue
position that changed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from bot.jobs.metrics import JobMetrics
from bot.jobs.model import Job
from bot.jobs.queue import FairQueue
from bot.jobs.waiting import wait_event

log = logging.getLogger(__name__)

#: Queue positions are re-announced at most this often (seconds).
POSITION_INTERVAL = 3.5
#: The scheduler makes a pass at least this often (seconds), woken or not.
PASS_INTERVAL = 1.0

Launch = Callable[[Job], None]
Announce = Callable[[Job], Awaitable[None]]


class Scheduler:
    def __init__(self, metrics: JobMetrics, *, max_active_per_user: int, concurrency: dict[str, int]) -> None:
        self.metrics = metrics
        self.queue = FairQueue(max_active_per_user=max_active_per_user, concurrency=concurrency)
        self._event = asyncio.Event()
        self._loop: asyncio.Task[None] | None = None
        self._positions_task: asyncio.Task[None] | None = None
        self._positions_due = 0.0
        self._launch: Launch = _not_started
        self._announce: Announce | None = None
        self._after_pass: Callable[[], None] = _nothing

    # -- lifetime ---------------------------------------------------------------------------------

    def bind(self, launch: Launch, announce: Announce, after_pass: Callable[[], None]) -> None:
        """The hooks upward: `launch` starts a job, `announce` tells its member its position."""
        self._launch, self._announce, self._after_pass = launch, announce, after_pass

    def start(self) -> None:
        """Start making passes."""
        self._loop = asyncio.create_task(self._run(), name="fluxbot-scheduler")
        self._event.set()

    async def stop(self) -> None:
        tasks = [t for t in (self._loop, self._positions_task) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._loop = None

    def poke(self) -> None:
        """Something changed (a job queued, a slot freed): make a pass now."""
        self._event.set()

    def poke_in(self, delay: float) -> None:
        asyncio.get_running_loop().call_later(delay, self._event.set)

    # -- the queue --------------------------------------------------------------------------------

    def __contains__(self, job_id: object) -> bool:
        return job_id in self.queue

    def __len__(self) -> int:
        return len(self.queue)

    def enqueue(self, job: Job) -> None:
        if self.queue.enqueue(job):
            self.gauge(job.provider)

    def dequeue(self, job: Job) -> None:
        if self.queue.dequeue(job):
            self.gauge(job.provider)

    def hold_back(self, job_id: str, delay: float) -> None:
        """Not before `delay` seconds from now (its provider said 429)."""
        self.queue.hold_back(job_id, time.monotonic() + delay)

    def clear_hold(self, job_id: str) -> None:
        self.queue.clear_hold(job_id)

    def take_slot(self, job: Job) -> None:
        if self.queue.take_slot(job):
            self.gauge(job.provider)

    def release_slot(self, job: Job) -> None:
        if self.queue.release_slot(job):
            self.gauge(job.provider)
            self._event.set()

    def gauge(self, provider: str) -> None:
        """Bring a provider's queue-length and in-flight gauges up to date."""
        self.metrics.queue_length.labels(provider).set(self.queue.length(provider))
        self.metrics.in_flight.labels(provider).set(self.queue.in_flight(provider))

    # -- passes -----------------------------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            self._event.clear()
            try:
                self._pass()
            except Exception:
                log.exception("scheduler pass failed")
            await wait_event(self._event, PASS_INTERVAL)

    def _pass(self) -> None:
        """Start the queued jobs the fair queue lets start now (see `FairQueue.take`)."""
        for provider, jobs in self.queue.take(time.monotonic()).items():
            for job in jobs:  # in arrival order: the oldest reaches the provider's rate limiter first
                self._launch(job)
            self.gauge(provider)
            self.mark_positions()
        self._after_pass()

    # -- positions, as members see them -----------------------------------------------------------

    def mark_positions(self) -> None:
        """Queue positions moved: tell the members, at most every few seconds, only what changed."""
        if self._positions_task is not None and not self._positions_task.done():
            return
        self._positions_task = asyncio.create_task(self._announce_positions(), name="fluxbot-positions")

    async def _announce_positions(self) -> None:
        delay = self._positions_due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        self._positions_due = time.monotonic() + POSITION_INTERVAL
        if self._announce is None:
            return
        for provider in self.queue.providers():
            for index, job in enumerate(self.queue.waiting(provider)):
                position = index + 1
                if job.queue_position != position and job.id in self.queue:
                    job.queue_position = position
                    await self._announce(job)


def _not_started(job: Job) -> None:
    raise RuntimeError(f"job {job.id}: the scheduler was not started")


def _nothing() -> None:
    return None
