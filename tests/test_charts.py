"""The usage chart draws member names in any script: Cyrillic, CJK, accents and emoji (issue 19, item 7).

A character drawn as its font's missing-glyph box (.notdef) is a name the admin cannot read. For
each character of such names, the font the chart picked is asked to draw it, and the mask is
compared with what that same font draws for a code point no font maps (its .notdef box).
"""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from PIL import Image, ImageChops, ImageFont

from bot.charts import JOINERS, UNMAPPED, TextSetter, find_font, usage_chart

NAMES = [
    "Алиса Ёжикова",  # Cyrillic
    "张伟",  # Simplified Chinese
    "佐藤さくら",  # Japanese (kanji, hiragana)
    "김민준",  # Korean
    "José Ñúñez-Çelik",  # accents
    "Ærøskøbing Łódź",  # more Latin letters
    "Γιώργος",  # Greek
    "🎨 Artist 😀👍🏽",  # emoji, with a skin tone
    "👨\u200d👩\u200d👧 family",  # a joined emoji sequence
]


def _mask(font: ImageFont.FreeTypeFont | ImageFont.ImageFont, char: str, colour: bool) -> tuple:
    mask = font.getmask(char, mode="RGBA" if colour else "L")
    return mask.size, tuple(mask)


def test_the_fonts_the_chart_needs_are_installed() -> None:
    """Installed with the product (DejaVu Sans in bot/fonts) and the image (.ci/run, Dockerfile)."""
    assert find_font("DejaVuSans.ttf") is not None
    assert find_font("NotoSansCJK-Regular.ttc") is not None
    assert find_font("NotoColorEmoji.ttf") is not None


@pytest.mark.parametrize("name", NAMES)
def test_no_character_of_a_name_is_the_missing_glyph_box(name: str) -> None:
    setter = TextSetter(16)
    for char in name:
        if char.isspace() or char in JOINERS:
            continue
        face = setter.face_for(char)
        notdef = _mask(face.font, UNMAPPED, face.colour)
        drawn = _mask(face.font, char, face.colour)
        assert drawn != notdef, f"{char!r} (U+{ord(char):04X}) in {name!r} is drawn as a missing glyph"
        assert drawn[0][0] > 0, f"{char!r} in {name!r} draws nothing"


def test_a_name_is_drawn_with_its_own_glyphs_not_boxes() -> None:
    """The chart itself: each name's row differs from the same row drawn as .notdef boxes."""
    rows = [(name, Decimal(10 - i), Decimal(0)) for i, name in enumerate(NAMES)]
    chart = Image.open(io.BytesIO(usage_chart("Usage · 2026-12", rows, "ru"))).convert("RGB")
    boxes = Image.open(
        io.BytesIO(usage_chart("Usage · 2026-12", [(UNMAPPED * len(n), u, h) for n, u, h in rows], "ru"))
    ).convert("RGB")
    assert chart.size == boxes.size
    for index, name in enumerate(NAMES):
        top = 64 + index * 44
        region = (20, top, 210, top + 40)  # where the name is written
        assert ImageChops.difference(chart.crop(region), boxes.crop(region)).getbbox() is not None, name
        assert chart.crop(region).convert("L").getextrema()[1] > 150, f"{name!r} is not drawn"


def test_emoji_keep_their_colour() -> None:
    chart = Image.open(io.BytesIO(usage_chart("x", [("🎨", Decimal(1), Decimal(0))], "en-US"))).convert("RGB")
    region = chart.crop((20, 64, 60, 104))
    colours = {
        pixel for _, pixel in region.getcolors(maxcolors=1 << 16) or [] if max(pixel) - min(pixel) > 60
    }
    assert colours, "the emoji was drawn without colour"


def test_labels_and_numbers_follow_the_language() -> None:
    english = usage_chart("x", [("a", Decimal("1234.5"), Decimal(0))], "en-US")
    german = usage_chart("x", [("a", Decimal("1234.5"), Decimal(0))], "de")
    assert english != german  # "1,234.5 … used" against "1.234,5 … verbraucht"
