"""`/privacy export` (a member's own data in this server, privately) and `/admin privacy erase member:`.

The erase command lives under `/admin` (Manage Server) but in this extension: it is attached to the
`/admin` group of `cogs.admin` when this cog loads, so the admin cog stays about quota and settings.
Like every `/admin` subcommand it checks Manage Server itself (`require_admin`). Both answer with a
private "thinking" first and say what was done once the store has done it.
"""

from __future__ import annotations

import asyncio
import gzip
import io
from typing import TYPE_CHECKING, cast

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.language import locale_of
from bot.discord.permissions import require_admin
from bot.errors import NotAllowed
from bot.i18n import t, text
from bot.store.privacy import erase_member, export_member
from bot.store.retention import MB

if TYPE_CHECKING:
    from bot.discord.client import FluxBot


def export_file(data: bytes, guild_id: int, limit: int) -> discord.File:
    """The export as an attachment Discord accepts (`limit`: what it allows this interaction).

    A busy member's year passes Discord's upload limit as JSON (the ledger is kept for good), and
    Discord then refuses the whole answer; gzipped, JSON shrinks about tenfold.
    """
    name = f"fluxbot-export-{guild_id}.json"
    if len(data) <= limit:
        return discord.File(io.BytesIO(data), filename=name)
    packed = gzip.compress(data, mtime=0)
    if len(packed) <= limit:
        return discord.File(io.BytesIO(packed), filename=name + ".gz")
    raise NotAllowed(text("privacy-export-too-large", size=len(packed) / MB, limit=limit / MB))


def _bot(interaction: discord.Interaction) -> FluxBot:
    return cast("FluxBot", interaction.client)


class PrivacyAdmin(app_commands.Group):
    """`/admin privacy ...`: attached to the `/admin` group by `Privacy.cog_load`."""

    def __init__(self) -> None:
        super().__init__(name="privacy", description="Members' data kept by the bot in this server")

    @app_commands.command(
        name="erase",
        description="Delete a member's prompts, images and inputs here; the ledger is pseudonymised",
    )
    @app_commands.describe(member="The member whose data in this server is erased")
    async def erase(self, interaction: discord.Interaction, member: discord.User) -> None:
        require_admin(interaction, "erase a member's data")
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        services = _bot(interaction).services
        done = await erase_member(
            services.db, services.jobs, interaction.guild_id, member.id, interaction.user.id
        )
        # The audit line names the admin, not the member whose data is gone.
        await services.admin.erased(interaction.guild_id, done.jobs, actor_id=interaction.user.id)
        language = await locale_of(interaction)
        await interaction.followup.send(
            t(
                language,
                "privacy-erased",
                member=member.mention,
                jobs=done.jobs,
                size=done.freed / MB,
                entries=done.entries,
            ),
            ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none(),
        )


class Privacy(commands.Cog):
    privacy = app_commands.Group(
        name="privacy", description="Your data kept by this bot in this server", guild_only=True
    )

    def __init__(self, bot: FluxBot) -> None:
        self.bot = bot
        self.admin_privacy = PrivacyAdmin()

    async def cog_load(self) -> None:
        admin = self.bot.tree.get_command("admin")
        if not isinstance(admin, app_commands.Group):
            raise RuntimeError("cogs.privacy needs cogs.admin loaded first (EXTENSIONS order)")
        admin.add_command(self.admin_privacy)

    async def cog_unload(self) -> None:
        admin = self.bot.tree.get_command("admin")
        if isinstance(admin, app_commands.Group):
            admin.remove_command(self.admin_privacy.name)

    @privacy.command(
        name="export", description="Your jobs, prompts and charges in this server, as a JSON file"
    )
    async def export(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        data = await export_member(self.bot.services.db, interaction.guild_id, interaction.user.id)
        file = await asyncio.to_thread(export_file, data, interaction.guild_id, interaction.filesize_limit)
        await interaction.followup.send(
            t(await locale_of(interaction), "privacy-exported"),
            file=file,
            ephemeral=True,
        )


async def setup(bot: FluxBot) -> None:
    await bot.add_cog(Privacy(bot))
