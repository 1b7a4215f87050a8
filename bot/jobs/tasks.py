"""A keyed task registry: background tasks by id, cancelled by id, failures logged once.

After python-discord bot-core's `Scheduler` (pydis_core/utils/scheduling.py). It replaces the
hand-kept dicts and sets of tasks the job core used to keep: one job's drive, one job's resume
after a store error.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

log = logging.getLogger(__name__)


class TaskRegistry:
    """At most one running task per key; a finished task leaves the registry by itself."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._tasks: dict[str, asyncio.Task[Any]] = {}

    def __contains__(self, key: object) -> bool:
        """Is a task for `key` still running? (A finished one leaves at its done-callback.)"""
        task = self._tasks.get(key) if isinstance(key, str) else None
        return task is not None and not task.done()

    def __len__(self) -> int:
        return len(self._tasks)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._tasks))

    def schedule(
        self,
        key: str,
        coroutine: Coroutine[Any, Any, Any],
        on_done: Callable[[], None] | None = None,
    ) -> asyncio.Task[Any]:
        """Run `coroutine` as the task of `key`; `on_done` runs after it left the registry."""
        if key in self:
            coroutine.close()
            raise ValueError(f"{self.name}: a task for {key} is already running")
        task = asyncio.create_task(coroutine, name=f"fluxbot-{self.name}-{key}")
        self._tasks[key] = task
        task.add_done_callback(lambda done: self._finished(key, done, on_done))
        return task

    def _finished(self, key: str, task: asyncio.Task[Any], on_done: Callable[[], None] | None) -> None:
        if self._tasks.get(key) is task:
            del self._tasks[key]
        if not task.cancelled() and task.exception() is not None:
            log.error("%s task %s failed", self.name, key, exc_info=task.exception())
        if on_done is not None:
            on_done()

    def cancel(self, key: str) -> None:
        task = self._tasks.get(key)
        if task is not None:
            task.cancel()

    async def cancel_all(self) -> None:
        """Cancel every task and wait until each has wound down."""
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
