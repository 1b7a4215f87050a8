"""Hold + settle throughput of the quota ledger on one SQLite file, with a realistic ledger behind it.

    /work/main/.venv/bin/python benchmarks/quota_throughput.py [--rows 100000] [--cycles 3000]

Seeds `--rows` ledger entries (jobs held and charged over 60 days by 500 members of 3 guilds, one
heavy member with thousands of entries in today's period), sets member, role, default and guild
limits so that every check runs, then measures full cycles as production runs them:

    accept  = one transaction: insert the job row + QuotaService.hold (limits, totals, the entry)
    settle  = one transaction: QuotaService.settle (the charge that closes the hold)

sequentially (latency) and from 50 concurrent tasks (throughput under contention, as when many
members click at once); then (4.) as the job manager now runs them, each cycle as two
group-committed units (`Database.atomic`: the accept; the move to `fetching` with the charge),
from 50 concurrent tasks — the units of the moment share one transaction and one trip to the
store's thread. It also times what a hold would cost if usage were re-derived by scanning
the member's entries (`Ledger.derive`) instead of reading the trigger-kept totals.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.jobs.model import Job, JobState, Origin
from bot.periods import period_key
from bot.quota import QuotaService
from bot.settings import Settings
from bot.store.db import open_database
from bot.store.guilds import GuildStore
from bot.store.jobs import JobRepository, Transition
from bot.store.ledger import Ledger, to_units
from bot.store.units import move_and_close, store_new_job

GUILDS = (1001, 1002, 1003)
HEAVY = 424242
ROLES = (7001, 7002)


def seed(path: Path, rows: int, heavy_rows: int) -> None:
    """Jobs and their hold + charge entries, written straight to the file (the triggers keep totals)."""
    now = time.time()
    rng = random.Random(5)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    jobs, entries = [], []
    pairs = rows // 2
    for i in range(pairs):
        heavy = i < heavy_rows // 2
        user = HEAVY if heavy else 10_000 + rng.randrange(500)
        guild = GUILDS[0] if heavy else rng.choice(GUILDS)
        created = now - (0 if heavy else rng.uniform(0, 60 * 86400))
        period = time.strftime("%Y-%m-%d", time.gmtime(created))
        amount = rng.choice(["4", "5", "0.45", "6", "3.5"])
        job_id = f"seed{i:012x}"
        jobs.append(
            (job_id, i + 1, "delivered", "discord", "ttapi", "flux-pro-1.1", "seed", "{}", user, guild, 1,
             amount, created, created)
        )  # fmt: skip
        units = to_units(Decimal(amount))
        for kind, closes in (("hold", 0), ("charge", units)):
            entries.append(
                (kind, guild, user, job_id, amount, units, closes, period, "ttapi", "flux-pro-1.1", None,
                 created)
            )  # fmt: skip
    conn.executemany(
        """INSERT INTO jobs (id, seq, state, origin, provider, model, prompt, params, user_id, guild_id,
               channel_id, estimate, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        jobs,
    )
    conn.executemany(
        """INSERT INTO ledger (kind, guild_id, user_id, job_id, amount, units, closes, period, provider,
               model, size, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        entries,
    )
    conn.commit()
    conn.close()


def new_job(seq: int, user: int) -> Job:
    now = time.time()
    return Job(
        id=f"bench{seq:012x}",
        seq=0,
        state=JobState.QUEUED,
        origin=Origin.DISCORD,
        provider="ttapi",
        model="flux-pro-1.1",
        prompt="benchmark",
        params={"body": {"prompt": "benchmark"}},
        user_id=user,
        guild_id=GUILDS[0],
        channel_id=1,
        estimate=Decimal("0.45"),
        created_at=now,
        updated_at=now,
    )


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def run(folder: Path, rows: int, cycles: int, heavy_rows: int) -> None:
    path = folder / "bench.sqlite3"
    settings = Settings(_env_file=None, database_path=path, quota_default_limit="unlimited")  # type: ignore[call-arg]
    async with open_database(path):
        pass  # migrate
    started = time.perf_counter()
    seed(path, rows, heavy_rows)
    print(f"seeded {rows:,} ledger entries ({heavy_rows:,} for one member today) in "
          f"{time.perf_counter() - started:.1f}s; file {path.stat().st_size / 1e6:.1f} MB")  # fmt: skip

    async with open_database(path) as db:
        ledger, jobs, guilds = Ledger(db), JobRepository(db), GuildStore(db)
        quota = QuotaService(settings, ledger, {("ttapi", "flux-pro-1.1"): Decimal(4)}, guilds=guilds)
        # Every rule is looked at: a member override, two role limits, a default and a guild budget.
        await guilds.set_limit(GUILDS[0], "member", HEAVY, Decimal(10**9), actor_id=1)
        await guilds.set_limit(GUILDS[0], "role", ROLES[0], Decimal(10**8), actor_id=1)
        await guilds.set_limit(GUILDS[0], "role", ROLES[1], Decimal(10**7), actor_id=1)
        await guilds.set_limit(GUILDS[0], "default", 0, Decimal(10**6), actor_id=1)
        await guilds.set_limit(GUILDS[0], "guild", 0, Decimal(10**10), actor_id=1)
        row = await db.fetchone("SELECT COUNT(*) FROM ledger")
        assert row is not None
        print(f"ledger rows before: {row[0]:,}")

        async def hold(job: Job) -> float:
            t0 = time.perf_counter()
            async with db.transaction() as conn:
                await quota.hold(conn, job, role_ids=ROLES)
            return time.perf_counter() - t0

        async def accept(job: Job) -> float:
            t0 = time.perf_counter()
            async with db.transaction() as conn:
                await jobs.insert(conn, job)
                await quota.hold(conn, job, role_ids=ROLES)
            return time.perf_counter() - t0

        async def settle(job: Job) -> float:
            t0 = time.perf_counter()
            async with db.transaction() as conn:
                await quota.settle(conn, job, Decimal("0.45"))
            return time.perf_counter() - t0

        def user(i: int) -> int:
            return HEAVY if i % 2 == 0 else 10_000 + i % 500

        # 1. The quota's own work: hold (one transaction) then settle (another), job rows already
        #    inserted by the job manager (here in bulk, beforehand).
        batch = [new_job(i, user(i)) for i in range(cycles)]
        async with db.transaction() as conn:
            for job in batch:
                await jobs.insert(conn, job)
        holds, settles = [], []
        t0 = time.perf_counter()
        for job in batch:
            holds.append(await hold(job))
            settles.append(await settle(job))
        elapsed = time.perf_counter() - t0
        print(f"\n1. QuotaService.hold + settle, sequential: {cycles:,} cycles in {elapsed:.2f}s")
        print(f"   = {cycles / elapsed:,.0f} hold+settle/s")
        print(f"   hold:   p50 {pct(holds, 0.5):.2f} ms, p99 {pct(holds, 0.99):.2f} ms")
        print(f"   settle: p50 {pct(settles, 0.5):.2f} ms, p99 {pct(settles, 0.99):.2f} ms")

        # 2. As production accepts a job: the job insert and the hold in one transaction, then settle.
        accepts, settles = [], []
        t0 = time.perf_counter()
        for i in range(cycles, 2 * cycles):
            job = new_job(i, user(i))
            accepts.append(await accept(job))
            settles.append(await settle(job))
        elapsed = time.perf_counter() - t0
        print(f"2. insert job + hold, then settle, sequential: {cycles / elapsed:,.0f} cycles/s")
        print(f"   accept: p50 {pct(accepts, 0.5):.2f} ms, p99 {pct(accepts, 0.99):.2f} ms")

        # 3. 50 concurrent tasks (many members at once) doing 2.
        offset = 2 * cycles
        per_task = max(1, cycles // 50)

        async def worker(w: int) -> None:
            for k in range(per_task):
                job = new_job(offset + w * per_task + k, HEAVY if w == 0 else 20_000 + w)
                await accept(job)
                await settle(job)

        t0 = time.perf_counter()
        await asyncio.gather(*(worker(w) for w in range(50)))
        elapsed = time.perf_counter() - t0
        total = per_task * 50
        print(
            f"3. same from 50 concurrent tasks: {total:,} cycles in {elapsed:.2f}s = {total / elapsed:,.0f}/s"
        )

        # 4. As the job manager does it (since the accept and the settle are group-committed units):
        #    the job insert + the hold as one `Database.atomic` unit, the move to `fetching` + the
        #    charge as another; from 50 concurrent tasks, units of the moment share one transaction.
        offset = 3 * cycles

        async def unit_cycle(job: Job) -> None:
            hold = await quota.prepare_hold(job, role_ids=ROLES)
            await db.atomic(store_new_job, job, [], None, hold)  # no queue limit here
            job.state = JobState.RUNNING  # (the submit in between is not the quota's)
            await db.execute_one("UPDATE jobs SET state = 'running' WHERE id = ?", (job.id,))
            move = Transition.of(job, JobState.FETCHING, {"cost": Decimal("0.45")})
            await db.atomic(move_and_close, move, await quota.settlement(job, Decimal("0.45")))

        async def unit_worker(w: int) -> None:
            for k in range(per_task):
                await unit_cycle(new_job(offset + w * per_task + k, HEAVY if w == 0 else 30_000 + w))

        t0 = time.perf_counter()
        await asyncio.gather(*(unit_worker(w) for w in range(50)))
        elapsed = time.perf_counter() - t0
        print(
            f"4. as the job manager does it (group-committed units), 50 concurrent tasks: {total:,} "
            f"cycles in {elapsed:.2f}s = {total / elapsed:,.0f} hold+settle/s"
        )

        # 5. Correctness after the run: the trigger-kept totals equal a scan of the entries.
        key = period_key(quota.now(), "day")
        kept = await ledger.totals(GUILDS[0], HEAVY, key)
        t0 = time.perf_counter()
        derived = await ledger.derive(GUILDS[0], HEAVY, key)
        scan_ms = (time.perf_counter() - t0) * 1000
        t0 = time.perf_counter()
        for _ in range(200):
            await ledger.totals(GUILDS[0], HEAVY, key)
        totals_ms = (time.perf_counter() - t0) * 1000 / 200
        guild_derived_t0 = time.perf_counter()
        guild_derived = await ledger.derive(GUILDS[0], None, key)
        guild_scan_ms = (time.perf_counter() - guild_derived_t0) * 1000
        assert kept == derived, (kept, derived)
        assert await ledger.totals(GUILDS[0], None, key) == guild_derived
        entries = await db.fetchone(
            "SELECT COUNT(*) FROM ledger WHERE guild_id = ? AND user_id = ? AND period = ?",
            (GUILDS[0], HEAVY, key),
        )
        assert entries is not None
        print(f"\nheavy member today: {entries[0]:,} entries, used {kept.used} credits, held {kept.held}")
        print(f"  usage from ledger_totals: {totals_ms:.3f} ms; by a scan of the entries: {scan_ms:.2f} ms")
        print(f"  guild budget re-derived by scanning today's entries: {guild_scan_ms:.2f} ms")
        print("  totals == derive(): yes (member and guild)")
        row = await db.fetchone("SELECT COUNT(*) FROM ledger")
        assert row is not None
        print(f"ledger rows after: {row[0]:,}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000, help="ledger entries to seed")
    parser.add_argument("--heavy", type=int, default=4_000, help="of which for one member today")
    parser.add_argument("--cycles", type=int, default=3_000, help="hold+settle cycles to time")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fluxbot-quota-bench-") as folder:  # ~40 MB: not left behind
        asyncio.run(run(Path(folder), args.rows, args.cycles, args.heavy))


if __name__ == "__main__":
    main()
