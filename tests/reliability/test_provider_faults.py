"""Provider faults, end to end: /imagine in simulated Discord against a misbehaving fake TTAPI.

Each test names its fault and checks the promised outcome: retried (and then delivered once and
charged once), or the member told in plain words with nothing charged and nothing replayed.
"""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal
from typing import Any

import pytest

from bot.jobs.model import JobState
from tests.conftest import finish_jobs
from tests.helpers import free_port
from tests.reliability.conftest import (
    FaultyTTAPI,
    answer_with,
    assert_charged_once,
    assert_not_charged,
    big_body,
    connection_reset,
    html_page,
    huge_json,
    malformed_json,
    posted_images,
    redirect,
    stall,
)

FIVE = Decimal(5)
MIB = 1024 * 1024


async def imagine(
    env: Any, services: Any, guild_setup: Any, prompt: str = "a lighthouse", timeout: float = 10
):
    _, channel, alice = guild_setup
    result = await alice.slash(channel, "imagine", prompt=prompt)
    await finish_jobs(env, services, timeout=timeout)
    (job,) = await services.jobs.for_user(alice.id)
    return result, job


async def assert_delivered_once(services, guild_setup, job) -> None:
    _, channel, _ = guild_setup
    assert job.state is JobState.DELIVERED, (job.state, job.error_code, job.error_message)
    assert len(posted_images(channel)) == 1
    await assert_charged_once(services, job.id, FIVE)


# -- refused before acceptance: retried later -------------------------------------------------


async def test_submit_429_with_retry_after_is_retried_after_that_delay(
    simcord_env, running, guild_setup, fake_ttapi: FaultyTTAPI
):
    fake_ttapi.error_next(429, "too many requests", headers={"Retry-After": "1"})
    started = time.monotonic()

    _, job = await imagine(simcord_env, running, guild_setup)

    assert len(fake_ttapi.submits()) == 2
    assert time.monotonic() - started >= 0.9
    await assert_delivered_once(running, guild_setup, job)


async def test_submit_429_without_retry_after_is_retried_with_backoff(
    simcord_env, running, guild_setup, fake_ttapi
):
    fake_ttapi.error_next(429, "too many requests")

    _, job = await imagine(simcord_env, running, guild_setup)

    assert len(fake_ttapi.submits()) == 2
    await assert_delivered_once(running, guild_setup, job)


async def test_submit_499_queue_full_is_retried(simcord_env, running, guild_setup, fake_ttapi):
    fake_ttapi.error_next(499, "product queue is full", headers={"Retry-After": "0.1"})

    _, job = await imagine(simcord_env, running, guild_setup)

    assert len(fake_ttapi.submits()) == 2
    await assert_delivered_once(running, guild_setup, job)


# -- a submit whose fate is unknown: never replayed, nothing charged -------------------------


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(lambda fake: fake.error_next(500, "internal error"), id="500"),
        # TTAPI documents no 503: its outcome is as unknown as a 500's (issue 17 #12).
        pytest.param(lambda fake: fake.error_next(503, "unavailable"), id="503"),
        pytest.param(
            lambda fake: fake.error_next(503, "unavailable", headers={"Retry-After": "0.1"}),
            id="503-retry-after",
        ),
        pytest.param(lambda fake: fake.inject("submit", html_page(502)), id="502-html"),
        pytest.param(lambda fake: fake.inject("submit", malformed_json()), id="malformed-json"),
        pytest.param(lambda fake: fake.inject("submit", connection_reset()), id="connection-reset"),
        pytest.param(lambda fake: fake.inject("submit", stall(2.0)), id="read-timeout"),
        pytest.param(lambda fake: fake.inject("submit", huge_json(2 * MIB)), id="answer-over-1-mib"),
    ],
)
async def test_ambiguous_submit_is_not_replayed_and_not_charged(
    simcord_env, running, guild_setup, fake_ttapi, fault
):
    # Long enough for the request to reach the fake (its loop is this test's, busy on a loaded
    # machine: at 0.2 s a connection reset's submit once timed out before the fake saw it).
    running.providers["ttapi"].timeout = 1.0  # type: ignore[attr-defined]
    fault(fake_ttapi)

    result, job = await imagine(simcord_env, running, guild_setup)

    assert job.state is JobState.FAILED
    assert job.error_code == "submit_unknown"
    assert len(fake_ttapi.submits()) == 1  # never sent a second time
    assert "not sent again" in result.response.content
    assert "Nothing was charged." in result.response.content
    await assert_not_charged(running, job.id)


async def test_a_submit_that_could_not_connect_is_sent_again_once_the_provider_is_back(
    simcord_env, running, guild_setup, fake_ttapi
):
    """Connection refused: nothing was sent, so (unlike a cut or a timeout after sending) the
    submit is safe to repeat; the whole provider waits first, as after a 429."""
    _, channel, alice = guild_setup
    provider = running.providers["ttapi"]
    provider.base_url = f"http://127.0.0.1:{free_port()}"  # type: ignore[attr-defined]
    await alice.slash(channel, "imagine", prompt="a lighthouse")
    await asyncio.sleep(0.5)
    (job,) = await running.jobs.for_user(alice.id)
    assert (job.state, job.error_code) == (JobState.QUEUED, "busy")

    provider.base_url = fake_ttapi.url  # type: ignore[attr-defined]
    await finish_jobs(simcord_env, running)

    (job,) = await running.jobs.for_user(alice.id)
    await assert_delivered_once(running, guild_setup, job)
    assert len(fake_ttapi.submits()) == 1


async def test_a_provider_that_stays_unreachable_fails_the_job_plainly_and_charges_nothing(
    simcord_env, running, guild_setup, fake_ttapi
):
    running.manager.config.unreachable_attempts = 2
    running.providers["ttapi"].base_url = f"http://127.0.0.1:{free_port()}"  # type: ignore[attr-defined]

    result, job = await imagine(simcord_env, running, guild_setup)

    assert (job.state, job.error_code) == (JobState.FAILED, "unreachable")
    assert job.attempts == 2
    assert "could not be reached, so the job was never sent" in result.response.content
    assert "Nothing was charged." in result.response.content
    assert fake_ttapi.submits() == []
    await assert_not_charged(running, job.id)


# -- faults while following a job: retried, then delivered once -------------------------------


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(
            lambda fake: fake.error_next(429, "slow down", on="fetch", headers={"Retry-After": "0.1"}),
            id="429-retry-after",
        ),
        pytest.param(
            lambda fake: fake.error_next(499, "busy", on="fetch", headers={"Retry-After": "0.1"}), id="499"
        ),
        pytest.param(lambda fake: fake.error_next(500, "internal", on="fetch", times=2), id="500"),
        pytest.param(lambda fake: fake.error_next(503, "unavailable", on="fetch", times=2), id="503"),
        pytest.param(lambda fake: fake.inject("fetch", html_page(502), times=2), id="502-html"),
        pytest.param(lambda fake: fake.inject("fetch", malformed_json()), id="malformed-json"),
        pytest.param(lambda fake: fake.inject("fetch", connection_reset()), id="connection-reset"),
        pytest.param(lambda fake: fake.inject("fetch", stall(0.5)), id="read-timeout"),
        pytest.param(lambda fake: fake.inject("fetch", huge_json(2 * MIB)), id="answer-over-1-mib"),
        pytest.param(
            lambda fake: fake.inject("fetch", huge_json(2 * MIB, announce_length=False)),
            id="chunked-answer-over-1-mib",
        ),
    ],
)
async def test_poll_faults_are_retried_and_the_image_is_delivered_once(
    simcord_env, running, guild_setup, fake_ttapi, fault
):
    running.providers["ttapi"].timeout = 0.2  # type: ignore[attr-defined]
    fault(fake_ttapi)

    _, job = await imagine(simcord_env, running, guild_setup)

    assert fake_ttapi.injected or any(r.path == "/flux/fetch" for r in fake_ttapi.requests)
    assert len(fake_ttapi.submits()) == 1
    await assert_delivered_once(running, guild_setup, job)


async def test_download_read_timeout_is_retried_and_delivered_once(
    simcord_env, running, guild_setup, fake_ttapi
):
    running.providers["ttapi"].download_timeout = 0.2  # type: ignore[attr-defined]
    fake_ttapi.inject("file", stall(0.5))

    _, job = await imagine(simcord_env, running, guild_setup)

    assert len(fake_ttapi.files()) == 2
    await assert_delivered_once(running, guild_setup, job)


async def test_download_connection_reset_is_retried_and_delivered_once(
    simcord_env, running, guild_setup, fake_ttapi
):
    fake_ttapi.inject("file", connection_reset())

    _, job = await imagine(simcord_env, running, guild_setup)

    assert len(fake_ttapi.files()) == 2
    await assert_delivered_once(running, guild_setup, job)


# -- refusals: the member is told, nothing is charged, nothing is retried ---------------------


@pytest.mark.parametrize(
    ("status", "message", "code", "told"),
    [
        (401, "Unauthorized", "auth", "key was refused"),
        (402, "insufficient quota", "credit", "out of credit"),
        (403, "account blocked", "auth", "key was refused"),
        (400, "Parameter error", "input", "refused the request"),
    ],
)
async def test_refused_submit_tells_the_member_and_charges_nothing(
    simcord_env, running, guild_setup, fake_ttapi, caplog, status, message, code, told
):
    fake_ttapi.error_next(status, message)

    result, job = await imagine(simcord_env, running, guild_setup)

    assert job.state is JobState.FAILED
    assert job.error_code == code
    assert len(fake_ttapi.submits()) == 1
    assert told in result.response.content
    assert "Nothing was charged." in result.response.content
    await assert_not_charged(running, job.id)
    # The operator reads what the provider said in the log, with the job id.
    assert any(job.id in r.getMessage() and f"HTTP {status}" in r.getMessage() for r in caplog.records)


async def test_failed_with_a_reason_shows_the_reason_and_charges_nothing(
    simcord_env, running, guild_setup, fake_ttapi
):
    fake_ttapi.fail_next("upstream generation error")

    result, job = await imagine(simcord_env, running, guild_setup)

    assert job.state is JobState.FAILED
    assert "upstream generation error" in result.response.content
    assert "Nothing was charged." in result.response.content
    await assert_not_charged(running, job.id)


async def test_moderated_input_is_refused_at_submit_and_charges_nothing(
    simcord_env, running, guild_setup, fake_ttapi
):
    fake_ttapi.error_next(400, "banned prompt words: prohibited")

    result, job = await imagine(simcord_env, running, guild_setup)

    assert job.state is JobState.MODERATED
    assert "filter" in result.response.content
    assert "Nothing was charged." in result.response.content
    assert len(fake_ttapi.submits()) == 1
    await assert_not_charged(running, job.id)


async def test_moderated_output_ends_moderated_and_charges_nothing(
    simcord_env, running, guild_setup, fake_ttapi
):
    fake_ttapi.fail_next("output image flagged as sensitive content")

    result, job = await imagine(simcord_env, running, guild_setup)

    assert job.state is JobState.MODERATED
    assert "safety filter" in result.response.content
    assert "Nothing was charged." in result.response.content
    await assert_not_charged(running, job.id)


async def test_task_not_found_fails_the_job_and_charges_nothing(
    simcord_env, running, guild_setup, fake_ttapi
):
    fake_ttapi.error_next(404, "job not found", on="fetch")

    result, job = await imagine(simcord_env, running, guild_setup)

    assert job.state is JobState.FAILED
    assert job.error_code == "not_found"
    assert "lost track" in result.response.content
    await assert_not_charged(running, job.id)


@pytest.mark.parametrize("settings_overrides", [{"job_timeout_seconds": 0.8}])
async def test_a_job_that_never_finishes_times_out_and_charges_nothing(
    simcord_env, running, guild_setup, fake_ttapi
):
    fake_ttapi.duration = 3600

    result, job = await imagine(simcord_env, running, guild_setup)

    assert job.state is JobState.TIMED_OUT
    assert "took too long" in result.response.content
    assert "Nothing was charged." in result.response.content
    await assert_not_charged(running, job.id)
    assert len(fake_ttapi.submits()) == 1


@pytest.mark.parametrize("settings_overrides", [{"job_timeout_seconds": 0.8}])
async def test_an_unknown_status_neither_crashes_nor_polls_forever(
    simcord_env, running, guild_setup, fake_ttapi
):
    async def odd_status(request):
        from aiohttp import web

        return web.json_response({"status": "WARMING_UP", "message": "", "data": {}})

    fake_ttapi.inject("fetch", odd_status, times=1000)

    _result, job = await imagine(simcord_env, running, guild_setup)

    assert job.state is JobState.TIMED_OUT
    await assert_not_charged(running, job.id)


# -- the result itself: expired, too large, elsewhere -----------------------------------------


async def test_an_expired_result_link_fails_the_download_and_says_so(
    simcord_env, running, guild_setup, fake_ttapi
):
    fake_ttapi.link_ttl = 0.0

    result, job = await imagine(simcord_env, running, guild_setup)

    assert job.state is JobState.FAILED
    assert job.error_code == "download"
    assert "could not be downloaded" in result.response.content
    # An expired link is refreshed by one poll (a finished job's fetch hands out a fresh link);
    # when that one is expired too, it is not retried again.
    assert len(fake_ttapi.files()) == 2
    # TTAPI billed the job (it finished): the member's charge and the job's cost agree, and they are told.
    await assert_charged_once(running, job.id, FIVE)
    assert "charged 5 credits" in result.response.content


@pytest.mark.parametrize("announce_length", [True, False], ids=["content-length", "chunked"])
async def test_a_result_larger_than_the_cap_is_refused(
    simcord_env, running, guild_setup, fake_ttapi, announce_length
):
    running.providers["ttapi"].max_result_bytes = 100_000  # type: ignore[attr-defined]
    fake_ttapi.inject("file", big_body(300_000, announce_length=announce_length), times=10)

    _result, job = await imagine(simcord_env, running, guild_setup)

    assert job.state is JobState.FAILED
    assert job.error_code == "download"
    assert len(fake_ttapi.files()) == 1  # too large stays too large: not fetched again
    assert not posted_images(guild_setup[1])


async def test_a_redirect_to_a_foreign_host_is_not_followed(simcord_env, running, guild_setup, fake_ttapi):
    fake_ttapi.inject("file", redirect("http://169.254.169.254/latest/meta-data/"), times=10)

    _result, job = await imagine(simcord_env, running, guild_setup)

    assert job.state is JobState.FAILED
    assert job.error_code == "download"
    assert len(fake_ttapi.files()) == 1
    assert not posted_images(guild_setup[1])


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"<!doctype html><html><body>Access denied</body></html>", "text/html"),
        (b'{"error": "link expired"}', "application/json"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 5000, "image/png"),  # a PNG signature, then nothing of a PNG
    ],
    ids=["html-page", "json", "broken-png"],
)
async def test_a_result_that_is_not_an_image_fails_at_once_and_is_never_posted(
    simcord_env, running, guild_setup, fake_ttapi, body, content_type
):
    fake_ttapi.inject("file", answer_with(body, content_type), times=10)

    result, job = await imagine(simcord_env, running, guild_setup)

    assert job.state is JobState.FAILED
    assert job.error_code == "not_an_image"
    assert len(fake_ttapi.files()) == 1  # the same link would give the same body: not fetched again
    assert not posted_images(guild_setup[1])  # never posted as a .png, never handed to the fitting step
    assert "not an image" in result.response.content
    # TTAPI finished and billed the job, as with an expired link: charged once, and told so.
    await assert_charged_once(running, job.id, FIVE)
    assert "charged 5 credits" in result.response.content
