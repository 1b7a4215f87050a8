"""The SQLite file under pressure: locked by another process, and full.

The lock is real: a second process opens the same file and holds `BEGIN IMMEDIATE`. A full disk is
simulated with `PRAGMA max_page_count`, which makes SQLite raise SQLITE_FULL ("database or disk is
full") exactly where a full filesystem would.
"""

from __future__ import annotations

import asyncio
import io
import logging
import random
import sqlite3
import subprocess
from decimal import Decimal

from PIL import Image

from bot.i18n import t
from bot.jobs.model import JobState
from bot.jobs.store_refusals import StoreRefusals
from bot.store.retention import DiskAlmostFull
from tests.conftest import finish_jobs, refusals
from tests.helpers import (
    bot_said,
    manager_env,
    release,
    sqlite_write_lock,
    submit,
    write_lock_held_by_another_process,
)
from tests.reliability.conftest import assert_charged_once, posted_images


def other_errors(env) -> list[BaseException]:
    return [getattr(e, "original", e) for e in env.errors]


async def test_a_brief_lock_by_another_process_is_waited_out(simcord_env, running, guild_setup, settings):
    _, channel, alice = guild_setup
    await alice.slash(channel, "imagine", prompt="a lighthouse")

    # The job is queued; another process takes the write lock before the manager moves it on.
    with write_lock_held_by_another_process(settings.database_path) as holder:
        # (No read from the test here: the bot's one connection queues reads behind its waiting write.)
        await asyncio.sleep(0.5)
        release(holder)
    await finish_jobs(simcord_env, running)

    (job,) = await running.jobs.for_user(alice.id)
    assert job.state is JobState.DELIVERED
    assert len(posted_images(channel)) == 1
    await assert_charged_once(running, job.id, Decimal(5))


async def test_a_lock_outlasting_the_busy_timeout_refuses_the_command_and_spends_nothing(
    simcord_env, running, guild_setup, settings, fake_ttapi
):
    _, channel, alice = guild_setup
    await running.db.conn.execute("PRAGMA busy_timeout = 200")

    with write_lock_held_by_another_process(settings.database_path):
        await alice.slash(channel, "imagine", prompt="a lighthouse")

    (error,) = other_errors(simcord_env)
    assert isinstance(error, sqlite3.OperationalError)
    assert "locked" in str(error)
    assert t("en-US", "reply-store-unavailable") in bot_said(
        simcord_env
    )  # nothing saved or charged: try again
    assert fake_ttapi.submits() == []
    assert await running.db.fetchall("SELECT * FROM ledger") == []
    assert await running.jobs.for_user(alice.id) == []

    # The lock is gone: the next command goes through.
    await alice.slash(channel, "imagine", prompt="a lighthouse")
    await finish_jobs(simcord_env, running)
    (job,) = await running.jobs.for_user(alice.id)
    assert job.state is JobState.DELIVERED


async def test_a_full_disk_refuses_the_command_and_spends_nothing(
    simcord_env, running, guild_setup, settings, fake_ttapi, caplog
):
    _, channel, alice = guild_setup
    # A full disk: no free page in the file either (a migration's dropped indexes leave theirs).
    await running.db.conn.execute("VACUUM")
    (pages,) = await running.db.fetchone("PRAGMA page_count")
    await running.db.conn.execute(f"PRAGMA max_page_count = {pages}")

    # The longest prompt allowed needs a page of its own; the image goes to its file first.
    long_prompt = ("a lighthouse on a cliff, " * 80)[:2000]
    await alice.slash(channel, "imagine", prompt=long_prompt, image=("ref.png", noisy_png()))

    # The floor's own plain sentence (found by the soak: it used to be the generic apology).
    (error,) = refusals(simcord_env)
    assert isinstance(error, DiskAlmostFull)
    assert DiskAlmostFull().message in bot_said(simcord_env)
    (line,) = [r.getMessage() for r in caplog.records if "the disk refused storing it" in r.getMessage()]
    assert "database or disk is full" in line
    assert fake_ttapi.submits() == []
    assert await running.db.fetchall("SELECT * FROM ledger") == []
    assert await running.jobs.for_user(alice.id) == []
    assert list((settings.database_path.parent / "inputs").iterdir()) == []  # the image file too

    # Room again: the bot carries on with the same file.
    await running.db.conn.execute("PRAGMA max_page_count = 1073741823")
    await alice.slash(channel, "imagine", prompt="a lighthouse")
    await finish_jobs(simcord_env, running)
    (job,) = await running.jobs.for_user(alice.id)
    assert job.state is JobState.DELIVERED


def noisy_png(size: int = 256) -> bytes:
    image = Image.frombytes("RGB", (size, size), random.Random(7).randbytes(size * size * 3))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


async def test_a_long_lock_in_the_middle_of_a_job_only_delays_it(
    simcord_env, running, guild_setup, settings, fake_ttapi, caplog
):
    """A write refused mid-job (lock beyond busy_timeout) used to strand the job until a restart."""
    _, channel, alice = guild_setup
    await running.db.conn.execute("PRAGMA busy_timeout = 200")
    fake_ttapi.duration = 1.0
    await alice.slash(channel, "imagine", prompt="a lighthouse")
    await asyncio.sleep(0.3)  # submitted, now running

    with write_lock_held_by_another_process(settings.database_path) as holder:
        await asyncio.sleep(1.2)  # the result is ready meanwhile; recording it is refused
        release(holder)
    await finish_jobs(simcord_env, running)

    (job,) = await running.jobs.for_user(alice.id)
    assert job.state is JobState.DELIVERED
    assert len(posted_images(channel)) == 1
    assert len(fake_ttapi.submits()) == 1
    await assert_charged_once(running, job.id, Decimal(5))
    assert any("the store refused a write" in r.getMessage() for r in caplog.records)


async def test_a_job_whose_ending_the_store_refuses_is_ended_once_the_store_is_back(
    simcord_env, running, guild_setup, settings, fake_ttapi, caplog
):
    """A bug in a job's step ends it `failed` "internal", which releases its hold. When the store
    refused that write too (locked beyond busy_timeout), the job used to be stranded, hold open,
    until a restart (issue 17 #14)."""
    _, channel, alice = guild_setup
    await running.db.conn.execute("PRAGMA busy_timeout = 200")
    fake_ttapi.duration = 0.3
    manager = running.manager
    holders: list[subprocess.Popen[str]] = []

    async def buggy_apply_result(job, result):
        # The bug, and at that moment another process takes the write lock.
        holders.append(sqlite_write_lock(settings.database_path))
        raise RuntimeError("a bug in a job's step")

    manager.follower.apply_result = buggy_apply_result  # type: ignore[method-assign]
    await alice.slash(channel, "imagine", prompt="a lighthouse")
    for _ in range(200):
        if any("refused ending the job" in r.getMessage() for r in caplog.records):
            break
        await asyncio.sleep(0.05)
    assert manager.busy()  # still being ended, not dropped
    release(holders[0])
    await finish_jobs(simcord_env, running)

    (job,) = await running.jobs.for_user(alice.id)
    assert job.state is JobState.FAILED
    assert job.error_code == "internal"
    assert await ledger_kinds(running, job.id) == ["hold", "release"]
    assert "Something went wrong inside the bot" in bot_said(simcord_env)


async def test_a_cancel_the_store_refuses_leaves_the_job_queued_and_cancellable(
    simcord_env, running, guild_setup, settings, fake_ttapi
):
    _, channel, alice = guild_setup
    manager = running.manager
    manager.concurrency["ttapi"] = 0  # it stays queued
    await alice.slash(channel, "imagine", prompt="a lighthouse")
    (job,) = await running.jobs.for_user(alice.id)
    await running.db.conn.execute("PRAGMA busy_timeout = 200")

    with write_lock_held_by_another_process(settings.database_path):
        try:
            await manager.cancel(job.id, alice.id)
        except sqlite3.OperationalError:
            pass  # the member gets the apology; the job must not be lost from the queue
        else:
            raise AssertionError("the cancel was not refused")
    assert manager.position_of(job.id) == 1

    cancelled = await manager.cancel(job.id, alice.id)
    assert cancelled is not None
    assert (await running.jobs.get(job.id)).state is JobState.CANCELLED  # type: ignore[union-attr]
    assert await ledger_kinds(running, job.id) == ["hold", "release"]
    assert fake_ttapi.submits() == []


async def ledger_kinds(services, job_id: str) -> list[str]:
    rows = await services.db.fetchall("SELECT kind FROM ledger WHERE job_id = ? ORDER BY id", (job_id,))
    return [r["kind"] for r in rows]


def refusal_lines(caplog) -> list[logging.LogRecord]:
    """Log lines (info and up) about job steps the store refused, or jobs resumed after one."""
    words = ("store refused a write", "still refuses writes", "after a store error")
    return [
        r for r in caplog.records if r.levelno >= logging.INFO and any(w in r.getMessage() for w in words)
    ]


async def test_a_store_refusing_many_jobs_logs_one_line_not_one_per_job_per_second(
    tmp_path, fake_ttapi, caplog
):
    """Found by the soak: with SQLite full, every refused step logged a warning and its resume a line,
    every second, for every job (6,933 lines in 11 s with ~1,000 jobs). The retries stay."""
    caplog.set_level(logging.INFO)
    jobs_count = 150
    async with manager_env(
        tmp_path, ttapi=fake_ttapi, provider_concurrency=f"ttapi={jobs_count}", rate_limits={"ttapi": 1000.0}
    ) as (services, sink, _):
        fake_ttapi.duration = 1.5
        jobs = [await submit(services, user) for user in range(1, jobs_count + 1)]
        async with asyncio.timeout(20):
            while len(fake_ttapi.submits()) < jobs_count:  # all running at the provider
                await asyncio.sleep(0.05)
        await services.db.conn.execute("PRAGMA busy_timeout = 0")  # refused at once, not after a wait
        caplog.clear()
        with write_lock_held_by_another_process(tmp_path / "fluxbot.sqlite3"):
            await asyncio.sleep(
                4
            )  # every job finishes meanwhile; recording it is refused, retried each second
        refused = refusal_lines(caplog)
        await services.manager.wait_idle(60)

        assert len(refused) == 1, [r.getMessage() for r in refused]  # before: ~2 per job per second
        assert "the store refused a write" in refused[0].getMessage()
        assert "database is locked" in refused[0].getMessage()
        assert sink.delivered == {job.id: 1 for job in jobs}  # the retries still carry every job through
        assert len(fake_ttapi.submits()) == jobs_count


def test_refusals_of_one_kind_are_summarised_at_most_every_30_seconds(caplog):
    caplog.set_level(logging.INFO)
    now = [0.0]
    refusals = StoreRefusals(clock=lambda: now[0])
    full, locked = (
        sqlite3.OperationalError("database or disk is full"),
        sqlite3.OperationalError("database is locked"),
    )
    for second in range(65):  # 65 s of ten jobs refused every second, then one lock
        now[0] = float(second)
        for job in range(10):
            refusals.refused(f"job{job}", JobState.RUNNING, full)
    refusals.refused("job0", JobState.FETCHING, locked)

    lines = [r.getMessage() for r in refusal_lines(caplog)]
    assert len(lines) == 4
    assert lines[0].startswith(
        "job job0: the store refused a write in state running (database or disk is full)"
    )
    assert lines[1] == (
        "the store still refuses writes (database or disk is full): 300 step(s) of 10 job(s) refused"
        " in the last 30s, each retried a second later"
    )
    assert lines[2].startswith("the store still refuses writes (database or disk is full): 300 step(s)")
    assert "(database is locked)" in lines[3]  # another kind: its own first line
    # The full disk cleared, and came back a minute later: a full line again, not a stale summary.
    now[0] = 200.0
    refusals.refused("job3", JobState.RUNNING, full)
    assert refusal_lines(caplog)[-1].getMessage().startswith("job job3: the store refused a write")
