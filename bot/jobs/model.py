"""A job as the store keeps it, and the states it moves through."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


class JobState(enum.StrEnum):
    QUEUED = "queued"
    SUBMITTING = "submitting"
    RUNNING = "running"
    FETCHING = "fetching"
    DELIVERING = "delivering"
    DELIVERED = "delivered"
    FAILED = "failed"
    MODERATED = "moderated"
    TIMED_OUT = "timed_out"
    CANCELLED = "cancelled"
    UNDELIVERABLE = "undeliverable"

    @property
    def terminal(self) -> bool:
        return self in TERMINAL_STATES

    @property
    def active(self) -> bool:
        """Holding a provider slot: submitted or about to be, not yet handed to delivery."""
        return self in ACTIVE_STATES


TERMINAL_STATES = frozenset(
    {
        JobState.DELIVERED,
        JobState.FAILED,
        JobState.MODERATED,
        JobState.TIMED_OUT,
        JobState.CANCELLED,
        JobState.UNDELIVERABLE,
    }
)
ACTIVE_STATES = frozenset({JobState.SUBMITTING, JobState.RUNNING, JobState.FETCHING})
UNFINISHED_STATES = frozenset(JobState) - TERMINAL_STATES

#: Every allowed move. A move not listed here is a bug and raises.
TRANSITIONS: dict[JobState, frozenset[JobState]] = {
    JobState.QUEUED: frozenset({JobState.SUBMITTING, JobState.CANCELLED, JobState.FAILED}),
    JobState.SUBMITTING: frozenset(
        {JobState.RUNNING, JobState.FAILED, JobState.MODERATED, JobState.QUEUED, JobState.TIMED_OUT}
    ),
    JobState.RUNNING: frozenset({JobState.FETCHING, JobState.FAILED, JobState.MODERATED, JobState.TIMED_OUT}),
    JobState.FETCHING: frozenset({JobState.DELIVERING, JobState.FAILED, JobState.TIMED_OUT}),
    JobState.DELIVERING: frozenset({JobState.DELIVERED, JobState.UNDELIVERABLE}),
}


class Origin(enum.StrEnum):
    """Who asked, and so who delivers: the Discord bot or the command line."""

    DISCORD = "discord"
    CLI = "cli"


@dataclass(slots=True)
class Job:
    id: str
    seq: int
    state: JobState
    origin: Origin
    provider: str
    model: str
    prompt: str
    params: dict[str, Any]
    user_id: int
    guild_id: int | None
    channel_id: int | None
    estimate: Decimal
    created_at: float
    updated_at: float
    cost: Decimal | None = None
    provider_job_id: str | None = None
    polling_url: str | None = None
    result_url: str | None = None
    result_path: str | None = None
    seed: int | None = None
    width: int | None = None
    height: int | None = None
    attempts: int = 0
    polls: int = 0
    error_code: str | None = None
    error_message: str | None = None
    #: What its member reads about the failure: the catalogue key and arguments as JSON
    #: (`Text.stored`), rendered in the job's language; None on rows older than migration 0021,
    #: which show `error_message` (or their code's sentence) instead.
    error_note: str | None = None
    submitted_at: float | None = None
    ready_at: float | None = None
    finished_at: float | None = None
    parent_job_id: str | None = None
    #: Authenticates provider callbacks for this job (TTAPI: in the URL path; BFL: `webhook_secret`).
    callback_token: str | None = field(default=None, repr=False)
    #: Incremented (and committed) before each hand-over to the sink. Above 1, an earlier attempt
    #: may have posted the image before a crash: the sink must make the repeat harmless.
    delivery_attempts: int = 0
    #: When its prompt and images were deleted (RETENTION_DAYS, or an erasure); None while kept.
    purged_at: float | None = None
    #: How the member sees the job; rendered by the Discord side.
    queue_position: int | None = None

    @property
    def charged(self) -> bool:
        return self.cost is not None
