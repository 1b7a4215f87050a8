"""Many members at once, without the privileged members intent.

`/admin quota reset scope:role` and `/admin quota usage` need the roles and names of up to
thousands of members who are not in the cache. One `fetch_member` (a REST call) each took up to
10,000 sequential requests; instead they are asked for over the gateway, 100 ids per
REQUEST_GUILD_MEMBERS (`Guild.query_members(user_ids=...)`, Discord's maximum per request, as
large bots do, e.g. Rapptz/RoboDanny's `resolve_member_ids`).
"""

from __future__ import annotations

from collections.abc import Iterable

import discord

from bot.errors import UserFacingError

#: The most user ids Discord answers in one REQUEST_GUILD_MEMBERS.
BATCH = 100


class LookupFailed(UserFacingError):
    """Discord did not answer a member lookup in time; nothing was changed."""


async def members_by_id(guild: discord.Guild, user_ids: Iterable[int]) -> dict[int, discord.Member]:
    """The members among `user_ids`: from the cache, the rest from Discord in batches of 100.

    Ids of people who left the guild are simply absent. Raises `LookupFailed` when Discord does
    not answer (callers look members up before they write anything).
    """
    found: dict[int, discord.Member] = {}
    missing: list[int] = []
    for user_id in dict.fromkeys(user_ids):
        member = guild.get_member(user_id)
        if member is None:
            missing.append(user_id)
        else:
            found[user_id] = member
    for start in range(0, len(missing), BATCH):
        batch = missing[start : start + BATCH]
        try:
            # cache=False: without member updates (privileged intent) a cached role list goes stale.
            members = await guild.query_members(user_ids=batch, limit=BATCH, cache=False)
        except TimeoutError:  # asyncio.TimeoutError since 3.11
            raise LookupFailed(
                "Discord did not answer the member lookup in time, so nothing was changed. Try again."
            ) from None
        found.update((member.id, member) for member in members)
    return found


async def with_role(guild: discord.Guild, user_ids: Iterable[int], role: discord.Role) -> list[int]:
    """Those of `user_ids` who are members with `role`, in the order given."""
    ids = list(user_ids)
    members = await members_by_id(guild, ids)
    return [uid for uid in ids if uid in members and role in members[uid].roles]


def name_of(members: dict[int, discord.Member], user_id: int) -> str:
    member = members.get(user_id)
    return member.display_name if member is not None else f"member {user_id}"
