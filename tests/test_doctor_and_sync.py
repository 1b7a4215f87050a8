"""`python -m bot doctor` (a real subprocess) against fake providers and Discord; `sync-commands`."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import sys
from pathlib import Path

import pytest

from bot.cli import sync_tree
from bot.store.db import latest_schema_version
from tests.conftest import cli_env, env_from_example, make_database
from tests.fakes.discord import APPLICATION_ID
from tests.helpers import TOKEN, discord_env, free_port, provider_env, run_cli_async

#: The invite URL for the fake's bot user: scopes bot + applications.commands; Send Messages
#: (2048), Embed Links (16384), Attach Files (32768), Read Message History (65536).
INVITE = (
    f"https://discord.com/oauth2/authorize?client_id={APPLICATION_ID}"
    "&scope=bot+applications.commands&permissions=116736"
)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file in `folder` and its bytes: doctor must leave it as it was."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


async def test_doctor_logs_in_checks_each_key_and_says_all_good(tmp_path, fake_ttapi, fake_bfl, fake_discord):
    make_database(tmp_path / "db.sqlite3", latest_schema_version())
    before = snapshot(tmp_path)

    code, out, err = await run_cli_async(
        "doctor", cwd=tmp_path, env=provider_env(fake_ttapi, fake_bfl, fake_discord, tmp_path)
    )

    assert code == 0, out + err
    assert f"  ok, schema version {latest_schema_version()}" in out
    assert f"  logged in as fluxbot (id {APPLICATION_ID})" in out
    assert f"  invite URL: {INVITE}" in out
    assert "  bfl: key accepted, 1234.5 credits left (GET /v1/credits)" in out
    assert "  ttapi: key accepted (GET /flux/fetch of an unknown job); TTAPI has no balance endpoint" in out
    assert "  flux-pro-1.1: ttapi" in out  # DEFAULT_PROVIDER unset: ttapi, as its key is set
    assert "  flux-pro-finetuned: bfl" in out
    assert "not served" not in out
    assert out.strip().endswith("all good")
    # It really asked Discord and each provider, with each key, and spent nothing.
    assert [c.path for c in fake_discord.calls] == ["/users/@me"]
    assert [(r.path, r.headers["x-key"]) for r in fake_bfl.requests] == [("/v1/credits", fake_bfl.api_key)]
    assert [r.path for r in fake_ttapi.requests] == ["/flux/fetch"]
    assert fake_ttapi.submits() == fake_bfl.submits() == []
    assert snapshot(tmp_path) == before  # the database untouched, no -wal or -shm created


async def test_doctor_says_plainly_what_is_wrong_and_never_shows_a_key(
    tmp_path, fake_ttapi, fake_bfl, fake_discord
):
    env = provider_env(fake_ttapi, fake_bfl, fake_discord, tmp_path)
    env["BFL_API_KEY"] = "bfl-wrong-secret-123"
    env["TTAPI_BASE_URL"] = "http://127.0.0.1:9"  # nothing listens there
    env["DEFAULT_MODEL"] = "flux-9000"
    env.pop("DISCORD_TOKEN")

    code, out, err = await run_cli_async("doctor", cwd=tmp_path, env=env)

    assert code == 1
    problems = [line.strip() for line in out.splitlines() if "PROBLEM" in line]
    assert problems == [
        "PROBLEM: it does not exist yet: run `python -m bot migrate` or `python -m bot doctor --fix` "
        "(the bot also creates it when it starts)",
        "PROBLEM: DISCORD_TOKEN is not set (needed to run the bot and to sync commands)",
        "PROBLEM: ttapi: ttapi could not be reached (check TTAPI_BASE_URL and the network)",
        "PROBLEM: bfl: the bot's BFL key was refused (or lacks permission) (check BFL_API_KEY)",
        "PROBLEM: DEFAULT_MODEL 'flux-9000' is not a known model",
    ]
    assert out.strip().endswith("5 problem(s) found")
    assert "bfl-wrong-secret-123" not in out + err
    assert fake_ttapi.api_key not in out + err
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []  # a missing database is reported, not created


async def test_doctor_with_a_token_discord_refuses(tmp_path, fake_ttapi, fake_bfl, fake_discord):
    make_database(tmp_path / "db.sqlite3", latest_schema_version())
    env = provider_env(fake_ttapi, fake_bfl, fake_discord, tmp_path)
    env["DISCORD_TOKEN"] = "revoked-discord-secret-456"

    code, out, err = await run_cli_async("doctor", cwd=tmp_path, env=env)

    assert code == 1
    assert (
        "  PROBLEM: Discord refused DISCORD_TOKEN (developer portal → Bot → Reset Token, then update it)"
        in out.splitlines()
    )
    assert "invite URL" not in out
    assert "revoked-discord-secret-456" not in out + err
    assert [c.path for c in fake_discord.calls] == ["/users/@me"]


async def test_doctor_names_the_models_no_configured_provider_serves(tmp_path, fake_ttapi, fake_discord):
    make_database(tmp_path / "db.sqlite3", latest_schema_version())
    env = {
        **discord_env(fake_discord),
        "DISCORD_TOKEN": TOKEN,
        "TTAPI_API_KEY": fake_ttapi.api_key,
        "TTAPI_BASE_URL": fake_ttapi.url,
        "DATABASE_PATH": str(tmp_path / "db.sqlite3"),
    }

    code, out, _ = await run_cli_async("doctor", cwd=tmp_path, env=env)

    assert code == 0, out
    (unserved,) = [line for line in out.splitlines() if "not served by the configured providers" in line]
    assert unserved == (
        "  not served by the configured providers: flux-pro-finetuned (needs BFL_API_KEY), "
        "flux-2-klein-4b (needs BFL_API_KEY), flux-2-klein-9b (needs BFL_API_KEY), "
        "flux-pro-1.0-fill (needs BFL_API_KEY), flux-pro-1.0-expand (needs BFL_API_KEY)"
    )
    assert "may be retired" not in out  # BFL's deprecations are BFL's: it is not configured here


async def test_doctor_lists_models_bfl_may_have_retired_and_the_switched_off_ones(
    tmp_path, fake_ttapi, fake_bfl, fake_discord
):
    make_database(tmp_path / "db.sqlite3", latest_schema_version())
    env = provider_env(fake_ttapi, fake_bfl, fake_discord, tmp_path)
    env["DISABLED_MODELS"] = "flux-pro-finetuned, FLUX-DEV,flux-9000"

    code, out, _ = await run_cli_async("doctor", cwd=tmp_path, env=env)

    assert code == 1, out
    lines = out.splitlines()
    assert (
        "  may be retired by bfl: flux-pro (missing from BFL's 2026 API specification and docs index "
        "(status unconfirmed)); hide it with DISABLED_MODELS=flux-pro"
    ) in lines
    assert "  switched off (DISABLED_MODELS): flux-pro-finetuned, flux-dev" in lines
    assert not any(
        line.startswith("  flux-dev:") or "retired by bfl: flux-pro-finetuned" in line for line in lines
    )
    problems = [line.strip() for line in lines if "PROBLEM" in line]
    assert problems == ["PROBLEM: DISABLED_MODELS names unknown models: flux-9000"]

    env["DISABLED_MODELS"] = "flux-pro-1.1"  # the default model itself
    code, out, _ = await run_cli_async("doctor", cwd=tmp_path, env=env)
    assert code == 1
    assert "  PROBLEM: DEFAULT_MODEL flux-pro-1.1 is switched off by DISABLED_MODELS" in out.splitlines()


async def test_doctor_reports_pending_migrations_and_fix_applies_them(
    tmp_path, fake_ttapi, fake_bfl, fake_discord
):
    path = tmp_path / "db.sqlite3"
    make_database(path, 1)
    before = snapshot(tmp_path)
    env = provider_env(fake_ttapi, fake_bfl, fake_discord, tmp_path)
    pending = latest_schema_version() - 1

    code, out, _ = await run_cli_async("doctor", cwd=tmp_path, env=env)

    assert code == 1
    assert (
        f"  PROBLEM: schema version 1: {pending} migrations pending, "
        "run `python -m bot migrate` or `python -m bot doctor --fix`"
    ) in out.splitlines()
    assert snapshot(tmp_path) == before

    code, out, _ = await run_cli_async("doctor", "--fix", cwd=tmp_path, env=env)

    assert code == 0, out
    assert f"  migrated from schema version 1 to {latest_schema_version()}" in out
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == latest_schema_version()
    db.close()


async def test_doctor_fix_creates_a_missing_database(tmp_path, fake_ttapi, fake_bfl, fake_discord):
    env = provider_env(fake_ttapi, fake_bfl, fake_discord, tmp_path)

    code, out, _ = await run_cli_async("doctor", "--fix", cwd=tmp_path, env=env)

    assert code == 0, out
    assert f"  migrated from schema version 0 to {latest_schema_version()}" in out
    assert (tmp_path / "db.sqlite3").exists()


@pytest.mark.parametrize("fix", [[], ["--fix"]])
async def test_doctor_refuses_a_database_newer_than_the_code(
    tmp_path, fake_ttapi, fake_bfl, fake_discord, fix
):
    make_database(tmp_path / "db.sqlite3", latest_schema_version() + 1)
    before = snapshot(tmp_path)

    code, out, _ = await run_cli_async(
        "doctor", *fix, cwd=tmp_path, env=provider_env(fake_ttapi, fake_bfl, fake_discord, tmp_path)
    )

    assert code == 1
    assert (
        f"  PROBLEM: schema version {latest_schema_version() + 1} is newer than this fluxbot knows "
        f"({latest_schema_version()}): run the newer fluxbot, or restore the backup taken before the upgrade"
    ) in out.splitlines()
    assert snapshot(tmp_path) == before


async def test_doctor_with_an_out_of_credit_bfl_account(tmp_path, fake_ttapi, fake_bfl, fake_discord):
    fake_bfl.error_next(402, "Insufficient credits", on="credits")

    code, out, _ = await run_cli_async(
        "doctor", cwd=tmp_path, env=provider_env(fake_ttapi, fake_bfl, fake_discord, tmp_path)
    )

    assert code == 1
    assert "PROBLEM: bfl: the bot's BFL account is out of credits (top up the provider account)" in out


async def test_the_shipped_env_example_passes_doctor(tmp_path, fake_ttapi, fake_discord):
    # A newcomer's path: cp .env.example .env, fill in the token and one key, doctor --fix, doctor.
    env_from_example(
        tmp_path,
        DISCORD_TOKEN=TOKEN,
        TTAPI_API_KEY=fake_ttapi.api_key,
        TTAPI_BASE_URL=fake_ttapi.url,  # the fake instead of api.ttapi.io
    )
    env = discord_env(fake_discord)

    code, out, err = await run_cli_async("doctor", "--fix", cwd=tmp_path, env=env)
    assert code == 0, out + err
    code, out, err = await run_cli_async("doctor", cwd=tmp_path, env=env)

    assert code == 0, out + err
    assert "database: data/fluxbot.sqlite3" in out.splitlines()
    assert f"  invite URL: {INVITE}" in out
    assert out.strip().endswith("all good")


async def test_sync_commands_without_a_token_exits_2(tmp_path):
    code, _, err = await run_cli_async("sync-commands", cwd=tmp_path, env={})

    assert code == 2
    assert err.strip() == "configuration error: DISCORD_TOKEN is required to sync commands"


@pytest.mark.parametrize("command", ["sync-commands", "run"])
async def test_a_token_discord_refuses_stops_sync_and_run_with_one_line_and_exit_2(
    tmp_path, fake_ttapi, fake_bfl, fake_discord, command
):
    env = {**provider_env(fake_ttapi, fake_bfl, fake_discord, tmp_path), "HTTP_PORT": "0"}
    env["DISCORD_TOKEN"] = "a-revoked-token-456"

    code, out, err = await run_cli_async(command, cwd=tmp_path, env=env)

    assert code == 2
    assert err.strip() == (  # the bot logs to stdout; stderr has the one line for the operator
        "configuration error: Discord refused DISCORD_TOKEN "
        "(developer portal → Bot → Reset Token, then update it)"
    )
    assert "Traceback" not in err
    assert "a-revoked-token-456" not in out + err
    assert fake_discord.identified == 0  # it never reached the gateway
    assert fake_ttapi.submits() == fake_bfl.submits() == []


@pytest.mark.parametrize("command", ["sync-commands", "run"])
async def test_without_a_network_sync_and_run_say_so_in_doctors_words_and_exit_1(
    tmp_path, fake_ttapi, fake_bfl, fake_discord, command
):
    env = {**provider_env(fake_ttapi, fake_bfl, fake_discord, tmp_path), "HTTP_PORT": "0"}
    env["FAKE_DISCORD_URL"] = f"http://127.0.0.1:{free_port()}"  # nothing listens there

    code, out, err = await run_cli_async(command, cwd=tmp_path, env=env)

    assert code == 1
    assert err.strip() == "error: Discord could not be reached (check the network)"
    assert "Traceback" not in out + err
    assert fake_ttapi.submits() == fake_bfl.submits() == []


async def test_sync_tree_registers_every_command_globally_or_in_one_guild(simcord_env, guild_setup):
    guild, channel, alice = guild_setup
    bot = simcord_env.bot

    line = await sync_tree(bot.tree, guild.id)

    synced = set(line.split(": ", 1)[1].split(", "))
    assert line.startswith(f"synced {len(bot.tree.get_commands())} commands to guild {guild.id}: ")
    assert {"/imagine", "/edit", "/quota"} <= synced
    assert "/finetune" not in synced  # only TTAPI is configured here: no /finetune
    assert {"imagine", "edit", "quota"} <= set(alice.available_commands(channel))

    line = await sync_tree(bot.tree, None)
    assert line.startswith("synced ")
    assert "globally" in line


async def test_the_shipped_env_example_syncs_commands_and_runs(tmp_path, fake_ttapi, fake_discord):
    # The rest of the newcomer's path, against the loopback Discord: sync-commands, then run.
    env_from_example(
        tmp_path, DISCORD_TOKEN=TOKEN, TTAPI_API_KEY=fake_ttapi.api_key, TTAPI_BASE_URL=fake_ttapi.url
    )
    env = {**discord_env(fake_discord), "HTTP_PORT": "0"}  # any free port, not the shipped 8080

    code, out, err = await run_cli_async("sync-commands", cwd=tmp_path, env=env)

    assert code == 0, out + err
    assert out.splitlines()[-1].startswith("synced ")
    assert "INFO" not in out  # the shipped LOG_LEVEL is empty: a one-shot command logs warnings only
    assert "globally" in out
    assert fake_discord.requests("PUT", f"/applications/{APPLICATION_ID}/commands")

    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=tmp_path, env=cli_env(env), stderr=asyncio.subprocess.PIPE
    )
    try:
        async with asyncio.timeout(30):
            while not fake_discord.identified:  # logged in and connected to the gateway
                assert process.returncode is None
                await asyncio.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(10):
            _, err_bytes = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
    assert process.returncode == 0, err_bytes.decode()
    assert (tmp_path / "data" / "fluxbot.sqlite3").exists()


async def test_doctor_lists_the_models_a_provider_answered_as_no_longer_offered(
    tmp_path, database_url, fake_ttapi, fake_bfl, fake_discord
):
    """A real job meets a retired endpoint (410): it fails with nothing charged, and doctor, which
    reads the store without changing it, names the model and how to hide it. On each backend."""
    env = {**provider_env(fake_ttapi, fake_bfl, fake_discord, tmp_path), "DATABASE_URL": database_url}
    fake_bfl.retired["flux-pro"] = 410

    code, out, err = await run_cli_async(
        "generate", "a castle", "--model", "flux-pro", "--provider", "bfl", cwd=tmp_path, env=env
    )
    assert code == 1, out + err
    assert "This model is no longer offered by BFL." in err
    assert len(fake_bfl.submits()) == 1  # not sent again
    before = snapshot(tmp_path)

    code, out, err = await run_cli_async("doctor", cwd=tmp_path, env=env)

    lines = out.splitlines()
    (seen,) = [line for line in lines if "as no longer offered" in line]
    assert seen.startswith(
        "  bfl answered flux-pro as no longer offered (HTTP 404/405/410) for 1 job(s), the last at "
    )
    assert seen.endswith("; hide it with DISABLED_MODELS=flux-pro")
    assert snapshot(tmp_path) == before  # read, not written

    env["DISABLED_MODELS"] = "flux-pro"
    code, out, err = await run_cli_async("doctor", cwd=tmp_path, env=env)
    assert "as no longer offered" not in out  # hidden already: nothing left to do
