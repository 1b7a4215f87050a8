"""Several writers on one store at once, as several processes are (issue 15: "limits are global").

Three stores opened on the same database (each its own connections and its own group commits, as
three processes have) accept, charge and release jobs of members of three guilds at once, with
member limits and a guild budget that refuse most holds. Nothing may go over a limit, the
trigger-kept totals must equal a scan of the ledger, and no unit may fail but the refused holds.
On PostgreSQL the writers must also wait for each other rather than abort: not one conflict.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections import Counter
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bot.jobs.model import JobState
from bot.quota import QuotaService
from bot.store import Database, open_database
from bot.store.jobs import Transition
from bot.store.ledger import Ledger
from bot.store.statements import POSTGRESQL
from bot.store.units import HoldRefused, move_and_close, store_new_job
from tests.conftest import a_job, make_settings

STORES = 3
GUILDS = (111, 112, 113)
MEMBERS = tuple(range(201, 207))
MEMBER_LIMIT = Decimal(12)  # three jobs of 4 held at once
GUILD_BUDGET = Decimal(40)  # ten, among six members who could hold eighteen
ROUNDS = 6


@contextlib.asynccontextmanager
async def stores(url: str, tmp_path: Path) -> AsyncIterator[list[Database]]:
    async with contextlib.AsyncExitStack() as stack:
        yield [await stack.enter_async_context(open_database(url, data_dir=tmp_path)) for _ in range(STORES)]


async def writer(db: Database, quota: QuotaService, seed: int, outcomes: Counter[str]) -> None:
    """Rounds of accepts for every member of every guild (in an order of its own), then each
    accepted job charged less than its estimate or released, all in one gather each round."""
    order = [(g, m) for g in GUILDS for m in MEMBERS]
    rng = random.Random(seed)
    for _ in range(ROUNDS):
        rng.shuffle(order)
        holds = [await quota.prepare_hold(a_job(member, guild)) for guild, member in order]
        results = await asyncio.gather(
            *(db.atomic(store_new_job, h.job, [], None, h) for h in holds), return_exceptions=True
        )
        accepted = []
        for hold, result in zip(holds, results, strict=True):
            if result is None:
                accepted.append(hold.job)
                outcomes["accepted"] += 1
            elif isinstance(result, HoldRefused):
                outcomes["refused"] += 1
            else:
                outcomes[f"failed: {type(result).__name__}: {result}"] += 1
        await asyncio.gather(
            *(db.execute_one("UPDATE jobs SET state = 'running' WHERE id = ?", (j.id,)) for j in accepted)
        )  # as between the submit and the result: a unit that needs no lock, in the same batches
        closes: list[Any] = []
        for job in accepted:
            job.state = JobState.RUNNING
            if rng.random() < 0.7:
                move = Transition.of(job, JobState.FETCHING, {"cost": Decimal(3)})
                closes.append(db.atomic(move_and_close, move, await quota.settlement(job, Decimal(3))))
            else:
                move = Transition.of(job, JobState.FAILED, {"error_code": "x", "error_message": "x"})
                closes.append(db.atomic(move_and_close, move, quota.release_statement(job)))
        for result in await asyncio.gather(*closes, return_exceptions=True):
            outcomes["closed" if result is None else f"failed: {type(result).__name__}: {result}"] += 1


async def test_writers_of_several_stores_never_pass_a_limit_and_no_unit_fails(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    limits = {"quota_default_limit": str(MEMBER_LIMIT), "quota_guild_limit": str(GUILD_BUDGET)}
    settings = make_settings(tmp_path, **limits)
    conflicts: list[str] = []
    async with stores(database_url, tmp_path) as dbs:
        if dbs[0].dialect == POSTGRESQL:
            from bot.store import postgres

            real = postgres._attempt

            async def counting(conn, calls, *, savepoints):  # type: ignore[no-untyped-def]
                try:
                    return await real(conn, calls, savepoints=savepoints)
                except postgres.RETRIED as exc:
                    conflicts.append(type(exc).__name__)
                    raise

            monkeypatch.setattr(postgres, "_attempt", counting)
        quotas = [QuotaService(settings, Ledger(db), {}) for db in dbs]
        outcomes: Counter[str] = Counter()
        await asyncio.gather(*(writer(db, quotas[i], i, outcomes) for i, db in enumerate(dbs)))

        ledger = quotas[0].ledger
        period = quotas[0].current_period()
        assert [k for k in outcomes if k.startswith("failed")] == []
        assert outcomes["closed"] == outcomes["accepted"] > 0
        assert outcomes["refused"] > 0  # the limits were reached: the check raced
        for guild in GUILDS:
            budget = await ledger.totals(guild, None, period)
            assert budget == await ledger.derive(guild, None, period)
            assert budget.held == 0  # every accepted job was closed
            assert budget.used <= GUILD_BUDGET
            for member in MEMBERS:
                usage = await ledger.totals(guild, member, period)
                assert usage == await ledger.derive(guild, member, period)
                assert usage.used <= MEMBER_LIMIT
        if dbs[0].dialect == POSTGRESQL:  # each connection added to a part of the guild's own
            parts = await dbs[0].fetchall("SELECT COUNT(*) AS n FROM ledger_guild_parts GROUP BY guild_key")
            assert max(r["n"] for r in parts) > 1
        # Every hold was checked against the figures of the moment: replayed in the order they
        # committed, the ledger never had a member or a guild over its limit.
        rows = await dbs[0].fetchall("SELECT kind, guild_id, user_id, units, closes FROM ledger ORDER BY id")
        committed: Counter[tuple[int, int]] = Counter()
        for row in rows:
            change = {"hold": row["units"], "release": -row["units"], "charge": row["units"] - row["closes"]}
            delta = change[row["kind"]]
            for key in ((row["guild_id"], row["user_id"]), (row["guild_id"], 0)):
                committed[key] += delta
            if row["kind"] == "hold":
                assert committed[(row["guild_id"], row["user_id"])] <= MEMBER_LIMIT * 1_000_000
                assert committed[(row["guild_id"], 0)] <= GUILD_BUDGET * 1_000_000
    assert conflicts == []  # PostgreSQL: the writers waited for each other, none was rolled back
