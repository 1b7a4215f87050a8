"""Who a signed-in member is in a server, as the bot sees it now: the answer behind every page.

Nothing the browser sends decides it. `DiscordDirectory` asks the bot's gateway cache first and
Discord's REST API when the cache does not know (the bot requests no member intent), on every
request: a member who lost Manage Server, or left, loses the operator pages at the next click.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import discord


@dataclass(frozen=True, slots=True)
class WebMember:
    guild_id: int
    guild_name: str
    user_id: int
    display_name: str
    role_ids: tuple[int, ...]
    manage_guild: bool


class Directory(Protocol):
    async def member(self, guild_id: int, user_id: int) -> WebMember | None:
        """The member as the bot sees them now, or None (not a member, or a server the bot left)."""

    async def names(self, guild_id: int, user_ids: Sequence[int]) -> dict[int, str]: ...

    def shared(self, guild_ids: Sequence[int]) -> list[int]:
        """Those of these servers the bot is in, as far as it knows without asking (order kept)."""

    async def roles(self, guild_id: int) -> list[tuple[int, str]]: ...

    async def text_channels(self, guild_id: int) -> list[tuple[int, str]]: ...

    async def delete_message(self, channel_id: int, message_id: int) -> None: ...


class DiscordDirectory:
    """A `Directory` over a logged-in discord.py client (the bot itself in production)."""

    def __init__(self, client: discord.Client) -> None:
        self.client = client

    async def _guild(self, guild_id: int) -> discord.Guild | None:
        guild = self.client.get_guild(guild_id)
        if guild is not None:
            return guild
        try:
            return await self.client.fetch_guild(guild_id)
        except (discord.NotFound, discord.Forbidden):
            return None

    async def _member(self, guild: discord.Guild, user_id: int) -> discord.Member | None:
        member = guild.get_member(user_id)
        if member is not None:
            return member
        try:
            return await guild.fetch_member(user_id)
        except (discord.NotFound, discord.Forbidden):
            return None

    async def member(self, guild_id: int, user_id: int) -> WebMember | None:
        guild = await self._guild(guild_id)
        if guild is None:
            return None
        member = await self._member(guild, user_id)
        if member is None:
            return None
        permissions = member.guild_permissions
        return WebMember(
            guild_id=guild.id,
            guild_name=guild.name,
            user_id=member.id,
            display_name=member.display_name,
            role_ids=tuple(r.id for r in member.roles if not r.is_default()),
            manage_guild=bool(permissions.manage_guild or permissions.administrator),
        )

    def shared(self, guild_ids: Sequence[int]) -> list[int]:
        if not self.client.guilds:  # no gateway (REST only): nothing to go by, each is asked
            return list(guild_ids)
        return [g for g in guild_ids if self.client.get_guild(g) is not None]

    async def names(self, guild_id: int, user_ids: Sequence[int]) -> dict[int, str]:
        guild = await self._guild(guild_id)
        names: dict[int, str] = {}
        if guild is None:
            return names
        for user_id in user_ids[:25]:
            member = await self._member(guild, user_id)
            if member is not None:
                names[user_id] = member.display_name
        return names

    async def roles(self, guild_id: int) -> list[tuple[int, str]]:
        guild = await self._guild(guild_id)
        if guild is None:
            return []
        return [(r.id, r.name) for r in sorted(guild.roles, reverse=True) if not r.is_default()]

    async def text_channels(self, guild_id: int) -> list[tuple[int, str]]:
        guild = await self._guild(guild_id)
        if guild is None:
            return []
        channels: Sequence[object] = guild.channels or await guild.fetch_channels()
        return [(c.id, c.name) for c in channels if isinstance(c, discord.TextChannel)]

    async def delete_message(self, channel_id: int, message_id: int) -> None:
        """The posted image's message, as the Delete button removes it; gone already is fine."""
        with contextlib.suppress(discord.NotFound):
            await self.client.http.delete_message(channel_id, message_id)
