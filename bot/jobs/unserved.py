"""PostgreSQL: queued jobs of a provider that no live worker drives do not wait silently forever.

A worker claims only jobs of the providers it has a key for (bot/store/claims.py `Limits`), and a
gateway accepts jobs for the providers *it* has a key for. When no live worker has one of them
(the key set on the gateway only, or the one worker with it gone for good), its jobs would stay
queued, their holds held and their members' queue slots taken, and nobody would say why.

One process on SQLite fails such a job at once when it takes it from the queue (`no_provider`:
"This job's provider is no longer configured on the bot.", nothing charged). Several processes
cannot tell at once a provider that nobody drives from one whose only worker is restarting, so
each worker looks every `CHECK_INTERVAL` (its providers are in its `workers` row, migration 0024):

- a provider with jobs waiting and no live worker: one warning in the log at once (the operator's
  line: which provider, how many jobs, when they fail);
- still so after `grace` seconds (`JOB_TIMEOUT_SECONDS`, the wait after which a job that makes no
  progress is given up anyway): its waiting jobs fail as on SQLite, `no_provider`, the hold
  released, each member told through the sink like any failure.

With no live worker at all nothing is failed: the whole deployment is stopped (a deploy, an
outage), and its queue waits, as a stopped single process's does.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence

from bot.jobs.ending import failure_note
from bot.jobs.model import JobState
from bot.store.claims import ClaimStore
from bot.store.jobs import StaleJobState

log = logging.getLogger(__name__)

#: How often a worker looks for providers nobody drives (seconds).
CHECK_INTERVAL = 30.0
#: Jobs failed per provider and look (the rest at the next).
BATCH = 500

#: `Ending.end` (bot/jobs/ending.py).
End = Callable[..., Awaitable[None]]


class UnservedWatch:
    def __init__(
        self, store: ClaimStore, *, grace: Callable[[], float], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.store = store
        self.grace = grace
        self.clock = clock
        self._since: dict[str, float] = {}  # provider → when this worker first saw nobody drive it
        self._due = 0.0
        self._end: End | None = None

    def bind(self, end: End) -> None:
        self._end = end

    async def check(self, origins: Sequence[str], *, force: bool = False) -> int:
        """At most every `CHECK_INTERVAL`: fail the waiting jobs of providers nobody drove for `grace`
        seconds; returns how many failed."""
        now = self.clock()
        if not force and now < self._due:
            return 0
        self._due = now + CHECK_INTERVAL
        served = await self.store.served()
        waiting = await self.store.waiting_by_provider(origins) if served is not None else {}
        unserved = {p: n for p, n in waiting.items() if p not in (served or ())}
        self._since = {p: t for p, t in self._since.items() if p in unserved}
        failed = 0
        for provider, count in sorted(unserved.items()):
            since = self._since.setdefault(provider, now)
            left = self.grace() - (now - since)
            if left > 0:
                if since == now:
                    log.warning(
                        "%d queued job(s) of %s wait, but no live worker drives %s (set its key on a "
                        "worker): they fail in %.0fs unless one starts",
                        count,
                        provider,
                        provider,
                        left,
                    )
                continue
            failed += await self._fail(provider, origins)
        return failed

    async def _fail(self, provider: str, origins: Sequence[str]) -> int:
        if self._end is None:
            return 0
        failed = 0
        for job in await self.store.waiting_of(provider, origins, BATCH):
            try:
                await self._end(
                    job,
                    JobState.FAILED,
                    "no_provider",
                    failure_note("no_provider"),
                    message=f"No live worker drives the {provider} provider.",
                )
                failed += 1
            except StaleJobState:
                continue  # claimed or cancelled meanwhile
        if failed:
            log.warning(
                "%d queued job(s) of %s failed: no live worker drove %s for %.0fs (JOB_TIMEOUT_SECONDS); "
                "their holds are released and their members told",
                failed,
                provider,
                provider,
                self.grace(),
            )
        return failed
