"""The Discord side of a job: progress edits, the posted result, failure notes.

The job manager calls this through the `JobSink` interface and knows nothing of discord.py.

- Progress: the member's reply is edited as the job moves, at most once per `progress_interval`
  per job, and only while a global `EditBudget` has room, so a burst of jobs never runs into
  Discord's rate limits. An update that is held back is kept and shown at the next chance; the
  final state (the image, or why there is none) is never throttled.
- The result: while the interaction token is valid (15 minutes, measured with
  `discord.utils.utcnow()`) the reply is edited into the result; after that, or when the reply is
  gone, the result is posted in the channel mentioning the member; when the bot cannot post there
  (no permission, channel deleted), the member gets it by DM. Only when that fails too is the job
  `undeliverable`.
- The upload always fits: the image is re-encoded or downscaled to the channel's limit, and when
  Discord still refuses it (413 / 40005), it is made smaller again and re-sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import io
import itertools
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import discord

from bot.discord.audit import failure_detail, job_failure
from bot.discord.fitting import DEFAULT_UPLOAD_LIMIT, Fitted, fit_image, smaller_limit
from bot.discord.render import batch_embed, failure_text, progress_text, result_embed
from bot.encoding import in_image_thread
from bot.i18n import SOURCE, Text, resolve, t, text
from bot.jobs.model import Job, JobState
from bot.jobs.sink import Progress, Undeliverable
from bot.store.deliveries import Deliveries, Delivery
from bot.store.jobs import JobRepository

log = logging.getLogger(__name__)

#: Interaction tokens live 15 minutes; stop using one a little before.
TOKEN_LIFETIME = 14.5 * 60


class _Original:
    """The message id Discord's webhook routes take for an interaction's original response.

    `Webhook.edit_message` puts its id in the URL; a `str` would be URL-quoted (`%40original`), so
    this stands for `@original` as written, as discord.py's own `edit_original_response` sends it.
    """

    def __format__(self, spec: str) -> str:
        return "@original"

    def __repr__(self) -> str:
        return "@original"


ORIGINAL = _Original()
#: After a crash, how many of the latest messages are searched for a result already posted.
REPEAT_LOOKBACK = 50
#: At most one progress edit per job this often.
PROGRESS_INTERVAL = 3.0
#: Progress edits across all jobs: a burst of this many, then this many per second. Discord allows
#: 50 requests/s per bot in all; progress takes a share and leaves room for results and commands.
EDIT_BURST = 10
EDIT_RATE = 5.0
#: Held-back progress updates looked at per flush, oldest first (`_flush_pending`).
FLUSH_LOOKAHEAD = 32
#: Tries at editing the reply into the result when Discord answers 5xx/429, before posting instead.
REPLY_ATTEMPTS = 3
REPLY_RETRY_DELAY = 0.5
#: The DM that brings a private result once its reply can no longer be edited.
#: Renders of a batch's message per image or failure, at most (see `_show_batch`).
BATCH_PASSES = 4
#: How many times a refused (too large) upload is made smaller and re-sent.
MAX_UPLOAD_ATTEMPTS = 4


class EditBudget:
    """A token bucket shared by every job's progress edits."""

    def __init__(
        self, *, rate: float = EDIT_RATE, burst: int = EDIT_BURST, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self._tokens = float(burst)
        self._at = clock()
        self.spent = 0
        self.refused = 0

    def ready(self, reserved: int = 0) -> bool:
        """Whether `try_take` would succeed now (nothing is taken), with `reserved` tokens already
        promised to edits on their way."""
        return self._tokens + (self.clock() - self._at) * self.rate >= 1.0 + reserved

    def try_take(self) -> bool:
        now = self.clock()
        self._tokens = min(float(self.burst), self._tokens + (now - self._at) * self.rate)
        self._at = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            self.spent += 1
            return True
        self.refused += 1
        return False


@dataclass(slots=True)
class _Shown:
    at: float
    text: str
    state: JobState


#: The audit line's reason for a job that could not be posted (the handoff logs Discord's own words).
UNDELIVERABLE = job_failure("undeliverable", text("failure-reason-undeliverable"))


def _link(job: Job, message: discord.Message) -> str:
    """Where the message is, for the audit line. Built from the job's server: a message a worker
    got back over REST knows no guild (`jump_url` would say `@me`, a link that opens nothing)."""
    where = job.guild_id if job.guild_id is not None else "@me"
    return f"https://discord.com/channels/{where}/{message.channel.id}/{message.id}"


def _too_large(exc: discord.HTTPException) -> bool:
    return exc.status == 413 or exc.code == 40005


class DiscordSink:
    def __init__(
        self,
        client: discord.Client,
        jobs: JobRepository,
        *,
        queue_position: Callable[[Job], Awaitable[int | None]] | None = None,
        budget: EditBudget | None = None,
        progress_interval: float = PROGRESS_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
        view_factory: Callable[[Job, str], discord.ui.View | None] | None = None,
        batch_view_factory: Callable[[list[tuple[int, Job]], str], discord.ui.View | None] | None = None,
        audit: Callable[[Job, str | None, Text | None], Awaitable[None]] | None = None,
        default_language: str = SOURCE,
        follows: bool = True,
    ) -> None:
        self.client = client
        #: False on a gateway whose jobs the workers drive (`--role gateway`): it hears of a job as
        #: it is queued and as its place changes (bot/jobs/positions.py), never as it leaves the
        #: queue (a worker's own sink shows its progress and its end), so it keeps nothing of a
        #: job between two notices (see `job_updated`).
        self.follows = follows
        #: Told of each job's end, `audit(job, link, failure)` (failure None: delivered): the audit
        #: channel (bot/discord/audit.py).
        self.audit = audit
        self.jobs = jobs
        self.queue_position = queue_position
        #: A gateway reads a new job's place itself, only when its "Queued" edit can go out (the
        #: job manager leaves it unread: bot/jobs/sink.py, `reads_own_positions`).
        self.reads_own_positions = not follows and queue_position is not None
        self._positions_read = 0  # those reads under way
        self.budget = budget or EditBudget(clock=clock)
        self.progress_interval = progress_interval
        self.clock = clock
        self.view_factory = view_factory
        #: What a job whose delivery names no language speaks (DEFAULT_LANGUAGE).
        self.default_language = default_language
        #: A cap on top of Discord's own upload limit (operators of small channels; tests).
        self.max_upload: int | None = None
        self._live: dict[str, discord.Interaction] = {}
        #: Delivery records of the jobs in hand (from `track_id`, or read back after a restart).
        self.deliveries = Deliveries(jobs.db)
        self._records: dict[str, Delivery] = {}
        #: Delivery records being read from the store, by job: one read for all who ask meanwhile.
        self._reading: dict[str, asyncio.Future[Delivery | None]] = {}
        #: The ids of the messages `deliver` posted, until the job's end stores them (`take_result_ids`).
        self._result_ids: dict[str, dict[str, int]] = {}
        self._shown: dict[str, _Shown] = {}
        self._pending: dict[str, tuple[Job, Progress]] = {}
        self._queued: dict[str, Job] = {}
        self.progress_edits = 0
        #: The buttons under a batch's message (`bot.discord.buttons.batch_view`).
        self.batch_view_factory = batch_view_factory
        #: One batch's message is changed by one of its jobs at a time.
        self._batch_locks: dict[str, asyncio.Lock] = {}
        #: Batches whose message shows images or failures already: no progress text over them.
        self._batches_shown: set[str] = set()

    def track_id(
        self,
        job_id: str,
        interaction: discord.Interaction,
        language: str | None = None,
        *,
        private: bool = False,
        batch: tuple[str, int, int] | None = None,
    ) -> Delivery:
        """Remember the interaction that asks for a job, to edit its reply while the token is valid.

        Called before the job is accepted, so that the very first progress update finds it. Returns
        the job's delivery record, which the job manager stores with the job (restarts read it),
        with the `language` it was asked in: everything the job says later speaks it.
        """
        self._forget_expired()
        self._live[job_id] = interaction
        created = interaction.created_at.timestamp() if interaction.created_at else time.time()
        delivery = Delivery(
            job_id, interaction.application_id, interaction.token, created, private=private, locale=language
        )
        if batch is not None:  # (batch id, this job's place, how many)
            delivery.batch_id, delivery.batch_index, delivery.batch_size = batch
        self._records[job_id] = delivery
        return delivery

    def know_deliveries(self, deliveries: list[Delivery]) -> None:
        """Delivery records read with the jobs' claim (a worker: bot/store/claims.py
        `on_deliveries`): kept as `_delivery` would keep them, so that none is read again."""
        for delivery in deliveries:
            self._records.setdefault(delivery.job_id, delivery)

    def _forget_expired(self) -> None:
        """Drop interactions whose token has expired (no use any more: `_token_valid`), oldest first.

        So that the sink keeps no Interaction for good when a job's end never reached it (its
        delivery given up after retries).
        """
        now = discord.utils.utcnow().timestamp()
        while self._live:
            job_id, interaction = next(iter(self._live.items()))
            if now < interaction.created_at.timestamp() + TOKEN_LIFETIME:
                return
            del self._live[job_id]
            self._records.pop(job_id, None)
            self._shown.pop(job_id, None)
            self._pending.pop(job_id, None)

    def forget_id(self, job_id: str) -> None:
        self._live.pop(job_id, None)
        self._records.pop(job_id, None)
        self._shown.pop(job_id, None)
        self._pending.pop(job_id, None)
        self._queued.pop(job_id, None)

    # -- JobSink ----------------------------------------------------------------------------------

    async def job_updated(self, job: Job, progress: Progress) -> None:
        if not self.follows:
            # A gateway: "Queued" (or its new place) now if the budget allows, else not at all (the
            # next notice, or the worker's progress, comes later); neither held back nor kept
            # queued, since nothing here would take it off again: a gateway never hears its jobs
            # leave the queue. Kept, 10,000 jobs in flight made every command walk 10,000
            # held-back edits (docs/PERFORMANCE.md, item 8).
            try:
                if (
                    self.reads_own_positions
                    and self.queue_position is not None
                    and progress.state is JobState.QUEUED
                    and progress.queue_position is None
                ):
                    # Its place is read only for an edit the budget lets through: at 100 commands/s
                    # it drops 19 in 20, and each read counts the shared queue (`Handoff.notify`).
                    # A token is promised to each read under way, so that commands arriving during
                    # a read do not all read for the one edit that will go out.
                    if not self.budget.ready(self._positions_read):
                        self.budget.refused += 1
                        return
                    self._positions_read += 1
                    try:
                        position = await self.queue_position(job)
                    finally:
                        self._positions_read -= 1
                    progress = replace(progress, queue_position=position)
                await self._show(job, progress)
            finally:
                self.forget_id(job.id)
            return
        if progress.state is JobState.QUEUED:
            self._queued[job.id] = job
        else:
            left_queue = self._queued.pop(job.id, None) is not None
            if left_queue:
                await self._refresh_queue()
        # Updates held back earlier go first: with the budget saturated, the job whose update
        # happens to arrive when a token frees up must not keep overtaking the ones waiting.
        await self._flush_pending(exclude=job.id)
        await self._show(job, progress)

    async def deliver(self, job: Job, image: bytes) -> int | None:
        self._pending.pop(job.id, None)
        self._queued.pop(job.id, None)
        batch = await self._batch_of(job)
        if batch is not None:
            return await self._deliver_in_batch(job, batch, image)
        member = f"<@{job.user_id}>"
        language = await self.language(job)
        view = self.view_factory(job, language) if self.view_factory else None
        message: discord.Message | None = None
        reply = False  # the result is the member's reply, edited: its id recorded with the result's
        for attempt in range(REPLY_ATTEMPTS):
            try:
                message = await self._send_fitted(
                    job,
                    image,
                    self._upload_limit(job, reply=True),
                    member,
                    language,
                    view,
                    lambda file, **fields: self._edit_reply(
                        job, content="", attachments=[file], record=False, **fields
                    ),
                )
                reply = message is not None
                break
            except (discord.HTTPException, Undeliverable) as exc:
                if _transient(exc) and attempt < REPLY_ATTEMPTS - 1:
                    # Discord hiccuped: the same reply again shortly, rather than a detour.
                    await asyncio.sleep(REPLY_RETRY_DELAY * 2**attempt)
                    continue
                log.warning("job %s: editing the reply into the result failed: %s", job.id, exc)
                break
        if message is None:
            try:
                message = await self._post_fallback(job, member, language, image, view)
            except Undeliverable:
                self.forget_id(job.id)  # final: the manager does not hand this job over again
                await self._tell_audit(job, None, UNDELIVERABLE)
                raise
        await self._record_result(job, message, reply=reply)
        self.forget_id(job.id)
        await self._tell_audit(job, _link(job, message), None)
        return message.id

    async def job_failed(self, job: Job) -> None:
        self._pending.pop(job.id, None)
        self._queued.pop(job.id, None)
        batch = await self._batch_of(job)
        if batch is not None:
            shown = None
            try:
                # The failure, on its own image's line; a cancelled job (a batch refused half way,
                # or Cancel in /jobs) only changes a message that is already there.
                shown = await self._show_batch(job, batch, None, may_post=job.state is not JobState.CANCELLED)
            except (Undeliverable, discord.HTTPException) as exc:
                log.info("job %s: could not show its failure in its batch: %s", job.id, exc)
            self.forget_id(job.id)
            reason = job_failure(job.state.value, failure_detail(job))
            await self._tell_audit(job, _link(job, shown) if shown is not None else None, reason)
            return
        text = failure_text(job, await self.language(job))
        message = None
        try:
            message = await self._edit_reply(job, content=text, embeds=[], attachments=[], view=None)
        except discord.HTTPException as exc:
            log.info("job %s: could not edit the reply with the failure: %s", job.id, exc)
        if message is None and job.state is not JobState.CANCELLED:
            try:
                if await self._private(job):
                    raise Undeliverable("a private result's failure is never told in the channel")
                await self._post_in_channel(job, content=f"<@{job.user_id}> {text}")
            except (Undeliverable, discord.HTTPException):
                try:
                    await self._send_dm(job, content=text)
                except (Undeliverable, discord.HTTPException):
                    log.info("job %s: could not tell the member it failed", job.id)
        self.forget_id(job.id)
        reason = job_failure(job.state.value, failure_detail(job))
        await self._tell_audit(job, _link(job, message) if message is not None else None, reason)

    async def _tell_audit(self, job: Job, link: str | None, failure: Text | None) -> None:
        if self.audit is None:
            return
        try:
            await self.audit(job, link, failure)
        except Exception:  # the member has their answer; the audit line is not worth failing it
            log.exception("job %s: the audit line failed", job.id)

    # -- progress ---------------------------------------------------------------------------------

    async def _show(self, job: Job, progress: Progress) -> None:
        batch = self._records.get(job.id)
        if (
            batch is not None
            and batch.batch_id
            and (batch.batch_index or batch.batch_id in self._batches_shown)
        ):
            return  # a batch's reply shows its first job's progress, until its first image or failure
        shown = self._shown.get(job.id)
        now = self.clock()
        # Held back unrendered while it could not be sent anyway: with thousands of jobs polled per
        # minute and 5 edits/s, rendering each update (its language, Fluent) was most of the cost
        # of a poll. Its text is made when its turn comes, and dropped then if it says nothing new.
        if shown is not None and now - shown.at < self.progress_interval:
            self._pending[job.id] = (job, progress)
            return
        if not self.budget.ready():
            self.budget.refused += 1
            self._pending[job.id] = (job, progress)
            return
        text = progress_text(job, progress, await self.language(job))
        if shown is not None and shown.text == text:
            self._pending.pop(job.id, None)
            return
        if not await self._token_valid(job):
            self._pending.pop(job.id, None)  # its reply can no longer be edited
            return
        if not self.budget.try_take():
            self._pending[job.id] = (job, progress)
            return
        self._pending.pop(job.id, None)
        self._shown[job.id] = _Shown(now, text, progress.state)
        self.progress_edits += 1
        try:
            # A worker's progress edit leaves the reply's id to be recorded with the result (one
            # write per job, not two); a gateway's "Queued" is the last it shows, so it records it.
            await self._edit_reply(job, content=text, record=not self.follows)
        except discord.HTTPException as exc:
            log.info("job %s: progress edit failed: %s", job.id, exc)

    async def _flush_pending(self, *, exclude: str) -> None:
        """Show held-back updates of other jobs whose interval has passed (a queued job gets no calls).

        Oldest first, and only while the budget has room. This runs on every update of every job;
        with hundreds of updates held back under load, walking them when no edit can be sent
        anyway cost the event loop a third of its time (benchmarks/ack_latency.py).
        """
        if not self._pending or not self.budget.ready():
            return
        now = self.clock()
        # The oldest few only: the rest wait their turn. Copying and walking every held-back update
        # on each update was 27 % of a worker's samples with 10,000 in flight (py-spy, d6ca014).
        for job_id in list(itertools.islice(self._pending, FLUSH_LOOKAHEAD)):
            # Looked up again: while an earlier one's edit went out, this job may have been
            # delivered (`deliver` forgets it: showing it would read its record again and put
            # progress over its image) or had a newer update held back.
            entry = self._pending.get(job_id)
            if job_id == exclude or entry is None:
                continue
            job, progress = entry
            shown = self._shown.get(job_id)
            if shown is None or now - shown.at >= self.progress_interval:
                await self._show(job, progress)
                if not self.budget.ready():
                    return

    async def _refresh_queue(self) -> None:
        """A job left the queue: the jobs behind it moved up; their replies say so (throttled)."""
        if self.queue_position is None:
            return
        for job_id, job in list(self._queued.items()):
            position = await self.queue_position(job)
            if position is None:
                self._queued.pop(job_id, None)
                continue
            progress = Progress(JobState.QUEUED, queue_position=position)
            self._pending[job_id] = (job, progress)

    # -- the result -------------------------------------------------------------------------------

    def _upload_limit(self, job: Job, *, reply: bool) -> int:
        limit: int | None = None
        interaction = self._live.get(job.id)
        if reply and interaction is not None:
            limit = interaction.filesize_limit
        if limit is None and job.guild_id is not None:
            guild = self.client.get_guild(job.guild_id)
            if guild is not None:
                limit = guild.filesize_limit
        limit = limit or DEFAULT_UPLOAD_LIMIT
        if self.max_upload is not None:
            limit = min(limit, self.max_upload)
        return limit

    async def _send_fitted(
        self,
        job: Job,
        image: bytes,
        limit: int,
        member: str,
        language: str,
        view: discord.ui.View | None,
        send: Callable[..., Awaitable[discord.Message | None]],
        **extra: Any,
    ) -> discord.Message | None:
        """Fit the image to `limit` and send it; when Discord says it is too large, shrink and resend."""
        for attempt in range(MAX_UPLOAD_ATTEMPTS):
            fitted = await self._fit(image, limit)
            note = fitted.note.render(language) if fitted.note is not None else None
            embed = result_embed(job, member, language, note=note)
            file = discord.File(io.BytesIO(fitted.data), f"fluxbot-{job.id}{fitted.extension}")
            fields: dict[str, Any] = {"embed": embed, **extra}
            if view is not None:
                fields["view"] = view
            try:
                return await send(file, **fields)
            except discord.HTTPException as exc:
                if not _too_large(exc) or attempt == MAX_UPLOAD_ATTEMPTS - 1:
                    raise
                smaller = smaller_limit(fitted.size, limit)
                log.warning(
                    "job %s: Discord refused a %d-byte upload (%s); retrying under %d bytes",
                    job.id,
                    fitted.size,
                    exc.code or exc.status,
                    smaller,
                )
                limit = smaller
        return None  # pragma: no cover - the loop returns or raises

    async def _fit(self, image: bytes, limit: int) -> Fitted:
        if len(image) <= limit:
            return fit_image(image, limit)  # as it is: no re-encoding, nothing for the image thread
        try:
            return await in_image_thread(fit_image, image, limit)
        except ValueError as exc:
            raise Undeliverable(f"the image cannot be made to fit {limit} bytes: {exc}") from exc

    async def _post_fallback(
        self, job: Job, member: str, language: str, image: bytes, view: discord.ui.View | None
    ) -> discord.Message:
        """The token is gone: post in the channel mentioning the member, else send it by DM."""
        private = await self._private(job)
        if job.delivery_attempts > 1:
            # Handed over again after a crash: the earlier hand-over may have posted already.
            earlier = await self._earlier_post(job, in_channel=not private)
            if earlier is not None:
                log.info("job %s: already posted as message %s; not posting again", job.id, earlier.id)
                return earlier
        channel_error: str
        if private:
            # Shown only to the member: never in the channel; by DM once the reply is out of reach.
            return await self._dm_result(
                job, member, language, image, t(language, "result-ready-private"), "private result"
            )
        try:
            message = await self._send_fitted(
                job,
                image,
                self._upload_limit(job, reply=False),
                member,
                language,
                view,
                lambda file, **fields: self._post_in_channel(job, file=file, **fields),
                content=t(language, "result-ready-here", member=member),
            )
            if message is not None:
                return message
            channel_error = "nothing was sent"
        except (Undeliverable, discord.HTTPException) as exc:
            if _transient(exc):
                raise  # Discord hiccuped: the manager retries the hand-over; no detour by DM
            channel_error = str(exc)
        log.info("job %s: cannot post in the channel (%s); sending a DM", job.id, channel_error)
        ready = (
            t(language, "result-ready-dm", channel=f"<#{job.channel_id}>")
            if job.channel_id
            else t(language, "result-ready-dm-nowhere")
        )
        return await self._dm_result(job, member, language, image, ready, f"channel: {channel_error}")

    async def _dm_result(
        self, job: Job, member: str, language: str, image: bytes, content: str, why: str
    ) -> discord.Message:
        try:
            message = await self._send_fitted(
                job,
                image,
                DEFAULT_UPLOAD_LIMIT
                if self.max_upload is None
                else min(DEFAULT_UPLOAD_LIMIT, self.max_upload),
                member,
                language,
                None,
                lambda file, **fields: self._send_dm(job, file=file, **fields),
                content=content,
            )
        except (Undeliverable, discord.HTTPException) as exc:
            if _transient(exc):
                raise
            raise Undeliverable(f"{why}; DM: {exc}") from exc
        if message is None:
            raise Undeliverable(f"{why}; DM: nothing was sent")
        return message

    async def _private(self, job: Job) -> bool:
        """Whether the job's result is shown only to its member (its delivery says so)."""
        try:
            delivery = await self._delivery(job)
        except Exception as exc:  # unreadable now: err on the private side, never post in the channel
            log.warning("job %s: its delivery record could not be read: %s", job.id, exc)
            return True
        return delivery is not None and delivery.private

    async def _earlier_post(
        self, job: Job, *, in_channel: bool = True, marker: str | None = None
    ) -> discord.Message | None:
        """The bot's own result message for `job` among the latest in its channel or the member's DMs.

        Results carry `job <id>` in their embed footer, which is what is looked for.
        """
        me = self.client.user
        if me is None:
            return None
        places: list[discord.abc.Messageable] = []
        if job.channel_id is not None and in_channel:
            places.append(self.client.get_partial_messageable(job.channel_id))
        user = self.client.get_user(job.user_id)
        if user is not None and user.dm_channel is not None:
            places.append(user.dm_channel)
        marker = marker or f"job {job.id} "
        for place in places:
            try:
                async for message in place.history(limit=REPEAT_LOOKBACK):
                    if message.author.id == me.id and any(
                        (embed.footer.text or "").startswith(marker) for embed in message.embeds
                    ):
                        return message
            except discord.HTTPException:
                continue
        return None

    # -- batches ----------------------------------------------------------------------------------
    #
    # The jobs of a batch share one message: the reply while its token lasts, else one message
    # posted in the channel (a private batch: by DM) and recorded on every delivery of the batch.
    # Each image or failure re-renders the whole message from the store (files and job rows), one
    # job at a time per batch, so the message always holds every image that has arrived, in order.

    async def _batch_of(self, job: Job) -> Delivery | None:
        try:
            delivery = await self._delivery(job)
        except Exception as exc:  # the single-image path copes with an unreadable record
            log.warning("job %s: its delivery record could not be read: %s", job.id, exc)
            return None
        return delivery if delivery is not None and delivery.batch_id else None

    async def _deliver_in_batch(self, job: Job, delivery: Delivery, image: bytes) -> int:
        try:
            message = await self._show_batch(job, delivery, image)
        except Undeliverable:
            self.forget_id(job.id)
            await self._tell_audit(job, None, UNDELIVERABLE)
            raise
        if message is None:  # pragma: no cover - an image is always posted somewhere, or raises
            raise Undeliverable("the batch's message could not be shown")
        # Its message is recorded on every delivery of the batch already (`claim_batch`, under the lock).
        self.forget_id(job.id)
        await self._tell_audit(job, _link(job, message), None)  # each image of a batch is a job
        return message.id

    async def _show_batch(
        self, job: Job, delivery: Delivery, image: bytes | None, *, may_post: bool = True
    ) -> discord.Message | None:
        batch_id = delivery.batch_id or ""
        lock = self._batch_locks.setdefault(batch_id, asyncio.Lock())
        message: discord.Message | None = None
        async with lock:  # one job of the batch at a time in this process
            for _ in range(BATCH_PASSES):
                members = await self.deliveries.batch(batch_id)
                slots: list[tuple[int, Job, bytes | None]] = []
                for place, member in enumerate(members, start=1):
                    other = job if member.job_id == job.id else await self.jobs.get(member.job_id)
                    if other is None:
                        continue
                    data = image if other is job else await _stored_result(other)
                    slots.append((place, other, data))
                self._batches_shown.add(batch_id)
                try:
                    message = await self._put_batch(job, delivery, members, slots, may_post=may_post)
                except _LostRace:
                    continue  # another process posted the batch's message first: edit that one
                # Other processes (workers) deliver the batch's other jobs: when one of them moved
                # while this pass rendered, this edit may have hidden its image; render again.
                if await self._batch_showing(job, members) == _showing(other for _, other, _ in slots):
                    break
            if all(data is not None or other.state.terminal for _, other, data in slots):
                self._batch_locks.pop(batch_id, None)
                self._batches_shown.discard(batch_id)
            return message

    async def _batch_showing(self, job: Job, members: list[Delivery]) -> tuple[tuple[str, bool, bool], ...]:
        jobs = []
        for member in members:
            other = job if member.job_id == job.id else await self.jobs.get(member.job_id)
            if other is not None:
                jobs.append(other)
        return _showing(jobs)

    async def _put_batch(
        self,
        job: Job,
        delivery: Delivery,
        members: list[Delivery],
        slots: list[tuple[int, Job, bytes | None]],
        *,
        may_post: bool,
    ) -> discord.Message | None:
        arrived = [(place, other) for place, other, data in slots if data is not None]
        language = await self.language(job)
        view = self.batch_view_factory(arrived, language) if self.batch_view_factory and arrived else None
        requester = f"<@{job.user_id}>"
        limit = self._upload_limit(job, reply=True) // max(1, len(arrived))
        for attempt in range(MAX_UPLOAD_ATTEMPTS):
            fitted = [(other, await self._fit(data, limit)) for _, other, data in slots if data is not None]
            notes = sorted({f.note.render(language) for _, f in fitted if f.note is not None})
            embed = batch_embed(
                [(other, data is not None) for _, other, data in slots],
                requester,
                delivery.batch_id or "",
                language,
                note="; ".join(notes),
            )

            def fields(
                send: bool = False, fitted: list[tuple[Job, Fitted]] = fitted, embed: discord.Embed = embed
            ) -> dict[str, Any]:
                """A fresh set each time (a sent File is spent); `send`: a new message, not an edit."""
                files = [discord.File(io.BytesIO(f.data), f"fluxbot-{o.id}{f.extension}") for o, f in fitted]
                shown: dict[str, Any] = {"embed": embed, "files" if send else "attachments": files}
                if view is not None:
                    shown["view"] = view
                return shown

            try:
                return await self._place_batch(job, delivery, members, fields, may_post=may_post)
            except discord.HTTPException as exc:
                if not _too_large(exc) or attempt == MAX_UPLOAD_ATTEMPTS - 1:
                    raise
                limit = smaller_limit(max(f.size for _, f in fitted), limit) if fitted else limit
        raise Undeliverable("the batch could not be made small enough")  # pragma: no cover

    async def _place_batch(
        self,
        job: Job,
        delivery: Delivery,
        members: list[Delivery],
        fields: Callable[..., dict[str, Any]],
        *,
        may_post: bool,
    ) -> discord.Message | None:
        """The reply while its token lasts; else the batch's own message; else a new one, recorded."""
        batch_id = delivery.batch_id or ""
        recorded = members[0].result_message_id  # the batch's first job holds the batch's message
        reply_id = next((m.response_message_id for m in members if m.response_message_id), None)
        message = await self._edit_batch_reply(job, members, content="", **fields())
        if message is not None:
            if recorded != message.id:
                await self.deliveries.claim_batch(
                    members[0].job_id, batch_id, seen=recorded, message_id=message.id
                )
            return message
        private = delivery.private
        language = await self.language(job)
        place = await self._batch_place(job, private)
        if recorded is None and job.delivery_attempts > 1:
            earlier = await self._earlier_post(job, in_channel=not private, marker=f"batch {batch_id} ")
            recorded = earlier.id if earlier is not None else None
        if recorded is not None and place is not None and not (private and recorded == reply_id):
            try:
                edited = {**fields(), "view": None} if private else fields()
                return await place.get_partial_message(recorded).edit(**edited)  # type: ignore[attr-defined]
            except discord.HTTPException as exc:
                if _transient(exc):
                    raise
                log.info(
                    "job %s: its batch's message %s cannot be edited (%s); posting it", job.id, recorded, exc
                )
        if not may_post:
            return None
        member = f"<@{job.user_id}>"
        by_dm = {**fields(send=True), "view": None}  # no buttons in DMs, as for a single image
        if private:
            message = await self._send_dm(job, content=t(language, "batch-ready-private"), **by_dm)
        else:
            try:
                message = await self._post_in_channel(
                    job, content=t(language, "batch-ready-here", member=member), **fields(send=True)
                )
            except Undeliverable as exc:
                log.info("job %s: cannot post its batch in the channel (%s); sending a DM", job.id, exc)
                message = await self._send_dm(
                    job, content=t(language, "batch-ready-dm-nowhere"), **{**fields(send=True), "view": None}
                )
        if not await self.deliveries.claim_batch(
            members[0].job_id, batch_id, seen=recorded, message_id=message.id
        ):
            with contextlib.suppress(discord.HTTPException):
                await message.delete()
            raise _LostRace
        return message

    async def _batch_place(self, job: Job, private: bool) -> discord.abc.Messageable | None:
        if not private:
            return self.client.get_partial_messageable(job.channel_id) if job.channel_id else None
        try:
            user = self.client.get_user(job.user_id) or await self.client.fetch_user(job.user_id)
            return user.dm_channel or await user.create_dm()
        except discord.HTTPException:
            return None

    async def _edit_batch_reply(
        self, job: Job, members: list[Delivery], **fields: Any
    ) -> discord.Message | None:
        """Edit the batch's reply (any of its jobs' interaction: they share it); None when out of reach."""
        if not await self._token_valid(job):
            return None
        fields.setdefault("allowed_mentions", discord.AllowedMentions.none())
        interaction = next((self._live[m.job_id] for m in members if m.job_id in self._live), None)
        delivery = await self._delivery(job)
        try:
            # the jobs of a batch share one interaction: its token reaches the reply
            return await self._edit_reply_message(interaction, delivery, **fields)
        except discord.NotFound:
            return None
        except discord.Forbidden as exc:
            log.info("job %s: editing the batch's reply was refused: %s", job.id, exc)
            return None

    # -- Discord I/O ------------------------------------------------------------------------------

    async def _delivery(self, job: Job) -> Delivery | None:
        """The job's delivery record: the one in hand, else the stored one (a worker's, or after a
        restart), read once for all who ask while it is being read (a flush showing the job's
        held-back update and the job's own next update)."""
        delivery = self._records.get(job.id)
        if delivery is not None:
            return delivery
        reading = self._reading.get(job.id)
        if reading is None:
            reading = asyncio.ensure_future(self.deliveries.get(job.id))
            self._reading[job.id] = reading
            reading.add_done_callback(functools.partial(self._read_done, job.id))
        delivery = await asyncio.shield(reading)  # one waiter cancelled does not cancel the others' read
        if delivery is not None:
            self._records[job.id] = delivery
        return delivery

    def _read_done(self, job_id: str, reading: asyncio.Future[Delivery | None]) -> None:
        if self._reading.get(job_id) is reading:
            del self._reading[job_id]
        if not reading.cancelled():
            reading.exception()  # retrieved: raised to its waiters, if any are left

    async def language(self, job: Job) -> str:
        """The language the job was asked in (its delivery record), else DEFAULT_LANGUAGE."""
        try:
            delivery = await self._delivery(job)
        except Exception as exc:  # the store is down: the member still hears, in the default
            log.info("job %s: its language was not read (%s)", job.id, exc)
            delivery = None
        return resolve(delivery.locale if delivery is not None else None, self.default_language)

    async def _record_result(self, job: Job, message: discord.Message, *, reply: bool = False) -> None:
        """Keep the posted result's id (for `/history` links), and the reply's when the result is the
        reply edited (`reply`), for the job's end to store (`take_result_ids`): with the move to
        `delivered` (and on PostgreSQL the release) in one statement, not a write of their own."""
        try:
            delivery = await self._delivery(job)
        except Exception as exc:  # the image is out: a record not read must not make it post again
            log.warning("job %s: the posted result's id was not recorded: %s", job.id, exc)
            return
        if delivery is not None:
            ids = {"result_message_id": message.id}
            if reply and delivery.response_message_id != message.id:
                ids["response_message_id"] = message.id
            self._result_ids[job.id] = ids
            for name, value in ids.items():
                setattr(delivery, name, value)

    def take_result_ids(self, job_id: str) -> dict[str, int]:
        """The ids of the messages `deliver` posted for the job, handed once to its end (bot/jobs/sink.py
        `result_ids`), which stores them."""
        return self._result_ids.pop(job_id, {})

    async def _token_valid(self, job: Job) -> bool:
        """Whether the reply can still be edited with the interaction token (virtual time in tests)."""
        now = discord.utils.utcnow().timestamp()
        interaction = self._live.get(job.id)
        if interaction is not None:
            return now < interaction.created_at.timestamp() + TOKEN_LIFETIME
        delivery = await self._delivery(job)
        created = delivery.created_at if delivery is not None else None
        return bool(delivery is not None and delivery.token and created and now - created < TOKEN_LIFETIME)

    async def _edit_reply(self, job: Job, *, record: bool = True, **fields: Any) -> discord.Message | None:
        """Edit the member's reply; None when the token is gone (expired, restarted) or the reply deleted.

        Other refusals (an upload too large) are raised for the caller to act on. `record`:
        the reply's id is stored once known (else the caller stores it with what it writes next).
        """
        if not await self._token_valid(job):
            return None
        fields.setdefault("allowed_mentions", discord.AllowedMentions.none())
        try:
            return await self._edit_reply_message(
                self._live.get(job.id), await self._delivery(job), record=record, **fields
            )
        except discord.NotFound:
            return None  # the reply was deleted, or the token expired early
        except discord.Forbidden as exc:
            log.info("job %s: editing the reply was refused: %s", job.id, exc)
            return None

    async def _edit_reply_message(
        self,
        interaction: discord.Interaction | None,
        delivery: Delivery | None,
        *,
        record: bool = True,
        **fields: Any,
    ) -> discord.Message | None:
        """The member's reply edited: through the live interaction, else by its token alone
        (`@original`); the reply's id is recorded once known (unless not `record`). None when there
        is no token."""
        message: discord.Message | None
        if interaction is not None:
            message = await interaction.edit_original_response(**fields)
        else:
            message = await self._edit_original(delivery, **fields)
            if message is None:
                return None
        if record and delivery is not None and delivery.response_message_id != message.id:
            await self.deliveries.record(delivery, response_message_id=message.id)
        return message

    async def _edit_original(self, delivery: Delivery | None, **fields: Any) -> discord.Message | None:
        """Edit the interaction's original response from its stored token, with no Interaction at hand.

        `PATCH /webhooks/{application_id}/{token}/messages/@original`: the token alone names the
        reply, so a worker (or a restarted gateway) needs no message id. The id the gateway records
        after its own first edit may not be stored yet when a fast worker delivers, and a delivery
        record read before it was stays without it; waiting on it posted the image in the channel.
        """
        if delivery is None or delivery.app_id is None or not delivery.token:
            return None
        webhook = discord.Webhook.partial(delivery.app_id, delivery.token, client=self.client)
        return await webhook.edit_message(ORIGINAL, **fields)  # type: ignore[call-overload]

    async def _post_in_channel(self, job: Job, **fields: Any) -> discord.Message:
        if job.channel_id is None:
            raise Undeliverable("the job has no channel")
        channel = self.client.get_partial_messageable(job.channel_id)
        try:
            return await channel.send(allowed_mentions=only_the_requester(job), **fields)
        except (discord.Forbidden, discord.NotFound) as exc:
            raise Undeliverable(f"cannot post in channel {job.channel_id}: {exc.text or exc.status}") from exc

    async def _send_dm(self, job: Job, **fields: Any) -> discord.Message:
        try:
            user = self.client.get_user(job.user_id) or await self.client.fetch_user(job.user_id)
            return await user.send(**fields)
        except (discord.Forbidden, discord.NotFound) as exc:
            raise Undeliverable(f"cannot DM member {job.user_id}: {exc.text or exc.status}") from exc


class _LostRace(Exception):
    """Another process recorded the batch's message first."""


def _showing(jobs: Any) -> tuple[tuple[str, bool, bool], ...]:
    """What a batch's message shows of each job: its image, or its end."""
    return tuple(
        (j.id, j.state in (JobState.DELIVERING, JobState.DELIVERED) and bool(j.result_path), j.state.terminal)
        for j in jobs
    )


async def _stored_result(job: Job) -> bytes | None:
    """A batch's image that arrived earlier: its file (None while it has none)."""
    if job.state not in (JobState.DELIVERING, JobState.DELIVERED) or not job.result_path:
        return None
    try:
        return await asyncio.to_thread(Path(job.result_path).read_bytes)
    except OSError:
        return None


def only_the_requester(job: Job) -> discord.AllowedMentions:
    """A post names its requester to tell them; nobody else is ever pinged, whatever a prompt holds."""
    return discord.AllowedMentions(
        everyone=False, roles=False, users=[discord.Object(job.user_id)], replied_user=False
    )


def _transient(error: BaseException) -> bool:
    """A Discord 5xx or 429: worth retrying later, not a reason to give up or to detour."""
    return isinstance(error, discord.HTTPException) and (error.status >= 500 or error.status == 429)
