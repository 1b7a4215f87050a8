"""The store's errors as each backend raises them, for callers that must tell them apart."""

from __future__ import annotations

import sqlite3

import asyncpg

#: A constraint refused the write (a unique index, a CHECK, the ledger's append-only trigger).
INTEGRITY_ERRORS: tuple[type[Exception], ...] = (
    sqlite3.IntegrityError,
    asyncpg.IntegrityConstraintViolationError,
)
#: Any error of the store itself (not of the caller's code): the write may be retried later.
STORE_ERRORS: tuple[type[Exception], ...] = (sqlite3.Error, asyncpg.PostgresError, asyncpg.InterfaceError)
