"""PostgreSQL: a guild's `/admin settings` and limits changed in one process reach every other
process's cache at once (bot/store/guild_changes.py), instead of when its entry expired (30 s)."""

from __future__ import annotations

import asyncio
import os
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import asyncpg
import pytest

from bot.store import Database, open_database
from bot.store.guild_changes import GuildChanges
from bot.store.guilds import GuildSettings, GuildStore
from bot.store.operator import Block, ControlsCache, Gates, OwnerControls, PromptRules
from bot.store.presets import MemberPreset, PresetStore
from tests.conftest import TEST_DATABASE_URL

GUILD = 111_111_111_111_111_111

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


async def seen(check, tries: int = 1000) -> bool:
    """Whether `check()` comes true within `tries` looks 10 ms apart (not a timing assertion: a
    notification takes milliseconds, the entry's ttl here is an hour)."""
    for _ in range(tries):
        if await check():
            return True
        await asyncio.sleep(0.01)
    return False


async def test_a_change_in_one_process_drops_the_others_cached_rules_at_once(
    database: Database, database_url: str, tmp_path: Path
):
    async with open_database(database_url, data_dir=tmp_path / "other") as other_db:
        mine = GuildStore(database, ttl=3600)
        theirs = GuildStore(other_db, ttl=3600)  # another process: cached for an hour
        listening = GuildChanges(other_db, theirs)  # type: ignore[arg-type]
        listening.start()
        try:
            assert await seen(lambda: _true(theirs.following))
            assert (await theirs.settings(GUILD)).default_model is None
            assert await theirs.limits_for(GUILD, 7, ()) == []
            assert GUILD in theirs._cache  # cached now

            await mine.save_settings(replace(GuildSettings(GUILD), default_model="flux-dev"), actor_id=1)
            assert await seen(lambda: _is(theirs.settings(GUILD), "flux-dev"))
            await mine.set_limit(GUILD, "member", 7, Decimal(5), actor_id=1)
            assert await seen(lambda: _limit_is(theirs, Decimal(5)))
            await mine.clear_limit(GUILD, "member", 7)
            assert await seen(lambda: _limit_is(theirs, None))

            # Its connection lost (ended by the server): nothing is cached until it listens again,
            # and a change made meanwhile is still seen.
            before = listening.connections
            admin = await asyncpg.connect(os.environ[TEST_DATABASE_URL])
            try:
                assert await admin.fetchval("SELECT pg_terminate_backend($1)", listening.server_pid)
            finally:
                await admin.close()
            await mine.save_settings(replace(GuildSettings(GUILD), default_model="flux-pro"), actor_id=1)
            assert await seen(lambda: _is(theirs.settings(GUILD), "flux-pro"))
            assert await seen(lambda: _true(listening.connections > before and theirs.following), 3000)
            await mine.save_settings(replace(GuildSettings(GUILD), default_model="flux-2-pro"), actor_id=1)
            assert await seen(lambda: _is(theirs.settings(GUILD), "flux-2-pro"))
        finally:
            await listening.stop()
        assert theirs.following is None


async def _true(value: object) -> bool:
    return bool(value)


async def _is(settings, model: str) -> bool:  # type: ignore[no-untyped-def]
    return (await settings).default_model == model


async def _limit_is(store: GuildStore, amount: Decimal | None) -> bool:
    rows = await store.limits_for(GUILD, 7, ())
    return [r.amount for r in rows] == ([amount] if amount is not None else [])


async def test_a_change_is_stored_only_with_its_notice_to_the_other_processes(
    database: Database, monkeypatch: pytest.MonkeyPatch
):
    """The notice goes in the write's transaction (delivered at its commit), so a change can never
    be stored while the other processes miss it: here the notice fails (the connection lost after
    the write), and nothing was stored. (Before: the write committed first and the notice was a
    statement of its own; a process that died between the two left every other process on the
    old rules until their entries expired.)"""
    from bot.store.postgres import PostgresDatabase, PostgresTransaction

    def failing_notice(real):  # type: ignore[no-untyped-def]
        async def execute(self, sql, params=()):  # type: ignore[no-untyped-def]
            if "pg_notify" in str(sql):
                raise asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation")
            return await real(self, sql, params)

        return execute

    for cls in (PostgresDatabase, PostgresTransaction):
        monkeypatch.setattr(cls, "execute", failing_notice(cls.execute))
    mine = GuildStore(database, ttl=3600)

    with pytest.raises(asyncpg.ConnectionDoesNotExistError):
        await mine.set_limit(GUILD, "member", 7, Decimal(5), actor_id=1)
    with pytest.raises(asyncpg.ConnectionDoesNotExistError):
        await mine.save_settings(replace(GuildSettings(GUILD), default_model="flux-dev"), actor_id=1)

    monkeypatch.undo()
    fresh = GuildStore(database)
    assert await fresh.limits_for(GUILD, 7, ()) == []
    assert (await fresh.settings(GUILD)).default_model is None


async def test_the_pause_blocks_rules_and_presets_changed_by_anyone_reach_every_processs_copy_at_once(
    database: Database, database_url: str, tmp_path: Path
):
    """What an image command reads before its acknowledgement (the owners' pause and blocks, the
    server's prompt rules, the member's preset) is kept by each process (`ControlsCache`) and read
    again once the database announces a change (migration 0030's triggers): whoever wrote it, the
    bot's own stores in another process or an operator's SQL. Before, none of it had a notice, so
    none of it could be cached: one read per command."""
    async with open_database(database_url, data_dir=tmp_path / "other") as other_db:
        cache = ControlsCache(ttl=3600)
        theirs = OwnerControls(other_db, cache)  # another process: kept for an hour
        listening = GuildChanges(other_db, GuildStore(other_db), cache)  # type: ignore[arg-type]
        mine = OwnerControls(database)
        listening.start()
        try:
            assert await seen(lambda: _true(cache.following))
            assert await theirs.gates_and_preset(7, GUILD) == (Gates(None, None, []), MemberPreset(GUILD, 7))
            reads = 0
            real = other_db.fetchall_now

            async def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
                nonlocal reads
                reads += 1
                return await real(*args, **kwargs)

            other_db.fetchall_now = counted  # type: ignore[method-assign]
            for member in (7, 8, 9):  # the server's snapshot is here: no member reads anything
                assert (await theirs.gates_and_preset(member, GUILD))[1] == MemberPreset(GUILD, member)
            assert await theirs.gates(7, GUILD) == Gates(None, None, [])
            assert reads == 0

            async def now(member: int = 7) -> tuple[Gates, MemberPreset]:
                return await theirs.gates_and_preset(member, GUILD)

            await mine.pause("upgrade", by=1)
            assert await seen(lambda: _holds(now(), lambda g, _p: g.pause is not None))
            await mine.block("member", 7, "spam", by=1)
            assert await seen(lambda: _holds(now(), lambda g, _p: g.block == Block("member", 7, "spam")))
            await PromptRules(database).add(GUILD, "gore", actor_id=1)
            assert await seen(lambda: _holds(now(), lambda g, _p: g.rules == ["gore"]))
            await PresetStore(database).save(MemberPreset(GUILD, 8, aspect_ratio="16:9", private=True))
            assert await seen(lambda: _holds(now(8), lambda _g, p: p.private is True))
            await database.execute("UPDATE member_presets SET aspect_ratio = '1:1'")  # an operator's SQL
            assert await seen(lambda: _holds(now(8), lambda _g, p: p.aspect_ratio == "1:1"))
            await mine.resume()
            await mine.unblock("member", 7)
            await PromptRules(database).remove(GUILD, "gore")
            await database.execute("DELETE FROM member_presets")
            assert await seen(lambda: _holds(now(), lambda g, _p: g == Gates(None, None, [])))
            assert await seen(lambda: _holds(now(8), lambda _g, p: p.empty))
            reads = 0
            await now(9)
            assert reads == 0  # kept again

            # Its connection lost: nothing is kept until it listens again; a change meanwhile is seen.
            admin = await asyncpg.connect(os.environ[TEST_DATABASE_URL])
            try:
                assert await admin.fetchval("SELECT pg_terminate_backend($1)", listening.server_pid)
            finally:
                await admin.close()
            await mine.pause("again", by=1)
            assert await seen(lambda: _holds(now(), lambda g, _p: g.pause is not None))
        finally:
            await listening.stop()
        assert not cache.following


async def _holds(answer, check) -> bool:  # type: ignore[no-untyped-def]
    return bool(check(*(await answer)))
