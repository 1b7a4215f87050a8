"""A clean stop on SIGTERM/SIGINT (bot/discord/shutdown.py).

First as members see it, under SimCord: a command or button arriving during the stop gets a private
"restarting" line. Then as an operator sees it: a real `python -m bot` process, talking to the
loopback Discord of tests/fakes/discord.py, also as PID 1 of its own PID namespace (as in Docker),
exits 0 within 5 s, leaves its running job as it was, and the next start finishes it exactly once.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import open_services
from bot.cli import CliSink
from bot.i18n import t
from bot.jobs.manager import NewJob
from bot.jobs.model import JobState, Origin
from bot.jobs.plan import plan_job
from bot.store.deliveries import Delivery
from tests.conftest import CHANNEL_MESSAGE, FAST_POLLING, acknowledged_with, finish_jobs, make_settings
from tests.fakes.discord import APPLICATION_ID, SITE_DIR
from tests.fakes.ttapi import FakeTTAPI
from tests.helpers import PID_NAMESPACE, ROOT, STOP_BUDGET, BotProcess, Harness


async def test_a_command_during_a_stop_is_answered_restarting_and_nothing_is_held_or_sent(
    simcord_env, simcord_bot, running, guild_setup, fake_ttapi
):
    _, channel, alice = guild_setup
    assert await simcord_bot.gate.drain() == 0

    result = await alice.slash(channel, "imagine", prompt="a lighthouse at dusk")

    assert acknowledged_with(simcord_env, result) == CHANNEL_MESSAGE
    assert result.ephemeral
    assert result.response.content == t("en-US", "reply-restarting")
    assert fake_ttapi.submits() == []
    assert await running.jobs.for_user(alice.id) == []
    assert await running.db.fetchall("SELECT * FROM ledger") == []


async def test_a_button_during_a_stop_is_answered_restarting(
    simcord_env, simcord_bot, running, guild_setup, fake_ttapi
):
    _, channel, alice = guild_setup
    result = await alice.slash(channel, "imagine", prompt="a lighthouse at dusk")
    await finish_jobs(simcord_env, running)
    await simcord_bot.gate.drain()

    reroll = await alice.click(result.response, label="Reroll")

    assert reroll.ephemeral
    assert reroll.response.content == t("en-US", "reply-restarting")
    assert len(fake_ttapi.submits()) == 1  # no second job
    assert len(await running.jobs.for_user(alice.id)) == 1


async def test_a_command_admitted_before_the_stop_finishes_its_answer(
    simcord_env, simcord_bot, running, guild_setup, fake_ttapi
):
    _, channel, alice = guild_setup
    fake_ttapi.submit_delay = 0.3  # the handler is still at work when the stop begins
    command = asyncio.create_task(alice.slash(channel, "imagine", prompt="a lighthouse at dusk"))
    while not simcord_bot.gate.in_flight:
        await asyncio.sleep(0)

    cut_short = await simcord_bot.gate.drain()

    assert cut_short == 0
    result = await command
    assert result.response.content != t("en-US", "reply-restarting")
    (job,) = await running.jobs.for_user(alice.id)  # accepted and stored: the next start runs it
    assert not job.state.terminal


# -- a real process ----------------------------------------------------------------------------------


def unshare_works() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run([*PID_NAMESPACE, "true"], capture_output=True)
    return probe.returncode == 0


@pytest.fixture
async def slow_ttapi() -> AsyncIterator[FakeTTAPI]:
    """A provider whose jobs run until the test says they are done."""
    fake = FakeTTAPI(duration=3600)
    await fake.start()
    yield fake
    await fake.stop()


async def seed_job(db_path: Path, fake: FakeTTAPI, state: JobState = JobState.RUNNING) -> str:
    """An /imagine job, queued or (run until) running at the provider, as a stopped bot leaves it."""
    settings = make_settings(
        db_path.parent, database_path=db_path, ttapi_api_key=fake.api_key, ttapi_base_url=fake.url
    )
    async with open_services(settings, poll_policy=FAST_POLLING) as services:
        services.manager.register_sink(Origin.DISCORD, CliSink(quiet=True))
        plan = plan_job(
            "a lighthouse at dusk",
            {},
            default_model=settings.default_model,
            available=["ttapi"],
            preferred="ttapi",
            max_safety_tolerance=settings.max_safety_tolerance,
        )
        job = await services.manager.submit(
            NewJob.from_plan(
                plan,
                origin=Origin.DISCORD,
                user_id=42,
                guild_id=7,
                channel_id=8,
                delivery=Delivery(
                    "", app_id=APPLICATION_ID, token="interaction-token", created_at=time.time()
                ),
            )
        )
        if state is JobState.QUEUED:
            return job.id
        await services.manager.start()
        async with asyncio.timeout(10):
            while (stored := await services.jobs.get(job.id)) is None or stored.state is not JobState.RUNNING:
                await asyncio.sleep(0.02)
    return job.id


def namespace_pid(pid: int) -> int:
    """The process's pid in its own (innermost) PID namespace."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("NSpid:"):
            return int(line.split()[-1])
    raise AssertionError("no NSpid line")


@pytest.mark.parametrize(
    ("sig", "as_pid_1"),
    [(signal.SIGTERM, False), (signal.SIGINT, False), (signal.SIGTERM, True)],
    ids=["SIGTERM", "SIGINT", "SIGTERM-as-PID-1"],
)
async def test_a_signal_stops_the_bot_cleanly_and_the_next_start_finishes_the_job_once(
    tmp_path, fake_discord, slow_ttapi, sig, as_pid_1
):
    if as_pid_1 and not unshare_works():
        pytest.skip("`unshare --pid` is not permitted here (needs root or user namespaces)")
    run = Harness(
        tmp_path,
        slow_ttapi,
        DISCORD_TOKEN="fake-token",
        PYTHONPATH=f"{SITE_DIR}:{ROOT}",
        **fake_discord.site_env(),
    )
    job_id = await seed_job(run.db_path, slow_ttapi)
    bot, again = BotProcess(run, fake_discord), BotProcess(run, fake_discord)
    try:
        await bot.start(as_pid_1=as_pid_1)
        if as_pid_1:
            assert namespace_pid(bot.pid) == 1
        await bot.wait_until(lambda: f"job {job_id}: resuming in state running" in run.output())

        took = await bot.stop(sig)

        assert bot.process.returncode == 0, run.output()
        assert took < STOP_BUDGET, run.output()
        assert fake_discord.closes == [1000], run.output()  # the bot ended its gateway session
        assert run.states() == ["running"]  # left to the next start: not failed, not released
        assert run.ledger() == {(job_id, "hold"): 1}
        assert "stopped in" in run.output()

        slow_ttapi.jobs[next(iter(slow_ttapi.jobs))].duration = 0  # the provider finished meanwhile
        await again.start()
        await again.wait_until(lambda: run.states() == ["delivered"])
        assert await again.stop() < STOP_BUDGET
    finally:
        bot.kill()
        again.kill()

    assert again.process.returncode == 0, run.output()
    assert len(slow_ttapi.submits()) == 1  # resumed, not submitted again
    assert run.ledger() == {(job_id, "hold"): 1, (job_id, "charge"): 1}
    # The image, once: the member's reply edited through the interaction's webhook (its token is
    # still valid), not a message posted in the channel.
    (image,) = [c for c in fake_discord.calls if isinstance(c.body, bytes) and b"\x89PNG" in c.body]
    assert (image.method, image.path) == (
        "PATCH",
        f"/webhooks/{APPLICATION_ID}/interaction-token/messages/@original",
    )
    assert not fake_discord.requests("POST", "/messages")


async def test_a_stop_during_a_submit_lets_it_finish_so_the_next_start_polls_the_job(
    tmp_path, fake_discord, slow_ttapi
):
    slow_ttapi.submit_delay = 1.0  # the provider answers the submit a second after taking the job
    run = Harness(
        tmp_path,
        slow_ttapi,
        DISCORD_TOKEN="fake-token",
        PYTHONPATH=f"{SITE_DIR}:{ROOT}",
        **fake_discord.site_env(),
    )
    job_id = await seed_job(run.db_path, slow_ttapi, JobState.QUEUED)
    bot, again = BotProcess(run, fake_discord), BotProcess(run, fake_discord)
    try:
        await bot.start()
        await bot.wait_until(lambda: run.states() == ["submitting"])

        took = await bot.stop()

        assert bot.process.returncode == 0, run.output()
        assert took < STOP_BUDGET, run.output()
        # The answer was awaited and recorded: cancelled mid-request, the next start could only
        # have failed it ("the provider did not confirm the job") without a callback.
        assert run.states() == ["running"], run.output()
        assert run.rows("SELECT provider_job_id IS NOT NULL FROM jobs") == [(1,)]

        slow_ttapi.jobs[next(iter(slow_ttapi.jobs))].duration = 0
        await again.start()
        await again.wait_until(lambda: run.states() == ["delivered"])
        await again.stop()
    finally:
        bot.kill()
        again.kill()

    assert len(slow_ttapi.submits()) == 1
    assert run.ledger() == {(job_id, "hold"): 1, (job_id, "charge"): 1}


async def test_a_second_signal_during_the_stop_exits_at_once_as_a_kill_would(
    tmp_path, fake_discord, slow_ttapi
):
    slow_ttapi.submit_delay = 3.0  # longer than the stop's grace for submits: the stop is waiting
    run = Harness(
        tmp_path,
        slow_ttapi,
        DISCORD_TOKEN="fake-token",
        PYTHONPATH=f"{SITE_DIR}:{ROOT}",
        **fake_discord.site_env(),
    )
    await seed_job(run.db_path, slow_ttapi, JobState.QUEUED)
    bot = BotProcess(run, fake_discord)
    try:
        await bot.start()
        await bot.wait_until(lambda: run.states() == ["submitting"])
        os.kill(bot.pid, signal.SIGTERM)
        await bot.wait_until(lambda: "SIGTERM received" in run.output())

        took = await bot.stop(signal.SIGTERM)
    finally:
        bot.kill()

    assert bot.process.returncode == 128 + signal.SIGTERM, run.output()
    assert took < 1.0
    assert "SIGTERM again during the stop: exiting now" in run.output()
    assert run.states() == ["submitting"]  # as after a kill: the next start decides (row 33)
