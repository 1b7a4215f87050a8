"""Waits that end on a shared tick (bot/jobs/waiting.py): the polls due within one tick go out in
one turn of the event loop."""

from __future__ import annotations

import asyncio

import pytest

from bot.jobs.waiting import on_tick, wait_event

TICK = 0.1
#: Timers may fire this early on the event loop (uvloop's timers have 1 ms steps).
EARLY = 0.002


def test_a_deadline_moves_up_to_the_next_tick_and_stays_on_one():
    assert on_tick(12.31, 0.1) == pytest.approx(12.4)
    assert on_tick(12.399, 0.1) == pytest.approx(12.4)
    assert on_tick(12.4, 0.1) == pytest.approx(12.4)
    assert on_tick(3.0, 0.25) == 3.0


async def test_waits_ending_within_one_tick_end_together_and_none_before_its_time():
    loop = asyncio.get_running_loop()
    # Ten waits whose own ends are spread over 81 ms, started 5 ms after a tick of the loop's clock.
    await asyncio.sleep(on_tick(loop.time(), TICK) - loop.time() + 0.005)
    started = loop.time()
    timeouts = [1.0 + i * 0.009 for i in range(10)]
    ended: list[float] = []

    async def one(timeout: float) -> None:
        await wait_event(asyncio.Event(), timeout, tick=TICK)
        ended.append(loop.time())

    await asyncio.gather(*(one(t) for t in timeouts))
    due = sorted(on_tick(started + t, TICK) for t in timeouts)
    # None ends before its own tick; all end on one or two ticks (untied, they spread over 81 ms).
    assert all(end >= tick - EARLY for end, tick in zip(sorted(ended), due, strict=True))
    assert len(set(due)) <= 2
    assert len({round(on_tick(end - EARLY, TICK) / TICK) for end in ended}) <= 2


async def test_without_a_tick_a_wait_ends_at_its_own_time_and_an_event_ends_it_at_once():
    loop = asyncio.get_running_loop()
    started = loop.time()
    await wait_event(asyncio.Event(), 0.03)
    assert loop.time() - started >= 0.03 - EARLY

    event = asyncio.Event()
    loop.call_later(0.02, event.set)
    started = loop.time()
    await wait_event(event, 5.0, tick=TICK)
    assert loop.time() - started < 1.0
