"""Making a finished image fit the channel's upload limit.

Discord refuses a file larger than the channel's limit (10 MiB by default since 2025, more in
boosted guilds) with `413 / 40005 Request entity too large`. A result that is too large is first
re-encoded (optimized PNG, then WebP, then JPEG at falling qualities) and, only when that is not
enough, downscaled step by step. The caller shows `Fitted.note` to the member when anything changed.

CPU-bound: call `fit_image` through `bot.encoding.in_image_thread`.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image

from bot.i18n import Text, text
from bot.images import image_extension

MIB = 1024 * 1024
#: Discord's upload limit for a channel whose guild has no boost (and for DMs).
DEFAULT_UPLOAD_LIMIT = 10 * MIB
#: Known Discord limits, tried in turn when Discord refuses a file the bot thought would fit.
KNOWN_LIMITS = (100 * MIB, 50 * MIB, 25 * MIB, 10 * MIB, 8 * MIB)
#: Never downscale below this long side: a postage stamp is not a result.
MIN_SIDE = 256
#: Pixels beyond this are not decoded (decompression-bomb guard; providers send ≤ 4 MP).
MAX_PIXELS = 80_000_000

_EXTENSIONS = {"PNG": ".png", "JPEG": ".jpg", "WEBP": ".webp"}


@dataclass(frozen=True, slots=True)
class Fitted:
    data: bytes
    extension: str  # ".png", ".jpg", ".webp"
    width: int | None
    height: int | None
    note: Text | None  # what was done, for the embed; None when the original was sent as is

    @property
    def size(self) -> int:
        return len(self.data)


def format_size(size: int) -> str:
    if size >= MIB:
        value = size / MIB
        return f"{value:.0f} MiB" if value == int(value) else f"{value:.1f} MiB"
    return f"{size / 1024:.0f} KiB"


def smaller_limit(refused_size: int, current_limit: int) -> int:
    """The limit to try after Discord refused `refused_size` bytes: the next known tier, else half."""
    ceiling = min(refused_size, current_limit)
    for limit in KNOWN_LIMITS:
        if limit < ceiling:
            return limit
    return max(1, ceiling // 2)


def fit_image(data: bytes, limit: int) -> Fitted:
    """The image as is when it fits; else re-encoded, and last downscaled, to at most `limit` bytes.

    Raises `ValueError` when even the smallest allowed rendition does not fit (a limit of a few KiB).
    """
    if len(data) <= limit:
        return Fitted(data, "." + (image_extension(data) or "png"), None, None, None)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with Image.open(io.BytesIO(data)) as opened:
            if opened.width * opened.height > MAX_PIXELS:
                raise ValueError("the image has too many pixels to re-encode")
            source_format = opened.format or "PNG"
            image = opened.convert("RGBA" if _has_alpha(opened) else "RGB")
    original = (image.width, image.height)
    why = {"original": format_size(len(data)), "limit": format_size(limit)}

    # 1. Re-encode at full size, losslessly first.
    for fmt, quality in _ladder(source_format, len(data) / limit):
        encoded = _encode(image, fmt, quality)
        if len(encoded) <= limit:
            return Fitted(
                encoded,
                _EXTENSIONS[fmt],
                image.width,
                image.height,
                text("fit-reencoded", format=_describe(fmt, quality), **why),
            )

    # 2. Downscale, JPEG at a good quality (WebP when there is transparency to keep).
    fmt = "WEBP" if image.mode == "RGBA" else "JPEG"
    scaled = image
    while max(scaled.size) > MIN_SIDE:
        factor = 0.8
        size = (max(1, int(scaled.width * factor)), max(1, int(scaled.height * factor)))
        scaled = image.resize(size, Image.Resampling.LANCZOS)
        for quality in (85, 70):
            encoded = _encode(scaled, fmt, quality)
            if len(encoded) <= limit:
                return Fitted(
                    encoded,
                    _EXTENSIONS[fmt],
                    scaled.width,
                    scaled.height,
                    text(
                        "fit-downscaled",
                        before=f"{original[0]}×{original[1]}",
                        after=f"{scaled.width}×{scaled.height}",
                        format=_describe(fmt, quality),
                        **why,
                    ),
                )
    raise ValueError(f"the image cannot be made smaller than {format_size(limit)}")


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)


def _ladder(source_format: str, excess: float) -> list[tuple[str, int | None]]:
    steps: list[tuple[str, int | None]] = []
    if source_format == "PNG" and excess <= 1.3:
        # Lossless first, but only when it can plausibly win: optimizing a big PNG takes seconds
        # and rarely saves more than a fifth.
        steps.append(("PNG", None))
    steps += [("WEBP", 90), ("JPEG", 90), ("WEBP", 80), ("JPEG", 80), ("JPEG", 70), ("JPEG", 60)]
    return steps


def _encode(image: Image.Image, fmt: str, quality: int | None) -> bytes:
    out = io.BytesIO()
    if fmt == "PNG":
        image.save(out, "PNG", optimize=True)
    elif fmt == "WEBP":
        image.save(out, "WEBP", quality=quality, method=4)
    else:
        rgb = image.convert("RGB") if image.mode != "RGB" else image
        rgb.save(out, "JPEG", quality=quality, optimize=True, progressive=True)
    return out.getvalue()


def _describe(fmt: str, quality: int | None) -> Text:
    if fmt == "PNG":
        return text("fit-format-png")
    return text("fit-format-lossy", format="WebP" if fmt == "WEBP" else "JPEG", quality=quality)
