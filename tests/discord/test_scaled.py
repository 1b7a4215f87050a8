"""A deployment of several processes, as real `python -m bot run --role ...` processes on PostgreSQL.

Members act through the loopback Discord (tests/fakes/discord.py): it sends each command and button
press to the gateway's shard as an INTERACTION_CREATE, and records what every process sends back
over REST. The fake provider runs in the test's process, so it outlives a killed process and
counts what it was sent.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.store import open_database
from tests.conftest import postgresql_schema, postgresql_unavailable
from tests.fakes.discord import APPLICATION_ID, SITE_DIR, FakeDiscord
from tests.fakes.ttapi import FakeTTAPI
from tests.helpers import ROOT, Harness, free_port

GUILD, CHANNEL, ALICE = 7 << 22, 8, 42


@pytest.fixture
async def postgresql_url() -> AsyncIterator[str]:
    reason = await postgresql_unavailable()
    if reason is not None:
        pytest.skip(f"PostgreSQL: {reason}")
    async with postgresql_schema() as url:
        yield url


class Deployment:
    """Processes of one deployment: one database, one DATA_DIR, one fake Discord and provider."""

    def __init__(self, tmp_path: Path, ttapi: FakeTTAPI, discord: FakeDiscord, url: str) -> None:
        self.tmp_path = tmp_path
        self.discord = discord
        self.url = url
        self.run = Harness(
            tmp_path,
            ttapi,
            DISCORD_TOKEN="fake-token",
            PYTHONPATH=f"{SITE_DIR}:{ROOT}",
            DATABASE_URL=url,
            DATA_DIR=str(tmp_path / "data"),
            **discord.site_env(),
        )
        self.processes: dict[str, Any] = {}

    async def start(self, name: str, role: str) -> Any:
        process = await self.run.spawn("run", "--role", role, module="bot", HTTP_PORT=str(free_port()))
        self.processes[name] = process
        return process

    async def until(self, check: Any, timeout: float = 30.0) -> None:
        async with asyncio.timeout(timeout):
            while not await check():
                for name, process in self.processes.items():
                    assert process.returncode is None or name.endswith("(killed)"), self.run.output()
                await asyncio.sleep(0.05)

    async def start_gateway(self, name: str) -> Any:
        """A gateway, once Discord has its connection and it is ready for interactions."""
        identified, ready = self.discord.identified, self.run.output().count("connected as")
        process = await self.start(name, "gateway")

        async def connected() -> bool:
            output = self.run.output()
            return self.discord.identified > identified and output.count("connected as") > ready

        await self.until(connected)
        return process

    def kill(self, name: str) -> None:
        process = self.processes.pop(name)
        process.kill()
        self.processes[f"{name} (killed)"] = process

    async def stop_all(self) -> None:
        for process in self.processes.values():
            if process.returncode is None:
                process.terminate()
        for process in self.processes.values():
            async with asyncio.timeout(10):
                await process.wait()

    async def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        async with open_database(self.url, data_dir=self.tmp_path / "data", migrate=False) as db:
            return [tuple(r) for r in await db.fetchall(sql, params)]

    async def states(self) -> list[str]:
        return [r[0] for r in await self.rows("SELECT state FROM jobs ORDER BY seq")]

    def images_posted(self) -> list[Any]:
        """Every request that carried an image: the reply edited into it, or a post in the channel."""
        return [c for c in self.discord.calls if isinstance(c.body, bytes) and b"\x89PNG" in c.body]


@pytest.fixture
async def deployment(tmp_path, fake_discord, fake_ttapi, postgresql_url) -> AsyncIterator[Deployment]:
    deployment = Deployment(tmp_path, fake_ttapi, fake_discord, postgresql_url)
    try:
        yield deployment
    finally:
        await deployment.stop_all()


def reroll_ids(call: Any) -> list[str]:
    return re.findall(rb"fluxbot:reroll:[0-9a-f]+", call.body)


async def test_a_command_at_the_gateway_is_delivered_by_a_worker_and_its_button_works_after_a_gateway_kill(
    deployment, fake_discord, fake_ttapi
):
    await deployment.start_gateway("gateway")
    command = fake_discord.slash("imagine", guild_id=GUILD, channel_id=CHANNEL, user_id=ALICE, prompt="a fox")
    await fake_discord.interact(command)

    async def queued() -> bool:
        return await deployment.states() == ["queued"]

    await deployment.until(queued)
    await deployment.start("worker", "worker")

    async def delivered(jobs: int = 1) -> bool:
        return await deployment.states() == ["delivered"] * jobs

    await deployment.until(delivered)
    (image,) = deployment.images_posted()
    reply = fake_discord.originals[command["token"]]
    assert image.method == "PATCH"
    assert image.path == f"/webhooks/{APPLICATION_ID}/{command['token']}/messages/{reply}"
    (reroll,) = set(reroll_ids(image))

    deployment.kill("gateway")  # SIGKILL: no goodbye to Discord or the database
    await deployment.start_gateway("gateway again")
    press = fake_discord.click(reroll.decode(), reply, guild_id=GUILD, channel_id=CHANNEL, user_id=ALICE)
    await fake_discord.interact(press)
    again = fake_discord.slash("imagine", guild_id=GUILD, channel_id=CHANNEL, user_id=ALICE, prompt="a hare")
    await fake_discord.interact(again)

    async def three() -> bool:
        return len(await deployment.states()) == 3

    await deployment.until(three)
    await deployment.stop_all()  # the worker took only what was there when it started
    deployment.processes.clear()
    await deployment.start("worker again", "worker")
    await deployment.until(lambda: delivered(3))

    assert len(fake_ttapi.submits()) == 3
    assert len(deployment.images_posted()) == 3  # one post per job
    charges = await deployment.rows("SELECT job_id, kind FROM ledger WHERE kind <> 'hold' ORDER BY id")
    assert sorted(kind for _, kind in charges) == ["charge"] * 3
    assert len({job for job, _ in charges}) == 3
