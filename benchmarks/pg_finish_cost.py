"""What a worker spends to finish a job on PostgreSQL: its last polls, the charge, the download, the
durable write of the image, the delivery to Discord over REST and the end (issue 15 item 8, the
workers' finishing share).

    FLUXBOT_BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test \\
        .venv/bin/python benchmarks/pg_finish_cost.py [--jobs 600] [--duration 20]

One process is a worker as `--role worker` builds it (`open_services` on PostgreSQL, shared claims,
the REST-only Discord client and its `rest_sink`), against the fake BFL and a loopback Discord, each
in a child process of its own (their CPU is not counted). `--jobs` Discord jobs, each from its own
member and with its own interaction token, are accepted at once and all take `--duration` seconds at
the fake. Two phases are read apart:

- until every job is running at the provider (accept, claim, submit): not this benchmark's subject;
- from then until every job is delivered: the polls that find them ready, the charge, the download,
  the image's durable write, the reply edited into the result (multipart upload, embed, buttons)
  and the end. This process's CPU (user + system, every thread) and its round trips to PostgreSQL
  per job are printed for it.

`--profile N` prints cProfile's top N functions (cumulative) of the finishing phase.

It imports `bot` from the interpreter's environment (the venv's editable install), so one copy of it
measures any checkout: `<checkout>/.venv/bin/python <this file>`. Schema of its own, dropped after.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import cProfile
import json
import logging
import pstats
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from narrow import count_round_trips, cpu_seconds, pg_schema, print_start, serve_discord, start_discord

GUILD = 1001
APP_ID = 99


async def run(
    url: str, discord_url: str, bfl_url: str, api_key: str, jobs: int, duration: float, profile: int
) -> None:
    import discord.http

    discord.http.Route.BASE = f"{discord_url}/api/v10"

    from bot.app import open_services
    from bot.discord.rest import RestClient, rest_sink
    from bot.jobs.manager import NewJob
    from bot.jobs.model import JobState, Origin
    from bot.jobs.plan import plan_job
    from bot.logs import setup_logging
    from bot.settings import Settings
    from bot.store.deliveries import Delivery

    with tempfile.TemporaryDirectory(prefix="fluxbot-finish-") as tmp:
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            database_url=url,
            data_dir=Path(tmp),
            bfl_api_key=api_key,
            bfl_base_url=bfl_url,
            default_provider="bfl",
            provider_concurrency={"bfl": jobs},
            quota_default_limit="unlimited",
            http_port=0,
            job_timeout_seconds=300,
            max_queued_jobs_per_user=8,
        )
        # The product's logging (INFO, secrets redacted, text), its lines written to a file as a
        # worker's go to its log: their cost is part of a job's.
        stdout, sys.stdout = sys.stdout, open(Path(tmp) / "worker.log", "w", encoding="utf-8")  # noqa: SIM115
        setup_logging(settings.log_level, settings.secret_values(), settings.log_format)
        sys.stdout, log_file = stdout, sys.stdout
        client = RestClient()
        await client.login("x" * 59)
        try:
            async with open_services(settings, rate_limits={"bfl": 2000.0}) as services:
                manager = services.manager
                manager.register_sink(Origin.DISCORD, rest_sink(client, services))
                await manager.start()
                prompt = f"a lighthouse at dusk [d={duration}]"
                plan = plan_job(prompt, {}, default_model="flux-pro-1.1", available=["bfl"], preferred="bfl")
                news = []
                for seq in range(jobs):
                    job_id = secrets.token_hex(8)
                    delivery = Delivery(job_id, APP_ID, f"token-{job_id}", time.time(), locale="en-US")
                    news.append(
                        NewJob.from_plan(
                            plan,
                            id=job_id,
                            origin=Origin.DISCORD,
                            user_id=700_000 + seq,
                            guild_id=GUILD,
                            channel_id=1,
                            delivery=delivery,
                        )
                    )
                started = time.perf_counter()
                await asyncio.gather(*(manager.submit(new) for new in news))

                async def states() -> dict[str, int]:
                    rows = await services.db.fetchall("SELECT state, COUNT(*) AS n FROM jobs GROUP BY state")
                    return {row["state"]: row["n"] for row in rows}

                before = await states()
                while before.get("queued", 0) or before.get("submitting", 0):
                    await asyncio.sleep(0.05)
                    before = await states()
                accepted = time.perf_counter() - started
                if before.get(JobState.RUNNING.value, 0) < jobs:
                    raise SystemExit(f"jobs ended before all were submitted: {before} (a longer --duration)")
                sent = count_round_trips()
                profiler = cProfile.Profile() if profile else None
                if profiler is not None:
                    profiler.enable()
                cpu, wall = cpu_seconds(), time.perf_counter()
                reads = 1  # this benchmark's own reads of the states, left out of the round trips
                while (seen := await states()).get(JobState.DELIVERED.value, 0) < jobs:
                    reads += 1
                    if any(state not in ("running", "fetching", "delivering", "delivered") for state in seen):
                        raise SystemExit(f"a job ended otherwise: {seen}")
                    await asyncio.sleep(0.05)
                cpu, wall = cpu_seconds() - cpu, time.perf_counter() - wall
                if profiler is not None:
                    profiler.disable()
                sent["SELECT"] -= reads
                report(jobs, duration, accepted, wall, cpu, sent, profiler)
        finally:
            await client.close()
            logging.getLogger().handlers.clear()
            log_file.close()


def report(
    jobs: int,
    duration: float,
    accepted: float,
    wall: float,
    cpu: float,
    sent: collections.Counter[str],
    profiler: cProfile.Profile | None,
) -> None:
    trips = sum(sent.values())
    print(f"{jobs} jobs, {duration:g} s each at the fake; all running after {accepted:.1f} s")
    print(f"finishing (running -> delivered): {wall:.1f} s wall")
    print(f"  CPU per job (this process, every thread): {cpu / jobs * 1000:.3f} ms")
    print(f"  round trips per job: {trips / jobs:.2f}  {dict(sent.most_common())}")
    if profiler is not None:
        print("(under cProfile: the figures above are inflated by it)")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
    sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=600)
    parser.add_argument("--duration", type=float, default=20.0, help="seconds each job takes at the fake")
    parser.add_argument("--profile", type=int, default=0, help="cProfile the finishing phase")
    parser.add_argument("--serve-discord", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_discord:
        asyncio.run(serve_discord())
        return
    print_start()
    with pg_schema("bench_finish") as url:
        discord, discord_url = start_discord(__file__)
        # The fake BFL of the other benchmarks, in a child of its own too (not `harness.FakeServer`:
        # importing harness would put this file's checkout before the interpreter's `bot`).
        bfl = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve().parent / "fake_server.py"), "bfl", "{}"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert bfl.stdout is not None
            fake = json.loads(bfl.stdout.readline())
            from bot.event_loop import loop_factory
            from bot.event_loop import run as run_on

            # The loop a worker runs on (EVENT_LOOP=auto on PostgreSQL: uvloop when installed).
            name, factory = loop_factory("auto", postgresql=True)  # type: ignore[arg-type]
            print(f"event loop: {name}")
            finishing = run(
                url, discord_url, fake["url"], fake["api_key"], args.jobs, args.duration, args.profile
            )
            run_on(finishing, factory)
        finally:
            for process in (discord, bfl):
                process.kill()
                process.wait()


if __name__ == "__main__":
    main()
