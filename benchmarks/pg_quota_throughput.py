"""Quota hold + settle from 4 processes on one PostgreSQL, against `pgbench` on the same server
(issue 15, item 8: ">= 3,000/s, or >= 80 % of what pgbench reaches with a comparable two-statement
transaction; never over a limit").

    FLUXBOT_BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test \\
        .venv/bin/python benchmarks/pg_quota_throughput.py [--procs 4] [--tasks 50] [--seconds 15]

A schema of its own (dropped at the end), migrated by the product (`open_database`). Members of one
guild, half of them with a member limit that lets only a share of their jobs in (so holds are
refused, and the limit check races across processes), half unlimited. Then `--procs` real
processes (multiprocessing, spawn), each with its own `PostgresDatabase` pool and on the event
loop `python -m bot run` takes on PostgreSQL (`--loop`, as `EVENT_LOOP`: auto is uvloop), run `--tasks`
concurrent tasks doing cycles as the job core runs them (the shape of `quota_throughput.py` 4.),
for `--seconds` (as long as the pgbench run it is compared with, so the figure is a sustained
throughput; `--cycles N` runs a fixed N attempts per process instead):

    accept = QuotaService.prepare_hold + Database.atomic(store_new_job)   (job insert + the hold)
    (the job moves to running: one UPDATE with the submit's id and time, as the driver's move)
    settle = Database.atomic(move_and_close, -> fetching with the result's columns, as the
             follower's move, QuotaService.settlement)   (the charge)

A refused hold (`HoldRefused`) counts as refused and rolls its unit back. A unit whose batch
still met a serialization conflict after the store's CONFLICT_TRIES runs is counted (and fails
the target). Afterwards the ledger is read back: for every member `Ledger.derive` (a scan of the
entries) must equal the trigger-kept totals and used + held must be within the limit; charges must
equal the accepted jobs.

Then `pgbench` (4 clients, the same server) runs a comparable two-statement transaction on a
ledger-like table: INSERT an entry + UPDATE the member's totals row. Printed: our hold+settle pairs
per second, pgbench's transactions per second, and the ratio. Each pair is two durable units (the
accept and the settle, each its own commit or a share of a group commit) against pgbench's one
transaction, so the ratio per unit is twice the ratio per pair; the target reads per pair.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import re
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlparse

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import machine_busy, pg_admin, postgres_server_cpu, print_machine

from bot.event_loop import loop_factory
from bot.event_loop import run as run_on
from bot.jobs.model import Job, JobState, Origin
from bot.periods import period_key
from bot.quota import QuotaService
from bot.settings import Settings
from bot.store import open_database
from bot.store.guilds import GuildStore
from bot.store.jobs import Transition
from bot.store.ledger import Ledger
from bot.store.postgres import CONFLICT_TRIES
from bot.store.units import HoldRefused, move_and_close, store_new_job

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"
GUILD = 1001
PRICE = Decimal("0.45")
MODEL = ("ttapi", "flux-pro-1.1")
MEMBERS = 200  # shared by all processes: the same member is held from several at once
CONFLICTS = (asyncpg.SerializationError, asyncpg.DeadlockDetectedError)
LIMITED_JOBS = 12  # a limited member's limit lets this many jobs in per period


def limited(user: int) -> bool:
    return user % 2 == 0


def limit_of(user: int) -> Decimal | None:
    return PRICE * LIMITED_JOBS if limited(user) else None


def settings_for(url: str, folder: Path) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None, database_url=url, data_dir=folder, quota_default_limit="unlimited"
    )


def new_job(proc: int, seq: int, user: int) -> Job:
    now = time.time()
    return Job(
        id=f"pgq{proc:02d}{seq:010x}",
        seq=0,
        state=JobState.QUEUED,
        origin=Origin.DISCORD,
        provider=MODEL[0],
        model=MODEL[1],
        prompt="benchmark",
        params={"body": {"prompt": "benchmark"}},
        user_id=user,
        guild_id=GUILD,
        channel_id=1,
        estimate=PRICE,
        created_at=now,
        updated_at=now,
    )


# -- one process ----------------------------------------------------------------------------------


#: What a child reports: (start, end, accepted, refused, CPU seconds, accept conflicts, settle
#: conflicts, other errors, attempts, per third of the run: (attempts, accepted, CPU seconds)).
Result = tuple[float, float, int, int, float, int, int, Counter[str], int, list[tuple[int, int, float]]]


async def run_process(
    proc: int, url: str, folder: str, tasks: int, cycles: int | None, seconds: float, start: Any
) -> Result:
    data = Path(folder)
    settings = settings_for(url, data)
    cpu0 = time.process_time()
    async with open_database(url, data_dir=data, migrate=False) as db:
        quota = QuotaService(settings, Ledger(db), {MODEL: Decimal(4)}, guilds=GuildStore(db))
        per_task = None if cycles is None else cycles // tasks
        accepted = refused = accept_conflicts = settle_conflicts = attempts = 0
        other: Counter[str] = Counter()

        async def one(seq: int, user: int) -> None:
            nonlocal accepted, refused, accept_conflicts, settle_conflicts, attempts
            attempts += 1
            job = new_job(proc, seq, user)
            hold = await quota.prepare_hold(job)
            try:
                await db.atomic(store_new_job, job, [], None, hold)
            except HoldRefused:
                refused += 1
                return
            except CONFLICTS:  # the store ran the batch CONFLICT_TRIES times: nothing stored
                accept_conflicts += 1
                return
            except Exception as exc:  # any other store error: counted, shown
                other[f"accept: {type(exc).__name__}: {exc}"[:120]] += 1
                return
            try:
                # The columns the job core's moves set (bot/jobs/driver.py, following.py), so the
                # same indexes are written: the submit's id and time, then the result's.
                submitted = time.time()
                await db.execute_one(
                    "UPDATE jobs SET state = 'running', provider_job_id = ?, polling_url = ?,"
                    " submitted_at = ?, updated_at = ? WHERE id = ?",
                    (f"p-{job.id}", f"https://provider.invalid/{job.id}", submitted, submitted, job.id),
                )
                job.state = JobState.RUNNING
                ready = {
                    "cost": PRICE,
                    "ready_at": time.time(),
                    "result_url": f"https://cdn.invalid/{job.id}.png",
                    "seed": 1,
                    "polls": 3,
                }
                move = Transition.of(job, JobState.FETCHING, ready)
                await db.atomic(move_and_close, move, await quota.settlement(job, PRICE))
            except CONFLICTS:  # the hold stays open, the job in queued or running
                settle_conflicts += 1
                return
            except Exception as exc:
                other[f"settle: {type(exc).__name__}: {exc}"[:120]] += 1
                return
            accepted += 1

        async def task(t: int, deadline: float) -> None:
            k = 0
            while (k < per_task) if per_task is not None else (time.time() < deadline):
                # Members as the fixed count of 2,000 per process (40 a task) always chose them:
                # each task its own sequence, alternating limited and unlimited members.
                spread = t * (per_task or 40) + k
                k += 1
                await one(t * 10**7 + k, (spread * 7 + proc * 13) % MEMBERS + 1)

        thirds: list[tuple[int, int, float]] = []

        async def sample(span: float) -> None:  # attempts, accepted and CPU at each third's end
            for _ in range(3):
                await asyncio.sleep(span)
                thirds.append((attempts, accepted, time.process_time()))

        await quota.prepare_hold(new_job(proc, 10**9, 1))  # warm the rules cache and the pool
        await asyncio.to_thread(start.wait)
        t0 = time.time()
        sampler = asyncio.create_task(sample(seconds / 3)) if per_task is None else None
        cpu_start = time.process_time()
        await asyncio.gather(*(task(t, t0 + seconds) for t in range(tasks)))
        t1 = time.time()
        if sampler is not None:
            sampler.cancel()
        ends = [(a, b, c) for a, b, c in thirds[:2]] + [(attempts, accepted, time.process_time())]
        starts = [(0, 0, cpu_start), *ends[:2]]
        by_third = [(e[0] - s[0], e[1] - s[1], e[2] - s[2]) for s, e in zip(starts, ends, strict=True)]
    return (
        t0, t1, accepted, refused, time.process_time() - cpu0, accept_conflicts, settle_conflicts,
        other, attempts, by_third,
    )  # fmt: skip


def child(
    proc: int,
    url: str,
    folder: str,
    tasks: int,
    cycles: int | None,
    seconds: float,
    loop: str,
    start: Any,
    out: Any,
) -> None:
    _, factory = loop_factory(loop, postgresql=True)  # type: ignore[arg-type]
    out.put((proc, run_on(run_process(proc, url, folder, tasks, cycles, seconds, start), factory)))


# -- the parent -----------------------------------------------------------------------------------


async def prepare(url: str, folder: Path) -> None:
    async with open_database(url, data_dir=folder) as db:  # migrates
        guilds = GuildStore(db)
        for user in range(1, MEMBERS + 1):
            member_limit = limit_of(user)
            if member_limit is not None:
                await guilds.set_limit(GUILD, "member", user, member_limit, actor_id=1)


async def verify(url: str, folder: Path, accepted: int) -> tuple[int, int, int]:
    """Return (members over their limit, members whose totals differ from a scan, charges)."""
    settings = settings_for(url, folder)
    async with open_database(url, data_dir=folder, migrate=False) as db:
        ledger = Ledger(db)
        quota = QuotaService(settings, ledger, {MODEL: Decimal(4)}, guilds=GuildStore(db))
        key = period_key(quota.now(), "day")
        over = differ = 0
        for user in range(1, MEMBERS + 1):
            derived = await ledger.derive(GUILD, user, key)
            kept = await ledger.totals(GUILD, user, key)
            differ += derived != kept
            member_limit = limit_of(user)
            if member_limit is not None and derived.used + derived.held > member_limit:
                over += 1
        row = await db.fetchone("SELECT COUNT(*) FROM ledger WHERE kind = 'charge'")
        assert row is not None
        charges = int(row[0])
    return over, differ, charges


#: The longest-running transaction of another session in this database (ours are a few ms): while
#: one runs, PostgreSQL keeps every version of a row updated since it began, so the totals rows
#: that every ledger entry updates (a member's, the connection's guild part) grow a version per
#: entry and each entry walks them (docs/PERFORMANCE.md, "Quota hold + settle").
_OLDEST = """SELECT COALESCE(max(extract(epoch FROM now() - xact_start)), 0) FROM pg_stat_activity
    WHERE datname = current_database() AND backend_xmin IS NOT NULL AND pid <> pg_backend_pid()"""


def watch_oldest(url: str, stop: threading.Event, seen: list[float]) -> None:
    """Every 0.2 s until `stop`: the age of the oldest transaction in the database, into `seen`."""

    async def watch() -> None:
        conn = await asyncpg.connect(url)
        try:
            while not stop.is_set():
                seen.append(float(await conn.fetchval(_OLDEST)))
                await asyncio.sleep(0.2)
        finally:
            await conn.close()

    asyncio.run(watch())


async def totals_pages(url: str) -> tuple[int, int]:
    """The pages of the two tables of totals rows (a page or two each when old versions are pruned)."""
    conn = await asyncpg.connect(url)
    try:
        row = await conn.fetchrow(
            "SELECT pg_relation_size('ledger_totals') / 8192, pg_relation_size('ledger_guild_parts') / 8192"
        )
        assert row is not None
        return int(row[0]), int(row[1])
    finally:
        await conn.close()


def with_schema(url: str, name: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}search_path={name}"


PGBENCH_SQL = """\
\\set uid random(1, {members})
BEGIN;
INSERT INTO pgb_ledger (kind, guild_id, user_id, job_id, amount, units, period, created_at)
    VALUES ('hold', {guild}, :uid, md5(random()::text), 0.45, 450000, '{period}', extract(epoch from now()));
UPDATE pgb_totals SET held = held + 450000 WHERE user_id = :uid;
END;
"""


class CpuSplit(NamedTuple):
    """Where the CPU of a timed window went: the clients' (our processes, or pgbench), the
    PostgreSQL server's (every `postgres` process of this machine), and how busy the machine was."""

    client: float
    server: float
    busy: float  # the machine's share of all its cores' time that was busy

    def line(self, what: str, count: int, client: str) -> str:
        """Per `what` (a pair, a transaction), and the rate the machine's cores allow at that CPU."""
        if count == 0:
            return f"  CPU: no {what} done"
        cores = os.cpu_count() or 1
        per_client, per_server = self.client * 1000 / count, self.server * 1000 / count
        if self.server == 0:  # the server runs elsewhere: its CPU is not seen from here
            return f"  CPU per {what}: {client} {per_client:.3f} ms (PostgreSQL not on this machine)"
        total = per_client + per_server
        return (
            f"  CPU per {what}: {client} {per_client:.3f} ms + PostgreSQL's {per_server:.3f} ms = "
            f"{total:.3f} ms; the machine's {cores} cores {self.busy:.0%} busy: at this CPU per {what} "
            f"they allow {cores * 1000 / total:,.0f} a second"
        )


def cpu_now() -> tuple[float, float, tuple[float, float]]:
    """The marks a `CpuSplit` is taken between: (reaped children's CPU, the server's, the machine's)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return children.ru_utime + children.ru_stime, postgres_server_cpu(), machine_busy()


def cpu_since(mark: tuple[float, float, tuple[float, float]], client: float | None = None) -> CpuSplit:
    """The split since `mark`; the client's CPU is the reaped children's (pgbench) unless given."""
    children, server, (busy, total) = cpu_now()
    busy_share = (busy - mark[2][0]) / max(total - mark[2][1], 1e-9)
    return CpuSplit(children - mark[0] if client is None else client, server - mark[1], busy_share)


class Pgbench(NamedTuple):
    tps: float
    transactions: int
    cpu: CpuSplit


def pgbench_binary() -> str | None:
    found = shutil.which("pgbench")
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/pgbench"))
    return str(candidates[-1]) if candidates else None


async def run_pgbench(url: str, schema: str, clients: int, seconds: int) -> Pgbench | None:
    binary = pgbench_binary()
    if binary is None:
        print("pgbench: not found (install the PostgreSQL client)")
        return None
    admin = await asyncpg.connect(url)
    try:
        await admin.execute(f"SET search_path = {schema}")
        await admin.execute(
            """CREATE TABLE pgb_ledger (id BIGSERIAL PRIMARY KEY, kind TEXT NOT NULL, guild_id BIGINT,
                   user_id BIGINT NOT NULL, job_id TEXT NOT NULL, amount NUMERIC NOT NULL,
                   units BIGINT NOT NULL, period TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL)"""
        )
        await admin.execute("CREATE INDEX pgb_ledger_member ON pgb_ledger (guild_id, user_id, period)")
        await admin.execute("CREATE INDEX pgb_ledger_job ON pgb_ledger (job_id)")
        await admin.execute(
            "CREATE TABLE pgb_totals (user_id BIGINT PRIMARY KEY, held BIGINT NOT NULL DEFAULT 0)"
        )
        await admin.execute(f"INSERT INTO pgb_totals (user_id) SELECT generate_series(1, {MEMBERS})")
    finally:
        await admin.close()
    parts = urlparse(url)
    env = {
        **os.environ,
        "PGHOST": parts.hostname or "127.0.0.1",
        "PGPORT": str(parts.port or 5432),
        "PGUSER": parts.username or "postgres",
        "PGDATABASE": (parts.path or "/postgres").lstrip("/"),
        "PGOPTIONS": f"-c search_path={schema}",
    }
    if parts.password:
        env["PGPASSWORD"] = parts.password
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
        script.write(PGBENCH_SQL.format(members=MEMBERS, guild=GUILD, period=time.strftime("%Y-%m-%d")))
    try:
        mark = cpu_now()
        done = subprocess.run(
            [binary, "-n", "-c", str(clients), "-j", str(min(clients, 2)), "-T", str(seconds),
             "-f", script.name],
            env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        cpu = cpu_since(mark)
    finally:
        os.unlink(script.name)
    if done.returncode != 0:
        print(f"pgbench failed ({done.returncode}): {done.stderr.strip()[-500:]}")
        return None
    match = re.search(r"tps = ([\d.]+) \(without initial connection time\)", done.stdout)
    if match is None:
        match = re.search(r"tps = ([\d.]+)", done.stdout)
    if match is None:
        print(f"pgbench: no tps in its output:\n{done.stdout}")
        return None
    tps = float(match.group(1))
    processed = re.search(r"number of transactions actually processed: (\d+)", done.stdout)
    return Pgbench(tps, int(processed.group(1)) if processed else round(tps * seconds), cpu)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--procs", type=int, default=4, help="processes doing hold + settle")
    parser.add_argument("--tasks", type=int, default=50, help="concurrent tasks per process")
    parser.add_argument(
        "--seconds", type=float, default=None,
        help="run the cycles this long (default: --pgbench-seconds, the run it is compared with)",
    )  # fmt: skip
    parser.add_argument(
        "--cycles", type=int, default=None, help="a fixed number of hold attempts per process instead"
    )
    parser.add_argument("--pgbench-seconds", type=int, default=15)
    parser.add_argument(
        "--loop", choices=("auto", "uvloop", "asyncio"), default="auto",
        help="the processes' event loop, as EVENT_LOOP (default auto: the product's on PostgreSQL, uvloop)",
    )  # fmt: skip
    args = parser.parse_args()
    url = os.environ.get("FLUXBOT_BENCH_DATABASE_URL") or DEFAULT_URL
    print_machine()
    name = f"fluxbot_bench_{secrets.token_hex(4)}"
    folder = Path(tempfile.mkdtemp(prefix="fluxbot-pgquota-"))
    asyncio.run(pg_admin(url, f"CREATE SCHEMA {name}"))
    try:
        bench_url = with_schema(url, name)
        asyncio.run(prepare(bench_url, folder))
        limited_members = sum(limited(u) for u in range(1, MEMBERS + 1))
        seconds = float(args.pgbench_seconds if args.seconds is None else args.seconds)
        if args.cycles is None:
            what = f"hold attempts for {seconds:g} s"
        else:
            what = f"{args.procs * (args.cycles // args.tasks) * args.tasks:,} hold attempts"
        loop_name, _ = loop_factory(args.loop, postgresql=True)
        print(
            f"{args.procs} processes x {args.tasks} tasks on {loop_name}'s event loop, {what} on {MEMBERS} "
            f"members ({limited_members} limited to {LIMITED_JOBS} jobs = {PRICE * LIMITED_JOBS} "
            "credits a day, the rest unlimited)"
        )
        ctx = mp.get_context("spawn")
        start = ctx.Event()
        out = ctx.Queue()
        procs = [
            ctx.Process(
                target=child,
                args=(p, bench_url, str(folder), args.tasks, args.cycles, seconds, args.loop, start, out),
            )
            for p in range(args.procs)
        ]
        for p in procs:
            p.start()
        time.sleep(3)  # let every child import, connect and warm up
        stop, oldest = threading.Event(), list[float]()
        watcher = threading.Thread(target=watch_oldest, args=(bench_url, stop, oldest), daemon=True)
        watcher.start()
        mark = cpu_now()
        start.set()
        results = [out.get(timeout=300 + seconds) for _ in procs]
        window = cpu_since(mark, client=0.0)
        stop.set()
        watcher.join()
        for p in procs:
            p.join()
        firsts = [r[1][0] for r in results]
        lasts = [r[1][1] for r in results]
        accepted = sum(r[1][2] for r in results)
        refused = sum(r[1][3] for r in results)
        cpu = sum(r[1][4] for r in results)
        accept_conflicts = sum(r[1][5] for r in results)
        settle_conflicts = sum(r[1][6] for r in results)
        other: Counter[str] = sum((r[1][7] for r in results), Counter())
        attempts = sum(r[1][8] for r in results)
        elapsed = max(lasts) - min(firsts)
        ours = accepted / elapsed
        print(f"\nours: {accepted:,} hold+settle pairs + {refused:,} holds refused in {elapsed:.2f}s")
        print(f"  = {ours:,.0f} hold+settle/s ({(accepted + refused) / elapsed:,.0f} hold attempts/s)")
        print(f"  CPU of the {args.procs} processes: {cpu * 1000 / attempts:.2f} ms per attempt")
        if args.cycles is None:  # the run by thirds: does it hold its rate?
            parts = [[sum(r[1][9][i][j] for r in results) for j in range(3)] for i in range(3)]
            print(
                "  by thirds of the run: "
                + " / ".join(f"{a / (seconds / 3):,.0f}" for _, a, _ in parts)
                + " pairs/s, CPU "
                + " / ".join(f"{c * 1000 / max(n, 1):.2f}" for n, _, c in parts)
                + " ms per attempt"
            )
        timed_cpu = sum(r[1][9][i][2] for r in results for i in range(3)) if args.cycles is None else cpu
        print(window._replace(client=timed_cpu).line("pair", accepted, "ours (refusals included)"))
        print(
            f"  failed after the store's {CONFLICT_TRIES} tries (serialization conflicts): "
            f"{accept_conflicts:,} accepts (nothing stored), {settle_conflicts:,} settles (hold left open)"
        )
        member_pages, guild_pages = asyncio.run(totals_pages(bench_url))
        print(
            f"  longest transaction of the database during the run: {max(oldest, default=0):.2f} s; "
            f"totals rows' tables: {member_pages} + {guild_pages} pages (old versions pile up there "
            "while a long transaction runs)"
        )
        over, differ, charges = asyncio.run(verify(bench_url, folder, accepted))
        print(
            f"  ledger: {charges:,} charges for {accepted:,} accepted; members over their limit: "
            f"{over}; totals != scan of the entries: {differ}"
        )
        for what, count in other.most_common():
            print(f"  other store errors: {count:,} x {what}")
        ok = over == 0 and differ == 0 and charges == accepted
        clean = accept_conflicts == 0 and settle_conflicts == 0 and not other
        bench = asyncio.run(run_pgbench(url, name, args.procs, args.pgbench_seconds))
        tps = None if bench is None else bench.tps
        if bench is not None and tps is not None:
            print(
                f"\npgbench, {args.procs} clients, {args.pgbench_seconds}s, INSERT entry + UPDATE "
                f"totals per transaction: {tps:,.0f} tps"
            )
            print(bench.cpu.line("transaction", bench.transactions, "pgbench's"))
            print(
                f"ratio ours / pgbench: {ours / tps:.0%} per hold+settle pair "
                f"({2 * ours / tps:.0%} per durable unit)"
            )
        met = ok and clean and (ours >= 3000 or (tps is not None and ours >= 0.8 * tps))
        print(f"\ntarget >= 3,000/s or >= 80 % of pgbench, never over a limit: {'MET' if met else 'NOT MET'}")
    finally:
        asyncio.run(pg_admin(url, f"DROP SCHEMA IF EXISTS {name} CASCADE"))
        shutil.rmtree(folder, ignore_errors=True)
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
