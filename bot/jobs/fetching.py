"""Fetching a finished image: how long to try, what a failure is, and where the file goes.

The provider's work is done (and charged) when a job reaches `fetching`, so a job here holds no
provider slot, and its retries end at a deadline of their own (`fetch_deadline`): a link that
stays valid for 28 days (`cdn.ttapi.io`) is not a reason to retry for 28 days.

Two things can fail, and they are retried differently:

- the download (`ResultDownloadError`): retried while the link can be valid, within the window;
- storing the file (`StorageError`: disk full, read-only, permissions): the image is in hand, so
  only the write is retried, for the whole window, whatever the link's lifetime. The operator gets
  one readable line when it starts failing and one when it works again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from bot.images import image_extension
from bot.jobs.model import Job
from bot.providers.base import ResultDownloadError, ResultNotAnImage
from bot.store.files import write_atomically

log = logging.getLogger(__name__)

#: How long a result link is worth retrying, by host suffix (PROVIDERS.md); others: an hour.
LINK_LIFETIME = {"bfl.ai": 9 * 60.0, "cloudflarer2.ttapi.io": 3 * 86400.0, "cdn.ttapi.io": 28 * 86400.0}
DEFAULT_LINK_LIFETIME = 3600.0
#: How long after READY a job may stay in `fetching` (seconds): long enough for an operator to free
#: a full disk, short enough that a job does not linger for the life of a 28-day link.
FETCH_WINDOW = 3 * 3600.0
#: Waits between attempts grow from the first to the last (seconds).
FIRST_RETRY = 0.5
LAST_RETRY = 30.0


class StorageError(Exception):
    """The finished image could not be written beside the database (full, read-only, permissions).

    Retryable: the job stays in `fetching` and tries again; it is never a reason to fail a job
    whose image the provider made and billed.
    """

    def __init__(self, path: Path, cause: OSError) -> None:
        where = f" ({cause.filename})" if cause.filename and str(cause.filename) != str(path) else ""
        super().__init__(f"cannot write {path}: {cause.strerror or cause}{where}")
        self.path = path
        self.cause = cause


def link_lifetime(url: str) -> float:
    host = (urlsplit(url).hostname or "").lower()
    for suffix, seconds in LINK_LIFETIME.items():
        if host == suffix or host.endswith("." + suffix):
            return seconds
    return DEFAULT_LINK_LIFETIME


def fetch_deadline(job: Job, url: str | None, window: float = FETCH_WINDOW) -> float:
    """Until when a download is retried: the link's lifetime, never beyond the fetch window."""
    ready = job.ready_at or time.time()
    if url is None:
        return ready + window  # the image is in hand: only the write is retried
    return ready + min(link_lifetime(url), window)


def retry_delay(attempt: int) -> float:
    return min(LAST_RETRY, FIRST_RETRY * 2**attempt)


def download_kind(exc: ResultDownloadError) -> str:
    """`expired` (ask for a fresh link), `refused` or `not_an_image` (never retried), `transient`."""
    if isinstance(exc, ResultNotAnImage):
        return "not_an_image"  # definite: the same link gives the same body
    detail = exc.detail or ""
    if detail == "link expired":
        return "expired"
    if "allow-listed" in detail or "size cap" in detail or "redirect" in detail:
        return "refused"
    return "transient"


def result_path(images_dir: Path, job_id: str, data: bytes) -> Path:
    return images_dir / f"{job_id}.{image_extension(data) or 'img'}"


def write_result(path: Path, data: bytes) -> None:
    """In a worker thread: the file and its directory entry on disk before the row names it."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)  # removed by hand: made again
        write_atomically(path, data, durable=True)
    except OSError as exc:
        raise StorageError(path, exc) from exc


@dataclass(slots=True)
class StoreRetries:
    """Writes the image until it works or the fetch window closes; logs the trouble once."""

    job: Job
    deadline: float
    failures: int = 0

    async def store(self, images_dir: Path, data: bytes) -> Path | None:
        """The written file, or None once the window closed (the last error is logged)."""
        path = result_path(images_dir, self.job.id, data)
        while True:
            try:
                await asyncio.to_thread(write_result, path, data)
            except StorageError as exc:
                delay = retry_delay(self.failures)
                self.failures += 1
                if time.time() + delay > self.deadline:
                    log.error("job %s: giving up storing the finished image: %s", self.job.id, exc)
                    return None
                if self.failures == 1:
                    log.error(
                        "job %s: %s; the image is kept in memory and the write retried until %s "
                        "(free disk space or fix the folder's permissions)",
                        self.job.id,
                        exc,
                        time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(self.deadline)),
                    )
                await asyncio.sleep(delay)
                continue
            if self.failures:
                log.warning(
                    "job %s: the finished image was stored after %d failed tries", self.job.id, self.failures
                )
            return path
