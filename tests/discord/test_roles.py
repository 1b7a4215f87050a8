"""`python -m bot run --role all|gateway|worker` (bot/roles.py, bot/discord/runner.py).

Under SimCord, a gateway's job manager: a command is acknowledged, held and stored queued, and
nothing is sent to a provider; a queued job is cancelled through the store. As real processes
against the loopback Discord (tests/fakes/discord.py): a worker, with no gateway connection, drives
a stored job and delivers it through the interaction's webhook, or the channel once the token
expired; a gateway connects the shards it is given; SQLite refuses any role but `all` and a second
process on the same file, each with one line and exit code 2; every role serves /healthz and /metrics.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.app import Services, open_services
from bot.discord.delivery import EditBudget
from bot.jobs.manager import NewJob
from bot.jobs.model import JobState, Origin
from bot.jobs.plan import plan_job
from bot.roles import lock_file
from bot.store import open_database
from bot.store.deliveries import Deliveries, Delivery
from tests.conftest import FAST_POLLING, make_settings, postgresql_schema, postgresql_unavailable
from tests.fakes.discord import APPLICATION_ID, SITE_DIR, FakeDiscord
from tests.fakes.ttapi import FakeTTAPI
from tests.helpers import ROOT, BotProcess, Harness, free_port, run_cli_async

INTERACTION_TOKEN = "interaction-token"
REPLY_ID = 555
CHANNEL_ID = 8

# -- a gateway's manager, under SimCord ----------------------------------------------------------


@pytest.fixture
def database_settings(database_url: str) -> dict[str, Any]:
    return {"database_url": database_url}


@pytest.fixture
async def services(settings) -> AsyncIterator[Services]:
    """As `python -m bot run --role gateway` opens them: a manager that drives nothing."""
    async with open_services(settings, poll_policy=FAST_POLLING, drive=False) as opened:
        yield opened


async def test_a_gateway_stores_the_job_with_its_hold_and_drives_nothing(
    simcord_env, running, guild_setup, fake_ttapi
):
    _, channel, alice = guild_setup

    result = await alice.slash(channel, "imagine", prompt="a lighthouse at dusk")
    await asyncio.sleep(0.5)  # a manager that drove jobs would have submitted it by now
    await simcord_env.settle()

    (job,) = await running.jobs.for_user(alice.id)
    assert job.state is JobState.QUEUED
    assert fake_ttapi.submits() == []
    kinds = await running.db.fetchall("SELECT kind FROM ledger WHERE job_id = ?", (job.id,))
    assert [r["kind"] for r in kinds] == ["hold"]
    assert "Queued" in result.response.content
    # What a worker needs to edit the reply later, over REST: the interaction's webhook and the reply.
    delivery = await Deliveries(running.db).get(job.id)
    assert delivery is not None
    assert delivery.token
    assert delivery.app_id
    assert delivery.response_message_id == result.response.id
    assert not running.manager.busy()


async def test_a_gateway_cancels_a_queued_job_through_the_store(
    simcord_env, running, guild_setup, fake_ttapi
):
    _, channel, alice = guild_setup
    await alice.slash(channel, "imagine", prompt="a lighthouse at dusk")
    (job,) = await running.jobs.for_user(alice.id)

    cancelled = await running.manager.cancel(job.id, alice.id)

    assert cancelled is not None
    stored = await running.jobs.get(job.id)
    assert stored is not None
    assert stored.state is JobState.CANCELLED
    kinds = await running.db.fetchall("SELECT kind FROM ledger WHERE job_id = ? ORDER BY id", (job.id,))
    assert [r["kind"] for r in kinds] == ["hold", "release"]
    assert await running.manager.cancel(job.id, alice.id) is None  # once
    assert fake_ttapi.submits() == []


async def test_a_gateways_sink_keeps_nothing_of_the_jobs_it_queued(
    simcord_env, running, guild_setup, fake_ttapi
):
    """A gateway never hears its jobs leave the queue (the workers drive them): its sink shows
    "Queued" while the edit budget allows and keeps nothing of any job afterwards, neither as queued
    nor as a held-back edit (kept, each later command walked them all)."""
    guild, channel, _ = guild_setup
    sink = simcord_env.bot.sink
    sink.budget = EditBudget(rate=0.0, burst=2)  # two "Queued" edits, then none
    members = [guild.add_member(simcord_env.create_user(f"m{i}")) for i in range(5)]

    results = [await m.slash(channel, "imagine", prompt=f"queued {i}") for i, m in enumerate(members)]
    await simcord_env.settle()

    assert len(await running.jobs.unfinished([Origin.DISCORD])) == 5
    assert ["Queued" in (r.response.content or "") for r in results] == [True, True, False, False, False]
    assert sink.budget.refused == 3
    assert sink._queued == {}
    assert sink._pending == {}
    assert sink._shown == {}
    assert sink._live == {}
    assert sink._records == {}


async def test_a_gateway_reads_a_new_jobs_place_only_for_a_queued_edit_it_sends(
    simcord_env, running, guild_setup, fake_ttapi
):
    """The edit budget drops most "Queued" edits under load (5/s against 100 commands/s); the new
    job's place in the queue (a count of the shared queue on PostgreSQL) is read for those that go
    out only. Before, it was read for every command and thrown away with the dropped edit."""
    guild, channel, _ = guild_setup
    sink = simcord_env.bot.sink
    sink.budget = EditBudget(rate=0.0, burst=2)  # two "Queued" edits, then none
    reads: list[str] = []

    def counted(read: Any) -> Any:
        async def position(job: Any) -> int | None:
            reads.append(job.id)
            return await read(job)

        return position

    running.manager.handoff.position_of = counted(running.manager.handoff.position_of)
    sink.queue_position = counted(sink.queue_position)
    members = [guild.add_member(simcord_env.create_user(f"m{i}")) for i in range(5)]

    results = [await m.slash(channel, "imagine", prompt=f"queued {i}") for i, m in enumerate(members)]
    await simcord_env.settle()

    assert len(await running.jobs.unfinished([Origin.DISCORD])) == 5
    shown = [(r.response.content or "").rsplit("\n", 1)[-1] for r in results]
    if running.manager.claim_store is not None:  # PostgreSQL's shared queue: with the place, as before
        assert shown[:2] == ["⏳ Queued (position 1)", "⏳ Queued (position 2)"]
    else:  # a gateway on SQLite (tests only) queues nothing in memory: no place to tell
        assert shown[:2] == ["⏳ Queued", "⏳ Queued"]
    assert ["Queued" in line for line in shown[2:]] == [False, False, False]
    assert len(reads) == 2  # was 5
    assert sink.budget.refused == 3


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_gateway_tells_queued_members_their_jobs_moved_up_as_workers_take_others(
    simcord_env, running, guild_setup, fake_ttapi
):
    """The workers take jobs from the shared queue; the gateway that accepted the others edits their
    replies with their new places (before, a gateway's reply kept the place it had at the accept)."""
    guild, channel, alice = guild_setup
    running.manager.shared.positions.interval = 0.05  # type: ignore[union-attr]
    simcord_env.bot.sink.progress_interval = 0.0  # the reply's own 3 s between edits is not tested here
    members = [alice, *(guild.add_member(simcord_env.create_user(name)) for name in ("bob", "carol"))]
    results = [
        await m.slash(channel, "imagine", prompt=f"a lighthouse, take {n}") for n, m in enumerate(members)
    ]
    at_accept = results[2].response.content.rsplit("\n", 1)[-1]
    first, second = [(await running.jobs.for_user(m.id))[0] for m in members[:2]]

    # Two workers claim the first two (as `ClaimStore.claim` leaves them, and one went on to submit).
    await running.db.execute(
        "UPDATE jobs SET claimed_by = 'a-worker', state = CASE WHEN id = ? THEN 'running' ELSE state END"
        " WHERE id = ANY(?)",
        (first.id, [first.id, second.id]),
    )
    async with asyncio.timeout(10):
        while "position 1" not in results[2].response.content:
            await asyncio.sleep(0.05)
            await simcord_env.settle()
    moved = results[2].response.content.rsplit("\n", 1)[-1]
    (third,) = await running.jobs.for_user(members[2].id)
    await running.manager.cancel(third.id)

    assert at_accept == "⏳ Queued (position 3)"
    assert moved == "⏳ Queued (position 1)"


# -- real processes ------------------------------------------------------------------------------


@pytest.fixture
async def postgresql_url() -> AsyncIterator[str]:
    reason = await postgresql_unavailable()
    if reason is not None:
        pytest.skip(f"PostgreSQL: {reason}")
    async with postgresql_schema() as url:
        yield url


def harness(tmp_path: Path, ttapi: FakeTTAPI, discord: FakeDiscord, **env: str) -> Harness:
    return Harness(
        tmp_path,
        ttapi,
        DISCORD_TOKEN="fake-token",
        PYTHONPATH=f"{SITE_DIR}:{ROOT}",
        **discord.site_env(),
        **env,
    )


def on_postgresql(url: str, tmp_path: Path, port: int) -> dict[str, str]:
    return {"DATABASE_URL": url, "DATA_DIR": str(tmp_path / "data"), "HTTP_PORT": str(port)}


async def seed_job(
    url: str, tmp_path: Path, ttapi: FakeTTAPI, *, token_age: float = 0.0, reply_id: int | None = REPLY_ID
) -> str:
    """A queued /imagine job as a gateway stores it: its delivery names the interaction and the reply
    (`reply_id` None: the gateway has not stored the reply's message id yet)."""
    settings = make_settings(
        tmp_path,
        database_url=url,
        data_dir=tmp_path / "data",
        ttapi_api_key=ttapi.api_key,
        ttapi_base_url=ttapi.url,
    )
    async with open_services(settings, drive=False) as services:
        plan = plan_job(
            "a lighthouse at dusk",
            {},
            default_model=settings.default_model,
            available=["ttapi"],
            preferred="ttapi",
            max_safety_tolerance=settings.max_safety_tolerance,
        )
        delivery = Delivery(
            "",
            app_id=APPLICATION_ID,
            token=INTERACTION_TOKEN,
            created_at=time.time() - token_age,
            response_message_id=reply_id,
        )
        job = await services.manager.submit(
            NewJob.from_plan(
                plan, origin=Origin.DISCORD, user_id=42, guild_id=7, channel_id=CHANNEL_ID, delivery=delivery
            )
        )
    return job.id


async def state_of(url: str, tmp_path: Path, job_id: str) -> tuple[str, list[str]]:
    async with open_database(url, data_dir=tmp_path / "data", migrate=False) as db:
        row = await db.fetchone("SELECT state FROM jobs WHERE id = ?", (job_id,))
        kinds = await db.fetchall("SELECT kind FROM ledger WHERE job_id = ? ORDER BY id", (job_id,))
    return row["state"], [r["kind"] for r in kinds]


async def get(port: int, path: str) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}{path}") as response:
        body = await response.json() if response.content_type == "application/json" else await response.text()
        return response.status, body


async def wait_for(check: Any, process: Any, run: Harness, timeout: float = 30.0) -> None:
    async with asyncio.timeout(timeout):
        while not await check():
            assert process.returncode is None, run.output()
            await asyncio.sleep(0.05)


async def stop(process: Any) -> int:
    if process.returncode is None:
        process.terminate()
    async with asyncio.timeout(10):
        return await process.wait()


def posted_images(discord: FakeDiscord, method: str, path: str) -> list[Any]:
    return [c for c in discord.requests(method, path) if isinstance(c.body, bytes) and b"\x89PNG" in c.body]


@pytest.mark.parametrize(
    ("token_age", "reply_id"),
    [(0.0, REPLY_ID), (0.0, None), (16 * 60, REPLY_ID)],
    ids=["interaction-webhook", "interaction-webhook-before-the-reply-id", "channel-after-15-min"],
)
async def test_a_worker_without_a_gateway_delivers_the_stored_job_over_rest(
    tmp_path, fake_discord, fake_ttapi, postgresql_url, token_age, reply_id
):
    port = free_port()
    run = harness(tmp_path, fake_ttapi, fake_discord, **on_postgresql(postgresql_url, tmp_path, port))
    job_id = await seed_job(postgresql_url, tmp_path, fake_ttapi, token_age=token_age, reply_id=reply_id)
    worker = await run.spawn("run", "--role", "worker", module="bot")
    try:

        async def delivered() -> bool:
            return (await state_of(postgresql_url, tmp_path, job_id))[0] == "delivered"

        await wait_for(delivered, worker, run)
        status, health = await get(port, "/healthz")
        assert (status, health["role"], health["gateway"], health["status"]) == (200, "worker", None, "ok")
        status, metrics = await get(port, "/metrics")
        assert status == 200
        assert "fluxbot_jobs" in metrics
        assert await stop(worker) == 0, run.output()
    finally:
        await stop(worker)

    assert fake_discord.identified == 0  # never on the gateway
    assert await state_of(postgresql_url, tmp_path, job_id) == ("delivered", ["hold", "charge"])
    assert len(fake_ttapi.submits()) == 1
    # The reply by the interaction's token alone: no message id needed (the gateway's may come late).
    reply = f"/webhooks/{APPLICATION_ID}/{INTERACTION_TOKEN}/messages/@original"
    channel = f"/channels/{CHANNEL_ID}/messages"
    if token_age:
        assert posted_images(fake_discord, "PATCH", "/webhooks/") == []  # the token is no use any more
        (post,) = posted_images(fake_discord, "POST", channel)
    else:
        (post,) = posted_images(fake_discord, "PATCH", reply)  # the member's reply, edited into the image
        assert posted_images(fake_discord, "POST", channel) == []
    assert b"fluxbot:reroll:" in post.body  # the same buttons: the gateway answers them later
    async with open_database(postgresql_url, data_dir=tmp_path / "data", migrate=False) as db:
        delivery = await Deliveries(db).get(job_id)
    assert delivery is not None
    assert delivery.result_message_id is not None
    if not token_age:  # the reply's id, as Discord answered the edit, is stored for later
        assert delivery.response_message_id == fake_discord.originals[INTERACTION_TOKEN]


@pytest.mark.parametrize(
    ("shards", "expected"),
    [({}, [[0, 2], [1, 2]]), ({"SHARD_COUNT": "3", "SHARD_IDS": "1,2"}, [[1, 3], [2, 3]])],
    ids=["recommended", "shard-ids"],
)
async def test_a_gateway_connects_its_shards_drives_no_job_and_serves_health(
    tmp_path, fake_discord, fake_ttapi, postgresql_url, shards, expected
):
    fake_discord.recommended_shards = 2
    port = free_port()
    run = harness(
        tmp_path, fake_ttapi, fake_discord, **on_postgresql(postgresql_url, tmp_path, port), **shards
    )
    job_id = await seed_job(postgresql_url, tmp_path, fake_ttapi)
    gateway = BotProcess(run, fake_discord)
    gateway.process = await run.spawn("run", "--role", "gateway", module="bot")
    gateway.pid = gateway.process.pid
    try:
        await gateway.wait_until(lambda: len(fake_discord.shards) == len(expected))

        async def healthy() -> bool:
            try:
                return (await get(port, "/healthz"))[0] == 200
            except aiohttp.ClientConnectionError:
                return False

        await wait_for(healthy, gateway.process, run)
        _status, health = await get(port, "/healthz")
        assert (health["role"], health["gateway"]) == ("gateway", True)
        assert (await get(port, "/metrics"))[0] == 200
        await asyncio.sleep(0.5)
        assert await state_of(postgresql_url, tmp_path, job_id) == ("queued", ["hold"])  # left to workers
        assert await gateway.stop() < 5.0
    finally:
        gateway.kill()

    assert gateway.process.returncode == 0, run.output()
    assert sorted(fake_discord.shards) == expected
    assert fake_ttapi.submits() == []


AUDIT_GUILD = 7  # seed_job's guild: shard 0 of any count below 2**22
AUDIT_CHANNEL = 77


async def test_two_gateways_and_a_worker_post_each_audit_line_once_in_the_servers_language(
    tmp_path, fake_discord, fake_ttapi, postgresql_url
):
    """PostgreSQL, three processes: two gateways that both hold the server's shard (a rolling
    restart, overlapping SHARD_IDS) and a worker that finishes the job. The job's line (stored by the
    worker, which wakes nobody) and an admin's line (stored by a third party, as the web dashboard
    of another process does) are each posted once, in Russian, pinging nobody."""
    guild = fake_discord.add_guild(AUDIT_GUILD, "Artists")
    guild.channels[AUDIT_CHANNEL] = "audit-log"
    fake_discord.announce_guilds = True
    settings = make_settings(
        tmp_path,
        database_url=postgresql_url,
        data_dir=tmp_path / "data",
        ttapi_api_key=fake_ttapi.api_key,
        ttapi_base_url=fake_ttapi.url,
    )
    async with open_services(settings, drive=False) as services:
        current = await services.quota.guilds.settings(AUDIT_GUILD)
        await services.quota.guilds.save_settings(
            replace(current, audit_channel_id=AUDIT_CHANNEL, language="ru"), actor_id=5
        )
        await services.admin.set_limit(
            AUDIT_GUILD, "member", 42, Decimal("2500.5"), actor_id=5, label="<@42>"
        )
    job_id = await seed_job(postgresql_url, tmp_path, fake_ttapi)
    run = harness(tmp_path, fake_ttapi, fake_discord, **on_postgresql(postgresql_url, tmp_path, 0))
    processes = [
        await run.spawn("run", "--role", "gateway", module="bot", HTTP_PORT=str(free_port())),
        await run.spawn("run", "--role", "gateway", module="bot", HTTP_PORT=str(free_port())),
        await run.spawn("run", "--role", "worker", module="bot", HTTP_PORT=str(free_port())),
    ]

    def posts() -> list[Any]:
        return [c for c in fake_discord.requests("POST", f"/channels/{AUDIT_CHANNEL}/messages")]

    def lines() -> list[str]:
        return [line for c in posts() for line in c.body["content"].splitlines()]

    try:

        async def both_posted() -> bool:
            done = (await state_of(postgresql_url, tmp_path, job_id))[0] == "delivered"
            # (and both gateways connected: on a loaded machine the second may come after the posts)
            return done and len(lines()) >= 2 and len(fake_discord.shards) >= 2

        await wait_for(both_posted, processes[0], run, timeout=60.0)
        await asyncio.sleep(3.0)  # a second poster's copy would arrive within its poll
    finally:
        for process in processes:
            await stop(process)

    assert len(fake_discord.shards) == 2  # both gateways hold shard 0
    job, admin = sorted(lines())  # ✅ sorts before 🛠
    assert admin == "🛠 <@5> установил(а) лимит для <@42>: 2\xa0500,5 кр. за период", run.output()
    # The result's link names the server, though the worker's message came back over REST.
    assert job.startswith(
        f"✅ <@42> · `{settings.default_model}` · списано 5 кр. · [результат](https://discord.com/channels/{AUDIT_GUILD}/"
    )
    assert all(c.body["allowed_mentions"] == {"parse": []} for c in posts())
    assert len({c.body["nonce"] for c in posts()}) == len(posts())
    async with open_database(postgresql_url, data_dir=tmp_path / "data", migrate=False) as db:
        assert await db.fetchall("SELECT id FROM audit_lines") == []


@pytest.mark.parametrize("role", ["worker", "gateway"])
async def test_sqlite_refuses_any_role_but_all_with_one_line(tmp_path, fake_ttapi, role):
    env = {
        "DISCORD_TOKEN": "fake-token",
        "TTAPI_API_KEY": fake_ttapi.api_key,
        "DATABASE_PATH": str(tmp_path / "data" / "fluxbot.sqlite3"),
    }

    code, _out, err = await run_cli_async("run", "--role", role, cwd=tmp_path, env=env)

    assert code == 2
    assert err.splitlines() == [
        f"configuration error: --role {role} needs PostgreSQL (DATABASE_URL=postgresql://…): "
        "on SQLite one process does everything (--role all)"
    ]
    assert not (tmp_path / "data" / "fluxbot.sqlite3").exists()  # refused before anything was opened


async def test_a_second_process_on_the_same_sqlite_file_is_refused_with_one_line(
    tmp_path, fake_discord, fake_ttapi
):
    run = harness(tmp_path, fake_ttapi, fake_discord)
    first = BotProcess(run, fake_discord)
    try:
        await first.start()

        code, _out, err = await run_cli_async("run", cwd=tmp_path, env=run.env | {"LOG_LEVEL": "WARNING"})

        assert code == 2
        assert err.splitlines() == [
            f"configuration error: another fluxbot is already running on {run.db_path}: on SQLite only "
            "one process may (several need PostgreSQL: README, Scaling out)"
        ]
        assert first.process.returncode is None  # the first goes on
        assert fake_discord.identified == 1
        assert await first.stop() < 5.0
    finally:
        first.kill()
    assert first.process.returncode == 0, run.output()
    assert lock_file(run.db_path).exists()

    # Once it has stopped (or was killed: the kernel lets go of the lock), the next start may run.
    again = BotProcess(run, fake_discord)
    try:
        await again.start()
        await again.stop()
    finally:
        again.kill()
    assert again.process.returncode == 0, run.output()
