"""After READY: the image is paid for. A disk that refuses the file, or a link that keeps failing,
must neither lose it nor tie up the provider (issue 17, findings 2 and 6).

The images folder is made unwritable the way root cannot ignore: a plain file stands where the
folder should be (tests run as root, which ignores file modes).
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from pathlib import Path

from aiohttp import web

from bot.jobs.model import JobState
from tests.helpers import ledger, manager_env, submit, until
from tests.reliability.conftest import FaultyTTAPI, html_page


def block(folder: Path) -> None:
    """Put a file where the images folder is: every write below it fails (NotADirectoryError)."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.write_bytes(b"in the way")


def unblock(folder: Path) -> None:
    folder.unlink()
    folder.mkdir()


def storage_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if "cannot write" in r.getMessage()]


async def test_an_image_that_cannot_be_stored_waits_and_is_delivered_once_when_the_disk_is_back(
    tmp_path, fake_ttapi, caplog
):
    caplog.set_level(logging.INFO)
    fake_ttapi.duration = 0.2
    async with manager_env(tmp_path, ttapi=fake_ttapi) as (services, sink, _):
        folder = services.manager.images_dir
        block(folder)
        job = await submit(services, 1)
        await until(lambda: len(storage_lines(caplog)) == 1)
        await asyncio.sleep(1.6)  # several retries meanwhile: still one line for the operator

        stored = await services.jobs.get(job.id)
        assert stored is not None
        assert stored.state is JobState.FETCHING  # not failed "internal"
        assert len(storage_lines(caplog)) == 1
        assert f"File exists ({folder})" in storage_lines(caplog)[0]
        assert await ledger(services, job.id) == ["hold", "charge"]  # charged once, at READY

        unblock(folder)
        done = await services.manager.wait_for(job.id, 40)
        await services.manager.wait_idle(5)

    assert done.state is JobState.DELIVERED
    assert sink.delivered == {job.id: 1}
    assert sink.failed == []
    assert len(fake_ttapi.files()) == 1  # the image was kept in memory: downloaded once
    assert Path(done.result_path or "").parent == folder


async def test_an_image_that_could_not_be_stored_before_a_restart_is_fetched_again_after_it(
    tmp_path, fake_ttapi, caplog
):
    fake_ttapi.duration = 0.2
    async with manager_env(tmp_path, ttapi=fake_ttapi) as (services, sink, _):
        folder = services.manager.images_dir
        block(folder)
        job = await submit(services, 1)
        await until(lambda: len(storage_lines(caplog)) == 1)
    # The process is gone; the operator frees the folder; the bot starts again.
    unblock(folder)
    async with manager_env(tmp_path, ttapi=fake_ttapi) as (services, sink, _):
        done = await services.manager.wait_for(job.id, 20)
        await services.manager.wait_idle(5)
        assert await ledger(services, job.id) == ["hold", "charge"]

    assert done.state is JobState.DELIVERED
    assert sink.delivered == {job.id: 1}
    assert len(fake_ttapi.submits()) == 1
    assert len(fake_ttapi.files()) == 2  # once before the restart, once after


def failing_for_the_first_result(fake: FaultyTTAPI, times: int = 1000) -> None:
    """Every download of the first result link fails with a 500; other links work."""
    first: list[str] = []
    fail = html_page(500)

    async def act(request: web.Request) -> web.StreamResponse | None:
        name = request.match_info["name"]
        if not first:
            first.append(name)
        return await fail(request) if name == first[0] else None

    fake.inject("file", act, times=times)


async def test_a_failing_download_does_not_hold_the_providers_slot(tmp_path, fake_ttapi):
    fake_ttapi.duration = 0.2
    failing_for_the_first_result(fake_ttapi)
    async with manager_env(tmp_path, ttapi=fake_ttapi, provider_concurrency="ttapi=1") as (services, _, _):
        stuck = await submit(services, 1, "stuck")
        await until(lambda: len(fake_ttapi.files()) >= 1)
        other = await submit(services, 2, "next in line")
        done = await services.manager.wait_for(other.id, 15)

        assert done.state is JobState.DELIVERED
        still = await services.jobs.get(stuck.id)
        assert still is not None
        assert still.state is JobState.FETCHING
        assert services.manager.scheduler.queue.in_flight("ttapi") == 0


async def test_a_download_that_keeps_failing_ends_at_the_fetch_deadline_and_says_so(tmp_path, fake_ttapi):
    """Not after the link's 28 days: after the fetch window. The provider billed the job, so the
    charge stays (as for an expired link), and the member is told so."""
    fake_ttapi.duration = 0.2
    failing_for_the_first_result(fake_ttapi)
    async with manager_env(tmp_path, ttapi=fake_ttapi) as (services, sink, _):
        services.manager.fetch_window = 2.0
        job = await submit(services, 1)
        done = await services.manager.wait_for(job.id, 15)
        assert await ledger(services, job.id) == ["hold", "charge"]

    assert done.state is JobState.FAILED
    assert done.error_code == "download"
    assert done.cost is not None
    assert sink.failed == [job.id]
    assert sink.delivered == {}


async def test_an_image_that_cannot_be_stored_within_the_window_ends_with_a_plain_message(
    tmp_path, fake_ttapi
):
    fake_ttapi.duration = 0.2
    async with manager_env(tmp_path, ttapi=fake_ttapi) as (services, sink, _):
        services.manager.fetch_window = 2.0
        block(services.manager.images_dir)
        job = await submit(services, 1)
        done = await services.manager.wait_for(job.id, 15)
        assert await ledger(services, job.id) == ["hold", "charge"]

    assert done.state is JobState.FAILED
    assert done.error_code == "storage"
    assert "could not be saved" in (done.error_message or "")
    assert sink.failed == [job.id]
