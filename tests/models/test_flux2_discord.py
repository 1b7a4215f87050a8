"""FLUX.2 and retired endpoints in Discord, on each store backend: references refused privately
before anything is held, the per-megapixel hold settled to BFL's `cost`, and a model BFL no
longer serves failing once, plainly, with nothing charged."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import simcord

from bot.errors import InvalidInput
from bot.jobs.model import JobState
from tests.conftest import CHANNEL_MESSAGE, acknowledged_with, finish_jobs, refusals
from tests.models.conftest import png

REFS = [png(colour=(30 * n, 90, 200 - 30 * n)) for n in range(8)]


@pytest.fixture
def database_settings(database_url: str) -> dict[str, Any]:
    return {"database_url": database_url}


def attachments(count: int) -> dict[str, tuple[str, bytes]]:
    names = ["image", *(f"image{n}" for n in range(2, 9))]
    return {name: (f"{name}.png", REFS[i]) for i, name in enumerate(names[:count])}


async def nothing_spent(running, guild, alice, *fakes) -> None:
    assert all(fake.submits() == [] for fake in fakes)
    assert await running.jobs.for_user(alice.id) == []
    usage = await running.ledger.member_usage(guild.id, alice.id, running.quota.current_period())
    assert (usage.used, usage.held) == (Decimal(0), Decimal(0))


@pytest.mark.parametrize(
    ("default_provider", "model", "count", "expected"),
    [
        ("bfl", "flux-2-klein-9b", 5, "`flux-2-klein-9b` takes at most 4 reference images;"),
        ("bfl", "flux-kontext-pro", 5, "`flux-kontext-pro` takes at most 4 reference images"),
        ("ttapi", "flux-kontext-max", 8, "`flux-kontext-max` takes at most 4 reference images"),
    ],
)
async def test_extra_references_are_refused_privately_before_anything_is_held(
    simcord_env, running, guild_setup, fake_ttapi, fake_bfl, default_provider, model, count, expected
):
    guild, channel, alice = guild_setup

    result = await alice.slash(channel, "edit", prompt="together", model=model, **attachments(count))

    assert acknowledged_with(simcord_env, result) == CHANNEL_MESSAGE  # not even deferred
    assert result.ephemeral
    assert expected in result.response.content
    assert "Nothing was charged." in result.response.content
    assert [type(e) for e in refusals(simcord_env)] == [InvalidInput]
    await nothing_spent(running, guild, alice, fake_ttapi, fake_bfl)


@pytest.mark.parametrize("default_provider", ["bfl"])
async def test_a_ninth_reference_has_no_option_for_discord_to_carry(
    simcord_env, running, guild_setup, fake_ttapi, fake_bfl, default_provider
):
    guild, channel, alice = guild_setup
    edit = simcord_env.bot.tree.get_command("edit")
    images = [o["name"] for o in edit.to_dict(simcord_env.bot.tree)["options"] if o["type"] == 11]
    assert images == ["image", *(f"image{n}" for n in range(2, 9))]

    with pytest.raises(simcord.OptionError):
        await alice.slash(
            channel, "edit", prompt="nine", model="flux-2-pro", **attachments(8), image9=("9.png", png())
        )

    await nothing_spent(running, guild, alice, fake_ttapi, fake_bfl)


@pytest.mark.parametrize("default_provider", ["bfl"])
async def test_eight_references_on_bfl_are_held_and_charged_by_the_megapixel(
    simcord_env, running, guild_setup, fake_ttapi, fake_bfl, default_provider
):
    guild, channel, alice = guild_setup

    result = await alice.slash(
        channel, "edit", prompt="all at one table", model="flux-2-max", **attachments(8)
    )
    (job,) = await running.jobs.for_user(alice.id)
    held = await running.ledger.member_usage(guild.id, alice.id, running.quota.current_period())
    await finish_jobs(simcord_env, running)

    # 7 for the first MP (the output follows the first 64×48 reference), 8 × 0.01 MP at 3
    assert job.estimate == Decimal("7.24")
    assert held.held == Decimal("7.24")
    assert len(result.response.attachments) == 1
    (submit,) = fake_bfl.submits()
    assert submit.path == "/v1/flux-2-max"
    assert [k for k in submit.body if k.startswith("input_image")] == [
        "input_image",
        *(f"input_image_{n}" for n in range(2, 9)),
    ]
    (done,) = await running.jobs.for_user(alice.id)
    assert done.state is JobState.DELIVERED
    assert done.cost == Decimal("7.24")
    usage = await running.ledger.member_usage(guild.id, alice.id, running.quota.current_period())
    assert (usage.used, usage.held) == (Decimal("7.24"), Decimal(0))


@pytest.mark.parametrize(("default_provider", "status"), [("bfl", 410), ("bfl", 405), ("ttapi", 404)])
async def test_a_retired_model_fails_once_plainly_and_costs_nothing(
    simcord_env, running, guild_setup, fake_ttapi, fake_bfl, default_provider, status
):
    guild, channel, alice = guild_setup
    fake = fake_bfl if default_provider == "bfl" else fake_ttapi
    fake.retired["flux-pro"] = status

    result = await alice.slash(channel, "imagine", prompt="a castle", model="flux-pro")
    await finish_jobs(simcord_env, running)

    name = "BFL" if default_provider == "bfl" else "TTAPI"
    assert f"This model is no longer offered by {name}." in result.response.content
    assert "Nothing was charged." in result.response.content
    assert len(fake.submits()) == 1  # not retried
    (job,) = await running.jobs.for_user(alice.id)
    assert (job.state, job.error_code, job.cost) == (JobState.FAILED, "retired", None)
    usage = await running.ledger.member_usage(guild.id, alice.id, running.quota.current_period())
    assert (usage.used, usage.held) == (Decimal(0), Decimal(0))


@pytest.mark.parametrize("default_provider", ["bfl"])
async def test_quota_prices_overrides_the_per_megapixel_hold_and_the_charge_stays_bfls(
    simcord_env, running, guild_setup, fake_ttapi, fake_bfl, default_provider
):
    guild, channel, alice = guild_setup
    running.quota.overrides["flux-2-pro"] = Decimal("9.5")  # as QUOTA_PRICES=flux-2-pro=9.5

    await alice.slash(channel, "imagine", prompt="a dune --ar 1:1", model="flux-2-pro")
    (job,) = await running.jobs.for_user(alice.id)
    await finish_jobs(simcord_env, running)

    assert job.estimate == Decimal("9.5")
    (done,) = await running.jobs.for_user(alice.id)
    assert done.cost == Decimal("3") + Decimal("0.05") * Decimal("1.5")  # 1024×1024: BFL's cost
    usage = await running.ledger.member_usage(guild.id, alice.id, running.quota.current_period())
    assert (usage.used, usage.held) == (done.cost, Decimal(0))


@pytest.mark.parametrize("default_provider", ["ttapi"])
async def test_on_ttapi_the_hold_is_bfls_per_megapixel_price_or_the_last_charge_if_higher(
    simcord_env, running, guild_setup, fake_ttapi, fake_bfl, default_provider
):
    """TTAPI publishes no FLUX.2 prices: the first job is held at BFL's (1376×768 = 1.06 MP:
    3 + 0.06 × 1.5), charged TTAPI's `quota` (5); the next of that size is held at 5."""
    guild, channel, alice = guild_setup

    await alice.slash(channel, "imagine", prompt="a fjord --ar 16:9", model="flux-2-pro")
    (first,) = await running.jobs.for_user(alice.id)
    await finish_jobs(simcord_env, running)
    await alice.slash(channel, "imagine", prompt="a bay --ar 16:9", model="flux-2-pro")
    second = next(j for j in await running.jobs.for_user(alice.id) if j.id != first.id)
    await finish_jobs(simcord_env, running)

    assert first.estimate == Decimal("3.09")
    assert second.estimate == Decimal("5")
    usage = await running.ledger.member_usage(guild.id, alice.id, running.quota.current_period())
    assert (usage.used, usage.held) == (Decimal("10"), Decimal(0))


@pytest.mark.parametrize("default_provider", ["bfl"])
async def test_the_early_quota_check_of_a_per_megapixel_model_does_not_use_the_last_jobs_price(
    simcord_env, running, guild_setup, fake_ttapi, fake_bfl, default_provider
):
    """A big edit (four 1 MP references) costs 19.75; the next plain job (7.15) must not be refused
    before it is even acknowledged because the last one cost more than what is left."""
    guild, channel, alice = guild_setup
    await running.quota.guilds.set_limit(guild.id, "member", alice.id, Decimal(30), actor_id=1)
    big = {name: (f"{name}.png", png(1024, 1024)) for name in ("image", "image2", "image3", "image4")}

    await alice.slash(channel, "edit", prompt="four friends", model="flux-2-max", **big)
    await finish_jobs(simcord_env, running)
    result = await alice.slash(channel, "imagine", prompt="a lake", model="flux-2-max")
    await finish_jobs(simcord_env, running)

    assert refusals(simcord_env) == []
    assert len(result.response.attachments) == 1
    charged = sorted(j.cost for j in await running.jobs.for_user(alice.id))
    assert charged == [Decimal("7.15"), Decimal("19.75")]  # 7 + 0.05 × 3; 7 + (0.05 + 4 × 1.05) × 3


@pytest.mark.parametrize("default_provider", ["ttapi"])
async def test_more_references_than_the_default_provider_takes_go_to_the_one_that_takes_them(
    simcord_env, running, guild_setup, fake_ttapi, fake_bfl, default_provider
):
    """TTAPI is the default and takes 4 FLUX.2 references; 6 go to BFL, which takes 8; 4 stay."""
    _, channel, alice = guild_setup

    six = await alice.slash(channel, "edit", prompt="six", model="flux-2-pro", **attachments(6))
    four = await alice.slash(channel, "edit", prompt="four", model="flux-2-pro", **attachments(4))
    await finish_jobs(simcord_env, running)

    assert refusals(simcord_env) == []
    assert len(six.response.attachments) == len(four.response.attachments) == 1
    (on_bfl,) = fake_bfl.submits()
    (on_ttapi,) = fake_ttapi.submits()
    assert on_bfl.body["prompt"] == "six"
    assert on_bfl.body["input_image_6"]
    assert on_ttapi.body["prompt"] == "four"
    assert {j.provider for j in await running.jobs.for_user(alice.id)} == {"bfl", "ttapi"}
