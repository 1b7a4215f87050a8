"""Who may do what, from what Discord resolved for an interaction (checked in the bot, not only hidden)."""

from __future__ import annotations

import logging

import discord

from bot.errors import NotAllowed
from bot.i18n import text

log = logging.getLogger(__name__)


def is_admin(interaction: discord.Interaction) -> bool:
    """Manage Server (or Administrator), from the permissions Discord resolved for this interaction.

    `default_permissions` only hides a command in the client, and a server may override it, so
    every admin-only path asks this itself.
    """
    permissions = interaction.permissions
    return bool(permissions.manage_guild or permissions.administrator)


def require_admin(interaction: discord.Interaction, what: str) -> None:
    """Refuse (in the member's language) unless Manage Server; `what` (English) names it in the log."""
    if not is_admin(interaction):
        log.info("member %s may not %s (no Manage Server)", interaction.user.id, what)
        raise NotAllowed(text("reply-admin-only"))


def role_ids_of(member: discord.abc.User) -> tuple[int, ...]:
    return tuple(r.id for r in getattr(member, "roles", ()))
