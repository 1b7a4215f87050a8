"""The request budget and the 429 pause shared by every process on PostgreSQL.

`SharedPacing` is `ProviderPacing` (bot/jobs/pacing.py) for every process together: the budget and
the pause are one row per provider (bot/store/claims.py). The tokens this process's jobs wait for
are booked in one statement for all of them, in the order they asked (those of `GATHER` together);
a pause another process set is heard by NOTIFY (`heard_pause`), so a job whose slot fell inside it
books again, as there. Imported on PostgreSQL only (bot/jobs/shared_scheduler.py).
"""

from __future__ import annotations

import asyncio
import logging
import time

from bot.jobs.metrics import JobMetrics
from bot.jobs.pacing import ProviderPacing
from bot.store.claims import ClaimStore

log = logging.getLogger(__name__)

#: On PostgreSQL, while requests keep coming (the last booking within `STREAM`), a booking waits
#: this long for more of this process's requests before it goes (seconds): jobs poll one by one,
#: each poll a round trip to the budget's row when booked alone; gathered, the requests of these
#: 50 ms share one statement (docs/PERFORMANCE.md, item 8). The first request after a quiet spell
#: (a lone /imagine's submit) is booked at once.
GATHER = 0.05
STREAM = 1.0


class SharedPacing(ProviderPacing):
    """The budget and the 429 pause shared by every process on PostgreSQL (see the module docstring)."""

    def __init__(
        self, metrics: JobMetrics, store: ClaimStore, rate_limits: dict[str, float] | None = None
    ) -> None:
        super().__init__(metrics, rate_limits)
        self.store = store
        self._waiting: dict[str, list[asyncio.Future[float]]] = {}
        self._bookers: dict[str, asyncio.Task[None]] = {}
        self._paused_until: dict[str, float] = {}  # monotonic, as last heard
        self._strikes: dict[str, int] = {}
        self._booked_at: dict[str, float] = {}  # monotonic: the end of the provider's last booking
        self._calming: set[asyncio.Task[None]] = set()

    async def take_token(self, provider: str) -> None:
        while True:
            delay = await self._book(provider)
            if delay > 0:
                await asyncio.sleep(delay)
            if time.monotonic() >= self._paused_until.get(provider, 0.0):
                return
            # A 429 (here or elsewhere) arrived while we waited: our slot is inside the pause.

    async def _book(self, provider: str) -> float:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(provider, []).append(future)
        booker = self._bookers.get(provider)
        if booker is None or booker.done():
            self._bookers[provider] = asyncio.create_task(self._book_all(provider), name="fluxbot-pacing")
        return await future

    async def _book_all(self, provider: str) -> None:
        """Book the tokens every waiting job asked for, in one statement per round, in their order.

        While requests keep coming, the first round waits `GATHER` for those that follow (those
        asked for while a round is on its way wait for it anyway)."""
        limiter = self.limiter(provider)
        if time.monotonic() - self._booked_at.get(provider, -STREAM) < STREAM:
            await asyncio.sleep(GATHER)
        while self._waiting.get(provider):
            batch, self._waiting[provider] = self._waiting[provider], []
            try:
                booking = await self.store.reserve(provider, len(batch), limiter.interval)
            except Exception as exc:
                for future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            self._booked_at[provider] = time.monotonic()
            self._strikes[provider] = booking.strikes
            if booking.paused > 0:
                self.heard_pause(provider, booking.paused)
            for index, future in enumerate(batch):
                if not future.done():
                    future.set_result(max(0.0, booking.ahead + index * limiter.interval - limiter.tolerance))

    async def _pause(self, provider: str, seconds: float | None) -> float:
        limiter = self.limiter(provider)
        self.heard_pause(provider, limiter.pause(seconds))  # here at once; the others once stored
        paused = await self.store.pause(provider, seconds, limiter.tolerance)
        self._strikes[provider] = self._strikes.get(provider, 0) + 1
        self.heard_pause(provider, paused)
        return paused

    def paused_for(self, provider: str) -> float:
        return max(0.0, self._paused_until.get(provider, 0.0) - time.monotonic())

    def heard_pause(self, provider: str, seconds: float) -> None:
        """The provider is paused for `seconds` more (said by the store, or by another process)."""
        until = time.monotonic() + seconds
        if until > self._paused_until.get(provider, 0.0):
            self._paused_until[provider] = until

    def ok(self, provider: str) -> None:
        if self._strikes.get(provider):
            self._strikes[provider] = 0
            task = asyncio.create_task(self._calm(provider), name="fluxbot-pacing-calm")
            self._calming.add(task)
            task.add_done_callback(self._calming.discard)

    async def _calm(self, provider: str) -> None:
        try:
            await self.store.calm(provider)
        except Exception as exc:  # the next 429 streak only starts a little longer
            log.info("%s: recording the end of its 429 streak failed (%s)", provider, type(exc).__name__)
