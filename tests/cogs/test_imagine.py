"""/imagine from the command to the posted image, against the fake TTAPI, in simulated Discord."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from bot.errors import InvalidInput
from bot.jobs.model import JobState
from tests.conftest import CHANNEL_MESSAGE, DEFERRED, acknowledged_with, finish_jobs, refusals


@pytest.fixture
def database_settings(database_url: str) -> dict[str, Any]:
    return {"database_url": database_url}  # every test here, on each backend


async def test_imagine_posts_the_image_and_quota_shows_the_charge(
    simcord_env, running, guild_setup, fake_ttapi
):
    _, channel, alice = guild_setup

    result = await alice.slash(channel, "imagine", prompt="a lighthouse at dusk")

    assert acknowledged_with(simcord_env, result) == DEFERRED
    await finish_jobs(simcord_env, running)
    message = result.response
    assert len(message.attachments) == 1
    assert message.attachments[0].filename.endswith(".png")
    embed = message.embeds[0]
    assert embed.description == "a lighthouse at dusk"
    fields = {f.name: f.value for f in embed.fields}
    assert fields["Model"] == "`flux-pro-1.1`"
    assert fields["Cost"] == "5 credits"
    assert fields["Seed"] == "`933630001`"

    # The fake saw exactly the documented request, with the key in its header.
    submit = fake_ttapi.submits()[0]
    assert submit.path == "/bfl/v1/flux-pro-1.1"
    assert submit.headers["TT-API-KEY"] == fake_ttapi.api_key
    assert submit.body == {"prompt": "a lighthouse at dusk", "safety_tolerance": 2}

    quota = await alice.slash(channel, "quota")
    assert quota.ephemeral
    shown = {f.name: f.value for f in quota.response.embeds[0].fields}
    assert shown["Used"] == "5 credits"
    assert shown["Held"] == "0 credits"
    assert shown["Remaining"] == "95"


async def test_a_failed_job_says_why_and_charges_nothing(simcord_env, running, guild_setup, fake_ttapi):
    _, channel, alice = guild_setup
    fake_ttapi.fail_next("prompt violation: banned words")

    result = await alice.slash(channel, "imagine", prompt="something the filter dislikes")
    await finish_jobs(simcord_env, running)

    message = result.response
    assert not message.attachments
    assert "safety filter" in message.content
    assert "Nothing was charged." in message.content
    (job,) = await running.jobs.for_user(alice.id)
    assert job.state is JobState.MODERATED
    usage = await running.ledger.member_usage(job.guild_id, alice.id, running.quota.current_period())
    assert usage.used == Decimal(0)
    assert usage.held == Decimal(0)


async def test_invalid_options_are_refused_privately_before_anything_is_spent(
    simcord_env, running, guild_setup, fake_ttapi
):
    _, channel, alice = guild_setup

    result = await alice.slash(channel, "imagine", prompt="a cat --seed banana")

    assert acknowledged_with(simcord_env, result) == CHANNEL_MESSAGE
    assert result.ephemeral
    assert "--seed banana" in result.response.content
    assert [type(e) for e in refusals(simcord_env)] == [InvalidInput]
    assert fake_ttapi.submits() == []
    assert await running.jobs.for_user(alice.id) == []


async def test_provider_out_of_credit_tells_the_member_and_charges_nothing(
    simcord_env, running, guild_setup, fake_ttapi
):
    _, channel, alice = guild_setup
    fake_ttapi.error_next(402, "insufficient quota")

    result = await alice.slash(channel, "imagine", prompt="a cat")
    await finish_jobs(simcord_env, running)

    message = result.response
    assert "out of credit" in message.content
    assert "Nothing was charged." in message.content
    (job,) = await running.jobs.for_user(alice.id)
    assert job.state is JobState.FAILED
    assert job.error_code == "credit"


async def test_a_command_without_attachments_is_planned_once(simcord_env, running, guild_setup, monkeypatch):
    """Its plan before the acknowledgement (with stand-ins for attachments) is already the job's:
    a gateway does not validate the same options twice per command."""
    import sys

    module = sys.modules["cogs.imagine"]  # as the bot loaded it (an extension)
    planned: list[str] = []
    real = module.plan_job

    def counted(prompt, *args, **kwargs):  # type: ignore[no-untyped-def]
        planned.append(prompt)
        return real(prompt, *args, **kwargs)

    monkeypatch.setattr(module, "plan_job", counted)
    _, channel, alice = guild_setup
    result = await alice.slash(channel, "imagine", prompt="a lighthouse at dusk")
    assert acknowledged_with(simcord_env, result) == DEFERRED
    await finish_jobs(simcord_env, running)
    assert planned == ["a lighthouse at dusk"]
    assert len(result.response.attachments) == 1
