"""The discord.py client: loads the cogs, wires the job sink, syncs commands when they changed."""

from __future__ import annotations

import logging
from typing import Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import Services
from bot.discord.audit import AuditDesk
from bot.discord.buttons import DYNAMIC_ITEMS, batch_view, form_submitted, result_buttons
from bot.discord.command_sync import sync_if_changed
from bot.discord.delivery import DiscordSink
from bot.discord.replies import FluxTree
from bot.discord.shutdown import InteractionGate
from bot.discord.translator import CatalogueTranslator, make_translatable
from bot.jobs.model import Origin
from bot.store.bot_state import BotState

log = logging.getLogger(__name__)

#: Every extension, in load order. A test loads each of them.
EXTENSIONS = (
    "cogs.imagine",
    "cogs.edit",
    "cogs.tools",  # /fill, /expand
    "cogs.finetune",
    "cogs.quota",
    "cogs.history",
    "cogs.admin",
    "cogs.privacy",  # after cogs.admin: it adds `/admin privacy`
    "cogs.jobs",
    "cogs.settings",
    "cogs.dashboard",
    "cogs.context_menus",
    "cogs.models",
    "cogs.owner",  # only in OWNER_GUILD_IDS, when set
    "cogs.help",  # reads the whole command tree when asked, so it sees every command above
)

#: Only guild events (the guilds it is in, their channels and roles, for permission checks).
#: Interactions need no intent; members are fetched over REST when needed (`/admin`), so no
#: privileged intent either.
INTENTS = discord.Intents(guilds=True)

#: "auto" (running): global commands when they changed since the last sync, plus the dev guild
#: copy; "global": always (tests under SimCord); "none": `sync-commands` does it itself.
SyncMode = Literal["auto", "global", "none"]


class FluxBot(commands.Bot):
    def __init__(self, services: Services, *, sync: SyncMode = "auto", **gateway: Any) -> None:
        # The bot uses no voice: without this, discord.py warns at every start that PyNaCl and
        # davey (voice-only libraries) are missing.
        discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=INTENTS,
            max_messages=None,  # no message cache: the bot reads no messages, only interactions
            help_command=None,
            tree_cls=FluxTree,
            # Nobody is pinged unless a message names its one requester (bot/discord/delivery.py).
            allowed_mentions=discord.AllowedMentions.none(),
            # Every command, in servers that installed the bot only: a user install could otherwise
            # run /admin or spend the operator's credits anywhere (DMs, other servers).
            allowed_installs=app_commands.AppInstallationType(guild=True, user=False),
            allowed_contexts=app_commands.AppCommandContext(
                guild=True, dm_channel=False, private_channel=False
            ),
            **gateway,
        )
        self.services = services
        #: Each server's audit channel; its poster is started beside the job manager (runner.py).
        self.audit = AuditDesk(
            self, services.audit, services.quota.guilds, BotState(services.db), recorder=services.admin.audit
        )
        self.sink = DiscordSink(
            self,
            services.jobs,
            queue_position=services.manager.queue_position,
            view_factory=result_buttons,
            batch_view_factory=batch_view,
            audit=self.audit.job_ended,
            default_language=services.settings.default_language,
            follows=services.manager.drive,  # a gateway's jobs are followed by the workers' sinks
        )
        if services.manager.drive and services.manager.claim_store is not None:
            services.manager.claim_store.on_deliveries = self.sink.know_deliveries  # as a worker's
        self.sync_mode: SyncMode = sync
        #: Closed by a stop signal: from then on each interaction is answered "restarting".
        self.gate = InteractionGate(self)
        #: Every DynamicItem class registered (ours and the cogs'), so that the catch-all for
        #: unknown `fluxbot:` buttons stays silent when another item owns the id.
        self.dynamic_item_types: list[type[discord.ui.DynamicItem[Any]]] = []

    def add_dynamic_items(self, *items: type[discord.ui.DynamicItem[Any]]) -> None:
        self.dynamic_item_types.extend(items)
        super().add_dynamic_items(*items)

    async def setup_hook(self) -> None:
        # Buttons under results posted before a restart keep working: they are matched by template.
        self.add_dynamic_items(*DYNAMIC_ITEMS)
        # The Edit form likewise: handled from its custom_id, by no object kept in memory.
        self.add_listener(form_submitted, "on_interaction")
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        # Command names and descriptions in each member's language (bot/i18n), synced with them.
        make_translatable(self.tree)
        await self.tree.set_translator(CatalogueTranslator())
        self.services.manager.register_sink(Origin.DISCORD, self.sink)
        self.services.balance.on_low(self.audit.low_balance)
        await self._sync()

    async def _sync(self) -> None:
        settings = self.services.settings
        dev_guild = settings.discord_dev_guild_id
        if self.sync_mode == "global":
            await self.tree.sync()
            for guild_id in settings.owner_guild_ids:  # /owner lives only there
                await self.tree.sync(guild=discord.Object(id=guild_id))
        elif self.sync_mode == "auto":
            state = BotState(self.services.db)
            await sync_if_changed(self.tree, state)
            # A copy in DISCORD_DEV_GUILD_ID, which shows at once (global changes can take an hour).
            if dev_guild:
                await sync_if_changed(self.tree, state, dev_guild)
            for guild_id in settings.owner_guild_ids:
                if guild_id != dev_guild:  # the dev guild's sync above carries /owner too
                    await sync_if_changed(self.tree, state, guild_id, copy_global=False)

    async def on_ready(self) -> None:
        log.info("connected as %s to %d guild(s)", self.user, len(self.guilds))


class ShardedFluxBot(FluxBot, commands.AutoShardedBot):
    """The bot as `python -m bot run` connects it: `SHARD_COUNT` shards in all (Discord's recommended
    count when unset), of which this process runs `SHARD_IDS` (all when unset)."""


def gateway_bot(services: Services) -> ShardedFluxBot:
    settings = services.settings
    return ShardedFluxBot(services, shard_count=settings.shard_count, shard_ids=settings.shard_ids)
