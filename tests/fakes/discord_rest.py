"""A fake of Discord's REST API on loopback, for what `doctor` asks it: `GET /api/v10/users/@me`.

It answers 200 with the bot's user for `Authorization: Bot <token>` with the right token, and
401 (Discord's `{"message": "401: Unauthorized", "code": 0}`) for any other.
"""

from __future__ import annotations

from aiohttp import web


class FakeDiscordREST:
    def __init__(
        self,
        *,
        token: str = "fake-discord-token",  # noqa: S107
        user_id: int = 1234567890123456789,
    ) -> None:
        self.token = token
        self.user = {"id": str(user_id), "username": "fluxbot-test", "bot": True, "discriminator": "0"}
        self.requests: list[tuple[str, str]] = []  # (method, path)
        self._runner: web.AppRunner | None = None
        self.url = ""

    @property
    def api(self) -> str:
        """What `FLUXBOT_TEST_DISCORD_API` is set to."""
        return f"{self.url}/api/v10"

    async def start(self) -> str:
        app = web.Application()
        app.router.add_get("/api/v10/users/@me", self._me)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _me(self, request: web.Request) -> web.Response:
        self.requests.append((request.method, request.path))
        if request.headers.get("Authorization") != f"Bot {self.token}":
            return web.json_response({"message": "401: Unauthorized", "code": 0}, status=401)
        return web.json_response(self.user)
