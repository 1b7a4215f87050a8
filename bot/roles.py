"""What a `python -m bot run` process does (`--role`), and which processes may run side by side.

    all      everything in one process (the default, and the only role on SQLite)
    gateway  the Discord gateway with its shards: answers commands, buttons and forms, holds quota
             and stores each job queued; it never drives a job
    worker   no gateway connection: takes queued jobs, drives them and delivers the result through
             Discord's REST API (the stored interaction token, or the channel once it expired)

Every role serves `/healthz` and `/metrics` (bot/web.py). Several processes need PostgreSQL: on
SQLite one process does everything, and a second `run` on the same file is refused at start (a
lock beside the file, which the kernel releases even when the process is killed).
"""

from __future__ import annotations

import contextlib
import enum
import fcntl
from collections.abc import Iterator
from pathlib import Path

from bot.errors import ConfigurationError
from bot.settings import Settings
from bot.store.db import refuse_newer_file

#: Suffix of the lock file beside a SQLite database, held by the one `run` process.
LOCK_SUFFIX = ".lock"


class Role(enum.StrEnum):
    ALL = "all"
    GATEWAY = "gateway"
    WORKER = "worker"

    @property
    def has_gateway(self) -> bool:
        """Connects to Discord's gateway and answers interactions."""
        return self is not Role.WORKER

    @property
    def drives_jobs(self) -> bool:
        """Takes queued jobs, submits, follows, downloads and delivers them."""
        return self is not Role.GATEWAY


def lock_file(database: Path) -> Path:
    return database.with_name(database.name + LOCK_SUFFIX)


@contextlib.contextmanager
def may_run(settings: Settings, role: Role) -> Iterator[None]:
    """Refuse, with one line (`ConfigurationError`, exit 2), a role or a second process SQLite cannot
    serve; on SQLite, hold the database's lock for the life of the block."""
    database = settings.sqlite_file
    if database is None:
        yield  # PostgreSQL: any number of gateways and workers
        return
    if role is not Role.ALL:
        raise ConfigurationError(
            f"--role {role} needs PostgreSQL (DATABASE_URL=postgresql://…): on SQLite one process "
            "does everything (--role all)"
        )
    refuse_newer_file(database)  # before the lock file is made beside it
    path = lock_file(database)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ConfigurationError(
                f"another fluxbot is already running on {database}: on SQLite only one process may "
                "(several need PostgreSQL: README, Scaling out)"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
