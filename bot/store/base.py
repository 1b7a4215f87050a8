"""What every store backend offers: the store (`Database`) and a transaction in progress (`Transaction`)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any, TypeVar

from bot.store.statements import Lock, Sql, Unit, many_unit, query_unit, statement_unit

T = TypeVar("T")


class Transaction(ABC):
    """A write transaction in progress (`Database.transaction()`), for admin paths and tests.

    Everything in it commits together when the `async with` block ends, or nothing does.
    """

    dialect: str

    @abstractmethod
    async def run(self, unit: Callable[..., Unit[T]], *args: Any) -> T:
        """Run the unit `unit(*args)` inside this transaction (bot/store/statements.py)."""

    async def lock(self, *locks: Lock) -> None:
        """Take these locks until the transaction ends (bot/store/statements.py `Lock`): before its
        first statement, as `Database.atomic` does for a unit that declares them. Nothing on
        SQLite, whose write transaction already excludes every other writer."""
        return None

    async def execute(self, sql: Sql, params: Sequence[Any] = ()) -> int:
        """One write statement; returns the number of rows it changed."""
        return await self.run(statement_unit, sql, tuple(params))

    async def executemany(self, sql: Sql, rows: Iterable[Sequence[Any]]) -> None:
        await self.run(many_unit, sql, rows)

    async def fetchall(self, sql: Sql, params: Sequence[Any] = ()) -> list[Any]:
        rows: list[Any] = await self.run(query_unit, sql, tuple(params), False)
        return rows

    async def fetchone(self, sql: Sql, params: Sequence[Any] = ()) -> Any:
        return await self.run(query_unit, sql, tuple(params), True)


class Database(ABC):
    """The store: one interface, a backend behind it (`SqliteDatabase`, `PostgresDatabase`).

    Reads see committed data. `atomic` runs a unit (bot/store/statements.py) atomically, and is
    what the hot path uses; `transaction()` is for admin paths and tests.
    """

    dialect: str
    #: Where the megabytes live (`images/`, `inputs/`): files, never rows (bot/store/files.py).
    data_dir: Path

    @abstractmethod
    async def fetchall(self, sql: Sql, params: Sequence[Any] = ()) -> list[Any]:
        """Rows of committed data; each row reads as `row[0]` and as `row["name"]`."""

    @abstractmethod
    async def fetchone(self, sql: Sql, params: Sequence[Any] = ()) -> Any:
        """The first row, or None."""

    async def fetchall_now(self, sql: Sql, params: Sequence[Any] = ()) -> list[Any]:
        """`fetchall` for a small indexed read a command waits on before it is acknowledged."""
        return await self.fetchall(sql, params)

    async def fetchall_bulk(self, sql: Sql, params: Sequence[Any] = ()) -> list[Any]:
        """`fetchall` for rows of megabytes (older versions kept reference images in rows)."""
        return await self.fetchall(sql, params)

    @abstractmethod
    async def execute(self, sql: Sql, params: Sequence[Any] = ()) -> None:
        """A single-statement write in its own transaction."""

    @abstractmethod
    async def execute_one(self, sql: Sql, params: Sequence[Any] = ()) -> int:
        """One write statement, durable when this returns; returns its rowcount."""

    @abstractmethod
    async def executemany(self, sql: Sql, rows: Iterable[Sequence[Any]]) -> None:
        """One statement per row of parameters, all in one transaction."""

    @abstractmethod
    async def atomic(self, unit: Callable[..., Unit[T]], *args: Any) -> T:
        """Run the unit `unit(*args)` atomically, durable when this returns; return its result."""

    @abstractmethod
    def transaction(self) -> AbstractAsyncContextManager[Transaction]:
        """A write transaction; commits on success, rolls back on any error."""

    @abstractmethod
    async def schema_version(self) -> int: ...

    @abstractmethod
    async def ping(self) -> bool:
        """Whether the store answers a trivial query."""

    @abstractmethod
    async def close(self) -> None:
        """Close its connections (the opener, `open_database`, does it on exit)."""
