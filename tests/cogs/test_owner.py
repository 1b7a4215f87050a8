"""`/owner`: the bot owners' pause, blocks and figures (issue 19, item 5), in simulated Discord with
the real bot, the store on each backend and the fake TTAPI.

`/owner` is registered only in the servers of OWNER_GUILD_IDS (the owners' HQ here, with a pinned
id) and obeys only BOT_OWNER_IDS; the pause and the blocks live in the store, so a restart, or
another process of the bot, sees them.
"""

from __future__ import annotations

import re
from typing import Any

import discord
import pytest

from bot.app import open_services
from bot.discord.client import FluxBot
from bot.errors import NotAllowed
from bot.jobs.model import JobState
from tests.conftest import FAST_POLLING, finish_jobs, refusals
from tests.helpers import private_text

HQ_ID = 900_000_000_000_000_001


@pytest.fixture
def database_settings(database_url: str) -> dict[str, Any]:
    return {"database_url": database_url}  # every test here, on each backend


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"owner_guild_ids": str(HQ_ID)}


@pytest.fixture
def hq(simcord_env, running) -> dict[str, Any]:
    """The owners' server: its owner is the bot owner; a second admin there is not."""
    owner = simcord_env.create_user("owner")
    guild = simcord_env.create_guild("HQ", id=HQ_ID, owner=owner)
    admins = guild.create_role("admins", permissions=discord.Permissions(administrator=True))
    admin = guild.add_member(simcord_env.create_user("admin"), roles=[admins])
    running.settings.bot_owner_ids = (owner.id,)  # BOT_OWNER_IDS (SimCord picks user ids itself)
    return {
        "guild": guild,
        "channel": guild.create_text_channel("ops"),
        "owner": owner,
        "member": guild.add_member(owner),
        "admin": admin,
    }


def answer(result) -> Any:
    return result.followups[-1] if result.followups else result.response


async def test_owner_is_only_in_the_owner_guilds_and_refused_to_anyone_else(simcord_env, running, server, hq):
    owner = hq["member"]
    assert "owner pause" in owner.available_commands(hq["channel"])
    assert "owner pause" not in server["mod"].available_commands(server["channel"])
    assert not any(c.startswith("owner") for c in server["alice"].available_commands(server["channel"]))

    refused = await hq["admin"].slash(hq["channel"], "owner pause", reason="mine now")
    assert refused.ephemeral
    assert refused.response.content == "Only the bot's owners can use `/owner`."
    assert [type(e) for e in refusals(simcord_env)] == [NotAllowed]
    assert await running.owner.paused() is None


async def test_a_pause_refuses_new_jobs_with_its_reason_lets_running_ones_finish_and_survives_a_restart(
    simcord_env, running, server, hq, fake_ttapi, settings
):
    alice, channel = server["alice"], server["channel"]
    owner = hq["member"]
    fake_ttapi.duration = 0.5
    started = await alice.slash(channel, "imagine", prompt="a lighthouse before the pause")

    paused = await owner.slash(hq["channel"], "owner pause", reason="maintenance until 18:00")
    assert "Paused" in answer(paused).content
    refused = await alice.slash(channel, "imagine", prompt="a lighthouse during the pause")
    said = private_text(refused)
    assert "paused by its owner" in said
    assert "maintenance until 18:00" in said
    await finish_jobs(simcord_env, running)
    assert len(started.response.attachments) == 1  # the running job finished

    # A restart: new services on the same store, a new bot. The pause is still there.
    async with open_services(settings, poll_policy=FAST_POLLING) as fresh:
        await simcord_env.restart_bot(FluxBot(fresh, sync="global"))  # registers its sink first
        with simcord_env.time_context():
            await fresh.manager.start()
        try:
            fresh.settings.bot_owner_ids = (hq["owner"].id,)
            again = await alice.slash(channel, "imagine", prompt="a lighthouse after the restart")
            assert "maintenance until 18:00" in private_text(again)

            resumed = await owner.slash(hq["channel"], "owner resume")
            assert answer(resumed).content == "Resumed: new jobs are accepted again."
            after = await alice.slash(channel, "imagine", prompt="a lighthouse after the resume")
            await finish_jobs(simcord_env, fresh)
            assert len(after.response.attachments) == 1
        finally:
            await fresh.manager.stop()
    assert [type(e) for e in refusals(simcord_env)] == [NotAllowed, NotAllowed]
    # Nothing was held for the refused jobs: two jobs, two holds, two submits.
    holds = await running.db.fetchall("SELECT job_id FROM ledger WHERE kind = 'hold'")
    assert len(holds) == 2
    assert len(fake_ttapi.submits()) == 2


async def test_blocking_a_member_or_a_server_refuses_their_jobs_until_unblocked(
    simcord_env, running, server, hq, fake_ttapi
):
    alice, bob, channel, guild = server["alice"], server["bob"], server["channel"], server["guild"]
    owner = hq["member"]

    blocked = await owner.slash(
        hq["channel"], "owner block", kind="member", target=alice.mention, reason="spam"
    )
    assert f"Blocked member `{alice.id}`" in answer(blocked).content
    refused = await alice.slash(channel, "imagine", prompt="a cat")
    assert "You are blocked" in private_text(refused)
    allowed = await bob.slash(channel, "imagine", prompt="a dog")
    await finish_jobs(simcord_env, running)
    assert len(allowed.response.attachments) == 1

    await owner.slash(hq["channel"], "owner block", kind="guild", target=str(guild.id))
    server_refused = await bob.slash(channel, "imagine", prompt="another dog")
    assert "This server is blocked" in private_text(server_refused)
    bad = await owner.slash(hq["channel"], "owner block", kind="guild", target="not an id")
    assert "Give the guild as an id" in bad.response.content

    await owner.slash(hq["channel"], "owner unblock", kind="guild", target=str(guild.id))
    unblocked = await owner.slash(hq["channel"], "owner unblock", kind="member", target=str(alice.id))
    assert answer(unblocked).content == f"Unblocked member `{alice.id}`."
    again = await owner.slash(hq["channel"], "owner unblock", kind="member", target=str(alice.id))
    assert answer(again).content == f"Member `{alice.id}` was not blocked."
    works = await alice.slash(channel, "imagine", prompt="a cat, at last")
    await finish_jobs(simcord_env, running)
    assert len(works.response.attachments) == 1
    assert [str(type(e).__name__) for e in refusals(simcord_env)] == [
        "NotAllowed",
        "NotAllowed",
        "InvalidInput",
    ]
    assert len(fake_ttapi.submits()) == 2


async def test_stats_count_jobs_errors_and_credits_per_server_and_provider(
    simcord_env, running, server, hq, fake_ttapi
):
    alice, channel, guild = server["alice"], server["channel"], server["guild"]
    owner = hq["member"]
    fake_ttapi.cost = "5"
    await alice.slash(channel, "imagine", prompt="one")
    await alice.slash(channel, "imagine", prompt="two")
    await finish_jobs(simcord_env, running)
    fake_ttapi.fail_next("broken")
    await alice.slash(channel, "imagine", prompt="three")
    await finish_jobs(simcord_env, running)
    states = sorted(j.state for j in await running.jobs.for_user(alice.id))
    assert states == sorted([JobState.DELIVERED, JobState.DELIVERED, JobState.FAILED])

    shown = await owner.slash(hq["channel"], "owner stats", period="week")
    embed = answer(shown).embeds[0]
    assert embed.title == "Jobs in the last week"
    assert embed.description == f"Artists (`{guild.id}`) · ttapi: 3 jobs, 1 error, 10 credits"


async def test_the_owner_and_the_refused_member_each_read_their_own_language(
    simcord_env, running, server, hq, client_languages
):
    alice, channel = server["alice"], server["channel"]
    owner = hq["member"]
    client_languages[owner.id] = "de"
    client_languages[alice.id] = "ru"

    paused = await owner.slash(hq["channel"], "owner pause", reason="Wartung")
    assert answer(paused).content.startswith("Pausiert: Neue Aufträge werden mit „Wartung“ abgelehnt")
    refused = await alice.slash(channel, "imagine", prompt="a lighthouse during the pause")
    said = private_text(refused)
    assert said.startswith("Владелец приостановил бота")
    assert said.endswith("новых заданий: Wartung. Ничего не списано.")
    resumed = await owner.slash(hq["channel"], "owner resume")
    assert answer(resumed).content == "Fortgesetzt: Neue Aufträge werden wieder angenommen."
    blocked = await owner.slash(hq["channel"], "owner block", kind="member", target=alice.mention)
    assert answer(blocked).content.startswith(f"Mitglied `{alice.id}` gesperrt")
    refused = await alice.slash(channel, "imagine", prompt="a cat")
    assert private_text(refused) == (
        "Вам запрещено пользоваться командами изображений этого бота. Ничего не списано."
    )
    assert [type(e) for e in refusals(simcord_env)] == [NotAllowed, NotAllowed]


def select_options(message: Any) -> list[str]:
    """The values of the select under a paged answer (none when it has one page)."""
    return [
        option["value"]
        for row in message.components
        for component in row.get("components", [])
        if component.get("type") == discord.ComponentType.string_select.value
        for option in component["options"]
    ]


async def test_blocks_lists_the_blocked_members_and_servers_with_reason_who_and_when(
    simcord_env, running, server, hq, client_languages
):
    alice, guild = server["alice"], server["guild"]
    owner = hq["member"]
    empty = await owner.slash(hq["channel"], "owner blocks")
    assert answer(empty).embeds[0].title == "Blocked members and servers: 0"
    assert answer(empty).embeds[0].description == "No member and no server is blocked."

    await owner.slash(hq["channel"], "owner block", kind="member", target=alice.mention, reason="spam")
    await owner.slash(hq["channel"], "owner block", kind="guild", target=str(guild.id))
    listed = await owner.slash(hq["channel"], "owner blocks")
    shown = answer(listed)
    assert shown.ephemeral
    embed = shown.embeds[0]
    assert embed.title == "Blocked members and servers: 2"
    newest, older = embed.description.splitlines()
    assert re.fullmatch(
        rf"Server Artists \(`{guild.id}`\) · no reason given · by <@{owner.id}>, <t:\d+:R>", newest
    ), newest
    assert re.fullmatch(
        rf"Member <@{alice.id}> \(`{alice.id}`\) · “spam” · by <@{owner.id}>, <t:\d+:R>", older
    )
    assert select_options(shown) == []  # one page: no select

    client_languages[owner.id] = "ru"
    russian = await owner.slash(hq["channel"], "owner blocks")
    assert answer(russian).embeds[0].title == "Заблокированные участники и серверы: 2"
    assert "причина не указана" in answer(russian).embeds[0].description
    refused = await hq["admin"].slash(hq["channel"], "owner blocks")
    assert "Only the bot's owners" in refused.response.content
    assert [type(e) for e in refusals(simcord_env)] == [NotAllowed]


async def test_many_blocks_are_paged_within_the_embed_limits(simcord_env, running, server, hq):
    owner = hq["member"]
    for number in range(300):  # as many owners' blocks as a busy bot may gather, with long reasons
        await running.owner.block("member", 10**17 + number, f"reason {number} " + "x" * 150, by=owner.id)
    listed = await owner.slash(hq["channel"], "owner blocks")
    shown = answer(listed)
    pages = select_options(shown)
    assert 2 <= len(pages) <= 25
    seen: list[str] = []
    for value in pages:
        if value != pages[0]:
            chosen = await owner.select(shown.message, [value])
            assert chosen.acknowledged
        embed = answer(listed).embeds[0]
        assert embed.title == "Blocked members and servers: 300"
        assert len(embed.description) <= 4096
        assert len(embed) <= 6000
        seen += embed.description.splitlines()
    listed_ids = [line.split("`")[1] for line in seen if line.startswith("Member")]
    assert len(listed_ids) == len(set(listed_ids))  # no block twice
    assert len(listed_ids) == 300  # every one, on fewer than 25 pages
    assert listed_ids[0] == str(10**17 + 299)  # the newest first


async def test_past_25_pages_the_oldest_blocks_are_counted_on_the_last_page(simcord_env, running, server, hq):
    owner = hq["member"]
    async with running.db.transaction() as conn:  # a thousand blocks with the longest reasons
        for number in range(1000):
            await conn.execute(
                "INSERT INTO owner_blocks (kind, target_id, reason, actor_id, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                ("member", 10**17 + number, "r" * 300, owner.id, 1_700_000_000.0 + number),
            )
    listed = await owner.slash(hq["channel"], "owner blocks")
    pages = select_options(answer(listed))
    assert len(pages) == 25
    await owner.select(answer(listed).message, [pages[-1]])
    last = answer(listed).embeds[0]
    assert len(last.description) <= 4096
    *lines, more = last.description.splitlines()
    assert lines
    counted = re.fullmatch(r"… and (\d+) older, not listed\.", more)
    assert counted is not None
    left = int(counted.group(1))
    assert 0 < left < 1000
    # Newest first: the last one listed is the one just newer than the `left` oldest, not listed.
    assert lines[-1].startswith(f"Member <@{10**17 + left}>")
