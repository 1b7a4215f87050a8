"""The pages in the member's language: the one their Discord client used for `/dashboard`, else
the browser's, else the server's, else DEFAULT_LANGUAGE; every text from the catalogue."""

from __future__ import annotations

from dataclasses import replace

import pytest
from yarl import URL

from bot.dashboard.auth import LANGUAGE_COOKIE
from bot.dashboard.text import from_accept_language
from tests.dashboard.conftest import ALICE, ARTISTS, MOD, Site


async def test_the_link_carries_the_members_language_to_every_page(site: Site):
    await site.image(ALICE, ARTISTS, "ein Leuchtturm")
    link = await site.link(ALICE, ARTISTS, "de")
    assert link.endswith("?lang=de")
    async with site.browser() as browser:
        async with browser.get(link.removeprefix(site.url)) as page:
            html = await page.text()
        assert '<html lang="de">' in html
        assert "Bei fluxbot anmelden" in html
        async with browser.post(link.removeprefix(site.url)) as page:  # follows to /me
            html = await page.text()
        assert "Meine Bilder" in html
        assert "Dein Kontingent in diesem Zeitraum" in html
        assert "<dd>5 Credits</dd>" in html
        assert browser.cookie_jar.filter_cookies(URL(site.url))[LANGUAGE_COOKIE].value == "de"


async def test_without_a_choice_the_browsers_language_then_the_servers(site: Site):
    russian = {"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"}
    async with site.browser() as browser, browser.get("/login", headers=russian) as page:
        assert "Используйте команду /dashboard" in await page.text()
    guilds = site.services.quota.guilds
    await guilds.save_settings(replace(await guilds.settings(ARTISTS), language="es-ES"), actor_id=MOD)
    async with site.browser() as browser:
        await site.sign_in(browser, MOD, ARTISTS)  # a link without a language
        headers = {"Accept-Language": "zh-TW"}  # Traditional Chinese: not ours
        async with browser.get(f"/g/{ARTISTS}", headers=headers) as page:
            html = await page.text()
        assert "Panel del servidor" in html
        assert "Créditos por día" in html


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("de-AT,de;q=0.8", "de"),
        ("fr-FR,es-MX;q=0.7", "es-ES"),
        ("en", "en-US"),
        ("zh-CN,zh;q=0.9", "zh-CN"),
        ("zh-TW,zh-HK", None),
        ("fr;q=1,ru;q=0", None),
        ("ru;q=0.2, de;q=0.8", "de"),
        ("", None),
        ("garbage;q=x, ;;", None),
    ],
)
def test_accept_language(header: str, expected: str | None):
    assert from_accept_language(header) == expected
