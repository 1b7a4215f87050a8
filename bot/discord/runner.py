"""Running the bot: services, then the Discord client, then the job manager and the web server.

SIGTERM and SIGINT stop it cleanly (bot/discord/shutdown.py): exit 0, jobs left to the next start.
"""

from __future__ import annotations

import asyncio
import logging
import time

import discord

from bot.app import open_services
from bot.discord.client import FluxBot
from bot.discord.shutdown import CLOSE_SECONDS, SUBMIT_GRACE_SECONDS, on_stop_signals
from bot.errors import LOGIN_REFUSED, ConfigurationError
from bot.settings import Settings
from bot.web import serve

log = logging.getLogger(__name__)


async def run_bot(settings: Settings) -> int:
    assert settings.discord_token is not None
    stopping = asyncio.Event()
    with on_stop_signals(stopping.set):
        async with open_services(settings) as services:
            bot = FluxBot(services)
            async with bot:
                try:
                    await bot.login(settings.discord_token.get_secret_value())
                except discord.LoginFailure:
                    raise ConfigurationError(LOGIN_REFUSED) from None  # one line, exit 2
                # Jobs left from before a restart resume now: the bot can already post over REST.
                await services.manager.start()
                async with serve(settings, services, bot):
                    await connect_until(bot, stopping)
    return 0


async def connect_until(bot: FluxBot, stopping: asyncio.Event) -> None:
    """Stay on the gateway until the connection ends by itself (its error is raised) or a stop."""
    connection = asyncio.create_task(bot.connect(), name="fluxbot-gateway")
    stop_asked = asyncio.create_task(stopping.wait(), name="fluxbot-stop-signal")
    await asyncio.wait({connection, stop_asked}, return_when=asyncio.FIRST_COMPLETED)
    stop_asked.cancel()
    if connection.done():
        connection.result()
        return
    await stop_cleanly(bot, connection)


async def stop_cleanly(bot: FluxBot, connection: asyncio.Task[None]) -> None:
    """Interactions first, then the jobs (left in their state), then the gateway and HTTP session."""
    started = time.monotonic()
    cut_short = await bot.gate.drain()
    # Before Discord's session closes: a job posting progress must be cancelled, not see it closed.
    await bot.services.manager.stop(grace=SUBMIT_GRACE_SECONDS)
    # The reader goes first: racing `close`, it would end the socket with 4000 (resumable, so the
    # bot would look online for a while) instead of the 1000 that ends the session at once.
    connection.cancel()
    await asyncio.gather(connection, return_exceptions=True)
    async with asyncio.timeout(CLOSE_SECONDS):
        await bot.close()
    log.info(
        "stopped in %.0f ms (%d interaction(s) cut short); unfinished jobs resume at the next start",
        (time.monotonic() - started) * 1000,
        cut_short,
    )
