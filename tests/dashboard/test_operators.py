"""The operators' page `/g/{guild_id}`: Manage Server checked against Discord on every request;
usage as SVG; limits, grants, period and settings through the same store calls as `/admin`; the
live queue with Cancel; provider health. Never another server's data."""

from __future__ import annotations

import asyncio
import re
from decimal import Decimal
from typing import Any

import pytest

from bot.jobs.model import JobState
from tests.dashboard.conftest import (
    ALICE,
    ART_CHANNEL,
    ARTISTS,
    BOB,
    MOD,
    OTHER,
    PAINTERS,
    Site,
    csrf_of,
    post,
)


async def test_usage_is_drawn_as_svg_on_the_server(site: Site):
    await site.image(ALICE, ARTISTS)
    await site.image(BOB, ARTISTS)
    await site.image(BOB, ARTISTS)
    async with site.browser() as browser:
        await site.sign_in(browser, MOD, ARTISTS)
        async with browser.get(f"/g/{ARTISTS}") as page:
            assert page.status == 200
            html = await page.text()
    assert html.count("<svg ") == 3
    assert re.search(r"<title>\d{4}-\d\d-\d\d: 15</title>", html)  # today's bar: three charges of 5
    assert "<title>flux-pro-1.1: 15</title>" in html
    assert "<title>bob &lt;b&gt;: 10</title>" in html  # names escaped, as typed
    assert "<title>alice: 5</title>" in html
    assert len(html.encode()) < 100_000


async def test_members_without_manage_server_are_refused_on_every_request(site: Site):
    async with site.browser() as browser:
        await site.sign_in(browser, ALICE, ARTISTS)
        async with browser.get(f"/g/{ARTISTS}") as page:
            assert page.status == 403
            assert "Manage Server" in await page.text()
    async with site.browser() as browser:
        await site.sign_in(browser, MOD, ARTISTS)
        async with browser.get(f"/g/{ARTISTS}") as page:
            assert page.status == 200
        site.discord.guilds[ARTISTS].members[MOD] = ("mod", [])  # the role taken away in Discord
        async with browser.get(f"/g/{ARTISTS}") as page:
            assert page.status == 403
        async with browser.get(f"/g/{ARTISTS}/queue.json") as page:
            assert page.status == 403


async def test_an_operator_of_one_server_cannot_reach_another_by_changing_ids(site: Site):
    other_job = await site.image(ALICE, OTHER, "another server's secret")
    async with site.browser() as browser:
        await site.sign_in(browser, MOD, ARTISTS)
        for path in (f"/g/{OTHER}", f"/g/{OTHER}/queue.json"):
            async with browser.get(path) as page:
                assert page.status == 403, path
        status, _, _ = await post(browser, f"/g/{OTHER}/limits", scope="guild", amount="1")
        assert status == 403
        status, _, _ = await post(browser, f"/g/{ARTISTS}/queue/{other_job.id}/cancel")
        assert status == 404
        async with browser.get(f"/me/thumbs/{other_job.id}") as page:
            assert page.status == 404
    # Signed in from the other server, where the operator has no Manage Server: still refused.
    async with site.browser() as browser:
        await site.sign_in(browser, MOD, OTHER)
        async with browser.get(f"/g/{OTHER}") as page:
            assert page.status == 403
            assert "secret" not in await page.text()
    assert await site.services.quota.guilds.all_limits(OTHER) == []


async def test_a_limit_set_on_the_web_is_the_limit_quota_applies(site: Site):
    async with site.browser() as browser:
        await site.sign_in(browser, MOD, ARTISTS)
        status, url, html = await post(
            browser, f"/g/{ARTISTS}/limits", scope="member", member_id=str(ALICE), amount="7.5"
        )
        assert status == 200
        assert url.endswith("notice=limit_saved")
        assert "Limit saved." in html
        assert "A member: alice — <strong>7.5</strong>" in html
    standing = await site.services.quota.standing(ARTISTS, ALICE)
    assert standing.limit == Decimal("7.5")
    assert standing.source == "member"
    row = await site.services.db.fetchone("SELECT actor_id FROM quota_limits WHERE guild_id = ?", (ARTISTS,))
    assert row["actor_id"] == MOD  # the same audit column as /admin quota limit
    async with site.browser() as browser:
        await site.sign_in(browser, MOD, ARTISTS)
        await post(browser, f"/g/{ARTISTS}/limits", scope="role", role_id=str(PAINTERS), amount="unlimited")
        await post(browser, f"/g/{ARTISTS}/limits", scope="guild", amount="1000")
        await post(browser, f"/g/{ARTISTS}/limits", scope="member", member_id=str(ALICE), amount="clear")
    assert (await site.services.quota.standing(ARTISTS, BOB, (PAINTERS,))).limit is None
    assert (await site.services.quota.standing(ARTISTS, ALICE)).limit == Decimal(100)
    assert (await site.services.quota.limits(ARTISTS, ALICE)).guild == Decimal(1000)


@pytest.mark.parametrize(
    ("form", "refusal"),
    [
        ({"scope": "member", "member_id": "123", "amount": "5"}, "That member is not in this server."),
        ({"scope": "role", "role_id": "999", "amount": "5"}, "Pick a role of this server."),
        ({"scope": "guild", "amount": "lots"}, "That amount is not valid: "),
        ({"scope": "guild", "amount": "-3"}, "That amount is not valid: "),
    ],
)
async def test_bad_limits_are_refused_in_plain_words(site: Site, form: dict[str, str], refusal: str):
    async with site.browser() as browser:
        await site.sign_in(browser, MOD, ARTISTS)
        status, _, html = await post(browser, f"/g/{ARTISTS}/limits", **form)
    assert status == 200
    assert refusal.replace("'", "&#39;") in html
    assert "Traceback" not in html
    assert await site.services.quota.guilds.all_limits(ARTISTS) == []


async def test_grants_and_the_period_go_through_the_ledger_as_admin_does(site: Site):
    async with site.browser() as browser:
        await site.sign_in(browser, MOD, ARTISTS)
        _, _, html = await post(
            browser, f"/g/{ARTISTS}/grants", scope="member", member_id=str(ALICE), amount="20"
        )
        assert "Credits granted." in html
        await post(browser, f"/g/{ARTISTS}/grants", scope="role", role_id=str(PAINTERS), amount="3")
        _, _, refused = await post(browser, f"/g/{ARTISTS}/grants", scope="guild", amount="0")
        assert "Grant a positive number of credits." in refused
        standing = await site.services.quota.standing(ARTISTS, ALICE)
        assert standing.usage.granted == Decimal(20)
        assert standing.remaining == Decimal(120)
        assert (await site.services.quota.standing(ARTISTS, BOB, (PAINTERS,))).usage.granted == Decimal(3)
        _, _, html = await post(browser, f"/g/{ARTISTS}/period", period="week")
        assert "Quota period changed." in html
    assert await site.services.quota.period_of(ARTISTS) == "week"
    # Grants count in the period they were made for: the new weekly period starts without them.
    assert (await site.services.quota.standing(ARTISTS, ALICE)).usage.granted == Decimal(0)
    rows = await site.services.db.fetchall(
        "SELECT user_id, role_id, actor_id FROM ledger WHERE kind = 'grant' ORDER BY id"
    )
    assert [(r["user_id"], r["role_id"], r["actor_id"]) for r in rows] == [
        (ALICE, None, MOD),
        (None, PAINTERS, MOD),
    ]


async def test_server_settings_are_saved_and_checked(site: Site):
    async with site.browser() as browser:
        await site.sign_in(browser, MOD, ARTISTS)
        token = await csrf_of(browser, f"/g/{ARTISTS}")
        form = [
            ("csrf", token),
            ("default_model", "flux-dev"),
            ("allowed_models", "flux-dev"),
            ("allowed_models", "flux-pro-1.1"),
            ("max_safety_tolerance", "1"),
            ("allowed_channels", str(ART_CHANNEL)),
            ("allowed_channels", "123"),  # not a channel of this server: ignored
            ("private_mode", "force"),
        ]
        async with browser.post(f"/g/{ARTISTS}/settings", data=form) as page:
            assert "Saved." in await page.text()
        saved = await site.services.quota.guilds.settings(ARTISTS)
        assert saved.default_model == "flux-dev"
        assert saved.allowed_models == ("flux-dev", "flux-pro-1.1")
        assert saved.max_safety_tolerance == 1
        assert saved.allowed_channels == (ART_CHANNEL,)
        assert saved.private_mode == "force"
        bad = [("csrf", token), ("default_model", "flux-dev"), ("allowed_models", "flux-pro-1.1")]
        async with browser.post(f"/g/{ARTISTS}/settings", data=bad) as page:
            assert "The default model must be one of the allowed models." in await page.text()
        above_cap = [("csrf", token), ("max_safety_tolerance", "6")]
        async with browser.post(f"/g/{ARTISTS}/settings", data=above_cap) as page:
            assert "may only lower the bot&#39;s cap of 2." in await page.text()
    assert await site.services.quota.guilds.settings(ARTISTS) == saved


@pytest.mark.parametrize("site_settings", [{"max_active_jobs_per_user": 1}])
async def test_the_live_queue_lists_jobs_in_flight_and_cancels_a_queued_one(site: Site, fake_ttapi: Any):
    fake_ttapi.duration = 3.0
    running = asyncio.create_task(site.image(BOB, ARTISTS, "slow one"))
    waiting = asyncio.create_task(site.image(BOB, ARTISTS, "second"))
    try:
        async with site.browser() as browser:
            await site.sign_in(browser, MOD, ARTISTS)
            for _ in range(100):
                async with browser.get(f"/g/{ARTISTS}/queue.json") as answer:
                    jobs = (await answer.json())["jobs"]
                states = [j["state"] for j in jobs]
                if len(states) == 2 and states[0] != "queued" and states[1] == "queued":
                    break
                await asyncio.sleep(0.02)
            assert [j["member"] for j in jobs] == ["bob <b>", "bob <b>"]
            queued = jobs[-1]
            assert queued["cancel"] is True
            assert jobs[0]["cancel"] is False  # submitted: already being paid for
            async with browser.get(f"/g/{ARTISTS}") as page:
                html = await page.text()
            assert f'action="/g/{ARTISTS}/queue/{queued["id"]}/cancel"' in html
            _, _, html = await post(browser, f"/g/{ARTISTS}/queue/{queued['id']}/cancel")
            assert "Cancelled." in html
        cancelled = await site.services.jobs.get(queued["id"])
        assert cancelled is not None
        assert cancelled.state is JobState.CANCELLED
    finally:
        await asyncio.gather(running, waiting, return_exceptions=True)


async def test_provider_health_shows_requests_and_errors(site: Site, fake_ttapi: Any):
    fake_ttapi.error_next(500, on="fetch")
    await site.image(ALICE, ARTISTS)
    async with site.browser() as browser:
        await site.sign_in(browser, MOD, ARTISTS)
        async with browser.get(f"/g/{ARTISTS}") as page:
            html = await page.text()
    row = re.search(r"<tr><td>ttapi</td><td>(\d+)</td><td>(\d+) ms</td><td>(\d+)</td>", html)
    assert row is not None
    assert int(row.group(1)) >= 2
    assert int(row.group(3)) == 1  # the one 500


async def test_a_crafted_redirect_shows_only_our_own_sentences(site: Site):
    async with site.browser() as browser:
        await site.sign_in(browser, MOD, ARTISTS)
        crafted = f"/g/{ARTISTS}?error=Your+account+is+locked,+call+555&notice=<b>hi</b>"
        async with browser.get(crafted) as page:
            html = await page.text()
        assert "locked" not in html
        assert "hi</b>" not in html
        assert 'role="alert"' not in html
        async with browser.get(f"/g/{ARTISTS}?error=bad_role") as page:
            assert "Pick a role of this server." in await page.text()
