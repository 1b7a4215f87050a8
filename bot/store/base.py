"""What every store backend offers: the transaction a caller holds (`Transaction`)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from bot.store.statements import Sql, Unit, many_unit, query_unit, statement_unit

T = TypeVar("T")


class Transaction(ABC):
    """A write transaction in progress (`Database.transaction()`), for admin paths and tests.

    Everything in it commits together when the `async with` block ends, or nothing does.
    """

    dialect: str

    @abstractmethod
    async def run(self, unit: Callable[..., Unit[T]], *args: Any) -> T:
        """Run the unit `unit(*args)` inside this transaction (bot/store/statements.py)."""

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
