"""Keeping Discord's copy of the slash commands current without syncing at every start.

Discord allows 200 command creations a day, so the bot remembers a hash of what it last
registered globally (the JSON discord.py sends) and syncs at start only when that changed: after
an upgrade, or when a new provider key changes the commands' choices.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

import discord
from discord import app_commands

from bot.store.bot_state import BotState

log = logging.getLogger(__name__)

#: The `bot_state` key of the hash of the global commands last synced.
SYNCED_HASH_KEY = "global_commands_hash"


def command_tree_hash(tree: app_commands.CommandTree[Any]) -> str:
    """SHA-256 of the global commands' payload, sorted, as `tree.sync()` would send it, and of the
    application they belong to: a DISCORD_TOKEN of another application needs its own sync."""
    payload = sorted(
        (command.to_dict(tree) for command in tree._get_all_commands(guild=None)),
        key=lambda command: (command.get("type", 1), command["name"]),
    )
    owner = {"application_id": tree.client.application_id, "commands": payload}
    return hashlib.sha256(json.dumps(owner, sort_keys=True).encode()).hexdigest()


async def sync_if_changed(tree: app_commands.CommandTree[Any], state: BotState) -> bool:
    """Sync the global commands when they differ from the last sync; whether it synced.

    A refused sync (e.g. the daily limit) is logged and retried at the next start.
    """
    current = command_tree_hash(tree)
    if await state.get(SYNCED_HASH_KEY) == current:
        return False
    try:
        synced = await tree.sync()
    except discord.HTTPException as exc:
        log.warning("could not register the slash commands (%s); retrying at the next start", exc)
        return False
    await state.put(SYNCED_HASH_KEY, current)
    log.info("the commands changed: registered %d globally (may take up to an hour to show)", len(synced))
    return True


async def remember_synced(tree: app_commands.CommandTree[Any], state: BotState) -> None:
    """After `sync-commands` registered them globally: no need to sync again at the next start."""
    await state.put(SYNCED_HASH_KEY, command_tree_hash(tree))


async def clear_commands(tree: app_commands.CommandTree[Any], state: BotState, guild_id: int | None) -> str:
    """Remove the bot's commands globally or from one guild (stale copies). Returns what it did.

    After a global clear the stored hash is forgotten, so the next start registers them afresh.
    """
    guild = discord.Object(id=guild_id) if guild_id else None
    tree.clear_commands(guild=guild)
    await tree.sync(guild=guild)
    if guild_id:
        return f"removed the commands from guild {guild_id}"
    await state.forget(SYNCED_HASH_KEY)
    return "removed the global commands (the next start of the bot registers them again)"
