"""A server's audit channel (`/admin settings audit_channel:`): every job and every admin action.

`record(guild_id, line)` stores the line (table `audit_lines`), written in the server's language
(`/admin settings language:`, else DEFAULT_LANGUAGE, else English; the catalogue's `audit-*`
messages, bot/i18n/locales/*/audit.ftl), when the server has an audit channel, and wakes the poster.
The poster sends each server's waiting lines together, at most one message per `interval` (5 s) per
server, as many lines as fit in one message, and nobody is ever pinged (`AllowedMentions.none()`:
the member and admin mentions in the lines only show names). A line is deleted only once its
message is posted. When Discord answers 403 or 404 (the bot lost access, or the channel is gone),
the lines stay in the store, the server's owner and the admin who last set its settings are told
once by DM (until a post works again), and the poster tries again every `retry` seconds, or at once
when an admin sets the channel again.

Several processes (PostgreSQL: gateways with their `SHARD_IDS`, workers finishing jobs, the web
dashboard): any of them records lines; every gateway runs a poster, which looks at the servers it
knows (its shards') when woken by its own process's lines and every `poll` seconds for the others'.
Each line is posted exactly once: a server's lines are posted only by the poster holding the
server's turn (`AuditLines.take_turn`, a compare-and-set on `audit_posters`; the turn also keeps the
5 s pace across processes), and each send carries a Discord nonce written on its lines before it
goes: a poster that dies or times out between the send and the deletion leaves the lines with their
nonce, and the next turn sends them again with it, which Discord (`enforce_nonce`) answers with
the message it already created.

The poster is a task of its own, started beside the job manager (bot/discord/runner.py), never
inside discord.py's tasks. Job lines come from the job sink's own ends (bot/discord/delivery.py),
admin lines from bot/admin_actions.py (`/admin` and the web dashboard alike), rule refusals from
bot/discord/start.py, low-balance warnings from bot/balance.py (one per crossing, whichever process
saw it first). Lines are kept by the services' `AuditRecorder`, which wakes this poster.
"""

from __future__ import annotations

import asyncio
import enum
import json
import logging
import secrets
import time
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

import discord

from bot.admin_actions import AuditRecorder
from bot.discord.render import FAILURE_REASONS, plain
from bot.i18n import Text, text
from bot.store.bot_state import BotState
from bot.store.guilds import GuildSettings, GuildStore
from bot.store.operator import AuditLine, AuditLines

if TYPE_CHECKING:
    from bot.jobs.model import Job

log = logging.getLogger(__name__)

#: At most one audit message per server this often (seconds).
AUDIT_INTERVAL = 5.0
#: After the first line of a quiet moment, how long to wait for more to post together.
GATHER = 0.5
#: Seconds between tries at a channel the bot could not post in.
RETRY_AFTER = 60.0
#: Seconds between looks for lines other processes stored (a worker's jobs, the dashboard's actions).
POLL = 2.0
#: How long a poster holds a server's turn at most (seconds); its send must start, and end, well
#: within it (TURN_MARGIN before), or another poster could take the turn and send the lines too.
TURN_SECONDS = 60.0
TURN_MARGIN = 15.0
#: One message's text (Discord's limit is 2,000 characters).
MESSAGE_CHARS = 1900
#: Lines read per message (they are packed up to MESSAGE_CHARS).
LINES_PER_MESSAGE = 40


class Sent(enum.Enum):
    POSTED = "posted"
    NOTHING = "nothing"  # nothing to post (or the channel was turned off)
    FAILED = "failed"
    NOT_OURS = "not ours"  # another poster has the server's turn, or its next message is not due


def job_line(job: Job, link: str | None, failure: Text | None) -> Text:
    """The audit line of a job's end: who, which model, what it cost, where the result or the failure
    is (`failure` None: delivered)."""
    member = f"<@{job.user_id}>"
    cost = text("audit-charged", amount=job.cost) if job.cost else text("audit-not-charged")
    if failure is None:
        if link:
            return text("audit-job-delivered", member=member, model=job.model, cost=cost, link=link)
        return text("audit-job-delivered-nolink", member=member, model=job.model, cost=cost)
    key = "audit-job-failed-link" if link else "audit-job-failed"
    return text(key, member=member, model=job.model, reason=failure, cost=cost, link=link)


def job_failure(state: str, detail: str | Text | None) -> Text:
    """Why a job ended without a result: its state as the language names it, and why (a catalogue
    text, or Discord's or the provider's own words, shown as plain text, cut)."""
    named = text(f"state-{state}")
    if not detail:
        return named
    if isinstance(detail, str):
        detail = plain(detail, 200) or "—"
    return text("audit-job-reason", state=named, detail=detail)


def failure_detail(job: Job) -> str | Text | None:
    """Why the job failed, as its member was told (`render.failure_reason`), for a line rendered in
    the server's language: its stored note (a catalogue key and arguments), else its code's
    sentence, else its stored message."""
    if job.error_note:
        try:
            note = Text.from_stored(json.loads(job.error_note))
        except ValueError:  # written before notes were keys: the sentence as it was stored
            return job.error_note
        if note is not None:
            args = {
                k: plain(v, 200, keep_code=True) if isinstance(v, str) else v for k, v in note.args.items()
            }
            return Text(note.key, args)
    if job.error_code in FAILURE_REASONS:
        return text(f"failure-reason-{job.error_code}")
    return job.error_message


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
        poll: float = POLL,
    ) -> None:
        self.client = client
        self.lines = lines
        self.guilds = guilds
        self.state = state
        self.interval = interval
        self.retry = retry
        self.gather = gather
        self.clock = clock
        self.poll = poll
        #: This poster, as `audit_posters.holder` names it while it holds a server's turn.
        self.holder = secrets.token_hex(8)
        #: When each server may get its next message (clock seconds).
        self._next: dict[int, float] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        #: Where lines are kept: the services' own (`AdminActions.audit`), so lines the web
        #: dashboard records wake this poster too.
        self.recorder = recorder or AuditRecorder(guilds, lines)
        self.recorder.listeners.append(self._wake.set)

    # -- recording --------------------------------------------------------------------------------

    async def record(self, guild_id: int | None, line: Text) -> bool:
        """Keep `line` for the server's audit channel, if it has one; whether it was kept.

        Never raises: an audit line must not fail the action it tells of.
        """
        return await self.recorder.record(guild_id, line)

    async def record_everywhere(self, line: Text) -> int:
        """The same line in every server that has an audit channel (a low balance); how many."""
        kept = 0
        for guild_id in await self.guilds.audit_channels():
            kept += await self.record(guild_id, line)
        return kept

    async def low_balance(self, balance: Decimal, threshold: Decimal) -> None:
        await self.record_everywhere(text("audit-low-balance", balance=balance, threshold=threshold))

    async def job_ended(self, job: Job, link: str | None, failure: Text | None) -> None:
        """The job sink's audit hook (`DiscordSink.audit`)."""
        await self.record(job.guild_id, job_line(job, link, failure))

    async def channel_set(self, guild_id: int) -> None:
        """An admin set the audit channel: post what waits now, and tell of a new loss again."""
        self._next.pop(guild_id, None)
        await self.lines.free_turn(guild_id)
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
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    # stop() cancelled a write, and ending the turn then failed too: that error
                    # replaced the cancellation, which must still win (or stop() waits for good).
                    raise asyncio.CancelledError from None
                log.exception("posting audit lines failed; trying again shortly")
                wait = self.retry
            # Another process's lines wake nobody here: look again within `poll` seconds.
            wait = self.poll if wait is None else min(wait, self.poll)
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
            sent = await self._post(guild_id)
            # Counted from when the post is done: the next message is `interval` after this one lands.
            pause = self.retry if sent is Sent.FAILED else self.interval
            self._next[guild_id] = self.clock() + pause
            if sent is not Sent.POSTED or await self.lines.count(guild_id):
                due = self._next[guild_id]
                soonest = due if soonest is None else min(soonest, due)
        return None if soonest is None else max(0.0, soonest - self.clock())

    async def _post(self, guild_id: int) -> Sent:
        """One message of the server's waiting lines, if this poster gets the server's turn."""
        settings = await self.guilds.settings(guild_id)
        started = time.monotonic()  # the turn is counted from before it was asked for
        now = time.time()
        if not await self.lines.take_turn(guild_id, self.holder, now, now + TURN_SECONDS):
            return Sent.NOT_OURS
        sent = Sent.FAILED
        try:
            sent = await self._post_turn(guild_id, settings, started + TURN_SECONDS - TURN_MARGIN)
        finally:
            # The server's next message, whoever sends it: `interval` after this one, `retry` after
            # a refusal, at once when there was nothing to send.
            pause = {Sent.POSTED: self.interval, Sent.FAILED: self.retry}.get(sent, 0.0)
            await self.lines.end_turn(guild_id, self.holder, time.time() + pause)
        return sent

    async def _post_turn(self, guild_id: int, settings: GuildSettings, deadline: float) -> Sent:
        waiting = await self.lines.waiting(guild_id, LINES_PER_MESSAGE)
        if settings.audit_channel_id is None:
            await self.lines.posted([line.id for line in waiting])  # the admins turned it off
            return Sent.NOTHING
        lines, nonce = _next_message(waiting)
        if not lines:
            return Sent.NOTHING
        ids = [line.id for line in lines]
        if nonce is None:
            nonce = secrets.token_hex(8)
            await self.lines.sending(ids, nonce)
        channel = self.client.get_partial_messageable(settings.audit_channel_id, guild_id=guild_id)
        try:
            async with asyncio.timeout(deadline - time.monotonic()):
                await channel.send(
                    "\n".join(line.line for line in lines),
                    nonce=nonce,
                    allowed_mentions=discord.AllowedMentions.none(),
                )
        except TimeoutError:
            # Sent or not: the lines keep their nonce, and the next turn sends them with it again.
            log.info("guild %s: posting audit lines took too long; trying again", guild_id)
            return Sent.FAILED
        except (discord.Forbidden, discord.NotFound) as exc:
            await self._lost(guild_id, settings.audit_channel_id, exc.status)
            return Sent.FAILED
        except discord.HTTPException as exc:
            log.info("guild %s: posting audit lines failed (%s); trying again", guild_id, exc.status)
            return Sent.FAILED
        await self.lines.posted(ids)
        if await self.state.get(_lost_key(guild_id)) is not None:
            await self.state.forget(_lost_key(guild_id))
            log.info("guild %s: the audit channel works again", guild_id)
        return Sent.POSTED

    async def _lost(self, guild_id: int, channel_id: int, status: int) -> None:
        """The bot cannot post there: the lines wait; the server's admins are told once."""
        if not await self.state.put_new(_lost_key(guild_id), str(time.time())):
            return  # told already (by this process or another)
        count = await self.lines.count(guild_id)
        log.warning(
            "guild %s: cannot post in audit channel %s (HTTP %s); %d line(s) wait",
            guild_id,
            channel_id,
            status,
            count,
        )
        guild = self.client.get_guild(guild_id)
        told = text(
            "audit-lost",
            channel=str(channel_id),
            guild=plain(guild.name if guild else str(guild_id), 100),
            status=str(status),
            count=count,
        ).render(await self.recorder.language(guild_id))
        admins = [guild.owner_id] if guild is not None and guild.owner_id else []
        actor = await self.guilds.settings_actor(guild_id)
        if actor is not None:
            admins.append(actor)
        for admin_id in dict.fromkeys(admins):
            try:
                user = self.client.get_user(admin_id) or await self.client.fetch_user(admin_id)
                await user.send(told, allowed_mentions=discord.AllowedMentions.none())
            except discord.HTTPException as exc:
                log.info("guild %s: could not tell admin %s by DM: %s", guild_id, admin_id, exc.status)

    async def lost_since(self, guild_id: int) -> float | None:
        """When the bot found it could not post in the server's audit channel (None: it can)."""
        raw = await self.state.get(_lost_key(guild_id))
        return float(raw) if raw is not None else None


def _lost_key(guild_id: int) -> str:
    return f"audit_channel_lost:{guild_id}"


def _next_message(waiting: list[AuditLine]) -> tuple[list[AuditLine], str | None]:
    """The lines of the next message, oldest first, and the nonce of the send that already carried
    them (None: new lines, packed up to MESSAGE_CHARS)."""
    if waiting and waiting[0].nonce is not None:
        nonce = waiting[0].nonce
        return [line for line in waiting if line.nonce == nonce], nonce
    lines: list[AuditLine] = []
    size = 0
    for line in waiting:
        if line.nonce is not None or (lines and size + 1 + len(line.line) > MESSAGE_CHARS):
            break
        lines.append(line)
        size += len(line.line) + (1 if size else 0)
    return lines, None
