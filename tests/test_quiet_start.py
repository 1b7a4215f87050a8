"""A quiet, standard start: only the guilds intent and no message cache, no warning on any start,
and logs as text or JSON lines (`LOG_FORMAT`) with every secret replaced in either format.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import discord
import pytest

from bot.logs import setup_logging
from tests.conftest import finish_jobs, root_logging_restored
from tests.fakes.discord import SITE_DIR
from tests.helpers import ROOT, TOKEN, BotProcess, Harness, provider_env, run_cli_async

SECRET = "sk-live-0123456789abcdef"


async def test_only_the_guilds_intent_and_no_message_cache_and_commands_work(
    simcord_env, running, guild_setup
):
    bot = simcord_env.bot
    assert bot.intents == discord.Intents(guilds=True)  # nothing privileged, no message events
    _, channel, alice = guild_setup

    result = await alice.slash(channel, "imagine", prompt="a lighthouse at dusk")
    await finish_jobs(simcord_env, running)

    assert result.response.attachments
    assert list(bot.cached_messages) == []  # max_messages=None: the bot keeps no messages


@contextmanager
def product_logging(log_format: Any) -> Iterator[None]:
    with root_logging_restored():
        setup_logging("INFO", [SECRET], log_format)
        yield


def log_a_secret_everywhere() -> None:
    log = logging.getLogger("bot.example")
    log.info("the key %s as an argument", SECRET)
    log.warning(f"the key {SECRET} in the message itself")
    try:
        raise RuntimeError(f"the provider said: key {SECRET} refused")
    except RuntimeError:
        log.exception("a request failed")
    log.info("an extra field", extra={"header": f"Bearer {SECRET}"})


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_a_secret_in_any_part_of_a_record_never_reaches_either_format(log_format, capsys):
    with product_logging(log_format):
        log_a_secret_everywhere()

    out = capsys.readouterr().out
    assert SECRET not in out
    assert "the key *** as an argument" in out
    assert "RuntimeError: the provider said: key *** refused" in out  # the traceback, redacted
    if log_format == "json":
        records = [json.loads(line) for line in out.splitlines()]
        assert [r["message"] for r in records] == [
            "the key *** as an argument",
            "the key *** in the message itself",
            "a request failed",
            "an extra field",
        ]
        assert {r["level"] for r in records} == {"INFO", "WARNING", "ERROR"}
        assert {r["logger"] for r in records} == {"bot.example"}
        assert all("time" in r for r in records)
        assert "Traceback" in records[2]["exc_info"]
        assert records[3]["header"] == "Bearer ***"


def test_help_prints_no_warning_even_with_every_warning_shown():
    done = subprocess.run(
        [sys.executable, "-W", "default", "-m", "bot", "--help"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0
    assert done.stderr == ""


async def test_doctor_prints_no_warning_even_with_every_warning_shown(
    tmp_path, fake_ttapi, fake_bfl, fake_discord
):
    env = {**provider_env(fake_ttapi, fake_bfl, fake_discord, tmp_path), "PYTHONWARNINGS": "default"}
    assert (await run_cli_async("migrate", cwd=tmp_path, env=env))[0] == 0
    code, out, err = await run_cli_async("doctor", cwd=tmp_path, env=env)
    assert code == 0, out + err
    assert err == ""
    assert "Warning" not in out
    assert "WARNING" not in out


async def test_the_bot_starts_without_a_warning_and_logs_json_lines(tmp_path, fake_ttapi, fake_discord):
    fake_discord.token = TOKEN
    run = Harness(
        tmp_path,
        fake_ttapi,
        DISCORD_TOKEN=TOKEN,
        LOG_FORMAT="json",
        PYTHONWARNINGS="default",  # DeprecationWarnings too, as `python -W default` or `-X dev`
        PYTHONPATH=f"{SITE_DIR}:{ROOT}",
        **fake_discord.site_env(),
    )
    bot = BotProcess(run, fake_discord)
    try:
        await bot.start()
        await bot.wait_until(lambda: "connected as" in run.output())
        await bot.stop()
    finally:
        bot.kill()

    # stdout and stderr both went to the log: every line is a JSON record, so no warning was printed.
    records = [json.loads(line) for line in run.output().splitlines()]
    assert {r["level"] for r in records} == {"INFO"}, run.output()
    messages = [r["message"] for r in records]
    assert "connected as fluxbot to 0 guild(s)" in messages
    assert not any("PyNaCl" in m or "davey" in m or "voice" in m for m in messages)
    assert TOKEN not in run.output()
