""" "My images" (`/me`): a member's images in one server, thumbnails made once and cached, filters,
keyset pages, download, Delete (the Delete button's path), the quota, and nobody else's images."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from PIL import Image

from bot.dashboard import pages
from bot.store.retention import thumbnail_of
from tests.dashboard.conftest import ALICE, ART_CHANNEL, ARTISTS, BOB, OTHER, Site, csrf_of


async def test_my_images_shows_each_image_with_its_facts_and_the_quota(site: Site):
    job = await site.image(ALICE, ARTISTS, "a <script>alert('x')</script> lighthouse", aspect_ratio="16:9")
    await site.image(BOB, ARTISTS, "bob's secret garden")
    await site.image(ALICE, OTHER, "a fox in another server")
    async with site.browser() as browser:
        await site.sign_in(browser, ALICE, ARTISTS)
        async with browser.get(f"/me?guild={ARTISTS}") as page:
            html = await page.text()
    assert "a &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; lighthouse" in html
    assert "<script>alert" not in html
    assert "bob&#39;s secret garden" not in html  # another member's
    assert "a fox in another server" not in html  # another server's
    assert f'src="/me/thumbs/{job.id}"' in html
    assert f'href="/me/images/{job.id}" download' in html
    assert f"<dd>{job.seed}</dd>" in html
    assert "<dd>flux-pro-1.1</dd>" in html
    assert "<dd>5 credits</dd>" in html  # the fake TTAPI's charge
    assert "<dd>1376×768</dd>" in html  # as asked (the provider reported no size)
    # The quota: used, held, limit, reset time (a <time> the script shows in the browser's zone).
    quota = re.search(r'<section aria-labelledby="quota-h".*?</section>', html, re.S)
    assert quota is not None
    assert re.findall(r"<dd>([^<]*)</dd>", quota.group(0))[:4] == ["5", "0", "100", "95"]
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT00:00:00Z">', quota.group(0))


async def test_thumbnails_are_made_once_and_served_with_cache_headers(site: Site):
    job = await site.image(ALICE, ARTISTS)
    async with site.browser() as browser:
        await site.sign_in(browser, ALICE, ARTISTS)
        async with browser.get(f"/me/thumbs/{job.id}") as thumb:
            assert thumb.status == 200
            assert thumb.headers["Content-Type"] == "image/webp"
            assert thumb.headers["Cache-Control"] == "private, max-age=604800"
            etag = thumb.headers["ETag"]
            body = await thumb.read()
        async with browser.get(f"/me/thumbs/{job.id}", headers={"If-None-Match": etag}) as again:
            assert again.status == 304
        async with browser.get(f"/me/thumbs/{job.id}") as third:
            assert await third.read() == body
    assert site.dashboard.thumbnails.made == 1
    other = await site.image(ALICE, ARTISTS, "asked for five times at once")
    async with site.browser() as browser:
        await site.sign_in(browser, ALICE, ARTISTS)

        async def fetch() -> int:
            async with browser.get(f"/me/thumbs/{other.id}") as thumb:
                await thumb.read()
                return thumb.status

        assert await asyncio.gather(*(fetch() for _ in range(5))) == [200] * 5
    assert site.dashboard.thumbnails.made == 2
    path = thumbnail_of(site.services.db.data_dir, job.id)
    with Image.open(path) as picture:
        assert max(picture.size) <= 360
    # A restart (a new process) finds the file and makes nothing.
    site.dashboard.thumbnails.made = 0
    async with site.browser() as browser:
        await site.sign_in(browser, ALICE, ARTISTS)
        async with browser.get(f"/me/thumbs/{job.id}") as thumb:
            assert thumb.status == 200
    assert site.dashboard.thumbnails.made == 0


async def test_filter_by_model_search_and_keyset_pages(site: Site, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(pages, "PAGE_SIZE", 2)
    made = [
        await site.image(ALICE, ARTISTS, prompt)
        for prompt in ("Red barn", "blue sea", "red 100%_fox", "mist")
    ]
    async with site.browser() as browser:
        await site.sign_in(browser, ALICE, ARTISTS)
        async with browser.get(f"/me?guild={ARTISTS}") as page:
            first = await page.text()
        shown = re.findall(r'src="/me/thumbs/([^"]+)"', first)
        assert shown == [made[3].id, made[2].id]  # newest first
        older = re.search(r'rel="next" href="([^"]+)"', first)
        assert older is not None
        async with browser.get(older.group(1).replace("&amp;", "&")) as page:
            second = await page.text()
        assert re.findall(r'src="/me/thumbs/([^"]+)"', second) == [made[1].id, made[0].id]
        assert 'rel="next"' not in second
        async with browser.get(f"/me?guild={ARTISTS}&q=RED") as page:  # case-insensitive
            assert re.findall(r'src="/me/thumbs/([^"]+)"', await page.text()) == [made[2].id, made[0].id]
        async with browser.get(f"/me?guild={ARTISTS}&q=100%25_") as page:  # % and _ are literal
            assert re.findall(r'src="/me/thumbs/([^"]+)"', await page.text()) == [made[2].id]
        async with browser.get(f"/me?guild={ARTISTS}&model=flux-dev") as page:
            assert "No images here yet." in await page.text()
        async with browser.get(f"/me?guild={ARTISTS}&model=flux-pro-1.1&q=mist") as page:
            assert re.findall(r'src="/me/thumbs/([^"]+)"', await page.text()) == [made[3].id]


async def test_download_gives_the_full_image(site: Site):
    job = await site.image(ALICE, ARTISTS)
    async with site.browser() as browser:
        await site.sign_in(browser, ALICE, ARTISTS)
        async with browser.get(f"/me/images/{job.id}") as download:
            assert download.status == 200
            assert download.headers["Content-Disposition"].startswith("attachment;")
            assert await download.read() == Path(job.result_path or "").read_bytes()


async def test_delete_removes_the_image_and_its_thumbnail_as_the_button_does(site: Site):
    job = await site.image(ALICE, ARTISTS, message_id=4242)
    image = Path(job.result_path or "")
    async with site.browser() as browser:
        await site.sign_in(browser, ALICE, ARTISTS)
        async with browser.get(f"/me/thumbs/{job.id}") as thumb:
            assert thumb.status == 200
        async with browser.get(f"/me?guild={ARTISTS}") as page:
            link = f"https://discord.com/channels/{ARTISTS}/{ART_CHANNEL}/4242"
            assert f'href="{link}"' in await page.text()
        token = await csrf_of(browser, f"/me?guild={ARTISTS}")
        async with browser.post(f"/me/images/{job.id}/delete", data={"csrf": token}) as page:
            assert str(page.url).endswith(f"/me?guild={ARTISTS}&deleted=1")
            html = await page.text()
        assert "Deleted." in html
        assert job.id not in html
        async with browser.get(f"/me/images/{job.id}") as gone:
            assert gone.status == 404
    assert not image.exists()
    assert not thumbnail_of(site.services.db.data_dir, job.id).exists()
    # The posted message goes too, as with the button.
    assert [c.path for c in site.discord.requests("DELETE")] == [f"/channels/{ART_CHANNEL}/messages/4242"]
    stored = await site.services.jobs.get(job.id)
    assert stored is not None
    assert stored.result_path is None


async def test_another_members_image_is_not_found_whatever_the_url(site: Site):
    theirs = await site.image(BOB, ARTISTS)
    elsewhere = await site.image(ALICE, OTHER)
    async with site.browser() as browser:
        await site.sign_in(browser, ALICE, ARTISTS)
        token = await csrf_of(browser, f"/me?guild={ARTISTS}")
        for path in (f"/me/thumbs/{theirs.id}", f"/me/images/{theirs.id}"):
            async with browser.get(path) as page:
                assert page.status == 404
        async with browser.post(f"/me/images/{theirs.id}/delete", data={"csrf": token}) as page:
            assert page.status == 404
        # Her own image, but in a server this sign-in is not for: a forged guild id opens nothing.
        async with browser.get(f"/me/thumbs/{elsewhere.id}") as page:
            assert page.status == 404
        async with browser.get(f"/me?guild={OTHER}") as page:
            assert page.status == 403
            assert "fox" not in await page.text()
        for forged in ("abc", "-1", str(2**64)):
            async with browser.get(f"/me?guild={forged}") as page:
                assert page.status == 404
    assert Path(theirs.result_path or "").exists()


async def test_a_member_who_left_the_server_sees_nothing_there(site: Site):
    await site.image(ALICE, ARTISTS)
    async with site.browser() as browser:
        await site.sign_in(browser, ALICE, ARTISTS)
        del site.discord.guilds[ARTISTS].members[ALICE]
        async with browser.get(f"/me?guild={ARTISTS}") as page:
            assert page.status == 403
            assert "not a member of this server" in await page.text()
