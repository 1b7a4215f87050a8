"""Shared fixtures: fake providers on loopback, a real SQLite file, the real bot under SimCord.

The job manager is Discord-free and runs outside discord.py's tasks, as in production. Under
SimCord it is started inside `env.time_context()`, so its REST calls (editing replies, posting
results) reach the simulated Discord and see its virtual clock. A test waits for the jobs with
`finish_jobs(env, services)`.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import logging
import os
import queue
import secrets
import shutil
import sqlite3
import subprocess
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import discord
import pytest
import simcord

from bot.app import Services, open_services
from bot.discord.client import FluxBot
from bot.errors import UserFacingError
from bot.jobs.model import Job, JobState, Origin
from bot.jobs.polling import PollPolicy
from bot.settings import Settings
from bot.store import Database, open_database
from bot.store.db import list_migrations
from tests.fakes.bfl import FakeBFL
from tests.fakes.discord import FakeDiscord
from tests.fakes.ttapi import FakeTTAPI

#: Fast polling for fakes whose jobs take a fraction of a second.
FAST_POLLING = PollPolicy(min_interval=0.02, max_interval=0.2, typical_override=0.3, jitter=0.0)


ROOT = Path(__file__).resolve().parents[1]


def cli_env(values: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for a `python -m bot` subprocess: this one's, without any of the bot's
    settings (nor the provider, Discord and quota variables a developer may have exported), plus
    `values`."""
    settings = {name.upper() for name in Settings.model_fields}
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in settings and not k.startswith(("TTAPI_", "BFL_", "DISCORD_", "QUOTA_", "FLUXBOT_"))
    }
    env["PYTHONPATH"] = str(ROOT)
    env.update(values or {})
    return env


def env_from_example(folder: Path, **values: str) -> Path:
    """`cp .env.example .env` into `folder`, then fill in `values` (NAME=value), as a newcomer does.

    Only variables the example ships as `NAME=` lines can be filled in, so a test cannot pass by
    writing a line the shipped file does not have.
    """
    lines = (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
    for name, value in values.items():
        index = next(i for i, line in enumerate(lines) if line.startswith(f"{name}="))
        lines[index] = f"{name}={value}"
    path = folder / ".env"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def make_database(path: Path, version: int) -> None:
    """A database file at schema `version`: the real migrations up to it, or all and a newer number."""
    with contextlib.closing(sqlite3.connect(path)) as db:
        for number, migration in list_migrations():
            if number <= version:
                db.executescript(migration.read_text())
        db.execute(f"PRAGMA user_version = {version:d}")


def a_job(user_id: int = 201, guild_id: int | None = 111, estimate: str = "4", **params: Any) -> Job:
    """A queued Discord job of `flux-pro-1.1` on TTAPI, not yet stored (a unique id each time)."""
    now = time.time()
    return Job(
        id=f"job{time.perf_counter_ns():x}",
        seq=0,
        state=JobState.QUEUED,
        origin=Origin.DISCORD,
        provider="ttapi",
        model="flux-pro-1.1",
        prompt="a cat",
        params={"body": {"prompt": "a cat", **params}},
        user_id=user_id,
        guild_id=guild_id,
        channel_id=5,
        estimate=Decimal(estimate),
        created_at=now,
        updated_at=now,
    )


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_path": tmp_path / "fluxbot.sqlite3",
        "data_dir": tmp_path,
        "discord_token": "test-discord-token",
        "http_port": 0,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@contextlib.contextmanager
def root_logging_restored() -> Iterator[logging.Logger]:
    """For tests that call `setup_logging`: the root logger's handlers and level put back after."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        yield root
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in handlers:
            root.addHandler(handler)
        root.setLevel(level)


# -- the store on both backends ------------------------------------------------------------------

#: A PostgreSQL server for the tests: `postgresql://user@host:port/db`; each test gets a schema of its
#: own there (dropped afterwards). Unset or unreachable: the PostgreSQL cases are skipped.
TEST_DATABASE_URL = "FLUXBOT_TEST_DATABASE_URL"
_PG_SKIPPED: list[str] = []


_PG_PROBED: dict[str, str | None] = {}


async def postgresql_unavailable() -> str | None:
    """Why the PostgreSQL cases cannot run here (None: they can); asked once per run."""
    if "reason" not in _PG_PROBED:
        _PG_PROBED["reason"] = await _probe_postgresql()
    return _PG_PROBED["reason"]


async def _probe_postgresql() -> str | None:
    url = os.environ.get(TEST_DATABASE_URL)
    if not url:
        return f"{TEST_DATABASE_URL} is not set"
    import asyncpg

    try:
        conn = await asyncpg.connect(url, timeout=3)
    except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
        return f"{TEST_DATABASE_URL} is unreachable ({type(exc).__name__})"
    await conn.close()
    return None


def schema_url(url: str, schema: str) -> str:
    """`url` working in `schema`; its connections carry the schema's name, so a test can find them
    (`pg_stat_activity`)."""
    return f"{url}{'&' if '?' in url else '?'}search_path={schema}&application_name={schema}"


@contextlib.asynccontextmanager
async def postgresql_schema(*, migrated: bool = False) -> AsyncIterator[str]:
    """A fresh schema on the test server; yields the URL that works in it (its `search_path`).
    `migrated`: at the newest schema version, made from the worker's template (`MigratedStores`)."""
    import asyncpg

    url = os.environ[TEST_DATABASE_URL]
    maker = await asyncio.to_thread(MIGRATED.postgresql_maker) if migrated else None
    if maker is not None:
        schema = await asyncio.to_thread(maker.take)
        try:
            yield schema_url(url, schema)
        finally:
            maker.drop(schema)
        return
    schema = f"fluxbot_test_{secrets.token_hex(6)}"
    admin = await asyncpg.connect(url)
    try:
        await admin.execute(f"CREATE SCHEMA {schema}")
        if migrated:  # no pg_dump here: the migrations, as the bot runs them
            async with open_database(schema_url(url, schema), data_dir=Path(tempfile.gettempdir())):
                pass
        yield schema_url(url, schema)
    finally:
        await admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        await admin.close()


def _run_in_a_thread(make: Callable[[], Awaitable[Any]]) -> None:
    """Run `make()` to its end on an event loop of its own (the caller may be inside one)."""
    failed: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(make())  # type: ignore[arg-type]
        except BaseException as exc:
            failed.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if failed:
        raise failed[0]


class MigratedStores:
    """Each test's store, at the newest schema version, as a copy of one that the real migrations
    (`open_database`) made once in this test process: a test's SQLite file is a byte copy of the
    migrated file, a test's PostgreSQL schema is made from a `pg_dump` of the migrated template
    schema. Running all the migrations again for every test cost about 0.3 s on SQLite and 1 s on
    PostgreSQL per test on the loaded 2-core CI machine. The migrations themselves are tested by
    tests that ask for an empty store (`@pytest.mark.empty_store`, tests/store/test_migrations.py);
    tests/store/test_migrations.py also checks that a copy is what the migrations make.

    Without `pg_dump` (or with one older than the server) each PostgreSQL schema is migrated."""

    #: The template schema's name in the dump: replaced by each test's schema name.
    TEMPLATE_SCHEMA = f"fluxbot_template_{secrets.token_hex(6)}"

    def __init__(self) -> None:
        self._sqlite: bytes | None = None
        self._dump: str | None = None
        self._dumped = False
        self._maker: SchemaMaker | None = None
        self._lock = threading.Lock()

    def sqlite_file(self) -> bytes:
        """The bytes of a SQLite file the migrations brought to the newest schema version."""
        with self._lock:
            if self._sqlite is None:
                folder = Path(tempfile.mkdtemp(prefix="fluxbot-template-"))
                try:
                    path = folder / "fluxbot.sqlite3"

                    async def migrate() -> None:
                        async with open_database(f"sqlite:///{path}", data_dir=folder):
                            pass

                    _run_in_a_thread(migrate)
                    # Closed, its log is in the file; a checkpoint makes sure of it.
                    with contextlib.closing(sqlite3.connect(path)) as db:
                        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                    self._sqlite = path.read_bytes()
                finally:
                    shutil.rmtree(folder)
            return self._sqlite

    def copy_sqlite(self, path: Path) -> None:
        """A migrated SQLite file at `path`, created readable by its owner only, as the store
        creates its file (`create_private`)."""
        data = self.sqlite_file()
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as file:
            file.write(data)

    def postgresql_dump(self) -> str | None:
        """SQL that creates `TEMPLATE_SCHEMA` as the migrations left it (None: no usable pg_dump)."""
        with self._lock:
            if not self._dumped:
                self._dumped = True
                self._dump = self._make_dump()
                if self._dump is not None:
                    self._maker = SchemaMaker(os.environ[TEST_DATABASE_URL], self._dump)
            return self._dump

    def postgresql_maker(self) -> SchemaMaker | None:
        """The maker of this process's migrated schemas (None: no usable pg_dump)."""
        self.postgresql_dump()
        return self._maker

    def close(self) -> None:
        if self._maker is not None:
            self._maker.stop()

    def _make_dump(self) -> str | None:
        import asyncpg

        pg_dump = shutil.which("pg_dump")
        if pg_dump is None:
            return None
        url, schema = os.environ[TEST_DATABASE_URL], self.TEMPLATE_SCHEMA

        async def migrate() -> None:
            admin = await asyncpg.connect(url)
            try:
                await admin.execute(f"CREATE SCHEMA {schema}")
                async with open_database(schema_url(url, schema), data_dir=Path(tempfile.gettempdir())):
                    pass
            finally:
                await admin.close()

        async def drop() -> None:
            admin = await asyncpg.connect(url)
            try:
                await admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            finally:
                await admin.close()

        try:
            _run_in_a_thread(migrate)
            dumped = subprocess.run(
                [pg_dump, f"--schema={schema}", "--no-owner", "--no-privileges", "--inserts", url],
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
        finally:
            _run_in_a_thread(drop)
        if dumped.returncode != 0:  # e.g. a pg_dump older than the server
            return None
        # Lines of psql's own commands (`\restrict`) are not SQL.
        return "\n".join(line for line in dumped.stdout.splitlines() if not line.startswith("\\"))


class SchemaMaker:
    """A thread of the test process that makes each test's PostgreSQL schema from the template's dump
    before the test asks for it, and drops the schemas of finished tests: a test gets a schema no
    test has used, without waiting for its making (0.3 s of DDL) or its dropping."""

    #: Schemas made ahead of the tests that will take them.
    AHEAD = 2

    def __init__(self, url: str, dump: str) -> None:
        self._url, self._dump = url, dump
        #: (0, "") make one, before anything else; (1, a schema's name) drop it; (2, None) drop
        #: what no test took, and stop.
        self._jobs: queue.PriorityQueue[tuple[int, str | None]] = queue.PriorityQueue()
        self._ready: queue.Queue[str | BaseException] = queue.Queue()
        for _ in range(self.AHEAD):
            self._jobs.put((0, ""))
        self._thread = threading.Thread(target=self._run, name="fluxbot-schema-maker", daemon=True)
        self._thread.start()
        atexit.register(self.stop)

    def take(self) -> str:
        """A new schema, at the newest version, that no test has used; the next one is made meanwhile."""
        found = self._ready.get(timeout=120)
        if isinstance(found, BaseException):
            self._ready.put(found)  # the next test learns it too
            raise found
        self._jobs.put((0, ""))
        return found

    def drop(self, schema: str) -> None:
        self._jobs.put((1, schema))

    def stop(self) -> None:
        """Drop the schemas no test took and those not dropped yet; then the thread ends."""
        if self._thread.is_alive():
            self._jobs.put((2, None))
            self._thread.join(timeout=60)

    def _run(self) -> None:
        import asyncpg

        loop = asyncio.new_event_loop()
        later: list[str] = []  # schemas still locked by a connection of their test
        try:
            conn = loop.run_until_complete(asyncpg.connect(self._url))
            # A drop waits for the locks of its test's connections that have not ended yet; it
            # tries again at the end rather than hold up the next tests' schemas.
            loop.run_until_complete(conn.execute("SET lock_timeout = '5s'"))
            while (job := self._jobs.get()[1]) is not None:
                if job:
                    try:
                        loop.run_until_complete(conn.execute(f"DROP SCHEMA IF EXISTS {job} CASCADE"))
                    except asyncpg.LockNotAvailableError:
                        later.append(job)
                    continue
                schema = f"fluxbot_test_{secrets.token_hex(6)}"
                loop.run_until_complete(self._make(conn, schema))
                self._ready.put(schema)
            with contextlib.suppress(queue.Empty):
                while True:
                    left = self._ready.get_nowait()
                    if isinstance(left, str):
                        later.append(left)
            loop.run_until_complete(conn.execute("SET lock_timeout = '30s'"))
            for schema in later:
                loop.run_until_complete(conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            loop.run_until_complete(conn.close())
        except BaseException as exc:
            self._ready.put(exc)
        finally:
            loop.close()

    async def _make(self, conn: Any, schema: str) -> None:
        async with conn.transaction():  # the dump creates the schema, then what is in it
            await conn.execute(self._dump.replace(MigratedStores.TEMPLATE_SCHEMA, schema))


#: This test process's migrated stores.
MIGRATED = MigratedStores()


async def drop_postgresql_connections(
    url: str, *, during_write: bool = False, locked: asyncio.Event | None = None
) -> int:
    """What a PostgreSQL restart does to the bot: the server ends every connection of the test's
    schema (`postgresql_schema`); returns how many. `during_write`: first hold the jobs table until
    a write of the bot waits for it, so that the connection is cut in the middle of that write
    (`locked` is set once the table is held)."""
    import asyncpg

    schema = url.rsplit("application_name=", 1)[1].split("&")[0]
    admin = await asyncpg.connect(os.environ[TEST_DATABASE_URL])
    try:
        async with admin.transaction():
            if during_write:
                await admin.execute(f"LOCK TABLE {schema}.jobs IN EXCLUSIVE MODE")  # reads go on
                if locked is not None:
                    locked.set()
                waiting = (
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE application_name = $1 AND wait_event_type = 'Lock'"
                )
                for _ in range(400):
                    if await admin.fetchval(waiting, schema):
                        break
                    await asyncio.sleep(0.025)
            ended = await admin.fetch(  # in the select list: only the rows the WHERE kept
                "SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
                schema,
            )
        # pg_terminate_backend only signals: wait until those backends are gone (each sent its
        # FATAL before it went), so that the test's next statement does not go to one of them.
        pids = [r["pid"] for r in ended]
        for _ in range(400):
            if not await admin.fetchval("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY($1)", pids):
                break
            await asyncio.sleep(0.025)
    finally:
        await admin.close()
    return len(ended)


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """`DATABASE_URL` of a store with no data, at the newest schema version (`MigratedStores`), once
    per backend (PostgreSQL: `FLUXBOT_TEST_DATABASE_URL`). `@pytest.mark.empty_store`: an empty
    file or schema instead, which the test's store migrates."""
    migrated = request.node.get_closest_marker("empty_store") is None
    if request.param == "sqlite":
        path = tmp_path / "fluxbot.sqlite3"
        if migrated:
            MIGRATED.copy_sqlite(path)
        yield f"sqlite:///{path}"
        return
    reason = await postgresql_unavailable()
    if reason is not None:
        _PG_SKIPPED.append(request.node.nodeid)
        pytest.skip(f"PostgreSQL: {reason}")
    async with postgresql_schema(migrated=migrated) as url:
        yield url


@pytest.fixture
async def database(database_url: str, tmp_path: Path) -> AsyncIterator[Database]:
    """The store, migrated, on each backend in turn; files go to `tmp_path`."""
    async with open_database(database_url, data_dir=tmp_path) as db:
        yield db


#: The modules whose tests run several real processes of the bot (gateways, workers, a PostgreSQL
#: server of their own) and time them. Under pytest-xdist (`-n 2 --dist loadgroup`, the README's
#: command) they are one group, run one after the other by one worker, so two of them never compete
#: for the machine; every other test is spread over the workers as they come free.
REAL_PROCESS_MODULES = frozenset(
    {
        "tests/discord/test_scaled.py",
        "tests/discord/test_roles.py",
        "tests/discord/test_shutdown.py",
        "tests/jobs/test_kill_workers.py",
        "tests/jobs/test_kill_restart.py",
    }
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The real-process tests form one xdist group (`REAL_PROCESS_MODULES`). Without a PostgreSQL
    server the PostgreSQL cases are left out, and one line says so at the end."""
    for item in items:
        if item.nodeid.split("::", 1)[0] in REAL_PROCESS_MODULES:
            item.add_marker(pytest.mark.xdist_group("real-processes"))
    postgresql = [
        i
        for i in items
        if getattr(i, "callspec", None) and i.callspec.params.get("database_url") == "postgresql"
    ]
    if not postgresql:
        return
    reason = asyncio.run(postgresql_unavailable())
    if reason is None:
        return
    _PG_SKIPPED.extend(i.nodeid for i in postgresql)
    config.hook.pytest_deselected(items=postgresql)
    items[:] = [i for i in items if i not in set(postgresql)]


def pytest_unconfigure(config: pytest.Config) -> None:
    """The test process is done: its schemas made ahead and not taken are dropped (`SchemaMaker`)."""
    MIGRATED.close()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    how = f"set {TEST_DATABASE_URL}=postgresql://user@host:5432/db (the tests create a schema each there)"
    if _PG_SKIPPED:
        terminalreporter.write_line(
            f"{len(_PG_SKIPPED)} PostgreSQL cases not run ({_PG_PROBED.get('reason')}): to run them, {how}"
        )
    elif getattr(terminalreporter.config.option, "numprocesses", None):
        # Under xdist the workers collect and leave the cases out; this process only reports.
        reason = asyncio.run(postgresql_unavailable())
        if reason is not None:
            terminalreporter.write_line(f"The PostgreSQL cases were not run ({reason}): to run them, {how}")


@pytest.fixture
async def fake_ttapi() -> AsyncIterator[FakeTTAPI]:
    fake = FakeTTAPI()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def fake_bfl() -> AsyncIterator[FakeBFL]:
    """A fake Black Forest Labs API on loopback (tests/fakes/bfl.py)."""
    fake = FakeBFL()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    """Discord on loopback, for a `python -m bot` subprocess (tests/fakes/discord.py)."""
    fake = FakeDiscord()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Override in a test module (or with `@pytest.mark.parametrize`) to change settings."""
    return {}


@pytest.fixture
def database_settings() -> dict[str, Any]:
    """The store the `settings` fixture picks: SQLite in `tmp_path`. A module whose tests run on each
    backend overrides it: `def database_settings(database_url): return {"database_url": database_url}`."""
    return {}


@pytest.fixture
def settings(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    fake_ttapi: FakeTTAPI,
    settings_overrides: dict[str, Any],
    database_settings: dict[str, Any],
) -> Settings:
    """Settings with the fake TTAPI; the store is SQLite in `tmp_path`, at the newest schema version
    (`MigratedStores`; `@pytest.mark.empty_store`: none yet), unless `database_settings` picks one."""
    made = make_settings(
        tmp_path,
        ttapi_api_key=fake_ttapi.api_key,
        ttapi_base_url=fake_ttapi.url,
        **{**database_settings, **settings_overrides},
    )
    if (
        made.database_url is None
        and made.database_path == tmp_path / "fluxbot.sqlite3"
        and not made.database_path.exists()
        and request.node.get_closest_marker("empty_store") is None
    ):
        MIGRATED.copy_sqlite(made.database_path)
    return made


@pytest.fixture
async def services(settings: Settings) -> AsyncIterator[Services]:
    async with open_services(settings, poll_policy=FAST_POLLING, mock_delay=0.2) as opened:
        yield opened


@pytest.fixture
def simcord_bot(services: Services) -> FluxBot:
    return FluxBot(services, sync="global")


@pytest.fixture
async def running(simcord_env: simcord.Env, services: Services) -> AsyncIterator[Services]:
    """The job manager, started as the composition root would, inside SimCord's clock and adapter."""
    with simcord_env.time_context():
        await services.manager.start()
    yield services
    await services.manager.stop()


async def finish_jobs(env: simcord.Env, services: Services, timeout: float = 10.0) -> None:
    """Wait until every job is terminal, then let the bot handle what Discord sent back."""
    await services.manager.wait_idle(timeout)
    await env.settle()


#: Interaction callback types (Discord API): a message, or "thinking" to be completed later.
CHANNEL_MESSAGE, DEFERRED = 4, 5


def acknowledged_with(env: simcord.Env, result: Any) -> int | None:
    """The callback type the bot first answered an interaction with."""
    for entry in env.http_requests:
        if (
            entry.method == "POST"
            and entry.path.endswith("/callback")
            and f"/{result._interaction.id}/" in entry.path
        ):
            return int(entry.json["type"]) if entry.json else None
    return None


def refusals(env: simcord.Env) -> list[UserFacingError]:
    """The user-facing errors the tree handler answered (acknowledging them to SimCord).

    Any other error is a bug, and fails the test here.
    """
    found = []
    for error in env.errors:
        original = getattr(error, "original", error)
        assert isinstance(original, UserFacingError), f"unexpected error: {error!r}"
        found.append(original)
    return found


@pytest.fixture
def client_languages(monkeypatch: pytest.MonkeyPatch) -> dict[int, str]:
    """Members' Discord client languages, by user id: what Discord sends as each interaction's
    `locale`. SimCord sends `en-US` for everyone; a test fills this dict to change that."""
    languages: dict[int, str] = {}
    build = simcord.interactions.base_payload

    def with_language(backend: Any, **fields: Any) -> tuple[Any, dict[str, Any]]:
        record, payload = build(backend, **fields)
        if fields["user_id"] in languages:
            payload["locale"] = languages[fields["user_id"]]
        return record, payload

    monkeypatch.setattr(simcord.interactions, "base_payload", with_language)
    return languages


@pytest.fixture
def guild_setup(simcord_env: simcord.Env) -> tuple[Any, Any, Any]:
    """A guild with #art and an ordinary member, alice."""
    guild = simcord_env.create_guild("Artists")
    channel = guild.create_text_channel("art")
    alice = guild.add_member(simcord_env.create_user("alice"))
    return guild, channel, alice


@pytest.fixture
def server(simcord_env, guild_setup) -> dict[str, Any]:
    """The Artists guild: alice (ordinary), mod (Manage Server via a role), artists and patrons roles."""
    guild, channel, alice = guild_setup
    moderators = guild.create_role("moderators", permissions=discord.Permissions(manage_guild=True))
    artists = guild.create_role("artists")
    patrons = guild.create_role("patrons")
    mod = guild.add_member(simcord_env.create_user("mod"), roles=[moderators])
    bob = guild.add_member(simcord_env.create_user("bob"), roles=[artists])
    return {
        "guild": guild,
        "channel": channel,
        "alice": alice,
        "bob": bob,
        "mod": mod,
        "artists": artists,
        "patrons": patrons,
    }
