"""When to ask a provider about a job again.

Public clients poll every second (BFL's SDK) or every 2–3 s (TTAPI scripts). We know roughly how
long a model takes, so we poll rarely while the job cannot be done yet and often around the time it
usually finishes, then back off: few requests per job, and the result is seen soon after it exists.
"""

from __future__ import annotations

import random
import statistics
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PollPolicy:
    #: Never poll one job more often than this (seconds).
    min_interval: float = 0.5
    #: Never wait longer than this between two polls of one job.
    max_interval: float = 15.0
    #: First poll at this fraction of the typical duration.
    first_poll: float = 0.8
    #: Around the typical finish, poll every this fraction of the typical duration.
    near_step: float = 0.1
    #: ± fraction of random jitter, so jobs submitted together do not poll together.
    jitter: float = 0.1
    #: Used instead of learned durations when set (tests, benchmarks).
    typical_override: float | None = None


def typical_duration(durations: list[float], default: float) -> float:
    """The typical submit-to-ready time: the median of recent jobs, or the model's default."""
    if len(durations) < 3:
        return default
    return max(0.1, statistics.median(durations))


def poll_delay(
    elapsed: float,
    typical: float,
    policy: PollPolicy,
    *,
    rng: random.Random | None = None,
) -> float:
    """Seconds to wait before the next poll of a job submitted `elapsed` seconds ago."""
    first = typical * policy.first_poll
    if elapsed < first:
        delay = first - elapsed
    elif elapsed < typical * 1.5:
        delay = typical * policy.near_step
    else:
        # Late: the job is slower than usual; back off in proportion to how late it is.
        delay = (elapsed - typical) * 0.25
    delay = min(policy.max_interval, max(policy.min_interval, delay))
    if policy.jitter:
        delay *= 1 + (rng or random).uniform(-policy.jitter, policy.jitter)
    return max(policy.min_interval, delay)
