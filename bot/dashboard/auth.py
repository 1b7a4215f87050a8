"""Signing in to the web dashboard: one-time links, signed session cookies, CSRF tokens, rate limits
and the optional OAuth2 code flow with PKCE.

- A `/dashboard` link carries 32 random bytes; the store keeps their SHA-256, for ten minutes, for
  one use (`WebStore.redeem_link`, a compare-and-set).
- The session cookie is `<session id>.<HMAC>`: HttpOnly, SameSite=Lax, Secure when WEB_PUBLIC_URL is
  https; the key is made once and kept in `bot_state`, so every process of a deployment shares it.
  The row (only the id's SHA-256) is what `/logout` ends.
- A form's CSRF token is an HMAC of the session id: no storage, and useless in another session.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections import deque
from dataclasses import dataclass
from urllib.parse import urlencode

import aiohttp

from bot.store.bot_state import BotState
from bot.store.web import WebStore

#: How long a `/dashboard` link works, and how many times.
LINK_SECONDS = 600.0
SESSION_COOKIE = "fluxbot_session"
OAUTH_COOKIE = "fluxbot_oauth"
#: The member's language (not a secret: which catalogue the pages are read in).
LANGUAGE_COOKIE = "fluxbot_lang"
OAUTH_SECONDS = 600
SIGNING_KEY = "web_signing_key"
DISCORD = "https://discord.com"


def new_token() -> str:
    return secrets.token_urlsafe(32)


async def sign_in_link(
    store: WebStore, public_url: str, user_id: int, guild_id: int, *, language: str | None = None
) -> str:
    """A new one-time sign-in link for `/dashboard` (only the token's SHA-256 is stored); with the
    member's `language`, the pages speak it."""
    token = new_token()
    await store.add_link(token, user_id, guild_id, lifetime=LINK_SECONDS)
    # Each new link sweeps what expired over a day ago: the two tables stay as small as their use.
    await store.forget_expired(before=time.time() - 86400)
    return f"{public_url}/login/{token}" + (f"?lang={language}" if language else "")


class Signer:
    """HMAC-SHA256 with the deployment's web key (made on first use, kept in `bot_state`)."""

    def __init__(self, state: BotState) -> None:
        self.state = state
        self._key: bytes | None = None

    async def key(self) -> bytes:
        if self._key is None:
            stored = await self.state.get(SIGNING_KEY)
            if stored is None:
                await self.state.put(SIGNING_KEY, secrets.token_hex(32))
                stored = await self.state.get(SIGNING_KEY)  # another process may have won the race
            assert stored is not None
            self._key = bytes.fromhex(stored)
        return self._key

    async def mac(self, purpose: str, value: str) -> str:
        return hmac.new(await self.key(), f"{purpose}|{value}".encode(), hashlib.sha256).hexdigest()

    async def sign(self, purpose: str, value: str) -> str:
        return f"{value}.{await self.mac(purpose, value)}"

    async def unsign(self, purpose: str, signed: str | None) -> str | None:
        if not signed or "." not in signed:
            return None
        value, _, mac = signed.rpartition(".")
        if hmac.compare_digest(mac.encode(), (await self.mac(purpose, value)).encode()):
            return value
        return None

    async def csrf(self, session_id: str) -> str:
        return await self.mac("csrf", session_id)

    async def csrf_ok(self, session_id: str, given: str | None) -> bool:
        if not given:
            return False
        return hmac.compare_digest(given.encode(), (await self.csrf(session_id)).encode())


class RateLimit:
    """At most `count` attempts per `seconds` per key (the peer's address); in memory, per process."""

    def __init__(self, count: int = 10, seconds: float = 60.0) -> None:
        self.count = count
        self.seconds = seconds
        self._seen: dict[str, deque[float]] = {}

    def allow(self, key: str) -> bool:
        now = time.monotonic()
        if len(self._seen) > 10_000:
            self._seen = {k: v for k, v in self._seen.items() if v and v[-1] > now - self.seconds}
        seen = self._seen.setdefault(key, deque())
        while seen and seen[0] <= now - self.seconds:
            seen.popleft()
        if len(seen) >= self.count:
            return False
        seen.append(now)
        return True


@dataclass(frozen=True, slots=True)
class OAuthStart:
    url: str
    state: str
    verifier: str


@dataclass(frozen=True, slots=True)
class OAuthUser:
    user_id: int
    guild_ids: tuple[int, ...]


class DiscordOAuth:
    """Discord's OAuth2 authorization code grant with `state` and PKCE (S256), scopes `identify guilds`."""

    def __init__(
        self, http: aiohttp.ClientSession, client_id: str, client_secret: str, redirect_uri: str, base: str
    ) -> None:
        self.http = http
        self.client_id = client_id
        self._secret = client_secret
        self.redirect_uri = redirect_uri
        self.base = base.rstrip("/")

    def __repr__(self) -> str:
        return f"DiscordOAuth(client_id={self.client_id!r})"

    def start(self) -> OAuthStart:
        state = secrets.token_urlsafe(24)
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.client_id,
                "scope": "identify guilds",
                "state": state,
                "redirect_uri": self.redirect_uri,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
                "prompt": "none",
            }
        )
        return OAuthStart(f"{self.base}/oauth2/authorize?{query}", state, verifier)

    async def finish(self, code: str, verifier: str) -> OAuthUser | None:
        """Trade the code for a token, then ask who signed in and their servers; None if refused."""
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.redirect_uri,
            "code_verifier": verifier,
        }
        basic = base64.b64encode(f"{self.client_id}:{self._secret}".encode()).decode()
        api = f"{self.base}/api/v10"
        try:
            async with self.http.post(
                f"{api}/oauth2/token", data=form, headers={"Authorization": f"Basic {basic}"}
            ) as answer:
                if answer.status != 200:
                    return None
                token = (await answer.json()).get("access_token")
            if not isinstance(token, str):
                return None
            headers = {"Authorization": f"Bearer {token}"}
            async with self.http.get(f"{api}/users/@me", headers=headers) as answer:
                if answer.status != 200:
                    return None
                user = await answer.json()
            async with self.http.get(f"{api}/users/@me/guilds", headers=headers) as answer:
                guilds = await answer.json() if answer.status == 200 else []
            return OAuthUser(int(user["id"]), tuple(int(g["id"]) for g in guilds if "id" in g))
        except (aiohttp.ClientError, TimeoutError, ValueError, KeyError, TypeError):
            return None
