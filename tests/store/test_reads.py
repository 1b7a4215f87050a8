"""Reads go through their own read-only connection: never queued behind a write, never dirty."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from bot.store.db import open_database


async def test_a_read_does_not_wait_for_a_write_in_progress_and_sees_only_committed_data(tmp_path):
    async with open_database(tmp_path / "db.sqlite3") as db:
        await db.execute("CREATE TABLE t (v INTEGER)")
        await db.execute("INSERT INTO t VALUES (1)")
        inside, release = asyncio.Event(), asyncio.Event()

        async def slow_writer() -> None:
            async with db.transaction() as conn:
                await conn.execute("INSERT INTO t VALUES (2)")
                inside.set()
                await release.wait()  # the write transaction (and the writer's lock) stays open

        writer = asyncio.create_task(slow_writer())
        await inside.wait()
        rows = await asyncio.wait_for(db.fetchall("SELECT v FROM t ORDER BY v"), 2)
        assert [r["v"] for r in rows] == [1]  # not the uncommitted 2, and no waiting for the lock
        release.set()
        await writer
        assert [r["v"] for r in await db.fetchall("SELECT v FROM t ORDER BY v")] == [1, 2]


async def test_the_reader_cannot_write(tmp_path):
    async with open_database(tmp_path / "db.sqlite3") as db:
        await db.execute("CREATE TABLE t (v INTEGER)")
        assert db.reader is not None
        with pytest.raises(sqlite3.OperationalError):
            await db.reader.execute("INSERT INTO t VALUES (1)")
