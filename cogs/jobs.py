"""`/jobs`: your queued and running jobs, their queue positions, and Cancel buttons for queued ones."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.buttons import jobs_view
from bot.discord.render import jobs_embed
from bot.jobs.model import Job

if TYPE_CHECKING:
    from bot.discord.client import FluxBot


async def jobs_listing(bot: FluxBot, user_id: int) -> tuple[discord.Embed, discord.ui.View | None]:
    """The member's unfinished jobs (oldest first), with queue positions, and Cancel buttons."""
    services = bot.services
    jobs: list[Job] = await services.jobs.unfinished_for_user(user_id)
    listed = [(job, await services.manager.queue_position(job)) for job in jobs]
    return jobs_embed(f"<@{user_id}>", listed), jobs_view(jobs)


class Jobs(commands.Cog):
    def __init__(self, bot: FluxBot) -> None:
        self.bot = bot

    @app_commands.command(name="jobs", description="Your queued and running jobs, with Cancel buttons")
    async def jobs(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        embed, view = await jobs_listing(self.bot, interaction.user.id)
        if view is None:
            await interaction.followup.send(embed=embed, ephemeral=True)
        else:
            await interaction.followup.send(embed=embed, view=view, ephemeral=True)


async def setup(bot: FluxBot) -> None:
    await bot.add_cog(Jobs(bot))
