"""Two worker processes on one PostgreSQL store: SIGKILL the one driving a job, in each state.

Real processes (`python -m tests.jobs.runner`, the CLI's job manager with a sink that logs every
post): A accepts a job and drives it; B starts and waits; A is killed with SIGKILL while the job
is in the state under test. The database sees A's connection close at once, so B takes the job
over within a couple of seconds and finishes it: submitted once, charged once, posted once — or,
caught mid-submit with no callback to wait for, failed `submit_unknown` with its hold released.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from tests.fakes.ttapi import FakeTTAPI
from tests.helpers import Harness

pytestmark = [
    pytest.mark.parametrize("database_url", ["postgresql"], indirect=True),
    pytest.mark.flaky(reruns=2),  # real processes timed on a shared machine
    pytest.mark.empty_store,  # the processes migrate it as they start
]


@pytest.fixture
async def fake() -> AsyncIterator[FakeTTAPI]:
    fake = FakeTTAPI(duration=0.6)
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(database_url)
    yield conn
    await conn.close()


async def fetch(db: asyncpg.Connection, sql: str) -> list[tuple[Any, ...]]:
    try:
        return [tuple(r) for r in await db.fetch(sql)]
    except (asyncpg.UndefinedTableError, asyncpg.UndefinedColumnError):
        return []  # not migrated yet


async def until(check: Any, process: Any, run: Harness, timeout: float = 20.0) -> None:
    async with asyncio.timeout(timeout):
        while not await check():
            assert process.returncode is None, run.output()
            await asyncio.sleep(0.02)


CASES = {
    # state: (fake's settings, the runner's environment)
    "submitting": ({"submit_delay": 8.0}, {}),
    "running": ({"duration": 8.0}, {}),
    "fetching": ({"file_delay": 8.0}, {}),
    "delivering": ({}, {"RUNNER_DELIVER_DELAY": "10", "RUNNER_DELIVER_PHASE": "before"}),
}


@pytest.mark.parametrize("state", list(CASES))
async def test_a_killed_workers_job_is_finished_by_the_other_worker_exactly_once(
    tmp_path, fake, db, database_url, state
):
    fake_settings, env = CASES[state]
    for name, value in fake_settings.items():
        setattr(fake, name, value)
    run = Harness(tmp_path, fake, DATABASE_URL=database_url, DATA_DIR=str(tmp_path / "data"), **env)

    first = await run.spawn("1")

    async def in_state() -> bool:
        rows = await fetch(db, "SELECT state, claimed_by FROM jobs")
        return len(rows) == 1 and rows[0][0] == state and rows[0][1] is not None

    await until(in_state, first, run)
    second = await run.spawn("--resume", RUNNER_DELIVER_DELAY="0")

    async def both_registered() -> bool:
        return len(await fetch(db, "SELECT id FROM workers")) == 2

    await until(both_registered, first, run)
    (holder,) = (await fetch(db, "SELECT claimed_by FROM jobs"))[0]
    for name in fake_settings:
        setattr(fake, name, 0.0 if name != "duration" else 0.6)
    first.kill()
    killed = time.monotonic()
    await first.wait()

    async def taken_over() -> bool:
        rows = await fetch(db, "SELECT state, claimed_by FROM jobs")
        return rows[0][1] not in (None, holder) or rows[0][0] in ("delivered", "failed")

    await until(taken_over, second, run, timeout=10)
    takeover = time.monotonic() - killed
    async with asyncio.timeout(30):
        await second.wait()
    assert second.returncode == 0, run.output()

    (job_id, final, code), *_ = await fetch(db, "SELECT id, state, error_code FROM jobs")
    kinds = sorted(r[0] for r in await fetch(db, "SELECT kind FROM ledger"))
    assert takeover < 3.0, takeover  # ~1 s (the next claim pass reaps: at least every second); slack for load
    assert len(fake.submits()) == 1  # never sent twice
    if state == "submitting":
        assert (final, code) == ("failed", "submit_unknown")
        assert kinds == ["hold", "release"]
        assert run.deliveries() == Counter()
    else:
        assert final == "delivered", run.output()
        assert kinds == ["charge", "hold"]
        assert run.deliveries() == Counter([job_id])  # posted once


async def test_a_frozen_workers_job_is_taken_over_when_its_lease_runs_out_and_it_stays_fenced(
    tmp_path, fake, db, database_url
):
    """SIGSTOP: the worker's connection stays open, so only its lease tells. The other takes the job
    over after `WORKER_LEASE_SECONDS`; woken again, the frozen one acts for it no more."""
    fake.duration = 8.0
    run = Harness(
        tmp_path, fake, DATABASE_URL=database_url, DATA_DIR=str(tmp_path / "data"), WORKER_LEASE_SECONDS="2"
    )
    first = await run.spawn("1")

    async def running() -> bool:
        rows = await fetch(db, "SELECT state, claimed_by FROM jobs")
        return len(rows) == 1 and rows[0][0] == "running" and rows[0][1] is not None

    await until(running, first, run)
    second = await run.spawn("--resume")

    async def both_registered() -> bool:
        return len(await fetch(db, "SELECT id FROM workers")) == 2

    await until(both_registered, first, run)
    (holder,) = (await fetch(db, "SELECT claimed_by FROM jobs"))[0]
    first.send_signal(signal.SIGSTOP)
    frozen = time.monotonic()
    fake.duration = 0.6
    try:

        async def taken_over() -> bool:
            rows = await fetch(db, "SELECT state, claimed_by FROM jobs")
            return rows[0][1] not in (None, holder) or rows[0][0] == "delivered"

        await until(taken_over, second, run, timeout=10)
        takeover = time.monotonic() - frozen
        async with asyncio.timeout(30):
            await second.wait()
    finally:
        first.send_signal(signal.SIGCONT)
    async with asyncio.timeout(30):
        await first.wait()  # woken: it finds nothing left to do
    assert first.returncode == 0, run.output()
    assert second.returncode == 0, run.output()

    (job_id, final), *_ = await fetch(db, "SELECT id, state FROM jobs")
    kinds = sorted(r[0] for r in await fetch(db, "SELECT kind FROM ledger"))
    assert takeover < 2 + 1.5, takeover  # its lease, then the next reap
    assert final == "delivered"
    assert kinds == ["charge", "hold"]
    assert len(fake.submits()) == 1
    assert run.deliveries() == Counter([job_id])
