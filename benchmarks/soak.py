"""Soak: thousands of jobs through the real job manager, random faults, repeated crashes, a data
folder that fills up and turns read-only; then the books.

    .venv/bin/python benchmarks/soak.py [--provider ttapi|bfl|both] [--jobs 3000] [--seed 7]
        [--fault-rate 0.06] [--disk-faults mount|off]

What runs, for each provider asked for (`--provider both`, the default, runs TTAPI then BFL, each on
a fresh data folder): the real `open_services` stack (JobManager, SQLite file, quota ledger, the
provider's client, the web server for callbacks) against that provider's fake on loopback, which
misbehaves at random (`ChaosTTAPI`, `ChaosBFL`): 429 with and without Retry-After, 499 (TTAPI),
500, 502 HTML pages, malformed JSON, TCP resets, stalls past the client's timeout (on submit, poll
and download), expired result links, refused keys, jobs that fail, are moderated or never finish.
The sink plays Discord: it fails transiently (like a 5xx) or for good (no permission) now and then,
and it is idempotent the way the product's sink must be (an earlier post is looked up only when
`job.delivery_attempts > 1`). A quarter of the jobs carry a reference image (a file in `inputs/`),
and some queued jobs are cancelled by their member.

Every few seconds the manager is "crashed": its tasks are cancelled wherever they are, the store and
the HTTP session are closed, and a fresh manager resumes from the same SQLite file.

The disk refuses single images too (`StorageFaults`, `--storage-fault-rate`, default 5 % of jobs):
a directory stands where the job's finished image is written, which even root cannot write through,
until it is removed 1-6 s later.

Disk faults (`--disk-faults mount`, the default; needs root and mounts, see
`benchmarks/disk_faults.py`): the data folder is a small tmpfs of its own; every few seconds, for a
few seconds, either a ballast file fills it (ENOSPC for result images, reference images and SQLite
alike, and the `MIN_FREE_DISK_MB` floor refuses new jobs) or `images/` and `inputs/` are remounted
read-only (EROFS). Real kernel errors, nothing patched. Faults stop when every job has been
submitted; the jobs caught in them must then finish.

Checked afterwards (exit status 1 if any fails): every accepted job stored and terminal (0 lost);
no job posted twice; every delivered job posted exactly once; no job accepted twice by the
provider; every hold closed exactly once (one charge or one release); a charge only where the
provider finished and billed the job, of exactly what it billed; every delivered job charged; each
job's cost equal to its ledger charge; ledger total equal to the jobs'; no member charged over their
limit in a period; no job failed inside the bot (`internal`, or `storage` for a disk that came
back in time); once every job has ended, the manager keeps nothing for any of them (callback inbox,
wake-ups, slots, 429 pauses: issue 17 #13); no reference image left by a job that ended without
an image; no file that no job names. Then the retention rule (`RETENTION_DAYS`): the sweep is run
with a clock moved so that the older half of the finished jobs has expired, then all of them; files
left must belong to unexpired jobs only, and the ledger must be unchanged.

Not part of the test suite (it takes a few minutes); tests/reliability/ holds the fast proofs.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import collections
import logging
import os
import random
import shutil
import signal
import socket
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import disk_faults  # noqa: E402
from chaos import BFL_COST, QUOTA, TIMEOUT, ChaosBFL, ChaosTTAPI  # noqa: E402

from bot.app import Services, open_services  # noqa: E402
from bot.errors import QueueFull, QuotaExceeded  # noqa: E402
from bot.jobs.manager import NewJob, new_job_id  # noqa: E402
from bot.jobs.model import Job, Origin  # noqa: E402
from bot.jobs.plan import plan_job  # noqa: E402
from bot.jobs.polling import PollPolicy  # noqa: E402
from bot.jobs.sink import Progress, Undeliverable  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.store.files import PARTIAL  # noqa: E402
from bot.store.retention import DAY, DiskAlmostFull, folder_bytes  # noqa: E402
from bot.web import serve  # noqa: E402

POLLING = PollPolicy(min_interval=0.05, max_interval=0.3, typical_override=0.3, jitter=0.1)
#: Each member's credits per day: low enough that some members reach it during a run.
MEMBER_LIMIT = Decimal(60)
#: Retention in the soak's settings; the final sweeps move the clock past it.
RETENTION_DAYS = 30
#: A reference image: 3 KB of bytes, 4 KB of base64 in its file.
REFERENCE_B64 = base64.b64encode(random.Random(0).randbytes(3072)).decode()
TERMINAL = {"delivered", "failed", "moderated", "timed_out", "cancelled", "undeliverable"}
#: States a job ends in without an image: its reference images must be gone at once.
NO_IMAGE = {"failed", "moderated", "timed_out", "cancelled"}


@dataclass
class SoakSink:
    """Plays Discord. Idempotent as the product's sink must be: a hand-over that may repeat an
    earlier one (`delivery_attempts > 1`) looks for its post first; a first hand-over just posts."""

    rng: random.Random
    transient_rate: float = 0.02
    refuse_rate: float = 0.003
    posts: dict[str, list[int]] = field(default_factory=lambda: collections.defaultdict(list))
    failure_notes: collections.Counter[str] = field(default_factory=collections.Counter)
    counts: collections.Counter[str] = field(default_factory=collections.Counter)
    _next_id: int = 1000

    async def job_updated(self, job: Job, progress: Progress) -> None:
        return None

    async def deliver(self, job: Job, image: bytes) -> int | None:
        if job.delivery_attempts > 1 and self.posts.get(job.id):
            self.counts["repeat hand-over found its post"] += 1
            return self.posts[job.id][0]
        roll = self.rng.random()
        if roll < self.transient_rate:
            self.counts["Discord 503 on posting"] += 1
            raise RuntimeError("503 Service Unavailable (simulated)")
        if roll < self.transient_rate + self.refuse_rate:
            self.counts["missing permission to post"] += 1
            raise Undeliverable("403 Missing Permissions (simulated)")
        self._next_id += 1
        self.posts[job.id].append(self._next_id)
        await asyncio.sleep(0.002)  # the answer is on its way back: a crash here loses only the answer
        return self._next_id

    async def job_failed(self, job: Job) -> None:
        self.failure_notes[job.id] += 1


@dataclass
class StorageFaults:
    """The disk refuses a finished image: a directory stands where its file is written (root cannot
    write through that, unlike through file modes) until it is removed a few seconds later."""

    rng: random.Random
    rate: float
    images: Path
    extension: str  # of the fake's results: TTAPI's are PNGs, BFL's JPEGs
    blocked: int = 0
    pending: set[Path] = field(default_factory=set)

    def maybe_block(self, job_id: str) -> None:
        if self.rng.random() >= self.rate:
            return
        spot = self.images / f"{job_id}.{self.extension}{PARTIAL}"
        try:
            spot.mkdir(parents=True, exist_ok=True)
        except OSError:
            return  # images/ is read-only or full right now (a disk fault window): blocked anyway
        self.blocked += 1
        self.pending.add(spot)
        asyncio.get_running_loop().call_later(self.rng.uniform(1.0, 6.0), self.lift, spot)

    def lift(self, spot: Path) -> None:
        """Remove the block; while images/ is read-only (a disk fault window), try again shortly."""
        try:
            shutil.rmtree(spot)
        except FileNotFoundError:
            pass
        except OSError:
            asyncio.get_running_loop().call_later(0.5, self.lift, spot)
            return
        self.pending.discard(spot)

    def lift_all(self) -> None:
        """Blocks of jobs that never reached the write (refused, moderated) are the soak's, not
        files the bot left: gone before the books are read."""
        for spot in list(self.pending):
            shutil.rmtree(spot, ignore_errors=True)
        self.pending.clear()


def in_memory_leftovers(manager: Any) -> dict[str, int]:
    """What the manager still keeps per job once every job has ended: all of it should be empty."""
    queue = manager.scheduler.queue
    return {
        "callback inbox": len(manager.mailbox.inbox),
        "wake-up events": len(manager.mailbox._wakeups),
        "queued": len(queue),
        "slots held": len(queue._slots),
        "429 pauses": len(queue._not_before),
    }


class ChaosFake(Protocol):
    """What the soak needs of a provider's fake."""

    url: str
    api_key: str
    counts: collections.Counter[str]
    requests_by_route: collections.Counter[str]

    async def start(self) -> str: ...
    async def stop(self) -> None: ...
    def billed(self) -> dict[str, Decimal]: ...
    def accepted_prompts(self) -> collections.Counter[str]: ...
    def callbacks(self) -> int: ...


def make_fake(provider: str, rng: random.Random, fault_rate: float) -> ChaosFake:
    if provider == "ttapi":
        fake = ChaosTTAPI(rng, fault_rate, quota=QUOTA, duration=0.15)
        # Every callback is sent twice, and retried while nobody listens (the bot is "down").
        fake.callback_copies, fake.callback_attempts, fake.callback_retry_interval = 2, 4, 0.5
        return fake
    return ChaosBFL(rng, fault_rate, duration=0.15, cost=BFL_COST)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def soak_settings(data: Path, provider: str, fake: ChaosFake, args: argparse.Namespace) -> Settings:
    port = free_port()
    keys: dict[str, Any] = (
        {"ttapi_api_key": fake.api_key, "ttapi_base_url": fake.url}
        if provider == "ttapi"
        else {"bfl_api_key": fake.api_key, "bfl_base_url": fake.url, "bfl_finetune_base_url": fake.url}
    )
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        webhook_public_url=None if args.no_callbacks else f"http://127.0.0.1:{port}",
        http_host="127.0.0.1",
        http_port=port,
        database_path=data / "soak.sqlite3",
        default_provider=provider,
        provider_concurrency={provider: args.concurrency},
        quota_default_limit=str(MEMBER_LIMIT),
        max_active_jobs_per_user=2,
        max_queued_jobs_per_user=500,
        job_timeout_seconds=3.0,
        retention_days=RETENTION_DAYS,
        min_free_disk_mb=args.min_free_mb if args.disk_faults == "mount" else 0,
        **keys,
    )


def new_job(index: int, user_id: int, provider: str, with_image: bool) -> NewJob:
    plan = plan_job(
        f"soak-{index:05d} a lighthouse",
        {},
        default_model="flux-pro-1.1",
        available=[provider],
        preferred=provider,
        images=[REFERENCE_B64] if with_image else None,
    )
    return NewJob.from_plan(
        plan, id=new_job_id(), origin=Origin.CLI, user_id=user_id, guild_id=1, channel_id=2
    )


@dataclass
class Figures:
    provider: str = ""
    jobs: int = 0
    requested: int = 0
    restarts: int = 0
    queue_full: int = 0
    wall: float = 0.0
    lives: list[float] = field(default_factory=list)
    alive: float = field(default_factory=time.monotonic)
    accepted: dict[str, int] = field(default_factory=dict)  # job id → member
    refused: collections.Counter[str] = field(default_factory=collections.Counter)
    cancels: collections.Counter[str] = field(default_factory=collections.Counter)
    failed_starts: collections.Counter[str] = field(default_factory=collections.Counter)
    storage_faults: int = 0
    leftovers: dict[str, int] = field(default_factory=dict)


class WarningCounter(logging.Handler):
    """Counts the bot's warning and error lines by their template (what happened, how often)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.by_template: collections.Counter[str] = collections.Counter()

    def emit(self, record: logging.LogRecord) -> None:
        self.by_template[f"{record.name}: {record.msg}"] += 1


@contextmanager
def counted_warnings() -> Iterator[WarningCounter]:
    counter = WarningCounter()
    bot_log = logging.getLogger("bot")
    bot_log.addHandler(counter)
    bot_log.setLevel(logging.WARNING)
    bot_log.propagate = False
    try:
        yield counter
    finally:
        bot_log.removeHandler(counter)


async def watchdog(figures: Figures, on_exit: Callable[[], None], limit: float = 90.0) -> None:
    """A soak that stops making progress is a finding: show where every task waits, then fail."""
    while True:
        await asyncio.sleep(5)
        if time.monotonic() - figures.alive > limit:
            print(f"\nSTUCK: no progress for {limit:.0f} s; every task's stack:", flush=True)
            for task in asyncio.all_tasks():
                task.print_stack(limit=6, file=sys.stdout)
            sys.stdout.flush()
            on_exit()
            os._exit(2)


@asynccontextmanager
async def data_folder(args: argparse.Namespace) -> AsyncIterator[tuple[Path, disk_faults.DiskFaults | None]]:
    """A fresh data folder: a tmpfs with its faults, or a plain temporary folder without."""
    if args.disk_faults == "off":
        with tempfile.TemporaryDirectory(prefix="fluxbot-soak-") as tmp:
            yield Path(tmp), None
        return
    faults = disk_faults.DiskFaults(args.tmpfs_mb)
    try:
        yield faults.root, faults
    finally:
        faults.close()


async def submit_one(manager: Any, new: NewJob, figures: Figures) -> Job | None:
    """Accept one job the way a command does; a refusal is counted by its reason (nothing spent)."""
    try:
        return await manager.submit(new)
    except QueueFull:
        figures.queue_full += 1
        raise
    except QuotaExceeded:
        figures.refused["member's limit reached (QuotaExceeded)"] += 1
    except DiskAlmostFull:
        figures.refused["below MIN_FREE_DISK_MB (DiskAlmostFull)"] += 1
    except OSError as exc:
        figures.refused[f"reference image not writable ({os.strerror(exc.errno or 0)})"] += 1
    except sqlite3.Error as exc:
        figures.refused[f"store refused the job ({exc})"] += 1
    return None


async def cancel_some(
    manager: Any, jobs: list[Job], rng: random.Random, rate: float, figures: Figures
) -> None:
    """Members cancelling queued jobs (their reference images must go at once)."""
    for job in jobs:
        if rng.random() >= rate:
            continue
        try:
            cancelled = await manager.cancel(job.id, job.user_id)
        except sqlite3.Error:
            figures.cancels["refused by the store (job stays queued)"] += 1
            continue
        figures.cancels["cancelled" if cancelled else "too late (already sent)"] += 1


async def one_life(
    services: Services,
    sink: SoakSink,
    rng: random.Random,
    args: argparse.Namespace,
    figures: Figures,
    storage: StorageFaults,
    all_submitted: Callable[[], None],
) -> bool:
    """One life of the manager, until its crash; True when every job is submitted and finished."""
    for provider in services.providers.values():
        provider.timeout = TIMEOUT  # type: ignore[attr-defined]
        provider.download_timeout = TIMEOUT  # type: ignore[attr-defined]
    manager = services.manager
    manager.register_sink(Origin.CLI, sink)
    await manager.start()
    life_started = time.monotonic()
    life = rng.uniform(args.min_life, args.max_life)
    while time.monotonic() - life_started < life:
        figures.alive = time.monotonic()
        if figures.requested < args.jobs:
            batch: list[Job] = []
            for _ in range(min(args.batch, args.jobs - figures.requested)):
                user = 10_000 + rng.randrange(args.users)
                new = new_job(figures.requested, user, figures.provider, rng.random() < args.image_share)
                storage.maybe_block(str(new.id))
                try:
                    job = await submit_one(manager, new, figures)
                except QueueFull:
                    continue
                figures.requested += 1
                if job is not None:
                    figures.accepted[job.id] = user
                    batch.append(job)
            await cancel_some(manager, batch, rng, args.cancel_rate, figures)
            if figures.requested >= args.jobs:
                all_submitted()
            await asyncio.sleep(args.batch / args.rate)
        elif not manager.busy():
            figures.leftovers = in_memory_leftovers(manager)
            return True
        else:
            await asyncio.sleep(0.1)
    return False


async def soak_provider(provider: str, args: argparse.Namespace) -> bool:
    rng = random.Random(args.seed)
    fake = make_fake(provider, rng, args.fault_rate)
    await fake.start()
    sink = SoakSink(rng)
    figures = Figures(provider=provider)
    started = time.monotonic()
    print(f"\n== {provider}: {args.jobs} jobs", flush=True)
    async with data_folder(args) as (data, faults):
        guard = asyncio.get_running_loop().create_task(
            watchdog(figures, faults.close if faults is not None else lambda: None)
        )
        fault_task = (
            asyncio.get_running_loop().create_task(
                faults.run(rng, (args.fault_gap_min, args.fault_gap_max), (args.fault_min, args.fault_max))
            )
            if faults is not None
            else None
        )

        def all_submitted() -> None:
            if fault_task is not None:
                fault_task.cancel()  # the faults end; the jobs caught in them must now finish

        settings = soak_settings(data, provider, fake, args)
        storage = StorageFaults(
            rng, args.storage_fault_rate, data / "images", "png" if provider == "ttapi" else "jpg"
        )
        with counted_warnings() as warnings:
            done = False
            while not done:
                life_started = time.monotonic()
                try:
                    async with (
                        open_services(
                            settings, poll_policy=POLLING, rate_limits={provider: 5000.0}
                        ) as services,
                        serve(settings, services, None),
                    ):
                        done = await one_life(services, sink, rng, args, figures, storage, all_submitted)
                except (OSError, sqlite3.Error) as exc:
                    # A start (or a close) the full or read-only disk refused: the operator's restart
                    # policy tries again.
                    figures.failed_starts[f"{type(exc).__name__}: {exc}"[:120]] += 1
                    await asyncio.sleep(0.3)
                    continue
                figures.alive = time.monotonic()
                figures.lives.append(time.monotonic() - life_started)
                if not done:
                    figures.restarts += 1  # leaving the block cancels every task wherever it is: a crash
                print(
                    f"  life {len(figures.lives):3d}: {figures.lives[-1]:5.1f}s, "
                    f"{len(figures.accepted)} jobs accepted of {figures.requested} asked for",
                    flush=True,
                )
            if fault_task is not None:
                fault_task.cancel()
                (ended,) = await asyncio.gather(fault_task, return_exceptions=True)
                if not isinstance(ended, asyncio.CancelledError):
                    print(f"the disk fault task failed: {ended!r}")
            figures.jobs = len(figures.accepted)
            figures.wall = time.monotonic() - started
            figures.storage_faults = storage.blocked
            storage.lift_all()
            ok = check(settings.database_path, fake, sink, figures, faults, warnings)
            ok = await check_disk(settings, figures) and ok
        guard.cancel()
    await fake.stop()
    return ok


# -- the books ------------------------------------------------------------------------------------


def ledger_by_job(db: sqlite3.Connection) -> dict[str, dict[str, list[Decimal]]]:
    ledger: dict[str, dict[str, list[Decimal]]] = collections.defaultdict(
        lambda: collections.defaultdict(list)
    )
    for row in db.execute("SELECT job_id, kind, amount FROM ledger WHERE job_id IS NOT NULL"):
        ledger[row["job_id"]][row["kind"]].append(Decimal(row["amount"]))
    return ledger


def members_over_limit(db: sqlite3.Connection) -> list[str]:
    charged: dict[tuple[int, str], Decimal] = collections.defaultdict(Decimal)
    for row in db.execute("SELECT user_id, period, amount FROM ledger WHERE kind = 'charge'"):
        charged[(row["user_id"], row["period"])] += Decimal(row["amount"])
    return [f"{user} {period}: {total}" for (user, period), total in charged.items() if total > MEMBER_LIMIT]


def check(
    db_path: Path,
    fake: ChaosFake,
    sink: SoakSink,
    figures: Figures,
    faults: disk_faults.DiskFaults | None,
    warnings: WarningCounter,
) -> bool:
    db = sqlite3.connect(db_path)
    db.row_factory = sqlite3.Row
    jobs = {r["id"]: r for r in db.execute("SELECT * FROM jobs")}
    ledger = ledger_by_job(db)
    billed = fake.billed()
    accepted_by_prompt = fake.accepted_prompts()
    by_state = collections.Counter(r["state"] for r in jobs.values())
    by_error = collections.Counter(r["error_code"] for r in jobs.values() if r["state"] != "delivered")

    problems: dict[str, list[str]] = collections.defaultdict(list)
    for job_id in figures.accepted:
        if job_id not in jobs:
            problems["accepted but not stored (lost)"].append(job_id)
    for job_id, row in jobs.items():
        entries = ledger.get(job_id, {})
        holds, charges, releases = (
            entries.get("hold", []),
            entries.get("charge", []),
            entries.get("release", []),
        )
        posts = sink.posts.get(job_id, [])
        if row["state"] not in TERMINAL:
            problems["job not terminal"].append(f"{job_id} {row['state']}")
        if row["error_code"] in ("internal", "storage"):
            problems["failed inside the bot"].append(f"{job_id} {row['error_code']}")
        if len(posts) > 1:
            problems["posted more than once"].append(job_id)
        if (row["state"] == "delivered") != (len(posts) == 1):
            problems["delivered without exactly one post (or a post without delivery)"].append(
                f"{job_id} {row['state']} posts={len(posts)}"
            )
        if accepted_by_prompt[row["prompt"]] > 1:
            problems["accepted by the provider more than once"].append(job_id)
        if len(holds) != 1:
            problems["not exactly one hold"].append(job_id)
        if len(charges) + len(releases) != 1:
            problems["hold not closed exactly once"].append(f"{job_id} charges={charges} releases={releases}")
        if charges:
            pid = row["provider_job_id"]
            if pid not in billed:
                problems["charged although the provider did not bill"].append(job_id)
            elif billed[pid] != charges[0]:
                problems["charged a different amount than billed"].append(job_id)
        elif row["state"] == "delivered":
            problems["delivered but not charged"].append(job_id)
        cost = Decimal(row["cost"]) if row["cost"] is not None else None
        if cost != (charges[0] if charges else None):
            problems["job cost differs from its ledger charge"].append(
                f"{job_id} cost={cost} charges={charges}"
            )
    for name, count in figures.leftovers.items():
        if count:
            problems["kept in memory after every job ended"].append(f"{name}: {count}")
    ledger_total = sum((a for e in ledger.values() for a in e.get("charge", [])), Decimal(0))
    cost_total = sum((Decimal(r["cost"]) for r in jobs.values() if r["cost"] is not None), Decimal(0))
    if ledger_total != cost_total:
        problems["ledger total differs from the jobs' costs"].append(f"{ledger_total} != {cost_total}")
    problems["a member charged over their limit in a period"] = members_over_limit(db)
    our_pids = {r["provider_job_id"] for r in jobs.values() if r["provider_job_id"]}
    charged_pids = {r["provider_job_id"] for r in jobs.values() if ledger.get(r["id"], {}).get("charge")}
    billed_not_charged = [pid for pid in billed if pid not in our_pids or pid not in charged_pids]
    by_pid = {r["provider_job_id"]: r for r in jobs.values() if r["provider_job_id"]}
    why_not_charged = collections.Counter(
        f"{by_pid[pid]['state']} {by_pid[pid]['error_code']}" if pid in by_pid else "its id never learned"
        for pid in billed_not_charged
    )
    db.close()

    faults_count = sum(fake.counts[k] for k in fake.counts if not k.startswith("outcome")) + sum(
        v for k, v in sink.counts.items() if not k.startswith("repeat")
    )
    print()
    print(f"provider              {figures.provider}")
    print(
        f"jobs                  {figures.jobs} accepted of {figures.requested} asked for, in "
        f"{figures.wall:.0f} s ({figures.jobs / figures.wall:.1f} jobs/s)"
    )
    for reason, count in sorted(figures.refused.items()):
        print(f"    refused at accept: {reason:<52} {count}")
    print(f"cancels               {dict(sorted(figures.cancels.items()))}")
    print(f"restarts (crashes)    {figures.restarts}")
    for reason, count in sorted(figures.failed_starts.items()):
        print(f"    start refused: {reason} × {count}")
    print(f"faults injected       {faults_count} (provider + Discord)")
    for kind, count in sorted({**fake.counts, **sink.counts}.items()):
        print(f"    {kind:<40} {count}")
    print(f"storage faults        {figures.storage_faults} jobs whose image file was blocked for 1-6 s")
    if faults is not None:
        windows = sum(faults.windows.values())
        print(f"disk faults           {windows} windows on a {faults.size_mb} MB tmpfs (real kernel errors)")
        for kind in sorted(faults.windows):
            print(f"    {kind:<56} {faults.windows[kind]} × ({faults.seconds[kind]:.0f} s in all)")
    else:
        print("disk faults           off (--disk-faults off)")
    print("the bot's warning and error lines, by kind:")
    for template, count in warnings.by_template.most_common(14):
        print(f"    {count:6d}  {template[:110]}")
    print(f"provider requests     {sum(fake.requests_by_route.values())} ({dict(fake.requests_by_route)})")
    print(f"callbacks delivered   {fake.callbacks()}")
    print(f"final states          {dict(sorted(by_state.items()))}")
    print(f"why not delivered     {dict(sorted((str(k), v) for k, v in by_error.items()))}")
    print(f"credits charged       {ledger_total} (ledger) = {cost_total} (jobs)")
    print(
        f"billed by the provider but not charged to a member: {len(billed_not_charged)} "
        f"(ambiguous submits the provider did accept: never re-sent, the member not charged): "
        f"{dict(why_not_charged)}"
    )
    checks = [
        "accepted but not stored (lost)",
        "job not terminal",
        "posted more than once",
        "delivered without exactly one post (or a post without delivery)",
        "accepted by the provider more than once",
        "not exactly one hold",
        "hold not closed exactly once",
        "charged although the provider did not bill",
        "charged a different amount than billed",
        "delivered but not charged",
        "job cost differs from its ledger charge",
        "ledger total differs from the jobs' costs",
        "a member charged over their limit in a period",
        "failed inside the bot",
        "kept in memory after every job ended",
    ]
    print("invariants:")
    report(problems, checks)
    lost = len(problems.get("accepted but not stored (lost)", [])) + len(problems.get("job not terminal", []))
    doubled = len(problems.get("posted more than once", [])) + len(
        problems.get("accepted by the provider more than once", [])
    )
    wrong = sum(len(problems.get(k, [])) for k in checks[5:13])  # holds, charges, limits
    inside = len(problems.get("failed inside the bot", []))
    print(f"lost: {lost}   doubled: {doubled}   charged wrongly: {wrong}   failed inside the bot: {inside}")
    return not any(problems.values())


def report(problems: dict[str, list[str]], names: list[str]) -> None:
    for name in names:
        found = problems.get(name, [])
        print(
            f"    {'OK  ' if not found else 'FAIL'} {name}: {len(found)}"
            + (f"  e.g. {found[:3]}" if found else "")
        )


# -- the disk -------------------------------------------------------------------------------------


@dataclass
class Listing:
    """The files in images/ and inputs/, and which job each belongs to (None: no row names it)."""

    owner: dict[Path, str | None]
    images: int
    inputs: int

    @property
    def total(self) -> int:
        return self.images + self.inputs


def listing(conn: sqlite3.Connection, data: Path) -> Listing:
    named: dict[str, str] = {}
    for row in conn.execute("SELECT id, result_path FROM jobs WHERE result_path IS NOT NULL"):
        named[Path(row["result_path"]).name] = row["id"]
    for row in conn.execute("SELECT job_id, file FROM job_inputs WHERE file IS NOT NULL"):
        named[row["file"]] = row["job_id"]
    owner: dict[Path, str | None] = {}
    for folder in (data / "images", data / "inputs"):
        if folder.is_dir():
            for path in folder.iterdir():
                owner[path] = named.get(path.name)
    return Listing(owner, folder_bytes(data / "images"), folder_bytes(data / "inputs"))


def ledger_sums(conn: sqlite3.Connection) -> dict[str, Decimal]:
    """The ledger's total by kind (a sweep must change none of them)."""
    sums: dict[str, Decimal] = collections.defaultdict(Decimal)
    for row in conn.execute("SELECT kind, amount FROM ledger"):
        sums[row["kind"]] += Decimal(row["amount"])
    return dict(sums)


def leftovers(found: Listing, states: dict[str, tuple[str, float | None]]) -> dict[str, list[str]]:
    """Files that should not be there: no job names them, or their job ended without an image."""
    problems: dict[str, list[str]] = collections.defaultdict(list)
    for path, job_id in found.owner.items():
        if job_id is None:
            problems["files no job names (orphans, partial writes)"].append(path.name)
        elif path.parent.name == "inputs" and states[job_id][0] in NO_IMAGE:
            problems["reference images left by jobs that ended without an image"].append(
                f"{path.name} ({states[job_id][0]})"
            )
    return problems


async def check_disk(settings: Settings, figures: Figures) -> bool:
    """Files left behind (when the run ended, and after the next sweep), then the retention rule:
    the older half of the jobs expired, then all of them."""
    data = settings.database_path.parent
    conn = sqlite3.connect(settings.database_path)
    conn.row_factory = sqlite3.Row
    rows = conn.execute("SELECT id, state, finished_at FROM jobs")
    states = {r["id"]: (r["state"], r["finished_at"]) for r in rows}
    at_end = leftovers(listing(conn, data), states)
    sums_before = ledger_sums(conn)
    cut = statistics.median(f for _, f in states.values() if f is not None)
    mb = 1024 * 1024
    async with open_services(settings) as services:
        await services.retention.sweep()  # the hourly sweep, at the real time: nothing has expired
        before = listing(conn, data)
        problems = leftovers(before, states)
        half = await services.retention.sweep(now=cut + RETENTION_DAYS * DAY)
        middle = listing(conn, data)
        for path, job_id in middle.owner.items():
            if job_id is None or states[job_id][1] is None or states[job_id][1] < cut:
                problems["files left of expired jobs after the sweep"].append(path.name)
        everything = await services.retention.sweep(now=time.time() + (RETENTION_DAYS + 1) * DAY)
    after = listing(conn, data)
    if after.owner:
        problems["files left after every job expired"] = [p.name for p in after.owner]
    sums_after = ledger_sums(conn)
    if sums_after != sums_before:
        problems["ledger changed by the sweep"].append(f"{sums_before} -> {sums_after}")
    conn.close()
    print("files that should not be there when the run ended (before the next hourly sweep):")
    for name in (
        "reference images left by jobs that ended without an image",
        "files no job names (orphans, partial writes)",
    ):
        found = at_end.get(name, [])
        print(f"    {name}: {len(found)}" + (f"  e.g. {found[:3]}" if found else ""))
    print(
        f"disk after the next sweep   images/ {before.images / mb:.2f} MB"
        f" + inputs/ {before.inputs / mb:.2f} MB "
        f"= {before.total / mb:.2f} MB in {len(before.owner)} files (database "
        f"{settings.database_path.stat().st_size / mb:.1f} MB)"
    )
    print(
        f"sweep, older half expired   {half.jobs} jobs purged, {half.freed / mb:.2f} MB freed -> "
        f"{middle.total / mb:.2f} MB in {len(middle.owner)} files, all of unexpired jobs: "
        f"{not problems.get('files left of expired jobs after the sweep')}"
    )
    print(
        f"sweep, every job expired    {everything.jobs} jobs purged, {everything.freed / mb:.2f} MB freed -> "
        f"{after.total / mb:.2f} MB in {len(after.owner)} files"
    )
    print(
        "ledger by kind, the same before and after the sweeps: "
        + ", ".join(f"{kind} {total}" for kind, total in sorted(sums_after.items()))
    )
    print("disk invariants:")
    report(
        problems,
        [
            "reference images left by jobs that ended without an image",
            "files no job names (orphans, partial writes)",
            "files left of expired jobs after the sweep",
            "files left after every job expired",
            "ledger changed by the sweep",
        ],
    )
    return not any(problems.values())


async def soak(args: argparse.Namespace) -> int:
    providers = ["ttapi", "bfl"] if args.provider == "both" else [args.provider]
    results = {provider: await soak_provider(provider, args) for provider in providers}
    print()
    for provider, ok in results.items():
        print(f"{provider}: {'books balance' if ok else 'BOOKS DO NOT BALANCE'}")
    return 0 if all(results.values()) else 1


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--provider", choices=("ttapi", "bfl", "both"), default="both")
    parser.add_argument("--jobs", type=int, default=3000, help="jobs asked for, per provider")
    parser.add_argument(
        "--fault-rate", type=float, default=0.06, help="fraction of provider requests faulted"
    )
    parser.add_argument(
        "--storage-fault-rate",
        type=float,
        default=0.05,
        help="fraction of jobs whose finished image cannot be written at first",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--users", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=60)
    parser.add_argument("--rate", type=float, default=40.0, help="jobs submitted per second")
    parser.add_argument("--batch", type=int, default=10)
    parser.add_argument("--min-life", type=float, default=3.0, help="seconds between crashes, at least")
    parser.add_argument("--max-life", type=float, default=9.0, help="seconds between crashes, at most")
    parser.add_argument("--no-callbacks", action="store_true", help="poll only (no WEBHOOK_PUBLIC_URL)")
    parser.add_argument("--image-share", type=float, default=0.25, help="jobs with a reference image")
    parser.add_argument("--cancel-rate", type=float, default=0.03, help="accepted jobs their member cancels")
    parser.add_argument(
        "--disk-faults",
        choices=("mount", "off"),
        default="mount",
        help="mount: a tmpfs data folder, filled and made read-only now and then (root); off: none",
    )
    parser.add_argument("--tmpfs-mb", type=int, default=64, help="size of the data folder's tmpfs")
    parser.add_argument("--min-free-mb", type=int, default=4, help="MIN_FREE_DISK_MB with disk faults")
    parser.add_argument(
        "--fault-gap-min", type=float, default=4.0, help="seconds between disk faults, at least"
    )
    parser.add_argument("--fault-gap-max", type=float, default=10.0)
    parser.add_argument("--fault-min", type=float, default=1.5, help="seconds a disk fault lasts, at least")
    parser.add_argument("--fault-max", type=float, default=5.0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.CRITICAL)
    if args.disk_faults == "mount":
        why = disk_faults.available()
        if why is not None:
            print(
                f"soak: disk faults need root and mounts ({why}); run with --disk-faults off", file=sys.stderr
            )
            return 2
    print(
        f"soak: {args.provider}, {args.jobs} jobs each, "
        f"fault rate {args.fault_rate:.0%} of provider requests, "
        f"seed {args.seed}, crash every {args.min_life:.0f}-{args.max_life:.0f} s, "
        f"callbacks {'off' if args.no_callbacks else 'on'}, disk faults "
        + (
            f"on a {args.tmpfs_mb} MB tmpfs every {args.fault_gap_min:.0f}-{args.fault_gap_max:.0f} s for "
            f"{args.fault_min:.1f}-{args.fault_max:.0f} s (MIN_FREE_DISK_MB {args.min_free_mb})"
            if args.disk_faults == "mount"
            else "off"
        ),
        flush=True,
    )
    signal.signal(signal.SIGTERM, interrupted)  # `timeout` or kill: unmount on the way out too
    return asyncio.run(soak(args))


def interrupted(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    raise SystemExit(main())
