"""The store on PostgreSQL (asyncpg), for deployments of several processes.

The same units and SQL as on SQLite (bot/store/statements.py): `?` placeholders become `$1..$n`, a
row reads as `row[0]` and `row["name"]` (asyncpg's Record, like sqlite3.Row).

Hot-path writes (`atomic`, `execute_one`) are group-committed as on SQLite: the units of the
moment run in one transaction and their callers are answered in arrival order once it commits
(jobs started together reach their provider in that order). A unit that fails is undone alone:
the batch then runs again with a savepoint per unit (`_commit`); units of a kind that failed
lately (a refused hold) get a savepoint of their own from the start (`Call.guarded`).

Several processes write at once, so the transaction is READ COMMITTED and the invariants are kept
by locks, not by aborts: a unit that checks figures others may change at the same moment (a
quota hold reads the member's totals and, with a budget, the guild's; an accept counts the
member's unfinished jobs) declares the locks it needs (`Lock`, bot/store/statements.py), and
every writer of those figures holds the same lock. The locks are transaction-level advisory
locks. A batch takes its units' locks only if they are free (`_TRY_LOCK`, never waiting); a unit
whose lock another process holds is deferred to the next transaction of the batch, which waits
for it first, holding nothing yet (`take_locks`, sorted). So a unit's statements read the latest
committed figures, a second process waits for the first to commit instead of aborting, the rest
of its batch does not wait with it, and no two transactions wait on each other in a circle
(docs/DEVELOPING.md "Locks on PostgreSQL"). A single compare-and-set statement (a job's move, a
delivery attempt) needs no lock: PostgreSQL re-reads the row it waited for before deciding.

When PostgreSQL still reports a conflict (a deadlock on rows no lock orders, a serialization
failure under a stricter server default), the batch runs again from the start; its units only
ask for statements, and nobody was answered yet, so that is safe. After `SPLIT_AFTER` conflicts
a batch of several units runs them one per transaction, so one unit that keeps meeting conflicts
fails alone, not with the whole batch. The schema
version is kept in the table `fluxbot_schema`; migrations run under an advisory lock, so processes
starting together migrate once.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from bot.store import errors
from bot.store.base import Database, Transaction
from bot.store.migrations import list_migrations, refuse_newer_schema
from bot.store.statements import (
    POSTGRESQL,
    Execute,
    Lock,
    Op,
    Query,
    Sql,
    Unit,
    UnitFunction,
    locks_of,
    numbered,
    sql_for,
    statement_unit,
)

log = logging.getLogger(__name__)

errors.add_postgresql()  # the store's error classes, asyncpg's among them (bot/store/errors.py)

T = TypeVar("T")

#: Tries of a unit that keeps meeting conflicts before its caller gets the error.
CONFLICT_TRIES = 20
#: Conflicts of a batch of several units before its units run one per transaction.
SPLIT_AFTER = 3
#: Units of a kind that failed (raised) in one of this many latest batches run in savepoints.
GUARD_BATCHES = 100
#: Errors after which a unit runs again: nothing of it was committed (serialization failures and
#: deadlocks: SQLSTATE class 40, which PostgreSQL documents as safe to retry).
RETRIED = (asyncpg.TransactionRollbackError,)
#: The batch's locks, in the order given (an unnest is read in its array's order): transaction
#: advisory locks of two int4 keys, the first naming the schema and the lock's scope. (Claims and
#: workers' liveness use the one-bigint kind: another key space.)
_LOCK = """SELECT count(pg_advisory_xact_lock(hashtext(current_schema() || ':' || s), k))
    FROM unnest($1::text[], $2::int4[]) AS t(s, k)"""


def lock_keys(locks: Iterable[Lock]) -> tuple[list[str], list[int]]:
    """The advisory lock keys of `locks`, each once, in the one order every batch takes them in."""
    keys = sorted({(lock.scope, _int4(lock.key)) for lock in locks})
    return [scope for scope, _ in keys], [key for _, key in keys]


def _int4(value: int) -> int:
    """A key of any size folded into PostgreSQL's int4 (two ids may share a lock: that only
    serializes them, and the sort is by the folded key, so the order stays one)."""
    folded = (value ^ (value >> 32)) & 0xFFFFFFFF
    return folded - (1 << 32) if folded >= 1 << 31 else folded


async def take_locks(conn: asyncpg.Connection, locks: Iterable[Lock]) -> None:
    """Wait for `locks`, in the one order. Only as the first locks of a transaction, or after
    locks of an earlier scope: a transaction that waits holds nothing a later one waits for."""
    scopes, keys = lock_keys(locks)
    if keys:
        await conn.fetchval(_LOCK, scopes, keys)


#: The keys of these locks that were free, now held; the others are left without waiting.
_TRY_LOCK = """SELECT s, k FROM unnest($1::text[], $2::int4[]) AS t(s, k)
    WHERE pg_try_advisory_xact_lock(hashtext(current_schema() || ':' || s), k)"""


async def try_locks(conn: asyncpg.Connection, locks: Iterable[Lock]) -> set[tuple[str, int]]:
    scopes, keys = lock_keys(locks)
    if not keys:
        return set()
    return {(r["s"], r["k"]) for r in await conn.fetch(_TRY_LOCK, scopes, keys)}


def key_of(lock: Lock) -> tuple[str, int]:
    return lock.scope, _int4(lock.key)


@dataclass(slots=True)
class Call:
    """A unit of a batch: its function, its arguments, the locks it declared, and whether it
    waits for them (`wait`: it was deferred once, `DEFERRED`) or only takes them if they are free."""

    unit: UnitFunction
    args: tuple[Any, ...]
    locks: tuple[Lock, ...]
    wait: bool = False
    #: Run in a savepoint of its own from the first attempt: units of its kind failed lately (a
    #: refused hold), and without one the whole batch would run again with a savepoint per unit.
    guarded: bool = False


#: The outcome of a unit whose locks another transaction held: it runs in the next one, waiting.
DEFERRED: Any = object()


def pg(sql: Sql) -> str:
    """The statement as PostgreSQL takes it."""
    return numbered(sql_for(sql, POSTGRESQL))


def rowcount(status: str) -> int:
    """The number of rows from a command tag: 'UPDATE 1', 'INSERT 0 1', 'DELETE 3'."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


def redacted(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


async def _perform(conn: asyncpg.Connection, op: Op) -> Any:
    if isinstance(op, Query):
        if op.one:
            return await conn.fetchrow(pg(op.sql), *op.params)
        return await conn.fetch(pg(op.sql), *op.params)
    if isinstance(op, Execute):
        return rowcount(await conn.execute(pg(op.sql), *op.params))
    await conn.executemany(pg(op.sql), op.rows)
    return None


async def drive(conn: asyncpg.Connection, unit: Unit[T]) -> T:
    """Run `unit` on `conn` (inside the caller's transaction); an error goes back into the unit."""
    try:
        op = next(unit)
        while True:
            try:
                result = await _perform(conn, op)
            except Exception as exc:
                op = unit.throw(exc)
            else:
                op = unit.send(result)
    except StopIteration as stop:
        value: T = stop.value
        return value


async def _attempt(
    conn: asyncpg.Connection, calls: list[Call], *, savepoints: bool
) -> list[tuple[bool, Any]] | None:
    """The batch in one READ COMMITTED transaction: each unit's outcome once it commits (`DEFERRED`
    for a unit whose locks were not free); None when a unit of several failed without savepoints
    (rolled back: run it again with them). An error of the transaction itself (a conflict, the
    COMMIT) goes up.

    Order: first the locks of the units deferred before, waited for (the transaction holds
    nothing yet); then the units that declare no lock; then the other units' locks, taken only
    if they are free, at once (`_TRY_LOCK`), and the units whose locks were all free (a unit whose
    lock another process holds is deferred, not waited for: the batch goes on, and no lock is
    held longer than its own units need). Each group in arrival order.
    """
    outcomes: list[tuple[bool, Any]] = [(True, DEFERRED)] * len(calls)
    order = [i for i, c in enumerate(calls) if not c.locks] + [i for i, c in enumerate(calls) if c.locks]
    transaction = conn.transaction(isolation="read_committed")
    await transaction.start()
    try:
        await take_locks(conn, (lock for c in calls if c.wait for lock in c.locks))
        free: set[tuple[str, int]] | None = None
        for index in order:
            call = calls[index]
            if call.locks and not call.wait:
                if free is None:
                    free = await try_locks(conn, (lock for c in calls if not c.wait for lock in c.locks))
                if not all(key_of(lock) in free for lock in call.locks):
                    continue  # DEFERRED
            if savepoints or call.guarded:
                outcomes[index] = await _in_savepoint(conn, call.unit, call.args)
                continue
            try:
                outcomes[index] = (True, await drive(conn, call.unit(*call.args)))
            except RETRIED:
                raise
            except Exception as exc:
                await transaction.rollback()
                return [(False, exc)] if len(calls) == 1 else None  # alone, the rollback undid it
    except BaseException:
        if not conn.is_closed():
            await transaction.rollback()
        raise
    await transaction.commit()
    return outcomes


async def _in_savepoint(
    conn: asyncpg.Connection, unit: UnitFunction, args: tuple[Any, ...]
) -> tuple[bool, Any]:
    """(True, result), or (False, error) with the unit's statements undone; a conflict goes up."""
    savepoint = conn.transaction()  # nested in the batch's transaction: a savepoint
    await savepoint.start()
    try:
        value = await drive(conn, unit(*args))
    except RETRIED:
        raise
    except Exception as exc:
        await savepoint.rollback()
        return False, exc
    await savepoint.commit()
    return True, value


class PostgresTransaction(Transaction):
    dialect = POSTGRESQL

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def run(self, unit: Callable[..., Unit[T]], *args: Any) -> T:
        await take_locks(self.conn, locks_of(unit, args))
        return await drive(self.conn, unit(*args))

    async def lock(self, *locks: Lock) -> None:
        await take_locks(self.conn, locks)


class PostgresDatabase(Database):
    dialect = POSTGRESQL

    def __init__(self, pool: asyncpg.Pool, url: str, data_dir: Path) -> None:
        self.pool = pool
        self.url = url
        self.data_dir = data_dir
        self._batch: list[tuple[Call, asyncio.Future[Any]]] = []
        self._batches = 0  # batches committed
        self._failed: dict[UnitFunction, int] = {}  # a kind of unit → the batch it last failed in
        self._flusher: asyncio.Task[None] | None = None

    def __repr__(self) -> str:
        return f"PostgresDatabase({redacted(self.url)!r})"

    async def fetchall(self, sql: Sql, params: Sequence[Any] = ()) -> list[Any]:
        rows: list[Any] = await self.pool.fetch(pg(sql), *params)
        return rows

    async def fetchone(self, sql: Sql, params: Sequence[Any] = ()) -> Any:
        return await self.pool.fetchrow(pg(sql), *params)

    async def execute(self, sql: Sql, params: Sequence[Any] = ()) -> None:
        await self.pool.execute(pg(sql), *params)

    async def execute_one(self, sql: Sql, params: Sequence[Any] = ()) -> int:
        count: int = await self._group(statement_unit, (sql, tuple(params)))
        return count

    async def executemany(self, sql: Sql, rows: Iterable[Sequence[Any]]) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.executemany(pg(sql), [tuple(r) for r in rows])

    async def atomic(self, unit: Callable[..., Unit[T]], *args: Any) -> T:
        result: T = await self._group(unit, args)
        return result

    async def _group(self, unit: UnitFunction, args: tuple[Any, ...]) -> Any:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        guarded = self._batches - self._failed.get(unit, -GUARD_BATCHES) < GUARD_BATCHES
        self._batch.append((Call(unit, args, tuple(locks_of(unit, args)), guarded=guarded), future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_batches(), name="fluxbot-db-batch")
        return await future

    async def _flush_batches(self) -> None:
        while self._batch:
            batch, self._batch = self._batch, []
            try:
                outcomes = await self._commit([call for call, _ in batch])
            except Exception as exc:  # the transaction itself failed: no unit of it was committed
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            self._batches += 1
            deferred = []
            for (call, future), (ok, value) in zip(batch, outcomes, strict=True):
                if value is DEFERRED:  # its locks were held elsewhere: first in the next, waiting
                    deferred.append((dataclasses.replace(call, wait=True), future))
                    continue
                if not ok:
                    self._failed[call.unit] = self._batches
                if not future.done():
                    future.set_result(value) if ok else future.set_exception(value)
            self._batch[:0] = deferred

    async def _commit(self, calls: list[Call]) -> list[tuple[bool, Any]]:
        """One transaction for the batch; run again on a conflict.

        First without savepoints (each costs two round trips): when every unit succeeds, that is
        the commit. When one of several fails, that attempt is rolled back whole and the batch runs
        again with a savepoint per unit, so only the failing units are undone (their generators are
        made afresh: a unit only asks for statements). A batch of several units that met
        `SPLIT_AFTER` conflicts runs its units one per transaction (`_one_by_one`).
        """
        savepoints = False
        conflicts = 0
        # Ends: each conflict counts towards CONFLICT_TRIES (or SPLIT_AFTER), and the run without
        # savepoints gives way (None) at most once; with savepoints an attempt answers every unit
        # or raises.
        while True:
            try:
                async with self.pool.acquire() as conn:
                    outcomes = await _attempt(conn, calls, savepoints=savepoints)
            except RETRIED as exc:
                conflicts += 1
                if len(calls) > 1 and conflicts >= SPLIT_AFTER:
                    log.info("a batch of %d units met %d conflicts (%s): one unit per transaction",
                             len(calls), conflicts, type(exc).__name__)  # fmt: skip
                    return await self._one_by_one(calls)
                if conflicts >= CONFLICT_TRIES:
                    raise
                await asyncio.sleep(random.uniform(0, 0.002 * conflicts))  # jitter
                continue
            if outcomes is not None:
                return outcomes
            savepoints = True

    async def _one_by_one(self, calls: list[Call]) -> list[tuple[bool, Any]]:
        """Each unit in a transaction of its own (waiting for its locks: it holds no other), with
        its own conflict tries: one unit that keeps conflicting gets the error alone. Any other
        error of a transaction (the connection lost) goes to the units not committed yet; those
        before it are committed and answered."""
        outcomes: list[tuple[bool, Any]] = []
        for index, call in enumerate(calls):
            try:
                outcomes.extend(await self._commit([dataclasses.replace(call, wait=True)]))
            except RETRIED as exc:
                outcomes.append((False, exc))
            except Exception as exc:
                outcomes.extend((False, exc) for _ in calls[index:])
                break
        return outcomes

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        async with self.pool.acquire() as conn, conn.transaction():
            yield PostgresTransaction(conn)

    async def schema_version(self) -> int:
        async with self.pool.acquire() as conn:
            return await _schema_version(conn)

    async def ping(self) -> bool:
        try:
            await self.pool.fetchval("SELECT 1")
        except (asyncpg.PostgresError, OSError, asyncpg.InterfaceError):
            return False
        return True

    async def close(self) -> None:
        await self.pool.close()


async def _schema_version(conn: asyncpg.Connection) -> int:
    exists = await conn.fetchval("SELECT to_regclass('fluxbot_schema') IS NOT NULL")
    if not exists:
        return 0
    version = await conn.fetchval("SELECT version FROM fluxbot_schema")
    return int(version or 0)


async def keep_session(conn: asyncpg.Connection) -> None:
    """A connection goes back to the pool without asyncpg's default reset query.

    That query (`pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`) is one more round
    trip to the server for every use of the pool: a tenth of a gateway's CPU per command, more than
    any single query of it (benchmarks/pg_scale_out.py under py-spy). Nothing here leaves session
    state on a pool connection: locks are transaction-level (the migrations' session lock is
    released in a `finally`, or its connection dropped), LISTEN and the worker's session lock live
    on connections of their own (`ClaimStore.register`), no `SET` or cursor outlives a
    transaction. An open transaction is still rolled back first (asyncpg does that before this).
    """


async def apply_migrations(pool: asyncpg.Pool, where: str, folder: Path | None = None) -> list[int]:
    """Bring the schema to the newest version; each migration in one transaction. Returns those applied."""
    applied = []
    async with pool.acquire() as conn:
        # One process migrates; the others wait here, then find nothing left to do.
        lock = await conn.fetchval("SELECT hashtext('fluxbot-migrations:' || current_schema())")
        await conn.execute("SELECT pg_advisory_lock($1)", lock)
        try:
            current = await _schema_version(conn)
            refuse_newer_schema(where, current, folder)
            for number, path in list_migrations(folder, POSTGRESQL):
                if number <= current:
                    continue
                async with conn.transaction():
                    await conn.execute(path.read_text(encoding="utf-8"))
                    await conn.execute("CREATE TABLE IF NOT EXISTS fluxbot_schema (version bigint NOT NULL)")
                    await conn.execute("DELETE FROM fluxbot_schema")
                    await conn.execute("INSERT INTO fluxbot_schema (version) VALUES ($1)", number)
                log.info("database migrated to version %d (%s)", number, path.name)
                applied.append(number)
        finally:
            try:
                await conn.execute("SELECT pg_advisory_unlock($1)", lock)
            except BaseException:
                conn.terminate()  # the pool keeps no connection that may still hold the lock
                raise
    return applied


#: The parts of a guild's totals (migration 0023) whose connection is gone, folded into the
#: guild's own row (user_key = 0): their sums unchanged, in one transaction, one process at a time.
_FOLD_PARTS = """WITH gone AS (
        DELETE FROM ledger_guild_parts p
        WHERE NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = p.part)
        RETURNING guild_key, period, used, held, granted)
    INSERT INTO ledger_totals AS t (guild_key, user_key, period, used, held, granted)
    SELECT guild_key, 0, period, SUM(used), SUM(held), SUM(granted) FROM gone
    GROUP BY guild_key, period ORDER BY guild_key, period
    ON CONFLICT (guild_key, user_key, period) DO UPDATE SET used = t.used + excluded.used,
        held = t.held + excluded.held, granted = t.granted + excluded.granted"""


async def fold_guild_parts(pool: asyncpg.Pool) -> int:
    """Fold the guild-total parts of connections that are gone (at start: their number stays that
    of the connections of the moment, not of every connection there ever was). Returns the
    guild periods that received some."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('fluxbot-parts:' || current_schema()))")
        return rowcount(await conn.execute(_FOLD_PARTS))


@asynccontextmanager
async def open_postgres(
    url: str, *, data_dir: Path, migrate: bool = True, min_size: int = 2, max_size: int = 10
) -> AsyncIterator[PostgresDatabase]:
    """A pool of connections to `url`, migrated to the newest schema (a newer one is refused)."""
    pool = await asyncpg.create_pool(url, min_size=min_size, max_size=max_size, reset=keep_session)
    try:
        if migrate:
            await apply_migrations(pool, redacted(url))
        try:
            await fold_guild_parts(pool)
        except asyncpg.UndefinedTableError:
            pass  # a schema before 0023, opened without migrating
        except asyncpg.PostgresError as exc:  # not a reason to refuse to start: the sums stay right
            log.warning("folding the guild totals' parts failed: %s", exc)
        yield PostgresDatabase(pool, url, data_dir)
    finally:
        await pool.close()
