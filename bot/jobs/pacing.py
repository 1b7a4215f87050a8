"""Each provider's request budget: the rate limiter every submit and poll waits on, and the 429 pause.

One `RateLimiter` (bot/jobs/polling.py) per provider, made on first use. A 429 (or TTAPI's 499)
pauses the whole provider, not just the job that met it.

On PostgreSQL every process shares them: `SharedPacing` (bot/jobs/shared_pacing.py, imported there
only).
"""

from __future__ import annotations

import asyncio
import logging

from bot.jobs.metrics import JobMetrics
from bot.jobs.polling import RateLimiter
from bot.providers.base import ProviderBusy, ProviderError

log = logging.getLogger(__name__)

#: Provider-wide request budgets (requests per second, submits and polls together). Neither TTAPI
#: nor BFL publishes one; these stay well under what their public clients do (BFL's SDK polls each
#: of 24 concurrent jobs every second). A 429 pauses the provider on top of this.
DEFAULT_RATES = {"ttapi": 10.0, "bfl": 20.0, "mock": 1000.0}
DEFAULT_RATE = 10.0
DEFAULT_BURST = 10


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
