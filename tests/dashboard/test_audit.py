"""Operators' changes on the web dashboard reach the server's audit channel as the same lines as
`/admin`'s (bot/admin_actions.py), naming the operator and that it came from the dashboard."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from bot.admin_actions import action, admin_line
from tests.dashboard.conftest import ALICE, ARTISTS, MOD, OTHER, PAINTERS, Site, post

AUDIT_CHANNEL = 800000000000000009


async def _with_audit_channel(site: Site, guild_id: int) -> None:
    guilds = site.services.quota.guilds
    current = await guilds.settings(guild_id)
    await guilds.save_settings(replace(current, audit_channel_id=AUDIT_CHANNEL), actor_id=MOD)


async def _lines(site: Site, guild_id: int) -> list[str]:
    return [line.line for line in await site.services.audit.waiting(guild_id)]


async def test_a_limit_changed_on_the_dashboard_is_an_audit_line(site: Site):
    await _with_audit_channel(site, ARTISTS)
    woken: list[bool] = []
    site.services.admin.audit.listeners.append(lambda: woken.append(True))  # as the poster listens
    async with site.browser() as browser:
        await site.sign_in(browser, MOD, ARTISTS)
        _, url, _ = await post(
            browser, f"/g/{ARTISTS}/limits", scope="member", member_id=str(ALICE), amount="7.5"
        )
        assert url.endswith("notice=limit_saved")
        await post(browser, f"/g/{ARTISTS}/limits", scope="member", member_id=str(ALICE), amount="clear")
    assert await _lines(site, ARTISTS) == [
        f"🛠 <@{MOD}> set the limit of <@{ALICE}> to 7.5 credits per period (on the web dashboard)",
        f"🛠 <@{MOD}> removed the limit of <@{ALICE}> (on the web dashboard)",
    ]
    assert woken == [True, True]
    assert await _lines(site, OTHER) == []


async def test_the_dashboards_lines_are_the_admin_commands_lines(site: Site):
    """Grant, period and settings: the same action text as /admin's, from the one shared function."""
    await _with_audit_channel(site, ARTISTS)
    key = await site.services.quota.period_for(ARTISTS)  # the grant's period, before it changes
    async with site.browser() as browser:
        await site.sign_in(browser, MOD, ARTISTS)
        await post(browser, f"/g/{ARTISTS}/limits", scope="role", role_id=str(PAINTERS), amount="20")
        await post(browser, f"/g/{ARTISTS}/grants", scope="member", member_id=str(ALICE), amount="3")
        await post(browser, f"/g/{ARTISTS}/period", period="week")
        await post(browser, f"/g/{ARTISTS}/settings", private_mode="force")
    lines = await _lines(site, ARTISTS)
    limit = action("limit", label=f"<@&{PAINTERS}>", amount=Decimal(20))
    grant = action("grant", amount=Decimal(3), label=f"<@{ALICE}>", key=key)
    assert lines == [
        admin_line(MOD, limit, dashboard=True).render("en-US"),
        admin_line(MOD, grant, dashboard=True).render("en-US"),
        f"🛠 <@{MOD}> changed the quota period to week (on the web dashboard)",
        f"🛠 <@{MOD}> changed the settings: private mode → force (on the web dashboard)",
    ]


async def test_a_russian_server_reads_the_dashboards_lines_in_russian_as_admins_lines(site: Site):
    """`/admin settings language: ru`: the dashboard's line is the same Russian line `/admin` writes
    (one function, `AdminActions`), credits written the Russian way (Babel)."""
    guilds = site.services.quota.guilds
    current = await guilds.settings(ARTISTS)
    await guilds.save_settings(replace(current, audit_channel_id=AUDIT_CHANNEL, language="ru"), actor_id=MOD)
    async with site.browser() as browser:
        await site.sign_in(browser, MOD, ARTISTS)
        await post(browser, f"/g/{ARTISTS}/limits", scope="member", member_id=str(ALICE), amount="1234.5")
        await post(browser, f"/g/{ARTISTS}/period", period="week")
    # The same action through `/admin`'s path (no dashboard): the same words, without "(web)".
    await site.services.admin.set_limit(
        ARTISTS, "member", ALICE, Decimal("1234.5"), actor_id=MOD, label=f"<@{ALICE}>"
    )
    assert await _lines(site, ARTISTS) == [
        f"🛠 <@{MOD}> установил(а) лимит для <@{ALICE}>: 1\xa0234,5 кр. за период (через веб-панель)",
        f"🛠 <@{MOD}> сменил(а) период квоты на «неделя» (через веб-панель)",
        f"🛠 <@{MOD}> установил(а) лимит для <@{ALICE}>: 1\xa0234,5 кр. за период",
    ]


async def test_no_audit_channel_no_line(site: Site):
    async with site.browser() as browser:
        await site.sign_in(browser, MOD, ARTISTS)
        await post(browser, f"/g/{ARTISTS}/limits", scope="guild", amount="50")
    assert await _lines(site, ARTISTS) == []
    assert (await site.services.quota.limits(ARTISTS, ALICE)).guild == 50
