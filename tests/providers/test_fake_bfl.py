"""The fake BFL itself speaks the documented protocol (so client tests against it mean something)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json

import aiohttp
from aiohttp import web

from tests.fakes.bfl import FakeBFL
from tests.fakes.loopback import serve_on_loopback


async def test_submit_poll_and_download_follow_the_documented_shapes(fake_bfl: FakeBFL) -> None:
    headers = {"x-key": fake_bfl.api_key}
    async with aiohttp.ClientSession() as http:
        async with http.post(
            fake_bfl.url + "/v1/flux-pro", json={"prompt": "a cat", "width": 512}, headers=headers
        ) as r:
            submitted = await r.json()
        assert set(submitted) == {"id", "polling_url", "cost", "input_mp", "output_mp"}
        assert submitted["polling_url"] == f"{fake_bfl.url}/v1/get_result?id={submitted['id']}"
        async with http.get(submitted["polling_url"], headers=headers) as r:
            assert (await r.json())["status"] == "Pending"
        await asyncio.sleep(fake_bfl.duration)
        async with http.get(submitted["polling_url"], headers=headers) as r:
            ready = await r.json()
        assert ready["status"] == "Ready"
        assert ready["result"]["prompt"] == "a cat"
        assert "/delivery/" in ready["result"]["sample"]
        async with http.get(ready["result"]["sample"]) as r:
            assert r.status == 200
            assert r.content_type == "image/jpeg"
        async with http.get(fake_bfl.url + "/v1/credits", headers=headers) as r:
            assert await r.json() == {"credits": 1234.5}
        async with http.get(fake_bfl.url + "/v1/credits", headers={"x-key": "wrong"}) as r:
            assert r.status == 403


async def test_out_of_range_fields_are_refused_with_a_detail_list(fake_bfl: FakeBFL) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            fake_bfl.url + "/v1/flux-pro",
            json={"prompt": "a cat", "width": 1000, "steps": "40"},
            headers={"x-key": fake_bfl.api_key},
        ) as r,
    ):
        assert r.status == 422
        detail = (await r.json())["detail"]
    assert [d["loc"] for d in detail] == [["body", "width"], ["body", "steps"]]
    assert fake_bfl.jobs == {}


async def test_webhook_carries_the_secret_and_the_hmac(fake_bfl: FakeBFL) -> None:
    received: asyncio.Queue[tuple[dict[str, str], bytes]] = asyncio.Queue()

    async def hook(request: web.Request) -> web.Response:
        await received.put((dict(request.headers), await request.read()))
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner, hook_url = await serve_on_loopback(app)
    fake_bfl.signature_mode = "both"
    fake_bfl.duration = 0.05
    try:
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                fake_bfl.url + "/v1/flux-pro-1.1",
                json={
                    "prompt": "a cat",
                    "webhook_url": f"{hook_url}/hook",
                    "webhook_secret": "s3",
                },
                headers={"x-key": fake_bfl.api_key},
            ) as r,
        ):
            job_id = (await r.json())["id"]
        headers, body = await asyncio.wait_for(received.get(), 5)
    finally:
        await runner.cleanup()
    assert headers["X-Webhook-Secret"] == "s3"
    assert headers["X-BFL-Signature"] == "sha256=" + hmac.new(b"s3", body, hashlib.sha256).hexdigest()
    payload = json.loads(body)
    assert payload["id"] == job_id
    assert payload["status"] == "Ready"
