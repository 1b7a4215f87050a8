"""A new bot polls on its learned finishing window as soon as it has one, not a minute later."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal
from typing import Any

import pytest

from bot.jobs import windows as windows_module
from bot.jobs.manager import JobManager
from bot.jobs.model import Job, JobState, Origin
from tests.helpers import finished_job


@pytest.fixture
def database_settings(database_url: str) -> dict[str, Any]:
    return {"database_url": database_url}  # every test here, on each backend


def _job(job_id: str, seq: int) -> Job:
    now = time.time()
    return Job(
        id=job_id,
        seq=seq,
        state=JobState.QUEUED,
        origin=Origin.CLI,
        provider="ttapi",
        model="flux-pro-1.1",
        prompt="a cat",
        params={"body": {}, "endpoint": "/bfl/v1/flux-pro-1.1"},
        user_id=1,
        guild_id=None,
        channel_id=None,
        estimate=Decimal(4),
        created_at=now,
        updated_at=now,
    )


@pytest.fixture
def manager(services, tmp_path, monkeypatch) -> JobManager:
    """A manager of its own (no cached window yet) whose guessed window expires at once."""
    monkeypatch.setattr(windows_module, "GUESSED_WINDOW_TTL", 0.0)
    return JobManager(
        db=services.db,
        jobs=services.jobs,
        quota=services.quota,
        providers=services.providers,
        images_dir=tmp_path / "images",
    )


async def test_a_guessed_window_is_replaced_by_the_learned_one_within_seconds(services, manager):
    probe = _job("probe", 1000)
    guessed = await manager.durations(probe)
    assert guessed.samples == 0
    assert guessed.typical == 10.0  # the catalog's usual time for flux-pro-1.1

    for i in range(5):
        await finished_job(services, _job(f"done{i}", i + 1), took=4.0)
    learned = await manager.durations(probe)
    assert learned.samples == 5
    assert abs(learned.typical - 4.0) < 0.1

    # A learned window is kept for a while: one more slow job does not move it at once.
    await finished_job(services, _job("slow", 99), took=40.0)
    assert await manager.durations(probe) == learned


async def test_jobs_asking_for_the_window_at_once_share_one_query(services, manager, monkeypatch):
    for i in range(5):
        await finished_job(services, _job(f"done{i}", i + 1), took=4.0)
    queries = []
    real = services.jobs.recent_durations

    async def counted(*args, **kwargs):
        queries.append(args)
        return await real(*args, **kwargs)

    monkeypatch.setattr(services.jobs, "recent_durations", counted)
    windows = await asyncio.gather(*(manager.durations(_job(f"running{i}", 100 + i)) for i in range(200)))

    assert len(queries) == 1
    assert {w.samples for w in windows} == {5}
    assert all(abs(w.typical - 4.0) < 0.1 for w in windows)
