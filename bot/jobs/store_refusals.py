"""One log line for a store that keeps refusing job steps, not one per job per second.

While SQLite is full or locked by another process, every job whose step it refuses is retried a
second later (bot/jobs/runs.py; the answer to a submit, which only the process that sent it knows,
is retried in place: bot/jobs/driver.py). Logging each refusal flooded the log: 6,933 lines in 11 s with
~1,000 jobs in the soak. Now the first refusal of each kind (the error's text) is a warning with
its job; the same kind again is counted, and at most every `SUMMARY_SECONDS` one line says how many
steps of how many jobs it refused since. The retries themselves are unchanged.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.jobs.model import JobState

log = logging.getLogger(__name__)

#: At most one summary line per kind of refusal this often (seconds).
SUMMARY_SECONDS = 30.0
#: After the store refused a write (locked beyond busy_timeout, or full), retry the job this soon.
STORE_RETRY_SECONDS = 1.0


@dataclass(slots=True)
class _Streak:
    """Refusals of one kind since its last log line."""

    logged_at: float
    last_at: float
    steps: int = 0
    jobs: set[str] = field(default_factory=set)


class StoreRefusals:
    """Logs refused job steps: the first of a kind in full, then a summary at most every 30 s."""

    def __init__(self, every: float = SUMMARY_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self.every = every
        self.clock = clock
        self._streaks: dict[str, _Streak] = {}

    def refused(self, job_id: str, state: JobState, error: BaseException) -> None:
        kind = str(error)
        now = self.clock()
        streak = self._streaks.get(kind)
        if streak is None or now - streak.last_at >= self.every:
            # A new kind, or the old streak ended a while ago: the full line, with this job.
            self._streaks[kind] = _Streak(logged_at=now, last_at=now)
            log.warning(
                "job %s: the store refused a write in state %s (%s); resuming in a second"
                " (the same refusal for other jobs: one summary line every %.0fs)",
                job_id,
                state,
                kind,
                self.every,
            )
            return
        streak.last_at = now
        streak.steps += 1
        streak.jobs.add(job_id)
        log.debug("job %s: the store refused a write in state %s (%s) again", job_id, state, kind)
        if now - streak.logged_at >= self.every:
            log.warning(
                "the store still refuses writes (%s): %d step(s) of %d job(s) refused in the last %.0fs,"
                " each retried a second later",
                kind,
                streak.steps,
                len(streak.jobs),
                now - streak.logged_at,
            )
            self._streaks[kind] = _Streak(logged_at=now, last_at=now)
