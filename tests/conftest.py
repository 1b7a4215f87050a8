"""Shared fixtures: fake providers on loopback, a real SQLite file, the real bot under SimCord.

The job manager is Discord-free and runs outside discord.py's tasks, as in production. Under
SimCord it is started inside `env.time_context()`, so its REST calls (editing replies, posting
results) reach the simulated Discord and see its virtual clock. A test waits for the jobs with
`finish_jobs(env, services)`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import discord
import pytest
import simcord

from bot.app import Services, open_services
from bot.discord.client import FluxBot
from bot.errors import UserFacingError
from bot.jobs.polling import PollPolicy
from bot.settings import Settings
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


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_path": tmp_path / "fluxbot.sqlite3",
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
def settings(tmp_path: Path, fake_ttapi: FakeTTAPI, settings_overrides: dict[str, Any]) -> Settings:
    return make_settings(
        tmp_path,
        ttapi_api_key=fake_ttapi.api_key,
        ttapi_base_url=fake_ttapi.url,
        **settings_overrides,
    )


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
