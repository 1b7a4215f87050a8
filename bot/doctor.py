"""`python -m bot doctor [--fix]`: prove the setup works, changing nothing (unless `--fix`).

It logs in to Discord with the token (`GET /users/@me`, which spends nothing and opens no
gateway), prints the invite URL, checks each provider key without spending a credit, names the
models no configured provider serves, and reads the database's schema version without creating,
locking or migrating it. `--fix` may create or migrate the database; nothing else is ever changed.
Exit 0 when every check passed, 1 when one failed (configuration errors exit 2 before it runs).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import UTC, datetime

import aiohttp
import discord
from discord.utils import oauth_url

from bot import __version__
from bot.app import USER_AGENT, build_providers, images_dir
from bot.errors import DISCORD_UNREACHABLE, LOGIN_REFUSED
from bot.jobs.model import Origin
from bot.providers.base import Provider, ProviderError
from bot.providers.catalog import MODELS
from bot.settings import Settings
from bot.store import errors as store_errors
from bot.store import open_database, shown
from bot.store.db import latest_schema_version, read_file_only, read_schema_version
from bot.store.jobs import RETIRED, RETIRED_MODELS_SQL, JobRepository, RetiredModel, retired_models_of
from bot.store.retention import MB, FreeSpace, folder_bytes

#: Exactly what the bot needs in a channel (README, "A Discord application").
BOT_PERMISSIONS = discord.Permissions(
    send_messages=True, attach_files=True, embed_links=True, read_message_history=True
)
BOT_SCOPES = ("bot", "applications.commands")

#: What to tell the operator to look at, by provider error kind.
_FIX_HINT = {
    "auth": "check {key}",
    "credit": "top up the provider account",
    "network": "check {url} and the network",
    "server": "the provider had an error; try again later",
    "busy": "the provider is busy; try again later",
}
_SETTING_NAMES = {
    "ttapi": ("TTAPI_API_KEY", "TTAPI_BASE_URL"),
    "bfl": ("BFL_API_KEY", "BFL_BASE_URL"),
}


class Report:
    """The lines doctor prints, and the problems among them."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def section(self, title: str) -> None:
        print(title)

    def ok(self, line: str) -> None:
        print(f"  {line}")

    def problem(self, line: str) -> None:
        self.problems.append(line)
        print(f"  PROBLEM: {line}")


async def doctor(settings: Settings, *, fix: bool = False) -> int:
    report = Report()
    current = await check_database(settings, report, fix=fix)
    check_disk(settings, report)
    async with aiohttp.ClientSession(
        headers={"User-Agent": USER_AGENT}, timeout=aiohttp.ClientTimeout(total=30)
    ) as http:
        await check_discord(settings, http, report)
        providers = build_providers(settings, http)
        await check_providers(providers, report)
    check_models(settings, list(providers), report)
    if current:
        await check_retired_seen(settings, report)
        await check_workers(settings, list(providers), report)
    print("all good" if not report.problems else f"{len(report.problems)} problem(s) found")
    return 0 if not report.problems else 1


async def check_database(settings: Settings, report: Report, *, fix: bool) -> bool:
    """The schema version, read only; with `fix`, a missing or older database is migrated.
    True when the database is at the newest schema (other checks may then read it)."""
    report.section(f"database: {shown(settings.store_url)}")
    latest = latest_schema_version()
    try:
        version = await stored_schema_version(settings)
    except store_errors.STORE_ERRORS as exc:
        report.problem(f"cannot read it ({exc}); is it a fluxbot database?")
        return False
    except OSError as exc:  # PostgreSQL: nothing answers at that address
        report.problem(f"cannot reach it ({exc})")
        return False
    if version is not None and version > latest:
        report.problem(
            f"schema version {version} is newer than this fluxbot knows ({latest}): "
            "run the newer fluxbot, or restore the backup taken before the upgrade"
        )
        return False
    if version == latest:
        report.ok(f"ok, schema version {version}")
        return True
    if fix:
        async with open_database(settings.store_url, data_dir=settings.files_dir) as db:
            report.ok(f"migrated from schema version {version or 0} to {await db.schema_version()}")
        return True
    fix_hint = "run `python -m bot migrate` or `python -m bot doctor --fix`"
    if version is None:
        report.problem(f"it does not exist yet: {fix_hint} (the bot also creates it when it starts)")
    else:
        report.problem(f"schema version {version}: {latest - version} migrations pending, {fix_hint}")
    return False


async def stored_schema_version(settings: Settings) -> int | None:
    """The database's schema version, changing nothing; None when there is no SQLite file yet."""
    sqlite_file = settings.sqlite_file
    if sqlite_file is not None:
        return read_schema_version(sqlite_file)
    async with open_database(settings.store_url, data_dir=settings.files_dir, migrate=False) as db:
        return await db.schema_version()


def check_disk(settings: Settings, report: Report) -> None:
    """Megabytes of images in DATA_DIR (RETENTION_DAYS bounds them) and the free-space floor."""
    folder = settings.files_dir
    if not folder.is_dir():
        return
    images, inputs = folder_bytes(images_dir(settings)), folder_bytes(folder / "inputs")
    space = FreeSpace(folder, settings.min_free_disk_mb)
    line = (
        f"disk: result images {images / MB:.1f} MB, reference images {inputs / MB:.1f} MB, "
        f"{space.free_bytes() // MB} MB free (MIN_FREE_DISK_MB {settings.min_free_disk_mb})"
    )
    if space.enough():
        report.ok(line)
    else:
        report.problem(f"{line}: new jobs are refused until there is more room")


async def check_discord(settings: Settings, http: aiohttp.ClientSession, report: Report) -> None:
    """Log in over REST with the token and print the invite URL for this bot.

    The address is discord.py's own (`Route.BASE`), which the bot uses too, and which tests point
    at a fake Discord on loopback (tests/fakes/discord.py).
    """
    report.section("discord:")
    if settings.discord_token is None:
        report.problem("DISCORD_TOKEN is not set (needed to run the bot and to sync commands)")
        return
    headers = {
        "Authorization": f"Bot {settings.discord_token.get_secret_value()}",
        # Discord asks bots to name themselves this way.
        "User-Agent": f"DiscordBot (https://github.com/fluxbot, {__version__})",
    }
    try:
        async with http.get(f"{discord.http.Route.BASE}/users/@me", headers=headers) as response:
            status = response.status
            user = await response.json() if status == 200 else None
    except (aiohttp.ClientError, TimeoutError, ValueError):
        report.problem(DISCORD_UNREACHABLE)
        return
    if status == 401:
        report.problem(LOGIN_REFUSED)
        return
    if user is None or "id" not in user:
        report.problem(f"Discord answered {status} to GET /users/@me; try again later")
        return
    report.ok(f"logged in as {user.get('username', '?')} (id {user['id']})")
    invite = oauth_url(int(user["id"]), permissions=BOT_PERMISSIONS, scopes=BOT_SCOPES)
    report.ok(f"invite URL: {invite}")


async def check_providers(providers: dict[str, Provider], report: Report) -> None:
    """Each key, without spending anything (see each provider's `check`)."""
    report.section("providers:")
    if not providers:
        report.problem("none configured: set TTAPI_API_KEY or BFL_API_KEY (or ENABLE_MOCK_PROVIDER=true)")
    for name, provider in providers.items():
        try:
            report.ok(f"{name}: {await provider.check()}")
        except ProviderError as exc:
            key, url = _SETTING_NAMES.get(name, ("its key", "its base URL"))
            hint = _FIX_HINT.get(exc.kind, "see the provider's status page").format(key=key, url=url)
            report.problem(f"{name}: {exc.message} ({hint})")


def check_models(settings: Settings, available: list[str], report: Report) -> None:
    """Which provider serves each model, which models none serves, which the operator switched off
    or the provider may have retired, and whether DEFAULT_MODEL is served."""
    report.section("models:")
    preferred = settings.preferred_provider()
    disabled = settings.disabled_models
    unserved = []
    for spec in MODELS.values():
        serving = [p for p in available if p in spec.routes]
        if spec.id in disabled:
            continue
        if serving:
            report.ok(f"{spec.id}: {preferred if preferred in serving else serving[0]}")
        elif "mock" not in available:  # the mock stands in for every model
            unserved.append(f"{spec.id} (needs {' or '.join(_key_names(spec.routes))})")
    if unserved:
        report.ok("not served by the configured providers: " + ", ".join(unserved))
    if disabled:
        report.ok("switched off (DISABLED_MODELS): " + ", ".join(m for m in disabled if m in MODELS))
    unknown = [m for m in disabled if m not in MODELS]
    if unknown:
        report.problem(f"DISABLED_MODELS names unknown models: {', '.join(unknown)}")
    for line in retiring_models(available, disabled):
        report.ok(line)
    if settings.default_model not in MODELS:
        report.problem(f"DEFAULT_MODEL {settings.default_model!r} is not a known model")
    elif settings.default_model in disabled:
        report.problem(f"DEFAULT_MODEL {settings.default_model} is switched off by DISABLED_MODELS")
    elif "mock" not in available and not any(p in MODELS[settings.default_model].routes for p in available):
        report.problem(f"DEFAULT_MODEL {settings.default_model} is not offered by a configured provider")


def retiring_models(available: list[str], disabled: Iterable[str] = ()) -> list[str]:
    """Models a configured provider has deprecated or dropped from its specification
    (PROVIDERS-NEXT.md §5): they stay offered, and a submit that meets a retired endpoint (404,
    405, 410) fails plainly with nothing charged; `DISABLED_MODELS` hides them."""
    hidden = set(disabled)
    return [
        f"may be retired by {provider}: {spec.id} ({route.retiring}); hide it with DISABLED_MODELS={spec.id}"
        for spec in MODELS.values()
        for provider, route in spec.routes.items()
        if route.retiring and provider in available and spec.id not in hidden
    ]


async def check_retired_seen(settings: Settings, report: Report) -> None:
    """The models a configured provider answered as no longer offered (404, 405 or 410 to a
    submit): each such job failed with nothing charged; hiding the model spares the next member."""
    try:
        seen = await retired_models_seen(settings)
    except store_errors.STORE_OR_DISK_ERRORS:
        return  # check_database has said what is wrong with the store
    for row in seen:
        if row.model in settings.disabled_models:
            continue
        when = datetime.fromtimestamp(row.last, UTC).strftime("%Y-%m-%d %H:%M UTC")
        report.ok(
            f"{row.provider} answered {row.model} as no longer offered (HTTP 404/405/410) for {row.jobs} "
            f"job(s), the last at {when}; hide it with DISABLED_MODELS={row.model}"
        )


async def retired_models_seen(settings: Settings) -> list[RetiredModel]:
    """Read only: the SQLite file as `read_schema_version` reads it, PostgreSQL unmigrated."""
    sqlite_file = settings.sqlite_file
    if sqlite_file is not None:
        rows = await asyncio.to_thread(read_file_only, sqlite_file, RETIRED_MODELS_SQL, (RETIRED,))
        return retired_models_of(rows)
    async with open_database(settings.store_url, data_dir=settings.files_dir, migrate=False) as db:
        return await JobRepository(db).retired_models()


async def check_workers(settings: Settings, available: list[str], report: Report) -> None:
    """PostgreSQL: the providers the running workers drive, and jobs no running worker can take
    (a worker claims only jobs of the providers it has a key for; bot/jobs/unserved.py)."""
    if settings.sqlite_file is not None:
        return  # one process drives every job
    from bot.store.claims import ClaimStore  # asyncpg: only on PostgreSQL
    from bot.store.postgres import PostgresDatabase

    try:
        async with open_database(settings.store_url, data_dir=settings.files_dir, migrate=False) as db:
            if not isinstance(db, PostgresDatabase):
                return
            store = ClaimStore(db)
            served = await store.served()
            waiting = await store.waiting_by_provider([origin.value for origin in Origin])
    except store_errors.STORE_OR_DISK_ERRORS:
        return  # check_database has said what is wrong with the store
    report.section("workers (PostgreSQL)")
    if served is None:
        report.ok("none is running now (`python -m bot run --role worker` or `--role all`): queued jobs wait")
        return
    report.ok(f"the running workers drive: {', '.join(sorted(served)) or 'no provider'}")
    for provider in sorted(set(available) - served):
        report.problem(
            f"no running worker drives {provider}, which this process has a key for: its jobs are "
            f"accepted, then fail after JOB_TIMEOUT_SECONDS; set {_key_of(provider)} on a worker"
        )
    for provider, count in sorted(waiting.items()):
        if provider not in served and provider not in available:
            report.problem(
                f"{count} queued job(s) of {provider} wait and no running worker drives it: they fail "
                f"after JOB_TIMEOUT_SECONDS unless a worker with {_key_of(provider)} starts"
            )


def _key_of(provider: str) -> str:
    return _SETTING_NAMES.get(provider, (f"{provider.upper()}_API_KEY",))[0]


def _key_names(providers: Iterable[str]) -> list[str]:
    return [_SETTING_NAMES[name][0] for name in providers if name in _SETTING_NAMES]
