"""The BFL client against the fake BFL on loopback: polling_url, statuses, details, errors, cost."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import aiohttp
import pytest
from pydantic import SecretStr

from bot.providers.base import (
    Callback,
    ProviderAuthError,
    ProviderBusy,
    ProviderCreditError,
    ProviderInputError,
    ProviderRequest,
    ProviderServerError,
    ProviderStatus,
    ResultDownloadError,
)
from bot.providers.bfl import BFLProvider
from tests.fakes.bfl import FakeBFL
from tests.helpers import bfl_client, poll_until_done

PRO = ProviderRequest("/v1/flux-pro-1.1", {"prompt": "a cat", "width": 512, "height": 512})


@pytest.fixture
def client(http, fake_bfl):
    return bfl_client(
        http, fake_bfl, prices={"/v1/flux-pro-1.1": Decimal(4), "/v1/flux-kontext-max": Decimal(8)}
    )


async def test_submit_sends_x_key_and_polls_the_returned_polling_url(client, fake_bfl):
    fake_bfl.polling_prefix = "/us1"  # as a regional cluster would answer
    submission = await client.submit(PRO)

    assert submission.polling_url == f"{fake_bfl.url}/us1/v1/get_result?id={submission.provider_job_id}"
    result, seen = await poll_until_done(client, submission)

    assert seen == ["Pending", "Ready"]
    assert result.status is ProviderStatus.READY
    assert result.image_url.startswith(fake_bfl.url + "/delivery/")
    assert fake_bfl.submits()[0].headers["x-key"] == fake_bfl.api_key
    assert fake_bfl.submits()[0].body == PRO.body
    assert {r.path for r in fake_bfl.polls()} == {"/us1/v1/get_result"}
    assert all(r.query == {"id": submission.provider_job_id} for r in fake_bfl.polls())
    image = await client.download(result.image_url)
    assert image[:3] == b"\xff\xd8\xff"  # the JPEG BFL serves by default


async def test_without_a_polling_url_it_falls_back_to_get_result(client, fake_bfl):
    submission = await client.submit(PRO)

    result, _ = await poll_until_done(client, type(submission)(submission.provider_job_id))

    assert result.status is ProviderStatus.READY
    assert {r.path for r in fake_bfl.polls()} == {"/v1/get_result"}


async def test_a_polling_url_on_a_foreign_host_is_not_sent_the_key(client, fake_bfl):
    submission = await client.submit(PRO)

    await client.poll(submission.provider_job_id, "https://evil.example/v1/get_result?id=x")

    assert [r.path for r in fake_bfl.polls()] == ["/v1/get_result"]


async def test_ready_carries_seed_and_the_cost_comes_from_the_submit_answer(client, fake_bfl):
    fake_bfl.cost = 4.5
    submission = await client.submit(ProviderRequest("/v1/flux-pro-1.1", {"prompt": "a cat", "seed": 42}))
    result, _ = await poll_until_done(client, submission)

    assert submission.cost == Decimal("4.5")
    assert result.seed == 42
    assert result.cost is None  # the charge is the submit's cost


async def test_without_cost_in_the_answer_the_public_price_is_the_charge(client, fake_bfl):
    fake_bfl.cost = None
    assert (await client.submit(PRO)).cost == Decimal(4)
    unpublished = await client.submit(ProviderRequest("/v1/flux-dev", {"prompt": "a cat"}))
    assert unpublished.cost is None  # the manager then charges the estimate it held


@pytest.mark.parametrize(
    ("outcome", "status", "words"),
    [
        ("Request Moderated", ProviderStatus.MODERATED, "prompt or an input image"),
        ("Content Moderated", ProviderStatus.MODERATED, "generated image"),
        ("Error", ProviderStatus.FAILED, "Internal error"),
        ("Task not found", ProviderStatus.NOT_FOUND, "no longer knows"),
    ],
)
async def test_every_terminal_status_is_mapped(client, fake_bfl, outcome, status, words):
    fake_bfl.outcome_next(outcome)
    submission = await client.submit(PRO)

    result, seen = await poll_until_done(client, submission)

    assert result.status is status
    assert seen[-1] == outcome
    assert words in (result.message or "")
    assert result.image_url is None


async def test_an_id_bfl_never_issued_is_task_not_found(client):
    result = await client.poll("no-such-id")

    assert result.status is ProviderStatus.NOT_FOUND
    assert result.raw_status == "Task not found"


def test_an_unknown_status_is_unknown_not_a_crash(client):
    result = client.parse_result({"id": "x", "status": "Thinking Hard", "result": None})
    assert result.status is ProviderStatus.UNKNOWN
    assert client.parse_result("garbage").status is ProviderStatus.UNKNOWN
    ready_without_sample = client.parse_result({"id": "x", "status": "Ready", "result": {}})
    assert ready_without_sample.status is ProviderStatus.FAILED


async def test_a_detail_string_is_the_message(client, fake_bfl):
    fake_bfl.error_next(400, "Prompt is too long")

    with pytest.raises(ProviderInputError) as caught:
        await client.submit(PRO)

    assert caught.value.message == "BFL refused the request: Prompt is too long"


async def test_a_detail_list_names_the_fields(client, fake_bfl):
    # The fake validates like the real API: this body is out of range on two fields.
    bad = ProviderRequest(
        "/v1/flux-pro", {"prompt": "a cat", "width": 1000, "image_prompt_strength": 3, "steps": 40}
    )
    with pytest.raises(ProviderInputError) as caught:
        await client.submit(bad)

    assert caught.value.status == 422
    assert "`width`: Value error, must be a multiple of 32" in caught.value.message
    assert "`image_strength`: Input should be less than or equal to 1" in caught.value.message
    assert fake_bfl.jobs == {}


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (402, ProviderCreditError),
        (403, ProviderAuthError),
        (500, ProviderServerError),
        (503, ProviderServerError),  # a paid POST is never replayed after a 5xx
    ],
)
async def test_http_errors_become_typed_errors(client, fake_bfl, status, error):
    fake_bfl.error_next(status, "nope")

    with pytest.raises(error) as caught:
        await client.submit(PRO)

    assert caught.value.status == status
    assert fake_bfl.api_key not in str(caught.value) + (caught.value.detail or "")


async def test_429_is_busy_with_retry_after(client, fake_bfl):
    fake_bfl.error_next(429, "Too many active tasks", headers={"Retry-After": "12"})

    with pytest.raises(ProviderBusy) as caught:
        await client.submit(PRO)

    assert caught.value.retry_after == 12.0
    assert caught.value.retryable


async def test_a_poll_error_is_typed_too(client, fake_bfl):
    submission = await client.submit(PRO)
    fake_bfl.error_next(429, "slow down", on="poll", headers={"Retry-After": "3"})

    with pytest.raises(ProviderBusy) as caught:
        await client.poll(submission.provider_job_id, submission.polling_url)

    assert caught.value.retry_after == 3.0


async def test_an_expired_sample_link_fails_clearly(client, fake_bfl):
    fake_bfl.link_ttl = 0.0
    submission = await client.submit(PRO)
    result, _ = await poll_until_done(client, submission)
    await asyncio.sleep(0.01)

    with pytest.raises(ResultDownloadError, match="expired"):
        await client.download(result.image_url)


async def test_finetuned_requests_go_to_the_finetune_host(http, fake_bfl):
    regional = FakeBFL(api_key=fake_bfl.api_key)
    await regional.start()
    try:
        client = BFLProvider(
            session=http,
            base_url=fake_bfl.url,
            finetune_base_url=regional.url,
            api_key=SecretStr(fake_bfl.api_key),
        )
        body = {"prompt": "me", "finetune_id": "my-finetune", "finetune_strength": 1.1}
        submission = await client.submit(ProviderRequest("/v1/flux-pro-finetuned", body, host="finetune"))
        result, _ = await poll_until_done(client, submission)

        assert [r.path for r in regional.submits()] == ["/v1/flux-pro-finetuned"]
        assert fake_bfl.submits() == []
        assert result.status is ProviderStatus.READY
        assert (await client.download(result.image_url))[:3] == b"\xff\xd8\xff"

        regional.finetunes = {"my-finetune"}
        with pytest.raises(ProviderInputError, match="does not know the finetune `other`"):
            await client.submit(
                ProviderRequest("/v1/flux-pro-finetuned", {**body, "finetune_id": "other"}, host="finetune")
            )
    finally:
        await regional.stop()


async def test_callback_url_and_secret_are_sent_and_the_callback_parsed(client, fake_bfl):
    await client.submit(PRO, callback=Callback("http://127.0.0.1:9/cb/abc", secret="s3cret"))

    body = fake_bfl.submits()[0].body
    assert body["webhook_url"] == "http://127.0.0.1:9/cb/abc"
    assert body["webhook_secret"] == "s3cret"
    job = next(iter(fake_bfl.jobs.values()))
    job.duration = 0
    job_id, result = client.parse_callback(fake_bfl.result_json(job))
    assert job_id == job.id
    assert result.status is ProviderStatus.READY


async def test_check_reads_the_credit_balance(client, fake_bfl, http):
    assert await client.check() == "key accepted, 1234.5 credits left (GET /v1/credits)"
    wrong = BFLProvider(session=http, base_url=fake_bfl.url, api_key=SecretStr("wrong"))
    with pytest.raises(ProviderAuthError):
        await wrong.check()


def test_repr_never_shows_the_key(client, fake_bfl):
    assert fake_bfl.api_key not in repr(client)
    assert "bfl.ai" in client.result_hosts()


async def test_the_key_goes_to_a_real_bfl_polling_url_only_over_https():
    async with aiohttp.ClientSession() as session:
        real = BFLProvider(session=session, base_url="https://api.bfl.ai", api_key=SecretStr("k"))
        assert real._may_poll("https://api.eu.bfl.ai/v1/get_result?id=1")
        assert not real._may_poll("http://api.eu.bfl.ai/v1/get_result?id=1")
        assert not real._may_poll("https://api.bfl.ai.evil.example/v1/get_result?id=1")
