"""A worker's provider pacing on PostgreSQL: its round trips and this process's CPU per request
(issue 15 item 8, the workers' share).

    FLUXBOT_BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test \\
        .venv/bin/python benchmarks/pg_pacing_cost.py [--requests 3000] [--rate 25] [--limit 2000]

Every submit and poll of a worker first takes a token of its provider's budget, shared by every
process in one row (`SharedPacing`, bot/jobs/shared_pacing.py). Here one `SharedPacing` is asked
for `--requests` tokens, arriving one by one at `--rate` per second on average (random gaps, the
same for every run: a worker of `pg_scale_out.py --jobs 2000` asks for ~25 a second), each in a
task of its own as a job's drive asks, against a budget of `--limit` requests per second (the
benchmarks' `BENCH_RATE_LIMITS` is 2,000; the product's BFL budget 20), in a schema of its own
(dropped after). Printed: round trips per request (every asyncpg statement), this process's CPU
per request (user + system; PostgreSQL's not counted) and each request's wait for its token.

It imports `bot` from the interpreter's environment (the venv's editable install), not from
beside this file, so one copy of it measures any checkout: `<checkout>/.venv/bin/python <this file>`.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from pathlib import Path

from narrow import count_round_trips, cpu_seconds, percentile, pg_schema, print_start

from bot.jobs.metrics import JobMetrics
from bot.jobs.shared_pacing import SharedPacing
from bot.store import open_database
from bot.store.claims import ClaimStore

PROVIDER = "bfl"


async def run(url: str, requests: int, rate: float, limit: float) -> None:
    with tempfile.TemporaryDirectory() as folder:
        async with open_database(url, data_dir=Path(folder)) as db:
            store = ClaimStore(db)
            await store.open()
            pacing = SharedPacing(JobMetrics(), store, {PROVIDER: limit})
            waits: list[float] = []

            async def request() -> None:
                asked = time.perf_counter()
                await pacing.take_token(PROVIDER)
                waits.append(time.perf_counter() - asked)

            for _ in range(20):  # warm up: the budget's row, prepared statements, the pool
                await request()
            await asyncio.sleep(1.5)  # a quiet spell: the warm-up's slice expired
            waits.clear()
            gaps = random.Random(15).expovariate
            sent = count_round_trips()
            tasks: set[asyncio.Task[None]] = set()
            cpu, wall = cpu_seconds(), time.perf_counter()
            for _ in range(requests):
                task = asyncio.create_task(request())
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                await asyncio.sleep(gaps(rate))
            await asyncio.gather(*tasks)
            cpu, wall = cpu_seconds() - cpu, time.perf_counter() - wall
    trips = sum(sent.values())
    print(f"{requests} requests at {rate:g}/s on average, budget {limit:g}/s, in {wall:.1f} s")
    print(f"  round trips per request: {trips / requests:.3f}  {dict(sent.most_common())}")
    print(f"  CPU per request (this process, asking included): {cpu / requests * 1000:.3f} ms")
    print(
        f"  wait for the token: p50 {percentile(waits, 50) * 1000:.1f} ms, "
        f"p99 {percentile(waits, 99) * 1000:.1f} ms, max {max(waits) * 1000:.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rate", type=float, default=25.0, help="requests per second, on average")
    parser.add_argument("--limit", type=float, default=2000.0, help="the provider's budget (requests/s)")
    args = parser.parse_args()
    print_start()
    with pg_schema("bench_pacing") as url:
        asyncio.run(run(url, args.requests, args.rate, args.limit))


if __name__ == "__main__":
    main()
