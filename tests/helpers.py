"""Builders and harnesses the test modules share (no test module imports another).

Fakes of outside services live in tests/fakes/; fixtures in the conftest.py files.
"""

from __future__ import annotations

import asyncio
import inspect
import io
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import discord
from PIL import Image
from pydantic import SecretStr

from bot.app import Services, open_services
from bot.jobs.manager import NewJob
from bot.jobs.model import Job, Origin
from bot.jobs.plan import plan_job
from bot.jobs.polling import PollPolicy
from bot.jobs.sink import Progress
from bot.providers.base import PollResult, ProviderStatus, Submission
from bot.providers.bfl import BFLProvider
from bot.providers.catalog import megapixel_prices, route_prices
from bot.web import bound_port, serve
from tests.conftest import (
    FAST_POLLING,
    MIGRATED,
    cli_env,
    finish_jobs,
    make_settings,
)
from tests.fakes.bfl import FakeBFL
from tests.fakes.discord import SITE_DIR, FakeDiscord
from tests.fakes.ttapi import FakeTTAPI


def bfl_client(session: Any, fake: FakeBFL, *, prices: dict[str, Decimal] | None = None) -> BFLProvider:
    """The real BFL client pointed at the fake BFL (both hosts), with the catalogue's prices (those
    by endpoint, or `prices`, and FLUX.2's per megapixel)."""
    return BFLProvider(
        session=session,
        base_url=fake.url,
        finetune_base_url=fake.url,
        api_key=SecretStr(fake.api_key),
        prices=route_prices("bfl") if prices is None else prices,
        megapixel_prices=megapixel_prices("bfl"),
    )


async def poll_until_done(client: Any, submission: Submission) -> tuple[PollResult, list[str]]:
    """Poll a provider's job until it is neither pending nor running: the last answer, and the
    provider's statuses in the order they were first seen."""
    seen: list[str] = []
    for _ in range(200):
        result = await client.poll(submission.provider_job_id, submission.polling_url)
        if not seen or seen[-1] != result.raw_status:
            seen.append(result.raw_status)
        if result.status not in (ProviderStatus.PENDING, ProviderStatus.RUNNING):
            return result, seen
        await asyncio.sleep(0.02)
    raise AssertionError("never finished")


#: The repository's root (the working directory of `python -m bot` subprocesses).
ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Harness:
    def __init__(self, tmp_path: Path, fake: FakeTTAPI, **env: str) -> None:
        self.tmp_path = tmp_path
        self.fake = fake
        self.db_path = tmp_path / "data" / "fluxbot.sqlite3"
        self.env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("TTAPI_", "BFL_", "DISCORD_", "QUOTA_", "WEBHOOK_", "HTTP_", "PROVIDER_"))
        }
        self.env.update(
            PYTHONPATH=str(ROOT),
            DATABASE_PATH=str(self.db_path),
            TTAPI_API_KEY=fake.api_key,
            TTAPI_BASE_URL=fake.url,
            HTTP_PORT="0",
            LOG_LEVEL="INFO",
        )
        self.env.update(env)
        self.runs = 0

    async def spawn(
        self, *args: str, module: str = "tests.jobs.runner", wrapper: Sequence[str] = (), **env: str
    ) -> Any:
        """`python -m module args` (after `wrapper`, e.g. `unshare ...`), its output in run-N.log."""
        self.runs += 1
        log = (self.tmp_path / f"run-{self.runs}.log").open("w")
        return await asyncio.create_subprocess_exec(
            *wrapper,
            sys.executable,
            "-m",
            module,
            *args,
            cwd=self.tmp_path if module == "bot" else ROOT,
            env={**self.env, **env},
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
        )

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        if not self.db_path.exists():
            return []
        db = sqlite3.connect(self.db_path, timeout=5)
        try:
            return db.execute(sql, params).fetchall()
        except sqlite3.OperationalError:
            return []  # not migrated yet
        finally:
            db.close()

    def states(self) -> list[str]:
        return [r[0] for r in self.rows("SELECT state FROM jobs ORDER BY seq")]

    async def kill_when(self, process: Any, ready: Callable[[], bool], timeout: float = 15.0) -> None:
        async with asyncio.timeout(timeout):
            while not ready():
                assert process.returncode is None, self.output()
                await asyncio.sleep(0.01)
        process.send_signal(signal.SIGKILL)
        await process.wait()

    async def resume(self, *args: str, module: str = "tests.jobs.runner", timeout: float = 30.0) -> None:
        process = await self.spawn(*(args or ("--resume",)), module=module)
        async with asyncio.timeout(timeout):
            await process.wait()
        assert process.returncode == 0, self.output()

    def output(self) -> str:
        return "\n".join(p.read_text() for p in sorted(self.tmp_path.glob("run-*.log")))

    def deliveries(self) -> Counter[str]:
        log = self.tmp_path / "data" / "deliveries.log"
        return Counter(log.read_text().split()) if log.exists() else Counter()

    def ledger(self) -> Counter[tuple[str, str]]:
        return Counter((job, kind) for job, kind in self.rows("SELECT job_id, kind FROM ledger"))

    def assert_exactly_once(self, jobs: int) -> None:
        ids = [r[0] for r in self.rows("SELECT id FROM jobs ORDER BY seq")]
        assert len(ids) == jobs
        assert self.states() == ["delivered"] * jobs, self.output()
        assert len(self.fake.submits()) == jobs  # none submitted twice
        ledger = self.ledger()
        for job_id in ids:
            assert ledger[(job_id, "hold")] == 1
            assert ledger[(job_id, "charge")] == 1  # none charged twice
            assert ledger[(job_id, "release")] == 0
        assert self.deliveries() == Counter(ids)  # each image posted exactly once
        for index in range(jobs):
            assert (self.tmp_path / "data" / f"out-{index}.png").read_bytes().startswith(b"\x89PNG")


#: Another process holding SQLite's write lock (`BEGIN IMMEDIATE`) until told to let go.
SQLITE_LOCK_HOLDER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
conn.execute("BEGIN IMMEDIATE")
conn.execute("UPDATE jobs SET updated_at = updated_at WHERE 0")
print("locked", flush=True)
sys.stdin.readline()  # hold the write lock until told
conn.execute("COMMIT")
"""


def sqlite_write_lock(path: Path) -> subprocess.Popen[str]:
    """Another process holds the write lock of the SQLite file at `path` once this returns; `release` it."""
    holder = subprocess.Popen(
        [sys.executable, "-c", SQLITE_LOCK_HOLDER, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "locked"
    return holder


def release(holder: subprocess.Popen[str]) -> None:
    """The holder lets go of the lock and ends."""
    if holder.poll() is None:
        assert holder.stdin is not None
        holder.stdin.write("release\n")
        holder.stdin.flush()
    holder.wait(timeout=10)


@contextmanager
def write_lock_held_by_another_process(path: Path) -> Iterator[subprocess.Popen[str]]:
    holder = sqlite_write_lock(path)
    try:
        yield holder
    finally:
        release(holder)


class RecordingSink:
    """What the asker sees: every update, every delivered image, every failure."""

    def __init__(self) -> None:
        self.updates: list[tuple[str, Progress]] = []
        self.delivered: dict[str, int] = {}
        self.failed: list[str] = []
        self.delivered_at: dict[str, float] = {}

    async def job_updated(self, job: Job, progress: Progress) -> None:
        self.updates.append((job.id, progress))

    async def deliver(self, job: Job, image: bytes) -> int | None:
        assert image.startswith((b"\x89PNG", b"\xff\xd8"))
        self.delivered[job.id] = self.delivered.get(job.id, 0) + 1
        self.delivered_at[job.id] = time.monotonic()
        return None

    async def job_failed(self, job: Job) -> None:
        self.failed.append(job.id)


#: Settings every `manager_env` of the test in progress gets: the store (a module that runs its
#: tests on each backend sets `database_url` here from an autouse fixture; tests/jobs/test_manager.py).
MANAGER_ENV_STORE: dict[str, Any] = {}


@asynccontextmanager
async def manager_env(
    tmp_path: Path,
    *,
    ttapi: FakeTTAPI | None = None,
    bfl: FakeBFL | None = None,
    callbacks: bool = False,
    policy: PollPolicy = FAST_POLLING,
    rate_limits: dict[str, float] | None = None,
    origin: Origin = Origin.CLI,
    drive: bool = True,
    **overrides: Any,
) -> AsyncIterator[tuple[Services, RecordingSink, str]]:
    """Services with a started manager whose `origin` jobs go to a `RecordingSink`, and the web
    server; `drive=False`: a manager that only accepts (a gateway's)."""
    port = free_port()
    values: dict[str, Any] = {"http_port": port}
    if ttapi is not None:
        values.update(ttapi_api_key=ttapi.api_key, ttapi_base_url=ttapi.url)
    if bfl is not None:
        values.update(bfl_api_key=bfl.api_key, bfl_base_url=bfl.url)
    if callbacks:
        values["webhook_public_url"] = f"http://127.0.0.1:{port}"
    values.update(MANAGER_ENV_STORE)
    values.update(overrides)
    settings = make_settings(tmp_path, **values)
    default = tmp_path / "fluxbot.sqlite3"
    if settings.database_url is None and settings.database_path == default and not default.exists():
        MIGRATED.copy_sqlite(default)  # the test's first store: at the newest schema version
    async with open_services(settings, poll_policy=policy, rate_limits=rate_limits) as services:
        sink = RecordingSink()
        services.manager.register_sink(origin, sink)
        services.manager.drive = drive
        async with serve(settings, services, None) as site:
            await services.manager.start()
            yield services, sink, f"http://127.0.0.1:{bound_port(site)}"


async def submit(
    services: Services,
    user: int,
    prompt: str = "a lighthouse",
    provider: str = "ttapi",
    origin: Origin = Origin.CLI,
    **details: Any,
) -> Job:
    """A job of `prompt` submitted for member `user`; `details`: its other fields (channel_id,
    delivery, ...), as `NewJob.from_plan` takes them."""
    plan = plan_job(
        prompt,
        {},
        default_model="flux-pro-1.1",
        available=[provider],
        preferred=provider,
        max_safety_tolerance=2,
    )
    return await services.manager.submit(NewJob.from_plan(plan, origin=origin, user_id=user, **details))


async def until(check: Callable[[], Any], timeout: float = 10.0, step: float = 0.01) -> float:
    """Seconds until `check()` is true (awaited when it answers an awaitable); `TimeoutError` after
    `timeout` seconds."""
    started = time.monotonic()
    async with asyncio.timeout(timeout):
        while True:
            done = check()
            if inspect.isawaitable(done):
                done = await done
            if done:
                return time.monotonic() - started
            await asyncio.sleep(step)


async def finished_job(services: Services, job: Job, took: float) -> None:
    """Store `job` as delivered, ready `took` seconds after its submit: history a model's learned
    finishing window is made of (`JobRepository.recent_durations`)."""
    async with services.db.transaction() as conn:
        await services.jobs.insert(conn, job)
    now = time.time()
    await services.db.execute(
        "UPDATE jobs SET state = 'delivered', submitted_at = ?, ready_at = ? WHERE id = ?",
        (now - took, now, job.id),
    )


async def ledger(services: Services, job_id: str) -> list[str]:
    rows = await services.db.fetchall("SELECT kind FROM ledger WHERE job_id = ? ORDER BY id", (job_id,))
    return [r["kind"] for r in rows]


def show_admin_to(env, guild, member) -> None:
    """A server admin lets this member see /admin in the client (an override of default_permissions)."""
    command = env.backend.find_command("admin", guild.id, type=1)
    guild.set_command_permissions(int(command["id"]), {member: True})


def private_text(result) -> str:
    """The answer only the member saw; no public message is left behind."""
    if result.followups:
        answer = result.followups[-1]
        assert answer.ephemeral
        assert result.response is None or result.response.ephemeral  # the public placeholder is gone
        return answer.content
    assert result.ephemeral
    return result.response.content


def bot_said(env) -> str:
    """Every message text the bot sent or edited over REST, in order."""
    return "\n".join(str(r.json.get("content") or "") for r in env.http_requests if isinstance(r.json, dict))


def png(colour: str = "teal") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), colour).save(out, "PNG")
    return out.getvalue()


def files(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


async def guild_totals(services) -> list[tuple[Any, ...]]:
    rows = await services.db.fetchall(
        "SELECT period, used, held, granted FROM guild_totals ORDER BY guild_key, period"
    )
    return [tuple(r) for r in rows]


TOKEN_EXPIRY = 15 * 60 + 5


TOKEN = "doctor-discord-token"


def discord_env(discord: FakeDiscord) -> dict[str, str]:
    """The subprocess's discord.py talks to `discord` (tests/fakes/discord_site), which takes TOKEN."""
    discord.token = TOKEN
    return {"FAKE_DISCORD_URL": discord.url, "PYTHONPATH": f"{SITE_DIR}:{ROOT}"}


async def run_cli_async(*args: str, cwd: Path, env: dict[str, str]) -> tuple[int, str, str]:
    """The CLI in a subprocess, awaited, so the fakes in this event loop keep answering it."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=cwd,
        env=cli_env(env),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def provider_env(ttapi: FakeTTAPI, bfl: FakeBFL, discord: FakeDiscord, tmp_path: Path) -> dict[str, str]:
    return {
        **discord_env(discord),
        "DISCORD_TOKEN": TOKEN,
        "TTAPI_API_KEY": ttapi.api_key,
        "TTAPI_BASE_URL": ttapi.url,
        "BFL_API_KEY": bfl.api_key,
        "BFL_BASE_URL": bfl.url,
        "DATABASE_PATH": str(tmp_path / "db.sqlite3"),
    }


#: The promise to the operator (Docker waits 10 s before SIGKILL).
STOP_BUDGET = 5.0


#: Makes the bot PID 1 of a new PID namespace, as in a container; `--kill-child` takes it along
#: if the test gives up on it.
PID_NAMESPACE = ["unshare", "--pid", "--mount-proc", "--kill-child"]


def child_pid(wrapper_pid: int) -> int:
    """The process `unshare --fork` started (PID 1 inside the namespace), by its pid outside."""
    children = Path(f"/proc/{wrapper_pid}/task/{wrapper_pid}/children")
    for _ in range(500):
        pids = children.read_text().split()
        if pids:
            return int(pids[0])
        time.sleep(0.01)
    raise AssertionError("unshare started no child")


class BotProcess:
    """`python -m bot` (optionally as PID 1) against the fake Discord; killed if a test gives up."""

    def __init__(self, run: Harness, fake_discord: FakeDiscord) -> None:
        self.run = run
        self.fake_discord = fake_discord
        self.process: Any = None
        self.pid = 0

    async def start(self, *, as_pid_1: bool = False) -> None:
        connected = self.fake_discord.identified + 1
        self.process = await self.run.spawn(module="bot", wrapper=PID_NAMESPACE if as_pid_1 else ())
        self.pid = child_pid(self.process.pid) if as_pid_1 else self.process.pid
        await self.wait_until(lambda: self.fake_discord.identified == connected)

    async def wait_until(self, ready: Any, timeout: float = 20.0) -> None:
        async with asyncio.timeout(timeout):
            while not ready():
                assert self.process.returncode is None, self.run.output()
                await asyncio.sleep(0.02)

    async def stop(self, sig: signal.Signals = signal.SIGTERM) -> float:
        """Send the signal; seconds until the process had exited."""
        started = time.monotonic()
        os.kill(self.pid, sig)
        async with asyncio.timeout(STOP_BUDGET * 2):
            await self.process.wait()
        return time.monotonic() - started

    def kill(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.kill()


async def a_job_nobody_can_receive(simcord_env, running, fake_ttapi):
    """A finished job whose channel refuses the bot's post and whose member's DMs are closed, after
    its interaction token expired: it ends `undeliverable`. Returns the channel and the job."""
    guild = simcord_env.create_guild("Artists")
    alice = guild.add_member(simcord_env.create_user("alice"))
    bot_user = simcord_env.bot.user
    channel = guild.create_text_channel(
        "read-only",
        overwrites={bot_user: discord.PermissionOverwrite(send_messages=False, attach_files=False)},
    )
    fake_ttapi.duration = 1.0
    # The DM fallback (issue 6) is refused too: only then is the job undeliverable.
    simcord_env.inject_error("POST", "/users/@me/channels", status=403, code=50007, times=None)

    await alice.slash(channel, "imagine", prompt="a lighthouse")
    await simcord_env.advance_time(TOKEN_EXPIRY)
    await finish_jobs(simcord_env, running)
    (job,) = await running.jobs.for_user(alice.id)
    return channel, job
