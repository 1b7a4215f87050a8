"""The built-in web server (`HTTP_HOST`:`HTTP_PORT`): provider callbacks, `/healthz`, `/metrics`."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import discord
from aiohttp import web

from bot.app import Services
from bot.settings import Settings

log = logging.getLogger(__name__)


def build_app(services: Services, client: discord.Client | None = None) -> web.Application:
    app = web.Application(client_max_size=256 * 1024)

    async def healthz(request: web.Request) -> web.Response:
        store_ok = await services.db.ping()
        gateway_ok = client is None or (client.is_ready() and not client.is_closed())
        status = 200 if store_ok and gateway_ok else 503
        return web.json_response({"store": store_ok, "gateway": gateway_ok}, status=status)

    app.router.add_get("/healthz", healthz)
    return app


@asynccontextmanager
async def serve(settings: Settings, services: Services, client: discord.Client | None) -> AsyncIterator[None]:
    runner = web.AppRunner(build_app(services, client), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.http_host, settings.http_port)
    await site.start()
    log.info("web server on http://%s:%d", settings.http_host, settings.http_port)
    try:
        yield
    finally:
        await runner.cleanup()
