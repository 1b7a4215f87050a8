"""`python -m bot generate --tool fill|expand` offline: the mock provider repaints and pads for real."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest
from PIL import Image

from bot.__main__ import parse_args
from bot.cli import generate
from bot.errors import InvalidInput
from tests.conftest import FAST_POLLING, cli_env, make_settings

SOURCE = (20, 110, 220)


def save(tmp_path: Path, name: str, image: Image.Image) -> str:
    image.save(tmp_path / name)
    return str(tmp_path / name)


def source(tmp_path: Path, size=(96, 64), clear: tuple[int, int, int, int] | None = None) -> str:
    image = Image.new("RGBA", size, (*SOURCE, 255))
    if clear is not None:
        image.paste((0, 0, 0, 0), clear)
    return save(tmp_path, "image.png", image)


def mask(tmp_path: Path, size=(96, 64), white=(48, 0, 96, 64), fill=0) -> str:
    image = Image.new("L", size, fill)
    if white is not None:
        image.paste(255, white)
    return save(tmp_path, "mask.png", image)


async def run(tmp_path: Path, *argv: str) -> tuple[int, Image.Image | None]:
    settings = make_settings(tmp_path)
    out = tmp_path / "out.png"
    args = parse_args(["generate", *argv, "--provider", "mock", "--out", str(out)])
    code = await generate(settings, args, mock_delay=0.05, poll_policy=FAST_POLLING)
    if not out.exists():
        return code, None
    image = Image.open(out)
    image.load()
    return code, image.convert("RGB")


def jobs(tmp_path: Path) -> list[tuple[str, str, str]]:
    with closing(sqlite3.connect(tmp_path / "fluxbot.sqlite3")) as db:
        return db.execute("SELECT model, provider, state FROM jobs").fetchall()


async def test_fill_with_a_mask_repaints_the_white_half_and_keeps_the_black_half(tmp_path, capsys):
    code, image = await run(
        tmp_path, "a red door", "--tool", "fill", "--image", source(tmp_path), "--mask", mask(tmp_path)
    )

    assert code == 0, capsys.readouterr().err
    assert image is not None
    assert image.size == (96, 64)
    assert image.getpixel((10, 30)) == SOURCE  # black in the mask: kept
    assert image.getpixel((70, 30)) != SOURCE  # white: repainted
    assert jobs(tmp_path) == [("flux-pro-1.0-fill", "mock", "delivered")]


async def test_fill_without_a_mask_repaints_the_transparent_area(tmp_path, capsys):
    code, image = await run(
        tmp_path, "a window", "--tool", "fill", "--image", source(tmp_path, clear=(0, 0, 40, 64))
    )

    assert code == 0, capsys.readouterr().err
    assert image is not None
    assert image.getpixel((80, 30)) == SOURCE
    assert image.getpixel((10, 30)) != (0, 0, 0)


async def test_expand_pads_with_drawn_content_around_the_unchanged_image(tmp_path, capsys):
    code, image = await run(
        tmp_path, "more sky", "--tool", "expand", "--image", source(tmp_path), "--top", "30", "--left", "20"
    )

    assert code == 0, capsys.readouterr().err
    assert image is not None
    assert image.size == (116, 94)
    assert image.getpixel((20 + 48, 30 + 32)) == SOURCE  # the source, where it was put
    assert image.getpixel((5, 5)) != SOURCE  # the new area is drawn
    assert jobs(tmp_path) == [("flux-pro-1.0-expand", "mock", "delivered")]


async def test_expand_with_only_a_zoom_flag_needs_no_prompt(tmp_path, capsys):
    code, image = await run(tmp_path, "--zoom 2", "--tool", "expand", "--image", source(tmp_path))

    assert code == 0, capsys.readouterr().err
    assert image is not None
    assert image.size == (192, 128)


async def test_expand_past_the_limit_scales_the_source_down_and_says_so(tmp_path, capsys):
    big = save(tmp_path, "big.png", Image.new("RGB", (1800, 1200), SOURCE))

    code, image = await run(tmp_path, "a plain --zoom 2", "--tool", "expand", "--image", big)

    assert code == 0
    assert "scaled down from 1800×1200" in capsys.readouterr().err
    assert image is not None
    assert image.width * image.height <= 2048 * 2048


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["x", "--tool", "fill", "--mask", "MASK:90x64"], "The mask is 90×64 but the image is 96×64"),
        (["x", "--tool", "fill", "--mask", "MASK:black"], "The mask is all black"),
        (["x", "--tool", "fill", "--mask", "MASK:white"], "The mask is all white"),
        (["x", "--tool", "fill"], "this one has no transparency"),
        (["x", "--tool", "expand"], "Say how far to expand"),
        (["x", "--mask", "MASK:black"], "--mask goes with --tool fill"),
        (["x", "--left", "10"], "go with --tool expand"),
        (["x", "--tool", "fill", "--model", "flux-dev"], "leave out --model"),
    ],
    ids=[
        "mask-size",
        "black-mask",
        "white-mask",
        "no-mask-no-alpha",
        "no-sides",
        "mask-alone",
        "sides-alone",
        "model",
    ],
)
async def test_tool_refusals_spend_nothing(tmp_path, argv, expected):
    shapes = {"MASK:90x64": {"size": (90, 64)}, "MASK:black": {"white": None}, "MASK:white": {"fill": 255}}
    argv = [mask(tmp_path, **shapes[a]) if a in shapes else a for a in argv]

    with pytest.raises(InvalidInput, match=expected.replace("(", r"\(")) as refused:
        await run(tmp_path, *argv, "--image", source(tmp_path))

    assert "Traceback" not in str(refused.value)
    assert not (tmp_path / "out.png").exists()
    database = tmp_path / "fluxbot.sqlite3"
    assert not database.exists() or jobs(tmp_path) == []


def test_the_entry_point_runs_fill_offline(tmp_path):
    image, painted = source(tmp_path), mask(tmp_path)
    more = ["--mask", painted, "--provider", "mock", "--out", "filled.png"]
    done = subprocess.run(
        [sys.executable, "-m", "bot", "generate", "a red door", "--tool", "fill", "--image", image, *more],
        cwd=tmp_path,
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 0, done.stderr
    assert "saved filled.png" in done.stdout
    with Image.open(tmp_path / "filled.png") as result:
        assert result.size == (96, 64)
    with closing(sqlite3.connect(tmp_path / "data" / "fluxbot.sqlite3")) as db:
        assert db.execute("SELECT kind, amount FROM ledger ORDER BY id").fetchall() == [
            ("hold", "5"),
            ("charge", "5"),
        ]
