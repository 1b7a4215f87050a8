"""Reference images: checked to be real images, bounded, downscaled when too large, base64-encoded.

BFL documents 20 MB / 20 MP per input image. Decoding runs off the event loop (`prepare_reference`
is called through `bot.encoding.in_image_thread`), and Pillow's decompression-bomb guard is set explicitly.
"""

from __future__ import annotations

import io
import warnings
from typing import TYPE_CHECKING

from bot.encoding import b64encode_text
from bot.errors import InvalidInput

if TYPE_CHECKING:
    from PIL import Image

MAX_INPUT_BYTES = 20 * 1024 * 1024
MAX_INPUT_PIXELS = 20_000_000
#: Anything beyond this many pixels is refused outright as a likely decompression bomb.
BOMB_PIXELS = 4 * MAX_INPUT_PIXELS
ACCEPTED_FORMATS = {"PNG", "JPEG", "WEBP", "GIF"}


def prepare_reference(data: bytes, name: str = "image") -> str:
    """Validate one reference image and return it base64-encoded (PNG or JPEG)."""
    if len(data) > MAX_INPUT_BYTES:
        raise InvalidInput(
            f"`{name}` is {len(data) / 1024 / 1024:.1f} MB; reference images can be at most 20 MB."
        )
    if not data:
        raise InvalidInput(f"`{name}` is empty.")
    # Imported here: the job manager imports this module, and Pillow (~3 MB) is only needed for images.
    from PIL import Image, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = BOMB_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                fmt = probe.format
                if fmt not in ACCEPTED_FORMATS:
                    raise InvalidInput(f"`{name}` is a {fmt} file; use PNG, JPEG or WebP.")
                if getattr(probe, "is_animated", False):
                    raise InvalidInput(f"`{name}` is animated; use a still image (PNG, JPEG or WebP).")
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                width, height = image.size
                if width * height > MAX_INPUT_PIXELS:
                    scale = (MAX_INPUT_PIXELS / (width * height)) ** 0.5
                    smaller = image.resize(
                        (max(1, int(width * scale)), max(1, int(height * scale))), Image.Resampling.LANCZOS
                    )
                    return _encode(smaller)
                if fmt in ("PNG", "JPEG"):
                    return b64encode_text(data)
                return _encode(image)
    except InvalidInput:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidInput(f"`{name}` has far too many pixels to be a reference image.") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise InvalidInput(f"`{name}` is not a readable image (PNG, JPEG or WebP).") from None


def _encode(image: Image.Image) -> str:
    out = io.BytesIO()
    if image.mode in ("RGBA", "LA", "P"):
        image.convert("RGBA").save(out, "PNG")
    else:
        image.convert("RGB").save(out, "JPEG", quality=92)
    return b64encode_text(out.getvalue())


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
