"""The hand-off to whoever asked: progress as a job moves, and delivery of its finished image.

Through the registered `JobSink` of the job's origin (bot/jobs/sink.py); the core knows nothing of
Discord. Delivery is at least once, never silently twice: `delivery_attempts` is committed before
each hand-over, so a sink can tell a repeat (attempts > 1) from a first post.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.jobs.claims import Claims
from bot.jobs.ending import Ending, failure_note, stored, until_stored
from bot.jobs.metrics import JobMetrics
from bot.jobs.model import Job, JobState
from bot.jobs.sink import Progress, Sinks, Undeliverable, reads_own_positions, result_ids
from bot.store.jobs import JobRepository

log = logging.getLogger(__name__)

#: Delivery hand-overs before a job is given up as undeliverable.
DELIVERY_ATTEMPTS = 5


class Handoff:
    def __init__(
        self,
        sinks: Sinks,
        jobs: JobRepository,
        ending: Ending,
        metrics: JobMetrics,
        *,
        position_of: Callable[[Job], Awaitable[int | None]],
        typical: Callable[[Job], Awaitable[float]],
        claims: Claims,
    ) -> None:
        self.sinks = sinks
        self.jobs = jobs
        self.ending = ending
        self.metrics = metrics
        self.position_of = position_of
        self.typical = typical
        self.claims = claims  # `fence` before each post: this process still holds the job

    async def notify(self, job: Job, *, fraction: float | None = None, position: int | None = None) -> None:
        """Tell the job's sink where it stands (its queue position while queued: `position` when the
        caller read it already)."""
        sink = self.sinks.get(job.origin)
        if sink is None:
            return
        elapsed = time.time() - job.submitted_at if job.submitted_at else None
        if job.state is not JobState.QUEUED:
            position = None
        elif position is None and not reads_own_positions(sink):
            position = await self.position_of(job)
        job.queue_position = position
        progress = Progress(job.state, position, elapsed, await self.typical(job), fraction)
        try:
            await sink.job_updated(job, progress)
        except Exception:
            log.exception("job %s: progress update failed", job.id)

    async def deliver(self, job: Job, *, counted: bool = False, image: bytes | None = None) -> None:
        """Hand the saved image to the sink, a few times if need be, then end the job.

        `counted`: the first attempt was already counted (with the move to `delivering`). `image`:
        the saved image's bytes when the caller has them (just fetched), else read from its file.
        """
        sink = self.sinks.get(job.origin)
        if sink is None:
            return
        try:
            data = (
                image
                if image is not None
                else await asyncio.to_thread(Path(job.result_path or "").read_bytes)
            )
        except OSError as exc:
            await self.jobs.transition(
                job,
                JobState.UNDELIVERABLE,
                error_code="undeliverable",
                error_message=f"image lost: {exc}",
                error_note=stored(failure_note("image_lost")),
            )
            return
        for attempt in range(DELIVERY_ATTEMPTS):
            # Committed before the hand-over: a repeat after a crash is visible to the sink. A
            # compare-and-set on the attempts and the claim: a worker whose job was taken over
            # (its lease lost, reaped) gets `StaleJobState` here and does not post again.
            self.claims.fence(job)
            if not (counted and attempt == 0):
                await self.jobs.count_delivery(job, self.claims.holder)
            self.claims.fence(job)
            try:
                await sink.deliver(job, data)
                break
            except Undeliverable as exc:
                log.warning("job %s: undeliverable: %s", job.id, exc)
                await self.ending.finish(
                    job,
                    JobState.UNDELIVERABLE,
                    error_code="undeliverable",
                    error_message=str(exc)[:500],
                    error_note=stored(failure_note("undeliverable")),
                )
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if attempt + 1 == DELIVERY_ATTEMPTS:
                    log.exception("job %s: delivery failed %d times; giving up", job.id, DELIVERY_ATTEMPTS)
                    await self.ending.finish(
                        job,
                        JobState.UNDELIVERABLE,
                        error_code="undeliverable",
                        error_message=f"delivery failed: {type(exc).__name__}",
                        error_note=stored(failure_note("undeliverable")),
                    )
                    return
                log.warning("job %s: delivery failed (%s); retrying", job.id, type(exc).__name__)
                await asyncio.sleep(min(30.0, 2.0 * 2**attempt))
        # Posted: the end is retried until it is stored. Given up (a store error, a conflict), the
        # job would stay `delivering`, its claim released, and the next claim would post it again.
        # The ids of what the sink posted are stored with the end (one statement with the release
        # on PostgreSQL, `Ending.delivered`), not in a write of their own.
        ids = result_ids(sink, job)
        await until_stored(job.id, functools.partial(self.ending.delivered, job, ids))
        self.metrics.job_seconds.labels(job.model).observe(max(0.0, time.time() - job.created_at))
        log.info("job %s: delivered", job.id)
