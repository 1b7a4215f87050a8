"""The dashboard in a real browser: Playwright driving the machine's Chromium (Debian's `chromium`,
which .ci/run installs; Playwright's own browser download is never used), against the real web
server, the real store and the fake Discord.

`FLUXBOT_SCREENSHOTS=1` also writes the screenshots shown in the README into docs/.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import async_playwright

from tests.dashboard.conftest import ALICE, ARTISTS, BOB, MOD, OTHER, Site

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: .ci/run installs Debian's chromium package")
        pytest.skip("Debian's chromium is not installed here (apt-get install chromium; .ci/run does it)")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            await launched.close()


def screenshot_to(tmp_path: Path, name: str) -> Path:
    return (DOCS if os.environ.get("FLUXBOT_SCREENSHOTS") else tmp_path) / name


async def sign_in(page: Any, site: Site, user_id: int, guild_id: int) -> None:
    response = await page.goto(await site.link(user_id, guild_id))
    assert response.status == 200
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(re.compile(r"/me\?guild="))


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_member_signs_in_by_link_browses_deletes_and_signs_out(
    site: Site, browser: Any, tmp_path: Path
):
    for prompt in ("a red lighthouse at dusk", "a <b>blue</b> whale", "mist over the fjord"):
        await site.image(ALICE, ARTISTS, prompt)
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, timezone_id="Asia/Tokyo")
    page = await context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)

    await sign_in(page, site, ALICE, ARTISTS)
    await page.wait_for_load_state("networkidle")
    images = page.locator(".gallery img")
    assert await images.count() == 3
    for index in range(3):  # every thumbnail really loaded
        assert await images.nth(index).evaluate("img => img.complete && img.naturalWidth > 0")
    assert await page.locator(".gallery .prompt").nth(1).inner_text() == "a <b>blue</b> whale"
    # Times in the browser's zone: Tokyo is UTC+9, so the script replaced the UTC text.
    first_time = page.locator(".gallery time").first
    assert "UTC" not in await first_time.inner_text()
    await page.screenshot(path=screenshot_to(tmp_path, "dashboard-my-images.png"), full_page=True)

    # Keyboard: the first Tab reaches the skip link, which leads to the content.
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.className") == "skip"

    await page.get_by_label("Search prompts").fill("WHALE")
    await page.get_by_label("Search prompts").press("Enter")
    await page.wait_for_url(re.compile(r"q=WHALE"))
    assert await page.locator(".gallery li").count() == 1

    await page.get_by_role("button", name="Delete: a <b>blue</b> whale").click()
    await page.wait_for_url(re.compile(r"deleted=1"))
    assert await page.get_by_role("status").inner_text() == "Deleted."
    assert await page.locator(".gallery li").count() == 2

    await page.get_by_role("button", name="Sign out").click()
    await page.get_by_text("You are signed out.").wait_for()
    response = await page.goto(f"{site.url}/me?guild={ARTISTS}")
    assert response.url.endswith("/login")
    assert errors == []  # the CSP blocked nothing the pages need
    await context.close()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_an_operator_changes_a_limit_and_quota_applies_it(site: Site, browser: Any, tmp_path: Path):
    await site.image(ALICE, ARTISTS, "a red lighthouse")
    await site.image(BOB, ARTISTS, "a garden")
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    await sign_in(page, site, MOD, ARTISTS)
    await page.get_by_role("link", name="Server dashboard").click()
    await page.wait_for_url(re.compile(rf"/g/{ARTISTS}$"))
    assert await page.locator("svg[role=img]").count() == 3
    await page.screenshot(path=screenshot_to(tmp_path, "dashboard-server.png"), full_page=True)

    form = page.locator("#limit-form")
    await form.get_by_label("Whose limit").select_option("member")
    await form.get_by_label("Member ID").fill(str(ALICE))
    await form.get_by_label("Credits per period").fill("7")
    await form.get_by_role("button", name="Save limit").click()
    await page.wait_for_url(re.compile(r"notice=limit_saved"))
    assert await page.get_by_role("status").inner_text() == "Limit saved."
    assert (await site.services.quota.standing(ARTISTS, ALICE)).limit == Decimal(7)

    # A forged cross-server URL: refused, nothing of that server shown.
    response = await page.goto(f"{site.url}/g/{OTHER}")
    assert response.status == 403
    # A POST without the CSRF token, with the browser's own cookie: refused, nothing changed.
    answer = await page.request.post(
        f"{site.url}/g/{ARTISTS}/limits", form={"scope": "guild", "amount": "1"}, max_redirects=0
    )
    assert answer.status == 403
    assert (await site.services.quota.limits(ARTISTS, ALICE)).guild is None
    await context.close()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("site_settings", [{"max_active_jobs_per_user": 1}])
async def test_the_live_queue_refreshes_by_itself(site: Site, browser: Any, fake_ttapi: Any):
    context = await browser.new_context()
    page = await context.new_page()
    await sign_in(page, site, MOD, ARTISTS)
    await page.goto(f"{site.url}/g/{ARTISTS}")
    assert await page.locator("#queue tbody").inner_text() == "No jobs in flight."
    fake_ttapi.duration = 30.0
    slow = asyncio.create_task(site.image(BOB, ARTISTS, "slow"))
    queued = asyncio.create_task(site.image(BOB, ARTISTS, "waiting"))
    try:
        cancel = page.locator("#queue tbody").get_by_role("button", name="Cancel")
        await cancel.wait_for(timeout=15_000)  # appeared without a reload
        await cancel.click()
        await page.wait_for_url(re.compile(r"notice=cancelled"))
        assert (await queued).state.value == "cancelled"
    finally:
        slow.cancel()
        await asyncio.gather(slow, queued, return_exceptions=True)
        await context.close()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_my_images_reads_on_a_phone(site: Site, browser: Any, tmp_path: Path):
    for prompt in ("a red lighthouse at dusk", "mist over the fjord"):
        await site.image(ALICE, ARTISTS, prompt)
    context = await browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    page = await context.new_page()
    await sign_in(page, site, ALICE, ARTISTS)
    await page.wait_for_load_state("networkidle")
    # Nothing wider than the screen: no sideways scrolling.
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390
    for control in ("Model", "Search prompts"):
        assert await page.get_by_label(control).is_visible()
    await page.screenshot(path=screenshot_to(tmp_path, "dashboard-phone.png"), full_page=True)
    await context.close()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_everything_but_the_live_refresh_works_without_javascript(site: Site, browser: Any):
    await site.image(ALICE, ARTISTS, "a red lighthouse")
    await site.image(ALICE, ARTISTS, "mist over the fjord")
    context = await browser.new_context(java_script_enabled=False)
    page = await context.new_page()
    await sign_in(page, site, ALICE, ARTISTS)
    assert "UTC" in await page.locator(".quota time").inner_text()  # the plain fallback
    await page.get_by_label("Search prompts").fill("fjord")
    await page.get_by_role("button", name="Filter").click()
    await page.wait_for_url(re.compile(r"q=fjord"))
    await page.get_by_role("button", name="Delete: mist over the fjord").click()
    await page.wait_for_url(re.compile(r"deleted=1"))
    assert await page.locator(".gallery .prompt").all_inner_texts() == ["a red lighthouse"]
    await page.get_by_role("button", name="Sign out").click()
    await page.get_by_text("You are signed out.").wait_for()

    page = await context.new_page()
    await sign_in(page, site, MOD, ARTISTS)
    await page.goto(f"{site.url}/g/{ARTISTS}")
    # Every visible control has a label a screen reader reads out.
    unlabelled = await page.evaluate(
        """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
                 .filter(el => el.labels.length === 0).map(el => el.name)"""
    )
    assert unlabelled == []
    form = page.locator("#limit-form")
    await form.get_by_label("Whose limit").select_option("guild")
    await form.get_by_label("Credits per period").fill("250")
    await form.get_by_role("button", name="Save limit").click()
    await page.wait_for_url(re.compile(r"notice=limit_saved"))
    assert (await site.services.quota.limits(ARTISTS, ALICE)).guild == Decimal(250)
    await context.close()
