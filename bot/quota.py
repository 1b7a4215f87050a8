"""Quota: what a member may spend, what a job is expected to cost, holds and settlement.

Unit: the provider's credit (a TTAPI quota = a BFL credit = $0.01). A job's estimate is *held*
when it is accepted, inside the same transaction that inserts the job, so concurrent commands can
never together exceed a limit. On completion the hold becomes the provider-reported charge; on
failure it is released, unless the provider charged anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import aiosqlite

from bot.errors import QuotaExceeded
from bot.jobs.model import Job
from bot.settings import Limit, Settings
from bot.store.ledger import Ledger, Usage


def parse_credits(value: Any) -> Decimal | None:
    """A provider-reported amount ("5", 4, "0.45") as an exact Decimal; None when absent or invalid."""
    if value is None or isinstance(value, bool):
        return None
    try:
        # str() first: Decimal(0.1) would keep binary float noise.
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount < 0:
        return None
    return amount.normalize() if amount != amount.to_integral() else amount.quantize(Decimal(1))


def format_credits(amount: Decimal | None) -> str:
    if amount is None:
        return "unlimited"
    text = format(amount.normalize(), "f")
    return text


def period_key(now: datetime, period: str) -> str:
    """The UTC period an instant falls in: '2026-11-21' (day), week of Monday '2026-W47', '2026-11'."""
    now = now.astimezone(UTC)
    if period == "day":
        return now.strftime("%Y-%m-%d")
    if period == "week":
        year, week, _ = now.isocalendar()
        return f"{year}-W{week:02d}"
    if period == "month":
        return now.strftime("%Y-%m")
    raise ValueError(f"unknown quota period {period!r}")


def period_reset(now: datetime, period: str) -> datetime:
    """When the period containing `now` ends (UTC midnight of the next day/Monday/1st)."""
    now = now.astimezone(UTC)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "day":
        return midnight + timedelta(days=1)
    if period == "week":
        return midnight + timedelta(days=7 - now.weekday())
    if period == "month":
        if now.month == 12:
            return midnight.replace(year=now.year + 1, month=1, day=1)
        return midnight.replace(month=now.month + 1, day=1)
    raise ValueError(f"unknown quota period {period!r}")


@dataclass(frozen=True, slots=True)
class Standing:
    """What `/quota` shows: a member's usage against their limit in the current period."""

    usage: Usage
    limit: Limit
    period: str
    resets_at: datetime

    @property
    def remaining(self) -> Decimal | None:
        if self.limit is None:
            return None
        return max(Decimal(0), self.limit + self.usage.granted - self.usage.committed)


class QuotaService:
    def __init__(self, settings: Settings, ledger: Ledger, prices: dict[tuple[str, str], Decimal]) -> None:
        self.settings = settings
        self.ledger = ledger
        self.prices = prices

    def now(self) -> datetime:
        return datetime.now(UTC)

    def current_period(self) -> str:
        return period_key(self.now(), self.settings.quota_period)

    async def member_limit(self, guild_id: int | None, user_id: int, role_ids: tuple[int, ...] = ()) -> Limit:
        return self.settings.quota_default_limit

    async def guild_limit(self, guild_id: int | None) -> Limit:
        return self.settings.quota_guild_limit

    async def estimate(self, provider: str, model: str, size: str | None) -> Decimal:
        """The most recent real charge for this provider, model and size; else the price table."""
        learned = await self.ledger.last_price(provider, model, size)
        if learned is not None:
            return learned
        return self.prices.get((provider, model), Decimal(0))

    async def standing(self, guild_id: int | None, user_id: int, role_ids: tuple[int, ...] = ()) -> Standing:
        period = self.current_period()
        usage = await self.ledger.member_usage(guild_id, user_id, period)
        limit = await self.member_limit(guild_id, user_id, role_ids)
        return Standing(usage, limit, period, period_reset(self.now(), self.settings.quota_period))

    async def hold(
        self,
        conn: aiosqlite.Connection,
        job: Job,
        *,
        role_ids: tuple[int, ...] = (),
        enforce: bool = True,
    ) -> None:
        """Check the limits and record the hold, inside the transaction that inserts the job."""
        period = self.current_period()
        if enforce:
            limit = await self.member_limit(job.guild_id, job.user_id, role_ids)
            usage = await self.ledger.member_usage(job.guild_id, job.user_id, period, conn=conn)
            if limit is not None and usage.committed + job.estimate > limit + usage.granted:
                remaining = max(Decimal(0), limit + usage.granted - usage.committed)
                raise QuotaExceeded(self._refusal("your", job.estimate, remaining, usage))
            if job.guild_id is not None:
                guild_limit = await self.guild_limit(job.guild_id)
                if guild_limit is not None:
                    guild_usage = await self.ledger.guild_usage(job.guild_id, period, conn=conn)
                    if guild_usage.committed + job.estimate > guild_limit:
                        remaining = max(Decimal(0), guild_limit - guild_usage.committed)
                        raise QuotaExceeded(
                            self._refusal("this server's", job.estimate, remaining, guild_usage)
                        )
        await self.ledger.add(
            conn,
            "hold",
            job.estimate,
            period=period,
            guild_id=job.guild_id,
            user_id=job.user_id,
            job_id=job.id,
            provider=job.provider,
            model=job.model,
            size=size_key(job),
        )

    def _refusal(self, whose: str, estimate: Decimal, remaining: Decimal, usage: Usage) -> str:
        resets = period_reset(self.now(), self.settings.quota_period)
        held = f" ({format_credits(usage.held)} held by jobs in progress)" if usage.held else ""
        return (
            f"Not enough quota: this job needs about {format_credits(estimate)} credits and {whose} "
            f"remaining balance is {format_credits(remaining)}{held}. "
            f"It resets <t:{int(resets.timestamp())}:R>. Nothing was charged."
        )

    async def settle(self, conn: aiosqlite.Connection, job: Job, cost: Decimal) -> None:
        """Turn the job's hold into the provider-reported charge. Idempotent per job."""
        if await self.ledger.closed(conn, job.id):
            return
        hold = await self.ledger.hold_of(conn, job.id)
        period = hold["period"] if hold else self.current_period()
        await self.ledger.add(
            conn,
            "charge",
            cost,
            period=period,
            guild_id=job.guild_id,
            user_id=job.user_id,
            job_id=job.id,
            provider=job.provider,
            model=job.model,
            size=size_key(job),
        )

    async def release(self, conn: aiosqlite.Connection, job: Job, note: str | None = None) -> None:
        """Give the hold back: nothing is charged. Idempotent per job."""
        if await self.ledger.closed(conn, job.id):
            return
        hold = await self.ledger.hold_of(conn, job.id)
        if hold is None:
            return
        await self.ledger.add(
            conn,
            "release",
            Decimal(hold["amount"]),
            period=hold["period"],
            guild_id=job.guild_id,
            user_id=job.user_id,
            job_id=job.id,
            provider=job.provider,
            model=job.model,
            note=note,
        )


def size_key(job: Job) -> str | None:
    """What makes a price differ within a model: the output size or aspect ratio."""
    params = job.params
    if params.get("size"):
        return str(params["size"])
    if params.get("width") and params.get("height"):
        return f"{params['width']}x{params['height']}"
    if params.get("aspect_ratio"):
        return str(params["aspect_ratio"])
    return None
