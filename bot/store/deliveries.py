"""Where a Discord job's answer goes: the interaction that asked, and the messages the bot posted.

Kept beside the job (table `job_deliveries`, migration 0014), not in it: the job core knows nothing
of Discord and carries a job's `Delivery` only to store it with the job, in the same unit. The
interaction's token edits the member's reply for 15 minutes: never in a repr, and cleared with the
job's other secrets when it is purged (bot/store/retention.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.store.db import Database, Statement
from bot.store.statements import Execute, Unit

#: The columns a delivery's messages are recorded in.
MESSAGE_COLUMNS = frozenset({"response_message_id", "result_message_id"})


@dataclass(slots=True)
class Delivery:
    job_id: str
    app_id: int | None = None
    token: str | None = field(default=None, repr=False)
    #: When the interaction was created (POSIX seconds): its token lasts 15 minutes from then.
    created_at: float | None = None
    #: The member's reply (the deferred answer), once known; then the posted result.
    response_message_id: int | None = None
    result_message_id: int | None = None
    #: Shown only to its member (migration 0015): an ephemeral reply, then a DM; never the channel.
    private: bool = False
    #: The language the job was asked in (bot/i18n): its progress, result, failure and DMs speak it.
    locale: str | None = None
    #: A batch (migration 0020): the jobs of one `/imagine count:` posted in one message, in order.
    batch_id: str | None = None
    batch_index: int = 0
    batch_size: int = 1


_DELIVERY_COLUMNS = """job_id, interaction_app_id, interaction_token, interaction_created_at,
    response_message_id, result_message_id, private, locale, batch_id, batch_index, batch_size"""
_INSERT_DELIVERY = f"INSERT INTO job_deliveries ({_DELIVERY_COLUMNS}) VALUES ({', '.join('?' * 11)})"  # noqa: S608
#: Only when the job's insert of the same statement wrote its row (`job_written`).
_INSERT_DELIVERY_AFTER_JOB = (
    f"INSERT INTO job_deliveries ({_DELIVERY_COLUMNS}) SELECT {', '.join('?' * 11)} FROM job_written"  # noqa: S608
)


def _values(delivery: Delivery) -> tuple[Any, ...]:
    return (
        delivery.job_id,
        delivery.app_id,
        delivery.token,
        delivery.created_at,
        delivery.response_message_id,
        delivery.result_message_id,
        int(delivery.private),
        delivery.locale,
        delivery.batch_id,
        delivery.batch_index,
        delivery.batch_size,
    )


def insert_delivery(delivery: Delivery) -> Unit[None]:
    """A sub-unit: store a new job's delivery, in the unit that inserts the job."""
    yield Execute(_INSERT_DELIVERY, _values(delivery))


def delivery_after_job(delivery: Delivery) -> Statement:
    """The delivery as a write of the job's own insert (PostgreSQL, `bot.store.jobs.insert_job(only_if=)`):
    stored exactly when the job is, in the same statement (one round trip less per accept)."""
    return _INSERT_DELIVERY_AFTER_JOB, _values(delivery)


def delivery_from_row(row: Any, prefix: str = "") -> Delivery:
    """A `job_deliveries` row as a `Delivery`; `prefix`: its columns were selected under names that
    start with it, beside another table's (`DELIVERY_COLUMNS_AS`)."""
    return Delivery(
        job_id=row[prefix + "job_id"],
        app_id=row[prefix + "interaction_app_id"],
        token=row[prefix + "interaction_token"],
        created_at=row[prefix + "interaction_created_at"],
        response_message_id=row[prefix + "response_message_id"],
        result_message_id=row[prefix + "result_message_id"],
        private=bool(row[prefix + "private"]),
        locale=row[prefix + "locale"],
        batch_id=row[prefix + "batch_id"],
        batch_index=int(row[prefix + "batch_index"]),
        batch_size=int(row[prefix + "batch_size"]),
    )


def delivery_columns_as(table: str, prefix: str) -> str:
    """A delivery's columns of `table` (an alias of `job_deliveries`) selected as `prefix<column>`:
    `jobs` still has old columns of the same names (migration 0014 copied them)."""
    return ", ".join(f"{table}.{c.strip()} AS {prefix}{c.strip()}" for c in _DELIVERY_COLUMNS.split(","))


def record_ids(job_id: str, messages: dict[str, int]) -> Unit[None]:
    """A sub-unit: the messages posted for the job (`MESSAGE_COLUMNS`), e.g. with its move to
    `delivered` (bot/store/units.py `move_and_record`)."""
    unknown = set(messages) - MESSAGE_COLUMNS
    if unknown:
        raise ValueError(f"not a delivery message column: {sorted(unknown)}")
    if messages:
        columns = ", ".join(f"{name} = ?" for name in messages)  # names are whitelisted above
        yield Execute(
            f"UPDATE job_deliveries SET {columns} WHERE job_id = ?",  # noqa: S608
            (*messages.values(), job_id),
        )


class Deliveries:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, job_id: str) -> Delivery | None:
        row = await self.db.fetchone("SELECT * FROM job_deliveries WHERE job_id = ?", (job_id,))
        return delivery_from_row(row) if row else None

    async def batch(self, batch_id: str) -> list[Delivery]:
        """The deliveries of a batch's jobs, in their order in its message."""
        rows = await self.db.fetchall(
            "SELECT * FROM job_deliveries WHERE batch_id = ? ORDER BY batch_index", (batch_id,)
        )
        return [delivery_from_row(row) for row in rows]

    async def claim_batch(
        self, first_job_id: str, batch_id: str, *, seen: int | None, message_id: int
    ) -> bool:
        """Record the one message a batch is shown in, if it is still `seen` (a compare-and-set on the
        batch's first job, which holds it), then on every delivery of the batch. False when another
        process recorded another message first: the caller's message is the extra one."""
        async with self.db.transaction() as conn:
            claimed = await conn.execute(
                "UPDATE job_deliveries SET result_message_id = ?"
                " WHERE job_id = ? AND result_message_id IS NOT DISTINCT FROM ?",
                (message_id, first_job_id, seen),
            )
            if claimed:
                await conn.execute(
                    "UPDATE job_deliveries SET result_message_id = ? WHERE batch_id = ?",
                    (message_id, batch_id),
                )
        return bool(claimed)

    async def record(self, delivery: Delivery, **messages: int) -> None:
        """Record a message the bot posted for the job (`response_message_id`, `result_message_id`)."""
        unknown = set(messages) - MESSAGE_COLUMNS
        if unknown:
            raise ValueError(f"not a delivery message column: {sorted(unknown)}")
        if not messages:
            return
        columns = ", ".join(f"{name} = ?" for name in messages)  # names are whitelisted above
        await self.db.execute(
            f"UPDATE job_deliveries SET {columns} WHERE job_id = ?",  # noqa: S608
            (*messages.values(), delivery.job_id),
        )
        for name, value in messages.items():
            setattr(delivery, name, value)
