"""A read-only or full data disk (found by benchmarks/soak.py with benchmarks/disk_faults.py).

The faults are real: a tmpfs of the test's own, remounted read-only or filled by a ballast file, so
the bot's code meets the kernel's EROFS and ENOSPC (root ignores file modes, so `chmod` cannot
stand in for them).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
import stat
import time
from pathlib import Path

import pytest

from bot.app import open_services
from bot.settings import Settings
from bot.store import errors as store_errors
from bot.store.db import make_private
from bot.store.retention import DiskAlmostFull
from tests.conftest import FAST_POLLING, refusals
from tests.fakes.disk import fill, needs_mounts, read_only, tmpfs
from tests.helpers import bot_said, png

pytestmark = needs_mounts


def old_orphan(inputs: Path) -> Path:
    """A reference image file no row names, written by an accept that never committed an hour ago."""
    orphan = inputs / "0123456789abcdef.0.b64"
    orphan.write_text("aGVsbG8=")
    an_hour_ago = time.time() - 3600
    os.utime(orphan, (an_hour_ago, an_hour_ago))
    return orphan


async def lines_containing(caplog, text: str, timeout: float = 5.0) -> list[logging.LogRecord]:
    """The log records with `text`, once there is one (the sweep at start runs in a task)."""
    async with asyncio.timeout(timeout):
        while not (found := [r for r in caplog.records if text in r.getMessage()]):
            await asyncio.sleep(0.02)
    return found


async def test_a_read_only_inputs_folder_does_not_stop_the_start(settings: Settings, caplog):
    """Before: the orphan cleanup at start raised EROFS and the bot did not start. Now: one line,
    the start goes on, and the next sweep (the folder writable again) removes the file."""
    inputs = settings.database_path.parent / "inputs"
    with tmpfs(inputs):
        orphan = old_orphan(inputs)
        with read_only(inputs):
            async with open_services(settings, poll_policy=FAST_POLLING) as services:
                await services.manager.start()
                (line,) = await lines_containing(caplog, "could not be removed")
                assert line.levelno == logging.WARNING
                assert "Read-only file system" in line.getMessage()
                assert "the next sweep tries again" in line.getMessage()
                assert orphan.exists()
                await services.manager.stop()

        async with open_services(settings, poll_policy=FAST_POLLING) as services:
            await services.retention.sweep()
            assert not orphan.exists()


async def test_a_file_where_the_images_folder_should_be_does_not_stop_the_start(settings: Settings, caplog):
    images = settings.database_path.parent / "images"
    settings.database_path.parent.mkdir(parents=True, exist_ok=True)
    images.write_text("not a folder")
    async with open_services(settings, poll_policy=FAST_POLLING) as services:
        await services.manager.start()
        assert "the folder for result images" in caplog.text
        assert "starting anyway" in caplog.text
        await services.manager.stop()


async def test_a_data_folder_on_a_read_only_disk_is_not_tightened_and_does_not_fail(tmp_path, caplog):
    """`make_private` tightened (chmod) an old readable folder and file, and opened the database file
    for writing to create it: on a read-only disk both raised EROFS before anything else ran."""
    data = tmp_path / "data"
    with tmpfs(data):
        data.chmod(0o755)
        database = data / "fluxbot.sqlite3"
        database.write_bytes(b"")
        database.chmod(0o644)
        with read_only(data):
            make_private(database)
        assert stat.S_IMODE(database.stat().st_mode) == 0o644  # left as it was, and said so
        refused = [r for r in caplog.records if "could not be tightened" in r.getMessage()]
        assert len(refused) == 2  # the folder and the file, one line each
        assert all("Read-only file system" in r.getMessage() for r in refused)


@pytest.mark.parametrize("fault", ["full", "read-only"])
async def test_an_accept_the_disk_refuses_gets_the_plain_sentence_and_holds_nothing(
    simcord_env, running, guild_setup, settings, fake_ttapi, caplog, fault
):
    """`inputs/` full (ENOSPC) or read-only (EROFS) where the free-space floor cannot see it (a
    mount of its own): before, the member got the generic apology with a reference id."""
    _, channel, alice = guild_setup
    inputs = settings.database_path.parent / "inputs"
    with tmpfs(inputs, size_mb=1):
        if fault == "full":
            fill(inputs)
            refusing = contextlib.nullcontext()
        else:
            refusing = read_only(inputs)
        with refusing:
            await alice.slash(channel, "imagine", prompt="a lighthouse", image=("ref.png", png()))

        (error,) = refusals(simcord_env)
        assert isinstance(error, DiskAlmostFull)
        assert DiskAlmostFull().message in bot_said(simcord_env)
        (line,) = [r for r in caplog.records if "the disk refused storing it" in r.getMessage()]
        assert (
            "No space left on device" if fault == "full" else "Read-only file system"
        ) in line.getMessage()
        assert await running.jobs.for_user(alice.id) == []
        assert await running.db.fetchall("SELECT * FROM ledger") == []
        assert fake_ttapi.submits() == []
        assert [p.name for p in inputs.iterdir() if p.name != ".ballast"] == []


def test_a_read_only_database_is_told_apart_from_a_locked_one(tmp_path):
    """SQLite's own errors, not built by hand: SQLITE_READONLY (and SQLITE_FULL, tested through the
    command in test_store_faults.py) mean the disk; a lock means wait and retry."""
    path = tmp_path / "ro.sqlite3"
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TABLE t (x)")
        conn.commit()
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        try:
            conn.execute("INSERT INTO t VALUES (1)")
        except sqlite3.OperationalError as exc:
            read_only_error = exc
    assert store_errors.refused_by_disk(read_only_error)
    assert not store_errors.refused_by_disk(sqlite3.OperationalError("database is locked"))
    assert not store_errors.refused_by_disk(PermissionError(13, "Permission denied"))
