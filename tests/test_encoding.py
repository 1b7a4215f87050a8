"""The sliced base64/JSON helpers give exactly what the one-call functions give; base64 is checked once."""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import random
import threading

import pytest

from bot.encoding import (
    CHECK_SLICE,
    ENCODE_SLICE,
    LARGE_VALUE,
    as_base64,
    b64encode,
    b64encode_text,
    in_image_thread,
    json_bytes,
)

SIZES = [0, 1, 2, 3, 1000, ENCODE_SLICE - 1, ENCODE_SLICE, ENCODE_SLICE + 1, 3 * ENCODE_SLICE + 2]


@pytest.mark.parametrize("size", SIZES)
def test_b64_round_trip_matches_the_standard_library(size):
    data = random.Random(size).randbytes(size)
    text = b64encode_text(data)
    assert text == base64.b64encode(data).decode("ascii")
    assert b64encode(data).ascii == base64.b64encode(data)


def test_base64_text_is_kept_as_ascii_bytes_and_checked_slice_by_slice():
    data = random.Random(1).randbytes(3 * CHECK_SLICE)
    text = base64.b64encode(data).decode("ascii")
    kept = as_base64(text)
    assert kept.ascii == text.encode("ascii")
    assert kept == b64encode(data)
    assert repr(kept) == f"Base64(<{len(text)} characters>)"  # never megabytes in a log line


@pytest.mark.parametrize(
    "text",
    [
        "abc",  # incorrect padding
        "ab==c===",
        "aGVsbG8=\n",
        base64.b64encode(b"x" * CHECK_SLICE).decode() + '"}, "webhook_url": "https://evil.example/x',
        "aGVs\u00e9G8=",
        "\n".join(["aGVsbG8h"] * 3),  # MIME line breaks are not what we produce or send
    ],
)
def test_anything_but_plain_base64_is_refused(text):
    with pytest.raises(binascii.Error):
        as_base64(text)


def test_a_base64_value_goes_into_the_json_body_as_it_is():
    image = b64encode(random.Random(3).randbytes(LARGE_VALUE))
    small = b64encode(b"tiny")
    body = {"prompt": 'a "quoted" cat', "input_image": image, "input_image_2": small, "seed": 1}
    as_text = {**body, "input_image": image.text(), "input_image_2": small.text()}
    assert json_bytes(body) == json.dumps(as_text).encode("utf-8")


@pytest.mark.parametrize(
    "big",
    [
        base64.b64encode(random.Random(2).randbytes(LARGE_VALUE * 3)).decode(),
        ('é"\\\n\u2028😀' * (LARGE_VALUE // 3)),  # escapes, non-ASCII and astral characters
    ],
)
def test_json_bytes_is_exactly_what_json_dumps_gives(big):
    body = {"prompt": 'a cat "quoted"', "seed": 42, "raw": True, "image_prompt": big, "n": None, "x": 1.5}
    assert json_bytes(body) == json.dumps(body).encode("utf-8")
    assert json.loads(json_bytes(body)) == body


def test_small_bodies_take_the_plain_path():
    body = {"prompt": "a lighthouse", "width": 1024}
    assert json_bytes(body) == json.dumps(body).encode("utf-8")


async def test_image_work_runs_on_its_one_thread_and_raises_there_as_it_would_here():
    def thread_name() -> str:
        return threading.current_thread().name

    names = await asyncio.gather(*(in_image_thread(thread_name) for _ in range(8)))
    assert len(set(names)) == 1
    assert names[0].startswith("fluxbot-images")
    with pytest.raises(binascii.Error):
        await in_image_thread(as_base64, "not base64!")
