"""`/dashboard`: a private one-time link that signs the member in to the web dashboard (bot/dashboard/)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.dashboard.auth import sign_in_link
from bot.discord.language import locale_of
from bot.errors import NotAllowed
from bot.i18n import t, text
from bot.store.web import WebStore

if TYPE_CHECKING:
    from bot.discord.client import FluxBot


class Dashboard(commands.Cog):
    def __init__(self, bot: FluxBot) -> None:
        self.bot = bot

    @app_commands.command(name="dashboard", description="A private link to your images and quota on the web")
    @app_commands.guild_only()
    async def dashboard(self, interaction: discord.Interaction) -> None:
        public_url = self.bot.services.settings.web_public_url
        if not public_url:
            raise NotAllowed(text("dashboard-not-set-up"))
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        language = await locale_of(interaction)
        url = await sign_in_link(
            WebStore(self.bot.services.db),
            public_url,
            interaction.user.id,
            interaction.guild_id,
            language=language,
        )
        await interaction.followup.send(t(language, "dashboard-link", url=url), ephemeral=True)


async def setup(bot: FluxBot) -> None:
    await bot.add_cog(Dashboard(bot))
