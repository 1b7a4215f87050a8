"""The scheduler of a worker on PostgreSQL: the queue is the jobs table, shared by every process.

The same face as `Scheduler` (bot/jobs/scheduler.py), so `Runs`, the `Driver` and the manager do
not tell them apart; but nothing is queued in memory. Each pass asks the store for the jobs this
worker may start now (`SharedClaims.claim`): jobs a dead worker left, in any state, then queued
jobs in arrival order per provider, within every process's provider slots and members' active
slots, for providers no 429 paused (bot/store/claims.py decides, under one lock). A pass runs when
poked — by NOTIFY from any process, this one included (a job queued, a slot freed while a job
waits, a worker gone) — and at least every `PASS_INTERVAL` as the fallback; at most one every
`PASS_GAP`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.jobs.callbacks import CallbackDesk
from bot.jobs.metrics import JobMetrics
from bot.jobs.model import Job
from bot.jobs.positions import Announce, SharedPositions
from bot.jobs.queue import DEFAULT_CONCURRENCY
from bot.jobs.relayed_callbacks import RelayedCallbacks
from bot.jobs.runs import Runs
from bot.jobs.scheduler import PASS_INTERVAL, Scheduler
from bot.jobs.shared_pacing import SharedPacing
from bot.jobs.unserved import End, UnservedWatch
from bot.jobs.waiting import wait_event
from bot.jobs.worker import SharedClaims
from bot.store.claims import TAKEOVER_BATCH, ClaimStore, Limits

log = logging.getLogger(__name__)

#: How often a worker looks for jobs it still claims but no longer drives (seconds).
STRAYS_INTERVAL = 5.0
#: The least time from one pass's start to the next one's (seconds): a poke after an idle spell is
#: answered at once; a stream of them (a job queued every 10 ms) by a pass every `PASS_GAP`, each
#: claiming what arrived meanwhile, instead of a transaction per job on every worker.
PASS_GAP = 0.05


class SharedScheduler(Scheduler):
    def __init__(
        self,
        metrics: JobMetrics,
        claims: SharedClaims,
        *,
        max_active_per_user: int,
        concurrency: dict[str, int],
        providers: Callable[[], list[str]],
        origins: Callable[[], list[str]],
        driven: Callable[[], set[str]],
    ) -> None:
        super().__init__(metrics, max_active_per_user=max_active_per_user, concurrency=concurrency)
        self.claims = claims
        self._providers = providers  # the providers this process can drive
        self._origins = origins  # the origins it delivers for (a registered sink each)
        self._driven = driven  # the jobs whose task runs here
        self._strays_due = 0.0
        self.on_claimed: Callable[[list[Job]], None] = _nothing
        self.unserved: UnservedWatch | None = None  # jobs of providers no live worker drives

    # -- nothing is queued in memory --------------------------------------------------------------

    def __contains__(self, job_id: object) -> bool:
        return False

    def __len__(self) -> int:
        return 0

    def enqueue(self, job: Job) -> None:
        """The job is queued in the store (its drive ended with it there, or it was accepted)."""
        self._event.set()

    def dequeue(self, job: Job) -> None:
        return None

    def hold_back(self, job_id: str, delay: float) -> None:
        return None  # the 429 pause is the provider's, in the store: no claim starts its jobs meanwhile

    def clear_hold(self, job_id: str) -> None:
        return None

    def gauge(self, provider: str) -> None:
        return None  # the deployment's queue and slots, counted in the store at each scrape

    def mark_positions(self) -> None:
        return None  # positions are read from the store when asked (`JobManager.queue_position`)

    # -- passes -----------------------------------------------------------------------------------

    def limits(self) -> Limits:
        queue = self.queue
        return Limits(
            concurrency={p: queue.concurrency.get(p, DEFAULT_CONCURRENCY) for p in self._providers()},
            max_active_per_user=queue.max_active_per_user,
            origins=tuple(self._origins()),
        )

    async def _run(self) -> None:
        while True:
            self._event.clear()
            started = time.monotonic()
            try:
                await self._claim_pass()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("claim pass failed (%s: %s)", type(exc).__name__, exc)
            self._after_pass()
            await wait_event(self._event, PASS_INTERVAL)
            # Poked again at once (jobs queued at 100/s, each one's NOTIFY heard by every worker):
            # the pokes of the next `PASS_GAP` are answered by one pass, which reads the store whole.
            gap = started + PASS_GAP - time.monotonic()
            if gap > 0:
                await asyncio.sleep(gap)

    async def _claim_pass(self) -> None:
        jobs = await self.claims.claim(self.limits())
        if jobs:  # the set of every job driven here: built only when a pass claimed something
            driven = self._driven()
            jobs = [job for job in jobs if job.id not in driven]
        for job in jobs:  # in arrival order: the oldest reaches the provider's rate limiter first
            self._launch(job)
        if jobs:
            self.on_claimed(jobs)
        if len(jobs) >= TAKEOVER_BATCH:
            self._event.set()  # a takeover is taken in batches: the next one at once
        if self.unserved is not None:
            await self.unserved.check(self.limits().origins)
        if time.monotonic() >= self._strays_due:
            self._strays_due = time.monotonic() + STRAYS_INTERVAL
            strays = await self.claims.strays()
            driven = self._driven() if strays else set()  # once: a set of every job driven here
            for job_id in strays:
                if job_id not in driven:
                    # Claimed here, driven nowhere (its release was refused): free it for the next claim.
                    await self.claims.give_back(job_id)
                    self._event.set()


def _nothing(_jobs: list[Job]) -> None:
    return None


def _ignore_id(_job_id: str) -> None:
    return None


@dataclass(slots=True)
class SharedParts:
    """The parts that make a `JobManager` one worker among several on PostgreSQL, and their wiring:
    claims with a lease, the shared queue's scheduler, the shared request budget, the queue positions
    of the jobs this process accepted, relayed callbacks, and what NOTIFY says to each (`notified`)."""

    store: ClaimStore
    claims: SharedClaims
    scheduler: SharedScheduler
    pacing: SharedPacing
    positions: SharedPositions
    relayed: RelayedCallbacks | None = None
    drop: Callable[[str], None] = _ignore_id

    @classmethod
    def build(
        cls,
        store: ClaimStore,
        metrics: JobMetrics,
        *,
        lease: float,
        max_active_per_user: int,
        concurrency: dict[str, int],
        rate_limits: dict[str, float] | None,
        providers: Callable[[], list[str]],
        origins: Callable[[], list[str]],
        driven: Callable[[], set[str]],
        grace: Callable[[], float],
    ) -> SharedParts:
        claims = SharedClaims(store, lease=lease, providers=providers)
        scheduler = SharedScheduler(
            metrics,
            claims,
            max_active_per_user=max_active_per_user,
            concurrency=concurrency,
            providers=providers,
            origins=origins,
            driven=driven,
        )
        scheduler.unserved = UnservedWatch(store, grace=grace)
        pacing = SharedPacing(metrics, store, rate_limits)
        return cls(store, claims, scheduler, pacing, SharedPositions(store))

    def wire(self, desk: CallbackDesk, runs: Runs, *, announce: Announce, end: End) -> None:
        """Once the manager built its callback desk and runs: who hears what."""
        self.drop = runs.drop_queued
        self.positions.bind(announce)
        if self.scheduler.unserved is not None:
            self.scheduler.unserved.bind(end)
        self.relayed = relayed = RelayedCallbacks(self.store, desk, runs.get)
        self.scheduler.on_claimed = relayed.claimed
        self.claims.bind(on_notify=self.notified, on_lost=runs.abandon)

    async def relay(self, job_id: str, body: bytes, notify: bool) -> None:
        """A callback kept in the store until its job ends; `notify`: its worker told at once."""
        await self.store.relay_callback(job_id, body, notify=notify)

    def notified(self, payload: str) -> None:
        """What another process said by NOTIFY (bot/store/claims.py)."""
        kind, _, rest = payload.partition(":")
        if kind == "poke":
            self.scheduler.poke()
        elif kind == "cancel":
            self.drop(rest)  # its slot is free: a pass may start another
            self.scheduler.poke()
        elif kind == "callback" and self.relayed is not None:
            self.relayed.heard(rest)
        elif kind == "pause":
            provider, _, seconds = rest.rpartition(":")
            self.pacing.heard_pause(provider, float(seconds))
