"""BFL outcomes that must not charge, although BFL quoted a cost at submit: moderated input,
moderated output, Error, Task not found. The job's cost and the ledger agree: nothing charged.
And the rule both providers share: a submit whose outcome is unknown is never sent again."""

from __future__ import annotations

from typing import Any

import pytest

from bot.jobs.model import JobState
from tests.conftest import finish_jobs
from tests.fakes.bfl import CONTENT_MODERATED, ERROR, REQUEST_MODERATED, TASK_NOT_FOUND, FakeBFL
from tests.reliability.conftest import assert_not_charged, posted_images


@pytest.fixture
def settings_overrides(fake_bfl: FakeBFL) -> dict[str, Any]:
    fake_bfl.duration = 0.1
    return {"bfl_api_key": fake_bfl.api_key, "bfl_base_url": fake_bfl.url, "default_provider": "bfl"}


@pytest.mark.parametrize(
    ("outcome", "details", "state", "told"),
    [
        (
            REQUEST_MODERATED,
            {"Moderation Reasons": ["Derivative Works Filter"]},
            JobState.MODERATED,
            "filter",
        ),
        (CONTENT_MODERATED, {"Moderation Reasons": ["NSFW"]}, JobState.MODERATED, "filter"),
        (ERROR, "Internal error during generation", JobState.FAILED, "could not make the image"),
        (TASK_NOT_FOUND, None, JobState.FAILED, "lost track"),
    ],
    ids=["moderated-input", "moderated-output", "error", "task-not-found"],
)
async def test_bfl_outcomes_without_an_image_charge_nothing(
    simcord_env, running, guild_setup, fake_bfl, outcome, details, state, told
):
    _, channel, alice = guild_setup
    fake_bfl.outcome_next(outcome, details)

    result = await alice.slash(channel, "imagine", prompt="a lighthouse")
    await finish_jobs(simcord_env, running)

    (job,) = await running.jobs.for_user(alice.id)
    assert job.state is state
    assert told in result.response.content
    assert "Nothing was charged." in result.response.content
    assert not posted_images(channel)
    assert len(fake_bfl.submits()) == 1
    await assert_not_charged(running, job.id)


async def test_bfl_429_with_retry_after_is_resubmitted_and_charged_once(
    simcord_env, running, guild_setup, fake_bfl
):
    _, channel, alice = guild_setup
    fake_bfl.error_next(429, "concurrency limit", headers={"Retry-After": "1"})

    await alice.slash(channel, "imagine", prompt="a lighthouse")
    await finish_jobs(simcord_env, running)

    (job,) = await running.jobs.for_user(alice.id)
    assert job.state is JobState.DELIVERED
    assert len(fake_bfl.submits()) == 2
    assert len(posted_images(channel)) == 1
    rows = await running.db.fetchall("SELECT kind FROM ledger WHERE job_id = ? ORDER BY id", (job.id,))
    assert [r["kind"] for r in rows] == ["hold", "charge"]


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_a_bfl_submit_answered_5xx_is_not_sent_again_and_not_charged(
    simcord_env, running, guild_setup, fake_bfl, status
):
    """The same rule as TTAPI's (P::test_ambiguous_submit_is_not_replayed_and_not_charged): a 5xx
    may come after BFL accepted (and billed) the job, so it is never sent a second time."""
    _, channel, alice = guild_setup
    fake_bfl.error_next(status, "unavailable", headers={"Retry-After": "0.1"})

    result = await alice.slash(channel, "imagine", prompt="a lighthouse")
    await finish_jobs(simcord_env, running)

    (job,) = await running.jobs.for_user(alice.id)
    assert job.state is JobState.FAILED
    assert job.error_code == "submit_unknown"
    assert len(fake_bfl.submits()) == 1
    assert "not sent again" in result.response.content
    assert "Nothing was charged." in result.response.content
    await assert_not_charged(running, job.id)
