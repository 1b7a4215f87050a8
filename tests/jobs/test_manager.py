"""The job manager in one process: fair queue, cancellation, 429 storms, timeouts, downloads,
callbacks through the real web server, and /metrics — against the fake providers on loopback."""

from __future__ import annotations

import asyncio
import base64
import copy
import hashlib
import hmac
import os
import random
import subprocess
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.app import Services
from bot.errors import QueueFull
from bot.jobs.callbacks import callback_authentic
from bot.jobs.manager import NewJob
from bot.jobs.model import Job, JobState, Origin
from bot.jobs.plan import plan_job
from bot.jobs.polling import PollPolicy
from bot.jobs.unserved import UnservedWatch
from bot.providers.base import ProviderBusy
from tests.conftest import drop_postgresql_connections
from tests.fakes.ttapi import FakeTTAPI
from tests.helpers import (
    MANAGER_ENV_STORE,
    RecordingSink,
    ledger,
    manager_env,
    release,
    sqlite_write_lock,
    submit,
)


@pytest.fixture(autouse=True)
def on_each_backend(database_url: str) -> Iterator[None]:
    """Every test here runs on SQLite, then on PostgreSQL (`manager_env` picks the store up)."""
    MANAGER_ENV_STORE["database_url"] = database_url
    yield
    MANAGER_ENV_STORE.clear()


# -- the fair queue -------------------------------------------------------------------------------


async def test_first_come_first_served_across_members_within_each_members_active_limit(tmp_path, fake_ttapi):
    # Alice's jobs are slow, the others quick: the order below does not depend on timing luck.
    fake_ttapi.duration_for = lambda _endpoint, body: 1.0 if body["prompt"].startswith("alice") else 0.2
    async with manager_env(
        tmp_path, ttapi=fake_ttapi, provider_concurrency="ttapi=2", max_active_jobs_per_user=1
    ) as (services, sink, _):
        manager = services.manager
        # Hold the scheduler back until everything is queued, so the order is the queue's alone.
        manager.concurrency["ttapi"] = 0
        a1, a2, a3 = [await submit(services, 1, f"alice {i}") for i in range(3)]
        b1 = await submit(services, 2, "bob 1")
        c1 = await submit(services, 3, "carol 1")
        assert [await manager.queue_position(j) for j in (a1, a2, a3, b1, c1)] == [1, 2, 3, 4, 5]
        mine = await manager.member_jobs(1)
        assert [(j.id, j.queue_position) for j in mine] == [(a1.id, 1), (a2.id, 2), (a3.id, 3)]

        manager.concurrency["ttapi"] = 2
        manager.scheduler.poke()
        await manager.wait_idle(15)

    prompts = [r.body["prompt"] for r in fake_ttapi.submits()]
    # Two slots: alice's oldest and bob's (alice is at her limit of one, so her next jobs do not
    # hold up bob's). Bob's slot frees first: alice still has one running, so carol goes; then
    # alice's next ones, one at a time.
    assert sorted(prompts[:2]) == ["alice 0", "bob 1"]
    assert prompts[2:] == ["carol 1", "alice 1", "alice 2"]
    assert sorted(sink.delivered.values()) == [1] * 5


async def test_jobs_started_together_reach_the_provider_in_arrival_order(tmp_path, fake_ttapi):
    async with manager_env(tmp_path, ttapi=fake_ttapi, provider_concurrency="ttapi=4") as (services, _, _):
        manager = services.manager
        manager.concurrency["ttapi"] = 0  # queue all four, then let one scheduler pass take them
        for member in range(4):
            await submit(services, member + 1, f"member {member}")
        manager.concurrency["ttapi"] = 4
        manager.scheduler.poke()
        await manager.wait_idle(15)

    assert [r.body["prompt"] for r in fake_ttapi.submits()] == [f"member {m}" for m in range(4)]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_postgresql_dropping_the_connections_mid_job_only_delays_it(
    tmp_path, fake_ttapi, database_url, caplog
):
    """A connection lost in the middle of a write is a refused write, as a locked SQLite file is: the
    job resumes from the store, submitted once, charged once, delivered once."""
    fake_ttapi.duration = 0.5
    async with manager_env(tmp_path, ttapi=fake_ttapi) as (services, sink, _):
        job = await submit(services, 1)
        await asyncio.sleep(0.2)  # submitted, now followed; its result is recorded while the table is held
        assert await drop_postgresql_connections(database_url, during_write=True) >= 1
        await services.manager.wait_idle(15)
        stored = await services.jobs.get(job.id)
        kinds = await ledger(services, job.id)

    assert stored is not None
    assert stored.state is JobState.DELIVERED
    assert len(fake_ttapi.submits()) == 1
    assert kinds == ["hold", "charge"]
    assert sink.delivered == {job.id: 1}
    assert any("the store refused a write" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_postgresql_conflicts_outlasting_the_retries_only_delay_the_job(
    tmp_path, fake_ttapi, database_url, monkeypatch
):
    """For 1.5 s every write fails as a conflict the store's retries did not overcome (a
    serialization failure, then a deadlock). The job under way is not ended "failed (internal)":
    its claim goes back (or lapses) and it is taken up again, submitted once, charged once,
    delivered once; a command accepted meanwhile gets a store refusal ("try again"), nothing kept."""
    import asyncpg

    from bot.store import errors as store_errors

    fake_ttapi.duration = 0.5
    async with manager_env(tmp_path, ttapi=fake_ttapi) as (services, sink, _):
        db = services.db
        real = db._commit  # type: ignore[attr-defined]
        window = {"until": 0.0}
        refused: list[int] = []

        async def conflicting(batch):  # type: ignore[no-untyped-def]
            if time.monotonic() < window["until"]:
                refused.append(len(batch))
                error = asyncpg.SerializationError if len(refused) % 2 else asyncpg.DeadlockDetectedError
                raise error("could not serialize access due to read/write dependencies among transactions")
            return await real(batch)

        monkeypatch.setattr(db, "_commit", conflicting)
        job = await submit(services, 1)
        await asyncio.sleep(0.2)  # submitted, now followed: its result is recorded within the window
        window["until"] = time.monotonic() + 1.5
        with pytest.raises(store_errors.STORE_REFUSED):
            await submit(services, 2)
        await asyncio.sleep(1.6)
        await services.manager.wait_idle(15)
        stored = await services.jobs.get(job.id)
        kinds = await ledger(services, job.id)
        jobs = await services.db.fetchall("SELECT id FROM jobs")

    assert len(refused) >= 2
    assert stored is not None
    assert stored.state is JobState.DELIVERED, (stored.state, stored.error_code)
    assert [r["id"] for r in jobs] == [job.id]  # the refused command left nothing behind
    assert len(fake_ttapi.submits()) == 1
    assert kinds == ["hold", "charge"]
    assert sink.delivered == {job.id: 1}
    assert sink.failed == []


async def test_a_submits_answer_the_store_refuses_to_record_at_first_is_kept_not_lost(
    tmp_path, fake_ttapi, database_url, monkeypatch, caplog
):
    """The provider has accepted the job (and bills it), and just then the store refuses the write
    that records its id: SQLite locked by another process, PostgreSQL's connection cut in the middle
    of that write. Found by CI (one job of 150 in tests/reliability/test_store_faults.py): the job was
    read back `submitting` and failed `submit_unknown`, an image made and paid for, never fetched.
    Only this process knows the answer, so it is kept and written once the store takes it."""
    fake_ttapi.duration = 0.5
    sqlite = database_url.startswith("sqlite")
    async with manager_env(tmp_path, ttapi=fake_ttapi) as (services, sink, _):
        if sqlite:
            await services.db.conn.execute("PRAGMA busy_timeout = 100")  # refused soon, not after 5 s
        provider = services.manager.providers["ttapi"]
        answer = provider.submit
        refusals: list[asyncio.Task[Any]] = []

        async def answered_then_refused(request, *, callback=None):  # type: ignore[no-untyped-def]
            submission = await answer(request, callback=callback)
            if sqlite:
                holder = await asyncio.to_thread(sqlite_write_lock, tmp_path / "fluxbot.sqlite3")
                refusals.append(asyncio.create_task(let_go(holder, after=1.5)))
            else:
                locked = asyncio.Event()
                cut = drop_postgresql_connections(database_url, during_write=True, locked=locked)
                refusals.append(asyncio.create_task(cut))
                await locked.wait()  # the write recording this answer waits for the table, then is cut
            return submission

        async def let_go(holder: subprocess.Popen[str], *, after: float) -> None:
            await asyncio.sleep(after)
            await asyncio.to_thread(release, holder)

        monkeypatch.setattr(provider, "submit", answered_then_refused)
        job = await submit(services, 1)
        await services.manager.wait_idle(20)
        await asyncio.gather(*refusals)
        stored = await services.jobs.get(job.id)
        kinds = await ledger(services, job.id)

    assert stored is not None
    assert stored.state is JobState.DELIVERED, (stored.state, stored.error_code)
    assert len(fake_ttapi.submits()) == 1
    assert kinds == ["hold", "charge"]
    assert sink.delivered == {job.id: 1}
    assert sink.failed == []
    assert any("refused a write in state submitting" in r.getMessage() for r in caplog.records)


async def test_a_submits_answer_recorded_though_the_store_said_it_was_not_is_followed_not_stranded(
    tmp_path, fake_ttapi, monkeypatch
):
    """The write recording a submit's answer commits, but the bot hears a refusal (PostgreSQL's
    connection cut after the server committed). Its try again finds the job moved on: the job is
    read back from the store (`running`, its id recorded) and followed, not left undriven."""
    from bot.store import errors as store_errors

    fake_ttapi.duration = 0.5
    async with manager_env(tmp_path, ttapi=fake_ttapi) as (services, sink, _):
        repository = services.manager.driver.jobs
        transition = repository.transition
        cut: list[JobState] = []

        async def committed_but_unheard(job, to, **fields):  # type: ignore[no-untyped-def]
            if to is JobState.RUNNING and not cut:
                cut.append(to)
                await transition(copy.copy(job), to, **fields)  # committed; the caller's job unchanged
                raise store_errors.STORE_REFUSED[-1]("connection was closed in the middle of operation")
            return await transition(job, to, **fields)

        monkeypatch.setattr(repository, "transition", committed_but_unheard)
        job = await submit(services, 1)
        await services.manager.wait_idle(20)
        stored = await services.jobs.get(job.id)
        kinds = await ledger(services, job.id)

    assert cut == [JobState.RUNNING]
    assert stored is not None
    assert stored.state is JobState.DELIVERED, (stored.state, stored.error_code)
    assert len(fake_ttapi.submits()) == 1
    assert kinds == ["hold", "charge"]
    assert sink.delivered == {job.id: 1}


async def test_queue_limit_refuses_beyond_active_plus_queued(tmp_path, fake_ttapi):
    async with manager_env(
        tmp_path, ttapi=fake_ttapi, max_active_jobs_per_user=1, max_queued_jobs_per_user=1
    ) as (services, _sink, _):
        services.manager.concurrency["ttapi"] = 0
        await submit(services, 7)
        await submit(services, 7)
        with pytest.raises(QueueFull):
            await submit(services, 7)
        await submit(services, 8)  # others are not affected


async def test_a_queued_job_is_cancelled_at_no_cost_and_never_sent(tmp_path, fake_ttapi):
    async with manager_env(tmp_path, ttapi=fake_ttapi) as (services, sink, _):
        manager = services.manager
        manager.concurrency["ttapi"] = 0
        first, second = await submit(services, 1, "first"), await submit(services, 1, "second")

        assert await manager.cancel(first.id, user_id=2) is None  # not theirs
        cancelled = await manager.cancel(first.id, user_id=1)
        assert cancelled is not None
        assert await manager.cancel(first.id, user_id=1) is None  # once
        assert await manager.queue_position(second) == 1
        assert [j.id for j in await manager.member_jobs(1)] == [second.id]

        manager.concurrency["ttapi"] = 10
        manager.scheduler.poke()
        await manager.wait_idle(10)
        assert await manager.cancel(second.id, user_id=1) is None  # no longer queued

        stored = await services.jobs.get(first.id)
        assert stored is not None
        assert stored.state is JobState.CANCELLED
        assert await ledger(services, first.id) == ["hold", "release"]
        assert [r.body["prompt"] for r in fake_ttapi.submits()] == ["second"]
        assert first.id in sink.failed
        assert sink.delivered == {second.id: 1}


# -- 429 storms, timeouts ---------------------------------------------------------------------------


async def test_a_429_storm_pauses_the_whole_provider_and_every_job_still_finishes_once(tmp_path, fake_ttapi):
    fake_ttapi.duration = 0.2
    fake_ttapi.error_next(429, "rate limited", on="submit", headers={"Retry-After": "0.4"}, times=2)
    async with manager_env(tmp_path, ttapi=fake_ttapi, rate_limits={"ttapi": 200.0}) as (services, sink, _):
        jobs = [await submit(services, user) for user in range(8)]
        await asyncio.sleep(0.05)
        fake_ttapi.error_next(429, "rate limited", on="fetch", headers={"Retry-After": "0.3"}, times=6)
        await services.manager.wait_idle(20)

    assert sink.delivered == {j.id: 1 for j in jobs}
    assert len(fake_ttapi.submits()) == 8 + 2  # the two refused submits were retried; none twice
    api = sorted((r for r in fake_ttapi.requests if not r.path.startswith("/files")), key=lambda r: r.at)
    refused = [r for r in api if r.status == 429]
    assert len(refused) == 8
    for r in refused:
        pause = 0.4 if r.path != "/flux/fetch" else 0.3
        # Requests already on the wire may land just after; after that, nobody asks TTAPI anything
        # until its Retry-After has passed: one pause for the whole provider, not one per job.
        during = [x for x in api if r.at + 0.05 < x.at < r.at + pause - 0.02]
        assert during == [], (r.path, [(x.path, x.at - r.at) for x in during])


async def test_a_submit_held_back_by_a_429_heard_meanwhile_is_not_counted_as_an_attempt(tmp_path, fake_ttapi):
    """A 429 (another job's, or another process's) is heard while this job's move to `submitting` is
    being committed: its request is not sent into the pause; it waits in the queue, is submitted once
    after the pause, and the request that never went out is not counted (`UNREACHABLE_ATTEMPTS`
    counts requests sent). Before: its `attempts` read 2 for one request."""
    async with manager_env(tmp_path, ttapi=fake_ttapi) as (services, sink, _):
        pacing = services.manager.driver.pacing
        heard: list[str] = []

        async def job_updated(job: Job, progress: Any) -> None:
            if progress.state is JobState.SUBMITTING and not heard:
                heard.append(job.id)
                await pacing.busy(
                    job.provider, ProviderBusy("rate limited", status=429, retry_after=0.3), "submit"
                )
            await sink_updated(job, progress)

        sink_updated, sink.job_updated = sink.job_updated, job_updated  # type: ignore[method-assign]
        job = await submit(services, 1)
        done = await services.manager.wait_for(job.id, 10)
        kinds = await ledger(services, job.id)

    assert heard == [job.id]
    assert done.state is JobState.DELIVERED, (done.state, done.error_code)
    assert done.attempts == 1
    assert len(fake_ttapi.submits()) == 1
    assert kinds == ["hold", "charge"]


async def test_a_job_of_a_provider_nothing_here_drives_fails_and_releases_its_hold(tmp_path, fake_ttapi):
    """Accepted for a provider no process has a key for (on PostgreSQL: no live worker drives it), the
    job does not wait forever: it fails `no_provider`, nothing charged, its member told. One process
    fails it when it takes it from the queue; workers give another worker `JOB_TIMEOUT_SECONDS`."""
    async with manager_env(tmp_path, ttapi=fake_ttapi, job_timeout_seconds=0.5) as (services, sink, _):
        claims = services.manager.claim_store
        if claims is not None:  # PostgreSQL: the workers look every 30 s; here when the test says
            services.manager.scheduler.unserved = None  # type: ignore[attr-defined]
            watch = UnservedWatch(claims, grace=lambda: services.manager.config.job_timeout)
            watch.bind(services.manager.ending.end)
        job = await submit(services, 1, provider="bfl")  # this process has no BFL key
        if claims is not None:  # now, twice, the grace apart
            assert await watch.check(["cli"], force=True) == 0
            await asyncio.sleep(0.6)
            assert await watch.check(["cli"], force=True) == 1
        done = await services.manager.wait_for(job.id, 10)
        kinds = await ledger(services, job.id)

    assert done.state is JobState.FAILED
    assert done.error_code == "no_provider"
    assert sink.failed == [job.id]
    assert kinds == ["hold", "release"]


async def test_a_job_that_never_finishes_times_out_and_releases_its_hold(tmp_path, fake_ttapi):
    fake_ttapi.duration = float("inf")
    async with manager_env(tmp_path, ttapi=fake_ttapi, job_timeout_seconds=0.8) as (services, sink, _):
        job = await submit(services, 1)
        done = await services.manager.wait_for(job.id, 10)
        assert await ledger(services, job.id) == ["hold", "release"]

    assert done.state is JobState.TIMED_OUT
    assert sink.failed == [job.id]


async def test_progress_extends_the_timeout(tmp_path, fake_ttapi):
    # PENDING_QUEUE until 0.6 s, ON_QUEUE until 1.8 s: no 1.4 s stretch without a change.
    fake_ttapi.duration = 1.8
    async with manager_env(tmp_path, ttapi=fake_ttapi, job_timeout_seconds=1.4) as (services, sink, _):
        job = await submit(services, 1)
        done = await services.manager.wait_for(job.id, 10)

    assert done.state is JobState.DELIVERED
    assert sink.delivered == {job.id: 1}


# -- downloads ------------------------------------------------------------------------------------


async def test_a_failed_download_is_retried_while_the_link_is_valid(tmp_path, fake_ttapi):
    fake_ttapi.error_next(500, "storage hiccup", on="file", times=2)
    async with manager_env(tmp_path, ttapi=fake_ttapi) as (services, sink, _):
        job = await submit(services, 1)
        done = await services.manager.wait_for(job.id, 15)

    assert done.state is JobState.DELIVERED
    assert len([r for r in fake_ttapi.requests if r.path.startswith("/files")]) == 3
    assert sink.delivered == {job.id: 1}


async def test_a_result_link_redirecting_to_a_foreign_host_is_refused(tmp_path, fake_ttapi):
    foreign = FakeTTAPI()
    await foreign.start()
    try:
        fake_ttapi.file_redirect = foreign.url.replace("127.0.0.1", "localhost")
        async with manager_env(tmp_path, ttapi=fake_ttapi) as (services, sink, _):
            job = await submit(services, 1)
            done = await services.manager.wait_for(job.id, 10)
    finally:
        await foreign.stop()

    assert done.state is JobState.FAILED
    assert done.error_code == "download"
    assert foreign.requests == []  # never followed
    assert sink.delivered == {}


# -- callbacks --------------------------------------------------------------------------------------


async def test_a_ttapi_callback_delivers_at_once_without_waiting_for_the_poll(tmp_path, fake_ttapi):
    fake_ttapi.duration = 0.5
    slow = PollPolicy(min_interval=5.0, max_interval=30.0, typical_override=20.0, jitter=0.0)
    async with manager_env(tmp_path, ttapi=fake_ttapi, callbacks=True, policy=slow) as (services, sink, _):
        job = await submit(services, 1)
        done = await services.manager.wait_for(job.id, 10)
        assert await ledger(services, job.id) == ["hold", "charge"]

    assert done.state is JobState.DELIVERED
    hook = fake_ttapi.submits()[0].body["webhook_url"]
    assert hook.endswith(f"/callbacks/ttapi/{job.id}/{done.callback_token}")
    assert len(done.callback_token or "") >= 32
    assert fake_ttapi.fetches() == []  # the first poll was 16 s away
    assert sink.delivered_at[job.id] - fake_ttapi.ready_at(done.provider_job_id or "") < 1.0


async def test_duplicate_and_unauthenticated_callbacks_change_nothing(tmp_path, fake_ttapi):
    fake_ttapi.duration = 0.3
    fake_ttapi.callback_copies = 3
    slow = PollPolicy(min_interval=5.0, max_interval=30.0, typical_override=20.0, jitter=0.0)
    async with manager_env(tmp_path, ttapi=fake_ttapi, callbacks=True, policy=slow) as (services, sink, url):
        other = await submit(services, 2)  # a job whose token an attacker does not have
        job = await submit(services, 1)
        body = b'{"status": "SUCCESS", "jobId": "x", "data": {"imageUrl": "http://evil.example/a.png"}}'
        async with aiohttp.ClientSession() as http:
            for path in (
                f"/callbacks/ttapi/{other.id}/wrong-token",
                f"/callbacks/ttapi/{other.id}/{job.callback_token}",  # another job's token
                f"/callbacks/ttapi/nonexistent/{other.callback_token}",
                f"/callbacks/bfl/{other.id}",
            ):
                async with http.post(url + path, data=body) as response:
                    assert response.status == 401, path
            async with http.post(
                f"{url}/callbacks/ttapi/{other.id}/{other.callback_token}", data=b"x" * 100_000
            ) as response:
                assert response.status == 413
        done = await services.manager.wait_for(job.id, 10)
        await services.manager.wait_idle(10)
        # A repeat after delivery is acknowledged and changes nothing.
        async with aiohttp.ClientSession() as http:
            async with http.post(
                f"{url}/callbacks/ttapi/{job.id}/{job.callback_token}", data=body
            ) as response:
                assert response.status == 200
                assert (await response.json())["status"] == "duplicate"
            async with http.get(url + "/metrics") as response:
                metrics = await response.text()
        assert await ledger(services, job.id) == ["hold", "charge"]

    assert done.state is JobState.DELIVERED
    assert fake_ttapi.callbacks_sent == 6  # three copies for each job
    assert sink.delivered == {job.id: 1, other.id: 1}
    assert not any("evil" in r.path for r in fake_ttapi.requests)
    assert 'fluxbot_callbacks_total{outcome="unauthorized",provider="ttapi"} 3.0' in metrics
    assert 'fluxbot_callbacks_total{outcome="duplicate",provider="ttapi"}' in metrics


@pytest.mark.parametrize("signature_mode", ["secret", "hmac", "hmac-hex", "both"])
async def test_bfl_callbacks_are_accepted_with_the_secret_or_its_signature(
    tmp_path, fake_bfl, signature_mode
):
    fake_bfl.signature_mode = signature_mode
    fake_bfl.duration = 0.4
    slow = PollPolicy(min_interval=5.0, max_interval=30.0, typical_override=20.0, jitter=0.0)
    async with manager_env(tmp_path, bfl=fake_bfl, callbacks=True, policy=slow) as (services, sink, url):
        job = await submit(services, 1, provider="bfl")
        done = await services.manager.wait_for(job.id, 10)
        body = b'{"id": "x", "status": "Ready"}'
        bad = "sha256=" + hmac.new(b"guess", body, hashlib.sha256).hexdigest()
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                f"{url}/callbacks/bfl/{job.id}", data=body, headers={"X-BFL-Signature": bad}
            ) as response,
        ):
            assert response.status == 401

    assert done.state is JobState.DELIVERED
    submitted = fake_bfl.submits()[0].body
    assert submitted["webhook_url"].endswith(f"/callbacks/bfl/{job.id}")  # no secret in the URL
    assert submitted["webhook_secret"] == done.callback_token
    assert fake_bfl.polls() == []
    assert sink.delivered == {job.id: 1}


def test_callback_authentication_is_strict():
    body = b'{"a": 1}'
    good = "sha256=" + hmac.new(b"tok", body, hashlib.sha256).hexdigest()
    assert callback_authentic("tok", body, token="tok")
    assert callback_authentic("tok", body, secret="tok")
    assert callback_authentic("tok", body, signature=good)
    assert callback_authentic("tok", body, signature=good.upper().replace("SHA256", "sha256"))
    assert callback_authentic("tok", body, signature=good.removeprefix("sha256="))  # bare hex
    assert callback_authentic("tok", body, signature=good.removeprefix("sha256=").upper())
    assert not callback_authentic("tok", body, signature="sha256=")
    assert not callback_authentic("tok", body, signature=good[:-1])
    assert not callback_authentic("tok", body + b" ", signature=good)
    assert not callback_authentic("tok", body, token="to")
    assert not callback_authentic("tok", body)
    assert not callback_authentic(None, body, token="")  # unknown job


# -- observability ----------------------------------------------------------------------------------


def gauges(services: Services, name: str) -> dict[str, float]:
    """A gauge's samples as the registry renders them, by their provider label."""
    from prometheus_client.parser import text_string_to_metric_families

    text = services.manager.metrics.render().decode()
    return {
        sample.labels["provider"]: sample.value
        for family in text_string_to_metric_families(text)
        if family.name == name
        for sample in family.samples
    }


async def test_metrics_count_the_queue_the_slots_and_the_jobs_this_process_drives(tmp_path, fake_ttapi):
    fake_ttapi.duration = 30.0  # two jobs hold the two slots for the whole test
    async with manager_env(tmp_path, ttapi=fake_ttapi, provider_concurrency="ttapi=2") as (services, _, _):
        jobs = [await submit(services, user) for user in range(5)]
        while len(fake_ttapi.submits()) < 2:
            await asyncio.sleep(0.01)
        await services.manager.refresh_metrics()
        queued = gauges(services, "fluxbot_queue_length")
        in_flight = gauges(services, "fluxbot_jobs_in_flight")
        driven = gauges(services, "fluxbot_jobs_driven")
        for job in jobs:
            await services.manager.cancel(job.id)

    assert queued["ttapi"] == 3
    assert in_flight["ttapi"] == 2
    assert driven["ttapi"] == 2


async def test_metrics_and_healthz_on_an_ephemeral_port_show_no_secret(tmp_path, fake_ttapi):
    async with manager_env(tmp_path, ttapi=fake_ttapi, callbacks=True) as (services, _sink, url):
        queued = await submit(services, 5)
        done = await submit(services, 6)
        await services.manager.wait_idle(10)
        async with aiohttp.ClientSession() as http:
            async with http.get(url + "/healthz") as response:
                assert response.status == 200
                health = await response.json()
                assert {k: health[k] for k in ("status", "store", "gateway", "disk")} == {
                    "status": "ok",
                    "store": True,
                    "gateway": True,
                    "disk": True,
                }
            async with http.get(url + "/metrics") as response:
                assert response.status == 200
                assert response.headers["Content-Type"].startswith("text/plain")
                text = await response.text()
        cost = (await services.jobs.get(done.id)).cost  # type: ignore[union-attr]

    assert 'fluxbot_jobs_finished_total{model="flux-pro-1.1",state="delivered"} 2.0' in text
    assert 'fluxbot_credits_charged_total{model="flux-pro-1.1",provider="ttapi"} 10.0' in text
    assert 'fluxbot_provider_request_seconds_count{operation="submit",provider="ttapi"}' in text
    assert "fluxbot_queue_length" in text
    for secret in (fake_ttapi.api_key, queued.callback_token, done.callback_token, "test-discord-token"):
        assert secret
        assert secret not in text
    assert cost == Decimal("5")


# -- reference images -----------------------------------------------------------------------------


def _image_plan(prompt: str, image: bytes) -> Any:
    return plan_job(
        prompt,
        {},
        default_model="flux-pro-1.1",
        available=["bfl"],
        preferred="bfl",
        images=[base64.b64encode(image).decode()],
    )


async def submit_with_image(services: Services, user: int, image: bytes, prompt: str = "remix") -> Job:
    new = NewJob.from_plan(_image_plan(prompt, image), origin=Origin.CLI, user_id=user)
    return await services.manager.submit(new)


def input_files(tmp_path: Path) -> list[str]:
    return sorted(p.name for p in (tmp_path / "inputs").iterdir())


async def test_a_queued_jobs_image_waits_in_its_file_and_is_sent_after_a_restart(tmp_path, fake_bfl):
    image = random.Random(3).randbytes(600_000)
    async with manager_env(tmp_path, bfl=fake_bfl) as (services, _, _):
        services.manager.concurrency["bfl"] = 0  # accepted and queued, never sent before the restart
        job = await submit_with_image(services, 1, image)
        assert input_files(tmp_path) == [f"{job.id}.0.b64"]
        row = await services.db.fetchone("SELECT length(data) AS n, file FROM job_inputs")
        assert (row["n"], row["file"]) == (0, f"{job.id}.0.b64")  # the row names the file only
    assert fake_bfl.submits() == []

    async with manager_env(tmp_path, bfl=fake_bfl) as (services, sink, _):
        await services.manager.wait_idle(15)
        assert sink.delivered == {job.id: 1}
    (sent,) = fake_bfl.submits()
    assert sent.body["image_prompt"] == base64.b64encode(image).decode()


async def test_a_refused_job_leaves_no_image_file_behind(tmp_path, fake_bfl):
    async with manager_env(
        tmp_path, bfl=fake_bfl, max_active_jobs_per_user=1, max_queued_jobs_per_user=0
    ) as (services, _, _):
        services.manager.concurrency["bfl"] = 0
        first = await submit_with_image(services, 7, b"first image")
        with pytest.raises(QueueFull):
            await submit_with_image(services, 7, b"second image")
        assert input_files(tmp_path) == [f"{first.id}.0.b64"]


async def test_a_job_whose_image_file_was_lost_fails_plainly_and_costs_nothing(tmp_path, fake_bfl):
    async with manager_env(tmp_path, bfl=fake_bfl) as (services, sink, _):
        manager = services.manager
        manager.concurrency["bfl"] = 0
        job = await submit_with_image(services, 1, b"an image")
        (tmp_path / "inputs" / f"{job.id}.0.b64").unlink()  # an operator cleaning up by hand
        manager.concurrency["bfl"] = 1
        manager.scheduler.poke()
        await manager.wait_idle(15)
        stored = await services.jobs.get(job.id)
        assert stored is not None
        assert (stored.state, stored.error_code) == (JobState.FAILED, "inputs_lost")
        assert "Nothing was charged" in (stored.error_message or "")
        assert await ledger(services, job.id) == ["hold", "release"]
        assert sink.failed == [job.id]
    assert fake_bfl.submits() == []


async def test_image_files_of_accepts_that_never_committed_are_removed_at_start(tmp_path, fake_bfl):
    async with manager_env(tmp_path, bfl=fake_bfl) as (services, _, _):
        services.manager.concurrency["bfl"] = 0
        kept = await submit_with_image(services, 1, b"kept")
    folder = tmp_path / "inputs"
    (folder / "0123456789abcdef.0.b64").write_bytes(b"b3JwaGFu")  # a crash between file and row
    (folder / "fedcba9876543210.0.b64.part").write_bytes(b"b3Jw")  # a crash while writing
    hour_ago = time.time() - 3600
    for path in folder.iterdir():
        os.utime(path, (hour_ago, hour_ago))

    async with manager_env(tmp_path, bfl=fake_bfl) as (services, sink, _):
        async with asyncio.timeout(5):  # by the retention sweep, which runs at start (and hourly)
            while input_files(tmp_path) != [f"{kept.id}.0.b64"]:
                await asyncio.sleep(0.02)
        await services.manager.wait_idle(15)
        assert sink.delivered == {kept.id: 1}


class IdsLeavingSink(RecordingSink):
    """Posts, and leaves the ids of what it posted for the job's end to store (as the Discord sink
    does, `take_result_ids`); notes the task that delivered, to count what it sends after the post."""

    def __init__(self) -> None:
        super().__init__()
        self.task: asyncio.Task[Any] | None = None
        self.ids: dict[str, dict[str, int]] = {}

    async def deliver(self, job: Job, image: bytes) -> int | None:
        await super().deliver(job, image)
        self.ids[job.id] = {"result_message_id": 4321, "response_message_id": 4320}
        self.task = asyncio.current_task()
        return 4321

    def take_result_ids(self, job_id: str) -> dict[str, int]:
        return self.ids.pop(job_id, {})


def store_calls_after_the_post(services: Services, sink: IdsLeavingSink, monkeypatch) -> list[str]:
    """What the job's own task sends the store once its sink posted: statements on PostgreSQL (its
    claim store bypasses `Database`), the `Database` calls on SQLite (one each: a unit, a write)."""
    sent: list[str] = []
    if services.db.dialect == "postgresql":
        import asyncpg

        targets: list[tuple[Any, str]] = [
            (asyncpg.connection.Connection, m)
            for m in ("execute", "executemany", "fetch", "fetchrow", "fetchval", "fetchmany")
        ]
    else:
        targets = [(services.db, m) for m in ("execute", "execute_one", "atomic", "fetchone", "fetchall")]
    for owner, method in targets:
        real = getattr(owner, method)

        def wrap(real: Any, method: str) -> Any:
            async def counted(*args: Any, **kwargs: Any) -> Any:
                if sink.task is not None and asyncio.current_task() is sink.task:
                    sent.append(method)
                return await real(*args, **kwargs)

            return counted

        monkeypatch.setattr(owner, method, wrap(real, method))
    return sent


async def test_a_delivered_jobs_end_stores_the_posted_ids_with_its_move_in_one_store_call(
    tmp_path, fake_ttapi, monkeypatch
):
    """After the post, a delivered job's end was three store calls: the sink's write of the posted
    messages' ids, the move to `delivered`, and on PostgreSQL the claim's release. The ids go with
    the move now, in one call: one statement on PostgreSQL (the release with it), one unit on SQLite."""
    from bot.store.deliveries import Deliveries, Delivery

    async with manager_env(tmp_path, ttapi=fake_ttapi, origin=Origin.DISCORD) as (services, _, _):
        sink = IdsLeavingSink()
        services.manager.register_sink(Origin.DISCORD, sink)
        sent = store_calls_after_the_post(services, sink, monkeypatch)
        asked = Delivery("", 77, "the-token", time.time(), locale="de")
        job = await submit(services, 1, origin=Origin.DISCORD, channel_id=9, delivery=asked)
        done = await services.manager.wait_for(job.id, 20)
        await services.manager.wait_idle(10)
        stored = await Deliveries(services.db).get(job.id)
        claimed = await services.db.fetchall("SELECT * FROM jobs WHERE id = ?", (job.id,))

    assert done.state is JobState.DELIVERED
    assert sink.delivered == {job.id: 1}
    assert stored is not None
    assert (stored.result_message_id, stored.response_message_id) == (4321, 4320)
    assert len(sent) == 1, sent
    if "claimed_by" in claimed[0].keys():  # noqa: SIM118 - a row's `in` looks at its values
        assert claimed[0]["claimed_by"] is None  # released with it
    assert sink.ids == {}
