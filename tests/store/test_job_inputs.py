"""Reference images in the store: kept as the base64 the provider receives; older rows still read."""

from __future__ import annotations

import base64
import random
from decimal import Decimal

from bot.encoding import b64encode
from bot.jobs.model import Job, JobState, Origin
from bot.store.db import open_database
from bot.store.jobs import InputImage, JobRepository


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


async def test_an_image_is_stored_as_its_base64_text_and_read_back_unchanged(tmp_path):
    image = random.Random(5).randbytes(300_000)
    async with open_database(tmp_path / "db.sqlite3") as db:
        jobs = JobRepository(db)
        async with db.transaction() as conn:
            await jobs.insert(conn, _job(), [InputImage("input_image", b64encode(image))])
        row = await db.fetchone("SELECT data, encoding FROM job_inputs")
        assert (bytes(row["data"]), row["encoding"]) == (base64.b64encode(image), "base64")
        (stored,) = await jobs.inputs("job-with-images")
        assert stored.field == "input_image"
        assert stored.base64.ascii == base64.b64encode(image)


async def test_an_image_stored_before_migration_5_as_raw_bytes_is_encoded_when_read(tmp_path):
    image = random.Random(6).randbytes(300_000)
    async with open_database(tmp_path / "db.sqlite3") as db:
        jobs = JobRepository(db)
        async with db.transaction() as conn:
            await jobs.insert(conn, _job())
        # What migration 5 leaves of a row written before it: the image bytes, encoding 'raw'.
        await db.execute(
            "INSERT INTO job_inputs (job_id, idx, field, data) VALUES (?, 0, 'input_image', ?)",
            ("job-with-images", image),
        )
        (stored,) = await jobs.inputs("job-with-images")
        assert stored.base64.ascii == base64.b64encode(image)
