"""Keeping Discord's copy of the slash commands current without syncing at every start.

Discord allows 200 command creations a day, so the bot remembers a hash of what it last
registered globally (the JSON discord.py sends) and syncs at start only when that changed: after
an upgrade, or when a new provider key changes the commands' choices. The copy in
DISCORD_DEV_GUILD_ID follows the same rule, with its own hash keyed by the guild's id.
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


def synced_hash_key(guild_id: int | None) -> str:
    """The `bot_state` key of the hash last synced globally (None) or to one guild."""
    return SYNCED_HASH_KEY if guild_id is None else f"guild_commands_hash:{guild_id}"


def _guild(guild_id: int | None) -> discord.Object | None:
    return discord.Object(id=guild_id) if guild_id else None


async def command_tree_hash(tree: app_commands.CommandTree[Any], guild_id: int | None = None) -> str:
    """SHA-256 of the global (or one guild's) commands' payload, sorted, as `tree.sync()` would
    send it (with the translator's names and descriptions in every language), and of the
    application they belong to: a DISCORD_TOKEN of another application needs its own sync."""
    commands = tree._get_all_commands(guild=_guild(guild_id))
    translator = tree.translator
    if translator is not None:
        payloads = [await command.get_translated_payload(tree, translator) for command in commands]
    else:
        payloads = [command.to_dict(tree) for command in commands]
    payload = sorted(payloads, key=lambda command: (command.get("type", 1), command["name"]))
    owner = {"application_id": tree.client.application_id, "commands": payload}
    return hashlib.sha256(json.dumps(owner, sort_keys=True).encode()).hexdigest()


async def sync_if_changed(
    tree: app_commands.CommandTree[Any],
    state: BotState,
    guild_id: int | None = None,
    *,
    copy_global: bool = True,
) -> bool:
    """Sync the global commands (or a copy of them in one guild) when they differ from the last
    sync there; whether it synced. `copy_global=False`: only the guild's own commands (`/owner`
    in OWNER_GUILD_IDS).

    A refused sync (e.g. the daily limit) is logged and retried at the next start.
    """
    guild = _guild(guild_id)
    if guild is not None and copy_global:
        tree.copy_global_to(guild=guild)
    current = await command_tree_hash(tree, guild_id)
    if await state.get(synced_hash_key(guild_id)) == current:
        return False
    try:
        synced = await tree.sync(guild=guild)
    except discord.HTTPException as exc:
        log.warning("could not register the slash commands (%s); retrying at the next start", exc)
        return False
    await state.put(synced_hash_key(guild_id), current)
    if guild_id:
        log.info("the commands changed: registered %d in guild %s", len(synced), guild_id)
    else:
        log.info("the commands changed: registered %d globally (may take up to an hour to show)", len(synced))
    return True


async def remember_synced(
    tree: app_commands.CommandTree[Any], state: BotState, guild_id: int | None = None
) -> None:
    """After `sync-commands [--guild ID]` registered them: no need to sync there again at the next start."""
    await state.put(synced_hash_key(guild_id), await command_tree_hash(tree, guild_id))


async def clear_commands(tree: app_commands.CommandTree[Any], state: BotState, guild_id: int | None) -> str:
    """Remove the bot's commands globally or from one guild (stale copies). Returns what it did.

    The stored hash is forgotten, so the next start registers them afresh (in the dev guild too).
    """
    guild = _guild(guild_id)
    tree.clear_commands(guild=guild)
    await tree.sync(guild=guild)
    await state.forget(synced_hash_key(guild_id))
    if guild_id:
        return f"removed the commands from guild {guild_id}"
    return "removed the global commands (the next start of the bot registers them again)"
