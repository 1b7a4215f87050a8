"""`/metrics` on the real web server: who may read it (loopback, or METRICS_TOKEN), what it shows
(unfinished jobs from an index, the standard process/platform/GC collectors, build info)."""

from __future__ import annotations

import itertools
import logging
import platform
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import version
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import make_mocked_request

from bot.app import Services
from bot.settings import Settings
from bot.web import bound_port, metrics_refusal, serve

TOKEN = "metrics-token-1234567890"
_SEQ = itertools.count(1)


@asynccontextmanager
async def web(settings: Settings, services: Services) -> AsyncIterator[tuple[aiohttp.ClientSession, str]]:
    async with serve(settings, services, None) as site, aiohttp.ClientSession() as http:
        yield http, f"http://127.0.0.1:{bound_port(site)}"


async def get(http: aiohttp.ClientSession, url: str, **headers: str) -> tuple[int, str, Any]:
    async with http.get(url, headers=headers) as response:
        return response.status, await response.text(), response.headers


async def add_jobs(services: Services, state: str, model: str, count: int) -> None:
    now = time.time()
    await services.db.executemany(
        "INSERT INTO jobs (id, seq, state, origin, provider, model, prompt, params, user_id, estimate,"
        " created_at, updated_at) VALUES (?, ?, ?, 'cli', 'ttapi', ?, 'a prompt', '{}', 1, '5', ?, ?)",
        [(f"{state}-{model}-{n}", next(_SEQ), state, model, now, now) for n in range(count)],
    )


# -- who may read it ----------------------------------------------------------------------------


async def test_without_a_token_metrics_answer_loopback_and_healthz_stays_open(settings, services):
    async with web(settings, services) as (http, base):
        status, text, _ = await get(http, base + "/metrics")
        assert status == 200
        assert "fluxbot_queue_length" in text
        # Through a reverse proxy on this host the peer is loopback too; the forwarding header tells.
        for header in ({"X-Forwarded-For": "198.51.100.7"}, {"Forwarded": "for=198.51.100.7"}):
            status, text, _ = await get(http, base + "/metrics", **header)
            assert status == 403, header
            assert "METRICS_TOKEN" in text
            status, _, _ = await get(http, base + "/healthz", **header)
            assert status == 200


@pytest.mark.parametrize("settings_overrides", [{"metrics_token": TOKEN}])
async def test_with_a_token_metrics_need_it_as_a_bearer_token(settings, services, caplog):
    caplog.set_level(logging.DEBUG)
    async with web(settings, services) as (http, base):
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
            status, text, response_headers = await get(http, base + "/metrics", **headers)
            assert status == 401, headers
            assert response_headers["WWW-Authenticate"] == "Bearer"
            assert TOKEN not in text
        status, text, _ = await get(http, base + "/metrics", Authorization=f"Bearer {TOKEN}")
        assert status == 200
        assert "fluxbot_build_info" in text
        # With the token, a proxied request may read it too: the token is the opt-in.
        status, _, _ = await get(
            http, base + "/metrics", Authorization=f"Bearer {TOKEN}", **{"X-Forwarded-For": "198.51.100.7"}
        )
        assert status == 200
        status, _, _ = await get(http, base + "/healthz")
        assert status == 200
        # Callbacks are judged by their own credentials, not by the metrics rule.
        async with http.post(base + "/callbacks/ttapi/nojob/notoken", data=b"{}") as response:
            assert response.status == 401
    assert TOKEN not in caplog.text


class _Peer:
    """The transport of a request that arrived from `address`."""

    def __init__(self, address: str) -> None:
        self.address = address

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return (self.address, 40000) if name == "peername" else default


@pytest.mark.parametrize(
    ("peer", "allowed"),
    [
        ("127.0.0.1", True),
        ("127.0.0.5", True),
        ("::1", True),
        ("::ffff:127.0.0.1", True),
        ("172.17.0.1", False),  # the Docker bridge: a published port's traffic arrives from here
        ("203.0.113.9", False),
        ("::ffff:203.0.113.9", False),
    ],
)
def test_without_a_token_only_loopback_peers_may_read_metrics(peer, allowed):
    request = make_mocked_request("GET", "/metrics", transport=_Peer(peer))
    refusal = metrics_refusal(request, None)
    assert (refusal is None) is allowed
    if refusal is not None:
        assert refusal.status == 403


def test_with_a_token_any_peer_with_it_may_read_metrics():
    settings = make_settings_with_token()
    token = settings.metrics_token
    outside = {"transport": _Peer("203.0.113.9")}
    assert metrics_refusal(make_mocked_request("GET", "/metrics", **outside), token).status == 401  # type: ignore[union-attr]
    good = make_mocked_request("GET", "/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, **outside)
    assert metrics_refusal(good, token) is None


def make_settings_with_token(**overrides: Any) -> Settings:
    return Settings(_env_file=None, metrics_token=TOKEN, **overrides)  # type: ignore[call-arg]


def test_metrics_token_is_a_secret_and_empty_means_unset(monkeypatch):
    settings = make_settings_with_token()
    assert TOKEN not in repr(settings)
    assert TOKEN not in str(settings.model_dump())
    assert TOKEN in settings.secret_values()  # so the log filter masks it
    monkeypatch.setenv("METRICS_TOKEN", "")
    assert Settings(_env_file=None).metrics_token is None  # type: ignore[call-arg]


# -- what it shows ------------------------------------------------------------------------------


async def test_fluxbot_jobs_counts_unfinished_jobs_only(settings, services):
    await add_jobs(services, "delivered", "flux-dev", 40)
    await add_jobs(services, "failed", "flux-dev", 3)
    await add_jobs(services, "queued", "flux-dev", 2)
    await add_jobs(services, "running", "flux-pro-1.1", 1)
    async with web(settings, services) as (http, base):
        _, text, _ = await get(http, base + "/metrics")
    jobs = sorted(line for line in text.splitlines() if line.startswith("fluxbot_jobs{"))
    assert jobs == [
        'fluxbot_jobs{model="flux-dev",state="queued"} 2.0',
        'fluxbot_jobs{model="flux-pro-1.1",state="running"} 1.0',
    ]


async def test_metrics_carry_process_platform_gc_and_build_info(settings, services):
    async with web(settings, services) as (http, base):
        _, text, _ = await get(http, base + "/metrics")
    for family in (
        "process_resident_memory_bytes",
        "process_cpu_seconds_total",
        "process_open_fds",
        "python_info{",
        "python_gc_collections_total{",
    ):
        assert f"\n{family}" in text, family
    expected = (
        f'fluxbot_build_info{{python="{platform.python_version()}",version="{version("fluxbot")}"}} 1.0'
    )
    assert expected in text.splitlines()
    for secret in ("test-discord-token", settings.ttapi_api_key.get_secret_value()):
        assert secret not in text


def test_two_registries_in_one_process_each_get_the_standard_collectors():
    from bot.jobs.metrics import JobMetrics

    first, second = JobMetrics().render().decode(), JobMetrics().render().decode()
    assert "process_resident_memory_bytes" in first
    assert "process_resident_memory_bytes" in second
