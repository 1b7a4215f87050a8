"""Thumbnails for "My images": made once with Pillow, kept in `DATA_DIR/thumbs/`, served with cache
headers. A thumbnail is named after its job: the Delete paths and the retention sweep remove it
with the image (`bot.store.retention.thumbnail_of`)."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from bot.encoding import in_image_thread
from bot.store.files import write_atomically
from bot.store.retention import thumbnail_of

#: The longest side of a thumbnail, in pixels (shown at up to 240 CSS pixels: sharp on 1.5x screens).
SIZE = 360


class Thumbnails:
    def __init__(self, data_dir: Path) -> None:
        self.folder = data_dir / "thumbs"
        #: How many thumbnails this process has made (the benchmark checks none is made twice).
        self.made = 0

    def path(self, job_id: str) -> Path:
        return thumbnail_of(self.folder.parent, job_id)

    async def get(self, job_id: str, image: Path) -> Path:
        """The job's thumbnail, made from `image` the first time it is asked for. Requests for the
        same one at once make it once: the image thread takes one call at a time, and the next
        finds the file."""
        target = self.path(job_id)
        if await in_image_thread(_make, image, target):
            self.made += 1
        return target


def _make(image: Path, target: Path) -> bool:
    """Make the thumbnail unless it exists; whether it was made. A missing image: FileNotFoundError."""
    if target.exists():
        return False
    with Image.open(image) as source:
        source.thumbnail((SIZE, SIZE))
        picture = source.convert("RGB")
    out = io.BytesIO()
    picture.save(out, "WEBP", quality=80)
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    write_atomically(target, out.getvalue())
    return True
