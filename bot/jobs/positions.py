"""Queue positions on PostgreSQL: the members whose jobs this process accepted hear them move up.

On SQLite one process holds the queue in memory and its scheduler announces every position that
changed (bot/jobs/scheduler.py `mark_positions`). On PostgreSQL the queue is the jobs table: the
workers claim from it, and the process that accepted a job (a gateway, which drives nothing) does
not hear it move. So each process keeps the queued jobs it accepted (`track`; a restarted gateway
picks up again those accepted before, `pick_up`) and, every
`POSITION_INTERVAL` while it has any, looks at a few of them in the store and tells the members
whose position changed (`announce`, the hand-off's progress notice):

- jobs older than their provider's first waiting job left the queue (claimed or ended): dropped
  without a look each (`queue_heads`, one index probe per provider);
- then, in one query (`queue_positions`), each provider's `FRONT` oldest (nearest the provider:
  "position 2" → "position 1" matters most) and `ROTATION` more in turn from the rest, so that
  every reply moves eventually.

A tick costs two queries and at most `FRONT` per provider + `ROTATION` notices, whatever the
queue's length: the Discord sink could not show more anyway (bot/discord/delivery.py: `EDIT_RATE`
edits per second for every job's progress, about 17 per `POSITION_INTERVAL`). Once a job left the
queue, its worker tells its member the rest.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import logging
import time
from collections.abc import Awaitable, Callable, Iterable

from bot.jobs.model import Job, JobState
from bot.jobs.scheduler import POSITION_INTERVAL
from bot.store.claims import ClaimStore

log = logging.getLogger(__name__)

#: Jobs nearest the provider looked at in every tick, per provider.
FRONT = 8
#: Jobs behind them looked at in each tick, in turn.
ROTATION = 8

#: The hand-off's progress notice, `announce(job, position=…)` (bot/jobs/handoff.py `Handoff.notify`).
Announce = Callable[..., Awaitable[None]]


class SharedPositions:
    def __init__(self, store: ClaimStore, *, interval: float = POSITION_INTERVAL) -> None:
        self.store = store
        self.interval = interval
        #: By provider, in the order they were accepted: nearest the provider first.
        self._queues: dict[str, dict[str, Job]] = {}
        #: Every job's turn to be looked at, as (provider, id): a job that left is dropped when met.
        self._ring: collections.deque[tuple[str, str]] = collections.deque()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._announce: Announce | None = None

    def __len__(self) -> int:
        return sum(len(q) for q in self._queues.values())

    def bind(self, announce: Announce) -> None:
        """`announce(job, position=…)`: tell the job's member (the hand-off's progress notice)."""
        self._announce = announce

    def track(self, job: Job) -> None:
        """A job this process accepted, queued: its member hears it move up."""
        if job.state is JobState.QUEUED:
            self._queues.setdefault(job.provider, {})[job.id] = job
            self._ring.append((job.provider, job.id))
            self._wake.set()

    async def pick_up(
        self, origins: Iterable[str], *, within: float, owns: Callable[[Job], bool] = lambda _job: True
    ) -> int:
        """At a gateway's start: follow again the queued jobs of `origins` accepted in the last
        `within` seconds (before that, its member's reply can no longer be edited) that `owns` says
        are this process's (its shards' guilds). Returns how many; their members hear their place
        at the next tick."""
        found = [job for job in await self.store.queued_since(origins, time.time() - within) if owns(job)]
        for job in found:
            self.track(job)
        return len(found)

    def forget(self, job: Job) -> None:
        """It left the queue here (cancelled): nothing more to tell."""
        queue = self._queues.get(job.provider)
        if queue is not None:
            queue.pop(job.id, None)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="fluxbot-positions")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            if not len(self):
                self._wake.clear()
                await self._wake.wait()
            await asyncio.sleep(self.interval)
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the store is away: the next tick tries again
                log.warning("queue positions: the store did not answer (%s)", type(exc).__name__)

    def _drop_before(self, heads: dict[str, int | None]) -> None:
        """Jobs older than their provider's first waiting job left the queue (claimed or ended)."""
        for provider, head in heads.items():
            queue = self._queues.get(provider, {})
            while queue:
                job_id, job = next(iter(queue.items()))
                if head is not None and job.seq >= head:
                    break
                del queue[job_id]
            if not queue:
                self._queues.pop(provider, None)

    def _pick(self) -> list[Job]:
        """Each provider's front, then a few of the rest in turn (jobs gone are dropped as met)."""
        picked = {job.id: job for q in self._queues.values() for job in itertools.islice(q.values(), FRONT)}
        wanted = len(picked) + ROTATION
        for _ in range(len(self._ring)):
            if len(picked) >= wanted:
                break
            turn = self._ring.popleft()
            job = self._queues.get(turn[0], {}).get(turn[1])
            if job is None:
                continue  # left the queue since: its turn goes with it
            self._ring.append(turn)
            picked.setdefault(job.id, job)
        return list(picked.values())

    async def tick(self) -> int:
        """One look at the store: returns how many members were told a new position."""
        if not self._queues:
            return 0
        self._drop_before(await self.store.queue_heads(list(self._queues)))
        picked = self._pick()
        if not picked:
            return 0
        positions = await self.store.queue_positions([job.id for job in picked])
        told = 0
        for job in picked:
            queue = self._queues.get(job.provider, {})
            if job.id not in queue:
                continue  # cancelled here meanwhile
            position = positions.get(job.id)
            if position is None:
                del queue[job.id]  # claimed or ended: its worker speaks for it now
                continue
            if position != job.queue_position and self._announce is not None:
                await self._announce(job, position=position)
                job.queue_position = position
                told += 1
        return told
