"""A gateway's accept on PostgreSQL, one at a time: its round trips and this process's CPU per accept
(issue 15 item 8, the gateway's share).

    FLUXBOT_BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test \\
        .venv/bin/python benchmarks/pg_accept_cost.py [--accepts 2000] [--gap 0.002]

At 100 commands/s a gateway's accepts mostly reach an idle group commit, so each is a batch of its
own (benchmarks/pg_scale_out.py counts them: 1,400–2,050 batches for 2,100 commands, fewer the
busier the machine, so its CPU per command moves with the load as much as with the code). Here
each accept is alone on purpose: `Database.atomic(store_new_job)` as `JobManager.submit` runs it
for a Discord command (a queue limit, a quota hold, the delivery record), each member its own, one
after the other `--gap` seconds apart, in a schema of its own (dropped after). Printed: round trips
per accept (every asyncpg statement, as `BENCH_QUERY_COUNTS` counts them), this process's CPU per
accept (user + system; asyncpg's and our side only, PostgreSQL's not counted) and the wall time.

It imports `bot` from the interpreter's environment (the venv's editable install), not from
beside this file, so one copy of it measures any checkout: `<checkout>/.venv/bin/python <this file>`.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from narrow import count_round_trips, cpu_seconds, pg_schema, print_start

from bot.jobs.model import Job, JobState, Origin
from bot.quota import QuotaService
from bot.settings import Settings
from bot.store import open_database
from bot.store.deliveries import Delivery
from bot.store.guilds import GuildStore
from bot.store.ledger import Ledger
from bot.store.units import store_new_job

GUILD = 1001
MODEL = ("bfl", "flux-pro-1.1")
QUEUE_LIMIT = 8  # the product's default: 2 active + 6 queued


def a_job(seq: int) -> Job:
    now = time.time()
    return Job(
        id=f"acc{seq:013x}",
        seq=0,
        state=JobState.QUEUED,
        origin=Origin.DISCORD,
        provider=MODEL[0],
        model=MODEL[1],
        prompt="a lighthouse at dusk",
        params={"body": {"prompt": "a lighthouse at dusk"}, "options": {}},
        user_id=500_000 + seq,
        guild_id=GUILD,
        channel_id=1,
        estimate=Decimal("0.04"),
        created_at=now,
        updated_at=now,
        callback_token=secrets.token_urlsafe(24),
    )


async def run(url: str, accepts: int, gap: float) -> None:
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder)
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None, database_url=url, data_dir=data, quota_default_limit="unlimited"
        )
        async with open_database(url, data_dir=data) as db:
            quota = QuotaService(settings, Ledger(db), {MODEL: Decimal("0.04")}, guilds=GuildStore(db))
            for seq in range(50):  # warm up: prepared statements, plans, the pool
                job = a_job(10_000_000 + seq)
                await db.atomic(store_new_job, job, [], QUEUE_LIMIT, await quota.prepare_hold(job))
            sent = count_round_trips()
            cpu, wall = cpu_seconds(), time.perf_counter()
            for seq in range(accepts):
                job = a_job(seq)
                hold = await quota.prepare_hold(job)
                delivery = Delivery(job.id, 99, f"token-{seq}", job.created_at, locale="en")
                await db.atomic(store_new_job, job, [], QUEUE_LIMIT, hold, delivery)
                await asyncio.sleep(gap)
            cpu, wall = cpu_seconds() - cpu, time.perf_counter() - wall - accepts * gap
            stored = await db.fetchone("SELECT COUNT(*) AS n FROM job_deliveries")
    trips = sum(sent.values())
    print(f"{accepts} accepts, one at a time ({gap * 1000:.0f} ms apart), {stored['n']} deliveries stored")
    print(f"  round trips per accept: {trips / accepts:.2f}  {dict(sent.most_common())}")
    print(f"  CPU per accept (this process): {cpu / accepts * 1000:.3f} ms")
    print(f"  wall per accept (the gaps left out): {wall / accepts * 1000:.3f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--accepts", type=int, default=2000)
    parser.add_argument("--gap", type=float, default=0.002, help="seconds between accepts")
    args = parser.parse_args()
    print_start()
    with pg_schema("bench_accept") as url:
        asyncio.run(run(url, args.accepts, args.gap))


if __name__ == "__main__":
    main()
