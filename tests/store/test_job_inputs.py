"""Reference images: files beside the database, named by the job's row; rows of older versions still read."""

from __future__ import annotations

import base64
import contextlib
import os
import random
import resource
import signal
import time
from collections.abc import Iterator
from decimal import Decimal

import pytest

from bot.encoding import b64encode
from bot.jobs.model import Job, JobState, Origin
from bot.store.files import InputFiles, InputImage, InputsLost, StoredInput
from bot.store.jobs import JobRepository


def _job() -> Job:
    return Job(
        id="job-with-images",
        seq=0,
        state=JobState.QUEUED,
        origin=Origin.CLI,
        provider="bfl",
        model="flux-kontext-pro",
        prompt="make it blue",
        params={},
        user_id=1,
        guild_id=None,
        channel_id=None,
        estimate=Decimal("4"),
        created_at=0.0,
        updated_at=0.0,
    )


async def test_an_image_is_kept_in_a_file_as_its_base64_text_and_read_back_unchanged(tmp_path, database):
    image = random.Random(5).randbytes(300_000)
    db = database
    jobs = JobRepository(db)
    async with db.transaction() as conn:
        await jobs.insert(conn, _job(), [InputImage("input_image", b64encode(image))])
    row = await db.fetchone("SELECT data, encoding, file FROM job_inputs")
    assert (bytes(row["data"]), row["file"]) == (b"", "job-with-images.0.b64")
    assert (tmp_path / "inputs" / "job-with-images.0.b64").read_bytes() == base64.b64encode(image)
    assert [p.name for p in (tmp_path / "inputs").iterdir()] == ["job-with-images.0.b64"]  # no .part
    (stored,) = await jobs.inputs("job-with-images")
    assert stored.field == "input_image"
    assert stored.base64.ascii == base64.b64encode(image)


async def test_images_are_read_back_in_their_order(tmp_path, database):
    images = [random.Random(seed).randbytes(1000 + seed) for seed in range(3)]
    db = database
    jobs = JobRepository(db)
    fields = ["input_image", "input_image_2", "input_image_3"]
    async with db.transaction() as conn:
        await jobs.insert(
            conn, _job(), [InputImage(f, b64encode(i)) for f, i in zip(fields, images, strict=True)]
        )
    stored = await jobs.inputs("job-with-images")
    assert [(s.field, s.base64.ascii) for s in stored] == [
        (f, base64.b64encode(i)) for f, i in zip(fields, images, strict=True)
    ]


async def test_a_missing_file_is_reported_as_lost_not_as_an_empty_image(tmp_path, database):
    db = database
    jobs = JobRepository(db)
    async with db.transaction() as conn:
        await jobs.insert(conn, _job(), [InputImage("input_image", b64encode(b"png"))])
    (tmp_path / "inputs" / "job-with-images.0.b64").unlink()
    with pytest.raises(InputsLost) as lost:
        await jobs.inputs("job-with-images")
    assert "job-with-images.0.b64" in lost.value.detail  # the operator's log says which file
    assert "inputs" not in str(lost.value)  # the member's message names no path


async def test_a_transaction_that_does_not_commit_leaves_an_orphan_that_the_sweep_removes(tmp_path, database):
    db = database
    jobs = JobRepository(db)
    kept = _job()
    async with db.transaction() as conn:
        await jobs.insert(conn, kept, [InputImage("input_image", b64encode(b"kept"))])
    lost = _job()
    lost.id = "job-never-stored"
    with contextlib.suppress(RuntimeError):
        async with db.transaction() as conn:
            await jobs.insert(conn, lost, [InputImage("input_image", b64encode(b"lost"))])
            raise RuntimeError("the accept failed after the files were written")
    assert await jobs.get("job-never-stored") is None
    folder = tmp_path / "inputs"
    assert sorted(p.name for p in folder.iterdir()) == ["job-never-stored.0.b64", "job-with-images.0.b64"]
    # Too recent: it could be an accept still in progress in another process.
    assert await jobs.remove_orphan_inputs(older_than=time.time() - 600) == 0
    hour_ago = time.time() - 3600
    for path in folder.iterdir():
        os.utime(path, (hour_ago, hour_ago))
    assert await jobs.remove_orphan_inputs(older_than=time.time() - 600) == 1
    assert [p.name for p in folder.iterdir()] == ["job-with-images.0.b64"]
    assert len(await jobs.inputs("job-with-images")) == 1


@contextlib.contextmanager
def files_limited_to(size: int) -> Iterator[None]:
    """The kernel refuses writes past `size` bytes in any file (RLIMIT_FSIZE, EFBIG), as a disk
    that fills in the middle of a write does: the first part of the data lands, then an error."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the error instead of the signal
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)


async def test_a_write_that_fails_part_way_leaves_no_file(tmp_path):
    # Found by benchmarks/soak.py: accepts refused by a full disk left `<job>.0.b64.part` files that
    # no row names (removed only at a start ten minutes later), making the full disk fuller.
    files = InputFiles(tmp_path / "inputs")
    small, large = b64encode(b"x" * 600), b64encode(random.Random(1).randbytes(6000))
    images = [InputImage("input_image", small), InputImage("input_image_2", large)]
    with files_limited_to(4096), pytest.raises(OSError, match="too large"):
        files._write_all([StoredInput(i.field, f"job.{n}.b64") for n, i in enumerate(images)], images)

    assert list((tmp_path / "inputs").iterdir()) == []  # neither the first file nor the half second


@pytest.mark.parametrize(
    ("encoding", "stored_as"),
    [
        ("base64", base64.b64encode),  # written between migrations 5 and 7: the text, in the row
        ("raw", bytes),  # written before migration 5: the image bytes, encoded when read
    ],
)
async def test_an_image_kept_in_its_row_by_an_older_version_is_read_from_the_row(
    tmp_path, database, encoding, stored_as
):
    image = random.Random(7).randbytes(300_000)
    db = database
    jobs = JobRepository(db)
    async with db.transaction() as conn:
        await jobs.insert(conn, _job())
    await db.execute(
        "INSERT INTO job_inputs (job_id, idx, field, data, encoding) VALUES (?, 0, 'input_image', ?, ?)",
        ("job-with-images", stored_as(image), encoding),
    )
    (stored,) = await jobs.inputs("job-with-images")
    assert stored.base64.ascii == base64.b64encode(image)
