"""Ending a job even when the store refuses the write at first.

A job that hit a bug is ended `failed` "internal", which releases its hold. That ending is itself a
write: when the store refuses it (locked by another process beyond `busy_timeout`, full, an I/O
error), giving up would strand the job with its hold open until the next restart. So it is
retried, with backoff, until it commits or another writer has moved the job on.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Awaitable, Callable

from bot.store.jobs import StaleJobState

log = logging.getLogger(__name__)

#: Waits between tries grow from the first to the last (seconds).
FIRST_RETRY = 1.0
LAST_RETRY = 30.0


async def until_stored(job_id: str, end: Callable[[], Awaitable[None]]) -> None:
    """Run `end()` until the store takes it; one warning line when it does not at first."""
    delay = FIRST_RETRY
    tries = 0
    while True:
        try:
            await end()
        except StaleJobState:
            return  # another writer ended or moved the job: nothing left to close here
        except (sqlite3.Error, OSError) as exc:
            tries += 1
            if tries == 1:
                log.warning(
                    "job %s: the store refused ending the job (%s); retrying until it works", job_id, exc
                )
            await asyncio.sleep(delay)
            delay = min(LAST_RETRY, delay * 2)
            continue
        if tries:
            log.warning("job %s: ended after %d refused tries", job_id, tries)
        return
