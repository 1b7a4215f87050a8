"""Data that does not grow forever: reference images of jobs that ended without an image, Delete,
the RETENTION_DAYS sweep and the MIN_FREE_DISK_MB floor, with the real bot under SimCord, the real
SQLite file and the fake TTAPI."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from typing import Any

import aiohttp
import pytest

from bot.jobs.model import JobState
from bot.store.deliveries import Deliveries
from bot.store.retention import DAY, DiskAlmostFull
from bot.web import bound_port, serve
from tests.conftest import finish_jobs, refusals
from tests.helpers import files, guild_totals, png, private_text


@pytest.fixture
def database_settings(database_url: str) -> dict[str, Any]:
    return {"database_url": database_url}  # every test here, on each backend


async def age(services, days: float) -> None:
    """Make every finished job look `days` old."""
    await services.db.execute(
        "UPDATE jobs SET finished_at = finished_at - ? WHERE finished_at IS NOT NULL", (days * DAY,)
    )


# -- finding 1: files of jobs that end without an image, and Delete --------------------------------


@pytest.mark.parametrize("settings_overrides", [{"max_active_jobs_per_user": 1}])
async def test_a_cancelled_job_s_reference_image_is_deleted_at_once(
    simcord_env, running, guild_setup, settings, fake_ttapi
):
    _, channel, alice = guild_setup
    inputs = settings.database_path.parent / "inputs"
    fake_ttapi.duration = 1.0
    await alice.slash(channel, "imagine", prompt="first, running")
    await alice.slash(channel, "imagine", prompt="second, queued", image=("ref.png", png()))
    queued = next(j for j in await running.jobs.for_user(alice.id) if j.state is JobState.QUEUED)
    assert files(inputs) == [f"{queued.id}.0.b64"]

    assert await running.manager.cancel(queued.id, alice.id) is not None

    assert files(inputs) == []
    await finish_jobs(simcord_env, running)


async def test_a_moderated_job_s_reference_image_is_deleted_and_a_delivered_one_s_kept(
    simcord_env, running, guild_setup, settings, fake_ttapi
):
    _, channel, alice = guild_setup
    inputs = settings.database_path.parent / "inputs"
    fake_ttapi.fail_next("prompt violation")
    await alice.slash(channel, "imagine", prompt="refused by the provider", image=("ref.png", png("red")))
    await finish_jobs(simcord_env, running)
    (moderated,) = await running.jobs.for_user(alice.id)
    assert moderated.state is JobState.MODERATED
    assert files(inputs) == []

    await alice.slash(channel, "imagine", prompt="kept for reroll", image=("ref.png", png("blue")))
    await finish_jobs(simcord_env, running)
    delivered = (await running.jobs.for_user(alice.id))[0]
    assert delivered.state is JobState.DELIVERED
    assert files(inputs) == [f"{delivered.id}.0.b64"]


@pytest.mark.parametrize("settings_overrides", [{"max_active_jobs_per_user": 1}])
async def test_reference_images_a_cancel_could_not_delete_go_at_the_next_sweep(
    simcord_env, running, guild_setup, settings, fake_ttapi, caplog
):
    # Found by benchmarks/soak.py: a job cancelled while inputs/ was read-only kept its reference
    # image until RETENTION_DAYS. Here the folder is unusable the same way (a file in its place).
    _, channel, alice = guild_setup
    inputs = settings.database_path.parent / "inputs"
    fake_ttapi.duration = 1.0
    await alice.slash(channel, "imagine", prompt="first, delivered", image=("ref.png", png("blue")))
    await alice.slash(channel, "imagine", prompt="second, queued", image=("ref.png", png()))
    queued = next(j for j in await running.jobs.for_user(alice.id) if j.state is JobState.QUEUED)
    for _ in range(500):  # the first was sent (its reference image read) before the folder goes
        if any(j.state is JobState.RUNNING for j in await running.jobs.for_user(alice.id)):
            break
        await asyncio.sleep(0.01)
    away = inputs.with_name("inputs.away")
    inputs.rename(away)
    inputs.write_text("not a folder")

    assert await running.manager.cancel(queued.id, alice.id) is not None
    assert f"job {queued.id}: its reference images could not be deleted yet" in caplog.text

    inputs.unlink()
    away.rename(inputs)  # usable again, and the cancelled job's file is still in it
    await finish_jobs(simcord_env, running)
    delivered = next(j for j in await running.jobs.for_user(alice.id) if j.state is JobState.DELIVERED)
    assert files(inputs) == sorted([f"{queued.id}.0.b64", f"{delivered.id}.0.b64"])

    await running.retention.sweep()

    assert files(inputs) == [f"{delivered.id}.0.b64"]  # kept for Reroll until RETENTION_DAYS


async def test_delete_also_removes_the_stored_result_file(simcord_env, running, guild_setup, settings):
    _, channel, alice = guild_setup
    result = await alice.slash(channel, "imagine", prompt="a lighthouse")
    await finish_jobs(simcord_env, running)
    (job,) = await running.jobs.for_user(alice.id)
    images = settings.database_path.parent / "images"
    assert files(images) == [f"{job.id}.png"]

    deleted = await alice.click(result.response, label="Delete")

    assert private_text(deleted) == "Deleted."
    assert files(images) == []
    assert (await running.jobs.get(job.id)).result_path is None  # type: ignore[union-attr]


# -- RETENTION_DAYS ----------------------------------------------------------------------------------


async def test_the_sweep_deletes_old_files_and_prompts_and_keeps_the_books(
    simcord_env, running, guild_setup, settings
):
    _, channel, alice = guild_setup
    data = settings.database_path.parent
    old = await alice.slash(channel, "imagine", prompt="an old lighthouse", image=("ref.png", png()))
    await finish_jobs(simcord_env, running)
    await age(running, 31)
    await alice.slash(channel, "imagine", prompt="a new lighthouse", image=("ref.png", png("red")))
    await finish_jobs(simcord_env, running)
    new, expired = await running.jobs.for_user(alice.id)
    before = await guild_totals(running)
    member_before = await running.ledger.derive(channel.guild.id, alice.id, before[0][0])
    deliveries = Deliveries(running.db)
    assert (await deliveries.get(expired.id)).token  # type: ignore[union-attr]

    swept = await running.retention.sweep()

    assert swept.jobs == 1
    assert swept.freed > 0
    assert files(data / "images") == [f"{new.id}.png"]
    assert files(data / "inputs") == [f"{new.id}.0.b64"]
    expired = await running.jobs.get(expired.id)  # type: ignore[assignment]
    assert expired is not None
    assert expired.purged_at is not None
    assert expired.prompt == ""
    assert "lighthouse" not in str(expired.params)
    delivery = await deliveries.get(expired.id)
    assert delivery is not None
    assert (expired.result_url, delivery.token, expired.callback_token) == (None, None, None)
    assert (expired.state, expired.cost) == (JobState.DELIVERED, new.cost)
    assert await guild_totals(running) == before
    assert await running.ledger.derive(channel.guild.id, alice.id, before[0][0]) == member_before
    assert (await running.retention.sweep()).jobs == 0  # nothing left to do: the index is empty

    details = await alice.click(old.response, label="Details")
    shown = details.followups[-1] if details.followups else details.response
    assert shown.embeds[0].description == "*(prompt deleted)*"
    history = await alice.slash(channel, "history")
    assert "(prompt deleted)" in str(history.response.embeds[0].to_dict())

    reroll = await alice.click(old.response, label="Reroll (requester's references)")
    await finish_jobs(simcord_env, running)
    assert "no longer kept" in private_text(reroll)
    assert "30 days" in private_text(reroll)
    assert len(await running.jobs.for_user(alice.id)) == 2  # nothing started, nothing held


@pytest.mark.parametrize("settings_overrides", [{"retention_days": 0}])
async def test_retention_days_0_keeps_everything(simcord_env, running, guild_setup, settings):
    _, channel, alice = guild_setup
    await alice.slash(channel, "imagine", prompt="kept forever", image=("ref.png", png()))
    await finish_jobs(simcord_env, running)
    await age(running, 10_000)

    assert (await running.retention.sweep()).jobs == 0

    (job,) = await running.jobs.for_user(alice.id)
    assert job.prompt == "kept forever"
    assert job.purged_at is None
    assert len(files(settings.database_path.parent / "images")) == 1


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # SQLite's query plan
async def test_the_sweep_reads_its_batches_through_the_index(services):
    plan = await services.db.fetchall(
        "EXPLAIN QUERY PLAN SELECT id, result_path FROM jobs WHERE purged_at IS NULL"
        " AND finished_at IS NOT NULL AND finished_at < ? ORDER BY finished_at LIMIT ?",
        (time.time(), 500),
    )
    assert any("jobs_to_purge" in row["detail"] for row in plan), [row["detail"] for row in plan]


async def test_the_disk_gauges_are_measured_by_the_sweep(simcord_env, running, guild_setup):
    _, channel, alice = guild_setup
    await alice.slash(channel, "imagine", prompt="measured", image=("ref.png", png()))
    await finish_jobs(simcord_env, running)

    use = await running.retention.measure()

    text = running.manager.metrics.render().decode()
    assert use.images > 0
    assert use.inputs > 0
    assert f'fluxbot_disk_bytes{{folder="images"}} {float(use.images)}' in text
    assert f'fluxbot_disk_bytes{{folder="inputs"}} {float(use.inputs)}' in text
    assert "fluxbot_disk_free_bytes " in text


# -- MIN_FREE_DISK_MB ----------------------------------------------------------------------------------

ABOVE_ANY_DISK = 10**12  # MB: more than the free space of any disk this runs on


async def test_below_the_floor_new_jobs_are_refused_privately_and_running_ones_finish(
    simcord_env, running, guild_setup, settings, fake_ttapi
):
    _, channel, alice = guild_setup
    fake_ttapi.duration = 0.8
    first = await alice.slash(channel, "imagine", prompt="accepted before the disk filled")
    running.space.min_free_mb = ABOVE_ANY_DISK

    refused = await alice.slash(channel, "imagine", prompt="after", image=("ref.png", png()))
    await finish_jobs(simcord_env, running)

    assert "disk is almost full" in private_text(refused)
    assert [type(e) for e in refusals(simcord_env)] == [DiskAlmostFull]
    (job,) = await running.jobs.for_user(alice.id)
    assert job.state is JobState.DELIVERED
    assert len(first.response.attachments) == 1
    holds = await running.db.fetchall("SELECT job_id FROM ledger WHERE kind = 'hold'")
    assert [r["job_id"] for r in holds] == [job.id]
    assert files(settings.database_path.parent / "inputs") == []


async def test_healthz_says_degraded_below_the_floor_with_200(services, settings):
    async with serve(settings, services, None) as site, aiohttp.ClientSession() as http:
        url = f"http://127.0.0.1:{bound_port(site)}/healthz"
        async with http.get(url) as response:
            assert (response.status, (await response.json())["status"]) == (200, "ok")
        services.space.min_free_mb = ABOVE_ANY_DISK
        async with http.get(url) as response:
            body = await response.json()
    assert response.status == 200  # the container stays healthy: restarting it frees no disk
    assert body["status"] == "degraded"
    assert body["disk"] is False
    assert body["free_mb"] >= 0


async def test_doctor_reports_the_disk_used_by_images_and_the_floor(
    simcord_env, running, guild_setup, settings, capsys
):
    from bot.doctor import Report, check_disk

    _, channel, alice = guild_setup
    await alice.slash(channel, "imagine", prompt="measured", image=("ref.png", png()))
    await finish_jobs(simcord_env, running)
    use = await running.retention.measure()

    report = Report()
    check_disk(settings, report)
    below = Report()
    check_disk(settings.model_copy(update={"min_free_disk_mb": ABOVE_ANY_DISK}), below)

    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(
        f"  disk: result images {use.images / 2**20:.1f} MB, reference images {use.inputs / 2**20:.1f} MB, "
    )
    assert report.problems == []
    assert "new jobs are refused" in below.problems[0]


async def test_a_sweep_the_store_fails_is_logged_and_the_next_one_runs(services, database_url, caplog):
    """Before: the sweep loop caught SQLite's errors only, so on PostgreSQL the first round a lost
    connection failed ended the sweeps (and the disk gauges) until a restart."""
    if database_url.startswith("postgresql"):
        import asyncpg

        closed = "connection was closed in the middle of operation"  # asyncpg's words
        lost: Exception = asyncpg.ConnectionDoesNotExistError(closed)
    else:
        lost = sqlite3.OperationalError("database is locked")
    sweep = services.retention.sweep
    rounds: list[str] = []

    async def failing_once(now: float | None = None):  # type: ignore[no-untyped-def]
        rounds.append("sweep")
        if len(rounds) == 1:
            raise lost
        return await sweep(now)

    services.retention.sweep = failing_once
    loop = asyncio.create_task(services.retention.run(interval=0.05))
    try:
        async with asyncio.timeout(5):
            while len(rounds) < 3:
                await asyncio.sleep(0.02)
        assert not loop.done()
    finally:
        loop.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await loop
    (line,) = [r for r in caplog.records if "retention sweep failed" in r.getMessage()]
    assert str(lost) in line.getMessage()
