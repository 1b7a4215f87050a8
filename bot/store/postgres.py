"""The store on PostgreSQL (asyncpg), for deployments of several processes.

The same units and SQL as on SQLite (bot/store/statements.py): `?` placeholders become `$1..$n`, a
row reads as `row[0]` and `row["name"]` (asyncpg's Record, like sqlite3.Row).

Hot-path writes (`atomic`, `execute_one`) are group-committed as on SQLite: the units of the
moment run in one transaction and their callers are answered in arrival order once it commits
(jobs started together reach their provider in that order). A unit that raises before any of
its statements changed a row (a refused hold, a stale compare-and-set) has nothing to undo: the
batch goes on (`Trace`). One that raises after writing is undone alone: the batch then runs again
with a savepoint per unit (`_commit`); units of a kind that had to be undone lately get a
savepoint of their own from the start (`Call.guarded`).

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
import contextlib
import dataclasses
import functools
import logging
import random
import re
import weakref
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
    LOCKS_OF,
    POSTGRESQL,
    Execute,
    ExecuteMany,
    Lock,
    Op,
    Query,
    Returning,
    Sql,
    Unit,
    UnitFunction,
    int4_key,
    is_one_statement,
    lock_keys,
    locks_of,
    numbered,
    single_check_of,
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
#: Units of a kind that had to be undone (raised after writing) in one of this many latest batches
#: run in savepoints.
GUARD_BATCHES = 100
#: Errors after which a unit runs again: nothing of it was committed (serialization failures and
#: deadlocks: SQLSTATE class 40, which PostgreSQL documents as safe to retry).
RETRIED = (asyncpg.TransactionRollbackError,)
#: The batch's locks, in the order given (an unnest is read in its array's order): transaction
#: advisory locks of two int4 keys, the first naming the schema and the lock's scope (`LOCKS_OF`).
#: (Claims and workers' liveness use the one-bigint kind: another key space.)
#: (`{keys}`: the scopes' and keys' arrays, as parameters or, in `begin_with_locks`' script, literals.)
_KEY_PARAMS = "$1::text[], $2::int4[]"
_LOCK = LOCKS_OF.format(keys=_KEY_PARAMS)


async def take_locks(conn: asyncpg.Connection, locks: Iterable[Lock]) -> None:
    """Wait for `locks`, in the one order. Only as the first locks of a transaction, or after
    locks of an earlier scope: a transaction that waits holds nothing a later one waits for."""
    scopes, keys = lock_keys(locks)
    if keys:
        await conn.fetchval(_LOCK, scopes, keys)


#: The keys of these locks that were free, now held; the others are left without waiting.
_TRY_LOCK_OF = """SELECT s, k FROM unnest({keys}) AS t(s, k)
    WHERE pg_try_advisory_xact_lock(hashtext(current_schema() || ':' || s), k)"""
_TRY_LOCK = _TRY_LOCK_OF.format(keys=_KEY_PARAMS)


async def try_locks(conn: asyncpg.Connection, locks: Iterable[Lock]) -> set[tuple[str, int]]:
    scopes, keys = lock_keys(locks)
    if not keys:
        return set()
    return {(r["s"], r["k"]) for r in await conn.fetch(_TRY_LOCK, scopes, keys)}


def key_of(lock: Lock) -> tuple[str, int]:
    return lock.scope, int4_key(lock.key)


_BEGIN = "BEGIN ISOLATION LEVEL READ COMMITTED"
_SCOPE = re.compile(r"[a-z][a-z0-9_.:-]*")


def _keys_literal(scopes: list[str], keys: list[int]) -> str:
    """`LOCKS_OF`'s and `_TRY_LOCK_OF`'s arrays as literals, for a script of the simple protocol
    (which takes no parameters): the scopes are the code's own names (`Lock.scope`), the keys int4s."""
    for scope in scopes:
        if not _SCOPE.fullmatch(scope):
            raise ValueError(f"not a lock scope: {scope!r}")
    texts = ",".join(f"'{scope}'" for scope in scopes)
    ints = ",".join(str(int(key)) for key in keys)
    return f"ARRAY[{texts}]::text[], ARRAY[{ints}]::int4[]"


async def begin_with_locks(
    conn: asyncpg.Connection, waits: Iterable[Lock], tries: Iterable[Lock]
) -> set[tuple[str, int]]:
    """BEGIN (READ COMMITTED), then `waits` (waited for, as `take_locks`), then `tries` (taken if
    free, as `try_locks`): one round trip, a script of the simple protocol, where they were three
    (asyncpg sends a transaction's BEGIN alone, and a statement with parameters alone). The keys of
    `tries` now held: the script answers no rows, but its last command's tag counts them
    (`SELECT n`); when all were free (nearly always) that is the answer, else `_TRY_LOCK` asks
    which (a lock this transaction holds is taken again at once: a second round trip, as before).
    The transaction is the caller's to end (`COMMIT` or `ROLLBACK`; the pool rolls back one a
    connection still has open when it is released)."""
    script = [_BEGIN]
    wait_scopes, wait_keys = lock_keys(waits)
    if wait_keys:
        script.append(LOCKS_OF.format(keys=_keys_literal(wait_scopes, wait_keys)))
    try_scopes, try_keys = lock_keys(tries)
    if try_keys:
        script.append(_TRY_LOCK_OF.format(keys=_keys_literal(try_scopes, try_keys)))
    status = await conn.execute(";\n".join(script))
    if not try_keys:
        return set()
    if rowcount(status) == len(try_keys):
        return set(zip(try_scopes, try_keys, strict=True))
    return {(r["s"], r["k"]) for r in await conn.fetch(_TRY_LOCK, try_scopes, try_keys)}


@dataclass(slots=True)
class Call:
    """A unit of a batch: its function, its arguments, the locks it declared, and whether it
    waits for them (`wait`: it was deferred once, `DEFERRED`) or only takes them if they are free."""

    unit: UnitFunction
    args: tuple[Any, ...]
    locks: tuple[Lock, ...]
    wait: bool = False
    #: Run in a savepoint of its own from the first attempt: units of its kind had to be undone
    #: lately, and without one the whole batch would run again with a savepoint per unit.
    guarded: bool = False
    #: It raised after changing rows in this batch's last run (not when it raised with nothing to undo).
    undone: bool = False
    #: It checks and writes what its locks protect in one statement (`locking(single_check=)`): it
    #: may share a wave with units of the same kind that share its locks (`waves`).
    single_check: bool = False


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
        if op.one or op.single:
            return await conn.fetchrow(pg(op.sql), *op.params)
        return await conn.fetch(pg(op.sql), *op.params)
    if isinstance(op, Execute):
        return rowcount(await conn.execute(pg(op.sql), *op.params))
    if isinstance(op, Returning):
        row = await conn.fetchrow(pg(op.sql), *op.params)
        return _result(op, row) if op.one_row else row
    await conn.executemany(pg(op.sql), op.rows)
    return None


@dataclass(slots=True)
class Trace:
    """What a unit's statements did, for undoing a unit that raised: nothing to undo when every
    statement ran (none raised: the transaction is intact) and none changed a row."""

    wrote: bool = False
    statement_failed: bool = False

    @property
    def nothing_to_undo(self) -> bool:
        return not self.wrote and not self.statement_failed

    def saw(self, op: Op, result: Any) -> None:
        if isinstance(op, Execute):
            self.wrote |= result != 0
        elif isinstance(op, Returning):
            self.wrote |= result is not None
        elif isinstance(op, ExecuteMany):
            self.wrote |= bool(op.rows)
        # A Query only reads (a write with RETURNING is a `Returning`).


@dataclass(slots=True)
class Running:
    """A unit being driven: its generator, its trace, and the statement it waits for (`op`)."""

    unit: Unit[Any]
    trace: Trace
    op: Op | None = None

    def resume(self, result: Any = None, error: Exception | None = None) -> tuple[bool, Any] | None:
        """Start the unit, or give it its statement's result (or error). Its outcome, (True, value)
        or (False, error), once it ended; else None, and its next statement is in `op`."""
        try:
            if error is not None:
                self.trace.statement_failed = True
                self.op = self.unit.throw(error)
            elif self.op is None:
                self.op = next(self.unit)
            else:
                self.trace.saw(self.op, result)
                self.op = self.unit.send(result)
        except StopIteration as stop:
            return True, stop.value
        except Exception as exc:
            return False, exc
        return None


async def drive(conn: asyncpg.Connection, unit: Unit[T], trace: Trace | None = None) -> T:
    """Run `unit` on `conn` (inside the caller's transaction); an error goes back into the unit."""
    running = Running(unit, trace or Trace())
    outcome = running.resume()
    while outcome is None:
        assert running.op is not None
        try:
            result = await _perform(conn, running.op)
        except Exception as exc:
            outcome = running.resume(error=exc)
        else:
            outcome = running.resume(result)
    ok, value = outcome
    if not ok:
        raise value
    returned: T = value
    return returned


_WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)
_RETURNING = re.compile(r"\bRETURNING\b", re.IGNORECASE)


@functools.lru_cache(maxsize=256)
def one_row(sql: str, returning: bool) -> str | None:
    """A write statement that answers exactly one row, so that its runs with the parameters of
    several units go in one round trip (asyncpg's `fetchmany`) and each run's row is its own:
    an `Execute` answers its rowcount (`WITH w AS (.. RETURNING 1) SELECT count(*)`); a
    `Returning` the row it wrote, with how many it wrote as a last column (`_written`: 0, and
    NULLs, when it wrote none). None for what is not a plain INSERT, UPDATE or DELETE."""
    sql = sql.rstrip().removesuffix(";")
    if not _WRITE.match(sql) or ";" in sql or bool(_RETURNING.search(sql)) != returning:
        return None
    if returning:
        return f"""WITH w AS ({sql}\n) SELECT w.*, (SELECT count(*) FROM w) AS _written
            FROM (SELECT 1) AS one LEFT JOIN w ON true"""  # noqa: S608
    return f"WITH w AS ({sql}\n RETURNING 1) SELECT count(*) FROM w"  # noqa: S608


def _pipelined(op: Op) -> str | None:
    if isinstance(op, Returning) and op.one_row:
        return pg(op.sql)  # one row already (`Returning.one_row`)
    if isinstance(op, Execute | Returning):
        return one_row(pg(op.sql), isinstance(op, Returning))
    if isinstance(op, Query) and op.single:
        return pg(op.sql)  # one row per run: each unit's is its own
    return None


def _result(op: Op, row: Any) -> Any:
    """What the unit gets for its statement, from its row of a shared round trip (`one_row`, or a
    `single` query's own)."""
    if isinstance(op, Query):
        return row
    if isinstance(op, Execute):
        return int(row[0])
    return row if row["_written"] == 1 else None


def waves(calls: Sequence[Call], runs: Iterable[int]) -> list[list[int]]:
    """The units to run (indexes, in arrival order) in waves of units whose locks are disjoint: a
    unit is in the wave after the last one of an earlier unit sharing a lock with it, so the units
    of one lock run one after the other, in arrival order.

    Except units that check and write what their locks protect in one statement (`Call.single_check`):
    such a unit joins the wave of earlier ones of its kind that share its locks (their statements
    run one after the other, in the wave's order, each seeing those before it: no check falls
    between another's check and its write). A unit of any other kind still waits for the wave
    after them, and they for the wave after it."""
    found: list[list[int]] = []
    #: A lock → the last wave that has a unit of it, and whether all its units there are `single_check`.
    last: dict[tuple[str, int], tuple[int, bool]] = {}
    for index in runs:
        call = calls[index]
        keys = [key_of(lock) for lock in call.locks]
        wave = max(
            (
                at if call.single_check and singles else at + 1
                for at, singles in (last[k] for k in keys if k in last)
            ),
            default=0,
        )
        for key in keys:
            at, singles = last.get(key, (-1, True))
            last[key] = (wave, singles and call.single_check) if at == wave else (wave, call.single_check)
        if wave == len(found):
            found.append([])
        found[wave].append(index)
    return found


async def _run_wave(
    conn: asyncpg.Connection, calls: Sequence[Call], wave: list[int], outcomes: list[tuple[bool, Any]]
) -> bool:
    """Run the units of a wave side by side, each one statement at a time: the same write
    statement of several units goes in one round trip (`one_row`, run in the wave's order), any
    other statement alone. Their locks are disjoint, so no unit of the wave writes the figures
    another one checks (every writer of them holds the lock): a unit sees the others' statements
    between its own as it sees other processes' commits under READ COMMITTED. (Units sharing a
    lock share a wave only when each checks and writes those figures in one statement,
    `Call.single_check`: each such statement sees those run before it.)

    Fills `outcomes`. False when a unit raised after writing (its outcome is filled) or a shared
    round trip failed: the batch must be rolled back (and runs again with a savepoint per unit).
    A conflict goes up.
    """
    running = {index: Running(calls[index].unit(*calls[index].args), Trace()) for index in wave}
    ended = {index: unit.resume() for index, unit in running.items()}
    while True:
        for index, outcome in ended.items():
            if outcome is None:
                continue
            unit = running.pop(index)
            outcomes[index] = outcome
            ok, value = outcome
            if not ok and isinstance(value, RETRIED):
                raise value
            if not ok and not unit.trace.nothing_to_undo:
                calls[index].undone = True
                return False
        if not running:
            return True
        shared: dict[str, list[int]] = {}
        alone: list[int] = []
        for index, unit in running.items():
            assert unit.op is not None
            sql = _pipelined(unit.op)
            (shared.setdefault(sql, []) if sql is not None else alone).append(index)
        ended = {}
        for sql, indexes in shared.items():
            if len(indexes) == 1:
                alone.append(indexes[0])
                continue
            params = [running[index].op.params for index in indexes]  # type: ignore[union-attr]
            try:
                rows = await conn.fetchmany(sql, params)
            except RETRIED:
                raise
            except Exception:  # which unit's is unknown: the batch runs again, unit by unit
                return False
            for index, row in zip(indexes, rows, strict=True):
                ended[index] = running[index].resume(_result(running[index].op, row))  # type: ignore[arg-type]
        for index in sorted(alone):
            unit = running[index]
            assert unit.op is not None
            try:
                result = await _perform(conn, unit.op)
            except Exception as exc:
                ended[index] = unit.resume(error=exc)
            else:
                ended[index] = unit.resume(result)


async def _attempt(
    conn: asyncpg.Connection, calls: list[Call], *, savepoints: bool
) -> list[tuple[bool, Any]] | None:
    """The batch in one READ COMMITTED transaction: each unit's outcome once it commits (`DEFERRED`
    for a unit whose locks were not free); None when a unit of several failed without savepoints
    (rolled back: run it again with them). An error of the transaction itself (a conflict, the
    COMMIT) goes up.

    Order: first the locks of the units deferred before, waited for (the transaction holds
    nothing yet); then the other units' locks, taken only if they are free, at once (`_TRY_LOCK`:
    a unit whose lock another process holds is deferred, not waited for, and the batch goes on);
    then the units that declare no lock and those whose locks were all free, in waves of disjoint
    locks (`waves`, `_run_wave`), each in arrival order. With savepoints, or when a unit of the
    batch is `guarded`, one unit at a time instead.
    """
    if len(calls) == 1 and is_one_statement(calls[0].unit) and not savepoints:
        return [await _lone_statement(conn, calls[0])]  # its locks, if any, its statement takes
    outcomes: list[tuple[bool, Any]] = [(True, DEFERRED)] * len(calls)
    waits = [lock for c in calls if c.wait for lock in c.locks]
    tries = [lock for c in calls if not c.wait for lock in c.locks]
    try:
        free = await begin_with_locks(conn, waits, tries)  # one round trip (was up to three)
        runs = [i for i, c in enumerate(calls) if not c.locks] + [
            i
            for i, c in enumerate(calls)
            if c.locks and (c.wait or all(key_of(lock) in free for lock in c.locks))
        ]  # the others: DEFERRED
        if savepoints or any(calls[i].guarded for i in runs):  # one unit at a time
            groups = [[i] for i in runs]
        else:
            groups = waves(calls, runs)
        for group in groups:
            if savepoints or calls[group[0]].guarded:
                outcomes[group[0]] = await _in_savepoint(conn, calls[group[0]])
            elif not await _run_wave(conn, calls, group, outcomes):
                await _roll_back(conn)
                return [outcomes[0]] if len(calls) == 1 else None  # alone, the rollback undid it
    except BaseException:
        await _roll_back(conn)
        raise
    await conn.execute("COMMIT")
    return outcomes


async def _lone_statement(conn: asyncpg.Connection, call: Call) -> tuple[bool, Any]:
    """A batch of one `execute_one` (one write statement, no locks) or of another `one_statement`
    unit (an announce's `pg_notify`; a job's move and the close of its hold, whose statement
    takes the member's lock first: `move_and_close`): sent on its own, committed by PostgreSQL as
    it ends (autocommit: a NOTIFY is delivered then, the locks released), as atomic and as
    isolated as in a READ COMMITTED transaction of that one statement, without the BEGIN and
    COMMIT round trips. Jobs end one by one, so most of a worker's writes (a job's moves, its
    charge, its delivery's ids) are lone: two round trips of three saved on each; so is a
    gateway's announce of a job it accepted, when its batch has gone (docs/PERFORMANCE.md, item
    8). Waiting for a lock alone, it holds nothing another transaction waits for. A conflict goes
    up, to be run again (`_commit`)."""
    try:
        return True, await drive(conn, call.unit(*call.args))
    except RETRIED:
        raise
    except Exception as exc:
        return False, exc


async def _roll_back(conn: asyncpg.Connection) -> None:
    """Roll back, unless the connection is gone: then there is nothing to roll back, and asking
    would raise asyncpg's "the underlying connection is closed" (or, once the pool has taken the
    connection back, "released back to the pool") over the error that ended the batch, which is
    what the units and the log must get (the server's "terminating connection due to
    administrator command")."""
    with contextlib.suppress(asyncpg.InterfaceError, asyncpg.PostgresError, OSError):
        await conn.execute("ROLLBACK")


async def _in_savepoint(conn: asyncpg.Connection, call: Call) -> tuple[bool, Any]:
    """(True, result), or (False, error) with the unit's statements undone; a conflict goes up."""
    await conn.execute("SAVEPOINT fluxbot_unit")  # in the batch's transaction (`begin_with_locks`)
    trace = Trace()
    try:
        value = await drive(conn, call.unit(*call.args), trace)
    except RETRIED:
        raise
    except Exception as exc:
        call.undone = not trace.nothing_to_undo
        await conn.execute("ROLLBACK TO SAVEPOINT fluxbot_unit")
        return False, exc
    await conn.execute("RELEASE SAVEPOINT fluxbot_unit")
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
        #: This process's copy of the pause, blocks, prompt rules and presets (`ControlsCache`,
        #: bot/store/operator.py), set by `open_services`: writes through this store drop it.
        self.controls: Any = None
        self._batch: list[tuple[Call, asyncio.Future[Any]]] = []
        self._batches = 0  # batches committed
        self._failed: dict[UnitFunction, int] = {}  # a kind of unit → the batch it was last undone in
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
        call = Call(
            unit, args, tuple(locks_of(unit, args)), guarded=guarded, single_check=single_check_of(unit, args)
        )
        self._batch.append((call, future))
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
                if call.undone:
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
            alone = dataclasses.replace(call, wait=True)
            try:
                outcomes.extend(await self._commit([alone]))
            except RETRIED as exc:
                outcomes.append((False, exc))
            except Exception as exc:
                outcomes.extend((False, exc) for _ in calls[index:])
                break
            finally:
                call.undone = alone.undone
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
        except (asyncpg.PostgresError, OSError, asyncpg.InterfaceError, asyncpg.InternalClientError):
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
    A connection the server ended is not found by a reset but by `EndingConnection`.
    """


#: An ErrorResponse after which the server closes the session: its severity as the field `V`
#: (not translated; PostgreSQL 9.6 and later) reads inside the message.
_SESSION_ENDS = (b"\x00VFATAL\x00", b"\x00VPANIC\x00")


def ends_session(data: bytes) -> bool:
    """Whether bytes read from the server begin with an ErrorResponse that ends the session."""
    return data[:1] == b"E" and any(severity in data for severity in _SESSION_ENDS)


class EndingConnection(asyncpg.Connection):
    """A pool connection that ends the moment the server says it ends the session, not at the
    end of the stream that follows.

    A server that ends a session (`pg_terminate_backend`, a restart, an idle timeout) sends an
    ErrorResponse of severity FATAL, then closes the socket. When no statement is under way,
    asyncpg reads that FATAL as a message it did not expect and only marks its protocol busy
    ("error consume"); the connection counts as open until asyncpg reads the end of the stream,
    at least one turn of the event loop later (longer when the server is slow to close). A
    statement sent on it in between fails with asyncpg's `InternalClientError` "cannot switch to
    state N; another operation (2) is in progress" (MagicStack/asyncpg#784, #1069). Two ways in:
    the pool hands out a connection that heard the FATAL at rest (it asks only `is_closed()`), or
    one in use hears it between two statements; asyncpg's default reset query, sent at every
    release, is then that next statement (so reverting ad01fc0 turned successful uses of the pool
    into errors at their release while PostgreSQL stopped; tests/store/test_pool.py).

    So when what is read from the server begins with such an ErrorResponse, the connection is
    terminated once asyncpg has read it: a statement waiting gets "connection was closed in the
    middle of operation" with the server's error (as at the end of the stream), the pool gives
    the next acquirer a new connection, and a statement on it after that gets "connection is
    closed": store refusals, all. The cost is a comparison per read, no round trip.
    """

    def __init__(self, protocol: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(protocol, *args, **kwargs)
        connection = weakref.ref(self)  # as the protocol holds its connection
        received = protocol.data_received

        def data_received(data: bytes) -> None:
            received(data)
            if ends_session(data):
                conn = connection()
                if conn is not None and not conn.is_closed():
                    conn.terminate()

        # asyncpg's Protocol is a Python class, so the instance's attribute can replace the method.
        # asyncio's transport looks it up at each read; uvloop's took it once, when the protocol
        # was set, so the protocol is set again: uvloop's `set_protocol` reads `data_received`
        # anew, asyncio's (plain or TLS) only records the protocol it already has.
        protocol.data_received = data_received
        self._transport.set_protocol(protocol)


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
    pool = await asyncpg.create_pool(
        url, min_size=min_size, max_size=max_size, reset=keep_session, connection_class=EndingConnection
    )
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
