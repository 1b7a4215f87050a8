"""Image files as members attach them: plain ones, phone photos with an EXIF orientation, AVIF, HEIC."""

from __future__ import annotations

import io
from typing import Any

from PIL import Image

#: EXIF tag 0x0112 (Orientation); 6 is how most phones store a portrait photo: turned 90° anticlockwise.
ORIENTATION = 0x0112
RED, BLUE = (200, 30, 30), (0, 0, 255)
#: The marked corner of `photo`: a BLUE square this wide at the stored top-left.
MARK = 16


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (64, 48), **save: Any) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, RED).save(out, fmt, **save)
    return out.getvalue()


def photo(fmt: str = "JPEG", *, orientation: int = 1, size: tuple[int, int] = (64, 48)) -> bytes:
    """A RED picture with a BLUE mark at its stored top-left, tagged with this EXIF orientation.

    Orientation 6 means "turn 90° clockwise to view": a viewer (and the provider) must see it
    `size` turned on its side, with the mark at the top-right.
    """
    if fmt == "HEIF":
        from pillow_heif import register_heif_opener

        register_heif_opener()
    image = Image.new("RGB", size, RED)
    image.paste(BLUE, (0, 0, MARK, MARK))
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    out = io.BytesIO()
    image.save(out, fmt, exif=exif.tobytes())
    return out.getvalue()


def is_blue(pixel: Any) -> bool:
    red, green, blue = pixel[:3]
    return blue > 200 and red < 60 and green < 60
