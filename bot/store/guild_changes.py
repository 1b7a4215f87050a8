"""PostgreSQL: a guild's settings and limits changed by one process are dropped from every other
process's cache (`GuildStore`) as soon as the change's NOTIFY is heard, a few milliseconds after it
committed, instead of when the entry expires (its `ttl`, 30 s).

One connection of its own per process, listening. Until it listens, and whenever it is lost (then it
connects again, at most 30 s apart), the store caches nothing: every read goes to the database, so
no process acts on rules another one changed while it could not hear it. A connection that died
without a word is found by a ping every `PING_SECONDS`; until then, the entries' `ttl` bounds how
stale a rule can be, as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from typing import Any

import asyncpg

from bot.store.guilds import CHANGES_CHANNEL, GuildStore
from bot.store.operator import ControlsCache
from bot.store.postgres import PostgresDatabase, redacted

log = logging.getLogger(__name__)

#: How often the listening connection is checked (a lost peer may say nothing).
PING_SECONDS = 15.0


class GuildChanges:
    def __init__(
        self, db: PostgresDatabase, guilds: GuildStore, controls: ControlsCache | None = None
    ) -> None:
        self.db = db
        self.guilds = guilds
        #: The owners' pause and blocks, the servers' rules and members' presets: announced on the
        #: same channel by the database's triggers (migration 0030), `controls[:<guild id>]`.
        self.controls = controls
        self._task: asyncio.Task[None] | None = None
        self.connections = 0  # connections it listened on (a test reads it)
        self.server_pid: int | None = None  # its connection's backend, while listening

    def start(self) -> None:
        self._follow(False)  # nothing cached until the connection listens
        self._task = asyncio.create_task(self._run(), name="guild-changes")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self.guilds.following = None
        if self.controls is not None:
            self.controls.following = False
            self.controls.forget()

    def _follow(self, following: bool) -> None:
        """Whether changes are heard now; either way, what was cached goes (what changed while
        nobody listened)."""
        self.guilds.following = following
        self.guilds.forget()
        if self.controls is not None:
            self.controls.following = following
            self.controls.forget()

    def _heard(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        kind, _, guild = payload.partition(":")
        if kind == "controls":
            if self.controls is not None:
                self.controls.forget(int(guild) if guild.isdigit() else None)
            return
        try:
            self.guilds.forget(int(payload))
        except ValueError:
            self.guilds.forget()

    async def _run(self) -> None:
        delay = 1.0
        while True:
            conn: asyncpg.Connection | None = None
            try:
                conn = await asyncpg.connect(self.db.url)
                lost = asyncio.Event()
                conn.add_termination_listener(functools.partial(_set, lost))
                await conn.add_listener(str(await conn.fetchval(CHANGES_CHANNEL)), self._heard)
                self._follow(True)
                self.connections += 1
                self.server_pid = conn.get_server_pid()
                delay = 1.0
                while not lost.is_set():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(lost.wait(), PING_SECONDS)
                    if not lost.is_set():
                        await conn.fetchval("SELECT 1", timeout=PING_SECONDS)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database is away: cache nothing, try again later
                log.warning(
                    "not hearing guild changes on %s (%s); reading them each time", redacted(self.db.url), exc
                )
            finally:
                self.server_pid = None
                self._follow(False)
                if conn is not None:
                    conn.terminate()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30.0)


def _set(event: asyncio.Event, _conn: Any) -> None:
    event.set()
