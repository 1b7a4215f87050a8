"""What a job costs us: scale, CPU, memory, provider requests, and how soon a ready image is posted.

Three runs of the real pipeline (SQLite store, quota hold/settle, JobManager, BFL provider, the
image written beside the database, a sink that records each hand-over) against the fake BFL in
its own process. No reference images, so no image is re-encoded anywhere (the fake's results are
small JPEGs that we download and store as they come).

A. scale      `--scale` jobs (default 2,000) accepted at once, each from its own member, taking the
              model's usual time (normal around it, σ 10 %): all must be delivered. CPU per job =
              this process's CPU (every thread) from the first accept to the last delivery ÷ jobs.
              Memory per in-flight job = growth of RSS from before accepting to the moment all
              are running at the provider ÷ jobs.
B. polling    `--steady` jobs (default 300) arriving at `--rate`/s (default 10), usual durations,
              polled on the learned schedule (12 warm-up jobs finish first, as in a bot that has
              been running; a fresh bot's first jobs use the catalog's guess, see run A):
              API requests per job (submit + polls, counted at the
              fake) and delay from "ready at the provider" (the fake's clock) to "handed to the
              sink" (ours; both are this machine's wall clock).
C. callbacks  the same with WEBHOOK_PUBLIC_URL set and bot/web.py serving the callbacks.

    /work/main/.venv/bin/python benchmarks/job_costs.py [--scale 2000] [--steady 300] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import socket
import tempfile
import time
from pathlib import Path
from typing import Any

from harness import (
    FakeServer,
    Verdict,
    cpu_seconds,
    job_durations,
    percentile,
    print_machine,
    print_verdicts,
    rss_mb,
    summary_ms,
)
from ours import BENCH_RATE_LIMITS, MODEL, CountingSink, bench_settings, new_job

from bot.app import open_services
from bot.jobs.model import Origin
from bot.providers.catalog import MODELS
from bot.web import serve

#: Jobs finished before a steady run is measured (the window is learned from 5).
WARMUP_JOBS = 12


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def scale(fake: FakeServer, jobs: int, typical: float) -> dict[str, Any]:
    prompts = [f"scale {i} [d={d:.3f}]" for i, d in enumerate(job_durations(jobs, typical, seed=2))]
    with tempfile.TemporaryDirectory(prefix="fluxbot-scale-") as tmp:
        settings = bench_settings(Path(tmp), url=fake.url, api_key=fake.api_key, concurrency=jobs)
        async with open_services(settings, rate_limits=BENCH_RATE_LIMITS) as services:
            sink = CountingSink(expected=jobs)
            services.manager.register_sink(Origin.CLI, sink)
            await services.manager.start()
            rss0 = rss_mb()
            cpu0, wall0 = cpu_seconds(), time.perf_counter()
            for first in range(0, jobs, 200):
                await asyncio.gather(
                    *(
                        services.manager.submit(new_job(p, 100_000 + first + i))
                        for i, p in enumerate(prompts[first : first + 200])
                    )
                )
            accepted = time.perf_counter() - wall0
            # Memory with every job in flight: all submitted, none finished yet.
            running_rss, in_flight = 0.0, 0
            while not sink.delivered:
                rows = await services.db.fetchall("SELECT state, COUNT(*) FROM jobs GROUP BY state")
                states = {r[0]: r[1] for r in rows}
                if states.get("running", 0) > in_flight:
                    in_flight, running_rss = states["running"], rss_mb()
                if in_flight == jobs:
                    break
                await asyncio.sleep(0.05)
            await asyncio.wait_for(sink.done.wait(), 600)
            wall, cpu = time.perf_counter() - wall0, cpu_seconds() - cpu0
    return {
        "jobs": jobs,
        "delivered": len(sink.delivered),
        "failed": len(sink.failed),
        "failures": list(sink.failed.values())[:3],
        "accept_s": accepted,
        "wall_s": wall,
        "cpu_s": cpu,
        "cpu_ms_per_job": cpu / jobs * 1000,
        "in_flight_measured": in_flight,
        "rss_before_mb": rss0,
        "rss_in_flight_mb": running_rss,
        "kb_per_job": (running_rss - rss0) * 1024 / max(1, in_flight),
    }


async def steady(fake: FakeServer, jobs: int, rate: float, typical: float, callbacks: bool) -> dict[str, Any]:
    prompts = [f"steady {i} [d={d:.3f}]" for i, d in enumerate(job_durations(jobs, typical, seed=3))]
    with tempfile.TemporaryDirectory(prefix="fluxbot-steady-") as tmp:
        extra: dict[str, Any] = {}
        if callbacks:
            port = free_port()
            extra = {"http_port": port, "webhook_public_url": f"http://127.0.0.1:{port}"}
        settings = bench_settings(Path(tmp), url=fake.url, api_key=fake.api_key, concurrency=jobs, **extra)
        async with open_services(settings, rate_limits=BENCH_RATE_LIMITS) as services:
            await services.manager.start()
            web = serve(settings, services, None) if callbacks else None
            if web is not None:
                await web.__aenter__()
            try:
                # Warm-up: a few jobs finish first, so the model's finishing window is learned (as in a
                # bot that has been running); only the jobs after them are measured.
                warm = CountingSink(expected=WARMUP_JOBS)
                services.manager.register_sink(Origin.CLI, warm)
                warm_durations = job_durations(WARMUP_JOBS, typical, seed=5)
                for i, d in enumerate(warm_durations):
                    await services.manager.submit(new_job(f"warm-up {i} [d={d:.3f}]", 300_000 + i))
                await asyncio.wait_for(warm.done.wait(), 120)
                fake.reset()
                sink = CountingSink(expected=jobs)
                services.manager.register_sink(Origin.CLI, sink)
                cpu0, wall0 = cpu_seconds(), time.perf_counter()
                accepted = []
                rng = random.Random(4)
                for i, prompt in enumerate(prompts):
                    accepted.append(await services.manager.submit(new_job(prompt, 200_000 + i)))
                    await asyncio.sleep(
                        max(0.0, (i + 1) / rate - (time.perf_counter() - wall0)) + rng.random() * 1e-3
                    )
                await asyncio.wait_for(sink.done.wait(), 600)
                cpu = cpu_seconds() - cpu0
                done = [await services.jobs.get(j.id) for j in accepted]
            finally:
                if web is not None:
                    await web.__aexit__(None, None, None)
    stats = fake.stats()
    ready_at = stats["ready_at"]
    delays = [
        sink.delivered[j.id] - ready_at[j.provider_job_id]
        for j in done
        if j is not None and j.id in sink.delivered and j.provider_job_id in ready_at
    ]
    return {
        "jobs": jobs,
        "delivered": len(sink.delivered),
        "failed": len(sink.failed),
        "requests": {k: stats[k] for k in ("submit", "poll", "download", "callbacks")},
        "api_requests_per_job": (stats["submit"] + stats["poll"]) / jobs,
        "polls_per_job": stats["poll"] / jobs,
        "delays": delays,
        "cpu_ms_per_job": cpu / jobs * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=int, default=2000)
    parser.add_argument("--steady", type=int, default=300)
    parser.add_argument("--rate", type=float, default=10.0, help="jobs accepted per second in runs B and C")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    print_machine()
    typical = MODELS[MODEL].typical_seconds
    print(f"{MODEL}: usual time {typical:.0f} s; jobs at the fake take it ± 10 % (σ), clipped at ±25 %")
    with FakeServer("bfl") as fake:
        a = asyncio.run(scale(fake, args.scale, typical))
        b = asyncio.run(steady(fake, args.steady, args.rate, typical, callbacks=False))
        c = asyncio.run(steady(fake, args.steady, args.rate, typical, callbacks=True))
    print(
        f"\nA. {a['jobs']} jobs at once: {a['delivered']} delivered, {a['failed']} failed {a['failures']}; "
        f"accepted in {a['accept_s']:.1f} s, all delivered after {a['wall_s']:.1f} s; "
        f"CPU {a['cpu_s']:.1f} s = {a['cpu_ms_per_job']:.1f} ms/job; RSS {a['rss_before_mb']:.0f} → "
        f"{a['rss_in_flight_mb']:.0f} MB with {a['in_flight_measured']} in flight "
        f"= {a['kb_per_job']:.0f} KB/job"
    )
    for name, r in (("B. polling", b), ("C. callbacks", c)):
        print(
            f"{name}: {r['delivered']}/{r['jobs']} delivered; requests {r['requests']}; "
            f"{r['api_requests_per_job']:.2f} API requests/job ({r['polls_per_job']:.2f} polls); "
            f"CPU {r['cpu_ms_per_job']:.1f} ms/job; ready → handed over: {summary_ms(r['delays'])}"
        )
    p50b = percentile(b["delays"], 50) * 1000
    p50c = percentile(c["delays"], 50) * 1000
    print()
    print_verdicts(
        [
            Verdict(
                "concurrent jobs in one process, all delivered",
                f"{a['delivered']}/{a['jobs']}",
                "2,000",
                a["delivered"] >= 2000 and a["failed"] == 0,
            ),
            Verdict(
                "CPU per job, end to end (A, 2,000 at once)",
                f"{a['cpu_ms_per_job']:.1f} ms",
                "< 20 ms",
                a["cpu_ms_per_job"] < 20,
            ),
            Verdict(
                "CPU per job, end to end (B, steady polling)",
                f"{b['cpu_ms_per_job']:.1f} ms",
                "< 20 ms",
                b["cpu_ms_per_job"] < 20,
            ),
            Verdict(
                "memory per in-flight job (A)", f"{a['kb_per_job']:.0f} KB", "< 100 KB", a["kb_per_job"] < 100
            ),
            Verdict(
                "provider requests per job, polling (B)",
                f"{b['api_requests_per_job']:.2f}",
                "≤ 4",
                b["api_requests_per_job"] <= 4,
            ),
            Verdict("ready → posted p50, callbacks (C)", f"{p50c:.0f} ms", "< 50 ms", p50c < 50),
            Verdict("ready → posted p50, polling (B)", f"{p50b:.0f} ms", "< 1000 ms", p50b < 1000),
        ]
    )
    if args.json:
        print(json.dumps({"scale": a, "polling": b, "callbacks": c}, indent=1, default=str))


if __name__ == "__main__":
    main()
