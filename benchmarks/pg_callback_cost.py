"""A gateway's provider callback on PostgreSQL, one at a time: its round trips and this process's CPU
per callback (issue 15 item 8, the gateway's share with `--callbacks`).

    FLUXBOT_BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test \\
        .venv/bin/python benchmarks/pg_callback_cost.py [--callbacks 2000] [--gap 0.002]

With shared claims a provider calls back the gateway's web server, which drives no job: it reads
the job (to authenticate the call), reads the body and relays it to the worker that drives the job
(kept in `job_callbacks`, announced by NOTIFY; bot/jobs/callbacks.py). Here that is
`CallbackDesk.accept` as the gateway's `/callbacks/bfl/{job_id}` calls it, for `--callbacks` BFL
jobs that are `running` in a schema of its own (dropped after), one after the other `--gap`
seconds apart, each with the job's `X-Webhook-Secret` and a `Ready` body as the fake BFL sends
it. The web server's own HTTP handling (aiohttp) is not in it. Printed: round trips per callback
(every asyncpg statement, as `BENCH_QUERY_COUNTS` counts them), this process's CPU per callback
(user + system; PostgreSQL's not counted) and the wall time.

It imports `bot` from the interpreter's environment (the venv's editable install), not from
beside this file, so one copy of it measures any checkout: `<checkout>/.venv/bin/python <this file>`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import aiohttp
from narrow import count_round_trips, cpu_seconds, pg_schema, print_start
from pg_accept_cost import GUILD, MODEL, QUEUE_LIMIT, a_job

from bot.jobs.callbacks import CallbackDesk, CallbackOutcome, Mailbox
from bot.jobs.metrics import JobMetrics
from bot.jobs.model import Job, JobState
from bot.providers.bfl import BFLProvider
from bot.quota import QuotaService
from bot.settings import Settings
from bot.store import open_database
from bot.store.claims import ClaimStore
from bot.store.guilds import GuildStore
from bot.store.jobs import JobRepository
from bot.store.ledger import Ledger
from bot.store.units import store_new_job

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"


def running(seq: int) -> Job:
    job = a_job(seq)
    job.provider_job_id = f"bfl-{job.id}"
    return job


def ready_body(job: Job) -> bytes:
    return json.dumps(
        {
            "id": job.provider_job_id,
            "status": "Ready",
            "result": {"sample": f"https://delivery.example/{job.id}.png", "seed": 1},
            "progress": None,
        }
    ).encode()


async def run(url: str, count: int, gap: float) -> None:
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder)
        async with open_database(url, data_dir=data) as db, aiohttp.ClientSession() as session:
            settings = Settings(  # type: ignore[call-arg]
                _env_file=None, database_url=url, data_dir=data, quota_default_limit="unlimited"
            )
            quota = QuotaService(settings, Ledger(db), {MODEL: Decimal("0.04")}, guilds=GuildStore(db))
            jobs = [running(seq) for seq in range(count + 50)]
            for job in jobs:
                await db.atomic(store_new_job, job, [], QUEUE_LIMIT, await quota.prepare_hold(job))
            await db.execute(  # submitted: running at the provider, as `running` says
                "UPDATE jobs SET state = ?, provider_job_id = 'bfl-' || id WHERE guild_id = ?",
                (JobState.RUNNING.value, GUILD),
            )
            store = ClaimStore(db)  # type: ignore[arg-type]
            provider = BFLProvider(session=session, base_url="http://127.0.0.1:9")

            async def relay(job_id: str, body: bytes, notify: bool) -> None:
                await store.relay_callback(job_id, body, notify=notify)

            desk = CallbackDesk(
                JobRepository(db),
                {"bfl": provider},
                JobMetrics(),
                Mailbox(),
                driven=lambda _job_id: None,  # a gateway: it drives none
                relay=relay,
            )
            outcomes: dict[str, int] = {}

            async def call(job: Job) -> None:
                outcome = await desk.accept(
                    "bfl", job.id, ready_body(job), secret=job.callback_token, signature=None
                )
                outcomes[outcome.value] = outcomes.get(outcome.value, 0) + 1

            for job in jobs[count:]:  # warm up: prepared statements, plans, the pool
                await call(job)
            outcomes.clear()
            sent = count_round_trips()
            cpu, wall = cpu_seconds(), time.perf_counter()
            for job in jobs[:count]:
                await call(job)
                await asyncio.sleep(gap)
            cpu, wall = cpu_seconds() - cpu, time.perf_counter() - wall - count * gap
            kept = await db.fetchone("SELECT COUNT(*) AS n FROM job_callbacks")
    trips = sum(sent.values())
    assert outcomes == {CallbackOutcome.ACCEPTED.value: count}, outcomes
    print(f"{count} callbacks, one at a time ({gap * 1000:.0f} ms apart), {kept['n']} kept; {outcomes}")
    print(f"  round trips per callback: {trips / count:.2f}  {dict(sent.most_common())}")
    print(f"  CPU per callback (this process): {cpu / count * 1000:.3f} ms")
    print(f"  wall per callback (the gaps left out): {wall / count * 1000:.3f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--callbacks", type=int, default=2000)
    parser.add_argument("--gap", type=float, default=0.002, help="seconds between callbacks")
    args = parser.parse_args()
    print_start()
    with pg_schema("bench_callback") as url:
        started = time.perf_counter()
        asyncio.run(run(url, args.callbacks, args.gap))
        print(f"  ({time.perf_counter() - started:.1f} s in all)")


if __name__ == "__main__":
    main()
