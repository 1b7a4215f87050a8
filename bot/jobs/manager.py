"""The job manager: the one face of the job core — accept, cancel, follow and wait for jobs.

It knows nothing of Discord. Whoever asked for a job registers a `JobSink` (bot/jobs/sink.py) for
its origin (the Discord bot, or the command line) and hears of progress and the finished image
through it. The manager only builds the parts and wires them; each owns its own state:

    intake     bot/jobs/intake.py     a planned job → a stored, queued job with its hold
    scheduler  bot/jobs/scheduler.py  the fair queue, provider slots, wake-ups, queue positions
    pacing     bot/jobs/pacing.py     each provider's request budget and its 429 pause
    runs       bot/jobs/runs.py       one task per job this process drives (bot/jobs/tasks.py)
    driver     bot/jobs/driver.py     the life of one job, and the state table after a crash
    handoff    bot/jobs/handoff.py    progress and delivery through the origin's sink
    callbacks  bot/jobs/callbacks.py  a provider's callback, authenticated, into the job's mailbox
    claims     bot/jobs/claims.py     which jobs this process drives: all (SQLite, `LocalClaims`), or
               bot/jobs/worker.py     those it claimed as one worker among several (PostgreSQL,
                                      `SharedClaims`, with `SharedScheduler` and `SharedPacing`)

See docs/DEVELOPING.md for the map and the flow of one job.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from bot.jobs.callbacks import CallbackDesk, CallbackOutcome, Mailbox
from bot.jobs.claims import Claims, LocalClaims
from bot.jobs.config import FETCH_WINDOW, DriveConfig, Tunables
from bot.jobs.driver import Driver
from bot.jobs.ending import Ending, failure_note
from bot.jobs.fetching import Fetcher
from bot.jobs.following import Follower
from bot.jobs.handoff import Handoff
from bot.jobs.intake import Intake, NewJob, new_job_id
from bot.jobs.metrics import JobMetrics
from bot.jobs.model import Job, JobState, Origin
from bot.jobs.pacing import ProviderPacing
from bot.jobs.polling import Durations, PollPolicy
from bot.jobs.runs import Runs
from bot.jobs.scheduler import Scheduler
from bot.jobs.sink import JobSink, Sinks
from bot.jobs.waiting import wait_event
from bot.jobs.windows import FinishWindows
from bot.providers.base import Callback, Provider
from bot.quota import QuotaService
from bot.store.db import Database
from bot.store.files import private_folder_or_warn
from bot.store.jobs import JobRepository, StaleJobState
from bot.store.retention import FreeSpace

if TYPE_CHECKING:
    from bot.jobs.shared_scheduler import SharedParts
    from bot.store.claims import ClaimStore

__all__ = ["JobManager", "NewJob", "new_job_id"]

log = logging.getLogger(__name__)


class JobManager(Tunables):
    def __init__(
        self,
        *,
        db: Database,
        jobs: JobRepository,
        quota: QuotaService,
        providers: dict[str, Provider],
        images_dir: Path,
        max_active_per_user: int = 2,
        max_queued_per_user: int = 5,
        concurrency: dict[str, int] | None = None,
        job_timeout: float = 600.0,
        fetch_window: float = FETCH_WINDOW,
        poll_policy: PollPolicy | None = None,
        callback_url: Callable[[Job], Callback | None] | None = None,
        rate_limits: dict[str, float] | None = None,
        metrics: JobMetrics | None = None,
        space: FreeSpace | None = None,
        claim_store: ClaimStore | None = None,
        lease: float = 15.0,
        drive: bool = True,
    ) -> None:
        """`claim_store` (PostgreSQL): this process is one of several sharing the jobs, claimed with a
        lease of `lease` seconds (bot/jobs/worker.py). `drive=False`: it only accepts jobs, cancels
        them and takes callbacks (a gateway); the workers drive them."""
        self.db = db
        #: False on a gateway (`--role gateway`): it accepts jobs (stored queued, with their hold)
        #: and cancels queued ones, and leaves every job to the workers to drive.
        self.drive = drive
        self.jobs = jobs
        self.quota = quota
        self.providers = providers
        self.metrics = metrics = metrics or JobMetrics()
        self.config = config = DriveConfig(
            images_dir, job_timeout, fetch_window, poll_policy or PollPolicy(), callback_url
        )
        self.sinks = sinks = Sinks()
        self._idle = asyncio.Event()
        self.claim_store = claim_store
        shared: SharedParts | None = None
        if claim_store is not None:  # PostgreSQL; imported only then: SQLite does without asyncpg
            from bot.jobs.shared_scheduler import SharedParts

            shared = SharedParts.build(
                claim_store,
                metrics,
                lease=lease,
                max_active_per_user=max_active_per_user,
                concurrency=concurrency or {},
                rate_limits=rate_limits,
                providers=lambda: list(self.providers),
                origins=lambda: [o.value for o in sinks.origins()],
                driven=lambda: self.runs.driven(),
                grace=lambda: self.config.job_timeout,
            )
        self.shared = shared
        self.claims: Claims = shared.claims if shared else LocalClaims()
        self.scheduler: Scheduler = (
            shared.scheduler
            if shared
            else Scheduler(metrics, max_active_per_user=max_active_per_user, concurrency=concurrency or {})
        )
        self.pacing = pacing = shared.pacing if shared else ProviderPacing(metrics, rate_limits)
        scheduler = self.scheduler
        claims = self.claims
        self.windows = windows = FinishWindows(jobs, providers, config.poll_policy)
        self.mailbox = mailbox = Mailbox()
        self.intake = Intake(
            db,
            jobs,
            quota,
            max_queued_per_user=max_queued_per_user,
            max_active_per_user=lambda: scheduler.queue.max_active_per_user,
            space=space,
        )
        ending = Ending(db, jobs, quota, metrics, sinks, claims)
        self.ending = ending
        self.handoff = handoff = Handoff(
            sinks,
            jobs,
            ending,
            metrics,
            position_of=self.queue_position,
            typical=windows.typical,
            claims=claims,
        )
        self.follower = follower = Follower(
            db=db,
            jobs=jobs,
            quota=quota,
            providers=providers,
            pacing=pacing,
            mailbox=mailbox,
            windows=windows,
            ending=ending,
            handoff=handoff,
            metrics=metrics,
            config=config,
        )
        fetcher = Fetcher(
            jobs=jobs, providers=providers, ending=ending, metrics=metrics, config=config, poll=follower.poll
        )
        self.driver = driver = Driver(
            jobs=jobs,
            scheduler=scheduler,
            pacing=pacing,
            mailbox=mailbox,
            ending=ending,
            handoff=handoff,
            follower=follower,
            fetcher=fetcher,
            metrics=metrics,
            config=config,
            claims=claims,
        )
        self.runs = runs = Runs(
            jobs, scheduler, mailbox, drive=driver.drive, on_change=self._idle.set, claims=claims
        )
        self.callbacks = CallbackDesk(
            jobs,
            providers,
            metrics,
            mailbox,
            driven=runs.get,
            relay=shared.relay if shared is not None else None,
        )
        scheduler.bind(
            launch=lambda job: runs.launch(job, slot_taken=claim_store is None),
            announce=handoff.notify,
            after_pass=self._after_pass,
        )
        if shared is not None:
            shared.wire(self.callbacks, runs, announce=handoff.notify, end=ending.end)

    # -- lifetime ---------------------------------------------------------------------------------

    def register_sink(self, origin: Origin, sink: JobSink) -> None:
        self.sinks.register(origin, sink)

    async def start(self, *, resume: bool = True) -> None:
        """Rebuild the index from the store, resume unfinished jobs, then schedule new ones.

        `resume=False` (a second CLI process while another holds the CLI lock) leaves other
        processes' jobs alone and only runs the jobs this manager accepts itself.
        """
        if self.shared is not None:
            self.shared.positions.start()  # the jobs accepted here hear the shared queue move
        if not self.drive:
            return  # a gateway: the workers drive the jobs, stored ones included
        private_folder_or_warn(self.images_dir, "result images")
        if self.claims.shared:
            # Jobs of a worker that died (this process's last run among them) are taken over by the
            # claims: the first pass, once the reap found the dead worker.
            await self.claims.start()
            self.scheduler.start()
            return
        if resume:
            # (Reference images of accepts that never committed: the retention sweep, at start too.)
            await self.runs.resume_stored(self.sinks.origins())
        self.scheduler.start()

    async def stop(self, *, grace: float = 0.0, release: bool = True) -> None:
        """Cancel every task; jobs keep their state. Submits under way get `grace` seconds to finish.

        Shared claims: the worker's jobs are handed back for the others (`release=False`: the
        worker's connection is dropped without a word, as when the process dies)."""
        await asyncio.gather(self.scheduler.stop(), self.runs.stop())
        if self.shared is not None:
            await self.shared.positions.stop()
        await self.driver.submits.settle(grace)
        await self.claims.stop(release=release)

    def busy(self) -> bool:
        """Jobs queued or driven here (with shared claims: driven here; `wait_idle` asks the store)."""
        return bool(self.runs.busy() or self.scheduler)

    def _after_pass(self) -> None:
        """After each scheduler pass: news nobody here will take is dropped after a while."""
        if not self.busy():
            self._idle.set()
        if self.mailbox.inbox:
            self.mailbox.inbox.prune(self.runs.driven())

    async def wait_idle(self, timeout: float | None = None) -> None:
        """Until no job of a registered origin is queued or in progress (tests, CLI, shutdown)."""
        async with asyncio.timeout(timeout):
            while self.busy() or (
                self.claim_store is not None
                and await self.claim_store.any_unfinished(o.value for o in self.sinks.origins())
            ):
                self._idle.clear()
                await wait_event(self._idle, 0.5 if self.busy() else 0.05)

    async def wait_for(self, job_id: str, timeout: float | None = None) -> Job:
        """Until the job is terminal; returns it."""
        async with asyncio.timeout(timeout):
            while True:
                if job_id not in self.scheduler and job_id not in self.runs:
                    job = await self.jobs.get(job_id)
                    if job is None:
                        raise KeyError(job_id)
                    if job.state.terminal:
                        return job
                self._idle.clear()
                await wait_event(self._idle, 0.5)

    # -- accepting and cancelling -----------------------------------------------------------------

    async def submit(self, new: NewJob) -> Job:
        """Accept a job: check the member's queue, hold its estimated cost, store it as queued.

        All in one transaction, so concurrent commands can never together exceed a limit.
        Raises `QueueFull`, `QuotaExceeded` or `DiskAlmostFull` (user-facing, nothing spent).
        """
        job = await self.intake.accept(new)
        if self.drive and job.origin in self.sinks:
            self.scheduler.enqueue(job)
        await self.handoff.notify(job)
        if self.shared is not None and job.origin in self.sinks:
            self.shared.positions.track(job)
        self.scheduler.poke()
        await self.claims.announce()  # shared claims: the workers claim it (LocalClaims: nothing)
        return job

    async def cancel(self, job_id: str, user_id: int | None = None) -> Job | None:
        """Cancel a queued job at no cost (its hold is released). Returns it if it was cancelled.

        Only queued jobs: a submitted job is already being paid for. `user_id` (when given) must
        be the job's owner.
        """
        queue = self.scheduler.queue
        job = queue.get(job_id)
        if job is None:
            # Not in this manager's queue: another process's (a CLI job; any job, on a gateway) —
            # the store decides. A job of an origin this manager drives is in its queue while queued.
            stored = await self.jobs.get(job_id)
            if stored is None or stored.state is not JobState.QUEUED:
                return None
            if self.drive and stored.origin in self.sinks and not self.claims.shared:
                return None
            job = stored
        if user_id is not None and job.user_id != user_id:
            return None
        was_queued = queue.get(job.id) is not None
        self.scheduler.dequeue(job)  # the scheduler can no longer pick it
        try:
            await self.ending.end(
                job, JobState.CANCELLED, "cancelled", failure_note("cancelled"), message="Cancelled."
            )
        except StaleJobState:
            return None
        except BaseException:
            if was_queued:
                self.scheduler.enqueue(job)  # not cancelled (the store refused): still queued, in its place
                self.scheduler.poke()
            raise
        self.scheduler.poke()
        self.scheduler.mark_positions()
        if self.shared is not None:
            self.shared.positions.forget(job)
        await self.claims.announce(f"cancel:{job.id}")  # shared claims: its worker lets it go
        return job

    # -- the queue, as members see it -------------------------------------------------------------

    def position_of(self, job_id: str) -> int | None:
        """1 for the next job its provider will take; None once it left the queue."""
        return self.scheduler.queue.position_of(job_id)

    async def queue_position(self, job: Job) -> int | None:
        """`position_of`, from the store's shared queue with shared claims."""
        if self.claim_store is not None:
            return await self.claim_store.queue_position(job.id)
        return self.position_of(job.id)

    async def member_jobs(self, user_id: int) -> list[Job]:
        """`jobs_of`, read from the store with shared claims (there, jobs are queued and driven by
        every process, so this process's memory knows only its own)."""
        if self.claim_store is None:
            return self.jobs_of(user_id)
        found = await self.claim_store.unfinished_of(user_id)
        for job in found:
            job.queue_position = await self.queue_position(job) if job.state is JobState.QUEUED else None
        return found

    def jobs_of(self, user_id: int) -> list[Job]:
        """A member's queued and in-progress jobs, oldest first; queued ones carry `queue_position`.

        Copies: changing them changes nothing. (For `/jobs`: no I/O. With shared claims only this
        process's own: use `member_jobs`.)
        """
        found = self.scheduler.queue.queued_of(user_id)
        for job in self.runs.active():
            if job.user_id == user_id and not job.state.terminal:
                found.append(dataclasses.replace(job, queue_position=None))
        found.sort(key=lambda job: job.seq)
        return found

    # -- what providers say -----------------------------------------------------------------------

    async def accept_callback(
        self,
        provider_name: str,
        job_id: str,
        body: bytes,
        *,
        token: str | None = None,
        secret: str | None = None,
        signature: str | None = None,
    ) -> CallbackOutcome:
        """A provider called back: authenticated, its news goes to the job's task (bot/jobs/callbacks.py)."""
        return await self.callbacks.accept(
            provider_name, job_id, body, token=token, secret=secret, signature=signature
        )

    async def durations(self, job: Job) -> Durations:
        """The model's finishing window, learned from the store (cached for a minute)."""
        return await self.windows.durations(job)

    # -- observability ----------------------------------------------------------------------------

    async def refresh_metrics(self) -> None:
        """Bring the gauges up to date (called by `/metrics` before rendering). On PostgreSQL the
        queue and in-flight gauges are the deployment's, from the store's one count of unfinished jobs."""
        shared = self.claim_store is not None
        providers = set(self.scheduler.queue.providers()) | set(self.providers)
        self.metrics.count_unfinished(await self.jobs.unfinished_counts(), providers, slots=shared)
        if not shared:
            for provider in providers:
                self.scheduler.gauge(provider)
        self.metrics.count_driven(providers, (job.provider for job in self.runs.active()))
