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


def jobs_listing(bot: FluxBot, user_id: int) -> tuple[discord.Embed, discord.ui.View | None]:
    """The member's unfinished jobs (oldest first), with queue positions, and Cancel buttons.

    From the job manager's memory: no I/O, so the command answers at once.
    """
    jobs: list[Job] = bot.services.manager.jobs_of(user_id)
    listed = [(job, job.queue_position) for job in jobs]
    return jobs_embed(f"<@{user_id}>", listed), jobs_view(jobs)


class Jobs(commands.Cog):
    def __init__(self, bot: FluxBot) -> None:
        self.bot = bot

    @app_commands.command(name="jobs", description="Your queued and running jobs, with Cancel buttons")
    async def jobs(self, interaction: discord.Interaction) -> None:
        embed, view = jobs_listing(self.bot, interaction.user.id)
        if view is None:
            await interaction.response.send_message(embed=embed, ephemeral=True)
        else:
            await interaction.response.send_message(embed=embed, view=view, ephemeral=True)


async def setup(bot: FluxBot) -> None:
    await bot.add_cog(Jobs(bot))
