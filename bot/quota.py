"""Quota: what a member may spend, what a job is expected to cost, holds and settlement.

Unit: the provider's credit (a TTAPI quota = a BFL credit = $0.01). A job's estimate is *held*
when it is accepted, inside the same transaction that inserts the job (`BEGIN IMMEDIATE` under the
database lock), so concurrent commands can never together exceed a limit. On completion the hold
becomes the provider-reported charge; on failure it is released, unless the provider charged anyway.

Limits, most specific first: the member's own, else the highest among the member's roles (an
unlimited role is the highest), else the guild's default, else `QUOTA_DEFAULT_LIMIT`; and, for the
whole guild, its own budget or `QUOTA_GUILD_LIMIT`. Periods are UTC days, ISO weeks or months; a
guild may choose its own (`/admin quota limit ... period:`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

from bot.errors import NotAllowed, QuotaExceeded
from bot.i18n import Text, text
from bot.jobs.model import Job
from bot.periods import period_key, period_reset
from bot.providers.catalog import megapixel_price
from bot.settings import Limit, Settings
from bot.store import errors as store_errors
from bot.store.base import Transaction
from bot.store.db import Statement
from bot.store.guilds import GuildStore, LimitRow
from bot.store.ledger import ZERO, Close, HoldEntry, Ledger, Usage, hold_statement
from bot.store.statements import POSTGRESQL, Execute, Lock, Unit, guild_lock, member_lock

T = TypeVar("T")

#: How long a learned price is used before the ledger is read again (see `QuotaService.estimate`).
PRICE_TTL = 30.0


@dataclass(frozen=True, slots=True)
class Limits:
    """The limits that apply to one member, and where the member's came from."""

    member: Limit
    source: str  # "member", "role", "server default", "bot default"
    guild: Limit


def resolve_limits(rows: Sequence[LimitRow], settings: Settings) -> Limits:
    """Member override, else the highest role limit, else the guild default, else the bot default."""
    by_scope: dict[str, list[Limit]] = {}
    for row in rows:
        by_scope.setdefault(row.scope, []).append(row.amount)
    member: Limit
    if "member" in by_scope:
        member, source = by_scope["member"][0], "member"
    elif "role" in by_scope:
        roles = by_scope["role"]
        member = None if any(a is None for a in roles) else max(a for a in roles if a is not None)
        source = "role"
    elif "default" in by_scope:
        member, source = by_scope["default"][0], "server default"
    else:
        member, source = settings.quota_default_limit, "bot default"
    guild = by_scope["guild"][0] if "guild" in by_scope else settings.quota_guild_limit
    return Limits(member, source, guild)


@dataclass(frozen=True, slots=True)
class Hold:
    """A job's hold, checked against the guild's rules and ready to be written in its transaction."""

    job: Job
    role_ids: tuple[int, ...]
    limits: Limits
    period: str
    resets: datetime
    #: The check (`Ledger.hold_fits`) and the hold's row, for `write`.
    check: Statement
    row: HoldEntry
    #: On PostgreSQL, the entry alone as the job insert's second write (`Ledger.hold_entry`): the
    #: check, the job and the hold in one statement (`store_new_job`). None on SQLite.
    entry: Statement | None = None

    @property
    def fits(self) -> Statement | None:
        """On PostgreSQL (where there is an `entry`), the check alone: the job's row goes in only
        when it finds a row, so a refused hold leaves nothing to undo and its batch goes on without
        a savepoint (`store_new_job`). None on SQLite, where the unit's savepoint undoes a refusal
        in-process, for less than an `INSERT .. SELECT` of the job costs there."""
        return self.check if self.entry is not None else None

    def write(self) -> Unit[bool]:
        """A (sub-)unit: append the hold if it fits the limits (the check and the entry in one
        statement, `hold_statement`). Returns whether it did. What `store_new_job` runs on SQLite;
        on PostgreSQL the accept writes the hold with the job (`fits`, `entry`), and only
        `QuotaService.hold` runs this."""
        written = yield Execute(*hold_statement(self.check, self.row))
        return bool(written == 1)

    def locks(self) -> tuple[Lock, ...]:
        """On PostgreSQL, what the check must have to itself until it commits: the member's totals
        (every writer of them holds the member's lock), and the guild's when it has a budget (every
        hold that checks one holds the guild's lock)."""
        budget = self.job.guild_id is not None and self.limits.guild is not None
        return (member_lock(self.job.user_id), *((guild_lock(self.job.guild_id),) if budget else ()))


@dataclass(frozen=True, slots=True)
class Standing:
    """What `/quota` shows: a member's usage against their limit in the current period."""

    usage: Usage
    limit: Limit
    period: str
    resets_at: datetime
    source: str = "bot default"
    guild_limit: Limit = None
    guild_usage: Usage | None = None

    @property
    def remaining(self) -> Decimal | None:
        return remaining(self.limit, self.usage)

    @property
    def guild_remaining(self) -> Decimal | None:
        if self.guild_usage is None:
            return None
        return remaining(self.guild_limit, self.guild_usage)


def remaining(limit: Limit, usage: Usage) -> Decimal | None:
    if limit is None:
        return None
    return max(ZERO, limit + usage.granted - usage.committed)


class QuotaService:
    def __init__(
        self,
        settings: Settings,
        ledger: Ledger,
        prices: dict[tuple[str, str], Decimal],
        *,
        guilds: GuildStore | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.settings = settings
        self.ledger = ledger
        self.guilds = guilds or GuildStore(ledger.db)
        self.prices = dict(prices)
        # The operator's overrides of the built-in table (`QUOTA_PRICES`): "provider:model" or "model".
        self.overrides: dict[str, Decimal] = dict(settings.quota_prices)
        self.clock = clock or (lambda: datetime.now(UTC))
        #: The latest charge per (provider, model, size), with when to read it again. This process's
        #: own charges drop their entry (`settle`); another process's show within `PRICE_TTL`.
        self._last_prices: dict[tuple[str, str, str | None], tuple[Decimal | None, float]] = {}

    def now(self) -> datetime:
        return self.clock()

    # -- periods ----------------------------------------------------------------------------------

    async def period_of(self, guild_id: int | None, *, conn: Transaction | None = None) -> str:
        """The guild's period name (day/week/month): its own setting, else `QUOTA_PERIOD`."""
        if guild_id is None:
            return self.settings.quota_period
        settings = await self.guilds.settings(guild_id, conn=conn)
        return settings.quota_period or self.settings.quota_period

    def current_period(self, period: str | None = None) -> str:
        """The current period key for `period` (default `QUOTA_PERIOD`)."""
        return period_key(self.now(), period or self.settings.quota_period)

    async def period_for(self, guild_id: int | None, *, conn: Transaction | None = None) -> str:
        """The current period key in this guild."""
        return period_key(self.now(), await self.period_of(guild_id, conn=conn))

    # -- limits and prices ------------------------------------------------------------------------

    async def limits(
        self,
        guild_id: int | None,
        user_id: int,
        role_ids: Sequence[int] = (),
        *,
        conn: Transaction | None = None,
    ) -> Limits:
        if guild_id is None:
            return Limits(self.settings.quota_default_limit, "bot default", None)
        rows = await self.guilds.limits_for(guild_id, user_id, tuple(role_ids), conn=conn)
        return resolve_limits(rows, self.settings)

    async def member_limit(self, guild_id: int | None, user_id: int, role_ids: tuple[int, ...] = ()) -> Limit:
        return (await self.limits(guild_id, user_id, role_ids)).member

    async def guild_limit(self, guild_id: int | None) -> Limit:
        return (await self.limits(guild_id, 0)).guild

    def override(self, provider: str, model: str) -> Decimal | None:
        """The operator's price for this model (`QUOTA_PRICES`), if any."""
        for key in (f"{provider}:{model}", model):
            if key in self.overrides:
                return self.overrides[key]
        return None

    def table_price(self, provider: str, model: str) -> Decimal:
        """The operator's price, else the built-in one; for a model without any, the dearest known."""
        override = self.override(provider, model)
        if override is not None:
            return override
        if (provider, model) in self.prices:
            return self.prices[(provider, model)]
        same_model = [p for (_, m), p in self.prices.items() if m == model]
        if same_model:
            return max(same_model)
        return max(self.prices.values(), default=Decimal(10))

    async def estimate(
        self,
        provider: str,
        model: str,
        size: str | None,
        *,
        megapixels: tuple[Decimal, Decimal] | None = None,
    ) -> Decimal:
        """The most recent real charge for this provider, model and size; else the price table.

        A model priced by the megapixel (FLUX.2), given `megapixels` (output, references), is held
        at its per-megapixel price instead: references change its price, so the last charge for
        the same size says little. Where that price is borrowed from another provider (TTAPI
        publishes none for FLUX.2), the hold is the larger of it and the last real charge, so a
        provider that charges more is not held short. `QUOTA_PRICES` still comes first.

        Cached: every command's precheck and every accepted job asks, and under load a read is a
        wait in the read connection's queue before a command can be acknowledged.
        """
        if megapixels is not None:
            override = self.override(provider, model)
            if override is not None:
                return override
            per_mp = megapixel_price(model, provider)
            if per_mp is not None:
                priced = per_mp.cost(*megapixels)
                if megapixel_price(model, provider, own=True) is not None:
                    return priced
                learned = await self.learned(provider, model, size)
                return max(priced, learned) if learned is not None else priced
        learned = await self.learned(provider, model, size)
        if learned is not None:
            return learned
        return self.table_price(provider, model)

    async def learned(self, provider: str, model: str, size: str | None) -> Decimal | None:
        """The most recent real charge for this provider, model and size (cached `PRICE_TTL`)."""
        key = (provider, model, size)
        cached = self._last_prices.get(key)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        learned = await self.ledger.last_price(provider, model, size)
        self._last_prices[key] = (learned, time.monotonic() + PRICE_TTL)
        return learned

    # -- reading ----------------------------------------------------------------------------------

    async def usage(
        self,
        guild_id: int | None,
        user_id: int,
        role_ids: Sequence[int],
        key: str,
        *,
        conn: Transaction | None = None,
    ) -> tuple[Usage, Usage]:
        """The member's usage (grants to any of their roles included) and the guild budget's."""
        return await self.ledger.standing(guild_id, user_id, tuple(role_ids), key, conn=conn)

    async def standing(self, guild_id: int | None, user_id: int, role_ids: Sequence[int] = ()) -> Standing:
        period_name = await self.period_of(guild_id)
        key = period_key(self.now(), period_name)
        usage, guild_usage = await self.usage(guild_id, user_id, role_ids, key)
        limits = await self.limits(guild_id, user_id, role_ids)
        return Standing(
            usage,
            limits.member,
            key,
            period_reset(self.now(), period_name),
            limits.source,
            limits.guild,
            guild_usage if guild_id is not None else None,
        )

    async def precheck(
        self,
        guild_id: int | None,
        user_id: int,
        role_ids: Sequence[int],
        provider: str,
        model: str,
        *,
        count: int = 1,
    ) -> None:
        """Refuse early (before a command is even acknowledged) when the job could not be held now.

        `count`: a batch of that many jobs, each held the estimate. Advisory: the binding check is
        `hold`, atomically, when each job is accepted.
        """
        period_name = await self.period_of(guild_id)
        key = period_key(self.now(), period_name)
        # Priced by the megapixel, the size and references are not known yet: the smallest job (one
        # megapixel, no reference) is what is surely held, not whatever the last job cost.
        smallest = (Decimal(1), Decimal(0)) if megapixel_price(model, provider) is not None else None
        # The limits come from the guild's cached rules: with none that applies (the member
        # unlimited, no server budget) nothing can be refused, and the usage is not read (a round
        # trip to the store per command on PostgreSQL). Else the usage and the estimate are read
        # together: the command waits for the slower, not the sum (it is not acknowledged yet).
        limits = await self.limits(guild_id, user_id, role_ids)
        if limits.member is None and (guild_id is None or limits.guild is None):
            return
        estimate, (usage, guild_usage) = await asyncio.gather(
            self.estimate(provider, model, None, megapixels=smallest),
            self.usage(guild_id, user_id, role_ids, key),
        )
        check(limits, usage, guild_usage, estimate * count, guild_id, period_reset(self.now(), period_name))

    # -- holding and settling (inside the caller's transaction) -----------------------------------

    async def hold(
        self,
        conn: Transaction,
        job: Job,
        *,
        role_ids: Sequence[int] = (),
        enforce: bool = True,
    ) -> None:
        """Check the guild's rules and the limits, and record the hold, in the job-insert transaction."""
        await conn.lock(guild_lock(job.guild_id), member_lock(job.user_id))  # as `store_new_job`
        hold = await self.prepare_hold(job, role_ids=role_ids, enforce=enforce, conn=conn)
        if not await conn.run(hold.write):
            raise await self.why_refused(hold, conn=conn)

    async def prepare_hold(
        self,
        job: Job,
        *,
        role_ids: Sequence[int] = (),
        enforce: bool = True,
        conn: Transaction | None = None,
    ) -> Hold:
        """Check the guild's rules (raises `NotAllowed`) and return the job's hold, ready to write.

        The hot path: the guild's rules and limits come from the cache; `Hold.write` is one insert
        (the trigger updates the totals) that checks the limits as it writes.
        """
        guild = await self.guilds.settings(job.guild_id, conn=conn)
        period_name = guild.quota_period or self.settings.quota_period
        key = period_key(self.now(), period_name)
        allowed_models = guild.allowed_models
        if (
            enforce
            and job.guild_id is not None
            and allowed_models is not None
            and job.model not in allowed_models
        ):
            allowed = ", ".join(f"`{m}`" for m in allowed_models) or text("policy-none")
            raise NotAllowed(text("policy-model", model=job.model, allowed=allowed))
        limits = (
            await self.limits(job.guild_id, job.user_id, role_ids, conn=conn)
            if enforce
            else Limits(None, "not enforced", None)
        )
        fits = self.ledger.hold_fits(
            job.estimate,
            period=key,
            guild_id=job.guild_id,
            user_id=job.user_id,
            member_limit=limits.member,
            guild_limit=limits.guild,
            role_ids=tuple(role_ids),
        )
        row = HoldEntry(
            job.estimate, key, job.guild_id, job.user_id, job.id, job.provider, job.model, size_key(job)
        )
        resets = period_reset(self.now(), period_name)
        if self.ledger.db.dialect != POSTGRESQL:
            return Hold(job, tuple(role_ids), limits, key, resets, fits, row)
        return Hold(job, tuple(role_ids), limits, key, resets, fits, row, self.ledger.hold_entry(row))

    async def why_refused(self, hold: Hold, *, conn: Transaction | None = None) -> QuotaExceeded:
        """Why a hold did not fit, as the member reads it.

        From the figures the statement saw when `conn` is its transaction; else from the latest
        committed ones (the unit was rolled back a moment ago).
        """
        job = hold.job
        usage, guild_usage = await self.usage(
            job.guild_id, job.user_id, hold.role_ids, hold.period, conn=conn
        )
        try:
            check(hold.limits, usage, guild_usage, job.estimate, job.guild_id, hold.resets)
        except QuotaExceeded as exc:
            return exc
        return QuotaExceeded(refusal("member", job.estimate, hold.limits.member, usage, hold.resets))

    async def settle(self, conn: Transaction, job: Job, cost: Decimal) -> None:
        """Turn the job's hold into the provider-reported charge. Idempotent per job."""
        await conn.execute(*(await self.settlement(job, cost)).statement)

    async def release(self, conn: Transaction, job: Job, note: str | None = None) -> None:
        """Give the hold back: nothing is charged. Idempotent per job."""
        await conn.execute(*self.release_statement(job, note).statement)

    async def settlement(self, job: Job, cost: Decimal) -> Close:
        """`settle` as a statement, for a caller's atomic unit (`Database.atomic`, `move_and_close`)."""
        self._last_prices.pop((job.provider, job.model, size_key(job)), None)
        return self.ledger.close(
            job.id,
            "charge",
            amount=cost,
            guild_id=job.guild_id,
            user_id=job.user_id,
            provider=job.provider,
            model=job.model,
            size=size_key(job),
            period=await self.period_for(job.guild_id),
        )

    def release_statement(self, job: Job, note: str | None = None) -> Close:
        """`release` as a statement, for a caller's atomic unit (`move_and_close`)."""
        return self.ledger.close(job.id, "release", note=note)

    # -- admin ------------------------------------------------------------------------------------

    async def grant(
        self,
        guild_id: int,
        user_ids: Sequence[int] | None,
        amount: Decimal,
        *,
        actor_id: int,
        role_id: int | None = None,
        interaction_id: int | None = None,
    ) -> tuple[str, bool]:
        """One-off credit for the current period: to each member listed, to everyone with `role_id`,
        or (neither) to the guild's budget. Returns the period key, and False when this interaction
        had already granted (a command delivered twice grants once: migration 0012)."""

        async def write(conn: Transaction) -> str:
            await conn.lock(*(member_lock(user) for user in user_ids or ()))  # their totals rows
            key = await self.period_for(guild_id, conn=conn)
            targets: Sequence[int | None] = user_ids if user_ids is not None else [None]
            for user_id in targets:
                await self.ledger.add(
                    conn,
                    "grant",
                    amount,
                    period=key,
                    guild_id=guild_id,
                    user_id=user_id,
                    role_id=role_id if user_id is None else None,
                    actor_id=actor_id,
                    interaction_id=interaction_id,
                )
            return key

        key = await self._once_per_interaction(guild_id, interaction_id, "grant", write)
        if key is None:
            return await self.period_for(guild_id), False
        return key, True

    async def reset(
        self,
        guild_id: int,
        user_ids: Sequence[int] | None,
        *,
        actor_id: int,
        interaction_id: int | None = None,
    ) -> int | None:
        """Bring usage of the current period back to zero: for the members listed, or (None) for the
        guild's budget and every member. Holds of running jobs stay. Returns how many were reset,
        or None when this interaction had already reset (delivered twice)."""

        async def write(conn: Transaction) -> int:
            count = 0
            key = await self.period_for(guild_id, conn=conn)
            members = user_ids
            if members is None:
                guild_usage = await self.ledger.guild_usage(guild_id, key, conn=conn)
                if guild_usage.used > 0:
                    await self.ledger.add(
                        conn, "reset", guild_usage.used, period=key, guild_id=guild_id, user_id=None,
                        actor_id=actor_id, interaction_id=interaction_id,
                    )  # fmt: skip
                members = await self.ledger.members_with_usage(conn, guild_id, key)
            await conn.lock(*(member_lock(user) for user in members))  # their usage, read then reset
            for user_id in members:
                usage = await self.ledger.member_usage(guild_id, user_id, key, conn=conn)
                if usage.used > 0:
                    await self.ledger.add(
                        conn, "reset", usage.used, period=key, guild_id=guild_id, user_id=user_id,
                        actor_id=actor_id, interaction_id=interaction_id,
                    )  # fmt: skip
                    count += 1
            return count

        return await self._once_per_interaction(guild_id, interaction_id, "reset", write)

    async def _once_per_interaction(
        self,
        guild_id: int,
        interaction_id: int | None,
        kind: str,
        write: Callable[[Transaction], Awaitable[T]],
    ) -> T | None:
        """Run an admin write in one transaction, unless this interaction already wrote entries of
        this kind (then None). The ledger's unique index settles two deliveries at the same moment.
        Holds the guild's lock (`guild_lock`) first, as a hold that checks the guild's budget does;
        `write` takes the locks of the members whose totals it reads or writes."""
        try:
            async with self.ledger.db.transaction() as conn:
                await conn.lock(guild_lock(guild_id))
                if interaction_id is not None and await self.ledger.interaction_written(
                    conn, interaction_id, kind
                ):
                    return None
                return await write(conn)
        except store_errors.INTEGRITY_ERRORS:
            if interaction_id is None:
                raise
            return None  # the same interaction, writing at this very moment in another process


def check(
    limits: Limits,
    usage: Usage,
    guild_usage: Usage,
    estimate: Decimal,
    guild_id: int | None,
    resets: datetime,
) -> None:
    """Raise `QuotaExceeded` when the member's limit or the guild's budget cannot take `estimate`."""
    if refused(limits.member, usage, estimate):
        raise QuotaExceeded(refusal("member", estimate, limits.member, usage, resets))
    if guild_id is not None and refused(limits.guild, guild_usage, estimate):
        raise QuotaExceeded(refusal("guild", estimate, limits.guild, guild_usage, resets))


def refused(limit: Limit, usage: Usage, estimate: Decimal) -> bool:
    """Used + held + estimate above the limit (plus grants); a limit of 0 blocks even a free job."""
    if limit is None:
        return False
    allowance = limit + usage.granted
    return usage.committed + estimate > allowance or allowance - usage.committed <= 0


def refusal(whose: str, estimate: Decimal, limit: Limit, usage: Usage, resets: datetime) -> Text:
    """Why a job was refused, how much remains, and when it resets — before anything was spent.

    In the member's language when shown (bot/i18n); the reset as a Discord timestamp, which each
    member's client shows in their own time zone and language.
    """
    left = remaining(limit, usage) or ZERO
    when = f"<t:{int(resets.timestamp())}:R> (<t:{int(resets.timestamp())}:f>)"
    if whose == "member" and limit == 0 and not usage.granted:
        return text("quota-not-enabled")
    assert limit is not None
    if whose == "guild":
        return text("quota-guild-used-up", estimate=estimate, left=left, when=when)
    return text(
        "quota-member-short-held" if usage.held else "quota-member-short",
        estimate=estimate,
        left=left,
        limit=limit + usage.granted,
        used=usage.committed,
        held=usage.held,
        when=when,
    )


def size_key(job: Job) -> str | None:
    """What makes a price differ within a model: the output size or aspect ratio."""
    params: dict[str, Any] = job.params
    body = params.get("body")
    for source in (params, body if isinstance(body, dict) else {}):
        if source.get("size"):
            return str(source["size"])
        if source.get("width") and source.get("height"):
            return f"{source['width']}x{source['height']}"
        if source.get("aspect_ratio"):
            return str(source["aspect_ratio"])
    return None
