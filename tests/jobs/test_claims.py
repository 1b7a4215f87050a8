"""Several workers on one PostgreSQL store: claims, global limits, takeover and wake-ups.

Two job managers in this test process share one database (each with its own connections, as two
processes would): they claim disjoint jobs; member, provider and 429 limits hold across them; a
worker that dies (its connection dropped without a word) or goes silent (its lease not renewed)
has its jobs taken over by the other in any state, each submitted, charged and delivered once; a
new job and a callback reach the worker that must act by NOTIFY.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import pytest

from bot.app import Services
from bot.jobs.model import Job, JobState, Origin
from bot.jobs.polling import PollPolicy
from bot.jobs.unserved import UnservedWatch
from bot.jobs.worker import POKE_GAP
from bot.providers.base import ProviderBusy
from bot.store.claims import Limits
from tests.fakes.ttapi import FakeTTAPI
from tests.helpers import RecordingSink, manager_env, submit, until

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

Worker = tuple[Services, RecordingSink, str]
ACTIVE_BY_MEMBER = (
    "SELECT user_id, COUNT(*) FROM jobs WHERE state IN ('submitting', 'running') GROUP BY user_id"
)


@asynccontextmanager
async def two_workers(
    tmp_path: Any,
    fake: FakeTTAPI,
    url: str,
    *,
    a: dict[str, Any] | None = None,
    b: dict[str, Any] | None = None,
) -> AsyncIterator[tuple[Worker, Worker]]:
    """Two managers on the store at `url`, sharing `DATA_DIR` as processes on one machine do."""
    async with (
        manager_env(tmp_path, ttapi=fake, database_url=url, **(a or {})) as first,
        manager_env(tmp_path, ttapi=fake, database_url=url, **(b or {})) as second,
    ):
        yield first, second


async def rows(services: Services, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in await services.db.fetchall(sql, params)]


async def kinds(services: Services, job_id: str) -> list[str]:
    return [
        r[0] for r in await rows(services, "SELECT kind FROM ledger WHERE job_id = ? ORDER BY id", job_id)
    ]


def worker_id(services: Services) -> str:
    claims: Any = services.manager.claims
    return str(claims.worker_id)


# -- claims and limits ----------------------------------------------------------------------------


async def test_two_workers_claim_disjoint_jobs_in_arrival_order_within_the_global_concurrency(
    tmp_path, fake_ttapi, database_url
):
    async with two_workers(tmp_path, fake_ttapi, database_url) as ((a, sink_a, _), (b, sink_b, _)):
        for services in (a, b):
            services.manager.concurrency["ttapi"] = 0  # their own passes claim nothing
        jobs = [await submit(a, user) for user in range(6)]
        claims_a: Any = a.manager.claims
        claims_b: Any = b.manager.claims

        got_a = await claims_a.claim(Limits({"ttapi": 3}, 2, ("cli",)))
        got_b = await claims_b.claim(Limits({"ttapi": 4}, 2, ("cli",)))  # 3 of 4 slots are A's
        more_b = await claims_b.claim(Limits({"ttapi": 10}, 2, ("cli",)))
        assert await claims_a.claim(Limits({"ttapi": 10}, 2, ("cli",))) == []  # nothing left

        assert [j.id for j in got_a] == [j.id for j in jobs[:3]]
        assert [j.id for j in got_b] == [jobs[3].id]
        assert [j.id for j in more_b] == [j.id for j in jobs[4:]]
        for job in got_a:
            a.manager.runs.launch(job)
        for job in got_b + more_b:
            b.manager.runs.launch(job)
        await a.manager.wait_idle(20)

    assert sink_a.delivered == {j.id: 1 for j in got_a}
    assert sink_b.delivered == {j.id: 1 for j in got_b + more_b}
    assert len(fake_ttapi.submits()) == 6


def statements_of_this_task(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every statement the calling task sends PostgreSQL from now on (the pool's own and the
    managers' background tasks are other tasks)."""
    task = asyncio.current_task()
    sent: list[str] = []
    for method in ("execute", "executemany", "fetch", "fetchrow", "fetchval", "fetchmany"):
        real = getattr(asyncpg.connection.Connection, method)

        def wrap(real: Any) -> Any:
            async def counted(self: Any, query: str, *args: Any, **kwargs: Any) -> Any:
                if asyncio.current_task() is task:
                    sent.append(query)
                return await real(self, query, *args, **kwargs)

            return counted

        monkeypatch.setattr(asyncpg.connection.Connection, method, wrap(real))
    return sent


def bookings(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The tokens each booking of the shared provider budget asks for (`ClaimStore.reserve`), in order."""
    from bot.store.claims import ClaimStore

    booked: list[int] = []
    real = ClaimStore.reserve

    async def counting(self: Any, provider: str, count: int, interval: float) -> Any:
        booked.append(count)
        return await real(self, provider, count, interval)

    monkeypatch.setattr(ClaimStore, "reserve", counting)
    return booked


async def test_a_claim_pass_is_one_statement_and_keeps_the_cap_the_pause_and_the_lease(
    tmp_path, fake_ttapi, database_url, monkeypatch
):
    """A claim pass was a transaction of up to eleven round trips (BEGIN, the claims' lock, the
    lease, the takeover, the queued jobs, the paused providers, the active jobs, the candidates,
    the claim, COMMIT): about six statements per job at 2,000 jobs. It is one (migration 0027),
    with the same rules: a member's cap counted with the jobs taken in the same pass, a paused
    provider left alone, a worker whose lease ran out refused."""
    from bot.store.claims import LeaseLost

    async with two_workers(tmp_path, fake_ttapi, database_url) as ((a, _, _), (b, _, _)):
        for services in (a, b):
            services.manager.concurrency["ttapi"] = 0  # their own passes claim nothing
        jobs = [await submit(a, user) for user in (1, 1, 1, 2, 3)]
        store: Any = a.manager.claim_store
        sent = statements_of_this_task(monkeypatch)

        got = await store.claim(worker_id(a), Limits({"ttapi": 3}, 2, ("cli",)))
        assert [j.id for j in got] == [jobs[0].id, jobs[1].id, jobs[3].id]  # member 1's third waits
        assert len(sent) == 1, sent

        await store.pause("ttapi", 30.0, 0.0)
        sent.clear()
        assert await store.claim(worker_id(b), Limits({"ttapi": 10}, 2, ("cli",))) == []  # paused
        assert len(sent) == 1, sent
        await rows(a, "UPDATE provider_pacing SET paused_until = 0")
        got_b = await store.claim(worker_id(b), Limits({"ttapi": 10}, 2, ("cli",)))
        assert [j.id for j in got_b] == [jobs[4].id]  # member 1 still at the cap: 2 of A's

        await rows(a, "UPDATE workers SET lease_until = 0 WHERE id = ?", worker_id(a))
        await rows(a, "UPDATE jobs SET claimed_by = NULL WHERE id = ?", jobs[0].id)  # something to take
        with pytest.raises(LeaseLost):
            await store.claim(worker_id(a), Limits({"ttapi": 10}, 2, ("cli",)))
        assert (await rows(a, "SELECT claimed_by FROM jobs WHERE id = ?", jobs[0].id)) == [(None,)]


async def test_a_workers_sink_has_its_jobs_delivery_records_from_the_claim_and_reads_none(
    tmp_path, fake_ttapi, database_url, monkeypatch
):
    """A worker's sink read each job's delivery record back from the store (one statement per job,
    `Deliveries.get`); the claim brings it (a join in the same statement) and the sink keeps it."""
    from bot.discord.rest import RestClient, rest_sink
    from bot.store.deliveries import Delivery

    async with two_workers(tmp_path, fake_ttapi, database_url) as ((a, _, _), (b, _, _)):
        for services in (a, b):
            services.manager.concurrency["ttapi"] = 0  # their own passes claim nothing
        asked = Delivery("", 77, "the-token", time.time(), private=True, locale="de")
        job = await submit(a, 5, origin=Origin.DISCORD, channel_id=9, delivery=asked)
        cli_job = await submit(a, 6)  # no delivery record: none told
        await rows(a, "UPDATE job_deliveries SET response_message_id = 1234 WHERE job_id = ?", job.id)
        # `jobs` keeps old columns of the same names (migration 0014 copied them): not read.
        await rows(
            a,
            "UPDATE jobs SET interaction_app_id = 1, interaction_token = 'old', response_message_id = 5"
            " WHERE id = ?",
            job.id,
        )
        sink = rest_sink(RestClient(), b)
        store: Any = b.manager.claim_store
        got = await store.claim(worker_id(b), Limits({"ttapi": 10}, 2, ("cli", "discord")))
        assert [j.id for j in got] == [job.id, cli_job.id]

        sent = statements_of_this_task(monkeypatch)
        delivery = await sink._delivery(job)
        assert sent == []  # nothing read back
        assert delivery is not None
        assert (delivery.job_id, delivery.app_id, delivery.token, delivery.private, delivery.locale) == (
            job.id,
            77,
            "the-token",
            True,
            "de",
        )
        assert delivery.response_message_id == 1234
        assert delivery == await sink.deliveries.get(job.id)


async def test_member_and_provider_limits_hold_across_workers(tmp_path, fake_ttapi, database_url):
    """A drives the CLI jobs, B the Discord ones (so both drive some), one member's jobs on both."""
    fake_ttapi.duration = 0.3
    limits = {"provider_concurrency": "ttapi=2", "max_active_jobs_per_user": 1}
    pair = two_workers(tmp_path, fake_ttapi, database_url, a=limits, b={**limits, "origin": Origin.DISCORD})
    async with pair as ((a, sink_a, _), (_, sink_b, _)):
        cli, discord = Origin.CLI, Origin.DISCORD
        asked = [
            (1, cli),
            (1, discord),
            (1, cli),
            (1, discord),
            (2, discord),
            (3, cli),
            (4, discord),
            (5, cli),
        ]
        jobs = [await submit(a, user, origin=origin) for user, origin in asked]
        peak_provider, peak_member = 0, 0
        while await a.manager.claim_store.any_unfinished(["cli", "discord"]):  # type: ignore[union-attr]
            active = await rows(a, ACTIVE_BY_MEMBER)
            peak_provider = max(peak_provider, sum(n for _, n in active))
            peak_member = max([peak_member, *(n for _, n in active)])
            await asyncio.sleep(0.01)

    assert sink_a.delivered == {j.id: 1 for j, (_, origin) in zip(jobs, asked, strict=True) if origin is cli}
    assert sink_b.delivered == {
        j.id: 1 for j, (_, origin) in zip(jobs, asked, strict=True) if origin is discord
    }
    assert peak_provider == 2  # both slots used, never a third
    assert peak_member == 1  # member 1's four jobs, on two workers, one at a time


async def test_a_429_met_by_one_worker_pauses_the_others_requests(tmp_path, fake_ttapi, database_url):
    fake_ttapi.duration = 1.2
    fast = {"rate_limits": {"ttapi": 200.0}}
    b_only = {**fast, "origin": Origin.DISCORD}  # B drives the Discord jobs, A the CLI ones
    async with two_workers(tmp_path, fake_ttapi, database_url, a=fast, b=b_only) as (
        (a, _, _),
        (b, sink_b, _),
    ):
        theirs = [await submit(a, user, origin=Origin.DISCORD) for user in (1, 2)]
        await until(lambda: _states(b, theirs, {JobState.RUNNING}))
        fake_ttapi.error_next(429, "rate limited", on="submit", headers={"Retry-After": "0.5"}, times=1)
        await submit(a, 3)  # A's submit meets the 429
        await a.manager.wait_idle(20)

    assert sorted(sink_b.delivered.values()) == [1, 1]
    api = sorted((r for r in fake_ttapi.requests if not r.path.startswith("/files")), key=lambda r: r.at)
    (refused,) = [r for r in api if r.status == 429]
    # B hears A's pause through the store (NOTIFY): what B sent before it heard may land up to the
    # wake-up bound of issue 15 (100 ms) later; nothing after that until the pause has passed.
    during = [x for x in api if refused.at + 0.1 < x.at < refused.at + 0.45]
    assert during == [], [(x.path, round(x.at - refused.at, 3)) for x in during]
    assert any(x.path == "/flux/fetch" and x.at > refused.at + 0.45 for x in api)  # B polled again after


async def test_requests_asked_for_together_book_the_shared_budget_in_one_statement(
    tmp_path, fake_ttapi, database_url, monkeypatch
):
    """Jobs poll one by one: booked alone, every poll was a round trip to the budget's row. While
    requests keep coming, those asked for within `GATHER` of the first share one statement, each
    with its own slot, in the order they asked (before, the first went alone and the others waited
    for it). The first request after a quiet spell is booked at once, alone; the next booking
    also takes a slice for the requests to come (one: this process asked once in the last second)."""
    booked = bookings(monkeypatch)
    async with manager_env(tmp_path, ttapi=fake_ttapi, database_url=database_url) as (services, _, _):
        pacing = services.manager.pacing
        sent: list[int] = []

        async def request(n: int) -> None:
            await pacing.take_token("ttapi")
            sent.append(n)

        await request(-1)  # after a quiet spell: booked alone
        first = asyncio.create_task(request(0))
        for _ in range(3):
            await asyncio.sleep(0)  # its booking is under way
        await asyncio.gather(first, *(request(n) for n in range(1, 4)))
    assert booked == [1, 4 + 1]
    assert sent == [-1, 0, 1, 2, 3]


async def test_a_stream_of_requests_takes_slices_of_the_shared_budget(
    tmp_path, fake_ttapi, database_url, monkeypatch
):
    """A worker's polls come one by one, ~25 a second: each booking (a round trip) now takes a slice of
    the shared budget ahead, as many tokens as this process asked for in the last second (within a
    quarter of the provider's rate), and hands them out without a round trip. Before, every 50 ms
    of requests (`GATHER`) was a booking. Every token handed out was booked in the shared row (the
    limit stays global)."""
    booked = bookings(monkeypatch)
    fast = {"rate_limits": {"ttapi": 200.0}}
    async with manager_env(tmp_path, ttapi=fake_ttapi, database_url=database_url, **fast) as (services, _, _):
        pacing = services.manager.pacing
        sent: list[float] = []

        async def request() -> None:
            await pacing.take_token("ttapi")
            sent.append(time.monotonic())

        tasks = []
        for _ in range(60):  # 1.2 s of requests, one every 20 ms
            tasks.append(asyncio.create_task(request()))
            await asyncio.sleep(0.02)
        await asyncio.gather(*tasks)

    assert len(sent) == 60
    assert sum(booked) >= 60  # each token in the shared row
    assert len(booked) <= 8, booked  # ~25 bookings before (one per 50 ms of requests)


async def test_a_pause_heard_from_another_worker_drops_the_slice_booked_ahead(
    tmp_path, fake_ttapi, database_url
):
    """Tokens booked ahead may fall inside a 429 pause that another process met: once it is heard,
    the next request books in the store again and goes after the pause."""
    fast = {"rate_limits": {"ttapi": 200.0}}
    pair = two_workers(tmp_path, fake_ttapi, database_url, a={**fast, "drive": False}, b=fast)
    async with pair as ((a, _, _), (b, _, _)):
        pacing = b.manager.pacing
        for _ in range(20):  # a stream: B's bookings take slices ahead
            await pacing.take_token("ttapi")
            await asyncio.sleep(0.01)
        assert pacing._slices.get("ttapi") is not None
        await a.manager.pacing.busy("ttapi", ProviderBusy("429", retry_after=0.5), "submit")
        await until(lambda: _paused(pacing))
        started = time.monotonic()
        await pacing.take_token("ttapi")
        waited = time.monotonic() - started

    assert waited > 0.3  # after the pause, not on a token of the slice


async def _paused(pacing: Any) -> bool:
    return bool(pacing.paused_for("ttapi") > 0)


async def _states(services: Services, jobs: list[Job], states: set[JobState]) -> bool:
    for job in jobs:
        stored = await services.jobs.get(job.id)
        if stored is None or stored.state not in states:
            return False
    return True


# -- takeover -------------------------------------------------------------------------------------


class StuckSink(RecordingSink):
    """A sink whose post never completes (the worker dies while delivering)."""

    async def deliver(self, job: Job, image: bytes) -> int | None:
        await asyncio.Event().wait()
        return None


async def _claimed_by(services: Services, job_id: str) -> str | None:
    found = await rows(services, "SELECT claimed_by FROM jobs WHERE id = ?", job_id)
    return found[0][0] if found else None


@pytest.mark.flaky(reruns=2)  # a takeover timed on a shared machine
@pytest.mark.parametrize("state", ["queued", "submitting", "running", "fetching", "delivering"])
async def test_a_dead_workers_jobs_are_taken_over_in_any_state_exactly_once(
    tmp_path, fake_ttapi, database_url, state
):
    """A worker dies (its connection closes, nothing cleaned up): the other has its jobs within ~2 s
    and finishes each — submitted once, charged once, delivered once (or, caught mid-submit with no
    callback to wait for, failed `submit_unknown` with its hold released, never sent twice)."""
    a_settings: dict[str, Any] = {"rate_limits": {"ttapi": 0.5}} if state == "queued" else {}
    async with two_workers(tmp_path, fake_ttapi, database_url, a=a_settings) as (
        (a, sink_a, _),
        (b, sink_b, _),
    ):
        b.manager.concurrency["ttapi"] = 0  # B starts nothing new while A lives (it still takes over)
        if state == "submitting":
            fake_ttapi.submit_delay = 3.0
        elif state == "running":
            fake_ttapi.duration = 2.0
        elif state == "fetching":
            fake_ttapi.file_delay = 3.0
        elif state == "delivering":
            a.manager.register_sink(Origin.CLI, StuckSink())
        jobs = [await submit(a, 1), *([await submit(a, 2)] if state == "queued" else [])]
        target = jobs[-1]
        mine = worker_id(a)

        async def caught() -> bool:
            stored = await a.jobs.get(target.id)
            assert stored is not None
            if state == "queued":  # the other job past its submit: caught mid-submit it would fail
                first = await a.jobs.get(jobs[0].id)  # `submit_unknown`, as the submitting case checks
                assert first is not None
                if first.state in (JobState.QUEUED, JobState.SUBMITTING):
                    return False
            return stored.state is JobState(state) and await _claimed_by(a, target.id) == mine

        await until(caught)
        await a.manager.stop(release=False)  # dies: its worker connection goes, its claims stay
        a.db.pool.terminate()  # type: ignore[attr-defined]
        b.manager.concurrency["ttapi"] = 10
        fake_ttapi.submit_delay = fake_ttapi.file_delay = 0.0
        theirs = worker_id(b)

        async def taken() -> bool:
            for job in jobs:
                stored = await b.jobs.get(job.id)
                assert stored is not None
                if not stored.state.terminal and await _claimed_by(b, job.id) != theirs:
                    return False
            return True

        takeover = await until(taken, timeout=5)
        await b.manager.wait_idle(20)
        stored = [await b.jobs.get(job.id) for job in jobs]
        ledgers = [await kinds(b, job.id) for job in jobs]

    assert takeover < 3.0, takeover  # ~1 s (the next claim pass reaps: at least every second); slack for load
    delivered = Counter(sink_a.delivered) + Counter(sink_b.delivered)
    if state == "submitting":  # no callbacks: nothing to learn the provider's answer from
        assert [(j.state, j.error_code) for j in stored if j] == [(JobState.FAILED, "submit_unknown")]
        assert ledgers == [["hold", "release"]]
        assert delivered == Counter()
    else:
        assert [j.state for j in stored if j] == [JobState.DELIVERED] * len(jobs)
        assert ledgers == [["hold", "charge"]] * len(jobs)
        assert delivered == Counter({j.id: 1 for j in jobs})
    assert len(fake_ttapi.submits()) == len(jobs)  # none sent twice


class TakenOverSink(RecordingSink):
    """Its first post fails (Discord hiccuped), and while it does the job is taken from this worker
    (as a reap does after a lost lease) and claimed by another one, which posts it."""

    def __init__(self, takeover: Any) -> None:
        super().__init__()
        self.takeover = takeover
        self.tries = 0

    async def deliver(self, job: Job, image: bytes) -> int | None:
        self.tries += 1
        if self.tries == 1:
            await self.takeover(job)
            raise RuntimeError("Discord hiccuped")
        return await super().deliver(job, image)


async def test_a_worker_whose_delivering_job_was_taken_over_does_not_post_it_again(
    tmp_path, fake_ttapi, database_url
):
    """A's post fails and A waits to try again; meanwhile the job is taken over by B, which posts
    it. A's next attempt is refused by the store (the attempt is a compare-and-set on the claim and
    the attempts): one post, not two (seen in benchmarks/pg_workers_scaling.py as jobs delivered by
    two workers)."""
    async with two_workers(tmp_path, fake_ttapi, database_url) as ((a, _, _), (b, sink_b, _)):
        b.manager.concurrency["ttapi"] = 0  # B starts nothing new; it still takes over
        theirs = worker_id(b)

        async def takeover(job: Job) -> None:
            # What a reap of A and B's next claim do together, at once (A's own claim passes
            # would otherwise race B for the unclaimed job).
            await a.db.execute("UPDATE jobs SET claimed_by = ? WHERE id = ?", (theirs, job.id))
            stored = await b.jobs.get(job.id)
            assert stored is not None
            assert stored.state is JobState.DELIVERING
            b.manager.runs.launch(stored)
            await until(lambda: _not_driven(b, job.id))

        sink_a = TakenOverSink(takeover)
        a.manager.register_sink(Origin.CLI, sink_a)
        job = await submit(a, 1)
        done = await b.manager.wait_for(job.id, 20)
        await until(lambda: _not_driven(a, job.id), timeout=10)  # A's retry came and went
        attempts = await rows(b, "SELECT delivery_attempts FROM jobs WHERE id = ?", job.id)
        ledger = await kinds(b, job.id)

    assert done.state is JobState.DELIVERED
    assert sink_a.tries == 1  # A never posted again
    assert Counter(sink_a.delivered) + Counter(sink_b.delivered) == Counter({job.id: 1})
    assert attempts == [(2,)]
    assert ledger == ["hold", "charge"]


async def _not_driven(services: Services, job_id: str) -> bool:
    return job_id not in services.manager.runs


async def test_a_posted_job_whose_end_met_a_conflict_is_not_posted_again_by_another_worker(
    tmp_path, fake_ttapi, database_url, monkeypatch
):
    """The post went through, then storing `delivered` met a serialization conflict the store's
    retries did not overcome. The end is retried until stored; the job is not released in
    `delivering` for B to post it a second time."""
    import asyncpg

    async with two_workers(tmp_path, fake_ttapi, database_url) as ((a, sink_a, _), (b, sink_b, _)):
        b.manager.concurrency["ttapi"] = 0
        delivered = a.manager.ending.delivered
        refused: list[str] = []

        async def conflicting(job: Job, ids: dict[str, int]) -> None:
            if not refused:
                refused.append(job.id)
                raise asyncpg.SerializationError("could not serialize access due to concurrent update")
            await delivered(job, ids)

        monkeypatch.setattr(a.manager.ending, "delivered", conflicting)
        job = await submit(a, 1)
        done = await a.manager.wait_for(job.id, 20)
        await a.manager.wait_idle(10)
        await asyncio.sleep(1.5)  # B's claim passes (every second) find nothing to take over

    assert refused == [job.id]
    assert done.state is JobState.DELIVERED
    assert Counter(sink_a.delivered) + Counter(sink_b.delivered) == Counter({job.id: 1})


async def test_a_job_caught_mid_submit_is_rescued_by_its_late_callback_on_the_other_worker(
    tmp_path, fake_ttapi, database_url
):
    """The callback reaches a process that no longer drives the job (here A's web server, its worker
    dead): it is kept in the store and handed to B, which took the job over."""
    fake_ttapi.submit_delay = 3.0
    fake_ttapi.duration = 0.5
    fake_ttapi.callback_attempts = 30
    fake_ttapi.callback_retry_interval = 0.2
    slow = {"callbacks": True, "policy": PollPolicy(min_interval=5.0, typical_override=60.0, jitter=0.0)}
    async with two_workers(tmp_path, fake_ttapi, database_url, a=slow, b=slow) as ((a, _, _), (b, sink_b, _)):
        b.manager.concurrency["ttapi"] = 0
        job = await submit(a, 1)
        await until(lambda: _states(a, [job], {JobState.SUBMITTING}))
        await a.manager.stop(release=False)  # A's worker dies; its web server still answers
        done = await b.manager.wait_for(job.id, 20)
        assert await rows(b, "SELECT COUNT(*) FROM job_callbacks") == [(0,)]  # gone with the job

    assert done.state is JobState.DELIVERED
    assert done.provider_job_id == next(iter(fake_ttapi.jobs))
    assert sink_b.delivered == {job.id: 1}
    assert len(fake_ttapi.submits()) == 1


async def test_a_silent_workers_jobs_are_taken_over_when_its_lease_runs_out(
    tmp_path, fake_ttapi, database_url, monkeypatch
):
    """Alive but silent (a frozen machine): its lease is not renewed, the other takes its job over
    after `WORKER_LEASE_SECONDS`, and the silent one acts for it no more."""
    fake_ttapi.duration = 3.0
    lease = {"worker_lease_seconds": 2}
    async with two_workers(tmp_path, fake_ttapi, database_url, a=lease, b=lease) as (
        (a, sink_a, _),
        (b, sink_b, _),
    ):
        b.manager.concurrency["ttapi"] = 0
        job = await submit(a, 1)
        await until(lambda: _states(a, [job], {JobState.RUNNING}))

        async def frozen() -> bool:
            await asyncio.Event().wait()
            return False

        claims: Any = a.manager.claims
        monkeypatch.setattr(claims.session, "renew", frozen)
        silent_since = time.monotonic()
        theirs = worker_id(b)

        async def taken() -> bool:
            return await _claimed_by(b, job.id) == theirs

        await until(taken, timeout=10)
        took = time.monotonic() - silent_since
        done = await b.manager.wait_for(job.id, 20)
        ledger = await kinds(b, job.id)

    assert 1.0 < took < 4.0  # the lease (2 s) from its last renewal, then the next reap
    assert done.state is JobState.DELIVERED
    assert ledger == ["hold", "charge"]
    assert Counter(sink_a.delivered) + Counter(sink_b.delivered) == Counter({job.id: 1})
    assert len(fake_ttapi.submits()) == 1


async def test_an_idle_worker_looks_for_dead_workers_only_in_its_claim_pass(
    tmp_path, fake_ttapi, database_url, monkeypatch
):
    """An idle worker's timers: its fallback claim pass (every second), which reaps dead workers too
    (migration 0029), and its lease. The reaper was a round trip of its own every 0.5 s, about half
    of an idle worker's CPU; now there is none, and a worker killed meanwhile is still taken over."""
    sent: list[str] = []
    for method in ("execute", "fetch", "fetchrow", "fetchval"):
        real = getattr(asyncpg.connection.Connection, method)

        async def counted(self, query, *args, _real=real, **kwargs):  # type: ignore[no-untyped-def]
            sent.append(" ".join(str(query).split()))
            return await _real(self, query, *args, **kwargs)

        monkeypatch.setattr(asyncpg.connection.Connection, method, counted)
    fake_ttapi.duration = 3.0
    async with two_workers(tmp_path, fake_ttapi, database_url) as ((a, _, _), (b, _, _)):
        job = await submit(a, 1)
        await until(lambda: _states(a, [job], {JobState.RUNNING}))
        b.manager.concurrency["ttapi"] = 0  # B only reaps and takes over
        await asyncio.sleep(0.5)
        sent.clear()
        await asyncio.sleep(2.2)
        idle = list(sent)
        await a.manager.stop(release=False)  # dies: its worker connection goes, its claims stay
        a.db.pool.terminate()  # type: ignore[attr-defined]
        b.manager.concurrency["ttapi"] = 10
        theirs = worker_id(b)

        async def taken() -> bool:
            return await _claimed_by(b, job.id) == theirs

        took = await until(taken, timeout=5)

    looks = [q for q in idle if "FROM workers" in q and "lease_until" in q and not q.startswith("UPDATE")]
    assert looks == [], [q[:60] for q in idle]  # 8-10 in 2.2 s before (2 workers, a reap every 0.5 s each)
    assert took < 2.0, took  # at the next claim pass
    assert sum("fluxbot_claim" in q for q in idle) >= 2  # the fallback passes


# -- wake-ups -------------------------------------------------------------------------------------


async def test_a_new_job_reaches_an_idle_worker_by_notify_not_by_its_timer(
    tmp_path, fake_ttapi, database_url
):
    """The gateway accepts; the idle worker starts the job well inside its 1 s fallback pass."""
    async with two_workers(tmp_path, fake_ttapi, database_url, a={"drive": False}) as (
        (gateway, _, _),
        (worker, _, _),
    ):
        await asyncio.sleep(1.2)  # the worker's passes are idle
        latencies = []
        for user in range(5):
            accepted = time.monotonic()
            job = await submit(gateway, user)
            while job.id not in worker.manager.runs and time.monotonic() - accepted < 2:
                await asyncio.sleep(0.001)
            latencies.append(time.monotonic() - accepted)
            await worker.manager.wait_for(job.id, 10)

    assert max(latencies) < 0.5, latencies  # measured precisely: benchmarks/claims_latency.py


async def test_jobs_queued_within_the_poke_gap_are_announced_by_one_poke_after_them(
    tmp_path, fake_ttapi, database_url
):
    """A gateway at 100 commands/s sent a NOTIFY per command, one round trip each, though a worker
    answers them with one claim pass per 50 ms: the pokes of one gap go as one, after its jobs.
    (No worker here: a worker's releases poke too. `test_a_new_job_reaches_an_idle_worker_by_notify_
    not_by_its_timer` has a worker claim what a gateway announced.)"""
    async with manager_env(tmp_path, ttapi=fake_ttapi, database_url=database_url, drive=False) as (
        gateway,
        _,
        _,
    ):
        store: Any = gateway.manager.claim_store
        await store.open()
        sent: list[float] = []  # when each poke's NOTIFY was handed to the store
        notify = store.notify

        async def counted(payload: str) -> None:
            sent.append(time.monotonic())
            await notify(payload)

        store.notify = counted
        heard: list[tuple[float, str]] = []
        listener = await asyncpg.connect(gateway.db.url)  # type: ignore[attr-defined]
        try:
            await listener.add_listener(
                store.channel, lambda *args: heard.append((time.monotonic(), args[-1]))
            )
            first = await submit(gateway, 0)
            await until(lambda: _true(len(heard) >= 1), 5, step=0.001)  # sent with the accept
            # Nine more, 5 ms apart: at most one poke per gap, the last after the last job.
            jobs = [first]
            for user in range(1, 10):
                await asyncio.sleep(0.005)
                jobs.append(await submit(gateway, user))
            last_accepted = time.monotonic()
            await asyncio.sleep(POKE_GAP + 0.1)
        finally:
            await listener.close()
    assert 2 <= len(sent) <= 1 + (last_accepted - sent[0]) / POKE_GAP + 1  # one per command before
    assert min(b - a for a, b in itertools.pairwise(sent)) >= POKE_GAP - 0.001
    assert sent[-1] >= last_accepted  # after the last job was stored
    assert 2 <= len([said for _, said in heard if said == "poke"]) <= len(sent)  # real NOTIFYs


async def _true(value: bool) -> bool:
    return value


async def test_a_release_pokes_the_workers_only_when_a_job_waits_to_be_claimed(
    tmp_path, fake_ttapi, database_url
):
    """A job's end wakes every worker's claim pass (NOTIFY) only when a job waits to be claimed: with
    nothing waiting, each pass was a round trip that found nothing (3 per job ended, on 3 workers)."""
    async with manager_env(tmp_path, ttapi=fake_ttapi, database_url=database_url) as (services, _, _):
        services.manager.concurrency["ttapi"] = 0  # its own passes claim nothing
        store: Any = services.manager.claim_store
        claims: Any = services.manager.claims
        heard: list[str] = []
        marked = asyncio.Event()

        def hear(*args: Any) -> None:
            heard.append(str(args[-1]))
            if args[-1] == "marker":
                marked.set()

        async def heard_until_marker() -> list[str]:
            """What was announced before the marker (NOTIFY is delivered in commit order), once a
            poke left to the end of its gap has gone."""
            await asyncio.sleep(POKE_GAP * 2)
            marked.clear()
            await store.notify("marker")
            await asyncio.wait_for(marked.wait(), 10)
            said = heard[: heard.index("marker")]
            heard.clear()
            return said

        listener = await asyncpg.connect(services.db.url)  # type: ignore[attr-defined]
        try:
            await listener.add_listener(store.channel, hear)
            first, second = await submit(services, 1), await submit(services, 2)
            assert len(await claims.claim(Limits({"ttapi": 2}, 2, ("cli",)))) == 2
            await heard_until_marker()  # the two accepted jobs' pokes

            # Both jobs end as a worker ends them (its end stored, then its claim released).
            await services.db.execute(
                "UPDATE jobs SET state = 'delivered' WHERE id IN (?, ?)", (first.id, second.id)
            )
            await store.release(first.id, worker_id(services), ended=True)  # nothing waits
            assert await heard_until_marker() == []

            third = await submit(services, 3)
            assert await heard_until_marker() == ["poke"]  # accepted
            await store.release(second.id, worker_id(services), ended=True)  # the third waits
            assert await heard_until_marker() == ["poke"]
            assert [j.id for j in await claims.claim(Limits({"ttapi": 2}, 2, ("cli",)))] == [third.id]
        finally:
            await listener.close()


async def test_a_callback_reaching_the_gateway_reaches_the_worker_that_drives_the_job(
    tmp_path, fake_ttapi, database_url
):
    fake_ttapi.duration = 0.5
    slow_polls = PollPolicy(min_interval=5.0, typical_override=60.0, jitter=0.0)  # only the callback is quick
    async with (
        manager_env(tmp_path, ttapi=fake_ttapi, database_url=database_url, drive=False) as (
            gateway,
            _,
            url,
        ),
        manager_env(
            tmp_path, ttapi=fake_ttapi, database_url=database_url, policy=slow_polls, webhook_public_url=url
        ) as (worker, sink, _),
    ):
        job = await submit(gateway, 1)
        done = await worker.manager.wait_for(job.id, 5)

    assert done.state is JobState.DELIVERED
    assert sink.delivered == {job.id: 1}
    assert gateway.manager.metrics.callbacks.labels("ttapi", "accepted")._value.get() == 1
    assert len(fake_ttapi.fetches()) == 0  # learned from the callback alone, never polled


async def test_a_cancel_at_the_gateway_reaches_the_worker_holding_the_queued_job(
    tmp_path, fake_ttapi, database_url
):
    """The worker claimed the job and waits for a request slot: a cancel elsewhere frees it at once."""
    fake_ttapi.duration = 0.3
    pair = two_workers(
        tmp_path, fake_ttapi, database_url, a={"drive": False}, b={"rate_limits": {"ttapi": 0.2}}
    )
    async with pair as ((gateway, _, _), (worker, sink, _)):
        await submit(gateway, 1)  # takes the budget's one token
        second = await submit(gateway, 2)  # claimed, then waits 5 s for the next

        async def waiting() -> bool:
            stored = await worker.jobs.get(second.id)
            return second.id in worker.manager.runs and stored is not None and stored.state is JobState.QUEUED

        await until(waiting)
        cancelled = await gateway.manager.cancel(second.id, user_id=2)

        async def dropped() -> bool:
            return second.id not in worker.manager.runs

        took = await until(dropped, timeout=2, step=0.002)
        ledger = await kinds(worker, second.id)
        await asyncio.sleep(0.2)

    assert cancelled is not None
    assert took < 0.5  # by NOTIFY, not at the end of its 5 s wait
    assert ledger == ["hold", "release"]
    assert len(fake_ttapi.submits()) == 1  # the first job's; the cancelled one was never sent
    assert second.id not in sink.delivered


# -- what operators see ---------------------------------------------------------------------------


def gauge(services: Services, name: str, provider: str = "ttapi") -> float:
    value = services.manager.metrics.registry.get_sample_value(name, {"provider": provider})
    return value if value is not None else float("nan")


async def test_every_process_reports_the_deployments_queue_and_slots_and_its_own_drives(
    tmp_path, fake_ttapi, database_url
):
    """A gateway and two workers: the queue and in-flight gauges are the store's, the same at each;
    `fluxbot_jobs_driven` is each process's own (the old gauges showed each one its own memory:
    0 queued everywhere, 0 in flight at the gateway)."""
    fake_ttapi.duration = 30.0  # the three slots stay taken for the whole test
    limits = {"provider_concurrency": "ttapi=3"}
    async with (
        manager_env(tmp_path, ttapi=fake_ttapi, database_url=database_url, drive=False, **limits) as (
            gateway,
            _,
            _,
        ),
        two_workers(tmp_path, fake_ttapi, database_url, a=limits, b=limits) as ((a, _, _), (b, _, _)),
    ):
        jobs = [await submit(gateway, user) for user in range(7)]
        await until(lambda: _true(len(fake_ttapi.submits()) == 3))
        for services in (gateway, a, b):
            await services.manager.refresh_metrics()
        seen = {
            name: [gauge(s, name) for s in (gateway, a, b)]
            for name in ("fluxbot_queue_length", "fluxbot_jobs_in_flight", "fluxbot_jobs_driven")
        }
        for job in jobs:
            await gateway.manager.cancel(job.id)

    assert seen["fluxbot_queue_length"] == [4, 4, 4]
    assert seen["fluxbot_jobs_in_flight"] == [3, 3, 3]
    driven = seen["fluxbot_jobs_driven"]
    assert driven[0] == 0
    assert driven[1] + driven[2] == 3


async def _true(value: bool) -> bool:
    return value


# -- what members see -----------------------------------------------------------------------------


def queued_positions(sink: RecordingSink, job: Job) -> list[int | None]:
    return [p.queue_position for job_id, p in sink.updates if job_id == job.id and p.state is JobState.QUEUED]


async def test_the_gateway_tells_members_their_jobs_move_up_as_workers_claim_them(
    tmp_path, fake_ttapi, database_url
):
    """The gateway accepted the jobs and a worker claims them: the gateway's sink hears each position
    (before, a gateway heard only the first: nothing told it the shared queue moved)."""
    fake_ttapi.duration = 0.4
    one_at_a_time = {"provider_concurrency": "ttapi=1"}
    async with (
        manager_env(tmp_path, ttapi=fake_ttapi, database_url=database_url, drive=False, **one_at_a_time) as (
            gateway,
            told,
            _,
        ),
        manager_env(tmp_path, ttapi=fake_ttapi, database_url=database_url, **one_at_a_time) as (worker, _, _),
    ):
        gateway.manager.shared.positions.interval = 0.05  # type: ignore[union-attr]
        jobs = [await submit(gateway, user) for user in range(4)]
        for job in jobs:
            await worker.manager.wait_for(job.id, 15)
        tracked = len(gateway.manager.shared.positions)  # type: ignore[union-attr]

    last = queued_positions(told, jobs[-1])
    assert last[0] in (3, 4)  # at its accept (the first job may be claimed already)
    assert last[-1] == 1
    assert last == sorted(set(last), reverse=True)  # each position once, only ever up
    assert len(last) >= 3
    assert tracked == 0  # every job left the queue: nothing kept for them


async def test_queue_positions_cost_one_look_at_a_few_jobs_per_tick_and_reach_every_job_in_turn(
    tmp_path, fake_ttapi, database_url
):
    from bot.jobs.positions import FRONT, ROTATION

    async with manager_env(tmp_path, ttapi=fake_ttapi, database_url=database_url, drive=False) as (
        gateway,
        told,
        _,
    ):
        positions: Any = gateway.manager.shared.positions  # type: ignore[union-attr]
        positions.interval = 3600.0  # ticks only when the test says
        jobs = [await submit(gateway, user) for user in range(40)]
        assert [j.queue_position for j in jobs] == list(range(1, 41))
        # Workers claimed the first five (one still queued, claimed; four running).
        await gateway.db.execute(
            "UPDATE jobs SET claimed_by = 'w', state = CASE WHEN seq = ? THEN 'queued' ELSE 'running' END"
            " WHERE id = ANY(?)",
            (jobs[0].seq, [j.id for j in jobs[:5]]),
        )
        told.updates.clear()
        first = await positions.tick()
        after_first = {job_id: p.queue_position for job_id, p in told.updates}
        ticks = 1
        while any(j.queue_position != n for n, j in enumerate(jobs[5:], 1)) and ticks < 20:
            await positions.tick()
            ticks += 1

    assert first <= FRONT + ROTATION
    assert len(after_first) == first
    assert after_first[jobs[5].id] == 1  # the front is told first
    assert len(positions) == 35  # the five claimed ones are no longer followed
    assert [j.queue_position for j in jobs[5:]] == list(range(1, 36))  # everyone, in a few turns
    assert ticks <= 35 // ROTATION + 2


async def test_a_restarted_gateway_follows_again_the_queued_jobs_it_may_still_tell(
    tmp_path, fake_ttapi, database_url
):
    """`SharedPositions.pick_up`: the queued, unclaimed jobs of its origins accepted within the
    window that it owns; not a claimed one, an older one, another origin's, nor one it does not own."""
    async with manager_env(tmp_path, ttapi=fake_ttapi, database_url=database_url, drive=False) as (
        before,
        _,
        _,
    ):
        jobs = [await submit(before, user) for user in range(5)]
        other = await submit(before, 9, origin=Origin.DISCORD)
        await before.db.execute("UPDATE jobs SET claimed_by = 'w' WHERE id = ?", (jobs[1].id,))
        await before.db.execute("UPDATE jobs SET created_at = created_at - 3600 WHERE id = ?", (jobs[2].id,))

    async with manager_env(tmp_path, ttapi=fake_ttapi, database_url=database_url, drive=False) as (
        again,
        told,
        _,
    ):
        positions: Any = again.manager.shared.positions  # type: ignore[union-attr]
        positions.interval = 3600.0  # ticks only when the test says
        found = await positions.pick_up([Origin.CLI.value], within=900, owns=lambda job: job.user_id != 4)
        told.updates.clear()
        await positions.tick()

    assert (found, len(positions)) == (2, 2)
    assert [(job_id, p.queue_position) for job_id, p in told.updates] == [(jobs[0].id, 1), (jobs[3].id, 3)]
    assert other.id not in {job_id for job_id, _ in told.updates}


# -- relayed callbacks do not stay ----------------------------------------------------------------


async def test_a_callback_relayed_as_its_job_ends_is_not_kept_for_good(tmp_path, fake_ttapi, database_url):
    """A callback relayed after its job ended is not kept; one whose keep crossed the job's end (each
    in its own transaction) goes at the hourly sweep; one for an unfinished job stays."""
    async with manager_env(tmp_path, ttapi=fake_ttapi, database_url=database_url) as (worker, _, _):
        store: Any = worker.manager.claim_store
        ended = await worker.manager.wait_for((await submit(worker, 1)).id, 10)
        worker.manager.concurrency["ttapi"] = 0  # the next one stays queued
        waiting = await submit(worker, 2)
        count = "SELECT COUNT(*) FROM job_callbacks WHERE job_id = ?"

        await store.relay_callback(ended.id, b'{"status": "SUCCESS"}')
        kept_after_end = (await rows(worker, count, ended.id))[0][0]
        # What a relay that crossed the end leaves (its check saw the job unfinished, the end's
        # delete did not see its row), and one for a job still waiting.
        await worker.db.execute(
            "INSERT INTO job_callbacks (job_id, body, received_at) VALUES (?, ?, ?), (?, ?, ?)",
            (ended.id, b"{}", time.time(), waiting.id, b"{}", time.time()),
        )
        await worker.retention.sweep()
        left = {
            r[0]: r[1]
            for r in await rows(worker, "SELECT job_id, COUNT(*) FROM job_callbacks GROUP BY job_id")
        }
        await worker.manager.cancel(waiting.id)

    assert ended.state is JobState.DELIVERED
    assert kept_after_end == 0
    assert left == {waiting.id: 1}


async def test_a_relayed_callback_is_kept_and_announced_by_one_statement_committed_before_it_returns(
    tmp_path, fake_ttapi, database_url, monkeypatch
):
    """A callback for a job another process drives costs the process that heard it one round trip,
    sent by its own task and committed when it returns (before the web server answers the provider):
    the body kept, and its worker told, only for a job still unfinished; a job caught mid-submit's
    kept untold. It was a unit of the group commit: BEGIN with the lock try, the insert, the NOTIFY
    and COMMIT, three or four round trips for the callback a batch mostly held alone."""
    async with manager_env(tmp_path, ttapi=fake_ttapi, database_url=database_url) as (services, _, _):
        services.manager.concurrency["ttapi"] = 0  # the jobs stay queued: unfinished, undriven
        store: Any = services.manager.claim_store
        first, second = await submit(services, 1), await submit(services, 2)
        ended = await submit(services, 3)
        await services.manager.cancel(ended.id)
        heard: list[str] = []
        listener = await asyncpg.connect(services.db.url)  # type: ignore[attr-defined]
        try:
            await listener.add_listener(store.channel, lambda *args: heard.append(str(args[-1])))
            sent = statements_of_this_task(monkeypatch)
            await store.relay_callback(first.id, b'{"status": "Ready"}')
            await store.relay_callback(second.id, b'{"status": "Pending"}', notify=False)
            await store.relay_callback(ended.id, b'{"status": "Ready"}')
            relays = list(sent)
            kept = await rows(services, "SELECT job_id, body FROM job_callbacks ORDER BY id")
            await store.notify("marker")
            await until(lambda: _true("marker" in heard))
        finally:
            await listener.close()

    assert len(relays) == 3  # one statement each, none left to another task's batch
    assert [(job_id, bytes(body)) for job_id, body in kept] == [
        (first.id, b'{"status": "Ready"}'),
        (second.id, b'{"status": "Pending"}'),
    ]
    assert [said for said in heard if said.startswith("callback:")] == [f"callback:{first.id}"]


# -- jobs nobody can take -------------------------------------------------------------------------


def own_watch(services: Services, *, grace: float) -> UnservedWatch:
    """The look for providers nobody drives, run when the test says: the scheduler's own (every
    30 s, the first at any moment of its first pass) is switched off."""
    services.manager.scheduler.unserved = None  # type: ignore[attr-defined]
    watch = UnservedWatch(services.manager.claim_store, grace=lambda: grace)  # type: ignore[arg-type]
    watch.bind(services.manager.ending.end)
    return watch


async def test_jobs_of_a_provider_no_live_worker_drives_fail_after_the_grace_with_a_line_for_the_operator(
    tmp_path, fake_ttapi, fake_bfl, database_url, caplog
):
    """The gateway has a BFL key, the one worker has not: BFL jobs are accepted, the worker says so in
    the log at once and fails them after `JOB_TIMEOUT_SECONDS` (before, they stayed queued, their
    holds held, for good); the TTAPI job is made. With no live worker at all, nothing is failed."""
    async with (
        manager_env(tmp_path, ttapi=fake_ttapi, bfl=fake_bfl, database_url=database_url, drive=False) as (
            gateway,
            _,
            _,
        ),
    ):
        async with manager_env(
            tmp_path, ttapi=fake_ttapi, database_url=database_url, job_timeout_seconds=0.5
        ) as (worker, told, _):
            watch = own_watch(worker, grace=0.5)
            made = await submit(gateway, 1)
            unserved = [await submit(gateway, user, provider="bfl") for user in (2, 3)]
            first = await watch.check(["cli"], force=True)
            warned = [r.getMessage() for r in caplog.records if "no live worker drives bfl" in r.getMessage()]
            await asyncio.sleep(0.6)
            failed = await watch.check(["cli"], force=True)
            ended = [await worker.manager.wait_for(j.id, 10) for j in [made, *unserved]]
            kinds_of = [await kinds(worker, j.id) for j in unserved]
        late = await submit(gateway, 4, provider="bfl")
        nobody = own_watch(gateway, grace=0.0)
        after_all_left = await nobody.check(["cli"], force=True)
        still = await gateway.jobs.get(late.id)
        await gateway.manager.cancel(late.id)

    assert first == 0
    assert len(warned) == 1
    assert "2 queued job(s) of bfl wait" in warned[0]
    assert failed == 2
    assert [j.state for j in ended] == [JobState.DELIVERED, JobState.FAILED, JobState.FAILED]
    assert {j.error_code for j in ended[1:]} == {"no_provider"}
    assert sorted(told.failed) == sorted(j.id for j in unserved)  # each member told, by the worker's sink
    assert kinds_of == [["hold", "release"]] * 2
    assert after_all_left == 0
    assert still is not None
    assert still.state is JobState.QUEUED  # no worker at all: the queue waits, as a stopped bot's does


async def test_doctor_names_the_providers_no_running_worker_drives(
    tmp_path, fake_ttapi, fake_bfl, database_url
):
    from bot.doctor import Report, check_workers

    async with manager_env(
        tmp_path, ttapi=fake_ttapi, bfl=fake_bfl, database_url=database_url, drive=False
    ) as (
        gateway,
        _,
        _,
    ):
        nobody = Report()
        await check_workers(gateway.settings, ["ttapi", "bfl"], nobody)
        async with manager_env(tmp_path, ttapi=fake_ttapi, database_url=database_url) as (worker, _, _):
            worker.manager.concurrency["ttapi"] = 0  # what it could take stays queued too
            job = await submit(gateway, 1, provider="bfl")
            report = Report()
            await check_workers(gateway.settings, ["ttapi", "bfl"], report)
            from_worker = Report()
            await check_workers(worker.settings, ["ttapi"], from_worker)
            await gateway.manager.cancel(job.id)

    assert nobody.problems == []  # no worker running: nothing to compare (the queue waits)
    assert report.problems == [
        "no running worker drives bfl, which this process has a key for: its jobs are accepted, then "
        "fail after JOB_TIMEOUT_SECONDS; set BFL_API_KEY on a worker"
    ]
    assert from_worker.problems == [
        "1 queued job(s) of bfl wait and no running worker drives it: they fail after "
        "JOB_TIMEOUT_SECONDS unless a worker with BFL_API_KEY starts"
    ]


async def test_a_delivered_jobs_end_is_one_statement_with_its_ids_and_its_release(
    tmp_path, fake_ttapi, database_url, monkeypatch
):
    """A delivered job's end was three lone round trips (the posted messages' ids, the move to
    `delivered`, the release). It is one statement with the same effects: the ids stored, the move a
    compare-and-set on the state, the claim cleared, the relayed callbacks dropped, no poke while
    nothing waits; the drive's release after it sends nothing. A job another writer moved first is
    not moved (`StaleJobState`) and keeps its claim for that release."""
    from bot.store.deliveries import Deliveries, Delivery
    from bot.store.jobs import StaleJobState, Transition

    async with manager_env(tmp_path, ttapi=fake_ttapi, database_url=database_url) as (services, _, _):
        services.manager.concurrency["ttapi"] = 0  # its own passes claim nothing
        claims: Any = services.manager.claims
        store: Any = services.manager.claim_store
        asked = Delivery("", 77, "the-token", time.time())
        first = await submit(services, 1, origin=Origin.DISCORD, channel_id=9, delivery=asked)
        second = await submit(services, 2)
        assert len(await claims.claim(Limits({"ttapi": 2}, 2, ("cli", "discord")))) == 2
        await rows(services, "UPDATE jobs SET state = 'delivering' WHERE id IN (?, ?)", first.id, second.id)
        await store.relay_callback(first.id, b"{}", notify=False)
        await asyncio.sleep(POKE_GAP * 2)  # the accepted jobs' pokes have gone
        heard: list[str] = []
        listener = await asyncpg.connect(services.db.url)  # type: ignore[attr-defined]
        try:
            await listener.add_listener(store.channel, lambda *args: heard.append(str(args[-1])))
            me = worker_id(services)
            # Claimed here and driven nowhere: the strays' check may have handed them back meanwhile.
            await rows(services, "UPDATE jobs SET claimed_by = ? WHERE id IN (?, ?)", me, first.id, second.id)
            first.state = JobState.DELIVERING
            sent = statements_of_this_task(monkeypatch)
            await services.manager.ending.delivered(
                first, {"result_message_id": 11, "response_message_id": 10}
            )
            assert len(sent) == 1, sent
            await claims.release(first)
            assert len(sent) == 1, sent  # released with its end
            assert first.state is JobState.DELIVERED

            second.state = JobState.DELIVERING
            await rows(  # another writer moved it (ended: no strays' check hands it back)
                services,
                "UPDATE jobs SET state = 'undeliverable', claimed_by = ? WHERE id = ?",
                me,
                second.id,
            )
            with pytest.raises(StaleJobState):
                await claims.end_delivered(Transition.of(second, JobState.DELIVERED, {}), {})
            await store.notify("marker")
            await asyncio.sleep(0.3)
        finally:
            await listener.close()
        stored = await Deliveries(services.db).get(first.id)
        states = await rows(
            services,
            "SELECT id, state, claimed_by FROM jobs WHERE id IN (?, ?) ORDER BY seq",
            first.id,
            second.id,
        )
        callbacks = await rows(services, "SELECT job_id FROM job_callbacks")

    assert stored is not None
    assert (stored.result_message_id, stored.response_message_id) == (11, 10)
    assert states == [(first.id, "delivered", None), (second.id, "undeliverable", me)]
    assert callbacks == []
    assert heard[: heard.index("marker")] == []  # nothing waits to be claimed: no poke
