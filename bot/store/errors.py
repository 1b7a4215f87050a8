"""The store's errors as each backend raises them, for callers that must tell them apart.

SQLite's are here from the start; asyncpg's join them when the PostgreSQL backend is imported
(`add_postgresql`, called by bot/store/postgres.py), so that a process on SQLite never imports
asyncpg (5.5 MB of memory before its first job). Read the classes as attributes of this module
where they are used (`except errors.STORE_REFUSED:`), never imported by name: a name imported before
the backend was would miss its errors (tests/store/test_backends.py checks every module).
"""

from __future__ import annotations

import errno
import sqlite3

#: A constraint refused the write (a unique index, a CHECK, the ledger's append-only trigger).
INTEGRITY_ERRORS: tuple[type[Exception], ...] = (sqlite3.IntegrityError,)
#: Any error of the store itself (not of the caller's code): the write may be retried later.
STORE_ERRORS: tuple[type[Exception], ...] = (sqlite3.Error,)
#: A write that did not happen for a reason outside the code: the store's or the disk's.
STORE_OR_DISK_ERRORS: tuple[type[Exception], ...] = (*STORE_ERRORS, OSError)
#: The store refused a write for now (SQLite: locked beyond busy_timeout, a full disk; PostgreSQL:
#: the connection was lost, the server is shutting down or out of resources, or a conflict with
#: another process outlasted the store's retries: a serialization failure or a deadlock, which
#: PostgreSQL rolled back whole). The job manager
#: resumes the job in a moment from what the store says (a write cut off in its COMMIT may have
#: landed or not: every step is a compare-and-set, so reading it back is the answer).
STORE_REFUSED: tuple[type[Exception], ...] = (sqlite3.OperationalError, ConnectionError)
#: A backend's own "disk full" (PostgreSQL: 53100).
DISK_FULL: tuple[type[Exception], ...] = ()

#: Errors of the disk that mean "no room" or "not writable": the member can do nothing but wait.
DISK_REFUSED_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS})
SQLITE_DISK_REFUSED = frozenset({sqlite3.SQLITE_FULL, sqlite3.SQLITE_READONLY})


def add_postgresql() -> None:
    """asyncpg's errors into the classes above (once; the PostgreSQL backend calls it when imported)."""
    global INTEGRITY_ERRORS, STORE_ERRORS, STORE_OR_DISK_ERRORS, STORE_REFUSED, DISK_FULL
    import asyncpg  # only a process on PostgreSQL gets here

    if asyncpg.PostgresError in STORE_ERRORS:
        return
    INTEGRITY_ERRORS = (*INTEGRITY_ERRORS, asyncpg.IntegrityConstraintViolationError)
    STORE_ERRORS = (*STORE_ERRORS, asyncpg.PostgresError, asyncpg.InterfaceError, asyncpg.InternalClientError)
    STORE_OR_DISK_ERRORS = (*STORE_ERRORS, OSError)
    STORE_REFUSED = (
        *STORE_REFUSED,
        asyncpg.PostgresConnectionError,
        asyncpg.InterfaceError,  # among them: the connection does not exist any more
        # asyncpg's protocol lost its footing (a statement on a connection the server ended, which
        # bot/store/postgres.py `EndingConnection` leaves rare); asyncpg then drops the connection
        asyncpg.InternalClientError,
        asyncpg.InsufficientResourcesError,
        asyncpg.OperatorInterventionError,  # the server is shutting down or restarting
        asyncpg.TransactionRollbackError,  # SQLSTATE 40: a conflict, rolled back; safe to try again
    )
    DISK_FULL = (*DISK_FULL, asyncpg.DiskFullError)


def refused_by_disk(exc: BaseException) -> bool:
    """A full or read-only disk, as a file write (ENOSPC, EDQUOT, EROFS), SQLite (SQLITE_FULL,
    SQLITE_READONLY and its extended codes) or PostgreSQL (disk full, 53100) reports it."""
    if isinstance(exc, OSError):
        return exc.errno in DISK_REFUSED_ERRNOS
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", None)
        return code is not None and code & 0xFF in SQLITE_DISK_REFUSED
    return isinstance(exc, DISK_FULL)
