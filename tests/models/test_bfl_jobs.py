"""Jobs on Black Forest Labs from a slash command: charges, refusals, retries, expired links."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.jobs.model import JobState
from tests.conftest import finish_jobs


@pytest.fixture
def default_provider() -> str:
    return "bfl"


async def imagine(env, services, guild_setup, **options):
    guild, channel, alice = guild_setup
    result = await alice.slash(channel, "imagine", **{"prompt": "a lighthouse", **options})
    await finish_jobs(env, services)
    (job,) = await services.jobs.for_user(alice.id)
    usage = await services.ledger.member_usage(guild.id, alice.id, services.quota.current_period())
    return result, job, usage


@pytest.mark.parametrize(
    ("model", "cost", "charged"),
    [
        ("flux-pro-1.1", 4.5, Decimal("4.5")),  # the submit's `cost`, fractions kept
        ("flux-pro-1.1", None, Decimal(4)),  # no `cost`: the public price
        ("flux-pro-1.1-ultra", None, Decimal(6)),
        ("flux-dev", None, Decimal(3)),  # no cost and no public price: the estimate that was held
    ],
)
async def test_the_charge_is_the_submit_cost_else_the_public_price(
    simcord_env, running, guild_setup, fake_bfl, model, cost, charged
):
    fake_bfl.cost = cost

    result, job, usage = await imagine(simcord_env, running, guild_setup, model=model)

    assert job.state is JobState.DELIVERED
    assert job.cost == charged
    assert (usage.used, usage.held) == (charged, Decimal(0))
    fields = {f.name: f.value for f in result.response.embeds[0].fields}
    assert fields["Cost"] == f"{charged} credits"


@pytest.mark.parametrize(
    ("outcome", "state", "words"),
    [
        ("Request Moderated", JobState.MODERATED, "safety filter"),
        ("Content Moderated", JobState.MODERATED, "safety filter"),
        ("Error", JobState.FAILED, "could not make the image"),
        ("Task not found", JobState.FAILED, "lost track"),
    ],
)
async def test_refusals_and_failures_tell_the_member_and_charge_nothing(
    simcord_env, running, guild_setup, fake_bfl, outcome, state, words
):
    fake_bfl.outcome_next(outcome)

    result, job, usage = await imagine(simcord_env, running, guild_setup)

    assert job.state is state
    assert words in result.response.content
    assert "Nothing was charged." in result.response.content
    assert (usage.used, usage.held) == (Decimal(0), Decimal(0))


async def test_429_with_retry_after_is_waited_out_and_sent_once_more(
    simcord_env, running, guild_setup, fake_bfl
):
    fake_bfl.error_next(429, "Too many active tasks", headers={"Retry-After": "0.2"})

    _result, job, usage = await imagine(simcord_env, running, guild_setup)

    assert job.state is JobState.DELIVERED
    assert len(fake_bfl.submits()) == 2
    assert usage.used == Decimal(4)


@pytest.mark.parametrize("status", [500, 503])
async def test_a_5xx_submit_is_never_replayed(simcord_env, running, guild_setup, fake_bfl, status):
    fake_bfl.error_next(status, "upstream")

    _result, job, usage = await imagine(simcord_env, running, guild_setup)

    assert job.state is JobState.FAILED
    assert job.error_code == "submit_unknown"
    assert len(fake_bfl.submits()) == 1
    assert (usage.used, usage.held) == (Decimal(0), Decimal(0))


@pytest.mark.parametrize(
    ("status", "detail", "words"),
    [
        (402, "Insufficient credits", "out of credit"),
        (422, [{"loc": ["body", "prompt"], "msg": "String too long", "type": "string_too_long"}], "`prompt`"),
    ],
)
async def test_402_and_422_reach_the_member_plainly(
    simcord_env, running, guild_setup, fake_bfl, status, detail, words
):
    fake_bfl.error_next(status, detail)

    result, job, usage = await imagine(simcord_env, running, guild_setup)

    assert job.state is JobState.FAILED
    assert words in result.response.content
    assert (usage.used, usage.held) == (Decimal(0), Decimal(0))


async def test_an_expired_sample_link_fails_the_job_and_says_so(simcord_env, running, guild_setup, fake_bfl):
    fake_bfl.link_ttl = 0.0

    result, job, _ = await imagine(simcord_env, running, guild_setup)

    assert job.state is JobState.FAILED
    assert job.error_code == "download"
    assert "could not be downloaded" in result.response.content
