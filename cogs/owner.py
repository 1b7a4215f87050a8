"""`/owner pause|resume|block|unblock|blocks|stats`: the bot owners' controls (`BOT_OWNER_IDS`).

Registered only in the servers listed in `OWNER_GUILD_IDS` (not at all when none is), hidden
there from all but administrators, and refused to anyone not in `BOT_OWNER_IDS` whoever sees it.
The pause and the blocks are kept in the store (bot/store/operator.py), so every process of the
bot obeys them and a restart keeps them; they are checked on the one path that starts a job
(bot/discord/start.py), before anything is held. Running jobs finish. `/owner blocks` lists the
blocks, newest first, as pages within Discord's embed limits (bot/discord/pages.py).
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
from bot.discord.pages import Page, PageSelect, message
from bot.discord.render import COLOUR, join_within, plain
from bot.errors import InvalidInput, NotAllowed
from bot.i18n import t, text
from bot.store.operator import BlockEntry

if TYPE_CHECKING:
    from bot.discord.client import FluxBot

#: `/owner stats` periods: the last day, week or 30 days.
PERIODS = {"day": 86_400, "week": 7 * 86_400, "month": 30 * 86_400}


#: The select of `/owner blocks`' pages (`fluxbot:pages:blocks`).
TOPIC = "blocks"
#: A page's description at most (Discord's limit is 4,096; the rest is room for the footer).
PAGE_CHARS = 3900
#: Pages a select can offer; blocks past them are counted, not listed.
MAX_PAGES = 25


def parse_target(typed: str, kind: str) -> int:
    match = re.fullmatch(r"\s*(?:<@!?(\d+)>|(\d{15,21}))\s*", typed)
    if match is None:
        raise InvalidInput(text("owner-bad-id", kind=kind))
    return int(match.group(1) or match.group(2))


def block_line(bot: FluxBot, block: BlockEntry, language: str) -> str:
    """One block: who or which server, why, by whom, since when (a Discord timestamp)."""
    if block.kind == "member":
        target = f"<@{block.target_id}> (`{block.target_id}`)"
    else:
        guild = bot.get_guild(block.target_id)
        target = f"{plain(guild.name, 60)} (`{block.target_id}`)" if guild else f"`{block.target_id}`"
    when = discord.utils.format_dt(datetime.fromtimestamp(block.created_at, UTC), "R")
    by = f"<@{block.actor_id}>" if block.actor_id else "?"
    if block.reason:
        return t(
            language,
            "owner-blocks-line",
            kind=block.kind,
            target=target,
            reason=plain(block.reason, 300),
            by=by,
            when=when,
        )
    return t(language, "owner-blocks-line-no-reason", kind=block.kind, target=target, by=by, when=when)


async def block_pages(bot: FluxBot, language: str) -> list[Page]:
    """Every block, newest first, as pages of lines within an embed's description."""
    owner = bot.services.owner
    blocks = await owner.blocks()
    total = await owner.block_count()
    title = t(language, "owner-blocks-title", count=total)
    if not blocks:
        return [Page(TOPIC, title, title, t(language, "owner-blocks-none"))]
    pages: list[list[str]] = [[]]
    for block in blocks:
        line = block_line(bot, block, language)
        if pages[-1] and sum(len(x) + 1 for x in pages[-1]) + len(line) > PAGE_CHARS:
            if len(pages) == MAX_PAGES:
                break
            pages.append([])
        pages[-1].append(line)
    shown = sum(len(lines) for lines in pages)
    if shown < total:
        # The last page makes room for the line that counts the rest (sized for the largest count;
        # PAGE_CHARS leaves more room still under Discord's 4,096).
        last = pages[-1]
        room = len(t(language, "owner-blocks-more", count=total)) + 1
        while last and sum(len(x) + 1 for x in last) + room > PAGE_CHARS:
            last.pop()
        last.append(t(language, "owner-blocks-more", count=total - sum(len(lines) for lines in pages)))
    return [
        Page(
            f"{TOPIC}-{number}" if number > 1 else TOPIC,
            t(language, "owner-blocks-page", page=number),
            title,
            "\n".join(lines),
        )
        for number, lines in enumerate(pages, start=1)
    ]


class BlockPages(PageSelect, template=r"fluxbot:pages:blocks"):
    topic = TOPIC

    async def build(self, interaction: discord.Interaction) -> list[Page]:
        bot: FluxBot = interaction.client  # type: ignore[assignment]
        if interaction.user.id not in bot.services.settings.bot_owner_ids:
            raise NotAllowed(text("owner-only"))
        return await block_pages(bot, await locale_of(interaction))


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

    @owner.command(name="blocks", description="The blocked members and servers, with reason and when")
    async def blocks(self, interaction: discord.Interaction) -> None:
        self.require_owner(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        pages = await block_pages(self.bot, await locale_of(interaction))
        await interaction.followup.send(
            **message(pages, TOPIC), ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
        )

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
    bot.add_dynamic_items(BlockPages)
    await bot.add_cog(Owner(bot), guilds=[discord.Object(id=g) for g in guild_ids])
