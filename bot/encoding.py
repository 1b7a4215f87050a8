"""Base64 and JSON for multi-megabyte payloads (reference images) without stalling the event loop.

`base64.b64encode`, `b64decode` and `json.dumps` hold the GIL for their whole call: 10–30 ms each
for one 8 MB image, during which the bot cannot even acknowledge a command — from a worker thread
as much as from the loop itself. Two rules keep that cost small:

- **Encode once.** A reference image is base64-encoded when it is checked (`prepare_reference`)
  and kept as that text, as ASCII bytes (`Base64`), until it is sent: the store keeps it so and
  `json_bytes` places it between quotes as it is. No decoding, no re-encoding, no escaping pass
  (benchmarks/ack_latency.py: ~90 ms of GIL per 8 MB image before, ~20 ms after).
- **One thread, which steps aside.** What work remains runs on one worker thread reserved for
  image work (`in_image_thread`), in slices of a fraction of a millisecond with a pause between
  them. A thread that only calls C functions lets go of the GIL when the event loop asks for it,
  after the 5 ms switch interval — on each of the loop's system calls, so a handful of such
  threads stretched 2 ms loop steps to 60–130 ms. Pausing gives the GIL back at once, and with a
  single such thread the loop never queues behind several. The results are byte-for-byte those
  of the one-call functions.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextvars
import functools
import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from json.encoder import encode_basestring_ascii
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

#: Raw bytes per base64 slice (~0.2 ms): a multiple of 3, so slices encode to text that joins exactly.
ENCODE_SLICE = 3 * 64 * 1024
#: Bytes per slice when checking that text is base64 (~0.1 ms).
CHECK_SLICE = 256 * 1024
#: Characters per JSON string slice; escaping is per character, so slices join exactly.
JSON_SLICE = 128 * 1024
#: The pause between two slices, during which the event loop takes the GIL if it waits for it.
YIELD_SECONDS = 0.0002

_image_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fluxbot-images")


async def in_image_thread(func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """`asyncio.to_thread`, on the one thread reserved for CPU-heavy image work (see above)."""
    call = functools.partial(contextvars.copy_context().run, func, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(_image_thread, call)


def step_aside() -> None:
    """Between two slices of work in a worker thread: let the event loop have the GIL."""
    time.sleep(YIELD_SECONDS)


#: A string value at least this long makes `json_bytes` worth running in a worker thread.
LARGE_VALUE = 256 * 1024


def b64encode_text(data: bytes) -> str:
    """`base64.b64encode(data).decode("ascii")`, a slice at a time (see `b64encode`)."""
    return b64encode(data).text()


_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


@dataclass(frozen=True, slots=True)
class Base64:
    """Base64 text as ASCII bytes: a reference image as the provider's JSON body carries it.

    Built by `as_base64` (checked) and `b64encode` (made here), or read back from the store, which
    holds only what those built; so it holds nothing but the base64 alphabet, and `json_bytes` can
    put it between quotes without escaping it.
    """

    ascii: bytes = field(repr=False)

    def __len__(self) -> int:
        return len(self.ascii)

    def __repr__(self) -> str:
        return f"Base64(<{len(self.ascii)} characters>)"

    def text(self) -> str:
        return self.ascii.decode("ascii")


def as_base64(text: str) -> Base64:
    """Check that `text` is plain base64 (no line breaks, padding only at the end) and keep it as bytes.

    A slice at a time (~5 ms for an 8 MB image; decoding it would take 26 ms). Raises
    `binascii.Error` for anything else, as `base64.b64decode(..., validate=True)` would.
    """
    if not text.isascii():
        raise binascii.Error("base64 text must be ASCII")
    data = text.encode("ascii")
    body = data.rstrip(b"=")
    if len(data) % 4 or len(data) - len(body) > 2:
        raise binascii.Error("incorrect base64 padding")
    for i in range(0, len(body), CHECK_SLICE):
        if body[i : i + CHECK_SLICE].translate(None, _ALPHABET):
            raise binascii.Error("not a base64 character")
        step_aside()
    return Base64(data)


def b64encode(data: bytes) -> Base64:
    """`Base64(base64.b64encode(data))`, a slice at a time."""
    if len(data) <= ENCODE_SLICE:
        return Base64(base64.b64encode(data))
    view = memoryview(data)
    pieces = []
    for i in range(0, len(data), ENCODE_SLICE):
        pieces.append(base64.b64encode(view[i : i + ENCODE_SLICE]))
        step_aside()
    return Base64(b"".join(pieces))


def has_large_value(body: dict[str, Any]) -> bool:
    return any(isinstance(v, str | Base64) and len(v) >= LARGE_VALUE for v in body.values())


def _piecewise(value: Any) -> bool:
    return isinstance(value, Base64) or (isinstance(value, str) and len(value) >= LARGE_VALUE)


def json_bytes(body: dict[str, Any]) -> bytes:
    """`json.dumps(body).encode()` (aiohttp's own serialization), long string values a slice at a time.

    A `Base64` value is written as the JSON string of its text, copied as it is.
    """
    if not any(_piecewise(v) for v in body.values()) or not all(isinstance(k, str) for k in body):
        return json.dumps(body).encode("utf-8")
    pieces: list[bytes | memoryview] = []
    for index, (key, value) in enumerate(body.items()):
        pieces.append(("{" if index == 0 else ", ").encode() + json.dumps(key).encode() + b": ")
        if isinstance(value, Base64):
            pieces += (b'"', value.ascii, b'"')
        elif isinstance(value, str) and len(value) >= LARGE_VALUE:
            pieces.append(b'"')
            for i in range(0, len(value), JSON_SLICE):
                # json.dumps's own escaping (ensure_ascii); escaping is per character, so slices join exactly.
                quoted = encode_basestring_ascii(value[i : i + JSON_SLICE]).encode("ascii")
                pieces.append(memoryview(quoted)[1:-1])
                step_aside()
            pieces.append(b'"')
        else:
            pieces.append(json.dumps(value).encode("utf-8"))
    pieces.append(b"}")
    return b"".join(pieces)
