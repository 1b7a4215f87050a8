"""`/history [member]`: recent jobs in this server with state, cost and a link to the posted image.

Ephemeral and paged. The page buttons are `DynamicItem`s whose custom_id carries only the member
and the page (`fluxbot:history:<member>:<page>`): the page is read from the store on each click, so
they keep working after a restart, and the permission is checked again on every click.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.language import locale_of
from bot.discord.permissions import require_admin
from bot.discord.render import COLOUR, EMBED_DESCRIPTION_MAX, join_within, plain, shown_prompt
from bot.i18n import t
from bot.store.jobs import HistoryEntry

if TYPE_CHECKING:
    from bot.app import Services
    from bot.discord.client import FluxBot

PAGE_SIZE = 5

STATE_ICONS = {
    "queued": "⏳",
    "submitting": "📨",
    "running": "🎨",
    "fetching": "📥",
    "delivering": "📥",
    "delivered": "✅",
    "failed": "❌",
    "moderated": "🚫",
    "timed_out": "⌛",
    "cancelled": "✖️",
    "undeliverable": "⚠️",
}


def jump_url(row: HistoryEntry) -> str | None:
    """A link to the posted image, when there is one."""
    if row.result_message_id is None or row.channel_id is None:
        return None
    where = row.guild_id or "@me"
    return f"https://discord.com/channels/{where}/{row.channel_id}/{row.result_message_id}"


async def history_page(
    services: Services, guild_id: int | None, user_id: int, page: int
) -> tuple[list[HistoryEntry], int]:
    """One page of a member's jobs in this guild, newest first, and the number of pages."""
    return await services.jobs.history(user_id, guild_id, page=page, page_size=PAGE_SIZE)


def _line(row: HistoryEntry, language: str) -> str:
    when = discord.utils.format_dt(datetime.fromtimestamp(row.created_at, UTC), "R")
    prompt = shown_prompt(row.prompt, 80, language)
    if row.state == "delivered":
        cost = (
            t(language, "credits-text", amount=row.cost)
            if row.cost is not None
            else t(language, "history-charged")
        )
    elif row.cost is not None:
        cost = t(language, "history-charged-by-provider", amount=row.cost)
    elif row.state in ("queued", "submitting", "running", "fetching", "delivering"):
        cost = t(language, "history-held", amount=row.estimate)
    else:
        cost = t(language, "history-nothing-charged")
    link = f" · [{t(language, 'history-image')}]({url})" if (url := jump_url(row)) else ""
    icon = STATE_ICONS.get(row.state, "•")
    state = t(language, f"state-{row.state}") if row.state in STATE_ICONS else row.state
    return f"{icon} **{state}** · `{row.model}` · {cost} · {when}{link}\n└ {prompt}"


def history_embed(name: str, rows: list[HistoryEntry], page: int, pages: int, language: str) -> discord.Embed:
    embed = discord.Embed(title=t(language, "history-title", member=plain(name)), colour=COLOUR)
    if rows:
        embed.description = join_within([_line(r, language) for r in rows], EMBED_DESCRIPTION_MAX)
    else:
        embed.description = t(language, "history-none")
    embed.set_footer(text=t(language, "history-page", page=min(page, pages - 1) + 1, pages=pages))
    return embed


class HistoryPageButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"fluxbot:history:(?P<user>[0-9]+):(?P<page>[0-9]+):(?P<dir>prev|next)",
):
    def __init__(
        self, user_id: int, page: int, direction: str, language: str, *, disabled: bool = False
    ) -> None:
        self.user_id = user_id
        self.page = page
        self.direction = direction
        super().__init__(
            discord.ui.Button(
                label=t(language, "history-newer" if direction == "prev" else "history-older"),
                style=discord.ButtonStyle.secondary,
                custom_id=f"fluxbot:history:{user_id}:{page}:{direction}",
                disabled=disabled,
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> HistoryPageButton:
        return cls(int(match["user"]), int(match["page"]), match["dir"], await locale_of(interaction))

    async def callback(self, interaction: discord.Interaction) -> None:
        if self.user_id != interaction.user.id:
            require_admin(interaction, "see someone else's history")
        bot: FluxBot = interaction.client  # type: ignore[assignment]
        member = interaction.guild.get_member(self.user_id) if interaction.guild else None
        name = member.display_name if member else str(self.user_id)
        await interaction.response.defer()  # acknowledged before the store is read (issue 17, finding 7)
        language = await locale_of(interaction)
        embed, view = await render(
            bot.services, interaction.guild_id, self.user_id, name, self.page, language
        )
        await interaction.edit_original_response(embed=embed, view=view)


async def render(
    services: Services, guild_id: int | None, user_id: int, name: str, page: int, language: str
) -> tuple[discord.Embed, discord.ui.View]:
    rows, pages = await history_page(services, guild_id, user_id, page)
    page = max(0, min(page, pages - 1))
    view = discord.ui.View(timeout=None)
    newer = max(page - 1, 0)
    view.add_item(HistoryPageButton(user_id, newer, "prev", language, disabled=page == 0))
    view.add_item(HistoryPageButton(user_id, page + 1, "next", language, disabled=page >= pages - 1))
    return history_embed(name, rows, page, pages, language), view


class History(commands.Cog):
    def __init__(self, bot: FluxBot) -> None:
        self.bot = bot

    @app_commands.command(name="history", description="Your recent images: state, cost and links")
    @app_commands.describe(member="Whose history to show (Manage Server needed for others)")
    @app_commands.guild_only()
    async def history(self, interaction: discord.Interaction, member: discord.Member | None = None) -> None:
        target = member or interaction.user
        if target.id != interaction.user.id:
            require_admin(interaction, "see someone else's history")
        await interaction.response.defer(ephemeral=True, thinking=True)
        language = await locale_of(interaction)
        embed, view = await render(
            self.bot.services, interaction.guild_id, target.id, target.display_name, 0, language
        )
        await interaction.followup.send(embed=embed, view=view, ephemeral=True)


async def setup(bot: FluxBot) -> None:
    bot.add_dynamic_items(HistoryPageButton)
    await bot.add_cog(History(bot))
