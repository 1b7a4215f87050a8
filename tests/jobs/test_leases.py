"""A worker's lease under starvation: renewed on its own task, kept when nobody reaped it, and a
job fenced off before its paid submit goes back to the queue instead of failing.

One benchmark run (pg_scale_out.py, 10,000 jobs, load 5-9) lost 419 jobs: a worker's renewal
waited behind its reap (the same loop; a reap waits for a pool connection and the claims' lock),
the lease ran out, the worker gave up every job, and jobs it had moved to `submitting` but not
sent were taken over and failed `submit_unknown` (nobody can know a submit that was not sent).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from bot.jobs.claims import ClaimLost
from bot.jobs.model import Job, JobState
from tests.helpers import ledger, manager_env, submit, until

LEASE = {"worker_lease_seconds": 1.5}


async def claimed_by(services: Any, job_id: str) -> str | None:
    row = await services.db.fetchone("SELECT claimed_by FROM jobs WHERE id = ?", (job_id,))
    return row["claimed_by"] if row is not None else None


async def in_state(services: Any, job: Job, state: JobState) -> bool:
    stored = await services.jobs.get(job.id)
    return stored is not None and stored.state is state


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # leases: PostgreSQL only
async def test_a_claim_pass_that_hangs_does_not_hold_up_the_lease(
    tmp_path, fake_ttapi, database_url, monkeypatch
):
    """Claim passes, and the reaps inside them (migration 0029), stuck (no pool connection free, the
    claims' lock held elsewhere) for three leases: the worker still renews its lease, stays the same
    worker and drives its job to the end. (Before: the renewal waited behind the reap, the lease ran
    out, and every job here was given up.)"""
    fake_ttapi.duration = 4.0
    async with manager_env(tmp_path, ttapi=fake_ttapi, database_url=database_url, **LEASE) as (
        services,
        sink,
        _,
    ):
        claims: Any = services.manager.claims
        stuck = asyncio.Event()

        async def hangs(*_args: Any) -> list[Job]:
            await stuck.wait()
            return []

        me = claims.worker_id
        job = await submit(services, 1)
        await until(lambda: in_state(services, job, JobState.RUNNING), timeout=15)
        monkeypatch.setattr(claims.store, "claim", hangs)  # the next pass (within 1 s) hangs
        renewed_before = claims._renewed
        await asyncio.sleep(3 * 1.5)  # three leases with every claim pass stuck
        valid, renewed_after, after = claims.valid, claims._renewed, claims.worker_id
        done = await services.manager.wait_for(job.id, 20)
        kinds = await ledger(services, job.id)

    assert renewed_after > renewed_before
    assert valid
    assert after == me
    assert done.state is JobState.DELIVERED
    assert kinds == ["hold", "charge"]
    assert sink.delivered == {job.id: 1}
    assert len(fake_ttapi.submits()) == 1


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # leases: PostgreSQL only
async def test_a_lease_that_ran_out_before_anyone_reaped_it_is_renewed_and_its_jobs_kept(
    tmp_path, fake_ttapi, database_url
):
    """The process was starved past its lease (its own clock and the store's say it ran out), but
    no other worker reaped it: the late renewal succeeds, the worker keeps its id and its job, and
    the job is submitted, charged and delivered once. (Before: the worker gave up every job and
    registered again as a new worker; its jobs were taken over.)"""
    fake_ttapi.duration = 3.0
    async with manager_env(tmp_path, ttapi=fake_ttapi, database_url=database_url, **LEASE) as (
        services,
        sink,
        _,
    ):
        claims: Any = services.manager.claims
        me = claims.worker_id
        job = await submit(services, 1)
        await until(lambda: in_state(services, job, JobState.RUNNING), timeout=15)
        # Starved: the lease ran out in the store and by this process's clock, a renewal is due.
        await services.db.execute("UPDATE workers SET lease_until = lease_until - 60 WHERE id = ?", (me,))
        claims._valid_until = claims._renewed = time.monotonic() - 60
        await until(lambda: claims.valid, timeout=15)
        still_mine, after = await claimed_by(services, job.id), claims.worker_id
        done = await services.manager.wait_for(job.id, 20)
        kinds = await ledger(services, job.id)

    assert after == me
    assert still_mine == me
    assert done.state is JobState.DELIVERED
    assert kinds == ["hold", "charge"]
    assert sink.delivered == {job.id: 1}
    assert len(fake_ttapi.submits()) == 1


async def test_a_job_fenced_off_right_before_its_submit_goes_back_to_the_queue_and_is_sent_once(
    tmp_path, fake_ttapi, database_url
):
    """The lease ran out between the `submitting` commit and the paid submit (the fence's second
    look): nothing was sent, so the job goes back to the queue and the next claim submits it, once.
    (Before: it stayed `submitting`; whoever took it next could not know and failed it
    `submit_unknown`, or on SQLite nobody took it until a restart.)"""
    async with manager_env(tmp_path, ttapi=fake_ttapi, database_url=database_url) as (services, sink, _):
        claims: Any = services.manager.claims
        fence = claims.fence
        looks: list[str] = []

        def fenced_once(job: Job) -> None:
            looks.append(job.id)
            if len(looks) == 2:  # the look right before the submit
                raise ClaimLost(f"job {job.id}: this worker's lease ran out")
            fence(job)

        claims.fence = fenced_once
        job = await submit(services, 1)
        done = await services.manager.wait_for(job.id, 20)
        kinds = await ledger(services, job.id)

    assert len(looks) >= 4  # fenced off once, then both looks again
    assert done.state is JobState.DELIVERED, (done.state, done.error_code)
    assert done.attempts == 1  # the request that was never sent is not counted as an attempt
    assert kinds == ["hold", "charge"]
    assert sink.delivered == {job.id: 1}
    assert len(fake_ttapi.submits()) == 1
