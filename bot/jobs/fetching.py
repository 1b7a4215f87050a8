"""Fetching a finished image: how long to try, what a failure is, and where the file goes.

The provider's work is done (and charged) when a job reaches `fetching`, so a job here holds no
provider slot, and its retries end at a deadline of their own (`fetch_deadline`): a link that
stays valid for 28 days (`cdn.ttapi.io`) is not a reason to retry for 28 days.

Two things can fail, and they are retried differently:

- the download (`ResultDownloadError`): retried while the link can be valid, within the window;
- storing the file (`StorageError`: disk full, read-only, permissions): the image is in hand, so
  only the write is retried, for the whole window, whatever the link's lifetime. The operator gets
  one readable line when it starts failing and one when it works again.

`Fetcher` does it for one job at a time: download, store, and move the job on to `delivering`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from bot.images import image_extension
from bot.jobs.config import FETCH_WINDOW, DriveConfig
from bot.jobs.ending import Ending, failure_note
from bot.jobs.metrics import JobMetrics
from bot.jobs.model import Job, JobState
from bot.providers.base import PollResult, Provider, ProviderStatus, ResultDownloadError, ResultNotAnImage
from bot.store.files import private_folder, write_atomically
from bot.store.jobs import JobRepository

log = logging.getLogger(__name__)

#: How long a result link is worth retrying, by host suffix (PROVIDERS.md); others: an hour.
LINK_LIFETIME = {"bfl.ai": 9 * 60.0, "cloudflarer2.ttapi.io": 3 * 86400.0, "cdn.ttapi.io": 28 * 86400.0}
DEFAULT_LINK_LIFETIME = 3600.0
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
        private_folder(path.parent)  # removed by hand: made again
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


class Fetcher:
    """After READY: download the image at once, store it, and move the job on to `delivering`."""

    def __init__(
        self,
        *,
        jobs: JobRepository,
        providers: dict[str, Provider],
        ending: Ending,
        metrics: JobMetrics,
        config: DriveConfig,
        poll: Callable[[Job, Provider], Awaitable[PollResult | None]],
    ) -> None:
        self.jobs = jobs
        self.providers = providers
        self.ending = ending
        self.metrics = metrics
        self.config = config
        self.poll = poll  # one rate-limited poll, to refresh an expired link

    async def fetch_image(self, job: Job) -> tuple[Job, bytes | None]:
        """Download the finished image at once, store it, and hand it over; the image too, once
        stored (the hand-over needs it: not read back from the file it was just written to).

        Only from the provider's result hosts (the provider refuses others, and redirects to
        others), with its size cap and timeout. An expired link is refreshed by one poll (TTAPI
        and BFL hand out a fresh signed link for a finished job) before giving up. Retries end
        `fetch_window` after READY at the latest; a storage failure only retries the write.
        """
        provider = self.providers.get(job.provider)
        if provider is None:
            await self.ending.end(
                job,
                JobState.FAILED,
                "no_provider",
                failure_note("no_provider"),
                message=f"The {job.provider} provider is gone.",
            )
            return job, None
        data = await self._download(job, provider)
        if data is None:
            return job, None
        path = await StoreRetries(job, fetch_deadline(job, None, self.config.fetch_window)).store(
            self.config.images_dir, data
        )
        if path is None:
            await self.ending.end(job, JobState.FAILED, "storage", failure_note("storage"))
            return job, None
        # The first hand-over's attempt is counted in the same write as the move.
        job = await self.jobs.transition(
            job, JobState.DELIVERING, result_path=str(path), delivery_attempts=job.delivery_attempts + 1
        )
        return job, data

    async def _download(self, job: Job, provider: Provider) -> bytes | None:
        """The image, or None when the job ended because it cannot be downloaded."""
        url = job.result_url or ""
        deadline = fetch_deadline(job, url, self.config.fetch_window)
        refreshed = False
        attempt = 0
        while True:
            started = time.monotonic()
            try:
                return await provider.download(url)
            except ResultDownloadError as exc:
                kind = download_kind(exc)
                self.metrics.provider_errors.labels(job.provider, "download", kind).inc()
                if kind == "expired" and not refreshed:
                    refreshed = True
                    fresh = await self.poll(job, provider)
                    if fresh is not None and fresh.status is ProviderStatus.READY and fresh.image_url:
                        url = fresh.image_url
                        await self.jobs.update(job, result_url=url)
                        deadline = fetch_deadline(job, url, self.config.fetch_window)
                        continue
                delay = retry_delay(attempt)
                if kind in ("expired", "refused", "not_an_image") or time.time() + delay > deadline:
                    code = "not_an_image" if kind == "not_an_image" else "download"
                    await self.ending.end(job, JobState.FAILED, code, failure_note(code), detail=exc.detail)
                    return None
                log.warning("job %s: download failed (%s); retrying in %.1fs", job.id, exc.detail, delay)
                attempt += 1
                await asyncio.sleep(delay)
            finally:
                self.metrics.provider_latency.labels(job.provider, "download").observe(
                    time.monotonic() - started
                )
