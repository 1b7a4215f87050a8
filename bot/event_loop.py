"""Which event loop `python -m bot run` runs on (`EVENT_LOOP`).

    auto     uvloop on PostgreSQL, asyncio's own loop on SQLite (the default)
    uvloop   uvloop whatever the database
    asyncio  asyncio's own loop whatever the database

uvloop (libuv under asyncio's API, by asyncpg's authors) costs less CPU per read, write and timer
than asyncio's selector loop, which is where a PostgreSQL deployment's CPU per job goes, spread
thin (docs/PERFORMANCE.md, "uvloop"). The single SQLite process does not gain from it what it pays
in memory before its first job, so `auto` keeps asyncio there. Where uvloop is not installed
(Windows, or a build without it) the process runs on asyncio after one log line: never a traceback.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any, Literal, TypeVar

log = logging.getLogger("bot")

EventLoop = Literal["auto", "uvloop", "asyncio"]
LoopFactory = Callable[[], asyncio.AbstractEventLoop]
T = TypeVar("T")


def loop_factory(choice: EventLoop, postgresql: bool) -> tuple[str, LoopFactory | None]:
    """The loop's name and its factory (None: asyncio's default) for `EVENT_LOOP=choice`."""
    if choice == "asyncio" or (choice == "auto" and not postgresql):
        return "asyncio", None
    try:
        import uvloop
    except ImportError:
        log.warning(
            "EVENT_LOOP=%s: uvloop is not installed, so this process runs on asyncio's event loop", choice
        )
        return "asyncio", None
    return "uvloop", uvloop.new_event_loop


def run(main: Coroutine[Any, Any, T], factory: LoopFactory | None) -> T:
    """`asyncio.run(main)` on the loop `factory` makes (asyncio's when None)."""
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(main)
