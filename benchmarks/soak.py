"""Soak: thousands of jobs through the real job manager, random faults, repeated crashes; then the books.

    /work/main/.venv/bin/python benchmarks/soak.py [--jobs 3000] [--fault-rate 0.06] [--seed 7]

What runs: the real `open_services` stack (JobManager, SQLite file, quota ledger, TTAPI client) against
the fake TTAPI on loopback, which misbehaves at random (`ChaosTTAPI`): 429 with and without
Retry-After, 499, 500, 502 HTML pages, malformed JSON, TCP resets, stalls past the client's
timeout (on submit, poll and download), expired result links, jobs that fail, are moderated or
never finish. The sink plays Discord: it fails transiently (like a 5xx) or for good (no
permission) now and then, and it is idempotent the way the product's sink must be (an earlier post
is looked up only when `job.delivery_attempts > 1`).

Every few seconds the manager is "crashed": its tasks are cancelled wherever they are, the store and
the HTTP session are closed, and a fresh manager resumes from the same SQLite file.

The disk misbehaves too (`StorageFaults`, `--storage-fault-rate`): for a share of the jobs, writing
the finished image fails (a directory stands where its file is written, which even root cannot write
through: what a full or read-only disk looks like to the bot) until the fault is lifted 1-6 s later.

Checked afterwards (exit status 1 if any fails): every job terminal; no job posted twice; every
delivered job posted exactly once; no job accepted twice by the provider; every hold closed exactly
once (one charge or one release); a charge only where the provider finished and billed the job, of
exactly what it billed; each job's cost equal to its ledger charge; ledger total equal to the jobs';
no job failed inside the bot (`internal`, or `storage` for a disk that came back in time); and once
every job has ended, the manager keeps nothing for any of them (callback inbox, wake-ups, slots,
429 pauses: issue 17 #13).

Not part of the test suite (it takes a few minutes); tests/reliability/ holds the fast proofs.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import logging
import os
import random
import shutil
import socket
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from aiohttp import web

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.app import open_services  # noqa: E402
from bot.errors import QueueFull  # noqa: E402
from bot.jobs.manager import NewJob, new_job_id  # noqa: E402
from bot.jobs.model import Job, Origin  # noqa: E402
from bot.jobs.plan import plan_job  # noqa: E402
from bot.jobs.polling import PollPolicy  # noqa: E402
from bot.jobs.sink import Progress, Undeliverable  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.store.files import PARTIAL  # noqa: E402
from bot.web import serve  # noqa: E402
from tests.reliability.conftest import (  # noqa: E402
    FaultyTTAPI,
    connection_reset,
    html_page,
    malformed_json,
    stall,
)

POLLING = PollPolicy(min_interval=0.05, max_interval=0.3, typical_override=0.3, jitter=0.1)
QUOTA = "5"
TIMEOUT = 0.5  # the provider client's timeout in the soak; stalls last longer


def envelope(status: int, message: str, headers: dict[str, str] | None = None) -> Callable[..., Any]:
    async def act(request: web.Request) -> web.StreamResponse:
        return web.json_response(
            {"status": "FAILED", "message": message, "data": None}, status=status, headers=headers
        )

    return act


def expired_link() -> Callable[..., Any]:
    async def act(request: web.Request) -> web.StreamResponse:
        return web.Response(status=403, text="<Error><Code>AccessDenied</Code>Request has expired</Error>")

    return act


#: route → [(kind, weight, action factory)]. Weights are relative within a route.
FAULTS: dict[str, list[tuple[str, float, Callable[[], Callable[..., Any]]]]] = {
    "submit": [
        ("429 Retry-After", 3, lambda: envelope(429, "too many requests", {"Retry-After": "0.2"})),
        ("429", 0.3, lambda: envelope(429, "too many requests")),
        ("499", 2, lambda: envelope(499, "queue full", {"Retry-After": "0.2"})),
        ("500", 1, lambda: envelope(500, "internal error")),
        ("502 html", 1, lambda: html_page(502)),
        ("malformed json", 1, malformed_json),
        ("connection reset", 1, connection_reset),
        ("read timeout", 1, lambda: stall(TIMEOUT + 0.3)),
        ("401", 0.3, lambda: envelope(401, "Unauthorized")),
        ("402", 0.3, lambda: envelope(402, "insufficient quota")),
        ("400 banned words", 0.5, lambda: envelope(400, "banned prompt words: prohibited")),
    ],
    "fetch": [
        ("429 Retry-After", 2, lambda: envelope(429, "slow down", {"Retry-After": "0.2"})),
        ("500", 2, lambda: envelope(500, "internal error")),
        ("502 html", 2, lambda: html_page(502)),
        ("malformed json", 1, malformed_json),
        ("connection reset", 1, connection_reset),
        ("read timeout", 1, lambda: stall(TIMEOUT + 0.3)),
        ("404 task not found", 0.3, lambda: envelope(404, "job not found")),
    ],
    "file": [
        ("connection reset", 1, connection_reset),
        ("read timeout", 1, lambda: stall(TIMEOUT + 0.3)),
        ("expired link", 1, expired_link),
        ("500", 1, lambda: html_page(500)),
    ],
}
#: Outcomes decided at submit: (kind, probability).
OUTCOMES = [("FAILED", 0.02), ("moderated output", 0.02), ("never finishes", 0.004)]


class ChaosTTAPI(FaultyTTAPI):
    """The fake TTAPI answering a random fraction of requests with a random fault."""

    def __init__(self, rng: random.Random, fault_rate: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rng = rng
        self.fault_rate = fault_rate
        self.counts: collections.Counter[str] = collections.Counter()
        self.requests_by_route: collections.Counter[str] = collections.Counter()
        self.never: set[str] = set()

    def _maybe_fault(self, route: str) -> None:
        self.requests_by_route[route] += 1
        if self.rng.random() < self.fault_rate:
            kinds = FAULTS[route]
            kind, _, factory = self.rng.choices(kinds, weights=[w for _, w, _ in kinds])[0]
            self.counts[f"{route}: {kind}"] += 1
            self.inject(route, factory())

    async def _submit(self, request: web.Request) -> web.StreamResponse:
        self._maybe_fault("submit")
        if not self._raw["submit"]:
            roll = self.rng.random()
            for kind, probability in OUTCOMES:
                if roll < probability:
                    self.counts[f"outcome: {kind}"] += 1
                    if kind == "FAILED":
                        self.fail_next("upstream generation error")
                    elif kind == "moderated output":
                        self.fail_next("output flagged: prompt violation")
                    else:
                        self.duration = 3600.0
                    break
                roll -= probability
        try:
            return await super()._submit(request)
        finally:
            self.duration = 0.15

    async def _fetch(self, request: web.Request) -> web.StreamResponse:
        self._maybe_fault("fetch")
        return await super()._fetch(request)

    async def _file(self, request: web.Request) -> web.StreamResponse:
        self._maybe_fault("file")
        return await super()._file(request)

    def billed(self) -> dict[str, Decimal]:
        """Provider job id → what TTAPI charged: jobs it accepted that finished with SUCCESS."""
        now = time.monotonic()
        return {
            job.id: Decimal(job.quota)
            for job in self.jobs.values()
            if job.outcome == "success" and now - job.created >= job.duration
        }


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


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.counts: collections.Counter[str] = collections.Counter()

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if "cannot write" in text:
            self.counts["write refused (one line per job and life)"] += 1
        elif "stored after" in text:
            self.counts["stored after all"] += 1


@dataclass
class StorageFaults:
    """The disk refuses a finished image: a directory stands where its file is written (root cannot
    write through that, unlike through file modes) until it is removed a few seconds later."""

    rng: random.Random
    rate: float
    images: Path
    blocked: int = 0

    def hits(self) -> collections.Counter[str]:
        """What the job manager said about them: writes refused, and stored after all."""
        return self._seen.counts

    def __post_init__(self) -> None:
        self._seen = _Lines()
        fetching = logging.getLogger("bot.jobs.fetching")
        fetching.setLevel(logging.WARNING)
        fetching.propagate = False
        fetching.addHandler(self._seen)

    def maybe_block(self, job_id: str) -> None:
        if self.rng.random() >= self.rate:
            return
        spot = self.images / f"{job_id}.png{PARTIAL}"  # the fake's results are PNGs
        spot.mkdir(parents=True, exist_ok=True)
        self.blocked += 1
        asyncio.get_running_loop().call_later(self.rng.uniform(1.0, 6.0), shutil.rmtree, spot, True)


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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def soak_settings(tmp: Path, fake: ChaosTTAPI, concurrency: int, callbacks: bool) -> Settings:
    port = free_port()
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        webhook_public_url=f"http://127.0.0.1:{port}" if callbacks else None,
        http_host="127.0.0.1",
        http_port=port,
        database_path=tmp / "soak.sqlite3",
        ttapi_api_key=fake.api_key,
        ttapi_base_url=fake.url,
        default_provider="ttapi",
        provider_concurrency={"ttapi": concurrency},
        quota_default_limit="unlimited",
        max_active_jobs_per_user=2,
        max_queued_jobs_per_user=500,
        job_timeout_seconds=3.0,
    )


def new_job(index: int, user_id: int) -> NewJob:
    plan = plan_job(
        f"soak-{index:05d} a lighthouse",
        {},
        default_model="flux-pro-1.1",
        available=["ttapi"],
        preferred="ttapi",
    )
    return NewJob.from_plan(
        plan, id=new_job_id(), origin=Origin.CLI, user_id=user_id, guild_id=1, channel_id=2
    )


@dataclass
class Figures:
    jobs: int = 0
    restarts: int = 0
    queue_full: int = 0
    wall: float = 0.0
    storage_faults: int = 0
    storage_lines: dict[str, int] = field(default_factory=dict)
    leftovers: dict[str, int] = field(default_factory=dict)
    lives: list[float] = field(default_factory=list)
    alive: float = field(default_factory=time.monotonic)


async def watchdog(figures: Figures, limit: float = 90.0) -> None:
    """A soak that stops making progress is a finding: show where every task waits, then fail."""
    while True:
        await asyncio.sleep(5)
        if time.monotonic() - figures.alive > limit:
            print(f"\nSTUCK: no progress for {limit:.0f} s; every task's stack:", flush=True)
            for task in asyncio.all_tasks():
                task.print_stack(limit=6, file=sys.stdout)
            sys.stdout.flush()
            os._exit(2)


async def soak(args: argparse.Namespace) -> int:
    rng = random.Random(args.seed)
    fake = ChaosTTAPI(rng, args.fault_rate, quota=QUOTA, duration=0.15)
    await fake.start()
    sink = SoakSink(rng)
    figures = Figures()
    started = time.monotonic()
    guard = asyncio.get_running_loop().create_task(watchdog(figures))
    with tempfile.TemporaryDirectory(prefix="fluxbot-soak-") as tmp:
        settings = soak_settings(Path(tmp), fake, args.concurrency, not args.no_callbacks)
        disk = StorageFaults(rng, args.storage_fault_rate, settings.database_path.parent / "images")
        # Every callback is sent twice, and retried while nobody listens (the bot is "down").
        fake.callback_copies, fake.callback_attempts, fake.callback_retry_interval = 2, 4, 0.5
        index = 0
        done = False
        while not done:
            life_started = time.monotonic()
            async with (
                open_services(settings, poll_policy=POLLING, rate_limits={"ttapi": 5000.0}) as services,
                serve(settings, services, None),
            ):
                for provider in services.providers.values():
                    provider.timeout = TIMEOUT  # type: ignore[attr-defined]
                    provider.download_timeout = TIMEOUT  # type: ignore[attr-defined]
                manager = services.manager
                manager.register_sink(Origin.CLI, sink)
                await manager.start()
                life = rng.uniform(args.min_life, args.max_life)
                while time.monotonic() - life_started < life:
                    figures.alive = time.monotonic()
                    if index < args.jobs:
                        for _ in range(min(args.batch, args.jobs - index)):
                            job = new_job(index, 10_000 + rng.randrange(args.users))
                            disk.maybe_block(str(job.id))
                            try:
                                await manager.submit(job)
                            except QueueFull:
                                figures.queue_full += 1
                                continue
                            index += 1
                        await asyncio.sleep(args.batch / args.rate)
                    elif not manager.busy():
                        done = True
                        figures.leftovers = in_memory_leftovers(manager)
                        break
                    else:
                        await asyncio.sleep(0.1)
                figures.alive = time.monotonic()
                figures.lives.append(time.monotonic() - life_started)
                if not done:
                    figures.restarts += 1  # leaving the block cancels every task wherever it is: a crash
                print(
                    f"  life {len(figures.lives):3d}: {figures.lives[-1]:5.1f}s, {index} jobs accepted",
                    flush=True,
                )
        figures.jobs = index
        figures.wall = time.monotonic() - started
        figures.storage_faults = disk.blocked
        figures.storage_lines = dict(disk.hits())
        ok = check(settings.database_path, fake, sink, figures)
    guard.cancel()
    await fake.stop()
    return 0 if ok else 1


def check(db_path: Path, fake: ChaosTTAPI, sink: SoakSink, figures: Figures) -> bool:
    db = sqlite3.connect(db_path)
    db.row_factory = sqlite3.Row
    jobs = {r["id"]: r for r in db.execute("SELECT * FROM jobs")}
    ledger: dict[str, dict[str, list[Decimal]]] = collections.defaultdict(
        lambda: collections.defaultdict(list)
    )
    for row in db.execute("SELECT job_id, kind, amount FROM ledger WHERE job_id IS NOT NULL"):
        ledger[row["job_id"]][row["kind"]].append(Decimal(row["amount"]))
    terminal = {"delivered", "failed", "moderated", "timed_out", "cancelled", "undeliverable"}
    billed = fake.billed()
    accepted_by_prompt = collections.Counter(str(j.body.get("prompt")) for j in fake.jobs.values())
    by_state = collections.Counter(r["state"] for r in jobs.values())
    by_error = collections.Counter(r["error_code"] for r in jobs.values() if r["state"] != "delivered")

    problems: dict[str, list[str]] = collections.defaultdict(list)
    for job_id, row in jobs.items():
        entries = ledger.get(job_id, {})
        holds, charges, releases = (
            entries.get("hold", []),
            entries.get("charge", []),
            entries.get("release", []),
        )
        posts = sink.posts.get(job_id, [])
        if row["state"] not in terminal:
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
    our_pids = {r["provider_job_id"] for r in jobs.values() if r["provider_job_id"]}
    billed_not_charged = [
        pid for pid in billed if pid not in our_pids or not ledger_has_charge(jobs, ledger, pid)
    ]

    faults = sum(fake.counts[k] for k in fake.counts if not k.startswith("outcome")) + sum(
        v for k, v in sink.counts.items() if not k.startswith("repeat")
    )
    print()
    print(
        f"jobs                  {figures.jobs} in {figures.wall:.0f} s "
        f"({figures.jobs / figures.wall:.1f} jobs/s)"
    )
    print(f"restarts (crashes)    {figures.restarts}")
    print(f"storage faults        {figures.storage_faults} (not writable for 1-6 s): {figures.storage_lines}")
    print(f"faults injected       {faults}")
    for kind, count in sorted({**fake.counts, **sink.counts}.items()):
        print(f"    {kind:<40} {count}")
    print(f"provider requests     {sum(fake.requests_by_route.values())} ({dict(fake.requests_by_route)})")
    print(f"callbacks delivered   {fake.callbacks_sent} (each sent twice, retried while the bot was down)")
    print(f"final states          {dict(sorted(by_state.items()))}")
    print(f"why not delivered     {dict(sorted((str(k), v) for k, v in by_error.items()))}")
    print(f"credits charged       {ledger_total} (ledger) = {cost_total} (jobs)")
    print(
        f"billed by the provider but not charged to a member: {len(billed_not_charged)} "
        "(ambiguous submits the provider did accept: never re-sent, the member not charged)"
    )
    checks = [
        "job not terminal",
        "posted more than once",
        "delivered without exactly one post (or a post without delivery)",
        "accepted by the provider more than once",
        "not exactly one hold",
        "hold not closed exactly once",
        "charged although the provider did not bill",
        "charged a different amount than billed",
        "job cost differs from its ledger charge",
        "ledger total differs from the jobs' costs",
        "failed inside the bot",
        "kept in memory after every job ended",
    ]
    print("invariants:")
    for name in checks:
        found = problems.get(name, [])
        print(
            f"    {'OK  ' if not found else 'FAIL'} {name}: {len(found)}"
            + (f"  e.g. {found[:3]}" if found else "")
        )
    lost = by_state.get("queued", 0) + sum(v for k, v in by_state.items() if k not in terminal)
    doubled = len(problems.get("posted more than once", [])) + len(
        problems.get("accepted by the provider more than once", [])
    )
    print(f"lost: {lost}   doubled: {doubled}")
    return not problems


def ledger_has_charge(jobs: dict[str, Any], ledger: dict[str, Any], pid: str) -> bool:
    for job_id, row in jobs.items():
        if row["provider_job_id"] == pid:
            return bool(ledger.get(job_id, {}).get("charge"))
    return False


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=3000)
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
    args = parser.parse_args()
    logging.basicConfig(level=logging.CRITICAL)
    print(
        f"soak: {args.jobs} jobs, fault rate {args.fault_rate:.0%} of provider requests, seed {args.seed}, "
        f"crash every {args.min_life:.0f}-{args.max_life:.0f} s, "
        f"callbacks {'off' if args.no_callbacks else 'on'}",
        flush=True,
    )
    return asyncio.run(soak(args))


if __name__ == "__main__":
    raise SystemExit(main())
