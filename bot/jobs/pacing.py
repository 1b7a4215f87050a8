"""Each provider's request budget: the rate limiter every submit and poll waits on, and the 429 pause.

One `RateLimiter` (bot/jobs/polling.py) per provider, made on first use. A 429 (or TTAPI's 499)
pauses the whole provider, not just the job that met it.

`SharedPacing` is the same on PostgreSQL, for every process together: the budget and the pause
are one row per provider (bot/store/claims.py). The tokens this process's jobs wait for are booked
in one statement for all of them, in the order they asked (those of `GATHER` together); a pause
another process set is heard by NOTIFY (`heard_pause`), so a job whose slot fell inside it books
again, as here.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

from bot.jobs.metrics import JobMetrics
from bot.jobs.polling import RateLimiter
from bot.providers.base import ProviderBusy, ProviderError

if TYPE_CHECKING:
    from bot.store.claims import ClaimStore  # PostgreSQL only (asyncpg)

log = logging.getLogger(__name__)

#: Provider-wide request budgets (requests per second, submits and polls together). Neither TTAPI
#: nor BFL publishes one; these stay well under what their public clients do (BFL's SDK polls each
#: of 24 concurrent jobs every second). A 429 pauses the provider on top of this.
DEFAULT_RATES = {"ttapi": 10.0, "bfl": 20.0, "mock": 1000.0}
DEFAULT_RATE = 10.0
DEFAULT_BURST = 10
#: On PostgreSQL, while requests keep coming (the last booking within `STREAM`), a booking waits
#: this long for more of this process's requests before it goes (seconds): jobs poll one by one,
#: each poll a round trip to the budget's row when booked alone; gathered, the requests of these
#: 50 ms share one statement (docs/PERFORMANCE.md, item 8). The first request after a quiet spell
#: (a lone /imagine's submit) is booked at once.
GATHER = 0.05
STREAM = 1.0


class ProviderPacing:
    def __init__(self, metrics: JobMetrics, rate_limits: dict[str, float] | None = None) -> None:
        self.metrics = metrics
        self.rate_limits = rate_limits or {}
        self._limiters: dict[str, RateLimiter] = {}

    def limiter(self, provider: str) -> RateLimiter:
        limiter = self._limiters.get(provider)
        if limiter is None:
            rate = self.rate_limits.get(provider, DEFAULT_RATES.get(provider, DEFAULT_RATE))
            limiter = RateLimiter(rate, burst=max(1, int(min(rate, DEFAULT_BURST))))
            self._limiters[provider] = limiter
        return limiter

    async def take_token(self, provider: str) -> None:
        """Wait for this provider's next free request slot (and past any pause a 429 started)."""
        limiter = self.limiter(provider)
        while True:
            delay = limiter.reserve()
            if delay > 0:
                await asyncio.sleep(delay)
            if limiter.clock() >= limiter.paused_until:
                return
            # A 429 arrived while we waited: the slot we had is inside the pause; book a new one.

    async def busy(self, provider: str, exc: ProviderError, operation: str) -> float:
        """A 429/499, or unreachable: the whole provider waits (Retry-After when given), not just this job."""
        if isinstance(exc, ProviderBusy):
            self.metrics.rate_limited.labels(provider).inc()
        self.metrics.provider_errors.labels(provider, operation, exc.kind).inc()
        seconds = await self._pause(provider, exc.retry_after)
        log.warning("%s is busy (%s): pausing requests for %.1fs", provider, exc.detail, seconds)
        return seconds

    async def _pause(self, provider: str, seconds: float | None) -> float:
        return self.limiter(provider).pause(seconds)

    def paused_for(self, provider: str) -> float:
        """Seconds the provider's 429 pause still runs (0 when it is not paused)."""
        limiter = self.limiter(provider)
        return max(0.0, limiter.paused_until - limiter.clock())

    def ok(self, provider: str) -> None:
        """A request went through: the provider's 429 streak is over."""
        self.limiter(provider).ok()


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
