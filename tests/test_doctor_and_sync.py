"""`python -m bot doctor` against the fake providers (a real subprocess), and `sync-commands`."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from bot.cli import sync_tree
from tests.fakes.bfl import FakeBFL
from tests.fakes.ttapi import FakeTTAPI

ROOT = Path(__file__).resolve().parents[1]


async def run_cli_async(*args: str, cwd: Path, env: dict[str, str]) -> tuple[int, str, str]:
    """The CLI in a subprocess, awaited, so the fakes in this event loop keep answering it."""
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("TTAPI_", "BFL_", "DISCORD_", "QUOTA_"))
    }
    clean.update(PYTHONPATH=str(ROOT), **env)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=cwd,
        env=clean,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def provider_env(ttapi: FakeTTAPI, bfl: FakeBFL, tmp_path: Path) -> dict[str, str]:
    return {
        "DISCORD_TOKEN": "doctor-discord-token",
        "TTAPI_API_KEY": ttapi.api_key,
        "TTAPI_BASE_URL": ttapi.url,
        "BFL_API_KEY": bfl.api_key,
        "BFL_BASE_URL": bfl.url,
        "DATABASE_PATH": str(tmp_path / "db.sqlite3"),
    }


async def test_doctor_checks_each_key_and_says_all_good(tmp_path, fake_ttapi, fake_bfl):
    code, out, err = await run_cli_async(
        "doctor", cwd=tmp_path, env=provider_env(fake_ttapi, fake_bfl, tmp_path)
    )

    assert code == 0, out + err
    assert "  bfl: key accepted, 1234.5 credits left (GET /v1/credits)" in out
    assert "  ttapi: key accepted (GET /flux/fetch of an unknown job); TTAPI has no balance endpoint" in out
    assert "  flux-pro-1.1: ttapi" in out  # DEFAULT_PROVIDER unset: ttapi, as its key is set
    assert "  flux-pro-finetuned: bfl" in out
    assert out.strip().endswith("all good")
    # It really asked each provider, with each key, and spent nothing.
    assert [(r.path, r.headers["x-key"]) for r in fake_bfl.requests] == [("/v1/credits", fake_bfl.api_key)]
    assert [r.path for r in fake_ttapi.requests] == ["/flux/fetch"]
    assert fake_ttapi.submits() == fake_bfl.submits() == []


async def test_doctor_says_plainly_what_is_wrong_and_never_shows_a_key(tmp_path, fake_ttapi, fake_bfl):
    env = provider_env(fake_ttapi, fake_bfl, tmp_path)
    env["BFL_API_KEY"] = "bfl-wrong-secret-123"
    env["TTAPI_BASE_URL"] = "http://127.0.0.1:9"  # nothing listens there
    env["DEFAULT_MODEL"] = "flux-9000"
    env.pop("DISCORD_TOKEN")

    code, out, err = await run_cli_async("doctor", cwd=tmp_path, env=env)

    assert code == 1
    problems = [line.strip() for line in out.splitlines() if "PROBLEM" in line]
    assert problems == [
        "PROBLEM: DISCORD_TOKEN is not set (needed to run the bot and to sync commands)",
        "PROBLEM: ttapi: ttapi could not be reached (check TTAPI_BASE_URL and the network)",
        "PROBLEM: bfl: the bot's BFL key was refused (or lacks permission) (check BFL_API_KEY)",
        "PROBLEM: DEFAULT_MODEL 'flux-9000' is not a known model",
    ]
    assert out.strip().endswith("4 problem(s) found")
    assert "bfl-wrong-secret-123" not in out + err
    assert fake_ttapi.api_key not in out + err
    assert "Traceback" not in err


async def test_doctor_with_an_out_of_credit_bfl_account(tmp_path, fake_ttapi, fake_bfl):
    fake_bfl.error_next(402, "Insufficient credits", on="credits")

    code, out, _ = await run_cli_async(
        "doctor", cwd=tmp_path, env=provider_env(fake_ttapi, fake_bfl, tmp_path)
    )

    assert code == 1
    assert "PROBLEM: bfl: the bot's BFL account is out of credits (top up the provider account)" in out


async def test_sync_commands_without_a_token_exits_2(tmp_path):
    code, _, err = await run_cli_async("sync-commands", cwd=tmp_path, env={})

    assert code == 2
    assert err.strip() == "configuration error: DISCORD_TOKEN is required to sync commands"


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
