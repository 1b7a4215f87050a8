"""What the Fill and Expand checks cost before a job is accepted (bot/image_tools.py).

For a phone-sized and a 20 MP source: `prepare_fill` with a mask and with the image's transparency,
and `fit_expansion` for a 2× zoom that fits and one that must be scaled down first. Prints the
median and worst wall time of each over `--runs` repetitions, and the peak of the Python heap
(tracemalloc) during one call: Pillow's pixel buffers are outside it (a 12 MP RGBA image is 48 MB
of them). These run on the one image thread (`in_image_thread`), never on the event loop.

    .venv/bin/python benchmarks/image_tools.py [--runs 5]
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
import tracemalloc
from collections.abc import Callable

from PIL import Image, ImageDraw

from bot.image_tools import fit_expansion, prepare_fill


def photo(size: tuple[int, int], *, clear: bool = False) -> bytes:
    image = Image.linear_gradient("L").resize(size).convert("RGBA")
    draw = ImageDraw.Draw(image)
    for step in range(0, size[0], max(1, size[0] // 16)):
        draw.line((step, 0, size[0] - step, size[1]), fill=(step % 256, 90, 160, 255), width=5)
    if clear:
        draw.rectangle((size[0] // 4, size[1] // 4, size[0] // 2, size[1] // 2), fill=(0, 0, 0, 0))
    else:
        image = image.convert("RGB")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def mask(size: tuple[int, int]) -> bytes:
    image = Image.new("L", size, 0)
    ImageDraw.Draw(image).ellipse((size[0] // 4, size[1] // 4, size[0] // 2, size[1] // 2), fill=255)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def measure(name: str, call: Callable[[], object], runs: int) -> None:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    call()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"{name:<46} median {statistics.median(times) * 1000:7.1f} ms   "
        f"worst {max(times) * 1000:7.1f} ms   Python heap peak {peak / 1e6:5.1f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    for label, size in (("phone 4032x3024 (12 MP)", (4032, 3024)), ("result 1024x768", (1024, 768))):
        source, shape, holed = photo(size), mask(size), photo(size, clear=True)
        print(f"{label}: source {len(source) / 1e6:.1f} MB PNG")
        measure("  prepare_fill, with a mask", lambda: prepare_fill(source, shape), runs)  # noqa: B023
        measure("  prepare_fill, transparency", lambda: prepare_fill(holed, None), runs)  # noqa: B023
        measure("  fit_expansion, zoom 2", lambda: fit_expansion(source, zoom=2.0), runs)  # noqa: B023
        measure("  fit_expansion, pan left", lambda: fit_expansion(source, pan="left"), runs)  # noqa: B023


if __name__ == "__main__":
    main()
