"""Tasks a clean stop lets finish, up to a grace period, instead of cancelling them at once: a
provider submit under way (the job manager), the interactions admitted before the signal
(bot/discord/shutdown.py).

Cancelled mid-request, a submit's outcome is unknown (the provider may have the job and bill
it), so the next start could not resume the job: it would fail it as `submit_unknown`. Shielded, the
request finishes during the stop and its answer is recorded (`running`), and the next start polls
the job. A kill (or a stop that runs out of grace) still cancels it: that case stays as before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class InFlight:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Future[Any]] = set()

    def __len__(self) -> int:
        return len(self._tasks)

    def track(self, task: asyncio.Future[Any]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def shielded(self, step: Coroutine[Any, Any, T]) -> T:
        """Run `step` so that cancelling the caller leaves it running until `settle`."""
        task = asyncio.ensure_future(step)
        self.track(task)
        return await asyncio.shield(task)

    async def settle(self, grace: float) -> int:
        """Wait up to `grace` seconds for the shielded steps, cancel the rest; returns how many."""
        if self._tasks and grace > 0:
            await asyncio.wait(set(self._tasks), timeout=grace)
        late = set(self._tasks)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)
        return len(late)
