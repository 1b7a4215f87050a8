"""`/privacy export` and `/admin privacy erase member:` with the real bot under SimCord, the real SQLite
file and the fake TTAPI; the ledger's append-only rule and its one pseudonymising exception."""

from __future__ import annotations

import gzip
import json
from typing import Any

import discord
import pytest

from bot.errors import NotAllowed
from bot.jobs.model import JobState
from bot.store import errors as store_errors
from bot.store.deliveries import Deliveries
from bot.store.privacy import ErasureBlocked
from cogs.privacy import export_file
from tests.conftest import finish_jobs, refusals
from tests.helpers import files, guild_totals, png, private_text, show_admin_to


@pytest.fixture
def database_settings(database_url: str) -> dict[str, Any]:
    return {"database_url": database_url}  # every test here, on each backend


@pytest.fixture
def server(simcord_env, guild_setup) -> dict[str, Any]:
    guild, channel, alice = guild_setup
    moderators = guild.create_role("moderators", permissions=discord.Permissions(manage_guild=True))
    mod = guild.add_member(simcord_env.create_user("mod"), roles=[moderators])
    bob = guild.add_member(simcord_env.create_user("bob"))
    return {"guild": guild, "channel": channel, "alice": alice, "bob": bob, "mod": mod}


async def images_by(env, services, member, channel, *prompts: str) -> None:
    for prompt in prompts:
        await member.slash(channel, "imagine", prompt=prompt, image=("ref.png", png()))
    await finish_jobs(env, services)


async def exported(result) -> dict[str, Any]:
    answer = result.followups[-1] if result.followups else result.response
    assert answer.ephemeral
    (attachment,) = answer.attachments
    assert attachment.filename.endswith(".json")
    return json.loads(await attachment.read())


async def member_rows(services, user_id: int) -> tuple[int, int]:
    jobs = await services.db.fetchone("SELECT COUNT(*) FROM jobs WHERE user_id = ?", (user_id,))
    entries = await services.db.fetchone("SELECT COUNT(*) FROM ledger WHERE user_id = ?", (user_id,))
    return jobs[0], entries[0]


# -- /privacy export ---------------------------------------------------------------------------------


async def test_export_gives_a_member_their_own_jobs_prompts_and_charges_privately(
    simcord_env, running, server
):
    alice, bob, channel = server["alice"], server["bob"], server["channel"]
    await images_by(simcord_env, running, alice, channel, "a red lighthouse", "a blue harbour")
    await images_by(simcord_env, running, bob, channel, "bob's secret garden")
    await alice.slash(channel, "settings", suffix="in the style of a woodcut")

    result = await alice.slash(channel, "privacy export")

    document = await exported(result)
    assert document["member_id"] == str(alice.id)
    assert document["server_id"] == str(server["guild"].id)
    assert document["settings"] == {"suffix": "in the style of a woodcut"}  # `/settings` (issue 18)
    assert [j["prompt"] for j in document["jobs"]] == ["a red lighthouse", "a blue harbour"]
    assert {j["state"] for j in document["jobs"]} == {"delivered"}
    assert sorted(e["kind"] for e in document["ledger"]) == ["charge", "charge", "hold", "hold"]
    assert sum(float(e["amount"]) for e in document["ledger"] if e["kind"] == "charge") == 10
    text = json.dumps(document)
    assert "secret garden" not in text
    for job in await running.jobs.for_user(alice.id):
        delivery = await Deliveries(running.db).get(job.id)
        assert delivery is not None
        assert delivery.token
        assert delivery.token not in text
        assert job.callback_token not in text


def test_an_export_over_discord_s_upload_limit_is_sent_gzipped_or_refused_plainly():
    # The same kind as issue 17 #11: the export grows with every job and ledger entry, and Discord
    # refuses an attachment over the interaction's limit (the member read "interaction failed").
    document = {"jobs": [{"prompt": f"a lighthouse number {n} at dusk, oil on canvas"} for n in range(2000)]}
    data = json.dumps(document).encode()

    small = export_file(b"{}", 7, limit=len(data))
    assert small.filename == "fluxbot-export-7.json"

    packed = export_file(data, 7, limit=len(data) - 1)
    assert packed.filename == "fluxbot-export-7.json.gz"
    payload = packed.fp.read()
    assert len(payload) < len(data) // 5
    assert json.loads(gzip.decompress(payload)) == document

    with pytest.raises(NotAllowed, match=r"MB even compressed, more than Discord lets the bot send"):
        export_file(data, 7, limit=1000)


# -- /admin privacy erase ----------------------------------------------------------------------------


async def test_erase_deletes_prompts_and_files_and_keeps_the_server_s_totals(
    simcord_env, running, server, settings
):
    alice, bob, mod, channel = server["alice"], server["bob"], server["mod"], server["channel"]
    await images_by(simcord_env, running, alice, channel, "alice one", "alice two")
    await images_by(simcord_env, running, bob, channel, "bob stays")
    await alice.slash(channel, "settings", suffix="alice's own words")
    (bob_job,) = await running.jobs.for_user(bob.id)
    data = settings.database_path.parent
    totals_before = await guild_totals(running)
    bob_before = await running.ledger.derive(server["guild"].id, bob.id, totals_before[0][0])
    alice_jobs, alice_entries = await member_rows(running, alice.id)
    assert (alice_jobs, alice_entries) == (2, 4)

    result = await mod.slash(channel, "admin privacy erase", member=alice)

    assert "Erased" in private_text(result)
    assert "2 job(s)" in private_text(result)
    assert await member_rows(running, alice.id) == (0, 0)
    assert files(data / "images") == [f"{bob_job.id}.png"]
    assert files(data / "inputs") == [f"{bob_job.id}.0.b64"]
    assert await guild_totals(running) == totals_before  # the server's books are unchanged
    assert await running.ledger.derive(server["guild"].id, bob.id, totals_before[0][0]) == bob_before
    (erasure,) = await running.db.fetchall("SELECT * FROM erasures")
    assert erasure["actor_id"] == mod.id
    pseudonymised = await running.db.fetchall(
        "SELECT j.prompt, j.purged_at, l.kind FROM ledger AS l JOIN jobs AS j ON j.id = l.job_id"
        " WHERE l.user_id = ?",
        (erasure["pseudonym"],),
    )
    assert len(pseudonymised) == 4
    assert {(r["prompt"], r["purged_at"] is not None) for r in pseudonymised} == {("", True)}
    dump = "\n".join(str(tuple(r)) for r in await running.db.fetchall("SELECT * FROM jobs"))
    assert "alice one" not in dump
    assert str(alice.id) not in dump
    # The member totals moved to the pseudonym with the entries and still agree with the ledger;
    # no total is left under the member's id.
    guild_id, period = server["guild"].id, totals_before[0][0]
    for who in (erasure["pseudonym"], alice.id, bob.id, None):
        assert await running.ledger.totals(guild_id, who, period) == await running.ledger.derive(
            guild_id, who, period
        )
    assert (await running.ledger.totals(guild_id, erasure["pseudonym"], period)).used == 10
    left = await running.db.fetchall("SELECT * FROM ledger_totals WHERE user_key = ?", (alice.id,))
    assert left == []

    export = await exported(await alice.slash(channel, "privacy export"))
    assert export["jobs"] == []
    assert export["ledger"] == []
    assert export["settings"] == {}  # her `/settings` are erased too


async def test_erase_is_refused_while_the_member_has_a_job_running(simcord_env, running, server, fake_ttapi):
    alice, mod, channel = server["alice"], server["mod"], server["channel"]
    fake_ttapi.duration = 0.8
    await alice.slash(channel, "imagine", prompt="still running")

    refused = await mod.slash(channel, "admin privacy erase", member=alice)
    await finish_jobs(simcord_env, running)

    assert "queued or running" in private_text(refused)
    assert [type(e) for e in refusals(simcord_env)] == [ErasureBlocked]
    (job,) = await running.jobs.for_user(alice.id)
    assert job.state is JobState.DELIVERED
    assert job.prompt == "still running"


async def test_erase_is_refused_to_a_member_without_manage_server(simcord_env, running, server):
    alice, bob, channel = server["alice"], server["bob"], server["channel"]
    await images_by(simcord_env, running, alice, channel, "mine")
    show_admin_to(simcord_env, server["guild"], bob)

    refused = await bob.slash(channel, "admin privacy erase", member=alice)

    assert "Manage Server" in private_text(refused)
    assert [type(e) for e in refusals(simcord_env)] == [NotAllowed]
    assert await member_rows(running, alice.id) == (1, 2)


# -- the ledger's rule -------------------------------------------------------------------------------


async def test_the_ledger_allows_only_a_real_id_turned_into_a_pseudonym(services):
    await services.db.execute(
        "INSERT INTO ledger (kind, guild_id, user_id, amount, units, period, created_at)"
        " VALUES ('charge', 1, 42, '5', 5000000, '2026-01-01', 0)"
    )
    refused = [
        "UPDATE ledger SET amount = '0', units = 0",
        "UPDATE ledger SET user_id = 43",  # another real member
        "UPDATE ledger SET user_id = NULL",
        "UPDATE ledger SET user_id = -7, amount = '4'",  # pseudonym plus a change
        "UPDATE ledger SET period = '2026-01-02'",
        "DELETE FROM ledger",
    ]
    for statement in refused:
        with pytest.raises(store_errors.INTEGRITY_ERRORS, match="append-only"):
            await services.db.execute(statement)
    await services.db.execute("UPDATE ledger SET user_id = -7")
    with pytest.raises(store_errors.INTEGRITY_ERRORS, match="append-only"):
        await services.db.execute("UPDATE ledger SET user_id = 42")  # never back to a real id
    row = await services.db.fetchone("SELECT user_id, amount FROM ledger")
    assert tuple(row) == (-7, "5")
