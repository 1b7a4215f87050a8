"""Provider health on the operators' page with BFL configured: its balance, asked of BFL."""

from __future__ import annotations

from typing import Any

import pytest

from tests.dashboard.conftest import ARTISTS, MOD, Site
from tests.fakes.bfl import FakeBFL


@pytest.fixture
def site_settings(fake_bfl: FakeBFL) -> dict[str, Any]:
    return {"bfl_api_key": fake_bfl.api_key, "bfl_base_url": fake_bfl.url}


async def test_the_bfl_balance_is_shown_and_asked_at_most_every_five_minutes(site: Site, fake_bfl: FakeBFL):
    async with site.browser() as browser:
        await site.sign_in(browser, MOD, ARTISTS)
        for _ in range(3):
            async with browser.get(f"/g/{ARTISTS}") as page:
                html = await page.text()
    assert "<td>bfl</td>" in html
    assert "1234.5 credits left" in html
    asked = [r for r in fake_bfl.requests if r.path == "/v1/credits"]
    assert len(asked) == 1


async def test_a_refused_balance_is_shown_not_raised(site: Site, fake_bfl: FakeBFL):
    fake_bfl.error_next(500, on="credits")
    async with site.browser() as browser:
        await site.sign_in(browser, MOD, ARTISTS)
        async with browser.get(f"/g/{ARTISTS}") as page:
            assert page.status == 200
            html = await page.text()
    assert "<td>bfl</td>" in html
    assert "Traceback" not in html
