"""How long one `/metrics` scrape takes with a big jobs table (issue 17 finding 8).

Fills a fresh SQLite store with `--finished` finished jobs (10 models, 5 terminal states) and
`--unfinished` queued ones, starts the real web server on loopback (the job manager is built but
not started, so nothing runs), and times `--scrapes` GETs of `/metrics` from this process. It also
times, on the same file, the query the scrape ran before (a GROUP BY over the whole table) and the
one it runs now (unfinished states only, through the `jobs_by_state` index).

With `--database-url postgresql://…` the same on PostgreSQL, in a schema of its own dropped after:
there the scrape also reports the deployment's queue and in-flight gauges, from the same count of
unfinished jobs (issue 15). `--unfinished 10000` is the scale issue 15 asks for; a tenth of them
are running and a few queued ones are claimed, as with workers at their concurrency.

    .venv/bin/python benchmarks/metrics_scrape.py            # ~30 s
    .venv/bin/python benchmarks/metrics_scrape.py --database-url postgresql://postgres@127.0.0.1/test \
        --finished 100000 --unfinished 10000
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sqlite3
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
from pydantic import SecretStr

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import percentile, pg_admin, print_machine
from bot.app import open_services
from bot.jobs.model import TERMINAL_STATES, UNFINISHED_STATES
from bot.settings import Settings
from bot.store import open_database as open_store
from bot.store.db import open_database
from bot.web import bound_port, serve

MODELS = [f"flux-model-{n}" for n in range(10)]
OLD_QUERY = "SELECT state, model, COUNT(*) AS n FROM jobs GROUP BY state, model"
NEW_QUERY = (
    "SELECT state, model, COUNT(*) AS n FROM jobs WHERE state IN "
    f"({','.join(repr(s.value) for s in sorted(UNFINISHED_STATES))}) GROUP BY state, model"
)


def job_rows(finished: int, unfinished: int) -> list[tuple[object, ...]]:
    """Finished jobs, then unfinished ones: one in ten running, the rest queued."""
    terminal = sorted(s.value for s in TERMINAL_STATES)
    now = time.time()
    rows: list[tuple[object, ...]] = []
    for seq in range(finished + unfinished):
        unfinished_state = "running" if seq % 10 == 0 else "queued"
        state = terminal[seq % len(terminal)] if seq < finished else unfinished_state
        rows.append(
            (
                f"job{seq:07d}",
                seq,
                state,
                "cli",
                "ttapi",
                MODELS[seq % len(MODELS)],
                "a prompt",
                "{}",
                1,
                "5",
                now,
                now,
            )
        )
    return rows


INSERT = (
    "INSERT INTO jobs (id, seq, state, origin, provider, model, prompt, params, user_id, estimate,"
    " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def fill(path: Path, finished: int, unfinished: int) -> None:
    with sqlite3.connect(path) as conn:
        conn.executemany(INSERT, job_rows(finished, unfinished))


async def fill_postgresql(url: str, finished: int, unfinished: int) -> None:
    import asyncpg

    from bot.store.postgres import pg

    conn = await asyncpg.connect(url)
    try:
        await conn.executemany(pg(INSERT), job_rows(finished, unfinished))
        # Workers at their concurrency: a few queued jobs claimed, about to be submitted.
        await conn.execute(
            "UPDATE jobs SET claimed_by = 'w' WHERE id IN"
            " (SELECT id FROM jobs WHERE state = 'queued' ORDER BY seq LIMIT 20)"
        )
        await conn.execute("ANALYZE jobs")
    finally:
        await conn.close()


@asynccontextmanager
async def postgresql_schema(url: str) -> AsyncIterator[str]:
    name = f"fluxbot_bench_{secrets.token_hex(4)}"
    await pg_admin(url, f"CREATE SCHEMA {name}")
    try:
        yield f"{url}{'&' if '?' in url else '?'}search_path={name}"
    finally:
        await pg_admin(url, f"DROP SCHEMA IF EXISTS {name} CASCADE")


def time_query(path: Path, sql: str, runs: int) -> list[float]:
    with sqlite3.connect(path) as conn:
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            conn.execute(sql).fetchall()
            times.append(time.perf_counter() - started)
        return times


async def time_scrapes(settings: Settings, scrapes: int) -> tuple[list[float], int]:
    async with open_services(settings) as services, serve(settings, services, None) as site:
        url = f"http://127.0.0.1:{bound_port(site)}/metrics"
        times = []
        size = 0
        async with aiohttp.ClientSession() as http:
            for _ in range(scrapes):
                started = time.perf_counter()
                async with http.get(url) as response:
                    body = await response.read()
                    assert response.status == 200, response.status
                times.append(time.perf_counter() - started)
                size = len(body)
        return times, size


def line(name: str, times: list[float]) -> str:
    ms = [t * 1000 for t in times]
    return f"{name:<44} p50 {percentile(ms, 50):8.2f} ms   p95 {percentile(ms, 95):8.2f} ms"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--finished", type=int, default=100_000)
    parser.add_argument("--unfinished", type=int, default=50)
    parser.add_argument("--scrapes", type=int, default=200)
    parser.add_argument("--database-url", help="postgresql://…: measure on PostgreSQL (a schema of its own)")
    args = parser.parse_args()
    print_machine()
    if args.database_url:
        await on_postgresql(args)
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fluxbot.sqlite3"
        async with open_database(path):
            pass  # creates the schema
        fill(path, args.finished, args.unfinished)
        settings = Settings(_env_file=None, database_path=path, http_host="127.0.0.1", http_port=0)  # type: ignore[call-arg]
        times, size = await time_scrapes(settings, args.scrapes)
        print(
            f"jobs: {args.finished:,} finished, {args.unfinished} unfinished; "
            f"{args.scrapes} scrapes, {size:,} bytes each"
        )
        print(line("GET /metrics (this checkout)", times))
        print(line("query before: GROUP BY over every job", time_query(path, OLD_QUERY, 50)))
        print(line("query now: unfinished states only", time_query(path, NEW_QUERY, 50)))


async def on_postgresql(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        async with postgresql_schema(args.database_url) as url:
            async with open_store(url, data_dir=Path(tmp)):
                pass  # creates the schema
            await fill_postgresql(url, args.finished, args.unfinished)
            settings = Settings(  # type: ignore[call-arg]
                _env_file=None,
                database_url=SecretStr(url),
                data_dir=Path(tmp),
                http_host="127.0.0.1",
                http_port=0,
            )
            times, size = await time_scrapes(settings, args.scrapes)
    print(
        f"PostgreSQL; jobs: {args.finished:,} finished, {args.unfinished:,} unfinished; "
        f"{args.scrapes} scrapes, {size:,} bytes each"
    )
    print(line("GET /metrics (this checkout)", times))


if __name__ == "__main__":
    asyncio.run(main())
