"""Running the bot: services, then the Discord client, then the job manager and the web server.

`--role` (bot/roles.py) picks what this process does: `all` (the default) everything; `gateway` the
Discord gateway, storing jobs for the workers; `worker` the jobs, delivered over Discord's REST API
with no gateway connection (bot/discord/rest.py). SIGTERM and SIGINT stop it cleanly
(bot/discord/shutdown.py): exit 0, jobs left to the next start (or another worker).
"""

from __future__ import annotations

import asyncio
import logging
import time

import discord

from bot.app import Services, open_services
from bot.discord.client import FluxBot, gateway_bot
from bot.discord.delivery import TOKEN_LIFETIME
from bot.discord.rest import RestClient, rest_sink
from bot.discord.shutdown import CLOSE_SECONDS, SUBMIT_GRACE_SECONDS, on_stop_signals
from bot.errors import LOGIN_REFUSED, ConfigurationError
from bot.jobs.model import Job, Origin
from bot.roles import Role
from bot.settings import Settings
from bot.web import serve

log = logging.getLogger(__name__)


async def run_bot(settings: Settings, role: Role = Role.ALL) -> int:
    """Until a stop signal. The caller holds `bot.roles.may_run` (SQLite: one process, `all`)."""
    assert settings.discord_token is not None
    token = settings.discord_token.get_secret_value()
    stopping = asyncio.Event()
    with on_stop_signals(stopping.set):
        async with open_services(settings, drive=role.drives_jobs) as services:
            if not role.has_gateway:
                await run_worker(services, token, stopping)
                return 0
            bot = gateway_bot(services)
            async with bot:
                await log_in(bot, token)
                # Jobs left from before a restart resume now: the bot can already post over REST.
                # (A gateway's manager drives nothing: the workers resume them.)
                await services.manager.start()
                await follow_queued_replies(services)
                bot.audit.start()  # posts the servers' audit lines (workers only store theirs)
                services.balance.start()
                try:
                    async with serve(settings, services, bot, role):
                        log.info("role %s: connecting to Discord's gateway", role)
                        await connect_until(bot, stopping)
                finally:
                    await services.balance.stop()
                    await bot.audit.stop()
    return 0


async def follow_queued_replies(services: Services) -> None:
    """On PostgreSQL, at a gateway's start: the replies of jobs still queued that it (or its last
    run, before a restart) accepted for its shards' servers show their new place again as the
    workers take the jobs ahead (bot/jobs/positions.py). Only replies Discord still lets us edit."""
    shared = services.manager.shared
    if shared is None:
        return
    settings = services.settings
    shards, count = settings.shard_ids, settings.shard_count

    def owns(job: Job) -> bool:  # Discord's rule: a server's shard; direct messages are shard 0's
        return shards is None or count is None or ((job.guild_id or 0) >> 22) % count in shards

    found = await shared.positions.pick_up([Origin.DISCORD.value], within=TOKEN_LIFETIME, owns=owns)
    if found:
        log.info("following the queue positions of %d replies accepted before this start", found)


async def log_in(client: discord.Client, token: str) -> None:
    try:
        await client.login(token)
    except discord.LoginFailure:
        raise ConfigurationError(LOGIN_REFUSED) from None  # one line, exit 2


async def run_worker(services: Services, token: str, stopping: asyncio.Event) -> None:
    """Drive jobs and deliver over REST until a stop; the jobs in hand are left in their state."""
    client = RestClient()
    async with client:
        await log_in(client, token)
        services.manager.register_sink(Origin.DISCORD, rest_sink(client, services))
        await services.manager.start()
        async with serve(services.settings, services, None, Role.WORKER):
            log.info("role worker: driving jobs, delivering through Discord's REST API (no gateway)")
            await stopping.wait()
            started = time.monotonic()
            await services.manager.stop(grace=SUBMIT_GRACE_SECONDS)
    log.info(
        "stopped in %.0f ms; unfinished jobs resume at the next start", (time.monotonic() - started) * 1000
    )


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
