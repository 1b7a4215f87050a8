"""A loopback TCP proxy in front of the test PostgreSQL that holds back the end of a session.

When the server ends a session (`pg_terminate_backend`, a restart) it sends an ErrorResponse of
severity FATAL, then closes the socket; the client reads the two one after the other, and what a
client does in between is a race. Through this proxy the client gets the FATAL at once and the
end of the stream only when the test says so (`let_close`), so the in-between is a state a test
can hold still.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from urllib.parse import urlsplit, urlunsplit


class HeldEndProxy:
    def __init__(self, upstream_url: str) -> None:
        parts = urlsplit(upstream_url)
        self.upstream_url = upstream_url
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 5432
        self.server: asyncio.Server | None = None
        self.ended = 0  # sessions the server closed (their FATAL forwarded, their end held back)
        self._ended = asyncio.Condition()
        self._release = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()

    def url(self, url: str) -> str:
        """`url` (the upstream's, with its options) through the proxy."""
        assert self.server is not None
        port = self.server.sockets[0].getsockname()[1]
        parts = urlsplit(url)
        netloc = parts.netloc.rsplit("@", 1)
        host = f"127.0.0.1:{port}"
        return urlunsplit(parts._replace(netloc=f"{netloc[0]}@{host}" if len(netloc) == 2 else host))

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)

    async def close(self) -> None:
        self._release.set()
        if self.server is not None:
            self.server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def let_close(self) -> None:
        """From now on a session the server ended ends for the client too."""
        self._release.set()

    async def until_ended(self, count: int) -> None:
        """Until the server closed `count` sessions, all they sent before forwarded to the client."""
        async with self._ended:
            await self._ended.wait_for(lambda: self.ended >= count)

    async def _serve(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        up: asyncio.Task[None] | None = None
        try:
            server_reader, server_writer = await asyncio.open_connection(self.host, self.port)
            up = asyncio.create_task(self._pump(client_reader, server_writer, ends=True))
            await self._pump(server_reader, client_writer)  # until the server closes
            async with self._ended:
                self.ended += 1
                self._ended.notify_all()
            await self._release.wait()
        except asyncio.CancelledError:
            pass  # the proxy closes (a task of asyncio's server: it logs any error, this one too)
        finally:
            if up is not None:
                up.cancel()
                with contextlib.suppress(BaseException):
                    await up
            client_writer.close()
            self._tasks.discard(task)

    @staticmethod
    async def _pump(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, ends: bool = False
    ) -> None:
        """Bytes from `reader` to `writer` until the end of the stream; `ends`: then close `writer`."""
        with contextlib.suppress(ConnectionError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        if ends:
            writer.close()


@contextlib.asynccontextmanager
async def held_end_proxy(upstream_url: str) -> AsyncIterator[HeldEndProxy]:
    proxy = HeldEndProxy(upstream_url)
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.close()


async def until_read(sock: socket.socket) -> None:
    """Until the client read everything that reached `sock` (its event loop handled the bytes)."""
    while True:
        try:
            pending = sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
        except BlockingIOError:
            return  # nothing unread
        except OSError:
            return  # closed by the client
        if not pending:
            return  # only the end of the stream is left (not held back)
        await asyncio.sleep(0)
