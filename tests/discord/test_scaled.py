"""A deployment of several processes: real `python -m bot run --role ...` processes on PostgreSQL.

Members act through the loopback Discord (tests/fakes/discord.py): it sends each command and button
press to the gateway's shard as an INTERACTION_CREATE, and records what every process sends back
over REST. The fake provider runs in the test's process, so it outlives a killed process and
counts what it was sent. Exactly once, every time: one submit, one charge and one message with the
image per job, whichever process was killed.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import socket
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.i18n import t
from bot.store import open_database
from tests.conftest import postgresql_schema, postgresql_unavailable
from tests.fakes.discord import APPLICATION_ID, SITE_DIR, FakeDiscord
from tests.fakes.ttapi import FakeTTAPI
from tests.helpers import ROOT, Harness, free_port

GUILD, CHANNEL = 7 << 22, 8
ALICE, BOB, CAROL = 42, 43, 44


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
        self.ports: dict[str, int] = {}
        self.logs: dict[str, Path] = {}

    async def start(self, name: str, role: str, **env: str) -> Any:
        port = free_port()
        process = await self.run.spawn("run", "--role", role, module="bot", HTTP_PORT=str(port), **env)
        self.processes[name], self.ports[name] = process, port
        self.logs[name] = self.tmp_path / f"run-{self.run.runs}.log"
        return process

    async def start_gateway(self, name: str) -> None:
        """A gateway, once Discord has its connection and it is ready for interactions."""
        identified, ready = self.discord.identified, self.run.output().count("connected as")
        await self.start(name, "gateway")

        async def connected() -> bool:
            output = self.run.output()
            return self.discord.identified > identified and output.count("connected as") > ready

        await self.until(connected)
        self.assert_on_uvloop(name)

    async def start_worker(self, name: str, **env: str) -> None:
        """A worker, once it registered (and so takes jobs)."""
        await self.start(name, "worker", **env)

        async def registered() -> bool:
            return self.worker_id(name) is not None

        await self.until(registered)
        self.assert_on_uvloop(name)

    def assert_on_uvloop(self, name: str) -> None:
        """Every process of a PostgreSQL deployment runs on uvloop (EVENT_LOOP=auto), so the kills
        and the restart here are the store's terminated-connection handling on uvloop."""
        assert "event loop: uvloop" in self.logs[name].read_text(), self.run.output()

    def worker_id(self, name: str) -> str | None:
        found = re.findall(r"worker (\S+): registered", self.logs[name].read_text())
        return found[-1] if found else None

    async def until(self, check: Any, timeout: float = 30.0) -> None:
        async with asyncio.timeout(timeout):
            while not await check():
                for process in self.processes.values():
                    assert process.returncode is None, self.run.output()
                await asyncio.sleep(0.05)

    def kill(self, name: str) -> None:
        process = self.processes.pop(name)
        process.kill()

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

    async def all_in(self, *states: str, jobs: int) -> bool:
        found = await self.states()
        return len(found) == jobs and all(state in states for state in found)

    async def healthy(self, name: str) -> bool:
        url = f"http://127.0.0.1:{self.ports[name]}/healthz"
        try:
            async with aiohttp.ClientSession() as http, http.get(url) as response:
                return response.status == 200
        except aiohttp.ClientConnectionError:
            return False

    def images_posted(self) -> set[str]:
        """The messages that show an image: a reply edited into it, a post in the channel (by path:
        the same reply edited twice is one message)."""
        return {
            re.sub(r"/messages$", f"/messages#{i}", c.path)  # each channel post is a new message
            for i, c in enumerate(self.discord.calls)
            if isinstance(c.body, bytes) and b"\x89PNG" in c.body
        }

    async def assert_exactly_once(self, ttapi: FakeTTAPI, jobs: int) -> None:
        assert await self.states() == ["delivered"] * jobs, self.run.output()
        assert len(ttapi.submits()) == jobs  # none submitted twice
        kinds = await self.rows("SELECT job_id, kind FROM ledger ORDER BY id")
        assert sorted(kind for _, kind in kinds) == ["charge"] * jobs + ["hold"] * jobs  # none charged twice
        assert len({job for job, kind in kinds if kind == "charge"}) == jobs
        assert len(self.images_posted()) == jobs  # none posted twice


@pytest.fixture
async def deployment(tmp_path, fake_discord, fake_ttapi, postgresql_url) -> AsyncIterator[Deployment]:
    deployment = Deployment(tmp_path, fake_ttapi, fake_discord, postgresql_url)
    try:
        yield deployment
    finally:
        await deployment.stop_all()


async def imagine(discord: FakeDiscord, user_id: int, prompt: str) -> dict[str, Any]:
    command = discord.slash("imagine", guild_id=GUILD, channel_id=CHANNEL, user_id=user_id, prompt=prompt)
    await discord.interact(command)
    return command


def reroll_of(call: Any) -> str:
    (found,) = set(re.findall(rb"fluxbot:reroll:[0-9a-f]+", call.body))
    return found.decode()


async def test_a_gateway_killed_and_restarted_answers_old_buttons_and_new_commands(
    deployment, fake_discord, fake_ttapi
):
    await deployment.start_gateway("gateway")
    await deployment.start_worker("worker 1")
    await deployment.start_worker("worker 2")
    command = await imagine(fake_discord, ALICE, "a fox")
    await deployment.until(lambda: deployment.all_in("delivered", jobs=1))
    reply = fake_discord.originals[command["token"]]
    (image,) = [c for c in fake_discord.calls if isinstance(c.body, bytes) and b"\x89PNG" in c.body]
    # The worker edited the member's reply into the image, through the interaction's webhook by
    # its token alone: whether or not the gateway had stored the reply's message id by then.
    assert (image.method, image.path) == (
        "PATCH",
        f"/webhooks/{APPLICATION_ID}/{command['token']}/messages/@original",
    )
    assert not [c for c in fake_discord.calls if c.method == "POST" and c.path.endswith("/messages")]

    deployment.kill("gateway")  # SIGKILL: no goodbye to Discord or the database
    await deployment.start_gateway("gateway again")
    press = fake_discord.click(reroll_of(image), reply, guild_id=GUILD, channel_id=CHANNEL, user_id=ALICE)
    await fake_discord.interact(press)
    await imagine(fake_discord, BOB, "a hare")
    await deployment.until(lambda: deployment.all_in("delivered", jobs=3))

    await deployment.assert_exactly_once(fake_ttapi, 3)
    assert all([await deployment.healthy(name) for name in deployment.processes])


@pytest.mark.flaky(reruns=2)  # real processes timed on a shared machine
async def test_a_restarted_gateway_tells_the_replies_it_accepted_before_their_new_place(
    deployment, fake_discord, fake_ttapi
):
    fake_ttapi.duration = 8.0  # the first job holds the provider's one slot meanwhile
    await deployment.start_gateway("gateway")
    await imagine(fake_discord, ALICE, "a fox")
    # Two commands in flight at once are accepted in either order: Bob's goes second for certain.
    await deployment.until(lambda: deployment.all_in("queued", jobs=1))
    second = await imagine(fake_discord, BOB, "a hare")
    await deployment.until(lambda: deployment.all_in("queued", jobs=2))  # no worker yet
    reply = f"/webhooks/{APPLICATION_ID}/{second['token']}/messages/@original"

    deployment.kill("gateway")
    await deployment.start_gateway("gateway again")
    restarted = len(fake_discord.calls)
    await deployment.start_worker("worker", PROVIDER_CONCURRENCY="ttapi=1")  # takes the first job

    moved_up = t("en-US", "progress-queued-at", position=1)

    async def told() -> bool:
        return any(c.path == reply and moved_up in str(c.body) for c in fake_discord.calls[restarted:])

    await deployment.until(told)  # by the gateway: the worker has not taken Bob's job
    assert (await deployment.states())[1] == "queued"


#: How a job is held in each state long enough to kill its worker there, and let go again.
HOLD = {
    "submitting": ("submit_delay", 8.0, 0.0),
    "running": ("duration", 8.0, 0.3),
    "fetching": ("file_delay", 8.0, 0.0),
}


@pytest.mark.flaky(reruns=2)  # real processes timed on a shared machine
@pytest.mark.parametrize("state", ["submitting", "running", "fetching", "delivering"])
async def test_a_worker_killed_in_each_state_leaves_the_job_to_the_other_exactly_once(
    deployment, fake_discord, fake_ttapi, state
):
    if state == "delivering":
        fake_discord.upload_delay = 8.0  # the image is at Discord, its answer is not back yet
    else:
        name, held, _ = HOLD[state]
        setattr(fake_ttapi, name, held)
    await deployment.start_gateway("gateway")
    await deployment.start_worker("worker 1")
    await deployment.start_worker("worker 2")
    await imagine(fake_discord, ALICE, "a fox")

    async def held_there() -> bool:
        rows = await deployment.rows("SELECT state, claimed_by FROM jobs")
        uploading = state != "delivering" or bool(deployment.images_posted())
        # Killed with the submit at the provider, not between the `submitting` commit and the request.
        at_provider = state != "submitting" or bool(fake_ttapi.submits())
        return len(rows) == 1 and rows[0][0] == state and rows[0][1] is not None and uploading and at_provider

    await deployment.until(held_there)
    ((holder,),) = await deployment.rows("SELECT claimed_by FROM jobs")
    (driving,) = [name for name in ("worker 1", "worker 2") if deployment.worker_id(name) == holder]
    if state == "delivering":
        fake_discord.upload_delay = 0.0
    else:
        name, _, released = HOLD[state]
        setattr(fake_ttapi, name, released)
    deployment.kill(driving)
    await deployment.until(lambda: deployment.all_in("delivered", "failed", jobs=1))

    if state == "submitting":
        # Cut off mid-submit with no callback to wait for: never sent again; failed, hold released.
        assert await deployment.rows("SELECT state, error_code FROM jobs") == [("failed", "submit_unknown")]
        assert sorted(kind for _, kind in await deployment.rows("SELECT job_id, kind FROM ledger")) == [
            "hold",
            "release",
        ]
        assert len(fake_ttapi.submits()) == 1
        assert deployment.images_posted() == set()
    else:
        await deployment.assert_exactly_once(fake_ttapi, 1)


# -- PostgreSQL restarted under load ------------------------------------------------------------


def free_tcp_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PrivateCluster:
    """A PostgreSQL server of the test's own (the machine's initdb and pg_ctl, a temp folder, a free
    port), so that restarting it disturbs no one else's tests."""

    def __init__(self) -> None:
        binaries = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
        if not binaries:
            pytest.skip("no PostgreSQL server binaries in /usr/lib/postgresql")
        self.bin = binaries[-1].parent
        self.folder = Path(tempfile.mkdtemp(prefix="fluxbot-pg-"))
        self.port = free_tcp_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _as_owner(self, *command: str) -> None:
        # initdb refuses to run as root: the cluster belongs to the `postgres` user then.
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *command], check=True, capture_output=True, timeout=60)

    def create(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
        self._as_owner(
            str(self.bin / "initdb"), "-D", str(self.folder / "data"), "-U", "postgres", "-A", "trust"
        )
        self.start()

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.folder / "server.log")
        self._as_owner(
            str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"), "-o", options, "-l", log, "-w", "start"
        )

    def stop(self, mode: str = "fast") -> None:
        self._as_owner(str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"), "-m", mode, "-w", "stop")

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # not running
            self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture
def private_postgresql() -> Iterator[PrivateCluster]:
    cluster = PrivateCluster()
    try:
        cluster.create()
    except (subprocess.CalledProcessError, FileNotFoundError) as exc:
        cluster.remove()
        pytest.skip(f"a private PostgreSQL server could not be started here: {exc}")
    try:
        yield cluster
    finally:
        cluster.remove()


@pytest.mark.flaky(reruns=2)  # real processes timed on a shared machine
async def test_postgresql_restarted_under_load_loses_nothing_and_every_process_reconnects(
    tmp_path, fake_discord, fake_ttapi, private_postgresql
):
    fake_ttapi.duration = 2.0
    deployment = Deployment(tmp_path, fake_ttapi, fake_discord, private_postgresql.url)
    try:
        await deployment.start_gateway("gateway")
        await deployment.start_worker("worker 1")
        await deployment.start_worker("worker 2")
        for user, prompt in [(ALICE, "a fox"), (ALICE, "a hare"), (BOB, "an owl"), (BOB, "a lynx")]:
            await imagine(fake_discord, user, prompt)
        await deployment.until(lambda: deployment.all_in("running", "queued", jobs=4))

        await asyncio.to_thread(private_postgresql.stop)  # every connection is cut
        refused = await imagine(fake_discord, CAROL, "a badger")  # while the database is down

        async def told_to_try_again() -> bool:
            return any(
                refused["token"] in c.path and t("en-US", "reply-store-unavailable") in str(c.body)
                for c in fake_discord.calls
            )

        await deployment.until(told_to_try_again)
        await asyncio.sleep(1.0)
        await asyncio.to_thread(private_postgresql.start)

        await deployment.until(lambda: deployment.all_in("delivered", jobs=4), timeout=60)
        await imagine(fake_discord, CAROL, "a badger")  # and again, now that it is back
        await deployment.until(lambda: deployment.all_in("delivered", jobs=5), timeout=60)

        await deployment.assert_exactly_once(fake_ttapi, 5)
        for name in list(deployment.processes):
            await deployment.until(lambda name=name: deployment.healthy(name))
    finally:
        await deployment.stop_all()
    assert [p.returncode for p in deployment.processes.values()] == [0, 0, 0], deployment.run.output()
