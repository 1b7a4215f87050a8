"""A worker's Discord (`--role worker`): the REST API only, no gateway connection.

discord.py logs in over REST (`Client.login`: the bot's user and application) without `connect()`.
The `DiscordSink` then works as in one process, from each job's stored delivery record
(bot/store/deliveries.py): while the interaction's token is valid (15 minutes) it edits the
member's reply through the interaction's webhook by the token alone (`@original`: the reply's
message id the gateway stores may come later than the image); after that it posts in the stored channel with
the bot's token, else sends a DM. The buttons under a result are the same DynamicItems
(`result_view`), matched by their custom_id, so whichever gateway is up answers them later.
"""

from __future__ import annotations

import discord

from bot.app import Services
from bot.discord.audit import AuditDesk
from bot.discord.buttons import batch_view, result_buttons
from bot.discord.client import INTENTS
from bot.discord.delivery import DiscordSink
from bot.store.bot_state import BotState


class RestClient(discord.Client):
    """Logged in, never connected: `http`, partial channels and interaction webhooks work."""

    def __init__(self) -> None:
        discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
        super().__init__(intents=INTENTS, max_messages=None, allowed_mentions=discord.AllowedMentions.none())


def rest_sink(client: discord.Client, services: Services) -> DiscordSink:
    """The job sink a worker delivers through: as the gateway's, without a live interaction.

    Its jobs' audit lines are stored for the servers' audit channels; a gateway posts them (a
    worker knows no guild, so its own `AuditDesk` is never started).
    """
    audit = AuditDesk(
        client, services.audit, services.quota.guilds, BotState(services.db), recorder=services.admin.audit
    )
    sink = DiscordSink(
        client,
        services.jobs,
        queue_position=services.manager.queue_position,
        view_factory=result_buttons,
        batch_view_factory=batch_view,
        audit=audit.job_ended,
        default_language=services.settings.default_language,  # as the gateway's (client.py)
    )
    if services.manager.claim_store is not None:  # each claim brings its jobs' delivery records
        services.manager.claim_store.on_deliveries = sink.know_deliveries
    return sink
