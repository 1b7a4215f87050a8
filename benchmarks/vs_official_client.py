"""Side by side: the official BFL Python client vs our bot, the same 200 jobs against the same fake BFL.

- The official client (`blackforest` 0.1.3 on PyPI: synchronous `requests`, polls every 1 s) is
  installed by this script in its own venv, `benchmarks/.venv-blackforest/` (gitignored; it pins
  an old Pillow), and run there with one thread per job, as its users would
  (`official_client_worker.py`). It is pointed at the fake through its constructor's `base_url`.
- Ours: the real composition root — SQLite store, quota hold and settle, JobManager with its
  polling schedule, the BFL provider client — in a child process (`ours_worker.py`).
- The fake BFL (tests/fakes/bfl.py) runs in a third process and counts every request. Each job
  takes the same time for both clients: its duration rides in the prompt (`[d=9.81]`), drawn
  around the model's usual time (normal, σ = 10 %, seeded).

Wall time, CPU time (user + system, every thread) and peak RSS are each worker's own, measured in
one run; requests are counted at the fake. Ratios are official ÷ ours (> 1: we are ahead).

    /work/main/.venv/bin/python benchmarks/vs_official_client.py [--jobs 200] [--json]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import venv
from pathlib import Path
from typing import Any

from harness import BENCH_DIR, ROOT, FakeServer, job_durations, print_machine

from bot.providers.catalog import MODELS

OFFICIAL_VERSION = "0.1.3"
VENV = BENCH_DIR / ".venv-blackforest"
MODEL = "flux-pro-1.1"


def official_python() -> Path:
    """The venv's python, with `blackforest==0.1.3` installed (created on first use)."""
    python = VENV / "bin" / "python"
    if not python.exists():
        print(f"creating {VENV.relative_to(ROOT)} for the official client ...", file=sys.stderr)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    probe = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m; print(m.version('blackforest'))"],
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.stdout.strip() != OFFICIAL_VERSION:
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", f"blackforest=={OFFICIAL_VERSION}"],
            check=True,
        )
    return python


def run_worker(python: Path, script: str, spec: dict[str, Any]) -> dict[str, Any]:
    done = subprocess.run(
        [str(python), str(BENCH_DIR / script), json.dumps(spec)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        timeout=900,
    )
    if done.returncode != 0:
        raise SystemExit(f"{script} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def requests_seen(stats: dict[str, Any]) -> dict[str, int]:
    return {k: stats[k] for k in ("submit", "poll", "download", "other", "total")}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args()

    print_machine()
    typical = MODELS[MODEL].typical_seconds
    durations = job_durations(args.jobs, typical)
    prompts = [f"bench job {i} [d={d:.3f}]" for i, d in enumerate(durations)]
    print(
        f"{args.jobs} jobs of {MODEL}; each takes {min(durations):.1f}–{max(durations):.1f} s at the fake "
        f"(usual time {typical:.0f} s, σ 10 %)"
    )
    python = official_python()
    results: dict[str, dict[str, Any]] = {}
    with FakeServer("bfl") as fake:
        spec = {"url": fake.url, "api_key": fake.api_key, "model": MODEL, "prompts": prompts}
        for name, interpreter, script in (
            ("official", python, "official_client_worker.py"),
            ("ours", Path(sys.executable), "ours_worker.py"),
        ):
            fake.reset()
            print(f"running {name} ...", file=sys.stderr)
            result = run_worker(interpreter, script, spec)
            result["requests"] = requests_seen(fake.stats())
            results[name] = result

    official, ours = results["official"], results["ours"]
    print()
    print(f"{'':<34}{'official client':>18}{'fluxbot':>14}{'official ÷ ours':>18}")
    rows = [
        ("jobs delivered", "delivered", "{:.0f}", False),
        ("wall time, 200 jobs (s)", "run_wall", "{:.2f}", True),
        ("CPU time, run (s)", "run_cpu", "{:.2f}", True),
        ("CPU time, whole process (s)", "process_cpu", "{:.2f}", True),
        ("peak memory, RSS (MB)", "peak_rss_mb", "{:.1f}", True),
    ]
    for label, key, fmt, ratio in rows:
        a, b = official[key], ours[key]
        r = f"{a / b:.2f}×" if ratio and b else ""
        print(f"{label.replace('200', str(args.jobs)):<34}{fmt.format(a):>18}{fmt.format(b):>14}{r:>18}")
    for kind in ("total", "submit", "poll", "download"):
        a, b = official["requests"][kind], ours["requests"][kind]
        r = f"{a / b:.2f}×" if b else ""
        print(f"{'requests sent: ' + kind:<34}{a:>18}{b:>14}{r:>18}")
    per_job = lambda res: (res["requests"]["submit"] + res["requests"]["poll"]) / args.jobs  # noqa: E731
    print(f"{'API requests per job':<34}{per_job(official):>18.2f}{per_job(ours):>14.2f}")
    for name, res in results.items():
        if res["error_count"]:
            print(f"{name}: {res['error_count']} job(s) failed, e.g. {res['errors'][:2]}")
    ahead = (
        all(official[k] > ours[k] for k in ("run_wall", "run_cpu", "peak_rss_mb"))
        and official["requests"]["total"] > ours["requests"]["total"]
    )
    print(f"\nfluxbot ahead on all four (wall, CPU, peak memory, requests): {'YES' if ahead else 'NO'}")
    if args.json:
        print(json.dumps({"durations": [min(durations), max(durations)], **results}, indent=1))


if __name__ == "__main__":
    main()
