"""The fair queue on its own: pure bookkeeping, so plain jobs and a given clock suffice."""

from __future__ import annotations

import itertools
from decimal import Decimal

from bot.jobs.model import Job, JobState, Origin
from bot.jobs.queue import DEFAULT_CONCURRENCY, FairQueue

_seqs = itertools.count(1)


def job(user_id: int, provider: str = "ttapi", *, seq: int | None = None) -> Job:
    number = next(_seqs) if seq is None else seq
    return Job(
        id=f"job{number}",
        seq=number,
        state=JobState.QUEUED,
        origin=Origin.CLI,
        provider=provider,
        model="flux-dev",
        prompt="a fox",
        params={},
        user_id=user_id,
        guild_id=None,
        channel_id=None,
        estimate=Decimal("1"),
        created_at=0.0,
        updated_at=0.0,
    )


def ids(jobs: list[Job]) -> list[str]:
    return [j.id for j in jobs]


def test_first_come_first_served_across_members() -> None:
    queue = FairQueue(max_active_per_user=5, concurrency={"ttapi": 3})
    a1, b1, a2, c1 = job(1), job(2), job(1), job(3)
    for j in (c1, a2, b1, a1):  # arrival is `seq`, not the order of enqueueing
        queue.enqueue(j)
    assert queue.take(now=0.0) == {"ttapi": [a1, b1, a2]}
    assert ids(queue.waiting("ttapi")) == [c1.id]
    assert c1.id in queue
    assert a1.id not in queue


def test_member_at_active_limit_does_not_block_those_behind() -> None:
    queue = FairQueue(max_active_per_user=1, concurrency={"ttapi": 10})
    a1, a2, a3, b1 = job(1), job(1), job(1), job(2)
    for j in (a1, a2, a3, b1):
        queue.enqueue(j)
    assert ids(queue.take(now=0.0)["ttapi"]) == [a1.id, b1.id]
    assert queue.active(1) == 1
    assert queue.active(2) == 1
    assert ids(queue.waiting("ttapi")) == [a2.id, a3.id]
    assert queue.take(now=0.0) == {}  # alice is still at her limit


def test_per_provider_concurrency() -> None:
    queue = FairQueue(max_active_per_user=10, concurrency={"ttapi": 2, "bfl": 1})
    tt = [job(n, "ttapi") for n in range(4)]
    bf = [job(n, "bfl") for n in range(3)]
    other = [job(n, "mock") for n in range(DEFAULT_CONCURRENCY + 2)]
    for j in (*tt, *bf, *other):
        queue.enqueue(j)
    taken = queue.take(now=0.0)
    assert ids(taken["ttapi"]) == ids(tt[:2])
    assert ids(taken["bfl"]) == ids(bf[:1])
    assert len(taken["mock"]) == DEFAULT_CONCURRENCY  # an unnamed provider gets the default
    assert (queue.in_flight("ttapi"), queue.in_flight("bfl")) == (2, 1)
    assert queue.take(now=0.0) == {}
    queue.concurrency["ttapi"] = 3  # the limits are read at each pass
    assert ids(queue.take(now=0.0)["ttapi"]) == [tt[2].id]


def test_positions_and_lengths() -> None:
    queue = FairQueue(concurrency={"ttapi": 0})
    a, b, c = job(1), job(2), job(1)
    d = job(1, "bfl")
    for j in (a, b, c, d):
        queue.enqueue(j)
    assert not queue.enqueue(b)  # already queued: nothing changes
    assert [queue.position_of(j.id) for j in (a, b, c, d)] == [1, 2, 3, 1]
    assert (queue.length(), queue.length("ttapi"), queue.length("bfl"), queue.length("x")) == (4, 3, 1, 0)
    assert queue.dequeue(b)
    assert not queue.dequeue(b)
    assert queue.position_of(b.id) is None
    assert queue.position_of(c.id) == 2
    mine = queue.queued_of(1)
    assert sorted((j.id, j.queue_position) for j in mine) == [(a.id, 1), (c.id, 2), (d.id, 1)]
    assert a.queue_position is None  # copies: the queued jobs themselves are untouched
    assert len(queue) == 3
    assert sorted(queue.providers()) == ["bfl", "ttapi"]


def test_not_before_holds_a_job_back_without_blocking_others() -> None:
    queue = FairQueue(max_active_per_user=5, concurrency={"ttapi": 1})
    first, second = job(1), job(2)
    queue.enqueue(first)
    queue.enqueue(second)
    queue.hold_back(first.id, until=10.0)
    assert ids(queue.take(now=5.0)["ttapi"]) == [second.id]
    queue.release_slot(second)
    assert queue.take(now=9.9) == {}  # still held back; the slot stays free
    assert ids(queue.take(now=10.0)["ttapi"]) == [first.id]
    third = job(1)
    queue.enqueue(third)
    queue.hold_back(third.id, until=100.0)
    queue.clear_hold(third.id)
    queue.release_slot(first)
    assert ids(queue.take(now=0.0)["ttapi"]) == [third.id]


def test_release_frees_the_member_and_the_provider_slot() -> None:
    queue = FairQueue(max_active_per_user=1, concurrency={"ttapi": 1})
    a1, a2, b1 = job(1), job(1), job(2)
    for j in (a1, a2, b1):
        queue.enqueue(j)
    assert queue.take(now=0.0) == {"ttapi": [a1]}
    assert queue.take(now=0.0) == {}  # the provider is full
    assert queue.release_slot(a1)
    assert not queue.release_slot(a1)
    assert (queue.in_flight("ttapi"), queue.active(1)) == (0, 0)
    assert queue.take(now=0.0) == {"ttapi": [a2]}  # alice's next one, in its turn
    queue.release_slot(a2)
    assert queue.take(now=0.0) == {"ttapi": [b1]}


def test_take_slot_outside_the_queue_counts_once() -> None:
    """A job resumed after a restart takes its slots without having been queued."""
    queue = FairQueue(max_active_per_user=1, concurrency={"ttapi": 2})
    resumed, waiting = job(1), job(1)
    assert queue.take_slot(resumed)
    assert not queue.take_slot(resumed)
    assert (queue.in_flight("ttapi"), queue.active(1)) == (1, 1)
    queue.enqueue(waiting)
    assert queue.take(now=0.0) == {}  # the member's one active slot is the resumed job's
    queue.release_slot(resumed)
    assert queue.take(now=0.0) == {"ttapi": [waiting]}
