"""`python -m bot run --role <role>`, as the product runs it, with the benchmarks' lifted provider rate limit.

    PYTHONPATH=tests/fakes/discord_site:. FAKE_DISCORD_URL=... python benchmarks/bot_process.py worker

The one difference from `python -m bot run`: `open_services` gets `rate_limits=BENCH_RATE_LIMITS`
(2,000 requests/s to the fake BFL instead of the product's 20/s for the real API, as every other
benchmark lifts it; there is no setting for it). Everything else (settings from the environment,
logging, the role's composition in bot/discord/runner.py, SIGTERM to stop) is the product's.
With tests/fakes/discord_site on PYTHONPATH and `FAKE_DISCORD_URL` set, discord.py talks to the
loopback Discord of tests/fakes/discord.py (its `sitecustomize`).
"""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from ours import BENCH_RATE_LIMITS

import bot.discord.runner as runner
from bot.__main__ import main
from bot.app import open_services

runner.open_services = functools.partial(open_services, rate_limits=BENCH_RATE_LIMITS)  # type: ignore[assignment]


def count_queries(folder: str, role: str) -> None:
    """`BENCH_QUERY_COUNTS=<folder>`: every statement this process sends PostgreSQL (one round trip
    each, pipelined batches counted once), by its first words and the bot function that sent it,
    written to <folder>/<role>-<pid>.json at exit. For counting round trips per command."""
    import atexit
    import collections
    import json
    import os

    import asyncpg

    counts: collections.Counter[str] = collections.Counter()

    def where() -> str:
        frame = sys._getframe(2)
        while frame is not None:
            name = frame.f_globals.get("__name__", "")
            if name.startswith(("bot.", "cogs.")) and not name.startswith("bot.store.postgres"):
                return f"{name}.{frame.f_code.co_name}"
            frame = frame.f_back  # type: ignore[assignment]
        return "?"

    def wrap(method: str) -> None:
        original = getattr(asyncpg.connection.Connection, method)

        async def counted(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
            counts[f"{' '.join(str(query).split())[:70]} <- {where()}"] += 1
            return await original(self, query, *args, **kwargs)

        setattr(asyncpg.connection.Connection, method, counted)

    for method in ("execute", "executemany", "fetch", "fetchrow", "fetchval", "fetchmany"):
        wrap(method)

    def dump() -> None:
        with open(os.path.join(folder, f"{role}-{os.getpid()}.json"), "w", encoding="utf-8") as out:
            json.dump(counts.most_common(), out, indent=1)

    atexit.register(dump)


def gc_stats(folder: str, role: str) -> None:
    """`BENCH_GC_STATS=<folder>`: the cyclic garbage collector's collections by generation (count,
    CPU seconds of this thread) and the process's CPU, written to <folder>/gc-<role>-<pid>.json at
    exit. For the collector's share of a bot process's CPU."""
    import atexit
    import gc
    import json
    import time

    stats = {0: [0, 0.0], 1: [0, 0.0], 2: [0, 0.0]}
    start = [0.0]

    def cb(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            start[0] = time.thread_time()
        else:
            s = stats[info["generation"]]
            s[0] += 1
            s[1] += time.thread_time() - start[0]

    gc.callbacks.append(cb)

    def dump() -> None:
        with open(os.path.join(folder, f"gc-{role}-{os.getpid()}.json"), "w", encoding="utf-8") as out:
            json.dump({"gc": stats, "cpu": time.process_time()}, out)

    atexit.register(dump)


if __name__ == "__main__":
    if os.environ.get("BENCH_GC_STATS"):
        gc_stats(os.environ["BENCH_GC_STATS"], sys.argv[1])
    if os.environ.get("BENCH_QUERY_COUNTS"):
        count_queries(os.environ["BENCH_QUERY_COUNTS"], sys.argv[1])
    sys.exit(main(["run", "--role", sys.argv[1]]))
