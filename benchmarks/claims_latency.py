"""Several workers on one PostgreSQL store: how fast a new job reaches an idle worker (NOTIFY), and
how fast a dead or silent worker's jobs are taken over (issue 15, items 3 and 5).

Two job managers in this process, each with its own connections to the database, as two processes
would have; the fake BFL runs in its own process (`fake_server.py`).

- **wake-up**: a gateway (`drive=False`) accepts one job at a time while the worker is idle; the
  figure is from `submit` returning (the accept committed) to the worker launching the job's task.
  The worker's timer pass (1 s) is only the fallback: the target is < 100 ms.
- **takeover after death**: worker A drives N running jobs, then dies (its worker connection and its
  pool dropped without a word, as a SIGKILL leaves them); the figure is from the kill until every
  job is claimed by worker B. Target p99 <= 2 s.
- **takeover after silence**: A stops renewing its lease (a frozen machine); from its last renewal
  until B holds every job. Target <= WORKER_LEASE_SECONDS (+ the reap interval).

    FLUXBOT_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test \\
        .venv/bin/python benchmarks/claims_latency.py [--wakeups 200] [--rounds 10] [--jobs 50]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import FakeServer, Verdict, percentile, print_machine, print_verdicts
from ours import CountingSink, bench_settings, new_job

from bot.app import Services, open_services
from bot.jobs.model import Origin
from bot.jobs.polling import PollPolicy

POLICY = PollPolicy(min_interval=0.2, max_interval=1.0, typical_override=5.0, jitter=0.0)


@asynccontextmanager
async def schema(url: str) -> AsyncIterator[str]:
    name = f"fluxbot_bench_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(url)
    try:
        await admin.execute(f"CREATE SCHEMA {name}")
        yield f"{url}{'&' if '?' in url else '?'}search_path={name}"
    finally:
        await admin.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
        await admin.close()


@asynccontextmanager
async def worker(
    tmp: Path, fake: FakeServer, url: str, *, drive: bool = True, lease: float = 15.0
) -> AsyncIterator[tuple[Services, CountingSink]]:
    settings = bench_settings(
        tmp,
        url=fake.url,
        api_key=fake.api_key,
        concurrency=10_000,
        database_url=url,
        data_dir=tmp,
        worker_lease_seconds=lease,
    )
    async with open_services(settings, poll_policy=POLICY, rate_limits={"bfl": 2000.0}) as services:
        sink = CountingSink(expected=10**9)
        services.manager.register_sink(Origin.CLI, sink)
        services.manager.drive = drive
        await services.manager.start()
        yield services, sink


def launches(services: Services) -> dict[str, float]:
    """Job id → when this worker launched its task (perf_counter)."""
    seen: dict[str, float] = {}
    runs = services.manager.runs
    launch = runs.launch

    def recorded(job: Any, **kwargs: Any) -> None:
        seen.setdefault(job.id, time.perf_counter())
        launch(job, **kwargs)

    runs.launch = recorded  # type: ignore[method-assign]
    return seen


async def wakeups(fake: FakeServer, url: str, count: int) -> list[float]:
    fake.configure(duration=0.05)
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        async with worker(tmp, fake, url, drive=False) as (gateway, _), worker(tmp, fake, url) as (idle, _):
            seen = launches(idle)
            await asyncio.sleep(1.5)  # the worker is idle: nothing but its timer would wake it
            figures = []
            for index in range(count):
                job = await gateway.manager.submit(new_job(f"wake {index}", 5000 + index))
                accepted = time.perf_counter()
                while job.id not in seen:
                    await asyncio.sleep(0.0005)
                figures.append(seen[job.id] - accepted)
                await idle.manager.wait_for(job.id, 30)
                await asyncio.sleep(0.05)  # idle again
    return figures


async def takeover(fake: FakeServer, url: str, jobs: int, *, silent: bool, lease: float) -> float:
    fake.configure(duration=60.0 if silent else 30.0)
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        async with (
            worker(tmp, fake, url, lease=lease) as (a, _),
            worker(tmp, fake, url, lease=lease) as (b, _),
        ):
            b.manager.concurrency["bfl"] = 0  # B takes nothing new: it only takes over
            ids = [(await a.manager.submit(new_job(f"take {i}", 7000 + i))).id for i in range(jobs)]
            while len(await b.db.fetchall("SELECT id FROM jobs WHERE state = 'running'")) < jobs:
                await asyncio.sleep(0.05)
            claims: Any = a.manager.claims
            if silent:
                renewed = claims._renewed  # the last renewal A sent

                async def frozen() -> bool:
                    await asyncio.Event().wait()
                    return False

                claims.session.renew = frozen
                started = renewed
            else:
                started = time.monotonic()
                await a.manager.stop(release=False)
                a.db.pool.terminate()  # type: ignore[attr-defined]
            theirs = b.manager.claims.worker_id  # type: ignore[attr-defined]
            while True:
                rows = await b.db.fetchall("SELECT COUNT(*) FROM jobs WHERE claimed_by = ?", (theirs,))
                if int(rows[0][0]) >= len(ids):
                    break
                await asyncio.sleep(0.005)
            return time.monotonic() - started


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("FLUXBOT_TEST_DATABASE_URL"))
    parser.add_argument("--wakeups", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--jobs", type=int, default=50)
    parser.add_argument("--lease", type=float, default=3.0)
    args = parser.parse_args()
    if not args.database_url:
        parser.error("set FLUXBOT_TEST_DATABASE_URL or --database-url")
    print_machine()
    base = args.database_url
    with FakeServer("bfl", duration=0.05) as fake:
        async with schema(base) as url:
            wake = await wakeups(fake, url, args.wakeups)
        kills: list[float] = []
        silences: list[float] = []
        for round_ in range(args.rounds + max(1, args.rounds // 3)):
            async with schema(base) as url:  # each round on an empty store
                silent = round_ >= args.rounds
                took = await takeover(fake, url, args.jobs, silent=silent, lease=args.lease)
                (silences if silent else kills).append(took)

    def ms(values: list[float]) -> str:
        p50, p99, top = (percentile(values, 50), percentile(values, 99), max(values))
        return f"p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, max {top * 1000:.1f} ms"

    print(f"new job → idle worker's task, {len(wake)} jobs: {ms(wake)}")
    print(f"takeover after a death, {args.jobs} running jobs, {len(kills)} rounds: {ms(kills)}")
    print(f"takeover after silence (lease {args.lease:.0f} s), {len(silences)} rounds: {ms(silences)}")
    print_verdicts(
        [
            Verdict(
                "new job reaches an idle worker (p99)",
                f"{percentile(wake, 99) * 1000:.1f} ms",
                "< 100 ms",
                percentile(wake, 99) < 0.1,
            ),
            Verdict(
                "takeover after a death (p99)",
                f"{percentile(kills, 99):.2f} s",
                "<= 2 s",
                percentile(kills, 99) <= 2.0,
            ),
            Verdict(
                "takeover after silence (max)",
                f"{max(silences):.2f} s",
                f"<= {args.lease + 1:.0f} s",
                max(silences) <= args.lease + 1.0,
            ),
        ]
    )


if __name__ == "__main__":
    asyncio.run(main())
