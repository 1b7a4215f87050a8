"""This process as one worker among several on PostgreSQL: its lease, its claims, its wake-ups.

`SharedClaims` is the `Claims` (bot/jobs/claims.py) of a process on PostgreSQL. At `start` it
registers a worker (bot/store/claims.py: a row with a lease, and a connection of its own that holds
the worker's advisory lock and LISTENs). Then a task of its own, so that nothing holds it up:
the lease (`_keep_lease`): every third of the lease, renew it on the worker's own connection.
`fence` lets this process act for its jobs only while the lease it last renewed still runs by
its own clock, counted from before the renewal was sent, so it stops acting before the others
may take over. A lease that ran out here (the process was starved) is renewed all the same if
no other worker reaped it meanwhile: its row still there, its jobs are still its own (a reap and
a renewal of one row cannot both succeed); only a reaped worker has lost its claims.

The other workers that died (their connection closed: at once; silent: once their lease ran out)
are reaped by the claim pass itself (`claim`: the function `fluxbot_claim`, migration 0029), which
every worker makes at least every `PASS_INTERVAL` (1 s): their rows deleted, their jobs unclaimed
and taken over in the same statement. It was a task of its own, a round trip every 0.5 s.

A reaped worker, or a worker connection that closed, means the jobs may be someone else's now:
`lost` (the manager cancels every drive here), then a new worker registers. What comes by NOTIFY
goes to the hook the manager bound (`on_notify`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

from bot.jobs.claims import ClaimLost, Claims
from bot.jobs.model import Job
from bot.store import errors as store_errors
from bot.store.claims import ClaimStore, LeaseLost, Limits, WorkerSession
from bot.store.jobs import Transition

log = logging.getLogger(__name__)

#: How often the lease task looks whether a renewal is due (seconds): a renewal goes out at most
#: this late after a third of the lease.
RENEW_CHECK = 0.25
#: Waits between tries to register again after the worker's connection was lost (seconds).
REGISTER_RETRY = 1.0
#: Pokes (a job queued here) closer together than this go as one NOTIFY at the end of the gap: a
#: worker answers a stream of pokes with one claim pass per `PASS_GAP` (bot/jobs/shared_scheduler.py,
#: the same 50 ms), which claims every job queued before it, so the pokes in between only cost this
#: process a round trip each (a gateway at 100 commands/s: one per command).
POKE_GAP = 0.05


class SharedClaims(Claims):
    shared = True

    def __init__(self, store: ClaimStore, *, lease: float, providers: Callable[[], list[str]] = list) -> None:
        self.store = store
        self.lease = lease
        self._providers = providers  # the providers this worker drives, named in its row
        self.session: WorkerSession | None = None
        self._valid_until = 0.0  # monotonic: this process may act for its jobs until then
        self._renewed = 0.0
        self._beat: asyncio.Task[None] | None = None  # the lease
        self._stopping = False
        self._lost_pending = False
        self.on_notify: Callable[[str], None] = _ignore
        self.on_lost: Callable[[], Awaitable[None]] = _nothing
        self._poked = float("-inf")  # monotonic: when the last poke was sent
        self._next_poke: asyncio.Task[None] | None = None  # the poke at the end of the gap, if any
        self._ended: set[str] = set()  # delivered and released in one statement, until their drive ends

    @property
    def worker_id(self) -> str | None:
        return self.session.worker_id if self.session is not None else None

    @property
    def holder(self) -> str | None:
        # No worker (lost, registering again): an id no job is claimed by.
        return self.session.worker_id if self.session is not None else ""

    def bind(self, *, on_notify: Callable[[str], None], on_lost: Callable[[], Awaitable[None]]) -> None:
        """The hooks upward: what to do with a notification, and when the claims are gone."""
        self.on_notify, self.on_lost = on_notify, on_lost

    # -- lifetime ---------------------------------------------------------------------------------

    async def start(self) -> None:
        self._stopping = False
        await self._register()
        self._beat = asyncio.create_task(self._keep_lease(), name="fluxbot-worker-lease")

    async def stop(self, *, release: bool = True) -> None:
        self._stopping = True
        if self._beat is not None:
            self._beat.cancel()
            await asyncio.gather(self._beat, return_exceptions=True)
        self._beat = None
        if self._next_poke is not None:  # the jobs of its callers are stored: let it go out
            await asyncio.shield(self._next_poke)
        session, self.session = self.session, None
        self._valid_until = 0.0
        if session is None:
            return
        if not release:
            session.terminate()  # as a process that dies: the others take over at their next reap
            return
        try:
            await session.leave(self.store.channel)
        except Exception as exc:
            log.warning("worker %s: could not hand its jobs back (%s)", session.worker_id, exc)
            session.terminate()

    async def _register(self) -> None:
        sent = time.monotonic()
        self.session = await self.store.register(
            self.lease, self._notified, self._connection_lost, self._providers()
        )
        self._renewed = sent
        self._valid_until = sent + self.lease
        log.info("worker %s: registered (lease %.0fs)", self.session.worker_id, self.lease)

    # -- the lease --------------------------------------------------------------------------------

    @property
    def valid(self) -> bool:
        return self.session is not None and self.session.open and time.monotonic() < self._valid_until

    def fence(self, job: Job) -> None:
        if not self.valid:
            raise ClaimLost(f"job {job.id}: this worker's lease ran out")

    async def _keep_lease(self) -> None:
        while True:
            try:
                if self._lost_pending or self.session is None or not self.session.open:
                    await self._lost()
                elif time.monotonic() - self._renewed >= self.lease / 3:
                    if time.monotonic() >= self._valid_until:
                        log.warning("worker %s: its lease ran out before it was renewed", self.worker_id)
                    async with asyncio.timeout(self.lease / 3):  # a renewal that hangs is a missed one
                        await self._renew()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the store is away: the lease runs out by itself meanwhile
                log.warning("worker %s: the store did not answer (%s)", self.worker_id, type(exc).__name__)
            await asyncio.sleep(RENEW_CHECK)

    async def _renew(self) -> None:
        assert self.session is not None
        sent = time.monotonic()
        if await self.session.renew():
            self._renewed = sent
            self._valid_until = sent + self.lease
        else:
            log.warning("worker %s: reaped by another worker before it renewed its lease", self.worker_id)
            await self._lost()

    def _connection_lost(self) -> None:
        if not self._stopping:
            self._valid_until = 0.0  # the lock is gone with the connection: act for nothing more
            self._lost_pending = True

    async def _lost(self) -> None:
        """The jobs may be someone else's now: stop driving them, and start again as a new worker."""
        self._valid_until = 0.0
        self._lost_pending = False
        session, self.session = self.session, None
        if session is not None:
            log.warning("worker %s: lost its claims; whoever claims next takes its jobs", session.worker_id)
            with contextlib.suppress(Exception):
                session.terminate()
        await self.on_lost()
        while not self._stopping:
            try:
                await self._register()
                return
            except Exception as exc:
                log.warning("worker: cannot register again yet (%s)", type(exc).__name__)
                await asyncio.sleep(REGISTER_RETRY)

    # -- claims -----------------------------------------------------------------------------------

    async def claim(self, limits: Limits) -> list[Job]:
        """Jobs this worker may start now (a dead worker's first, then queued ones the limits allow);
        the dead workers reaped first (bot/store/claims.py)."""
        session = self.session
        if session is None or not self.valid:
            return []
        try:
            return await self.store.claim(session.worker_id, limits)
        except LeaseLost:
            # Its lease ran out in the store (or it was reaped): nothing new meanwhile. Whether its
            # claims are lost is the renewal's to say (`_renew`): not while nobody reaped it.
            self._valid_until = 0.0
            return []

    async def strays(self) -> list[str]:
        """Unfinished jobs still claimed by this worker (a release the store refused)."""
        session = self.session
        return await self.store.strays(session.worker_id) if session is not None else []

    async def end_delivered(self, move: Transition, ids: dict[str, int]) -> bool:
        """The posted messages' ids, the move to `delivered` and the release in one statement
        (`ClaimStore.end_delivered`): one round trip where there were three. The drive's release
        that follows has nothing left to do."""
        session = self.session
        await self.store.end_delivered(move, session.worker_id if session is not None else None, ids)
        self._ended.add(move.job.id)
        return True

    async def release(self, job: Job) -> None:
        if job.id in self._ended:
            self._ended.discard(job.id)  # released with its end (`end_delivered`)
            return
        session = self.session
        if session is None:
            return
        try:
            await self.store.release(job.id, session.worker_id, ended=job.state.terminal)
        except store_errors.STORE_REFUSED as exc:
            # Still ours in the store: this worker's next look for strays takes it up again.
            log.info("job %s: releasing its claim was refused (%s)", job.id, type(exc).__name__)

    async def give_back(self, job_id: str) -> None:
        """A job claimed here that no task drives: free it for the next claim (ours or another's)."""
        if self.session is not None:
            await self.store.release(job_id, self.session.worker_id, ended=False)

    async def announce(self, event: str = "poke") -> None:
        """NOTIFY every process. A poke within `POKE_GAP` of the last one is left to the poke that
        ends the gap, sent (in the background) after every caller that joined it: it covers their
        jobs, stored before they called (a poke already on its way may not, and is not joined).
        Should that one fail, the workers' fallback pass claims the jobs within a second."""
        if event != "poke":
            await self.store.notify(event)
            return
        if self._next_poke is not None:
            return
        wait = self._poked + POKE_GAP - time.monotonic()
        if wait <= 0:
            self._poked = time.monotonic()
            await self.store.notify(event)
            return
        self._next_poke = asyncio.create_task(self._poke_after(wait), name="fluxbot-poke")

    async def _poke_after(self, wait: float) -> None:
        await asyncio.sleep(wait)
        self._next_poke = None  # from here on, a caller's job may be stored after this poke is sent
        self._poked = time.monotonic()
        try:
            await self.store.notify("poke")
        except Exception as exc:
            log.warning("worker %s: a poke was not sent (%s)", self.worker_id, type(exc).__name__)

    def _notified(self, payload: str) -> None:
        try:
            self.on_notify(payload)
        except Exception:
            log.exception("worker: handling the notification %r failed", payload)


def _ignore(_payload: str) -> None:
    return None


async def _nothing() -> None:
    return None
