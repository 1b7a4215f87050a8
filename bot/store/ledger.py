"""The append-only quota ledger. Usage is derived from entries, never written as a running total.

Each entry keeps the amount twice: `amount`, the exact figure as text (what the provider reported,
fractions too), and `units`, the same in micro-credits as an integer, so that SQLite can add them
up exactly. Per member and per guild, the sums of the current period are kept in `ledger_totals` by
a trigger on insert (migration 0002): nothing in Python ever writes a total, and a hold reads two
rows instead of scanning a member's history. A guild's sums are read through the view
`guild_totals` (migration 0023): on PostgreSQL each connection adds to a part of its own.
`derive()` recomputes the same figures from the entries themselves; the tests check both agree.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from typing import Any

from bot.store.base import Transaction
from bot.store.db import Database, Statement
from bot.store.statements import POSTGRESQL

ZERO = Decimal(0)
#: Units per credit: amounts are summed as integers of a millionth of a credit.
MICRO = 1_000_000

KINDS = ("hold", "release", "charge", "grant", "reset")


def to_units(amount: Decimal) -> int:
    """Credits → micro-credits; exact up to six decimals, otherwise rounded up (never undercharge)."""
    return int((amount * MICRO).to_integral_value(rounding=ROUND_CEILING))


def from_units(units: int) -> Decimal:
    amount = Decimal(units) / MICRO
    return amount.quantize(Decimal(1)) if amount == amount.to_integral_value() else amount.normalize()


@dataclass(frozen=True, slots=True)
class Usage:
    """A member's (or a guild's) standing in one period."""

    used: Decimal = ZERO  # real charges, less resets
    held: Decimal = ZERO  # estimates of jobs not yet charged or released
    granted: Decimal = ZERO  # one-off credit added to the limit

    @property
    def committed(self) -> Decimal:
        return self.used + self.held

    @classmethod
    def from_units(cls, used: int, held: int, granted: int) -> Usage:
        return cls(from_units(used), from_units(held), from_units(granted))


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    id: int
    kind: str
    amount: Decimal
    job_id: str | None
    model: str | None
    created_at: float
    note: str | None
    actor_id: int | None = None


def _entry(row: Any) -> LedgerEntry:
    return LedgerEntry(
        row["id"],
        row["kind"],
        Decimal(row["amount"]),
        row["job_id"],
        row["model"],
        row["created_at"],
        row["note"],
        row["actor_id"],
    )


@dataclass(frozen=True, slots=True)
class Close:
    """A job's hold closed (a charge or a release) as the write of `Ledger.close_statement`.

    `after_move` (PostgreSQL only; None on SQLite): the same write with one condition more, that
    the job's move in the same statement changed it (a CTE `moved`: `bot.store.units.move_and_close`),
    so that the move and the close are one statement."""

    statement: Statement
    after_move: Statement | None = None


@dataclass(frozen=True, slots=True)
class HoldEntry:
    """What a hold's ledger row says (`hold_statement`, `Ledger.hold_entry`)."""

    amount: Decimal
    period: str
    guild_id: int | None
    user_id: int
    job_id: str
    provider: str
    model: str
    size: str | None

    def values(self) -> tuple[Any, ...]:
        """The parameters of `_HOLD_INSERT`, in its order."""
        amount = self.amount
        return (
            *(self.guild_id, self.user_id, self.job_id, str(amount), to_units(amount), self.period),
            *(self.provider, self.model, self.size, time.time()),
        )


#: A hold's row, to be followed by the FROM that decides whether it is written.
_HOLD_INSERT = """INSERT INTO ledger (kind, guild_id, user_id, job_id, amount, units, closes, period,
                                     provider, model, size, created_at)
                 SELECT 'hold', ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?"""


def hold_statement(fits: Statement, entry: HoldEntry) -> Statement:
    """The statement that appends the hold only if it fits (check and insert cannot be
    separated): `fits` is its check (`Ledger.hold_fits`). It writes one row if the hold fits, none if not."""
    fits_sql, fits_params = fits
    # (No leading WITH: Python's sqlite3 would then not report the rowcount.)
    return f"{_HOLD_INSERT} {fits_sql}", (*entry.values(), *fits_params)


#: A guild's budget usage: the view of migration 0023 (one row on SQLite; on PostgreSQL the sum of
#: the parts each connection writes, so that writers of one guild never wait on each other).
GUILD_TOTALS = "SELECT used, held, granted FROM guild_totals WHERE guild_key = ? AND period = ?"


def recent_entries_query(
    guild_id: int | None, user_id: int, kinds: Sequence[str], limit: int
) -> tuple[str, tuple[Any, ...]]:
    """A member's latest entries of `kinds` (`Ledger.recent_entries`), through
    `ledger_by_member_recent` (guild_id, user_id, id). The guild is matched with `=` (or `IS NULL`
    outside a server): PostgreSQL cannot search an index with `IS NOT DISTINCT FROM`, and read
    every charge of every server for `/quota` with it (SQLite could)."""
    marks = ",".join("?" * len(kinds))
    guild = "guild_id IS NULL" if guild_id is None else "guild_id = ?"
    sql = f"""SELECT id, kind, amount, job_id, model, created_at, note, actor_id FROM ledger
              WHERE {guild} AND user_id = ? AND kind IN ({marks})
              ORDER BY id DESC LIMIT ?"""  # noqa: S608 - only placeholders are interpolated
    return sql, (*(() if guild_id is None else (guild_id,)), user_id, *kinds, limit)


class Ledger:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- writes, inside the caller's transaction -------------------------------------------------

    async def add(
        self,
        conn: Transaction,
        kind: str,
        amount: Decimal,
        *,
        period: str,
        guild_id: int | None,
        user_id: int | None,
        job_id: str | None = None,
        provider: str | None = None,
        model: str | None = None,
        size: str | None = None,
        actor_id: int | None = None,
        note: str | None = None,
        closes: int = 0,
        role_id: int | None = None,
        interaction_id: int | None = None,
    ) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown ledger entry kind {kind!r}")
        if not amount.is_finite() or amount < 0:
            raise ValueError("ledger amounts are finite and non-negative")
        await conn.execute(
            """INSERT INTO ledger (kind, guild_id, user_id, role_id, job_id, amount, units, closes, period,
                                   provider, model, size, actor_id, note, created_at, interaction_id)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            (
                kind,
                guild_id,
                user_id,
                role_id,
                job_id,
                str(amount),
                to_units(amount),
                closes,
                period,
                provider,
                model,
                size,
                actor_id,
                note,
                time.time(),
                interaction_id,
            ),
        )

    def hold_fits(
        self,
        amount: Decimal,
        *,
        period: str,
        guild_id: int | None,
        user_id: int,
        member_limit: Decimal | None,
        guild_limit: Decimal | None,
        role_ids: Sequence[int] = (),
    ) -> Statement:
        """The hold's check, as the tail of an `INSERT .. SELECT`: `FROM .. WHERE ..`, one row when a
        hold of `amount` fits the limits, none when not.

        Fits: committed + amount <= limit + granted, and committed < limit + granted (so a limit of
        0 blocks even a free job); for the member (grants to their roles count) and for the guild's
        budget. A None limit is unlimited.
        """
        units = to_units(amount)
        key = guild_id or 0
        marks = ",".join("?" * len(role_ids)) or "NULL"
        member_units = to_units(member_limit) if member_limit is not None else None
        guild_units = to_units(guild_limit) if guild_limit is not None and guild_id is not None else None
        # Only the limits there are, in the statement's text: with a NULL parameter standing for
        # "unlimited", PostgreSQL planned the statement afresh for every hold (its plan for given
        # values drops the checks of a NULL limit, so it never settled on one plan for any):
        # ~1.3 ms of planning per accept, more than the statement took to run
        # (pg_stat_statements, benchmarks/pg_quota_throughput.py). One text per shape: one plan.
        sources: list[str] = []
        conditions: list[str] = []
        params: list[Any] = []
        if member_units is not None:
            sources.append(f"""(
                SELECT COALESCE((SELECT used + held FROM ledger_totals
                                 WHERE guild_key = ? AND user_key = ? AND period = ?), 0) AS committed,
                       COALESCE((SELECT granted FROM ledger_totals
                                 WHERE guild_key = ? AND user_key = ? AND period = ?), 0)
                     + COALESCE((SELECT SUM(units) FROM ledger WHERE guild_id = ? AND period = ?
                                 AND role_id IN ({marks}) AND kind = 'grant'), 0) AS granted
            ) AS m""")  # noqa: S608
            params += (key, user_id, period, key, user_id, period, key, period, *role_ids)
            conditions.append("m.committed + ? <= ? + m.granted AND m.committed < ? + m.granted")
        if guild_units is not None:
            sources.append("""(
                SELECT COALESCE((SELECT used + held FROM guild_totals
                                 WHERE guild_key = ? AND period = ?), 0) AS committed,
                       COALESCE((SELECT granted FROM guild_totals
                                 WHERE guild_key = ? AND period = ?), 0) AS granted
            ) AS g""")
            params += (key, period, key, period)
            conditions.append("g.committed + ? <= ? + g.granted AND g.committed < ? + g.granted")
        for limit_units in (member_units, guild_units):
            if limit_units is not None:
                params += (units, limit_units, limit_units)
        if not sources:
            return "FROM (SELECT 1) AS unlimited", ()
        sql = f"FROM {', '.join(sources)} WHERE {' AND '.join(conditions)}"
        return sql, tuple(params)

    def hold_entry(self, entry: HoldEntry) -> Statement:
        """The hold's entry as the second write of the job's insert (PostgreSQL,
        `bot.store.jobs.insert_job(only_if=)`): one row for each row of `job_written`, the job that
        statement wrote only if the hold fits (`hold_fits`). The check, the job and its hold are
        one statement."""
        return f"{_HOLD_INSERT} FROM job_written", entry.values()

    def close_statement(
        self,
        job_id: str,
        kind: str,
        *,
        amount: Decimal | None = None,
        guild_id: int | None = None,
        user_id: int | None = None,
        provider: str | None = None,
        model: str | None = None,
        size: str | None = None,
        period: str | None = None,
        note: str | None = None,
    ) -> Statement:
        """The statement that closes the job's hold unless it is closed already (idempotent).

        `charge` writes `amount` (and closes the hold, if any, in `period` of the hold, else the
        given one); `release` gives the hold back (nothing when there is no hold). It writes one
        entry, or none when the hold was closed before.
        """
        not_closed = (
            "NOT EXISTS (SELECT 1 FROM ledger c WHERE c.job_id = ? AND c.kind IN ('charge', 'release'))"
        )
        if kind == "charge":
            assert amount is not None
            assert period is not None
            sql = f"""INSERT INTO ledger (kind, guild_id, user_id, job_id, amount, units, closes, period,
                                          provider, model, size, note, created_at)
                      SELECT 'charge', ?, ?, ?, ?, ?, COALESCE(h.units, 0), COALESCE(h.period, ?),
                             ?, ?, ?, ?, ?
                      FROM (SELECT 1) AS one LEFT JOIN ledger h ON h.job_id = ? AND h.kind = 'hold'
                      WHERE {not_closed}"""  # noqa: S608
            params: tuple[Any, ...] = (
                *(guild_id, user_id, job_id, str(amount), to_units(amount), period, provider, model, size),
                *(note, time.time(), job_id, job_id),
            )
        elif kind == "release":
            sql = f"""INSERT INTO ledger (kind, guild_id, user_id, job_id, amount, units, closes, period,
                                          provider, model, note, created_at)
                      SELECT 'release', h.guild_id, h.user_id, h.job_id, h.amount, h.units, 0, h.period,
                             h.provider, h.model, ?, ?
                      FROM ledger h WHERE h.job_id = ? AND h.kind = 'hold' AND {not_closed}"""  # noqa: S608
            params = (note, time.time(), job_id, job_id)
        else:
            raise ValueError(f"cannot close a hold with {kind!r}")
        return sql, params

    def close(self, job_id: str, kind: str, **fields: Any) -> Close:
        """`close_statement`, and on PostgreSQL its form that follows a move in one statement."""
        sql, params = self.close_statement(job_id, kind, **fields)
        if self.db.dialect != POSTGRESQL:
            return Close((sql, params))
        return Close((sql, params), (f"{sql} AND EXISTS (SELECT 1 FROM moved)", params))  # noqa: S608

    # -- reads ------------------------------------------------------------------------------------

    async def totals(
        self,
        guild_id: int | None,
        user_id: int | None,
        period: str,
        *,
        conn: Transaction | None = None,
    ) -> Usage:
        """A member's usage (user_id given) or the guild's budget usage (user_id None) in a period."""
        if user_id is None:
            row = await self._one(GUILD_TOTALS, (guild_id or 0, period), conn)
        else:
            row = await self._one(
                """SELECT used, held, granted FROM ledger_totals
                   WHERE guild_key = ? AND user_key = ? AND period = ?""",
                (guild_id or 0, user_id, period),
                conn,
            )
        if row is None:
            return Usage()
        return Usage.from_units(row[0], row[1], row[2])

    async def member_usage(
        self, guild_id: int | None, user_id: int, period: str, *, conn: Transaction | None = None
    ) -> Usage:
        return await self.totals(guild_id, user_id, period, conn=conn)

    async def guild_usage(
        self, guild_id: int | None, period: str, *, conn: Transaction | None = None
    ) -> Usage:
        return await self.totals(guild_id, None, period, conn=conn)

    async def standing(
        self,
        guild_id: int | None,
        user_id: int,
        role_ids: Sequence[int],
        period: str,
        *,
        conn: Transaction | None = None,
    ) -> tuple[Usage, Usage]:
        """(the member's usage, with grants to any of their roles; the guild budget's usage), in one
        query: a hold is on the hot path."""
        marks = ",".join("?" * len(role_ids)) or "NULL"
        sql = f"""SELECT 0, used, held, granted FROM ledger_totals
                      WHERE guild_key = ? AND user_key = ? AND period = ?
                  UNION ALL SELECT 1, used, held, granted FROM guild_totals
                      WHERE guild_key = ? AND period = ?
                  UNION ALL SELECT 2, 0, 0, COALESCE(SUM(units), 0) FROM ledger
                      WHERE guild_id = ? AND period = ? AND role_id IN ({marks}) AND kind = 'grant'"""  # noqa: S608
        key = guild_id or 0
        params = (key, user_id, period, key, period, key, period, *role_ids)
        if conn is None:
            rows = await self.db.fetchall_now(sql, params)  # indexed: a few pages
        else:
            rows = await conn.fetchall(sql, params)
        found = {int(r[0]): (int(r[1]), int(r[2]), int(r[3])) for r in rows}
        used, held, granted = found.get(0, (0, 0, 0))
        granted += found.get(2, (0, 0, 0))[2] if guild_id is not None else 0
        return Usage.from_units(used, held, granted), Usage.from_units(*found.get(1, (0, 0, 0)))

    async def derive(self, guild_id: int | None, user_id: int | None, period: str) -> Usage:
        """The same figures as `totals`, recomputed from the entries (audits and tests)."""
        if user_id is not None:
            sql = """SELECT
                COALESCE(SUM(CASE kind WHEN 'charge' THEN units WHEN 'reset' THEN -units ELSE 0 END), 0),
                COALESCE(SUM(CASE kind WHEN 'hold' THEN units WHEN 'release' THEN -units
                                       WHEN 'charge' THEN -closes ELSE 0 END), 0),
                COALESCE(SUM(CASE kind WHEN 'grant' THEN units ELSE 0 END), 0)
                FROM ledger WHERE guild_id IS NOT DISTINCT FROM ? AND user_id = ? AND period = ?"""
            params: tuple[Any, ...] = (guild_id, user_id, period)
        else:
            sql = """SELECT
                COALESCE(SUM(CASE WHEN kind = 'charge' THEN units
                                  WHEN kind = 'reset' AND user_id IS NULL THEN -units ELSE 0 END), 0),
                COALESCE(SUM(CASE kind WHEN 'hold' THEN units WHEN 'release' THEN -units
                                       WHEN 'charge' THEN -closes ELSE 0 END), 0),
                COALESCE(SUM(CASE WHEN kind = 'grant' AND user_id IS NULL AND role_id IS NULL
                                  THEN units ELSE 0 END), 0)
                FROM ledger WHERE COALESCE(guild_id, 0) = ? AND period = ?"""
            params = (guild_id or 0, period)
        row = await self.db.fetchone(sql, params)
        assert row is not None
        return Usage.from_units(row[0], row[1], row[2])

    async def last_price(self, provider: str, model: str, size: str | None) -> Decimal | None:
        """The most recent real charge for this provider, model and size.

        Read before a command is acknowledged (its estimate), again after each charge of the kind:
        one row of the index `ledger_charges_by_price`, so on the event loop (`fetchall_now`)."""
        rows = await self.db.fetchall_now(
            """SELECT amount FROM ledger
               WHERE provider = ? AND model = ? AND size IS NOT DISTINCT FROM ? AND kind = 'charge'
               ORDER BY id DESC LIMIT 1""",
            (provider, model, size),
        )
        return Decimal(rows[0]["amount"]) if rows else None

    async def recent_entries(
        self, guild_id: int | None, user_id: int, *, kinds: Sequence[str] = ("charge",), limit: int = 5
    ) -> list[LedgerEntry]:
        rows = await self.db.fetchall(*recent_entries_query(guild_id, user_id, kinds, limit))
        return [_entry(r) for r in rows]

    async def top_members(self, guild_id: int, period: str, limit: int = 10) -> list[tuple[int, Usage]]:
        """Members of the guild by credits used (then held) in the period, most first."""
        rows = await self.db.fetchall(
            """SELECT user_key, used, held, granted FROM ledger_totals
               WHERE guild_key = ? AND period = ? AND user_key != 0 AND (used != 0 OR held != 0)
               ORDER BY used DESC, held DESC, user_key LIMIT ?""",
            (guild_id, period, limit),
        )
        return [(int(r[0]), Usage.from_units(r[1], r[2], r[3])) for r in rows]

    async def member_count(self, guild_id: int, period: str) -> int:
        row = await self.db.fetchone(
            """SELECT COUNT(*) FROM ledger_totals
               WHERE guild_key = ? AND period = ? AND user_key != 0 AND (used != 0 OR held != 0)""",
            (guild_id, period),
        )
        return int(row[0]) if row else 0

    async def interaction_written(self, conn: Transaction, interaction_id: int, kind: str) -> bool:
        """Whether entries of this kind were already written for this Discord interaction."""
        row = await conn.fetchone(
            "SELECT 1 FROM ledger WHERE interaction_id = ? AND kind = ? LIMIT 1", (interaction_id, kind)
        )
        return row is not None

    async def members_with_usage(self, conn: Transaction, guild_id: int, period: str) -> list[int]:
        rows = await conn.fetchall(
            "SELECT user_key FROM ledger_totals WHERE guild_key = ? AND period = ? AND user_key != 0"
            " AND used > 0",
            (guild_id, period),
        )
        return [int(r[0]) for r in rows]

    async def _one(self, sql: str, params: Sequence[Any], conn: Transaction | None) -> Any:
        if conn is None:
            return await self.db.fetchone(sql, params)
        return await conn.fetchone(sql, params)
