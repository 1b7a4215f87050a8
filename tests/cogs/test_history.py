"""`/history`: ephemeral, paged with buttons that survive a restart, a link to each posted image,
and only admins may read someone else's."""

from __future__ import annotations

from typing import Any

import discord
import pytest

from bot.discord.client import FluxBot
from bot.errors import NotAllowed
from tests.conftest import finish_jobs, refusals


@pytest.fixture
def database_settings(database_url: str) -> dict[str, Any]:
    return {"database_url": database_url}  # every test here, on each backend


async def test_history_lists_jobs_with_state_cost_and_a_link_to_the_image(
    simcord_env, running, guild_setup, fake_ttapi
):
    guild, channel, alice = guild_setup
    posted = await alice.slash(channel, "imagine", prompt="a lighthouse at dusk")
    await finish_jobs(simcord_env, running)
    fake_ttapi.fail_next("prompt violation")
    await alice.slash(channel, "imagine", prompt="something the filter dislikes")
    await finish_jobs(simcord_env, running)

    result = await alice.slash(channel, "history")

    assert result.ephemeral
    embed = result.response.embeds[0]
    assert embed.title == "Image history of alice"
    newest, _, oldest, _ = embed.description.splitlines()
    assert newest.startswith("🚫 **moderated**")
    assert "nothing charged" in newest
    assert oldest.startswith("✅ **delivered**")
    assert "5 credits" in oldest
    jump = f"https://discord.com/channels/{guild.id}/{channel.id}/{posted.response.id}"
    assert f"[image]({jump})" in embed.description
    assert embed.footer.text == "Page 1 of 1"


async def test_history_pages_with_buttons_that_survive_a_restart(
    simcord_env, running, guild_setup, services, fake_ttapi
):
    _, channel, alice = guild_setup
    for i in range(7):
        await alice.slash(channel, "imagine", prompt=f"picture number {i}")
        await finish_jobs(simcord_env, running)

    first = await alice.slash(channel, "history")
    page_one = first.response.embeds[0]
    assert page_one.footer.text == "Page 1 of 2"
    assert "picture number 6" in page_one.description
    assert "picture number 1" not in page_one.description

    await simcord_env.restart_bot(FluxBot(services, sync="none"))
    older = await alice.click(first.response.message, label="Older ▶")
    assert older.acknowledged
    page_two = first.response.embeds[0]
    assert page_two.footer.text == "Page 2 of 2"
    assert "picture number 1" in page_two.description
    assert "picture number 0" in page_two.description
    assert "picture number 6" not in page_two.description

    await alice.click(first.response.message, label="◀ Newer")
    assert first.response.embeds[0].footer.text == "Page 1 of 2"


async def test_only_admins_read_someone_elses_history(simcord_env, running, guild_setup):
    guild, channel, alice = guild_setup
    bob = guild.add_member(simcord_env.create_user("bob"))
    admins = guild.create_role("admins", permissions=discord.Permissions(manage_guild=True))
    mod = guild.add_member(simcord_env.create_user("mod"), roles=[admins])

    peek = await bob.slash(channel, "history", member=alice)
    assert peek.ephemeral
    assert "Manage Server" in peek.response.content
    assert [type(e) for e in refusals(simcord_env)] == [NotAllowed]

    allowed = await mod.slash(channel, "history", member=alice)
    assert allowed.response.embeds[0].title == "Image history of alice"
    assert allowed.response.embeds[0].description == "No images yet."
