"""PostgreSQL: the pool never hands out, nor goes on using, a connection the server ended.

The server ends a session with an ErrorResponse of severity FATAL, then the end of the stream.
Through `HeldEndProxy` the end is held back, so the client sits between the two for as long as a
test needs (in real life: a turn of the event loop or more, the race behind the flaky
`test_postgresql_dropping_the_connections_mid_job_only_delays_it` before EndingConnection).

Every test runs on both event loops `python -m bot run` may use (bot/event_loop.py): asyncio's,
which looks the protocol's `data_received` up at each read, and uvloop's, which took it once
(EndingConnection sets the protocol again so that uvloop reads its own `data_received`).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest
import uvloop

from bot.event_loop import run as run_on
from bot.store import errors as store_errors
from bot.store.postgres import PostgresDatabase, open_postgres
from bot.store.statements import Query, Unit
from tests.conftest import TEST_DATABASE_URL, postgresql_schema, postgresql_unavailable
from tests.fakes.pgproxy import HeldEndProxy, held_end_proxy, until_read

#: The loops a test runs on, by name: None is asyncio's default.
LOOPS: dict[str, Callable[[], asyncio.AbstractEventLoop] | None] = {
    "asyncio": None,
    "uvloop": uvloop.new_event_loop,
}

Body = Callable[[PostgresDatabase, HeldEndProxy], Awaitable[None]]


@pytest.fixture(params=list(LOOPS))
def on_loop(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[Body], None]:
    """Runs a test's body on the loop of the parameter, with the store on a pool of one connection
    through a proxy that holds back the end of a session."""
    name = request.param

    async def main(body: Body) -> None:
        loop = asyncio.get_running_loop()
        assert isinstance(loop, uvloop.Loop) == (name == "uvloop"), type(loop)  # never silently asyncio
        reason = await postgresql_unavailable()
        if reason is not None:
            pytest.skip(f"PostgreSQL: {reason}")
        async with postgresql_schema() as url, held_end_proxy(os.environ[TEST_DATABASE_URL]) as proxy:
            db = open_postgres(proxy.url(url), data_dir=tmp_path, min_size=1, max_size=1)
            async with db as opened:
                try:
                    await body(opened, proxy)
                finally:
                    proxy.let_close()  # else closing the pool waits for the end of a session held back

    def run(body: Body) -> None:
        coroutine: Coroutine[Any, Any, None] = main(body)
        run_on(coroutine, LOOPS[name])

    return run


async def end_session(pid: int) -> None:
    """What a restart does to one connection: the server ends its session."""
    import asyncpg

    admin = await asyncpg.connect(os.environ[TEST_DATABASE_URL])
    try:
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await admin.close()


async def end_session_heard(proxy: HeldEndProxy, pid: int, sock: socket.socket) -> None:
    """The server ends the session; the client has read its FATAL, not (held back) its end."""
    await end_session(pid)
    await proxy.until_ended(1)
    await until_read(sock)


def socket_of(conn: Any) -> socket.socket:
    """A duplicate of the connection's socket (to peek at what its loop has not read yet): asyncio's
    transport gives a TransportSocket, uvloop's a PseudoSocket, both with the descriptor."""
    raw = getattr(conn, "_con", conn)  # a pool's proxy, or the connection
    fd = raw._transport.get_extra_info("socket").fileno()
    return socket.fromfd(fd, socket.AF_INET, socket.SOCK_STREAM)


def test_the_connection_ends_when_its_fatal_is_read_not_at_the_end_of_the_stream(on_loop):
    """The FATAL is read, the end of the stream held back: the connection is closed already (on
    uvloop too, whose transport calls the `data_received` it took when the protocol was set:
    without setting it again, nothing ended the connection there until the end of the stream)."""

    async def body(db: PostgresDatabase, proxy: HeldEndProxy) -> None:
        async with db.pool.acquire() as conn:
            raw = conn._con
            pid = await conn.fetchval("SELECT pg_backend_pid()")
            with socket_of(conn) as sock:
                await end_session_heard(proxy, pid, sock)
            assert raw.is_closed()
            assert proxy.ended == 1  # held: what closed it was the FATAL

    on_loop(body)


def test_a_connection_the_server_ended_while_at_rest_is_not_handed_out(on_loop):
    """The FATAL came while the connection sat in the pool, its end has not: the next use of the
    pool gets a new connection. (Before: the pool handed it out and the statement failed with
    asyncpg's InternalClientError "another operation (2) is in progress".)"""

    async def body(db: PostgresDatabase, proxy: HeldEndProxy) -> None:
        async with db.pool.acquire() as conn:
            pid = await conn.fetchval("SELECT pg_backend_pid()")
            sock = socket_of(conn)
        with sock:
            await end_session_heard(proxy, pid, sock)

        row = await db.fetchone("SELECT pg_backend_pid() AS pid")

        assert row["pid"] != pid

    on_loop(body)


def test_a_connection_the_server_ended_between_two_statements_is_a_refused_write(on_loop):
    """The FATAL came between two statements of one use of a connection: the next statement is
    refused as a lost connection is (a store refusal: the job resumes from the store), and the
    pool's next connection works. (Before: InternalClientError, which is no store refusal: a job
    driver ended its job "failed (internal)"; with asyncpg's reset query the release itself raised
    it, after a body that had succeeded.)"""

    async def body(db: PostgresDatabase, proxy: HeldEndProxy) -> None:
        async with db.pool.acquire() as conn:
            pid = await conn.fetchval("SELECT pg_backend_pid()")
            with socket_of(conn) as sock:
                await end_session_heard(proxy, pid, sock)
            with pytest.raises(store_errors.STORE_REFUSED):
                await conn.fetchval("SELECT 1")

        row = await db.fetchone("SELECT pg_backend_pid() AS pid")

        assert row["pid"] != pid

    on_loop(body)


def sleeping_unit(marker: str) -> Unit[None]:
    """One statement that runs until its session is ended (`marker` finds it in pg_stat_activity)."""
    yield Query(f"SELECT pg_sleep(30) AS {marker}", one=True)


def test_a_batch_whose_connection_the_server_ends_is_refused_with_the_servers_reason(on_loop):
    """The server ends the session of a batch under way: its units are refused with what the
    server said (an operator reads "terminating connection due to administrator command"), not
    with asyncpg's "connection has been released back to the pool", which the rollback's check of
    a connection the pool had already taken back raised over it."""
    import asyncpg

    async def body(db: PostgresDatabase, proxy: HeldEndProxy) -> None:
        proxy.let_close()
        # Its own name: the test runs once per event loop, and two runs side by side (`-n 2`) with
        # one name ended each other's statement (the other run's batch ended twice, this one's never).
        marker = f"fluxbot_ended_batch_{secrets.token_hex(6)}"
        running = asyncio.create_task(db.atomic(sleeping_unit, marker))
        admin = await asyncpg.connect(os.environ[TEST_DATABASE_URL])
        try:
            pid = None
            while pid is None:
                await asyncio.sleep(0.02)
                pid = await admin.fetchval(
                    "SELECT pid FROM pg_stat_activity WHERE query LIKE $1 AND pid <> pg_backend_pid()",
                    f"%AS {marker}%",
                )
            assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
        finally:
            await admin.close()

        with pytest.raises(store_errors.STORE_REFUSED) as refused:
            await running

        assert "released back to the pool" not in str(refused.value)
        assert isinstance(refused.value, asyncpg.PostgresError | asyncpg.ConnectionDoesNotExistError)
        assert (await db.fetchone("SELECT 1 AS one"))["one"] == 1  # the pool's next connection works

    on_loop(body)
