"""The TTAPI client against the fake TTAPI on loopback: ids, statuses, quota strings, errors."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import aiohttp
import pytest
from pydantic import SecretStr

from bot.providers.base import (
    ProviderAuthError,
    ProviderBusy,
    ProviderCreditError,
    ProviderInputError,
    ProviderModerated,
    ProviderRequest,
    ProviderStatus,
    ResultDownloadError,
)
from bot.providers.ttapi import TTAPIProvider


@pytest.fixture
async def client(fake_ttapi):
    async with aiohttp.ClientSession() as session:
        yield TTAPIProvider(session=session, base_url=fake_ttapi.url, api_key=SecretStr(fake_ttapi.api_key))


async def wait_ready(client, job_id):
    seen = []
    for _ in range(100):
        result = await client.poll(job_id)
        if not seen or seen[-1] != result.raw_status:
            seen.append(result.raw_status)
        if result.status is not ProviderStatus.PENDING and result.status is not ProviderStatus.RUNNING:
            return result, seen
        await asyncio.sleep(0.03)
    raise AssertionError("never finished")


async def test_submit_reads_jobId_and_fetch_walks_the_documented_statuses(client, fake_ttapi):
    submission = await client.submit(ProviderRequest("/bfl/v1/flux-pro-1.1", {"prompt": "a cat"}))

    result, seen = await wait_ready(client, submission.provider_job_id)

    assert seen == ["PENDING_QUEUE", "ON_QUEUE", "SUCCESS"]
    assert result.status is ProviderStatus.READY
    assert result.cost == Decimal("5")
    assert result.seed == 933630001
    assert result.image_url.startswith(fake_ttapi.url + "/files/")
    assert fake_ttapi.fetches()[0].query == {"jobId": submission.provider_job_id}


async def test_submit_reads_job_id_from_the_newest_page(client, fake_ttapi):
    submission = await client.submit(ProviderRequest("/bfl/v1/flux-pro", {"prompt": "a cat", "steps": 40}))

    assert submission.provider_job_id in fake_ttapi.jobs


async def test_fractional_quota_is_kept_exactly(client, fake_ttapi):
    fake_ttapi.quota = "0.45"
    submission = await client.submit(ProviderRequest("/bfl/v1/flux-pro-1.1", {"prompt": "a cat"}))

    result, _ = await wait_ready(client, submission.provider_job_id)

    assert result.cost == Decimal("0.45")
    assert str(result.cost) == "0.45"


async def test_failed_with_a_violation_is_moderation(client, fake_ttapi):
    fake_ttapi.fail_next("prompt violation")
    submission = await client.submit(ProviderRequest("/bfl/v1/flux-pro-1.1", {"prompt": "x"}))

    result, _ = await wait_ready(client, submission.provider_job_id)

    assert result.status is ProviderStatus.MODERATED
    assert result.cost is None


async def test_failed_for_another_reason_is_a_failure_with_the_reason(client, fake_ttapi):
    fake_ttapi.fail_next("upstream generation error")
    submission = await client.submit(ProviderRequest("/bfl/v1/flux-pro-1.1", {"prompt": "x"}))

    result, _ = await wait_ready(client, submission.provider_job_id)

    assert result.status is ProviderStatus.FAILED
    assert result.message == "upstream generation error"


@pytest.mark.parametrize(
    ("status", "message", "error"),
    [
        (400, "Parameter error", ProviderInputError),
        (400, "banned prompt words: prohibited", ProviderModerated),
        (401, "Unauthorized", ProviderAuthError),
        (403, "account blocked", ProviderAuthError),
        (402, "insufficient quota", ProviderCreditError),
        (429, "too many requests", ProviderBusy),
        (499, "queue full", ProviderBusy),
    ],
)
async def test_error_envelopes_become_typed_errors(client, fake_ttapi, status, message, error):
    fake_ttapi.error_next(status, message)

    with pytest.raises(error) as caught:
        await client.submit(ProviderRequest("/bfl/v1/flux-pro-1.1", {"prompt": "a cat"}))

    assert caught.value.status == status
    assert fake_ttapi.api_key not in str(caught.value) + (caught.value.detail or "")


async def test_429_carries_retry_after(client, fake_ttapi):
    fake_ttapi.error_next(429, "slow down", headers={"Retry-After": "7"})

    with pytest.raises(ProviderBusy) as caught:
        await client.submit(ProviderRequest("/bfl/v1/flux-pro-1.1", {"prompt": "a cat"}))

    assert caught.value.retry_after == 7.0


async def test_a_wrong_key_is_an_auth_error(fake_ttapi):
    async with aiohttp.ClientSession() as session:
        client = TTAPIProvider(session=session, base_url=fake_ttapi.url, api_key=SecretStr("wrong"))
        with pytest.raises(ProviderAuthError):
            await client.submit(ProviderRequest("/bfl/v1/flux-pro-1.1", {"prompt": "a cat"}))


async def test_download_of_an_expired_link_fails_clearly(client, fake_ttapi):
    fake_ttapi.link_ttl = 0.0
    submission = await client.submit(ProviderRequest("/bfl/v1/flux-pro-1.1", {"prompt": "a cat"}))
    result, _ = await wait_ready(client, submission.provider_job_id)
    await asyncio.sleep(0.01)

    with pytest.raises(ResultDownloadError, match="expired"):
        await client.download(result.image_url)


async def test_download_refuses_hosts_outside_the_provider(client):
    with pytest.raises(ResultDownloadError, match="outside the provider"):
        await client.download("http://example.com/image.png")


def test_repr_never_shows_the_key(client):
    assert "test-ttapi-key" not in repr(client)


async def test_legacy_generate_reports_back_on_hookUrl_and_office_endpoints_on_webhook_url(
    client, fake_ttapi
):
    from bot.providers.base import Callback

    callback = Callback("http://127.0.0.1:9/cb/token")
    await client.submit(
        ProviderRequest("/flux/generate", {"prompt": "a cat", "mode": "flux1-dev", "size": "1024x1024"}),
        callback=callback,
    )
    await client.submit(ProviderRequest("/bfl/v1/flux-dev", {"prompt": "a cat"}), callback=callback)

    legacy, office = fake_ttapi.submits()
    assert legacy.body == {
        "prompt": "a cat",
        "mode": "flux1-dev",
        "size": "1024x1024",
        "hookUrl": callback.url,
    }
    assert office.body == {"prompt": "a cat", "webhook_url": callback.url}


@pytest.mark.parametrize(
    ("payload", "status", "cost", "seed"),
    [
        # the seed pages' finished job: quota and seed as strings
        (
            {
                "status": "SUCCESS",
                "data": {
                    "jobId": "j",
                    "quota": "5",
                    "seed": "933630001",
                    "imageUrl": "https://cdn.ttapi.io/x.png",
                },
            },
            ProviderStatus.READY,
            "5",
            933630001,
        ),
        # older pages: numbers
        (
            {
                "status": "SUCCESS",
                "data": {"jobId": "j", "quota": 3, "seed": 7, "imageUrl": "https://cdn.ttapi.io/x.png"},
            },
            ProviderStatus.READY,
            "3",
            7,
        ),
        ({"status": "PENDING_QUEUE", "data": {"jobId": "j"}}, ProviderStatus.PENDING, None, None),
        (
            {"status": "ON_QUEUE", "data": {"jobId": "j", "progress": "40%"}},
            ProviderStatus.RUNNING,
            None,
            None,
        ),
        (
            {"status": "FAILED", "message": "insufficient quota", "data": None},
            ProviderStatus.FAILED,
            None,
            None,
        ),
        ({"status": "SOMETHING_NEW", "data": {}}, ProviderStatus.UNKNOWN, None, None),
        ({"status": "SUCCESS", "data": {"jobId": "j"}}, ProviderStatus.FAILED, None, None),  # no image
    ],
)
def test_every_fetch_status_is_mapped_and_unknown_ones_do_not_crash(client, payload, status, cost, seed):
    result = client.parse_fetch(payload)

    assert result.status is status
    assert result.cost == (Decimal(cost) if cost else None)
    assert result.seed == seed


def test_a_callback_names_its_job_by_jobId_at_the_top_or_in_data(client):
    assert client.parse_callback({"status": "ON_QUEUE", "jobId": "top", "data": None})[0] == "top"
    assert client.parse_callback({"status": "ON_QUEUE", "data": {"job_id": "snake"}})[0] == "snake"


async def test_post_fetch_with_a_json_body_is_served_too(fake_ttapi, client):
    submission = await client.submit(ProviderRequest("/bfl/v1/flux-pro-1.1", {"prompt": "a cat"}))
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            fake_ttapi.url + "/flux/fetch",
            json={"jobId": submission.provider_job_id},
            headers={"TT-API-KEY": fake_ttapi.api_key},
        ) as response,
    ):
        body = await response.json()
    assert body["jobId"] == submission.provider_job_id
    assert client.parse_fetch(body).status in (ProviderStatus.PENDING, ProviderStatus.RUNNING)


async def test_check_proves_the_key_without_submitting(client, fake_ttapi):
    assert "key accepted" in await client.check()
    assert fake_ttapi.submits() == []
    async with aiohttp.ClientSession() as session:
        wrong = TTAPIProvider(session=session, base_url=fake_ttapi.url, api_key=SecretStr("wrong"))
        with pytest.raises(ProviderAuthError):
            await wrong.check()
