"""The keyed task registry the job core runs each job's task on (bot/jobs/tasks.py)."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.jobs.tasks import TaskRegistry


async def test_a_task_is_known_by_its_key_until_it_ends_and_then_its_done_hook_runs() -> None:
    registry = TaskRegistry("job")
    release = asyncio.Event()
    ended: list[str] = []
    registry.schedule("a", release.wait(), lambda: ended.append("a"))
    await asyncio.sleep(0)
    assert "a" in registry
    assert len(registry) == 1
    assert list(registry) == ["a"]
    release.set()
    for _ in range(5):
        await asyncio.sleep(0)
    assert "a" not in registry
    assert len(registry) == 0
    assert ended == ["a"]


async def test_one_running_task_per_key() -> None:
    registry = TaskRegistry("job")
    registry.schedule("a", asyncio.sleep(10))
    second = asyncio.sleep(0)
    with pytest.raises(ValueError, match="already running"):
        registry.schedule("a", second)  # closed, not left un-awaited
    await registry.cancel_all()
    assert len(registry) == 0


async def test_cancel_by_key_leaves_the_others_running() -> None:
    registry = TaskRegistry("job")
    a = registry.schedule("a", asyncio.sleep(10))
    b = registry.schedule("b", asyncio.sleep(10))
    registry.cancel("a")
    registry.cancel("missing")  # nothing to cancel: no error
    await asyncio.gather(a, return_exceptions=True)
    assert a.cancelled()
    assert not b.done()
    await registry.cancel_all()
    assert b.cancelled()


async def test_a_failure_is_logged_once_with_its_key_and_the_done_hook_still_runs(caplog) -> None:
    registry = TaskRegistry("resume")
    ended: list[bool] = []

    async def broken() -> None:
        raise RuntimeError("boom")

    task = registry.schedule("job-1", broken(), lambda: ended.append(True))
    with caplog.at_level(logging.ERROR, logger="bot.jobs.tasks"):
        await asyncio.gather(task, return_exceptions=True)
        await asyncio.sleep(0)
    failures = [r for r in caplog.records if r.name == "bot.jobs.tasks"]
    assert [r.getMessage() for r in failures] == ["resume task job-1 failed"]
    assert failures[0].exc_info is not None
    assert "boom" in str(failures[0].exc_info[1])
    assert ended == [True]
    assert "job-1" not in registry
