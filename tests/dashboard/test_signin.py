"""Signing in and out of the web dashboard: one-time links, the session cookie, OAuth2 with PKCE,
rate limits, CSRF, and the headers every page carries."""

from __future__ import annotations

import asyncio
import re

import pytest
from yarl import URL

from bot.dashboard.auth import SESSION_COOKIE
from bot.store.web import digest
from tests.dashboard.conftest import ALICE, ARTISTS, BOB, MOD, OTHER, Site, csrf_of


async def test_a_link_signs_in_once_and_a_get_does_not_use_it_up(site: Site):
    link = await site.link(ALICE, ARTISTS)
    path = link.removeprefix(site.url)
    assert re.fullmatch(r"/login/[A-Za-z0-9_-]{43}", path)
    async with site.browser() as scanner, scanner.get(path) as page:  # a link preview fetching it
        assert page.status == 200
        assert '<form method="post">' in await page.text()
    async with site.browser() as browser:
        async with browser.post(path, allow_redirects=False) as answer:
            assert answer.status == 303
            assert answer.headers["Location"] == f"/me?guild={ARTISTS}"
            cookie = answer.headers["Set-Cookie"]
        assert "HttpOnly" in cookie
        assert "SameSite=Lax" in cookie
        assert "Secure" not in cookie  # http://: a Secure cookie would never come back
        assert "Max-Age=43200" in cookie  # WEB_SESSION_HOURS=12
        async with browser.get(f"/me?guild={ARTISTS}", allow_redirects=False) as page:
            assert page.status == 200
    async with site.browser() as someone_else, someone_else.post(path, allow_redirects=False) as answer:
        assert answer.status == 410
        assert "used already or has expired" in await answer.text()
    # Only digests are stored: the database alone signs nobody in.
    rows = await site.services.db.fetchall("SELECT token_hash FROM web_login_links")
    token = path.rsplit("/", 1)[1]
    assert [r["token_hash"] for r in rows] == [digest(token)]


async def test_an_expired_link_is_refused(site: Site):
    link = await site.link(ALICE, ARTISTS)
    await site.services.db.execute("UPDATE web_login_links SET expires_at = expires_at - 601")
    async with (
        site.browser() as browser,
        browser.post(link.removeprefix(site.url), allow_redirects=False) as answer,
    ):
        assert answer.status == 410
        assert SESSION_COOKIE not in answer.cookies


@pytest.mark.parametrize("site_settings", [{"web_session_hours": 1}])
async def test_the_session_lasts_web_session_hours_and_a_forged_cookie_is_nobody(site: Site):
    async with site.browser() as browser:
        await site.sign_in(browser, ALICE, ARTISTS)
        row = await site.services.db.fetchone("SELECT expires_at - created_at AS lasts FROM web_sessions")
        assert row["lasts"] == pytest.approx(3600)
        cookie = browser.cookie_jar.filter_cookies(URL(site.url))[SESSION_COOKIE]
        session_id, _, mac = cookie.value.rpartition(".")
        browser.cookie_jar.update_cookies({SESSION_COOKIE: f"{session_id}.{'0' * len(mac)}"}, URL(site.url))
        async with browser.get(f"/me?guild={ARTISTS}", allow_redirects=False) as page:
            assert page.status == 303
            assert page.headers["Location"] == "/login"


@pytest.mark.parametrize("site_settings", [{"web_session_hours": 0.0003}])  # 1.08 seconds
async def test_an_expired_session_opens_nothing(site: Site):
    async with site.browser() as browser:
        await site.sign_in(browser, ALICE, ARTISTS)
        async with browser.get(f"/me?guild={ARTISTS}", allow_redirects=False) as page:
            assert page.status == 200
        await asyncio.sleep(1.2)
        async with browser.get(f"/me?guild={ARTISTS}", allow_redirects=False) as page:
            assert page.status == 303
            assert page.headers["Location"] == "/login"


async def test_expired_links_and_sessions_are_swept_by_the_next_link(site: Site):
    async with site.browser() as browser:
        await site.sign_in(browser, ALICE, ARTISTS)
    await site.link(BOB, ARTISTS)
    await site.services.db.execute("UPDATE web_login_links SET expires_at = expires_at - 2 * 86400")
    await site.services.db.execute("UPDATE web_sessions SET expires_at = expires_at - 2 * 86400")
    await site.link(ALICE, ARTISTS)  # a new /dashboard link
    assert len(await site.services.db.fetchall("SELECT 1 FROM web_login_links")) == 1
    assert await site.services.db.fetchall("SELECT 1 FROM web_sessions") == []


async def test_sign_out_ends_the_session_on_the_server(site: Site):
    async with site.browser() as browser:
        await site.sign_in(browser, ALICE, ARTISTS)
        kept = browser.cookie_jar.filter_cookies(URL(site.url))[SESSION_COOKIE].value
        token = await csrf_of(browser, f"/me?guild={ARTISTS}")
        async with browser.post("/logout", data={"csrf": token}) as page:
            assert page.status == 200
            assert "You are signed out." in await page.text()
    async with site.browser() as thief:  # the cookie, copied before sign-out, opens nothing
        thief.cookie_jar.update_cookies({SESSION_COOKIE: kept}, URL(site.url))
        async with thief.get(f"/me?guild={ARTISTS}", allow_redirects=False) as page:
            assert page.status == 303
            assert page.headers["Location"] == "/login"


async def test_a_post_without_the_csrf_token_changes_nothing(site: Site):
    job = await site.image(ALICE, ARTISTS)
    async with site.browser() as browser:
        await site.sign_in(browser, ALICE, ARTISTS)
        for data in ({}, {"csrf": "0" * 64}):
            async with browser.post(f"/me/images/{job.id}/delete", data=data) as page:
                assert page.status == 403
                assert "This form has expired" in await page.text()
        async with browser.post("/logout") as page:
            assert page.status == 403
        async with browser.get(f"/me?guild={ARTISTS}") as page:
            assert page.status == 200  # still signed in
    stored = await site.services.jobs.get(job.id)
    assert stored is not None
    assert stored.result_path == job.result_path


async def test_a_csrf_token_of_another_session_is_refused(site: Site):
    async with site.browser() as mallory:
        await site.sign_in(mallory, ALICE, ARTISTS)
        foreign = await csrf_of(mallory, f"/me?guild={ARTISTS}")
    async with site.browser() as mod:
        await site.sign_in(mod, MOD, ARTISTS)
        data = {"csrf": foreign, "scope": "guild", "amount": "1"}
        async with mod.post(f"/g/{ARTISTS}/limits", data=data, allow_redirects=False) as page:
            assert page.status == 403
    assert await site.services.quota.guilds.all_limits(ARTISTS) == []


async def test_sign_in_attempts_are_rate_limited(site: Site):
    async with site.browser() as browser:
        statuses = []
        for _ in range(12):
            async with browser.get("/login/not-a-token") as page:
                statuses.append(page.status)
        assert statuses[:10] == [410] * 10
        assert statuses[10:] == [429, 429]
        async with browser.get("/login/not-a-token") as page:
            assert "Too many sign-in attempts" in await page.text()


async def test_oauth_sign_in_with_state_and_pkce(site: Site):
    site.discord.oauth_user = MOD
    async with site.browser() as browser:
        async with browser.get("/login") as page:
            assert "Sign in with Discord" in await page.text()
        async with browser.get("/oauth/start") as page:  # → Discord → /oauth/callback → /home
            assert page.status == 200
            assert str(page.url).endswith("/home")
            text = await page.text()
        # Both servers the member shares with the bot, the operator page only where Manage Server.
        assert "Artists &amp; &lt;Friends&gt;" in text
        assert f'href="/g/{ARTISTS}"' in text
        assert f'href="/me?guild={OTHER}"' in text
        assert f'href="/g/{OTHER}"' not in text
    authorize = site.discord.requests("GET", "/oauth2/authorize")[0].body
    assert authorize["scope"] == "identify guilds"
    assert authorize["code_challenge_method"] == "S256"
    assert authorize["redirect_uri"] == f"{site.url}/oauth/callback"
    token_call = site.discord.requests("POST", "/oauth2/token")[0].body
    assert b"code_verifier=" in token_call


async def test_oauth_callback_with_a_forged_state_signs_nobody_in(site: Site):
    site.discord.oauth_user = MOD
    async with site.browser() as browser:
        async with browser.get("/oauth/start", allow_redirects=False) as start:
            location = URL(start.headers["Location"])
        async with browser.get(f"/oauth/callback?code=abc&state=not-{location.query['state']}") as page:
            assert page.status == 400
            assert "Discord did not confirm the sign-in" in await page.text()
        async with browser.get("/home", allow_redirects=False) as page:
            assert page.status == 303
    assert site.discord.requests("POST", "/oauth2/token") == []


async def test_every_page_is_strict_and_has_no_inline_script(site: Site):
    await site.image(ALICE, ARTISTS)
    async with site.browser() as browser:
        await site.sign_in(browser, MOD, ARTISTS)
        for path in ("/login", "/home", f"/me?guild={ARTISTS}", f"/g/{ARTISTS}"):
            async with browser.get(path) as page:
                assert page.status == 200, path
                csp = page.headers["Content-Security-Policy"]
                assert "script-src 'self'" in csp
                assert "unsafe-inline" not in csp
                assert page.headers["X-Frame-Options"] == "DENY"
                assert page.headers["Referrer-Policy"] == "no-referrer"
                assert page.headers["Cache-Control"] == "no-store"
                html = await page.text()
                assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
                assert " style=" not in html
                assert " on" + "click=" not in html
        async with browser.get("/static/dashboard.js") as script:
            assert script.headers["Cache-Control"].startswith("public, max-age=")
    async with site.browser() as browser, browser.get("/healthz") as page:  # the bot's own: unchanged
        assert "Content-Security-Policy" not in page.headers
