"""A Discord job's reply coordinates live beside the job, in `job_deliveries` (migration 0014)."""

from __future__ import annotations

import contextlib
import dataclasses
import sqlite3

from bot.jobs.model import Job
from bot.store.db import open_database
from bot.store.deliveries import Deliveries
from tests.conftest import make_database

DISCORD_FIELDS = {
    "interaction_app_id",
    "interaction_token",
    "interaction_created_at",
    "response_message_id",
    "result_message_id",
}

JOB_COLUMNS = (
    "id, seq, state, origin, provider, model, prompt, params, user_id, estimate, created_at, updated_at"
)


def test_the_job_model_holds_nothing_of_discord():
    assert {f.name for f in dataclasses.fields(Job)} & DISCORD_FIELDS == set()


def _old_job(db: sqlite3.Connection, job_id: str, seq: int, origin: str, **discord: object) -> None:
    names = ", ".join(discord)
    marks = ", ".join("?" * len(discord))
    db.execute(
        f"INSERT INTO jobs ({JOB_COLUMNS}{', ' if discord else ''}{names})"  # noqa: S608
        f" VALUES (?, ?, 'delivered', ?, 'ttapi', 'flux-dev', 'a cat', '{{}}', 1, '1', 0, 0"
        f"{', ' if discord else ''}{marks})",
        (job_id, seq, origin, *discord.values()),
    )


async def test_the_migration_moves_each_discord_jobs_coordinates_beside_it(tmp_path):
    path = tmp_path / "fluxbot.sqlite3"
    make_database(path, 12)
    with contextlib.closing(sqlite3.connect(path)) as db:
        _old_job(
            db,
            "a" * 16,
            1,
            "discord",
            interaction_app_id=2**60,  # snowflakes are 64-bit
            interaction_token="tok",
            interaction_created_at=1700000000.25,
            response_message_id=2**61,
            result_message_id=2**62,
        )
        _old_job(db, "b" * 16, 2, "cli")
        db.commit()

    async with open_database(path) as db:  # migrates to the newest schema
        deliveries = Deliveries(db)
        moved = await deliveries.get("a" * 16)
        assert moved is not None
        assert (moved.app_id, moved.token, moved.created_at) == (2**60, "tok", 1700000000.25)
        assert (moved.response_message_id, moved.result_message_id) == (2**61, 2**62)
        assert await deliveries.get("b" * 16) is None  # a CLI job has no reply to edit

        await deliveries.record(moved, result_message_id=7)
        again = await deliveries.get("a" * 16)
        assert again is not None
        assert again.result_message_id == 7
        assert moved.result_message_id == 7
        assert "tok" not in repr(again)  # the token is a secret
