"""Fill and Expand inputs, checked before anything is held or sent (PROVIDERS-NEXT.md §2, §3).

Fill: a mask (white repaints, black keeps) the size of the image, or, without one, the image's
transparent area. Refused here, with a plain sentence: a mask of another size, a mask with
nothing to repaint (all black) or nothing to keep (all white), an image with neither a mask nor
any transparency. The mask is sent as a clean black-and-white PNG.

Expand: pixels added on each side (0–2048), from explicit sides, a zoom factor (equal on all
sides) or a pan (half the width or height on one side). When the expanded image would pass the
endpoint's limits, the source is scaled down first, and `Expansion.note` says so for the result.

CPU-bound (decoding, resizing): call these through `bot.encoding.in_image_thread`.
"""

from __future__ import annotations

import base64
import io
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from bot.encoding import b64encode_text
from bot.errors import InvalidInput
from bot.i18n import Text, text
from bot.images import prepare_reference

if TYPE_CHECKING:
    from PIL import Image

#: Pixels Expand may add on one side (BFL's documented range).
MAX_EXPAND_SIDE = 2048
#: The largest expanded image the bot sends to Expand. BFL documents no output limit for it
#: (PROVIDERS-NEXT.md §3, unconfirmed); 4 MP (2048 × 2048) is what its FLUX.2 endpoints take.
MAX_EXPANDED_PIXELS = 2048 * 2048
#: The limit as members read it.
LIMIT_TEXT = "2048×2048"
#: The smallest side a source is scaled down to; below it an expansion is refused instead.
MIN_SOURCE_SIDE = 64
#: A mask pixel at or above this grey level repaints; below it keeps.
MASK_THRESHOLD = 128

Pan = Literal["left", "right", "up", "down"]
PANS: tuple[Pan, ...] = ("left", "right", "up", "down")


@dataclass(frozen=True, slots=True)
class FillInputs:
    image: str  # base64, as checked by `prepare_reference`
    mask: str | None  # base64 black-and-white PNG, or None: the image's transparency is the mask


@dataclass(frozen=True, slots=True)
class Expansion:
    image: str  # base64: the source, scaled down when it had to be
    top: int
    bottom: int
    left: int
    right: int
    width: int  # the expanded image's size
    height: int
    #: What was done to the source, for the result (`tools-scaled-down`, stored with the job as a
    #: key and arguments and rendered in its member's language); None when nothing.
    note: Text | None

    def sides(self) -> dict[str, int]:
        return {"top": self.top, "bottom": self.bottom, "left": self.left, "right": self.right}


# -- Fill -----------------------------------------------------------------------------------------


def prepare_fill(image: bytes, mask: bytes | None) -> FillInputs:
    """Check a Fill's image and mask (or the image's transparency) and return them for the request."""
    encoded = prepare_reference(image, "image")
    picture = _decode(encoded)
    if mask is None:
        _require_transparency(picture)
        if picture.mode not in ("RGBA", "LA"):  # palette transparency: sent as plain RGBA
            return FillInputs(_png(picture.convert("RGBA")), None)
        return FillInputs(encoded, None)
    shape = _decode(prepare_reference(mask, "mask"))
    if shape.size != picture.size:
        raise InvalidInput(text("tools-mask-size", mask=_size(shape.size), image=_size(picture.size)))
    grey = shape.convert("L")
    repaint = sum(grey.histogram()[MASK_THRESHOLD:])
    if repaint == 0:
        raise InvalidInput(text("tools-mask-black"))
    if repaint == grey.width * grey.height:
        raise InvalidInput(text("tools-mask-white"))
    clean = grey.point(lambda level: 255 if level >= MASK_THRESHOLD else 0)
    return FillInputs(encoded, _png(clean))


def _require_transparency(picture: Image.Image) -> None:
    has_alpha = picture.mode in ("RGBA", "LA", "PA") or "transparency" in picture.info
    low, high = picture.convert("RGBA").getchannel("A").getextrema() if has_alpha else (255, 255)
    if low == 255:
        raise InvalidInput(text("tools-no-transparency"))
    if high == 0:
        raise InvalidInput(text("tools-all-transparent"))


# -- Expand ---------------------------------------------------------------------------------------


def zoom_sides(width: int, height: int, zoom: float) -> dict[str, int]:
    """Equal on all sides: the expanded image is `zoom` times as wide and as high."""
    across = round(width * (zoom - 1) / 2)
    down = round(height * (zoom - 1) / 2)
    return {"top": down, "bottom": down, "left": across, "right": across}


def pan_sides(width: int, height: int, pan: Pan) -> dict[str, int]:
    """Half the width (left, right) or half the height (up, down) on that one side."""
    side = {"left": "left", "right": "right", "up": "top", "down": "bottom"}[pan]
    amount = round((width if pan in ("left", "right") else height) / 2)
    return {"top": 0, "bottom": 0, "left": 0, "right": 0, side: amount}


def fit_expansion(
    data: bytes,
    name: str = "image",
    *,
    sides: dict[str, int] | None = None,
    zoom: float | None = None,
    pan: Pan | None = None,
) -> Expansion:
    """The source and the sides to send: explicit `sides`, or those of a `zoom` or a `pan`.

    When the expanded image would pass `MAX_EXPANDED_PIXELS` (or a side `MAX_EXPAND_SIDE`), the
    source is scaled down first: a zoom or pan keeps its proportions (the sides follow the smaller
    source), explicit sides keep their pixels.
    """
    encoded = prepare_reference(data, name)
    picture = _decode(encoded)
    width, height = picture.size

    def wanted(w: int, h: int) -> dict[str, int]:
        if zoom is not None:
            return zoom_sides(w, h, zoom)
        if pan is not None:
            return pan_sides(w, h, pan)
        return {"top": 0, "bottom": 0, "left": 0, "right": 0, **(sides or {})}

    asked = wanted(width, height)
    if max(asked.values()) > MAX_EXPAND_SIDE or _expanded_pixels(width, height, asked) > MAX_EXPANDED_PIXELS:
        scale = _scale_to_fit(width, height, asked, proportional=sides is None)
        small = (max(1, math.floor(width * scale)), max(1, math.floor(height * scale)))
        if min(small) < MIN_SOURCE_SIDE:
            raise InvalidInput(text("tools-too-far", limit=LIMIT_TEXT, side=str(MIN_SOURCE_SIDE)))
        from PIL import Image

        resized = picture.resize(small, Image.Resampling.LANCZOS)
        encoded = _png(resized) if resized.mode in ("RGBA", "LA", "P", "PA") else _jpeg(resized)
        asked = wanted(*small)
        note: Text | None = text(
            "tools-scaled-down",
            before=_size((width, height)),
            after=_size(small),
            limit=LIMIT_TEXT,
            megapixels=MAX_EXPANDED_PIXELS / 1e6,
        )
        width, height = small
    else:
        note = None
    out_w = width + asked["left"] + asked["right"]
    out_h = height + asked["top"] + asked["bottom"]
    return Expansion(encoded, **asked, width=out_w, height=out_h, note=note)


def _expanded_pixels(width: int, height: int, sides: dict[str, int]) -> int:
    return (width + sides["left"] + sides["right"]) * (height + sides["top"] + sides["bottom"])


def _scale_to_fit(width: int, height: int, sides: dict[str, int], *, proportional: bool) -> float:
    """The largest scale of the source at which the expansion fits (a little under, for rounding)."""
    if proportional:
        # Sides grow with the source: the expanded size is the source's times a fixed factor.
        factor = _expanded_pixels(width, height, sides) / (width * height)
        widest = max(sides.values()) / max(width, height) if max(sides.values()) else 0
        limits = [math.sqrt(MAX_EXPANDED_PIXELS / (width * height * factor))]
        if widest:
            limits.append(MAX_EXPAND_SIDE / (widest * max(width, height)))
        return min(1.0, *limits) * 0.999
    # Fixed sides: (w·s + across)(h·s + down) ≤ max, the positive root of a quadratic.
    across, down = sides["left"] + sides["right"], sides["top"] + sides["bottom"]
    if max(sides.values()) > MAX_EXPAND_SIDE or across * down >= MAX_EXPANDED_PIXELS:
        return 0.0
    a, b, c = width * height, width * down + height * across, across * down - MAX_EXPANDED_PIXELS
    return min(1.0, (-b + math.sqrt(b * b - 4 * a * c)) / (2 * a)) * 0.999


# -- helpers --------------------------------------------------------------------------------------


def _decode(encoded: str) -> Image.Image:
    from PIL import Image

    picture = Image.open(io.BytesIO(base64.b64decode(encoded)))
    picture.load()
    return picture


def _png(picture: Image.Image) -> str:
    out = io.BytesIO()
    picture.save(out, "PNG")
    return b64encode_text(out.getvalue())


def _jpeg(picture: Image.Image) -> str:
    out = io.BytesIO()
    picture.convert("RGB").save(out, "JPEG", quality=92)
    return b64encode_text(out.getvalue())


def _size(size: tuple[int, int]) -> str:
    return f"{size[0]}×{size[1]}"
