"""Issue 19, operators: the audit channel, prompt rules and age-restricted channels, as admins and
members use them in simulated Discord, with the real bot, the store on each backend and the fake TTAPI."""

from __future__ import annotations

import asyncio
import itertools
import re
import time
from types import SimpleNamespace
from typing import Any

import discord
import pytest

from bot.admin_actions import AuditRecorder, action, admin_line
from bot.discord.audit import AUDIT_INTERVAL, POLL, AuditDesk
from bot.errors import InvalidInput, NotAllowed
from bot.jobs.model import JobState
from bot.store import open_database
from bot.store.bot_state import BotState
from bot.store.guilds import GuildStore
from bot.store.operator import AuditLines
from tests.conftest import finish_jobs, refusals
from tests.helpers import private_text, show_admin_to


def answer(result) -> Any:
    """What the member saw last: the (deferred) reply, or the latest followup."""
    return result.followups[-1] if result.followups else result.response


def dm_history(env, who) -> list[Any]:
    return getattr(who, "user", who).dm_channel.history()


@pytest.fixture
def database_settings(database_url: str) -> dict[str, Any]:
    return {"database_url": database_url}  # every test here, on each backend


@pytest.fixture
async def audit(simcord_env, simcord_bot, running):
    """The audit poster, started beside the job manager as the runner does."""
    desk = simcord_bot.audit
    with simcord_env.time_context():
        desk.start()
    yield desk
    await desk.stop()


def audit_posts(env, channel) -> list[Any]:
    """The bot's POSTs into `channel`, as Discord received them."""
    return [
        e for e in env.http_requests if e.method == "POST" and e.path == f"/channels/{channel.id}/messages"
    ]


async def watch(
    channel, seconds: float, until: int | None = None, *, having: tuple[str, ...] = ()
) -> list[tuple[float, int]]:
    """When the channel's message count changed (real seconds), for `seconds`, or until `until`
    messages, or until its text has every one of `having` (after which no line is left to post)."""
    changes: list[tuple[float, int]] = []
    start = time.monotonic()
    count = len(channel.history())
    while time.monotonic() - start < seconds:
        now = len(channel.history())
        if now != count:
            count = now
            changes.append((time.monotonic(), now))
            if until is not None and now >= until:
                break
            text = "\n".join(m.content for m in channel.history())
            if having and all(n in text for n in having):
                break
        await asyncio.sleep(0.02)
    return changes


async def settings_line_posted(channel) -> None:
    """The audit channel's first message, the settings change, is in: what follows counts on it
    (a wait that ran out under load left that line to be sent with the test's own lines)."""
    await watch(channel, 10.0, until=1)
    assert channel.history(), "the settings change was never posted"


async def lines_sent(lines, guild_id: int, seconds: float = 4.0) -> None:
    """Until the guild has no audit line waiting (each is deleted right after its post lands), or
    `seconds` (the caller's asserts then say what is left)."""
    deadline = time.monotonic() + seconds
    while await lines.count(guild_id) and time.monotonic() < deadline:
        await asyncio.sleep(0.02)


async def posted(channel, *needles: str, seconds: float = 8.0) -> str:
    """The channel's text once every one of `needles` is in it (or after `seconds`: the caller's
    asserts then say what is missing)."""
    start = time.monotonic()
    while True:
        text = "\n".join(m.content for m in channel.history())
        if all(n in text for n in needles) or time.monotonic() - start >= seconds:
            return text
        await asyncio.sleep(0.02)


async def set_audit_channel(env, server) -> Any:
    log = server["guild"].create_text_channel("audit-log")
    done = await server["mod"].slash(server["channel"], "admin settings", audit_channel=f"<#{log.id}>")
    assert answer(done).content == "Saved."
    return log


# -- the audit channel ---------------------------------------------------------------------------------


async def test_jobs_and_admin_actions_are_posted_in_batches_at_most_one_message_per_five_seconds(
    simcord_env, running, audit, server, fake_ttapi
):
    alice, mod, channel = server["alice"], server["mod"], server["channel"]
    log = await set_audit_channel(simcord_env, server)
    await settings_line_posted(log)

    fake_ttapi.cost = "5"
    imagined = await alice.slash(channel, "imagine", prompt="a lighthouse @everyone")
    await mod.slash(channel, "admin quota limit", scope="member", amount="40", member=alice)
    await mod.slash(channel, "admin quota grant", scope="member", amount="10", member=alice)
    await mod.slash(channel, "admin quota reset", scope="member", member=alice)
    await finish_jobs(simcord_env, running)
    every_line = (
        "changed the settings: audit channel",
        f"set the limit of {alice.mention} to 40",
        f"granted 10 credits to {alice.mention}",
        f"reset this period's usage of {alice.mention}",
        f"✅ <@{alice.id}>",
    )
    changes = await watch(log, 12.0, until=4, having=every_line)

    messages = log.history()
    texts = [m.content for m in messages]  # oldest first
    lines = [line for text in texts for line in text.splitlines()]
    assert any("changed the settings: audit channel" in line for line in lines)
    assert any(f"<@{mod.id}> set the limit of {alice.mention} to 40" in line for line in lines)
    assert any(f"<@{mod.id}> granted 10 credits to {alice.mention}" in line for line in lines)
    assert any(f"<@{mod.id}> reset this period's usage of {alice.mention}" in line for line in lines)
    result_url = f"https://discord.com/channels/{server['guild'].id}/{channel.id}/{imagined.response.id}"
    (job_line,) = [line for line in lines if line.startswith("✅")]
    assert job_line == f"✅ <@{alice.id}> · `flux-pro-1.1` · 5 credits · [result]({result_url})"
    # Batched: five lines in at most three messages, one with several lines, 5 s or more apart.
    assert len(messages) <= 3
    assert max(len(t.splitlines()) for t in texts) >= 2
    times = [at for at, _ in changes]
    assert all(later - earlier >= 4.9 for earlier, later in itertools.pairwise(times))
    # Nobody is pinged: every post says so to Discord, and Discord pinged nobody it names.
    posts = audit_posts(simcord_env, log)
    assert posts
    assert all(p.json["allowed_mentions"] == {"parse": []} for p in posts)
    stored = [simcord_env.backend.get_message(log.id, m.id) for m in messages]
    assert any(s.mention_user_ids for s in stored)  # members are named ...
    assert [(s.ping_user_ids, s.ping_role_ids, s.mention_everyone) for s in stored] == [
        ([], [], False)
    ] * len(stored)  # ... and none of them pinged
    # Posted lines are not kept: each batch's are deleted once Discord answered its post, a moment
    # after the post shows in the channel (under load, after this test's last look at it).
    deadline = time.monotonic() + 5.0
    while await running.audit.count(server["guild"].id) and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    assert await running.audit.count(server["guild"].id) == 0


async def test_a_failed_job_is_posted_with_its_reason_and_nothing_charged(
    simcord_env, running, audit, server, fake_ttapi
):
    alice, channel = server["alice"], server["channel"]
    audit.interval = 0.5  # only the line matters here; the batching test above holds the 5 s
    log = await set_audit_channel(simcord_env, server)
    fake_ttapi.fail_next("The prompt could not be processed")
    await alice.slash(channel, "imagine", prompt="a lighthouse")
    await finish_jobs(simcord_env, running)
    text = await posted(log, f"❌ <@{alice.id}>", "nothing charged")

    assert f"❌ <@{alice.id}> · `flux-pro-1.1` · failed:" in text
    assert "nothing charged" in text


async def test_lost_access_keeps_the_lines_tells_the_admins_once_and_posts_them_when_access_returns(
    simcord_env, running, audit, server
):
    mod, channel, guild = server["mod"], server["channel"], server["guild"]
    log = await set_audit_channel(simcord_env, server)
    await settings_line_posted(log)
    audit.interval = audit.retry = 0.5  # tries twice a second, not every 5 s (then every minute)
    await audit.channel_set(guild.id)  # its next message may go at once
    simcord_env.inject_error(
        "POST", f"/channels/{log.id}/messages", status=403, code=50001, message="Missing Access", times=None
    )

    await mod.slash(channel, "admin quota limit", scope="default", amount="7")
    await mod.slash(channel, "admin rules add", rule="gore")
    await asyncio.sleep(2.5)  # several refused tries

    assert len(log.history()) == 1
    assert await running.audit.count(guild.id) == 2  # waiting, not lost
    # Told once, though several tries failed: the server's owner, and the admin who set the channel.
    for admin in (guild.owner, mod):
        told = [
            m
            for m in dm_history(simcord_env, admin)
            if "can no longer post in the audit channel" in m.content
        ]
        assert len(told) == 1
        assert f"<#{log.id}>" in told[0].content
        assert re.search(r"\d audit lines? (is|are) waiting", told[0].content)
    shown = await mod.slash(channel, "admin settings")
    audit_field = {f.name: f.value for f in answer(shown).embeds[0].fields}["Audit channel"]
    assert "cannot post there" in audit_field
    assert "2 lines waiting" in audit_field

    simcord_env.backend.faults.clear()  # the admins gave the bot its access back
    await watch(log, 4.0, until=2)  # access is back: the waiting lines arrive, in one message
    assert len(log.history()) == 2
    latest = log.history()[-1]
    assert "set the limit of every member (server default) to 7" in latest.content
    assert "added the prompt rule `gore`" in latest.content
    for _ in range(100):  # the poster clears the mark right after the post lands
        if await audit.lost_since(guild.id) is None:
            break
        await asyncio.sleep(0.02)
    assert await audit.lost_since(guild.id) is None
    assert await running.audit.count(guild.id) == 0


async def test_an_erasure_is_told_in_the_audit_channel_in_the_servers_language(
    simcord_env, running, audit, server
):
    mod, channel = server["mod"], server["channel"]
    log = await set_audit_channel(simcord_env, server)
    await mod.slash(channel, "admin settings", language="de")
    await mod.slash(channel, "admin privacy erase", member=server["bob"])

    expected = f"🛠 <@{mod.id}> hat die Daten eines Mitglieds auf diesem Server gelöscht (0 Aufträge)"
    deadline = time.monotonic() + 8.0
    while time.monotonic() < deadline and expected not in "\n".join(m.content for m in log.history()):
        await asyncio.sleep(0.05)
    assert expected in "\n".join(m.content for m in log.history())
    assert "erased" not in "\n".join(m.content for m in log.history())


async def test_a_russian_server_reads_its_audit_lines_in_russian(
    simcord_env, running, audit, server, fake_ttapi
):
    """`/admin settings language: ru`: a job's line, an admin's action and a rule refusal arrive in
    Russian, credits written the Russian way (Babel); the member's own client language does not
    matter (the channel is the server's)."""
    alice, mod, channel = server["alice"], server["mod"], server["channel"]
    audit.interval = 0.5  # only the lines matter here; the batching test above holds the 5 s
    log = server["guild"].create_text_channel("audit-log")
    await mod.slash(channel, "admin settings", audit_channel=f"<#{log.id}>", language="ru")
    await settings_line_posted(log)

    imagined = await alice.slash(channel, "imagine", prompt="a lighthouse")
    await finish_jobs(simcord_env, running)
    await mod.slash(channel, "admin quota limit", scope="member", amount="2500.5", member=alice)
    await mod.slash(channel, "admin rules add", rule="gore")
    await alice.slash(channel, "imagine", prompt="gore")
    await posted(log, "✅", "2\xa0500,5", "`gore`", "🚫")

    lines = [line for m in log.history() for line in m.content.splitlines()]
    result_url = f"https://discord.com/channels/{server['guild'].id}/{channel.id}/{imagined.response.id}"
    assert lines[0].startswith(f"🛠 <@{mod.id}> изменил(а) настройки: канал аудита → <#{log.id}>")
    assert f"✅ <@{alice.id}> · `flux-pro-1.1` · списано 5 кр. · [результат]({result_url})" in lines
    assert f"🛠 <@{mod.id}> установил(а) лимит для {alice.mention}: 2\xa0500,5 кр. за период" in lines
    assert f"🛠 <@{mod.id}> добавил(а) правило для запросов `gore`" in lines
    assert f"🚫 <@{alice.id}> · запрос отклонён правилом `gore` в <#{channel.id}>" in lines
    refusals(simcord_env)
    assert all(p.json["allowed_mentions"] == {"parse": []} for p in audit_posts(simcord_env, log))


async def test_a_failed_job_is_posted_in_the_servers_language(
    simcord_env, running, audit, server, fake_ttapi
):
    alice, mod, channel = server["alice"], server["mod"], server["channel"]
    audit.interval = 0.5  # only the line matters here; the batching test above holds the 5 s
    log = server["guild"].create_text_channel("audit-log")
    await mod.slash(channel, "admin settings", audit_channel=f"<#{log.id}>", language="de")
    fake_ttapi.fail_next("The prompt could not be processed")
    await alice.slash(channel, "imagine", prompt="a lighthouse")
    await finish_jobs(simcord_env, running)
    text = await posted(log, f"❌ <@{alice.id}>", "nichts berechnet")

    assert f"❌ <@{alice.id}> · `flux-pro-1.1` · fehlgeschlagen: " in text
    assert "nichts berechnet" in text


async def test_each_image_of_a_batch_is_a_job_line(simcord_env, running, audit, server, fake_ttapi):
    """`/imagine count:3` with one image refused: three lines, two results linking the batch's one
    message, and the refusal, told as its member was told (the job's note), with nothing charged."""
    alice, channel = server["alice"], server["channel"]
    audit.interval = 0.5  # only the lines matter here; the batching test above holds the 5 s
    log = await set_audit_channel(simcord_env, server)
    fake_ttapi.fail_next("prompt violation: banned words")
    result = await alice.slash(channel, "imagine", prompt="three lighthouses", count=3)
    await finish_jobs(simcord_env, running)
    lines: list[str] = []
    for _ in range(200):
        lines = [line for m in log.history() for line in m.content.splitlines()]
        if len(lines) >= 4:
            break
        await asyncio.sleep(0.05)
    url = f"https://discord.com/channels/{server['guild'].id}/{channel.id}/{result.response.id}"
    jobs = [line for line in lines if line.startswith(("✅", "❌"))]
    assert sorted(line[0] for line in jobs) == ["✅", "✅", "❌"]
    assert [line for line in jobs if line.startswith("✅")] == [
        f"✅ <@{alice.id}> · `flux-pro-1.1` · 5 credits · [result]({url})"
    ] * 2
    (refused,) = [line for line in jobs if line.startswith("❌")]
    assert refused == (
        f"❌ <@{alice.id}> · `flux-pro-1.1` · moderated: The provider's safety filter refused the prompt, an"
        f" input image or the image it made. · nothing charged · [reply]({url})"
    )


# -- several posters (processes) on one database ---------------------------------------------------


@pytest.fixture
async def second_process(database_url, tmp_path):
    """What another process of the bot holds: its own connection(s) to the same database."""
    async with open_database(database_url, data_dir=tmp_path / "second") as db:
        guilds = GuildStore(db)
        yield SimpleNamespace(
            db=db,
            guilds=guilds,
            lines=AuditLines(db),
            state=BotState(db),
            recorder=AuditRecorder(guilds, AuditLines(db)),
        )


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_two_posters_post_each_line_exactly_once_at_the_servers_pace(
    simcord_env, simcord_bot, running, server, second_process
):
    """Two gateways that both know the server (overlapping shards, a rolling restart) on one
    PostgreSQL: each line is posted once, by whichever poster holds the server's turn, and the
    server's messages keep the pace across both."""
    mod, guild = server["mod"], server["guild"]
    log = await set_audit_channel(simcord_env, server)
    first = simcord_bot.audit
    other = AuditDesk(
        simcord_bot,
        second_process.lines,
        second_process.guilds,
        second_process.state,
        recorder=second_process.recorder,
        interval=0.4,
        gather=0.05,
        poll=0.05,
    )
    first.interval, first.gather, first.poll = 0.4, 0.05, 0.05
    with simcord_env.time_context():
        first.start()
        other.start()
    try:
        await settings_line_posted(log)
        expected = []
        for n in range(40):  # recorded by both processes, as a worker's and a gateway's jobs would be
            desk = first if n % 2 else other
            line = admin_line(mod.id, action("rule_added", rule=f"rule{n}"))
            assert await desk.record(guild.id, line)
            expected.append(line.render("en-US"))
            await asyncio.sleep(0.01 * (n % 3))
        changes: list[float] = []
        seen = len(log.history())
        deadline = time.monotonic() + 20.0
        while time.monotonic() < deadline:
            if len(log.history()) != seen:
                seen = len(log.history())
                changes.append(time.monotonic())
            if await running.audit.count(guild.id) == 0:
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(1.0)  # a second post of the same lines would land now
    finally:
        await other.stop()
        await first.stop()
    posted = [line for m in log.history()[1:] for line in m.content.splitlines()]
    assert sorted(posted) == sorted(expected)  # every line, none twice
    assert await running.audit.count(guild.id) == 0
    posts = audit_posts(simcord_env, log)
    assert len(posts) == len(log.history())  # no send was repeated
    assert len({p.json["nonce"] for p in posts}) == len(posts)
    assert len(log.history()) >= 3  # several messages, so the pace was tested
    assert all(later - earlier >= 0.35 for earlier, later in itertools.pairwise(changes))


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_line_another_process_stored_is_posted_without_waking_anyone(
    simcord_env, simcord_bot, running, server, second_process
):
    """A worker stores its jobs' lines and wakes nobody in the gateway (another process): the
    gateway's poster finds them within its `poll`."""
    mod, guild = server["mod"], server["guild"]
    log = await set_audit_channel(simcord_env, server)
    with simcord_env.time_context():
        simcord_bot.audit.start()
    try:
        await settings_line_posted(log)
        line = admin_line(mod.id, action("rule_added", rule="from-a-worker"))
        assert await second_process.recorder.record(guild.id, line)
        started = time.monotonic()
        changes = await watch(log, 10.0, until=2)
    finally:
        await simcord_bot.audit.stop()
    assert changes, "the other process's line was never posted"
    assert changes[0][0] - started < POLL + AUDIT_INTERVAL + 1.0
    assert log.history()[-1].content == line.render("en-US")


async def test_a_send_whose_outcome_is_unknown_goes_again_with_its_nonce(
    simcord_env, simcord_bot, running, server
):
    """A poster died between its send and the lines' deletion (the lines carry the send's nonce, its
    turn ran out): the next turn sends exactly those lines again with the same nonce, which Discord
    (`enforce_nonce`) answers with the message it already made; newer lines go in a message of their own."""
    mod, guild = server["mod"], server["guild"]
    log = await set_audit_channel(simcord_env, server)
    lines = running.audit
    with simcord_env.time_context():
        simcord_bot.audit.start()
    await settings_line_posted(log)
    # Its line is deleted right after the post lands: stopped before that (a loaded machine), the
    # poster would leave it to be sent again with the lines below.
    await lines_sent(lines, guild.id)
    await simcord_bot.audit.stop()
    for rule in ("one", "two"):
        await simcord_bot.audit.record(guild.id, admin_line(mod.id, action("rule_added", rule=rule)))
    dead = [line.id for line in await lines.waiting(guild.id)]
    await lines.sending(dead, "deadbeef01")
    await lines.free_turn(guild.id)
    assert await lines.take_turn(guild.id, "a-dead-poster", time.time(), time.time() + 0.5)
    await simcord_bot.audit.record(guild.id, admin_line(mod.id, action("rule_added", rule="three")))
    assert not await lines.take_turn(guild.id, "someone-else", time.time(), time.time() + 60)

    simcord_bot.audit.interval = 0.3
    with simcord_env.time_context():
        simcord_bot.audit.start()
    try:
        await watch(log, 10.0, until=3)
        await lines_sent(lines, guild.id)
    finally:
        await simcord_bot.audit.stop()
    posts = audit_posts(simcord_env, log)[-2:]
    assert posts[0].json["nonce"] == "deadbeef01"
    assert posts[1].json["nonce"] not in ("deadbeef01", None)
    assert all(p.json.get("enforce_nonce") is True for p in posts)
    assert [m.content.count("\n") + 1 for m in log.history()[1:]] == [2, 1]
    assert "`one`" in log.history()[1].content
    assert "`two`" in log.history()[1].content
    assert "`three`" in log.history()[2].content
    assert await lines.count(guild.id) == 0


async def test_no_audit_channel_no_lines_kept(simcord_env, running, audit, server):
    await server["mod"].slash(server["channel"], "admin quota limit", scope="default", amount="7")
    assert await running.audit.count(server["guild"].id) == 0


# -- prompt rules ----------------------------------------------------------------------------------


async def test_a_rule_refuses_the_prompt_privately_before_anything_is_held_and_the_audit_records_it(
    simcord_env, running, audit, server, fake_ttapi
):
    alice, mod, channel, _guild = server["alice"], server["mod"], server["channel"], server["guild"]
    audit.interval = 0.5  # only the lines matter here; the batching test above holds the 5 s
    log = await set_audit_channel(simcord_env, server)
    added = await mod.slash(channel, "admin rules add", rule="Blood*")
    assert "Added the rule `blood*`" in answer(added).content
    await mod.slash(channel, "admin rules add", rule="red   car")

    refused = await alice.slash(channel, "imagine", prompt="a castle, BLOODY moon --ar 16:9")
    said = private_text(refused)
    assert "matches this server's rule `blood*`" in said
    assert "Nothing was charged" in said
    second = await alice.slash(channel, "imagine", prompt="a red, car")
    assert "rule `red car`" in private_text(second)
    allowed = await alice.slash(channel, "imagine", prompt="a redcar, a scarlet car and a blue moon")
    await finish_jobs(simcord_env, running)

    assert [type(e) for e in refusals(simcord_env)] == [NotAllowed, NotAllowed]
    assert allowed.response.attachments
    # Nothing was held for the refused prompts: the ledger has one hold, the job that ran.
    holds = await running.db.fetchall("SELECT job_id FROM ledger WHERE kind = 'hold'")
    assert len(holds) == 1
    assert len(fake_ttapi.submits()) == 1
    text = await posted(log, "rule `blood*`", "rule `red car`")
    assert f"🚫 <@{alice.id}> · prompt refused by the rule `blood*` in <#{channel.id}>" in text
    assert "prompt refused by the rule `red car`" in text


async def test_rules_apply_to_edit_instructions_and_rerolls_alike(simcord_env, running, server, fake_ttapi):
    alice, mod, channel = server["alice"], server["mod"], server["channel"]
    made = await alice.slash(channel, "imagine", prompt="a quiet harbour")
    await finish_jobs(simcord_env, running)
    await mod.slash(channel, "admin rules add", rule="*storm*")
    message = made.response

    shown = await alice.click(message, label="Edit")
    edited = await alice.submit_modal(shown, {"instruction": "add a THUNDERSTORM"})
    assert "rule `*storm*`" in private_text(edited)
    await mod.slash(channel, "admin rules add", rule="harbour")
    rerolled = await alice.click(message, label="Reroll")  # the same prompt, now against the rules
    assert "rule `harbour`" in private_text(rerolled)
    await finish_jobs(simcord_env, running)
    assert all(type(e) is NotAllowed for e in refusals(simcord_env))
    assert len(fake_ttapi.submits()) == 1
    assert [j.state for j in await running.jobs.for_user(alice.id)] == [JobState.DELIVERED]


async def test_rules_list_and_remove_and_what_a_rule_may_be(simcord_env, running, server):
    mod, channel = server["mod"], server["channel"]
    for rule in ("gore", "red car", "*bomb*"):
        await mod.slash(channel, "admin rules add", rule=rule)
    again = await mod.slash(channel, "admin rules add", rule="GORE")
    assert "exists already" in answer(again).content
    bad = await mod.slash(channel, "admin rules add", rule="* ** *")
    assert "needs a letter or digit" in bad.response.content
    listed = await mod.slash(channel, "admin rules list")
    assert answer(listed).embeds[0].description.splitlines() == ["`*bomb*`", "`gore`", "`red car`"]

    removed = await mod.slash(channel, "admin rules remove", rule="Red Car")
    assert answer(removed).content == "Removed the rule `red car`."
    unknown = await mod.slash(channel, "admin rules remove", rule="nothing")
    assert "There is no rule `nothing`" in answer(unknown).content
    assert await running.rules.of(server["guild"].id) == ["*bomb*", "gore"]
    show_admin_to(simcord_env, server["guild"], server["alice"])  # a server override shows it to her
    alice_try = await server["alice"].slash(channel, "admin rules add", rule="x")
    assert "Manage Server" in alice_try.response.content
    assert [type(e) for e in refusals(simcord_env)] == [InvalidInput, NotAllowed]
    assert await running.rules.of(server["guild"].id) == ["*bomb*", "gore"]


async def test_a_russian_admin_and_member_read_the_rules_answers_and_the_refusal_in_russian(
    simcord_env, running, server, client_languages, fake_ttapi
):
    alice, mod, channel = server["alice"], server["mod"], server["channel"]
    client_languages[mod.id] = "ru"
    client_languages[alice.id] = "ru"

    none = await mod.slash(channel, "admin rules list")
    assert answer(none).content == (
        "На этом сервере нет правил для запросов. Добавьте правило командой `/admin rules add`."
    )
    added = await mod.slash(channel, "admin rules add", rule="Blood*")
    assert answer(added).content == (
        "Правило `blood*` добавлено: запросы и инструкции Remix и Edit, которые под него подпадают,"
        " будут отклоняться."
    )
    again = await mod.slash(channel, "admin rules add", rule="BLOOD*")
    assert answer(again).content == "Правило `blood*` уже есть."
    bad = await mod.slash(channel, "admin rules add", rule="* ** *")
    assert bad.response.content.startswith("Правило «")
    assert "использовать нельзя: В нём нужна хотя бы одна буква или цифра" in bad.response.content
    phrase = await mod.slash(channel, "admin rules add", rule="a b c d e f g h i")
    assert "В нём больше 8 слов." in phrase.response.content
    listed = await mod.slash(channel, "admin rules list")
    assert answer(listed).embeds[0].title == "Правила для запросов на этом сервере"

    refused = await alice.slash(channel, "imagine", prompt="a castle, BLOODY moon")
    assert private_text(refused) == (
        "Ваш запрос отклонён: он подпадает под правило этого сервера `blood*`. Ничего не списано."
    )
    removed = await mod.slash(channel, "admin rules remove", rule="blood*")
    assert answer(removed).content == "Правило `blood*` удалено."
    unknown = await mod.slash(channel, "admin rules remove", rule="blood*")
    assert answer(unknown).content == "На этом сервере нет правила `blood*` (см. `/admin rules list`)."
    assert [type(e) for e in refusals(simcord_env)] == [InvalidInput, InvalidInput, NotAllowed]
    assert fake_ttapi.submits() == []
    assert await running.rules.of(server["guild"].id) == []


# -- age-restricted channels -----------------------------------------------------------------------


async def test_an_age_restricted_channel_gets_its_own_safety_tolerance_still_under_the_bots_cap(
    simcord_env, simcord_bot, running, server, fake_ttapi
):
    alice, mod, channel, guild = server["alice"], server["mod"], server["channel"], server["guild"]
    over = await mod.slash(channel, "admin settings", nsfw_safety_tolerance="5")
    assert "The bot's cap is 2" in answer(over).content
    assert [type(e) for e in refusals(simcord_env)] == [InvalidInput]
    await mod.slash(channel, "admin settings", max_safety_tolerance=1)
    running.settings.max_safety_tolerance = 4  # the operator's MAX_SAFETY_TOLERANCE
    done = await mod.slash(channel, "admin settings", nsfw_safety_tolerance="4")
    assert {f.name: f.value for f in answer(done).embeds[0].fields}[
        "Safety tolerance in age-restricted channels"
    ] == "4"
    adult = guild.create_text_channel("after-dark")
    # SimCord 3.2.1 does not model the channel flag; Discord sends it as `nsfw` in the channel's data.
    cached = simcord_bot.get_channel(adult.id)
    assert isinstance(cached, discord.TextChannel)
    cached.nsfw = True

    await alice.slash(channel, "imagine", prompt="a night club by day")
    await alice.slash(adult, "imagine", prompt="a night club after dark")
    await finish_jobs(simcord_env, running)

    # On PostgreSQL a worker may claim the two jobs in either order: match them by prompt.
    sent = {s.body["prompt"]: s.body for s in fake_ttapi.submits()}
    assert sent["a night club by day"]["safety_tolerance"] == 1  # the server's cap elsewhere
    assert sent["a night club after dark"]["safety_tolerance"] == 4

    # Cleared: the age-restricted channel has the server's cap again, like any other channel.
    cleared = await mod.slash(channel, "admin settings", nsfw_safety_tolerance="nsfw-clear")
    assert answer(cleared).content == "Saved."
    assert {f.name: f.value for f in answer(cleared).embeds[0].fields}[
        "Safety tolerance in age-restricted channels"
    ] == "1"
    assert (await running.quota.guilds.settings(guild.id)).nsfw_safety_tolerance is None
    await alice.slash(adult, "imagine", prompt="a night club, cleared")
    await finish_jobs(simcord_env, running)
    sent = {s.body["prompt"]: s.body for s in fake_ttapi.submits()}
    assert sent["a night club, cleared"]["safety_tolerance"] == 1


def test_the_nsfw_tolerance_is_a_level_up_to_the_cap_or_clear() -> None:
    from cogs.admin import NSFW_CLEAR_VALUE, parse_nsfw_tolerance

    assert parse_nsfw_tolerance("3", 4) == 3
    assert parse_nsfw_tolerance(NSFW_CLEAR_VALUE, 4) is None
    assert parse_nsfw_tolerance(" Clear ", 4) is None  # typed, as other settings are cleared
    for typed, key in (
        ("5", "settings-nsfw-above-cap"),
        ("7", "settings-nsfw-invalid"),
        ("x", "settings-nsfw-invalid"),
    ):
        with pytest.raises(InvalidInput) as refused:
            parse_nsfw_tolerance(typed, 4)
        assert refused.value.text is not None
        assert refused.value.text.key == key
