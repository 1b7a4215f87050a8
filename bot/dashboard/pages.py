"""The web dashboard's routes: sign-in, "My images" (`/me`), the operators' `/g/{guild_id}`.

Every page asks two things before it shows anything: who the session is (a signed cookie whose row
is live), and what the bot sees of that member in that server now (`Directory.member`: membership,
Manage Server). A server id in a URL or form is only a question; a job id is looked up and must
belong to that server (and, for "My images", to that member) — an id from another server is a 404.

Writes go through the same functions as `/admin`: limits, the period, grants and settings through
`AdminActions` (bot/admin_actions.py: the write and the same audit line, with the operator as
actor and "on the web dashboard"), Cancel through `JobManager.cancel`, and Delete through the
Delete button's `delete_result_image`: no second write path.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from aiohttp import web
from jinja2 import Environment, PackageLoader, select_autoescape

from bot.admin_actions import target_label
from bot.credits import parse_credit_amount
from bot.dashboard import charts
from bot.dashboard.auth import (
    LANGUAGE_COOKIE,
    OAUTH_COOKIE,
    OAUTH_SECONDS,
    SESSION_COOKIE,
    DiscordOAuth,
    RateLimit,
    Signer,
    new_token,
)
from bot.dashboard.members import Directory, WebMember
from bot.dashboard.text import ERRORS, NOTICES, Words, language_of
from bot.dashboard.thumbs import Thumbnails
from bot.i18n import Text, supported
from bot.i18n import text as i18n_text
from bot.periods import period_reset
from bot.providers.catalog import MODELS
from bot.store.bot_state import BotState
from bot.store.deliveries import Deliveries
from bot.store.guilds import PRIVATE_MODES, LimitScope
from bot.store.retention import delete_result_image
from bot.store.web import WebSession, WebStore

if TYPE_CHECKING:
    from bot.app import Services

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
PAGE_SIZE = 24
#: How long the operators' page waits for BFL's balance before showing the page without it.
BALANCE_SECONDS = 3.0
#: Pages are HTML for people: strict by construction. No inline script or style anywhere.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; img-src 'self'; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # A sign-in link's token is in its path: never sent on to another site.
    "Referrer-Policy": "no-referrer",
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
#: Where a request keeps its `Words` once its language is known.
WORDS: Any = web.RequestKey("words", Words) if hasattr(web, "RequestKey") else "fluxbot.words"


class Refused(Exception):
    """A page that refuses: its status and the key of its sentence (bot/dashboard/text.py)."""

    def __init__(self, status: int, key: str, **args: object) -> None:
        super().__init__(key)
        self.status = status
        self.key = key
        self.args_ = args


def when(timestamp: float | datetime) -> dict[str, str]:
    """A time as `<time datetime>` (the script shows it in the browser's zone) and its UTC text."""
    moment = timestamp if isinstance(timestamp, datetime) else datetime.fromtimestamp(timestamp, UTC)
    moment = moment.astimezone(UTC)
    return {"iso": moment.isoformat().replace("+00:00", "Z"), "text": moment.strftime("%Y-%m-%d %H:%M UTC")}


class Dashboard:
    def __init__(
        self,
        services: Services,
        directory: Directory,
        *,
        oauth_base: str = "https://discord.com",
    ) -> None:
        self.services = services
        self.settings = services.settings
        assert self.settings.web_public_url is not None
        self.public_url = self.settings.web_public_url
        self.secure = self.public_url.startswith("https://")
        self.directory = directory
        self.store = WebStore(services.db)
        self.signer = Signer(BotState(services.db))
        self.thumbnails = Thumbnails(services.db.data_dir)
        self.sign_ins = RateLimit(count=10, seconds=60)
        self.oauth: DiscordOAuth | None = None
        if self.settings.discord_client_id and self.settings.discord_client_secret is not None:
            self.oauth = DiscordOAuth(
                services.http,
                self.settings.discord_client_id,
                self.settings.discord_client_secret.get_secret_value(),
                f"{self.public_url}/oauth/callback",
                oauth_base,
            )
        self.templates = Environment(
            loader=PackageLoader("bot.dashboard", "templates"),
            autoescape=select_autoescape(default=True, default_for_string=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.versions = {p.name: hashlib.sha256(p.read_bytes()).hexdigest()[:12] for p in STATIC.iterdir()}
        self.templates.globals.update(
            when=when,
            static=lambda name: f"/static/{name}?v={self.versions[name]}",
        )
        self._balance: tuple[float, str] | None = None

    # -- wiring -----------------------------------------------------------------------------------

    def install(self, app: web.Application) -> None:
        app.middlewares.append(self._guard)
        routes = [
            ("GET", "/", self.root),
            ("GET", "/login", self.login_page),
            ("GET", "/login/{token}", self.link_page),
            ("POST", "/login/{token}", self.link_sign_in),
            ("GET", "/oauth/start", self.oauth_start),
            ("GET", "/oauth/callback", self.oauth_callback),
            ("POST", "/logout", self.logout),
            ("GET", "/home", self.home),
            ("GET", "/me", self.me),
            ("GET", "/me/thumbs/{job_id}", self.thumbnail),
            ("GET", "/me/images/{job_id}", self.download),
            ("POST", "/me/images/{job_id}/delete", self.delete),
            ("GET", "/g/{guild_id}", self.guild_page),
            ("GET", "/g/{guild_id}/queue.json", self.queue_json),
            ("POST", "/g/{guild_id}/limits", self.set_limit),
            ("POST", "/g/{guild_id}/period", self.set_period),
            ("POST", "/g/{guild_id}/grants", self.grant),
            ("POST", "/g/{guild_id}/settings", self.save_settings),
            ("POST", "/g/{guild_id}/queue/{job_id}/cancel", self.cancel),
        ]
        for method, path, handler in routes:
            app.router.add_route(method, path, handler)
        app.router.add_get("/static/{name}", self.static)
        app.router.add_get("/favicon.ico", self.static)

    async def static(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info.get("name", "favicon.svg")
        if name not in self.versions:  # only the files shipped in static/
            raise web.HTTPNotFound()
        # The URL carries the file's hash (`static()` in the templates): cached for a year.
        return web.FileResponse(
            STATIC / name, headers={"Cache-Control": "public, max-age=31536000, immutable"}
        )

    @web.middleware
    async def _guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        dashboard = not request.path.startswith(("/callbacks/", "/healthz", "/metrics"))
        try:
            response = await handler(request)
        except Refused as refused:
            words = await self.words(request)
            message = words.say(refused.key, **refused.args_)
            response = self.page(request, "message.html", {"message": message}, status=refused.status)
        except web.HTTPException as http:
            if not dashboard or http.status < 400 or http.status == 413:
                raise
            message = (await self.words(request)).say("not_found")
            response = self.page(request, "message.html", {"message": message}, status=http.status)
        if dashboard:
            for name, value in SECURITY_HEADERS.items():
                response.headers.setdefault(name, value)
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    async def words(self, request: web.Request) -> Words:
        """The page texts in the member's language (bot/dashboard/text.py), found once per request."""
        found = request.get(WORDS)
        if found is None:
            found = request[WORDS] = Words(await self.language_of(request))
        return found

    async def language_of(self, request: web.Request) -> str:
        """The member's language (bot/dashboard/text.py): the link's or its cookie's, the browser's,
        the server's (when the page is about one), the bot's default."""
        chosen = request.query.get("lang") or request.cookies.get(LANGUAGE_COOKIE)
        guild_text = request.match_info.get("guild_id") or request.query.get("guild") or ""
        server = None
        if guild_text.isdigit() and int(guild_text) < 2**63:
            server = (await self.services.quota.guilds.settings(int(guild_text))).language
        fallbacks = (server, self.settings.default_language)
        return language_of(chosen, request.headers.get("Accept-Language", ""), fallbacks)

    def page(
        self, request: web.Request, name: str, context: dict[str, Any], *, status: int = 200
    ) -> web.Response:
        words = request.get(WORDS) or Words()
        html = self.templates.get_template(name).render(
            t=words, lang=words.language, credits=words.credit_text, **context
        )
        return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")

    # -- sessions ---------------------------------------------------------------------------------

    async def _session(self, request: web.Request) -> tuple[str, WebSession] | None:
        session_id = await self.signer.unsign("session", request.cookies.get(SESSION_COOKIE))
        if session_id is None:
            return None
        session = await self.store.session(session_id)
        return None if session is None else (session_id, session)

    async def _signed_in(self, request: web.Request) -> tuple[str, WebSession]:
        found = await self._session(request)
        if found is None:
            raise web.HTTPSeeOther("/login")
        return found

    async def _form(self, request: web.Request, session_id: str) -> dict[str, str]:
        """The posted form, after its CSRF token was checked (403 without a valid one)."""
        form = await request.post()
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        if not await self.signer.csrf_ok(session_id, fields.get("csrf")):
            raise Refused(403, "bad_form")
        return fields

    async def _member(self, session: WebSession, guild_id: int) -> WebMember:
        if guild_id not in session.guild_ids:
            raise Refused(403, "not_allowed")
        member = await self.directory.member(guild_id, session.user_id)
        if member is None:
            raise Refused(403, "not_member")
        return member

    async def _operator(self, request: web.Request) -> tuple[str, WebSession, WebMember]:
        session_id, session = await self._signed_in(request)
        member = await self._member(session, _int(request.match_info["guild_id"]))
        if not member.manage_guild:
            raise Refused(403, "need_manage")
        return session_id, session, member

    async def _start_session(self, user_id: int, guild_ids: tuple[int, ...], to: str) -> web.Response:
        session_id = new_token()
        hours = self.settings.web_session_hours
        await self.store.add_session(session_id, user_id, guild_ids, lifetime=hours * 3600)
        response = web.Response(status=303, headers={"Location": to})
        response.set_cookie(
            SESSION_COOKIE,
            await self.signer.sign("session", session_id),
            max_age=int(hours * 3600),
            path="/",
            httponly=True,
            samesite="Lax",
            secure=self.secure,
        )
        return response

    def _rate_limited(self, request: web.Request) -> None:
        if not self.sign_ins.allow(request.remote or "?"):
            raise Refused(429, "too_many")

    # -- sign-in and out --------------------------------------------------------------------------

    async def root(self, request: web.Request) -> web.StreamResponse:
        raise web.HTTPSeeOther("/home" if await self._session(request) else "/login")

    async def login_page(self, request: web.Request) -> web.Response:
        await self.words(request)
        return self.page(request, "login.html", {"oauth": self.oauth is not None})

    async def link_page(self, request: web.Request) -> web.Response:
        # A GET only asks: link previews and scanners fetch URLs, and must not use up the link.
        self._rate_limited(request)
        usable = await self.store.link_usable(request.match_info["token"])
        await self.words(request)
        return self.page(request, "link.html", {"usable": usable}, status=200 if usable else 410)

    async def link_sign_in(self, request: web.Request) -> web.Response:
        self._rate_limited(request)
        redeemed = await self.store.redeem_link(request.match_info["token"])
        if redeemed is None:
            await self.words(request)
            return self.page(request, "link.html", {"usable": False}, status=410)
        user_id, guild_id = redeemed
        log.info("web: member %s signed in by link (server %s)", user_id, guild_id)
        response = await self._start_session(user_id, (guild_id,), f"/me?guild={guild_id}")
        language = supported(request.query.get("lang"))
        if language is not None:  # the language of the member's Discord client, for every page
            hours = self.settings.web_session_hours
            response.set_cookie(
                LANGUAGE_COOKIE,
                language,
                max_age=int(hours * 3600),
                path="/",
                samesite="Lax",
                secure=self.secure,
            )
        return response

    async def oauth_start(self, request: web.Request) -> web.Response:
        self._rate_limited(request)
        if self.oauth is None:
            raise web.HTTPNotFound()
        started = self.oauth.start()
        response = web.Response(status=303, headers={"Location": started.url})
        response.set_cookie(
            OAUTH_COOKIE,
            await self.signer.sign("oauth", f"{started.state}:{started.verifier}"),
            max_age=OAUTH_SECONDS,
            path="/oauth",
            httponly=True,
            samesite="Lax",
            secure=self.secure,
        )
        return response

    async def oauth_callback(self, request: web.Request) -> web.Response:
        self._rate_limited(request)
        if self.oauth is None:
            raise web.HTTPNotFound()
        kept = await self.signer.unsign("oauth", request.cookies.get(OAUTH_COOKIE))
        state, _, verifier = (kept or "").partition(":")
        given = request.query.get("state", "")
        code = request.query.get("code")
        if not kept or not code or not _same(state, given):
            raise Refused(400, "oauth_failed")
        user = await self.oauth.finish(code, verifier)
        if user is None:
            raise Refused(400, "oauth_failed")
        log.info("web: member %s signed in with Discord", user.user_id)
        response = await self._start_session(user.user_id, user.guild_ids, "/home")
        response.del_cookie(OAUTH_COOKIE, path="/oauth")
        return response

    async def logout(self, request: web.Request) -> web.Response:
        session_id, _ = await self._signed_in(request)
        await self._form(request, session_id)
        await self.store.end_session(session_id)
        words = await self.words(request)
        response = self.page(request, "message.html", {"message": words.signed_out, "signed_out": True})
        response.del_cookie(SESSION_COOKIE, path="/")
        return response

    async def home(self, request: web.Request) -> web.Response:
        session_id, session = await self._signed_in(request)
        servers = []
        # An OAuth sign-in lists every server of the member: only those the bot is in are asked about.
        for guild_id in self.directory.shared(session.guild_ids)[:50]:
            member = await self.directory.member(guild_id, session.user_id)
            if member is not None:
                servers.append(member)
        await self.words(request)
        return self.page(request, "home.html", await self._common(session_id, {"servers": servers}))

    async def _common(self, session_id: str, context: dict[str, Any]) -> dict[str, Any]:
        return {"csrf": await self.signer.csrf(session_id), "signed_in": True, **context}

    # -- "My images" ------------------------------------------------------------------------------

    async def me(self, request: web.Request) -> web.Response:
        session_id, session = await self._signed_in(request)
        guild_id = _int(request.query.get("guild") or str(session.guild_ids[0] if session.guild_ids else 0))
        member = await self._member(session, guild_id)
        words = await self.words(request)
        model = request.query.get("model") or None
        search = (request.query.get("q") or "").strip()[:200] or None
        before_text = request.query.get("before")
        before = _int(before_text) if before_text else None
        items = await self.store.gallery(
            guild_id, session.user_id, before=before, model=model, search=search, limit=PAGE_SIZE + 1
        )
        more = len(items) > PAGE_SIZE
        items = items[:PAGE_SIZE]
        standing = await self.services.quota.standing(guild_id, session.user_id, member.role_ids)
        context = {
            "member": member,
            "items": items,
            "more": more,
            "next_before": items[-1].seq if more and items else None,
            "paged": before is not None,
            "model": model or "",
            "q": search or "",
            "models": await self.store.models_used(guild_id, session.user_id),
            "standing": standing,
            "notice": words.deleted if request.query.get("deleted") else None,
        }
        return self.page(request, "me.html", await self._common(session_id, context))

    async def _own_job(self, request: web.Request) -> tuple[str, WebSession, Any]:
        session_id, session = await self._signed_in(request)
        job = await self.services.jobs.get(request.match_info["job_id"])
        if (
            job is None
            or job.user_id != session.user_id
            or job.guild_id not in session.guild_ids
            or not job.result_path
        ):
            raise web.HTTPNotFound()
        return session_id, session, job

    async def thumbnail(self, request: web.Request) -> web.StreamResponse:
        _, _, job = await self._own_job(request)
        etag = f'"{job.id}-thumb"'
        headers = {"ETag": etag, "Cache-Control": "private, max-age=604800"}
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers=headers)
        try:
            path = await self.thumbnails.get(job.id, Path(job.result_path))
        except (FileNotFoundError, OSError):
            raise web.HTTPNotFound() from None
        return web.FileResponse(path, headers={**headers, "Content-Type": "image/webp"})

    async def download(self, request: web.Request) -> web.StreamResponse:
        _, _, job = await self._own_job(request)
        image = Path(job.result_path)
        name = f"fluxbot-{job.id}{image.suffix}"
        return web.FileResponse(
            image,
            headers={
                "Content-Disposition": f'attachment; filename="{name}"',
                "Cache-Control": "private, max-age=3600",
            },
        )

    async def delete(self, request: web.Request) -> web.Response:
        session_id, session, job = await self._own_job(request)
        await self._form(request, session_id)
        await self._member(session, job.guild_id)
        delivery = await Deliveries(self.services.db).get(job.id)
        if delivery is not None and job.channel_id is not None and delivery.result_message_id is not None:
            await self.directory.delete_message(job.channel_id, delivery.result_message_id)
        await delete_result_image(self.services.jobs, job)
        log.info("job %s: result deleted by %s (web)", job.id, session.user_id)
        raise web.HTTPSeeOther(f"/me?guild={job.guild_id}&deleted=1")

    # -- operators --------------------------------------------------------------------------------

    async def guild_page(self, request: web.Request) -> web.Response:
        session_id, _, member = await self._operator(request)
        await self.words(request)
        context = await self._guild_context(member, request)
        return self.page(request, "guild.html", await self._common(session_id, context))

    async def _guild_context(self, member: WebMember, request: web.Request) -> dict[str, Any]:
        services = self.services
        guild_id = member.guild_id
        quota = services.quota
        words = await self.words(request)
        notice, error = request.query.get("notice", ""), request.query.get("error", "")
        now = time.time()
        charges = await self.store.daily_charges(guild_id, since=now - 30 * 86400)
        key = await quota.period_for(guild_id)
        top = await services.ledger.top_members(guild_id, key, limit=10)
        limits = await quota.guilds.all_limits(guild_id)
        people = [uid for uid, _ in top] + [row.target_id for row in limits if row.scope == "member"]
        names = await self.directory.names(guild_id, list(dict.fromkeys(people)))
        guild_settings = await quota.guilds.settings(guild_id)
        roles = await self.directory.roles(guild_id)
        role_names = dict(roles)
        period = await quota.period_of(guild_id)
        queue = await self.store.queue(guild_id)
        queue_names = await self.directory.names(guild_id, list(dict.fromkeys(j.user_id for j in queue)))
        return {
            "member": member,
            "guild_id": guild_id,
            "day_chart": charts.per_day(
                words.per_day, charges, today=int(now // 86400), fmt=words.credit_text
            ),
            "model_chart": charts.per_model(words.per_model, charges, words.credit_text),
            "top_chart": charts.rows(
                words.top_members,
                [(names.get(uid, str(uid)), usage.used) for uid, usage in top],
                words.credit_text,
            ),
            "period_key": key,
            "period": period,
            "resets": period_reset(quota.now(), period),
            "limits": [
                (
                    row,
                    role_names.get(row.target_id, str(row.target_id))
                    if row.scope == "role"
                    else (names.get(row.target_id) or str(row.target_id)),
                )
                for row in limits
            ],
            "roles": roles,
            "channels": await self.directory.text_channels(guild_id),
            "models": list(MODELS.values()),
            "settings": guild_settings,
            "private_modes": PRIVATE_MODES,
            "safety_cap": self.settings.max_safety_tolerance,
            "queue": queue,
            "queue_names": queue_names,
            "providers": await self._providers(),
            "notice": words.say(notice) if notice in NOTICES else None,
            "error": words.say(error, cap=self.settings.max_safety_tolerance) if error in ERRORS else None,
        }

    async def _providers(self) -> list[dict[str, Any]]:
        metrics = self.services.manager.metrics
        found = []
        for name, provider in self.services.providers.items():
            count = total = errors = 0.0
            for family in metrics.registry.collect():
                for sample in family.samples:
                    if sample.labels.get("provider") != name:
                        continue
                    if sample.name == "fluxbot_provider_request_seconds_count":
                        count += sample.value
                    elif sample.name == "fluxbot_provider_request_seconds_sum":
                        total += sample.value
                    elif sample.name == "fluxbot_provider_errors_total":
                        errors += sample.value
            latency = f"{total / count * 1000:.0f} ms" if count else "–"
            balance = await self._bfl_balance(provider) if name == "bfl" else None
            found.append(
                {
                    "name": name,
                    "requests": int(count),
                    "latency": latency,
                    "errors": int(errors),
                    "balance": balance,
                }
            )
        return found

    async def _bfl_balance(self, provider: Any) -> str:
        """BFL's own answer about the key and its credits, asked at most every five minutes."""
        if self._balance is None or self._balance[0] < time.monotonic():
            try:
                async with asyncio.timeout(BALANCE_SECONDS):  # a slow provider never holds the page
                    text = await provider.check()
            except Exception as exc:  # a provider error is shown, never raised into the page
                text = type(exc).__name__
            self._balance = (time.monotonic() + 300, text)
        return self._balance[1]

    async def queue_json(self, request: web.Request) -> web.Response:
        _, _, member = await self._operator(request)
        words = await self.words(request)
        queue = await self.store.queue(member.guild_id)
        names = await self.directory.names(member.guild_id, list(dict.fromkeys(j.user_id for j in queue)))
        return web.json_response(
            {
                "jobs": [
                    {
                        "id": j.id,
                        "state": words.state_of(j.state),
                        "model": j.model,
                        "member": names.get(j.user_id, str(j.user_id)),
                        "since": when(j.created_at),
                        "cancel": j.state == "queued",
                    }
                    for j in queue
                ]
            },
            headers={"Cache-Control": "no-store"},
        )

    def _back(self, guild_id: int, **query: str) -> web.HTTPSeeOther:
        return web.HTTPSeeOther(f"/g/{guild_id}?{urlencode(query)}")

    async def set_limit(self, request: web.Request) -> web.Response:
        session_id, session, member = await self._operator(request)
        form = await self._form(request, session_id)
        guild_id = member.guild_id
        scope = form.get("scope", "")
        target_id = 0
        if scope == "member":
            target_id = _int(form.get("member_id", "").strip() or "0", refused=False)
            if not target_id or await self.directory.member(guild_id, target_id) is None:
                raise self._back(guild_id, error="bad_member")
        elif scope == "role":
            target_id = _int(form.get("role_id", "") or "0", refused=False)
            if target_id not in dict(await self.directory.roles(guild_id)):
                raise self._back(guild_id, error="bad_role")
        elif scope not in ("default", "guild"):
            raise Refused(400, "bad_form")
        kind: LimitScope = scope  # type: ignore[assignment]
        amount = form.get("amount", "").strip()
        admin = self.services.admin
        label = target_label(kind, target_id)
        if amount.lower() in ("clear", "remove", "default"):
            await admin.clear_limit(
                guild_id, kind, target_id, actor_id=session.user_id, label=label, dashboard=True
            )
            log.info("web: limit %s %s cleared in %s by %s", kind, target_id, guild_id, session.user_id)
            raise self._back(guild_id, notice="limit_cleared")
        try:
            value = parse_credit_amount(amount, unlimited=True)
        except ValueError:
            raise self._back(guild_id, error="bad_amount") from None
        await admin.set_limit(
            guild_id, kind, target_id, value, actor_id=session.user_id, label=label, dashboard=True
        )
        log.info("web: limit %s %s set in %s by %s", kind, target_id, guild_id, session.user_id)
        raise self._back(guild_id, notice="limit_saved")

    async def set_period(self, request: web.Request) -> web.Response:
        session_id, session, member = await self._operator(request)
        form = await self._form(request, session_id)
        period = form.get("period", "")
        if period not in ("day", "week", "month"):
            raise Refused(400, "bad_form")
        await self.services.admin.set_period(
            member.guild_id, period, actor_id=session.user_id, dashboard=True
        )
        raise self._back(member.guild_id, notice="period_saved")

    async def grant(self, request: web.Request) -> web.Response:
        session_id, session, member = await self._operator(request)
        form = await self._form(request, session_id)
        guild_id = member.guild_id
        scope = form.get("scope", "")
        try:
            value = parse_credit_amount(form.get("amount", "").strip())
        except ValueError:
            raise self._back(guild_id, error="bad_amount") from None
        if value is None or value <= 0:
            raise self._back(guild_id, error="grant_positive")
        user_ids: list[int] | None = None
        role_id: int | None = None
        label: str | Text = target_label("guild", 0)
        if scope == "member":
            target = _int(form.get("member_id", "").strip() or "0", refused=False)
            if not target or await self.directory.member(guild_id, target) is None:
                raise self._back(guild_id, error="bad_member")
            user_ids = [target]
            label = target_label("member", target)
        elif scope == "role":
            role_id = _int(form.get("role_id", "") or "0", refused=False)
            if role_id not in dict(await self.directory.roles(guild_id)):
                raise self._back(guild_id, error="bad_role")
            label = i18n_text("admin-target-everyone-with", role=target_label("role", role_id))  # as /admin
        elif scope != "guild":
            raise Refused(400, "bad_form")
        await self.services.admin.grant(
            guild_id,
            user_ids,
            value,
            actor_id=session.user_id,
            label=label,
            role_id=role_id,
            dashboard=True,
        )
        log.info("web: %s credits granted (%s) in %s by %s", value, scope, guild_id, session.user_id)
        raise self._back(guild_id, notice="granted")

    async def save_settings(self, request: web.Request) -> web.Response:
        session_id, session, member = await self._operator(request)
        form = await request.post()
        if not await self.signer.csrf_ok(session_id, _str(form.get("csrf"))):
            raise Refused(403, "bad_form")
        guild_id = member.guild_id
        current = await self.services.quota.guilds.settings(guild_id)
        allowed = tuple(m for m in form.getall("allowed_models", []) if isinstance(m, str) and m in MODELS)
        default = _str(form.get("default_model")) or None
        if default is not None and default not in MODELS:
            raise Refused(400, "bad_form")
        if default and allowed and default not in allowed:
            raise self._back(guild_id, error="bad_settings_default")
        cap = self.settings.max_safety_tolerance
        safety_text = _str(form.get("max_safety_tolerance"))
        safety = _int(safety_text, refused=False) if safety_text else None
        if safety is not None and not 0 <= safety <= cap:
            raise self._back(guild_id, error="bad_settings_safety")
        known = {c for c, _ in await self.directory.text_channels(guild_id)}
        channels = tuple(
            int(c)
            for c in form.getall("allowed_channels", [])
            if isinstance(c, str) and c.isdigit() and int(c) in known
        )
        private = _str(form.get("private_mode")) or "allow"
        if private not in PRIVATE_MODES:
            raise Refused(400, "bad_form")
        updated = replace(
            current,
            default_model=default,
            allowed_models=allowed or None,
            max_safety_tolerance=safety,
            allowed_channels=channels or None,
            private_mode=None if private == "allow" else private,  # as /admin settings stores it
        )
        if await self.services.admin.save_settings(
            current, updated, actor_id=session.user_id, dashboard=True
        ):
            log.info("web: settings of %s saved by %s", guild_id, session.user_id)
        raise self._back(guild_id, notice="saved")

    async def cancel(self, request: web.Request) -> web.Response:
        session_id, session, member = await self._operator(request)
        await self._form(request, session_id)
        job = await self.services.jobs.get(request.match_info["job_id"])
        if job is None or job.guild_id != member.guild_id:
            raise web.HTTPNotFound()
        cancelled = await self.services.manager.cancel(job.id)
        log.info("web: job %s cancel by %s: %s", job.id, session.user_id, bool(cancelled))
        if cancelled is None:
            raise self._back(member.guild_id, error="not_cancelled")
        raise self._back(member.guild_id, notice="cancelled")


def _int(text: str, *, refused: bool = True) -> int:
    try:
        value = int(text)
    except ValueError:
        if refused:
            raise web.HTTPNotFound() from None
        return 0
    if not 0 <= value < 2**63:
        if refused:
            raise web.HTTPNotFound()
        return 0
    return value


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _same(a: str, b: str) -> bool:
    return bool(a) and hmac.compare_digest(a.encode(), b.encode())
