"""Reads go through their own read-only connection: never queued behind a write, never dirty."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from bot.store import db as db_module
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


async def test_a_committed_write_is_seen_by_the_next_read_while_other_reads_overlap(tmp_path):
    """Overlapping reads must not pin the reader to an old snapshot.

    SQLite keeps a connection's read transaction open while any of its statements is active. A
    read split over several hops to the connection's thread (execute, fetch, close) leaves its
    statement active between hops, so with reads overlapping all the time the reader would keep
    seeing the database as it was: a job just accepted would not be found.
    """
    async with open_database(tmp_path / "db.sqlite3") as db:
        await db.execute("CREATE TABLE t (v INTEGER)")
        await db.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(200)])
        stop = asyncio.Event()

        async def busy_reader() -> None:
            while not stop.is_set():
                await db.fetchall("SELECT v FROM t")
                await db.fetchone("SELECT v FROM t")

        readers = [asyncio.create_task(busy_reader()) for _ in range(4)]
        try:
            for value in range(1000, 1020):
                await db.execute("INSERT INTO t VALUES (?)", (value,))
                row = await db.fetchone("SELECT v FROM t WHERE v = ?", (value,))
                assert row is not None
                assert row["v"] == value
        finally:
            stop.set()
            await asyncio.gather(*readers)


async def test_reads_of_megabytes_go_through_their_own_connection_and_see_committed_data(tmp_path):
    async with open_database(tmp_path / "db.sqlite3") as db:
        await db.execute("CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB)")
        await db.execute("INSERT INTO blobs (data) VALUES (?)", (b"x" * 3_000_000,))
        rows = await db.fetchall_bulk("SELECT data FROM blobs")
        assert [len(r["data"]) for r in rows] == [3_000_000]
        assert db._bulk_reader is not None
        assert db._bulk_reader is not db.reader
        await db.execute("INSERT INTO blobs (data) VALUES (?)", (b"y",))
        assert len(await db.fetchall_bulk("SELECT data FROM blobs")) == 2
    assert db._bulk_reader is None  # closed with the database


async def test_an_inline_read_sees_committed_data_and_falls_back_when_sqlite_is_busy(tmp_path, monkeypatch):
    async with open_database(tmp_path / "db.sqlite3") as db:
        await db.execute("CREATE TABLE t (v INTEGER)")
        await db.execute("INSERT INTO t VALUES (1)")
        assert [r["v"] for r in await db.fetchall_now("SELECT v FROM t")] == [1]
        await db.execute("INSERT INTO t VALUES (2)")
        assert [r["v"] for r in await db.fetchall_now("SELECT v FROM t ORDER BY v")] == [1, 2]

        # SQLite busy for the inline connection (it never waits: busy_timeout 0): the read goes
        # to the reader's thread instead of failing or blocking the event loop.
        real_fetch = db_module._fetch
        inline_calls = []

        def busy_inline(conn, *args):
            if conn is db._inline:
                inline_calls.append(args[0])
                busy = sqlite3.OperationalError("database is locked")
                busy.sqlite_errorcode = sqlite3.SQLITE_BUSY
                raise busy
            return real_fetch(conn, *args)

        monkeypatch.setattr(db_module, "_fetch", busy_inline)
        assert [r["v"] for r in await db.fetchall_now("SELECT v FROM t ORDER BY v")] == [1, 2]
        assert inline_calls == ["SELECT v FROM t ORDER BY v"]
        monkeypatch.setattr(db_module, "_fetch", real_fetch)
        with pytest.raises(sqlite3.OperationalError, match="no such table"):
            await db.fetchall_now("SELECT v FROM missing")  # any other error is the caller's
