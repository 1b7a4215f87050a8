"""The job manager: accepts jobs, schedules them fairly, drives each through its states.

It knows nothing of Discord. Whoever asked for a job registers a `JobSink` (bot/jobs/sink.py) for
its origin (the Discord bot, or the command line) and hears of progress and the finished image
through it. Which queued job starts next is the fair queue's decision (bot/jobs/queue.py); how a
provider's callback is authenticated is bot/jobs/callbacks.py.

Every state change is committed before the action that depends on it, so after a crash (even a
SIGKILL) each job resumes from the state the store says it is in:

    queued      → submit it (it was never sent: `submitting` is committed before the request).
    submitting  → the crash (or a 5xx / timeout on the submit) came between "about to submit" and
                  "submitted": the provider may or may not have the job, and neither TTAPI nor BFL
                  can be asked about it without its id. It is **never submitted again** (that could
                  bill twice). Instead:
                  - with callbacks (`WEBHOOK_PUBLIC_URL`), the request carried a per-job callback URL
                    with an unguessable token (BFL: a per-job `webhook_secret`). If the provider did
                    accept it, its callback still reaches us, authenticated by that token, and carries
                    the provider's job id: the job attaches it, moves to `running` and goes on as if
                    nothing had happened. The hold stays in place while we wait, up to the job
                    timeout after the submit; then the job fails with `submit_unknown` and the hold
                    is released.
                  - without callbacks there is nothing to wait for: it fails with `submit_unknown`
                    at once and the hold is released.
                  The remaining risk is the provider's: a job it accepted and billed but never
                  reports is paid by the operator, never by the member, and never run twice.
    running     → poll it again (or wait for its callback); the timeout counts from the last
                  recorded sign of progress, with a grace after downtime.
    fetching    → download the result again (the charge was committed with the move to
                  `fetching`, in the same transaction, so it is never charged twice). A job here
                  holds no provider slot; its retries end at `fetch_deadline` (bot/jobs/fetching.py).
    delivering  → hand the saved image to the sink again. `delivery_attempts` is incremented and
                  committed *before* each hand-over, so a sink can tell a repeat (attempts > 1) from a
                  first post. The window left: a crash after the sink posted and before `delivered`
                  is committed. The CLI sink rewrites the same file (harmless); the Discord sink edits
                  the member's known reply in place (harmless) and, when it must post a new message,
                  can pass a nonce derived from the job id, which Discord de-duplicates
                  (`enforce_nonce`) for a few minutes.

Scheduling runs on an in-memory index of queued jobs (per provider, in arrival order), rebuilt
from the store at `start()`: the scheduler never re-reads the table, so 2,000 jobs in flight cost
one pass over a list per completion, not a query.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import json
import logging
import secrets
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from bot.encoding import as_base64, in_image_thread
from bot.jobs.callbacks import CallbackInbox, CallbackOutcome, Inbound, callback_authentic, settled
from bot.jobs.ending import until_stored
from bot.jobs.fetching import FETCH_WINDOW, StoreRetries, download_kind, fetch_deadline, retry_delay
from bot.jobs.in_flight import InFlight
from bot.jobs.metrics import JobMetrics
from bot.jobs.model import Job, JobState, Origin
from bot.jobs.plan import JobPlan
from bot.jobs.polling import Durations, Pace, PollPolicy, RateLimiter, learn_durations, poll_delay
from bot.jobs.queue import FairQueue
from bot.jobs.sink import JobSink, Progress, Undeliverable
from bot.providers.base import (
    Callback,
    PollResult,
    Provider,
    ProviderBusy,
    ProviderError,
    ProviderModerated,
    ProviderRequest,
    ProviderStatus,
    ResultDownloadError,
)
from bot.providers.catalog import MODELS
from bot.quota import QuotaService
from bot.store.db import Database
from bot.store.files import InputImage, InputsLost
from bot.store.jobs import JobRepository, StaleJobState, Transition
from bot.store.retention import FreeSpace, discard_inputs
from bot.store.units import HoldRefused, move_and_close, store_new_job

log = logging.getLogger(__name__)


def new_job_id() -> str:
    """16 hex characters: short enough for a button's custom_id, too many to guess."""
    return secrets.token_hex(8)


@dataclass(slots=True)
class NewJob:
    """Everything needed to accept a job."""

    id: str | None
    origin: Origin
    provider: str
    model: str
    prompt: str
    request: ProviderRequest
    options: dict[str, Any]
    user_id: int
    guild_id: int | None = None
    channel_id: int | None = None
    role_ids: tuple[int, ...] = ()
    parent_job_id: str | None = None
    interaction_app_id: int | None = None
    interaction_token: str | None = field(default=None, repr=False)
    interaction_created_at: float | None = None
    enforce_quota: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_plan(
        cls, plan: JobPlan, *, origin: Origin, user_id: int, id: str | None = None, **details: Any
    ) -> NewJob:
        """The job for a validated plan; `details` are the other fields (guild_id, channel_id, ...)."""
        return cls(
            id=id,
            origin=origin,
            provider=plan.provider,
            model=plan.spec.id,
            prompt=plan.prompt,
            request=plan.request,
            options=plan.options.public(),
            user_id=user_id,
            **details,
        )


#: Request fields that carry images; kept out of the stored params and in `job_inputs` instead.
IMAGE_FIELDS = ("image_prompt", "input_image", "input_image_2", "input_image_3", "input_image_4")

#: What a member reads when a job ends without an image.
FAILURE_TEXT = {
    "submit_unknown": "The provider did not confirm the job. It was not sent again, so you cannot be "
    "charged twice.",
    "timeout": "The provider took too long and the job was given up.",
    "not_found": "The provider lost track of the job.",
    "download": "The finished image could not be downloaded from the provider.",
    "not_an_image": "The provider sent back something that is not an image, so nothing was posted.",
    "storage": "The finished image could not be saved by the bot (its disk is full or not writable).",
    "inputs_lost": "The reference image was lost before the job was sent. Nothing was charged; "
    "run the command again with the image.",
}


#: Seconds a model's finishing window is cached: learned from history, or guessed without enough.
LEARNED_WINDOW_TTL = 60.0
GUESSED_WINDOW_TTL = 5.0

#: Provider-wide request budgets (requests per second, submits and polls together). Neither TTAPI
#: nor BFL publishes one; these stay well under what their public clients do (BFL's SDK polls each
#: of 24 concurrent jobs every second). A 429 pauses the provider on top of this.
DEFAULT_RATES = {"ttapi": 10.0, "bfl": 20.0, "mock": 1000.0}
DEFAULT_RATE = 10.0
DEFAULT_BURST = 10
#: After the store refused a write (locked beyond busy_timeout, or full), retry the job this soon.
STORE_RETRY_SECONDS = 1.0
#: Reference image files no job row names are removed at start once this old (seconds): an accept
#: in progress elsewhere (the CLI next to the bot) commits its row long before.
ORPHAN_INPUT_AGE = 600.0
#: Delivery hand-overs before a job is given up as undeliverable.
DELIVERY_ATTEMPTS = 5
#: Queue positions are re-announced at most this often (seconds).
POSITION_INTERVAL = 3.5


class JobManager:
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
    ) -> None:
        self.db = db
        self.jobs = jobs
        self.quota = quota
        self.providers = providers
        self.images_dir = images_dir
        self.max_queued_per_user = max_queued_per_user
        self.job_timeout = job_timeout
        self.fetch_window = fetch_window  # how long after READY a download or its write is retried
        self.poll_policy = poll_policy or PollPolicy()
        self.callback_url = callback_url
        self.rate_limits = rate_limits or {}
        self.metrics = metrics or JobMetrics()
        self.space = space  # the free-space floor new jobs must clear (MIN_FREE_DISK_MB)
        self._sinks: dict[Origin, JobSink] = {}
        # The in-memory index: queued jobs and slots (the fair queue), and jobs being driven.
        self._queue = FairQueue(max_active_per_user=max_active_per_user, concurrency=concurrency or {})
        self._active: dict[str, Job] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._wakeups: dict[str, asyncio.Event] = {}
        self._inbox = CallbackInbox()
        self._limiters: dict[str, RateLimiter] = {}
        self._schedule_event = asyncio.Event()
        self._idle = asyncio.Event()
        self._scheduler: asyncio.Task[None] | None = None
        self._positions_task: asyncio.Task[None] | None = None
        self._positions_due = 0.0
        self._durations: dict[tuple[str, str], tuple[Durations, float]] = {}
        self._durations_loading: dict[tuple[str, str], asyncio.Future[Durations]] = {}
        self._background: set[asyncio.Task[Any]] = set()
        #: Submits under way, which `stop(grace=...)` lets finish (bot/jobs/in_flight.py).
        self._submits = InFlight()
        self._resuming: set[str] = set()  # jobs whose step hit a locked or full store, resumed soon

    @property
    def max_active_per_user(self) -> int:
        """Jobs one member may have running at once (the fair queue's limit)."""
        return self._queue.max_active_per_user

    @max_active_per_user.setter
    def max_active_per_user(self, value: int) -> None:
        self._queue.max_active_per_user = value

    @property
    def concurrency(self) -> dict[str, int]:
        """Jobs each provider runs at once (the fair queue's limits; change it in place or assign)."""
        return self._queue.concurrency

    @concurrency.setter
    def concurrency(self, value: dict[str, int]) -> None:
        self._queue.concurrency = value

    # -- lifetime ---------------------------------------------------------------------------------

    def register_sink(self, origin: Origin, sink: JobSink) -> None:
        self._sinks[origin] = sink

    async def start(self, *, resume: bool = True) -> None:
        """Rebuild the index from the store, resume unfinished jobs, then schedule new ones.

        `resume=False` (a second CLI process while another holds the CLI lock) leaves other
        processes' jobs alone and only runs the jobs this manager accepts itself.
        """
        self.images_dir.mkdir(parents=True, exist_ok=True)
        if resume:
            removed = await self.jobs.remove_orphan_inputs(older_than=time.time() - ORPHAN_INPUT_AGE)
            if removed:
                log.info("removed %d reference image file(s) of jobs that were never stored", removed)
            for job in await self.jobs.unfinished(self._sinks):
                if job.id in self._queue or job.id in self._tasks:
                    continue
                if job.state is JobState.QUEUED:
                    self._enqueue(job)
                else:
                    log.info("job %s: resuming in state %s", job.id, job.state)
                    self._launch(job)
        self._scheduler = asyncio.create_task(self._schedule_loop(), name="fluxbot-scheduler")
        self._schedule_event.set()

    async def stop(self, *, grace: float = 0.0) -> None:
        """Cancel every task; jobs keep their state. Submits under way get `grace` seconds to finish."""
        tasks = [
            t
            for t in (self._scheduler, self._positions_task, *self._tasks.values(), *self._background)
            if t is not None
        ]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._submits.settle(grace)
        self._tasks.clear()
        self._scheduler = None

    def busy(self) -> bool:
        return bool(self._tasks or self._queue or self._resuming)

    async def wait_idle(self, timeout: float | None = None) -> None:
        """Until no job of a registered origin is queued or in progress (tests, CLI, shutdown)."""
        async with asyncio.timeout(timeout):
            while self.busy():
                self._idle.clear()
                await _wait_event(self._idle, 0.5)

    async def wait_for(self, job_id: str, timeout: float | None = None) -> Job:
        """Until the job is terminal; returns it."""
        async with asyncio.timeout(timeout):
            while True:
                if job_id not in self._queue and job_id not in self._tasks:
                    job = await self.jobs.get(job_id)
                    if job is None:
                        raise KeyError(job_id)
                    if job.state.terminal:
                        return job
                self._idle.clear()
                await _wait_event(self._idle, 0.5)

    # -- accepting --------------------------------------------------------------------------------

    async def submit(self, new: NewJob) -> Job:
        """Accept a job: check the member's queue, hold its estimated cost, store it as queued.

        All in one transaction, so concurrent commands can never together exceed a limit.
        Raises `QueueFull`, `QuotaExceeded` or `DiskAlmostFull` (user-facing, nothing spent).
        """
        if self.space is not None:
            self.space.check()
        now = time.time()
        encoded = [(n, new.request.body[n]) for n in IMAGE_FIELDS if isinstance(new.request.body.get(n), str)]
        # Megabytes of base64, kept as they will be sent (bot/encoding.py): only checked, in a worker
        # thread, a slice at a time, so commands are still acknowledged at once.
        images = [InputImage(name, await in_image_thread(as_base64, text)) for name, text in encoded]
        body = {k: v for k, v in new.request.body.items() if k not in IMAGE_FIELDS}
        params = {
            "options": new.options,
            "endpoint": new.request.endpoint,
            "host": new.request.host,
            "body": body,
            **new.extra,
        }
        size = (
            body.get("size")
            or (f"{body['width']}x{body['height']}" if body.get("width") and body.get("height") else None)
            or body.get("aspect_ratio")
        )
        estimate = await self.quota.estimate(new.provider, new.model, size)
        job = Job(
            id=new.id or new_job_id(),
            seq=0,
            state=JobState.QUEUED,
            origin=new.origin,
            provider=new.provider,
            model=new.model,
            prompt=new.prompt,
            params=params,
            user_id=new.user_id,
            guild_id=new.guild_id,
            channel_id=new.channel_id,
            estimate=estimate,
            created_at=now,
            updated_at=now,
            parent_job_id=new.parent_job_id,
            callback_token=secrets.token_urlsafe(24),
            interaction_app_id=new.interaction_app_id,
            interaction_token=new.interaction_token,
            interaction_created_at=new.interaction_created_at,
            width=body.get("width"),
            height=body.get("height"),
            seed=body.get("seed"),
        )
        hold = await self.quota.prepare_hold(job, role_ids=new.role_ids, enforce=new.enforce_quota)
        queue_limit = self.max_active_per_user + self.max_queued_per_user if new.enforce_quota else None
        # The queue check, the job and the hold: one atomic unit, group-committed with the other
        # commands of the moment (one hop to the store for all of them; `Database.atomic`).
        # The images go to their files first (written and flushed in a worker thread, off the GIL;
        # bot/store/files.py), so the committed row never names a file that is not there.
        stored = await self.jobs.input_files.write(job.id, images)
        try:
            await self.db.atomic(store_new_job, job, stored, queue_limit, hold)
        except Exception as exc:
            # Not committed (`Database.atomic`'s contract): no row names the files. (Cancelled while
            # waiting, it may have committed or not: the next start removes them if not.)
            await self.jobs.input_files.discard(stored)
            if isinstance(exc, HoldRefused):
                raise await self.quota.why_refused(hold) from None
            raise
        log.info("job %s: accepted (%s on %s, estimate %s)", job.id, job.model, job.provider, estimate)
        if job.origin in self._sinks:
            self._enqueue(job)
        await self._notify(job)
        self._schedule_event.set()
        return job

    # -- the queue, as members see it -------------------------------------------------------------

    def position_of(self, job_id: str) -> int | None:
        """1 for the next job its provider will take; None once it left the queue."""
        return self._queue.position_of(job_id)

    async def queue_position(self, job: Job) -> int | None:
        return self.position_of(job.id)

    def jobs_of(self, user_id: int) -> list[Job]:
        """A member's queued and in-progress jobs, oldest first; queued ones carry `queue_position`.

        Copies: changing them changes nothing. (For `/jobs`.)
        """
        found = self._queue.queued_of(user_id)
        for job in self._active.values():
            if job.user_id == user_id and not job.state.terminal:
                found.append(dataclasses.replace(job, queue_position=None))
        found.sort(key=_seq)
        return found

    def queue_length(self, provider: str | None = None) -> int:
        return self._queue.length(provider)

    async def cancel(self, job_id: str, user_id: int | None = None) -> Job | None:
        """Cancel a queued job at no cost (its hold is released). Returns it if it was cancelled.

        Only queued jobs: a submitted job is already being paid for. `user_id` (when given) must
        be the job's owner.
        """
        job = self._queue.get(job_id)
        if job is None:
            # Not in this manager's queue: perhaps another process's (a CLI job) — the store decides.
            stored = await self.jobs.get(job_id)
            if stored is None or stored.state is not JobState.QUEUED or stored.origin in self._sinks:
                return None
            job = stored
        if user_id is not None and job.user_id != user_id:
            return None
        was_queued = self._queue.get(job.id) is not None
        self._dequeue(job)  # the scheduler can no longer pick it
        try:
            await self._end(job, JobState.CANCELLED, "cancelled", "Cancelled.")
        except StaleJobState:
            return None
        except BaseException:
            if was_queued:
                self._enqueue(job)  # not cancelled (the store refused): still queued, in its place
                self._schedule_event.set()
            raise
        self._schedule_event.set()
        self._mark_positions()
        return job

    def _enqueue(self, job: Job) -> None:
        if self._queue.enqueue(job):
            self._gauge(job.provider)

    def _dequeue(self, job: Job) -> None:
        if self._queue.dequeue(job):
            self._gauge(job.provider)

    def _gauge(self, provider: str) -> None:
        """Bring a provider's queue-length and in-flight gauges up to date."""
        self.metrics.queue_length.labels(provider).set(self._queue.length(provider))
        self.metrics.in_flight.labels(provider).set(self._queue.in_flight(provider))

    # -- scheduling -------------------------------------------------------------------------------

    async def _schedule_loop(self) -> None:
        while True:
            self._schedule_event.clear()
            try:
                self._schedule_once()
                if self._inbox:  # news nobody here will take is dropped after a while
                    self._inbox.prune(self._tasks.keys() | self._resuming)
            except Exception:
                log.exception("scheduler pass failed")
            await _wait_event(self._schedule_event, 1.0)

    def _schedule_once(self) -> None:
        """Start the queued jobs the fair queue lets start now (see `FairQueue.take`)."""
        for provider, jobs in self._queue.take(time.monotonic()).items():
            for job in jobs:  # in arrival order: the oldest reaches the provider's rate limiter first
                self._launch(job, slot_taken=True)
            self._gauge(provider)
            self._mark_positions()
        if not self.busy():
            self._idle.set()

    def _take_slot(self, job: Job) -> None:
        if self._queue.take_slot(job):
            self._gauge(job.provider)

    def _release_slot(self, job: Job) -> None:
        if self._queue.release_slot(job):
            self._gauge(job.provider)
            self._schedule_event.set()

    def _launch(self, job: Job, *, slot_taken: bool = False) -> None:
        if not slot_taken and job.state not in (JobState.FETCHING, JobState.DELIVERING):
            self._take_slot(job)  # past READY a job no longer needs the provider
        self._active[job.id] = job
        task = asyncio.create_task(self._drive(job), name=f"fluxbot-job-{job.id}")
        self._tasks[job.id] = task
        task.add_done_callback(functools.partial(self._on_task_done, job))

    def _on_task_done(self, job: Job, _task: asyncio.Task[None]) -> None:
        self._tasks.pop(job.id, None)
        self._active.pop(job.id, None)
        self._wakeups.pop(job.id, None)
        self._inbox.pop(job.id)
        self._release_slot(job)
        if job.state is JobState.QUEUED:
            self._enqueue(job)  # put back (the provider was busy); keeps its place by `seq`
        self._schedule_event.set()
        self._idle.set()

    def wake(self, job_id: str) -> None:
        """Something arrived for this job (a callback): act now instead of at its next poll."""
        event = self._wakeups.get(job_id)
        if event is not None:
            event.set()

    def _mark_positions(self) -> None:
        """Queue positions moved: tell the members, at most every few seconds, only what changed."""
        if self._positions_task is not None and not self._positions_task.done():
            return
        self._positions_task = asyncio.create_task(self._announce_positions(), name="fluxbot-positions")

    async def _announce_positions(self) -> None:
        delay = self._positions_due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        self._positions_due = time.monotonic() + POSITION_INTERVAL
        for provider in self._queue.providers():
            for index, job in enumerate(self._queue.waiting(provider)):
                position = index + 1
                if job.queue_position != position and job.id in self._queue:
                    job.queue_position = position
                    await self._notify(job)

    # -- driving one job --------------------------------------------------------------------------

    async def _drive(self, job: Job) -> None:
        try:
            if job.state is JobState.QUEUED:
                job = await self._submit(job)
            if job.state is JobState.SUBMITTING:
                job = await self._await_lost_submit(job)
            if job.state is JobState.RUNNING:
                job = await self._follow(job)
            handed_over = False
            if job.state is JobState.FETCHING:
                self._release_slot(job)  # the provider's work is done: its slot goes to the next job
                job = await self._fetch(job)
                handed_over = job.state is JobState.DELIVERING  # its first attempt is counted
            if job.state is JobState.DELIVERING:
                await self._deliver(job, counted=handed_over)
        except StaleJobState as exc:
            log.info("job %s: %s; leaving it", job.id, exc)
        except asyncio.CancelledError:
            raise
        except sqlite3.OperationalError as exc:
            # The store is locked by another process beyond busy_timeout, or full: this step was not
            # committed. Resume from what the store says in a moment, as after a restart, instead
            # of leaving the job stranded (its task gone, its row unfinished) until the next start.
            log.warning(
                "job %s: the store refused a write in state %s (%s); resuming", job.id, job.state, exc
            )
            self._resume_later(job.id)
        except Exception:
            log.exception("job %s: unexpected error in state %s", job.id, job.state)
            if not job.state.terminal and job.state is not JobState.DELIVERING:
                # Retried while the store refuses it: the hold must not stay open (bot/jobs/ending.py).
                await until_stored(job.id, functools.partial(self._end_internal, job))

    async def _end_internal(self, job: Job) -> None:
        try:
            await self._end(job, JobState.FAILED, "internal", "Something went wrong inside the bot.")
        except (StaleJobState, sqlite3.Error, OSError):
            raise
        except Exception:
            log.exception("job %s: ending it failed", job.id)  # a second bug: nothing to retry

    def _resume_later(self, job_id: str, delay: float = STORE_RETRY_SECONDS) -> None:
        self._resuming.add(job_id)
        task = asyncio.create_task(self._resume(job_id, delay), name=f"fluxbot-resume-{job_id}")
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _resume(self, job_id: str, delay: float) -> None:
        try:
            while True:
                await asyncio.sleep(delay)
                if job_id in self._tasks:
                    continue  # the old task is still winding down
                try:
                    job = await self.jobs.get(job_id)
                except sqlite3.OperationalError:
                    continue
                if job is None or job.state.terminal or job.id in self._queue:
                    return
                log.info("job %s: resuming in state %s after a store error", job.id, job.state)
                if job.state is JobState.QUEUED:
                    self._enqueue(job)
                    self._schedule_event.set()
                else:
                    self._launch(job)
                return
        finally:
            self._resuming.discard(job_id)
            self._idle.set()

    def _limiter(self, provider: str) -> RateLimiter:
        limiter = self._limiters.get(provider)
        if limiter is None:
            rate = self.rate_limits.get(provider, DEFAULT_RATES.get(provider, DEFAULT_RATE))
            limiter = RateLimiter(rate, burst=max(1, int(min(rate, DEFAULT_BURST))))
            self._limiters[provider] = limiter
        return limiter

    async def _take_token(self, provider: str) -> None:
        """Wait for this provider's next free request slot (and past any pause a 429 started)."""
        limiter = self._limiter(provider)
        while True:
            delay = limiter.reserve()
            if delay > 0:
                await asyncio.sleep(delay)
            if limiter.clock() >= limiter.paused_until:
                return
            # A 429 arrived while we waited: the slot we had is inside the pause; book a new one.

    def _busy(self, provider: str, exc: ProviderBusy, operation: str) -> float:
        """A 429/499: the whole provider waits (Retry-After when given), not just this job."""
        self.metrics.rate_limited.labels(provider).inc()
        self.metrics.provider_errors.labels(provider, operation, exc.kind).inc()
        seconds = self._limiter(provider).pause(exc.retry_after)
        log.warning("%s is busy (%s): pausing requests for %.1fs", provider, exc.detail, seconds)
        return seconds

    async def _submit(self, job: Job) -> Job:
        provider = self.providers.get(job.provider)
        if provider is None:
            await self._end(
                job, JobState.FAILED, "no_provider", f"The {job.provider} provider is not configured."
            )
            return job
        try:
            request = await self._rebuild_request(job)
        except InputsLost as exc:
            log.error("job %s: %s", job.id, exc.detail)
            await self._end(
                job, JobState.FAILED, "inputs_lost", FAILURE_TEXT["inputs_lost"], detail=exc.detail
            )
            return job
        await self._take_token(job.provider)
        return await self._submits.shielded(self._send(job, provider, request))

    async def _send(self, job: Job, provider: Provider, request: ProviderRequest) -> Job:
        """The submit itself, from `submitting` to its recorded answer (a stop lets it finish)."""
        job = await self.jobs.transition(job, JobState.SUBMITTING, attempts=job.attempts + 1)
        await self._notify(job)
        callback = self.callback_url(job) if self.callback_url else None
        started = time.monotonic()
        sent_at = time.time()  # the provider's clock starts now, not when we get to record it
        try:
            submission = await provider.submit(request, callback=callback)
        except ProviderBusy as exc:
            # Refused before acceptance: safe to try again later, in its place in the queue.
            delay = self._busy(job.provider, exc, "submit")
            self._queue.hold_back(job.id, time.monotonic() + delay)
            job = await self.jobs.transition(
                job, JobState.QUEUED, error_code="busy", error_message=exc.message
            )
            asyncio.get_running_loop().call_later(delay, self._schedule_event.set)
            return job
        except ProviderModerated as exc:
            self.metrics.provider_errors.labels(job.provider, "submit", exc.kind).inc()
            await self._end(job, JobState.MODERATED, "moderated", exc.message, detail=exc.detail)
            return job
        except ProviderError as exc:
            self.metrics.provider_errors.labels(job.provider, "submit", exc.kind).inc()
            if exc.kind in ("server", "network"):
                # It may have been accepted and billed: never replay blindly (see the module docstring).
                log.warning("job %s: submit outcome unknown (%s); not sending it again", job.id, exc.detail)
                await self.jobs.update(job, error_code="submit_unknown", error_message=exc.message[:500])
                return job  # stays `submitting`: _await_lost_submit decides
            await self._end(job, JobState.FAILED, exc.kind, exc.message, detail=exc.detail)
            return job
        finally:
            self.metrics.provider_latency.labels(job.provider, "submit").observe(time.monotonic() - started)
        self._limiter(job.provider).ok()
        self._queue.clear_hold(job.id)
        if job.state is not JobState.SUBMITTING:
            return job  # a callback that raced the submit answer already attached the id
        job = await self.jobs.transition(
            job,
            JobState.RUNNING,
            provider_job_id=submission.provider_job_id,
            polling_url=submission.polling_url,
            cost=submission.cost,
            submitted_at=sent_at,
            error_code=None,
            error_message=None,
        )
        log.info("job %s: submitted to %s as %s", job.id, job.provider, submission.provider_job_id)
        await self._notify(job)
        return job

    async def _await_lost_submit(self, job: Job) -> Job:
        """A job whose submit may or may not have reached the provider. Never submitted again.

        With callbacks, the provider's authenticated callback (if it has the job) carries its job
        id: attach it and carry on. Without, or when none comes within the job timeout, fail with
        `submit_unknown` and release the hold.
        """
        if self.callback_url is None:
            await self._end(job, JobState.FAILED, "submit_unknown", FAILURE_TEXT["submit_unknown"])
            return job
        log.info("job %s: waiting for a callback to learn whether the provider has it", job.id)
        wakeup = self._wakeups.setdefault(job.id, asyncio.Event())
        deadline = job.updated_at + self.job_timeout
        while True:
            inbound = self._inbox.get(job.id)
            if inbound is not None and inbound.provider_job_id:
                self._inbox.pop(job.id)
                job = await self.jobs.transition(
                    job,
                    JobState.RUNNING,
                    provider_job_id=inbound.provider_job_id,
                    submitted_at=job.updated_at,
                    error_code=None,
                    error_message=None,
                )
                log.info("job %s: the provider's callback names it %s", job.id, job.provider_job_id)
                self._inbox.put(job.id, inbound)  # _follow acts on what it said
                return job
            remaining = deadline - time.time()
            if remaining <= 0:
                await self._end(job, JobState.FAILED, "submit_unknown", FAILURE_TEXT["submit_unknown"])
                return job
            wakeup.clear()
            await _wait_event(wakeup, remaining)

    async def _rebuild_request(self, job: Job) -> ProviderRequest:
        body = dict(job.params["body"])
        if job.params.get("options", {}).get("image_count", 1) != 0:
            for image in await self.jobs.inputs(job.id):
                body[image.field] = image.base64  # json_bytes copies it into the body as it is
        return ProviderRequest(
            endpoint=job.params["endpoint"], body=body, host=job.params.get("host", "default")
        )

    async def durations(self, job: Job) -> Durations:
        """The model's finishing window, learned from the store (cached for a minute).

        One query per model at a time: with hundreds of jobs in flight, every one of them asks when
        the cache runs out, and a query each (behind one another on the read connection) kept it
        busy for whole seconds, in front of commands' reads (benchmarks/ack_latency.py). Callers
        that arrive while it runs wait for that one.
        """
        if self.poll_policy.typical_override is not None:
            return Durations.around(self.poll_policy.typical_override, self.poll_policy)
        key = (job.provider, job.model)
        cached = self._durations.get(key)
        if cached and cached[1] > time.monotonic():
            return cached[0]
        loading = self._durations_loading.get(key)
        if loading is None:
            loading = asyncio.ensure_future(self._learn_durations(job.provider, job.model))
            self._durations_loading[key] = loading
            loading.add_done_callback(lambda _: self._durations_loading.pop(key, None))
        # Shielded: a caller cancelled meanwhile does not cancel the query the others wait for.
        return await asyncio.shield(loading)

    async def _learn_durations(self, provider_name: str, model: str) -> Durations:
        spec = MODELS.get(model)
        provider = self.providers.get(provider_name)
        hint = provider.typical_seconds(model) if provider else None
        default = hint if hint is not None else (spec.typical_seconds if spec else 15.0)
        value = learn_durations(
            await self.jobs.recent_durations(provider_name, model), default, self.poll_policy
        )
        # A guess (too few finished jobs yet) is re-checked within seconds, so a new bot polls on
        # the learned window as soon as it has one; a learned window is kept for a minute.
        ttl = LEARNED_WINDOW_TTL if value.samples >= self.poll_policy.min_samples else GUESSED_WINDOW_TTL
        self._durations[(provider_name, model)] = (value, time.monotonic() + ttl)
        return value

    async def typical(self, job: Job) -> float:
        return (await self.durations(job)).typical

    async def _poll(self, job: Job, provider: Provider) -> PollResult | None:
        """One rate-limited poll; None when it failed (the schedule simply goes on)."""
        await self._take_token(job.provider)
        started = time.monotonic()
        job.polls += 1
        self.metrics.polls.labels(job.provider).inc()
        try:
            result = await provider.poll(job.provider_job_id or "", job.polling_url)
        except ProviderBusy as exc:
            self._busy(job.provider, exc, "poll")
            return None
        except ProviderError as exc:
            self.metrics.provider_errors.labels(job.provider, "poll", exc.kind).inc()
            log.warning("job %s: poll failed (%s)", job.id, exc.detail or exc.message)
            return None
        finally:
            self.metrics.provider_latency.labels(job.provider, "poll").observe(time.monotonic() - started)
        self._limiter(job.provider).ok()
        return result

    async def _follow(self, job: Job) -> Job:
        """Poll on the learned schedule until the provider says the job is over.

        A callback (or `wake`) cuts a wait short, and its news is used without a poll. The job
        times out after `job_timeout` seconds without a sign of progress (a new status or progress
        figure); the last one is recorded (`updated_at`), so a restart does not reset the clock —
        but it grants at least half a timeout after downtime, and always one look first.
        """
        provider = self.providers.get(job.provider)
        if provider is None:
            await self._end(job, JobState.FAILED, "no_provider", f"The {job.provider} provider is gone.")
            return job
        wakeup = self._wakeups.setdefault(job.id, asyncio.Event())
        durations = await self.durations(job)
        # The job's own progress predicts its finish (`Pace`), unless a callback will tell us.
        pace: Pace | None = Pace()
        if self.callback_url is not None and self.callback_url(job) is not None:
            # A callback will say when it is ready: polling is only the fallback, so it starts
            # when such jobs are usually already done (the slow end) and thins out from there.
            durations = dataclasses.replace(durations, low=durations.high, high=durations.high * 2)
            pace = None
        now = time.time()
        last_progress = max(job.updated_at, job.submitted_at or 0.0, now - self.job_timeout / 2)
        last_seen: tuple[Any, ...] | None = None
        looked = False
        persisted = job.updated_at
        while True:
            inbound = self._inbox.pop(job.id)
            if inbound is None:
                elapsed = time.time() - (job.submitted_at or job.created_at)
                finish = pace.finish() if pace is not None else None
                delay = poll_delay(elapsed, durations, self.poll_policy, finish=finish)
                if looked:
                    delay = min(delay, max(0.0, self.job_timeout - (time.time() - last_progress)))
                wakeup.clear()
                if delay > 0:
                    await _wait_event(wakeup, delay)
                inbound = self._inbox.pop(job.id)
            if inbound is not None:
                result: PollResult | None = inbound.result
            else:
                if looked and time.time() - last_progress >= self.job_timeout:
                    await self._end(job, JobState.TIMED_OUT, "timeout", FAILURE_TEXT["timeout"])
                    return job
                result = await self._poll(job, provider)
                looked = True
            if result is None:
                continue
            if pace is not None and inbound is None:
                pace.report(time.time() - (job.submitted_at or job.created_at), result.progress)
            seen = (result.status, result.raw_status, result.progress)
            if seen != last_seen:
                if last_seen is not None or inbound is not None:
                    last_progress = time.time()
                    if last_progress - persisted >= self.job_timeout / 4:
                        # Recorded for a restart's timeout clock; coarsely, to spare the store.
                        await self.jobs.update(job, polls=job.polls)
                        persisted = last_progress
                last_seen = seen
            done = await self.apply_result(job, result)
            if done is not None:
                return done
            await self._notify(job, fraction=result.progress)

    async def apply_result(self, job: Job, result: PollResult) -> Job | None:
        """Act on what the provider said (from a poll or a callback). Returns the job once it moved on."""
        if result.status in (ProviderStatus.PENDING, ProviderStatus.RUNNING):
            return None
        if result.status is ProviderStatus.READY:
            cost = result.cost if result.cost is not None else job.cost
            if cost is None:
                cost = job.estimate
            # The move and the charge commit together: a crash leaves both or neither.
            move = Transition.of(
                job,
                JobState.FETCHING,
                {
                    "result_url": result.image_url,
                    "seed": result.seed if result.seed is not None else job.seed,
                    "cost": cost,
                    "ready_at": time.time(),
                    "polls": job.polls,
                },
            )
            await self.db.atomic(move_and_close, move, await self.quota.settlement(job, cost))
            job = move.applied()
            self.metrics.credits_charged.labels(job.provider, job.model).inc(float(cost))
            log.info("job %s: ready after %d polls, charged %s", job.id, job.polls, cost)
            await self._notify(job)
            return job
        if result.status is ProviderStatus.MODERATED:
            await self._end(
                job,
                JobState.MODERATED,
                "moderated",
                result.message or "The provider's safety filter refused this job.",
                charge=result.cost,
            )
            return job
        if result.status is ProviderStatus.FAILED:
            await self._end(
                job,
                JobState.FAILED,
                "provider_failed",
                f"The provider could not make the image: {result.message or 'no reason given'}.",
                charge=result.cost,
            )
            return job
        if result.status is ProviderStatus.NOT_FOUND:
            await self._end(job, JobState.FAILED, "not_found", FAILURE_TEXT["not_found"])
            return job
        # UNKNOWN: keep polling, but the job timeout still applies because nothing progresses.
        log.warning("job %s: unknown provider status %r", job.id, result.raw_status)
        return None

    async def _fetch(self, job: Job) -> Job:
        """Download the finished image at once, store it, and hand it over (bot/jobs/fetching.py).

        Only from the provider's result hosts (the provider refuses others, and redirects to
        others), with its size cap and timeout. An expired link is refreshed by one poll (TTAPI
        and BFL hand out a fresh signed link for a finished job) before giving up. Retries end
        `fetch_window` after READY at the latest; a storage failure only retries the write.
        """
        provider = self.providers.get(job.provider)
        if provider is None:
            await self._end(job, JobState.FAILED, "no_provider", f"The {job.provider} provider is gone.")
            return job
        data = await self._download(job, provider)
        if data is None:
            return job
        path = await StoreRetries(job, fetch_deadline(job, None, self.fetch_window)).store(
            self.images_dir, data
        )
        if path is None:
            await self._end(job, JobState.FAILED, "storage", FAILURE_TEXT["storage"])
            return job
        # The first hand-over's attempt is counted in the same write as the move.
        return await self.jobs.transition(
            job, JobState.DELIVERING, result_path=str(path), delivery_attempts=job.delivery_attempts + 1
        )

    async def _download(self, job: Job, provider: Provider) -> bytes | None:
        """The image, or None when the job ended because it cannot be downloaded."""
        url = job.result_url or ""
        deadline = fetch_deadline(job, url, self.fetch_window)
        refreshed = False
        attempt = 0
        while True:
            started = time.monotonic()
            try:
                return await provider.download(url)
            except ResultDownloadError as exc:
                kind = download_kind(exc)
                self.metrics.provider_errors.labels(job.provider, "download", kind).inc()
                if kind == "expired" and not refreshed:
                    refreshed = True
                    fresh = await self._poll(job, provider)
                    if fresh is not None and fresh.status is ProviderStatus.READY and fresh.image_url:
                        url = fresh.image_url
                        await self.jobs.update(job, result_url=url)
                        deadline = fetch_deadline(job, url, self.fetch_window)
                        continue
                delay = retry_delay(attempt)
                if kind in ("expired", "refused", "not_an_image") or time.time() + delay > deadline:
                    code = "not_an_image" if kind == "not_an_image" else "download"
                    await self._end(job, JobState.FAILED, code, FAILURE_TEXT[code], detail=exc.detail)
                    return None
                log.warning("job %s: download failed (%s); retrying in %.1fs", job.id, exc.detail, delay)
                attempt += 1
                await asyncio.sleep(delay)
            finally:
                self.metrics.provider_latency.labels(job.provider, "download").observe(
                    time.monotonic() - started
                )

    async def _deliver(self, job: Job, *, counted: bool = False) -> None:
        sink = self._sinks.get(job.origin)
        if sink is None:
            return
        try:
            data = await asyncio.to_thread(Path(job.result_path or "").read_bytes)
        except OSError as exc:
            await self.jobs.transition(
                job, JobState.UNDELIVERABLE, error_code="undeliverable", error_message=f"image lost: {exc}"
            )
            return
        for attempt in range(DELIVERY_ATTEMPTS):
            # Committed before the hand-over: a repeat after a crash is visible to the sink.
            if not (counted and attempt == 0):
                await self.jobs.update(job, delivery_attempts=job.delivery_attempts + 1)
            try:
                message_id = await sink.deliver(job, data)
                break
            except Undeliverable as exc:
                log.warning("job %s: undeliverable: %s", job.id, exc)
                await self._finish(
                    job, JobState.UNDELIVERABLE, error_code="undeliverable", error_message=str(exc)[:500]
                )
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if attempt + 1 == DELIVERY_ATTEMPTS:
                    log.exception("job %s: delivery failed %d times; giving up", job.id, DELIVERY_ATTEMPTS)
                    await self._finish(
                        job,
                        JobState.UNDELIVERABLE,
                        error_code="undeliverable",
                        error_message=f"delivery failed: {type(exc).__name__}",
                    )
                    return
                log.warning("job %s: delivery failed (%s); retrying", job.id, type(exc).__name__)
                await asyncio.sleep(min(30.0, 2.0 * 2**attempt))
        await self._finish(job, JobState.DELIVERED, result_message_id=message_id)
        self.metrics.job_seconds.labels(job.model).observe(max(0.0, time.time() - job.created_at))
        log.info("job %s: delivered", job.id)

    async def _finish(self, job: Job, state: JobState, **fields: Any) -> None:
        await self.jobs.transition(job, state, **fields)
        self.metrics.finished.labels(state.value, job.model).inc()

    async def _end(
        self,
        job: Job,
        state: JobState,
        code: str,
        message: str,
        *,
        detail: str | None = None,
        charge: Decimal | None = None,
    ) -> None:
        """Finish a job without an image: release its hold (or charge what the provider reported)."""
        fields: dict[str, Any] = {"error_code": code, "error_message": message[:500]}
        if charge:
            fields["cost"] = charge
        elif job.state is not JobState.FETCHING:
            # Only a job that failed after READY was charged (with the move to fetching); a cost
            # known from the submit answer (BFL) was never charged for a job that ends here.
            fields["cost"] = None
        move = Transition.of(job, state, fields)
        if charge:
            close = await self.quota.settlement(job, charge)
        else:
            close = self.quota.release_statement(job, code)
        await self.db.atomic(move_and_close, move, close)
        move.applied()
        await discard_inputs(self.jobs, job.id)  # no image came of it: nothing can reuse them
        self.metrics.finished.labels(state.value, job.model).inc()
        if charge:
            self.metrics.credits_charged.labels(job.provider, job.model).inc(float(charge))
        log.warning("job %s: %s (%s)%s", job.id, state, code, f": {detail}" if detail else "")
        sink = self._sinks.get(job.origin)
        if sink is not None:
            try:
                await sink.job_failed(job)
            except Exception:
                log.exception("job %s: telling the member about the failure failed", job.id)

    # -- callbacks --------------------------------------------------------------------------------

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
        """A provider called back. Authenticate it, then hand its news to the job's task.

        Nothing is changed for an unauthenticated call. The job's own task acts on the news (one
        code path for polls and callbacks, no race between them); this returns at once.
        """
        job = self._active.get(job_id)
        if job is None:
            job = await self.jobs.get(job_id) if len(job_id) <= 64 else None
        expected = job.callback_token if job is not None and job.provider == provider_name else None
        if not callback_authentic(expected, body, token=token, secret=secret, signature=signature):
            self.metrics.callbacks.labels(provider_name, CallbackOutcome.UNAUTHORIZED.value).inc()
            return CallbackOutcome.UNAUTHORIZED
        assert job is not None
        outcome = self._take_callback(job, body)
        self.metrics.callbacks.labels(provider_name, outcome.value).inc()
        return outcome

    def _take_callback(self, job: Job, body: bytes) -> CallbackOutcome:
        provider = self.providers.get(job.provider)
        secrets_of = getattr(provider, "_secrets", None)
        if callable(secrets_of) and secrets_of():
            # A callback echoing our key (as an error message might) must not reach the store or
            # members: the same redaction as for answers to our own requests.
            text = body.decode("utf-8", "replace")
            for secret in secrets_of():
                text = text.replace(secret, "***")
            body = text.encode()
        try:
            payload = json.loads(body)
            if not isinstance(payload, dict) or provider is None:
                raise ValueError("not a JSON object")
            provider_job_id, result = provider.parse_callback(payload)
        except (ValueError, NotImplementedError) as exc:
            log.warning("job %s: unreadable callback (%s)", job.id, exc)
            return CallbackOutcome.INVALID
        if job.state.terminal or job.state in (JobState.FETCHING, JobState.DELIVERING, JobState.QUEUED):
            return CallbackOutcome.DUPLICATE
        if provider_job_id and job.provider_job_id and provider_job_id != job.provider_job_id:
            log.warning("job %s: callback names another provider job; ignored", job.id)
            return CallbackOutcome.INVALID
        pending = self._inbox.get(job.id)
        if pending is not None and settled(pending.result) and not settled(result):
            return CallbackOutcome.DUPLICATE  # an intermediate status after the final one: keep the final
        self._inbox.put(job.id, Inbound(provider_job_id or job.provider_job_id, result))
        self.wake(job.id)
        return CallbackOutcome.ACCEPTED

    # -- observability ----------------------------------------------------------------------------

    async def refresh_metrics(self) -> None:
        """Bring the gauges up to date (called by `/metrics` before rendering)."""
        counts = await self.jobs.unfinished_counts()
        self.metrics.jobs.clear()
        for state, model, n in counts:
            self.metrics.jobs.labels(state, model).set(n)
        for provider in set(self._queue.providers()) | set(self.providers):
            self._gauge(provider)

    async def _notify(self, job: Job, *, fraction: float | None = None) -> None:
        sink = self._sinks.get(job.origin)
        if sink is None:
            return
        elapsed = time.time() - job.submitted_at if job.submitted_at else None
        position = self.position_of(job.id) if job.state is JobState.QUEUED else None
        job.queue_position = position
        progress = Progress(job.state, position, elapsed, await self.typical(job), fraction)
        try:
            await sink.job_updated(job, progress)
        except Exception:
            log.exception("job %s: progress update failed", job.id)


async def _wait_event(event: asyncio.Event, timeout: float) -> None:
    """Until `event` is set or `timeout` passes. (Not `wait_for`: on Python 3.11 it can swallow a
    cancellation that coincides with its own timeout, which left `stop()` waiting forever.)"""
    try:
        async with asyncio.timeout(timeout):
            await event.wait()
    except TimeoutError:
        pass


def _seq(job: Job) -> int:
    return job.seq
