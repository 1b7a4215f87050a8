"""The migration runner against a real SQLite file; the tests' stores against the migrations."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from bot.store import open_database as open_store
from bot.store.db import (
    SchemaTooNew,
    apply_migrations,
    latest_schema_version,
    list_migrations,
    open_database,
    read_schema_version,
)
from tests.conftest import make_database, postgresql_schema


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


def _sqlite_shape(path: Path) -> dict[str, Any]:
    """Everything the migrations leave in a SQLite file: its objects with their SQL, every table's
    rows, its schema version."""
    with contextlib.closing(sqlite3.connect(path)) as db:
        objects = db.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY 1, 2").fetchall()
        rows = {
            name: sorted(map(repr, db.execute(f"SELECT * FROM {name}")))  # noqa: S608
            for kind, name, _, _ in objects
            if kind == "table"
        }
        return {"objects": objects, "rows": rows, "version": db.execute("PRAGMA user_version").fetchone()}


async def _postgresql_shape(url: str) -> dict[str, Any]:
    """Everything the migrations leave in a PostgreSQL schema, as its catalogue tells it (the
    schema's own name written as `S`): relations, columns, constraints, indexes, triggers,
    functions, sequences, every table's rows."""
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        schema = await conn.fetchval("SELECT current_schema()")
        queries = {
            "relations": "SELECT relname, relkind::text FROM pg_class WHERE relnamespace = $1::regnamespace",
            "columns": "SELECT table_name, column_name, data_type, column_default, is_nullable,"
            " ordinal_position FROM information_schema.columns WHERE table_schema = $1",
            "constraints": "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)"
            " FROM pg_constraint WHERE connamespace = $1::regnamespace",
            "indexes": "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1",
            "triggers": "SELECT tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t JOIN pg_class c"
            " ON c.oid = t.tgrelid WHERE c.relnamespace = $1::regnamespace AND NOT tgisinternal",
            "functions": "SELECT proname, pg_get_functiondef(oid) FROM pg_proc"
            " WHERE pronamespace = $1::regnamespace",
            "sequences": "SELECT sequencename, start_value, increment_by, last_value FROM pg_sequences"
            " WHERE schemaname = $1",
        }
        shape: dict[str, Any] = {}
        for name, query in queries.items():
            found = [tuple(r) for r in await conn.fetch(query, schema)]
            shape[name] = sorted(repr(r).replace(schema, "S") for r in found)
        tables = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = $1", schema)
        shape["rows"] = {
            t: sorted(repr(tuple(r)) for r in await conn.fetch(f"SELECT * FROM {t}"))  # noqa: S608
            for (t,) in tables
        }
        return shape
    finally:
        await conn.close()


async def test_a_tests_store_is_what_the_migrations_make(database_url: str, tmp_path: Path):
    """The `database_url` fixture gives each test a copy of a store migrated once per test process
    (tests/conftest.py, `MigratedStores`): the copy has every object, definition and row that
    running the migrations on an empty store leaves. (Before the copies, the fixture gave an empty
    store: this fails on that.)"""
    if database_url.startswith("sqlite"):
        fresh = tmp_path / "fresh.sqlite3"
        async with open_database(fresh):
            pass
        copy = _sqlite_shape(Path(database_url.removeprefix("sqlite:///")))
        assert copy == _sqlite_shape(fresh)
        assert any(name == "jobs" for _, name, _, _ in copy["objects"])
        return
    async with postgresql_schema() as fresh_url:
        async with open_store(fresh_url, data_dir=tmp_path):
            pass
        fresh = await _postgresql_shape(fresh_url)
    copy = await _postgresql_shape(database_url)
    assert copy == fresh
    assert "('jobs', 'r')" in copy["relations"]
