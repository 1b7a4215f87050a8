"""Fixtures for the reliability catalogue: a fake TTAPI that can also misbehave at the transport level.

`FaultyTTAPI` extends the scriptable `FakeTTAPI` (status envelopes, FAILED jobs, link TTLs) with faults
an envelope cannot express: an HTML error page, a 200 with malformed JSON, a connection reset, a
stalled answer (read timeout), a redirect, an oversized result. Each is queued per route (`submit`,
`fetch`, `file`) and consumed by the next matching request, which is still recorded.
"""

from __future__ import annotations

import asyncio
import socket
import struct
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from typing import Any

import pytest
from aiohttp import web

from bot.app import Services
from tests.fakes.ttapi import FakeTTAPI, Recorded

Action = Callable[[web.Request], Awaitable[web.StreamResponse | None]]


def html_page(status: int) -> Action:
    async def act(request: web.Request) -> web.StreamResponse:
        body = f"<html><head><title>{status} Bad Gateway</title></head><body>cloudflare</body></html>"
        return web.Response(status=status, text=body, content_type="text/html")

    return act


def malformed_json() -> Action:
    async def act(request: web.Request) -> web.StreamResponse:
        return web.Response(
            status=200, text='{"status": "SUCCESS", "data": {"jobId": ', content_type="application/json"
        )

    return act


def connection_reset() -> Action:
    """Close the socket with SO_LINGER 0: the client reads a TCP RST instead of an answer."""

    async def act(request: web.Request) -> web.StreamResponse:
        transport = request.transport
        assert transport is not None
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
        raise asyncio.CancelledError

    return act


def stall(seconds: float) -> Action:
    """Answer normally, but only after `seconds` (longer than the client's timeout)."""

    async def act(request: web.Request) -> None:
        await asyncio.sleep(seconds)
        return None  # then the normal handler answers (to a client that gave up)

    return act


def redirect(location: str) -> Action:
    async def act(request: web.Request) -> web.StreamResponse:
        return web.Response(status=302, headers={"Location": location})

    return act


def big_body(size: int, *, announce_length: bool = True) -> Action:
    """An "image" of `size` bytes; without a Content-Length when `announce_length` is false (chunked)."""

    data = b"\x89PNG\r\n\x1a\n" + b"\0" * (size - 8)
    return _sized_body(data, "image/png", announce_length)


def _sized_body(data: bytes, content_type: str, announce_length: bool) -> Action:
    """An answer with this body, with a Content-Length or (`announce_length` false) chunked."""

    async def act(request: web.Request) -> web.StreamResponse:
        if announce_length:
            return web.Response(body=data, content_type=content_type)
        response = web.StreamResponse(headers={"Content-Type": content_type})
        response.enable_chunked_encoding()
        await response.prepare(request)
        for start in range(0, len(data), 64 * 1024):
            await response.write(data[start : start + 64 * 1024])
        await response.write_eof()
        return response

    return act


def answer_with(body: bytes, content_type: str) -> Action:
    """A 200 answer with this body: an HTML page or JSON where an image should be, or a broken PNG."""

    async def act(request: web.Request) -> web.StreamResponse:
        return web.Response(body=body, headers={"Content-Type": content_type})

    return act


def huge_json(size: int, *, announce_length: bool = True) -> Action:
    """A well-formed JSON answer of about `size` bytes; chunked when `announce_length` is false."""
    data = b'{"status": "SUCCESS", "message": "", "data": {"padding": "' + b"x" * size + b'"}}'
    return _sized_body(data, "application/json", announce_length)


class FaultyTTAPI(FakeTTAPI):
    """FakeTTAPI plus transport-level faults, queued per route with `inject(route, action, times)`."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._raw: dict[str, deque[Action]] = {"submit": deque(), "fetch": deque(), "file": deque()}
        self.injected: list[str] = []

    def inject(self, route: str, action: Action, *, times: int = 1) -> None:
        for _ in range(times):
            self._raw[route].append(action)

    async def _apply(self, route: str, request: web.Request) -> web.StreamResponse | None:
        if not self._raw[route]:
            return None
        action = self._raw[route].popleft()
        self.injected.append(route)
        return await action(request)

    async def _submit(self, request: web.Request) -> web.StreamResponse:
        if self._raw["submit"]:
            body = await request.read()
            self.requests.append(Recorded("POST", request.path, dict(request.headers), body))
            answer = await self._apply("submit", request)
            if answer is not None:
                return answer
            self.requests.pop()
        return await super()._submit(request)

    async def _fetch(self, request: web.Request) -> web.StreamResponse:
        if self._raw["fetch"]:
            self.requests.append(Recorded(request.method, request.path, dict(request.headers), None))
            answer = await self._apply("fetch", request)
            if answer is not None:
                return answer
            self.requests.pop()
        return await super()._fetch(request)

    async def _file(self, request: web.Request) -> web.StreamResponse:
        if self._raw["file"]:
            self.requests.append(Recorded("GET", request.path, dict(request.headers), None))
            answer = await self._apply("file", request)
            if answer is not None:
                return answer
            self.requests.pop()
        return await super()._file(request)

    def files(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.startswith("/files/")]


@pytest.fixture
async def fake_ttapi() -> AsyncIterator[FaultyTTAPI]:
    fake = FaultyTTAPI()
    await fake.start()
    yield fake
    await fake.stop()


async def ledger_of(services: Services, job_id: str) -> dict[str, Decimal]:
    """The ledger entries of one job, kind → amount (the unique index allows one of each)."""
    rows = await services.db.fetchall("SELECT kind, amount FROM ledger WHERE job_id = ?", (job_id,))
    return {row["kind"]: Decimal(row["amount"]) for row in rows}


async def assert_not_charged(services: Services, job_id: str) -> None:
    entries = await ledger_of(services, job_id)
    assert "charge" not in entries, entries
    assert entries.get("release") == entries.get("hold"), entries
    job = await services.jobs.get(job_id)
    assert job is not None
    assert job.cost is None


async def assert_charged_once(services: Services, job_id: str, amount: Decimal) -> None:
    entries = await ledger_of(services, job_id)
    assert entries.get("charge") == amount, entries
    assert "release" not in entries, entries
    job = await services.jobs.get(job_id)
    assert job is not None
    assert job.cost == amount


def posted_images(channel: Any) -> list[Any]:
    """Messages in the channel that carry an image attachment (the reply or a channel post)."""
    return [m for m in channel.history() if m.attachments]
