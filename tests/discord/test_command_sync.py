"""Commands stay current (bot/discord/command_sync.py): the bot syncs at start only when its command
tree changed, and `sync-commands --clear [--guild ID]` removes stale copies.

Under SimCord (which records each sync), and through the real `python -m bot` against the loopback
Discord of tests/fakes/discord.py.
"""

from __future__ import annotations

import signal
from dataclasses import replace
from typing import Any

from pydantic import SecretStr

from bot.app import build_providers
from bot.cli import sync_tree
from bot.discord.client import FluxBot
from bot.discord.command_sync import (
    SYNCED_HASH_KEY,
    clear_commands,
    command_tree_hash,
    remember_synced,
    synced_hash_key,
)
from bot.store.bot_state import BotState
from tests.fakes.discord import APPLICATION_ID, SITE_DIR
from tests.helpers import ROOT, BotProcess, Harness, run_cli_async


def global_syncs(env: Any) -> list[Any]:
    return [
        e
        for e in env.http_requests
        if e.method == "PUT" and e.path.endswith("/commands") and "/guilds/" not in e.path
    ]


def guild_syncs(env: Any, guild_id: int) -> list[Any]:
    return [
        e for e in env.http_requests if e.method == "PUT" and e.path.endswith(f"/guilds/{guild_id}/commands")
    ]


async def test_the_bot_syncs_at_start_only_when_its_commands_changed(
    simcord_env, services, guild_setup, fake_bfl
):
    _, channel, alice = guild_setup
    state = BotState(services.db)
    synced = len(global_syncs(simcord_env))  # the fixture's bot always syncs

    await simcord_env.restart_bot(FluxBot(services))  # nothing remembered in this store yet
    assert len(global_syncs(simcord_env)) == synced + 1
    assert await state.get(SYNCED_HASH_KEY) == await command_tree_hash(simcord_env.bot.tree)

    await simcord_env.restart_bot(FluxBot(services))  # the same commands: Discord is left alone
    assert len(global_syncs(simcord_env)) == synced + 1

    # A BFL key is added: /finetune appears, so the next start registers the new tree.
    with_bfl = services.settings.model_copy(
        update={"bfl_api_key": SecretStr(fake_bfl.api_key), "bfl_base_url": fake_bfl.url}
    )
    services.providers["bfl"] = build_providers(with_bfl, services.http)["bfl"]
    await simcord_env.restart_bot(FluxBot(services))
    syncs = global_syncs(simcord_env)
    assert len(syncs) == synced + 2
    assert "finetune" in {command["name"] for command in syncs[-1].json}
    assert "finetune" in alice.available_commands(channel)


async def test_the_dev_guild_copy_is_synced_at_start_only_when_the_commands_changed(
    simcord_env, services, guild_setup, fake_bfl
):
    guild, _, _ = guild_setup
    dev = replace(services, settings=services.settings.model_copy(update={"discord_dev_guild_id": guild.id}))
    state = BotState(services.db)

    await simcord_env.restart_bot(FluxBot(dev))
    assert len(guild_syncs(simcord_env, guild.id)) == 1
    assert await state.get(synced_hash_key(guild.id)) == await command_tree_hash(
        simcord_env.bot.tree, guild.id
    )

    await simcord_env.restart_bot(FluxBot(dev))  # the same commands: the guild's copy is left alone
    assert len(guild_syncs(simcord_env, guild.id)) == 1

    # A BFL key is added: /finetune appears in the dev guild's copy at the next start.
    with_bfl = dev.settings.model_copy(
        update={"bfl_api_key": SecretStr(fake_bfl.api_key), "bfl_base_url": fake_bfl.url}
    )
    dev.providers["bfl"] = build_providers(with_bfl, dev.http)["bfl"]
    await simcord_env.restart_bot(FluxBot(dev))
    syncs = guild_syncs(simcord_env, guild.id)
    assert len(syncs) == 2
    assert "finetune" in {command["name"] for command in syncs[-1].json}

    # `sync-commands --clear --guild ID` forgets the hash: the next start puts the copy back.
    await clear_commands(simcord_env.bot.tree, state, guild.id)
    assert await state.get(synced_hash_key(guild.id)) is None
    await simcord_env.restart_bot(FluxBot(dev))
    syncs = guild_syncs(simcord_env, guild.id)
    assert len(syncs) == 4
    assert syncs[-1].json == syncs[1].json


async def test_a_token_of_another_application_registers_the_commands_again(
    simcord_env, services, guild_setup
):
    await simcord_env.restart_bot(FluxBot(services))
    synced = len(global_syncs(simcord_env))
    # The same database was last synced for another application (the operator has since put the
    # token of a new bot in DISCORD_TOKEN): its commands are not this application's.
    connection = simcord_env.bot._connection
    own_id = connection.application_id
    connection.application_id = own_id + 1
    await remember_synced(simcord_env.bot.tree, BotState(services.db))
    connection.application_id = own_id

    await simcord_env.restart_bot(FluxBot(services))

    assert len(global_syncs(simcord_env)) == synced + 1
    await simcord_env.restart_bot(FluxBot(services))  # and then, as before, only when they change
    assert len(global_syncs(simcord_env)) == synced + 1


async def test_clear_removes_the_global_commands_and_the_next_start_registers_them_again(
    simcord_env, services, guild_setup
):
    _, channel, alice = guild_setup
    await simcord_env.restart_bot(FluxBot(services))
    assert "imagine" in alice.available_commands(channel)

    line = await clear_commands(simcord_env.bot.tree, BotState(services.db), None)

    assert line.startswith("removed the global commands")
    assert alice.available_commands(channel) == ()
    assert await BotState(services.db).get(SYNCED_HASH_KEY) is None
    await simcord_env.restart_bot(FluxBot(services))
    assert "imagine" in alice.available_commands(channel)


async def test_clear_with_a_guild_removes_only_that_guilds_copy(simcord_env, services, guild_setup):
    guild, channel, alice = guild_setup
    await simcord_env.restart_bot(FluxBot(services))
    await sync_tree(simcord_env.bot.tree, guild.id)
    remembered = await BotState(services.db).get(SYNCED_HASH_KEY)

    line = await clear_commands(simcord_env.bot.tree, BotState(services.db), guild.id)

    assert line == f"removed the commands from guild {guild.id}"
    (cleared,) = [
        e for e in simcord_env.http_requests if e.method == "PUT" and f"/guilds/{guild.id}/" in e.path
    ][-1:]
    assert cleared.json == []
    assert "imagine" in alice.available_commands(channel)  # the global commands remain
    assert await BotState(services.db).get(SYNCED_HASH_KEY) == remembered


async def test_the_real_process_syncs_once_and_clear_makes_the_next_start_register_again(
    tmp_path, fake_discord, fake_ttapi
):
    run = Harness(
        tmp_path,
        fake_ttapi,
        DISCORD_TOKEN="fake-token",
        PYTHONPATH=f"{SITE_DIR}:{ROOT}",
        **fake_discord.site_env(),
    )
    path = f"/applications/{APPLICATION_ID}/commands"

    def puts() -> list[Any]:
        return [c.body for c in fake_discord.requests("PUT") if c.path == path]

    async def start_and_stop() -> None:
        bot = BotProcess(run, fake_discord)
        try:
            await bot.start()
            await bot.stop(signal.SIGTERM)
        finally:
            bot.kill()
        assert bot.process.returncode == 0, run.output()

    code, out, err = await run_cli_async("sync-commands", cwd=tmp_path, env=run.env)
    assert code == 0, out + err
    assert len(puts()) == 1
    assert len(puts()[0]) > 5
    await start_and_stop()
    assert len(puts()) == 1  # sync-commands remembered what it registered

    code, out, err = await run_cli_async(
        "sync-commands", "--clear", "--guild", "5", cwd=tmp_path, env=run.env
    )
    assert code == 0, out + err
    assert out.strip().endswith("removed the commands from guild 5")
    assert [c.body for c in fake_discord.requests("PUT", "/guilds/5/commands")] == [[]]

    code, out, err = await run_cli_async("sync-commands", "--clear", cwd=tmp_path, env=run.env)
    assert code == 0, out + err
    assert puts()[-1] == []
    await start_and_stop()
    assert len(puts()) == 3
    assert puts()[-1] == puts()[0]  # registered again at start, as before
