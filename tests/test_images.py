"""Reference images: real images only, 20 MB / 20 MP, bombs refused, base64 out."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from bot.errors import InvalidInput
from bot.images import MAX_INPUT_PIXELS, prepare_reference


def encode(image: Image.Image, fmt: str, **params) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


def decode(text: str) -> Image.Image:
    return Image.open(io.BytesIO(base64.b64decode(text)))


def test_png_and_jpeg_pass_through_unchanged_as_base64():
    for fmt in ("PNG", "JPEG"):
        data = encode(Image.new("RGB", (64, 48), (1, 2, 3)), fmt)
        assert base64.b64decode(prepare_reference(data)) == data


def test_webp_is_re_encoded_to_a_format_every_provider_takes():
    data = encode(Image.new("RGB", (64, 48), (1, 2, 3)), "WEBP")
    assert decode(prepare_reference(data)).format == "JPEG"


def test_more_than_20_megapixels_is_scaled_down_to_fit():
    data = encode(Image.new("RGB", (5000, 4500)), "PNG")  # 22.5 MP

    image = decode(prepare_reference(data))

    assert image.width * image.height <= MAX_INPUT_PIXELS
    assert image.width * image.height > 0.95 * MAX_INPUT_PIXELS
    assert abs(image.width / image.height - 5000 / 4500) < 0.01


def test_a_decompression_bomb_is_refused_without_decoding_it():
    data = encode(Image.new("1", (10000, 9000)), "PNG")  # 90 MP in a few kB

    with pytest.raises(InvalidInput, match="far too many pixels"):
        prepare_reference(data, "image2")


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "`image` is empty."),
        (b"%PDF-1.4 not an image", "`image` is not a readable image"),
        (encode(Image.new("RGB", (8, 8)), "PNG")[:40], "`image` is not a readable image"),  # truncated
        (bytes(21 * 1024 * 1024), "`image` is 21.0 MB; reference images can be at most 20 MB."),
    ],
)
def test_what_is_not_a_usable_image_is_refused_naming_the_option(data, words):
    with pytest.raises(InvalidInput) as caught:
        prepare_reference(data, "image")
    assert words in caught.value.message


def test_an_animated_image_is_refused():
    frames = [Image.new("RGB", (16, 16), (i * 40, 0, 0)) for i in range(3)]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:])

    with pytest.raises(InvalidInput, match="animated"):
        prepare_reference(data)
