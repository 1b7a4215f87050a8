"""The sliced base64/JSON helpers give exactly what the one-call functions give."""

from __future__ import annotations

import base64
import binascii
import json
import random

import pytest

from bot.encoding import (
    DECODE_SLICE,
    ENCODE_SLICE,
    LARGE_VALUE,
    b64decode_text,
    b64encode_text,
    json_bytes,
)

SIZES = [0, 1, 2, 3, 1000, ENCODE_SLICE - 1, ENCODE_SLICE, ENCODE_SLICE + 1, 3 * ENCODE_SLICE + 2]


@pytest.mark.parametrize("size", SIZES)
def test_b64_round_trip_matches_the_standard_library(size):
    data = random.Random(size).randbytes(size)
    text = b64encode_text(data)
    assert text == base64.b64encode(data).decode("ascii")
    assert b64decode_text(text) == data


def test_decoding_keeps_the_lenient_behaviour_for_text_that_is_not_plain_base64():
    data = random.Random(1).randbytes(DECODE_SLICE)
    text = base64.b64encode(data).decode("ascii")
    wrapped = "\n".join(text[i : i + 76] for i in range(0, len(text), 76))  # MIME line breaks
    assert b64decode_text(wrapped) == data
    with pytest.raises(binascii.Error):
        b64decode_text("abc")  # incorrect padding, as base64.b64decode says


def test_padding_inside_the_text_is_decoded_as_the_standard_library_does():
    first = base64.b64encode(b"x" * (DECODE_SLICE // 4 * 3 - 1)).decode()  # ends in "="
    text = first + base64.b64encode(b"tail").decode()
    assert b64decode_text(text) == base64.b64decode(text)


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
