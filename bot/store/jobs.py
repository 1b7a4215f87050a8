"""The jobs table: rows in, rows out, and guarded state changes."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from bot.encoding import Base64, b64encode, in_image_thread
from bot.jobs.model import TRANSITIONS, UNFINISHED_STATES, Job, JobState, Origin
from bot.store.base import Transaction
from bot.store.db import Database, Statement
from bot.store.files import InputFiles, InputImage, StoredInput
from bot.store.statements import Execute, ExecuteMany, PerDialect, Query, Returning, Unit

#: Columns a transition may set besides `state` and `updated_at`.
MUTABLE_COLUMNS = frozenset(
    {
        "cost",
        "provider_job_id",
        "polling_url",
        "result_url",
        "result_path",
        "seed",
        "width",
        "height",
        "attempts",
        "polls",
        "error_code",
        "error_message",
        "error_note",
        "submitted_at",
        "ready_at",
        "finished_at",
        "delivery_attempts",
    }
)


class StaleJobState(RuntimeError):
    """The job was no longer in the state the caller expected: someone else moved it first."""


def job_from_row(row: sqlite3.Row) -> Job:
    return Job(
        id=row["id"],
        seq=row["seq"],
        state=JobState(row["state"]),
        origin=Origin(row["origin"]),
        provider=row["provider"],
        model=row["model"],
        prompt=row["prompt"],
        params=json.loads(row["params"]),
        user_id=row["user_id"],
        guild_id=row["guild_id"],
        channel_id=row["channel_id"],
        estimate=Decimal(row["estimate"]),
        cost=Decimal(row["cost"]) if row["cost"] is not None else None,
        provider_job_id=row["provider_job_id"],
        polling_url=row["polling_url"],
        result_url=row["result_url"],
        result_path=row["result_path"],
        seed=row["seed"],
        width=row["width"],
        height=row["height"],
        attempts=row["attempts"],
        polls=row["polls"],
        error_code=row["error_code"],
        error_message=row["error_message"],
        error_note=row["error_note"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        submitted_at=row["submitted_at"],
        ready_at=row["ready_at"],
        finished_at=row["finished_at"],
        parent_job_id=row["parent_job_id"],
        callback_token=row["callback_token"],
        delivery_attempts=row["delivery_attempts"],
        purged_at=row["purged_at"],
    )


def _db_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, JobState | Origin):
        return value.value
    return value


@dataclass
class Transition:
    """A job's move to another state as one compare-and-set statement, to run in a transaction.

    `write` (in the store's thread, inside `Database.atomic`) or `JobRepository.transition`
    executes it; `applied` then brings the in-memory job up to date.
    """

    job: Job
    to: JobState
    fields: dict[str, Any]
    now: float
    sql: str
    params: tuple[Any, ...]

    @classmethod
    def of(cls, job: Job, to: JobState, fields: dict[str, Any]) -> Transition:
        if to not in TRANSITIONS.get(job.state, frozenset()):
            raise ValueError(f"job {job.id}: no transition {job.state} → {to}")
        unknown = set(fields) - MUTABLE_COLUMNS
        if unknown:
            raise ValueError(f"not a mutable job column: {sorted(unknown)}")
        now = time.time()
        if to.terminal and "finished_at" not in fields:
            fields = {**fields, "finished_at": now}
        columns = ["state = ?", "updated_at = ?"] + [f"{name} = ?" for name in fields]
        params = (to.value, now, *(_db_value(v) for v in fields.values()), job.id, job.state.value)
        sql = f"UPDATE jobs SET {', '.join(columns)} WHERE id = ? AND state = ?"  # noqa: S608 - names are whitelisted
        return cls(job, to, fields, now, sql, params)

    def write(self) -> Unit[None]:
        """The move as a (sub-)unit: raises `StaleJobState` if another writer moved the job first."""
        self.check((yield Execute(self.sql, self.params)))

    def check(self, changed: int) -> None:
        if changed != 1:
            raise StaleJobState(f"job {self.job.id} is no longer {self.job.state}")

    def applied(self) -> Job:
        job = self.job
        job.state = self.to
        job.updated_at = self.now
        for name, value in self.fields.items():
            setattr(job, name, value)
        return job


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One of a member's jobs as `/history` lists it."""

    id: str
    state: str
    model: str
    prompt: str
    cost: Decimal | None
    estimate: Decimal
    created_at: float
    guild_id: int | None
    channel_id: int | None
    result_message_id: int | None


#: The error code of a job whose submit the provider answered 404, 405 or 410 (`ProviderRetired`).
RETIRED = "retired"
#: The models a provider answered that way, for `doctor` (a scan of jobs: doctor runs rarely).
RETIRED_MODELS_SQL = (
    "SELECT provider, model, COUNT(*) AS jobs, MAX(updated_at) AS last FROM jobs"
    " WHERE error_code = ? GROUP BY provider, model ORDER BY provider, model"
)


@dataclass(frozen=True, slots=True)
class UnfinishedCount:
    """Unfinished jobs of one state, model and provider, claimed by a worker or not (`/metrics`)."""

    state: str
    model: str
    provider: str
    claimed: bool
    n: int

    @property
    def holds_slot(self) -> bool:
        """Holds one of its provider's slots: submitted and not past READY, or queued and claimed by a
        worker about to submit it (what a claim counts, bot/store/claims.py `_ACTIVE`)."""
        return self.state in ("submitting", "running") or (self.state == "queued" and self.claimed)

    @property
    def waiting(self) -> bool:
        """Queued, and no worker took it yet."""
        return self.state == "queued" and not self.claimed


@dataclass(frozen=True, slots=True)
class RetiredModel:
    """A model a provider said it no longer offers: on how many jobs, the last one when."""

    provider: str
    model: str
    jobs: int
    last: float


def retired_models_of(rows: Iterable[Any]) -> list[RetiredModel]:
    return [RetiredModel(r["provider"], r["model"], int(r["jobs"]), float(r["last"])) for r in rows]


class JobRepository:
    """Jobs in the store; their reference images in files beside it (`inputs/`, bot/store/files.py)."""

    def __init__(self, db: Database, inputs_folder: Path | None = None) -> None:
        self.db = db
        self.input_files = InputFiles(inputs_folder or db.data_dir / "inputs")

    async def insert(self, conn: Transaction, job: Job, inputs: Sequence[InputImage] = ()) -> Job:
        """Insert inside the caller's transaction (the quota hold commits with it). Sets `seq`.

        The images' files are written first; if the transaction does not commit, they are orphans
        (`remove_orphan_inputs`).
        """
        stored = await self.input_files.write(job.id, inputs)
        await conn.run(insert_job, job, tuple(stored))
        return job

    async def remove_orphan_inputs(self, *, older_than: float) -> int:
        """Remove reference image files no row names (written by an accept that never committed)."""
        rows = await self.db.fetchall("SELECT file FROM job_inputs WHERE file IS NOT NULL")
        return await self.input_files.remove_orphans({r["file"] for r in rows}, older_than=older_than)

    async def get(self, job_id: str) -> Job | None:
        row = await self.db.fetchone("SELECT * FROM jobs WHERE id = ?", (job_id,))
        return job_from_row(row) if row else None

    async def inputs(self, job_id: str) -> list[InputImage]:
        """A job's reference images, in order; raises `InputsLost` if a file is gone."""
        rows = await self.db.fetchall_bulk(
            "SELECT field, data, encoding, file FROM job_inputs WHERE job_id = ? ORDER BY idx", (job_id,)
        )
        return [InputImage(r["field"], await self._image(r)) for r in rows]

    async def _image(self, row: sqlite3.Row) -> Base64:
        if row["file"] is not None:
            return await self.input_files.read(row["file"])
        if row["encoding"] == "base64":  # stored in the row between migrations 0005 and 0007
            return Base64(row["data"])
        return await in_image_thread(b64encode, row["data"])  # stored before 0005: the raw bytes

    async def transition(self, job: Job, to: JobState, **fields: Any) -> Job:
        """Move `job` from the state it has to `to`, setting `fields`, committed before returning.

        A compare-and-set on the current state: if another task or process moved the job first,
        `StaleJobState` is raised and nothing changes. (To commit it with other writes, run its
        `Transition` inside a `Database.atomic` unit.)
        """
        move = Transition.of(job, to, fields)
        move.check(await self.db.execute_one(move.sql, move.params))  # one statement: atomic on its own
        return move.applied()

    async def update(self, job: Job, **fields: Any) -> None:
        """Record facts that do not change the state (poll counts, message ids)."""
        unknown = set(fields) - MUTABLE_COLUMNS
        if unknown:
            raise ValueError(f"not a mutable job column: {sorted(unknown)}")
        if not fields:
            return
        now = time.time()
        columns = ["updated_at = ?"] + [f"{name} = ?" for name in fields]
        params = [now, *(_db_value(v) for v in fields.values()), job.id]
        await self.db.execute_one(f"UPDATE jobs SET {', '.join(columns)} WHERE id = ?", params)  # noqa: S608
        job.updated_at = now
        for name, value in fields.items():
            setattr(job, name, value)

    async def count_delivery(self, job: Job, holder: str | None = None) -> None:
        """Commit one more delivery attempt before a hand-over, as a compare-and-set: the job must
        still be `delivering` with the attempts this caller last saw, and (`holder`, on PostgreSQL)
        still claimed by this worker. Otherwise another driver took it over: `StaleJobState`, and
        this one must not post."""
        now = time.time()
        attempts = job.delivery_attempts + 1
        sql = (
            "UPDATE jobs SET delivery_attempts = ?, updated_at = ?"
            " WHERE id = ? AND state = ? AND delivery_attempts = ?"
        )
        params: list[Any] = [attempts, now, job.id, JobState.DELIVERING.value, job.delivery_attempts]
        if holder is not None:
            sql += " AND claimed_by = ?"
            params.append(holder)
        if await self.db.execute_one(sql, params) != 1:
            raise StaleJobState(f"job {job.id}: no longer delivered by this process")
        job.delivery_attempts = attempts
        job.updated_at = now

    async def unfinished(self, origins: Iterable[Origin]) -> list[Job]:
        origin_values = [o.value for o in origins]
        states = [s.value for s in UNFINISHED_STATES]
        rows = await self.db.fetchall(
            f"SELECT * FROM jobs WHERE state IN ({','.join('?' * len(states))})"  # noqa: S608
            f" AND origin IN ({','.join('?' * len(origin_values))}) ORDER BY seq",
            (*states, *origin_values),
        )
        return [job_from_row(r) for r in rows]

    async def unfinished_counts(self) -> list[UnfinishedCount]:
        """Unfinished jobs by state, model, provider and whether a worker claimed them: reads the
        `jobs_by_state` index for those states only, so a scrape costs the same with 100 or 100,000
        finished jobs in the table (and one pass over the unfinished ones however many processes)."""
        states = [s.value for s in UNFINISHED_STATES]
        claimed = "CASE WHEN claimed_by IS NULL THEN 0 ELSE 1 END"
        rows = await self.db.fetchall(
            f"SELECT state, model, provider, {claimed} AS claimed, COUNT(*) AS n FROM jobs"  # noqa: S608
            f" WHERE state IN ({','.join('?' * len(states))}) GROUP BY state, model, provider, {claimed}",
            states,
        )
        return [
            UnfinishedCount(r["state"], r["model"], r["provider"], bool(r["claimed"]), int(r["n"]))
            for r in rows
        ]

    async def for_user(self, user_id: int, *, limit: int = 10, offset: int = 0) -> list[Job]:
        rows = await self.db.fetchall(
            "SELECT * FROM jobs WHERE user_id = ? ORDER BY seq DESC LIMIT ? OFFSET ?",
            (user_id, limit, offset),
        )
        return [job_from_row(r) for r in rows]

    async def retired_models(self) -> list[RetiredModel]:
        """The models a provider answered as no longer offered (404, 405, 410 on a submit)."""
        return retired_models_of(await self.db.fetchall(RETIRED_MODELS_SQL, (RETIRED,)))

    async def history(
        self, user_id: int, guild_id: int | None, *, page: int, page_size: int
    ) -> tuple[list[HistoryEntry], int]:
        """One page of a member's jobs in a guild (None: outside any), newest first, and the number of
        pages; a page past the end is the last one."""
        count = await self.db.fetchone(
            "SELECT COUNT(*) FROM jobs WHERE user_id = ? AND guild_id IS NOT DISTINCT FROM ?",
            (user_id, guild_id),
        )
        total = int(count[0]) if count else 0
        pages = max(1, -(-total // page_size))
        page = max(0, min(page, pages - 1))
        rows = await self.db.fetchall(
            """SELECT j.id, j.state, j.model, j.prompt, j.cost, j.estimate, j.created_at, j.guild_id,
                      j.channel_id, d.result_message_id
               FROM jobs j LEFT JOIN job_deliveries d ON d.job_id = j.id
               WHERE j.user_id = ? AND j.guild_id IS NOT DISTINCT FROM ?
               ORDER BY j.seq DESC LIMIT ? OFFSET ?""",
            (user_id, guild_id, page_size, page * page_size),
        )
        entries = [
            HistoryEntry(
                r["id"],
                r["state"],
                r["model"],
                r["prompt"],
                Decimal(r["cost"]) if r["cost"] is not None else None,
                Decimal(r["estimate"]),
                r["created_at"],
                r["guild_id"],
                r["channel_id"],
                r["result_message_id"],
            )
            for r in rows
        ]
        return entries, pages

    async def recent_durations(self, provider: str, model: str, *, limit: int = 50) -> list[float]:
        """Seconds from submit to ready of the latest finished jobs of this model."""
        rows = await self.db.fetchall(
            """SELECT ready_at - submitted_at AS took FROM jobs
               WHERE provider = ? AND model = ? AND ready_at IS NOT NULL AND submitted_at IS NOT NULL
               ORDER BY ready_at DESC LIMIT ?""",
            (provider, model, limit),
        )
        return [float(r["took"]) for r in rows if r["took"] is not None and r["took"] >= 0]


#: A new job's place in arrival order. SQLite has one writer at a time; on PostgreSQL accepts commit
#: side by side, so a sequence hands out the numbers.
NEXT_SEQ = PerDialect(
    sqlite="SELECT COALESCE(MAX(seq), 0) + 1 FROM jobs", postgresql="SELECT nextval('jobs_seq')"
)
_JOB_COLUMNS = """id, seq, state, origin, provider, model, prompt, params, user_id, guild_id,
    channel_id, estimate, created_at, updated_at, parent_job_id, callback_token, width, height, seed"""
_INSERT_JOB = f"INSERT INTO jobs ({_JOB_COLUMNS}) VALUES ({', '.join('?' * 19)})"  # noqa: S608
#: On PostgreSQL, the job's conditional insert and the writes that follow it (`then`, each an
#: `INSERT .. SELECT .. FROM job_written`: the quota hold's entry, `Hold.entry`; the job's Discord
#: delivery, `delivery_after_job`) as one statement, answering one row (`Returning.one_row`): the
#: job's seq, and how many jobs it wrote.
_INSERT_JOB_THEN = f"""WITH job_written AS (
        INSERT INTO jobs ({_JOB_COLUMNS}) SELECT ?, nextval('jobs_seq'), {", ".join("?" * 17)} {{only_if}}
        RETURNING seq),
    {{then}}
    SELECT job_written.seq, (SELECT count(*) FROM job_written) AS _written
    FROM (SELECT 1) AS one LEFT JOIN job_written ON true"""  # noqa: S608


def insert_job(
    job: Job,
    inputs: Iterable[StoredInput] = (),
    only_if: tuple[Statement, Sequence[Statement]] | None = None,
) -> Unit[bool]:
    """Insert a job and the names of its reference images' files (already written); sets `seq`.

    With `only_if` (PostgreSQL only), a condition and the writes that follow: the condition is the
    tail of an `INSERT .. SELECT`, `FROM .. WHERE ..` (the quota hold's check, `Hold.fits`), and
    the job goes in only when it finds a row; each write selects from `job_written` (the quota
    hold's entry, `Hold.entry`; the job's Discord delivery, `delivery_after_job`) and is part of
    the same statement, so it happens exactly when the job goes in. Returns whether the job went
    in: when it did not, nothing was written. A (sub-)unit, inside the caller's transaction (the
    quota hold commits with it).
    """
    values = (
        job.state.value,
        job.origin.value,
        job.provider,
        job.model,
        job.prompt,
        json.dumps(job.params, sort_keys=True),
        job.user_id,
        job.guild_id,
        job.channel_id,
        str(job.estimate),
        job.created_at,
        job.updated_at,
        job.parent_job_id,
        job.callback_token,
        job.width,
        job.height,
        job.seed,
    )
    if only_if is None:
        row = yield Query(NEXT_SEQ, one=True)
        job.seq = int(row[0]) if row else 1
        yield Execute(_INSERT_JOB, (job.id, job.seq, *values))
    else:
        (condition, condition_params), then = only_if
        writes = ",\n    ".join(f"then_written{n} AS ({sql})" for n, (sql, _) in enumerate(then))
        sql_then = _INSERT_JOB_THEN.format(only_if=condition, then=writes)
        then_params = [param for _, params in then for param in params]
        row = yield Returning(sql_then, (job.id, *values, *condition_params, *then_params), one_row=True)
        if row is None:
            return False
        job.seq = int(row[0])
    rows = [(job.id, i, image.field, b"", image.file) for i, image in enumerate(inputs)]
    if rows:
        yield ExecuteMany(
            "INSERT INTO job_inputs (job_id, idx, field, data, encoding, file)"
            " VALUES (?, ?, ?, ?, 'base64', ?)",
            rows,
        )
    return True


#: The states that count against a member's queue limit.
_QUEUE_STATES = tuple(s.value for s in UNFINISHED_STATES if s is not JobState.DELIVERING)
_COUNT_UNFINISHED = (
    f"SELECT COUNT(*) FROM jobs WHERE user_id = ? AND state IN ({','.join('?' * len(_QUEUE_STATES))})"  # noqa: S608
)


def count_unfinished(user_id: int) -> Unit[int]:
    """A member's jobs that count against the queue limit (a sub-unit)."""
    row = yield Query(_COUNT_UNFINISHED, (user_id, *_QUEUE_STATES), single=True)
    return int(row[0]) if row else 0


def with_queue_room(condition: Statement, user_id: int, queue_limit: int) -> Statement:
    """`condition` (the tail of an `INSERT .. SELECT`, `FROM .. WHERE ..`: the quota hold's check,
    `Hold.fits`) that also finds no row when the member has `queue_limit` jobs counting against it
    (`count_unfinished`), for `insert_job(only_if=)`: the queue check, the job and its hold in one
    statement, which reads the count after the member's lock as the count's own statement did."""
    sql, params = condition
    tail = f"FROM (SELECT 1 {sql}) AS fits WHERE ({_COUNT_UNFINISHED}) < ?"
    return tail, (*params, user_id, *_QUEUE_STATES, queue_limit)
