"""A minimal Discord on loopback (REST and gateway), for tests of a real `python -m bot` process.

SimCord simulates Discord inside the test's own process; a bot in a subprocess needs a server.
This one knows just enough to log in, connect, and take what the bot sends:

- REST under `/api/v10`: `GET /users/@me`, `GET /oauth2/applications/@me`, `GET /gateway/bot`
  (`recommended_shards`), command syncs
  (`PUT /applications/{id}/commands`, echoed with ids), and any other call recorded and answered
  with a plausible message object (or 204 for DELETE). With `token` set, any other token is
  answered 401, as Discord answers a revoked one.
- The gateway at `/gateway`: HELLO, READY after IDENTIFY (no guilds), heartbeat ACKs; it records
  the shard each IDENTIFY asked for (`shards`) and how each connection ended (`closes`: the close
  code the bot sent; 1006 if it just vanished).

The bot process is pointed here by tests/fakes/discord_site/sitecustomize.py (`FAKE_DISCORD_URL`).
"""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes.loopback import serve_on_loopback

#: Prepend to PYTHONPATH (with FAKE_DISCORD_URL set) so that a bot process talks to this fake.
SITE_DIR = Path(__file__).resolve().parent / "discord_site"

APPLICATION_ID = 900000000000000001
BOT_USER = {
    "id": str(APPLICATION_ID),
    "username": "fluxbot",
    "discriminator": "0",
    "global_name": None,
    "avatar": None,
    "bot": True,
}


@dataclass
class Call:
    method: str
    path: str
    body: Any
    at: float = field(default_factory=time.monotonic)


def _json(data: Any) -> web.Response:
    # discord.py parses a body as JSON only under exactly this content type (no charset).
    return web.Response(body=json.dumps(data).encode(), headers={"Content-Type": "application/json"})


class FakeDiscord:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        #: When set, a REST call with any other token is answered 401, as Discord does.
        self.token: str | None = None
        self.closes: list[int | None] = []
        self.identified = 0
        #: `[shard_id, shard_count]` of each IDENTIFY, in order.
        self.shards: list[list[int]] = []
        #: What `GET /gateway/bot` recommends.
        self.recommended_shards = 1
        self.url = ""
        self._ids = itertools.count(1000)
        self._runner: web.AppRunner | None = None

    def site_env(self) -> dict[str, str]:
        """What a subprocess needs (merge PYTHONPATH with your own) to use this fake."""
        return {"FAKE_DISCORD_URL": self.url, "FAKE_DISCORD_SITE": str(SITE_DIR)}

    def requests(self, method: str, path_part: str = "") -> list[Call]:
        return [c for c in self.calls if c.method == method and path_part in c.path]

    async def start(self) -> str:
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/api/v10/{path:.*}", self._rest)
        self._runner, self.url = await serve_on_loopback(app)
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # -- REST -------------------------------------------------------------------------------------

    async def _rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["path"]
        body: Any = None
        if request.content_type == "application/json":
            body = await request.json()
        elif request.body_exists:
            body = await request.read()
        self.calls.append(Call(request.method, path, body))
        if self.token is not None and request.headers.get("Authorization") != f"Bot {self.token}":
            return web.json_response({"message": "401: Unauthorized", "code": 0}, status=401)
        if path == "/users/@me":
            return _json(BOT_USER)
        if path == "/oauth2/applications/@me":
            return _json(self._application())
        if path == "/gateway/bot":
            return _json(
                {
                    "url": self.url.replace("http", "ws", 1) + "/gateway",
                    "shards": self.recommended_shards,
                    "session_start_limit": {
                        "total": 1000,
                        "remaining": 1000,
                        "reset_after": 0,
                        "max_concurrency": 1,
                    },
                }
            )
        if path.endswith("/commands") and request.method == "PUT":
            return _json([self._command(c) for c in body or []])
        if request.method == "DELETE" or path.endswith("/callback"):
            return web.Response(status=204)
        return _json(self._message(path))

    def _application(self) -> dict[str, Any]:
        return {
            "id": str(APPLICATION_ID),
            "name": "fluxbot",
            "description": "",
            "icon": None,
            "bot_public": True,
            "bot_require_code_grant": False,
            "owner": BOT_USER,
            "verify_key": "0" * 64,
            "flags": 0,
        }

    def _command(self, command: dict[str, Any]) -> dict[str, Any]:
        return {
            **command,
            "id": str(next(self._ids)),
            "application_id": str(APPLICATION_ID),
            "version": "1",
            "default_member_permissions": command.get("default_member_permissions"),
        }

    def _message(self, path: str) -> dict[str, Any]:
        parts = path.split("/")
        channel_id = parts[2] if len(parts) > 2 and parts[1] == "channels" else "1"
        return {
            "id": str(next(self._ids)),
            "channel_id": channel_id,
            "author": BOT_USER,
            "content": "",
            "timestamp": "2026-01-01T00:00:00+00:00",
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "pinned": False,
            "type": 0,
            "flags": 0,
            "components": [],
        }

    # -- gateway ----------------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoclose=False)
        await ws.prepare(request)
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 41250}}))
        async for message in ws:  # ends at the bot's close frame, or when the connection drops
            if message.type is not WSMsgType.TEXT:
                continue
            payload = json.loads(message.data)
            if payload["op"] == 2:
                self.identified += 1
                shard = list(payload["d"].get("shard") or [0, 1])
                self.shards.append(shard)
                await ws.send_str(json.dumps({"op": 0, "s": 1, "t": "READY", "d": self._ready(shard)}))
            elif payload["op"] == 1:
                await ws.send_str(json.dumps({"op": 11, "d": None}))
        self.closes.append(ws.close_code)
        await ws.close()
        return ws

    def _ready(self, shard: list[int]) -> dict[str, Any]:
        return {
            "shard": shard,
            "v": 10,
            "user": BOT_USER,
            "guilds": [],
            "session_id": "fake-session",
            "resume_gateway_url": self.url.replace("http", "ws", 1) + "/gateway",
            "application": {"id": str(APPLICATION_ID), "flags": 0},
        }
