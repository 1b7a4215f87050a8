"""How the job manager talks to whoever asked for a job (the Discord bot, the command line)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.jobs.model import Job, JobState, Origin


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
        """Post the finished image; return a message id if there is one (the sink's own record:
        the job manager keeps nothing of where the image went).

        Must be idempotent per job: `job.delivery_attempts > 1` means an earlier hand-over may have
        posted before a crash (see the `bot.jobs.driver` docstring). Raise `Undeliverable` when
        retrying cannot help; any other exception is retried a few times with backoff.
        """

    async def job_failed(self, job: Job) -> None:
        """The job ended without an image (failed, moderated, timed out, cancelled)."""


def reads_own_positions(sink: JobSink) -> bool:
    """Whether the sink reads a queued job's place itself, only for an update it will show (a
    gateway's Discord sink, whose edit budget drops most of them): the caller then leaves
    `Progress.queue_position` unset rather than read a place that is thrown away."""
    return bool(getattr(sink, "reads_own_positions", False))


def result_ids(sink: JobSink, job: Job) -> dict[str, int]:
    """The ids of the messages a sink posted for a job it delivered (`job_deliveries`' message
    columns), which it leaves to be stored with the job's end (`take_result_ids`) rather than
    writing them itself: one write less per job. Empty for a sink that keeps no ids."""
    take = getattr(sink, "take_result_ids", None)
    return dict(take(job.id)) if take is not None else {}


class Sinks:
    """The registered sinks, by the origin whose jobs they hear of (the Discord bot, the CLI)."""

    def __init__(self) -> None:
        self._by_origin: dict[Origin, JobSink] = {}

    def register(self, origin: Origin, sink: JobSink) -> None:
        self._by_origin[origin] = sink

    def get(self, origin: Origin) -> JobSink | None:
        return self._by_origin.get(origin)

    def __contains__(self, origin: object) -> bool:
        return origin in self._by_origin

    def origins(self) -> list[Origin]:
        return list(self._by_origin)
