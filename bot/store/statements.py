"""Atomic units of store work, written once for every backend.

A unit is a generator that yields the statements it needs (`Query`, `Execute`, `ExecuteMany`) and
receives each one's result; it does no I/O of its own. A backend drives it: SQLite synchronously in
its connection's thread, group-committed with the other units of the moment, each in a savepoint
(`bot/store/db.py`); PostgreSQL in a READ COMMITTED transaction shared with the units of the
moment, after the locks they declared (`locking`), run again from the start when the database
reports a conflict (`bot/store/postgres.py`). Because a unit only *asks* for statements, running
it again is safe.

    def close_job(move: Transition, close: Statement) -> Unit[None]:
        yield from move.write()                # a sub-unit: its statements, in this unit
        yield Execute(*close)

    await db.atomic(close_job, move, close)

SQL takes its values as `?` parameters (PostgreSQL gets them as `$1..$n`, `numbered`); where the two
dialects really differ, a statement carries both (`PerDialect`). The units of a job's life are in
`bot/store/units.py`.
"""

from __future__ import annotations

import functools
import re
import sqlite3
from collections.abc import Callable, Generator, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, TypeVar

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

SQLITE = "sqlite"
POSTGRESQL = "postgresql"


class PerDialect(NamedTuple):
    """One statement as each dialect spells it (only where portable SQL cannot say it)."""

    sqlite: str
    postgresql: str


Sql = str | PerDialect


def sql_for(sql: Sql, dialect: str) -> str:
    if isinstance(sql, PerDialect):
        return sql.postgresql if dialect == POSTGRESQL else sql.sqlite
    return sql


@dataclass(frozen=True, slots=True)
class Query:
    """Rows of a query: a list of rows (each `row[0]` and `row["name"]`), or one row or None."""

    sql: Sql
    params: tuple[Any, ...] = ()
    one: bool = False
    #: It answers exactly one row whatever its parameters (an aggregate without GROUP BY, a SELECT
    #: without FROM; implies `one`): on PostgreSQL the same query of several units of a batch's
    #: wave then goes in one round trip, as their writes do (bot/store/postgres.py `_pipelined`).
    single: bool = False


@dataclass(frozen=True, slots=True)
class Execute:
    """A write statement; its result is the number of rows it changed."""

    sql: Sql
    params: tuple[Any, ...] = ()


@dataclass(frozen=True, slots=True)
class Returning:
    """A write statement with `RETURNING`: its result is the one row it wrote, or None when it
    wrote none (an `INSERT .. SELECT .. WHERE` whose condition found nothing).

    `one_row`: the statement (PostgreSQL only) already answers exactly one row, whose last column
    `_written` says how many rows it wrote (0, its other columns NULL, or 1): a statement of
    several writes (`WITH a AS (INSERT ..), b AS (INSERT ..) SELECT ..`), which PostgreSQL cannot
    wrap in a CTE of its own as it does a plain write (`bot.store.postgres.one_row`)."""

    sql: Sql
    params: tuple[Any, ...] = ()
    one_row: bool = False


@dataclass(frozen=True, slots=True)
class ExecuteMany:
    """The same write statement once per row of parameters; its result is None."""

    sql: Sql
    rows: Sequence[tuple[Any, ...]]


Op = Query | Execute | Returning | ExecuteMany
#: A unit's generator: yields statements, receives their results, returns the unit's result.
Unit = Generator[Op, Any, T]
UnitFunction = Callable[..., Unit[Any]]


@dataclass(frozen=True, slots=True, order=True)
class Lock:
    """What a unit must have to itself before its first statement, on a backend of several writers.

    SQLite has one writer at a time and takes none of these. PostgreSQL runs a batch of units in
    READ COMMITTED and takes every lock its units name first, all at once and in one order
    (bot/store/postgres.py), so that the figures a unit checks (a guild's and a member's quota
    totals, a member's unfinished jobs) are the latest committed and stay so until it commits,
    and two batches never wait on each other in a circle. docs/DEVELOPING.md "Locks" says which
    lock protects which invariant.
    """

    scope: str
    key: int


def guild_lock(guild_id: int | None) -> Lock:
    """Every write of a guild's quota totals (its `ledger_totals` rows: the guild's and its
    members'), and every check of them (the hold), holds this (outside a guild: key 0)."""
    return Lock("guild", guild_id or 0)


def member_lock(user_id: int) -> Lock:
    """A new job of the member (the queue check counts their unfinished jobs in every server) and
    the erasure of the member's rows hold this."""
    return Lock("member", user_id)


_LOCKS: dict[Callable[..., Any], Callable[..., Iterable[Lock]]] = {}
_SINGLE_CHECKS: dict[Callable[..., Any], Callable[..., bool]] = {}


def locking(
    locks: Callable[..., Iterable[Lock]], *, single_check: Callable[..., bool] | None = None
) -> Callable[[F], F]:
    """Declare the locks a unit function takes, as a function of the unit's arguments.

    `single_check` (a function of the same arguments): whether the unit reads and writes what its
    locks protect in one statement (the check and the write together, as a quota hold does), and
    its other statements touch none of it. Units of that kind that share a lock may run side by
    side in one transaction (bot/store/postgres.py `waves`): each statement sees those run before
    it, so one unit's check can never fall between another's check and its write."""

    def declare(unit: F) -> F:
        _LOCKS[unit] = locks
        if single_check is not None:
            _SINGLE_CHECKS[unit] = single_check
        return unit

    return declare


#: Units of exactly one statement on PostgreSQL, and no locks but those their statement takes
#: itself (`one_statement`).
_ONE_STATEMENT: set[Callable[..., Any]] = set()


def one_statement(unit: F) -> F:
    """Declare that `unit` sends exactly one statement on PostgreSQL, and either declares no lock
    or its statement takes the locks it declares itself before it writes (`locks_taken`): a batch
    of it alone goes to PostgreSQL without BEGIN and COMMIT, autocommitted (bot/store/postgres.py
    `_lone_statement`), as atomic as in a transaction of that one statement and holding its locks
    until it commits, as that transaction would."""
    _ONE_STATEMENT.add(unit)
    return unit


def is_one_statement(unit: Callable[..., Any]) -> bool:
    return unit in _ONE_STATEMENT


def lock_keys(locks: Iterable[Lock]) -> tuple[list[str], list[int]]:
    """The advisory lock keys of `locks` on PostgreSQL, each once, in the one order every
    transaction takes them in: (scopes, int4 keys)."""
    keys = sorted({(lock.scope, int4_key(lock.key)) for lock in locks})
    return [scope for scope, _ in keys], [key for _, key in keys]


def int4_key(value: int) -> int:
    """A key of any size folded into PostgreSQL's int4 (two ids may share a lock: that only
    serializes them, and the sort is by the folded key, so the order stays one)."""
    folded = (value ^ (value >> 32)) & 0xFFFFFFFF
    return folded - (1 << 32) if folded >= 1 << 31 else folded


#: PostgreSQL: waits for locks, in the order of their arrays (`{keys}`: the scopes' and the int4
#: keys' arrays, as `lock_keys` gives them); one row, `n` of them. The one spelling of a `Lock` as
#: a transaction-level advisory lock of two int4 keys, the first naming the schema and the lock's
#: scope: a batch's BEGIN script (bot/store/postgres.py) and a statement that takes its own locks
#: (`locks_taken`) must name the same lock. One its transaction holds already is taken again at once.
LOCKS_OF = """SELECT count(pg_advisory_xact_lock(hashtext(current_schema() || ':' || s), k)) AS n
    FROM unnest({keys}) AS t(s, k)"""
LOCKS_TAKEN = LOCKS_OF.format(keys="CAST(? AS text[]), CAST(? AS int4[])")


def locks_taken(locks: Iterable[Lock]) -> tuple[str, tuple[Any, ...]]:
    """`LOCKS_TAKEN` and its parameters, for a statement that takes its own locks (a CTE
    `MATERIALIZED`, read before its writes: `bot.store.units.move_and_close`)."""
    scopes, keys = lock_keys(locks)
    return LOCKS_TAKEN, (scopes, keys)


def single_check_of(unit: Callable[..., Any], args: Sequence[Any]) -> bool:
    """Whether `unit(*args)` checks and writes what its locks protect in one statement (`locking`)."""
    declared = _SINGLE_CHECKS.get(unit)
    return declared is not None and bool(declared(*args))


def locks_of(unit: Callable[..., Any], args: Sequence[Any]) -> Iterable[Lock]:
    """The locks `unit(*args)` declared (none for most units: a single compare-and-set statement
    needs none, PostgreSQL re-reads the row it waited for)."""
    declared = _LOCKS.get(unit)
    return declared(*args) if declared is not None else ()


def drive_sqlite(conn: sqlite3.Connection, unit: Unit[T]) -> T:
    """Run `unit` on `conn`, in the connection's thread; an error goes back into the unit first."""
    try:
        op = next(unit)
        while True:
            try:
                result = _perform_sqlite(conn, op)
            except Exception as exc:  # the unit may handle it; if not, `throw` raises it again
                op = unit.throw(exc)
            else:
                op = unit.send(result)
    except StopIteration as stop:
        value: T = stop.value
        return value


def _perform_sqlite(conn: sqlite3.Connection, op: Op) -> Any:
    if isinstance(op, Execute):
        return conn.execute(sql_for(op.sql, SQLITE), op.params).rowcount
    if isinstance(op, (Query, Returning)):
        cursor = conn.execute(sql_for(op.sql, SQLITE), op.params)
        try:
            if isinstance(op, Query) and not (op.one or op.single):
                return cursor.fetchall()
            return cursor.fetchone()
        finally:
            cursor.close()  # a statement left open would pin the connection's snapshot
    conn.executemany(sql_for(op.sql, SQLITE), op.rows)
    return None


@one_statement
def statement_unit(sql: Sql, params: tuple[Any, ...]) -> Unit[int]:
    """One write statement as a unit; returns its rowcount."""
    changed: int = yield Execute(sql, params)
    return changed


def query_unit(sql: Sql, params: tuple[Any, ...], one: bool) -> Unit[Any]:
    rows = yield Query(sql, params, one)
    return rows


def many_unit(sql: Sql, rows: Iterable[Sequence[Any]]) -> Unit[None]:
    yield ExecuteMany(sql, [tuple(r) for r in rows])


_TOKENS = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|\?")


@functools.lru_cache(maxsize=1024)
def numbered(sql: str) -> str:
    """`?` placeholders as PostgreSQL's `$1..$n` (those inside quotes and comments left alone)."""
    count = 0

    def number(match: re.Match[str]) -> str:
        nonlocal count
        if match.group(0) != "?":
            return match.group(0)
        count += 1
        return f"${count}"

    return _TOKENS.sub(number, sql)
