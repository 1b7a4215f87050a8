"""The life of one job: submit it, follow it, fetch its image, hand it over — from any state.

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
                  A store that refuses to record the provider's answer (SQLite locked by another
                  process or full, PostgreSQL's connection lost) does not put a job here: only
                  this process knows the answer, so its write is retried in place (`_kept`) until
                  the store takes it.
    running     → poll it again (or wait for its callback); the timeout counts from the last
                  recorded sign of progress, with a grace after downtime (bot/jobs/following.py).
    fetching    → download the result again (the charge was committed with the move to
                  `fetching`, in the same transaction, so it is never charged twice). A job here
                  holds no provider slot; its retries end at `fetch_deadline` (bot/jobs/fetching.py).
    delivering  → hand the saved image to the sink again (bot/jobs/handoff.py). `delivery_attempts`
                  is incremented and committed *before* each hand-over, so a sink can tell a repeat
                  (attempts > 1) from a first post. The window left: a crash after the sink posted
                  and before `delivered` is committed. The CLI sink rewrites the same file
                  (harmless); the Discord sink edits the member's known reply in place (harmless)
                  and, when it must post a new message, can pass a nonce derived from the job id,
                  which Discord de-duplicates (`enforce_nonce`) for a few minutes.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from bot.jobs.callbacks import Mailbox
from bot.jobs.claims import ClaimLost, Claims
from bot.jobs.config import DriveConfig
from bot.jobs.ending import Ending, failure_note, until_stored
from bot.jobs.fetching import Fetcher
from bot.jobs.following import Follower
from bot.jobs.handoff import Handoff
from bot.jobs.in_flight import InFlight
from bot.jobs.metrics import JobMetrics
from bot.jobs.model import Job, JobState
from bot.jobs.pacing import ProviderPacing
from bot.jobs.scheduler import Scheduler
from bot.jobs.store_refusals import STORE_RETRY_SECONDS, StoreRefusals
from bot.jobs.waiting import wait_event
from bot.providers.base import (
    Provider,
    ProviderBusy,
    ProviderError,
    ProviderModerated,
    ProviderRequest,
    ProviderUnreachable,
)
from bot.store import errors as store_errors
from bot.store.files import InputsLost
from bot.store.jobs import JobRepository, StaleJobState

log = logging.getLogger(__name__)

T = TypeVar("T")


class Driver:
    """Drives one job at a time from the state it is in to a terminal one (`drive`)."""

    def __init__(
        self,
        *,
        jobs: JobRepository,
        scheduler: Scheduler,
        pacing: ProviderPacing,
        mailbox: Mailbox,
        ending: Ending,
        handoff: Handoff,
        follower: Follower,
        fetcher: Fetcher,
        metrics: JobMetrics,
        config: DriveConfig,
        claims: Claims,
    ) -> None:
        self.jobs = jobs
        self.claims = claims  # `fence` before the paid submit: this process still holds the job
        self.providers = follower.providers
        self.scheduler = scheduler
        self.pacing = pacing
        self.mailbox = mailbox
        self.ending = ending
        self.handoff = handoff
        self.follower = follower
        self.fetcher = fetcher
        self.metrics = metrics
        self.config = config
        #: Submits under way, which a stop with grace lets finish (bot/jobs/in_flight.py).
        self.submits = InFlight()
        #: Refused steps are logged once per kind, then summarised (not one line per job per second).
        self.refusals = StoreRefusals()

    async def drive(self, job: Job) -> None:
        """Raises one of `store_errors.STORE_REFUSED` when the store refused a step: resume from the store."""
        try:
            if job.state is JobState.QUEUED:
                job = await self._submit(job)
            if job.state is JobState.SUBMITTING:
                job = await self._await_lost_submit(job)
            if job.state is JobState.RUNNING:
                job = await self.follower.follow(job)
            handed_over = False
            image: bytes | None = None
            if job.state is JobState.FETCHING:
                self.scheduler.release_slot(job)  # the provider's work is done: its slot goes to the next
                job, image = await self.fetcher.fetch_image(job)
                handed_over = job.state is JobState.DELIVERING  # its first attempt is counted
            if job.state is JobState.DELIVERING:
                await self.handoff.deliver(job, counted=handed_over, image=image)
        except StaleJobState as exc:
            log.info("job %s: %s; leaving it", job.id, exc)
        except asyncio.CancelledError:
            raise
        except store_errors.STORE_REFUSED as exc:
            # The store is locked by another process beyond busy_timeout, or full: this step was not
            # committed. The caller resumes from what the store says in a moment, as after a
            # restart, instead of leaving the job stranded (its task gone, its row unfinished).
            self.refusals.refused(job.id, job.state, exc)
            raise
        except Exception:
            log.exception("job %s: unexpected error in state %s", job.id, job.state)
            if not job.state.terminal and job.state is not JobState.DELIVERING:
                # Retried while the store refuses it: the hold must not stay open (bot/jobs/ending.py).
                await until_stored(job.id, functools.partial(self._end_internal, job))

    async def _end_internal(self, job: Job) -> None:
        try:
            await self.ending.end(job, JobState.FAILED, "internal", failure_note("internal"))
        except StaleJobState:
            raise
        except store_errors.STORE_OR_DISK_ERRORS:
            raise
        except Exception:
            log.exception("job %s: ending it failed", job.id)  # a second bug: nothing to retry

    async def _submit(self, job: Job) -> Job:
        provider = self.providers.get(job.provider)
        if provider is None:
            await self.ending.end(
                job,
                JobState.FAILED,
                "no_provider",
                failure_note("no_provider"),
                message=f"The {job.provider} provider is not configured.",
            )
            return job
        try:
            request = await self._rebuild_request(job)
        except InputsLost as exc:
            log.error("job %s: %s", job.id, exc.detail)
            await self.ending.end(
                job, JobState.FAILED, "inputs_lost", failure_note("inputs_lost"), detail=exc.detail
            )
            return job
        await self.pacing.take_token(job.provider)
        return await self.submits.shielded(self._send(job, provider, request))

    async def _send(self, job: Job, provider: Provider, request: ProviderRequest) -> Job:
        """The submit itself, from `submitting` to its recorded answer (a stop lets it finish)."""
        self.claims.fence(job)
        job = await self.jobs.transition(job, JobState.SUBMITTING, attempts=job.attempts + 1)
        await self.handoff.notify(job)
        callback = self.config.callback_url(job) if self.config.callback_url else None
        try:
            self.claims.fence(job)  # after this, the job is submitted by this process or by none
        except ClaimLost:
            # Not sent: back to the queue (a compare-and-set), or whoever takes the job over finds it
            # `submitting`, cannot know, and fails it `submit_unknown`. Submitted once, by the next claim.
            # Not an attempt either: `unreachable_attempts` counts requests that went out.
            await self._kept(self.jobs.transition, job, JobState.QUEUED, attempts=job.attempts - 1)
            raise
        paused = self.pacing.paused_for(job.provider)
        if paused > 0:
            # A 429 came while `submitting` was being committed: this request would land inside the
            # provider's pause. It was not sent, so it may wait in the queue again, in its place.
            self.scheduler.hold_back(job.id, paused)
            job = await self._kept(
                self.jobs.transition,
                job,
                JobState.QUEUED,
                attempts=job.attempts - 1,
                error_code="busy",
                error_message="paused",
            )
            self.scheduler.poke_in(paused)
            return job
        started = time.monotonic()
        sent_at = time.time()  # the provider's clock starts now, not when we get to record it
        try:
            submission = await provider.submit(request, callback=callback)
        except (ProviderBusy, ProviderUnreachable) as exc:
            if isinstance(exc, ProviderUnreachable) and job.attempts >= self.config.unreachable_attempts:
                self.metrics.provider_errors.labels(job.provider, "submit", "unreachable").inc()
                note = failure_note("unreachable")
                await self._kept(
                    self.ending.end, job, JobState.FAILED, "unreachable", note, detail=exc.detail
                )
                return job
            # Refused before acceptance, or never sent: safe to try again later, in its place.
            delay = await self.pacing.busy(job.provider, exc, "submit")
            self.scheduler.hold_back(job.id, delay)
            job = await self._kept(
                self.jobs.transition, job, JobState.QUEUED, error_code="busy", error_message=exc.message
            )
            self.scheduler.poke_in(delay)
            return job
        except ProviderModerated as exc:
            self.metrics.provider_errors.labels(job.provider, "submit", exc.kind).inc()
            await self._kept(
                self.ending.end,
                job,
                JobState.MODERATED,
                "moderated",
                failure_note("moderated"),
                message=exc.message,
                detail=exc.detail,
            )
            return job
        except ProviderError as exc:
            self.metrics.provider_errors.labels(job.provider, "submit", exc.kind).inc()
            if exc.kind in ("server", "network"):
                # It may have been accepted and billed: never replay blindly (see the module docstring).
                log.warning("job %s: submit outcome unknown (%s); not sending it again", job.id, exc.detail)
                await self._kept(
                    self.jobs.update, job, error_code="submit_unknown", error_message=exc.message[:500]
                )
                return job  # stays `submitting`: _await_lost_submit decides
            # The provider's own words (why it refused the options) are shown quoted in the sentence.
            note = (
                failure_note(f"{exc.kind}_said", said=exc.said[:300])
                if exc.said
                else failure_note(exc.kind, **exc.note_args)
            )
            await self._kept(
                self.ending.end, job, JobState.FAILED, exc.kind, note, message=exc.message, detail=exc.detail
            )
            return job
        finally:
            self.metrics.provider_latency.labels(job.provider, "submit").observe(time.monotonic() - started)
        self.pacing.ok(job.provider)
        self.scheduler.clear_hold(job.id)
        if job.state is not JobState.SUBMITTING:
            return job  # a callback that raced the submit answer already attached the id
        job = await self._kept(
            self.jobs.transition,
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
        await self.handoff.notify(job)
        return job

    async def _await_lost_submit(self, job: Job) -> Job:
        """A job whose submit may or may not have reached the provider. Never submitted again.

        With callbacks, the provider's authenticated callback (if it has the job) carries its job
        id: attach it and carry on. Without, or when none comes within the job timeout, fail with
        `submit_unknown` and release the hold.
        """
        if self.config.callback_url is None:
            await self.ending.end(job, JobState.FAILED, "submit_unknown", failure_note("submit_unknown"))
            return job
        log.info("job %s: waiting for a callback to learn whether the provider has it", job.id)
        wakeup = self.mailbox.waiter(job.id)
        inbox = self.mailbox.inbox
        deadline = job.updated_at + self.config.job_timeout
        while True:
            inbound = inbox.get(job.id)
            if inbound is not None and inbound.provider_job_id:
                inbox.pop(job.id)
                job = await self._kept(  # popped: only this process knows it now
                    self.jobs.transition,
                    job,
                    JobState.RUNNING,
                    provider_job_id=inbound.provider_job_id,
                    submitted_at=job.updated_at,
                    error_code=None,
                    error_message=None,
                )
                log.info("job %s: the provider's callback names it %s", job.id, job.provider_job_id)
                inbox.put(job.id, inbound)  # follow() acts on what it said
                return job
            remaining = deadline - time.time()
            if remaining <= 0:
                await self.ending.end(job, JobState.FAILED, "submit_unknown", failure_note("submit_unknown"))
                return job
            wakeup.clear()
            await wait_event(wakeup, remaining)

    async def _kept(self, write: Callable[..., Awaitable[T]], job: Job, *args: Any, **fields: Any) -> T:
        """`write(job, *args, **fields)`, retried every second while the store refuses it.

        For what the provider answered a submit: its job id, or that it refused the job or never got
        it. Only this process knows that. Left to the resume (`Runs.resume_later`), the job would be
        read back `submitting` and failed `submit_unknown`: an image the provider made and billed,
        never fetched (seen in CI: the store locked between the provider's answer and its record).
        A try again that finds the job moved on (`StaleJobState`) raises the first refusal after all:
        the refused write may have landed (PostgreSQL's connection cut after the server committed,
        before the client heard so), or another process took the job over once its claim lapsed;
        what the store says is then the answer, read back by the resume as after any refusal.
        """
        refused: BaseException | None = None
        while True:
            try:
                return await write(job, *args, **fields)
            except StaleJobState:
                if refused is None:
                    raise
                raise refused from None
            except store_errors.STORE_REFUSED as exc:
                self.refusals.refused(job.id, job.state, exc)
                refused = exc
                await asyncio.sleep(STORE_RETRY_SECONDS)

    async def _rebuild_request(self, job: Job) -> ProviderRequest:
        body = dict(job.params["body"])
        if job.params.get("options", {}).get("image_count", 1) != 0:
            for image in await self.jobs.inputs(job.id):
                body[image.field] = image.base64  # json_bytes copies it into the body as it is
        return ProviderRequest(
            endpoint=job.params["endpoint"], body=body, host=job.params.get("host", "default")
        )
