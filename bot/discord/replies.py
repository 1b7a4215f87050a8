"""Answering an interaction correctly whatever its state, and the one tree-level error handler."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Awaitable
from typing import Any, TypeVar

import discord
from discord import app_commands

from bot.discord.language import locale_of
from bot.errors import MESSAGE_MAX, UserFacingError
from bot.i18n import t
from bot.store import errors as store_errors

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Discord allows 3 s for the first answer to an interaction. A check that needs the store (guild
#: settings, quota) gets at most this long to refuse privately before the bot defers anyway.
ACK_WINDOW = 1.0


async def within_ack_window(
    interaction: discord.Interaction,
    work: Awaitable[T],
    *,
    window: float = ACK_WINDOW,
    thinking: bool = True,
    ephemeral: bool = False,
) -> T:
    """Await `work`, but acknowledge the interaction (defer) if it takes longer than `window`.

    The common case keeps its answer for the first response (a refusal stays private and leaves no
    trace); a slow store can never make the member see "This interaction failed".
    """
    task = asyncio.ensure_future(work)
    try:
        done, _ = await asyncio.wait({task}, timeout=window)
    except asyncio.CancelledError:
        task.cancel()
        raise
    if not done:
        await defer_once(interaction, thinking=thinking, ephemeral=ephemeral)
    return await task


async def defer_once(
    interaction: discord.Interaction, *, thinking: bool = True, ephemeral: bool = False
) -> None:
    """Defer unless the interaction is already acknowledged (see `within_ack_window`)."""
    if not interaction.response.is_done():
        await interaction.response.defer(thinking=thinking, ephemeral=ephemeral)


async def reply_privately(interaction: discord.Interaction, text: str) -> None:
    """An ephemeral answer, whether the interaction is fresh, deferred (publicly or not), or answered.

    After a "thinking" defer, the first followup edits the thinking message instead of sending a
    new one. When that message is ephemeral it simply becomes the answer. When it is public, it is
    completed with a neutral line first (so the next followup is a new message), the answer goes out
    as an ephemeral followup, and the public placeholder is then deleted.
    """
    if len(text) > MESSAGE_MAX:  # the last guard: Discord would refuse the whole answer
        text = text[: MESSAGE_MAX - 1] + "…"
    try:
        if not interaction.response.is_done():
            await interaction.response.send_message(text, ephemeral=True)
            return
        if interaction.response.type is discord.InteractionResponseType.deferred_channel_message:
            original = await interaction.original_response()
            if original.flags.ephemeral:
                await interaction.edit_original_response(content=text, embeds=[], attachments=[], view=None)
                return
            with contextlib.suppress(discord.HTTPException):
                await interaction.edit_original_response(content="…")
            await interaction.followup.send(text, ephemeral=True)
            with contextlib.suppress(discord.HTTPException):
                await interaction.delete_original_response()
            return
        await interaction.followup.send(text, ephemeral=True)
    except discord.HTTPException as exc:
        log.info("could not answer interaction %s: %s", interaction.id, exc)


async def handle_interaction_error(interaction: discord.Interaction, error: BaseException) -> str | None:
    """The one mapping from an error to what the member reads, for commands, buttons and modals.

    A `UserFacingError` (or a permission/check failure) is answered with its message, ephemerally.
    Anything else is logged with a short reference id and the member gets an apology quoting it.
    Returns the reference id when there was one.
    """
    original = getattr(error, "original", error)
    language = await locale_of(interaction)
    if isinstance(original, UserFacingError):
        await reply_privately(interaction, original.render(language))
        return None
    if isinstance(error, app_commands.MissingPermissions):
        # Permission names as Discord's client shows them in English: they are Discord's words.
        needed = ", ".join(p.replace("_", " ").title() for p in error.missing_permissions)
        await reply_privately(interaction, t(language, "reply-missing-permission", permissions=needed))
        return None
    if isinstance(error, app_commands.NoPrivateMessage):
        await reply_privately(interaction, t(language, "reply-server-only"))
        return None
    if isinstance(error, app_commands.CheckFailure):
        await reply_privately(interaction, t(language, "reply-not-here"))
        return None
    if isinstance(error, app_commands.TransformerError):
        await reply_privately(interaction, t(language, "reply-bad-value", value=error.value))
        return None
    if isinstance(original, store_errors.STORE_REFUSED):
        log.warning(
            "the store refused %s (%s): the member was asked to try again",
            _describe_interaction(interaction),
            type(original).__name__,
        )
        await reply_privately(interaction, t(language, "reply-store-unavailable"))
        return None
    ref = secrets.token_hex(4)
    log.error(
        "unexpected error ref=%s in %s %s",
        ref,
        _describe_interaction(interaction),
        _options_for_log(interaction),
        exc_info=original,
    )
    await reply_privately(interaction, t(language, "reply-apology", ref=ref))
    return ref


def through_user_install_only(interaction: discord.Interaction) -> bool:
    """Run through a member's own install of the app, not through the server's (or in no server).

    The commands declare guild install only; this also holds for commands synced before that, or a
    client that ignores it. (An interaction that names no installs at all is the server's.)
    """
    return interaction.is_user_integration() and not interaction.is_guild_integration()


class FluxTree(app_commands.CommandTree):
    """Maps user-facing errors to their message; everything else to an apology with a reference id."""

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        if interaction.type is discord.InteractionType.application_command and through_user_install_only(
            interaction
        ):
            await reply_privately(interaction, t(await locale_of(interaction), "reply-guild-install-only"))
            return False
        return True

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        await handle_interaction_error(interaction, error)


def _describe_interaction(interaction: discord.Interaction) -> str:
    if interaction.command is not None:
        return f"/{interaction.command.qualified_name}"
    data: dict[str, Any] = dict(interaction.data or {})
    custom_id = data.get("custom_id")
    if custom_id:
        return f"component {str(custom_id)[:100]!r}"
    return f"interaction type {interaction.type}"


def _options_for_log(interaction: discord.Interaction) -> str:
    data: dict[str, Any] = dict(interaction.data or {})
    parts = []
    options: list[dict[str, Any]] = list(data.get("options") or [])
    for row in data.get("components") or []:  # a modal's fields
        options.extend(
            {"name": c.get("custom_id"), "value": c.get("value")} for c in row.get("components", [])
        )
    for option in options:
        value = option.get("value")
        if isinstance(value, str) and len(value) > 80:
            value = value[:77] + "..."
        parts.append(f"{option.get('name')}={value!r}")
    return " ".join(parts)
