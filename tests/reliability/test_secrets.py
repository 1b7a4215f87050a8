"""Secrets never leave: a whole session with known secret values, then everything captured is scanned.

The session: the real bot under SimCord, both fake providers, successes and failures — including
providers that echo the key back in their error text — logging at DEBUG through the product's own
stdout handler. Scanned afterwards: raw log records, stdout/stderr, the SimCord transcript and every
REST body the bot sent to Discord, the SQLite file and its WAL, the reprs of every service, the
text of every error, and which requests carried which key.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.app import callback_urls
from bot.logs import setup_logging
from bot.web import bound_port, serve
from tests.conftest import finish_jobs, root_logging_restored
from tests.fakes.bfl import FakeBFL
from tests.reliability.conftest import FaultyTTAPI, html_page

DISCORD_TOKEN = "MTE5ODc2NTQzMjEw.Gsecret.discord-token-value-4d1f"
TTAPI_KEY = "ttapi-sk-live-0c5e7a9b1d3f"
BFL_KEY = "bfl-key-live-8e2a4c6d0f1b"
SECRETS = {"DISCORD_TOKEN": DISCORD_TOKEN, "TTAPI_API_KEY": TTAPI_KEY, "BFL_API_KEY": BFL_KEY}


@pytest.fixture
async def fake_ttapi() -> AsyncIterator[FaultyTTAPI]:
    fake = FaultyTTAPI(api_key=TTAPI_KEY)
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def fake_bfl() -> AsyncIterator[FakeBFL]:
    fake = FakeBFL(api_key=BFL_KEY, duration=0.2)
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
def settings_overrides(fake_bfl: FakeBFL) -> dict[str, Any]:
    return {
        "discord_token": DISCORD_TOKEN,
        "bfl_api_key": BFL_KEY,
        "bfl_base_url": fake_bfl.url,
        "bfl_finetune_base_url": fake_bfl.url,
        "default_provider": "ttapi",
        "http_port": 0,
        "job_timeout_seconds": 1.5,  # an ambiguous submit waits this long for a rescuing callback
        # Jobs carry callback tokens and BFL secrets; the real address is set once serving.
        "webhook_public_url": "http://127.0.0.1:1",
    }


class RawLines(logging.Handler):
    """Formats each record the moment it is emitted, before any other handler's filter runs."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info:
            text += logging.Formatter().formatException(record.exc_info)
        self.lines.append(f"{record.name}: {text}")


@contextmanager
def product_logging(raw: RawLines, settings: Any) -> Iterator[None]:
    """The product's logging (stdout handler with its redaction filter) plus pytest's raw capture.

    pytest's handler goes first, so it sees each record before the product's filter touches it:
    what any handler an operator adds would receive. Set up inside the test, so the product's
    handler writes to the stdout `capfd` captures.
    """
    with root_logging_restored() as root:
        setup_logging("DEBUG", settings.secret_values())
        product_handler = root.handlers[0]
        root.removeHandler(product_handler)
        root.addHandler(raw)
        root.addHandler(product_handler)
        yield


def leaks(text: str, where: str, secrets: dict[str, str] | None = None) -> list[str]:
    return [f"{name} in {where}" for name, value in (secrets or SECRETS).items() if value in text]


async def test_a_whole_session_never_shows_a_secret(
    simcord_env, running, guild_setup, fake_ttapi, fake_bfl, settings, capfd
):
    raw = RawLines()
    with product_logging(raw, settings):
        async with serve(settings, running, None) as site:
            base = f"http://127.0.0.1:{bound_port(site)}"
            running.manager.callback_url = callback_urls(
                settings.model_copy(update={"webhook_public_url": base})
            )
            await run_session_and_scan(
                simcord_env, running, guild_setup, fake_ttapi, fake_bfl, base, raw, capfd
            )


async def run_session_and_scan(simcord_env, running, guild_setup, fake_ttapi, fake_bfl, base, raw, capfd):
    settings = running.settings
    _, channel, alice = guild_setup
    errors_seen: list[BaseException] = []

    # 1. A job that works, on each provider.
    await alice.slash(channel, "imagine", prompt="a lighthouse")
    await alice.slash(channel, "finetune", prompt="me as a knight", finetune_id="ft-123")
    await finish_jobs(simcord_env, running)
    # 2. Providers that answer errors echoing the key back, and an HTML page carrying it.
    fake_ttapi.error_next(401, f"Unauthorized: invalid TT-API-KEY {TTAPI_KEY}")
    await alice.slash(channel, "imagine", prompt="refused")
    await finish_jobs(simcord_env, running)
    # This job asks for no callback, so that it is polled at once and meets the scripted 429 (a job
    # with a callback coming is first polled only after its predicted end).
    callback_url, running.manager.callback_url = running.manager.callback_url, None
    fake_ttapi.error_next(429, f"rate limit for key {TTAPI_KEY}", on="fetch", headers={"Retry-After": "0.1"})
    fake_ttapi.fail_next(f"generation failed for account {TTAPI_KEY}")
    await alice.slash(channel, "imagine", prompt="fails upstream")
    await finish_jobs(simcord_env, running)
    running.manager.callback_url = callback_url
    assert any(r.status == 429 for r in fake_ttapi.fetches())
    fake_ttapi.inject("submit", html_page(502))
    await alice.slash(channel, "imagine", prompt="gateway error")
    await finish_jobs(simcord_env, running)
    fake_bfl.error_next(403, f"key {BFL_KEY} lacks permission")
    await alice.slash(channel, "finetune", prompt="me again", finetune_id="ft-123")
    await finish_jobs(simcord_env, running)
    # 3. Errors raised straight from the clients, as an operator's tool would see them.
    from bot.providers.base import ProviderError, ProviderRequest

    for name, provider in running.providers.items():
        bad = "/bfl/v1/flux-pro-1.1" if name == "ttapi" else "/v1/flux-pro-1.1"
        fake_ttapi.error_next(402, f"balance exhausted for {TTAPI_KEY}")
        fake_bfl.error_next(402, f"insufficient credits on {BFL_KEY}")
        try:
            await provider.submit(ProviderRequest(bad, {"prompt": "x"}))
        except ProviderError as exc:
            errors_seen.append(exc)
    assert len(errors_seen) == 2
    assert any(base in str(r.body) for r in fake_ttapi.submits())  # jobs did ask for callbacks
    # 4. The web server: /metrics after all that, and callbacks with wrong credentials.
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{base}/callbacks/ttapi/0123456789abcdef/{TTAPI_KEY}", data=b"{}") as response:
            assert response.status == 401
        async with http.get(f"{base}/metrics") as response:
            metrics_body = await response.text()
        async with http.get(f"{base}/healthz") as response:
            metrics_body += await response.text()
    assert "fluxbot" in metrics_body

    found: list[str] = []
    # Per-job callback tokens (TTAPI's URL path, BFL's webhook_secret) are secrets too, everywhere
    # but the store, which must keep them to authenticate callbacks.
    tokens = [r["callback_token"] for r in await running.db.fetchall("SELECT callback_token FROM jobs")]
    assert len(tokens) >= 6
    everything = {**SECRETS, **{f"callback token {i}": t for i, t in enumerate(tokens)}}
    # Raw log records (what any handler an operator adds would receive) and the product's stdout.
    assert len(raw.lines) > 10
    for line in raw.lines:
        found += leaks(line, f"log record {line[:100]!r}", everything)
    out, err = capfd.readouterr()
    assert "job " in out  # the product's handler did write the session's lines
    found += leaks(out, "stdout", everything) + leaks(err, "stderr", everything)
    found += leaks(metrics_body, "/metrics", everything)
    # What the bot sent to Discord.
    found += leaks(simcord_env.transcript(), "SimCord transcript", everything)
    for request in simcord_env.http_requests:
        found += leaks(repr(request.json), f"Discord request {request.method} {request.path}", everything)
    # The store, byte for byte (jobs, error columns, ledger, inputs), with its WAL.
    for path in Path(settings.database_path).parent.glob("*.sqlite3*"):
        found += leaks(path.read_bytes().decode("latin-1"), path.name, SECRETS)
    rows = await running.db.fetchall("SELECT error_code, error_message FROM jobs")
    assert any(r["error_message"] for r in rows)  # failures were recorded, and scanned above
    # reprs and error texts.
    found += leaks(repr(settings), "repr(settings)") + leaks(str(settings.model_dump()), "settings dump")
    found += leaks(repr(running), "repr(services)")
    for provider in running.providers.values():
        found += leaks(repr(provider), f"repr({provider.name})")
    for job in await running.jobs.for_user(alice.id):
        found += leaks(repr(job), "repr(job)", everything)
    for exc in errors_seen:
        found += leaks(f"{exc} {exc!r} {exc.message} {exc.detail}", f"error {type(exc).__name__}")

    assert found == [], "\n".join(found)


async def test_each_key_goes_only_to_its_own_provider_and_never_to_image_hosts(
    simcord_env, running, guild_setup, fake_ttapi, fake_bfl
):
    _, channel, alice = guild_setup

    await alice.slash(channel, "imagine", prompt="a lighthouse")
    await alice.slash(channel, "finetune", prompt="me as a knight", finetune_id="ft-123")
    await finish_jobs(simcord_env, running)

    def carries(recorded: Any, key: str) -> bool:
        return key in repr(recorded.headers)

    api = [r for r in fake_ttapi.requests if not r.path.startswith("/files/")]
    files = [r for r in fake_ttapi.requests if r.path.startswith("/files/")]
    assert api
    assert files
    assert all(carries(r, TTAPI_KEY) for r in api)
    assert not any(carries(r, TTAPI_KEY) or carries(r, BFL_KEY) for r in files)
    bfl_api = [r for r in fake_bfl.requests if not r.path.startswith("/delivery/")]
    bfl_files = [r for r in fake_bfl.requests if r.path.startswith("/delivery/")]
    assert bfl_api
    assert bfl_files
    assert all(carries(r, BFL_KEY) and not carries(r, TTAPI_KEY) for r in bfl_api)
    assert not any(carries(r, BFL_KEY) for r in bfl_files)
    assert not any(carries(r, BFL_KEY) for r in fake_ttapi.requests)
