"""The provider's balance: with BFL configured, `GET /v1/credits` every 15 minutes.

The figure goes to `/metrics` (`fluxbot_provider_balance_credits{provider="bfl"}`). Below
`LOW_BALANCE_CREDITS` the log gets one warning per crossing, and so does every listener (the Discord
side posts it in the audit channel of each server that has one). Whether the balance is low is kept
in the store (`bot_state`) and set by a compare-and-set (`BotState.put_new`), so a restart, or any
number of gateway processes each checking on their own, warn once for the same crossing: only the
process whose check set the mark warns. Rising back above the threshold arms the next warning.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from decimal import Decimal

from bot.credits import format_credits
from bot.jobs.metrics import JobMetrics
from bot.providers.base import ProviderError
from bot.providers.bfl import BFLProvider
from bot.store.bot_state import BotState

log = logging.getLogger(__name__)

#: Seconds between two balance checks.
BALANCE_INTERVAL = 15 * 60
#: The `bot_state` key that says the balance was last seen below the threshold.
LOW_KEY = "bfl_balance_low"

LowBalanceListener = Callable[[Decimal, Decimal], Awaitable[None]]


class BalanceWatch:
    def __init__(
        self,
        provider: BFLProvider | None,
        state: BotState,
        metrics: JobMetrics,
        *,
        threshold: Decimal | None,
        interval: float = BALANCE_INTERVAL,
    ) -> None:
        self.provider = provider
        self.state = state
        self.metrics = metrics
        self.threshold = threshold
        self.interval = interval
        self.listeners: list[LowBalanceListener] = []
        self._task: asyncio.Task[None] | None = None

    def on_low(self, listener: LowBalanceListener) -> None:
        """`listener(balance, threshold)` is awaited once per crossing below the threshold."""
        self.listeners.append(listener)

    async def check(self) -> Decimal | None:
        """Ask for the balance once; warn when it just crossed below the threshold. Returns it."""
        if self.provider is None:
            return None
        try:
            balance = await self.provider.balance()
        except ProviderError as exc:
            log.warning("could not read the BFL balance: %s", exc)
            return None
        if balance is None:
            return None
        self.metrics.provider_balance.labels("bfl").set(float(balance))
        if self.threshold is None:
            return balance
        if balance >= self.threshold:
            if await self.state.get(LOW_KEY) is not None:
                await self.state.forget(LOW_KEY)
                log.info("the BFL balance is back above %s credits", format_credits(self.threshold))
            return balance
        # One warning per crossing, whichever process (gateway) saw it first: the mark is set by a
        # compare-and-set, and only the process that set it warns.
        if not await self.state.put_new(LOW_KEY, str(balance)):
            return balance  # warned already for this crossing (here or by another process)
        log.warning(
            "the BFL balance is low: %s credits left (LOW_BALANCE_CREDITS=%s)",
            format_credits(balance),
            format_credits(self.threshold),
        )
        for listener in self.listeners:
            try:
                await listener(balance, self.threshold)
            except Exception:
                log.exception("telling about the low BFL balance failed")
        return balance

    async def run(self) -> None:
        while True:
            try:
                await self.check()
            except Exception:  # the store refused; the next round tries again
                log.exception("the balance check failed")
            await asyncio.sleep(self.interval)

    def start(self) -> None:
        if self.provider is not None and self._task is None:
            self._task = asyncio.create_task(self.run(), name="fluxbot-balance")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
