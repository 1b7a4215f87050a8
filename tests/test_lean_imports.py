"""A process loads what it uses: on SQLite no asyncpg (5.5 MB of memory), and a web server that only
takes the providers' callbacks no dashboard (Jinja2, its templates, Pillow: 14.5 MB with the rest);
prometheus_client once a metric is used, not before the first job; and what starting freed of the C
heap goes back to the system. Each in a fresh subprocess, as an operator starts one.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from tests.conftest import cli_env

ROOT = Path(__file__).resolve().parents[1]

#: What every process on SQLite runs: none of it may need the PostgreSQL backend to be imported.
SHARED = (
    *("bot.app", "bot.cli", "bot.doctor", "bot.roles", "bot.web", "bot.jobs.manager", "bot.store"),
    *("bot.discord.client", "bot.discord.runner", "cogs.imagine", "cogs.admin"),
)

#: What a web server for callbacks alone never loads.
DASHBOARD_ONLY = ("jinja2", "bot.dashboard.pages", "bot.dashboard.thumbs", "bot.dashboard.auth")

#: Records the modules loaded when the process ends (after `python -m bot …` has done its work).
REPORT_AT_EXIT = """
import atexit, json, os, runpy, sys
atexit.register(lambda: open(os.environ["LOADED_REPORT"], "w").write(json.dumps(sorted(sys.modules))))
sys.argv = ["bot", *sys.argv[1:]]
runpy.run_module("bot", run_name="__main__", alter_sys=True)
"""


def our_modules() -> dict[str, Path]:
    found = {}
    for path in sorted([*ROOT.joinpath("bot").rglob("*.py"), *ROOT.joinpath("cogs").rglob("*.py")]):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imported_on_load(path: Path) -> set[str]:
    """The modules `path` imports when it is loaded: at its top level, not in a function nor for the
    type checker only (`if TYPE_CHECKING:`)."""
    found: set[str] = set()
    pending = list(ast.parse(path.read_text(), str(path)).body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.If) and "TYPE_CHECKING" not in ast.unparse(node.test):
            pending += [*node.body, *node.orelse]
        elif isinstance(node, ast.Try):
            pending += [*node.body, *node.orelse, *node.finalbody]
    return found


def postgresql_only(modules: dict[str, Path]) -> set[str]:
    """The PostgreSQL backend and every module that imports one of those on load: they need asyncpg."""
    arrows = {name: imported_on_load(path) for name, path in modules.items()}
    closure = {"bot.store.postgres"}
    while grown := {name for name, imports in arrows.items() if imports & closure} - closure:
        closure |= grown
    return closure


def printed(code: str) -> Any:
    """Run `code` in a fresh interpreter; the JSON value its last line of output holds."""
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=cli_env(), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def printed_modules(code: str) -> set[str]:
    """Run `code` in a fresh interpreter; the modules its last line of output lists."""
    return set(printed(code))


def loaded_after(code: str) -> set[str]:
    return printed_modules(f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))")


def test_only_the_postgresql_backend_imports_asyncpg():
    modules = our_modules()
    needs_asyncpg = postgresql_only(modules)
    others = [name for name in modules if name not in needs_asyncpg and name != "bot.__main__"]
    loaded = loaded_after("\n".join(f"import {name}" for name in others))

    assert set(SHARED) <= set(others), sorted(needs_asyncpg)
    assert {"bot.store.claims", "bot.jobs.shared_scheduler"} <= needs_asyncpg  # (the check finds them)
    assert set(others) <= loaded
    assert "asyncpg" not in loaded
    assert "asyncpg" in loaded_after("import bot.store.postgres")


def test_generate_on_sqlite_with_a_callback_server_loads_no_asyncpg_and_no_dashboard(tmp_path):
    report = tmp_path / "loaded.json"
    env = {
        "LOADED_REPORT": str(report),
        "WEBHOOK_PUBLIC_URL": "http://127.0.0.1:9/",  # so the web server for callbacks runs
        "HTTP_HOST": "127.0.0.1",
        "HTTP_PORT": "0",
        "LOG_LEVEL": "INFO",  # to see the web server start
    }
    done = subprocess.run(
        [sys.executable, "-c", REPORT_AT_EXIT, "generate", "a fox", "--provider", "mock", "--out", "fox.png"],
        cwd=tmp_path,
        env=cli_env(env),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr
    assert "web server on http://127.0.0.1:" in done.stdout  # (logs go to stdout)
    assert (tmp_path / "fox.png").stat().st_size > 0
    loaded = set(json.loads(report.read_text()))
    assert {"bot.app", "bot.web", "bot.store.db"} <= loaded
    assert "asyncpg" not in loaded
    assert loaded.isdisjoint(DASHBOARD_ONLY)


def test_the_store_errors_are_read_where_they_are_used_not_imported_by_name():
    """A class of bot/store/errors.py imported by name before the PostgreSQL backend was would
    miss asyncpg's errors (they join at that import): an `except` with it would let a lost
    connection or a conflict on PostgreSQL through as an internal failure."""
    by_name = []
    sources = [*(p for folder in ("bot", "cogs", "tests") for p in ROOT.joinpath(folder).rglob("*.py"))]
    for path in sorted([*sources, *ROOT.joinpath("benchmarks").glob("*.py")]):  # (not its venv)
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.module == "bot.store.errors":
                by_name.append(f"{path.relative_to(ROOT)}:{node.lineno}")

    assert by_name == []


def test_asyncpg_errors_are_the_stores_once_the_backend_is_imported():
    import bot.store.postgres  # noqa: F401 - what adds them
    from bot.store import errors

    assert issubclass(asyncpg.UniqueViolationError, errors.INTEGRITY_ERRORS)
    assert issubclass(asyncpg.SerializationError, errors.STORE_REFUSED)
    assert issubclass(asyncpg.DeadlockDetectedError, errors.STORE_REFUSED)
    assert issubclass(asyncpg.ConnectionDoesNotExistError, errors.STORE_REFUSED)
    assert issubclass(asyncpg.PostgresError, errors.STORE_OR_DISK_ERRORS)
    assert not issubclass(asyncpg.UniqueViolationError, errors.STORE_REFUSED)
    assert errors.refused_by_disk(asyncpg.DiskFullError("could not extend file"))
    errors.add_postgresql()  # a second time changes nothing
    assert errors.STORE_REFUSED.count(asyncpg.InterfaceError) == 1


#: Fluent and Babel with what they bring (pytz; ~1.6 MB of a process's memory before its first job,
#: benchmarks/vs_official_client.py): loaded by the first sentence rendered, not at start.
RENDERING_ONLY = ("fluent.runtime", "fluent.syntax", "babel", "babel.numbers", "pytz")


def test_starting_loads_no_fluent_or_babel_until_a_sentence_is_rendered():
    loaded = loaded_after("\n".join(f"import {name}" for name in SHARED))
    assert {"bot.i18n", "bot.jobs.manager", "cogs.imagine"} <= loaded
    assert loaded.isdisjoint(RENDERING_ONLY)

    rendered = loaded_after(
        "from decimal import Decimal\nfrom bot.i18n import credits, t\n"
        "assert credits('de', Decimal('1234.5')) == '1.234,5', credits('de', Decimal('1234.5'))\n"
        "assert t('en-US', 'credits-unlimited') != 'credits-unlimited'"
    )
    assert {"fluent.runtime", "babel.numbers"} <= rendered


#: What the job core on SQLite (store, HTTP session, providers, manager started: a process before its
#: first job, as benchmarks/ours_worker.py measures it) does without: the PostgreSQL parts, what only
#: the Discord bot, /admin, /owner and the web dashboard use, and a provider without a key.
NOT_FOR_THE_JOB_CORE = (
    *("bot.jobs.shared_scheduler", "bot.jobs.worker", "bot.jobs.positions", "bot.jobs.unserved"),
    *("bot.jobs.shared_pacing", "bot.jobs.relayed_callbacks"),
    *("bot.store.claims", "bot.store.guild_changes", "bot.store.postgres"),
    *("bot.admin_actions", "bot.balance", "bot.store.operator", "bot.store.bot_state"),
    "bot.providers.ttapi",
)

JOB_CORE_READY = """
import asyncio, json, sys, tempfile
from pathlib import Path
from bot.app import open_services
from bot.providers import catalog
from bot.settings import Settings

async def ready():
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, database_path=Path(tmp) / "bot.sqlite3", bfl_api_key="k")
        async with open_services(settings) as services:
            await services.manager.start()
            requests = {route.request for spec in catalog.MODELS.values() for route in spec.routes.values()}
            built = sorted(request.__name__ for request in requests if request.__pydantic_complete__)
            assert built == [], built  # each request model is built by its first request
            print(json.dumps(sorted(sys.modules)))  # before its first job
            assert services.admin.audit is not None  # built (and imported) when asked for

asyncio.run(ready())
"""


def test_the_job_core_on_sqlite_loads_only_what_it_uses_before_its_first_job():
    ready = printed_modules(JOB_CORE_READY)

    assert {"bot.app", "bot.jobs.manager", "bot.store.db", "bot.providers.bfl"} <= ready
    assert ready.isdisjoint(NOT_FOR_THE_JOB_CORE), sorted(ready & set(NOT_FOR_THE_JOB_CORE))


def test_the_shared_parts_live_in_modules_only_postgresql_loads():
    """The request budget shared across processes and the callbacks relayed between them were
    classes of bot/jobs/pacing.py and bot/jobs/callbacks.py, which every process loads."""
    from bot.jobs import shared_scheduler

    homes = {part.__module__ for part in (shared_scheduler.SharedPacing, shared_scheduler.RelayedCallbacks)}

    assert homes <= set(NOT_FOR_THE_JOB_CORE) & postgresql_only(our_modules())


#: What the job core loads at the first use of a metric (a job's first request, the first scrape of
#: `/metrics`), not at start: prometheus_client and the HTTP servers its package imports with its
#: exposition (~1.5 MB of a process's memory before its first job, benchmarks/vs_official_client.py).
METRICS_ONLY = ("prometheus_client", "http.server", "wsgiref.simple_server")

#: The job core on SQLite made ready with the web server for the providers' callbacks; the modules
#: loaded then, and after `/metrics` was read.
METRICS_AT_FIRST_USE = """
import asyncio, json, sys, tempfile
from pathlib import Path
from aiohttp import ClientSession
from bot.app import open_services
from bot.settings import Settings
from bot.web import bound_port, serve

async def ready(tmp):
    settings = Settings(
        _env_file=None, database_path=Path(tmp) / "bot.sqlite3", bfl_api_key="k", http_host="127.0.0.1",
        http_port=0, webhook_public_url="http://127.0.0.1:9",
    )
    async with open_services(settings) as services, serve(settings, services, None) as site:
        await services.manager.start()
        at_start = sorted(sys.modules)  # before its first job
        async with ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{bound_port(site)}/metrics") as answer:
                scraped = answer.status, answer.headers["Content-Type"], await answer.text()
    print(json.dumps([at_start, sorted(sys.modules), scraped]))

with tempfile.TemporaryDirectory() as tmp:
    asyncio.run(ready(tmp))
"""


def test_the_job_core_makes_its_metrics_at_their_first_use():
    at_start, after, (status, content_type, text) = printed(METRICS_AT_FIRST_USE)

    assert {"bot.jobs.metrics", "bot.web", "aiohttp.web"} <= set(at_start)
    assert set(at_start).isdisjoint(METRICS_ONLY), sorted(set(at_start) & set(METRICS_ONLY))
    assert set(METRICS_ONLY) <= set(after)
    assert status == 200
    assert content_type.startswith("text/plain; version=")
    families = {line.split()[2] for line in text.splitlines() if line.startswith("# TYPE ")}
    assert {
        "fluxbot_build_info",
        "fluxbot_jobs",
        "fluxbot_polls_total",
        "process_resident_memory_bytes",
    } <= families
    assert any(line.startswith("fluxbot_disk_free_bytes ") for line in text.splitlines())  # set before


#: The job core on SQLite made ready, as above (with the web server for the providers' callbacks
#: when CALLBACKS); then glibc's `malloc_trim` asked once more: what it gives back is the free C
#: heap the process still held resident. Printed with whether ctypes was loaded (for a trim) before.
SECOND_TRIM = """
import asyncio, contextlib, json, sys, tempfile
from pathlib import Path
from bot.app import open_services
from bot.settings import Settings

def resident_pages():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1])

async def ready(tmp):
    settings = Settings(
        _env_file=None, database_path=Path(tmp) / "bot.sqlite3", bfl_api_key="k", http_port=0,
        webhook_public_url="http://127.0.0.1:9" if CALLBACKS else None,
    )
    async with contextlib.AsyncExitStack() as stack:
        services = await stack.enter_async_context(open_services(settings))
        if CALLBACKS:
            from bot.web import serve

            await stack.enter_async_context(serve(settings, services, None))
        await services.manager.start()
        trimmed = "ctypes" in sys.modules
        import ctypes

        before = resident_pages()
        ctypes.CDLL(None).malloc_trim(0)
        print(json.dumps([(before - resident_pages()) * 4096, trimmed]))

with tempfile.TemporaryDirectory() as tmp:
    asyncio.run(ready(tmp))
"""


def second_trim(callbacks: bool, bytecode: Path, *, written: bool) -> tuple[int, bool]:
    """SECOND_TRIM in a fresh interpreter whose bytecode lives in `bytecode` (empty: every module is
    compiled from source), written there by a first run when `written`."""
    code = f"CALLBACKS = {callbacks}\n{SECOND_TRIM}"
    env = {"PYTHONPYCACHEPREFIX": str(bytecode), "PYTHONDONTWRITEBYTECODE": "" if written else "1"}
    runs = 2 if written else 1
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env=cli_env(env),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
    returned, trimmed = json.loads(done.stdout.splitlines()[-1])
    return returned, trimmed


@pytest.mark.parametrize("callbacks", [False, True], ids=["polling", "callbacks"])
def test_the_job_core_compiled_from_source_hands_back_the_c_heap_that_starting_freed(callbacks, tmp_path):
    """Importing and building the job core from source frees 1-2 MB of the C heap in holes glibc
    keeps resident (the compiler's trees, pydantic's class building): `open_services` trims it once
    built and `serve` once the web server (imported after it) has started, so a second trim at the
    ready point finds (next to) nothing (before: 1.0-2.1 MB; 96-168 KB with callbacks when only
    `open_services` trimmed)."""
    returned, trimmed = second_trim(callbacks, tmp_path, written=False)

    assert trimmed
    assert returned < 64 * 1024, f"{returned / 1024:.0f} KB of freed heap still resident"


@pytest.mark.parametrize("callbacks", [False, True], ids=["polling", "callbacks"])
def test_the_job_core_with_bytecode_leaves_the_heap_and_loads_no_ctypes(callbacks, tmp_path):
    """With bytecode written (the Docker image's install) the holes are ~0.2 MB: less than ctypes
    costs to import for the trim (~0.3 MB), so no trim is asked for (bot/heap.py)."""
    returned, trimmed = second_trim(callbacks, tmp_path, written=True)

    assert not trimmed
    assert returned < 512 * 1024, f"{returned / 1024:.0f} KB of freed heap resident: trim it (bot/heap.py)"
