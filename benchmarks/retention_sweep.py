"""The RETENTION_DAYS sweep over N finished jobs older than the retention, each with a result image
and a reference image file: how long it takes, the longest the event loop waited meanwhile, and the
disk used before and after.

    .venv/bin/python benchmarks/retention_sweep.py --jobs 10000 --kib 64
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.store.db import open_database
from bot.store.jobs import JobRepository
from bot.store.retention import DAY, MB, Retention, folder_bytes


def seed(path: Path, jobs: int, kib: int) -> None:
    """N delivered jobs finished 40 days ago (plain sqlite3, one transaction), and their files."""
    import sqlite3

    images, inputs = path.parent / "images", path.parent / "inputs"
    images.mkdir(exist_ok=True)
    inputs.mkdir(exist_ok=True)
    blob = b"x" * (kib * 1024)
    old = time.time() - 40 * DAY
    conn = sqlite3.connect(path)
    with conn:
        for n in range(jobs):
            job_id = f"{n:016x}"
            (images / f"{job_id}.png").write_bytes(blob)
            (inputs / f"{job_id}.0.b64").write_bytes(blob)
            conn.execute(
                "INSERT INTO jobs (id, seq, state, origin, provider, model, prompt, params, user_id,"
                " estimate, created_at, updated_at, finished_at, result_path)"
                " VALUES (?, ?, 'delivered', 'discord', 'ttapi', 'flux-pro-1.1', ?, ?, 1, '4', ?, ?, ?, ?)",
                (
                    job_id,
                    n + 1,
                    f"prompt {n}",
                    json.dumps({"body": {"prompt": f"prompt {n}"}, "options": {}}),
                    old,
                    old,
                    old,
                    str(images / f"{job_id}.png"),
                ),
            )
            conn.execute(
                "INSERT INTO job_inputs (job_id, idx, field, data, encoding, file)"
                " VALUES (?, 0, 'image_prompt', x'', 'base64', ?)",
                (job_id, f"{job_id}.0.b64"),
            )
    conn.close()


async def loop_lag(stop: asyncio.Event, worst: list[float]) -> None:
    while not stop.is_set():
        started = time.perf_counter()
        await asyncio.sleep(0.005)
        worst[0] = max(worst[0], time.perf_counter() - started - 0.005)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--kib", type=int, default=64, help="size of each image file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fluxbot.sqlite3"
        async with open_database(path):
            pass  # the schema
        seed(path, args.jobs, args.kib)
        async with open_database(path) as db:
            jobs = JobRepository(db)
            retention = Retention(db, jobs, path.parent / "images", days=30)
            before = folder_bytes(path.parent / "images") + folder_bytes(path.parent / "inputs")
            stop, worst = asyncio.Event(), [0.0]
            lag = asyncio.create_task(loop_lag(stop, worst))
            swept = await retention.sweep()
            stop.set()
            await lag
            after = folder_bytes(path.parent / "images") + folder_bytes(path.parent / "inputs")
            left = await db.fetchone("SELECT COUNT(*) FROM jobs WHERE prompt != ''")
        print(f"jobs purged: {swept.jobs} of {args.jobs}, in {swept.seconds:.2f} s")
        print(
            f"disk: {before / MB:.1f} MB before, {after / MB:.1f} MB after ({swept.freed / MB:.1f} MB freed)"
        )
        print(f"prompts left: {left[0]}; longest event-loop wait during the sweep: {worst[0] * 1000:.1f} ms")


if __name__ == "__main__":
    asyncio.run(main())
