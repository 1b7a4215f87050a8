"""Ending a job: with an image (`finish`), or without one (`end`: its hold released or charged).

`until_stored`: a job that hit a bug is ended `failed` "internal", which releases its hold. That
ending is itself a write: when the store refuses it (locked by another process beyond
`busy_timeout`, full, an I/O error), giving up would strand the job with its hold open until the
next restart. So it is retried, with backoff, until it commits or another writer has moved the
job on.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

from bot.i18n import SOURCE, Text, has, text
from bot.jobs.claims import Claims, LocalClaims
from bot.jobs.metrics import JobMetrics
from bot.jobs.model import Job, JobState
from bot.jobs.sink import Sinks
from bot.quota import QuotaService
from bot.store import errors as store_errors
from bot.store.db import Database
from bot.store.jobs import JobRepository, StaleJobState, Transition
from bot.store.retention import discard_inputs
from bot.store.units import move_and_close, move_and_record

log = logging.getLogger(__name__)

#: Waits between tries grow from the first to the last (seconds).
FIRST_RETRY = 1.0
LAST_RETRY = 30.0


def failure_note(code: str, **args: Any) -> Text:
    """What a member reads when a job ends without an image for `code`: `failure-reason-<code>` of
    the catalogue (bot/i18n), stored with the job as its key and arguments (`jobs.error_note`), so
    that whoever shows it later (a late post, a DM, Details after a restart) renders it in the job's
    language. A code without a sentence of its own reads as `failure-reason-error`."""
    key = f"failure-reason-{code}"
    return text(key if has(SOURCE, key) else "failure-reason-error", **args)


def stored(note: Text) -> str:
    """The note as the `error_note` column keeps it (JSON of its key and arguments)."""
    return json.dumps(note.stored(), ensure_ascii=False)


class Ending:
    """The last state change of a job, with its charge or release in the same unit."""

    def __init__(
        self,
        db: Database,
        jobs: JobRepository,
        quota: QuotaService,
        metrics: JobMetrics,
        sinks: Sinks,
        claims: Claims | None = None,
    ) -> None:
        self.db = db
        self.claims = claims or LocalClaims()
        self.jobs = jobs
        self.quota = quota
        self.metrics = metrics
        self.sinks = sinks

    async def finish(self, job: Job, state: JobState, **fields: Any) -> None:
        """An undeliverable job: it was charged when it became ready."""
        await self.jobs.transition(job, state, **fields)
        self.metrics.finished.labels(state.value, job.model).inc()

    async def delivered(self, job: Job, ids: dict[str, int]) -> None:
        """A delivered job (charged when it became ready), with the ids of the messages its sink
        posted (`result_ids`): with shared claims the ids, the move and the release are one
        statement (`Claims.end_delivered`); else the ids and the move are one unit."""
        move = Transition.of(job, JobState.DELIVERED, {})
        if not await self.claims.end_delivered(move, ids):
            if ids:
                await self.db.atomic(move_and_record, move, ids)
            else:
                move.check(await self.db.execute_one(move.sql, move.params))
        move.applied()
        self.metrics.finished.labels(JobState.DELIVERED.value, job.model).inc()

    async def end(
        self,
        job: Job,
        state: JobState,
        code: str,
        note: Text,
        *,
        message: str | None = None,
        detail: str | None = None,
        charge: Decimal | None = None,
    ) -> None:
        """Finish a job without an image: release its hold (or charge what the provider reported).

        `note` is what its member reads (stored as key and arguments, rendered in the job's
        language); `message` is the English line kept for the log, the CLI and the export (by
        default the note in English), e.g. the provider's own words.
        """
        english = message if message is not None else str(note)
        fields: dict[str, Any] = {
            "error_code": code,
            "error_message": english[:500],
            "error_note": stored(note),
        }
        if charge:
            fields["cost"] = charge
        elif job.state is not JobState.FETCHING:
            # Only a job that failed after READY was charged (with the move to fetching); a cost
            # known from the submit answer (BFL) was never charged for a job that ends here.
            fields["cost"] = None
        move = Transition.of(job, state, fields)
        if charge:
            close = await self.quota.settlement(job, charge)
        else:
            close = self.quota.release_statement(job, code)
        await self.db.atomic(move_and_close, move, close)
        move.applied()
        await discard_inputs(self.jobs, job.id)  # no image came of it: nothing can reuse them
        self.metrics.finished.labels(state.value, job.model).inc()
        if charge:
            self.metrics.credits_charged.labels(job.provider, job.model).inc(float(charge))
        log.warning("job %s: %s (%s)%s", job.id, state, code, f": {detail}" if detail else "")
        sink = self.sinks.get(job.origin)
        if sink is not None:
            try:
                await sink.job_failed(job)
            except Exception:
                log.exception("job %s: telling the member about the failure failed", job.id)


async def until_stored(job_id: str, end: Callable[[], Awaitable[None]]) -> None:
    """Run `end()` until the store takes it; one warning line when it does not at first."""
    delay = FIRST_RETRY
    tries = 0
    while True:
        try:
            await end()
        except StaleJobState:
            return  # another writer ended or moved the job: nothing left to close here
        except store_errors.STORE_OR_DISK_ERRORS as exc:
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
