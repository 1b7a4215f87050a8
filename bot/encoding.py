"""Base64 and JSON for multi-megabyte payloads (reference images) without stalling the event loop.

`base64.b64encode`, `b64decode` and `json.dumps` hold the GIL for their whole call: 30–55 ms each
for one 8 MB image (measured in benchmarks/ack_latency.py), during which the bot cannot even
acknowledge a command — from a worker thread as much as from the loop itself. Done in slices of
about a megabyte, the GIL changes hands between slices, so run from a worker thread
(`asyncio.to_thread`) they cost the event loop a few milliseconds at a time. The results are
byte-for-byte those of the one-call functions.
"""

from __future__ import annotations

import base64
import binascii
import json
from json.encoder import encode_basestring_ascii
from typing import Any

#: Raw bytes per base64 slice: a multiple of 3, so slices encode to text that joins exactly.
ENCODE_SLICE = 3 * 256 * 1024
#: Base64 characters per decode slice: a multiple of 4, so every slice decodes on its own.
DECODE_SLICE = 4 * 128 * 1024
#: Characters per JSON string slice; escaping is per character, so slices join exactly.
JSON_SLICE = 512 * 1024
#: A string value at least this long makes `json_bytes` worth running in a worker thread.
LARGE_VALUE = 256 * 1024


def b64encode_text(data: bytes) -> str:
    """`base64.b64encode(data).decode("ascii")`, a slice at a time."""
    if len(data) <= ENCODE_SLICE:
        return base64.b64encode(data).decode("ascii")
    view = memoryview(data)
    return "".join(
        base64.b64encode(view[i : i + ENCODE_SLICE]).decode("ascii")
        for i in range(0, len(data), ENCODE_SLICE)
    )


def b64decode_text(text: str) -> bytes:
    """`base64.b64decode(text)`, a slice at a time when the text is clean base64 (ours always is)."""
    if len(text) > DECODE_SLICE and len(text) % 4 == 0 and text.find("=", 0, len(text) - 2) < 0:
        try:
            return b"".join(
                base64.b64decode(text[i : i + DECODE_SLICE], validate=True)
                for i in range(0, len(text), DECODE_SLICE)
            )
        except binascii.Error:
            pass  # not plain base64 (line breaks, stray characters): the lenient decoder decides
    return base64.b64decode(text)


def has_large_value(body: dict[str, Any]) -> bool:
    return any(isinstance(v, str) and len(v) >= LARGE_VALUE for v in body.values())


def json_bytes(body: dict[str, Any]) -> bytes:
    """`json.dumps(body).encode()` (aiohttp's own serialization), long string values a slice at a time."""
    if not has_large_value(body) or not all(isinstance(k, str) for k in body):
        return json.dumps(body).encode("utf-8")
    pieces: list[bytes | memoryview] = []
    for index, (key, value) in enumerate(body.items()):
        pieces.append(("{" if index == 0 else ", ").encode() + json.dumps(key).encode() + b": ")
        if isinstance(value, str) and len(value) >= LARGE_VALUE:
            pieces.append(b'"')
            for i in range(0, len(value), JSON_SLICE):
                # json.dumps's own escaping (ensure_ascii); escaping is per character, so slices join exactly.
                quoted = encode_basestring_ascii(value[i : i + JSON_SLICE]).encode("ascii")
                pieces.append(memoryview(quoted)[1:-1])
            pieces.append(b'"')
        else:
            pieces.append(json.dumps(value).encode("utf-8"))
    pieces.append(b"}")
    return b"".join(pieces)
