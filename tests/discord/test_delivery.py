"""The Discord side of a job: throttled progress, the 15-minute fallback, DMs, undeliverable."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import discord
import pytest

import bot.discord.delivery as delivery_module
from bot.discord.delivery import DiscordSink, EditBudget
from bot.discord.render import failure_text
from bot.jobs.model import Job, JobState, Origin
from bot.jobs.sink import Progress
from bot.store.deliveries import Deliveries, Delivery
from tests.conftest import finish_jobs
from tests.helpers import until


@pytest.fixture
def database_settings(database_url: str) -> dict[str, Any]:
    return {"database_url": database_url}  # every test here, on each backend


def reply_edits(env, result) -> list[dict]:
    """The bodies of the edits of one interaction's reply, in order."""
    token = f"/{result._interaction.token}/messages/"
    return [
        entry.json or {}
        for entry in env.http_requests
        if entry.method == "PATCH" and token in entry.path and entry.path.startswith("/webhooks/")
    ]


def finish_at_the_fake(fake) -> None:
    """Every job the fake provider has so far is done from now on."""
    for job in fake.jobs.values():
        job.duration = 0.0


async def test_progress_edits_are_throttled_and_the_result_is_never_dropped(
    simcord_env, running, guild_setup, fake_ttapi
):
    _, channel, alice = guild_setup
    bot = simcord_env.bot
    bot.sink.progress_interval = 0.5
    fake_ttapi.duration = 2.0  # polled every 0.02–0.2 s: dozens of updates

    result = await alice.slash(channel, "imagine", prompt="a slow lighthouse")
    await finish_jobs(simcord_env, running)

    edits = reply_edits(simcord_env, result)
    progress = [e["content"] for e in edits if e.get("content")]
    (job,) = await running.jobs.for_user(alice.id)
    # Far fewer edits than updates: at most one per 0.5 s over ~2 s, plus the first one.
    assert job.polls >= 10
    assert 2 <= len(progress) <= 2.0 / 0.5 + 2
    # Its place while it waits unclaimed; a worker that claimed it before its place was read (a
    # loaded machine: CI on c3cb7bf) leaves the notice without one, the job about to start.
    assert progress[0].rsplit("\n", 1)[-1] in ("⏳ Queued (position 1)", "⏳ Queued"), progress
    generating = [p for p in progress if "🎨 Generating" in p]
    assert generating, progress
    assert "▰" in generating[-1]
    assert "s of ~" in generating[-1]
    # The final state always goes out, whatever the throttle said a moment before.
    assert edits[-1]["content"] == ""
    assert len(result.response.attachments) == 1
    assert job.state is JobState.DELIVERED


async def test_a_burst_of_jobs_stays_within_the_global_edit_budget(
    simcord_env, running, guild_setup, fake_ttapi
):
    guild, channel, _ = guild_setup
    bot = simcord_env.bot
    bot.sink.progress_interval = 0.0  # only the global budget limits
    bot.sink.budget = EditBudget(rate=0.0, burst=4)
    fake_ttapi.duration = 0.5
    members = [guild.add_member(simcord_env.create_user(f"m{i}")) for i in range(4)]

    results = [await m.slash(channel, "imagine", prompt=f"burst {i}") for i, m in enumerate(members * 2)]
    await finish_jobs(simcord_env, running)

    progress_edits = sum(
        1 for r in results for e in reply_edits(simcord_env, r) if e.get("content") and not e.get("embeds")
    )
    assert progress_edits == 4
    assert bot.sink.budget.spent == 4
    assert bot.sink.budget.refused > 10
    # Every job still got its image: the final edit is outside the progress budget.
    for r in results:
        assert len(r.response.attachments) == 1


async def test_queued_jobs_are_told_when_they_move_up(simcord_env, running, guild_setup, fake_ttapi):
    guild, channel, alice = guild_setup
    bot = simcord_env.bot
    bot.sink.progress_interval = 0.0
    running.manager.concurrency["ttapi"] = 1  # one job at a time: the others wait in the queue
    fake_ttapi.duration = float("inf")  # each job runs until the test finishes it at the fake
    bob = guild.add_member(simcord_env.create_user("bob"))
    carol = guild.add_member(simcord_env.create_user("carol"))

    results = [
        await member.slash(channel, "imagine", prompt=name)
        for member, name in ((alice, "first"), (bob, "second"), (carol, "third"))
    ]

    def third_queued() -> list[str]:
        third = [e.get("content") or "" for e in reply_edits(simcord_env, results[2])]
        return [c.rsplit("\n", 1)[-1] for c in third if "Queued" in c]

    # Each step waits until the third member was told before the job ahead of them ends: a job
    # that ended within the moment of a command (a loaded machine) would leave no "position 2" to see.
    await until(lambda: third_queued() == ["⏳ Queued (position 2)"])
    await until(lambda: len(fake_ttapi.jobs) == 1)
    finish_at_the_fake(fake_ttapi)  # alice's job: bob's starts, carol moves up
    await until(lambda: third_queued()[-1:] == ["⏳ Queued (position 1)"])
    await until(lambda: len(fake_ttapi.jobs) == 2)
    fake_ttapi.duration = 0.0
    finish_at_the_fake(fake_ttapi)
    await finish_jobs(simcord_env, running)

    assert third_queued() == ["⏳ Queued (position 2)", "⏳ Queued (position 1)"]
    for result in results:
        assert len(result.response.attachments) == 1


async def test_a_result_after_15_minutes_is_posted_in_the_channel_mentioning_the_member(
    simcord_env, running, guild_setup, fake_ttapi
):
    _, channel, alice = guild_setup
    fake_ttapi.duration = 1.0

    result = await alice.slash(channel, "imagine", prompt="a very slow lighthouse")
    await simcord_env.advance_time(16 * 60)  # the interaction token is now expired
    await finish_jobs(simcord_env, running)

    posted = channel.last_message
    assert posted.id != result.response.id
    assert posted.content.startswith(f"{alice.mention} your image is ready")
    assert len(posted.attachments) == 1
    assert posted.embeds[0].description == "a very slow lighthouse"
    assert [c.label for c in posted.components[0].children] == ["Reroll", "Edit", "Vary", "Details", "Delete"]
    assert alice.id in {u.id for u in posted.mentions}
    (job,) = await running.jobs.for_user(alice.id)
    assert job.state is JobState.DELIVERED
    assert (await Deliveries(running.db).get(job.id)).result_message_id == posted.id
    # No use of the dead token: nothing after expiry went to the interaction webhook.
    assert not any(
        "your image is ready" in (e.get("content") or "") for e in reply_edits(simcord_env, result)
    )


async def test_within_15_minutes_the_reply_itself_becomes_the_result(
    simcord_env, running, guild_setup, fake_ttapi
):
    _, channel, alice = guild_setup
    result = await alice.slash(channel, "imagine", prompt="quick")
    await simcord_env.advance_time(14 * 60)  # still inside the window
    await finish_jobs(simcord_env, running)

    assert len(result.response.attachments) == 1
    assert channel.last_message.id == result.response.id


async def test_the_replys_and_the_results_ids_are_stored_with_the_jobs_end(
    simcord_env, running, guild_setup, fake_ttapi, monkeypatch
):
    """Progress edits store nothing, and neither does the result's post: the reply's and the
    result's ids are stored with the job's move to `delivered` (on PostgreSQL in one statement with
    the release, tests/jobs/test_claims.py), where a worker wrote them in a write of their own."""
    _, channel, alice = guild_setup
    sink = simcord_env.bot.sink
    writes: list[list[str]] = []
    record = sink.deliveries.record

    async def counted(delivery: Delivery, **messages: int) -> None:
        writes.append(sorted(messages))
        await record(delivery, **messages)

    monkeypatch.setattr(sink.deliveries, "record", counted)
    result = await alice.slash(channel, "imagine", prompt="a lighthouse")
    await finish_jobs(simcord_env, running)

    (job,) = await running.jobs.for_user(alice.id)
    assert job.state is JobState.DELIVERED
    stored = await Deliveries(running.db).get(job.id)
    assert stored is not None
    assert (stored.response_message_id, stored.result_message_id) == (result.response.id, result.response.id)
    assert len(reply_edits(simcord_env, result)) >= 2  # "Queued" (at least), then the result
    assert writes == []
    assert sink._result_ids == {}  # handed to the end, none left behind


def as_a_worker_before_the_reply_id_is_stored(sink: DiscordSink, monkeypatch) -> None:
    """Deliver as another process would, racing the gateway: no live interaction, no reply id.

    A worker (`--role worker`) holds no Interaction, only the delivery record; the gateway stores
    the reply's message id after its own first edit of the reply, which a fast worker may beat (and
    a record it read before then stays without it). Here that id is never stored while the job runs.
    """
    track_id = sink.track_id

    def without_the_interaction(job_id: str, *args: Any, **kwargs: Any) -> Delivery:
        delivery = track_id(job_id, *args, **kwargs)
        sink._live.pop(job_id, None)
        return delivery

    record = sink.deliveries.record
    take_result_ids = sink.take_result_ids

    async def no_reply_id(delivery: Delivery, **messages: int) -> None:
        messages.pop("response_message_id", None)
        await record(delivery, **messages)

    def no_reply_id_at_the_end(job_id: str) -> dict[str, int]:
        ids = take_result_ids(job_id)
        ids.pop("response_message_id", None)
        return ids

    monkeypatch.setattr(sink, "track_id", without_the_interaction)
    monkeypatch.setattr(sink.deliveries, "record", no_reply_id)
    monkeypatch.setattr(sink, "take_result_ids", no_reply_id_at_the_end)


def original_edits(env, result) -> list[Any]:
    """The edits of the interaction's reply by its token alone (`/messages/@original`)."""
    path = f"/{result._interaction.token}/messages/@original"
    return [e for e in env.http_requests if e.method == "PATCH" and e.path.endswith(path)]


def bot_posts(channel: Any, reply_id: int) -> list[Any]:
    """The bot's messages in the channel other than the interaction's reply."""
    return [m for m in channel.history() if m.author.bot and m.id != reply_id]


async def test_a_process_without_the_interaction_edits_the_reply_before_its_id_is_stored(
    simcord_env, running, guild_setup, fake_ttapi, monkeypatch
):
    _, channel, alice = guild_setup
    as_a_worker_before_the_reply_id_is_stored(simcord_env.bot.sink, monkeypatch)

    result = await alice.slash(channel, "imagine", prompt="no id yet")
    await finish_jobs(simcord_env, running)

    (job,) = await running.jobs.for_user(alice.id)
    assert job.state is JobState.DELIVERED
    assert (await Deliveries(running.db).get(job.id)).response_message_id is None  # type: ignore[union-attr]
    # The reply itself became the result, through the token alone; nothing posted in the channel.
    assert len(result.response.attachments) == 1
    assert original_edits(simcord_env, result)
    assert bot_posts(channel, result.response.id) == []


async def test_a_batch_delivered_without_the_interaction_before_its_reply_id_is_stored_is_one_message(
    simcord_env, running, guild_setup, fake_ttapi, monkeypatch
):
    _, channel, alice = guild_setup
    as_a_worker_before_the_reply_id_is_stored(simcord_env.bot.sink, monkeypatch)

    result = await alice.slash(channel, "imagine", prompt="two kites", count=2)
    await finish_jobs(simcord_env, running)

    jobs = await running.jobs.for_user(alice.id)
    assert [j.state for j in jobs] == [JobState.DELIVERED] * 2
    assert len(result.response.attachments) == 2  # one message, both images
    assert bot_posts(channel, result.response.id) == []
    # Every job of the batch records the reply as the batch's message (compare-and-set, migration 0020).
    first = await Deliveries(running.db).get(jobs[0].id)
    assert first is not None
    assert first.batch_id
    members = await Deliveries(running.db).batch(first.batch_id)
    assert [m.result_message_id for m in members] == [result.response.id] * 2


async def test_when_the_bot_cannot_post_in_the_channel_the_member_gets_a_dm(
    simcord_env, running, guild_setup, fake_ttapi
):
    guild, _, alice = guild_setup
    locked = guild.create_text_channel(
        "locked", overwrites={guild.me: discord.PermissionOverwrite(send_messages=False)}
    )
    fake_ttapi.duration = 1.0

    await alice.slash(locked, "imagine", prompt="a lighthouse nobody may post")
    await simcord_env.advance_time(16 * 60)
    await finish_jobs(simcord_env, running)

    refused = [
        e
        for e in simcord_env.http_requests
        if e.method == "POST" and e.path == f"/channels/{locked.id}/messages"
    ]
    assert len(refused) == 1  # tried the channel first (50013 Missing Permissions)
    dm = alice.user.dm_channel.last_message
    assert dm is not None
    assert dm.content.startswith("Your image is ready. I could not post it in")
    assert len(dm.attachments) == 1
    (job,) = await running.jobs.for_user(alice.id)
    assert job.state is JobState.DELIVERED
    assert (await Deliveries(running.db).get(job.id)).result_message_id == dm.id


async def test_a_deleted_channel_falls_back_to_a_dm(simcord_env, running, guild_setup, fake_ttapi):
    _, channel, alice = guild_setup
    fake_ttapi.duration = 1.0

    await alice.slash(channel, "imagine", prompt="channel gone")
    await simcord_env.advance_time(16 * 60)
    simcord_env.inject_error(
        "POST", f"/channels/{channel.id}/messages", status=404, code=10003, message="Unknown Channel"
    )
    await finish_jobs(simcord_env, running)

    dm = alice.user.dm_channel.last_message
    assert dm is not None
    assert len(dm.attachments) == 1
    (job,) = await running.jobs.for_user(alice.id)
    assert job.state is JobState.DELIVERED


async def test_undeliverable_only_when_channel_and_dm_both_fail(
    simcord_env, running, guild_setup, fake_ttapi
):
    guild, _, alice = guild_setup
    locked = guild.create_text_channel(
        "locked", overwrites={guild.me: discord.PermissionOverwrite(send_messages=False)}
    )
    fake_ttapi.duration = 1.0

    await alice.slash(locked, "imagine", prompt="nowhere to go")
    await simcord_env.advance_time(16 * 60)
    simcord_env.inject_error(
        "POST", "/users/@me/channels", status=403, code=50007, message="Cannot send messages to this user"
    )
    await finish_jobs(simcord_env, running)

    (job,) = await running.jobs.for_user(alice.id)
    assert job.state is JobState.UNDELIVERABLE
    assert "cannot post in channel" in (job.error_message or "")
    assert "DM" in (job.error_message or "")
    # What a member reads of it (Details, /history) is the catalogue's, in the job's language.
    assert "не смог ни опубликовать" in failure_text(job, "ru")
    # The member was still charged: the provider made (and billed) the image.
    assert job.cost is not None


async def test_a_discord_5xx_on_the_result_edit_is_retried_on_the_same_reply(
    simcord_env, running, guild_setup, fake_ttapi
):
    _, channel, alice = guild_setup
    result = await alice.slash(channel, "imagine", prompt="a hiccup")
    simcord_env.inject_error("PATCH", "/webhooks/*", status=503, code=0, message="Service Unavailable")
    await finish_jobs(simcord_env, running)

    assert len(result.response.attachments) == 1  # the reply itself, not a detour
    assert channel.last_message.id == result.response.id
    (job,) = await running.jobs.for_user(alice.id)
    assert job.state is JobState.DELIVERED


async def test_a_repeated_hand_over_after_a_crash_does_not_post_the_result_twice(
    simcord_env, running, guild_setup, fake_ttapi
):
    """A crash after the channel post but before `delivered` was recorded: the restart hands the
    same job to the sink again (`delivery_attempts` 2); it finds its own post and stops there."""
    _, channel, alice = guild_setup
    fake_ttapi.duration = 1.0
    await alice.slash(channel, "imagine", prompt="posted once")
    await simcord_env.advance_time(16 * 60)
    await finish_jobs(simcord_env, running)
    (job,) = await running.jobs.for_user(alice.id)
    first = channel.last_message

    job.delivery_attempts = 2
    with simcord_env.time_context():
        again = await simcord_env.bot.sink.deliver(job, b"\x89PNG not even decoded")
    await simcord_env.settle()

    assert again == first.id
    assert channel.last_message.id == first.id
    bot_posts = [
        e
        for e in simcord_env.http_requests
        if e.method == "POST" and e.path == f"/channels/{channel.id}/messages"
    ]
    assert len(bot_posts) == 1


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class _RecordingSink(DiscordSink):
    """The sink's own throttling, with the Discord edit replaced by a record of it."""

    def __init__(self, clock: _Clock) -> None:
        super().__init__(
            client=None,  # type: ignore[arg-type]
            jobs=SimpleNamespace(db=None),  # type: ignore[arg-type]
            budget=EditBudget(rate=1.0, burst=1, clock=clock),
            progress_interval=0.0,
            clock=clock,
        )
        self.edited: list[str] = []

    async def _edit_reply(self, job: Job, **fields: object) -> None:
        self.edited.append(job.id)


def _running_job(sink: DiscordSink, name: str, *, token_age: float = 0.0) -> Job:
    """A running job whose interaction (not live in this process) is `token_age` seconds old."""
    sink._records[name] = Delivery(name, app_id=1, token="token", created_at=time.time() - token_age)
    return Job(
        id=name,
        seq=1,
        state=JobState.RUNNING,
        origin=Origin.DISCORD,
        provider="ttapi",
        model="flux-dev",
        prompt=name,
        params={},
        user_id=1,
        guild_id=None,
        channel_id=None,
        estimate=Decimal("1"),
        created_at=0.0,
        updated_at=0.0,
    )


async def test_held_back_progress_goes_out_oldest_first_as_the_budget_frees():
    clock = _Clock()
    sink = _RecordingSink(clock)
    a, b, c, d = (_running_job(sink, n) for n in "abcd")

    for second, job in enumerate((a, b, c)):
        await sink.job_updated(job, Progress(JobState.RUNNING, elapsed=float(second)))
    assert sink.edited == ["a"]  # one token: b and c are held back
    assert list(sink._pending) == ["b", "c"]

    clock.now = 1.0  # one more token; d's update arrives, but b has waited longest
    await sink.job_updated(d, Progress(JobState.RUNNING, elapsed=1.0))
    assert sink.edited == ["a", "b"]
    assert list(sink._pending) == ["c", "d"]

    clock.now = 2.0
    await sink.job_updated(a, Progress(JobState.RUNNING, elapsed=5.0))
    assert sink.edited == ["a", "b", "c"]


async def test_a_held_back_update_whose_token_expired_is_dropped():
    clock = _Clock()
    sink = _RecordingSink(clock)
    fresh, old = _running_job(sink, "fresh"), _running_job(sink, "old", token_age=14.4 * 60)

    await sink.job_updated(fresh, Progress(JobState.RUNNING, elapsed=1.0))
    await sink.job_updated(old, Progress(JobState.RUNNING, elapsed=1.0))
    assert list(sink._pending) == ["old"]

    sink._records["old"].created_at = time.time() - 15 * 60  # its 15 minutes are up meanwhile
    clock.now = 1.0
    await sink.job_updated(fresh, Progress(JobState.RUNNING, elapsed=2.0))
    assert sink._pending == {}
    assert sink.edited == ["fresh", "fresh"]  # the token went to the live reply


async def test_an_update_that_cannot_be_sent_is_not_rendered(monkeypatch: pytest.MonkeyPatch):
    # With thousands of jobs polled and 5 edits/s, rendering every update (Fluent) cost most of a
    # poll. Only the update that goes out is rendered; a held-back one when its turn comes.
    rendered: list[str] = []
    real = delivery_module.progress_text

    def counting(job: Job, progress: Progress, language: str) -> str:
        rendered.append(job.id)
        return real(job, progress, language)

    monkeypatch.setattr(delivery_module, "progress_text", counting)
    clock = _Clock()
    sink = _RecordingSink(clock)
    jobs = [_running_job(sink, f"j{n}") for n in range(5)]

    for round_ in range(3):
        for job in jobs:
            await sink.job_updated(job, Progress(JobState.RUNNING, elapsed=float(round_)))
    assert sink.edited == ["j0"]
    assert rendered == ["j0"]  # 14 updates held back, none rendered
    assert list(sink._pending) == ["j1", "j2", "j3", "j4", "j0"]

    clock.now = 1.0  # one token: the oldest held-back update is rendered and sent
    await sink.job_updated(jobs[0], Progress(JobState.RUNNING, elapsed=3.0))
    assert sink.edited == ["j0", "j1"]
    assert rendered == ["j0", "j1"]


async def test_a_flush_looks_at_the_oldest_held_back_updates_only():
    # Every update of every job flushes; walking all of thousands held back each time was a
    # quarter of a worker's CPU. The oldest FLUSH_LOOKAHEAD are looked at; the rest wait their turn.
    clock = _Clock()
    sink = _RecordingSink(clock)
    sink.progress_interval = 10.0
    older = [_running_job(sink, f"o{n}") for n in range(delivery_module.FLUSH_LOOKAHEAD)]
    for job in older:  # shown at 0, then an update within their interval: held back
        sink.budget = EditBudget(rate=1.0, burst=1, clock=clock)
        await sink.job_updated(job, Progress(JobState.RUNNING, elapsed=0.0))
        await sink.job_updated(job, Progress(JobState.RUNNING, elapsed=1.0))
    last = _running_job(sink, "last")
    sink.budget = EditBudget(rate=0.0, burst=0, clock=clock)
    await sink.job_updated(last, Progress(JobState.RUNNING, elapsed=1.0))  # no token: held back
    assert list(sink._pending)[-1] == "last"
    edited = len(sink.edited)

    sink.budget = EditBudget(rate=1.0, burst=1, clock=clock)  # a token; the oldest are not due yet
    await sink.job_updated(older[0], Progress(JobState.RUNNING, elapsed=2.0))
    assert len(sink.edited) == edited  # "last" is beyond the lookahead: it waits

    clock.now = 10.0  # the oldest are due: the first goes out
    await sink.job_updated(last, Progress(JobState.RUNNING, elapsed=3.0))
    assert sink.edited[-1] == "o0"


class _CountedDeliveries:
    """The store's delivery records, counting reads; each read yields to the event loop first, as a
    round trip to the store does."""

    def __init__(self, records: dict[str, Delivery]) -> None:
        self.stored = dict(records)
        self.reads: list[str] = []

    async def get(self, job_id: str) -> Delivery | None:
        self.reads.append(job_id)
        await asyncio.sleep(0.01)
        return self.stored.get(job_id)


async def test_a_jobs_delivery_record_is_read_once_for_all_who_ask_while_it_is_read():
    # A worker holds no record of the jobs it claims: it reads each from the store. A flush showing
    # a job's held-back update and the job's own next update asked for it at once: two reads.
    sink = _RecordingSink(_Clock())
    job = _running_job(sink, "a")
    sink.deliveries = _CountedDeliveries(sink._records)  # type: ignore[assignment]
    sink._records.clear()  # as a worker starts: the record is in the store only

    languages = await asyncio.gather(sink.language(job), sink.language(job), sink._token_valid(job))

    assert sink.deliveries.reads == ["a"]  # type: ignore[attr-defined]  # was ["a", "a", "a"]
    assert languages == ["en-US", "en-US", True]
    await sink.language(job)
    assert sink.deliveries.reads == ["a"]  # type: ignore[attr-defined]  # kept while the job is in hand


async def test_a_flush_skips_a_job_delivered_while_an_earlier_edit_went_out():
    # A flush walks a copy of the held-back updates. A job delivered while the flush waited for an
    # earlier job's edit is forgotten by its delivery; the flush showed it anyway, reading its
    # record back from the store and putting progress text over the delivered image.
    clock = _Clock()
    sink = _RecordingSink(clock)
    a, b, c = (_running_job(sink, n) for n in "abc")
    sink.deliveries = _CountedDeliveries(sink._records)  # type: ignore[assignment]
    sink.budget = EditBudget(rate=0.0, burst=0, clock=clock)
    await sink.job_updated(a, Progress(JobState.RUNNING, elapsed=1.0))
    await sink.job_updated(b, Progress(JobState.RUNNING, elapsed=1.0))
    assert list(sink._pending) == ["a", "b"]
    editing, go_on = asyncio.Event(), asyncio.Event()
    recorded = sink._edit_reply

    async def slow_edit(job: Job, **fields: object) -> None:
        editing.set()
        await go_on.wait()
        await recorded(job, **fields)

    sink._edit_reply = slow_edit  # type: ignore[method-assign]
    sink.budget = EditBudget(rate=0.0, burst=3, clock=clock)
    flushing = asyncio.create_task(sink.job_updated(c, Progress(JobState.RUNNING, elapsed=1.0)))
    await editing.wait()  # a's edit is out; b is delivered meanwhile
    sink._pending.pop("b")  # as `deliver` begins
    sink.forget_id("b")  # as it ends
    go_on.set()
    await flushing

    assert sink.edited == ["a", "c"]  # was ["a", "b", "c"]
    assert sink.deliveries.reads == []  # type: ignore[attr-defined]  # was ["b"]
    assert "b" not in sink._pending
    assert "b" not in sink._records


async def test_a_gateway_reads_the_place_of_as_many_new_jobs_as_it_can_show():
    # A gateway's "Queued" edit shows the job's place, a count of the shared queue on PostgreSQL.
    # Commands arriving together each read their place while the one token left was free; one
    # edit went out and the other reads were thrown away (304 reads for 107 edits, 1,100 commands).
    clock = _Clock()
    reads: list[str] = []

    async def queue_position(job: Job) -> int:
        reads.append(job.id)
        await asyncio.sleep(0.01)
        return 7

    sink = DiscordSink(
        client=None,  # type: ignore[arg-type]
        jobs=SimpleNamespace(db=None),  # type: ignore[arg-type]
        queue_position=queue_position,
        budget=EditBudget(rate=0.0, burst=2, clock=clock),
        clock=clock,
        follows=False,
    )
    edits: list[tuple[str, object]] = []

    async def edit_reply(job: Job, **fields: object) -> None:
        edits.append((job.id, fields["content"]))

    sink._edit_reply = edit_reply  # type: ignore[method-assign]
    jobs = [_running_job(sink, f"j{n}") for n in range(6)]
    queued = Progress(JobState.QUEUED)

    await asyncio.gather(*(sink.job_updated(replace(job, state=JobState.QUEUED), queued) for job in jobs))

    assert reads == ["j0", "j1"]  # as many as the budget has edits for
    assert [(job_id, str(content).endswith("(position 7)")) for job_id, content in edits] == [
        ("j0", True),
        ("j1", True),
    ]
    assert sink.budget.refused == 4
    assert sink._records == {}
    assert sink._pending == {}
