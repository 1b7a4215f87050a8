"""Reference images: checked to be real images, bounded, turned upright, downscaled when too large.

BFL documents 20 MB / 20 MP per input image; providers take base64 PNG or JPEG. Decoding runs off
the event loop (`prepare_reference` is called through `bot.encoding.in_image_thread`), and Pillow's
decompression-bomb guard is set explicitly. A PNG or JPEG that needs no change is passed on as the
member sent it, base64-encoded once; anything else (turned by its EXIF orientation, too many
pixels, WebP, GIF, AVIF, HEIC) is re-encoded once, as PNG when it has transparency, else JPEG.
"""

from __future__ import annotations

import functools
import io
import warnings
from typing import TYPE_CHECKING

from bot.encoding import b64encode_text
from bot.errors import InvalidInput
from bot.i18n import text

if TYPE_CHECKING:
    from PIL import Image

MAX_INPUT_BYTES = 20 * 1024 * 1024
MAX_INPUT_PIXELS = 20_000_000
#: Anything beyond this many pixels is refused outright as a likely decompression bomb.
BOMB_PIXELS = 4 * MAX_INPUT_PIXELS
#: Pillow's names of the formats taken; AVIF is decoded by Pillow (≥ 11.3), HEIF by pillow-heif.
ACCEPTED_FORMATS = {"PNG", "JPEG", "WEBP", "GIF", "AVIF", "HEIF"}
#: Formats the providers take as they are: sent unchanged when nothing else needs changing.
PASS_THROUGH_FORMATS = {"PNG", "JPEG"}
#: What members are told they may attach.
ACCEPTED_TEXT = "PNG, JPEG, WebP, AVIF or HEIC"
#: EXIF tag 0x0112: how the camera held the picture; 1 (or none) means upright.
EXIF_ORIENTATION = 0x0112


def prepare_reference(data: bytes, name: str = "image") -> str:
    """Validate one reference image and return it base64-encoded (PNG or JPEG), upright."""
    if len(data) > MAX_INPUT_BYTES:
        raise InvalidInput(text("input-too-large", option=name, size=len(data) / 1024 / 1024))
    if not data:
        raise InvalidInput(text("input-empty", option=name))
    # Imported here: the job manager imports this module, and Pillow (~3 MB) is only needed for images.
    from PIL import Image, UnidentifiedImageError

    heif_ready = _register_heif_opener()
    Image.MAX_IMAGE_PIXELS = BOMB_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                fmt = probe.format
                if fmt not in ACCEPTED_FORMATS or (fmt == "HEIF" and not heif_ready):
                    raise InvalidInput(
                        text("input-wrong-format", option=name, kind=fmt, accepted=ACCEPTED_TEXT)
                    )
                if getattr(probe, "is_animated", False):
                    raise InvalidInput(text("input-animated", option=name, accepted=ACCEPTED_TEXT))
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                width, height = image.size
                turned = image.getexif().get(EXIF_ORIENTATION, 1) not in (0, 1)
                too_large = width * height > MAX_INPUT_PIXELS
                if fmt in PASS_THROUGH_FORMATS and not turned and not too_large:
                    return b64encode_text(data)
                # The orientation first: everything after sees the picture as the member does.
                upright = _upright(image) if turned else image
                return _encode(_within_pixel_limit(upright))
    except InvalidInput:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidInput(text("input-too-many-pixels", option=name)) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        if not heif_ready and _looks_like_heif(data):
            raise InvalidInput(text("input-heif-unreadable", option=name)) from None
        raise InvalidInput(text("input-unreadable", option=name, accepted=ACCEPTED_TEXT)) from None


@functools.cache
def _register_heif_opener() -> bool:
    """Teach Pillow HEIC/HEIF (iPhone photos) through pillow-heif; False when it is not installed."""
    try:
        from pillow_heif import register_heif_opener
    except ImportError:
        return False
    register_heif_opener()
    return True


def _looks_like_heif(data: bytes) -> bool:
    """An ISO media file whose brand is one of HEIF's (`ftypheic`, `ftypmif1`, …)."""
    return data[4:8] == b"ftyp" and data[8:12] in (b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1")


def _upright(image: Image.Image) -> Image.Image:
    """The pixels as the photo is meant to be seen: its EXIF orientation applied (and dropped)."""
    from PIL import ImageOps

    return ImageOps.exif_transpose(image)


def _within_pixel_limit(image: Image.Image) -> Image.Image:
    from PIL import Image

    width, height = image.size
    if width * height <= MAX_INPUT_PIXELS:
        return image
    scale = (MAX_INPUT_PIXELS / (width * height)) ** 0.5
    size = (max(1, int(width * scale)), max(1, int(height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS)


def _encode(image: Image.Image) -> str:
    out = io.BytesIO()
    if image.mode in ("RGBA", "LA", "P", "PA"):
        image.convert("RGBA").save(out, "PNG")
    else:
        image.convert("RGB").save(out, "JPEG", quality=92)
    return b64encode_text(out.getvalue())


#: Base64 characters read to find an image's size in its header (a JPEG's EXIF may come first).
HEADER_CHARS = 512 * 1024


def reference_pixels(text: str) -> int:
    """Width × height of a reference image given as base64 (as `prepare_reference` returns it),
    read from its header: FLUX.2 is priced by the megapixel, references included. CPU-bound:
    call it through `in_image_thread`. 0 when the size cannot be read."""
    import base64
    import binascii

    from PIL import Image, UnidentifiedImageError

    for chars in (HEADER_CHARS, len(text)):
        try:
            head = base64.b64decode(text[: chars - chars % 4])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                with Image.open(io.BytesIO(head)) as image:
                    width, height = image.size
            return width * height
        except (binascii.Error, UnidentifiedImageError, OSError, ValueError, SyntaxError):
            if chars >= len(text):
                break
    return 0


def image_extension(data: bytes) -> str | None:
    """The file extension the bytes call for (`png`, `jpg`, `webp`), or None when unknown.

    Providers differ (BFL answers JPEG by default), so the name follows the content, not the request.
    """
    if data.startswith(b"\x89PNG"):
        return "png"
    if data.startswith(b"\xff\xd8"):
        return "jpg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def check_result_image(data: bytes) -> str:
    """The extension of a finished image a provider sent; `ValueError` when the bytes are not one.

    The signature must be PNG, JPEG or WebP and Pillow must read the file's structure (a PNG's
    chunks and checksums through to its end). CPU-bound: call it through `in_image_thread`.
    """
    extension = image_extension(data)
    if extension is None:
        raise ValueError("no PNG, JPEG or WebP signature")
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                image.verify()
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError) as exc:
        raise ValueError(f"unreadable {extension}: {type(exc).__name__}") from None
    return extension
