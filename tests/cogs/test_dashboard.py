"""`/dashboard`: a private one-time sign-in link; and the dashboard's view of members, asked of the
bot itself (its gateway cache, then REST), as in production."""

from __future__ import annotations

import re
from typing import Any

import pytest

from bot.dashboard.members import DiscordDirectory
from bot.i18n import t
from bot.store.web import WebStore
from tests.conftest import refusals
from tests.helpers import private_text


@pytest.fixture
def database_settings(database_url: str) -> dict[str, Any]:
    return {"database_url": database_url}


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"web_public_url": "https://bot.example.org"}


async def test_dashboard_answers_privately_with_a_link_that_works_once(
    simcord_env, running, guild_setup, caplog
):
    guild, channel, alice = guild_setup
    result = await alice.slash(channel, "dashboard")
    text = private_text(result)
    found = re.search(r"https://bot\.example\.org/login/([A-Za-z0-9_-]{43})\b", text)
    assert found is not None, text
    assert "works once, for 10 minutes" in text
    token = found.group(1)
    assert token not in caplog.text  # never logged
    store = WebStore(running.db)
    assert await store.redeem_link(token) == (alice.id, guild.id)
    assert await store.redeem_link(token) is None
    again = await alice.slash(channel, "dashboard")
    assert token not in private_text(again)  # a new link each time


@pytest.mark.parametrize("settings_overrides", [{}])
async def test_without_web_public_url_dashboard_says_so(simcord_env, running, guild_setup):
    _, channel, alice = guild_setup
    await alice.slash(channel, "dashboard")
    assert [str(r) for r in refusals(simcord_env)] == [t("en-US", "dashboard-not-set-up")]


async def test_the_directory_reads_the_bots_current_view_of_members(simcord_env, simcord_bot, server):
    directory = DiscordDirectory(simcord_bot)
    guild = server["guild"]
    with simcord_env.time_context():
        mod = await directory.member(guild.id, server["mod"].id)
        alice = await directory.member(guild.id, server["alice"].id)
        stranger = await directory.member(guild.id, 123456789012345678)
        roles = dict(await directory.roles(guild.id))
    assert mod is not None
    assert mod.manage_guild is True
    assert mod.guild_name == "Artists"
    assert alice is not None
    assert alice.manage_guild is False
    assert stranger is None
    assert roles[server["artists"].id] == "artists"
    # An OAuth sign-in's servers: only those the bot is in are asked about.
    assert directory.shared([123, guild.id, 456]) == [guild.id]
