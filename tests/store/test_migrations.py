"""The migration runner against a real SQLite file."""

from __future__ import annotations

import sqlite3

import pytest

from bot.store.db import (
    SchemaTooNew,
    apply_migrations,
    latest_schema_version,
    list_migrations,
    open_database,
    read_schema_version,
)
from tests.conftest import make_database


async def test_migrates_an_empty_file_to_the_newest_schema(tmp_path):
    path = tmp_path / "new" / "fluxbot.sqlite3"
    async with open_database(path) as db:
        newest = list_migrations()[-1][0]
        assert await db.schema_version() == newest
        tables = {r[0] for r in await db.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {"jobs", "ledger", "job_inputs"} <= tables
        mode = await db.fetchone("PRAGMA journal_mode")
        assert mode[0] == "wal"


async def test_running_migrations_again_is_a_no_op(tmp_path):
    path = tmp_path / "fluxbot.sqlite3"
    async with open_database(path) as db:
        await db.execute(
            "INSERT INTO ledger (kind, amount, period, created_at) VALUES ('grant', '1', '2026-01-01', 0)"
        )
    async with open_database(path) as db:
        assert await apply_migrations(db) == []
        row = await db.fetchone("SELECT COUNT(*) FROM ledger")
        assert row[0] == 1


async def test_a_failing_migration_leaves_nothing_behind(tmp_path):
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_first.sql").write_text("CREATE TABLE a (x INTEGER);\n")
    (folder / "0002_broken.sql").write_text("CREATE TABLE b (y INTEGER);\nTHIS IS NOT SQL;\n")
    async with open_database(tmp_path / "db.sqlite3", migrate=False) as db:
        with pytest.raises(sqlite3.OperationalError):
            await apply_migrations(db, folder)
        assert await db.schema_version() == 1
        tables = {r[0] for r in await db.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert "a" in tables
        assert "b" not in tables


def test_migrations_are_numbered_without_gaps(tmp_path):
    (tmp_path / "0001_a.sql").write_text("SELECT 1;")
    (tmp_path / "0003_c.sql").write_text("SELECT 1;")
    with pytest.raises(RuntimeError, match="without gaps"):
        list_migrations(tmp_path)


async def test_a_database_newer_than_the_code_is_refused_before_anything_is_written(tmp_path):
    path = tmp_path / "fluxbot.sqlite3"
    make_database(path, latest_schema_version() + 1)
    before = path.read_bytes()

    with pytest.raises(SchemaTooNew, match=f"schema version {latest_schema_version() + 1}, newer than"):
        async with open_database(path):
            pass

    assert path.read_bytes() == before  # not even switched to WAL
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fluxbot.sqlite3"]


async def test_read_schema_version_creates_nothing_and_reads_through_the_log(tmp_path):
    path = tmp_path / "fluxbot.sqlite3"
    assert read_schema_version(path) is None
    assert not path.exists()

    async with open_database(path) as db:
        # The bot is running: the newest pages may be in the -wal file only.
        assert (tmp_path / "fluxbot.sqlite3-wal").exists()
        assert read_schema_version(path) == await db.schema_version() == latest_schema_version()
    files = sorted(p.name for p in tmp_path.iterdir())
    assert read_schema_version(path) == latest_schema_version()
    assert sorted(p.name for p in tmp_path.iterdir()) == files
