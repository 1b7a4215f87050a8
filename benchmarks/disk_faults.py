"""Real faults of the bot's data folder for the soak: a full disk and read-only image folders.

The data folder (database, `images/`, `inputs/`) is a small tmpfs of its own, so:

- **disk full**: a ballast file takes every free byte (written until the kernel answers ENOSPC);
  every writer on that filesystem — result images, reference images, SQLite's files — meets
  ENOSPC until the ballast is deleted;
- **read-only**: `images/` and `inputs/` are bind-mounted onto themselves and remounted `ro`, so
  every create, write or unlink in them fails with EROFS (the database beside them stays
  writable); the bind mounts are lazily unmounted when the window ends.

Both need root and a kernel that lets it mount (`mount -t tmpfs`, `mount --bind`); `available()`
says whether this machine does. Nothing is simulated in Python: the bot's code meets the kernel's
own errors.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import os
import random
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from tests.fakes.disk import fill

DISK_FULL = "disk full (ballast file, ENOSPC)"
READ_ONLY = "images/ and inputs/ read-only (ro bind mount, EROFS)"


def _mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True, text=True)


def _umount(path: Path) -> None:
    subprocess.run(["umount", "-l", str(path)], check=False, capture_output=True)


def available() -> str | None:
    """None when tmpfs and read-only bind mounts work here; else why not (one line)."""
    if os.geteuid() != 0:
        return "not root"
    probe = Path(tempfile.mkdtemp(prefix="fluxbot-mount-probe-"))
    try:
        _mount("-t", "tmpfs", "-o", "size=1m", "fluxbot-probe", str(probe))
        try:
            (probe / "d").mkdir()
            _mount("--bind", str(probe / "d"), str(probe / "d"))
            _mount("-o", "remount,ro,bind", str(probe / "d"))
            _umount(probe / "d")
        finally:
            _umount(probe)
    except (subprocess.CalledProcessError, OSError) as exc:
        return f"mount refused: {getattr(exc, 'stderr', '') or exc}".strip()
    finally:
        with contextlib.suppress(OSError):
            probe.rmdir()
    return None


class DiskFaults:
    """A tmpfs data folder and the two fault windows on it; `close()` undoes every mount."""

    def __init__(self, size_mb: int) -> None:
        self.size_mb = size_mb
        self.root = Path(tempfile.mkdtemp(prefix="fluxbot-soak-data-"))
        _mount("-t", "tmpfs", "-o", f"size={size_mb}m,mode=0700", "fluxbot-soak", str(self.root))
        self.images = self.root / "images"
        self.inputs = self.root / "inputs"
        self.images.mkdir()
        self.inputs.mkdir()
        self.ballast = self.root / ".ballast"
        self.read_only: list[Path] = []
        self.windows: collections.Counter[str] = collections.Counter()
        self.seconds: collections.Counter[str] = collections.Counter()
        self.active: str | None = None

    # -- the two faults ---------------------------------------------------------------------------

    def fill(self) -> None:
        """Write the ballast until the filesystem is full."""
        self.ballast = fill(self.root)

    def empty(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.ballast.unlink()

    def make_read_only(self) -> None:
        for folder in (self.images, self.inputs):
            _mount("--bind", str(folder), str(folder))
            self.read_only.append(folder)
            _mount("-o", "remount,ro,bind", str(folder))

    def make_writable(self) -> None:
        while self.read_only:
            _umount(self.read_only.pop())

    def clear(self) -> None:
        self.empty()
        self.make_writable()
        self.active = None

    # -- the schedule -----------------------------------------------------------------------------

    async def run(self, rng: random.Random, gap: tuple[float, float], length: tuple[float, float]) -> None:
        """Faults come and go until cancelled: a quiet gap, then one fault for a while, then cleared."""
        try:
            while True:
                await asyncio.sleep(rng.uniform(*gap))
                kind = rng.choice((DISK_FULL, READ_ONLY))
                self.active = kind
                started = time.monotonic()
                if kind == DISK_FULL:
                    await asyncio.to_thread(self.fill)
                else:
                    await asyncio.to_thread(self.make_read_only)
                self.windows[kind] += 1
                print(f"    fault on:  {kind}", flush=True)
                try:
                    await asyncio.sleep(rng.uniform(*length))
                finally:
                    self.clear()
                    self.seconds[kind] += time.monotonic() - started
                print(f"    fault off: {kind}", flush=True)
        finally:
            self.clear()

    def close(self) -> None:
        """Undo everything (also called on the watchdog's way out)."""
        self.clear()
        _umount(self.root)
        with contextlib.suppress(OSError):
            shutil.rmtree(self.root)
