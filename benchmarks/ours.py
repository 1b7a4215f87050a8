"""Our side of a benchmark: the real composition root (store + BFL provider + JobManager) and a sink.

Jobs go through everything a member's job goes through — `plan_job` validation, the queue limit
and quota hold in one SQLite transaction, the scheduler, submit, the polling schedule (or a
callback), download, the image written beside the database, delivery to a sink — except Discord:
the sink here records when each image was handed over. Discord's own cost is measured separately
(`ack_latency.py` runs the real bot in SimCord).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from bot.jobs.manager import JobManager, NewJob
from bot.jobs.model import Job, Origin
from bot.jobs.plan import plan_job
from bot.jobs.sink import Progress
from bot.settings import Settings

MODEL = "flux-pro-1.1"

#: Requests per second our provider-wide limiter allows against the fake. The product's default for
#: BFL (20/s) is for the real API, which runs 24 tasks per key at most; the fake has no limit, and
#: neither has the official client, so the side-by-side lifts ours out of the way too.
BENCH_RATE_LIMITS = {"bfl": 2000.0}


def sqlite_process_loop() -> Any:
    """The loop factory the product's single SQLite process runs on (bot/event_loop.py), with
    `EVENT_LOOP` from the environment as `python -m bot run` reads it (auto: asyncio's); None is
    asyncio's. For running a benchmark's in-process bot as the product would, or on uvloop to compare."""
    import os
    import sys

    from bot.event_loop import loop_factory

    choice = os.environ.get("EVENT_LOOP") or "auto"
    assert choice in ("auto", "uvloop", "asyncio"), choice
    name, factory = loop_factory(choice, postgresql=False)  # type: ignore[arg-type]
    print(f"event loop: {name}", file=sys.stderr)
    return factory


def bench_settings(tmp: Path, *, url: str, api_key: str, concurrency: int, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_path": tmp / "fluxbot.sqlite3",
        "bfl_api_key": api_key,
        "bfl_base_url": url,
        "default_provider": "bfl",
        "provider_concurrency": {"bfl": concurrency},
        "quota_default_limit": "unlimited",
        "http_port": 0,
        "job_timeout_seconds": 300,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@dataclass
class CountingSink:
    """A JobSink that records delivery times (real clock) and sets `done` after `expected` jobs end."""

    expected: int
    delivered: dict[str, float] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    ready_to_posted: list[float] = field(default_factory=list)
    done: asyncio.Event = field(default_factory=asyncio.Event)
    updates: int = 0

    async def job_updated(self, job: Job, progress: Progress) -> None:
        self.updates += 1

    async def deliver(self, job: Job, image: bytes) -> int | None:
        now = time.time()
        self.delivered[job.id] = now
        self._check()
        return None

    async def job_failed(self, job: Job) -> None:
        self.failed[job.id] = f"{job.state}: {job.error_code} {job.error_message}"
        self._check()

    def _check(self) -> None:
        if len(self.delivered) + len(self.failed) >= self.expected:
            self.done.set()


def new_job(prompt: str, user_id: int, *, origin: Origin = Origin.CLI, **extra: Any) -> NewJob:
    plan = plan_job(prompt, {}, default_model=MODEL, available=["bfl"], preferred="bfl")
    return NewJob.from_plan(
        plan,
        origin=origin,
        user_id=user_id,
        guild_id=extra.pop("guild_id", 1),
        channel_id=extra.pop("channel_id", None),
        **extra,
    )


async def submit_all(manager: JobManager, prompts: list[str], *, first_user: int = 1000) -> list[Job]:
    """One job per member (distinct users, as in a busy server), submitted together."""
    return list(
        await asyncio.gather(*(manager.submit(new_job(p, first_user + i)) for i, p in enumerate(prompts)))
    )


def charged(jobs: list[Job]) -> Decimal:
    return sum((j.cost or Decimal(0) for j in jobs), Decimal(0))
