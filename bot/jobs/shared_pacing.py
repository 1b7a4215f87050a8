"""The request budget and the 429 pause shared by every process on PostgreSQL.

`SharedPacing` is `ProviderPacing` (bot/jobs/pacing.py) for every process together: the budget and
the pause are one row per provider (bot/store/claims.py). The tokens this process's jobs wait for
are booked in one statement for all of them, in the order they asked (those of `GATHER` together);
a pause another process set is heard by NOTIFY (`heard_pause`), so a job whose slot fell inside it
books again, as there. Imported on PostgreSQL only (bot/jobs/shared_scheduler.py).

**Slices.** A booking also takes a short slice of the provider-wide budget for the requests that
will follow (`_Slice`): as many tokens as this process asked for in the last `SLICE` seconds, at
most `SLICE_SHARE` of the provider's rate over `SLICE`. They are booked in the shared row like any
other (the limit stays global: the others' slots come after them), and handed out here without a
round trip, no faster than the provider's rate and no earlier than their booked slot; what is left
after `SLICE` seconds expires unused. A pause (here, or heard from another process) drops the slice:
the next request books in the store, past the pause. So a process holds at most `SLICE_SHARE` of a
second's budget that it may spend later than it was booked: the provider-wide burst can exceed the
bucket's by that much per process, never the rate over time.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import deque
from dataclasses import dataclass

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
#: A slice's tokens are handed out for this long after its booking, then the rest expire (seconds).
SLICE = 1.0
#: A slice holds at most this share of the provider's rate over `SLICE` (tokens: rate × SLICE × this).
SLICE_SHARE = 0.25


@dataclass(slots=True)
class _Slice:
    """Tokens booked ahead in the shared budget, handed out here (see the module docstring)."""

    tat: float  # monotonic: the next token's slot (a local GCRA at the provider's rate)
    left: int
    expires: float  # monotonic

    def take(self, interval: float, tolerance: float) -> float | None:
        """The wait for the next token, or None when none is left (spent or expired)."""
        now = time.monotonic()
        tat = max(self.tat, now)
        allowed = max(now, tat - tolerance)
        if self.left <= 0 or allowed >= self.expires:
            return None
        self.left -= 1
        self.tat = tat + interval
        return allowed - now


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
        self._slices: dict[str, _Slice] = {}
        self._asked: dict[str, deque[float]] = {}  # monotonic: this process's requests of the last `SLICE`

    async def take_token(self, provider: str) -> None:
        asked = self._asked.get(provider)
        if asked is None:
            asked = self._asked[provider] = deque()
        now = time.monotonic()
        asked.append(now)
        while asked[0] < now - SLICE:
            asked.popleft()
        while True:
            delay = self._from_slice(provider)
            if delay is None:
                delay = await self._book(provider)
            if delay > 0:
                await asyncio.sleep(delay)
            if time.monotonic() >= self._paused_until.get(provider, 0.0):
                return
            # A 429 (here or elsewhere) arrived while we waited: our slot is inside the pause.

    def _from_slice(self, provider: str) -> float | None:
        """A token of this process's slice (its wait), or None: book in the store."""
        piece = self._slices.get(provider)
        if piece is None:
            return None
        limiter = self.limiter(provider)
        delay = piece.take(limiter.interval, limiter.tolerance)
        if delay is None:
            del self._slices[provider]
        return delay

    def _slice_size(self, provider: str, batch: int) -> int:
        """Tokens to book ahead: this process's other requests of the last `SLICE`, within its share."""
        limiter = self.limiter(provider)
        cap = math.floor(limiter.rate * SLICE * SLICE_SHARE)
        return max(0, min(cap, len(self._asked.get(provider, ())) - batch))

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
            ahead = self._slice_size(provider, len(batch))
            try:
                booking = await self.store.reserve(provider, len(batch) + ahead, limiter.interval)
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
            if ahead and booking.paused <= 0:
                booked = self._booked_at[provider]
                self._slices[provider] = _Slice(
                    tat=booked + booking.ahead + len(batch) * limiter.interval,
                    left=ahead,
                    expires=booked + SLICE,
                )

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
        if seconds > 0:
            self._slices.pop(provider, None)  # its tokens may fall inside the pause: book past it

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
