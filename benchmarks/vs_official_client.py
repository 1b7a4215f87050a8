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

Both transports by default, each in a table of its own: HTTPS first, as the real API is served,
with a certificate from a throwaway CA (`trustme`, benchmarks/requirements.txt; each client trusts
it through its own usual store with that CA added: ours the system's bundle (`SSL_CERT_FILE`), the
official client certifi's bundle (`REQUESTS_CA_BUNDLE`; requests loads it for every new connection,
with or without the variable)); then plain HTTP. Peak memory is split into the RSS before the
first job (the official client: after its imports; ours: store, HTTP session and manager open)
and what the jobs added on top.

    .venv/bin/python benchmarks/vs_official_client.py [--jobs 200] [--transport both|https|http] [--json]
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import ssl
import subprocess
import sys
import tempfile
import venv
from collections.abc import Iterator
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


@contextlib.contextmanager
def tls_files(official: Path) -> Iterator[dict[str, Any]]:
    """A throwaway CA, the fake's certificate, and each client's usual CA bundle with the CA added."""
    import trustme

    ca = trustme.CA()
    server = ca.issue_cert("127.0.0.1")
    with tempfile.TemporaryDirectory(prefix="fluxbot-tls-") as tmp:
        folder = Path(tmp)
        server.private_key_pem.write_to_path(str(folder / "key.pem"))
        server.cert_chain_pems[0].write_to_path(str(folder / "cert.pem"))
        for blob in server.cert_chain_pems[1:]:
            blob.write_to_path(str(folder / "cert.pem"), append=True)
        system = Path(ssl.get_default_verify_paths().cafile or "/etc/ssl/certs/ca-certificates.crt")
        where = subprocess.run(
            [str(official), "-c", "import certifi; print(certifi.where())"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        ca_pem = ca.cert_pem.bytes()
        (folder / "ours-ca.pem").write_bytes(system.read_bytes() + b"\n" + ca_pem)
        (folder / "official-ca.pem").write_bytes(Path(where).read_bytes() + b"\n" + ca_pem)
        yield {
            "fake": {"cert": str(folder / "cert.pem"), "key": str(folder / "key.pem")},
            "ours": {"SSL_CERT_FILE": str(folder / "ours-ca.pem")},
            "official": {"REQUESTS_CA_BUNDLE": str(folder / "official-ca.pem")},
        }


def run_worker(
    python: Path, script: str, spec: dict[str, Any], env: dict[str, str] | None = None
) -> dict[str, Any]:
    done = subprocess.run(
        [str(python), str(BENCH_DIR / script), json.dumps(spec)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        timeout=900,
        env={**os.environ, **(env or {})},
    )
    if done.returncode != 0:
        raise SystemExit(f"{script} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def requests_seen(stats: dict[str, Any]) -> dict[str, int]:
    return {k: stats[k] for k in ("submit", "poll", "download", "other", "total")}


def run_transport(python: Path, prompts: list[str], tls: bool) -> dict[str, dict[str, Any]]:
    """The official client, ours polling, ours with callbacks: one after another against one fake."""
    results: dict[str, dict[str, Any]] = {}
    with contextlib.ExitStack() as stack:
        files = stack.enter_context(tls_files(python)) if tls else None
        fake = stack.enter_context(FakeServer("bfl", **({"tls": files["fake"]} if files else {})))
        spec = {"url": fake.url, "api_key": fake.api_key, "model": MODEL, "prompts": prompts}
        for name, interpreter, script, extra in (
            ("official", python, "official_client_worker.py", {}),
            ("ours", Path(sys.executable), "ours_worker.py", {}),
            ("ours_cb", Path(sys.executable), "ours_worker.py", {"callbacks": True}),
        ):
            fake.reset()
            print(f"running {name} ...", file=sys.stderr)
            env = (files["official"] if name == "official" else files["ours"]) if files else None
            result = run_worker(interpreter, script, {**spec, **extra}, env)
            result["requests"] = requests_seen(fake.stats())
            results[name] = result
    return results


def print_table(results: dict[str, dict[str, Any]], jobs: int) -> None:
    official, ours, ours_cb = results["official"], results["ours"], results["ours_cb"]
    for res in results.values():
        res["added_rss_mb"] = res["peak_rss_mb"] - res["ready_rss_mb"]
    print(
        f"{'':<34}{'official client':>16}{'fluxbot, polling':>18}{'ratio':>8}"
        f"{'fluxbot, callbacks':>20}{'ratio':>8}"
    )

    def row(label: str, a: float, b: float, c: float, fmt: str, ratio: bool = True) -> None:
        rb = f"{a / b:.2f}×" if ratio and b else ""
        rc = f"{a / c:.2f}×" if ratio and c else ""
        print(f"{label:<34}{fmt.format(a):>16}{fmt.format(b):>18}{rb:>8}{fmt.format(c):>20}{rc:>8}")

    row("jobs delivered", official["delivered"], ours["delivered"], ours_cb["delivered"], "{:.0f}", False)
    for label, key, fmt in (
        (f"wall time, {jobs} jobs (s)", "run_wall", "{:.2f}"),
        ("CPU time, run (s)", "run_cpu", "{:.2f}"),
        ("CPU time, whole process (s)", "process_cpu", "{:.2f}"),
        ("peak memory, RSS (MB)", "peak_rss_mb", "{:.1f}"),
        ("  RSS before the first job (MB)", "ready_rss_mb", "{:.1f}"),
        ("  added by the jobs (MB)", "added_rss_mb", "{:.1f}"),
    ):
        row(label, official[key], ours[key], ours_cb[key], fmt)
    for kind in ("total", "submit", "poll", "download"):
        row(
            f"requests sent: {kind}",
            official["requests"][kind],
            ours["requests"][kind],
            ours_cb["requests"][kind],
            "{:.0f}",
        )
    api = {n: (r["requests"]["submit"] + r["requests"]["poll"]) / jobs for n, r in results.items()}
    row("API requests per job", api["official"], api["ours"], api["ours_cb"], "{:.2f}")
    for name, res in results.items():
        if res["error_count"]:
            print(f"{name}: {res['error_count']} job(s) failed, e.g. {res['errors'][:2]}")
    for name, res in (("polling", ours), ("callbacks", ours_cb)):
        ahead = {
            "wall": official["run_wall"] > res["run_wall"],
            "CPU": official["run_cpu"] > res["run_cpu"],
            "peak memory": official["peak_rss_mb"] > res["peak_rss_mb"],
            "requests": official["requests"]["total"] > res["requests"]["total"],
        }
        behind = [k for k, v in ahead.items() if not v]
        verdict = "YES" if not behind else "NO, behind on " + ", ".join(behind)
        print(f"fluxbot ({name}) ahead on all four: {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument(
        "--transport",
        choices=("both", "https", "http"),
        default="both",
        help="https: as the real API is served (needs benchmarks/requirements.txt); default both",
    )
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
    transports = ["https", "http"] if args.transport == "both" else [args.transport]
    if "https" in transports and importlib.util.find_spec("trustme") is None:
        if args.transport == "https":
            raise SystemExit("HTTPS needs trustme: pip install -r benchmarks/requirements.txt")
        print("HTTPS skipped (trustme is missing: pip install -r benchmarks/requirements.txt)")
        transports.remove("https")
    python = official_python()
    figures: dict[str, Any] = {"durations": [min(durations), max(durations)]}
    for transport in transports:
        results = run_transport(python, prompts, tls=transport == "https")
        label = "HTTPS, as the real API is served" if transport == "https" else "plain HTTP"
        print(f"\ntransport: {label}")
        print_table(results, args.jobs)
        figures[transport] = results
    if args.json:
        print(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
