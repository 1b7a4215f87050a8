"""Batches (issue 18, item 4): `/imagine count:` from the command to one message with the images
side by side, in simulated Discord against the fake TTAPI, on each backend (one hold per image,
each charged only if it arrives)."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest

from bot.discord.client import FluxBot
from bot.errors import InvalidInput, QuotaExceeded
from bot.jobs.model import JobState
from bot.store.deliveries import Deliveries
from tests.conftest import finish_jobs, refusals


@pytest.fixture
def database_settings(database_url: str) -> dict[str, Any]:
    return {"database_url": database_url}


def rows_of(message: Any) -> list[list[str]]:
    return [[c["label"] for c in row["components"]] for row in message.components]


def images_field(message: Any) -> list[str]:
    return {f.name: f.value for f in message.embeds[0].fields}["Images"].split("\n")


async def ledger_kinds(services: Any) -> dict[str, int]:
    rows = await services.db.fetchall("SELECT kind, COUNT(*) AS n FROM ledger GROUP BY kind")
    return {r["kind"]: int(r["n"]) for r in rows}


def bot_posts(channel: Any, reply_id: int) -> list[Any]:
    """The bot's messages in the channel other than the interaction's reply."""
    return [m for m in channel.history() if m.author.bot and m.id != reply_id]


async def test_a_batch_of_four_with_one_failing_image_charges_only_the_three_that_arrived(
    simcord_env, running, guild_setup, fake_ttapi
):
    _, channel, alice = guild_setup
    fake_ttapi.fail_next("prompt violation: banned words")  # the first submitted of the four

    result = await alice.slash(channel, "imagine", prompt="four lighthouses", count=4)
    await finish_jobs(simcord_env, running)

    message = result.response
    assert not result.ephemeral
    assert len(message.attachments) == 3  # side by side, in one message
    jobs = sorted(await running.jobs.for_user(alice.id), key=lambda j: j.seq)
    assert len(jobs) == 4
    states = [j.state for j in jobs]
    assert states.count(JobState.DELIVERED) == 3
    assert states.count(JobState.MODERATED) == 1
    failed = next(j for j in jobs if j.state is JobState.MODERATED)
    assert failed.cost is None
    assert len({j.seed for j in jobs}) == 4 or failed.seed is None  # a different seed each
    assert len({s.body["seed"] for s in fake_ttapi.submits()}) == 4
    # The failure is shown on its own image's line; the others on theirs.
    lines = images_field(message)
    assert len(lines) == 4
    assert sum("✅" in line for line in lines) == 3
    (failure,) = [line for line in lines if "❌" in line]
    assert "nothing charged" in failure
    # One hold per image; a charge for each image that arrived, the failed one's hold released.
    usage = await running.ledger.member_usage(failed.guild_id, alice.id, running.quota.current_period())
    assert usage.used == Decimal(15)
    assert usage.held == Decimal(0)
    kinds = await ledger_kinds(running)
    assert kinds["hold"] == 4
    assert kinds["charge"] == 3
    assert kinds["release"] == 1
    # Exactly one message: every job of the batch names it; nothing else was posted.
    deliveries = [await Deliveries(running.db).get(j.id) for j in jobs]
    assert {d.result_message_id for d in deliveries} == {message.id}
    assert len({d.batch_id for d in deliveries}) == 1
    assert sorted(d.batch_index for d in deliveries) == [0, 1, 2, 3]
    assert bot_posts(channel, message.id) == []
    # Buttons: the whole batch, then one row per image that arrived (5 rows at most).
    rows = rows_of(message)
    assert rows[0] == ["Reroll all", "Delete all"]
    assert len(rows) == 4
    for row in rows[1:]:
        number = row[0].split()[-1]
        assert row == [f"Vary {number}", f"Edit {number}", f"Remix {number}", f"Details {number}"]
        assert f"**{number}** ✅" in "\n".join(lines)


async def test_count_as_a_flag_with_a_seed_counts_up_from_it(simcord_env, running, guild_setup, fake_ttapi):
    _, channel, alice = guild_setup

    result = await alice.slash(channel, "imagine", prompt="two boats --count 2 --seed 10")
    await finish_jobs(simcord_env, running)

    assert sorted(s.body["seed"] for s in fake_ttapi.submits()) == [10, 11]
    assert all(s.body["prompt"] == "two boats" for s in fake_ttapi.submits())
    assert len(result.response.attachments) == 2


async def test_count_outside_imagine_or_out_of_range_is_refused_before_anything(
    simcord_env, running, guild_setup, fake_ttapi
):
    _, channel, alice = guild_setup

    refused = await alice.slash(channel, "imagine", prompt="too many --count 5")
    assert refused.ephemeral
    assert "--count 5" in refused.response.content
    assert [type(e) for e in refusals(simcord_env)] == [InvalidInput]
    assert fake_ttapi.submits() == []


async def test_a_batch_finishing_after_the_token_is_one_message_in_the_channel_across_a_restart(
    simcord_env, running, guild_setup, fake_ttapi
):
    _, channel, alice = guild_setup
    # The image seeded 20 is quick; the other three take longer.
    fake_ttapi.duration_for = lambda endpoint, body: 0.2 if body.get("seed") == 20 else 2.0

    result = await alice.slash(channel, "imagine", prompt="late harbours --seed 20", count=3)
    await simcord_env.advance_time(16 * 60)  # the reply can no longer be edited
    for _ in range(200):  # the quick one is posted first, as the batch's one message
        jobs = await running.jobs.for_user(alice.id)
        if any(j.state is JobState.DELIVERED for j in jobs):
            break
        await asyncio.sleep(0.05)
    # A restart: the sink's memory is gone; the store says where the batch is.
    await simcord_env.restart_bot(FluxBot(running, sync="global"))
    await finish_jobs(simcord_env, running)

    (posted,) = bot_posts(channel, result.response.id)
    assert posted.content.startswith(f"{alice.mention} your images are ready")
    assert len(posted.attachments) == 3
    assert sum("✅" in line for line in images_field(posted)) == 3
    jobs = await running.jobs.for_user(alice.id)
    assert {j.state for j in jobs} == {JobState.DELIVERED}
    assert {(await Deliveries(running.db).get(j.id)).result_message_id for j in jobs} == {posted.id}


async def test_reroll_all_runs_the_whole_batch_again(simcord_env, running, guild_setup, fake_ttapi):
    _, channel, alice = guild_setup
    made = await alice.slash(channel, "imagine", prompt="three kites", count=3)
    await finish_jobs(simcord_env, running)

    again = await alice.click(made.response, label="Reroll all")
    await finish_jobs(simcord_env, running)

    assert len(again.response.attachments) == 3
    assert again.response.id != made.response.id
    jobs = await running.jobs.for_user(alice.id)
    assert len(jobs) == 6
    assert len({s.body["seed"] for s in fake_ttapi.submits()}) == 6  # new seeds
    assert {j.prompt for j in jobs} == {"three kites"}


async def test_per_image_buttons_act_on_their_own_image(simcord_env, running, guild_setup, fake_ttapi):
    _, channel, alice = guild_setup
    made = await alice.slash(channel, "imagine", prompt="two towers", count=2)
    await finish_jobs(simcord_env, running)
    jobs = sorted(await running.jobs.for_user(alice.id), key=lambda j: j.seq)
    places = {j.id: (await Deliveries(running.db).get(j.id)).batch_index for j in jobs}
    (second,) = [j for j in jobs if places[j.id] == 1]

    details = await alice.click(made.response, label="Details 2")
    embed = (details.followups[-1] if details.followups else details.response).embeds[0]
    assert embed.title == f"Job {second.id}"


async def test_a_private_batch_is_shown_only_to_its_member(simcord_env, running, guild_setup, fake_ttapi):
    guild, channel, alice = guild_setup
    bob = guild.add_member(simcord_env.create_user("bob"))

    result = await alice.slash(channel, "imagine", prompt="secret pair --private", count=2)
    await finish_jobs(simcord_env, running)

    assert result.ephemeral
    assert len(result.response.attachments) == 2
    assert channel.history(viewer=bob) == []


async def test_a_batch_the_quota_cannot_cover_is_refused_whole_and_charges_nothing(
    simcord_env, running, server, fake_ttapi
):
    channel, alice, mod = server["channel"], server["alice"], server["mod"]
    await mod.slash(channel, "admin quota limit", scope="member", amount="12", member=alice)

    refused = await alice.slash(channel, "imagine", prompt="four is too many", count=4)

    # 4 × 4 credits held would pass the limit of 12: refused privately before any job exists.
    assert refused.ephemeral
    assert "Not enough quota" in refused.response.content
    assert [type(e) for e in refusals(simcord_env)] == [QuotaExceeded]
    assert await running.jobs.for_user(alice.id) == []
    assert fake_ttapi.submits() == []
    usage = await running.ledger.member_usage(server["guild"].id, alice.id, running.quota.current_period())
    assert usage.committed == Decimal(0)

    # Three fit.
    fitting = await alice.slash(channel, "imagine", prompt="three fit", count=3)
    await finish_jobs(simcord_env, running)
    assert len(fitting.response.attachments) == 3


async def test_a_private_batch_after_the_token_comes_in_one_dm(simcord_env, running, guild_setup, fake_ttapi):
    _, channel, alice = guild_setup
    fake_ttapi.duration = 1.0

    await alice.slash(channel, "imagine", prompt="late secrets", count=2, private=True)
    await simcord_env.advance_time(16 * 60)
    await finish_jobs(simcord_env, running)

    assert [m for m in channel.history() if not m.flags.ephemeral] == []
    dms = [m for m in alice.user.dm_channel.history() if m.author.bot]
    assert len(dms) == 1
    assert len(dms[0].attachments) == 2


async def test_a_batch_begun_in_the_reply_and_finished_after_the_token_stays_one_message(
    simcord_env, running, guild_setup, fake_ttapi
):
    _, channel, alice = guild_setup
    fake_ttapi.duration_for = lambda endpoint, body: 0.2 if body.get("seed") == 30 else 2.0

    result = await alice.slash(channel, "imagine", prompt="half now --seed 30", count=3)
    for _ in range(200):  # the quick one arrives in the reply while the token is valid
        if any(j.state is JobState.DELIVERED for j in await running.jobs.for_user(alice.id)):
            break
        await asyncio.sleep(0.05)
    await simcord_env.settle()
    assert len(result.response.attachments) == 1
    await simcord_env.advance_time(16 * 60)  # then the reply's token expires
    await finish_jobs(simcord_env, running)

    # The bot edits its own reply as a channel message: still one message, now with all three.
    assert bot_posts(channel, result.response.id) == []
    assert len(result.response.attachments) == 3
    jobs = await running.jobs.for_user(alice.id)
    assert {(await Deliveries(running.db).get(j.id)).result_message_id for j in jobs} == {result.response.id}


async def test_a_batch_speaks_the_members_language(
    simcord_env, running, guild_setup, fake_ttapi, client_languages
):
    _, channel, alice = guild_setup
    client_languages[alice.id] = "de"

    result = await alice.slash(channel, "imagine", prompt="zwei Leuchttürme", count=2)
    await finish_jobs(simcord_env, running)

    message = result.response
    assert len(message.attachments) == 2
    fields = {f.name: f.value for f in message.embeds[0].fields}
    assert "Modell" in fields
    lines = fields["Bilder"].split("\n")
    assert len(lines) == 2
    assert all("✅ Seed `" in line for line in lines)
    rows = rows_of(message)
    assert rows[0] == ["Alle neu würfeln", "Alle löschen"]
    assert rows[1] == ["Variieren 1", "Bearbeiten 1", "Abwandeln 1", "Details 1"]
