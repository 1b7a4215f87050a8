"""Answering an interaction correctly whatever its state, and the one tree-level error handler."""

from __future__ import annotations

import contextlib
import logging
import secrets
from typing import Any

import discord
from discord import app_commands

from bot.errors import UserFacingError

log = logging.getLogger(__name__)

APOLOGY = "Something went wrong on the bot's side (reference `{ref}`). Nothing was charged; please try again."


async def reply_privately(interaction: discord.Interaction, text: str) -> None:
    """An ephemeral answer, whether the interaction is fresh, deferred publicly, or already answered.

    A public "thinking" defer would turn the first followup public too, so that placeholder is
    deleted first and the message goes out as a fresh ephemeral followup.
    """
    try:
        if not interaction.response.is_done():
            await interaction.response.send_message(text, ephemeral=True)
            return
        if interaction.response.type is discord.InteractionResponseType.deferred_channel_message:
            with contextlib.suppress(discord.HTTPException):
                await interaction.delete_original_response()
        await interaction.followup.send(text, ephemeral=True)
    except discord.HTTPException as exc:
        log.info("could not answer interaction %s: %s", interaction.id, exc)


class FluxTree(app_commands.CommandTree):
    """Maps user-facing errors to their message; everything else to an apology with a reference id."""

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        original = getattr(error, "original", error)
        if isinstance(original, UserFacingError):
            await reply_privately(interaction, original.message)
            return
        if isinstance(error, app_commands.MissingPermissions):
            needed = ", ".join(p.replace("_", " ").title() for p in error.missing_permissions)
            await reply_privately(interaction, f"You need the {needed} permission to do that.")
            return
        if isinstance(error, app_commands.NoPrivateMessage):
            await reply_privately(interaction, "This command only works in a server.")
            return
        if isinstance(error, app_commands.CheckFailure):
            await reply_privately(interaction, str(error) or "You cannot use this command here.")
            return
        if isinstance(error, app_commands.TransformerError):
            await reply_privately(interaction, f"`{error.value}` is not a valid value for this option.")
            return
        ref = secrets.token_hex(4)
        command = interaction.command.qualified_name if interaction.command else "?"
        options = _options_for_log(interaction)
        log.error("unexpected error ref=%s in /%s %s", ref, command, options, exc_info=original)
        await reply_privately(interaction, APOLOGY.format(ref=ref))


def _options_for_log(interaction: discord.Interaction) -> str:
    data: dict[str, Any] = dict(interaction.data or {})
    parts = []
    options: list[dict[str, Any]] = list(data.get("options") or [])
    for option in options:
        value = option.get("value")
        if isinstance(value, str) and len(value) > 80:
            value = value[:77] + "..."
        parts.append(f"{option.get('name')}={value!r}")
    return " ".join(parts)
