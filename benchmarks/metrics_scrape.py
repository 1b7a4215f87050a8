"""How long one `/metrics` scrape takes with a big jobs table (issue 17 finding 8).

Fills a fresh SQLite store with `--finished` finished jobs (10 models, 5 terminal states) and
`--unfinished` queued ones, starts the real web server on loopback (the job manager is built but
not started, so nothing runs), and times `--scrapes` GETs of `/metrics` from this process. It also
times, on the same file, the query the scrape ran before (a GROUP BY over the whole table) and the
one it runs now (unfinished states only, through the `jobs_by_state` index).

    .venv/bin/python benchmarks/metrics_scrape.py            # ~30 s
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import percentile, print_machine
from bot.app import open_services
from bot.jobs.model import TERMINAL_STATES, UNFINISHED_STATES
from bot.settings import Settings
from bot.store.db import open_database
from bot.web import bound_port, serve

MODELS = [f"flux-model-{n}" for n in range(10)]
OLD_QUERY = "SELECT state, model, COUNT(*) AS n FROM jobs GROUP BY state, model"
NEW_QUERY = (
    "SELECT state, model, COUNT(*) AS n FROM jobs WHERE state IN "
    f"({','.join(repr(s.value) for s in sorted(UNFINISHED_STATES))}) GROUP BY state, model"
)


def fill(path: Path, finished: int, unfinished: int) -> None:
    terminal = sorted(s.value for s in TERMINAL_STATES)
    now = time.time()
    rows = []
    for seq in range(finished + unfinished):
        state = terminal[seq % len(terminal)] if seq < finished else "queued"
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
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO jobs (id, seq, state, origin, provider, model, prompt, params, user_id, estimate,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )


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
    args = parser.parse_args()
    print_machine()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fluxbot.sqlite3"
        async with open_database(path):
            pass  # creates the schema
        fill(path, args.finished, args.unfinished)
        settings = Settings(_env_file=None, database_path=path, http_host="127.0.0.1", http_port=0)  # type: ignore[call-arg]
        times, size = await time_scrapes(settings, args.scrapes)
        print(
            f"jobs: {args.finished:,} finished, {args.unfinished} queued; "
            f"{args.scrapes} scrapes, {size:,} bytes each"
        )
        print(line("GET /metrics (this checkout)", times))
        print(line("query before: GROUP BY over every job", time_query(path, OLD_QUERY, 50)))
        print(line("query now: unfinished states only", time_query(path, NEW_QUERY, 50)))


if __name__ == "__main__":
    asyncio.run(main())
