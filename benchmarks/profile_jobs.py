"""Where our CPU goes: N jobs through the real pipeline against the fake BFL, under pyinstrument.

pyinstrument is a benchmark-only requirement (benchmarks/requirements.txt), not the product's:

    /work/main/.venv/bin/pip install -r benchmarks/requirements.txt
    /work/main/.venv/bin/python benchmarks/profile_jobs.py [--jobs 200] [--html out.html]

Prints the call tree of the event loop's thread (time blocked in `select` is the loop being idle,
which is the point of an async bot; everything else is CPU on the loop).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

from harness import FakeServer, cpu_seconds, job_durations, print_machine
from ours import BENCH_RATE_LIMITS, MODEL, CountingSink, bench_settings, submit_all

from bot.app import open_services
from bot.jobs.model import Origin
from bot.providers.catalog import MODELS


async def run(url: str, api_key: str, prompts: list[str], profiler: object | None) -> tuple[float, float]:
    with tempfile.TemporaryDirectory(prefix="fluxbot-profile-") as tmp:
        settings = bench_settings(Path(tmp), url=url, api_key=api_key, concurrency=len(prompts))
        async with open_services(settings, rate_limits=BENCH_RATE_LIMITS) as services:
            sink = CountingSink(expected=len(prompts))
            services.manager.register_sink(Origin.CLI, sink)
            await services.manager.start()
            if profiler is not None:
                profiler.start()  # type: ignore[attr-defined]
            cpu0, wall0 = cpu_seconds(), time.perf_counter()
            await submit_all(services.manager, prompts)
            await sink.done.wait()
            cpu, wall = cpu_seconds() - cpu0, time.perf_counter() - wall0
            print_thread_cpu()
            if profiler is not None:
                profiler.stop()  # type: ignore[attr-defined]
            if sink.failed:
                print(f"{len(sink.failed)} failed, e.g. {next(iter(sink.failed.values()))}")
    return cpu, wall


def print_thread_cpu() -> None:
    """CPU seconds by thread (the event loop, aiosqlite's thread, asyncio.to_thread workers)."""
    tick = os.sysconf("SC_CLK_TCK")
    names = {t.native_id: t.name for t in threading.enumerate()}
    by_name: dict[str, float] = {}
    for task in Path("/proc/self/task").iterdir():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        name = names.get(int(task.name), "other")
        name = "asyncio.to_thread" if name.startswith("asyncio_") else name
        name = "aiosqlite" if name.startswith("Thread-") else name
        by_name[name] = by_name.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    print("CPU by thread since start: " + ", ".join(f"{n} {s:.2f} s" for n, s in sorted(by_name.items())))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--html", type=Path, help="also write pyinstrument's HTML report here")
    parser.add_argument("--no-profile", action="store_true", help="only time the run")
    args = parser.parse_args()
    print_machine()
    profiler = None
    if not args.no_profile:
        try:
            from pyinstrument import Profiler
        except ImportError:
            sys.exit("pyinstrument is missing: pip install -r benchmarks/requirements.txt")
        profiler = Profiler(interval=0.0005, async_mode="disabled")
    typical = MODELS[MODEL].typical_seconds
    prompts = [f"profile job {i} [d={d:.3f}]" for i, d in enumerate(job_durations(args.jobs, typical))]
    with FakeServer("bfl") as fake:
        cpu, wall = asyncio.run(run(fake.url, fake.api_key, prompts, profiler))
    print(f"{args.jobs} jobs: {wall:.2f} s wall, {cpu:.2f} s CPU = {cpu / args.jobs * 1000:.1f} ms per job")
    if profiler is not None:
        print(profiler.output_text(unicode=True, color=False, show_all=False, short_mode=False))
        if args.html:
            args.html.write_text(profiler.output_html())


if __name__ == "__main__":
    main()
