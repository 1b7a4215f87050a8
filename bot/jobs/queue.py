"""The fair queue: which queued job starts next, and who holds a slot.

Pure, synchronous bookkeeping (no I/O, no tasks, no clock of its own): the `JobManager` asks it
what to start, and tells it when a job leaves its slot. Queued jobs wait per provider in arrival
order (`Job.seq`); a job that starts takes one of its provider's concurrency slots and one of its
member's active slots, and gives both back with `release_slot`.

First come, first served: within a provider the oldest job whose member has a free active slot
goes first; a member at their limit does not hold up anyone behind them.
"""

from __future__ import annotations

import bisect
import dataclasses

from bot.jobs.model import Job

#: Jobs a provider runs at once when `concurrency` does not name it.
DEFAULT_CONCURRENCY = 10


def _seq(job: Job) -> int:
    return job.seq


class FairQueue:
    def __init__(self, *, max_active_per_user: int = 2, concurrency: dict[str, int] | None = None) -> None:
        #: Jobs one member may have holding a slot at once.
        self.max_active_per_user = max_active_per_user
        #: Jobs each provider runs at once (`DEFAULT_CONCURRENCY` for the others).
        self.concurrency = concurrency if concurrency is not None else {}
        self._queues: dict[str, list[Job]] = {}  # per provider, sorted by `seq`
        self._queued: dict[str, Job] = {}
        self._slots: set[str] = set()  # ids of jobs holding a provider slot and a member's active slot
        self._in_flight: dict[str, int] = {}
        self._active_users: dict[int, int] = {}
        self._not_before: dict[str, float] = {}  # job id → monotonic time before which not to start

    # -- the queue --------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._queued)

    def __contains__(self, job_id: object) -> bool:
        return job_id in self._queued

    def get(self, job_id: str) -> Job | None:
        return self._queued.get(job_id)

    def enqueue(self, job: Job) -> bool:
        """Queue a job in its place by `seq`. False if it was already queued."""
        if job.id in self._queued:
            return False
        bisect.insort(self._queues.setdefault(job.provider, []), job, key=_seq)
        self._queued[job.id] = job
        return True

    def dequeue(self, job: Job) -> bool:
        """Take a job out of the queue (it will not be started). False if it was not queued."""
        self._not_before.pop(job.id, None)  # a cancelled job's pause must not stay behind
        if self._queued.pop(job.id, None) is None:
            return False
        queue = self._queues.get(job.provider, [])
        index = bisect.bisect_left(queue, job.seq, key=_seq)
        if index < len(queue) and queue[index].id == job.id:
            del queue[index]
        return True

    def position_of(self, job_id: str) -> int | None:
        """1 for the next job its provider will take; None once it left the queue."""
        job = self._queued.get(job_id)
        if job is None:
            return None
        return bisect.bisect_left(self._queues.get(job.provider, []), job.seq, key=_seq) + 1

    def length(self, provider: str | None = None) -> int:
        """Queued jobs, for one provider or all."""
        if provider is None:
            return len(self._queued)
        return len(self._queues.get(provider, ()))

    def providers(self) -> list[str]:
        """Every provider that has had a queue."""
        return list(self._queues)

    def waiting(self, provider: str) -> list[Job]:
        """A copy of a provider's queue, next first."""
        return list(self._queues.get(provider, ()))

    def queued_of(self, user_id: int) -> list[Job]:
        """A member's queued jobs, as copies carrying their `queue_position`."""
        return [
            dataclasses.replace(job, queue_position=self.position_of(job.id))
            for job in self._queued.values()
            if job.user_id == user_id
        ]

    def hold_back(self, job_id: str, until: float) -> None:
        """Do not start this job before monotonic time `until` (its provider asked us to wait)."""
        self._not_before[job_id] = until

    def clear_hold(self, job_id: str) -> None:
        self._not_before.pop(job_id, None)

    # -- starting jobs ----------------------------------------------------------------------------

    def take(self, now: float) -> dict[str, list[Job]]:
        """Take every job that may start now out of the queue; each gets its slots.

        Per provider with a free slot, in arrival order, skipping jobs held back past `now` and
        jobs whose member is at `max_active_per_user`. Returns the taken jobs by provider, in
        arrival order; providers with none are left out.
        """
        started: dict[str, list[Job]] = {}
        for provider, queue in self._queues.items():
            free = self.concurrency.get(provider, DEFAULT_CONCURRENCY) - self._in_flight.get(provider, 0)
            if free <= 0 or not queue:
                continue
            taken: list[int] = []
            for index, job in enumerate(queue):
                if free <= 0:
                    break
                if self._not_before.get(job.id, 0.0) > now:
                    continue
                if self._active_users.get(job.user_id, 0) >= self.max_active_per_user:
                    continue
                taken.append(index)
                self.take_slot(job)
                free -= 1
            if not taken:
                continue
            jobs = [queue[index] for index in taken]
            for index in reversed(taken):
                del queue[index]
            for job in jobs:
                del self._queued[job.id]
                self._not_before.pop(job.id, None)  # its pause is over: a new one is set if needed
            started[provider] = jobs
        return started

    def take_slot(self, job: Job) -> bool:
        """Give a job its provider slot and its member's active slot. False if it had them."""
        if job.id in self._slots:
            return False
        self._slots.add(job.id)
        self._in_flight[job.provider] = self._in_flight.get(job.provider, 0) + 1
        self._active_users[job.user_id] = self._active_users.get(job.user_id, 0) + 1
        return True

    def release_slot(self, job: Job) -> bool:
        """Free the job's provider slot and its member's active slot. False if it held none."""
        if job.id not in self._slots:
            return False
        self._slots.discard(job.id)
        self._in_flight[job.provider] = max(0, self._in_flight.get(job.provider, 1) - 1)
        left = self._active_users.get(job.user_id, 1) - 1
        if left > 0:
            self._active_users[job.user_id] = left
        else:
            self._active_users.pop(job.user_id, None)
        return True

    def in_flight(self, provider: str) -> int:
        """Jobs holding one of this provider's slots."""
        return self._in_flight.get(provider, 0)

    def active(self, user_id: int) -> int:
        """Jobs holding one of this member's active slots."""
        return self._active_users.get(user_id, 0)
