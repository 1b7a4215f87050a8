"""The store: one interface (`Database`), on SQLite (embedded, the default) or on PostgreSQL.

`open_database(DATABASE_URL)` opens the right one: `sqlite:///relative/path.sqlite3`,
`sqlite:////absolute/path.sqlite3` (or a plain path), or `postgresql://user@host/db`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from bot.settings import is_postgresql, sqlite_path  # the one parser of DATABASE_URL
from bot.store import db as sqlite_store
from bot.store.base import Database, Transaction
from bot.store.db import apply_migrations

__all__ = [
    "Database",
    "Transaction",
    "apply_migrations",
    "is_postgresql",
    "open_database",
    "shown",
    "sqlite_path",
]


def shown(url: str | Path) -> str:
    """The database as an operator reads it: the SQLite file, or the URL without its password."""
    if not is_postgresql(url):
        return str(sqlite_path(url))
    from bot.store.postgres import redacted

    return redacted(str(url))


@asynccontextmanager
async def open_database(
    url: str | Path, *, data_dir: Path | None = None, migrate: bool = True
) -> AsyncIterator[Database]:
    """The store at `url`, migrated to the newest schema; closed on exit.

    `data_dir` is where images and reference inputs live: by default beside the SQLite file, else
    `data/`.
    """
    if is_postgresql(url):
        from bot.store.postgres import open_postgres  # asyncpg only when it is used

        async with open_postgres(str(url), data_dir=data_dir or Path("data"), migrate=migrate) as pg:
            yield pg
        return
    async with sqlite_store.open_database(sqlite_path(url), migrate=migrate, data_dir=data_dir) as lite:
        yield lite
