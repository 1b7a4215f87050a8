"""Claims, leases and the limits every process shares — on PostgreSQL, where several workers drive jobs.

On SQLite one process drives every job and nothing here is used (bot/jobs/claims.py `LocalClaims`).

**Who drives a job.** A job is driven by the worker named in `jobs.claimed_by`. A worker is alive
while both hold: its row in `workers` has a lease in the future (renewed every third of
`WORKER_LEASE_SECONDS`), and its own connection (`WorkerSession`) holds the session-level advisory
lock `workers.lock_key`. The lock goes the moment that connection closes — a process killed, its
machine's network gone with a reset — so the other workers see a dead worker at their next claim
pass (at least every `PASS_INTERVAL`, 1 s), not a lease later; a worker that is alive but silent
(frozen, or cut off without its connections closing) is found when its lease runs out. The claim
pass reaps first (migration 0029): it deletes the dead worker's row and clears `claimed_by` on its
jobs, then takes them over, in whatever state they are, and the worker drives them from there as a
restart does. One lock per worker, not per job:
10,000 jobs in flight would not fit PostgreSQL's shared lock table.

**What may start.** A claim (`claim`) runs under one transaction-level advisory lock per schema
(claims and reaps are short and never wait on each other's rows) in READ COMMITTED, so it counts
what the others committed before it: the providers' and members' active jobs (`submitting`,
`running`, and `queued` ones already claimed), the providers paused by a 429, then takes queued
jobs in arrival order per provider with `FOR UPDATE SKIP LOCKED`, skipping members at their cap.
All of it is one statement, the function `fluxbot_claim` (migration 0027): one round trip a pass.

**Requests.** Each provider's request budget is one row (`provider_pacing`): a token bucket kept
as its theoretical arrival time (GCRA) and a pause, in the database's clock. A process books the
tokens its jobs wait for in one statement (`reserve`), with a short slice ahead for its next
requests (bot/jobs/shared_pacing.py).

**Wake-ups.** Everything another process must hear goes by NOTIFY on the schema's channel
(`channel_of`): `poke` (a job queued, a slot freed, a worker reaped), `callback:<job>` (a provider
called a process that does not drive the job: its body waits in `job_callbacks`), `cancel:<job>`,
`pause:<provider>:<seconds>`.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import asyncpg

from bot.jobs.model import UNFINISHED_STATES, Job, JobState
from bot.store.deliveries import MESSAGE_COLUMNS, Delivery, delivery_columns_as, delivery_from_row
from bot.store.jobs import Transition, job_from_row
from bot.store.postgres import PostgresDatabase, pg
from bot.store.statements import Query, Unit, one_statement

log = logging.getLogger(__name__)

#: The database's clock, in epoch seconds: leases and pauses are compared with it, never with a
#: process's own (machines' clocks differ).
NOW = "CAST(extract(epoch FROM clock_timestamp()) AS double precision)"

#: Jobs past the queue: a takeover claims them whatever the limits (their slots are counted already).
STARTED = ("submitting", "running", "fetching", "delivering")
_STARTED_IN = "('submitting', 'running', 'fetching', 'delivering')"
_UNFINISHED = tuple(s.value for s in UNFINISHED_STATES)
_UNFINISHED_IN = "(" + ", ".join(f"'{s}'" for s in sorted(_UNFINISHED)) + ")"

#: Jobs a takeover claims in one transaction; the rest at the next pass, at once.
TAKEOVER_BATCH = 500
#: Queued jobs read per free provider slot (members at their cap are skipped in SQL, but one member
#: may have several queued).
CANDIDATES_PER_SLOT = 8


def channel_of(schema: str) -> str:
    """The NOTIFY channel of one store (a schema): processes of other stores on the server never hear it."""
    return f"fluxbot:{schema}"


class LeaseLost(Exception):
    """This worker's lease ran out, or it was reaped: it must stop driving and register again."""


@dataclass(frozen=True, slots=True)
class Limits:
    """What a claim may start: the providers this worker can drive and each one's concurrency,
    a member's active cap, and the origins whose jobs this process delivers."""

    concurrency: dict[str, int]
    max_active_per_user: int
    origins: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Booking:
    """Tokens booked for a provider: the first is free `ahead` seconds from now, the next ones every
    `interval` after it; the provider is paused for `paused` more seconds; its 429 streak."""

    ahead: float
    paused: float
    strikes: int


class WorkerSession:
    """A worker's own connection: it holds the worker's advisory lock (its liveness), renews its
    lease and listens for the store's notifications. Closing it is the worker's death to the others."""

    def __init__(self, conn: asyncpg.Connection, worker_id: str, lease: float) -> None:
        self.conn = conn
        self.worker_id = worker_id
        self.lease = lease

    @property
    def open(self) -> bool:
        return not self.conn.is_closed()

    async def renew(self) -> bool:
        """Push the lease on; False when another worker reaped this one (its jobs are theirs now)."""
        status = await self.conn.execute(
            pg(_RENEW),
            self.lease,
            self.worker_id,
        )
        return status.endswith(" 1")

    async def leave(self, channel: str) -> None:
        """A clean stop: the worker's jobs are free for the others at once."""
        async with self.conn.transaction():
            await self.conn.execute(pg("DELETE FROM workers WHERE id = ?"), self.worker_id)
            await self.conn.execute(pg(_UNCLAIM_MINE), self.worker_id)
            await self.conn.execute(pg("SELECT pg_notify(?, 'poke')"), channel)
        await self.close()

    async def close(self) -> None:
        if not self.conn.is_closed():
            await self.conn.close(timeout=2)

    def terminate(self) -> None:
        """Drop the connection without a word (the lock goes with it)."""
        self.conn.terminate()


class ClaimStore:
    """The SQL of claims, leases, shared pacing and relayed callbacks (PostgreSQL only)."""

    def __init__(self, db: PostgresDatabase) -> None:
        self.db = db
        self.schema = ""
        self.channel = ""
        #: Told the delivery records of the jobs each claim took (bot/discord/rest.py: the worker's
        #: sink keeps them, and reads none back).
        self.on_deliveries: Callable[[list[Delivery]], None] | None = None

    async def open(self) -> None:
        """Learn the schema this store lives in (its NOTIFY channel and claim lock are per schema)."""
        if not self.schema:
            self.schema = str(await self.db.pool.fetchval("SELECT current_schema()"))
            self.channel = channel_of(self.schema)

    # -- workers ----------------------------------------------------------------------------------

    async def register(
        self,
        lease: float,
        on_notify: Callable[[str], None],
        on_lost: Callable[[], None],
        providers: Sequence[str] = (),
    ) -> WorkerSession:
        """A new worker driving `providers`: its row, its lock held on a connection of its own, listening."""
        await self.open()
        worker_id = secrets.token_hex(8)
        key = secrets.randbits(62)
        conn = await asyncpg.connect(self.db.url)
        try:
            await conn.execute("SELECT pg_advisory_lock($1)", key)
            await conn.execute(
                pg(_REGISTER),
                worker_id,
                key,
                lease,
                ",".join(providers),
            )
            await conn.add_listener(self.channel, lambda *args: on_notify(str(args[-1])))
        except BaseException:
            conn.terminate()
            raise
        conn.add_termination_listener(lambda _conn: on_lost())
        return WorkerSession(conn, worker_id, lease)

    def _lock_name(self) -> str:
        return f"fluxbot-claims:{self.schema}"

    # -- claims -----------------------------------------------------------------------------------

    async def claim(self, worker_id: str, limits: Limits) -> list[Job]:
        """Jobs for this worker: first any a dead worker left (any state), then queued jobs the
        global limits let start. Raises `LeaseLost` if this worker is no longer alive to the others.

        One statement, one round trip: the function `fluxbot_claim` (migration 0027) runs what
        was a transaction of up to eleven (see `_CLAIMING`); since migration 0029 it reaps the
        dead workers first, what a round trip of its own did every 0.5 s."""
        providers = list(limits.concurrency)
        try:
            rows = await self.db.pool.fetch(
                _CLAIMING,
                worker_id,
                self._lock_name(),
                list(limits.origins),
                providers,
                [limits.concurrency[p] for p in providers],
                TAKEOVER_BATCH,
                limits.max_active_per_user,
                CANDIDATES_PER_SLOT,
            )
        except asyncpg.RaiseError as exc:
            if _LEASE_LOST in str(exc):
                raise LeaseLost(worker_id) from None
            raise
        if self.on_deliveries is not None and rows:
            self.on_deliveries(
                [delivery_from_row(r, "delivery_") for r in rows if r["delivery_job_id"] is not None]
            )
        jobs = [job_from_row(r) for r in rows]
        left = [job.id for job in jobs if job.state.value in STARTED]
        if left:
            log.warning(
                "taking over %d job(s) in flight that a worker left: %s", len(left), ", ".join(left[:5])
            )
        return jobs

    async def strays(self, worker_id: str) -> list[str]:
        """Unfinished jobs claimed by this worker (a release the store refused): their ids."""
        rows = await self.db.pool.fetch(pg(_MINE), worker_id, list(_UNFINISHED))
        return [r["id"] for r in rows]

    async def release(self, job_id: str, worker_id: str, *, ended: bool) -> None:
        """This worker no longer drives the job (it ended, or went back to the queue): others may take
        it; its relayed callbacks go once it ended. One statement (`_RELEASE`), one round trip: as a
        group-committed unit it was four (BEGIN, its two statements, COMMIT) for one job at a time."""
        await self.db.pool.execute(_RELEASE, job_id, worker_id, self.channel, ended)

    async def end_delivered(self, move: Transition, worker_id: str | None, ids: Mapping[str, int]) -> None:
        """A delivered job's end in one statement (`_END_DELIVERED`): the posted messages' ids, the
        move to `delivered` (a compare-and-set on its state, as `JobRepository.transition`) and the
        release of its claim as `release(ended=True)` does. Raises `StaleJobState` (nothing moved,
        the claim kept for the drive's own release) when another writer moved the job first; once
        it moved, a release of the job has nothing left to do."""
        unknown = set(ids) - MESSAGE_COLUMNS
        if unknown or move.to is not JobState.DELIVERED or set(move.fields) != {"finished_at"}:
            raise ValueError(f"not a delivered job's end: {move.to}, {sorted(move.fields)}, {unknown}")
        moved = await self.db.pool.fetchval(
            _END_DELIVERED,
            move.job.id,
            move.job.state.value,
            move.to.value,
            move.now,
            worker_id,
            ids.get("result_message_id"),
            ids.get("response_message_id"),
            self.channel,
        )
        move.check(moved)

    async def notify(self, payload: str) -> None:
        """Tell every process of this store (`poke`, `cancel:<job>`, ...), group-committed."""
        await self.open()
        await self.db.atomic(_notify, self.channel, payload)

    # -- what members see, read from the shared queue ---------------------------------------------

    async def queue_position(self, job_id: str) -> int | None:
        """1 for the next job its provider will take; None once it left the queue (or was claimed)."""
        row = await self.db.fetchone(_POSITION, (job_id,))
        return int(row[0]) if row is not None else None

    async def queue_heads(self, providers: Sequence[str]) -> dict[str, int | None]:
        """Each provider's first waiting job (`seq`; None: none waits): every job before it left the
        queue. One index probe per provider, past the few queued jobs already claimed."""
        rows = await self.db.fetchall(_HEADS, (list(providers),))
        return {r["provider"]: (int(r["head"]) if r["head"] is not None else None) for r in rows}

    async def queue_positions(self, job_ids: Sequence[str]) -> dict[str, int]:
        """The positions of those of these jobs still waiting (as `queue_position`), in one pass over
        their providers' queues up to the last of them."""
        rows = await self.db.fetchall(_POSITIONS, (list(job_ids), list(job_ids), list(job_ids)))
        return {r["id"]: int(r["position"]) for r in rows}

    async def queued_since(self, origins: Iterable[str], since: float) -> list[Job]:
        """The jobs of `origins` accepted after `since` (epoch seconds) still waiting in the queue,
        oldest first: those a restarted gateway follows again (`SharedPositions.pick_up`)."""
        rows = await self.db.fetchall(_QUEUED_SINCE, (list(origins), since))
        return [job_from_row(r) for r in rows]

    async def unfinished_of(self, user_id: int) -> list[Job]:
        rows = await self.db.fetchall(_OF_MEMBER, (user_id, list(_UNFINISHED)))
        return [job_from_row(r) for r in rows]

    async def any_unfinished(self, origins: Iterable[str]) -> bool:
        row = await self.db.fetchone(_ANY_UNFINISHED, (list(_UNFINISHED), list(origins)))
        return row is not None

    # -- jobs no live worker can take ---------------------------------------------------------------

    async def served(self) -> set[str] | None:
        """The providers some live worker drives; None when no worker is alive at all."""
        rows = await self.db.fetchall(_SERVED)
        if not rows:
            return None
        return {name for r in rows for name in str(r["providers"]).split(",") if name}

    async def waiting_by_provider(self, origins: Sequence[str]) -> dict[str, int]:
        """Queued jobs nobody claimed, by provider (of these origins)."""
        rows = await self.db.fetchall(_WAITING_BY_PROVIDER, (list(origins),))
        return {r["provider"]: int(r["n"]) for r in rows}

    async def waiting_of(self, provider: str, origins: Sequence[str], limit: int) -> list[Job]:
        """The oldest queued jobs nobody claimed of one provider (of these origins)."""
        rows = await self.db.fetchall(_WAITING_OF, (provider, list(origins), limit))
        return [job_from_row(r) for r in rows]

    # -- provider pacing --------------------------------------------------------------------------

    async def reserve(self, provider: str, count: int, interval: float) -> Booking:
        """Book `count` request slots of the provider's shared budget in one statement."""
        total = count * interval
        row = await self.db.pool.fetchrow(pg(_RESERVE), total, provider, total)
        if row is None:
            await self.db.pool.execute(pg(_PACING_ROW), provider)
            row = await self.db.pool.fetchrow(pg(_RESERVE), total, provider, total)
        return Booking(max(0.0, float(row["ahead"])), max(0.0, float(row["paused"])), int(row["strikes"]))

    async def pause(self, provider: str, seconds: float | None, tolerance: float) -> float:
        """A 429: the provider is paused for every process (Retry-After, or a growing default);
        returns the seconds, and tells the others."""
        await self.db.pool.execute(pg(_PACING_ROW), provider)
        row = await self.db.pool.fetchrow(pg(_PAUSE), seconds, provider, tolerance)
        paused = float(row["seconds"])
        await self.notify(f"pause:{provider}:{max(0.0, float(row['remaining'])):.3f}")
        return paused

    async def calm(self, provider: str) -> None:
        """A request went through: the provider's 429 streak is over."""
        await self.db.pool.execute(pg(_CALM), provider)

    # -- callbacks for a job another process drives -----------------------------------------------

    async def relay_callback(self, job_id: str, body: bytes, *, notify: bool = True) -> None:
        """Keep an authenticated callback's body for the job's worker (until the job ends) and tell it.

        One statement (`_RELAY`), one round trip, committed before it returns (so before the web
        server answers the provider): as a group-committed unit it was three or four (BEGIN with the
        lock try, the insert and the NOTIFY, COMMIT) for the one callback a batch mostly held."""
        await self.open()
        await self.db.pool.execute(_RELAY, job_id, body, time.time(), self.channel, notify)

    async def relayed(self, job_ids: Sequence[str]) -> list[tuple[int, str, bytes]]:
        """Callbacks kept for these jobs, oldest first: (number, job id, body)."""
        rows = await self.db.fetchall(
            "SELECT id, job_id, body FROM job_callbacks WHERE job_id = ANY(?) ORDER BY id", (list(job_ids),)
        )
        return [(int(r["id"]), r["job_id"], bytes(r["body"])) for r in rows]


# -- the statements -------------------------------------------------------------------------------

#: A renewal succeeds while the worker's row is there, even past its lease (the process was
#: starved): nobody reaped it, so nobody took its jobs. A reap (in `fluxbot_claim`, migration 0029)
#: deletes the row under the condition it read, so of a late renewal and a reap of one row exactly
#: one succeeds.
_RENEW = f"UPDATE workers SET lease_until = {NOW} + ? WHERE id = ?"  # noqa: S608
_REGISTER = f"""INSERT INTO workers (id, lock_key, lease_until, started_at, providers)
    VALUES (?, ?, {NOW} + ?, {NOW}, ?)"""  # noqa: S608
_SERVED = f"SELECT providers FROM workers WHERE lease_until > {NOW}"  # noqa: S608
_WAITING_BY_PROVIDER = """SELECT provider, COUNT(*) AS n FROM jobs
    WHERE state = 'queued' AND claimed_by IS NULL AND origin = ANY(?) GROUP BY provider"""
_WAITING_OF = """SELECT * FROM jobs
    WHERE state = 'queued' AND claimed_by IS NULL AND provider = ? AND origin = ANY(?) ORDER BY seq LIMIT ?"""
#: A clean stop hands back its jobs, skipping rows another transaction holds: those are its own
#: releases still in flight (a group commit that may lock them in another order: no deadlock); if
#: one does not commit, the job is taken over once this worker is reaped (its lock goes with it).
_UNCLAIM_MINE = """UPDATE jobs SET claimed_by = NULL
    WHERE id IN (SELECT id FROM jobs WHERE claimed_by = ? FOR UPDATE SKIP LOCKED)"""
_CALM = "UPDATE provider_pacing SET strikes = 0 WHERE provider = ? AND strikes <> 0"
#: A claim pass (migration 0027, `fluxbot_claim`; 0029: the dead workers reaped first, under the
#: claims' lock, their jobs unclaimed and the workers poked): nothing when nothing is unclaimed (no lock);
#: else under the claims' lock, the lease checked, a dead worker's jobs (any state, whatever the
#: limits, `TAKEOVER_BATCH` at a time), then queued jobs oldest first per provider, up to its free
#: slots (jobs holding one: `submitting`/`running`, or `queued` and claimed) unless it is paused,
#: skipping members at their cap (each candidate's jobs holding a slot counted with it, so a pass
#: reads a few rows, not one per member in flight). Each step reads what the others committed
#: before the lock was granted (a VOLATILE function's statements take fresh snapshots).
#: With each job its delivery record (`job_deliveries`, a Discord job's), for the sink that posts
#: it (`on_deliveries`): it read it back, one statement per job.
_CLAIMING = f"""SELECT c.*, {delivery_columns_as("d", "delivery_")}
    FROM fluxbot_claim($1, $2, $3, $4, $5, $6, $7, $8) WITH ORDINALITY AS c
    LEFT JOIN job_deliveries d ON d.job_id = c.id ORDER BY c.ordinality"""  # noqa: S608 - constants
_LEASE_LOST = "fluxbot: lease lost"
#: A release (job id, worker, channel, whether the job ended): its claim cleared, its relayed
#: callbacks dropped once it ended, and the workers poked only when a job waits to be claimed: this
#: one (not ended: back in the queue, or handed back), or others, which its slot may now let start.
#: A job ending with nothing waiting woke every worker's claim pass, each a round trip that found
#: nothing (10,000 jobs ending: 30,000 passes on 3 workers). The main query sees the table as it
#: was before the statement (so not this job's release: hence `NOT ended`).
_RELEASE = f"""WITH released AS (UPDATE jobs SET claimed_by = NULL WHERE id = $1 AND claimed_by = $2),
         dropped AS (DELETE FROM job_callbacks WHERE job_id = $1 AND $4)
    SELECT pg_notify($3, 'poke')
    WHERE NOT $4
       OR EXISTS (SELECT 1 FROM jobs WHERE state = 'queued' AND claimed_by IS NULL)
       OR EXISTS (SELECT 1 FROM jobs WHERE claimed_by IS NULL AND state IN {_STARTED_IN})"""  # noqa: S608 - constants
#: A delivered job's end (job id, its state, `delivered`, now, worker, the result's and the reply's
#: message ids, channel): what were three lone round trips (the ids' write, the move, `_RELEASE`)
#: as one statement, with the same effects: the ids written whatever (as the sink wrote them before
#: the move), the move a compare-and-set on the state, the claim cleared only if it is this
#: worker's, the relayed callbacks dropped and the workers poked (when a job waits) only if it moved.
#: Not moved: the claim stays for the drive's own release (`_RELEASE`, not ended), as before.
_END_DELIVERED = f"""WITH moved AS (
        UPDATE jobs SET state = $3, updated_at = $4, finished_at = $4,
            claimed_by = CASE WHEN claimed_by = CAST($5 AS text) THEN NULL ELSE claimed_by END
        WHERE id = $1 AND state = $2
        RETURNING 1),
    ids AS (UPDATE job_deliveries
        SET result_message_id = COALESCE(CAST($6 AS bigint), result_message_id),
            response_message_id = COALESCE(CAST($7 AS bigint), response_message_id)
        WHERE job_id = $1 AND (CAST($6 AS bigint) IS NOT NULL OR CAST($7 AS bigint) IS NOT NULL)),
    dropped AS (DELETE FROM job_callbacks WHERE job_id = $1 AND EXISTS (SELECT 1 FROM moved))
    SELECT (SELECT COUNT(*) FROM moved) AS moved,
        CASE WHEN EXISTS (SELECT 1 FROM moved)
              AND (EXISTS (SELECT 1 FROM jobs WHERE state = 'queued' AND claimed_by IS NULL)
                   OR EXISTS (SELECT 1 FROM jobs WHERE claimed_by IS NULL AND state IN {_STARTED_IN}))
             THEN pg_notify($8, 'poke') END AS poked"""  # noqa: S608 - constants
_MINE = "SELECT id FROM jobs WHERE claimed_by = ? AND state = ANY(?)"
_POSITION = """SELECT (SELECT COUNT(*) FROM jobs q
                WHERE q.state = 'queued' AND q.claimed_by IS NULL AND q.provider = j.provider
                  AND q.seq <= j.seq) AS position
    FROM jobs j WHERE j.id = ? AND j.state = 'queued' AND j.claimed_by IS NULL"""
_HEADS = """SELECT p.provider,
        (SELECT q.seq FROM jobs q
         WHERE q.state = 'queued' AND q.claimed_by IS NULL AND q.provider = p.provider
         ORDER BY q.seq LIMIT 1) AS head
    FROM unnest(CAST(? AS text[])) AS p(provider)"""
_POSITIONS = """SELECT id, position FROM (
        SELECT q.id, row_number() OVER (PARTITION BY q.provider ORDER BY q.seq) AS position
        FROM jobs q
        WHERE q.state = 'queued' AND q.claimed_by IS NULL
          AND q.provider IN (SELECT provider FROM jobs WHERE id = ANY(?))
          AND q.seq <= (SELECT MAX(seq) FROM jobs WHERE id = ANY(?))) AS waiting
    WHERE id = ANY(?)"""
_OF_MEMBER = "SELECT * FROM jobs WHERE user_id = ? AND state = ANY(?) ORDER BY seq"
_QUEUED_SINCE = """SELECT * FROM jobs
    WHERE state = 'queued' AND claimed_by IS NULL AND origin = ANY(?) AND created_at > ? ORDER BY seq"""
_ANY_UNFINISHED = "SELECT 1 FROM jobs WHERE state = ANY(?) AND origin = ANY(?) LIMIT 1"
_PACING_ROW = "INSERT INTO provider_pacing (provider) VALUES (?) ON CONFLICT DO NOTHING"
_RESERVE = f"""WITH c AS (SELECT {NOW} AS now)
    UPDATE provider_pacing p SET tat = GREATEST(p.tat, c.now) + CAST(? AS double precision)
    FROM c WHERE p.provider = ?
    RETURNING p.tat - CAST(? AS double precision) - c.now AS ahead, p.paused_until - c.now AS paused,
              p.strikes"""  # noqa: S608
_PAUSE = f"""WITH c AS (SELECT {NOW} AS now),
         s AS (SELECT provider,
                      COALESCE(CAST(? AS double precision),
                               LEAST(60, power(2, LEAST(strikes + 1, 6)))) AS seconds
               FROM provider_pacing WHERE provider = ?)
    UPDATE provider_pacing p
    SET strikes = p.strikes + 1,
        paused_until = GREATEST(p.paused_until, c.now + s.seconds),
        tat = GREATEST(p.tat, GREATEST(p.paused_until, c.now + s.seconds) + CAST(? AS double precision))
    FROM c, s WHERE p.provider = s.provider
    RETURNING s.seconds AS seconds, p.paused_until - c.now AS remaining"""  # noqa: S608


@one_statement
def _notify(channel: str, payload: str) -> Unit[None]:
    yield Query("SELECT pg_notify(?, ?)", (channel, payload), single=True)


#: Kept only for a job still unfinished: one that ended meanwhile had its rows deleted with its
#: release (`_release`). That check and that delete can still cross (each in its own transaction,
#: READ COMMITTED); what is left then goes at the hourly sweep (`drop_callbacks_of_ended_jobs`).
#: With its NOTIFY (job id, body, now, channel, whether to tell) in one statement: the worker is told
#: only when the body was kept (a job that ended has nothing to hear), at the statement's commit.
_RELAY = f"""WITH kept AS (
        INSERT INTO job_callbacks (job_id, body, received_at)
        SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM jobs WHERE id = $1 AND state IN {_UNFINISHED_IN})
        RETURNING 1)
    SELECT pg_notify($4, 'callback:' || $1) FROM kept WHERE $5"""  # noqa: S608 - constants
_DROP_ENDED = f"""DELETE FROM job_callbacks c
    WHERE NOT EXISTS (SELECT 1 FROM jobs j WHERE j.id = c.job_id AND j.state IN {_UNFINISHED_IN})"""  # noqa: S608


async def drop_callbacks_of_ended_jobs(db: PostgresDatabase) -> int:
    """The hourly sweep (bot/store/retention.py): relayed callbacks whose job ended (or is gone)."""
    status = await db.pool.execute(_DROP_ENDED)
    return int(status.rsplit(" ", 1)[-1])
