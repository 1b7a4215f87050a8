"""The settings one job's drive goes by, shared (by reference) by the parts that drive it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.jobs.model import Job
from bot.jobs.polling import PollPolicy
from bot.providers.base import Callback

#: How long after READY a job may stay in `fetching` (seconds): long enough for an operator to free
#: a full disk, short enough that a job does not linger for the life of a 28-day link.
FETCH_WINDOW = 3 * 3600.0
#: Submits that could not connect at all (never sent) before the job fails: ~1 min of backoff.
UNREACHABLE_ATTEMPTS = 5


@dataclass(slots=True)
class DriveConfig:
    images_dir: Path
    #: Seconds without a sign of progress before a running job is given up (`JOB_TIMEOUT_SECONDS`).
    job_timeout: float = 600.0
    #: How long after READY a download or its write is retried.
    fetch_window: float = FETCH_WINDOW
    poll_policy: PollPolicy = field(default_factory=PollPolicy)
    #: The per-job callback URL providers are asked to call (`WEBHOOK_PUBLIC_URL`), if any.
    callback_url: Callable[[Job], Callback | None] | None = None
    #: Submits that could not connect before the job fails (each waits out a growing pause).
    unreachable_attempts: int = UNREACHABLE_ATTEMPTS
