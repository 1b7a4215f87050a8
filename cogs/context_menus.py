"""Message context menus (issue 18, item 8): right-click a message with an image →
**Edit with FLUX** (it becomes `/edit`'s first reference) or **Use as reference** (`/imagine`'s
image prompt). A form asks for the prompt; the rest is `bot/discord/references.py`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.references import ACTIONS, ask_for_prompt

if TYPE_CHECKING:
    from bot.discord.client import FluxBot


class ContextMenus(commands.Cog):
    def __init__(self, bot: FluxBot) -> None:
        self.bot = bot
        self.menus = [
            app_commands.ContextMenu(name=ACTIONS["edit"]["title"], callback=self.edit_with_flux),
            app_commands.ContextMenu(name=ACTIONS["imagine"]["title"], callback=self.use_as_reference),
        ]
        for menu in self.menus:
            menu.guild_only = True

    async def cog_load(self) -> None:
        for menu in self.menus:
            self.bot.tree.add_command(menu)

    async def cog_unload(self) -> None:
        for menu in self.menus:
            self.bot.tree.remove_command(menu.name, type=menu.type)

    async def edit_with_flux(self, interaction: discord.Interaction, message: discord.Message) -> None:
        await ask_for_prompt(self.bot, interaction, message, "edit")

    async def use_as_reference(self, interaction: discord.Interaction, message: discord.Message) -> None:
        await ask_for_prompt(self.bot, interaction, message, "imagine")


async def setup(bot: FluxBot) -> None:
    await bot.add_cog(ContextMenus(bot))
