"""The job manager: accepts jobs, schedules them fairly, drives each through its states.

It knows nothing of Discord. Whoever asked for a job registers a `JobSink` for its origin (the
Discord bot, or the command line) and hears of progress and the finished image through it.

Every state change is committed before the action that depends on it, so after a crash each job
resumes from the state the store says it is in:

    queued      → submit it
    submitting  → the crash came between "about to submit" and "submitted": the provider may or may
                  not have the job, and neither TTAPI nor BFL can be asked without its id. It is
                  never submitted again blindly (that could bill the member twice): the job fails
                  with `submit_unknown` and its hold is released.
    running     → poll it again (or wait for its callback)
    fetching    → download the result again (the link is still valid for minutes)
    delivering  → hand the saved image to the sink again; the sink is idempotent by job id
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from bot.errors import QueueFull
from bot.jobs.model import Job, JobState, Origin
from bot.jobs.polling import PollPolicy, poll_delay, typical_duration
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
from bot.store.jobs import InputImage, JobRepository, StaleJobState

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Progress:
    """What a member is shown while a job runs."""

    state: JobState
    queue_position: int | None = None
    elapsed: float | None = None  # seconds since submit
    typical: float | None = None  # seconds such a job usually takes
    fraction: float | None = None  # 0..1 when the provider says


class Undeliverable(Exception):
    """The sink could not deliver, and retrying will not help."""


class JobSink(Protocol):
    """The narrow interface through which the manager tells the asker about a job."""

    async def job_updated(self, job: Job, progress: Progress) -> None:
        """The job moved or progressed. Called often; the sink throttles what it shows."""

    async def deliver(self, job: Job, image: bytes) -> int | None:
        """Post the finished image; return a message id if there is one. Must be idempotent per job."""

    async def job_failed(self, job: Job) -> None:
        """The job ended without an image (failed, moderated, timed out, cancelled)."""


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


#: Request fields that carry images; kept out of the stored params and in `job_inputs` instead.
IMAGE_FIELDS = ("image_prompt", "input_image", "input_image_2", "input_image_3", "input_image_4")

#: What a member reads when a job ends without an image.
FAILURE_TEXT = {
    "submit_unknown": "The provider did not confirm the job. It was not sent again, so you cannot be "
    "charged twice.",
    "timeout": "The provider took too long and the job was given up.",
    "not_found": "The provider lost track of the job.",
    "download": "The finished image could not be downloaded from the provider.",
    "unknown_status": "The provider reported a status the bot does not understand.",
}


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
        poll_policy: PollPolicy | None = None,
        callback_url: Callable[[Job], Callback | None] | None = None,
    ) -> None:
        self.db = db
        self.jobs = jobs
        self.quota = quota
        self.providers = providers
        self.images_dir = images_dir
        self.max_active_per_user = max_active_per_user
        self.max_queued_per_user = max_queued_per_user
        self.concurrency = concurrency or {}
        self.job_timeout = job_timeout
        self.poll_policy = poll_policy or PollPolicy()
        self.callback_url = callback_url
        self._sinks: dict[Origin, JobSink] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._wakeups: dict[str, asyncio.Event] = {}
        self._in_flight: dict[str, int] = {}
        self._active_users: dict[int, int] = {}
        self._schedule_event = asyncio.Event()
        self._idle = asyncio.Event()
        self._scheduler: asyncio.Task[None] | None = None
        self._not_before: dict[str, float] = {}  # job id → monotonic time before which not to submit
        self._typical_cache: dict[tuple[str, str], tuple[float, float]] = {}

    # -- lifetime ---------------------------------------------------------------------------------

    def register_sink(self, origin: Origin, sink: JobSink) -> None:
        self._sinks[origin] = sink

    async def start(self) -> None:
        """Resume every unfinished job of the registered origins, then schedule new ones."""
        self.images_dir.mkdir(parents=True, exist_ok=True)
        for job in await self.jobs.unfinished(self._sinks):
            if job.state is not JobState.QUEUED:
                log.info("job %s: resuming in state %s", job.id, job.state)
                self._launch(job)
        self._scheduler = asyncio.create_task(self._schedule_loop(), name="fluxbot-scheduler")
        self._schedule_event.set()

    async def stop(self) -> None:
        tasks = [t for t in (self._scheduler, *self._tasks.values()) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
        self._scheduler = None

    async def wait_idle(self, timeout: float | None = None) -> None:
        """Until no job of a registered origin is queued or in progress (tests, CLI, shutdown)."""
        async with asyncio.timeout(timeout):
            while True:
                if not self._tasks and not await self.jobs.unfinished(self._sinks):
                    return
                self._idle.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._idle.wait(), 0.5)

    async def wait_for(self, job_id: str, timeout: float | None = None) -> Job:
        """Until the job is terminal; returns it."""
        async with asyncio.timeout(timeout):
            while True:
                job = await self.jobs.get(job_id)
                if job is None:
                    raise KeyError(job_id)
                if job.state.terminal:
                    return job
                self._idle.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._idle.wait(), 0.5)

    # -- accepting --------------------------------------------------------------------------------

    async def submit(self, new: NewJob) -> Job:
        """Accept a job: check the member's queue, hold its estimated cost, store it as queued.

        All in one transaction, so concurrent commands can never together exceed a limit.
        Raises `QueueFull` or `QuotaExceeded` (user-facing, nothing spent).
        """
        now = time.time()
        images = [
            InputImage(name, base64.b64decode(new.request.body[name]))
            for name in IMAGE_FIELDS
            if isinstance(new.request.body.get(name), str)
        ]
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
        async with self.db.transaction() as conn:
            if new.enforce_quota:
                waiting = await self.jobs.count_unfinished_for_user(conn, new.user_id)
                if waiting >= self.max_active_per_user + self.max_queued_per_user:
                    raise QueueFull(
                        f"You already have {waiting} jobs queued or running. "
                        "Wait for one to finish (see `/jobs`) and try again."
                    )
            # Inserted first (the hold refers to it); a refused hold rolls both back.
            await self.jobs.insert(conn, job, images)
            await self.quota.hold(conn, job, role_ids=new.role_ids, enforce=new.enforce_quota)
        log.info("job %s: accepted (%s on %s, estimate %s)", job.id, job.model, job.provider, estimate)
        job.queue_position = await self.queue_position(job)
        await self._notify(job)
        self._schedule_event.set()
        return job

    async def queue_position(self, job: Job) -> int | None:
        """1 for the next job to be submitted; None once it left the queue."""
        row = await self.db.fetchone(
            "SELECT state, (SELECT COUNT(*) FROM jobs WHERE state = 'queued' AND seq < ?)"
            " FROM jobs WHERE id = ?",
            (job.seq, job.id),
        )
        if row is None or row[0] != JobState.QUEUED.value:
            return None
        return int(row[1]) + 1

    # -- scheduling -------------------------------------------------------------------------------

    async def _schedule_loop(self) -> None:
        while True:
            self._schedule_event.clear()
            try:
                await self._schedule_once()
            except Exception:
                log.exception("scheduler pass failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._schedule_event.wait(), 1.0)

    async def _schedule_once(self) -> None:
        """Start queued jobs in arrival order, skipping those whose member or provider is at its limit."""
        queued = [j for j in await self.jobs.unfinished(self._sinks) if j.state is JobState.QUEUED]
        now = time.monotonic()
        for job in queued:
            if job.id in self._tasks:
                continue
            if self._not_before.get(job.id, 0) > now:
                continue
            if self._active_users.get(job.user_id, 0) >= self.max_active_per_user:
                continue
            if self._in_flight.get(job.provider, 0) >= self.concurrency.get(job.provider, 10):
                continue
            self._launch(job)
        if not self._tasks and not queued:
            self._idle.set()

    def _launch(self, job: Job) -> None:
        self._in_flight[job.provider] = self._in_flight.get(job.provider, 0) + 1
        self._active_users[job.user_id] = self._active_users.get(job.user_id, 0) + 1
        task = asyncio.create_task(self._drive(job), name=f"fluxbot-job-{job.id}")
        self._tasks[job.id] = task
        task.add_done_callback(functools.partial(self._on_task_done, job))

    def _on_task_done(self, job: Job, _task: asyncio.Task[None]) -> None:
        self._tasks.pop(job.id, None)
        self._wakeups.pop(job.id, None)
        self._in_flight[job.provider] = max(0, self._in_flight.get(job.provider, 1) - 1)
        self._active_users[job.user_id] = max(0, self._active_users.get(job.user_id, 1) - 1)
        self._schedule_event.set()
        self._idle.set()

    def wake(self, job_id: str) -> None:
        """A callback arrived for this job: poll it now instead of at its next scheduled time."""
        event = self._wakeups.get(job_id)
        if event is not None:
            event.set()

    # -- driving one job --------------------------------------------------------------------------

    async def _drive(self, job: Job) -> None:
        try:
            if job.state is JobState.QUEUED:
                job = await self._submit(job)
            if job.state is JobState.SUBMITTING:
                await self._end(job, JobState.FAILED, "submit_unknown", FAILURE_TEXT["submit_unknown"])
                return
            if job.state is JobState.RUNNING:
                job = await self._follow(job)
            if job.state is JobState.FETCHING:
                job = await self._fetch(job)
            if job.state is JobState.DELIVERING:
                await self._deliver(job)
        except StaleJobState as exc:
            log.info("job %s: %s; leaving it", job.id, exc)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("job %s: unexpected error in state %s", job.id, job.state)
            with contextlib.suppress(Exception):
                if not job.state.terminal and job.state is not JobState.DELIVERING:
                    await self._end(job, JobState.FAILED, "internal", "Something went wrong inside the bot.")

    async def _submit(self, job: Job) -> Job:
        provider = self.providers.get(job.provider)
        if provider is None:
            await self._end(
                job, JobState.FAILED, "no_provider", f"The {job.provider} provider is not configured."
            )
            return job
        request = await self._rebuild_request(job)
        job = await self.jobs.transition(job, JobState.SUBMITTING, attempts=job.attempts + 1)
        await self._notify(job)
        callback = self.callback_url(job) if self.callback_url else None
        try:
            submission = await provider.submit(request, callback=callback)
        except ProviderBusy as exc:
            # Refused before acceptance: safe to try again later.
            delay = exc.retry_after if exc.retry_after is not None else min(60.0, 2.0**job.attempts)
            log.warning("job %s: %s busy (%s); retrying in %.1fs", job.id, job.provider, exc.detail, delay)
            self._not_before[job.id] = time.monotonic() + delay
            job = await self.jobs.transition(
                job, JobState.QUEUED, error_code="busy", error_message=exc.message
            )
            asyncio.get_running_loop().call_later(delay, self._schedule_event.set)
            return job
        except ProviderModerated as exc:
            await self._end(job, JobState.MODERATED, "moderated", exc.message, detail=exc.detail)
            return job
        except ProviderError as exc:
            if exc.kind in ("server", "network"):
                # It may have been accepted and billed: never replay blindly.
                await self._end(
                    job, JobState.FAILED, "submit_unknown", FAILURE_TEXT["submit_unknown"], detail=exc.detail
                )
            else:
                await self._end(job, JobState.FAILED, exc.kind, exc.message, detail=exc.detail)
            return job
        self._not_before.pop(job.id, None)
        job = await self.jobs.transition(
            job,
            JobState.RUNNING,
            provider_job_id=submission.provider_job_id,
            polling_url=submission.polling_url,
            cost=submission.cost,
            submitted_at=time.time(),
            error_code=None,
            error_message=None,
        )
        log.info("job %s: submitted to %s as %s", job.id, job.provider, submission.provider_job_id)
        await self._notify(job)
        return job

    async def _rebuild_request(self, job: Job) -> ProviderRequest:
        body = dict(job.params["body"])
        for image in await self.jobs.inputs(job.id):
            body[image.field] = base64.b64encode(image.data).decode("ascii")
        return ProviderRequest(
            endpoint=job.params["endpoint"], body=body, host=job.params.get("host", "default")
        )

    async def typical(self, job: Job) -> float:
        if self.poll_policy.typical_override is not None:
            return self.poll_policy.typical_override
        key = (job.provider, job.model)
        cached = self._typical_cache.get(key)
        if cached and cached[1] > time.monotonic():
            return cached[0]
        spec = MODELS.get(job.model)
        provider = self.providers.get(job.provider)
        hint = provider.typical_seconds(job.model) if provider else None
        default = hint if hint is not None else (spec.typical_seconds if spec else 15.0)
        value = typical_duration(await self.jobs.recent_durations(job.provider, job.model), default)
        self._typical_cache[key] = (value, time.monotonic() + 60)
        return value

    async def _follow(self, job: Job) -> Job:
        """Poll until the provider says the job is over; a callback cuts a wait short."""
        provider = self.providers[job.provider]
        wakeup = self._wakeups.setdefault(job.id, asyncio.Event())
        typical = await self.typical(job)
        last_progress = time.monotonic()
        last_seen: tuple[str, float | None] | None = None
        while True:
            elapsed = time.time() - (job.submitted_at or job.created_at)
            delay = poll_delay(elapsed, typical, self.poll_policy)
            if time.monotonic() - last_progress + delay > self.job_timeout:
                delay = max(0.0, self.job_timeout - (time.monotonic() - last_progress))
            wakeup.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wakeup.wait(), delay)
            if time.monotonic() - last_progress >= self.job_timeout:
                await self._end(job, JobState.TIMED_OUT, "timeout", FAILURE_TEXT["timeout"])
                return job
            try:
                result = await provider.poll(job.provider_job_id or "", job.polling_url)
            except ProviderError as exc:
                if exc.retry_after:
                    await asyncio.sleep(exc.retry_after)
                log.warning("job %s: poll failed (%s)", job.id, exc.detail or exc.message)
                continue
            finally:
                job.polls += 1
            seen = (result.raw_status, result.progress)
            if seen != last_seen:
                last_seen = seen
                last_progress = time.monotonic()
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
            async with self.db.transaction() as conn:
                job = await self.jobs.transition(
                    job,
                    JobState.FETCHING,
                    conn=conn,
                    result_url=result.image_url,
                    seed=result.seed if result.seed is not None else job.seed,
                    cost=cost,
                    ready_at=time.time(),
                    polls=job.polls,
                )
                await self.quota.settle(conn, job, cost)
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
        provider = self.providers[job.provider]
        last_error: ResultDownloadError | None = None
        data: bytes | None = None
        for attempt in range(4):
            try:
                data = await provider.download(job.result_url or "")
                break
            except ResultDownloadError as exc:
                last_error = exc
                # Retrying cannot help an expired link, an oversized result or a foreign host.
                if exc.detail in ("link expired", "over the size cap", "redirect loop") or "allow-listed" in (
                    exc.detail or ""
                ):
                    break
                await asyncio.sleep(min(8.0, 0.5 * 2**attempt))
        if data is None:
            assert last_error is not None
            await self._end(
                job, JobState.FAILED, "download", FAILURE_TEXT["download"], detail=last_error.detail
            )
            return job
        path = self.images_dir / f"{job.id}{_extension(data)}"
        await asyncio.to_thread(_write_atomically, path, data)
        return await self.jobs.transition(job, JobState.DELIVERING, result_path=str(path))

    async def _deliver(self, job: Job) -> None:
        sink = self._sinks.get(job.origin)
        if sink is None:
            return
        data = await asyncio.to_thread(Path(job.result_path or "").read_bytes)
        try:
            message_id = await sink.deliver(job, data)
        except Undeliverable as exc:
            log.warning("job %s: undeliverable: %s", job.id, exc)
            await self.jobs.transition(
                job, JobState.UNDELIVERABLE, error_code="undeliverable", error_message=str(exc)[:500]
            )
            return
        await self.jobs.transition(job, JobState.DELIVERED, result_message_id=message_id)
        log.info("job %s: delivered", job.id)

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
        async with self.db.transaction() as conn:
            await self.jobs.transition(
                job,
                state,
                conn=conn,
                error_code=code,
                error_message=message[:500],
                # A job that failed after READY was already charged: keep that cost on the job.
                cost=charge or (job.cost if job.state is JobState.FETCHING else None),
            )
            if charge:
                await self.quota.settle(conn, job, charge)
            else:
                await self.quota.release(conn, job, note=code)
        log.warning("job %s: %s (%s)%s", job.id, state, code, f": {detail}" if detail else "")
        sink = self._sinks.get(job.origin)
        if sink is not None:
            try:
                await sink.job_failed(job)
            except Exception:
                log.exception("job %s: telling the member about the failure failed", job.id)

    async def cancel(self, job_id: str, user_id: int | None = None) -> Job | None:
        """Cancel a queued job at no cost. Returns the job if it was cancelled."""
        job = await self.jobs.get(job_id)
        if (
            job is None
            or job.state is not JobState.QUEUED
            or (user_id is not None and job.user_id != user_id)
        ):
            return None
        task = self._tasks.get(job_id)
        if task is not None:
            return None
        try:
            await self._end(job, JobState.CANCELLED, "cancelled", "Cancelled.")
        except StaleJobState:
            return None
        return job

    async def _notify(self, job: Job, *, fraction: float | None = None) -> None:
        sink = self._sinks.get(job.origin)
        if sink is None:
            return
        elapsed = time.time() - job.submitted_at if job.submitted_at else None
        position = await self.queue_position(job) if job.state is JobState.QUEUED else None
        progress = Progress(job.state, position, elapsed, await self.typical(job), fraction)
        try:
            await sink.job_updated(job, progress)
        except Exception:
            log.exception("job %s: progress update failed", job.id)


def _extension(data: bytes) -> str:
    if data.startswith(b"\x89PNG"):
        return ".png"
    if data[:3] == b"\xff\xd8\xff":
        return ".jpg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return ".webp"
    return ".img"


def _write_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".part")
    tmp.write_bytes(data)
    tmp.replace(path)
