"""The quota ledger and QuotaService on each backend: periods, limits, holds, refunds, grants,
resets, exactness, append-only, and the concurrency guarantee."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from bot.app import Services
from bot.errors import NotAllowed, QuotaExceeded
from bot.jobs.manager import NewJob
from bot.jobs.model import Job, Origin
from bot.jobs.plan import plan_job
from bot.periods import period_key, period_reset, period_start, previous_period_key
from bot.quota import resolve_limits
from bot.store import errors as store_errors
from bot.store.guilds import GuildSettings, LimitRow
from bot.store.ledger import from_units, to_units
from tests.conftest import a_job, make_settings

GUILD = 111
ALICE, BOB = 201, 202
ARTISTS, PATRONS = 301, 302


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# -- periods ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "period", "key", "reset"),
    [
        # the last microsecond of a day, of a 31-day month, of a year
        (utc(2026, 1, 31, 23, 59, 59, 999999), "day", "2026-01-31", utc(2026, 2, 1)),
        (utc(2026, 1, 31, 23, 59, 59, 999999), "month", "2026-01", utc(2026, 2, 1)),
        (utc(2026, 12, 31, 23, 59, 59), "month", "2026-12", utc(2027, 1, 1)),
        (utc(2026, 4, 30, 12), "month", "2026-04", utc(2026, 5, 1)),
        # February of a leap year: the 29th exists, and the month ends after it
        (utc(2028, 2, 28, 23, 0), "day", "2028-02-28", utc(2028, 2, 29)),
        (utc(2028, 2, 29, 0, 0), "day", "2028-02-29", utc(2028, 3, 1)),
        (utc(2028, 2, 29, 18, 0), "month", "2028-02", utc(2028, 3, 1)),
        (utc(2027, 2, 28, 18, 0), "month", "2027-02", utc(2027, 3, 1)),
        # ISO weeks across the new year: 2026 has a week 53, 2027-01-03 (Sunday) still belongs to it
        (utc(2026, 12, 31, 10), "week", "2026-W53", utc(2027, 1, 4)),
        (utc(2027, 1, 3, 23, 59, 59), "week", "2026-W53", utc(2027, 1, 4)),
        (utc(2027, 1, 4, 0, 0), "week", "2027-W01", utc(2027, 1, 11)),
        # and 2024-12-30 (Monday) is already in 2025's week 1
        (utc(2024, 12, 30, 8), "week", "2025-W01", utc(2025, 1, 6)),
        (utc(2024, 12, 29, 23, 59), "week", "2024-W52", utc(2024, 12, 30)),
        # a Monday at midnight starts a new week; Sunday's last second ends the old one
        (utc(2026, 11, 16, 0, 0), "week", "2026-W47", utc(2026, 11, 23)),
    ],
)
def test_period_keys_and_resets_at_the_boundaries(now, period, key, reset):
    assert period_key(now, period) == key
    assert period_reset(now, period) == reset
    assert period_start(now, period) <= now < reset
    # the instant of the reset is already the next period
    assert period_key(reset, period) != key
    assert period_key(reset - timedelta(microseconds=1), period) == key


def test_periods_are_utc_whatever_the_clock_zone():
    tokyo = timezone(timedelta(hours=9))
    # 08:00 on 1 March in Tokyo is still 28 February in UTC.
    now = datetime(2026, 3, 1, 8, 0, tzinfo=tokyo)
    assert period_key(now, "day") == "2026-02-28"
    assert period_key(now, "month") == "2026-02"
    assert period_reset(now, "day") == utc(2026, 3, 1)


def test_previous_period():
    assert previous_period_key(utc(2026, 3, 1, 5), "day") == "2026-02-28"
    assert previous_period_key(utc(2028, 3, 1, 5), "day") == "2028-02-29"
    assert previous_period_key(utc(2027, 1, 5), "week") == "2026-W53"
    assert previous_period_key(utc(2027, 1, 15), "month") == "2026-12"


# -- limit resolution ---------------------------------------------------------------------------------


def test_limits_resolve_member_then_highest_role_then_guild_default_then_bot_default(tmp_path):
    settings = make_settings(tmp_path, quota_default_limit="100", quota_guild_limit="5000")
    member = LimitRow("member", ALICE, Decimal(7))
    role_small = LimitRow("role", ARTISTS, Decimal(20))
    role_big = LimitRow("role", PATRONS, Decimal(250))
    role_unlimited = LimitRow("role", PATRONS, None)
    default = LimitRow("default", 0, Decimal(30))
    budget = LimitRow("guild", 0, Decimal(900))

    assert resolve_limits([], settings).member == Decimal(100)
    assert resolve_limits([], settings).guild == Decimal(5000)
    assert resolve_limits([default], settings).member == Decimal(30)
    assert resolve_limits([default, role_small], settings).member == Decimal(20)  # a role beats the default
    assert resolve_limits([role_small, role_big, default], settings).member == Decimal(250)
    assert resolve_limits([role_small, role_unlimited], settings).member is None  # unlimited is highest
    resolved = resolve_limits([role_big, member, default, budget], settings)
    assert (resolved.member, resolved.source, resolved.guild) == (Decimal(7), "member", Decimal(900))


async def test_limits_come_from_the_store_with_the_members_roles(services: Services):
    guilds = services.quota.guilds
    await guilds.set_limit(GUILD, "role", ARTISTS, Decimal(20), actor_id=1)
    await guilds.set_limit(GUILD, "role", PATRONS, Decimal(60), actor_id=1)
    await guilds.set_limit(GUILD, "member", BOB, Decimal(0), actor_id=1)

    assert (await services.quota.limits(GUILD, ALICE, (ARTISTS,))).member == Decimal(20)
    assert (await services.quota.limits(GUILD, ALICE, (ARTISTS, PATRONS))).member == Decimal(60)
    no_roles = await services.quota.limits(GUILD, ALICE, ())
    assert no_roles.member == services.settings.quota_default_limit == Decimal(12)  # QUOTA_DEFAULT_LIMIT
    assert (await services.quota.limits(GUILD, BOB, (PATRONS,))).member == Decimal(0)  # override wins
    # Another guild's limits never apply.
    assert (await services.quota.limits(GUILD + 1, ALICE, (ARTISTS,))).member == Decimal(12)


# -- holds, charges, releases -------------------------------------------------------------------------


async def hold(services: Services, job: Job, roles: tuple[int, ...] = ()) -> Job:
    async with services.db.transaction() as conn:
        await services.jobs.insert(conn, job)
        await services.quota.hold(conn, job, role_ids=roles)
    return job


async def settle(services: Services, job: Job, cost: str) -> None:
    async with services.db.transaction() as conn:
        await services.quota.settle(conn, job, Decimal(cost))


async def release(services: Services, job: Job) -> None:
    async with services.db.transaction() as conn:
        await services.quota.release(conn, job, note="failed")


async def usage(services: Services, user_id: int | None = ALICE):
    key = await services.quota.period_for(GUILD)
    totals = await services.ledger.totals(GUILD, user_id, key)
    assert totals == await services.ledger.derive(GUILD, user_id, key), "totals drifted from the entries"
    return totals


async def test_a_hold_becomes_the_reported_charge_exactly(services: Services):
    jobs = [await hold(services, a_job(estimate="0.45")) for _ in range(3)]
    assert (await usage(services)).held == Decimal("1.35")

    for job in jobs:
        await settle(services, job, "0.45")
    now = await usage(services)
    assert (now.used, now.held) == (Decimal("1.35"), Decimal(0))
    assert str(now.used) == "1.35"  # no binary float anywhere on the way
    rows = await services.db.fetchall("SELECT amount FROM ledger WHERE kind = 'charge'")
    assert [r["amount"] for r in rows] == ["0.45", "0.45", "0.45"]
    # The guild's budget counts the same charges.
    assert (await usage(services, None)).used == Decimal("1.35")


async def test_charge_differs_from_the_estimate_and_is_not_doubled(services: Services):
    job = await hold(services, a_job(estimate="4"))
    await settle(services, job, "5")
    await settle(services, job, "5")  # a second callback or poll: idempotent
    await release(services, job)  # a late failure after the charge: nothing to give back
    now = await usage(services)
    assert (now.used, now.held) == (Decimal(5), Decimal(0))


async def test_failure_releases_the_hold_and_a_provider_charge_on_failure_is_kept(services: Services):
    refunded = await hold(services, a_job(estimate="4"))
    charged_anyway = await hold(services, a_job(estimate="4"))
    assert (await usage(services)).held == Decimal(8)

    await release(services, refunded)
    await release(services, refunded)
    await settle(services, charged_anyway, "1.5")  # the provider reported a charge despite failing

    now = await usage(services)
    assert (now.used, now.held) == (Decimal("1.5"), Decimal(0))
    kinds = await services.db.fetchall("SELECT kind FROM ledger WHERE job_id = ? ORDER BY id", (refunded.id,))
    assert [r["kind"] for r in kinds] == ["hold", "release"]


async def test_a_refused_hold_says_why_what_remains_and_when_it_resets(services: Services):
    await services.quota.guilds.set_limit(GUILD, "member", ALICE, Decimal(10), actor_id=1)
    first = await hold(services, a_job(estimate="4"))
    await settle(services, first, "4")
    await hold(services, a_job(estimate="4"))  # 4 used + 4 held

    with pytest.raises(QuotaExceeded) as refused:
        await hold(services, a_job(estimate="4"))

    message = refused.value.message
    resets = int(period_reset(services.quota.now(), "day").timestamp())
    assert "needs about 4 credits" in message
    assert "you have 2 left of 10" in message
    assert "4 of it held" in message
    assert f"<t:{resets}:R>" in message
    assert "Nothing was charged." in message
    # The refused job left no trace: neither a job row nor an entry.
    assert len(await services.db.fetchall("SELECT id FROM jobs")) == 2
    assert (await usage(services)).committed == Decimal(8)


async def test_a_zero_limit_blocks_even_a_free_job_and_unlimited_lifts(services: Services):
    guilds = services.quota.guilds
    await guilds.set_limit(GUILD, "default", 0, Decimal(0), actor_id=1)
    with pytest.raises(QuotaExceeded, match="not enabled for you"):
        await hold(services, a_job(estimate="0"))

    await guilds.set_limit(GUILD, "role", PATRONS, None, actor_id=1)
    for _ in range(5):
        await hold(services, a_job(estimate="400"), roles=(PATRONS,))
    assert (await usage(services)).held == Decimal(2000)


async def test_the_early_check_reads_no_usage_when_no_limit_applies(services: Services, monkeypatch):
    """`precheck` (before a command is acknowledged): with the member unlimited and no server budget
    nothing can be refused, and the member's usage is not read (a round trip per command on
    PostgreSQL); with a limit or a budget it is, and refuses as the hold would."""
    read: list[int | None] = []
    standing = services.quota.ledger.standing

    async def counted(guild_id, *args, **kwargs):
        read.append(guild_id)
        return await standing(guild_id, *args, **kwargs)

    monkeypatch.setattr(services.quota.ledger, "standing", counted)
    quota, guilds = services.quota, services.quota.guilds
    await guilds.set_limit(GUILD, "default", 0, None, actor_id=1)  # every member unlimited
    await hold(services, a_job(estimate="400"))
    await quota.precheck(GUILD, ALICE, (), "bfl", "flux-pro-1.1", count=4)
    assert read == []

    await guilds.set_limit(GUILD, "member", ALICE, Decimal(10), actor_id=1)
    with pytest.raises(QuotaExceeded):
        await quota.precheck(GUILD, ALICE, (), "bfl", "flux-pro-1.1")
    await quota.precheck(GUILD, BOB, (), "bfl", "flux-pro-1.1")
    await guilds.set_limit(GUILD, "guild", 0, Decimal(100), actor_id=1)  # a budget: Bob too
    with pytest.raises(QuotaExceeded, match="This server's image budget"):
        await quota.precheck(GUILD, BOB, (), "bfl", "flux-pro-1.1")
    assert read == [GUILD, GUILD]


async def test_the_guild_budget_refuses_even_members_with_room(services: Services):
    await services.quota.guilds.set_limit(GUILD, "guild", 0, Decimal(10), actor_id=1)
    await hold(services, a_job(user_id=ALICE, estimate="4"))
    await hold(services, a_job(user_id=BOB, estimate="4"))
    with pytest.raises(QuotaExceeded, match="This server's image budget"):
        await hold(services, a_job(user_id=BOB, estimate="4"))

    # A grant to the guild's budget lets it through.
    await services.quota.grant(GUILD, None, Decimal(2), actor_id=1)
    await hold(services, a_job(user_id=BOB, estimate="4"))
    assert (await usage(services, None)).held == Decimal(12)


async def test_grants_raise_the_limit_for_the_current_period_only(services: Services):
    await services.quota.guilds.set_limit(GUILD, "member", ALICE, Decimal(4), actor_id=1)
    await hold(services, a_job(estimate="4"))
    with pytest.raises(QuotaExceeded):
        await hold(services, a_job(estimate="4"))

    await services.quota.grant(GUILD, [ALICE], Decimal("4.5"), actor_id=9)
    await hold(services, a_job(estimate="4"))
    standing = await services.quota.standing(GUILD, ALICE)
    assert (standing.limit, standing.usage.granted, standing.remaining) == (
        Decimal(4),
        Decimal("4.5"),
        Decimal("0.5"),
    )
    # Tomorrow the grant is gone and so is the usage.
    services.quota.clock = lambda: datetime.now(UTC) + timedelta(days=1)
    tomorrow = await services.quota.standing(GUILD, ALICE)
    assert (tomorrow.usage.granted, tomorrow.usage.committed, tomorrow.remaining) == (0, 0, Decimal(4))


async def test_reset_forgives_the_member_but_the_guild_really_spent_it(services: Services):
    job = await hold(services, a_job(estimate="4"))
    await settle(services, job, "4")
    running = await hold(services, a_job(estimate="4"))

    assert await services.quota.reset(GUILD, [ALICE], actor_id=9) == 1
    member = await usage(services)
    assert (member.used, member.held) == (Decimal(0), Decimal(4))  # a running job keeps its hold
    assert (await usage(services, None)).used == Decimal(4)

    await services.quota.reset(GUILD, None, actor_id=9)  # the whole server, budget included
    assert (await usage(services, None)).used == Decimal(0)
    await settle(services, running, "4")
    assert (await usage(services)).used == Decimal(4)


async def test_the_ledger_is_append_only(services: Services):
    job = await hold(services, a_job())
    for statement in ("UPDATE ledger SET amount = '0'", "DELETE FROM ledger"):
        with pytest.raises(store_errors.INTEGRITY_ERRORS, match="append-only"):
            async with services.db.transaction() as conn:
                await conn.execute(statement)
    assert (await usage(services)).held == Decimal(4)
    assert job.id


def test_units_are_exact_to_a_millionth_and_round_up_beyond():
    assert to_units(Decimal("0.45")) == 450_000
    assert to_units(Decimal("123456.000001")) == 123_456_000_001
    assert to_units(Decimal("0.0000001")) == 1  # never undercharged
    assert from_units(1_350_000) == Decimal("1.35")
    assert str(from_units(5_000_000)) == "5"


# -- estimates ----------------------------------------------------------------------------------------


async def test_the_estimate_is_the_last_real_charge_for_that_model_and_size(services: Services):
    quota = services.quota
    assert await quota.estimate("ttapi", "flux-pro-1.1", "1024x768") == Decimal(4)  # public price

    job = await hold(services, a_job(estimate="4", width=1024, height=768))
    await settle(services, job, "3.5")
    assert await quota.estimate("ttapi", "flux-pro-1.1", "1024x768") == Decimal("3.5")
    assert await quota.estimate("ttapi", "flux-pro-1.1", "1440x1440") == Decimal(4)  # another size
    assert await quota.estimate("bfl", "flux-pro-1.1", "1024x768") == Decimal(4)  # another provider


async def test_a_charge_made_by_another_process_is_used_once_the_cached_price_expires(
    services: Services, monkeypatch
):
    from bot import quota as quota_module

    clock = [1000.0]
    monkeypatch.setattr(quota_module.time, "monotonic", lambda: clock[0])
    quota = services.quota
    assert await quota.estimate("ttapi", "flux-pro-1.1", "1024x768") == Decimal(4)
    # The command line on the same file: its own QuotaService records the charge.
    cli = quota_module.QuotaService(services.settings, quota.ledger, quota.prices)
    job = await hold(services, a_job(estimate="4", width=1024, height=768))
    async with services.db.transaction() as conn:
        await cli.settle(conn, job, Decimal("3.5"))

    assert await quota.estimate("ttapi", "flux-pro-1.1", "1024x768") == Decimal(4)  # cached
    clock[0] += quota_module.PRICE_TTL
    assert await quota.estimate("ttapi", "flux-pro-1.1", "1024x768") == Decimal("3.5")


async def test_the_operator_overrides_the_price_table(tmp_path):
    from bot.app import open_services

    settings = make_settings(tmp_path, quota_prices="flux-pro-1.1=2.25,ttapi:flux-mystery=9")
    async with open_services(settings) as opened:
        assert await opened.quota.estimate("ttapi", "flux-pro-1.1", None) == Decimal("2.25")
        assert await opened.quota.estimate("bfl", "flux-pro-1.1", None) == Decimal("2.25")
        assert await opened.quota.estimate("ttapi", "flux-mystery", None) == Decimal(9)
        # A model with no price at all is held at the dearest known price, never at zero.
        assert await opened.quota.estimate("bfl", "flux-unknown", None) > 0


def test_a_bad_price_override_is_a_settings_error(tmp_path):
    from pydantic import ValidationError

    from bot.settings import settings_problems

    with pytest.raises(ValidationError) as error:
        make_settings(tmp_path, quota_prices="flux-dev=cheap")
    assert settings_problems(error.value) == [
        "QUOTA_PRICES: the price of flux-dev must be a number of credits from 0 to 1,000,000,000, "
        "with at most 6 decimals"
    ]


# -- guild rules at acceptance ------------------------------------------------------------------------


async def test_a_model_the_guild_does_not_allow_is_refused_when_held(services: Services):
    await services.quota.guilds.save_settings(GuildSettings(GUILD, allowed_models=("flux-dev",)), actor_id=1)
    with pytest.raises(NotAllowed, match="not allowed on this server"):
        await hold(services, a_job())


async def test_a_guild_period_of_its_own(services: Services):
    await services.quota.guilds.save_settings(GuildSettings(GUILD, quota_period="month"), actor_id=1)
    job = await hold(services, a_job())
    row = await services.db.fetchone("SELECT period FROM ledger WHERE job_id = ?", (job.id,))
    assert row["period"] == datetime.now(UTC).strftime("%Y-%m")
    standing = await services.quota.standing(GUILD, ALICE)
    assert standing.resets_at == period_reset(datetime.now(UTC), "month")


# -- concurrency --------------------------------------------------------------------------------------


@pytest.fixture
def database_settings(database_url: str) -> dict[str, Any]:
    return {"database_url": database_url}  # every test here, on each backend


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    # The queue limit must not be what refuses: the quota is.
    return {"max_queued_jobs_per_user": 200, "quota_default_limit": "12"}


def new_job(user_id: int = ALICE) -> NewJob:
    plan = plan_job("a cat", {}, default_model="flux-pro-1.1", available=["ttapi"], preferred="ttapi")
    return NewJob.from_plan(plan, origin=Origin.DISCORD, user_id=user_id, guild_id=GUILD, channel_id=5)


async def test_fifty_concurrent_commands_against_a_limit_that_admits_three(services: Services):
    """Estimate 4 (the public price), limit 12: exactly three of fifty simultaneous submits pass."""
    results = await asyncio.gather(
        *(services.manager.submit(new_job()) for _ in range(50)), return_exceptions=True
    )

    accepted = [r for r in results if isinstance(r, Job)]
    refused = [r for r in results if isinstance(r, QuotaExceeded)]
    assert (len(accepted), len(refused)) == (3, 47)
    assert (await usage(services)).held == Decimal(12)
    assert len(await services.jobs.for_user(ALICE, limit=100)) == 3


async def test_fifty_members_at_once_against_a_guild_budget_that_admits_three(services: Services):
    await services.quota.guilds.set_limit(GUILD, "guild", 0, Decimal(12), actor_id=1)
    results = await asyncio.gather(
        *(services.manager.submit(new_job(user_id=1000 + i)) for i in range(50)), return_exceptions=True
    )
    assert sum(isinstance(r, Job) for r in results) == 3
    assert sum(isinstance(r, QuotaExceeded) for r in results) == 47
    assert (await usage(services, None)).held == Decimal(12)
