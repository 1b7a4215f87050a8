"""Waiting on an event with a timeout, safely under cancellation."""

from __future__ import annotations

import asyncio
import math


async def wait_event(event: asyncio.Event, timeout: float, *, tick: float = 0.0) -> None:
    """Until `event` is set or `timeout` passes. (Not `wait_for`: on Python 3.11 it can swallow a
    cancellation that coincides with its own timeout, which left `stop()` waiting forever.)

    `tick`: the wait ends on the next multiple of `tick` of the event loop's clock at or after the
    timeout, so that the waits of many tasks ending within one tick end together, in one turn of the
    loop (`on_tick`).
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    if tick > 0:
        deadline = on_tick(deadline, tick)
    try:
        async with asyncio.timeout_at(deadline):
            await event.wait()
    except TimeoutError:
        pass


def on_tick(deadline: float, tick: float) -> float:
    """`deadline` moved up to the next multiple of `tick` (unchanged when it is one)."""
    return math.ceil(deadline / tick) * tick
