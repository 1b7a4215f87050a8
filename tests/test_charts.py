"""The usage chart draws member names in any script: Cyrillic, CJK, accents and emoji (issue 19, item 7).

A character drawn as its font's missing-glyph box (.notdef) is a name the admin cannot read. For
each character of such names, the font the chart picked is asked to draw it, and the mask is
compared with what that same font draws for a code point no font maps (its .notdef box).

Chinese, Japanese, Korean and colour emoji need Noto Sans CJK and Noto Color Emoji, system packages
(Debian's fonts-noto-cjk and fonts-noto-color-emoji) that .ci/run and the Docker image install: on a
machine without them their cases are skipped with how to install them, and under CI they fail.
Without them the chart falls back to DejaVu Sans, shipped with the package: tested here too.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from decimal import Decimal

import pytest
from PIL import Image, ImageChops, ImageFont

from bot import charts
from bot.charts import JOINERS, PACKAGE_FONTS, UNMAPPED, TextSetter, find_font, usage_chart

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
#: The names only the Noto fonts draw (the others DejaVu Sans does).
NEEDS_NOTO = frozenset(NAMES[1:4] + NAMES[7:9])
NOTO_FONTS = ("NotoSansCJK-Regular.ttc", "NotoColorEmoji.ttf")


def require_noto() -> None:
    """Skip unless the Noto fonts are installed (fail instead under CI, which installs them)."""
    missing = [name for name in NOTO_FONTS if find_font(name) is None]
    if not missing:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{', '.join(missing)} missing: .ci/run installs Debian's Noto font packages")
    pytest.skip(
        "Noto Sans CJK / Noto Color Emoji are not installed here "
        "(apt-get install fonts-noto-cjk fonts-noto-color-emoji; .ci/run does it)"
    )


def _mask(font: ImageFont.FreeTypeFont | ImageFont.ImageFont, char: str, colour: bool) -> tuple:
    mask = font.getmask(char, mode="RGBA" if colour else "L")
    return mask.size, tuple(mask)


def test_the_fallback_font_ships_with_the_package() -> None:
    assert find_font("DejaVuSans.ttf") == PACKAGE_FONTS / "DejaVuSans.ttf"


def test_the_fonts_the_chart_needs_are_installed() -> None:
    """Installed with the image (Dockerfile) and by .ci/run."""
    require_noto()
    assert all(find_font(name) is not None for name in NOTO_FONTS)


def assert_every_character_drawn(name: str) -> None:
    """Each character of `name`, in the face the chart picks for it, is a glyph of its own: neither
    the face's missing-glyph box nor nothing."""
    setter = TextSetter(16)
    for char in name:
        if char.isspace() or char in JOINERS:
            continue
        face = setter.face_for(char)
        notdef = _mask(face.font, UNMAPPED, face.colour)
        drawn = _mask(face.font, char, face.colour)
        assert drawn != notdef, f"{char!r} (U+{ord(char):04X}) in {name!r} is drawn as a missing glyph"
        assert drawn[0][0] > 0, f"{char!r} in {name!r} draws nothing"


@pytest.mark.parametrize("name", NAMES)
def test_no_character_of_a_name_is_the_missing_glyph_box(name: str) -> None:
    if name in NEEDS_NOTO:
        require_noto()
    assert_every_character_drawn(name)


def test_a_name_is_drawn_with_its_own_glyphs_not_boxes() -> None:
    """The chart itself: each name's row differs from the same row drawn as .notdef boxes."""
    require_noto()
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
    require_noto()
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


@pytest.fixture
def only_the_package_fonts(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The chart on a machine with no font installed: only the package's own (DejaVu Sans)."""
    monkeypatch.setattr(charts, "FONT_DIRS", (PACKAGE_FONTS,))
    charts.find_font.cache_clear()
    charts.text_setter.cache_clear()
    yield
    charts.find_font.cache_clear()
    charts.text_setter.cache_clear()


@pytest.mark.usefixtures("only_the_package_fonts")
def test_without_the_noto_fonts_latin_cyrillic_and_greek_names_are_still_drawn() -> None:
    """The documented fallback (README, "the usage chart"): DejaVu Sans draws these; CJK and emoji
    come out as boxes, and the chart is still made."""
    assert find_font("NotoSansCJK-Regular.ttc") is None
    for name in NAMES:
        if name not in NEEDS_NOTO:
            assert_every_character_drawn(name)
    rows = [(name, Decimal(1), Decimal(0)) for name in NAMES]
    chart = Image.open(io.BytesIO(usage_chart("Usage · 2026-12", rows, "en-US")))
    assert chart.format == "PNG"
    assert chart.size[1] == charts.TOP + charts.ROW * len(NAMES) + 36
