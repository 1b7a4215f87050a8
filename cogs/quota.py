"""`/quota`: a member's credits this period — used, held, limit, remaining, reset, last charges."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.language import locale_of
from bot.discord.permissions import require_admin, role_ids_of
from bot.discord.render import COLOUR, FIELD_VALUE_MAX, join_within, plain, usage_fields
from bot.i18n import credits, t
from bot.quota import Standing

if TYPE_CHECKING:
    from bot.discord.client import FluxBot
    from bot.store.ledger import LedgerEntry


def quota_embed(
    member: discord.abc.User, standing: Standing, charges: list[LedgerEntry], language: str
) -> discord.Embed:
    embed = discord.Embed(title=t(language, "quota-title", member=plain(member.display_name)), colour=COLOUR)
    usage_fields(embed, standing.usage, standing.limit, language)
    embed.add_field(
        name=t(language, "quota-resets"),
        value=f"{discord.utils.format_dt(standing.resets_at, 'R')} "
        f"({discord.utils.format_dt(standing.resets_at, 'f')})",
        inline=True,
    )
    source = standing.source.replace(" ", "-")  # "member", "role", "server default", "bot default"
    embed.add_field(
        name=t(language, "quota-limit-set-by"), value=t(language, f"quota-source-{source}"), inline=True
    )
    if standing.guild_limit is not None and standing.guild_usage is not None:
        embed.add_field(
            name=t(language, "quota-server-budget"),
            value=t(
                language,
                "quota-server-budget-left",
                left=credits(language, standing.guild_remaining),
                total=standing.guild_limit + standing.guild_usage.granted,
            ),
            inline=False,
        )
    if charges:
        lines = [
            f"{discord.utils.format_dt(datetime.fromtimestamp(entry.created_at, UTC), 'd')} `{entry.model}` "
            + t(language, "credits-text", amount=entry.amount)
            for entry in charges
        ]
        embed.add_field(
            name=t(language, "quota-last-charges"), value=join_within(lines, FIELD_VALUE_MAX), inline=False
        )
    embed.set_footer(text=t(language, "quota-footer", period=standing.period))
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
        embed = quota_embed(target, standing, charges, await locale_of(interaction))
        await interaction.followup.send(embed=embed, ephemeral=True)


async def setup(bot: FluxBot) -> None:
    await bot.add_cog(Quota(bot))
