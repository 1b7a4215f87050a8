"""A minimal Discord on loopback (REST and gateway), for tests of a real `python -m bot` process.

SimCord simulates Discord inside the test's own process; a bot in a subprocess needs a server.
This one knows just enough to log in, connect, and take what the bot sends:

- REST under `/api/v10`: `GET /users/@me`, `GET /oauth2/applications/@me`, `GET /gateway/bot`
  (`recommended_shards`), interaction callbacks and the interaction's webhook (its original
  response keeps one message id per token, as Discord's does), command syncs
  (`PUT /applications/{id}/commands`, echoed with ids), and any other call recorded and answered
  with a plausible message object (or 204 for DELETE). With `token` set, any other token is
  answered 401, as Discord answers a revoked one.
- The gateway at `/gateway`: HELLO, READY after IDENTIFY (no guilds; with `announce_guilds`, a
  GUILD_CREATE for each declared guild of the shard after it), heartbeat ACKs; it records
  the shard each IDENTIFY asked for (`shards`) and how each connection ended (`closes`: the close
  code the bot sent; 1006 if it just vanished).
- Members: `interact(slash(...))` or `interact(click(...))` sends an INTERACTION_CREATE to the
  shard that holds the guild, as Discord does when a member runs a command or presses a button.

- Servers, roles, members and text channels a test declares (`add_guild`), answered at
  `GET /guilds/{id}`, `/guilds/{id}/members/{user}` and `/guilds/{id}/channels` (404 otherwise), as
  the web dashboard asks them (bot/dashboard/members.py).
- OAuth2 for "Sign in with Discord": `GET /oauth2/authorize` approves at once as `oauth_user` and
  redirects back with a code; `POST /api/v10/oauth2/token` checks the client's id and secret and the
  PKCE verifier against the challenge; `GET /users/@me` and `/users/@me/guilds` answer the Bearer
  token it issued.

The bot process is pointed here by tests/fakes/discord_site/sitecustomize.py (`FAKE_DISCORD_URL`).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import json
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import discord.utils
from aiohttp import WSMsgType, web

from tests.fakes.loopback import serve_on_loopback

#: Prepend to PYTHONPATH (with FAKE_DISCORD_URL set) so that a bot process talks to this fake.
SITE_DIR = Path(__file__).resolve().parent / "discord_site"

APPLICATION_ID = 900000000000000001
#: Every permission: what an administrator and the bot itself have in the fake's guilds.
ALL_PERMISSIONS = (1 << 53) - 1
BOT_USER = {
    "id": str(APPLICATION_ID),
    "username": "fluxbot",
    "discriminator": "0",
    "global_name": None,
    "avatar": None,
    "bot": True,
}


MANAGE_GUILD = 1 << 5


@dataclass
class FakeGuild:
    id: int
    name: str
    owner_id: int = 1
    #: role id → (name, permission bits); the @everyone role has the guild's id.
    roles: dict[int, tuple[str, int]] = field(default_factory=dict)
    #: member id → (display name, role ids)
    members: dict[int, tuple[str, list[int]]] = field(default_factory=dict)
    channels: dict[int, str] = field(default_factory=dict)

    def add_role(self, role_id: int, name: str, *, manage_guild: bool = False) -> int:
        self.roles[role_id] = (name, MANAGE_GUILD if manage_guild else 0)
        return role_id

    def add_member(self, user_id: int, name: str, roles: list[int] | None = None) -> int:
        self.members[user_id] = (name, list(roles or []))
        return user_id


@dataclass
class Call:
    method: str
    path: str
    body: Any
    at: float = field(default_factory=time.monotonic)


def _form(body: Any) -> list[tuple[str, str]]:
    from urllib.parse import parse_qsl

    return parse_qsl(body.decode() if isinstance(body, bytes) else "")


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
        #: Seconds before a message carrying an image is answered (recorded on arrival).
        self.upload_delay = 0.0
        #: The original response's message id, by interaction token.
        self.originals: dict[str, int] = {}
        self._sockets: list[tuple[web.WebSocketResponse, list[int]]] = []
        self._ids = itertools.count(1000)
        self._runner: web.AppRunner | None = None
        self.guilds: dict[int, FakeGuild] = {}
        #: Send each declared guild (`add_guild`) to the shard that holds it, as GUILD_CREATE after
        #: READY, as Discord does: the bot's guild cache then knows it (off: READY lists no guild).
        self.announce_guilds = False
        #: OAuth2: the application's client, and who approves the next authorization.
        self.client_id = "fake-client-id"
        self.client_secret = "fake-client-secret"
        self.oauth_user: int | None = None
        self._codes: dict[str, tuple[int, str, str]] = {}  # code → (user, challenge, redirect_uri)
        self._bearers: dict[str, int] = {}

    def add_guild(self, guild_id: int, name: str, owner_id: int = 1) -> FakeGuild:
        guild = FakeGuild(guild_id, name, owner_id)
        guild.roles[guild_id] = ("@everyone", 0)
        self.guilds[guild_id] = guild
        return guild

    def site_env(self) -> dict[str, str]:
        """What a subprocess needs (merge PYTHONPATH with your own) to use this fake."""
        return {"FAKE_DISCORD_URL": self.url, "FAKE_DISCORD_SITE": str(SITE_DIR)}

    def requests(self, method: str, path_part: str = "") -> list[Call]:
        return [c for c in self.calls if c.method == method and path_part in c.path]

    async def start(self) -> str:
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/oauth2/authorize", self._authorize)
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
        if self.upload_delay and isinstance(body, bytes) and b"\x89PNG" in body:
            await asyncio.sleep(self.upload_delay)
        if path == "/oauth2/token":
            return self._token(request, body)
        if request.headers.get("Authorization", "").startswith("Bearer "):
            return self._bearer(request, path)
        by_url_token = path.startswith(("/webhooks/", "/interactions/"))  # the token is in the URL
        if (
            self.token is not None
            and not by_url_token
            and request.headers.get("Authorization") != f"Bot {self.token}"
        ):
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
        if path.startswith("/interactions/") and path.endswith("/callback"):
            interaction_id = path.split("/")[2]
            return _json({"interaction": {"id": interaction_id, "type": 2}})
        if request.method == "DELETE":
            return web.Response(status=204)
        if path.startswith("/guilds/") and request.method == "GET":
            return self._guild_call(path)
        if path.startswith("/webhooks/") and path.endswith("/messages/@original"):
            token = path.split("/")[3]
            message_id = self.originals.setdefault(token, next(self._ids))
            return _json(self._message(path, message_id))
        return _json(self._message(path))

    # -- servers ----------------------------------------------------------------------------------

    def _guild_call(self, path: str) -> web.Response:
        parts = path.strip("/").split("/")
        guild = self.guilds.get(int(parts[1])) if parts[1].isdigit() else None
        if guild is None:
            return web.json_response({"message": "Unknown Guild", "code": 10004}, status=404)
        if len(parts) == 2:
            return _json(self._guild_json(guild))
        if parts[2] == "members" and len(parts) == 4 and parts[3].isdigit():
            member = guild.members.get(int(parts[3]))
            if member is None:
                return web.json_response({"message": "Unknown Member", "code": 10007}, status=404)
            return _json(self._member_json(int(parts[3]), member))
        if parts[2] == "channels":
            return _json(
                [
                    {
                        "id": str(cid),
                        "type": 0,
                        "name": name,
                        "position": i,
                        "guild_id": str(guild.id),
                        "permission_overwrites": [],
                        "nsfw": False,
                        "parent_id": None,
                    }
                    for i, (cid, name) in enumerate(guild.channels.items())
                ]
            )
        return web.json_response({"message": "404: Not Found", "code": 0}, status=404)

    def _guild_json(self, guild: FakeGuild) -> dict[str, Any]:
        return {
            "id": str(guild.id),
            "name": guild.name,
            "icon": None,
            "owner_id": str(guild.owner_id),
            "roles": [
                {
                    "id": str(rid),
                    "name": name,
                    "permissions": str(bits),
                    "position": i,
                    "color": 0,
                    "hoist": False,
                    "managed": False,
                    "mentionable": False,
                }
                for i, (rid, (name, bits)) in enumerate(guild.roles.items())
            ],
            "emojis": [],
            "stickers": [],
            "features": [],
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "premium_tier": 0,
            "preferred_locale": "en-US",
        }

    def _guild_create(self, guild: FakeGuild) -> dict[str, Any]:
        return {
            **self._guild_json(guild),
            "unavailable": False,
            "large": False,
            "member_count": len(guild.members),
            "joined_at": "2026-01-01T00:00:00+00:00",
            "members": [],
            "channels": [
                {"id": str(cid), "type": 0, "name": name, "position": i, "permission_overwrites": []}
                for i, (cid, name) in enumerate(guild.channels.items())
            ],
            "threads": [],
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
        }

    @staticmethod
    def _user_json(user_id: int, name: str) -> dict[str, Any]:
        return {
            "id": str(user_id),
            "username": name,
            "discriminator": "0",
            "global_name": name,
            "avatar": None,
        }

    def _member_json(self, user_id: int, member: tuple[str, list[int]]) -> dict[str, Any]:
        name, roles = member
        return {
            "user": self._user_json(user_id, name),
            "nick": None,
            "roles": [str(r) for r in roles],
            "joined_at": "2026-01-01T00:00:00+00:00",
            "deaf": False,
            "mute": False,
            "flags": 0,
        }

    # -- OAuth2 -------------------------------------------------------------------------------------

    async def _authorize(self, request: web.Request) -> web.Response:
        query = request.query
        self.calls.append(Call("GET", "/oauth2/authorize", dict(query)))
        if (
            self.oauth_user is None
            or query.get("client_id") != self.client_id
            or query.get("code_challenge_method") != "S256"
            or query.get("scope") != "identify guilds"
        ):
            return web.Response(status=400, text="invalid authorization request")
        code = secrets.token_urlsafe(16)
        self._codes[code] = (self.oauth_user, query["code_challenge"], query["redirect_uri"])
        target = f"{query['redirect_uri']}?code={code}&state={query['state']}"
        return web.Response(status=302, headers={"Location": target})

    def _token(self, request: web.Request, body: Any) -> web.Response:
        form = dict(_form(body))
        expected = "Basic " + base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        found = self._codes.pop(form.get("code", ""), None)
        if request.headers.get("Authorization") != expected or found is None:
            return web.json_response({"error": "invalid_grant"}, status=400)
        user, challenge, redirect_uri = found
        verifier = form.get("code_verifier", "")
        computed = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if computed != challenge or form.get("redirect_uri") != redirect_uri:
            return web.json_response({"error": "invalid_grant"}, status=400)
        bearer = secrets.token_urlsafe(16)
        self._bearers[bearer] = user
        return _json({"access_token": bearer, "token_type": "Bearer", "scope": "identify guilds"})

    def _bearer(self, request: web.Request, path: str) -> web.Response:
        user = self._bearers.get(request.headers["Authorization"].removeprefix("Bearer "))
        if user is None:
            return web.json_response({"message": "401: Unauthorized", "code": 0}, status=401)
        if path == "/users/@me":
            return _json(self._user_json(user, f"user{user}"))
        if path == "/users/@me/guilds":
            return _json(
                [{"id": str(g.id), "name": g.name} for g in self.guilds.values() if user in g.members]
            )
        return web.json_response({"message": "404: Not Found", "code": 0}, status=404)

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
            "description": "",  # as Discord answers for a context menu, which is sent without one
            **command,
            "id": str(next(self._ids)),
            "application_id": str(APPLICATION_ID),
            "version": "1",
            "default_member_permissions": command.get("default_member_permissions"),
        }

    def _message(self, path: str, message_id: int | None = None) -> dict[str, Any]:
        parts = path.split("/")
        channel_id = parts[2] if len(parts) > 2 and parts[1] == "channels" else "1"
        return {
            "id": str(message_id or next(self._ids)),
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
        shard: list[int] = []
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 41250}}))
        async for message in ws:  # ends at the bot's close frame, or when the connection drops
            if message.type is not WSMsgType.TEXT:
                continue
            payload = json.loads(message.data)
            if payload["op"] == 2:
                self.identified += 1
                shard[:] = list(payload["d"].get("shard") or [0, 1])
                self.shards.append(list(shard))
                self._sockets.append((ws, shard))
                await ws.send_str(json.dumps({"op": 0, "s": 1, "t": "READY", "d": self._ready(shard)}))
                for guild in list(self.guilds.values()) if self.announce_guilds else []:
                    if (guild.id >> 22) % shard[1] == shard[0]:
                        event = {"op": 0, "s": 2, "t": "GUILD_CREATE", "d": self._guild_create(guild)}
                        await ws.send_str(json.dumps(event))
            elif payload["op"] == 1:
                await ws.send_str(json.dumps({"op": 11, "d": None}))
        self._sockets = [(other, s) for other, s in self._sockets if other is not ws]
        self.closes.append(ws.close_code)
        await ws.close()
        return ws

    # -- members ----------------------------------------------------------------------------------

    def connected(self) -> int:
        """Gateway connections (shards) open now."""
        return len(self._sockets)

    async def interact(self, interaction: dict[str, Any]) -> None:
        """Deliver an interaction to the shard whose guilds include its guild (Discord's formula)."""
        guild_id = int(interaction["guild_id"])
        event = json.dumps({"op": 0, "s": 2, "t": "INTERACTION_CREATE", "d": interaction})
        for ws, (shard_id, count) in reversed(self._sockets):  # the newest connection of a shard first
            if (guild_id >> 22) % count == shard_id:
                try:
                    await ws.send_str(event)
                except ConnectionError:
                    continue  # a killed process's connection, not noticed yet
                return
        raise AssertionError(f"no shard of guild {guild_id} is connected")

    def _interaction(self, kind: int, data: dict[str, Any], **where: int) -> dict[str, Any]:
        # A snowflake of now: the bot reads the interaction's age (its token's 15 minutes) from it.
        interaction_id = discord.utils.time_snowflake(discord.utils.utcnow()) + next(self._ids)
        guild_id, channel_id, user_id = (str(where[k]) for k in ("guild_id", "channel_id", "user_id"))
        return {
            "id": str(interaction_id),
            "application_id": str(APPLICATION_ID),
            "type": kind,
            "token": f"interaction-{interaction_id}",
            "version": 1,
            "guild_id": guild_id,
            "channel_id": channel_id,
            "channel": {"id": channel_id, "type": 0, "guild_id": guild_id, "name": "art", "position": 0},
            "member": {
                "user": {"id": user_id, "username": f"member{user_id}", "discriminator": "0", "avatar": None},
                "roles": [],
                "joined_at": "2026-01-01T00:00:00+00:00",
                "deaf": False,
                "mute": False,
                "flags": 0,
                "permissions": str(ALL_PERMISSIONS),
            },
            "app_permissions": str(ALL_PERMISSIONS),
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "attachment_size_limit": 10 * 1024 * 1024,
            "authorizing_integration_owners": {"0": guild_id},
            "context": 0,
            "data": data,
        }

    def slash(
        self, name: str, *, guild_id: int, channel_id: int, user_id: int, **options: Any
    ) -> dict[str, Any]:
        """A member runs `/name option:value ...` (string, integer and boolean options)."""
        kinds = {str: 3, int: 4, bool: 5}
        data = {
            "id": str(next(self._ids)),
            "name": name,
            "type": 1,
            "options": [{"name": k, "type": kinds[type(v)], "value": v} for k, v in options.items()],
        }
        return self._interaction(2, data, guild_id=guild_id, channel_id=channel_id, user_id=user_id)

    def click(
        self, custom_id: str, message_id: int, *, guild_id: int, channel_id: int, user_id: int
    ) -> dict[str, Any]:
        """A member presses the button `custom_id` under the message `message_id`."""
        interaction = self._interaction(
            3,
            {"custom_id": custom_id, "component_type": 2},
            guild_id=guild_id,
            channel_id=channel_id,
            user_id=user_id,
        )
        message = self._message(f"/channels/{channel_id}/messages", message_id)
        message["components"] = [
            {"type": 1, "components": [{"type": 2, "style": 1, "label": "button", "custom_id": custom_id}]}
        ]
        interaction["message"] = message
        return interaction

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
