"""What operators configured beyond quota (issue 19): audit lines waiting for their channel, prompt
rules, the owners' pause and blocks, and the figures of `/owner stats`.

All of it lives in the store, never only in memory, so every process of the bot (gateway, workers)
sees the same pause, blocks and rules, and a restart keeps them. On PostgreSQL each process keeps
a copy of what an image command reads before its acknowledgement (`ControlsCache`), dropped when
the database announces a change (migration 0030).
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from bot.store.bot_state import BotState
from bot.store.db import Database
from bot.store.ledger import from_units
from bot.store.presets import PRESET_FIELDS, MemberPreset, forget_controls, row_to_preset

BlockKind = Literal["member", "guild"]

#: The `bot_state` key of the owners' pause (JSON: reason, who, when); absent: not paused.
PAUSE_KEY = "owner_pause"


@dataclass(frozen=True, slots=True)
class AuditLine:
    id: str
    guild_id: int
    line: str
    created_at: float
    #: The nonce of a send that carried it and whose outcome is unknown (None: never sent).
    nonce: str | None = None


class AuditLines:
    """Lines for a server's audit channel: stored first, deleted only once posted.

    Several processes may post (gateways on PostgreSQL): a server's lines are posted by whoever holds
    its turn (`take_turn`, a compare-and-set on `audit_posters`), one poster at a time, and a send
    is marked with its Discord nonce before it goes (`sending`), so a repeat after a crash is
    recognised by Discord instead of posted twice.
    """

    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, guild_id: int, line: str) -> None:
        await self.db.execute(
            "INSERT INTO audit_lines (id, guild_id, seq, line, created_at) VALUES (?, ?, ?, ?, ?)",
            (secrets.token_hex(8), guild_id, time.time_ns(), line, time.time()),
        )

    async def waiting(self, guild_id: int, limit: int = 50) -> list[AuditLine]:
        rows = await self.db.fetchall(
            "SELECT id, guild_id, line, created_at, nonce FROM audit_lines WHERE guild_id = ?"
            " ORDER BY seq, id LIMIT ?",
            (guild_id, limit),
        )
        return [
            AuditLine(r["id"], int(r["guild_id"]), r["line"], float(r["created_at"]), r["nonce"])
            for r in rows
        ]

    async def guilds_waiting(self) -> list[int]:
        rows = await self.db.fetchall("SELECT DISTINCT guild_id FROM audit_lines")
        return sorted(int(r["guild_id"]) for r in rows)

    async def count(self, guild_id: int) -> int:
        row = await self.db.fetchone("SELECT COUNT(*) AS n FROM audit_lines WHERE guild_id = ?", (guild_id,))
        return int(row["n"]) if row is not None else 0

    async def posted(self, ids: Sequence[str]) -> None:
        if ids:
            await self.db.executemany("DELETE FROM audit_lines WHERE id = ?", [(i,) for i in ids])

    async def sending(self, ids: Sequence[str], nonce: str) -> None:
        """Mark the lines one send carries with its nonce, before the send."""
        if ids:
            await self.db.executemany(
                "UPDATE audit_lines SET nonce = ? WHERE id = ?", [(nonce, i) for i in ids]
            )

    async def take_turn(self, guild_id: int, holder: str, now: float, until: float) -> bool:
        """Whether `holder` now has the server's turn to post, until `until` (POSIX seconds): only
        when nobody holds it and its next message is due (`audit_posters.until` passed)."""
        taken = await self.db.execute_one(
            "INSERT INTO audit_posters (guild_id, holder, until) VALUES (?, ?, ?)"
            " ON CONFLICT (guild_id) DO UPDATE SET holder = excluded.holder, until = excluded.until"
            " WHERE audit_posters.until <= ?",
            (guild_id, holder, until, now),
        )
        return taken > 0

    async def end_turn(self, guild_id: int, holder: str, next_at: float) -> None:
        """The turn ends; the server's next message is due at `next_at`, whoever posts it."""
        await self.db.execute_one(
            "UPDATE audit_posters SET until = ? WHERE guild_id = ? AND holder = ?",
            (next_at, guild_id, holder),
        )

    async def free_turn(self, guild_id: int) -> None:
        """The server's next message may go out at once (an admin set the channel again)."""
        await self.db.execute_one("UPDATE audit_posters SET until = 0 WHERE guild_id = ?", (guild_id,))


class PromptRules:
    """Each server's refused words, phrases and `*` wildcards, as the admins typed them (normalised)."""

    #: Rules one server may have: each is matched against every prompt.
    MAX_RULES = 200

    def __init__(self, db: Database) -> None:
        self.db = db

    async def of(self, guild_id: int | None) -> list[str]:
        if guild_id is None:
            return []
        rows = await self.db.fetchall_now(
            "SELECT rule FROM prompt_rules WHERE guild_id = ? ORDER BY rule", (guild_id,)
        )
        return [r["rule"] for r in rows]

    async def add(self, guild_id: int, rule: str, *, actor_id: int | None) -> bool:
        """Whether it was new."""
        try:
            return await self._add(guild_id, rule, actor_id)
        finally:
            forget_controls(self.db, guild_id)

    async def _add(self, guild_id: int, rule: str, actor_id: int | None) -> bool:
        async with self.db.transaction() as conn:
            exists = await conn.fetchall(
                "SELECT 1 FROM prompt_rules WHERE guild_id = ? AND rule = ?", (guild_id, rule)
            )
            if exists:
                return False
            await conn.execute(
                "INSERT INTO prompt_rules (guild_id, rule, actor_id, created_at) VALUES (?, ?, ?, ?)",
                (guild_id, rule, actor_id, time.time()),
            )
        return True

    async def remove(self, guild_id: int, rule: str) -> bool:
        """Whether there was such a rule."""
        try:
            async with self.db.transaction() as conn:
                removed = await conn.execute(
                    "DELETE FROM prompt_rules WHERE guild_id = ? AND rule = ?", (guild_id, rule)
                )
        finally:
            forget_controls(self.db, guild_id)
        return removed > 0


@dataclass(frozen=True, slots=True)
class Pause:
    reason: str
    by: int
    at: float


@dataclass(frozen=True, slots=True)
class Block:
    kind: BlockKind
    target_id: int
    reason: str | None


@dataclass(frozen=True, slots=True)
class BlockEntry:
    """One block as `/owner blocks` lists it: what, why, by whom, since when."""

    kind: BlockKind
    target_id: int
    reason: str | None
    actor_id: int | None
    created_at: float


@dataclass(frozen=True, slots=True)
class StatsRow:
    guild_id: int | None
    provider: str
    jobs: int
    errors: int
    credits: Decimal


@dataclass(frozen=True, slots=True)
class Gates:
    """What an operator set that a new job must pass: the owners' pause, the block that stops this
    member here (their own first), the server's prompt rules (sorted)."""

    pause: Pause | None
    block: Block | None
    rules: list[str]


#: The pause, the member's and the server's blocks and the server's prompt rules in one round trip
#: (three before: a third of the reads a gateway makes per command). Each row says what it is; the
#: columns after `target` are the member's preset's (`_GATES_AND_PRESET`), NULL here (typed where
#: PostgreSQL would take an untyped NULL for text).
_GATE_ROWS = """SELECT 'p' AS what, value AS text, NULL AS kind, NULL AS target,
        NULL AS aspect_ratio, NULL AS output_format, CAST(NULL AS INTEGER) AS private, NULL AS suffix
        FROM bot_state WHERE key = ?
    UNION ALL SELECT 'b', reason, kind, target_id, NULL, NULL, NULL, NULL FROM owner_blocks
        WHERE (kind = 'member' AND target_id = ?) OR (kind = 'guild' AND target_id = ?)
    UNION ALL SELECT 'r', rule, NULL, NULL, NULL, NULL, NULL, NULL FROM prompt_rules WHERE guild_id = ?"""
_GATES = _GATE_ROWS + " ORDER BY 1, 2"
#: The same, and the member's `/settings` preset in this server (its model as `text`): what an image
#: command reads before it is acknowledged, in one round trip instead of two.
_GATES_AND_PRESET = f"""{_GATE_ROWS}
    UNION ALL SELECT 'm', model, NULL, NULL, aspect_ratio, output_format, private, suffix
        FROM member_presets WHERE guild_id = ? AND user_id = ?
    ORDER BY 1, 2"""  # noqa: S608


def _gates_of(rows: Sequence[Any]) -> tuple[Gates, Any]:
    """The gates in the rows of `_GATES` (or `_GATES_AND_PRESET`), and the preset's row if any."""
    pause: Pause | None = None
    blocks: list[Block] = []
    rules: list[str] = []
    preset = None
    for row in rows:
        what = row["what"]
        if what == "p":
            pause = _pause(row["text"])
        elif what == "b":
            blocks.append(Block(row["kind"], int(row["target"]), row["text"]))
        elif what == "r":
            rules.append(row["text"])
        else:
            preset = {**{name: row[name] for name in PRESET_FIELDS if name != "model"}, "model": row["text"]}
    blocks.sort(key=lambda b: b.kind != "member")  # the member's own block first
    return Gates(pause, blocks[0] if blocks else None, rules), preset  # rules as `PromptRules.of` orders them


def _pause(raw: str) -> Pause:
    data = json.loads(raw)
    return Pause(str(data.get("reason") or ""), int(data.get("by") or 0), float(data.get("at") or 0))


#: Rows one cached snapshot holds at most per part (every block; one server's presets): past that
#: the part is not cached and each command reads its own rows (`_GATES_AND_PRESET`), as before.
SNAPSHOT_ROWS = 1000

#: What `ControlsCache` keeps of one server, in one round trip: the pause, every block (members'
#: anywhere and servers'), the server's prompt rules and every preset of its members (`target` is
#: the member); each part read one row past `SNAPSHOT_ROWS`, which says it was too big to keep.
_SNAPSHOT = f"""SELECT 'p' AS what, value AS text, NULL AS kind, NULL AS target,
        NULL AS aspect_ratio, NULL AS output_format, CAST(NULL AS INTEGER) AS private, NULL AS suffix
        FROM bot_state WHERE key = ?
    UNION ALL (SELECT 'b', reason, kind, target_id, NULL, NULL, NULL, NULL FROM owner_blocks
        LIMIT {SNAPSHOT_ROWS + 1})
    UNION ALL SELECT 'r', rule, NULL, NULL, NULL, NULL, NULL, NULL FROM prompt_rules WHERE guild_id = ?
    UNION ALL (SELECT 'm', model, NULL, user_id, aspect_ratio, output_format, private, suffix
        FROM member_presets WHERE guild_id = ? LIMIT {SNAPSHOT_ROWS + 1})
    ORDER BY 1, 2"""  # noqa: S608 - a constant; the rules in the order `PromptRules.of` reads them


@dataclass(frozen=True, slots=True)
class _Snapshot:
    """The gates of every member of one server, and their presets (by member id)."""

    pause: Pause | None
    blocks: dict[tuple[str, int], str | None]
    rules: list[str]
    presets: dict[int, dict[str, Any]]

    def answer(self, user_id: int, guild_id: int) -> tuple[Gates, Any]:
        block = None
        for kind, target in (("member", user_id), ("guild", guild_id)):  # the member's own first
            if (kind, target) in self.blocks:
                block = Block(kind, target, self.blocks[kind, target])  # type: ignore[arg-type]
                break
        return Gates(self.pause, block, list(self.rules)), self.presets.get(user_id)


def _snapshot_of(rows: Sequence[Any]) -> _Snapshot | None:
    """The rows of `_SNAPSHOT`; None when a part was too big to keep."""
    pause: Pause | None = None
    blocks: dict[tuple[str, int], str | None] = {}
    rules: list[str] = []
    presets: dict[int, dict[str, Any]] = {}
    for row in rows:
        what = row["what"]
        if what == "p":
            pause = _pause(row["text"])
        elif what == "b":
            blocks[row["kind"], int(row["target"])] = row["text"]
        elif what == "r":
            rules.append(row["text"])
        else:
            presets[int(row["target"])] = {
                **{name: row[name] for name in PRESET_FIELDS if name != "model"},
                "model": row["text"],
            }
    if len(blocks) > SNAPSHOT_ROWS or len(presets) > SNAPSHOT_ROWS:
        return None
    return _Snapshot(pause, blocks, rules, presets)


class ControlsCache:
    """PostgreSQL: one process's copy of what an image command reads before its acknowledgement (the
    owners' pause and blocks, each server's prompt rules and its members' presets), so that a
    command reads nothing when its server's snapshot is here; a miss reads the server's snapshot in
    the one round trip the command made anyway.

    Every change of them is announced by the database itself (migration 0030, triggers: whoever
    writes) on the guild-changes channel, which bot/store/guild_changes.py listens to: `forget`
    drops what changed when the change commits (a few milliseconds). While nobody listens
    (connecting, the connection lost: `following` False) nothing is kept and each command reads its
    own rows, as before; a listening connection that died without a word is found by its ping
    (15 s) and an entry lives `ttl` seconds at most, as `GuildStore`'s. A read that raced a
    `forget` is not kept (`_generation`)."""

    def __init__(self, *, ttl: float = 30.0, guilds: int = 1000) -> None:
        self.ttl = ttl
        self.max_guilds = guilds
        self.following = False
        self._entries: dict[int, tuple[float, _Snapshot | None]] = {}  # None: too big to keep
        self._generation = 0

    def get(self, guild_id: int) -> tuple[bool, _Snapshot | None]:
        """(whether the server's entry is here and current, its snapshot: None when too big)."""
        entry = self._entries.get(guild_id)
        if entry is None or not self.following or entry[0] <= time.monotonic():
            return False, None
        return True, entry[1]

    def generation(self) -> int:
        return self._generation

    def keep(self, guild_id: int, snapshot: _Snapshot | None, generation: int) -> None:
        if generation != self._generation or not self.following:
            return  # a change was heard since the read began (or nobody listens): not kept
        if len(self._entries) >= self.max_guilds and guild_id not in self._entries:
            self._entries.clear()
        self._entries[guild_id] = (time.monotonic() + self.ttl, snapshot)

    def forget(self, guild_id: int | None = None) -> None:
        """Drop the server's entry (None: every entry)."""
        self._generation += 1
        if guild_id is None:
            self._entries.clear()
        else:
            self._entries.pop(guild_id, None)


#: Job states that count as errors in `/owner stats` (a refusal by the safety filter is not one).
ERROR_STATES = ("failed", "timed_out", "undeliverable")


class OwnerControls:
    """The bot owners' pause and blocks, and the figures they read."""

    def __init__(self, db: Database, cache: ControlsCache | None = None) -> None:
        self.db = db
        self.state = BotState(db)
        self.cache = cache  # PostgreSQL: this process's copy, kept current by change notices

    async def pause(self, reason: str, *, by: int) -> None:
        try:
            await self.state.put(PAUSE_KEY, json.dumps({"reason": reason, "by": by, "at": time.time()}))
        finally:
            self._forget()

    async def resume(self) -> bool:
        """Whether the bot was paused."""
        was = await self.paused()
        try:
            await self.state.forget(PAUSE_KEY)
        finally:
            self._forget()
        return was is not None

    def _forget(self) -> None:
        """This process's copy drops everything (other processes': when the notice comes)."""
        if self.cache is not None:
            self.cache.forget()
        forget_controls(self.db)

    async def paused(self) -> Pause | None:
        raw = await self.state.get(PAUSE_KEY)
        return None if raw is None else _pause(raw)

    async def gates(self, user_id: int, guild_id: int | None) -> Gates:
        """`paused()`, `blocked()` and the server's `PromptRules.of()`, read in one statement (or
        none: `ControlsCache`)."""
        guild = guild_id if guild_id is not None else -1
        cached = await self._cached(user_id, guild)
        if cached is not None:
            return cached[0]
        gates, _ = _gates_of(await self.db.fetchall_now(_GATES, (PAUSE_KEY, user_id, guild, guild)))
        return gates

    async def gates_and_preset(self, user_id: int, guild_id: int | None) -> tuple[Gates, MemberPreset]:
        """`gates()` and the member's preset here (`PresetStore.get`), read in one statement (or
        none: `ControlsCache`)."""
        if guild_id is None:
            return await self.gates(user_id, None), MemberPreset(0, user_id)
        cached = await self._cached(user_id, guild_id)
        if cached is not None:
            gates, preset = cached
        else:
            rows = await self.db.fetchall_now(
                _GATES_AND_PRESET, (PAUSE_KEY, user_id, guild_id, guild_id, guild_id, user_id)
            )
            gates, preset = _gates_of(rows)
        return gates, row_to_preset(guild_id, user_id, preset)

    async def _cached(self, user_id: int, guild_id: int) -> tuple[Gates, Any] | None:
        """The gates and the preset's row from this process's copy, its server's snapshot read (one
        round trip) when missing; None where nothing is cached (SQLite, nobody listening, a part
        too big to keep): the caller reads the member's own rows."""
        cache = self.cache
        if cache is None or not cache.following:
            return None
        here, snapshot = cache.get(guild_id)
        if not here:
            generation = cache.generation()
            snapshot = _snapshot_of(await self.db.fetchall_now(_SNAPSHOT, (PAUSE_KEY, guild_id, guild_id)))
            cache.keep(guild_id, snapshot, generation)
        return snapshot.answer(user_id, guild_id) if snapshot is not None else None

    async def block(self, kind: BlockKind, target_id: int, reason: str | None, *, by: int) -> bool:
        """Whether it was not blocked yet (a repeat changes the reason)."""
        try:
            return await self._block(kind, target_id, reason, by)
        finally:
            self._forget()

    async def _block(self, kind: BlockKind, target_id: int, reason: str | None, by: int) -> bool:
        async with self.db.transaction() as conn:
            existed = await conn.fetchall(
                "SELECT 1 FROM owner_blocks WHERE kind = ? AND target_id = ?", (kind, target_id)
            )
            await conn.execute(
                "INSERT INTO owner_blocks (kind, target_id, reason, actor_id, created_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (kind, target_id) DO UPDATE SET"
                " reason = excluded.reason, actor_id = excluded.actor_id, created_at = excluded.created_at",
                (kind, target_id, reason, by, time.time()),
            )
        return not existed

    async def unblock(self, kind: BlockKind, target_id: int) -> bool:
        try:
            async with self.db.transaction() as conn:
                removed = await conn.execute(
                    "DELETE FROM owner_blocks WHERE kind = ? AND target_id = ?", (kind, target_id)
                )
        finally:
            self._forget()
        return removed > 0

    async def blocked(self, user_id: int, guild_id: int | None) -> Block | None:
        """The block that stops this member here (their own first), or None."""
        rows = await self.db.fetchall_now(
            "SELECT kind, target_id, reason FROM owner_blocks"
            " WHERE (kind = 'member' AND target_id = ?) OR (kind = 'guild' AND target_id = ?)"
            " ORDER BY kind DESC",
            (user_id, guild_id if guild_id is not None else -1),
        )
        if not rows:
            return None
        row = rows[0]
        return Block(row["kind"], int(row["target_id"]), row["reason"])

    async def blocks(self, limit: int = 1000) -> list[BlockEntry]:
        """Every block (at most `limit`), the newest first (a repeated block counts from its repeat)."""
        rows = await self.db.fetchall(
            "SELECT kind, target_id, reason, actor_id, created_at FROM owner_blocks"
            " ORDER BY created_at DESC, kind, target_id LIMIT ?",
            (limit,),
        )
        return [
            BlockEntry(
                r["kind"], int(r["target_id"]), r["reason"], _id(r["actor_id"]), float(r["created_at"])
            )
            for r in rows
        ]

    async def block_count(self) -> int:
        rows = await self.db.fetchall("SELECT COUNT(*) AS n FROM owner_blocks", ())
        return int(rows[0]["n"])

    async def stats(self, since: float) -> list[StatsRow]:
        """Jobs, errors and credits charged per server and provider since `since` (POSIX seconds)."""
        jobs = await self.db.fetchall(
            "SELECT guild_id, provider, COUNT(*) AS jobs,"
            " SUM(CASE WHEN state IN (?, ?, ?) THEN 1 ELSE 0 END) AS errors"
            " FROM jobs WHERE created_at >= ? GROUP BY guild_id, provider",
            (*ERROR_STATES, since),
        )
        charged = await self.db.fetchall(
            "SELECT guild_id, provider, SUM(units) AS units FROM ledger"
            " WHERE kind = 'charge' AND created_at >= ? GROUP BY guild_id, provider",
            (since,),
        )
        credits = {
            (_id(r["guild_id"]), r["provider"] or "?"): from_units(int(r["units"] or 0)) for r in charged
        }
        rows = [
            StatsRow(
                _id(r["guild_id"]),
                r["provider"],
                int(r["jobs"]),
                int(r["errors"] or 0),
                credits.pop((_id(r["guild_id"]), r["provider"]), Decimal(0)),
            )
            for r in jobs
        ]
        rows += [StatsRow(g, p, 0, 0, amount) for (g, p), amount in credits.items()]
        return sorted(rows, key=lambda r: (-r.jobs, -r.credits, r.guild_id or 0, r.provider))


def _id(value: object) -> int | None:
    return None if value is None else int(str(value))
