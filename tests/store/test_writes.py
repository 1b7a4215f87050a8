"""Writes: group commits (`execute_one`, `atomic`) and the writer lock's order."""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

import pytest

from bot.store.db import WriterLock, open_database
from bot.store.statements import Execute, Unit


def _insert_pair(a: int, b: int) -> Unit[int]:
    """Two statements; the second fails on a duplicate (the table has a UNIQUE column)."""
    yield Execute("INSERT INTO t (v) VALUES (?)", (a,))
    yield Execute("INSERT INTO t (v) VALUES (?)", (b,))
    return a + b


async def test_units_arriving_together_commit_in_one_batch_and_a_failing_one_alone_is_undone(tmp_path):
    async with open_database(tmp_path / "db.sqlite3") as db:
        await db.execute("CREATE TABLE t (v INTEGER UNIQUE)")
        hops = 0
        real_execute = db.conn._execute

        async def counting(fn: Any, *args: Any) -> Any:
            nonlocal hops
            hops += 1
            return await real_execute(fn, *args)

        db.conn._execute = counting  # type: ignore[method-assign]
        results = await asyncio.gather(
            db.atomic(_insert_pair, 1, 2),
            db.atomic(_insert_pair, 3, 3),  # its second insert fails: its first must be undone too
            db.atomic(_insert_pair, 5, 6),
            db.execute_one("INSERT INTO t (v) VALUES (?)", (7,)),
            return_exceptions=True,
        )
        db.conn._execute = real_execute  # type: ignore[method-assign]

        assert results[0] == 3
        assert results[2] == 11
        assert results[3] == 1
        assert isinstance(results[1], sqlite3.IntegrityError)
        assert hops == 1  # BEGIN, four units in their savepoints and COMMIT: one trip to the thread
        rows = await db.fetchall("SELECT v FROM t ORDER BY v")
        assert [r["v"] for r in rows] == [1, 2, 5, 6, 7]


async def test_when_the_transaction_itself_fails_every_unit_of_the_batch_fails(tmp_path):
    async with open_database(tmp_path / "db.sqlite3") as db:
        await db.execute("CREATE TABLE t (v INTEGER)")

        def ends_the_transaction() -> Unit[None]:
            yield Execute("INSERT INTO t (v) VALUES (2)")
            yield Execute("ROLLBACK")  # what SQLite does by itself on SQLITE_FULL or an I/O error
            raise sqlite3.OperationalError("database or disk is full")

        results = await asyncio.gather(
            db.execute_one("INSERT INTO t (v) VALUES (1)"),
            db.atomic(ends_the_transaction),
            return_exceptions=True,
        )
        assert all(isinstance(r, sqlite3.OperationalError) for r in results)
        assert await db.fetchall("SELECT v FROM t") == []
        assert not db.conn.in_transaction
        assert await db.execute_one("INSERT INTO t (v) VALUES (3)") == 1  # and the store goes on


async def test_group_commits_go_before_waiting_transactions_but_take_turns_with_them():
    lock = WriterLock()
    order: list[str] = []

    async def take(name: str, urgent: bool) -> None:
        async with lock.hold(urgent=urgent):
            order.append(name)
            await asyncio.sleep(0)

    await lock.acquire()  # a transaction in progress; others queue up behind it
    waiting = [
        asyncio.create_task(take("tx1", False)),
        asyncio.create_task(take("tx2", False)),
        asyncio.create_task(take("batch1", True)),
        asyncio.create_task(take("batch2", True)),
    ]
    await asyncio.sleep(0)
    lock.release()
    await asyncio.gather(*waiting)
    # The first batch jumps the queue; then a transaction gets its turn, and so on.
    assert order == ["batch1", "tx1", "batch2", "tx2"]
    assert not lock.locked()


async def test_a_waiter_cancelled_as_it_is_handed_the_lock_passes_it_on():
    lock = WriterLock()
    await lock.acquire()
    first = asyncio.create_task(lock.acquire())
    second = asyncio.create_task(lock.acquire())
    await asyncio.sleep(0)
    lock.release()  # hands the lock to `first` ...
    first.cancel()  # ... which is cancelled before it runs
    with pytest.raises(asyncio.CancelledError):
        await first
    await asyncio.wait_for(second, 1)  # the lock went on to the next waiter
    assert lock.locked()
    lock.release()
    assert not lock.locked()
