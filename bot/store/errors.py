"""The store's errors as each backend raises them, for callers that must tell them apart."""

from __future__ import annotations

import errno
import sqlite3

import asyncpg

#: A constraint refused the write (a unique index, a CHECK, the ledger's append-only trigger).
INTEGRITY_ERRORS: tuple[type[Exception], ...] = (
    sqlite3.IntegrityError,
    asyncpg.IntegrityConstraintViolationError,
)
#: Any error of the store itself (not of the caller's code): the write may be retried later.
STORE_ERRORS: tuple[type[Exception], ...] = (sqlite3.Error, asyncpg.PostgresError, asyncpg.InterfaceError)
#: A write that did not happen for a reason outside the code: the store's or the disk's.
STORE_OR_DISK_ERRORS: tuple[type[Exception], ...] = (*STORE_ERRORS, OSError)
#: The store refused a write for now (SQLite: locked beyond busy_timeout, a full disk; PostgreSQL:
#: the connection was lost, the server is shutting down or out of resources, or a conflict with
#: another process outlasted the store's retries: a serialization failure or a deadlock, which
#: PostgreSQL rolled back whole). The job manager
#: resumes the job in a moment from what the store says (a write cut off in its COMMIT may have
#: landed or not: every step is a compare-and-set, so reading it back is the answer).
STORE_REFUSED: tuple[type[Exception], ...] = (
    sqlite3.OperationalError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,  # among them: the connection does not exist any more
    asyncpg.InsufficientResourcesError,
    asyncpg.OperatorInterventionError,  # the server is shutting down or restarting
    asyncpg.TransactionRollbackError,  # SQLSTATE 40: a conflict, rolled back; safe to try again
    ConnectionError,
)

#: Errors of the disk that mean "no room" or "not writable": the member can do nothing but wait.
DISK_REFUSED_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS})
SQLITE_DISK_REFUSED = frozenset({sqlite3.SQLITE_FULL, sqlite3.SQLITE_READONLY})


def refused_by_disk(exc: BaseException) -> bool:
    """A full or read-only disk, as a file write (ENOSPC, EDQUOT, EROFS), SQLite (SQLITE_FULL,
    SQLITE_READONLY and its extended codes) or PostgreSQL (disk full, 53100) reports it."""
    if isinstance(exc, OSError):
        return exc.errno in DISK_REFUSED_ERRNOS
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", None)
        return code is not None and code & 0xFF in SQLITE_DISK_REFUSED
    return isinstance(exc, asyncpg.DiskFullError)
