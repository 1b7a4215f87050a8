"""Data that does not grow forever: reference images, result images and prompts, deleted on time.

- A job that ends without an image (cancelled, refused by the provider's filter, failed, timed out)
  has its reference images deleted as soon as its end is committed (`discard_inputs`): no button
  can use them again.
- A finished job keeps them (Reroll uses them) until `RETENTION_DAYS` after it finished. Then the
  sweep (`Retention.sweep`, hourly) deletes its reference images, its result image and its prompt,
  and marks the row purged. The row and its ledger entries stay: the books must still add up.
- A deletion at the end can fail (the folder read-only, on a disk gone for a while): every sweep
  (hourly, and at start) deletes the reference images still there of jobs that ended without an
  image (`discard_leftover_inputs`), so they do not wait for `RETENTION_DAYS`.
- Files go first, then the rows (`purge_rows`): a crash in between leaves rows naming files already
  gone, which the next sweep finishes; never a file that no row would ever lead to again.
- PostgreSQL: provider callbacks relayed for a job that ended meanwhile are dropped by every sweep
  (`drop_ended_callbacks`).
- `MIN_FREE_DISK_MB`: below it new jobs are refused before anything is held (`FreeSpace.check`);
  jobs already accepted still finish.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import sqlite3
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.errors import UserFacingError
from bot.jobs.metrics import JobMetrics
from bot.jobs.model import Job
from bot.store import errors as store_errors
from bot.store.db import Database
from bot.store.jobs import JobRepository
from bot.store.statements import POSTGRESQL, Execute, PerDialect, Unit

log = logging.getLogger(__name__)

DAY = 86400.0
#: The states `JobManager._end` gives a job that ended without an image (its inputs are discarded).
ENDED_WITHOUT_IMAGE = ("failed", "moderated", "timed_out", "cancelled")
#: Jobs purged per write: one short unit in the store's thread, then the loop gets its turn.
SWEEP_BATCH = 500
#: Seconds between sweeps (and disk-use measurements).
SWEEP_INTERVAL = 3600.0
MB = 1024 * 1024
#: Reference image files no job row names are removed once this old (seconds): an accept in
#: progress elsewhere (the CLI next to the bot) commits its row long before.
ORPHAN_INPUT_AGE = 600.0


class DiskAlmostFull(UserFacingError):
    """New jobs are refused while free space is under `MIN_FREE_DISK_MB`, or when the disk refused
    storing one (full or read-only before the floor saw it; bot/jobs/intake.py). Nothing was held."""

    def __init__(self) -> None:
        super().__init__(
            "The bot's disk is almost full, so it is not taking new images right now. "
            "Nothing was charged; please try again later."
        )


class FreeSpace:
    """The free-space floor of the data folder (`shutil.disk_usage`: one statvfs, microseconds)."""

    def __init__(self, folder: Path, min_free_mb: int) -> None:
        self.folder = folder
        self.min_free_mb = min_free_mb

    def free_bytes(self) -> int:
        return shutil.disk_usage(self.folder).free

    def enough(self) -> bool:
        return self.min_free_mb == 0 or self.free_bytes() >= self.min_free_mb * MB

    def check(self) -> None:
        """Raise `DiskAlmostFull` below the floor (a new job is about to be accepted)."""
        if not self.enough():
            log.warning(
                "refusing a new job: %d MB free in %s, MIN_FREE_DISK_MB is %d",
                self.free_bytes() // MB,
                self.folder,
                self.min_free_mb,
            )
            raise DiskAlmostFull


@dataclass(frozen=True, slots=True)
class DiskUse:
    """Bytes in the two folders of megabytes beside the database."""

    images: int
    inputs: int


def folder_bytes(folder: Path) -> int:
    """The size of the files directly in `folder` (0 if it does not exist). One pass of scandir."""
    total = 0
    with contextlib.suppress(FileNotFoundError):
        for entry in os.scandir(folder):
            with contextlib.suppress(FileNotFoundError):
                if entry.is_file(follow_symlinks=False):
                    total += entry.stat(follow_symlinks=False).st_size
    return total


def remove_files(paths: Iterable[Path]) -> int:
    """Unlink each path (one already gone is fine); returns the bytes freed."""
    freed = 0
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            size = path.stat().st_size
            path.unlink()
            freed += size
    return freed


async def discard_inputs(jobs: JobRepository, job_id: str) -> None:
    """A job ended without an image: delete its reference image files (its rows stay, naming them).

    Called after the end is committed. A later Reroll reads a missing file as `InputsLost`, which
    tells the member plainly that the image is no longer kept. A failure here is only logged: the
    sweep, or the orphan check at start, gets the files later.
    """
    try:
        rows = await jobs.db.fetchall(
            "SELECT file FROM job_inputs WHERE job_id = ? AND file IS NOT NULL", (job_id,)
        )
        if rows:
            await asyncio.to_thread(remove_files, [jobs.input_files.path(r["file"]) for r in rows])
    except store_errors.STORE_OR_DISK_ERRORS as exc:
        log.warning("job %s: its reference images could not be deleted yet (%s)", job_id, exc)


async def remove_orphan_inputs(jobs: JobRepository, now: float | None = None) -> int:
    """Delete reference image files no row names (an accept that never committed), at start and in
    every sweep. A folder that refuses (read-only, full, not a folder) costs one log line and stops
    neither: the next sweep tries again. Returns the files removed."""
    older_than = (now if now is not None else time.time()) - ORPHAN_INPUT_AGE
    try:
        removed = await jobs.remove_orphan_inputs(older_than=older_than)
    except store_errors.STORE_OR_DISK_ERRORS as exc:
        log.warning(
            "reference images of jobs never stored could not be removed from %s (%s); the next sweep"
            " tries again",
            jobs.input_files.folder,
            getattr(exc, "strerror", None) or exc,
        )
        return 0
    if removed:
        log.info("removed %d reference image file(s) of jobs that were never stored", removed)
    return removed


def present_files(folder: Path) -> list[str]:
    """The names of the files in `folder` (none if it does not exist)."""
    with contextlib.suppress(FileNotFoundError, NotADirectoryError):
        return [entry.name for entry in os.scandir(folder) if entry.is_file(follow_symlinks=False)]
    return []


async def discard_leftover_inputs(jobs: JobRepository) -> int:
    """Delete the reference images still on disk of jobs that ended without an image.

    `discard_inputs` only logs when the deletion fails (a read-only or missing folder); this pass,
    run by every sweep, finishes the job once the folder is usable again. It reads only the files
    present (live jobs and delivered ones within `RETENTION_DAYS`), by primary key, 500 per query.
    Returns the files removed.
    """
    folder = jobs.input_files.folder
    names = await asyncio.to_thread(present_files, folder)
    by_job: dict[str, list[str]] = {}
    for name in names:
        by_job.setdefault(name.split(".", 1)[0], []).append(name)  # `<job id>.<n>.b64` (files.py)
    ids = list(by_job)
    ended: list[str] = []
    for start in range(0, len(ids), SWEEP_BATCH):
        chunk = ids[start : start + SWEEP_BATCH]
        rows = await jobs.db.fetchall(
            f"SELECT id FROM jobs WHERE id IN ({','.join('?' * len(chunk))})"  # noqa: S608
            f" AND state IN ({','.join('?' * len(ENDED_WITHOUT_IMAGE))})",
            (*chunk, *ENDED_WITHOUT_IMAGE),
        )
        ended.extend(r["id"] for r in rows)
    leftovers = [folder / name for job_id in ended for name in by_job[job_id]]
    if leftovers:
        await asyncio.to_thread(remove_files, leftovers)
        log.info("deleted %d reference image(s) of jobs that ended without an image", len(leftovers))
    return len(leftovers)


#: What a purge keeps of a job: the prompt as the empty string (the column is NOT NULL), also out of
#: the stored request; no files, no links to the image at the provider, no tokens. Amounts, states
#: and times stay for the books.
PURGE = PerDialect(
    sqlite="UPDATE jobs SET prompt = '', params = json_remove(params, '$.body.prompt', '$.options.prompt'),"
    " result_path = NULL, result_url = NULL, polling_url = NULL, interaction_token = NULL,"
    " callback_token = NULL, purged_at = ?",
    postgresql="UPDATE jobs SET prompt = '',"
    " params = (params::jsonb #- '{body,prompt}' #- '{options,prompt}')::text,"
    " result_path = NULL, result_url = NULL, polling_url = NULL, interaction_token = NULL,"
    " callback_token = NULL, purged_at = ?",
)


def purge_rows(job_ids: Sequence[str], now: float) -> Unit[int]:
    """A (sub-)unit: forget the prompts and files of these jobs (their files are gone)."""
    marks = ",".join("?" * len(job_ids))
    where = f"WHERE id IN ({marks}) AND purged_at IS NULL"
    changed: int = yield Execute(PerDialect(*(f"{sql} {where}" for sql in PURGE)), (now, *job_ids))
    yield Execute(f"DELETE FROM job_inputs WHERE job_id IN ({marks})", tuple(job_ids))  # noqa: S608
    yield Execute(
        f"UPDATE job_deliveries SET interaction_token = NULL WHERE job_id IN ({marks})",  # noqa: S608
        tuple(job_ids),
    )
    return changed


async def files_of(db: Database, jobs: JobRepository, rows: Sequence[sqlite3.Row]) -> list[Path]:
    """The result image and reference image files of these job rows (`id`, `result_path`)."""
    paths = [Path(r["result_path"]) for r in rows if r["result_path"]]
    paths += [thumbnail_of(db.data_dir, r["id"]) for r in rows if r["result_path"]]
    ids = [r["id"] for r in rows]
    for start in range(0, len(ids), SWEEP_BATCH):
        chunk = ids[start : start + SWEEP_BATCH]
        inputs = await db.fetchall(
            f"SELECT file FROM job_inputs WHERE job_id IN ({','.join('?' * len(chunk))})"  # noqa: S608
            " AND file IS NOT NULL",
            chunk,
        )
        paths.extend(jobs.input_files.path(r["file"]) for r in inputs)
    return paths


@dataclass(frozen=True, slots=True)
class Swept:
    jobs: int
    freed: int  # bytes
    seconds: float


async def drop_ended_callbacks(db: Database) -> None:
    """PostgreSQL: provider callbacks relayed for a job that ended meanwhile (bot/store/claims.py)."""
    if db.dialect != POSTGRESQL:
        return
    import asyncpg

    from bot.store.claims import drop_callbacks_of_ended_jobs
    from bot.store.postgres import PostgresDatabase

    if isinstance(db, PostgresDatabase):
        try:
            dropped = await drop_callbacks_of_ended_jobs(db)
        except asyncpg.PostgresError as exc:  # nothing depends on them: next hour
            log.warning("dropping the callbacks of ended jobs failed: %s", exc)
            return
        if dropped:
            log.info("retention: dropped %d relayed callback(s) of jobs that had ended", dropped)


async def fold_parts(db: Database) -> None:
    """PostgreSQL: fold the guild-total parts of connections that are gone (migration 0023), so
    that their number stays that of the connections open, however often the pools reconnect."""
    if db.dialect != POSTGRESQL:
        return
    import asyncpg

    from bot.store.postgres import PostgresDatabase, fold_guild_parts

    if isinstance(db, PostgresDatabase):
        try:
            await fold_guild_parts(db.pool)
        except asyncpg.PostgresError as exc:  # the sums stay right without it: next hour
            log.warning("folding the guild totals' parts failed: %s", exc)


class Retention:
    """The hourly sweep (`RETENTION_DAYS`) and the disk-use gauges it keeps up to date."""

    def __init__(
        self,
        db: Database,
        jobs: JobRepository,
        images_dir: Path,
        *,
        days: int,
        metrics: JobMetrics | None = None,
        space: FreeSpace | None = None,
    ) -> None:
        self.db = db
        self.jobs = jobs
        self.images_dir = images_dir
        self.days = days
        self.metrics = metrics
        self.space = space
        self.disk = DiskUse(0, 0)
        self._task: asyncio.Task[None] | None = None
        if metrics is not None and space is not None:
            # Read when /metrics is scraped: one statvfs, no directory walk.
            metrics.read_free_space(space.free_bytes)

    async def sweep(self, now: float | None = None) -> Swept:
        """Purge every finished job older than the retention, a batch at a time; 0 days: nothing.

        Also deletes the reference images a job that ended without an image still has on disk
        (`discard_leftover_inputs`), whatever the retention.
        """
        started = time.monotonic()
        await remove_orphan_inputs(self.jobs)  # by the clock: files of an accept under way stay
        await discard_leftover_inputs(self.jobs)
        await fold_parts(self.db)
        await drop_ended_callbacks(self.db)
        if self.days <= 0:
            return Swept(0, 0, 0.0)
        cutoff = (now if now is not None else time.time()) - self.days * DAY
        purged = freed = 0
        while True:
            rows = await self.db.fetchall(
                "SELECT id, result_path FROM jobs WHERE purged_at IS NULL AND finished_at IS NOT NULL"
                " AND finished_at < ? ORDER BY finished_at LIMIT ?",
                (cutoff, SWEEP_BATCH),
            )
            if not rows:
                break
            freed += await asyncio.to_thread(remove_files, await files_of(self.db, self.jobs, rows))
            purged += await self.db.atomic(purge_rows, [r["id"] for r in rows], time.time())
            if len(rows) < SWEEP_BATCH:
                break
        swept = Swept(purged, freed, time.monotonic() - started)
        if purged:
            log.info(
                "retention: purged %d job(s) older than %d days, %.1f MB freed in %.2fs",
                purged,
                self.days,
                freed / MB,
                swept.seconds,
            )
        return swept

    async def measure(self) -> DiskUse:
        """Walk the two folders once (in a worker thread) and update the gauges."""
        images, inputs = await asyncio.to_thread(
            lambda: (folder_bytes(self.images_dir), folder_bytes(self.jobs.input_files.folder))
        )
        self.disk = DiskUse(images, inputs)
        if self.metrics is not None:
            self.metrics.disk_bytes.labels("images").set(images)
            self.metrics.disk_bytes.labels("inputs").set(inputs)
        return self.disk

    async def run(self, interval: float = SWEEP_INTERVAL) -> None:
        """Sweep and measure now, then every `interval` seconds; a failed round is logged and retried."""
        while True:
            try:
                await self.sweep()
                await self.measure()
            except store_errors.STORE_OR_DISK_ERRORS as exc:
                log.warning("retention sweep failed (%s); trying again in %.0fs", exc, interval)
            await asyncio.sleep(interval)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self.run(), name="fluxbot-retention")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None


async def delete_result_image(jobs: JobRepository, job: Job) -> None:
    """The Delete button (and the dashboard's Delete): the stored result file and its thumbnail go
    with the message; the row forgets its name."""
    if job.result_path:
        await asyncio.to_thread(remove_files, [Path(job.result_path), thumbnail_of(jobs.db.data_dir, job.id)])
        await jobs.update(job, result_path=None)


def thumbnail_of(data_dir: Path, job_id: str) -> Path:
    """Where the web dashboard keeps a job's thumbnail (bot/dashboard/thumbs.py)."""
    return data_dir / "thumbs" / f"{job_id}.webp"
