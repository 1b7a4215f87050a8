"""Running the bot: services, then the Discord client, then the job manager and the web server."""

from __future__ import annotations

import logging

import discord

from bot.app import open_services
from bot.discord.client import FluxBot
from bot.settings import Settings
from bot.web import serve

log = logging.getLogger(__name__)


async def run_bot(settings: Settings) -> int:
    assert settings.discord_token is not None
    async with open_services(settings) as services:
        bot = FluxBot(services)
        async with bot:
            try:
                await bot.login(settings.discord_token.get_secret_value())
            except discord.LoginFailure:
                log.error("Discord refused DISCORD_TOKEN; check it in the developer portal")
                return 2
            # Jobs left from before a restart resume now: the bot can already post over REST.
            await services.manager.start()
            async with serve(settings, services, bot):
                await bot.connect()
    return 0
