"""Which language a member reads: their Discord client's, else the server's, else DEFAULT_LANGUAGE.

Discord sends the member's client language with every interaction (`Interaction.locale`). When the
bot does not speak it, the server's own choice (`/admin settings language:`, read from the guild
store's cache) decides, then the bot's `DEFAULT_LANGUAGE`. See bot/i18n for the catalogue.
"""

from __future__ import annotations

import logging
from typing import Any

import discord

from bot.i18n import SOURCE, resolve, supported

log = logging.getLogger(__name__)


async def server_language(client: Any, guild_id: int | None) -> str | None:
    """The server's `/admin settings language:` (None when unset or unreadable)."""
    services = getattr(client, "services", None)
    if services is None or guild_id is None:
        return None
    try:
        return (await services.quota.guilds.settings(guild_id)).language
    except Exception as exc:  # a refusal must still be answered when the store is down
        log.info("guild %s: language not read (%s)", guild_id, exc)
        return None


def default_language(client: Any) -> str:
    services = getattr(client, "services", None)
    return services.settings.default_language if services is not None else SOURCE


async def locale_of(interaction: discord.Interaction) -> str:
    """The language to answer this interaction in."""
    member = supported(interaction.locale)
    if member is not None:
        return member
    server = await server_language(interaction.client, interaction.guild_id)
    return resolve(server, default_language(interaction.client))
