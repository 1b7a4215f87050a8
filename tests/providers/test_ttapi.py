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
