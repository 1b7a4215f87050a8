"""What telling members their queue positions costs on PostgreSQL (issue 15: a gateway hears the
shared queue move, bot/jobs/positions.py), with `--queued` jobs waiting.

Fills a schema of its own with `--queued` queued jobs of one provider (the first 20 claimed by a
worker, as with workers at their concurrency), has one `SharedPositions` follow all of them (as the
gateway that accepted them), then lets workers "claim" `--claim` jobs from the front before each
tick and times the ticks: the store's two queries, and the notices handed to the sink (counted,
not sent). Also times the per-job query the gateway runs at each accept (`queue_position`), and a
worker's look for providers no live worker drives (bot/jobs/unserved.py: its two queries).

    .venv/bin/python benchmarks/queue_positions.py --database-url postgresql://postgres@127.0.0.1/test
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import percentile, print_machine
from benchmarks.metrics_scrape import postgresql_schema
from bot.jobs.model import Job, JobState, Origin
from bot.jobs.positions import SharedPositions
from bot.store import open_database
from bot.store.claims import ClaimStore
from bot.store.postgres import PostgresDatabase, pg

INSERT = (
    "INSERT INTO jobs (id, seq, state, origin, provider, model, prompt, params, user_id, estimate,"
    " created_at, updated_at) VALUES (?, ?, 'queued', 'discord', 'bfl', 'flux-pro-1.1', 'a prompt', '{}', ?,"
    " '5', ?, ?)"
)


def job(seq: int) -> Job:
    now = time.time()
    return Job(
        id=f"job{seq:07d}",
        seq=seq,
        state=JobState.QUEUED,
        origin=Origin.DISCORD,
        provider="bfl",
        model="flux-pro-1.1",
        prompt="a prompt",
        params={},
        user_id=seq,
        guild_id=None,
        channel_id=None,
        estimate=Decimal(5),
        created_at=now,
        updated_at=now,
    )


def ms(times: list[float]) -> str:
    values = [t * 1000 for t in times]
    return f"p50 {percentile(values, 50):7.2f} ms   p95 {percentile(values, 95):7.2f} ms"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--queued", type=int, default=10_000)
    parser.add_argument("--claim", type=int, default=10, help="jobs leaving the queue before each tick")
    parser.add_argument("--ticks", type=int, default=100)
    args = parser.parse_args()
    print_machine()
    with tempfile.TemporaryDirectory() as tmp:
        async with postgresql_schema(args.database_url) as url, open_database(url, data_dir=Path(tmp)) as db:
            assert isinstance(db, PostgresDatabase)
            now = time.time()
            conn = await asyncpg.connect(url)
            try:
                await conn.executemany(
                    pg(INSERT), [(f"job{s:07d}", s, s, now, now) for s in range(args.queued)]
                )
                await conn.execute("UPDATE jobs SET claimed_by = 'w' WHERE seq < 20")
                await conn.execute("ANALYZE jobs")
                store = ClaimStore(db)
                told: list[Any] = []

                async def announce(job: Job, *, position: int) -> None:
                    told.append((job.id, position))

                positions = SharedPositions(store)
                positions.bind(announce)
                for seq in range(args.queued):
                    positions.track(job(seq))
                ticks: list[float] = []
                singles: list[float] = []
                unserved: list[float] = []
                front = 0
                for _ in range(args.ticks):
                    await conn.execute(
                        "UPDATE jobs SET state = 'running' WHERE seq >= $1 AND seq < $2",
                        front,
                        front + args.claim,
                    )
                    front += args.claim
                    started = time.perf_counter()
                    await positions.tick()
                    ticks.append(time.perf_counter() - started)
                    started = time.perf_counter()
                    await store.queue_position(f"job{args.queued - 1:07d}")
                    singles.append(time.perf_counter() - started)
                    started = time.perf_counter()
                    await store.served()
                    await store.waiting_by_provider(["discord"])
                    unserved.append(time.perf_counter() - started)
            finally:
                await conn.close()
    print(
        f"PostgreSQL; {args.queued:,} queued, all followed by one process; {args.claim} leave the queue "
        f"before each of {args.ticks} ticks"
    )
    print(
        f"one tick (2 queries, notices counted) {ms(ticks)}   notices per tick {len(told) / args.ticks:.1f}"
    )
    print(f"queue_position of the last job       {ms(singles)}   (one query per accept at the gateway)")
    print(f"look for providers nobody drives     {ms(unserved)}   (each worker, every 30 s)")
    print(f"still followed after the ticks: {len(positions):,}")


if __name__ == "__main__":
    asyncio.run(main())
