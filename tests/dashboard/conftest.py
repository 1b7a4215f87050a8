"""The web dashboard against the real web server, the real store (each backend), the fake TTAPI
making real images, and the fake Discord (tests/fakes/discord.py) answering who is a member of
which server with which roles, and OAuth2."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import discord
import discord.http
import pytest
from aiohttp import web

from bot.app import Services, open_services
from bot.dashboard.auth import sign_in_link
from bot.jobs.intake import NewJob
from bot.jobs.model import Job, Origin
from bot.jobs.plan import plan_job
from bot.store.deliveries import Delivery
from bot.store.web import WebStore
from bot.web import DASHBOARD, build_app
from tests.conftest import FAST_POLLING, make_settings
from tests.fakes.discord import FakeDiscord
from tests.fakes.ttapi import FakeTTAPI
from tests.helpers import RecordingSink, free_port

ARTISTS, OTHER = 500000000000000001, 500000000000000002
ALICE, BOB, MOD = 600000000000000001, 600000000000000002, 600000000000000003
MODERATORS, PAINTERS = 700000000000000001, 700000000000000002
ART_CHANNEL = 800000000000000001


@dataclass
class Site:
    url: str
    services: Services
    discord: FakeDiscord
    sink: RecordingSink
    dashboard: Any

    def browser(self) -> aiohttp.ClientSession:
        """A browser: its own cookie jar (IP hosts need `unsafe`), no redirects followed by default."""
        return aiohttp.ClientSession(self.url, cookie_jar=aiohttp.CookieJar(unsafe=True))

    async def link(self, user_id: int, guild_id: int, language: str | None = None) -> str:
        """What `/dashboard` answers (cogs/dashboard.py makes it with the same function)."""
        return await sign_in_link(WebStore(self.services.db), self.url, user_id, guild_id, language=language)

    async def sign_in(
        self, browser: aiohttp.ClientSession, user_id: int, guild_id: int, language: str | None = None
    ) -> None:
        link = await self.link(user_id, guild_id, language)
        path = link.removeprefix(self.url)
        async with browser.get(path) as page:
            assert page.status == 200
        async with browser.post(path, allow_redirects=False) as answer:
            assert answer.status == 303, await answer.text()

    async def image(
        self,
        user_id: int,
        guild_id: int,
        prompt: str = "a lighthouse at dusk",
        *,
        message_id: int | None = None,
        **options: Any,
    ) -> Job:
        """A real image: planned, accepted, made by the fake TTAPI, stored, delivered; `message_id`:
        the Discord message it was posted in (its delivery, as the Discord sink records it)."""
        plan = plan_job(
            prompt,
            options,
            default_model="flux-pro-1.1",
            available=["ttapi"],
            preferred="ttapi",
            max_safety_tolerance=2,
        )
        job = await self.services.manager.submit(
            NewJob.from_plan(
                plan,
                origin=Origin.CLI,
                user_id=user_id,
                guild_id=guild_id,
                channel_id=ART_CHANNEL,
                delivery=Delivery("", result_message_id=message_id) if message_id else None,
            )
        )
        return await self.services.manager.wait_for(job.id, timeout=20)


async def csrf_of(browser: aiohttp.ClientSession, path: str) -> str:
    async with browser.get(path) as page:
        assert page.status == 200, path
        found = re.search(r'name="csrf" value="([^"]+)"', await page.text())
    assert found is not None
    return found.group(1)


async def post(browser: Any, path: str, **data: str) -> tuple[int, str, str]:
    """A form of the operators' page of ARTISTS, sent with its CSRF token: status, final URL, page."""
    data["csrf"] = await csrf_of(browser, f"/g/{ARTISTS}")
    async with browser.post(path, data=data) as page:
        return page.status, str(page.url), await page.text()


@pytest.fixture
def database_settings(database_url: str) -> dict[str, Any]:
    return {"database_url": database_url}


@pytest.fixture
def site_settings() -> dict[str, Any]:
    """Override in a test (parametrize) to change the dashboard's settings."""
    return {}


@pytest.fixture
async def site(
    tmp_path: Any,
    fake_discord: FakeDiscord,
    fake_ttapi: FakeTTAPI,
    database_settings: dict[str, Any],
    site_settings: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Site]:
    artists = fake_discord.add_guild(ARTISTS, "Artists & <Friends>")
    artists.add_role(MODERATORS, "moderators", manage_guild=True)
    artists.add_role(PAINTERS, "painters")
    artists.add_member(ALICE, "alice")
    artists.add_member(BOB, "bob <b>", [PAINTERS])
    artists.add_member(MOD, "mod", [MODERATORS])
    artists.channels[ART_CHANNEL] = "art"
    other = fake_discord.add_guild(OTHER, "Other")
    other.add_member(ALICE, "alice")
    other.add_member(MOD, "mod")  # no Manage Server here
    port = free_port()
    settings = make_settings(
        tmp_path,
        ttapi_api_key=fake_ttapi.api_key,
        ttapi_base_url=fake_ttapi.url,
        http_port=port,
        web_public_url=f"http://127.0.0.1:{port}",
        discord_client_id=fake_discord.client_id,
        discord_client_secret=fake_discord.client_secret,
        **{**database_settings, **site_settings},
    )
    monkeypatch.setattr(discord.http.Route, "BASE", f"{fake_discord.url}/api/v10")
    async with open_services(settings, poll_policy=FAST_POLLING) as services:
        sink = RecordingSink()
        services.manager.register_sink(Origin.CLI, sink)
        client = discord.Client(intents=discord.Intents(guilds=True))
        async with client:
            await client.login("test-discord-token")
            app = build_app(services, client, oauth_base=fake_discord.url)
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", port).start()
            await services.manager.start()
            try:
                yield Site(settings.web_public_url or "", services, fake_discord, sink, app[DASHBOARD])
            finally:
                await runner.cleanup()
