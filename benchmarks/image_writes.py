"""What storing one finished image costs, by the folder it goes to (`DATA_DIR`'s disk).

    <checkout>/.venv/bin/python benchmarks/image_writes.py [--images 300] [--size 30000] [FOLDER ...]

A worker stores each result as `write_result` does (bot/jobs/fetching.py: a private folder, the
file written to a `.partial` and renamed, the file and its folder flushed to disk before the job's
row names it), in a new folder under each FOLDER (default: the temporary folder, which `TMPDIR`
sets, and the current one). Printed per folder: CPU (user + system of this process, the kernel's
side included) and wall time per image, and the file's creation alone (open with O_CREAT), which
on some file systems is most of it: on 7 December 2026's machine, creating a file under /tmp cost
0.3–0.8 ms of the kernel's CPU where /var/tmp on the same ext4 cost ~0.02 ms (docs/PERFORMANCE.md,
"Where the images are written"). The figures are the disk's, not fluxbot's, and vary with where the
file system places a new folder: run it a few times where `DATA_DIR` will be.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from narrow import cpu_seconds, print_start

from bot.jobs.fetching import write_result


def measure(parent: Path, images: int, size: int) -> tuple[float, float, float]:
    """(CPU ms, wall ms, CPU ms of the creation alone) per image, in a new folder under `parent`."""
    folder = Path(tempfile.mkdtemp(prefix="fluxbot-writes-", dir=parent))
    try:
        data = os.urandom(size)
        cpu, wall = cpu_seconds(), time.perf_counter()
        for n in range(images):
            write_result(folder / "images" / f"{n}.png", data)
        cpu, wall = cpu_seconds() - cpu, time.perf_counter() - wall
        created = cpu_seconds()
        for n in range(images):
            os.close(os.open(folder / "images" / f"bare-{n}", os.O_WRONLY | os.O_CREAT, 0o600))
        created = cpu_seconds() - created
        return 1000 * cpu / images, 1000 * wall / images, 1000 * created / images
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "folders", nargs="*", type=Path, help="where to write (default: the temporary folder and .)"
    )
    parser.add_argument("--images", type=int, default=300)
    parser.add_argument("--size", type=int, default=30_000, help="bytes per image")
    args = parser.parse_args()
    folders = args.folders or [Path(tempfile.gettempdir()), Path.cwd()]
    print_start()
    print(f"{args.images} images of {args.size:,} bytes per folder, stored as a worker stores a result")
    for parent in folders:
        if not parent.is_dir():
            sys.exit(f"not a folder: {parent}")
        cpu, wall, created = measure(parent, args.images, args.size)
        print(
            f"  {parent}: {cpu:.3f} ms CPU and {wall:.3f} ms wall per image;"
            f" creating the file alone {created:.3f} ms CPU"
        )


if __name__ == "__main__":
    main()
