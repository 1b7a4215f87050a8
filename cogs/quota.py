"""`/quota`: a member's credits this period — used, held, limit, remaining, reset, last charges."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.render import FIELD_VALUE_MAX, join_within
from bot.errors import NotAllowed
from bot.quota import Standing, format_credits, remaining

if TYPE_CHECKING:
    from bot.discord.client import FluxBot
    from bot.settings import Limit
    from bot.store.ledger import LedgerEntry, Usage

COLOUR = discord.Colour(0x5865F2)


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


def usage_fields(embed: discord.Embed, usage: Usage, limit: Limit, *, budget_label: bool = False) -> None:
    """Used, held, the limit (or the server's budget) with its grants, and what remains."""
    embed.add_field(name="Used", value=f"{format_credits(usage.used)} credits", inline=True)
    embed.add_field(name="Held", value=f"{format_credits(usage.held)} credits", inline=True)
    granted = f" (+{format_credits(usage.granted)} granted)" if usage.granted else ""
    embed.add_field(
        name="Budget" if budget_label else "Limit", value=format_credits(limit) + granted, inline=True
    )
    embed.add_field(name="Remaining", value=format_credits(remaining(limit, usage)), inline=True)


def quota_embed(member: discord.abc.User, standing: Standing, charges: list[LedgerEntry]) -> discord.Embed:
    embed = discord.Embed(title=f"Quota for {member.display_name}", colour=COLOUR)
    usage_fields(embed, standing.usage, standing.limit)
    embed.add_field(
        name="Resets",
        value=f"{discord.utils.format_dt(standing.resets_at, 'R')} "
        f"({discord.utils.format_dt(standing.resets_at, 'f')})",
        inline=True,
    )
    embed.add_field(name="Limit set by", value=standing.source, inline=True)
    if standing.guild_limit is not None and standing.guild_usage is not None:
        embed.add_field(
            name="Server budget",
            value=f"{format_credits(standing.guild_remaining)} of "
            f"{format_credits(standing.guild_limit + standing.guild_usage.granted)} credits left",
            inline=False,
        )
    if charges:
        lines = [
            f"{discord.utils.format_dt(datetime.fromtimestamp(entry.created_at, UTC), 'd')} `{entry.model}` "
            f"{format_credits(entry.amount)} credits"
            for entry in charges
        ]
        embed.add_field(name="Last charges", value=join_within(lines, FIELD_VALUE_MAX), inline=False)
    embed.set_footer(text=f"Period {standing.period} (UTC) · 1 credit = $0.01 at the provider")
    return embed


class Quota(commands.Cog):
    def __init__(self, bot: FluxBot) -> None:
        self.bot = bot

    @app_commands.command(name="quota", description="Your image credits this period")
    @app_commands.describe(member="Whose quota to show (Manage Server needed for others)")
    @app_commands.guild_only()
    async def quota(self, interaction: discord.Interaction, member: discord.Member | None = None) -> None:
        target = member or interaction.user
        if target.id != interaction.user.id:
            require_admin(interaction, "see someone else's quota")
        await interaction.response.defer(ephemeral=True, thinking=True)
        services = self.bot.services
        standing = await services.quota.standing(interaction.guild_id, target.id, role_ids_of(target))
        charges = await services.ledger.recent_entries(interaction.guild_id, target.id, limit=5)
        await interaction.followup.send(embed=quota_embed(target, standing, charges), ephemeral=True)


async def setup(bot: FluxBot) -> None:
    await bot.add_cog(Quota(bot))
