"""`/jobs`: your queued and running jobs, their queue positions, and Cancel buttons for queued ones."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.buttons import jobs_listing
from bot.discord.language import locale_of

if TYPE_CHECKING:
    from bot.discord.client import FluxBot


class Jobs(commands.Cog):
    def __init__(self, bot: FluxBot) -> None:
        self.bot = bot

    @app_commands.command(name="jobs", description="Your queued and running jobs, with Cancel buttons")
    async def jobs(self, interaction: discord.Interaction) -> None:
        embed, view = await jobs_listing(self.bot, interaction.user.id, await locale_of(interaction))
        if view is None:
            await interaction.response.send_message(embed=embed, ephemeral=True)
        else:
            await interaction.response.send_message(embed=embed, view=view, ephemeral=True)


async def setup(bot: FluxBot) -> None:
    await bot.add_cog(Jobs(bot))
