"""What every benchmark shares: the machine, percentiles, CPU and memory readings, fake servers in a child.

Benchmarks are scripts, not tests: each prints its figures (and `--json` prints them machine-readable).
The fake provider always runs in its **own process**, so its CPU never counts as the bot's, and
every request it receives is counted there (`FakeServer.stats()`).

Run from the repository root: `/work/main/.venv/bin/python benchmarks/<name>.py`.
"""

from __future__ import annotations

import gc
import json
import os
import platform
import resource
import subprocess
import sys
import threading
import time
import timeit
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BENCH_DIR = Path(__file__).resolve().parent


# -- the machine ----------------------------------------------------------------------------------


def python_loop_us() -> float:
    """This machine's speed at plain Python: one `sum(range(10_000))`, best of 5 runs of 100, in µs.

    CPU figures (ms per job, pairs per second) move with the machine more than with a commit: the
    same code read 6.95-9.58 ms per job on one machine and 15.2-16.3 on another (docs/PERFORMANCE.md).
    Figures compare only between runs whose loop reads alike; ~0.1 s to measure."""
    return min(timeit.repeat("sum(range(10_000))", number=100, repeat=5)) / 100 * 1e6


def machine() -> dict[str, Any]:
    """Cores, CPU model, RAM, Python and its speed: printed at the top of every benchmark."""
    model = "?"
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_kb = 0
    with open("/proc/meminfo", encoding="ascii") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "ram_gib": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "kernel": platform.release(),
        "python_loop_us": round(python_loop_us(), 1),
    }


def print_machine() -> None:
    m = machine()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"machine: {m['nproc']} cores ({m['cpu']}), {m['ram_gib']} GiB RAM, Python {m['python']}; "
        f"load average {load} (the machine is shared: other work inflates wall-clock figures)\n"
        f"  its speed: sum(range(10_000)) takes {m['python_loop_us']:.0f} µs (best of 5); CPU figures"
        " compare only between machines where this reads alike"
    )


# -- numbers --------------------------------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0..100), nearest-rank; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def summary_ms(values: Iterable[float]) -> str:
    data = [v * 1000 for v in values]
    if not data:
        return "n=0"
    return (
        f"n={len(data)} p50={percentile(data, 50):.1f} ms p90={percentile(data, 90):.1f} ms "
        f"p99={percentile(data, 99):.1f} ms max={max(data):.1f} ms"
    )


async def pg_admin(url: str, sql: str) -> None:
    """One statement on its own connection (CREATE/DROP of a benchmark's database or schema)."""
    import asyncpg  # only the PostgreSQL benchmarks need it

    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


# -- CPU of other processes, from /proc (Linux) ------------------------------------------------------

TICK = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the process's name (None once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None


def proc_times(pid: int) -> tuple[float, float]:
    """(utime + stime, cutime + cstime) of a process, in seconds; (0, 0) once it is gone."""
    fields = _stat_fields(pid)
    if fields is None:
        return 0.0, 0.0
    return (int(fields[11]) + int(fields[12])) / TICK, (int(fields[13]) + int(fields[14])) / TICK


def user_sys(pid: int) -> tuple[float, float]:
    """(utime, stime) of a process, in seconds; (0, 0) once it is gone."""
    fields = _stat_fields(pid)
    if fields is None:
        return 0.0, 0.0
    return int(fields[11]) / TICK, int(fields[12]) / TICK


def postgres_server_cpu() -> float:
    """Every `postgres` process's CPU, plus what the postmaster collected from its exited children."""
    found: dict[int, list[str]] = {}  # pid → its stat fields
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii") as stat:
                text = stat.read()
        except OSError:
            continue
        if text[text.index("(") + 1 : text.rindex(")")] == "postgres":
            found[int(entry)] = text.rsplit(")", 1)[1].split()
    total = 0.0
    for fields in found.values():
        total += (int(fields[11]) + int(fields[12])) / TICK
        if int(fields[1]) not in found:  # the postmaster: it reaps the backends that ended
            total += (int(fields[13]) + int(fields[14])) / TICK
    return total


def machine_busy() -> tuple[float, float]:
    """(busy, all) CPU seconds of the whole machine since boot, every core (/proc/stat): busy is
    all but idle and I/O wait."""
    with open("/proc/stat", encoding="ascii") as stat:
        fields = [int(v) for v in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields) - idle) / TICK, sum(fields) / TICK


def cpu_seconds() -> float:
    """User + system CPU of this whole process (every thread), in seconds."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def rss_mb() -> float:
    """The current resident set size (not the peak), after a full garbage collection."""
    gc.collect()
    with open("/proc/self/statm", encoding="ascii") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1024 / 1024


@dataclass
class Verdict:
    what: str
    figure: str
    target: str
    met: bool

    def line(self) -> str:
        mark = "MET" if self.met else "NOT MET"
        return f"  {self.what:<58} {self.figure:>22}   target {self.target:<12} {mark}"


def print_verdicts(verdicts: list[Verdict]) -> None:
    for verdict in verdicts:
        print(verdict.line())


# -- the fake provider in its own process -----------------------------------------------------------


class FakeServer:
    """A fake provider (tests/fakes/*) served by `benchmarks/fake_server.py` in a child process.

    Talks to it over stdin/stdout, one JSON line each way: `stats` (requests received by kind),
    `reset`, `config {...}` (job durations, webhook behaviour). Stops when closed.
    """

    def __init__(self, kind: str = "bfl", **config: Any) -> None:
        self.kind = kind
        self.config = config
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""
        self.api_key = ""
        self.info: dict[str, Any] = {}

    def __enter__(self) -> FakeServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(BENCH_DIR / "fake_server.py"), self.kind, json.dumps(self.config)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        self.info = self._read()
        self.url = self.info["url"]
        self.api_key = self.info["api_key"]

    def _read(self) -> dict[str, Any]:
        assert self.proc is not None
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the fake server exited")
        return json.loads(line)

    def command(self, name: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        assert self.proc is not None
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"cmd": name, **(payload or {})}) + "\n")
        self.proc.stdin.flush()
        return self._read()

    def stats(self) -> dict[str, Any]:
        return self.command("stats")

    def reset(self) -> None:
        self.command("reset")

    def configure(self, **config: Any) -> None:
        self.command("config", config)

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None


class LoopLag:
    """How late the event loop runs a callback handed to it from another thread, every `every` seconds.

    Timer-free (SimCord owns the loop's timers while it runs): a thread posts a callback with
    `call_soon_threadsafe` and the callback records how long it waited for the loop.
    """

    def __init__(self, loop: Any, every: float = 0.005) -> None:
        self.loop = loop
        self.every = every
        self.lags: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="loop-lag", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            sent = time.perf_counter()
            self.loop.call_soon_threadsafe(lambda s=sent: self.lags.append(time.perf_counter() - s))

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def job_durations(n: int, typical: float, *, spread: float = 0.1, seed: int = 8) -> list[float]:
    """How long each of `n` jobs takes at the fake: around the model's usual time (normal, ±2.5σ)."""
    import random

    rng = random.Random(seed)
    return [typical * min(1 + 2.5 * spread, max(1 - 2.5 * spread, rng.gauss(1.0, spread))) for _ in range(n)]


def now() -> float:
    """Real time, never SimCord's virtual clock (SimCord patches time.monotonic)."""
    return time.perf_counter()
