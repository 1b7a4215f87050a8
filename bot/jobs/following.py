"""Following a submitted job: polls on the learned schedule, callbacks, and acting on the answer."""

from __future__ import annotations

import dataclasses
import logging
import time
from typing import Any

from bot.jobs.callbacks import CallbackTrust, Mailbox
from bot.jobs.config import DriveConfig
from bot.jobs.ending import Ending, failure_note
from bot.jobs.handoff import Handoff
from bot.jobs.metrics import JobMetrics
from bot.jobs.model import Job, JobState
from bot.jobs.pacing import ProviderPacing
from bot.jobs.polling import Pace, poll_delay
from bot.jobs.waiting import wait_event
from bot.jobs.windows import FinishWindows
from bot.providers.base import PollResult, Provider, ProviderBusy, ProviderError, ProviderStatus
from bot.quota import QuotaService
from bot.store.db import Database
from bot.store.jobs import JobRepository, Transition
from bot.store.units import move_and_close

log = logging.getLogger(__name__)

#: What a provider calls back with: a poll that finds one of these first found the callback missing.
CALLED_BACK = (ProviderStatus.READY, ProviderStatus.FAILED, ProviderStatus.MODERATED)

#: The ticks a wait before a poll may end on (seconds), each a multiple of the one before: a wait
#: ends on the next multiple of the largest of them that is at most a tenth of it (`poll_tick`), so
#: the polls of a process due within one tick go out in one turn of the event loop, and a coarse
#: tick's polls with those of the fine ticks it falls on. A poll sent in a turn of its own costs a
#: worker a sleep and a wake-up more than the request itself (docs/PERFORMANCE.md, "Polls on a
#: shared tick"). The price: a poll, and the image it finds ready, up to a tenth of its wait later.
#: A wait under a second (a job about to end, the minimum interval) is left exact.
POLL_TICKS = (0.1, 0.5, 1.0)


def poll_tick(delay: float) -> float:
    """The tick a wait of `delay` seconds before a poll ends on (0: none, it ends exactly)."""
    tick = 0.0
    for step in POLL_TICKS:
        if delay >= step * 10:
            tick = step
    return tick


class Follower:
    def __init__(
        self,
        *,
        db: Database,
        jobs: JobRepository,
        quota: QuotaService,
        providers: dict[str, Provider],
        pacing: ProviderPacing,
        mailbox: Mailbox,
        windows: FinishWindows,
        ending: Ending,
        handoff: Handoff,
        metrics: JobMetrics,
        config: DriveConfig,
    ) -> None:
        self.db = db
        self.jobs = jobs
        self.quota = quota
        self.providers = providers
        self.pacing = pacing
        self.mailbox = mailbox
        self.windows = windows
        self.ending = ending
        self.handoff = handoff
        self.metrics = metrics
        self.config = config

    async def poll(self, job: Job, provider: Provider) -> PollResult | None:
        """One rate-limited poll; None when it failed (the schedule simply goes on)."""
        await self.pacing.take_token(job.provider)
        started = time.monotonic()
        job.polls += 1
        self.metrics.polls.labels(job.provider).inc()
        try:
            result = await provider.poll(job.provider_job_id or "", job.polling_url)
        except ProviderBusy as exc:
            await self.pacing.busy(job.provider, exc, "poll")
            return None
        except ProviderError as exc:
            self.metrics.provider_errors.labels(job.provider, "poll", exc.kind).inc()
            log.warning("job %s: poll failed (%s)", job.id, exc.detail or exc.message)
            return None
        finally:
            self.metrics.provider_latency.labels(job.provider, "poll").observe(time.monotonic() - started)
        self.pacing.ok(job.provider)
        return result

    async def follow(self, job: Job) -> Job:
        """Poll on the learned schedule until the provider says the job is over.

        A callback (or `wake`) cuts a wait short, and its news is used without a poll. The job
        times out after `job_timeout` seconds without a sign of progress (a new status or progress
        figure); the last one is recorded (`updated_at`), so a restart does not reset the clock —
        but it grants at least half a timeout after downtime, and always one look first.
        """
        config = self.config
        provider = self.providers.get(job.provider)
        if provider is None:
            await self.ending.end(
                job,
                JobState.FAILED,
                "no_provider",
                failure_note("no_provider"),
                message=f"The {job.provider} provider is gone.",
            )
            return job
        wakeup = self.mailbox.waiter(job.id)
        inbox = self.mailbox.inbox
        durations = await self.windows.durations(job)
        policy = close = trusting = config.poll_policy
        calls_back = config.callback_url is not None and config.callback_url(job) is not None
        # The job's own progress predicts its finish (`Pace`): the next poll goes just after it. A
        # first figure far too small for a learned window: queued just before, likely (`beyond`).
        learned = not calls_back and durations.samples >= policy.min_samples
        pace = Pace(beyond=durations.high * policy.queued_beyond if learned else None)
        if calls_back:
            # A callback will say when it is ready: polling is only the fallback, so it starts
            # when such jobs are usually already done (the slow end) and thins out from there; a
            # job's progress places the next one a grace after its predicted end: a minute at
            # most, or five while the provider's callbacks are trusted (none known lost lately).
            durations = dataclasses.replace(durations, low=durations.high, high=durations.high * 2)
            close, trusting = policy.for_callbacks(), policy.for_callbacks(trusted=True)
        trust = self.mailbox.trust
        now = time.time()
        last_progress = max(job.updated_at, job.submitted_at or 0.0, now - config.job_timeout / 2)
        last_seen: tuple[Any, ...] | None = None
        looked = False
        persisted = job.updated_at
        while True:
            inbound = inbox.pop(job.id)
            if inbound is None:
                if calls_back:
                    policy = trusting if trust.trusted(job.provider) else close
                elapsed = time.time() - (job.submitted_at or job.created_at)
                delay = poll_delay(
                    elapsed,
                    durations,
                    policy,
                    finish=pace.finish(),
                    steady=pace.steady(policy.steady),
                    # A callback will say when it is over: no poll only to measure its pace.
                    measuring=pace.measuring and not calls_back,
                )
                if looked:
                    delay = min(delay, max(0.0, config.job_timeout - (time.time() - last_progress)))
                wakeup.clear()
                if delay > 0:
                    await wait_event(wakeup, delay, tick=poll_tick(delay))
                inbound = inbox.pop(job.id)
            if inbound is not None:
                result: PollResult | None = inbound.result
            else:
                if looked and time.time() - last_progress >= config.job_timeout:
                    await self.ending.end(job, JobState.TIMED_OUT, "timeout", failure_note("timeout"))
                    return job
                result = await self.poll(job, provider)
                looked = True
                if calls_back and result is not None and result.status in CALLED_BACK:
                    self._missed(job, trust)
            if result is None:
                continue
            if inbound is None:
                pace.report(time.time() - (job.submitted_at or job.created_at), result.progress)
            seen = (result.status, result.raw_status, result.progress)
            if seen != last_seen:
                if last_seen is not None or inbound is not None:
                    last_progress = time.time()
                    if last_progress - persisted >= config.job_timeout / 4:
                        # Recorded for a restart's timeout clock; coarsely, to spare the store.
                        await self.jobs.update(job, polls=job.polls)
                        persisted = last_progress
                last_seen = seen
            done = await self.apply_result(job, result)
            if done is not None:
                return done
            await self.handoff.notify(job, fraction=result.progress)

    def _missed(self, job: Job, trust: CallbackTrust) -> None:
        """A fallback poll found the job over before its callback came: lost, or late."""
        if trust.missed(job.provider):
            log.warning(
                "job %s: found over by a poll before its %s callback came; that provider's fallback "
                "polls stay at most %.0f s apart for %.0f min",
                job.id,
                job.provider,
                self.config.poll_policy.for_callbacks().max_interval,
                trust.distrust / 60,
            )

    async def apply_result(self, job: Job, result: PollResult) -> Job | None:
        """Act on what the provider said (from a poll or a callback). Returns the job once it moved on."""
        if result.status in (ProviderStatus.PENDING, ProviderStatus.RUNNING):
            return None
        if result.status is ProviderStatus.READY:
            return await self._ready(job, result)
        if result.status is ProviderStatus.MODERATED:
            await self.ending.end(
                job,
                JobState.MODERATED,
                "moderated",
                failure_note("moderated"),
                message=result.message or "The provider's safety filter refused this job.",
                charge=result.cost,
            )
            return job
        if result.status is ProviderStatus.FAILED:
            await self.ending.end(
                job,
                JobState.FAILED,
                "provider_failed",
                # The provider's own words, as it said them; the sentence around them is ours.
                failure_note("provider_failed", said=result.message[:300])
                if result.message
                else failure_note("provider_failed_silent"),
                message=f"The provider could not make the image: {result.message or 'no reason given'}.",
                charge=result.cost,
            )
            return job
        if result.status is ProviderStatus.NOT_FOUND:
            await self.ending.end(job, JobState.FAILED, "not_found", failure_note("not_found"))
            return job
        # UNKNOWN: keep polling, but the job timeout still applies because nothing progresses.
        log.warning("job %s: unknown provider status %r", job.id, result.raw_status)
        return None

    async def _ready(self, job: Job, result: PollResult) -> Job:
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
        await self.handoff.notify(job)
        return job
