"""The operator controls' store (migration 0018), on SQLite and PostgreSQL: audit lines waiting for
their channel, prompt rules, the owners' pause and blocks, `/owner stats`, and the two new settings."""

from __future__ import annotations

import time
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from bot.store import Database, open_database
from bot.store.guilds import GuildSettings, GuildStore
from bot.store.operator import AuditLines, Block, ControlsCache, Gates, OwnerControls, PromptRules
from bot.store.presets import MemberPreset, PresetStore

GUILD, OTHER = 111_111_111_111_111_111, 222_222_222_222_222_222


async def test_audit_lines_wait_in_order_until_posted(database: Database):
    lines = AuditLines(database)
    for text in ("first", "second", "third"):
        await lines.add(GUILD, text)
    await lines.add(OTHER, "elsewhere")

    waiting = await lines.waiting(GUILD)
    assert [line.line for line in waiting] == ["first", "second", "third"]
    assert await lines.guilds_waiting() == [GUILD, OTHER]
    assert [line.line for line in await lines.waiting(GUILD, limit=2)] == ["first", "second"]

    await lines.posted([waiting[0].id, waiting[1].id])
    assert [line.line for line in await lines.waiting(GUILD)] == ["third"]
    assert await lines.count(GUILD) == 1
    assert await lines.count(OTHER) == 1


async def test_prompt_rules_are_per_server_and_added_once(database: Database):
    rules = PromptRules(database)
    assert await rules.add(GUILD, "gore", actor_id=5)
    assert not await rules.add(GUILD, "gore", actor_id=6)
    assert await rules.add(GUILD, "*bomb*", actor_id=5)
    assert await rules.add(OTHER, "cats", actor_id=7)
    assert await rules.of(GUILD) == ["*bomb*", "gore"]
    assert await rules.of(None) == []
    assert await rules.remove(GUILD, "gore")
    assert not await rules.remove(GUILD, "gore")
    assert await rules.of(GUILD) == ["*bomb*"]
    assert await rules.of(OTHER) == ["cats"]


async def test_the_pause_and_blocks_are_kept_in_the_store_for_every_process(database: Database):
    owner = OwnerControls(database)
    assert await owner.paused() is None
    await owner.pause("maintenance", by=42)
    other_process = OwnerControls(database)  # nothing in memory: another process reads the same
    pause = await other_process.paused()
    assert pause is not None
    assert (pause.reason, pause.by) == ("maintenance", 42)
    assert await other_process.resume()
    assert await owner.paused() is None
    assert not await owner.resume()

    assert await owner.block("guild", GUILD, "abuse", by=42)
    assert await other_process.blocked(7, GUILD) is not None
    assert await owner.block("member", 7, None, by=42)
    assert not await owner.block("member", 7, "again", by=42)  # the reason is updated
    block = await other_process.blocked(7, GUILD)
    assert block is not None
    assert (block.kind, block.reason) == ("member", "again")  # the member's own block first
    assert await other_process.blocked(8, OTHER) is None
    assert await other_process.blocked(7, None) is not None
    assert await owner.unblock("member", 7)
    assert not await owner.unblock("member", 7)
    assert (await owner.blocked(7, GUILD)).kind == "guild"


async def test_stats_add_up_jobs_errors_and_charges_per_server_and_provider(database: Database):
    now = time.time()
    jobs = [
        ("a", GUILD, "ttapi", "delivered", now - 60),
        ("b", GUILD, "ttapi", "failed", now - 60),
        ("c", GUILD, "bfl", "timed_out", now - 60),
        ("d", OTHER, "bfl", "moderated", now - 60),
        ("e", GUILD, "ttapi", "delivered", now - 10 * 86_400),  # before the period
    ]
    async with database.transaction() as conn:
        for seq, (job_id, guild, provider, state, created) in enumerate(jobs, start=1):
            await conn.execute(
                "INSERT INTO jobs (id, seq, state, origin, provider, model, prompt, params, user_id,"
                " guild_id, channel_id, estimate, created_at, updated_at)"
                " VALUES (?, ?, ?, 'discord', ?, 'flux-dev', 'p', '{}', 1, ?, 2, '1', ?, ?)",
                (job_id, seq, state, provider, guild, created, created),
            )
        for job_id, guild, provider, amount, created in [
            ("a", GUILD, "ttapi", "2.5", now - 60),
            ("e", GUILD, "ttapi", "9", now - 10 * 86_400),
        ]:
            await conn.execute(
                "INSERT INTO ledger (kind, guild_id, user_id, job_id, amount, units, period, provider,"
                " model, created_at) VALUES ('charge', ?, 1, ?, ?, ?, 'p', ?, 'flux-dev', ?)",
                (guild, job_id, amount, int(Decimal(amount) * 1_000_000), provider, created),
            )

    rows = await OwnerControls(database).stats(now - 86_400)

    figures = {(r.guild_id, r.provider): (r.jobs, r.errors, r.credits) for r in rows}
    assert figures == {
        (GUILD, "ttapi"): (2, 1, Decimal("2.5")),
        (GUILD, "bfl"): (1, 1, Decimal(0)),
        (OTHER, "bfl"): (1, 0, Decimal(0)),  # a refusal by the safety filter is not an error
    }


async def test_the_audit_channel_and_the_nsfw_tolerance_are_saved_with_the_settings(database: Database):
    guilds = GuildStore(database)
    await guilds.save_settings(
        GuildSettings(GUILD, audit_channel_id=333_333_333_333_333_333, nsfw_safety_tolerance=5), actor_id=9
    )
    await guilds.save_settings(GuildSettings(OTHER, max_safety_tolerance=1), actor_id=8)

    saved = await guilds.settings(GUILD)
    assert saved.audit_channel_id == 333_333_333_333_333_333
    assert saved.nsfw_safety_tolerance == 5
    assert await guilds.audit_channels() == {GUILD: 333_333_333_333_333_333}
    assert await guilds.settings_actor(GUILD) == 9
    assert (await guilds.settings(OTHER)).audit_channel_id is None

    # Cleared (`/admin settings nsfw_safety_tolerance: clear`): age-restricted channels get the
    # normal cap again, as read by a store that never saw the value (another process).
    await guilds.save_settings(replace(saved, nsfw_safety_tolerance=None), actor_id=9)
    cleared = await GuildStore(database).settings(GUILD)
    assert cleared.nsfw_safety_tolerance is None
    assert cleared.audit_channel_id == 333_333_333_333_333_333  # the rest is kept


async def test_blocks_are_listed_newest_first_with_reason_who_and_when(database: Database):
    owner = OwnerControls(database)
    assert await owner.blocks() == []
    assert await owner.block_count() == 0
    before = time.time()
    await owner.block("member", 7, "spam", by=42)
    await owner.block("guild", GUILD, None, by=43)
    await owner.block("member", 8, "abuse", by=42)
    await owner.block("member", 7, "spam, again", by=44)  # a repeat: its reason, actor and time

    listed = await OwnerControls(database).blocks()  # another process reads the same
    assert [(b.kind, b.target_id, b.reason, b.actor_id) for b in listed] == [
        ("member", 7, "spam, again", 44),
        ("member", 8, "abuse", 42),
        ("guild", GUILD, None, 43),
    ]
    assert all(before <= b.created_at <= time.time() for b in listed)
    assert [b.target_id for b in await owner.blocks(limit=2)] == [7, 8]
    assert await owner.block_count() == 3
    await owner.unblock("member", 8)
    assert [b.target_id for b in await owner.blocks()] == [7, GUILD]
    assert await owner.block_count() == 2


def count_reads(database: Database, monkeypatch) -> list[str]:
    """The statements read through `database` from now on, one per read (a read made by another
    read, as PostgreSQL's fetchall_now is its fetchall, counted once)."""
    reads: list[str] = []
    inside = [False]
    for name in ("fetchall", "fetchall_now", "fetchone"):
        original = getattr(database, name)

        async def counted(sql, params=(), _original=original):
            if inside[0]:
                return await _original(sql, params)
            reads.append(str(sql))
            inside[0] = True
            try:
                return await _original(sql, params)
            finally:
                inside[0] = False

        monkeypatch.setattr(database, name, counted)
    return reads


async def test_a_new_jobs_gates_are_read_in_one_statement_as_the_three_reads_give_them(
    database: Database, monkeypatch
):
    """The pause, the member's or server's block and the server's prompt rules, which every new job
    passes (bot/discord/start.py `operator_gates`), come from one read, the same as `paused`,
    `blocked` and `PromptRules.of` give them (three reads before)."""
    owner, rules = OwnerControls(database), PromptRules(database)
    reads = count_reads(database, monkeypatch)

    async def both(user_id: int, guild_id: int | None):
        reads.clear()
        gates = await OwnerControls(database).gates(user_id, guild_id)  # a fresh one: another process
        assert len(reads) == 1
        assert gates.pause == await owner.paused()
        assert gates.block == await owner.blocked(user_id, guild_id)
        assert gates.rules == await rules.of(guild_id)
        return gates

    assert await both(7, GUILD) == Gates(None, None, [])
    await owner.pause("maintenance", by=42)
    await owner.block("guild", GUILD, "abuse", by=42)
    await owner.block("member", 7, "spam", by=42)
    for rule in ("gore", "*bomb*", "Ärger"):
        await rules.add(GUILD, rule, actor_id=5)
    await rules.add(OTHER, "cats", actor_id=5)
    gates = await both(7, GUILD)
    assert gates.pause is not None
    assert gates.pause.reason == "maintenance"
    assert gates.block == Block("member", 7, "spam")  # the member's own block first
    assert len(gates.rules) == 3
    assert (await both(8, GUILD)).block == Block("guild", GUILD, "abuse")
    assert (await both(8, OTHER)).block is None
    assert (await both(7, None)).rules == []
    await owner.resume()
    assert (await both(8, OTHER)).pause is None


async def test_an_image_commands_gates_and_preset_are_one_read_as_the_two_reads_give_them(
    database: Database, monkeypatch
):
    """What an image command reads before it is acknowledged (bot/discord/preferences.py): the
    member's `/settings` preset here and the operators' gates, in one statement (two round trips
    before), the same as `gates` and `PresetStore.get` give them."""
    owner, presets = OwnerControls(database), PresetStore(database)
    reads = count_reads(database, monkeypatch)

    async def both(user_id: int, guild_id: int | None) -> tuple[Gates, MemberPreset]:
        reads.clear()
        gates, preset = await OwnerControls(database).gates_and_preset(user_id, guild_id)
        assert len(reads) == 1
        assert gates == await owner.gates(user_id, guild_id)
        assert preset == await presets.get(guild_id, user_id)
        return gates, preset

    assert await both(7, GUILD) == (Gates(None, None, []), MemberPreset(GUILD, 7))
    await presets.save(MemberPreset(GUILD, 7, "flux-dev", "16:9", "png", True, "in watercolour"))
    await presets.save(MemberPreset(GUILD, 8, aspect_ratio="1:1", private=False))
    await presets.save(MemberPreset(OTHER, 7, model="flux-pro"))
    assert (await both(7, GUILD))[1] == MemberPreset(
        GUILD, 7, "flux-dev", "16:9", "png", True, "in watercolour"
    )
    assert (await both(8, GUILD))[1] == MemberPreset(GUILD, 8, aspect_ratio="1:1", private=False)
    assert (await both(7, OTHER))[1] == MemberPreset(OTHER, 7, model="flux-pro")
    assert (await both(9, GUILD))[1].empty
    await owner.pause("maintenance", by=42)
    await owner.block("member", 7, "spam", by=42)
    await owner.block("guild", GUILD, "abuse", by=42)
    for rule in ("gore", "*bomb*"):
        await PromptRules(database).add(GUILD, rule, actor_id=5)
    gates, preset = await both(7, GUILD)
    assert gates.pause is not None
    assert gates.block == Block("member", 7, "spam")
    assert len(gates.rules) == 2
    assert preset.model == "flux-dev"
    assert (await both(8, OTHER)) == (Gates(gates.pause, None, []), MemberPreset(OTHER, 8))
    # Outside a server: no preset (as `PresetStore.get`), the pause and the member's block.
    assert (await both(7, None)) == (Gates(gates.pause, Block("member", 7, "spam"), []), MemberPreset(0, 7))


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # several processes' stores
async def test_a_change_in_one_process_is_seen_by_the_next_command_in_another(
    database: Database, database_url: str, tmp_path: Path
):
    """Two stores on one PostgreSQL database, as a gateway and another gateway (or `/owner` run in
    a third process) have: the pause, the blocks, the prompt rules and a member's `/settings`
    preset one writes are what the other reads for its next command, read per command by a store
    without a copy (`ControlsCache`, whose change notices tests/store/test_guild_changes.py
    tests)."""
    async with open_database(database_url, data_dir=tmp_path / "other") as other:
        mine, theirs = OwnerControls(database), OwnerControls(other)
        assert await theirs.gates(7, GUILD) == Gates(None, None, [])
        await mine.pause("upgrade", by=1)
        await mine.block("member", 7, "spam", by=1)
        await PromptRules(database).add(GUILD, "gore", actor_id=1)
        await PresetStore(database).save(MemberPreset(GUILD, 7, aspect_ratio="16:9", private=True))
        gates = await theirs.gates(7, GUILD)
        assert gates.pause is not None
        assert gates.pause.reason == "upgrade"
        assert gates.block == Block("member", 7, "spam")
        assert gates.rules == ["gore"]
        preset = await PresetStore(other).get(GUILD, 7)
        assert (preset.aspect_ratio, preset.private) == ("16:9", True)
        assert await theirs.gates_and_preset(7, GUILD) == (gates, preset)

        await mine.resume()
        await mine.unblock("member", 7)
        await PromptRules(database).remove(GUILD, "gore")
        await PresetStore(database).save(MemberPreset(GUILD, 7))
        assert await theirs.gates(7, GUILD) == Gates(None, None, [])
        assert (await PresetStore(other).get(GUILD, 7)).empty
        assert await theirs.gates_and_preset(7, GUILD) == (Gates(None, None, []), MemberPreset(GUILD, 7))


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # the copy is PostgreSQL's
async def test_a_processs_copy_of_the_controls_answers_as_the_members_own_read(
    database: Database, monkeypatch
):
    """`ControlsCache` (kept current by change notices: tests/store/test_guild_changes.py) gives
    every member the gates and the preset their own read gives, from one read of the server's
    snapshot; a server whose presets (or an owner whose blocks) are too many to keep is read per
    command, as before."""
    cache = ControlsCache(ttl=3600)
    cache.following = True  # as while its process listens
    cached, owner, presets = OwnerControls(database, cache), OwnerControls(database), PresetStore(database)
    reads = count_reads(database, monkeypatch)

    async def same(
        members: tuple[int, ...] = (7, 8, 9), guilds: tuple[int | None, ...] = (GUILD, OTHER, None)
    ):
        for guild_id in guilds:
            for user_id in members:
                assert await cached.gates_and_preset(user_id, guild_id) == await owner.gates_and_preset(
                    user_id, guild_id
                )
                assert await cached.gates(user_id, guild_id) == await owner.gates(user_id, guild_id)

    await same()
    reads.clear()
    await cached.gates_and_preset(10, GUILD)
    await cached.gates(11, OTHER)
    assert reads == []  # both servers' snapshots are here
    await presets.save(MemberPreset(GUILD, 7, "flux-dev", "16:9", "png", True, "in watercolour"))
    await presets.save(MemberPreset(GUILD, 8, aspect_ratio="1:1", private=False))
    await presets.save(MemberPreset(OTHER, 7, model="flux-pro"))
    await owner.pause("maintenance", by=42)
    await owner.block("member", 7, "spam", by=42)
    await owner.block("guild", GUILD, "abuse", by=42)
    for rule in ("gore", "*bomb*", "Ärger", "apple"):
        await PromptRules(database).add(GUILD, rule, actor_id=5)
    cache.forget()  # what the notices do
    await same()
    assert (await cached.gates(8, GUILD)).rules == await PromptRules(database).of(GUILD)

    monkeypatch.setattr("bot.store.operator.SNAPSHOT_ROWS", 1)  # two presets in GUILD: too many
    cache.forget()
    reads.clear()
    await same(guilds=(GUILD,))
    reads.clear()
    assert (await cached.gates_and_preset(8, GUILD))[1].aspect_ratio == "1:1"
    assert len(reads) == 1  # the member's own read, the snapshot not read again for an hour


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # the copy is PostgreSQL's
async def test_a_write_in_this_process_is_seen_by_its_next_command_before_any_notice(database: Database):
    """The process that writes the pause, a block, a rule or a preset drops its own copy at once: its
    next command (an `/imagine` right after `/owner block`) does not wait for the database's notice."""
    cache = ControlsCache(ttl=3600)
    cache.following = True  # listening, but no notice will come here: only the writes' own drop
    database.controls = cache  # type: ignore[attr-defined]  # as `open_services` sets it
    owner = OwnerControls(database, cache)

    async def now(user_id: int = 7) -> tuple[Gates, MemberPreset]:
        return await owner.gates_and_preset(user_id, GUILD)

    assert await now() == (Gates(None, None, []), MemberPreset(GUILD, 7))
    await owner.block("member", 7, "spam", by=1)
    assert (await now())[0].block == Block("member", 7, "spam")
    await owner.pause("upgrade", by=1)
    assert (await now())[0].pause is not None
    await PromptRules(database).add(GUILD, "gore", actor_id=1)
    assert (await now())[0].rules == ["gore"]
    await PresetStore(database).save(MemberPreset(GUILD, 8, private=True))
    assert (await now(8))[1].private is True
    await owner.resume()
    await owner.unblock("member", 7)
    await PromptRules(database).remove(GUILD, "gore")
    await PresetStore(database).save(MemberPreset(GUILD, 8))
    assert await now() == (Gates(None, None, []), MemberPreset(GUILD, 7))
    assert (await now(8))[1].empty
