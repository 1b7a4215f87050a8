"""The settings one job's drive goes by, shared (by reference) by the parts that drive it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.jobs.model import Job
from bot.jobs.polling import PollPolicy
from bot.jobs.scheduler import Scheduler
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


class Tunables:
    """The settings a running `JobManager` lets tests and the CLI change, kept by the parts that use
    them: the fair queue's limits (its scheduler's) and the drive's settings (`DriveConfig`)."""

    scheduler: Scheduler
    config: DriveConfig

    @property
    def max_active_per_user(self) -> int:
        """Jobs one member may have running at once (the fair queue's limit)."""
        return self.scheduler.queue.max_active_per_user

    @max_active_per_user.setter
    def max_active_per_user(self, value: int) -> None:
        self.scheduler.queue.max_active_per_user = value

    @property
    def concurrency(self) -> dict[str, int]:
        """Jobs each provider runs at once (the fair queue's limits; change it in place or assign)."""
        return self.scheduler.queue.concurrency

    @concurrency.setter
    def concurrency(self, value: dict[str, int]) -> None:
        self.scheduler.queue.concurrency = value

    @property
    def images_dir(self) -> Path:
        return self.config.images_dir

    @property
    def fetch_window(self) -> float:
        """How long after READY a download or its write is retried."""
        return self.config.fetch_window

    @fetch_window.setter
    def fetch_window(self, value: float) -> None:
        self.config.fetch_window = value

    @property
    def callback_url(self) -> Callable[[Job], Callback | None] | None:
        return self.config.callback_url

    @callback_url.setter
    def callback_url(self, value: Callable[[Job], Callback | None] | None) -> None:
        self.config.callback_url = value
