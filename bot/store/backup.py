"""`python -m bot backup FILE`: a consistent copy of the live database, with SQLite's backup API.

The copy is taken in one step, inside one read transaction: in WAL mode the bot goes on writing
meanwhile, and the copy is the database as it was when that transaction began, every transaction
whole or absent. (Copied page by page in several steps, the backup would start over each time
the bot commits, and under load might never finish.) It is written beside FILE and renamed into
place, so FILE is a whole copy or nothing.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from pathlib import Path

from bot.store.db import create_private
from bot.store.files import PARTIAL, sync_folder


def backup_database(source: Path, target: Path) -> int:
    """Copy `source` to `target`; returns the copy's schema version. The copy is one plain file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + PARTIAL)
    partial.unlink(missing_ok=True)  # left by a backup that was killed
    create_private(partial)  # the copy holds interaction and callback tokens, as the database does
    with closing(sqlite3.connect(source, isolation_level=None)) as live:
        live.execute("PRAGMA busy_timeout = 10000")
        live.execute("PRAGMA query_only = ON")
        with closing(sqlite3.connect(partial, isolation_level=None)) as copy:
            live.backup(copy)  # pages=-1: everything in one step
            copy.execute("PRAGMA journal_mode = DELETE")  # no -wal file needed to open it
            problems = copy.execute("PRAGMA quick_check").fetchone()[0]
            if problems != "ok":
                raise sqlite3.DatabaseError(f"the copy failed SQLite's check: {problems}")
            version = int(copy.execute("PRAGMA user_version").fetchone()[0])
    os.replace(partial, target)
    sync_folder(target.parent)  # the copy's pages are synced by SQLite; its name is synced here
    return version
