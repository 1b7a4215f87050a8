"""`/quota`: a member's credits this period — used, held, limit, remaining, reset, last charges."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.credits import format_credits
from bot.discord.permissions import require_admin, role_ids_of
from bot.discord.render import COLOUR, FIELD_VALUE_MAX, join_within, plain, usage_fields
from bot.quota import Standing

if TYPE_CHECKING:
    from bot.discord.client import FluxBot
    from bot.store.ledger import LedgerEntry


def quota_embed(member: discord.abc.User, standing: Standing, charges: list[LedgerEntry]) -> discord.Embed:
    embed = discord.Embed(title=f"Quota for {plain(member.display_name)}", colour=COLOUR)
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
