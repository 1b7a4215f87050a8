"""Every extension loads, and the commands it declares are registered."""

from __future__ import annotations

from bot.discord.client import EXTENSIONS


async def test_every_extension_is_loaded(simcord_env):
    bot = simcord_env.bot
    assert set(bot.extensions) == set(EXTENSIONS)
    names = {command.name for command in bot.tree.get_commands()}
    assert {"imagine", "quota"} <= names
