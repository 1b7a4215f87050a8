"""The BFL balance (issue 19, item 6): `GET /v1/credits` against the fake BFL, one warning per
crossing below LOW_BALANCE_CREDITS (in the log and in the audit channel of each server that has
one), and the figure on `/metrics`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from bot.balance import BalanceWatch
from bot.store import open_database
from bot.store.bot_state import BotState
from bot.web import bound_port, serve
from tests.fakes.bfl import FakeBFL


@pytest.fixture
def database_settings(database_url: str) -> dict[str, Any]:
    return {"database_url": database_url}  # every test here, on each backend


@pytest.fixture
def settings_overrides(fake_bfl: FakeBFL) -> dict[str, Any]:
    return {"bfl_api_key": fake_bfl.api_key, "bfl_base_url": fake_bfl.url, "low_balance_credits": "100"}


async def audit_lines_arrive(channel, words: str, count: int, seconds: float = 8.0) -> list[str]:
    """The lines posted in `channel` holding `words`, once there are `count` of them (or time is up)."""
    lines: list[str] = []
    for _ in range(int(seconds / 0.05)):
        lines = [line for m in channel.history() for line in m.content.splitlines() if words in line]
        if len(lines) >= count:
            break
        await asyncio.sleep(0.05)
    return lines


async def test_a_low_balance_warns_once_per_crossing_in_the_log_and_every_audit_channel(
    simcord_env, simcord_bot, running, server, fake_bfl, caplog
):
    guild, mod, channel = server["guild"], server["mod"], server["channel"]
    log_channel = guild.create_text_channel("audit-log")
    await mod.slash(channel, "admin settings", audit_channel=f"<#{log_channel.id}>")
    quiet = simcord_env.create_guild("Quiet")  # no audit channel: nothing is kept for it
    with simcord_env.time_context():
        simcord_bot.audit.start()
    simcord_bot.audit.interval = 0.2
    watch = running.balance
    try:
        caplog.set_level(logging.INFO, logger="bot.balance")
        fake_bfl.credits = 250
        assert await watch.check() == Decimal(250)
        fake_bfl.credits = 99.5
        assert await watch.check() == Decimal("99.5")
        fake_bfl.credits = 80
        await watch.check()  # still low: no second warning
        fake_bfl.credits = 150
        await watch.check()  # back above: the next crossing warns again
        fake_bfl.credits = 42
        await watch.check()
        lines = await audit_lines_arrive(log_channel, "balance is low", 2)
    finally:
        await simcord_bot.audit.stop()

    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        "the BFL balance is low: 99.5 credits left (LOW_BALANCE_CREDITS=100)",
        "the BFL balance is low: 42 credits left (LOW_BALANCE_CREDITS=100)",
    ]
    assert lines == [
        "⚠️ The bot's BFL balance is low: 99.5 credits left (warning below 100).",
        "⚠️ The bot's BFL balance is low: 42 credits left (warning below 100).",
    ]
    assert await running.audit.count(quiet.id) == 0
    assert len([r for r in fake_bfl.requests if r.path == "/v1/credits"]) == 5


async def test_the_warning_is_not_repeated_after_a_restart_and_metrics_show_the_balance(
    services, settings, fake_bfl
):
    fake_bfl.credits = 12.25
    assert await services.balance.check() == Decimal("12.25")
    told: list[Decimal] = []

    async def listener(balance: Decimal, threshold: Decimal) -> None:
        told.append(balance)

    # Another start (or process) on the same store: the crossing was already told.
    again = BalanceWatch(
        services.balance.provider, services.balance.state, services.manager.metrics, threshold=Decimal(100)
    )
    again.on_low(listener)
    await again.check()
    assert told == []

    async with (
        serve(settings, services, None) as site,
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{bound_port(site)}/metrics") as response,
    ):
        text = await response.text()
    assert 'fluxbot_provider_balance_credits{provider="bfl"} 12.25' in text


async def test_without_bfl_there_is_nothing_to_watch(tmp_path):
    from bot.jobs.metrics import JobMetrics

    watch = BalanceWatch(None, None, JobMetrics(), threshold=Decimal(1))  # type: ignore[arg-type]
    assert await watch.check() is None
    watch.start()
    assert watch._task is None


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_gateways_checking_at_once_warn_once_per_crossing(
    services, database_url, tmp_path, fake_bfl, caplog
):
    """Several gateway processes on one PostgreSQL each run their own balance watch: whichever sets
    the store's mark first warns (a compare-and-set), the others see the crossing told. Three
    processes (their own connections), five crossings, checking at the same moment."""
    told: list[int] = []
    async with contextlib.AsyncExitStack() as stack:
        watches = []
        for n in range(3):
            db = await stack.enter_async_context(open_database(database_url, data_dir=tmp_path / f"p{n}"))
            watch = BalanceWatch(
                services.balance.provider, BotState(db), services.manager.metrics, threshold=Decimal(100)
            )

            async def listener(balance: Decimal, threshold: Decimal, n: int = n) -> None:
                told.append(n)

            watch.on_low(listener)
            watches.append(watch)
        caplog.set_level(logging.WARNING, logger="bot.balance")
        for crossing in range(5):
            fake_bfl.credits = 500
            await asyncio.gather(*(w.check() for w in watches))
            fake_bfl.credits = 10 + crossing
            for _ in range(3):  # and again: still the same crossing
                await asyncio.gather(*(w.check() for w in watches))
            assert len(told) == crossing + 1
    warnings = [r.getMessage() for r in caplog.records if "balance is low" in r.getMessage()]
    assert len(warnings) == 5
