"""1 gateway + 3 workers on PostgreSQL with 10,000 jobs in flight (issue 15, item 8).

    .venv/bin/python benchmarks/pg_scale_out.py [--jobs 10000] [--workers 3] [--rate 100] [--probes 500]

Every bot process is the product's `python -m bot run --role gateway|worker` (through
`benchmarks/bot_process.py`, which only lifts the provider rate limit to `BENCH_RATE_LIMITS`, as
every benchmark does against the fake), on a PostgreSQL database of its own (created here, dropped
after; `FLUXBOT_BENCH_DATABASE_URL` names the server, default `postgresql://postgres@127.0.0.1:5432/test`):

- the **gateway**: the real FluxBot with its cogs, connected to the loopback Discord of
  tests/fakes/discord.py (served by this process), answering `/imagine`: checks, quota hold, the
  job stored `queued` with its delivery record, the interaction acknowledged. It drives no job.
- `--workers` **workers** (default 3): claim the jobs, submit them to the fake BFL, follow them
  (the product's poll schedule), download, store the image and edit each member's reply into it
  over Discord's REST API (the loopback Discord again), with the stored interaction token.
- the **fake BFL** in its own process at nice 10 (`benchmarks/fake_server.py`); each job takes as
  long as its prompt says (`[d=…]`): long enough that every job is still running at the provider
  when the last command is acknowledged, all ending within `--spread` seconds after that.

This process plays Discord's members: `--jobs` `/imagine` commands (each from its own member of
one server, `--guilds` to spread them) sent at `--rate` per second over the gateway's websocket,
then, with all of them in flight, `--probes` more, one every `--interval` s. Acknowledgement
latency = from the INTERACTION_CREATE handed to the websocket to the interaction's callback POST
arriving here (the same clock). Then it waits until every job is finished and checks the books:
every job `delivered`, one image per job at Discord (the reply edited into it, by interaction
token, or a post in the channel naming the member), one charge per job in the ledger, one
submit per job at the fake. The peak of jobs in flight is the most unfinished jobs in the jobs
table at once (read every 0.5 s).

CPU per job: user + system time of the gateway and the workers (from /proc, read while they run)
from the first command to the last job finished, over the jobs; the fake, this process (Discord)
and PostgreSQL are not counted. PostgreSQL's CPU is printed separately: its backends serving this
database, and the whole server (which other users of the machine share). The CPU is also split by
phase (accepting, the probes, holding the jobs in flight, finishing them), which gives what one
job costs to accept and to finish, and what holding it costs per second (its polls, at most 60 s
apart, and the claims' lease renewals): the jobs here run for minutes, so that 10,000 are in
flight at once, where a real image takes ~10 s.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import itertools
import os
import random
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from aiohttp import web
from harness import (
    BENCH_DIR,
    ROOT,
    FakeServer,
    LoopLag,
    Verdict,
    now,
    percentile,
    pg_admin,
    postgres_server_cpu,
    print_machine,
    print_verdicts,
    proc_times,
    summary_ms,
    user_sys,
)

from tests.fakes.discord import SITE_DIR, FakeDiscord
from tests.helpers import free_port

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"
FINISHED = ("delivered", "failed", "cancelled", "moderated", "timed_out", "submit_unknown")
FIRST_MEMBER = 10**15  # member ids: snowflake-sized
MENTION = re.compile(rb"<@([0-9]+)>")


# -- Discord's side -------------------------------------------------------------------------------


class TimedDiscord(FakeDiscord):
    """The loopback Discord, keeping when each interaction was acknowledged and which replies got an
    image, and not the request bodies (10,000 images would be kept for nothing)."""

    def __init__(self) -> None:
        super().__init__()
        self.acked: dict[int, float] = {}  # interaction id → when its callback POST arrived
        self.images: collections.Counter[str] = collections.Counter()  # interaction token → image messages
        self.kinds: collections.Counter[str] = collections.Counter()  # REST calls by kind
        self.member_of: dict[int, int] = {}  # interaction id → the member who sent it
        self.undelivered = 0  # interactions sent while no shard was connected

    async def _rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["path"]
        if path.startswith("/interactions/") and path.endswith("/callback"):
            self.acked.setdefault(int(path.split("/")[2]), now())
        response = await super()._rest(request)
        # The parent appends the call and answers without yielding again (no upload delay), so the
        # last call is this request's.
        call = self.calls.pop()
        assert call.path == path, (call.path, path)
        image = isinstance(call.body, bytes) and b'filename="' in call.body
        if path.endswith("/callback"):
            kind = (
                f"interaction callback type {call.body.get('type') if isinstance(call.body, dict) else '?'}"
            )
        elif path.startswith("/webhooks/"):
            kind = f"webhook {call.method}{' with an image' if image else ''}"
            if image:
                self.images[path.split("/")[3]] += 1  # the interaction's token
        elif path.startswith("/channels/"):
            kind = f"channel {call.method}{' with an image' if image else ''}"
            mention = MENTION.search(call.body) if image else None
            if mention:  # a result posted in the channel names its one member
                self.images[f"member {int(mention.group(1))}"] += 1
        else:
            kind = f"other {call.method} {path.split('/')[1]}"
        self.kinds[kind] += 1
        return response


# -- processes and their CPU ------------------------------------------------------------------------


@dataclass
class BotProcess:
    name: str
    role: str
    proc: subprocess.Popen[bytes]
    log: Path
    cpu_ready: float = 0.0  # CPU when it was ready (imports, pool, login, migrations for the first)

    def cpu(self) -> float:
        return proc_times(self.proc.pid)[0]

    def peak_rss_mb(self) -> float:
        try:
            with open(f"/proc/{self.proc.pid}/status", encoding="ascii") as status:
                for line in status:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1]) / 1024
        except OSError:
            pass
        return float("nan")

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def start_bot(role: str, name: str, env: dict[str, str], folder: Path) -> BotProcess:
    log = folder / f"{name}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, str(BENCH_DIR / "bot_process.py"), role],
            env=env,
            cwd=folder,  # no .env of the checkout is read
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return BotProcess(name, role, proc, log)


async def until(check: Any, what: str, processes: list[BotProcess], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        for bot in processes:
            if bot.proc.poll() is not None:
                raise RuntimeError(f"{bot.name} exited ({bot.proc.returncode}):\n{bot.output()[-3000:]}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {timeout:.0f} s")
        await asyncio.sleep(0.1)


# -- the database ---------------------------------------------------------------------------------


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@dataclass
class InFlight:
    """The jobs table read every `every` seconds: the most jobs unfinished at once, and when."""

    url: str
    every: float = 0.5
    peak: int = 0
    peak_states: dict[str, int] = field(default_factory=dict)
    samples: list[tuple[float, int, int]] = field(default_factory=list)  # (t, unfinished, total)
    latest: tuple[int, int] = (0, 0)  # (unfinished, finished)
    #: The bots' PostgreSQL backends: pid → [its CPU when first seen (0 if it started meanwhile), last read].
    backends: dict[int, list[float]] = field(default_factory=dict)
    started: bool = False

    async def run(self, stop: asyncio.Event, ready: asyncio.Event) -> None:
        conn = await asyncpg.connect(self.url)
        try:
            while not stop.is_set():
                pids = await conn.fetch(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid()"
                )
                for row in pids:
                    cpu = proc_times(row["pid"])[0]
                    entry = self.backends.setdefault(row["pid"], [cpu if not self.started else 0.0, cpu])
                    entry[1] = cpu
                self.started = True
                ready.set()
                rows = await conn.fetch("SELECT state, COUNT(*) AS n FROM jobs GROUP BY state")
                states = {r["state"]: int(r["n"]) for r in rows}
                unfinished = sum(n for s, n in states.items() if s not in FINISHED)
                finished = sum(n for s, n in states.items() if s in FINISHED)
                self.latest = (unfinished, finished)
                self.samples.append((now(), unfinished, unfinished + finished))
                if unfinished > self.peak:
                    self.peak, self.peak_states = unfinished, states
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.every)
        finally:
            await conn.close()


async def books(url: str) -> dict[str, Any]:
    conn = await asyncpg.connect(url)
    try:
        states = {
            r["state"]: int(r["n"])
            for r in await conn.fetch("SELECT state, COUNT(*) AS n FROM jobs GROUP BY state")
        }
        errors = await conn.fetch(
            "SELECT state, error_code, COUNT(*) AS n FROM jobs WHERE state <> 'delivered' "
            "GROUP BY state, error_code ORDER BY n DESC"
        )
        charges = await conn.fetch(
            "SELECT job_id, COUNT(*) AS n FROM ledger WHERE kind = 'charge' GROUP BY job_id"
        )
        holds_open = await conn.fetchval(
            "SELECT COUNT(*) FROM ledger h WHERE h.kind = 'hold' AND NOT EXISTS "
            "(SELECT 1 FROM ledger s WHERE s.job_id = h.job_id AND s.kind <> 'hold')"
        )
        first_last = await conn.fetchrow(
            "SELECT MIN(created_at) AS first, MAX(finished_at) AS last FROM jobs"
        )
        seen = await conn.fetch(
            "SELECT provider_job_id, ready_at, finished_at FROM jobs "
            "WHERE state = 'delivered' AND provider_job_id IS NOT NULL"
        )
    finally:
        await conn.close()
    return {
        "states": states,
        "not_delivered": [(r["state"], r["error_code"], int(r["n"])) for r in errors],
        "charged_jobs": len(charges),
        "charged_twice": sum(1 for r in charges if r["n"] > 1),
        "holds_open": int(holds_open),
        "first_last": tuple(first_last) if first_last else None,
        "seen": {r["provider_job_id"]: (r["ready_at"], r["finished_at"]) for r in seen},
    }


def seen_after(ledger: dict[str, Any], requests: dict[str, Any]) -> tuple[list[float], list[float]]:
    """How long after the fake had each image a poll found it ready (`ready_at`), and how long
    after it the job was delivered (`finished_at`): what the poll schedule costs in latency."""
    found, delivered = [], []
    for provider_job_id, (ready_at, finished_at) in ledger["seen"].items():
        made = requests["ready_at"].get(provider_job_id)
        if made is None:
            continue
        if ready_at is not None:
            found.append(ready_at - made)
        if finished_at is not None:
            delivered.append(finished_at - made)
    return found, delivered


# -- the run --------------------------------------------------------------------------------------


async def send_commands(
    discord: TimedDiscord,
    count: int,
    first: int,
    interval: float,
    finish_at: float,
    spread: float,
    guilds: list[int],
    channel: int,
    sent: dict[int, float],
    rng: random.Random,
) -> None:
    """`count` members run `/imagine`, one every `interval` s; each job ends `finish_at` + 0..`spread`."""
    start = now()
    for n in range(count):
        delay = start + n * interval - now()
        if delay > 0:
            await asyncio.sleep(delay)
        i = first + n
        duration = max(1.0, finish_at - now()) + rng.uniform(0, spread)
        command = discord.slash(
            "imagine",
            guild_id=guilds[i % len(guilds)],
            channel_id=channel,
            user_id=FIRST_MEMBER + i,
            prompt=f"bench {i}: a lighthouse at dusk [d={duration:.1f}]",
        )
        discord.member_of[int(command["id"])] = FIRST_MEMBER + i
        sent[int(command["id"])] = now()
        try:
            await discord.interact(command)
        except AssertionError:  # no shard connected (the gateway reconnecting): Discord would fail it too
            discord.undelivered += 1


def most_common_lines(lines: list[str], n: int = 4) -> list[tuple[int, str]]:
    """The most frequent log lines, their time stamps, ids and numbers blanked."""
    shapes = collections.Counter(
        re.sub(r"[0-9]+", "#", re.sub(r"\b[0-9a-f]{12,}\b", "<id>", line.split(" ", 2)[-1]))[:170]
        for line in lines
    )
    return [(count, line) for line, count in shapes.most_common(n)]


def acks_of(discord: TimedDiscord, sent: dict[int, float]) -> tuple[list[float], int]:
    acks = [discord.acked[i] - t for i, t in sent.items() if i in discord.acked]
    return acks, len(sent) - len(acks)


async def run(args: argparse.Namespace) -> bool:
    base = os.environ.get("FLUXBOT_BENCH_DATABASE_URL") or DEFAULT_URL
    name = f"fluxbot_bench_{secrets.token_hex(4)}"
    url = with_database(base, name)
    await pg_admin(base, f"CREATE DATABASE {name}")
    try:
        with (
            tempfile.TemporaryDirectory(prefix="fluxbot-scale-") as tmp,
            FakeServer("bfl", duration=10.0) as fake,
        ):
            assert fake.proc is not None
            os.setpriority(os.PRIO_PROCESS, fake.proc.pid, args.fake_nice)
            return await measure(args, Path(tmp), fake, url, name)
    finally:
        await pg_admin(base, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


async def measure(args: argparse.Namespace, folder: Path, fake: FakeServer, url: str, db_name: str) -> bool:
    total = args.jobs + args.probes
    discord = TimedDiscord()
    await discord.start()
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("DISCORD_", "DATABASE_", "BFL_", "TTAPI_"))
        },
        "PYTHONPATH": f"{SITE_DIR}:{ROOT}",
        **discord.site_env(),
        "DISCORD_TOKEN": "bench-token",
        "DATABASE_URL": url,
        "DATA_DIR": str(folder / "data"),
        "BFL_API_KEY": fake.api_key,
        "BFL_BASE_URL": fake.url,
        "DEFAULT_PROVIDER": "bfl",
        # Lifted as in every benchmark against the fake (the product's 24 are the real API's).
        "PROVIDER_CONCURRENCY": f"bfl={total + 100}",
        "QUOTA_DEFAULT_LIMIT": "unlimited",
        "HTTP_PORT": "0",
        "JOB_TIMEOUT_SECONDS": "3600",
    }
    gateway_env = env
    if args.callbacks:
        # The fake BFL calls the gateway's bot/web.py back (a worker's job is relayed to it through
        # the store); polling stays on as the fallback, as in the product.
        port = free_port()
        env["WEBHOOK_PUBLIC_URL"] = f"http://127.0.0.1:{port}"
        gateway_env = {**env, "HTTP_PORT": str(port)}
    processes: list[BotProcess] = []
    stop_monitor = asyncio.Event()
    try:
        gateway = start_bot("gateway", "gateway", gateway_env, folder)
        processes.append(gateway)
        await until(lambda: "connected as" in gateway.output(), "the gateway connected", processes, 120)
        for n in range(args.workers):
            processes.append(start_bot("worker", f"worker{n + 1}", env, folder))
        await until(
            lambda: all("registered" in w.output() for w in processes[1:]),
            "workers registered",
            processes,
            120,
        )
        await asyncio.sleep(1.0)
        print(
            "processes ready: "
            + ", ".join(f"{b.name} (pid {b.proc.pid}, {b.cpu():.2f} s CPU to start)" for b in processes)
        )

        monitor = InFlight(url)
        monitor_ready = asyncio.Event()
        monitor_task = asyncio.create_task(monitor.run(stop_monitor, monitor_ready))
        await monitor_ready.wait()
        # Idle: what the four processes cost with nothing to do (timers, leases, heartbeats).
        idle0 = sum(b.cpu() for b in processes)
        await asyncio.sleep(args.idle)
        idle = (sum(b.cpu() for b in processes) - idle0) / args.idle
        for bot in processes:
            bot.cpu_ready = bot.cpu()
        for entry in monitor.backends.values():
            entry[0] = entry[1]
        server0 = postgres_server_cpu()
        driver0 = time.process_time()
        assert fake.proc is not None
        fake0 = proc_times(fake.proc.pid)[0]
        lag = LoopLag(asyncio.get_running_loop())
        lag.start()
        rng = random.Random(8)
        guilds = [(7 + g) << 22 for g in range(args.guilds)]
        ramp = args.jobs / args.rate
        window = args.probes * args.interval
        finish_at = now() + ramp + args.settle + window + args.hold_margin
        ramp_sent: dict[int, float] = {}
        print(
            f"sending {args.jobs} /imagine at {args.rate:.0f}/s (~{ramp:.0f} s); jobs end "
            f"{ramp + args.settle + window + args.hold_margin:.0f}–"
            f"{ramp + args.settle + window + args.hold_margin + args.spread:.0f} s from now",
            file=sys.stderr,
        )
        marks: list[tuple[str, float, dict[str, float], float]] = []

        def mark(label: str) -> None:
            marks.append((label, now(), {b.name: b.cpu() for b in processes}, postgres_server_cpu()))

        t0 = now()
        mark("first command")
        await send_commands(
            discord, args.jobs, 0, 1 / args.rate, finish_at, args.spread, guilds, 8, ramp_sent, rng
        )
        sent_in = now() - t0
        try:
            await until(
                lambda: (
                    len(discord.acked) >= len(ramp_sent)
                    and monitor.latest[0] + monitor.latest[1] >= args.jobs
                ),
                "every command acknowledged and stored",
                processes,
                timeout=args.settle + 600,
            )
        except TimeoutError as exc:
            print(f"NOT ALL ACCEPTED: {exc}; going on", file=sys.stderr)
        accepted_in = now() - t0
        cpu_accepted = {b.name: b.cpu() - b.cpu_ready for b in processes}
        mark(f"all {args.jobs} acknowledged and stored")
        in_flight_before = monitor.latest
        probe_sent: dict[int, float] = {}
        print(f"{args.jobs} acknowledged after {accepted_in:.1f} s; probes ...", file=sys.stderr)
        await send_commands(
            discord, args.probes, args.jobs, args.interval, finish_at, args.spread, guilds, 8, probe_sent, rng
        )
        await asyncio.sleep(1.0)
        in_flight_after = monitor.latest
        mark(f"{args.probes} probes done")
        lag.stop()
        window_lag = list(lag.lags)
        deadline = finish_at + args.spread + args.drain_timeout
        print("waiting for every job to finish ...", file=sys.stderr)
        while monitor.latest[1] < total - discord.undelivered:
            if monitor.latest[1] > 0 and len(marks) == 3:
                mark("the first job finished")
            if now() > deadline:
                print(f"TIMEOUT: {monitor.latest[1]} of {total} finished", file=sys.stderr)
                break
            for bot in processes:
                if bot.proc.poll() is not None:
                    raise RuntimeError(f"{bot.name} exited ({bot.proc.returncode}):\n{bot.output()[-3000:]}")
            await asyncio.sleep(0.2)
        finished_in = now() - t0
        mark(f"all {total} finished")
        cpu = {b.name: b.cpu() - b.cpu_ready for b in processes}
        split = [user_sys(b.proc.pid) for b in processes]
        user_sys_total = (sum(u for u, _ in split), sum(x for _, x in split))
        memory = {b.name: b.peak_rss_mb() for b in processes}
        server = postgres_server_cpu() - server0
        driver = time.process_time() - driver0
        fake_cpu = proc_times(fake.proc.pid)[0] - fake0
        await asyncio.sleep(monitor.every * 2)  # one more reading of the backends
        backend_cpu = sum(last - first for first, last in monitor.backends.values())
        await asyncio.sleep(1.0)  # the last REST calls of the last deliveries
        stop_monitor.set()
        await monitor_task
    finally:
        stop_monitor.set()
        for bot in processes:
            if bot.proc.poll() is None:
                bot.proc.send_signal(signal.SIGTERM)
        for bot in processes:
            try:
                bot.proc.wait(30)
            except subprocess.TimeoutExpired:
                bot.proc.kill()
                bot.proc.wait()
        await discord.stop()
    ledger = await books(url)
    requests = fake.stats()
    return report(
        args,
        discord,
        processes,
        ledger,
        requests,
        monitor,
        ramp_sent=ramp_sent,
        probe_sent=probe_sent,
        sent_in=sent_in,
        accepted_in=accepted_in,
        finished_in=finished_in,
        in_flight=(in_flight_before, in_flight_after),
        cpu=cpu,
        cpu_accepted=cpu_accepted,
        marks=marks,
        user_sys=user_sys_total,
        memory=memory,
        idle=idle,
        backend_cpu=backend_cpu,
        server_cpu=server,
        driver_cpu=driver,
        fake_cpu=fake_cpu,
        window_lag=window_lag,
    )


def report(
    args: argparse.Namespace,
    discord: TimedDiscord,
    processes: list[BotProcess],
    ledger: dict[str, Any],
    requests: dict[str, Any],
    monitor: InFlight,
    **m: Any,
) -> bool:
    total = args.jobs + args.probes
    ramp_acks, ramp_missing = acks_of(discord, m["ramp_sent"])
    probe_acks, probe_missing = acks_of(discord, m["probe_sent"])
    # Each command's image: its reply edited (by token) or a post in the channel (by its member).
    posts = [
        discord.images[f"interaction-{i}"] + discord.images[f"member {discord.member_of[i]}"]
        for i in [*m["ramp_sent"], *m["probe_sent"]]
    ]
    delivered = sum(1 for n in posts if n)
    edited = sum(v for k, v in discord.images.items() if k.startswith("interaction"))
    in_channel = sum(v for k, v in discord.images.items() if k.startswith("member"))
    twice = sum(1 for n in posts if n > 1)
    states = ledger["states"]
    (before_open, _), (after_open, _) = m["in_flight"]
    print(
        f"\ncommands: {args.jobs} sent in {m['sent_in']:.1f} s ({args.jobs / m['sent_in']:.0f}/s), "
        "all acknowledged "
        f"and stored after {m['accepted_in']:.1f} s; then {args.probes} probes, one every {args.interval} s"
    )
    print(
        f"  acks while the {args.jobs} were sent (in flight rising to {args.jobs}): {summary_ms(ramp_acks)}; "
        f"{ramp_missing} unanswered"
    )
    print(
        f"  acks of the probes ({before_open} → {after_open} jobs unfinished in the table): "
        f"{summary_ms(probe_acks)}; {probe_missing} unanswered"
    )
    print(f"  this process's (Discord's) event-loop lag meanwhile: {summary_ms(m['window_lag'])}")
    if discord.undelivered:
        print(f"  {discord.undelivered} interactions found no gateway connection (a reconnect)")
    print(
        f"jobs in flight (unfinished in the jobs table, read every {monitor.every} s): peak {monitor.peak} "
        f"{dict(sorted(monitor.peak_states.items()))}"
    )
    print(f"all {total} finished after {m['finished_in']:.1f} s from the first command; states {states}")
    if ledger["not_delivered"]:
        print(f"  not delivered (state, error code, jobs): {ledger['not_delivered']}")
    print(
        f"images delivered: {delivered} of {total} commands have theirs, {twice} more than once "
        f"({edited} replies edited into it, {in_channel} posted in the channel)"
    )
    print(f"  Discord REST calls by kind: {dict(discord.kinds.most_common())}")
    print(
        f"ledger: {ledger['charged_jobs']} jobs charged, {ledger['charged_twice']} charged twice, "
        f"{ledger['holds_open']} holds never settled"
    )
    print(
        f"fake BFL: {requests['submit']} submits, {requests['poll']} polls, {requests['download']} "
        f"downloads, {requests['other']} other ({requests['total'] / total:.2f} requests per job); "
        f"{requests['callbacks']} callbacks sent"
    )
    found, delivered_after = seen_after(ledger, requests)
    print(
        f"  after the fake had the image: found ready {summary_ms(found)}; delivered "
        f"{summary_ms(delivered_after)} (polls per job {requests['poll'] / total:.2f})"
    )
    bots = sum(m["cpu"].values())
    print(
        "CPU from the first command to the last job finished: "
        + ", ".join(f"{k} {v:.1f} s" for k, v in m["cpu"].items())
        + f"; together {bots:.1f} s = {bots * 1000 / total:.2f} ms per job"
    )
    print(
        "  of which until every command was acknowledged and stored: "
        + ", ".join(f"{k} {v:.1f} s" for k, v in m["cpu_accepted"].items())
        + f"; idle before the first command, all {len(processes)} processes: {m['idle'] * 1000:.0f} ms/s"
    )
    print(
        f"  user {m['user_sys'][0]:.1f} s + system {m['user_sys'][1]:.1f} s since each process started "
        "(system: the kernel's side of every loopback socket call)"
    )
    marks = m["marks"]
    print("  by phase (gateway + workers; the PostgreSQL server):")
    for (label0, t_0, cpu0, pg0), (label1, t_1, cpu1, pg1) in itertools.pairwise(marks):
        spent = sum(cpu1.values()) - sum(cpu0.values())
        each = ", ".join(f"{k} {cpu1[k] - cpu0[k]:.1f}" for k in cpu1)
        print(
            f"    {label0} → {label1}: {t_1 - t_0:.1f} s, bots {spent:.1f} s CPU ({spent / (t_1 - t_0):.2f} "
            f"cores: {each}); PostgreSQL {pg1 - pg0:.1f} s ({(pg1 - pg0) / (t_1 - t_0):.2f} cores)"
        )
    hold = [(a, b) for a, b in itertools.pairwise(marks) if b[0] == "the first job finished"]
    if hold:
        (_, t_0, cpu0, _), (_, t_1, cpu1, _) = hold[0]
        rate = (sum(cpu1.values()) - sum(cpu0.values())) / (t_1 - t_0) / max(1, m["in_flight"][1][0])
        print(
            "  holding the jobs in flight (polls on the product's schedule, leases, "
            "nothing accepted or finished): "
            f"{rate * 1000:.3f} ms of CPU per job per second in flight"
        )
    print("  peak RSS: " + ", ".join(f"{k} {v:.0f} MB" for k, v in m["memory"].items()))
    print(
        f"  not counted: PostgreSQL backends of this database {m['backend_cpu']:.1f} s "
        f"({m['backend_cpu'] * 1000 / total:.2f} ms per job); the whole PostgreSQL server "
        f"{m['server_cpu']:.1f} s (shared with anything else on the machine); this process "
        f"(Discord, the members) {m['driver_cpu']:.1f} s; the fake BFL {m['fake_cpu']:.1f} s "
        f"(at nice {args.fake_nice})"
    )
    for bot in processes:
        text = bot.output()
        lines = text.splitlines()
        errors = [line for line in lines if " ERROR " in line or line.startswith("Traceback")]
        warnings = [line for line in lines if " WARNING " in line]
        conflicts = text.count("SerializationError") + text.count("could not serialize")
        if errors or warnings or conflicts:
            print(
                f"  {bot.name}: {len(errors)} ERROR/Traceback, {len(warnings)} WARNING lines, "
                f"{conflicts} serialization conflicts named"
            )
            for count, line in most_common_lines(errors + warnings):
                print(f"    {count} × {line}")
    exactly_once = (
        states.get("delivered", 0) == total
        and delivered == total
        and twice == 0
        and ledger["charged_jobs"] == total
        and ledger["charged_twice"] == 0
        and requests["submit"] == total
    )
    verdicts = [
        Verdict(
            f"jobs in flight (peak), all {total} delivered exactly once",
            f"{monitor.peak}, {'yes' if exactly_once else 'NO'}",
            f"{args.jobs:,}",
            monitor.peak >= args.jobs and exactly_once,
        ),
        Verdict(
            "CPU per job, gateway + workers",
            f"{bots * 1000 / total:.2f} ms",
            "<= 10 ms",
            bots * 1000 / total <= 10,
        ),
        Verdict(
            f"ack p99 at the gateway, {before_open}+ in flight",
            f"{percentile([a * 1000 for a in probe_acks], 99):.1f} ms",
            "< 50 ms",
            bool(probe_acks) and percentile([a * 1000 for a in probe_acks], 99) < 50 and probe_missing == 0,
        ),
    ]
    print_verdicts(verdicts)
    return all(v.met for v in verdicts)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=10_000, help="jobs put in flight")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument(
        "--rate", type=float, default=100.0, help="commands per second while putting them in flight"
    )
    parser.add_argument("--probes", type=int, default=500, help="commands timed with all the jobs in flight")
    parser.add_argument("--interval", type=float, default=0.1, help="seconds between two probes")
    parser.add_argument("--guilds", type=int, default=1, help="servers the members are spread over")
    parser.add_argument(
        "--settle", type=float, default=30.0, help="seconds allowed for the gateway to catch up"
    )
    parser.add_argument(
        "--hold-margin", type=float, default=10.0, help="seconds every job still runs after the probes"
    )
    parser.add_argument("--spread", type=float, default=60.0, help="the jobs end over this many seconds")
    parser.add_argument("--drain-timeout", type=float, default=600.0)
    parser.add_argument(
        "--fake-nice",
        type=int,
        default=10,
        help="the fake BFL's nice value (fake_server.py's 10: the bots get the cores first; 0: a fair "
        "share, so that a saturated machine does not starve the provider)",
    )
    parser.add_argument(
        "--callbacks",
        action="store_true",
        help="WEBHOOK_PUBLIC_URL set: the fake BFL calls the gateway back when each job is ready "
        "(polling only as the fallback)",
    )
    parser.add_argument(
        "--idle", type=float, default=5.0, help="seconds the idle processes' CPU is read over"
    )
    args = parser.parse_args()
    subprocess.run(["uptime"], check=False)
    print("command:", " ".join(sys.argv))
    print_machine()
    print(
        f"{args.jobs} jobs + {args.probes} probes, 1 gateway + {args.workers} workers on PostgreSQL"
        f"{', callbacks to the gateway' if args.callbacks else ', polling'}; "
        f"provider rate limit lifted to BENCH_RATE_LIMITS and PROVIDER_CONCURRENCY to the job count"
    )
    sys.exit(0 if asyncio.run(run(args)) else 1)


if __name__ == "__main__":
    main()
