"""Real disk faults for tests (root only): a small tmpfs, made read-only or filled to the last byte.

Root ignores file modes, so a read-only folder must be a read-only mount; the kernel's own EROFS
and ENOSPC reach the bot's code. benchmarks/disk_faults.py does the same for the soak, with this `fill()`.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

MOUNT, UMOUNT = shutil.which("mount"), shutil.which("umount")


def _mount(*args: str) -> None:
    subprocess.run([str(MOUNT), *args], check=True, capture_output=True, text=True)


needs_mounts = pytest.mark.skipif(
    os.geteuid() != 0 or MOUNT is None or UMOUNT is None,
    reason="needs root and mount (a real read-only or full disk)",
)


@contextlib.contextmanager
def tmpfs(folder: Path, size_mb: int = 8) -> Iterator[Path]:
    """`folder` (created) becomes a tmpfs of its own until the block ends."""
    folder.mkdir(parents=True, exist_ok=True)
    _mount("-t", "tmpfs", "-o", f"size={size_mb}m,mode=0700", "fluxbot-test", str(folder))
    try:
        yield folder
    finally:
        subprocess.run([str(UMOUNT), "-l", str(folder)], check=False, capture_output=True)


def remount(folder: Path, *, read_only: bool) -> None:
    """A tmpfs from `tmpfs()` made read-only (every create, write, chmod or unlink: EROFS) or writable."""
    _mount("-o", "remount," + ("ro" if read_only else "rw"), str(folder))


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[Path]:
    remount(folder, read_only=True)
    try:
        yield folder
    finally:
        remount(folder, read_only=False)


def fill(folder: Path) -> Path:
    """A ballast file in `folder` that takes every free byte of its filesystem; returns its path.

    Written unbuffered, down to single bytes, until the kernel answers ENOSPC."""
    ballast = folder / ".ballast"
    fd = os.open(ballast, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        for size in (1 << 20, 4096, 1):
            block = b"\0" * size
            while True:
                try:
                    os.write(fd, block)
                except OSError as exc:
                    if exc.errno != errno.ENOSPC:
                        raise
                    break
    finally:
        os.close(fd)
    return ballast
