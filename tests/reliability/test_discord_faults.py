"""Discord faults while delivering: 5xx, missing permission, a deleted channel, an expired token.

The job manager posts through `DiscordSink`; SimCord plays Discord, `env.inject_error` makes it
refuse, and `env.advance_time` lets an interaction token expire while a job runs.
"""

from __future__ import annotations

from decimal import Decimal

import discord

from bot.jobs.model import JobState
from tests.conftest import finish_jobs
from tests.helpers import TOKEN_EXPIRY, a_job_nobody_can_receive
from tests.reliability.conftest import assert_charged_once, posted_images


async def test_discord_5xx_on_editing_the_reply_falls_back_to_one_channel_post(
    simcord_env, running, guild_setup
):
    _, channel, alice = guild_setup
    simcord_env.inject_error("PATCH", "/webhooks/*", status=503, times=None)

    await alice.slash(channel, "imagine", prompt="a lighthouse")
    await finish_jobs(simcord_env, running)

    (job,) = await running.jobs.for_user(alice.id)
    assert job.state is JobState.DELIVERED
    (posted,) = posted_images(channel)
    assert f"<@{alice.id}>" in posted.content
    await assert_charged_once(running, job.id, Decimal(5))


async def test_an_expired_interaction_token_posts_the_result_in_the_channel_once(
    simcord_env, running, guild_setup, fake_ttapi
):
    _, channel, alice = guild_setup
    fake_ttapi.duration = 1.0

    result = await alice.slash(channel, "imagine", prompt="a lighthouse")
    await simcord_env.advance_time(TOKEN_EXPIRY)  # the member's token dies while the job runs
    await finish_jobs(simcord_env, running)

    (job,) = await running.jobs.for_user(alice.id)
    assert job.state is JobState.DELIVERED
    (posted,) = posted_images(channel)
    assert posted.id != result.response.id
    assert posted.content.startswith(f"<@{alice.id}>")
    # Nothing was sent with the dead token after it expired.
    edits_after = [
        r
        for r in simcord_env.http_requests
        if r.method == "PATCH" and "/webhooks/" in r.path and r.json and r.json.get("embeds")
    ]
    assert edits_after == []
    await assert_charged_once(running, job.id, Decimal(5))


async def test_missing_permission_to_post_ends_undeliverable_without_retrying(
    simcord_env, running, fake_ttapi, caplog
):
    channel, job = await a_job_nobody_can_receive(simcord_env, running, fake_ttapi)

    assert job.state is JobState.UNDELIVERABLE
    assert not posted_images(channel)
    posts = [r for r in simcord_env.http_requests if r.method == "POST" and r.path.endswith("/messages")]
    assert len(posts) == 1  # refused once, not hammered
    assert any(job.id in r.getMessage() and "undeliverable" in r.getMessage() for r in caplog.records)
    # The provider billed the finished image: the charge stands, once.
    await assert_charged_once(running, job.id, Decimal(5))


async def test_a_deleted_channel_ends_undeliverable(simcord_env, running, guild_setup, fake_ttapi):
    _, channel, alice = guild_setup
    fake_ttapi.duration = 1.0
    # The DM fallback (issue 6) is refused too: only then is the job undeliverable.
    simcord_env.inject_error("POST", "/users/@me/channels", status=403, code=50007, times=None)

    await alice.slash(channel, "imagine", prompt="a lighthouse")
    simcord_env.backend.delete_channel(channel.id)
    await simcord_env.settle()
    await finish_jobs(simcord_env, running)

    (job,) = await running.jobs.for_user(alice.id)
    assert job.state is JobState.UNDELIVERABLE
    await assert_charged_once(running, job.id, Decimal(5))


async def test_discord_5xx_on_the_channel_post_is_retried_and_posts_once(
    simcord_env, running, guild_setup, fake_ttapi
):
    _, channel, alice = guild_setup
    fake_ttapi.duration = 1.0
    simcord_env.inject_error("POST", "/channels/*/messages", status=503, times=1)

    await alice.slash(channel, "imagine", prompt="a lighthouse")
    await simcord_env.advance_time(TOKEN_EXPIRY)  # so the result must go out as a channel post
    await finish_jobs(simcord_env, running, timeout=30)

    (job,) = await running.jobs.for_user(alice.id)
    assert job.state is JobState.DELIVERED
    posts = [r for r in simcord_env.http_requests if r.method == "POST" and r.path.endswith("/messages")]
    assert len(posts) == 2  # one refused, then the retry that went through
    assert len(posted_images(channel)) == 1
    await assert_charged_once(running, job.id, Decimal(5))


async def test_no_permission_in_the_channel_falls_back_to_a_direct_message_once(
    simcord_env, running, fake_ttapi
):
    guild = simcord_env.create_guild("Artists")
    alice = guild.add_member(simcord_env.create_user("alice"))
    channel = guild.create_text_channel(
        "read-only",
        overwrites={simcord_env.bot.user: discord.PermissionOverwrite(send_messages=False)},
    )
    fake_ttapi.duration = 1.0

    await alice.slash(channel, "imagine", prompt="a lighthouse")
    await simcord_env.advance_time(TOKEN_EXPIRY)
    await finish_jobs(simcord_env, running)

    (job,) = await running.jobs.for_user(alice.id)
    assert job.state is JobState.DELIVERED
    assert not posted_images(channel)
    dms = [m for m in alice.user.dm_channel.history() if m.attachments]
    assert len(dms) == 1
    await assert_charged_once(running, job.id, Decimal(5))
