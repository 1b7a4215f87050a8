"""Waiting on an event with a timeout, safely under cancellation."""

from __future__ import annotations

import asyncio


async def wait_event(event: asyncio.Event, timeout: float) -> None:
    """Until `event` is set or `timeout` passes. (Not `wait_for`: on Python 3.11 it can swallow a
    cancellation that coincides with its own timeout, which left `stop()` waiting forever.)"""
    try:
        async with asyncio.timeout(timeout):
            await event.wait()
    except TimeoutError:
        pass
