"""What the narrow cost benchmarks share (`pg_accept_cost.py`, `pg_callback_cost.py`,
`pg_pacing_cost.py`, `pg_finish_cost.py`, `delivery_cost.py`): CPU and round-trip counting, a
PostgreSQL schema of their own, the loopback Discord in a child process.

Unlike `harness.py`, importing this puts nothing on `sys.path`: those benchmarks import `bot` from
the interpreter's environment (a checkout's editable install), so that one copy of them measures
any checkout (`<checkout>/.venv/bin/python <this folder>/pg_accept_cost.py`).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import os
import resource
import secrets
import subprocess
import sys
from collections.abc import Iterator, Sequence

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"


def cpu_seconds() -> float:
    """User + system CPU of this whole process (every thread), in seconds."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) of `values`, the nearest rank below."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


def print_start() -> None:
    """The interpreter (which checkout's venv) and the load average, first thing of a run."""
    print(f"{sys.executable}; load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


def count_round_trips() -> collections.Counter[str]:
    """Every statement asyncpg sends from now on, by its first word (one round trip each)."""
    import asyncpg

    sent: collections.Counter[str] = collections.Counter()
    for method in ("execute", "executemany", "fetch", "fetchrow", "fetchval", "fetchmany"):
        real = getattr(asyncpg.connection.Connection, method)

        async def counted(self, query, *args, _real=real, **kwargs):  # type: ignore[no-untyped-def]
            sent[str(query).split(None, 1)[0].upper().rstrip(";")] += 1
            return await _real(self, query, *args, **kwargs)

        setattr(asyncpg.connection.Connection, method, counted)
    return sent


async def _admin(url: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextlib.contextmanager
def pg_schema(prefix: str) -> Iterator[str]:
    """A schema of its own for one run on `FLUXBOT_BENCH_DATABASE_URL`'s server (default the local
    one): yields the URL whose `search_path` is it; dropped after, whatever happened."""
    base = os.environ.get("FLUXBOT_BENCH_DATABASE_URL", DEFAULT_URL)
    schema = f"{prefix}_{secrets.token_hex(4)}"
    asyncio.run(_admin(base, f"CREATE SCHEMA {schema}"))
    try:
        yield f"{base}{'&' if '?' in base else '?'}search_path={schema}"
    finally:
        asyncio.run(_admin(base, f"DROP SCHEMA IF EXISTS {schema} CASCADE"))


async def serve_discord() -> None:
    """The child: the loopback Discord of the tests (from the working directory, a checkout),
    forgetting its calls every second (their bodies are images)."""
    sys.path.insert(0, os.getcwd())
    from tests.fakes.discord import FakeDiscord

    os.nice(10)
    fake = FakeDiscord()
    print(json.dumps({"url": await fake.start()}), flush=True)
    while True:
        await asyncio.sleep(1)
        fake.calls.clear()


def start_discord(script: str) -> tuple[subprocess.Popen[str], str]:
    """`script --serve-discord` in a child (it calls `serve_discord`): the child and its URL."""
    child = subprocess.Popen(
        [sys.executable, script, "--serve-discord"], stdout=subprocess.PIPE, text=True, cwd=os.getcwd()
    )
    assert child.stdout is not None
    return child, json.loads(child.stdout.readline())["url"]
