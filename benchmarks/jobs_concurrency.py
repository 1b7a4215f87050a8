"""2,000 concurrent jobs through the real job manager, in one process, against the fake TTAPI.

    /work/main/.venv/bin/python benchmarks/jobs_concurrency.py [--jobs 2000] [--scale 1.0]

What runs: the real `open_services` (SQLite file in a temp dir, WAL), `JobManager`, `TTAPIProvider`
over aiohttp, and `tests/fakes/ttapi.py` on loopback in the same event loop. Per-model durations
are realistic (flux-dev ~6 s, flux-pro-1.1 ~8 s, flux-pro ~10 s, ultra ~12 s, each ±30 %),
multiplied by `--scale` (1.0 = real time; the whole run then takes ~20 s per mode).

The store is seeded with 30 finished jobs per model at those durations, so the polling schedule is
the learned one (as in production after a day), not the model table's default.

Two modes, 2,000 jobs each, all in flight at once (PROVIDER_CONCURRENCY=ttapi=N, 1,000 members with
2 jobs each, provider rate limit 1,500 requests/s):
- polling: no callbacks;
- callbacks: WEBHOOK_PUBLIC_URL set, the fake calls back when a job is ready; polling stays on.

Figures: polls per job; delay from "ready at the provider" (the fake's own clock) to "delivered"
(the sink's hand-over), p50/p95/max; CPU seconds of the whole process (manager + fake server +
HTTP client + SQLite) per job; memory per in-flight job (tracemalloc, Python heap, measured while
all jobs are running; tracemalloc is on only for that phase) and RSS growth.

Not a test: it prints figures. Numbers depend on the machine; it prints the CPU count.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
import random
import resource
import socket
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.app import open_services
from bot.jobs.manager import NewJob
from bot.jobs.model import Job, JobState, Origin
from bot.jobs.plan import plan_job
from bot.jobs.sink import Progress
from bot.settings import Settings
from bot.web import serve
from tests.fakes.ttapi import FakeTTAPI

#: Seconds a job takes at the provider, by TTAPI endpoint (before --scale).
DURATIONS = {"flux-dev": 6.0, "flux-pro-1.1": 8.0, "flux-pro": 10.0, "flux-pro-1.1-ultra": 12.0}
RATE = 1500.0


class BenchSink:
    def __init__(self) -> None:
        self.delivered_at: dict[str, float] = {}
        self.failed: list[str] = []
        self.done = asyncio.Event()
        self.expected = 0

    async def job_updated(self, job: Job, progress: Progress) -> None:
        return None

    async def deliver(self, job: Job, image: bytes) -> int | None:
        self.delivered_at[job.id] = time.monotonic()
        self._check()
        return None

    async def job_failed(self, job: Job) -> None:
        self.failed.append(job.id)
        self._check()

    def _check(self) -> None:
        if len(self.delivered_at) + len(self.failed) >= self.expected:
            self.done.set()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def seed_history(services: Any, scale: float, rng: random.Random) -> None:
    """30 finished jobs per model, as the store has after a day of use."""
    now = time.time()
    rows = []
    seq = 0
    for model, seconds in DURATIONS.items():
        for _ in range(30):
            seq += 1
            took = seconds * scale * rng.uniform(0.7, 1.3)
            rows.append(
                (f"seed{seq:012d}", seq, "delivered", "cli", "ttapi", model, "seed", "{}", 0, "5",
                 now - 3600, now - 3600, now - 3600, now - 3600 + took, now - 3600 + took + 1)
            )  # fmt: skip
    async with services.db.transaction() as conn:
        await conn.executemany(
            """INSERT INTO jobs (id, seq, state, origin, provider, model, prompt, params, user_id, estimate,
                   created_at, updated_at, submitted_at, ready_at, finished_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            rows,
        )


async def run_mode(mode: str, jobs: int, scale: float) -> dict[str, Any]:
    rng = random.Random(42)
    fake = FakeTTAPI(duration=8.0 * scale)
    fake.duration_for = lambda endpoint, body: DURATIONS.get(endpoint, 8.0) * scale * rng.uniform(0.7, 1.3)
    await fake.start()
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="fluxbot-bench-") as tmp:
        values: dict[str, Any] = {
            "database_path": Path(tmp) / "fluxbot.sqlite3",
            "ttapi_api_key": fake.api_key,
            "ttapi_base_url": fake.url,
            "provider_concurrency": f"ttapi={jobs}",
            "max_active_jobs_per_user": 2,
            "http_port": port,
            "quota_default_limit": "unlimited",
        }
        if mode == "callbacks":
            values["webhook_public_url"] = f"http://127.0.0.1:{port}"
        settings = Settings(_env_file=None, **values)  # type: ignore[call-arg]
        async with open_services(settings, rate_limits={"ttapi": RATE}) as services:
            await seed_history(services, scale, rng)
            sink = BenchSink()
            sink.expected = jobs
            manager = services.manager
            manager.register_sink(Origin.CLI, sink)
            models = list(DURATIONS)
            plans = [
                plan_job(
                    f"benchmark job {i}",
                    {"model": models[i % len(models)]},
                    default_model="flux-pro-1.1",
                    available=["ttapi"],
                    preferred="ttapi",
                )
                for i in range(jobs)
            ]
            async with serve(settings, services, None):
                gc.collect()
                rss0 = rss_mb()
                tracemalloc.start()
                heap0 = tracemalloc.get_traced_memory()[0]
                cpu0, wall0 = time.process_time(), time.monotonic()
                for i, plan in enumerate(plans):
                    await manager.submit(NewJob.from_plan(plan, origin=Origin.CLI, user_id=1000 + i // 2))
                submit_wall = time.monotonic() - wall0
                # All accepted first, then started: every job goes in flight at once.
                await manager.start()
                # The in-flight peak: (nearly) every job submitted to the provider, none ready yet.
                in_flight = 0
                while not sink.delivered_at:
                    in_flight = sum(1 for j in manager.runs.active() if j.state is JobState.RUNNING)
                    if in_flight >= jobs * 0.98:
                        break
                    await asyncio.sleep(0.05)
                gc.collect()
                heap = tracemalloc.get_traced_memory()[0] - heap0
                tracemalloc.stop()
                rss_peak = rss_mb() - rss0
                await asyncio.wait_for(sink.done.wait(), 600)
                cpu, wall = time.process_time() - cpu0, time.monotonic() - wall0
            rows = await services.db.fetchall(
                "SELECT id, provider_job_id, polls FROM jobs WHERE origin = 'cli' AND prompt != 'seed'"
            )
    await fake.stop()
    delays = [
        sink.delivered_at[r["id"]] - fake.ready_at(r["provider_job_id"])
        for r in rows
        if r["id"] in sink.delivered_at and r["provider_job_id"]
    ]
    delays.sort()
    return {
        "mode": mode,
        "jobs": jobs,
        "delivered": len(sink.delivered_at),
        "failed": len(sink.failed),
        "submits": len(fake.submits()),
        "polls_per_job": len(fake.fetches()) / jobs,
        "callbacks": fake.callbacks_sent,
        "p50": statistics.median(delays),
        "p95": delays[int(len(delays) * 0.95) - 1],
        "max": delays[-1],
        "cpu_per_job_ms": cpu / jobs * 1000,
        "cpu_s": cpu,
        "wall_s": wall,
        "submit_s": submit_wall,
        "in_flight": in_flight,
        "heap_kib_per_job": heap / max(1, in_flight) / 1024,
        "rss_kib_per_job": rss_peak * 1024 / max(1, in_flight),
    }


def main() -> None:
    logging.basicConfig(level=logging.WARNING)  # the per-job INFO lines would drown the figures
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the provider's durations")
    parser.add_argument("--mode", choices=["polling", "callbacks", "both"], default="both")
    args = parser.parse_args()
    modes = ["polling", "callbacks"] if args.mode == "both" else [args.mode]
    print(
        f"{args.jobs} jobs, durations x{args.scale}, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}"
    )
    for mode in modes:
        r = asyncio.run(run_mode(mode, args.jobs, args.scale))
        print(
            f"\n[{r['mode']}] delivered {r['delivered']}/{r['jobs']} (failed {r['failed']}), "
            f"submits {r['submits']}, callbacks {r['callbacks']}, wall {r['wall_s']:.1f} s "
            f"(accepting all {r['jobs']} first: {r['submit_s']:.1f} s)"
        )
        print(f"  polls per job:            {r['polls_per_job']:.2f}")
        print(
            f"  ready -> delivered:       p50 {r['p50'] * 1000:.0f} ms, p95 {r['p95'] * 1000:.0f} ms, "
            f"max {r['max'] * 1000:.0f} ms"
        )
        print(f"  CPU (whole process):      {r['cpu_s']:.1f} s = {r['cpu_per_job_ms']:.1f} ms per job")
        print(
            f"  memory per in-flight job: {r['heap_kib_per_job']:.1f} KiB Python heap (tracemalloc), "
            f"{r['rss_kib_per_job']:.1f} KiB RSS growth"
        )


if __name__ == "__main__":
    main()
