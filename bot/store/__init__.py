"""The SQLite store: one connection, numbered migrations, repositories of plain SQL."""

from bot.store.db import Database, apply_migrations, open_database

__all__ = ["Database", "apply_migrations", "open_database"]
