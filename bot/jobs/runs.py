"""The jobs this process drives right now: one task each, and the resume after a restart or a
store error.

A job's task runs the `Driver` from whatever state the job is in. When it ends, its provider slot
goes back to the scheduler (a job the provider was too busy to take goes back into the queue, in
its place). When the store refused a step (locked by another process, or full), the job is read
back from the store in a moment and driven again from there, as after a restart.

With shared claims (PostgreSQL) a job's claim is released when its drive ends, still inside its
task (so no pass here can claim it again in between), and a step the store refused is not resumed
here: the claim is given back and the next claim — this worker's or another's — takes the job up.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Iterable

from bot.jobs.callbacks import Mailbox
from bot.jobs.claims import Claims
from bot.jobs.model import Job, JobState, Origin
from bot.jobs.scheduler import Scheduler
from bot.jobs.store_refusals import STORE_RETRY_SECONDS
from bot.jobs.tasks import TaskRegistry
from bot.store import errors as store_errors
from bot.store.jobs import JobRepository

log = logging.getLogger(__name__)


class Runs:
    def __init__(
        self,
        jobs: JobRepository,
        scheduler: Scheduler,
        mailbox: Mailbox,
        *,
        drive: Callable[[Job], Awaitable[None]],
        on_change: Callable[[], None],
        claims: Claims,
    ) -> None:
        self.jobs = jobs
        self.claims = claims
        self.scheduler = scheduler
        self.mailbox = mailbox
        self._drive = drive
        self._on_change = on_change  # a job's task ended, or a resume gave up: waiters look again
        self._active: dict[str, Job] = {}
        self._drives = TaskRegistry("job")
        self._resumes = TaskRegistry("resume")  # jobs whose step hit a locked or full store

    def __contains__(self, job_id: object) -> bool:
        """Is a task of this process driving the job?"""
        return job_id in self._drives

    def get(self, job_id: str) -> Job | None:
        """The job as its task holds it (its latest state), if a task of this process drives it."""
        return self._active.get(job_id)

    def active(self) -> list[Job]:
        return list(self._active.values())

    def driven(self) -> set[str]:
        """Jobs this process drives or is about to resume."""
        return set(self._drives) | set(self._resumes)

    def busy(self) -> bool:
        return bool(self._drives or self._resumes)

    async def stop(self) -> None:
        await asyncio.gather(self._drives.cancel_all(), self._resumes.cancel_all())

    def drop_queued(self, job_id: str) -> None:
        """Another process cancelled this job: stop its task if it has not begun to submit it."""
        job = self._active.get(job_id)
        if job is not None and job.state is JobState.QUEUED:
            self._drives.cancel(job_id)

    async def abandon(self) -> None:
        """Stop driving every job at once, releasing nothing: their claims are gone (bot/jobs/worker.py)."""
        await self.stop()

    def launch(self, job: Job, *, slot_taken: bool = False) -> None:
        """Start the job's task; it takes a provider slot unless it has one or is past READY."""
        if not slot_taken and job.state not in (JobState.FETCHING, JobState.DELIVERING):
            self.scheduler.take_slot(job)  # past READY a job no longer needs the provider
        self._active[job.id] = job
        self._drives.schedule(job.id, self._run(job), functools.partial(self._done, job))

    async def _run(self, job: Job) -> None:
        try:
            await self._drive(job)
        except store_errors.STORE_REFUSED:
            if not self.claims.shared:
                self.resume_later(job.id)  # the driver logged it
                return
        await self.claims.release(job)  # shared claims: the others may take it from here

    def _done(self, job: Job) -> None:
        self._active.pop(job.id, None)
        self.mailbox.forget(job.id)
        self.scheduler.release_slot(job)
        if job.state is JobState.QUEUED:
            self.scheduler.enqueue(job)  # put back (the provider was busy); keeps its place by `seq`
        if not self.claims.shared:
            # Shared claims: the release's NOTIFY pokes every worker, this one too, when a job
            # waits to be claimed (bot/store/claims.py), and no pass here is worth a round trip else.
            self.scheduler.poke()
        self._on_change()

    async def resume_stored(self, origins: Iterable[Origin]) -> None:
        """At start (one process, SQLite): the unfinished jobs of `origins` the store holds, queued
        ones back in the fair queue (in their place, by `seq`), the others driven on from their state."""
        for job in await self.jobs.unfinished(origins):
            if job.id in self.scheduler or job.id in self:
                continue
            if job.state is JobState.QUEUED:
                self.scheduler.enqueue(job)
            else:
                log.info("job %s: resuming in state %s", job.id, job.state)
                self.launch(job)

    def resume_later(self, job_id: str, delay: float = STORE_RETRY_SECONDS) -> None:
        if job_id not in self._resumes:
            self._resumes.schedule(job_id, self._resume(job_id, delay), self._on_change)

    async def _resume(self, job_id: str, delay: float) -> None:
        while True:
            await asyncio.sleep(delay)
            if job_id in self._drives:
                continue  # the old task is still winding down
            try:
                job = await self.jobs.get(job_id)
            except store_errors.STORE_REFUSED:
                continue
            if job is None or job.state.terminal or job.id in self.scheduler:
                return
            # Debug only: with the store full this ran for every waiting job every second (the
            # refusals themselves are logged, summarised, by bot/jobs/store_refusals.py).
            log.debug("job %s: resuming in state %s after a store error", job.id, job.state)
            if job.state is JobState.QUEUED:
                self.scheduler.enqueue(job)
                self.scheduler.poke()
            else:
                self.launch(job)
            return
