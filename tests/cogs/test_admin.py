"""`/admin quota ...`, `/admin settings`, `/quota` and the guild rules, as members and admins use them
in simulated Discord, with the real bot, the real SQLite file and the fake TTAPI."""

from __future__ import annotations

import asyncio
import io
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from PIL import Image

from bot.errors import InvalidInput, NotAllowed, QuotaExceeded
from tests.conftest import CHANNEL_MESSAGE, acknowledged_with, finish_jobs, refusals
from tests.helpers import show_admin_to


@pytest.fixture
def database_settings(database_url: str) -> dict[str, Any]:
    return {"database_url": database_url}  # every test here, on each backend


def fields(result) -> dict[str, str]:
    message = result.response if result.response is not None else result.followups[-1]
    return {f.name: f.value for f in message.embeds[0].fields}


# -- permissions ---------------------------------------------------------------------------------------


async def test_an_ordinary_member_does_not_even_see_admin(simcord_env, running, server):
    assert "admin quota limit" not in server["alice"].available_commands(server["channel"])
    assert "admin quota limit" in server["mod"].available_commands(server["channel"])


async def test_the_bot_refuses_admin_to_a_member_the_client_shows_it_to(simcord_env, running, server):
    alice, channel = server["alice"], server["channel"]
    show_admin_to(simcord_env, server["guild"], alice)
    assert "admin quota limit" in alice.available_commands(channel)

    attempts = [
        await alice.slash(channel, "admin quota limit", scope="member", amount="1000", member=alice),
        await alice.slash(channel, "admin quota grant", scope="member", amount="50", member=alice),
        await alice.slash(channel, "admin quota reset", scope="member", member=alice),
        await alice.slash(channel, "admin quota usage"),
        await alice.slash(channel, "admin settings", allowed_channels="all"),
    ]

    for result in attempts:
        assert result.ephemeral
        assert "Manage Server" in result.response.content
    assert [type(e) for e in refusals(simcord_env)] == [NotAllowed] * 5
    assert await running.quota.guilds.all_limits(server["guild"].id) == []
    assert await running.db.fetchall("SELECT * FROM ledger") == []
    assert await running.db.fetchall("SELECT * FROM guild_settings") == []


async def test_a_member_cannot_read_anothers_quota_but_an_admin_can(simcord_env, running, server):
    alice, bob, mod, channel = server["alice"], server["bob"], server["mod"], server["channel"]

    peek = await alice.slash(channel, "quota", member=bob)
    assert peek.ephemeral
    assert "Manage Server" in peek.response.content
    assert [type(e) for e in refusals(simcord_env)] == [NotAllowed]

    allowed = await mod.slash(channel, "quota", member=bob)
    assert allowed.ephemeral
    assert allowed.response.embeds[0].title == "Quota for bob"


# -- limits and refusals --------------------------------------------------------------------------------


async def test_a_member_limit_refuses_before_anything_is_spent_and_says_why(
    simcord_env, running, server, fake_ttapi
):
    alice, mod, channel = server["alice"], server["mod"], server["channel"]
    done = await mod.slash(channel, "admin quota limit", scope="member", amount="6", member=alice)
    assert done.ephemeral
    assert "6" in done.response.content

    first = await alice.slash(channel, "imagine", prompt="a lighthouse")
    await finish_jobs(simcord_env, running)
    assert len(first.response.attachments) == 1  # 5 credits charged by the fake

    second = await alice.slash(channel, "imagine", prompt="another lighthouse")

    assert [type(e) for e in refusals(simcord_env)] == [QuotaExceeded]
    # Answered at once and privately: not even a public "thinking…" first.
    assert acknowledged_with(simcord_env, second) == CHANNEL_MESSAGE
    assert second.ephemeral
    text = second.response.content
    assert "this job needs about 5 credits" in text
    assert "you have 1 left of 6" in text
    assert "<t:" in text
    assert "Nothing was charged." in text
    assert len(fake_ttapi.submits()) == 1

    quota = await alice.slash(channel, "quota")
    shown = fields(quota)
    assert shown["Used"] == "5 credits"
    assert shown["Limit"] == "6"
    assert shown["Remaining"] == "1"
    assert shown["Limit set by"] == "member"
    assert shown["Resets"].startswith("<t:")


async def test_the_highest_role_limit_applies_and_a_server_default_below_it(simcord_env, running, server):
    bob, mod, channel, guild = server["bob"], server["mod"], server["channel"], server["guild"]
    await mod.slash(channel, "admin quota limit", scope="default", amount="2")
    await mod.slash(channel, "admin quota limit", scope="role", amount="40", role=server["artists"])
    await mod.slash(channel, "admin quota limit", scope="role", amount="12.5", role=server["patrons"])

    assert fields(await bob.slash(channel, "quota"))["Limit"] == "40"
    assert fields(await server["alice"].slash(channel, "quota"))["Limit"] == "2"
    limits = {(r.scope, r.target_id): r.amount for r in await running.quota.guilds.all_limits(guild.id)}
    assert limits[("role", server["patrons"].id)] == Decimal("12.5")

    await mod.slash(channel, "admin quota limit", scope="role", amount="clear", role=server["artists"])
    assert fields(await bob.slash(channel, "quota"))["Limit"] == "2"


async def test_grant_lets_a_refused_member_continue_and_reset_gives_the_period_back(
    simcord_env, running, server, fake_ttapi
):
    alice, mod, channel = server["alice"], server["mod"], server["channel"]
    await mod.slash(channel, "admin quota limit", scope="member", amount="5", member=alice)
    await alice.slash(channel, "imagine", prompt="one")
    await finish_jobs(simcord_env, running)
    await alice.slash(channel, "imagine", prompt="two")
    assert [type(e) for e in refusals(simcord_env)] == [QuotaExceeded]

    granted = await mod.slash(channel, "admin quota grant", scope="member", amount="5", member=alice)
    assert "Granted **5** credits" in granted.response.content
    assert fields(await alice.slash(channel, "quota"))["Limit"] == "5 (+5 granted)"
    await alice.slash(channel, "imagine", prompt="three")
    await finish_jobs(simcord_env, running)
    assert fields(await alice.slash(channel, "quota"))["Used"] == "10 credits"

    reset = await mod.slash(channel, "admin quota reset", scope="member", member=alice)
    assert "Reset this period's usage" in reset.response.content
    shown = fields(await alice.slash(channel, "quota"))
    assert (shown["Used"], shown["Remaining"]) == ("0 credits", "10")
    assert len(fake_ttapi.submits()) == 2


async def test_role_grant_and_guild_budget(simcord_env, running, server):
    mod, channel, bob = server["mod"], server["channel"], server["bob"]
    granted = await mod.slash(channel, "admin quota grant", scope="role", amount="3", role=server["artists"])
    assert "everyone with" in granted.response.content
    assert fields(await bob.slash(channel, "quota"))["Limit"] == "100 (+3 granted)"

    await mod.slash(channel, "admin quota limit", scope="guild", amount="3")
    refused = await bob.slash(channel, "imagine", prompt="too dear for the server")
    assert [type(e) for e in refusals(simcord_env)] == [QuotaExceeded]
    assert "This server's image budget" in refused.response.content
    assert await running.jobs.for_user(bob.id) == []


async def test_invalid_admin_input_is_explained(simcord_env, running, server):
    mod, channel = server["mod"], server["channel"]
    bad = [
        await mod.slash(channel, "admin quota limit", scope="member", amount="lots", member=server["alice"]),
        await mod.slash(channel, "admin quota limit", scope="member", amount="5"),
        await mod.slash(channel, "admin quota grant", scope="member", amount="-2", member=server["alice"]),
        await mod.slash(channel, "admin settings", allowed_models="flux-imaginary"),
        await mod.slash(channel, "admin settings", max_safety_tolerance=5),
    ]
    assert [type(e) for e in refusals(simcord_env)] == [InvalidInput] * 5
    assert all(r.ephemeral for r in bad)
    assert "The amount “lots” must be a number of credits" in bad[0].response.content
    assert "a server may only lower it" in bad[4].response.content


async def test_a_long_list_of_unknown_models_is_refused_within_one_message(simcord_env, running, server):
    # The same kind as issue 17 #11: 250 unknown names made the refusal pass Discord's 2,000
    # characters, and the admin got "This interaction failed" instead of it.
    mod, channel = server["mod"], server["channel"]
    names = " ".join(f"flux-imaginary-{i}" for i in range(250))

    refused = await mod.slash(channel, "admin settings", allowed_models=names)

    assert [type(e) for e in refusals(simcord_env)] == [InvalidInput]
    text = refused.response.content
    assert text.startswith("Unknown model `flux-imaginary-0`, `flux-imaginary-1`, ")
    assert "… and " in text
    assert "Known: `" in text
    assert len(text) <= 2000


# -- usage ---------------------------------------------------------------------------------------------


async def test_usage_shows_totals_top_members_and_a_chart(simcord_env, running, server):
    alice, bob, mod, channel = server["alice"], server["bob"], server["mod"], server["channel"]
    for member, prompts in ((alice, 2), (bob, 1)):
        for i in range(prompts):
            await member.slash(channel, "imagine", prompt=f"picture {i}")
    await finish_jobs(simcord_env, running)

    result = await mod.slash(channel, "admin quota usage")

    message = result.response
    assert message.ephemeral
    shown = {f.name: f.value for f in message.embeds[0].fields}
    assert shown["Used"] == "15 credits"
    assert shown["Members with usage"] == "2"
    assert shown["Top members"].splitlines() == ["1. alice — 10 used", "2. bob — 5 used"]
    (attachment,) = message.attachments
    assert attachment.filename == "usage.png"
    chart = Image.open(io.BytesIO(await attachment.read()))
    assert chart.format == "PNG"
    assert chart.width == 800

    member = await mod.slash(channel, "admin quota usage", scope="member", member=bob)
    assert {f.name: f.value for f in member.response.embeds[0].fields}["Used"] == "5 credits"
    previous = await mod.slash(channel, "admin quota usage", period="previous")
    assert {f.name: f.value for f in previous.response.embeds[0].fields}["Used"] == "0 credits"


# -- /admin settings -----------------------------------------------------------------------------------


async def test_allowed_channels_point_members_to_where_images_are_made(
    simcord_env, running, server, fake_ttapi
):
    guild, channel, alice, mod = server["guild"], server["channel"], server["alice"], server["mod"]
    lounge = guild.create_text_channel("lounge")

    saved = await mod.slash(channel, "admin settings", allowed_channels=f"{channel.mention}")
    assert saved.response.content == "Saved."
    assert {f.name: f.value for f in saved.response.embeds[0].fields}["Allowed channels"] == channel.mention

    elsewhere = await alice.slash(lounge, "imagine", prompt="a cat")
    assert elsewhere.ephemeral
    assert "can't be used in this channel" in elsewhere.response.content
    assert channel.mention in elsewhere.response.content
    assert [type(e) for e in refusals(simcord_env)] == [NotAllowed]

    here = await alice.slash(channel, "imagine", prompt="a cat")
    await finish_jobs(simcord_env, running)
    assert len(here.response.attachments) == 1
    assert len(fake_ttapi.submits()) == 1

    await mod.slash(channel, "admin settings", allowed_channels="all")
    await alice.slash(lounge, "imagine", prompt="a cat again")
    await finish_jobs(simcord_env, running)
    assert len(fake_ttapi.submits()) == 2


async def test_allowed_models_and_the_safety_cap_are_enforced(simcord_env, running, server, fake_ttapi):
    channel, alice, mod, guild = server["channel"], server["alice"], server["mod"], server["guild"]
    saved = await mod.slash(channel, "admin settings", max_safety_tolerance=1, allowed_models="flux-pro-1.1")
    assert saved.response.content == "Saved."
    await alice.slash(channel, "imagine", prompt="a cat")
    await finish_jobs(simcord_env, running)
    assert fake_ttapi.submits()[0].body["safety_tolerance"] == 1

    shown = await mod.slash(channel, "admin settings")
    assert shown.response.content.startswith("Current settings")
    settings = {f.name: f.value for f in shown.response.embeds[0].fields}
    assert settings["Allowed models"] == "`flux-pro-1.1`"
    assert settings["Max safety tolerance"] == "1"
    assert settings["Default model"] == "`flux-pro-1.1`"

    # A server that allows only another model refuses this one before anything is spent.
    current = await running.quota.guilds.settings(guild.id)
    await running.quota.guilds.save_settings(replace(current, allowed_models=("flux-dev",)), actor_id=1)
    refused = await alice.slash(channel, "imagine", prompt="a cat", model="flux-pro-1.1")
    assert refused.ephemeral
    assert "`flux-pro-1.1` is not allowed on this server" in refused.response.content
    assert [type(e) for e in refusals(simcord_env)] == [NotAllowed]
    assert len(fake_ttapi.submits()) == 1


async def test_reset_and_usage_by_role_find_the_members_without_the_members_intent(
    simcord_env, running, server
):
    alice, bob, mod, channel = server["alice"], server["bob"], server["mod"], server["channel"]
    await alice.slash(channel, "imagine", prompt="alice's")
    await bob.slash(channel, "imagine", prompt="bob's")
    await finish_jobs(simcord_env, running)

    usage = await mod.slash(channel, "admin quota usage", scope="role", role=server["artists"])
    shown = {f.name: f.value for f in usage.response.embeds[0].fields}
    assert shown["Top members"] == "1. bob — 5 used"

    reset = await mod.slash(channel, "admin quota reset", scope="role", role=server["artists"])
    assert "(1 had usage)" in reset.response.content
    assert fields(await bob.slash(channel, "quota"))["Used"] == "0 credits"
    assert fields(await alice.slash(channel, "quota"))["Used"] == "5 credits"

    await mod.slash(channel, "admin quota reset", scope="guild")
    assert fields(await alice.slash(channel, "quota"))["Used"] == "0 credits"
    entries = await running.db.fetchall("SELECT kind, user_id, actor_id FROM ledger WHERE kind = 'reset'")
    assert {(r["user_id"], r["actor_id"]) for r in entries} == {
        (bob.id, mod.id),
        (alice.id, mod.id),
        (None, mod.id),
    }


async def test_the_servers_default_model_and_its_own_period(simcord_env, running, server, fake_ttapi):
    channel, alice, mod = server["channel"], server["alice"], server["mod"]
    saved = await mod.slash(channel, "admin settings", default_model="flux-dev")
    assert {f.name: f.value for f in saved.response.embeds[0].fields}["Default model"] == "`flux-dev`"
    await alice.slash(channel, "imagine", prompt="a cat")
    await finish_jobs(simcord_env, running)
    assert fake_ttapi.submits()[0].path == "/bfl/v1/flux-dev"

    changed = await mod.slash(channel, "admin quota limit", scope="default", amount="50", period="week")
    assert "quota period is now **week**" in changed.response.content
    quota = await alice.slash(channel, "quota")
    embed = quota.response.embeds[0]
    assert "-W" in embed.footer.text  # an ISO week key, e.g. 2026-W47
    shown = {f.name: f.value for f in embed.fields}
    assert (shown["Limit"], shown["Limit set by"]) == ("50", "server default")
    reset_at = int(shown["Resets"].split(":")[1])
    assert datetime.fromtimestamp(reset_at, UTC).weekday() == 0  # a Monday, 00:00 UTC
    assert datetime.fromtimestamp(reset_at, UTC).hour == 0


# -- answering first, granting once, many members (issue 17, finding 7) ----------------------------------


async def test_a_grant_delivered_twice_grants_once(services):
    """The same interaction (a gateway replay, a retry) writes its grant once, even at the same time."""
    quota, guild_id, alice, role = services.quota, 7, 11, 99

    first = await quota.grant(guild_id, [alice], Decimal(5), actor_id=1, interaction_id=1001)
    again = await quota.grant(guild_id, [alice], Decimal(5), actor_id=1, interaction_id=1001)
    together = await asyncio.gather(
        *(
            quota.grant(guild_id, None, Decimal(3), actor_id=1, role_id=role, interaction_id=1002)
            for _ in range(5)
        )
    )
    other = await quota.grant(guild_id, [alice], Decimal(5), actor_id=1, interaction_id=1003)

    assert (first[1], again[1], other[1]) == (True, False, True)
    assert sorted(fresh for _, fresh in together) == [False] * 4 + [True]
    usage = await services.ledger.member_usage(guild_id, alice, first[0])
    assert usage.granted == 10
    grants = await services.db.fetchall("SELECT interaction_id FROM ledger WHERE kind = 'grant' ORDER BY id")
    assert [r["interaction_id"] for r in grants] == [1001, 1002, 1003]


async def test_a_reset_delivered_twice_resets_once(services):
    """A replay after new charges must not forgive them too."""
    quota, ledger, guild_id, alice = services.quota, services.ledger, 7, 11
    key = await quota.period_for(guild_id)

    async def charge(amount: int) -> None:
        async with services.db.transaction() as conn:
            await ledger.add(conn, "charge", Decimal(amount), period=key, guild_id=guild_id, user_id=alice)

    await charge(4)
    assert await quota.reset(guild_id, [alice], actor_id=1, interaction_id=2001) == 1
    await charge(3)
    assert await quota.reset(guild_id, [alice], actor_id=1, interaction_id=2001) is None
    assert (await ledger.member_usage(guild_id, alice, key)).used == 3
    assert await quota.reset(guild_id, None, actor_id=1, interaction_id=2002) == 1  # a new command
    assert (await ledger.member_usage(guild_id, alice, key)).used == 0


async def test_reset_by_role_looks_members_up_in_batches_of_100(simcord_env, running, server):
    """250 members with usage, none in the cache (no members intent): before, 250 sequential
    fetch_member REST calls before the answer; now 3 gateway lookups of 100 ids."""
    guild, artists, mod, channel = server["guild"], server["artists"], server["mod"], server["channel"]
    members = [guild.add_member(simcord_env.create_user(f"artist{i}"), roles=[artists]) for i in range(250)]
    outsiders = [guild.add_member(simcord_env.create_user(f"other{i}")) for i in range(20)]
    key = await running.quota.period_for(guild.id)
    async with running.db.transaction() as conn:
        for member in [*members, *outsiders]:
            await running.ledger.add(
                conn, "charge", Decimal(2), period=key, guild_id=guild.id, user_id=member.id
            )
    requests_before = len(simcord_env.http_requests)
    chunks_before = sum(1 for entry in simcord_env.backend.transcript if entry[1] == "GUILD_MEMBERS_CHUNK")

    reset = await mod.slash(channel, "admin quota reset", scope="role", role=artists)

    assert "(250 had usage)" in reset.response.content
    rest = simcord_env.http_requests[requests_before:]
    assert [r for r in rest if r.method == "GET" and "/members/" in r.path] == []
    chunks = sum(1 for entry in simcord_env.backend.transcript if entry[1] == "GUILD_MEMBERS_CHUNK")
    assert chunks - chunks_before == 3
    assert (await running.ledger.member_usage(guild.id, members[-1].id, key)).used == 0
    assert (await running.ledger.member_usage(guild.id, outsiders[0].id, key)).used == 2
