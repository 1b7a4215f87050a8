"""Reference images: real images only, 20 MB / 20 MP, bombs refused, upright, base64 out."""

from __future__ import annotations

import base64
import io
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from bot.errors import InvalidInput
from bot.images import MAX_INPUT_PIXELS, prepare_reference
from tests.conftest import finish_jobs
from tests.fakes.images import MARK, is_blue, photo

ROOT = Path(__file__).resolve().parent.parent


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


# -- phone photos, AVIF and HEIC: upright, in a format the provider takes -----------------------


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "AVIF", "HEIF"])
def test_the_exif_orientation_is_applied_before_anything_else(fmt):
    data = photo(fmt, orientation=6, size=(64, 48))

    image = decode(prepare_reference(data)).convert("RGB")

    assert image.size == (48, 64)  # turned on its side, as a phone shows it
    assert is_blue(image.getpixel((48 - MARK // 2, MARK // 2)))  # the stored top-left is now top-right
    assert not is_blue(image.getpixel((MARK // 2, MARK // 2)))


def test_an_upright_jpeg_with_exif_is_sent_as_it_came():
    data = photo("JPEG", orientation=1)
    assert base64.b64decode(prepare_reference(data)) == data


def test_heic_is_refused_plainly_where_pillow_heif_is_not_installed():
    """An installation without pillow-heif (a platform with no wheel) says what to do instead."""
    heic = photo("HEIF")
    script = (
        "import sys; sys.modules['pillow_heif'] = None\n"  # import fails, as it would where it is absent
        "from bot.errors import InvalidInput\n"
        "from bot.images import prepare_reference\n"
        "try:\n"
        "    prepare_reference(sys.stdin.buffer.read(), 'image')\n"
        "except InvalidInput as exc:\n"
        "    print(exc.message)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], input=heic, capture_output=True, check=True, cwd=ROOT
    )
    assert done.stdout.decode().strip() == (
        "`image` is a HEIC/HEIF photo, which this bot cannot read; save it as JPEG or PNG."
    )


@pytest.mark.parametrize(
    ("filename", "fmt"), [("IMG_0001.jpg", "JPEG"), ("IMG_0002.avif", "AVIF"), ("IMG_0003.heic", "HEIF")]
)
async def test_a_phone_photo_reaches_the_provider_upright_as_png_or_jpeg(
    simcord_env, running, guild_setup, fake_ttapi, filename, fmt
):
    _, channel, alice = guild_setup

    await alice.slash(channel, "imagine", prompt="a cat", image=(filename, photo(fmt, orientation=6)))
    await finish_jobs(simcord_env, running)

    (sent,) = fake_ttapi.submits()
    with Image.open(io.BytesIO(base64.b64decode(sent.body["image_prompt"]))) as image:
        assert image.format in ("PNG", "JPEG")
        assert image.size == (48, 64)
        assert is_blue(image.convert("RGB").getpixel((48 - MARK // 2, MARK // 2)))
    (job,) = await running.jobs.for_user(alice.id)
    assert job.state.value == "delivered"
