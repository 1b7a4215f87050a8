"""Private results and members' presets (issue 18, items 5 and 6), from the command to the image,
in simulated Discord against the fake TTAPI, on each backend."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from bot.errors import InvalidInput, NotAllowed
from bot.i18n import t
from bot.jobs.model import JobState
from bot.store.deliveries import Deliveries
from bot.store.presets import PresetStore
from tests.conftest import finish_jobs, refusals


@pytest.fixture
def database_settings(database_url: str) -> dict[str, Any]:
    return {"database_url": database_url}


def fields_of(message: Any) -> dict[str, str]:
    return {f.name: f.value for f in message.embeds[0].fields}


async def test_a_private_result_is_shown_only_to_its_member(simcord_env, running, guild_setup, fake_ttapi):
    guild, channel, alice = guild_setup
    bob = guild.add_member(simcord_env.create_user("bob"))

    result = await alice.slash(channel, "imagine", prompt="a secret garden", private=True)
    await finish_jobs(simcord_env, running)

    assert result.ephemeral
    message = result.response
    assert message.flags.ephemeral
    assert len(message.attachments) == 1
    assert message.embeds[0].description == "a secret garden"
    # Nothing in the channel for anyone else.
    assert channel.history(viewer=bob) == []
    (job,) = await running.jobs.for_user(alice.id)
    assert job.state is JobState.DELIVERED
    assert (await Deliveries(running.db).get(job.id)).private
    # Its member is charged as for any result.
    usage = await running.ledger.member_usage(job.guild_id, alice.id, running.quota.current_period())
    assert usage.used == Decimal(5)


async def test_the_private_flag_works_like_the_option(simcord_env, running, guild_setup, fake_ttapi):
    _, channel, alice = guild_setup

    result = await alice.slash(channel, "imagine", prompt="a secret garden --private --seed 7")
    await finish_jobs(simcord_env, running)

    assert result.ephemeral
    assert len(result.response.attachments) == 1
    assert fake_ttapi.submits()[0].body["prompt"] == "a secret garden"


async def test_a_private_result_after_the_token_expired_comes_by_dm_never_in_the_channel(
    simcord_env, running, guild_setup, fake_ttapi
):
    _, channel, alice = guild_setup
    fake_ttapi.duration = 1.0

    result = await alice.slash(channel, "imagine", prompt="a slow secret", private=True)
    await simcord_env.advance_time(16 * 60)  # the interaction token is now expired
    await finish_jobs(simcord_env, running)

    assert result.ephemeral
    assert not result.response.attachments
    assert [m for m in channel.history() if not m.flags.ephemeral] == []
    dm = alice.user.dm_channel.last_message
    assert dm is not None
    assert dm.content.startswith("Your private image is ready")
    assert len(dm.attachments) == 1
    (job,) = await running.jobs.for_user(alice.id)
    assert job.state is JobState.DELIVERED
    assert (await Deliveries(running.db).get(job.id)).result_message_id == dm.id


async def test_a_private_failure_after_the_token_expired_is_told_by_dm(
    simcord_env, running, guild_setup, fake_ttapi
):
    _, channel, alice = guild_setup
    fake_ttapi.duration = 1.0
    fake_ttapi.fail_next("prompt violation: banned words")

    await alice.slash(channel, "imagine", prompt="a slow refused secret", private=True)
    await simcord_env.advance_time(16 * 60)
    await finish_jobs(simcord_env, running)

    assert [m for m in channel.history() if not m.flags.ephemeral] == []
    dm = alice.user.dm_channel.last_message
    assert "Nothing was charged." in dm.content


async def test_a_server_can_forbid_private_results(simcord_env, running, server, fake_ttapi):
    channel, alice, mod = server["channel"], server["alice"], server["mod"]
    saved = await mod.slash(channel, "admin settings", private="forbid")
    assert fields_of(saved.response)["Private results"].startswith("forbid")

    refused = await alice.slash(channel, "imagine", prompt="a secret", private=True)
    assert refused.ephemeral
    assert refused.response.content == t("en-US", "private-forbidden-here")
    assert [type(e) for e in refusals(simcord_env)] == [NotAllowed]
    assert fake_ttapi.submits() == []
    assert await running.jobs.for_user(alice.id) == []

    # A member's preference for private results gives way: the result is posted in the channel.
    await alice.slash(channel, "settings", private=True)
    public = await alice.slash(channel, "imagine", prompt="not a secret")
    await finish_jobs(simcord_env, running)
    assert not public.ephemeral
    assert len(public.response.attachments) == 1


async def test_a_server_can_force_private_results(simcord_env, running, server, fake_ttapi):
    channel, alice, bob, mod = server["channel"], server["alice"], server["bob"], server["mod"]
    await mod.slash(channel, "admin settings", private="force")

    result = await alice.slash(channel, "imagine", prompt="public, she thought", private=False)
    await finish_jobs(simcord_env, running)

    assert result.ephemeral
    assert len(result.response.attachments) == 1
    assert channel.history(viewer=bob) == []

    # A Reroll under a private result is private too.
    rerolled = await alice.click(result.response, label="Reroll")
    await finish_jobs(simcord_env, running)
    assert rerolled.ephemeral
    assert len(rerolled.response.attachments) == 1
    assert channel.history(viewer=bob) == []


async def test_settings_with_no_option_shows_them_privately(simcord_env, running, guild_setup):
    _, channel, alice = guild_setup

    shown = await alice.slash(channel, "settings")

    assert shown.ephemeral
    assert shown.response.content.startswith("Your settings")
    fields = fields_of(shown.response)
    assert fields["Model"] == "not set"
    assert fields["Suffix"] == "not set"


async def test_presets_apply_to_imagine_and_what_the_member_types_wins(
    simcord_env, running, guild_setup, fake_ttapi
):
    _, channel, alice = guild_setup
    saved = await alice.slash(
        channel,
        "settings",
        model="flux-pro-1.1-ultra",
        aspect_ratio="16:9",
        format="png",
        suffix="oil painting --seed 5",
    )
    assert saved.ephemeral
    fields = fields_of(saved.response)
    assert fields["Model"] == "`flux-pro-1.1-ultra`"
    assert fields["Aspect ratio"] == "16:9"
    assert fields["Suffix"] == "oil painting --seed 5"

    await alice.slash(channel, "imagine", prompt="a harbour")
    await alice.slash(channel, "imagine", prompt="a harbour --ar 1:1 --seed 9", model="flux-pro-1.1")
    await finish_jobs(simcord_env, running)

    # By model: on PostgreSQL two processes' worth of claims may submit them in either order.
    first, second = sorted(fake_ttapi.submits(), key=lambda s: s.path, reverse=True)
    assert first.path == "/bfl/v1/flux-pro-1.1-ultra"
    assert first.body["prompt"] == "a harbour oil painting"
    assert first.body["aspect_ratio"] == "16:9"
    assert first.body["seed"] == 5
    assert first.body["output_format"] == "png"
    # Typed options and flags win over the preset; the suffix's words are still added.
    assert second.path == "/bfl/v1/flux-pro-1.1"
    assert second.body["prompt"] == "a harbour oil painting"
    assert second.body["seed"] == 9
    assert (second.body["width"], second.body["height"]) in {(1024, 1024), (1440, 1440)}


async def test_server_rules_win_over_presets(simcord_env, running, server, fake_ttapi):
    channel, alice, mod = server["channel"], server["alice"], server["mod"]
    await alice.slash(channel, "settings", model="flux-pro-1.1-ultra")
    await mod.slash(channel, "admin settings", allowed_models="flux-pro-1.1,flux-dev")

    shown = await alice.slash(channel, "settings")
    assert "not allowed on this server" in fields_of(shown.response)["Model"]
    await alice.slash(channel, "imagine", prompt="a harbour")
    await finish_jobs(simcord_env, running)

    (submit,) = fake_ttapi.submits()
    assert submit.path == "/bfl/v1/flux-pro-1.1"  # the server's first allowed model, not the preset


async def test_settings_refuse_bad_values_privately_and_reset_clears(simcord_env, running, guild_setup):
    _, channel, alice = guild_setup

    bad = [
        await alice.slash(channel, "settings", aspect_ratio="30:1"),
        await alice.slash(channel, "settings", suffix="nice --count 4"),
        await alice.slash(channel, "settings", suffix="nice --seed banana"),
    ]
    assert all(r.ephemeral for r in bad)
    assert [type(e) for e in refusals(simcord_env)] == [InvalidInput] * 3
    store = PresetStore(running.db)
    assert (await store.get(alice.guild.id, alice.id)).empty

    await alice.slash(channel, "settings", suffix="watercolour", private=True)
    preset = await store.get(alice.guild.id, alice.id)
    assert preset.suffix == "watercolour"
    assert preset.private is True
    await alice.slash(channel, "settings", reset="suffix")
    assert (await store.get(alice.guild.id, alice.id)).suffix is None
    cleared = await alice.slash(channel, "settings", reset="all")
    assert cleared.response.content.startswith("Saved")
    assert (await store.get(alice.guild.id, alice.id)).empty


async def test_a_preference_for_private_results_makes_results_private(
    simcord_env, running, guild_setup, fake_ttapi
):
    guild, channel, alice = guild_setup
    bob = guild.add_member(simcord_env.create_user("bob"))
    await alice.slash(channel, "settings", private=True)

    private = await alice.slash(channel, "imagine", prompt="mine alone")
    public = await alice.slash(channel, "imagine", prompt="for everyone", private=False)
    await finish_jobs(simcord_env, running)

    assert private.ephemeral
    assert not public.ephemeral
    assert [m.id for m in channel.history(viewer=bob)] == [public.response.id]
