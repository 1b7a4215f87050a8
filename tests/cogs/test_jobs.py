"""`/jobs`: a member's queued and running jobs, positions, and Cancel buttons for queued ones."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

import discord
import pytest

from bot.jobs.model import JobState
from bot.store.guilds import GuildSettings
from tests.conftest import finish_jobs


@pytest.fixture
def database_settings(database_url: str) -> dict[str, Any]:
    return {"database_url": database_url}  # every test here, on each backend


async def test_jobs_lists_queued_and_running_jobs_with_positions_and_cancel_buttons(
    simcord_env, running, guild_setup, fake_ttapi
):
    guild, channel, alice = guild_setup
    running.manager.max_active_per_user = 1  # alice's second and third job wait
    fake_ttapi.duration = 1.0
    for prompt in ("one", "two", "three"):
        await alice.slash(channel, "imagine", prompt=prompt)
    for _ in range(500):  # the first has reached its provider (on PostgreSQL a worker claims it first)
        if (await running.manager.member_jobs(alice.id))[0].state is not JobState.QUEUED:
            break
        await asyncio.sleep(0.01)

    listing = await alice.slash(channel, "jobs")

    assert listing.ephemeral
    embed = listing.response.embeds[0]
    lines = embed.description.splitlines()
    assert len(lines) == 3
    assert "generating" in lines[0] or "sending" in lines[0]
    assert "· one" in lines[0]
    assert "queued (position 1)" in lines[1]
    assert "· two" in lines[1]
    assert "queued (position 2)" in lines[2]
    buttons = listing.response.components[0]["components"]
    assert [b["label"] for b in buttons] == ["Cancel 2", "Cancel 3"]
    jobs = await running.manager.member_jobs(alice.id)
    assert [b["custom_id"] for b in buttons] == [f"fluxbot:cancel:{j.id}" for j in jobs[1:]]

    cancelled = await alice.click(listing.response, label="Cancel 3")
    assert cancelled.followups[-1].ephemeral
    assert cancelled.followups[-1].content == "Cancelled **three**. Nothing was charged."
    assert (await running.jobs.get(jobs[2].id)).state is JobState.CANCELLED
    # The listing itself is refreshed: the cancelled job and its button are gone.
    refreshed = listing.response
    assert len(refreshed.embeds[0].description.splitlines()) == 2
    assert [b["label"] for b in refreshed.components[0]["components"]] == ["Cancel 2"]
    await finish_jobs(simcord_env, running)

    usage = await running.ledger.member_usage(guild.id, alice.id, running.quota.current_period())
    assert usage.used == 10  # two images made; the cancelled one cost nothing
    assert usage.held == 0
    assert len(fake_ttapi.submits()) == 2


async def test_jobs_with_nothing_going_on(simcord_env, running, guild_setup):
    _, channel, alice = guild_setup
    listing = await alice.slash(channel, "jobs")
    assert listing.ephemeral
    assert "no queued or running jobs" in listing.response.embeds[0].description
    assert not listing.response.components


async def test_cancel_is_refused_for_someone_elses_or_a_started_job(
    simcord_env, running, guild_setup, fake_ttapi
):
    guild, channel, alice = guild_setup
    running.manager.max_active_per_user = 1
    fake_ttapi.duration = 1.0
    await alice.slash(channel, "imagine", prompt="running")
    await alice.slash(channel, "imagine", prompt="waiting")
    bob = guild.add_member(simcord_env.create_user("bob"))
    for _ in range(500):  # the first has reached its provider (on PostgreSQL a worker claims it first)
        running_job, waiting_job = await running.manager.member_jobs(alice.id)
        if running_job.state is not JobState.QUEUED:
            break
        await asyncio.sleep(0.01)

    # Bob presses a Cancel button carrying alice's job id (say, a forged one).
    sent = await simcord_env.bot.get_channel(channel.id).send(
        "forged", view=_view(f"fluxbot:cancel:{waiting_job.id}", f"fluxbot:cancel:{running_job.id}")
    )
    refused = await bob.click(sent, label="0")
    assert "Only the member who asked" in _private(refused)
    started = await alice.click(sent, label="1")
    assert "only queued jobs can be cancelled" in _private(started)
    # Neither refusal cancelled anything: both jobs run to their end. (Not "still queued": the
    # first job takes a second at the fake, and on a loaded machine the second may start meanwhile.)
    await finish_jobs(simcord_env, running)
    for job in (running_job, waiting_job):
        assert (await running.jobs.get(job.id)).state is JobState.DELIVERED


async def test_an_unexpected_error_in_a_command_is_an_apology_with_a_logged_reference(
    simcord_env, running, guild_setup, fake_ttapi, caplog
):
    guild, channel, alice = guild_setup
    await running.quota.guilds.save_settings(
        GuildSettings(guild.id, allowed_models=("flux-pro-1.1",)), actor_id=None
    )
    await running.db.execute(
        "UPDATE guild_settings SET allowed_models = 'not json' WHERE guild_id = ?", (guild.id,)
    )

    with caplog.at_level(logging.ERROR, logger="bot.discord.replies"):
        result = await alice.slash(channel, "imagine", prompt="a lighthouse")

    said = result.response.content
    assert result.ephemeral
    ref = re.search(r"reference `([0-9a-f]{8})`", said)
    assert ref, said
    assert "Nothing was charged" in said
    logged = [r for r in caplog.records if f"ref={ref.group(1)}" in r.getMessage()]
    assert len(logged) == 1
    assert "/imagine prompt='a lighthouse'" in logged[0].getMessage()
    assert logged[0].exc_info is not None
    assert len(simcord_env.errors) == 1  # recorded by the tree handler, and answered
    assert fake_ttapi.submits() == []


def _view(*custom_ids: str) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for number, custom_id in enumerate(custom_ids):
        view.add_item(discord.ui.Button(label=str(number), custom_id=custom_id))
    view.stop()
    return view


def _private(result) -> str:
    if result.followups:
        assert result.followups[-1].ephemeral
        return result.followups[-1].content
    assert result.ephemeral
    return result.response.content
