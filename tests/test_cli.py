"""`python -m bot …` as an operator runs it: real subprocesses, a real SQLite file, the mock provider."""

from __future__ import annotations

import asyncio
import importlib.metadata
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import closing
from pathlib import Path

import pytest
from PIL import Image

import bot
from bot.store.db import latest_schema_version, list_migrations
from tests.conftest import cli_env, env_from_example, make_database

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


@pytest.mark.parametrize(
    "command",
    [["migrate"], ["run"], ["sync-commands"], ["generate", "a fox", "--provider", "mock"]],
    ids=lambda command: command[0],
)
def test_a_database_newer_than_the_code_is_refused_at_start(tmp_path, command):
    # In a folder of its own, as `data/` is: nothing in it may be created, tightened or changed.
    folder = tmp_path / "data"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    path = folder / "fluxbot.sqlite3"
    make_database(path, latest_schema_version() + 1)
    before = path.read_bytes()
    env = {"DATABASE_PATH": str(path), "DISCORD_TOKEN": "not-used", "ENABLE_MOCK_PROVIDER": "true"}

    done = run_cli(*command, cwd=tmp_path, env=env)

    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"configuration error: the database {path} is at schema version {latest_schema_version() + 1}, "
        f"newer than this fluxbot knows ({latest_schema_version()}): run the newer fluxbot, "
        "or restore the backup taken before the upgrade"
    )
    assert path.read_bytes() == before
    assert sorted(p.name for p in folder.iterdir()) == ["fluxbot.sqlite3"]
    assert folder.stat().st_mode & 0o777 == 0o755
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


def test_generate_names_each_file_after_its_job_and_never_overwrites_without_force(tmp_path):
    first = run_cli("generate", "a fox", "--provider", "mock", cwd=tmp_path)
    second = run_cli("generate", "a fox", "--provider", "mock", cwd=tmp_path)

    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    db = sqlite3.connect(tmp_path / "data" / "fluxbot.sqlite3")
    job_ids = [row[0] for row in db.execute("SELECT id FROM jobs ORDER BY created_at")]
    assert len(job_ids) == 2
    assert f"saved out-{job_ids[0]}.png" in first.stdout
    assert f"saved out-{job_ids[1]}.png" in second.stdout
    assert (tmp_path / f"out-{job_ids[0]}.png").exists()
    assert (tmp_path / f"out-{job_ids[1]}.png").exists()

    (tmp_path / "mine.png").write_bytes(b"keep me")
    refused = run_cli("generate", "a fox", "--provider", "mock", "--out", "mine.png", cwd=tmp_path)

    assert refused.returncode == 1
    assert refused.stderr.strip() == "error: mine.png already exists; add --force to replace it"
    assert (tmp_path / "mine.png").read_bytes() == b"keep me"
    assert db.execute("SELECT COUNT(*) FROM jobs").fetchone()[0] == 2  # nothing submitted or held

    forced = run_cli("generate", "a fox", "--provider", "mock", "--out", "mine.png", "--force", cwd=tmp_path)

    assert forced.returncode == 0, forced.stderr
    assert (tmp_path / "mine.png").read_bytes().startswith(b"\x89PNG")
    db.close()


def test_version_comes_from_the_package():
    done = run_cli("--version", cwd=ROOT)

    assert done.returncode == 0
    assert done.stdout.strip() == f"fluxbot {importlib.metadata.version('fluxbot')}"
    assert importlib.metadata.version("fluxbot") == bot.__version__


def test_every_command_describes_itself_and_the_exit_codes_are_listed(tmp_path):
    main_help = run_cli("--help", cwd=tmp_path)

    assert main_help.returncode == 0
    assert "exit codes:" in main_help.stdout
    for line in ("0  done", "1  it ran and something failed", "2  usage or configuration"):
        assert line in main_help.stdout
    for command in ("run", "migrate", "sync-commands", "doctor", "backup", "generate"):
        shown = run_cli(command, "--help", cwd=tmp_path)
        assert shown.returncode == 0
        description = shown.stdout.split("\n\n")[1]  # usage, blank line, the description
        assert not description.startswith(("positional arguments", "options")), command
        assert len(description.split()) >= 5, command


def test_a_usage_error_exits_2(tmp_path):
    done = run_cli("generate", "--no-such-option", cwd=tmp_path)

    assert done.returncode == 2
    assert "unrecognized arguments: --no-such-option" in done.stderr


class LedgerWriter(threading.Thread):
    """Another connection writing as the bot does, while the backup runs: two grants per
    transaction, each summed into `ledger_totals` by the schema's trigger in the same transaction."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.path = path
        self.stop = threading.Event()
        self.commits: list[float] = []

    def run(self) -> None:
        db = sqlite3.connect(self.path, isolation_level=None)
        db.execute("PRAGMA busy_timeout = 10000")
        while not self.stop.is_set():
            db.execute("BEGIN IMMEDIATE")
            db.executemany(GRANT, [(time.time(),), (time.time(),)])
            db.execute("COMMIT")
            self.commits.append(time.monotonic())
        db.close()


GRANT = (
    "INSERT INTO ledger (kind, guild_id, user_id, amount, units, period, note, created_at) "
    "VALUES ('grant', 1, 7, '1', 1000000, '2026-12-06', 'backup test ' || hex(randomblob(60)), ?)"
)


def grants_and_totals(path: Path) -> tuple[int, int]:
    """The grants in the ledger, and what the totals table says was granted: equal when consistent."""
    with closing(sqlite3.connect(path)) as db:
        entries = db.execute("SELECT COUNT(*) FROM ledger WHERE kind = 'grant'").fetchone()[0]
        totals = db.execute(
            "SELECT COALESCE(SUM(granted), 0) / 1000000 FROM ledger_totals WHERE user_key = 7"
        ).fetchone()[0]
    return entries, totals


def test_backup_copies_a_database_that_is_being_written(tmp_path):
    path = tmp_path / "data" / "fluxbot.sqlite3"
    assert run_cli("migrate", cwd=tmp_path).returncode == 0
    with closing(sqlite3.connect(path, isolation_level=None)) as db:
        db.executemany(GRANT, [(float(n),) for n in range(20_000)])  # a few MB to copy
    writer = LedgerWriter(path)
    writer.start()
    try:
        while len(writer.commits) < 10:
            time.sleep(0.01)
        before = grants_and_totals(path)[0]
        started = time.monotonic()
        done = run_cli("backup", "copy.sqlite3", cwd=tmp_path)
        ended = time.monotonic()
        after = grants_and_totals(path)[0]
    finally:
        writer.stop.set()
        writer.join()

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("backed up data/fluxbot.sqlite3 to copy.sqlite3 (schema version ")
    assert sum(started < at < ended for at in writer.commits) > 10  # the writer never waited for it
    copy = tmp_path / "copy.sqlite3"
    entries, totals = grants_and_totals(copy)
    assert entries == totals  # every transaction whole: the trigger's sum matches its entries
    assert entries % 2 == 0  # two grants per transaction, never one
    assert before <= entries <= after
    with closing(sqlite3.connect(copy)) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == latest_schema_version()
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one self-contained file
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy.sqlite3", "data"]


def test_backup_of_a_quiet_database_has_the_same_rows_and_refuses_to_overwrite(tmp_path):
    path = tmp_path / "data" / "fluxbot.sqlite3"
    assert run_cli("migrate", cwd=tmp_path).returncode == 0
    with closing(sqlite3.connect(path, isolation_level=None)) as db:
        db.executemany(GRANT, [(float(n),) for n in range(100)])
    (tmp_path / "copy.sqlite3").write_bytes(b"an older backup")

    refused = run_cli("backup", "copy.sqlite3", cwd=tmp_path)

    assert refused.returncode == 1
    assert refused.stderr.strip() == "error: copy.sqlite3 already exists; add --force to replace it"
    assert (tmp_path / "copy.sqlite3").read_bytes() == b"an older backup"

    done = run_cli("backup", "copy.sqlite3", "--force", cwd=tmp_path)
    into_a_new_folder = run_cli("backup", "backups/2026-12-06.sqlite3", cwd=tmp_path)

    assert done.returncode == into_a_new_folder.returncode == 0, done.stderr + into_a_new_folder.stderr
    assert (tmp_path / "backups" / "2026-12-06.sqlite3").read_bytes() == (
        tmp_path / "copy.sqlite3"
    ).read_bytes()
    dump = "SELECT * FROM ledger ORDER BY id"
    with closing(sqlite3.connect(path)) as live, closing(sqlite3.connect(tmp_path / "copy.sqlite3")) as copy:
        assert copy.execute(dump).fetchall() == live.execute(dump).fetchall()
        assert (
            copy.execute("PRAGMA user_version").fetchone() == live.execute("PRAGMA user_version").fetchone()
        )


def test_backup_refuses_the_database_itself_and_a_missing_one(tmp_path):
    missing = run_cli("backup", "copy.sqlite3", cwd=tmp_path)

    assert missing.returncode == 1
    assert missing.stderr.strip() == (
        "error: there is no database at data/fluxbot.sqlite3 to back up (DATABASE_PATH)"
    )
    assert not (tmp_path / "copy.sqlite3").exists()
    assert run_cli("migrate", cwd=tmp_path).returncode == 0

    itself = run_cli("backup", "data/fluxbot.sqlite3", "--force", cwd=tmp_path)

    assert itself.returncode == 1
    assert itself.stderr.strip() == "error: data/fluxbot.sqlite3 is the database itself; name another file"


def test_backup_on_postgresql_points_to_pg_dump_and_shows_no_password(tmp_path):
    refused = run_cli(
        "backup", "copy.dump", cwd=tmp_path, env={"DATABASE_URL": "postgresql://bot:s3cr3t-pw@db/fluxbot"}
    )

    assert refused.returncode == 1
    assert "pg_dump" in refused.stderr
    assert "s3cr3t-pw" not in refused.stderr + refused.stdout
    assert not (tmp_path / "copy.dump").exists()


@pytest.mark.empty_store
async def test_migrate_then_generate_on_each_backend(tmp_path, database_url):
    """DATABASE_URL picks the store and DATA_DIR the folder of files, for a real `python -m bot`."""
    env = {"DATABASE_URL": database_url, "DATA_DIR": str(tmp_path / "files")}
    migrated = await asyncio.to_thread(run_cli, "migrate", cwd=tmp_path, env=env)

    assert migrated.returncode == 0, migrated.stderr
    assert migrated.stdout.strip().endswith(f"is at schema version {latest_schema_version()}")

    done = await asyncio.to_thread(
        run_cli, "generate", "a lighthouse", "--provider", "mock", "--out", "out.png", cwd=tmp_path, env=env
    )

    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out.png").is_file()
    assert (tmp_path / "files" / "cli.lock").exists()  # DATA_DIR is where the files go
    assert not (tmp_path / "data").exists()  # nothing in the default folder
