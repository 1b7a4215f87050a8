"""A small horizontal bar chart (Pillow) for `/admin quota usage`: members would rather look than read."""

from __future__ import annotations

import io
from collections.abc import Sequence
from decimal import Decimal

from PIL import Image, ImageDraw, ImageFont

from bot.i18n import credits, t

WIDTH = 800
ROW = 44
TOP = 64
LEFT = 220
RIGHT = 110
BACKGROUND = (43, 45, 49)
TEXT = (230, 231, 233)
MUTED = (148, 155, 164)
USED = (88, 101, 242)
HELD = (250, 168, 26)


Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


def _font(size: int) -> Font:
    return ImageFont.load_default(size=size)


def _fit(draw: ImageDraw.ImageDraw, text: str, font: Font, width: int) -> str:
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text + "…"


def usage_chart(title: str, rows: Sequence[tuple[str, Decimal, Decimal]], language: str) -> bytes:
    """PNG bytes: one bar per (name, used, held), used in blurple and held in amber; labels in `language`."""
    height = TOP + ROW * max(1, len(rows)) + 36
    image = Image.new("RGB", (WIDTH, height), BACKGROUND)
    draw = ImageDraw.Draw(image)
    title_font, font, small = _font(22), _font(16), _font(13)
    draw.text((20, 18), _fit(draw, title, title_font, WIDTH - 40), fill=TEXT, font=title_font)
    biggest = max((used + held for _, used, held in rows), default=Decimal(0))
    span = WIDTH - LEFT - RIGHT
    if not rows:
        draw.text((20, TOP + 10), t(language, "chart-empty"), fill=MUTED, font=font)
    for index, (name, used, held) in enumerate(rows):
        y = TOP + index * ROW
        draw.text((20, y + 10), _fit(draw, name, font, LEFT - 30), fill=TEXT, font=font)
        used_px = int(span * used / biggest) if biggest else 0
        held_px = int(span * held / biggest) if biggest else 0
        if used_px:
            draw.rectangle((LEFT, y + 8, LEFT + used_px, y + ROW - 12), fill=USED)
        if held_px:
            draw.rectangle((LEFT + used_px, y + 8, LEFT + used_px + held_px, y + ROW - 12), fill=HELD)
        label = credits(language, used) + (f" (+{credits(language, held)})" if held else "")
        draw.text((LEFT + used_px + held_px + 8, y + 12), label, fill=TEXT, font=small)
    legend_y = height - 28
    draw.rectangle((20, legend_y + 3, 32, legend_y + 15), fill=USED)
    used_label = t(language, "chart-used")
    draw.text((38, legend_y), used_label, fill=MUTED, font=small)
    held_x = 38 + int(draw.textlength(used_label, font=small)) + 16
    draw.rectangle((held_x, legend_y + 3, held_x + 12, legend_y + 15), fill=HELD)
    draw.text((held_x + 18, legend_y), t(language, "chart-held"), fill=MUTED, font=small)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
