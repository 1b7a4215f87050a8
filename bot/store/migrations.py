"""The numbered schema migrations, one set for every backend.

`migrations/NNNN_name.sql` is used by both dialects when its SQL is portable. Where the dialects
differ, a file for one dialect sits beside it and wins for that dialect (`NNNN_name.postgresql.sql`),
or the migration is a pair with no portable file (`NNNN_name.sqlite.sql` + `NNNN_name.postgresql.sql`).
Numbers run 0001, 0002, … without gaps; a number has one name.
"""

from __future__ import annotations

import re
from pathlib import Path

from bot.errors import ConfigurationError
from bot.store.statements import POSTGRESQL, SQLITE

DIALECTS = (SQLITE, POSTGRESQL)
_MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+?)(?:\.(sqlite|postgresql))?\.sql$")


def migrations_dir() -> Path:
    """`bot/migrations` in an installed wheel, else the checkout's top-level `migrations/`."""
    installed = Path(__file__).resolve().parent.parent / "migrations"
    if installed.is_dir():
        return installed
    return Path(__file__).resolve().parents[2] / "migrations"


def list_migrations(folder: Path | None = None, dialect: str = SQLITE) -> list[tuple[int, Path]]:
    """(number, file) of each migration, in order, as `dialect` runs them."""
    folder = folder or migrations_dir()
    by_number: dict[int, dict[str | None, Path]] = {}
    names: dict[int, str] = {}
    for path in sorted(folder.glob("*.sql")):
        match = _MIGRATION_NAME.match(path.name)
        if not match:
            raise RuntimeError(
                f"migration file {path.name} is not named NNNN_name.sql (or NNNN_name.<dialect>.sql)"
            )
        number, name, variant = int(match.group(1)), match.group(2), match.group(3)
        if names.setdefault(number, name) != name:
            raise RuntimeError(f"migration {number:04d} has two names: {names[number]} and {name}")
        by_number.setdefault(number, {})[variant] = path
    numbers = sorted(by_number)
    if numbers != list(range(1, len(numbers) + 1)):
        raise RuntimeError(f"migrations must be numbered 0001, 0002, … without gaps; found {numbers}")
    found = []
    for number in numbers:
        files = by_number[number]
        if None not in files and set(files) != set(DIALECTS):
            raise RuntimeError(f"migration {number:04d} has no portable file and not one per dialect")
        found.append((number, files.get(dialect, files.get(None, files.get(SQLITE)))))
    return [(n, p) for n, p in found if p is not None]


def latest_schema_version(folder: Path | None = None) -> int:
    """The schema version this code migrates to: its newest migration's number."""
    migrations = list_migrations(folder)
    return migrations[-1][0] if migrations else 0


class SchemaTooNew(ConfigurationError):
    """The database was migrated by a newer fluxbot: this code does not know its schema."""

    def __init__(self, where: Path | str, version: int, latest: int) -> None:
        super().__init__(
            f"the database {where} is at schema version {version}, newer than this fluxbot knows "
            f"({latest}): run the newer fluxbot, or restore the backup taken before the upgrade"
        )


def refuse_newer_schema(where: Path | str, version: int, folder: Path | None = None) -> None:
    latest = latest_schema_version(folder)
    if version > latest:
        raise SchemaTooNew(where, version, latest)
