"""A member's own defaults for the image commands in one server (`/settings`, table `member_presets`).

Kept per server, like everything else about a member: `/privacy export` includes them and
`/admin privacy erase` deletes them. Server rules are applied where a preset is used
(`bot.discord.preferences`), not here.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, fields, replace
from typing import Any

from bot.store.db import Database

#: What a member may preset; each is a column of `member_presets`.
PRESET_FIELDS = ("model", "aspect_ratio", "output_format", "private", "suffix")


@dataclass(frozen=True, slots=True)
class MemberPreset:
    guild_id: int
    user_id: int
    model: str | None = None
    aspect_ratio: str | None = None
    output_format: str | None = None
    private: bool | None = None
    suffix: str | None = None

    @property
    def empty(self) -> bool:
        return all(getattr(self, name) is None for name in PRESET_FIELDS)

    def cleared(self, names: tuple[str, ...] = PRESET_FIELDS) -> MemberPreset:
        changes: dict[str, Any] = dict.fromkeys(names)
        return replace(self, **changes)

    def public(self) -> dict[str, Any]:
        """The preset as a member reads it in an export: only what is set."""
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if f.name in PRESET_FIELDS and getattr(self, f.name) is not None
        }


def row_to_preset(guild_id: int, user_id: int, row: Any) -> MemberPreset:
    if row is None:
        return MemberPreset(guild_id, user_id)
    private = row["private"]
    return MemberPreset(
        guild_id,
        user_id,
        model=row["model"],
        aspect_ratio=row["aspect_ratio"],
        output_format=row["output_format"],
        private=None if private is None else bool(private),
        suffix=row["suffix"],
    )


def forget_controls(db: Database, guild_id: int | None = None) -> None:
    """A write of the pause, a block, a prompt rule or a preset through `db`: this process's copy of
    them (`ControlsCache`, PostgreSQL: `db.controls`) drops what it changed at once, so the next
    command here sees it; other processes drop theirs when the database's notice comes."""
    cache = getattr(db, "controls", None)
    if cache is not None:
        cache.forget(guild_id)


class PresetStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, guild_id: int | None, user_id: int) -> MemberPreset:
        if guild_id is None:
            return MemberPreset(0, user_id)
        # Read before /imagine is acknowledged (whether its reply is private): on the event loop, not
        # a hop to the reader's thread (one row by its primary key; `fetchall_now`).
        rows = await self.db.fetchall_now(
            "SELECT model, aspect_ratio, output_format, private, suffix FROM member_presets"
            " WHERE guild_id = ? AND user_id = ?",
            (guild_id, user_id),
        )
        return row_to_preset(guild_id, user_id, rows[0] if rows else None)

    async def save(self, preset: MemberPreset) -> None:
        """Store the preset; an empty one is deleted (nothing kept about a member who cleared it)."""
        try:
            await self._save(preset)
        finally:
            forget_controls(self.db, preset.guild_id)

    async def _save(self, preset: MemberPreset) -> None:
        if preset.empty:
            await self.db.execute(
                "DELETE FROM member_presets WHERE guild_id = ? AND user_id = ?",
                (preset.guild_id, preset.user_id),
            )
            return
        await self.db.execute(
            """INSERT INTO member_presets (guild_id, user_id, model, aspect_ratio, output_format, private,
                                           suffix, updated_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (guild_id, user_id) DO UPDATE SET
                   model = excluded.model, aspect_ratio = excluded.aspect_ratio,
                   output_format = excluded.output_format, private = excluded.private,
                   suffix = excluded.suffix, updated_at = excluded.updated_at""",
            (
                preset.guild_id,
                preset.user_id,
                preset.model,
                preset.aspect_ratio,
                preset.output_format,
                None if preset.private is None else int(preset.private),
                preset.suffix,
                time.time(),
            ),
        )
