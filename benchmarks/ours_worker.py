"""Our bot's job pipeline doing N jobs against a fake BFL; the counterpart of official_client_worker.py.

Started by `vs_official_client.py` in a child process (so its CPU and memory are its own).
Prints one JSON line with the same fields as the official client's worker. "Before the first job"
is, here, with the store, the HTTP session and the manager open and started.
"""

from __future__ import annotations

import time

T_START = time.perf_counter()
CPU_START = time.process_time()

import asyncio  # noqa: E402 - imports are part of what is measured
import contextlib  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import socket  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from collections.abc import AsyncIterator  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.ours import (  # noqa: E402
    BENCH_RATE_LIMITS,
    CountingSink,
    bench_settings,
    sqlite_process_loop,
    submit_all,
)
from benchmarks.proc_memory import memory_mb  # noqa: E402
from bot.app import open_services  # noqa: E402
from bot.jobs.model import Origin  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.asynccontextmanager
async def serve_callbacks(settings: Any, services: Any, enabled: bool) -> AsyncIterator[None]:
    """bot/web.py's server, for the providers' callbacks (only when asked: it costs an import)."""
    if not enabled:
        yield
        return
    from bot.web import serve

    async with serve(settings, services, None):
        yield


async def run(spec: dict) -> dict:
    prompts = spec["prompts"]
    with tempfile.TemporaryDirectory(prefix="fluxbot-bench-") as tmp:
        extra: dict = {}
        if spec.get("callbacks"):
            port = free_port()
            extra = {"http_port": port, "webhook_public_url": f"http://127.0.0.1:{port}"}
        settings = bench_settings(
            Path(tmp), url=spec["url"], api_key=spec["api_key"], concurrency=max(24, len(prompts)), **extra
        )
        async with (
            open_services(settings, rate_limits=BENCH_RATE_LIMITS) as services,
            serve_callbacks(settings, services, bool(spec.get("callbacks"))),
        ):
            sink = CountingSink(expected=len(prompts))
            services.manager.register_sink(Origin.CLI, sink)
            await services.manager.start()
            cpu_ready = time.process_time()
            ready_rss = memory_mb("VmRSS")
            wall0 = time.perf_counter()
            jobs = await submit_all(services.manager, prompts)
            await asyncio.wait_for(sink.done.wait(), 600)
            wall = time.perf_counter() - wall0
            run_cpu = time.process_time() - cpu_ready
            done = [await services.jobs.get(j.id) for j in jobs]
            polls = sum(j.polls for j in done if j)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "delivered": len(sink.delivered),
        "errors": list(sink.failed.values())[:5],
        "error_count": len(sink.failed),
        "run_wall": wall,
        "run_cpu": run_cpu,
        "startup_cpu": cpu_ready - CPU_START,
        "process_cpu": usage.ru_utime + usage.ru_stime,
        "process_wall": time.perf_counter() - T_START,
        "ready_rss_mb": ready_rss,
        "peak_rss_mb": memory_mb("VmHWM"),
        "polls_recorded": polls,
    }


def main() -> None:
    spec = json.loads(sys.argv[1])
    with asyncio.Runner(loop_factory=sqlite_process_loop()) as runner:  # as `python -m bot run` on SQLite
        print(json.dumps(runner.run(run(spec))))


if __name__ == "__main__":
    main()
