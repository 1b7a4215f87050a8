"""Job throughput with 1 worker process against 3, on one PostgreSQL store (issue 15, item 8).

    FLUXBOT_BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test \\
        .venv/bin/python benchmarks/pg_workers_scaling.py [--jobs 300] [--workers 1 3]

For each worker count, on an empty schema of its own (dropped after): a gateway (`drive=False`,
this process) accepts `--jobs` jobs of distinct members of one guild, `--wave` at a time, while
that many worker processes (spawn, each `open_services` with its own pool, as `python -m bot run
--role worker`), started and idle beforehand, claim and drive them against the fake BFL (its own
process). The figure is from the first accept to the last job finished, read from the jobs
table; then every job must be delivered exactly once across the workers (their sinks' ids) and
charged once (the ledger).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import FakeServer, pg_admin, print_machine
from ours import CountingSink, bench_settings, new_job

from bot.app import open_services
from bot.jobs.model import Origin
from bot.jobs.polling import PollPolicy

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"
POLICY = PollPolicy(min_interval=0.2, max_interval=1.0, typical_override=5.0, jitter=0.0)
FINISHED = "('delivered', 'failed', 'cancelled', 'moderated', 'timed_out', 'submit_unknown')"


def settings(folder: str, fake_url: str, api_key: str, db_url: str) -> Any:
    tmp = Path(folder)
    return bench_settings(
        tmp, url=fake_url, api_key=api_key, concurrency=10_000, database_url=db_url, data_dir=tmp
    )


async def run_worker(
    folder: str, fake_url: str, api_key: str, db_url: str, jobs: int, start: Any
) -> tuple[list[str], int, float]:
    config = settings(folder, fake_url, api_key, db_url)
    async with open_services(config, poll_policy=POLICY, rate_limits={"bfl": 2000.0}) as services:
        sink = CountingSink(expected=10**9)
        services.manager.register_sink(Origin.CLI, sink)
        await asyncio.to_thread(start.wait)
        cpu0 = time.process_time()
        await services.manager.start()
        while True:
            row = await services.db.fetchone(f"SELECT COUNT(*) FROM jobs WHERE state IN {FINISHED}")
            if int(row[0]) >= jobs:
                break
            await asyncio.sleep(0.05)
        cpu = time.process_time() - cpu0
        await services.manager.stop()
    return list(sink.delivered), len(sink.failed), cpu


def worker(folder: str, fake_url: str, api_key: str, db_url: str, jobs: int, start: Any, out: Any) -> None:
    out.put(asyncio.run(run_worker(folder, fake_url, api_key, db_url, jobs, start)))


async def accept_and_wait(
    folder: str, fake: FakeServer, db_url: str, jobs: int, wave: int
) -> tuple[float, float, dict[str, int], int]:
    """Accept the jobs in waves of `wave` as the workers run; (first accept, last finished, ...)."""
    config = settings(folder, fake.url, fake.api_key, db_url)
    async with open_services(config, poll_policy=POLICY) as gateway:
        gateway.manager.drive = False
        t0 = time.time()
        for first in range(0, jobs, wave):
            await asyncio.gather(
                *(
                    gateway.manager.submit(new_job(f"scale {i}", 9000 + i))
                    for i in range(first, min(jobs, first + wave))
                )
            )
        done, states, charges = await finished_at(db_url, jobs)
    return t0, done, states, charges


async def finished_at(db_url: str, jobs: int) -> tuple[float, dict[str, int], int]:
    conn = await asyncpg.connect(db_url)
    try:
        while True:
            n = await conn.fetchval(f"SELECT COUNT(*) FROM jobs WHERE state IN {FINISHED}")
            if n >= jobs:
                break
            await asyncio.sleep(0.02)
        done = time.time()
        states = dict(await conn.fetch("SELECT state, COUNT(*) FROM jobs GROUP BY state"))
        charges = await conn.fetchval("SELECT COUNT(DISTINCT job_id) FROM ledger WHERE kind = 'charge'")
        dup = await conn.fetchval(
            "SELECT COUNT(*) FROM (SELECT job_id FROM ledger WHERE kind = 'charge' GROUP BY job_id "
            "HAVING COUNT(*) > 1) AS d"
        )
    finally:
        await conn.close()
    return done, {str(k): int(v) for k, v in states.items()}, int(charges) * (1 if not dup else -1)


def one_round(fake: FakeServer, base: str, workers: int, jobs: int, wave: int) -> None:
    name = f"fluxbot_bench_{secrets.token_hex(4)}"
    db_url = f"{base}{'&' if '?' in base else '?'}search_path={name}"
    asyncio.run(pg_admin(base, f"CREATE SCHEMA {name}"))
    try:
        with tempfile.TemporaryDirectory() as folder:
            asyncio.run(pg_admin(db_url, "SELECT 1"))
            ctx = mp.get_context("spawn")
            start, out = ctx.Event(), ctx.Queue()
            procs = [
                ctx.Process(target=worker, args=(folder, fake.url, fake.api_key, db_url, jobs, start, out))
                for _ in range(workers)
            ]
            for p in procs:
                p.start()
            time.sleep(4)  # imports, pools
            start.set()
            time.sleep(0.5)  # every worker started and listening
            t0, done, states, charges = asyncio.run(accept_and_wait(folder, fake, db_url, jobs, wave))
            results = [out.get(timeout=120) for _ in procs]
            for p in procs:
                p.join()
        ids = [i for r in results for i in r[0]]
        cpu = sum(r[2] for r in results)
        elapsed = done - t0
        print(
            f"{workers} worker(s): {jobs} jobs finished in {elapsed:.2f}s = {jobs / elapsed:.0f} jobs/s; "
            f"delivered {len(ids)} ({len(set(ids))} distinct; per worker {[len(r[0]) for r in results]}); "
            f"failed {sum(r[1] for r in results)}; states {states}; jobs charged once: {charges}; "
            f"workers' CPU {cpu * 1000 / jobs:.1f} ms per job"
        )
    finally:
        asyncio.run(pg_admin(base, f"DROP SCHEMA IF EXISTS {name} CASCADE"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=300)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 3])
    parser.add_argument("--wave", type=int, default=10, help="jobs accepted together")
    parser.add_argument("--duration", type=float, default=0.5, help="the fake's time per image")
    args = parser.parse_args()
    base = os.environ.get("FLUXBOT_BENCH_DATABASE_URL") or DEFAULT_URL
    print_machine()
    with FakeServer("bfl", duration=args.duration) as fake:
        for count in args.workers:
            one_round(fake, base, count, args.jobs, args.wave)


if __name__ == "__main__":
    main()
