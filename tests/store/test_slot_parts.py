"""A provider's slots in use, kept as its jobs change (PostgreSQL, migration 0031).

A claim pass reads how many of a provider's jobs hold a slot (`submitting` or `running`, or
`queued` and claimed) from `provider_slot_parts`, which triggers on `jobs` keep in parts, one per
connection. These tests hold the sum of the parts to a count of the jobs, in the same statement
(one snapshot), after every kind of change, from many connections at once, across the fold of
the parts of connections that are gone, and from the migration's first count of the jobs there.
"""

from __future__ import annotations

import asyncio
import random
import shutil
from pathlib import Path

import asyncpg
import pytest

from bot.store import Database
from bot.store.migrations import migrations_dir
from bot.store.postgres import apply_migrations, fold_gone_parts

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

#: Per provider: the jobs holding a slot, counted, and the sum of the parts, in one statement.
SLOTS = """SELECT provider, COALESCE(c.n, 0) AS counted, COALESCE(s.n, 0) AS kept
    FROM (SELECT provider, COUNT(*) AS n FROM jobs
          WHERE state IN ('submitting', 'running') OR (state = 'queued' AND claimed_by IS NOT NULL)
          GROUP BY provider) AS c
    FULL JOIN (SELECT provider, SUM(used) AS n FROM provider_slot_parts GROUP BY provider) AS s
    USING (provider) ORDER BY provider"""

INSERT = """INSERT INTO jobs (id, seq, state, origin, provider, model, prompt, params, user_id,
        estimate, attempts, polls, created_at, updated_at, delivery_attempts, claimed_by)
    VALUES ($1, nextval('jobs_seq'), $2, 'discord', $3, 'flux-dev', 'a cat', '{}', 201, '4',
            0, 0, 0, 0, 0, $4)"""

STATES = ("queued", "submitting", "running", "fetching", "delivering", "delivered", "failed", "cancelled")


async def slots(conn: asyncpg.Connection | asyncpg.Pool) -> dict[str, tuple[int, int]]:
    return {r["provider"]: (r["counted"], r["kept"]) for r in await conn.fetch(SLOTS)}


def pool_of(database: Database) -> asyncpg.Pool:
    return database.pool  # type: ignore[attr-defined,no-any-return]


async def test_the_slots_in_use_follow_every_change_of_a_job(database: Database):
    pool = pool_of(database)
    steps = [
        (INSERT, ("a", "queued", "bfl", None), {}),
        (INSERT, ("b", "queued", "bfl", "w1"), {"bfl": 1}),  # claimed: holds a slot
        (INSERT, ("c", "running", "ttapi", "w1"), {"bfl": 1, "ttapi": 1}),
        ("UPDATE jobs SET state = 'submitting' WHERE id = 'b'", (), {"bfl": 1, "ttapi": 1}),  # slot to slot
        ("UPDATE jobs SET polls = polls + 1, updated_at = 1 WHERE id <> 'a'", (), {"bfl": 1, "ttapi": 1}),
        ("UPDATE jobs SET claimed_by = 'w2' WHERE id = 'a'", (), {"bfl": 2, "ttapi": 1}),
        ("UPDATE jobs SET claimed_by = NULL WHERE id = 'a'", (), {"bfl": 1, "ttapi": 1}),  # a reap
        ("UPDATE jobs SET claimed_by = NULL WHERE id = 'c'", (), {"bfl": 1, "ttapi": 1}),  # started: kept
        ("UPDATE jobs SET provider = 'bfl' WHERE id = 'c'", (), {"bfl": 2, "ttapi": 0}),
        ("UPDATE jobs SET state = 'fetching' WHERE id = 'b'", (), {"bfl": 1, "ttapi": 0}),  # past READY
        ("UPDATE jobs SET state = 'running' WHERE id = 'b'", (), {"bfl": 2, "ttapi": 0}),  # a retry
        ("DELETE FROM jobs WHERE id = 'c'", (), {"bfl": 1, "ttapi": 0}),
        ("UPDATE jobs SET state = 'failed' WHERE id IN ('a', 'b')", (), {"bfl": 0, "ttapi": 0}),
    ]
    for sql, args, expected in steps:
        await pool.execute(sql, *args)
        seen = await slots(pool)
        assert {p: kept for p, (_, kept) in seen.items() if kept or p in expected} == expected, sql
        assert all(counted == kept for counted, kept in seen.values()), sql

    async with pool.acquire() as conn:  # rolled back: its changes to the parts with it
        tr = conn.transaction()
        await tr.start()
        await conn.execute(INSERT, "d", "running", "bfl", "w1")
        await conn.execute("UPDATE jobs SET state = 'queued', claimed_by = 'w1' WHERE id = 'a'")
        assert (await slots(conn))["bfl"] == (2, 2)  # the transaction sees its own
        await tr.rollback()
    assert (await slots(pool))["bfl"] == (0, 0)


async def test_many_connections_changing_jobs_at_once_keep_the_sum_exact_and_never_wait_on_the_parts(
    database: Database, database_url: str
):
    """12 connections, 1,800 transactions of one to three changes (a sixth rolled back) over 60
    jobs of two providers: the sums equal the count at the end, and no transaction failed (the
    parts are each connection's own: they add no lock that two transactions could wait on in a
    circle). Then the connections close and the fold keeps the sums."""
    pool = pool_of(database)
    ids = [f"j{n:02d}" for n in range(60)]
    for n, job_id in enumerate(ids):
        await pool.execute(INSERT, job_id, "queued", ("bfl", "ttapi")[n % 2], None)
    writers = await asyncpg.create_pool(database_url, min_size=12, max_size=12)
    rng = random.Random(15)
    failures: list[BaseException] = []

    async def writer(seed: int) -> None:
        rng_w = random.Random(seed)
        async with writers.acquire() as conn:
            for _ in range(150):
                chosen = sorted(rng_w.sample(ids, rng_w.randint(1, 3)))  # one order: no row deadlocks
                try:
                    tr = conn.transaction()
                    await tr.start()
                    for job_id in chosen:
                        await conn.execute(
                            "UPDATE jobs SET state = $2, claimed_by = $3, provider = $4 WHERE id = $1",
                            job_id,
                            rng_w.choice(STATES),
                            rng_w.choice((None, f"w{seed}")),
                            rng_w.choice(("bfl", "bfl", "ttapi")),
                        )
                    await (tr.rollback() if rng_w.random() < 1 / 6 else tr.commit())
                except Exception as exc:  # any failure is the test's finding
                    failures.append(exc)

    await asyncio.gather(*(writer(rng.randrange(1 << 30)) for _ in range(12)))
    during = await slots(pool)
    pids = {r[0] for r in await pool.fetch("SELECT DISTINCT part FROM provider_slot_parts WHERE part <> 0")}
    await writers.close()

    assert failures == []
    assert all(counted == kept for counted, kept in during.values()), during
    assert sum(counted for counted, _ in during.values()) > 0
    assert len(pids) >= 12  # each writing connection has parts of its own

    folded = await fold_gone_parts(pool)
    assert folded >= 1
    assert await slots(pool) == during
    left = {r[0] for r in await pool.fetch("SELECT DISTINCT part FROM provider_slot_parts")}
    assert left & pids == set()  # the gone connections' parts are in part 0 now
    assert left <= {0} | {r[0] for r in await pool.fetch("SELECT pid FROM pg_stat_activity")}


@pytest.mark.empty_store
async def test_the_migration_counts_the_jobs_already_holding_slots(database_url: str, tmp_path: Path):
    """A deployment at schema 30 with jobs in flight: migration 0031 starts the parts from them."""
    before = tmp_path / "before"
    before.mkdir()
    for path in migrations_dir().glob("*.sql"):
        if int(path.name[:4]) <= 30:
            shutil.copy(path, before / path.name)
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=2)
    try:
        assert await apply_migrations(pool, "test", before) == list(range(1, 31))
        for n, (state, claimed) in enumerate(
            [("queued", None), ("queued", "w1"), ("running", None), ("submitting", "w1"), ("delivered", None)]
            * 3
        ):
            await pool.execute(INSERT, f"old{n}", state, ("bfl", "ttapi", "bfl")[n % 3], claimed)
        expected = await pool.fetchval(
            "SELECT COUNT(*) FROM jobs WHERE state IN ('submitting', 'running')"
            " OR (state = 'queued' AND claimed_by IS NOT NULL)"
        )

        assert (await apply_migrations(pool, "test"))[0] == 31
        seen = await slots(pool)
        assert all(counted == kept for counted, kept in seen.values()), seen
        assert sum(kept for _, kept in seen.values()) == expected == 9
        assert {r[0] for r in await pool.fetch("SELECT part FROM provider_slot_parts")} == {0}
    finally:
        await pool.close()
