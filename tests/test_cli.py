"""`python -m bot …` as an operator runs it: real subprocesses, a real SQLite file, the mock provider."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from bot.store.db import latest_schema_version, list_migrations
from tests.conftest import cli_env, env_from_example

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 60):
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=cli_env(env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_generate_with_the_mock_writes_an_image_and_records_job_and_charge(tmp_path):
    done = run_cli("generate", "a lighthouse at dusk", "--provider", "mock", "--out", "out.png", cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    assert "saved out.png" in done.stdout
    with Image.open(tmp_path / "out.png") as image:
        assert image.format == "PNG"
        assert image.size == (1024, 768)
    db = sqlite3.connect(tmp_path / "data" / "fluxbot.sqlite3")
    jobs = db.execute("SELECT state, provider, model, cost FROM jobs").fetchall()
    assert jobs == [("delivered", "mock", "flux-pro-1.1", "4")]
    ledger = db.execute("SELECT kind, amount FROM ledger ORDER BY id").fetchall()
    assert ledger == [("hold", "4"), ("charge", "4")]


def test_generate_refuses_bad_options_with_one_line(tmp_path):
    done = run_cli("generate", "a cat --steps", "--provider", "mock", cwd=tmp_path)

    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == "error: `--steps` needs a value, e.g. `--steps 30`."
    assert "Traceback" not in done.stderr


def test_bad_settings_exit_2_with_one_line_each_and_no_secret(tmp_path):
    env = {
        "QUOTA_PERIOD": "fortnight",
        "MAX_ACTIVE_JOBS_PER_USER": "many",
        "TTAPI_API_KEY": "tt-secret-value-123",
        "PROVIDER_CONCURRENCY": "ttapi=ten",
    }
    done = run_cli("migrate", cwd=tmp_path, env=env)

    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 3
    assert all(line.startswith("configuration error: ") for line in lines)
    assert any("QUOTA_PERIOD" in line for line in lines)
    assert any("MAX_ACTIVE_JOBS_PER_USER" in line for line in lines)
    assert any("PROVIDER_CONCURRENCY: ttapi needs a whole number" in line for line in lines)
    assert "tt-secret-value-123" not in done.stderr + done.stdout
    assert "Traceback" not in done.stderr


def test_run_without_a_token_says_so(tmp_path):
    done = run_cli("run", cwd=tmp_path)

    assert done.returncode == 2
    assert "DISCORD_TOKEN is required" in done.stderr


def test_migrate_creates_the_database(tmp_path):
    done = run_cli("migrate", cwd=tmp_path, env={"DATABASE_PATH": str(tmp_path / "x" / "bot.sqlite3")})

    assert done.returncode == 0, done.stderr
    assert f"schema version {len(list_migrations())}" in done.stdout
    assert (tmp_path / "x" / "bot.sqlite3").exists()


def test_the_shipped_env_example_runs_with_only_a_token_and_a_key(tmp_path):
    env_from_example(tmp_path, DISCORD_TOKEN="discord-token-xyz", TTAPI_API_KEY="tt-key-xyz")

    done = run_cli("migrate", cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    assert f"schema version {len(list_migrations())}" in done.stdout
    assert (tmp_path / "data" / "fluxbot.sqlite3").exists()  # DATABASE_PATH's default, from the cwd


@pytest.mark.parametrize("command", ["migrate", "run"])
def test_a_database_newer_than_the_code_is_refused_at_start(tmp_path, command):
    path = tmp_path / "fluxbot.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE kept (x INTEGER)")
        db.execute(f"PRAGMA user_version = {latest_schema_version() + 1:d}")
    db.close()
    before = path.read_bytes()
    env = {"DATABASE_PATH": str(path), "DISCORD_TOKEN": "not-used", "ENABLE_MOCK_PROVIDER": "true"}

    done = run_cli(command, cwd=tmp_path, env=env)

    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"configuration error: the database {path} is at schema version {latest_schema_version() + 1}, "
        f"newer than this fluxbot knows ({latest_schema_version()}): run the newer fluxbot, "
        "or restore the backup taken before the upgrade"
    )
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fluxbot.sqlite3"]
