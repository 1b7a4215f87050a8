"""The database holds interaction and callback tokens: only the bot's user may read it (issue 17,
finding 17), and its commits survive a power loss (finding 9)."""

from __future__ import annotations

import os
import sqlite3
import stat
from contextlib import closing
from decimal import Decimal
from pathlib import Path

import pytest

from bot.jobs.model import Job, JobState, Origin
from bot.store.backup import backup_database
from bot.store.db import open_database
from bot.store.files import PARTIAL


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_a_new_database_its_wal_and_shm_and_its_folder_are_private(tmp_path):
    path = tmp_path / "data" / "fluxbot.sqlite3"
    old = os.umask(0o022)  # the usual default, which made the files world-readable
    try:
        async with open_database(path) as db:
            await db.execute("UPDATE jobs SET updated_at = updated_at WHERE 0")  # a write: the WAL exists
            files = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
            assert all(f.exists() for f in files)
            assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}
            assert mode(path.parent) == 0o700
    finally:
        os.umask(old)


async def test_files_left_readable_by_an_older_version_are_tightened_at_start(tmp_path):
    path = tmp_path / "data" / "fluxbot.sqlite3"
    async with open_database(path) as db:
        await db.execute("UPDATE jobs SET updated_at = updated_at WHERE 0")
    path.parent.chmod(0o755)
    path.chmod(0o644)

    async with open_database(path) as db:
        assert mode(path) == 0o600
        assert mode(path.with_name(path.name + "-wal")) == 0o600
        assert mode(path.parent) == 0o700


async def test_every_commit_is_synced_to_disk(tmp_path):
    """WAL with synchronous=NORMAL may lose the last commits on power loss: the commit before a paid
    submit could be lost, and the job submitted twice."""
    async with open_database(tmp_path / "fluxbot.sqlite3") as db:
        cursor = await db.conn.execute("PRAGMA synchronous")
        (level,) = await cursor.fetchone()
        assert level == 2  # FULL


async def test_a_backup_is_as_private_as_the_database(tmp_path):
    """The copy holds the same tokens (`python -m bot backup FILE`)."""
    path = tmp_path / "data" / "fluxbot.sqlite3"
    async with open_database(path):
        pass
    old = os.umask(0o022)
    try:
        backup_database(path, tmp_path / "backups" / "copy.sqlite3")
    finally:
        os.umask(old)
    assert mode(tmp_path / "backups" / "copy.sqlite3") == 0o600


async def test_the_image_folders_beside_the_database_are_private_even_in_a_shared_folder(
    tmp_path, monkeypatch, fake_ttapi
):
    """With DATABASE_PATH in the working directory (left as it is), `images/` and `inputs/` are
    still the bot's user's only: they hold members' pictures."""
    from bot.encoding import Base64
    from bot.store.files import InputFiles, InputImage
    from tests.helpers import manager_env, submit

    monkeypatch.chdir(tmp_path)
    tmp_path.chmod(0o755)  # a shared working directory
    old = os.umask(0o022)
    try:
        async with manager_env(tmp_path, ttapi=fake_ttapi, database_path=Path("fluxbot.sqlite3")) as (
            services,
            _,
            _,
        ):
            job = await submit(services, 1)
            await services.manager.wait_for(job.id, 10)
            await InputFiles(tmp_path / "inputs").write("job1", [InputImage("image_prompt", Base64(b"aGk="))])
    finally:
        os.umask(old)
    assert mode(tmp_path) == 0o755  # the working directory is the operator's: left as it is
    assert mode(tmp_path / "images") == 0o700
    assert mode(tmp_path / "inputs") == 0o700
    assert mode(tmp_path / "fluxbot.sqlite3") == 0o600


def written(path: Path) -> Path:
    """The name a file's bytes are written and synced under, before it is renamed to `path`."""
    return path.with_name(path.name + PARTIAL)


@pytest.fixture
def synced(monkeypatch) -> set[Path]:
    """Every file and folder `os.fsync` is called on (as its real path), then synced for real."""
    seen: set[Path] = set()
    real_fsync = os.fsync

    def recording_fsync(fd: int) -> None:
        seen.add(Path(os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    return seen


async def test_a_result_file_and_its_folder_are_synced_before_the_job_names_it(tmp_path, fake_ttapi, synced):
    """Row 41: the image's file and its directory entry reach the disk before the row naming it
    commits; else a power loss leaves a delivered job whose file is empty or missing."""
    from tests.helpers import manager_env, submit

    async with manager_env(tmp_path, ttapi=fake_ttapi) as (services, _, _):
        job = await submit(services, 1)
        done = await services.manager.wait_for(job.id, 10)
    assert done.result_path is not None
    result = Path(done.result_path).resolve()
    assert {written(result), result.parent} <= synced


async def test_generate_s_image_and_its_folder_are_synced_before_the_job_is_recorded_delivered(
    tmp_path, monkeypatch, synced
):
    """The same defect elsewhere: `generate`'s own file was renamed into place unsynced (and a write
    that failed part way left its `.part`), then the job was recorded delivered and never written
    again."""
    from bot.cli import CliSink
    from tests.helpers import png

    monkeypatch.chdir(tmp_path)
    job = Job(
        id="job1", seq=1, state=JobState.DELIVERING, origin=Origin.CLI, provider="mock", model="flux-dev",
        prompt="a cat", params={"out": "out/cat.png"}, user_id=0, guild_id=None, channel_id=None,
        estimate=Decimal(1), created_at=0.0, updated_at=0.0,
    )  # fmt: skip
    await CliSink(quiet=True).deliver(job, png())

    out = (tmp_path / "out" / "cat.png").resolve()
    assert out.read_bytes() == png()
    assert {written(out), out.parent} <= synced


def test_a_backup_s_name_is_synced_once_it_is_renamed_into_place(tmp_path, synced):
    """The same defect elsewhere: `backup` renamed its copy into place without syncing the folder,
    so a power loss right after "backed up" could leave no copy under that name."""
    source = tmp_path / "data" / "fluxbot.sqlite3"
    with closing(sqlite3.connect(source.parent.mkdir() or source)) as conn:
        conn.execute("CREATE TABLE t (x)")
    backup_database(source, tmp_path / "backups" / "copy.sqlite3")
    assert (tmp_path / "backups").resolve() in synced
