"""One SQLite file, one connection, one writer at a time.

Every write is atomic under the writer's lock with `BEGIN IMMEDIATE`, so a check-then-insert (a
quota hold, a queue limit) holds however many commands arrive at once, and another process on the
same file (the CLI next to the bot) waits instead of interleaving. Admin paths and tests use
`Database.transaction()`; the job manager's hot-path writes (an accept, a state change, a charge)
are group-committed (`execute_one`, `atomic`: many units in one transaction and one hop to the
connection's thread), and those go ahead of waiting transactions (`WriterLock`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar
from urllib.request import pathname2url

import aiosqlite

from bot.store.base import Database, Transaction
from bot.store.files import PRIVATE_FOLDER_MODE, private_folder
from bot.store.migrations import (
    SchemaTooNew,
    latest_schema_version,
    list_migrations,
    migrations_dir,
    refuse_newer_schema,
)
from bot.store.statements import SQLITE, Sql, Unit, UnitFunction, drive_sqlite, sql_for, statement_unit

log = logging.getLogger(__name__)

__all__ = [
    "Database",
    "SchemaTooNew",
    "latest_schema_version",
    "list_migrations",
    "migrations_dir",
    "refuse_newer_schema",
]

T = TypeVar("T")

#: One SQL statement and its parameters, built ahead to run inside a caller's transaction or unit.
Statement = tuple[Sql, tuple[Any, ...]]


def refuse_newer_file(path: Path) -> None:
    """`SchemaTooNew` for a database file from a newer fluxbot, read only: before anything is created,
    locked or tightened beside it. A file that cannot be read this way is left to the check after opening."""
    try:
        version = read_schema_version(path)
    except sqlite3.Error:
        return
    if version is not None:
        refuse_newer_schema(path, version)


def read_schema_version(path: Path) -> int | None:
    """The database file's schema version, None when there is no file; creates and changes nothing.

    Without a write-ahead log beside it the file is the whole database, and it is read as
    immutable, so SQLite does not create `-wal`/`-shm` files either. With one (the bot is running,
    or was killed) it is read through the log, whose pages may be newer than the file's.
    """
    if not path.is_file():
        return None
    immutable = not path.with_name(path.name + "-wal").exists()
    uri = _read_only_uri(path) + ("&immutable=1" if immutable else "")
    conn = sqlite3.connect(uri, uri=True)
    try:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    finally:
        conn.close()


def read_file_only(path: Path, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
    """Rows of one query on the database file, read as `read_schema_version` reads it: nothing is
    created or changed (for `doctor`). Blocking: call it from a thread."""
    immutable = not path.with_name(path.name + "-wal").exists()
    conn = sqlite3.connect(_read_only_uri(path) + ("&immutable=1" if immutable else ""), uri=True)
    conn.row_factory = sqlite3.Row
    try:
        return list(conn.execute(sql, tuple(params)).fetchall())
    finally:
        conn.close()


class WriterLock:
    """The write connection's lock: first come, first served, except that group commits go first.

    A group commit (`Database.execute_one`, `Database.atomic`) is one hop to the connection's
    thread and mostly moves jobs that are already accepted (a job cannot be sent to its provider
    before `submitting` is committed); a transaction is several hops. In plain arrival order,
    200 commands accepted as transactions made the first job's submit wait for all 200 accepts
    (0.6 s, benchmarks/vs_official_client.py); now a group commit waits for the transaction in
    progress only. The two take turns when both wait, so a stream of group commits never starves
    a command. Ownership passes straight to the next waiter, so nobody can slip in between.
    """

    def __init__(self) -> None:
        self._held = False
        self._holder_urgent = False
        self._urgent: deque[asyncio.Future[None]] = deque()
        self._waiting: deque[asyncio.Future[None]] = deque()

    def locked(self) -> bool:
        return self._held

    async def acquire(self, *, urgent: bool = False) -> None:
        if not self._held and not self._urgent and not self._waiting:
            self._held, self._holder_urgent = True, urgent
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue = self._urgent if urgent else self._waiting
        queue.append(future)
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self.release()  # handed the lock just as we were cancelled: pass it on
            else:
                queue.remove(future)
            raise
        self._holder_urgent = urgent

    def release(self) -> None:
        # Group commits first, unless one just ran and a transaction is waiting (its turn).
        order = (self._waiting, self._urgent) if self._holder_urgent else (self._urgent, self._waiting)
        for queue in order:
            while queue:
                future = queue.popleft()
                if not future.done():
                    future.set_result(None)  # ownership passes on; `_held` stays True
                    return
        self._held = False

    @asynccontextmanager
    async def hold(self, *, urgent: bool = False) -> AsyncIterator[None]:
        await self.acquire(urgent=urgent)
        try:
            yield
        finally:
            self.release()

    async def __aenter__(self) -> None:
        await self.acquire()

    async def __aexit__(self, *exc: object) -> None:
        self.release()


class SqliteDatabase(Database):
    """The embedded store: one SQLite file, a write connection with group commit, read-only readers."""

    def __init__(
        self,
        conn: aiosqlite.Connection,
        path: Path,
        reader: aiosqlite.Connection | None = None,
        *,
        data_dir: Path | None = None,
    ) -> None:
        self.conn = conn
        self.path = path
        self.data_dir = data_dir if data_dir is not None else path.parent
        #: A second, read-only connection (WAL lets it read while a write is in progress), so a
        #: command's lookups never queue behind other jobs' writes. None for `:memory:`.
        self.reader = reader
        #: A third, for reads of megabytes (reference images), so that commands' lookups do not
        #: queue behind them either. Opened on first use.
        self._bulk_reader: aiosqlite.Connection | None = None
        self._bulk_opening = asyncio.Lock()
        #: A plain read-only connection used on the event loop itself, for `fetchall_now`.
        self._inline: sqlite3.Connection | None = None
        self._lock = WriterLock()
        self._batch: list[tuple[UnitFunction, tuple[Any, ...], bool, asyncio.Future[Any]]] = []
        self._flusher: asyncio.Task[None] | None = None

    dialect = SQLITE

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """A write transaction; commits on success, rolls back on any error."""
        async with self._lock:
            try:
                await self.conn.execute("BEGIN IMMEDIATE")
            except BaseException:
                # Cancelled (a task stopped at shutdown) while BEGIN was on its way: it still runs
                # on the connection's thread, which takes statements in order, so the next one
                # there rolls it back. Otherwise the writer stayed inside a transaction for good
                # and every later write failed ("cannot start a transaction within a transaction").
                await asyncio.shield(self.conn._execute(_rollback_if_open, self.conn._conn))
                raise
            try:
                yield SqliteTransaction(self.conn)
            except BaseException:
                # SQLite has already rolled back after some errors (SQLITE_FULL, SQLITE_IOERR); a
                # second ROLLBACK would raise and hide the real error.
                if self.conn.in_transaction:
                    await self.conn.execute("ROLLBACK")
                raise
            else:
                await self.conn.execute("COMMIT")

    async def fetchall(self, sql: Sql, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """A read of committed data (outside any transaction; inside one, use its connection)."""
        rows: list[sqlite3.Row] = await self._read(sql, params, one=False)
        return rows

    async def fetchall_now(self, sql: Sql, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """`fetchall` for a small indexed read that a command waits on before it is acknowledged.

        Run on the event loop itself: such a read takes ~30 µs, while the hop to a connection's
        thread and back took 3 ms at the median and 25 ms at p99 under load (the thread and then
        the loop each wait for the GIL; benchmarks/ack_latency.py). Never waits for a lock: when
        SQLite is busy (a checkpoint, another process), the read goes through `fetchall` instead.
        Only for queries answered from an index in a few pages.
        """
        if self.reader is None:
            return await self.fetchall(sql, params)
        if self._inline is None:
            self._inline = sqlite3.connect(
                _read_only_uri(self.path), uri=True, isolation_level=None, check_same_thread=False
            )
            self._inline.row_factory = sqlite3.Row
            self._inline.execute("PRAGMA query_only = ON")
            self._inline.execute("PRAGMA busy_timeout = 0")
        try:
            rows: list[sqlite3.Row] = _fetch(self._inline, sql, tuple(params), False)
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode not in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                raise
            return await self.fetchall(sql, params)
        return rows

    async def fetchall_bulk(self, sql: Sql, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """`fetchall` for rows of megabytes, on a connection of their own (20 ms each under load)."""
        if self.reader is None:
            return await self.fetchall(sql, params)
        async with self._bulk_opening:
            if self._bulk_reader is None:
                self._bulk_reader = await open_reader(self.path)
        rows: list[sqlite3.Row] = await _in_thread(self._bulk_reader, sql, params, one=False)
        return rows

    async def close(self) -> None:
        """The readers; the write connection is closed by `open_database` on exit."""
        await self.close_readers()

    async def close_readers(self) -> None:
        for reader in (self.reader, self._bulk_reader):
            if reader is not None:
                await reader.close()
        self.reader = self._bulk_reader = None
        if self._inline is not None:
            self._inline.close()
            self._inline = None

    async def fetchone(self, sql: Sql, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        row: sqlite3.Row | None = await self._read(sql, params, one=True)
        return row

    async def _read(self, sql: Sql, params: Sequence[Any], *, one: bool) -> Any:
        """Run the query, fetch and close its cursor in *one* hop to the connection's thread.

        SQLite keeps a connection's read transaction (its snapshot) open while any statement on
        it is active. Spread over hops (execute, fetch, close), overlapping reads would keep one
        statement active at all times, and the reader would go on seeing the database as it was
        before the latest commits (tests/store/test_reads.py). One hop is also a third of the
        event-loop wake-ups per read, which is what a command's acknowledgement waits on.
        """
        if self.reader is not None:
            return await _in_thread(self.reader, sql, params, one=one)
        async with self._lock:
            return await _in_thread(self.conn, sql, params, one=one)

    async def execute(self, sql: Sql, params: Sequence[Any] = ()) -> None:
        """A single-statement write in its own transaction."""
        async with self.transaction() as conn:
            await conn.execute(sql, params)

    async def execute_one(self, sql: Sql, params: Sequence[Any] = ()) -> int:
        """One write statement, durable when this returns; returns its rowcount.

        Group commit, for the job manager's hot path (a compare-and-set state change is one
        UPDATE): see `atomic`. A statement is atomic by itself, so it needs no savepoint.
        """
        count: int = await self._group(statement_unit, (sql, tuple(params)), savepoint=False)
        return count

    async def atomic(self, unit: Callable[..., Unit[T]], *args: Any) -> T:
        """Run the unit `unit(*args)` (bot/store/statements.py) in the connection's thread, atomically.

        Group commit: units arriving while a batch is written wait for the next batch, and a batch
        is `BEGIN IMMEDIATE; ...; COMMIT` in *one* hop to the connection's thread, each unit inside
        its own savepoint. Under load each hop costs event-loop iterations (and a wait for the
        GIL), and writers queue behind each other, so one hop per batch instead of several per
        write is what keeps the store from becoming the queue: 200 commands accepted at once took
        0.6 s as transactions of six hops each (benchmarks/vs_official_client.py). A unit that
        raises is rolled back alone and its caller gets the exception; nobody is answered before
        the COMMIT; when the transaction itself fails (a full disk, a COMMIT refused), every unit
        in it fails. The unit's statements run on a plain `sqlite3.Connection`, in that thread.
        """
        result: T = await self._group(unit, args, savepoint=True)
        return result

    async def _group(self, unit: UnitFunction, args: tuple[Any, ...], *, savepoint: bool) -> Any:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._batch.append((unit, args, savepoint, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_batches(), name="fluxbot-db-batch")
        return await future

    async def _flush_batches(self) -> None:
        while self._batch:
            async with self._lock.hold(urgent=True):
                batch, self._batch = self._batch, []
                try:
                    # aiosqlite runs `_run_batch` in its connection thread, like any statement.
                    outcomes = await self.conn._execute(_run_batch, self.conn._conn, batch)
                except Exception as exc:
                    for *_, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
            for (*_, future), (ok, value) in zip(batch, outcomes, strict=True):
                if future.done():
                    continue
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(value)

    async def executemany(self, sql: Sql, rows: Iterable[Sequence[Any]]) -> None:
        async with self.transaction() as conn:
            await conn.executemany(sql, rows)

    async def schema_version(self) -> int:
        row = await self.fetchone("PRAGMA user_version")
        return int(row[0]) if row else 0

    async def ping(self) -> bool:
        try:
            await self.fetchone("SELECT 1")
        except (sqlite3.Error, ValueError):
            return False
        return True


def _fetch(conn: sqlite3.Connection, sql: Sql, params: tuple[Any, ...], one: bool) -> Any:
    """In the connection's thread: one query, start to finish (its statement is reset on return)."""
    cursor = conn.execute(sql_for(sql, SQLITE), params)
    try:
        return cursor.fetchone() if one else cursor.fetchall()
    finally:
        cursor.close()


async def _in_thread(conn: aiosqlite.Connection, sql: Sql, params: Sequence[Any], *, one: bool) -> Any:
    """`_fetch` as one call in the aiosqlite connection's thread."""
    return await conn._execute(_fetch, conn._conn, sql, tuple(params), one)


class SqliteTransaction(Transaction):
    """A transaction on the write connection: each call is one hop to the connection's thread."""

    dialect = SQLITE

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def run(self, unit: Callable[..., Unit[T]], *args: Any) -> T:
        result: T = await self.conn._execute(drive_sqlite, self.conn._conn, unit(*args))
        return result


def _rollback_if_open(conn: sqlite3.Connection) -> None:
    """On the connection's thread: end a transaction left open (its BEGIN's caller was cancelled)."""
    if conn.in_transaction:
        conn.execute("ROLLBACK")


def _run_batch(
    conn: sqlite3.Connection, batch: list[tuple[UnitFunction, tuple[Any, ...], bool, Any]]
) -> list[tuple[bool, Any]]:
    """In the connection's thread: the units of one group commit, in one transaction.

    Returns (True, result) or (False, exception) per unit. Raises when the transaction itself
    fails (then nothing of the batch was committed).
    """
    conn.execute("BEGIN IMMEDIATE")
    outcomes: list[tuple[bool, Any]] = []
    try:
        for unit, args, savepoint, _ in batch:
            if savepoint:
                conn.execute("SAVEPOINT unit")
            try:
                value = drive_sqlite(conn, unit(*args))
            except Exception as exc:
                if not conn.in_transaction:
                    raise  # SQLite rolled the whole transaction back (SQLITE_FULL, IOERR, ...)
                if savepoint:
                    conn.execute("ROLLBACK TO unit")
                    conn.execute("RELEASE unit")
                outcomes.append((False, exc))
            else:
                if savepoint:
                    conn.execute("RELEASE unit")
                outcomes.append((True, value))
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return outcomes


async def apply_migrations(db: SqliteDatabase, folder: Path | None = None) -> list[int]:
    """Bring the schema to the newest version; each migration in one transaction. Returns those applied.

    A database newer than the migrations is refused (`SchemaTooNew`) before anything is written.
    """
    current = await db.schema_version()
    refuse_newer_schema(db.path, current, folder)
    applied = []
    for number, path in list_migrations(folder):
        if number <= current:
            continue
        statements = _split_sql(path.read_text(encoding="utf-8"))
        async with db._lock:
            # One script in its own transaction: `execute` would keep each statement in the write
            # connection's statement cache until it closed (0.7 MB after migrating a new file).
            version = f"PRAGMA user_version = {number:d};"
            script = "\n".join(["BEGIN IMMEDIATE;", *statements, version, "COMMIT;"])
            try:
                await db.conn.executescript(script)
            except BaseException:
                if db.conn.in_transaction:
                    await db.conn.execute("ROLLBACK")
                raise
        log.info("database migrated to version %d (%s)", number, path.name)
        applied.append(number)
    return applied


def _split_sql(script: str) -> list[str]:
    """Split a migration into statements; `sqlite3.complete_statement` knows where each ends."""
    statements, buffer = [], ""
    for line in script.splitlines(keepends=True):
        if not buffer and (not line.strip() or line.lstrip().startswith("--")):
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        raise RuntimeError("migration ends with an incomplete SQL statement")
    return statements


@asynccontextmanager
async def open_database(
    path: Path, *, migrate: bool = True, data_dir: Path | None = None
) -> AsyncIterator[SqliteDatabase]:
    """Open (and create) the database file in WAL mode, migrated to the newest schema.

    A database from a newer fluxbot is refused (`SchemaTooNew`) before its folder or file is touched.
    The file holds interaction and callback tokens: it (and its folder) is private to the bot's
    user (`make_private`).
    """
    if str(path) != ":memory:":
        if migrate:
            refuse_newer_file(path)
        make_private(path)
    conn = await aiosqlite.connect(str(path), isolation_level=None)
    conn.row_factory = sqlite3.Row
    db: SqliteDatabase | None = None
    try:
        if migrate:
            async with conn.execute("PRAGMA user_version") as cursor:
                row = await cursor.fetchone()
            refuse_newer_schema(path, row[0] if row else 0)
        await conn.execute("PRAGMA journal_mode = WAL")
        # FULL: in WAL mode each COMMIT is fsynced, so a commit that guards a paid submit (or a
        # charge) survives a power loss; NORMAL could lose it and submit twice (docs/RELIABILITY.md).
        await conn.execute("PRAGMA synchronous = FULL")
        await conn.execute("PRAGMA foreign_keys = ON")
        await conn.execute("PRAGMA busy_timeout = 10000")
        db = SqliteDatabase(conn, path, data_dir=data_dir)
        if migrate:
            await apply_migrations(db)
        if str(path) != ":memory:":
            db.reader = await open_reader(path)
        yield db
    finally:
        if db is not None:
            await db.close_readers()
        await conn.close()


#: The database file, its `-wal` and `-shm`: owner only. Its folder: owner only (`PRIVATE_FOLDER_MODE`).
PRIVATE_FILE_MODE = 0o600


def make_private(path: Path) -> None:
    """Create the database's folder (0700) and file (0600) before SQLite does, and tighten old ones.

    SQLite gives the `-wal` and `-shm` files the mode of the database file, so creating that one
    with 0600 first is enough for new files (no process-wide umask change, which other threads
    would see). Files and a folder left readable by an older version are tightened here; the
    folder is left alone when it is the working directory (the operator's, not ours).
    """
    folder = path.parent
    if not folder.exists():
        private_folder(folder)
    elif folder.resolve() != Path.cwd().resolve():
        _tighten(folder, PRIVATE_FOLDER_MODE)
    create_private(path)
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if file.exists():
            _tighten(file, PRIVATE_FILE_MODE)


def create_private(path: Path) -> None:
    """Create `path` (if missing) readable by its owner only, before SQLite opens it.

    SQLite gives the journal files it creates next to a database the database file's mode. An
    existing file is not opened for writing here (on a read-only disk that alone would fail).
    """
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE))


def _tighten(path: Path, mode: int) -> None:
    """Take away what others may do; a disk that refuses (read-only, not ours) only costs a log line."""
    current = path.stat().st_mode & 0o777
    if current & ~mode:
        try:
            path.chmod(current & mode)
        except OSError as exc:
            log.warning(
                "%s is readable by others (mode %o) and could not be tightened (%s); starting anyway",
                path,
                current,
                exc.strerror or exc,
            )
            return
        log.info("%s was readable by others (mode %o); now %o", path, current, current & mode)


async def open_reader(path: Path) -> aiosqlite.Connection:
    """A read-only connection to the same file: in WAL mode it reads while the writer writes."""
    reader = await aiosqlite.connect(_read_only_uri(path), uri=True, isolation_level=None)
    reader.row_factory = sqlite3.Row
    await reader.execute("PRAGMA busy_timeout = 10000")
    await reader.execute("PRAGMA query_only = ON")
    return reader


def _read_only_uri(path: Path) -> str:
    return "file:" + pathname2url(os.path.abspath(path)) + "?mode=ro"
