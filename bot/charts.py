"""A small horizontal bar chart (Pillow) for `/admin quota usage`: members would rather look than read.

Member names come in any script (Cyrillic, CJK, accents, emoji), so text is set with a chain of
fonts, each character with the first font that has it (`TextSetter`): Noto Sans CJK (CJK, Latin,
Cyrillic, Greek; Debian's `fonts-noto-cjk`, installed in the Docker image), Noto Color Emoji (a
bitmap font drawn at its one size and scaled; `fonts-noto-color-emoji`), DejaVu Sans (Latin,
Cyrillic, Greek; shipped in `bot/fonts/`, so any install has it), then Pillow's own font. A font "has" a
character when its glyph is not the font's missing-glyph box (.notdef).
"""

from __future__ import annotations

import functools
import io
import math
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

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

#: Fonts shipped with the package (DejaVu Sans and its licence).
PACKAGE_FONTS = Path(__file__).with_name("fonts")
#: Where installed fonts are looked for (Debian puts its packages' under /usr/share/fonts).
FONT_DIRS = (PACKAGE_FONTS, Path("/usr/share/fonts"), Path("/usr/local/share/fonts"))
#: Outline fonts, in the order a character is looked for in them (the emoji font comes between:
#: DejaVu Sans has black-and-white drawings of some emoji, the colour ones are better).
TEXT_FONTS = ("NotoSansCJK-Regular.ttc", "NotoSansCJKsc-Regular.otf")
FALLBACK_FONTS = ("DejaVuSans.ttf",)
#: Colour emoji: a bitmap font with one size, drawn at it and scaled.
EMOJI_FONTS = ("NotoColorEmoji.ttf",)
EMOJI_SIZE = 109
#: A code point no font maps: what it draws is the font's missing-glyph box.
UNMAPPED = "\U0010ffff"
#: Joiners and variation selectors: drawn with the character before them (emoji sequences).
JOINERS = frozenset({"\u200d", "\ufe0e", "\ufe0f"})


@functools.cache
def find_font(name: str) -> Path | None:
    """The first font file called `name` in FONT_DIRS (the package's own first)."""
    for folder in FONT_DIRS:
        if not folder.is_dir():
            continue
        direct = folder / name
        if direct.is_file():
            return direct
        for found in sorted(folder.rglob(name)):
            return found
    return None


class Face:
    """One font at one size; `scale` < 1 for a bitmap font drawn at its own size and shrunk."""

    def __init__(
        self, font: ImageFont.FreeTypeFont | ImageFont.ImageFont, *, scale: float = 1.0, colour: bool = False
    ) -> None:
        self.font = font
        self.scale = scale
        self.colour = colour
        #: What the font draws for a character it lacks: its missing-glyph box.
        self.notdef = self.mask(UNMAPPED)

    def mask(self, text: str) -> tuple[tuple[int, int], tuple[object, ...]]:
        mask = self.font.getmask(text, mode="RGBA" if self.colour else "L")
        return mask.size, tuple(mask)

    def has(self, char: str) -> bool:
        return char.isspace() or self.mask(char) != self.notdef

    def width(self, text: str) -> float:
        return self.font.getlength(text) * self.scale


class TextSetter:
    """Text at one size in any script: each character in the first face that has a glyph for it."""

    def __init__(self, size: int) -> None:
        self.size = size
        faces: list[Face] = []
        for name in TEXT_FONTS:
            path = find_font(name)
            if path is not None:
                faces.append(Face(ImageFont.truetype(str(path), size)))
        for name in EMOJI_FONTS:
            path = find_font(name)
            if path is not None:
                emoji = ImageFont.truetype(str(path), EMOJI_SIZE)
                faces.append(Face(emoji, scale=size / EMOJI_SIZE, colour=True))
        for name in FALLBACK_FONTS:
            path = find_font(name)
            if path is not None:
                faces.append(Face(ImageFont.truetype(str(path), size)))
        faces.append(Face(ImageFont.load_default(size)))  # the last resort: Latin only
        self.faces = tuple(faces)
        self._chosen: dict[str, Face] = {}

    def face_for(self, char: str) -> Face:
        """The first face with a glyph for `char` (the first face when none has it)."""
        face = self._chosen.get(char)
        if face is None:
            face = next((f for f in self.faces if f.has(char)), self.faces[0])
            self._chosen[char] = face
        return face

    def runs(self, text: str) -> list[tuple[str, Face]]:
        """`text` cut into runs of characters that share a face (a joiner stays with its run)."""
        runs: list[tuple[str, Face]] = []
        for char in text:
            if runs and (char in JOINERS or self.face_for(char) is runs[-1][1]):
                runs[-1] = (runs[-1][0] + char, runs[-1][1])
            else:
                runs.append((char, self.face_for(char)))
        return runs

    def width(self, text: str) -> float:
        return sum(face.width(run) for run, face in self.runs(text))

    def fit(self, text: str, width: float) -> str:
        """`text`, cut with an ellipsis to fit `width` pixels."""
        if self.width(text) <= width:
            return text
        while text and self.width(text + "…") > width:
            text = text[:-1]
        return text + "…"

    def draw(
        self, image: Image.Image, xy: tuple[float, float], text: str, fill: tuple[int, int, int]
    ) -> None:
        """Draw `text` with its top-left corner at `xy` (the line's ascent below it is the baseline)."""
        x, y = xy
        baseline = y + self.size
        draw = ImageDraw.Draw(image)
        for run, face in self.runs(text):
            if face.colour:
                _paste_colour(image, (x, baseline), run, face)
            else:
                draw.text((x, baseline), run, fill=fill, font=face.font, anchor="ls")
            x += face.width(run)


def _paste_colour(image: Image.Image, at: tuple[float, float], run: str, face: Face) -> None:
    """A colour bitmap run: drawn at the font's own size, shrunk, pasted on its baseline."""
    font = face.font
    assert isinstance(font, ImageFont.FreeTypeFont)
    ascent, descent = font.getmetrics()
    width = max(1, math.ceil(font.getlength(run)))
    drawn = Image.new("RGBA", (width, ascent + descent))
    ImageDraw.Draw(drawn).text((0, ascent), run, font=font, anchor="ls", embedded_color=True)
    size = (max(1, round(drawn.width * face.scale)), max(1, round(drawn.height * face.scale)))
    small = drawn.resize(size, Image.Resampling.LANCZOS)
    x, baseline = at
    image.paste(small, (round(x), round(baseline - ascent * face.scale)), small)


@functools.cache
def text_setter(size: int) -> TextSetter:
    return TextSetter(size)


def usage_chart(title: str, rows: Sequence[tuple[str, Decimal, Decimal]], language: str) -> bytes:
    """PNG bytes: one bar per (name, used, held), used in blurple and held in amber; labels in `language`."""
    height = TOP + ROW * max(1, len(rows)) + 36
    image = Image.new("RGB", (WIDTH, height), BACKGROUND)
    draw = ImageDraw.Draw(image)
    title_text, text, small = text_setter(22), text_setter(16), text_setter(13)
    title_text.draw(image, (20, 18), title_text.fit(title, WIDTH - 40), TEXT)
    biggest = max((used + held for _, used, held in rows), default=Decimal(0))
    span = WIDTH - LEFT - RIGHT
    if not rows:
        text.draw(image, (20, TOP + 10), t(language, "chart-empty"), MUTED)
    for index, (name, used, held) in enumerate(rows):
        y = TOP + index * ROW
        text.draw(image, (20, y + 10), text.fit(name, LEFT - 30), TEXT)
        used_px = int(span * used / biggest) if biggest else 0
        held_px = int(span * held / biggest) if biggest else 0
        if used_px:
            draw.rectangle((LEFT, y + 8, LEFT + used_px, y + ROW - 12), fill=USED)
        if held_px:
            draw.rectangle((LEFT + used_px, y + 8, LEFT + used_px + held_px, y + ROW - 12), fill=HELD)
        label = credits(language, used) + (f" (+{credits(language, held)})" if held else "")
        small.draw(image, (LEFT + used_px + held_px + 8, y + 12), label, TEXT)
    legend_y = height - 28
    draw.rectangle((20, legend_y + 3, 32, legend_y + 15), fill=USED)
    used_label = t(language, "chart-used")
    small.draw(image, (38, legend_y), used_label, MUTED)
    held_x = 38 + int(small.width(used_label)) + 16
    draw.rectangle((held_x, legend_y + 3, held_x + 12, legend_y + 15), fill=HELD)
    small.draw(image, (held_x + 18, legend_y), t(language, "chart-held"), MUTED)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
