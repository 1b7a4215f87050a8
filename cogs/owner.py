"""`/owner pause|resume|block|unblock|stats`: the bot owners' controls (`BOT_OWNER_IDS`).

Registered only in the servers listed in `OWNER_GUILD_IDS` (not at all when none is), hidden
there from all but administrators, and refused to anyone not in `BOT_OWNER_IDS` whoever sees it.
The pause and the blocks are kept in the store (bot/store/operator.py), so every process of the
bot obeys them and a restart keeps them; they are checked on the one path that starts a job
(bot/discord/start.py), before anything is held. Running jobs finish.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.language import locale_of
from bot.discord.render import COLOUR, join_within, plain
from bot.errors import InvalidInput, NotAllowed
from bot.i18n import t, text

if TYPE_CHECKING:
    from bot.discord.client import FluxBot

#: `/owner stats` periods: the last day, week or 30 days.
PERIODS = {"day": 86_400, "week": 7 * 86_400, "month": 30 * 86_400}


def parse_target(typed: str, kind: str) -> int:
    match = re.fullmatch(r"\s*(?:<@!?(\d+)>|(\d{15,21}))\s*", typed)
    if match is None:
        raise InvalidInput(text("owner-bad-id", kind=kind))
    return int(match.group(1) or match.group(2))


class Owner(commands.Cog):
    owner = app_commands.Group(
        name="owner",
        description="The bot owners' controls",
        guild_only=True,
        default_permissions=discord.Permissions(administrator=True),
    )

    def __init__(self, bot: FluxBot) -> None:
        self.bot = bot

    def require_owner(self, interaction: discord.Interaction) -> None:
        """Checked by every subcommand itself, like `require_admin`: the client only hides `/owner`."""
        if interaction.user.id not in self.bot.services.settings.bot_owner_ids:
            raise NotAllowed(text("owner-only"))

    @owner.command(name="pause", description="Refuse new jobs everywhere (running jobs finish)")
    @app_commands.describe(reason="Shown to members whose new jobs are refused")
    async def pause(
        self, interaction: discord.Interaction, reason: app_commands.Range[str, 1, 300] | None = None
    ) -> None:
        self.require_owner(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        await self.bot.services.owner.pause(reason or "", by=interaction.user.id)
        language = await locale_of(interaction)
        said = (
            t(language, "owner-paused-reason", reason=plain(reason, 300))
            if reason
            else t(language, "owner-paused")
        )
        await interaction.followup.send(said, ephemeral=True)

    @owner.command(name="resume", description="Accept new jobs again")
    async def resume(self, interaction: discord.Interaction) -> None:
        self.require_owner(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        was = await self.bot.services.owner.resume()
        language = await locale_of(interaction)
        await interaction.followup.send(
            t(language, "owner-resumed" if was else "owner-not-paused"), ephemeral=True
        )

    @owner.command(name="block", description="Refuse new jobs of a member or a server")
    @app_commands.describe(
        kind="A member or a server", target="Its id (or a member's mention)", reason="Kept for the owners"
    )
    async def block(
        self,
        interaction: discord.Interaction,
        kind: Literal["member", "guild"],
        target: str,
        reason: app_commands.Range[str, 1, 300] | None = None,
    ) -> None:
        self.require_owner(interaction)
        target_id = parse_target(target, kind)
        await interaction.response.defer(ephemeral=True, thinking=True)
        fresh = await self.bot.services.owner.block(kind, target_id, reason, by=interaction.user.id)
        key = "owner-blocked" if fresh else "owner-block-updated"
        language = await locale_of(interaction)
        await interaction.followup.send(t(language, key, kind=kind, id=str(target_id)), ephemeral=True)

    @owner.command(name="unblock", description="Accept a blocked member's or server's jobs again")
    @app_commands.describe(kind="A member or a server", target="Its id (or a member's mention)")
    async def unblock(
        self, interaction: discord.Interaction, kind: Literal["member", "guild"], target: str
    ) -> None:
        self.require_owner(interaction)
        target_id = parse_target(target, kind)
        await interaction.response.defer(ephemeral=True, thinking=True)
        removed = await self.bot.services.owner.unblock(kind, target_id)
        key = "owner-unblocked" if removed else "owner-not-blocked"
        language = await locale_of(interaction)
        await interaction.followup.send(t(language, key, kind=kind, id=str(target_id)), ephemeral=True)

    @owner.command(name="stats", description="Jobs, credits and errors per server and provider")
    @app_commands.describe(period="The last day, week or 30 days")
    async def stats(
        self, interaction: discord.Interaction, period: Literal["day", "week", "month"] = "day"
    ) -> None:
        self.require_owner(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        owner = self.bot.services.owner
        rows = await owner.stats(time.time() - PERIODS[period])
        language = await locale_of(interaction)
        embed = discord.Embed(title=t(language, "owner-stats-title", period=period), colour=COLOUR)
        lines = []
        for row in rows:
            guild = self.bot.get_guild(row.guild_id) if row.guild_id is not None else None
            name = (
                f"{plain(guild.name, 60)} (`{row.guild_id}`)"
                if guild is not None
                else (f"`{row.guild_id}`" if row.guild_id is not None else t(language, "owner-no-guild"))
            )
            lines.append(
                t(
                    language,
                    "owner-stats-line",
                    guild=name,
                    provider=row.provider,
                    jobs=row.jobs,
                    errors=row.errors,
                    credits=row.credits,
                )
            )
        embed.description = (
            join_within(lines, 4000) if lines else t(language, "owner-stats-none", period=period)
        )
        pause = await owner.paused()
        if pause is not None:
            when = discord.utils.format_dt(datetime.fromtimestamp(pause.at, UTC), "R")
            embed.add_field(
                name=t(language, "owner-paused-field"), value=f"{when} {plain(pause.reason, 200)}".strip()
            )
        await interaction.followup.send(embed=embed, ephemeral=True)


async def setup(bot: FluxBot) -> None:
    guild_ids = bot.services.settings.owner_guild_ids
    if not guild_ids:
        return  # /owner exists nowhere
    await bot.add_cog(Owner(bot), guilds=[discord.Object(id=g) for g in guild_ids])
