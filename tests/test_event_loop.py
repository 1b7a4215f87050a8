"""Which event loop `python -m bot run` runs on (EVENT_LOOP, bot/event_loop.py), and that a missing
uvloop costs the operator one log line, never a traceback.

That the processes of a PostgreSQL deployment really run on uvloop, and that the store's
terminated-connection handling works there, is shown by tests/discord/test_scaled.py (each process
logs its loop) and tests/store/test_pool.py (each test on both loops).
"""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
from pathlib import Path

import pytest
import uvloop

from bot.event_loop import loop_factory, run
from bot.settings import Settings
from tests.conftest import cli_env


@pytest.mark.parametrize(
    ("choice", "postgresql", "expected"),
    [
        ("auto", True, "uvloop"),
        ("auto", False, "asyncio"),
        ("uvloop", False, "uvloop"),
        ("uvloop", True, "uvloop"),
        ("asyncio", True, "asyncio"),
        ("asyncio", False, "asyncio"),
    ],
)
def test_each_choice_runs_on_its_loop(choice, postgresql, expected):
    name, factory = loop_factory(choice, postgresql)

    async def running() -> type:
        return type(asyncio.get_running_loop())

    assert name == expected
    assert issubclass(run(running(), factory), uvloop.Loop) == (expected == "uvloop")


def test_the_setting_defaults_to_auto_and_is_read_in_any_case(monkeypatch):
    assert Settings(_env_file=None).event_loop == "auto"  # type: ignore[call-arg]
    monkeypatch.setenv("EVENT_LOOP", "AsyncIO")
    assert Settings(_env_file=None).event_loop == "asyncio"  # type: ignore[call-arg]
    monkeypatch.setenv("EVENT_LOOP", "")
    assert Settings(_env_file=None).event_loop == "auto"  # type: ignore[call-arg]


def test_without_uvloop_the_process_runs_on_asyncio_after_one_warning(monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "uvloop", None)  # `import uvloop` raises ImportError

    with caplog.at_level(logging.INFO, logger="bot"):
        name, factory = loop_factory("auto", True)

    assert (name, factory) == ("asyncio", None)
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert "uvloop is not installed" in caplog.records[0].getMessage()


def without_uvloop(folder: Path) -> str:
    """A folder for PYTHONPATH where `import uvloop` fails, as where it is not installed."""
    (folder / "uvloop").mkdir()
    (folder / "uvloop" / "__init__.py").write_text("raise ImportError('No module named uvloop')\n")
    return str(folder)


@pytest.mark.parametrize("choice", ["uvloop", "auto"])
def test_python_m_bot_run_without_uvloop_says_so_in_one_line_and_goes_on(tmp_path, choice):
    """EVENT_LOOP=uvloop (or auto on PostgreSQL) where uvloop is missing: one warning, then the run
    goes on on asyncio (here as far as the missing token, exit 2 with its own one line)."""
    root = str(Path(__file__).resolve().parents[1])
    env = {"EVENT_LOOP": choice, "PYTHONPATH": f"{without_uvloop(tmp_path)}:{root}"}
    if choice == "auto":
        env["DATABASE_URL"] = "postgresql://fluxbot@127.0.0.1:1/nowhere"  # never reached: no token
    done = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env=cli_env(env),
        capture_output=True,
        text=True,
        timeout=60,
    )
    output = done.stdout + done.stderr

    assert done.returncode == 2, output
    assert "DISCORD_TOKEN is required" in done.stderr
    assert output.count("uvloop is not installed") == 1
    assert "event loop: asyncio" in output
    assert "Traceback" not in output


def test_python_m_bot_run_on_sqlite_runs_on_asyncio_by_default(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 2
    assert "event loop: asyncio" in done.stdout + done.stderr
