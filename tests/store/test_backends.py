"""The store's one interface on each backend (`database` fixture: SQLite, then PostgreSQL).

Units, transactions, the append-only ledger and its one allowed update, exact money and times,
the schema version, and the atomic quota hold under concurrency.
"""

from __future__ import annotations

import asyncio
import threading
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bot.errors import ConfigurationError, QueueFull
from bot.jobs.model import JobState
from bot.quota import QuotaService
from bot.store import Database, open_database, sqlite_path
from bot.store import errors as store_errors
from bot.store.deliveries import Deliveries, Delivery
from bot.store.jobs import JobRepository, StaleJobState, Transition, insert_job
from bot.store.ledger import Ledger, Usage
from bot.store.migrations import SchemaTooNew, latest_schema_version, list_migrations
from bot.store.retention import Retention
from bot.store.statements import POSTGRESQL, SQLITE, Execute, PerDialect, Query, Unit, numbered
from bot.store.units import HoldRefused, move_and_close, store_new_job
from tests.conftest import a_job, make_settings

GUILD, ALICE = 111, 201


def insert_pair(a: int, b: int) -> Unit[int]:
    """Two statements; the second fails on a duplicate (bot_state's key is unique)."""
    yield Execute("INSERT INTO bot_state (key, value, updated_at) VALUES (?, 'x', 0)", (str(a),))
    yield Execute("INSERT INTO bot_state (key, value, updated_at) VALUES (?, 'x', 0)", (str(b),))
    return a + b


async def keys(db: Database) -> list[str]:
    return [r["key"] for r in await db.fetchall("SELECT key FROM bot_state ORDER BY key")]


async def test_a_failing_unit_is_undone_whole_and_the_others_commit(database: Database):
    results = await asyncio.gather(
        database.atomic(insert_pair, 1, 2),
        database.atomic(insert_pair, 3, 3),  # its second insert fails: its first must be undone too
        database.atomic(insert_pair, 5, 6),
        return_exceptions=True,
    )
    assert results[0] == 3
    assert results[2] == 11
    assert isinstance(results[1], store_errors.INTEGRITY_ERRORS)
    assert await keys(database) == ["1", "2", "5", "6"]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # its conflict retries
async def test_a_failing_unit_found_on_the_last_conflict_try_is_answered_not_an_assertion(
    database: Database, monkeypatch: pytest.MonkeyPatch
):
    """PostgreSQL: conflicts up to the last of `CONFLICT_TRIES`, then the attempt finds a failing
    unit among several: the batch runs once more with savepoints (it used to end the loop with
    AssertionError("unreachable") and fail every unit of the batch)."""
    import asyncpg

    from bot.store import postgres

    real = postgres._attempt
    conflicts = 0

    async def conflicting(conn, calls, *, savepoints):  # type: ignore[no-untyped-def]
        nonlocal conflicts
        if conflicts < postgres.CONFLICT_TRIES - 1:
            conflicts += 1
            raise asyncpg.SerializationError("could not serialize access due to concurrent update")
        return await real(conn, calls, savepoints=savepoints)

    monkeypatch.setattr(postgres, "_attempt", conflicting)
    results = await asyncio.gather(
        database.atomic(insert_pair, 1, 2),
        database.atomic(insert_pair, 3, 3),
        return_exceptions=True,
    )
    assert conflicts == postgres.CONFLICT_TRIES - 1
    assert results[0] == 3
    assert isinstance(results[1], store_errors.INTEGRITY_ERRORS)
    assert await keys(database) == ["1", "2"]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # its conflict retries
async def test_a_unit_that_keeps_conflicting_fails_alone_and_the_rest_of_its_batch_commits(
    database: Database, monkeypatch: pytest.MonkeyPatch
):
    """PostgreSQL: after `SPLIT_AFTER` conflicts a batch runs its units one per transaction, so a
    unit that conflicts on every try gets the conflict alone, after its own `CONFLICT_TRIES`."""
    import asyncpg

    from bot.store import postgres

    real = postgres._attempt
    batches: list[int] = []

    async def conflicting(conn, calls, *, savepoints):  # type: ignore[no-untyped-def]
        batches.append(len(calls))
        if any(call.args == (3, 4) for call in calls):
            raise asyncpg.DeadlockDetectedError("deadlock detected")
        return await real(conn, calls, savepoints=savepoints)

    monkeypatch.setattr(postgres, "_attempt", conflicting)
    results = await asyncio.gather(
        database.atomic(insert_pair, 1, 2),
        database.atomic(insert_pair, 3, 4),
        database.atomic(insert_pair, 5, 6),
        return_exceptions=True,
    )
    assert results[0] == 3
    assert isinstance(results[1], asyncpg.DeadlockDetectedError)
    assert results[2] == 11
    assert await keys(database) == ["1", "2", "5", "6"]
    assert batches[: postgres.SPLIT_AFTER] == [3] * postgres.SPLIT_AFTER
    assert batches[postgres.SPLIT_AFTER :] == [1] * (postgres.CONFLICT_TRIES + 2)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # its guild parts
async def test_guild_totals_are_the_sum_of_the_parts_and_parts_of_gone_connections_are_folded(
    database: Database,
):
    """PostgreSQL keeps a guild's totals in one part per connection (migration 0023), plus the row
    written before it (user_key = 0); a part whose connection is gone is folded into that row."""
    from bot.store.postgres import fold_guild_parts

    ledger = Ledger(database)
    await database.execute(
        "INSERT INTO ledger_totals (guild_key, user_key, period, used, held, granted)"
        " VALUES (?, 0, 'p', 5, 1, 0)",
        (GUILD,),
    )
    await database.execute(  # a connection that is gone: no backend has that process id
        "INSERT INTO ledger_guild_parts (guild_key, period, part, used, held, granted)"
        " VALUES (?, 'p', -7, 2, 3, 4)",
        (GUILD,),
    )
    async with database.transaction() as conn:
        await ledger.add(conn, "grant", Decimal(1), period="p", guild_id=GUILD, user_id=None)
    expected = Usage.from_units(7, 4, 4 + 1_000_000)
    assert await ledger.totals(GUILD, None, "p") == expected
    assert await fold_guild_parts(database.pool) == 1  # type: ignore[attr-defined]
    assert await ledger.totals(GUILD, None, "p") == expected
    await database.execute(  # another gone: the hourly sweep folds it too
        "INSERT INTO ledger_guild_parts (guild_key, period, part, used, held, granted)"
        " VALUES (?, 'p', -8, 1, 0, 0)",
        (GUILD,),
    )
    await Retention(database, JobRepository(database), Path("unused"), days=0).sweep()
    expected = Usage.from_units(8, 4, 4 + 1_000_000)
    assert await ledger.totals(GUILD, None, "p") == expected
    parts = await database.fetchall("SELECT part FROM ledger_guild_parts")
    assert -7 not in [r["part"] for r in parts]
    assert len(parts) == 1  # the part of the connection that wrote the grant, still open


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # advisory locks
async def test_a_unit_whose_member_another_process_holds_waits_and_the_rest_of_its_batch_goes_on(
    database: Database, database_url: str, tmp_path: Path
):
    """PostgreSQL: another connection holds Alice's lock (as another process's batch holding her
    hold or charge does). Bob's accept, in the same batch as Alice's, commits at once; Alice's is
    deferred to the next transaction, which waits for the lock and then commits it."""
    import asyncpg

    from bot.store.postgres import take_locks
    from bot.store.statements import member_lock

    quota = QuotaService(make_settings(tmp_path), Ledger(database), {})
    alice, bob = [await quota.prepare_hold(a_job(user, GUILD)) for user in (ALICE, 202)]
    other = await asyncpg.connect(database.url)  # type: ignore[attr-defined]
    try:
        transaction = other.transaction()
        await transaction.start()
        await take_locks(other, [member_lock(ALICE)])
        alices = asyncio.ensure_future(database.atomic(store_new_job, alice.job, [], None, alice))
        await asyncio.wait_for(database.atomic(store_new_job, bob.job, [], None, bob), 5)
        await asyncio.sleep(0.3)
        assert not alices.done()  # waiting for the lock, not refused, not aborted
        await transaction.commit()
        await asyncio.wait_for(alices, 5)
    finally:
        await other.close()
    ids = {r["id"] for r in await database.fetchall("SELECT id FROM jobs")}
    assert ids == {alice.job.id, bob.job.id}


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # its batches
async def test_a_refused_hold_writes_nothing_so_its_batch_goes_on_without_a_savepoint(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """The job goes in only if its hold fits (`Hold.fits`): a refused accept leaves nothing to undo,
    so neither its batch runs again nor do later accepts run in savepoints."""
    from bot.store import postgres

    real = postgres._attempt
    attempts: list[tuple[bool, bool]] = []

    async def counting(conn, calls, *, savepoints):  # type: ignore[no-untyped-def]
        attempts.append((savepoints, any(c.guarded for c in calls)))
        return await real(conn, calls, savepoints=savepoints)

    monkeypatch.setattr(postgres, "_attempt", counting)
    quota = QuotaService(make_settings(tmp_path, quota_default_limit="4"), Ledger(database), {})

    async def accepts(count: int) -> list[Any]:
        holds = [await quota.prepare_hold(a_job(ALICE, GUILD)) for _ in range(count)]
        return await asyncio.gather(
            *(database.atomic(store_new_job, h.job, [], None, h) for h in holds), return_exceptions=True
        )

    first = await accepts(2)  # one fits, the other is refused: one run of the batch
    assert attempts == [(False, False)]
    assert sum(r is None for r in first) == 1
    assert sum(isinstance(r, HoldRefused) for r in first) == 1
    attempts.clear()
    second = await accepts(2)  # both refused: again one run, without savepoints
    assert attempts == [(False, False)]
    assert all(isinstance(r, HoldRefused) for r in second)
    rows = await database.fetchall("SELECT COUNT(*) AS n FROM jobs")
    assert rows[0]["n"] == 1  # the refused jobs were never written


@pytest.fixture
def shared(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many units' statements each asyncpg `fetchmany` carried: one round trip each."""
    import asyncpg

    sizes: list[int] = []
    real = asyncpg.connection.Connection.fetchmany

    async def counting(self, query, args, **kwargs):  # type: ignore[no-untyped-def]
        args = list(args)
        sizes.append(len(args))
        return await real(self, query, args, **kwargs)

    monkeypatch.setattr(asyncpg.connection.Connection, "fetchmany", counting)
    return sizes


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # its round trips
async def test_the_same_write_of_several_units_goes_in_one_round_trip_with_each_units_answer(
    database: Database, tmp_path: Path, shared: list[int]
):
    """Accepts of seven members in one batch: their queue checks, job inserts and holds (one
    statement each) in one round trip per statement text (asyncpg's `fetchmany`), the refused
    ones' queue counts (which check refused them) in one more, and each unit still gets its own
    answer: its `seq`, or a refusal (three members have a limit below the estimate; one has a
    full queue)."""
    quota = QuotaService(make_settings(tmp_path, quota_default_limit="unlimited"), Ledger(database), {})
    for member in (302, 304, 306):
        await quota.guilds.set_limit(GUILD, "member", member, Decimal(3), actor_id=1)
    waiting = await quota.prepare_hold(a_job(307, GUILD))
    await database.atomic(store_new_job, waiting.job, [], 5, waiting)  # member 307: one queued
    shared.clear()
    holds = [await quota.prepare_hold(a_job(member, GUILD)) for member in range(301, 308)]
    results = await asyncio.gather(
        *(database.atomic(store_new_job, h.job, [], 1 if h.job.user_id == 307 else 5, h) for h in holds),
        return_exceptions=True,
    )
    assert results[0:6:2] == [None, None, None]
    assert all(isinstance(r, HoldRefused) for r in results[1:6:2])
    assert isinstance(results[6], QueueFull)  # its own count (1), not another unit's (0)
    # The accepts, each its queue check, its job and its hold in one statement: those of the four
    # unlimited members, then those of the three limited ones (the check has a text per shape of
    # limits, `Ledger.hold_fits`; they wrote nothing); then the four refused ones' queue counts.
    # (Before, the seven queue counts went first, each accept's own statement: [7, 3, 3].)
    assert shared == [4, 3, 4]
    accepted = [waiting.job] + [h.job for h in holds[0:6:2]]
    stored = {r["id"]: r["seq"] for r in await database.fetchall("SELECT id, seq FROM jobs")}
    assert stored == {job.id: job.seq for job in accepted}
    assert sorted(stored.values()) == [job.seq for job in accepted]  # arrival order
    key = quota.current_period()
    for job in accepted:
        usage = await quota.ledger.totals(GUILD, job.user_id, key)
        assert usage.held == Decimal(4)
        assert usage == await quota.ledger.derive(GUILD, job.user_id, key)


@pytest.fixture
def round_trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """From now on, every statement this test's thread sends PostgreSQL through asyncpg (a round
    trip each; a pipelined `fetchmany` once), its first word: as benchmarks/bot_process.py counts."""
    import asyncpg

    sent: list[str] = []
    here = threading.get_ident()

    def wrap(method: str) -> None:
        real = getattr(asyncpg.connection.Connection, method)

        async def counting(self, query, *args, **kwargs):  # type: ignore[no-untyped-def]
            if threading.get_ident() == here:
                sent.append(str(query).split(None, 1)[0].upper().rstrip(";"))
            return await real(self, query, *args, **kwargs)

        monkeypatch.setattr(asyncpg.connection.Connection, method, counting)

    for method in ("execute", "executemany", "fetch", "fetchrow", "fetchval", "fetchmany"):
        wrap(method)
    return sent


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # its round trips
async def test_an_accept_with_a_queue_limit_checks_the_queue_in_its_own_statement(
    database: Database, tmp_path: Path, round_trips: list[str]
):
    """A gateway's accept (a queue limit, a delivery) alone in its batch: BEGIN with the member's
    lock (`begin_with_locks`), one statement (the queue check, the job, its hold, its delivery) and
    COMMIT: three round trips. The queue's count was a statement of its own before it, and BEGIN
    and the lock's try one each, a round trip per command each. A refused accept still says
    which limit refused it (one more statement, only then): the full queue, or the quota."""
    quota = QuotaService(make_settings(tmp_path, quota_default_limit="8"), Ledger(database), {})
    first = await quota.prepare_hold(a_job(ALICE, GUILD))
    delivery = Delivery(first.job.id, 99, "token", 1_700_000_000.0, private=False, locale="en", batch_id=None)
    round_trips.clear()
    await database.atomic(store_new_job, first.job, [], 2, first, delivery)
    # BEGIN with the lock's try, the accept, COMMIT (was 5: BEGIN, the try and the count alone).
    assert round_trips == ["BEGIN", "WITH", "COMMIT"]
    assert await Deliveries(database).get(first.job.id) == delivery
    second = await quota.prepare_hold(a_job(ALICE, GUILD))
    await database.atomic(store_new_job, second.job, [], 2, second)
    third = await quota.prepare_hold(a_job(ALICE, GUILD))
    with pytest.raises(QueueFull):  # two queued, the limit: the queue, though the quota is used up too
        await database.atomic(store_new_job, third.job, [], 2, third)
    with pytest.raises(HoldRefused):  # room in the queue, none in the quota (8 = two estimates of 4)
        await database.atomic(store_new_job, third.job, [], 3, third)
    stored = {r["id"] for r in await database.fetchall("SELECT id FROM jobs")}
    assert stored == {first.job.id, second.job.id}
    usage = await quota.ledger.totals(GUILD, ALICE, quota.current_period())
    assert usage.held == Decimal(8)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # its locks
async def test_a_batch_whose_lock_is_held_elsewhere_runs_the_others_and_defers_that_unit(
    database: Database, tmp_path: Path, round_trips: list[str]
):
    """BEGIN and the batch's lock tries are one round trip; when a lock was not free (another
    process holds it) the batch asks which (one more), runs the other units and defers that one,
    which waits for its lock in the next batch and is stored once the holder commits."""
    import asyncpg

    from bot.store.postgres import take_locks
    from bot.store.statements import member_lock

    quota = QuotaService(make_settings(tmp_path, quota_default_limit="unlimited"), Ledger(database), {})
    holds = [await quota.prepare_hold(a_job(member, GUILD)) for member in (501, 502, 503)]
    other = await asyncpg.connect(database.url)  # type: ignore[attr-defined]
    try:
        holder = other.transaction()
        await holder.start()
        await take_locks(other, [member_lock(502)])  # another process's transaction holds it
        round_trips.clear()
        accepts = [asyncio.ensure_future(database.atomic(store_new_job, h.job, [], 5, h)) for h in holds]
        done, _ = await asyncio.wait([accepts[0], accepts[2]], timeout=10)
        assert len(done) == 2
        assert not accepts[1].done()
        assert [t.result() for t in done] == [None, None]
        # BEGIN with the tries (two of three free), which were free, the two accepts, COMMIT; then
        # the deferred one's BEGIN, waiting for its lock.
        assert round_trips[:4] == ["BEGIN", "SELECT", "WITH", "COMMIT"], round_trips
        assert round_trips[4:] == ["BEGIN"], round_trips
        await holder.rollback()
        assert await asyncio.wait_for(accepts[1], 10) is None
    finally:
        await other.close()
    stored = {r["id"] for r in await database.fetchall("SELECT id FROM jobs")}
    assert stored == {h.job.id for h in holds}


async def test_a_settle_moves_the_job_and_charges_it_together_or_not_at_all(
    database: Database, tmp_path: Path, shared: list[int]
):
    """Three settles in one batch (the move to fetching and the charge): two jobs are charged once
    each; the third was moved by another task first, so its unit fails with `StaleJobState` and
    nothing is charged (its hold stays open). On PostgreSQL the move and the charge are one
    statement, so the three settles go in one round trip (before: the moves, then the charges)."""
    quota = QuotaService(make_settings(tmp_path, quota_default_limit="unlimited"), Ledger(database), {})
    holds = [await quota.prepare_hold(a_job(member, GUILD)) for member in (401, 402, 403)]
    for hold in holds:
        await database.atomic(store_new_job, hold.job, [], None, hold)
        await database.execute_one("UPDATE jobs SET state = 'running' WHERE id = ?", (hold.job.id,))
        hold.job.state = JobState.RUNNING
    moves = [Transition.of(h.job, JobState.FETCHING, {"cost": Decimal(3)}) for h in holds]
    closes = [await quota.settlement(h.job, Decimal(3)) for h in holds]
    stale = holds[2].job
    await database.execute_one("UPDATE jobs SET state = 'failed' WHERE id = ?", (stale.id,))
    shared.clear()
    results = await asyncio.gather(
        *(database.atomic(move_and_close, move, close) for move, close in zip(moves, closes, strict=True)),
        return_exceptions=True,
    )
    assert results[:2] == [None, None]
    assert isinstance(results[2], StaleJobState)
    if database.dialect == POSTGRESQL:
        assert shared == [3]
    rows = await database.fetchall("SELECT job_id, kind, amount FROM ledger ORDER BY id")
    charged = [(r["job_id"], r["amount"]) for r in rows if r["kind"] == "charge"]
    assert charged == [(holds[0].job.id, "3"), (holds[1].job.id, "3")]
    states = {r["id"]: r["state"] for r in await database.fetchall("SELECT id, state FROM jobs")}
    assert states == {holds[0].job.id: "fetching", holds[1].job.id: "fetching", stale.id: "failed"}
    key = quota.current_period()
    for hold, (used, held) in zip(holds, [(3, 0), (3, 0), (0, 4)], strict=True):
        usage = await quota.ledger.totals(GUILD, hold.job.user_id, key)
        assert (usage.used, usage.held) == (Decimal(used), Decimal(held))
        assert usage == await quota.ledger.derive(GUILD, hold.job.user_id, key)


async def test_an_accepted_jobs_delivery_is_stored_with_it_and_a_refused_ones_is_not(
    database: Database, tmp_path: Path, shared: list[int]
):
    """A Discord job's delivery (its interaction's token, language, batch place) is stored in the
    unit that accepts the job, and nothing of a refused one. On PostgreSQL it is written by the
    job's own statement (with the job and its hold: one round trip per statement text for a
    wave, a second one for the deliveries before)."""
    quota = QuotaService(make_settings(tmp_path, quota_default_limit="unlimited"), Ledger(database), {})
    await quota.guilds.set_limit(GUILD, "member", 402, Decimal(3), actor_id=1)  # below the estimate
    holds = [await quota.prepare_hold(a_job(member, GUILD)) for member in (401, 402, 403, 404)]
    deliveries = [
        Delivery(
            h.job.id, 99, f"token-{i}", 1_700_000_000.0 + i, private=i == 2, locale="de", batch_id=f"b{i}"
        )
        for i, h in enumerate(holds)
    ]
    shared.clear()
    results = await asyncio.gather(
        *(
            database.atomic(store_new_job, h.job, [], None, h, d)
            for h, d in zip(holds, deliveries, strict=True)
        ),
        return_exceptions=True,
    )
    assert results[0] is None
    assert results[2:] == [None, None]
    assert isinstance(results[1], HoldRefused)
    stored = Deliveries(database)
    for i, delivery in enumerate(deliveries):
        assert await stored.get(delivery.job_id) == (None if i == 1 else delivery)
    if database.dialect == POSTGRESQL:
        assert shared == [3]  # the three accepts' jobs, holds and deliveries; the refused one alone


async def test_accepts_of_one_member_in_one_batch_never_pass_the_queue_limit(
    database: Database, tmp_path: Path
):
    """On PostgreSQL the units of a batch run side by side only when their locks differ: accepts of
    one member (the queue count, then the insert) run one after the other."""
    quota = QuotaService(make_settings(tmp_path, quota_default_limit="unlimited"), Ledger(database), {})
    holds = [await quota.prepare_hold(a_job(ALICE, GUILD)) for _ in range(6)]
    holds += [await quota.prepare_hold(a_job(ALICE + 1, GUILD)) for _ in range(2)]
    results = await asyncio.gather(
        *(database.atomic(store_new_job, h.job, [], 2, h) for h in holds), return_exceptions=True
    )
    assert results[:6].count(None) == 2
    assert all(isinstance(r, QueueFull) for r in results[:6] if r is not None)
    assert results[6:] == [None, None]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # its batches
async def test_a_failing_statement_in_a_shared_round_trip_fails_its_unit_alone(database: Database):
    """Two units write the same key (unique) in the same shared round trip: the batch runs again
    unit by unit, the second gets the integrity error and the others commit."""
    results = await asyncio.gather(
        database.atomic(insert_pair, 1, 2),
        database.atomic(insert_pair, 1, 4),  # its first insert fails: "1" is the first unit's
        database.atomic(insert_pair, 5, 6),
        return_exceptions=True,
    )
    assert results[0] == 3
    assert isinstance(results[1], store_errors.INTEGRITY_ERRORS)
    assert results[2] == 11
    assert await keys(database) == ["1", "2", "5", "6"]


def test_units_of_a_batch_run_in_waves_of_disjoint_locks_in_arrival_order():
    from bot.store.postgres import Call, waves
    from bot.store.statements import guild_lock, member_lock

    def call(*locks: Any) -> Call:
        return Call(insert_pair, (), locks)

    calls = [
        call(member_lock(1)),
        call(member_lock(2)),
        call(member_lock(1)),
        call(member_lock(3), guild_lock(9)),
        call(member_lock(2), guild_lock(9)),
        call(),
        call(member_lock(1)),
    ]
    assert waves(calls, [5, 0, 1, 2, 3, 4, 6]) == [[5, 0, 1, 3], [2, 4], [6]]


def test_units_that_check_in_one_statement_share_a_wave_with_others_of_their_kind():
    """`Call.single_check` (`locking(single_check=)`): such units of one lock join one wave; a unit of
    any other kind on that lock still waits for the next wave, and the singles after it for the
    one after."""
    from bot.store.postgres import Call, waves
    from bot.store.statements import member_lock

    def call(single: bool, *locks: Any) -> Call:
        return Call(insert_pair, (), locks, single_check=single)

    calls = [
        call(True, member_lock(1)),
        call(True, member_lock(1)),
        call(True, member_lock(1), member_lock(2)),
        call(False, member_lock(1)),
        call(True, member_lock(1)),
        call(True, member_lock(2)),
        call(True, member_lock(3)),
    ]
    assert waves(calls, range(7)) == [[0, 1, 2, 5, 6], [3], [4]]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # its round trips
async def test_accepts_of_one_member_in_one_batch_go_in_one_round_trip_and_never_pass_the_limit(
    database: Database, tmp_path: Path, shared: list[int]
):
    """An accept without a queue limit checks and writes the member's figures in one statement
    (the job and its hold), so six accepts of Alice in one batch go in one round trip, one after
    the other (each sees the holds before it): three fit her limit of 12, three are refused."""
    quota = QuotaService(make_settings(tmp_path, quota_default_limit="12"), Ledger(database), {})
    holds = [await quota.prepare_hold(a_job(ALICE, GUILD)) for _ in range(6)]
    results = await asyncio.gather(
        *(database.atomic(store_new_job, h.job, [], None, h) for h in holds), return_exceptions=True
    )
    assert results[:3] == [None, None, None]  # in arrival order
    assert all(isinstance(r, HoldRefused) for r in results[3:])
    assert shared == [6]
    key = quota.current_period()
    usage = await quota.ledger.totals(GUILD, ALICE, key)
    assert usage.held == Decimal(12)
    assert usage == await quota.ledger.derive(GUILD, ALICE, key)
    rows = await database.fetchall("SELECT COUNT(*) AS n FROM jobs")
    assert rows[0]["n"] == 3


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # its plans
async def test_the_hold_statement_settles_on_one_plan_for_limited_and_unlimited_members(
    database: Database, tmp_path: Path
):
    """The hold's statement has one text per shape of limits (`Ledger.hold_fits`): PostgreSQL
    plans it a few times, then reuses its generic plan. With a NULL parameter for "unlimited" it
    planned every hold afresh (~1.3 ms each, more than running it)."""
    quota = QuotaService(make_settings(tmp_path, quota_default_limit="unlimited"), Ledger(database), {})
    await quota.guilds.set_limit(GUILD, "member", ALICE, Decimal(1000), actor_id=1)
    async with database.transaction() as conn:
        for n in range(24):
            job = a_job(ALICE if n % 2 else ALICE + 1, GUILD)
            await conn.run(insert_job, job)
            await quota.hold(conn, job)
        rows = await conn.fetchall(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
            " WHERE statement LIKE '%INSERT INTO ledger%'"
        )
    assert rows
    assert sum(r["generic_plans"] for r in rows) > sum(r["custom_plans"] for r in rows)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # its conflict retries
async def test_a_unit_conflicting_on_every_try_gets_the_conflict(
    database: Database, monkeypatch: pytest.MonkeyPatch
):
    import asyncpg

    from bot.store import postgres

    tries = 0

    async def conflicting(conn, calls, *, savepoints):  # type: ignore[no-untyped-def]
        nonlocal tries
        tries += 1
        raise asyncpg.SerializationError("could not serialize access due to concurrent update")

    monkeypatch.setattr(postgres, "_attempt", conflicting)
    with pytest.raises(asyncpg.SerializationError):
        await database.atomic(insert_pair, 1, 2)
    assert tries == postgres.CONFLICT_TRIES
    assert await keys(database) == []


async def test_a_unit_receives_rows_and_rowcounts_and_its_dialects_sql(database: Database):
    def unit() -> Unit[tuple[int, list[str], str]]:
        changed = yield Execute(
            "INSERT INTO bot_state (key, value, updated_at) VALUES ('a', '1', 0), ('b', '2', 0)"
        )
        rows = yield Query("SELECT key FROM bot_state WHERE value >= ? ORDER BY key", ("1",))
        row = yield Query(
            PerDialect(sqlite="SELECT 'sqlite' AS d", postgresql="SELECT 'postgresql' AS d"), one=True
        )
        return changed, [r["key"] for r in rows], row[0]

    assert await database.atomic(unit) == (2, ["a", "b"], database.dialect)
    assert await database.execute_one("UPDATE bot_state SET value = ? WHERE key <> ?", ("3", "a")) == 1


async def test_a_transaction_commits_whole_or_not_at_all(database: Database):
    async with database.transaction() as conn:
        assert (
            await conn.execute("INSERT INTO bot_state (key, value, updated_at) VALUES ('kept', '', 0)") == 1
        )
        assert (await conn.fetchone("SELECT COUNT(*) FROM bot_state"))[0] == 1  # its own write, seen inside

    async def fails_after_a_write() -> None:
        async with database.transaction() as conn:
            await conn.execute("INSERT INTO bot_state (key, value, updated_at) VALUES ('lost', '', 0)")
            raise RuntimeError("the caller failed")

    with pytest.raises(RuntimeError):
        await fails_after_a_write()
    assert await keys(database) == ["kept"]


async def test_a_write_cancelled_while_it_begins_leaves_no_transaction_open(database: Database):
    # A task stopped at shutdown (the audit poster's, say) may be cancelled while its BEGIN is on
    # the way to the connection; the store must not stay inside that transaction, or every later
    # write fails. Cancelled at each point of its first steps in turn:
    for steps in range(6):
        task = asyncio.create_task(
            database.executemany(
                "INSERT INTO bot_state (key, value, updated_at) VALUES (?, '', 0)", [(f"cut-{steps}",)]
            )
        )
        for _ in range(steps):
            await asyncio.sleep(0)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        stored = "INSERT INTO bot_state (key, value, updated_at) VALUES (?, '', 0)"
        assert await database.execute_one(stored, (f"after-{steps}",)) == 1
    assert [key for key in await keys(database) if key.startswith("after-")] == [
        f"after-{steps}" for steps in range(6)
    ]


def transactions_begun(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """From now on, the transactions this test's thread begins (asyncpg's, and a batch's BEGIN
    with its locks, `begin_with_locks`); not those of the thread that makes the next tests'
    schemas meanwhile (tests/conftest.py `SchemaMaker`: one counted here failed a CI run)."""
    import asyncpg

    begun: list[object] = []
    real = asyncpg.transaction.Transaction.start
    real_execute = asyncpg.connection.Connection.execute
    here = threading.get_ident()

    async def counting(self):  # type: ignore[no-untyped-def]
        if threading.get_ident() == here:
            begun.append(self)
        return await real(self)

    async def executing(self, query, *args, **kwargs):  # type: ignore[no-untyped-def]
        if threading.get_ident() == here and str(query).lstrip().upper().startswith("BEGIN"):
            begun.append(query)
        return await real_execute(self, query, *args, **kwargs)

    monkeypatch.setattr(asyncpg.transaction.Transaction, "start", counting)
    monkeypatch.setattr(asyncpg.connection.Connection, "execute", executing)
    return begun


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # its round trips
async def test_a_lone_write_statement_is_sent_without_begin_and_commit(
    database: Database, monkeypatch: pytest.MonkeyPatch
):
    """A batch of one `execute_one` (a job's move, say: jobs end one by one) is its statement alone,
    one round trip, not BEGIN, it and COMMIT: its rowcount and its error as before. A unit of
    several statements is still one transaction."""
    begun = transactions_begun(monkeypatch)
    stored = "INSERT INTO bot_state (key, value, updated_at) VALUES (?, '', 0)"
    assert await database.execute_one(stored, ("a",)) == 1
    assert await database.execute_one("UPDATE bot_state SET value = 'x' WHERE key = ?", ("none",)) == 0
    with pytest.raises(store_errors.INTEGRITY_ERRORS):
        await database.execute_one(stored, ("a",))
    assert begun == []
    assert await database.atomic(insert_pair, 1, 2) == 3
    assert len(begun) == 1
    with pytest.raises(store_errors.INTEGRITY_ERRORS):
        await database.atomic(insert_pair, 4, 1)  # its second insert fails: its first is undone
    assert await keys(database) == ["1", "2", "a"]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # its round trips and locks
async def test_a_lone_settle_is_one_statement_that_waits_for_the_members_lock_before_it_holds_the_job(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """Jobs end one by one, so a worker's settle (the move to fetching and the charge) is mostly a
    batch alone: it goes without BEGIN and COMMIT, one round trip where it was three, and its
    statement takes the member's lock itself. While another transaction holds that lock (a hold
    checking the member's totals) it waits, charging nothing, and holds nothing that transaction
    could wait for: the job's row is free until the lock is its own."""
    import asyncpg

    from bot.store.statements import int4_key

    quota = QuotaService(make_settings(tmp_path, quota_default_limit="unlimited"), Ledger(database), {})
    hold = await quota.prepare_hold(a_job(ALICE, GUILD))
    await database.atomic(store_new_job, hold.job, [], None, hold)
    await database.execute_one("UPDATE jobs SET state = 'running' WHERE id = ?", (hold.job.id,))
    hold.job.state = JobState.RUNNING
    settle = Transition.of(hold.job, JobState.FETCHING, {"cost": Decimal(3)})
    url = database.url  # type: ignore[attr-defined]
    holder, other = await asyncpg.connect(url), await asyncpg.connect(url)
    try:
        await holder.execute("BEGIN")
        await holder.fetchval(
            "SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':member'), $1)", int4_key(ALICE)
        )
        begun = transactions_begun(monkeypatch)
        settling = asyncio.ensure_future(
            database.atomic(move_and_close, settle, await quota.settlement(hold.job, Decimal(3)))
        )
        async with asyncio.timeout(10):
            while not await other.fetchval("SELECT count(*) FROM pg_locks WHERE NOT granted"):
                await asyncio.sleep(0.01)
        # The job's row is not held by the waiting settle (NOWAIT: an error if it were).
        assert await other.fetchval("SELECT state FROM jobs WHERE id = $1 FOR UPDATE NOWAIT", hold.job.id)
        assert not settling.done()
        assert await other.fetchval("SELECT count(*) FROM ledger WHERE kind = 'charge'") == 0
        await holder.execute("ROLLBACK")
        assert await asyncio.wait_for(settling, 10) is None
    finally:
        await holder.close()
        await other.close()
    assert begun == []  # one statement, autocommitted
    assert (await JobRepository(database).get(hold.job.id)).state is JobState.FETCHING  # type: ignore[union-attr]
    usage = await quota.ledger.totals(GUILD, ALICE, quota.current_period())
    assert (usage.used, usage.held) == (Decimal(3), 0)
    assert usage == await quota.ledger.derive(GUILD, ALICE, quota.current_period())


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # NOTIFY: PostgreSQL's
async def test_a_lone_announce_is_sent_without_begin_and_commit(
    database: Database, monkeypatch: pytest.MonkeyPatch
):
    """A gateway announces each job it accepted (`pg_notify`, the workers claim it); once the
    accept's batch has gone, the announce is often a batch alone: it was BEGIN, the NOTIFY and
    COMMIT, three round trips for one. Alone it is one, heard as before; beside other units it is
    still part of their transaction (delivered at its commit)."""
    import asyncpg

    from bot.store.claims import ClaimStore

    store = ClaimStore(database)  # type: ignore[arg-type]
    await store.open()
    heard: asyncio.Queue[str] = asyncio.Queue()
    listener = await asyncpg.connect(database.url)  # type: ignore[attr-defined]
    try:
        await listener.add_listener(store.channel, lambda *args: heard.put_nowait(str(args[-1])))
        begun = transactions_begun(monkeypatch)
        await store.notify("alone")
        assert await asyncio.wait_for(heard.get(), 10) == "alone"
        assert begun == []  # was one transaction
        await asyncio.gather(store.notify("together"), database.atomic(insert_pair, 1, 2))
        assert await asyncio.wait_for(heard.get(), 10) == "together"
        assert len(begun) == 1  # one batch, one transaction
    finally:
        await listener.close()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # asyncpg's pool
async def test_a_connection_goes_back_to_the_pool_without_another_round_trip(database: Database):
    """asyncpg resets a released connection with one more statement (advisory unlocks, UNLISTEN,
    RESET ALL): a round trip for every use of the pool. None is sent; nothing needs it."""
    sent: list[str] = []

    def log(record: Any) -> None:
        sent.append(record.query)

    pool = database.pool  # type: ignore[attr-defined]
    async with pool.acquire() as conn:
        raw = conn._con
        raw.add_query_logger(log)
        await conn.fetchval("SELECT 1")
    try:
        await asyncio.sleep(0.1)  # anything the release sent has been logged
        assert sent == ["SELECT 1"]
    finally:
        raw.remove_query_logger(log)
    assert await database.fetchone("SELECT 1 AS one") is not None


async def test_money_and_times_come_back_exactly(database: Database):
    jobs = JobRepository(database)
    job = a_job(estimate="0.123456789")
    job.created_at = 1733450000.123456789
    async with database.transaction() as conn:
        await jobs.insert(conn, job)
    move = Transition.of(job, JobState.SUBMITTING, {})
    await database.atomic(move_and_close, move, Ledger(database).close(job.id, "release"))
    stored = await jobs.get(job.id)
    assert stored is not None
    assert (stored.estimate, stored.created_at, stored.state) == (
        Decimal("0.123456789"),
        job.created_at,
        JobState.SUBMITTING,
    )
    assert str(stored.estimate) == "0.123456789"


async def test_the_ledger_is_append_only_except_for_a_pseudonym(database: Database, tmp_path: Path):
    ledger = Ledger(database)
    async with database.transaction() as conn:
        await ledger.add(conn, "grant", Decimal("2.5"), period="p", guild_id=GUILD, user_id=ALICE, actor_id=7)
    for statement in (
        "UPDATE ledger SET amount = '0'",
        "DELETE FROM ledger",
        "UPDATE ledger SET user_id = NULL",
        "UPDATE ledger SET interaction_id = 5",  # a column added after the trigger (0012, 0013)
    ):
        with pytest.raises(store_errors.INTEGRITY_ERRORS, match="append-only"):
            async with database.transaction() as conn:
                await conn.execute(statement)
    async with database.transaction() as conn:
        assert (
            await conn.execute("UPDATE ledger SET user_id = -5, actor_id = -6 WHERE user_id = ?", (ALICE,))
            == 1
        )
    # The member's totals went with the entry; the guild's did not change.
    assert await ledger.totals(GUILD, ALICE, "p") == await ledger.totals(GUILD, 999, "p")
    assert (await ledger.totals(GUILD, -5, "p")).granted == Decimal("2.5")
    assert await ledger.derive(GUILD, -5, "p") == await ledger.totals(GUILD, -5, "p")
    with pytest.raises(
        store_errors.INTEGRITY_ERRORS, match="append-only"
    ):  # a pseudonym never becomes an id again
        async with database.transaction() as conn:
            await conn.execute("UPDATE ledger SET user_id = ?", (ALICE,))


async def test_concurrent_accepts_never_pass_the_limit_or_the_queue(database: Database, tmp_path: Path):
    """The hold is one statement that checks as it writes: 40 accepts at once, a limit that admits 3."""
    quota = QuotaService(make_settings(tmp_path, quota_default_limit="12"), Ledger(database), {})
    holds = [await quota.prepare_hold(a_job(ALICE, GUILD)) for _ in range(40)]
    results = await asyncio.gather(
        *(database.atomic(store_new_job, h.job, [], 10, h) for h in holds), return_exceptions=True
    )
    assert sum(r is None for r in results) == 3
    assert all(isinstance(r, HoldRefused) for r in results if r is not None)
    key = quota.current_period()
    assert (await quota.ledger.totals(GUILD, ALICE, key)).held == Decimal(12)
    assert await quota.ledger.derive(GUILD, ALICE, key) == await quota.ledger.totals(GUILD, ALICE, key)
    seqs = [r["seq"] for r in await database.fetchall("SELECT seq FROM jobs ORDER BY seq")]
    assert len(seqs) == len(set(seqs)) == 3
    # The member's queue: at 3 unfinished jobs, a queue limit of 3 refuses before anything is held.
    spare = await quota.prepare_hold(a_job(ALICE, GUILD, estimate="0"))
    with pytest.raises(QueueFull):
        await database.atomic(store_new_job, spare.job, [], 3, spare)


async def test_the_first_entries_of_a_period_written_by_two_stores_at_once_both_count(
    database: Database, database_url: str, tmp_path: Path
):
    """The totals row a member's first entry of a period creates: a second store writing the member's
    entry at the same moment waits for the first and adds to that row (PostgreSQL: its UPDATE finds
    no committed row, its insert meets the first one's on the primary key and adds to it,
    migration 0026; SQLite: the second writer waits for the lock). Both amounts count, once."""
    ledger = Ledger(database)
    period = "2026-12-06"
    async with open_database(database_url, data_dir=tmp_path) as other:

        async def grant(db: Database, amount: str) -> None:
            async with db.transaction() as conn:
                await Ledger(db).add(
                    conn, "grant", Decimal(amount), period=period, guild_id=GUILD, user_id=ALICE
                )

        async with database.transaction() as conn:
            await ledger.add(conn, "grant", Decimal(2), period=period, guild_id=GUILD, user_id=ALICE)
            second = asyncio.create_task(grant(other, "3"))
            await asyncio.sleep(0.5)
            assert not second.done()  # waiting for the first transaction's row (or lock)
        await second
        await grant(other, "4")  # the row exists now: added to
    totals = await ledger.totals(GUILD, ALICE, period)
    assert totals == Usage(granted=Decimal(9))
    assert totals == await ledger.derive(GUILD, ALICE, period)


async def test_a_ledger_entry_leaves_its_jobs_row_free_for_a_claim(database: Database, tmp_path: Path):
    """While the transaction that writes a job's ledger entry (here its release) is open, a worker's
    claim (`FOR UPDATE SKIP LOCKED`) still finds the job. On PostgreSQL the foreign key
    ledger.job_id -> jobs locked the job's row FOR KEY SHARE for each entry (a WAL record, and a
    claim skipped the job until the entry committed); migration 0028 drops it. On SQLite the one
    writer already serializes the two."""
    quota = QuotaService(make_settings(tmp_path, quota_default_limit="unlimited"), Ledger(database), {})
    hold = await quota.prepare_hold(a_job(ALICE, GUILD))
    await database.atomic(store_new_job, hold.job, [], None, hold)
    claim = "SELECT id FROM jobs WHERE id = ? FOR UPDATE SKIP LOCKED"
    if database.dialect == SQLITE:
        claim = "SELECT id FROM jobs WHERE id = ?"  # no row locks: one writer at a time
    async with database.transaction() as conn:
        await conn.execute(*quota.release_statement(hold.job, "cancelled").statement)
        if database.dialect == POSTGRESQL:
            claimed = await database.fetchall(claim, (hold.job.id,))  # another connection
            assert [r["id"] for r in claimed] == [hold.job.id]
    assert [r["id"] for r in await database.fetchall(claim, (hold.job.id,))] == [hold.job.id]
    kinds = [r["kind"] for r in await database.fetchall("SELECT kind FROM ledger ORDER BY id")]
    assert kinds == ["hold", "release"]
    assert await quota.ledger.totals(GUILD, ALICE, hold.period) == Usage()


async def test_the_dashboards_daily_charges_read_the_charges_index(database: Database, tmp_path: Path):
    """The web dashboard's usage per day reads a server's charges through the index of charges
    alone (migration 0028: `ledger_charges_by_guild_time`; holds, releases and grants are not
    written into it), on both backends."""
    from bot.store.web import DAILY_CHARGES, WebStore

    quota = QuotaService(make_settings(tmp_path, quota_default_limit="unlimited"), Ledger(database), {})
    hold = await quota.prepare_hold(a_job(ALICE, GUILD))
    await database.atomic(store_new_job, hold.job, [], None, hold)
    async with database.transaction() as conn:
        await quota.settle(conn, hold.job, Decimal(3))
    charges = await WebStore(database).daily_charges(GUILD, since=0)
    assert [(c.model, c.credits) for c in charges] == [("flux-pro-1.1", Decimal(3))]
    # Other servers' entries, so that the planner sees a ledger of some size.
    await database.executemany(
        "INSERT INTO ledger (kind, guild_id, user_id, amount, units, period, model, created_at)"
        " VALUES (?, ?, ?, '1', 1000000, '2026-12-07', 'm', ?)",
        [("charge" if n % 3 else "grant", 1000 + n % 50, n, float(n)) for n in range(3000)],
    )
    await database.execute("ANALYZE ledger")
    async with database.transaction() as conn:
        if database.dialect == POSTGRESQL:
            plan = [r[0] for r in await conn.fetchall(f"EXPLAIN {DAILY_CHARGES}", (GUILD, 0.0))]
        else:
            rows = await conn.fetchall(f"EXPLAIN QUERY PLAN {DAILY_CHARGES}", (GUILD, 0.0))
            plan = [r["detail"] for r in rows]
    assert any("ledger_charges_by_guild_time" in line for line in plan), plan


async def test_a_members_latest_charges_are_read_through_their_index(database: Database):
    """`/quota`'s last charges of a member (`Ledger.recent_entries`) search `ledger_by_member_recent`
    by server and member, on both backends. (With `guild_id IS NOT DISTINCT FROM ?` PostgreSQL
    could not search the index by server: it read every charge of every server.) Outside a server
    (no guild) the member's entries are found too."""
    from bot.store.ledger import recent_entries_query

    ledger = Ledger(database)
    async with database.transaction() as conn:
        for guild, amount in ((GUILD, "1"), (None, "2"), (GUILD + 1, "3")):
            await ledger.add(
                conn, "grant", Decimal(amount), period="2026-12-07", guild_id=guild, user_id=ALICE
            )
    for guild, amount in ((GUILD, "1"), (None, "2"), (GUILD + 1, "3")):
        (entry,) = await ledger.recent_entries(guild, ALICE, kinds=("grant",))
        assert entry.amount == Decimal(amount)
    await database.executemany(
        "INSERT INTO ledger (kind, guild_id, user_id, amount, units, period, model, created_at)"
        " VALUES ('charge', ?, ?, '1', 1000000, '2026-12-07', 'm', ?)",
        [(1000 + n % 50, n % 400, float(n)) for n in range(3000)],
    )
    await database.execute("ANALYZE ledger")
    sql, params = recent_entries_query(GUILD, ALICE, ("charge",), 5)
    async with database.transaction() as conn:
        if database.dialect == POSTGRESQL:
            plan = [r[0] for r in await conn.fetchall(f"EXPLAIN {sql}", params)]
        else:
            plan = [r["detail"] for r in await conn.fetchall(f"EXPLAIN QUERY PLAN {sql}", params)]
    text = " ".join(plan)
    assert "ledger_by_member_recent" in text, plan
    assert "guild_id = " in text or "guild_id=?" in text, plan  # searched by server, not filtered


async def test_the_schema_is_at_the_newest_version_and_a_newer_one_is_refused(
    database: Database, database_url: str, tmp_path: Path
):
    assert await database.schema_version() == latest_schema_version()
    if database.dialect == POSTGRESQL:
        await database.execute("UPDATE fluxbot_schema SET version = 999")
    else:
        await database.execute("PRAGMA user_version = 999")
    with pytest.raises(SchemaTooNew, match="999"):
        async with open_database(database_url, data_dir=tmp_path):
            pass


async def test_ping_answers(database: Database):
    assert await database.ping()


def test_every_migration_has_a_file_for_each_dialect():
    sqlite, postgresql = list_migrations(dialect=SQLITE), list_migrations(dialect=POSTGRESQL)
    assert [n for n, _ in sqlite] == [n for n, _ in postgresql] == list(range(1, latest_schema_version() + 1))
    assert all(not p.name.endswith(".postgresql.sql") for _, p in sqlite)
    assert any(p.name.endswith(".postgresql.sql") for _, p in postgresql)


def test_a_migration_for_one_dialect_only_is_refused(tmp_path: Path):
    (tmp_path / "0001_a.sql").write_text("SELECT 1;")
    (tmp_path / "0002_b.postgresql.sql").write_text("SELECT 1;")
    with pytest.raises(RuntimeError, match="0002"):
        list_migrations(tmp_path)


def test_placeholders_are_numbered_for_postgresql_outside_quotes_and_comments():
    sql = "SELECT '?', \"a?\" FROM t WHERE a = ? AND b IN (?, ?) -- why?\n AND c = ?"
    assert numbered(sql) == "SELECT '?', \"a?\" FROM t WHERE a = $1 AND b IN ($2, $3) -- why?\n AND c = $4"


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:///data/fluxbot.sqlite3", Path("data/fluxbot.sqlite3")),
        ("sqlite:////var/lib/fluxbot/db.sqlite3", Path("/var/lib/fluxbot/db.sqlite3")),
        ("data/fluxbot.sqlite3", Path("data/fluxbot.sqlite3")),
    ],
)
def test_sqlite_urls_name_relative_and_absolute_files(url: str, path: Path):
    assert sqlite_path(url) == path


@pytest.mark.parametrize("url", ["mysql://db/fluxbot", "sqlite:/data.sqlite3", "sqlite://"])
def test_an_unknown_database_url_is_a_configuration_error(url: str):
    with pytest.raises(ConfigurationError):
        sqlite_path(url)
