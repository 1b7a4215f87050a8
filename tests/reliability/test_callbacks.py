"""Callbacks as an attacker would send them: wrong token, wrong secret or signature, unknown jobs,
oversized and malformed bodies, replays. Each is refused (401/400/413) and changes nothing; the
genuine callback still finishes the job, delivered once and charged once.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from bot.app import callback_urls
from bot.jobs.model import JobState
from bot.web import MAX_CALLBACK_BYTES, bound_port, serve
from tests.conftest import finish_jobs
from tests.fakes.bfl import FakeBFL
from tests.reliability.conftest import assert_charged_once, posted_images


@pytest.fixture
def settings_overrides(fake_bfl: FakeBFL) -> dict[str, Any]:
    return {
        "webhook_public_url": "http://127.0.0.1:1",  # replaced by the real address once serving
        "http_host": "127.0.0.1",
        "http_port": 0,
        "bfl_api_key": fake_bfl.api_key,
        "bfl_base_url": fake_bfl.url,
        "bfl_finetune_base_url": fake_bfl.url,
        "default_provider": "ttapi",
    }


@dataclass
class Web:
    http: aiohttp.ClientSession
    base: str


@pytest.fixture
async def web(running, settings) -> AsyncIterator[Web]:
    """The real web server on an ephemeral port; jobs are told to call back there."""
    async with serve(settings, running, None) as site, aiohttp.ClientSession() as http:
        base = f"http://127.0.0.1:{bound_port(site)}"
        running.manager.callback_url = callback_urls(settings.model_copy(update={"webhook_public_url": base}))
        yield Web(http, base)


async def post(web: Web, path: str, body: bytes, **headers: str) -> int:
    async with web.http.post(web.base + path, data=body, headers=headers) as response:
        await response.read()
        return response.status


async def running_job(env, running, guild_setup, command: str = "imagine", **options: Any):
    _, channel, alice = guild_setup
    await alice.slash(channel, command, **{"prompt": "a lighthouse", **options})
    for _ in range(100):
        (job,) = await running.jobs.for_user(alice.id)
        if job.state is JobState.RUNNING:
            return job
        await env.settle()
        await asyncio.sleep(0.02)
    raise AssertionError(f"job never ran: {job.state}")


FORGED_SUCCESS = json.dumps(
    {
        "status": "SUCCESS",
        "message": "success",
        "data": {"imageUrl": "https://evil.example/x.png", "quota": "0", "seed": "1"},
    }
).encode()


async def test_forged_ttapi_callbacks_are_refused_and_change_nothing(
    simcord_env, running, guild_setup, fake_ttapi, web
):
    fake_ttapi.duration = 1.5
    job = await running_job(simcord_env, running, guild_setup)
    token = job.callback_token
    assert token

    statuses = {
        "wrong token": await post(web, f"/callbacks/ttapi/{job.id}/{'x' * len(token)}", FORGED_SUCCESS),
        "token one char short": await post(web, f"/callbacks/ttapi/{job.id}/{token[:-1]}", FORGED_SUCCESS),
        "unknown job": await post(web, f"/callbacks/ttapi/0000000000000000/{token}", FORGED_SUCCESS),
        "very long job id": await post(web, f"/callbacks/ttapi/{'a' * 5000}/{token}", FORGED_SUCCESS),
        "bfl route for a ttapi job": await post(
            web, f"/callbacks/bfl/{job.id}", FORGED_SUCCESS, **{"X-Webhook-Secret": token}
        ),
    }
    assert set(statuses.values()) == {401}, statuses
    assert (await running.jobs.get(job.id)).state is JobState.RUNNING  # type: ignore[union-attr]

    await finish_jobs(simcord_env, running)

    (done,) = await running.jobs.for_user(job.user_id)
    assert done.state is JobState.DELIVERED
    assert done.result_url
    assert "evil.example" not in done.result_url
    assert len(posted_images(guild_setup[1])) == 1
    await assert_charged_once(running, job.id, Decimal(5))


async def test_bad_bodies_are_refused_even_with_the_right_token(
    simcord_env, running, guild_setup, fake_ttapi, web
):
    fake_ttapi.duration = 1.5
    job = await running_job(simcord_env, running, guild_setup)
    path = f"/callbacks/ttapi/{job.id}/{job.callback_token}"

    assert await post(web, path, b"x" * (MAX_CALLBACK_BYTES + 1)) == 413
    assert await post(web, path, b"{" * (10 * MAX_CALLBACK_BYTES)) == 413

    async def chunks():
        for _ in range(20):
            yield b" " * 8192

    async with web.http.post(web.base + path, data=chunks()) as response:  # chunked, no Content-Length
        assert response.status == 413
    assert await post(web, path, b"{not json") == 400
    assert await post(web, path, b"[1, 2, 3]") == 400
    async with web.http.get(web.base + path) as response:
        assert response.status == 405
    assert (await running.jobs.get(job.id)).state is JobState.RUNNING  # type: ignore[union-attr]

    await finish_jobs(simcord_env, running)
    (done,) = await running.jobs.for_user(job.user_id)
    assert done.state is JobState.DELIVERED
    await assert_charged_once(running, job.id, Decimal(5))


async def test_forged_bfl_callbacks_are_refused(simcord_env, running, guild_setup, fake_bfl, web):
    fake_bfl.duration = 1.5
    job = await running_job(simcord_env, running, guild_setup, "finetune", finetune_id="ft-1")
    assert job.provider == "bfl"
    secret = job.callback_token or ""
    body = json.dumps(
        {"id": job.provider_job_id, "status": "Ready", "result": {"sample": "https://x.bfl.ai/a"}}
    )
    raw = body.encode()
    good = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    path = f"/callbacks/bfl/{job.id}"

    statuses = {
        "no credentials": await post(web, path, raw),
        "wrong secret": await post(web, path, raw, **{"X-Webhook-Secret": "guess"}),
        "secret plus a char": await post(web, path, raw, **{"X-Webhook-Secret": secret + "x"}),
        "signature of another body": await post(web, path, raw + b" ", **{"X-BFL-Signature": good}),
        "signature with another key": await post(
            web,
            path,
            raw,
            **{"X-BFL-Signature": "sha256=" + hmac.new(b"k", raw, hashlib.sha256).hexdigest()},
        ),
        "ttapi route with the secret as token": await post(web, f"/callbacks/ttapi/{job.id}/{secret}", raw),
    }
    assert set(statuses.values()) == {401}, statuses
    assert (await running.jobs.get(job.id)).state is JobState.RUNNING  # type: ignore[union-attr]

    await finish_jobs(simcord_env, running)
    (done,) = await running.jobs.for_user(job.user_id)
    assert done.state is JobState.DELIVERED
    assert len(posted_images(guild_setup[1])) == 1


async def test_the_genuine_callback_replayed_is_answered_but_delivers_once(
    simcord_env, running, guild_setup, fake_ttapi, web
):
    fake_ttapi.duration = 0.5
    job = await running_job(simcord_env, running, guild_setup)
    path = f"/callbacks/ttapi/{job.id}/{job.callback_token}"
    await finish_jobs(simcord_env, running)
    genuine = json.dumps(fake_ttapi._fetch_json(fake_ttapi.jobs[job.provider_job_id])).encode()

    assert [await post(web, path, genuine) for _ in range(3)] == [200, 200, 200]
    await finish_jobs(simcord_env, running)

    assert len(posted_images(guild_setup[1])) == 1
    await assert_charged_once(running, job.id, Decimal(5))
