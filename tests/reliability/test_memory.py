"""What the bot keeps in memory for a job is let go once the job no longer needs it (issue 17 #13):
the sink's Interaction objects, the callback inbox, the fair queue's 429 pauses."""

from __future__ import annotations

import asyncio
import json

import aiohttp

from bot.jobs.manager import NewJob
from bot.jobs.model import JobState, Origin
from bot.jobs.plan import plan_job
from tests.conftest import finish_jobs
from tests.helpers import TOKEN_EXPIRY, a_job_nobody_can_receive, manager_env, submit


def kept_by(sink) -> dict[str, dict]:
    return {"live": sink._live, "shown": sink._shown, "pending": sink._pending, "queued": sink._queued}


async def test_the_sink_keeps_nothing_of_an_undeliverable_job(simcord_env, simcord_bot, running, fake_ttapi):
    _, job = await a_job_nobody_can_receive(simcord_env, running, fake_ttapi)

    assert job.state is JobState.UNDELIVERABLE
    assert kept_by(simcord_bot.sink) == {"live": {}, "shown": {}, "pending": {}, "queued": {}}


async def test_the_sink_lets_go_of_interactions_whose_token_expired(
    simcord_env, simcord_bot, running, guild_setup, fake_ttapi
):
    """A job whose end never reaches the sink (its delivery given up after retries) must not keep
    its Interaction for good: once the token is dead it is of no use."""
    guild, channel, alice = guild_setup
    bob = guild.add_member(simcord_env.create_user("bob"))
    running.manager.concurrency["ttapi"] = 0  # alice's job waits, as a stuck one would
    await alice.slash(channel, "imagine", prompt="a lighthouse")
    (stuck,) = await running.jobs.for_user(alice.id)
    assert stuck.id in simcord_bot.sink._live

    await simcord_env.advance_time(TOKEN_EXPIRY)
    await bob.slash(channel, "imagine", prompt="a harbour")

    (fresh,) = await running.jobs.for_user(bob.id)
    assert list(simcord_bot.sink._live) == [fresh.id]
    running.manager.concurrency["ttapi"] = 2
    running.manager.scheduler.poke()
    await finish_jobs(simcord_env, running)
    assert (await running.jobs.get(stuck.id)).state is JobState.DELIVERED  # type: ignore[union-attr]


async def test_callback_news_for_a_job_driven_elsewhere_is_dropped_after_a_while(tmp_path, fake_ttapi):
    async with manager_env(tmp_path, ttapi=fake_ttapi, callbacks=True) as (services, _, url):
        manager = services.manager
        manager.mailbox.inbox.ttl = 0.3
        # A job of an origin this manager does not drive (as a CLI job is for the bot), running.
        plan = plan_job(
            "a lighthouse",
            {},
            default_model="flux-pro-1.1",
            available=["ttapi"],
            preferred="ttapi",
            max_safety_tolerance=2,
        )
        job = await manager.submit(NewJob.from_plan(plan, origin=Origin.DISCORD, user_id=7))
        job = await services.jobs.transition(job, JobState.SUBMITTING)
        job = await services.jobs.transition(job, JobState.RUNNING, provider_job_id="pj-1")
        body = json.dumps({"status": "ON_QUEUE", "jobId": "pj-1", "data": {"progress": "40"}}).encode()
        async with (
            aiohttp.ClientSession() as http,
            http.post(f"{url}/callbacks/ttapi/{job.id}/{job.callback_token}", data=body) as response,
        ):
            assert response.status == 200
        assert len(manager.mailbox.inbox) == 1

        await asyncio.sleep(1.5)  # the scheduler's beat is a second

        assert len(manager.mailbox.inbox) == 0


async def test_a_cancelled_jobs_429_pause_is_not_kept(tmp_path, fake_ttapi):
    fake_ttapi.error_next(429, "slow down", headers={"Retry-After": "30"})
    async with manager_env(tmp_path, ttapi=fake_ttapi) as (services, _, _):
        manager = services.manager
        job = await submit(services, 1)
        for _ in range(100):
            stored = await services.jobs.get(job.id)
            if stored is not None and stored.error_code == "busy" and manager.position_of(job.id):
                break
            await asyncio.sleep(0.05)
        assert job.id in manager.scheduler.queue._not_before

        assert await manager.cancel(job.id) is not None

        assert manager.scheduler.queue._not_before == {}
