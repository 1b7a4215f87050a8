"""Files beside the database: finished images, and the reference images a job is submitted with.

Megabytes do not go into SQLite rows. SQLite's own measurements put the break-even for keeping a
blob in a file at ~100 KB (https://www.sqlite.org/intern-v-extern-blob.html), and here there is
a second reason: the `sqlite3` module copies a bound or fetched blob while holding the GIL, and
an 11 MB reference image written into the WAL, checkpointed and read back through its overflow
pages held the GIL for 40–60 ms at a time under load, during which the bot could not acknowledge a
command (docs/PERFORMANCE-LOG.md, item 17). A file is written and read with system calls that let the
GIL go. The job's row names its files; files are written (and flushed to disk) before the row
commits, so a committed row never names a file that is not there.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.encoding import Base64
from bot.errors import NotFound

log = logging.getLogger(__name__)

#: The suffix of a file still being written; such files are never named by a row.
PARTIAL = ".part"


def write_atomically(path: Path, data: bytes, *, durable: bool = False) -> None:
    """Write `data` to `path` whole or not at all: a reader sees the old file or the new one.

    `durable`: flushed to disk (the file and its directory entry) before returning, for a file a
    database row is about to name.
    """
    tmp = path.with_name(path.name + PARTIAL)
    try:
        with open(tmp, "wb") as out:
            out.write(data)
            if durable:
                out.flush()
                os.fsync(out.fileno())
        tmp.replace(path)
    except BaseException:
        remove_quietly([tmp])  # a full disk keeps no half-written file (it would make it fuller)
        raise
    if durable:
        sync_folder(path.parent)


def sync_folder(folder: Path) -> None:
    """Flush a folder's entries (a file just created or renamed into it) to disk."""
    directory = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def remove_quietly(paths: Iterable[Path]) -> None:
    """Unlink what a failed write left; a failure here changes nothing (the first error is raised)."""
    for path in paths:
        with contextlib.suppress(OSError):
            path.unlink()


#: Folders of members' images (`images/`, `inputs/`): the bot's user only, like the database.
PRIVATE_FOLDER_MODE = 0o700


def private_folder(folder: Path) -> None:
    """Create `folder` readable by the bot's user only; an existing one is left as it is (the
    database's folder around it is 0700 already, `bot.store.db.make_private`)."""
    folder.mkdir(mode=PRIVATE_FOLDER_MODE, parents=True, exist_ok=True)


def private_folder_or_warn(folder: Path, what: str) -> None:
    """`private_folder` at start, where a refusal (a read-only or full disk, a file in the folder's
    place) must not stop the bot: one log line, and every later write into it tries again."""
    try:
        private_folder(folder)
    except OSError as exc:
        log.warning(
            "the folder for %s, %s, cannot be made (%s); starting anyway, writes into it are retried",
            what,
            folder,
            exc.strerror or exc,
        )


@dataclass(frozen=True, slots=True)
class InputImage:
    """A reference image of a job, as the provider's JSON body carries it."""

    field: str  # the request field it fills (image_prompt, input_image, input_image_2, ...)
    base64: Base64


@dataclass(frozen=True, slots=True)
class StoredInput:
    """A reference image written to its file, not yet (or already) named by the job's row."""

    field: str
    file: str  # the file's name in the inputs folder


class InputsLost(NotFound):
    """A job's reference image file is gone (removed by hand, or a disk was swapped).

    The message is for the member; `detail` (which file, where) is for the operator's log.
    """

    def __init__(self, detail: str) -> None:
        super().__init__(
            "The reference image of that job is no longer kept. Run the command again with the image."
        )
        self.detail = detail


class InputFiles:
    """The folder of reference images: `<job id>.<index>.b64`, each the base64 text sent to the provider."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path(self, name: str) -> Path:
        return self.folder / name

    async def write(self, job_id: str, images: Sequence[InputImage]) -> list[StoredInput]:
        """Write a job's images, durably, in a worker thread (the GIL is free while the disk works)."""
        if not images:
            return []
        stored = [StoredInput(image.field, f"{job_id}.{index}.b64") for index, image in enumerate(images)]
        await asyncio.to_thread(self._write_all, stored, images)
        return stored

    def _write_all(self, stored: Sequence[StoredInput], images: Sequence[InputImage]) -> None:
        """All of a job's images or none: a write that fails (disk full) removes those before it."""
        private_folder(self.folder)
        written: list[Path] = []
        try:
            for item, image in zip(stored, images, strict=True):
                write_atomically(self.path(item.file), image.base64.ascii, durable=True)
                written.append(self.path(item.file))
        except BaseException:
            remove_quietly(written)
            raise

    async def read(self, name: str) -> Base64:
        try:
            return Base64(await asyncio.to_thread(self.path(name).read_bytes))
        except FileNotFoundError:
            raise InputsLost(f"reference image file {name} is missing from {self.folder}") from None

    async def discard(self, stored: Iterable[StoredInput]) -> None:
        """Remove files no row will name (the job was refused before it was stored)."""
        names = [item.file for item in stored]
        if names:
            await asyncio.to_thread(self._remove, names)

    def _remove(self, names: Iterable[str]) -> None:
        for name in names:
            with contextlib.suppress(FileNotFoundError):
                self.path(name).unlink()

    def orphans(self, named: set[str], *, older_than: float) -> list[str]:
        """Files no row names, last written before `older_than` (a time.time()).

        Left by a crash between writing them and committing the row. The age keeps files of an
        accept still in progress (the CLI can run next to the bot on the same database) out of it.
        """
        if not self.folder.is_dir():
            return []
        return [
            entry.name
            for entry in os.scandir(self.folder)
            if entry.name not in named and entry.stat().st_mtime < older_than
        ]

    async def remove_orphans(self, named: set[str], *, older_than: float) -> int:
        return await asyncio.to_thread(self._remove_orphans, named, older_than)

    def _remove_orphans(self, named: set[str], older_than: float) -> int:
        names = self.orphans(named, older_than=older_than)
        self._remove(names)
        return len(names)
