"""Who may do what, from what Discord resolved for an interaction (checked in the bot, not only hidden)."""

from __future__ import annotations

import discord

from bot.errors import NotAllowed


def is_admin(interaction: discord.Interaction) -> bool:
    """Manage Server (or Administrator), from the permissions Discord resolved for this interaction.

    `default_permissions` only hides a command in the client, and a server may override it, so
    every admin-only path asks this itself.
    """
    permissions = interaction.permissions
    return bool(permissions.manage_guild or permissions.administrator)


def require_admin(interaction: discord.Interaction, what: str) -> None:
    if not is_admin(interaction):
        raise NotAllowed(f"Only members with the Manage Server permission can {what}.")


def role_ids_of(member: discord.abc.User) -> tuple[int, ...]:
    return tuple(r.id for r in getattr(member, "roles", ()))
