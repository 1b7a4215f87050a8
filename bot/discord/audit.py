"""A server's audit channel (`/admin settings audit_channel:`): every job and every admin action.

`record(guild_id, line)` stores the line (table `audit_lines`) when the server has an audit channel,
and wakes the poster. The poster sends each server's waiting lines together, at most one message
per `interval` (5 s) per server, as many lines as fit in one message, and nobody is ever pinged
(`AllowedMentions.none()`: the member and admin mentions in the lines only show names). A line is
deleted only once its message is posted. When Discord answers 403 or 404 (the bot lost access, or
the channel is gone), the lines stay in the store, the server's owner and the admin who last set
its settings are told once by DM (until a post works again), and the poster tries again every
`retry` seconds, or at once when an admin sets the channel again.

The poster is a task of its own, started beside the job manager (bot/discord/runner.py), never
inside discord.py's tasks. Job lines come from the job sink's own ends (bot/discord/delivery.py),
admin lines from bot/admin_actions.py (`/admin` and the web dashboard alike), rule refusals from
bot/discord/start.py, low-balance warnings from bot/balance.py. Lines are kept by the services'
`AuditRecorder`, which wakes this poster.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

import discord

from bot.admin_actions import AuditRecorder
from bot.credits import format_credits
from bot.discord.render import plain
from bot.store.bot_state import BotState
from bot.store.guilds import GuildStore
from bot.store.operator import AuditLines

if TYPE_CHECKING:
    from bot.jobs.model import Job

log = logging.getLogger(__name__)

#: At most one audit message per server this often (seconds).
AUDIT_INTERVAL = 5.0
#: After the first line of a quiet moment, how long to wait for more to post together.
GATHER = 0.5
#: Seconds between tries at a channel the bot could not post in.
RETRY_AFTER = 60.0
#: One message's text (Discord's limit is 2,000 characters).
MESSAGE_CHARS = 1900
#: Lines read per message (they are packed up to MESSAGE_CHARS).
LINES_PER_MESSAGE = 40

#: The lines, in one place. Mentions only show names: nothing posted here pings.
LINES = {
    "delivered": "✅ {member} · `{model}` · {cost} · [result]({link})",
    "delivered_nolink": "✅ {member} · `{model}` · {cost}",
    "failed": "❌ {member} · `{model}` · {reason} · {cost}{link}",
    "charged": "{amount} credits",
    "not_charged": "nothing charged",
    "rule_refused": "🚫 {member} · prompt refused by the rule `{rule}` in {channel}",
    "low_balance": "⚠️ The bot's BFL balance is low: {balance} credits left (warning below {threshold}).",
    "lost": "I can no longer post in the audit channel <#{channel}> of **{guild}** (Discord answered "
    "{status}). {count} audit line(s) are waiting and will be posted once I can post there again; "
    "give me Send Messages there, or pick another channel with `/admin settings audit_channel:`.",
}


def job_line(job: Job, link: str | None, failure: str | None) -> str:
    """The audit line of a job's end: who, which model, what it cost, where the result or the failure
    is (`failure` None: delivered)."""
    member = f"<@{job.user_id}>"
    cost = LINES["charged"].format(amount=format_credits(job.cost)) if job.cost else LINES["not_charged"]
    if failure is None:
        key = "delivered" if link else "delivered_nolink"
        return LINES[key].format(member=member, model=job.model, cost=cost, link=link)
    return LINES["failed"].format(
        member=member,
        model=job.model,
        reason=plain(failure, 200) or "—",
        cost=cost,
        link=f" · [reply]({link})" if link else "",
    )


class AuditDesk:
    def __init__(
        self,
        client: discord.Client,
        lines: AuditLines,
        guilds: GuildStore,
        state: BotState,
        *,
        interval: float = AUDIT_INTERVAL,
        retry: float = RETRY_AFTER,
        gather: float = GATHER,
        clock: Callable[[], float] = time.monotonic,
        recorder: AuditRecorder | None = None,
    ) -> None:
        self.client = client
        self.lines = lines
        self.guilds = guilds
        self.state = state
        self.interval = interval
        self.retry = retry
        self.gather = gather
        self.clock = clock
        #: When each server may get its next message (clock seconds).
        self._next: dict[int, float] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        #: Where lines are kept: the services' own (`AdminActions.audit`), so lines the web
        #: dashboard records wake this poster too.
        self.recorder = recorder or AuditRecorder(guilds, lines)
        self.recorder.listeners.append(self._wake.set)

    # -- recording --------------------------------------------------------------------------------

    async def record(self, guild_id: int | None, line: str) -> bool:
        """Keep `line` for the server's audit channel, if it has one; whether it was kept.

        Never raises: an audit line must not fail the action it tells of.
        """
        return await self.recorder.record(guild_id, line)

    async def record_everywhere(self, line: str) -> int:
        """The same line in every server that has an audit channel (a low balance); how many."""
        kept = 0
        for guild_id in await self.guilds.audit_channels():
            kept += await self.record(guild_id, line)
        return kept

    async def low_balance(self, balance: Decimal, threshold: Decimal) -> None:
        await self.record_everywhere(
            LINES["low_balance"].format(balance=format_credits(balance), threshold=format_credits(threshold))
        )

    async def job_ended(self, job: Job, link: str | None, failure: str | None) -> None:
        """The job sink's audit hook (`DiscordSink.audit`)."""
        await self.record(job.guild_id, job_line(job, link, failure))

    async def channel_set(self, guild_id: int) -> None:
        """An admin set the audit channel: post what waits now, and tell of a new loss again."""
        self._next.pop(guild_id, None)
        await self.state.forget(_lost_key(guild_id))
        self._wake.set()

    # -- posting ----------------------------------------------------------------------------------

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="fluxbot-audit")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                wait = await self.post_due()
            except Exception:
                log.exception("posting audit lines failed; trying again shortly")
                wait = self.retry
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=wait)
                await asyncio.sleep(self.gather)  # let a burst of lines gather into one message
            except TimeoutError:
                pass

    async def post_due(self) -> float | None:
        """Post one message for each server whose turn it is; seconds until the next turn (None: none)."""
        soonest: float | None = None
        for guild_id in await self.lines.guilds_waiting():
            if self.client.get_guild(guild_id) is None:
                continue  # another process's (shard's) server, or one the bot left
            now = self.clock()
            due = self._next.get(guild_id, 0.0)
            if now < due:
                soonest = due if soonest is None else min(soonest, due)
                continue
            posted = await self._post(guild_id)
            # Counted from when the post is done: the next message is `interval` after this one lands.
            self._next[guild_id] = self.clock() + (self.interval if posted else self.retry)
            if not posted or await self.lines.count(guild_id):
                due = self._next[guild_id]
                soonest = due if soonest is None else min(soonest, due)
        return None if soonest is None else max(0.0, soonest - self.clock())

    async def _post(self, guild_id: int) -> bool:
        """One message of the server's waiting lines; whether it went out (or nothing was left)."""
        settings = await self.guilds.settings(guild_id)
        waiting = await self.lines.waiting(guild_id, LINES_PER_MESSAGE)
        if settings.audit_channel_id is None:
            await self.lines.posted([line.id for line in waiting])  # the admins turned it off
            return True
        text, ids = "", []
        for line in waiting:
            if text and len(text) + 1 + len(line.line) > MESSAGE_CHARS:
                break
            text = f"{text}\n{line.line}" if text else line.line
            ids.append(line.id)
        if not ids:
            return True
        channel = self.client.get_partial_messageable(settings.audit_channel_id, guild_id=guild_id)
        try:
            await channel.send(text, allowed_mentions=discord.AllowedMentions.none())
        except (discord.Forbidden, discord.NotFound) as exc:
            await self._lost(guild_id, settings.audit_channel_id, exc.status)
            return False
        except discord.HTTPException as exc:
            log.info("guild %s: posting audit lines failed (%s); trying again", guild_id, exc.status)
            return False
        await self.lines.posted(ids)
        if await self.state.get(_lost_key(guild_id)) is not None:
            await self.state.forget(_lost_key(guild_id))
            log.info("guild %s: the audit channel works again", guild_id)
        return True

    async def _lost(self, guild_id: int, channel_id: int, status: int) -> None:
        """The bot cannot post there: the lines wait; the server's admins are told once."""
        key = _lost_key(guild_id)
        if await self.state.get(key) is not None:
            return
        await self.state.put(key, str(time.time()))
        count = await self.lines.count(guild_id)
        log.warning(
            "guild %s: cannot post in audit channel %s (HTTP %s); %d line(s) wait",
            guild_id,
            channel_id,
            status,
            count,
        )
        guild = self.client.get_guild(guild_id)
        text = LINES["lost"].format(
            channel=channel_id,
            guild=plain(guild.name if guild else str(guild_id), 100),
            status=status,
            count=count,
        )
        admins = [guild.owner_id] if guild is not None and guild.owner_id else []
        actor = await self.guilds.settings_actor(guild_id)
        if actor is not None:
            admins.append(actor)
        for admin_id in dict.fromkeys(admins):
            try:
                user = self.client.get_user(admin_id) or await self.client.fetch_user(admin_id)
                await user.send(text, allowed_mentions=discord.AllowedMentions.none())
            except discord.HTTPException as exc:
                log.info("guild %s: could not tell admin %s by DM: %s", guild_id, admin_id, exc.status)

    async def lost_since(self, guild_id: int) -> float | None:
        """When the bot found it could not post in the server's audit channel (None: it can)."""
        raw = await self.state.get(_lost_key(guild_id))
        return float(raw) if raw is not None else None


def _lost_key(guild_id: int) -> str:
    return f"audit_channel_lost:{guild_id}"
