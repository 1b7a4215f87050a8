"""The built-in web server (`HTTP_HOST`:`HTTP_PORT`): provider callbacks, `/healthz`, `/metrics`,
and with `WEB_PUBLIC_URL` the web dashboard (bot/dashboard/).

Callbacks (when `WEBHOOK_PUBLIC_URL` is set, see `bot.app.callback_urls`):

- `POST /callbacks/ttapi/{job_id}/{token}`: TTAPI signs nothing, so the per-job token in the path
  is the authentication.
- `POST /callbacks/bfl/{job_id}`: the per-job `webhook_secret`, sent back verbatim in
  `X-Webhook-Secret`, or an `X-BFL-Signature: sha256=<hex>` (or bare `<hex>`) HMAC of the body
  keyed with it; both checked by the one function `bot.jobs.callbacks.callback_authentic`.

`/metrics` is for the host's own monitoring: with `METRICS_TOKEN` set it needs
`Authorization: Bearer <token>` from anywhere; without it, it answers only requests that come from
a loopback address and not through a proxy (no `Forwarded` / `X-Forwarded-For` header), so binding
`HTTP_HOST` to every address for the callbacks does not publish it. `/healthz` stays open.

Every comparison is constant-time; an unknown job, a wrong token or a bad signature gets 401 and
changes nothing. Bodies are capped (413). The handler only authenticates and hands the news to the
job's own task (`JobManager.accept_callback`), so it answers in milliseconds; repeats are answered
200 and change nothing. Polling stays on as the fallback.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from aiohttp import web

from bot.heap import release_freed_heap
from bot.jobs.callbacks import CallbackOutcome
from bot.roles import Role
from bot.settings import Settings

if TYPE_CHECKING:
    import discord
    from pydantic import SecretStr

    from bot.app import Services
    from bot.dashboard.members import Directory
    from bot.dashboard.pages import Dashboard

log = logging.getLogger(__name__)

#: Callback bodies are small JSON documents; anything bigger is refused unread.
MAX_CALLBACK_BYTES = 64 * 1024

#: The dashboard an app serves, when it does (tests and benchmarks read its thumbnail count).
DASHBOARD: web.AppKey[Dashboard] = web.AppKey("dashboard")

_STATUS = {
    CallbackOutcome.ACCEPTED: 200,
    CallbackOutcome.DUPLICATE: 200,
    CallbackOutcome.UNAUTHORIZED: 401,
    CallbackOutcome.INVALID: 400,
}


def build_app(
    services: Services,
    client: discord.Client | None = None,
    role: Role | None = None,
    *,
    directory: Directory | None = None,
    oauth_base: str | None = None,
) -> web.Application:
    """`client`: the gateway's, whose connection `/healthz` reports; `role`: the `run` process's
    (bot/roles.py), named in `/healthz` (a worker has no gateway: `"gateway": null`). With
    `WEB_PUBLIC_URL` set and a Discord client (or a `directory` of members), the dashboard's pages
    too (bot/dashboard/): a worker, without a gateway, serves none. The dashboard's modules (Jinja2,
    its templates, Pillow for thumbnails) are imported only then: a process that serves callbacks
    alone does without them (14.5 MB)."""
    app = web.Application(client_max_size=MAX_CALLBACK_BYTES)
    manager = services.manager
    if directory is None and client is not None:
        from bot.dashboard.members import DiscordDirectory  # (discord.py is loaded wherever a client is)

        directory = DiscordDirectory(client)
    if services.settings.web_public_url and directory is not None:
        from bot.dashboard.auth import DISCORD
        from bot.dashboard.pages import Dashboard

        dashboard = Dashboard(services, directory, oauth_base=oauth_base or DISCORD)
        dashboard.install(app)
        app[DASHBOARD] = dashboard

    async def healthz(request: web.Request) -> web.Response:
        store_ok = await services.db.ping()
        gateway_ok: bool | None = client is None or (client.is_ready() and not client.is_closed())
        if role is not None and not role.has_gateway:
            gateway_ok = None
        disk_ok = services.space.enough()
        # Below MIN_FREE_DISK_MB the bot is degraded, not down: running jobs still finish, and a
        # restart (what an unhealthy container gets) would free no disk. So 200, and the body says so.
        status = 200 if store_ok and gateway_ok is not False else 503
        health = "down" if status != 200 else "ok" if disk_ok else "degraded"
        body = {
            **({"role": str(role)} if role is not None else {}),
            "status": health,
            "store": store_ok,
            "gateway": gateway_ok,
            "disk": disk_ok,
            "free_mb": services.space.free_bytes() // (1024 * 1024),
        }
        return web.json_response(body, status=status)

    async def metrics(request: web.Request) -> web.Response:
        refusal = metrics_refusal(request, services.settings.metrics_token)
        if refusal is not None:
            return refusal
        await manager.refresh_metrics()
        body = manager.metrics.render()
        return web.Response(body=body, headers={"Content-Type": manager.metrics.content_type()})

    async def answer(outcome: CallbackOutcome) -> web.Response:
        return web.json_response({"status": outcome.value}, status=_STATUS[outcome])

    async def ttapi_callback(request: web.Request) -> web.Response:
        body = await _read(request)
        outcome = await manager.accept_callback(
            "ttapi", request.match_info["job_id"], body, token=request.match_info["token"]
        )
        return await answer(outcome)

    async def bfl_callback(request: web.Request) -> web.Response:
        body = await _read(request)
        outcome = await manager.accept_callback(
            "bfl",
            request.match_info["job_id"],
            body,
            secret=request.headers.get("X-Webhook-Secret"),
            signature=request.headers.get("X-BFL-Signature"),
        )
        return await answer(outcome)

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    app.router.add_post("/callbacks/ttapi/{job_id}/{token}", ttapi_callback)
    app.router.add_post("/callbacks/bfl/{job_id}", bfl_callback)
    return app


def metrics_refusal(request: web.Request, token: SecretStr | None) -> web.Response | None:
    """Why this request may not read `/metrics` (a 401/403 answer), or None when it may."""
    if token is not None:
        given = request.headers.get("Authorization", "")
        expected = f"Bearer {token.get_secret_value()}"
        if hmac.compare_digest(given.encode(), expected.encode()):
            return None
        return web.Response(
            status=401, text="metrics need a bearer token\n", headers={"WWW-Authenticate": "Bearer"}
        )
    if _from_this_host(request):
        return None
    return web.Response(status=403, text="metrics are served to this host only unless METRICS_TOKEN is set\n")


def _from_this_host(request: web.Request) -> bool:
    # A reverse proxy on this host connects from loopback too: its forwarding header gives it away.
    if "Forwarded" in request.headers or "X-Forwarded-For" in request.headers:
        return False
    try:
        peer = ipaddress.ip_address(request.remote or "")
    except ValueError:
        return False  # a Unix socket or an unknown peer: not provably this host
    if isinstance(peer, ipaddress.IPv6Address) and peer.ipv4_mapped is not None:
        peer = peer.ipv4_mapped  # 127.0.0.1 seen through a dual-stack socket
    return peer.is_loopback


async def _read(request: web.Request) -> bytes:
    if request.content_length is not None and request.content_length > MAX_CALLBACK_BYTES:
        raise web.HTTPRequestEntityTooLarge(max_size=MAX_CALLBACK_BYTES, actual_size=request.content_length)
    return await request.read()  # aiohttp enforces client_max_size on chunked bodies too (413)


@asynccontextmanager
async def serve(
    settings: Settings, services: Services, client: discord.Client | None, role: Role | None = None
) -> AsyncIterator[web.TCPSite]:
    """Run the web server for the duration of the block; yields the site (its port when 0 was asked)."""
    runner = web.AppRunner(build_app(services, client, role), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.http_host, settings.http_port)
    await site.start()
    release_freed_heap()  # what importing and building the web server freed (bot/heap.py)
    log.info("web server on http://%s:%d", settings.http_host, bound_port(site))
    try:
        yield site
    finally:
        await runner.cleanup()


def bound_port(site: web.TCPSite) -> int:
    server = site._server
    sockets = getattr(server, "sockets", None) or ()
    for sock in sockets:
        return int(sock.getsockname()[1])
    return 0
