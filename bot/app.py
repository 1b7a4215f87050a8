"""The composition root: settings → store → HTTP session → providers → quota → job manager.

`open_services` owns every lifetime (`async with`), and everything is passed on by constructor:
no module-level singletons, no global sessions. The CLI and the Discord bot both run on it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import aiohttp

from bot.heap import release_freed_heap
from bot.jobs.manager import JobManager
from bot.jobs.model import Job
from bot.jobs.polling import PollPolicy
from bot.providers.base import Callback, Provider
from bot.providers.bfl import BFLProvider
from bot.providers.catalog import MODELS, megapixel_price, megapixel_prices, price_table, route_prices
from bot.quota import QuotaService
from bot.settings import Settings
from bot.store import Database, open_database
from bot.store.jobs import JobRepository
from bot.store.ledger import Ledger
from bot.store.retention import FreeSpace, Retention
from bot.store.statements import POSTGRESQL

if TYPE_CHECKING:
    from bot.admin_actions import AdminActions
    from bot.balance import BalanceWatch
    from bot.store.operator import AuditLines, ControlsCache, OwnerControls, PromptRules

USER_AGENT = "fluxbot/0.1 (+https://github.com/fluxbot)"


@dataclass
class Services:
    """What a process runs on. The job core is built by `open_services`; what only the Discord bot,
    /admin, /owner or the web dashboard use is built (and its module imported) on first use, so a
    process that only drives jobs (the CLI, `ours_worker.py`) does without it."""

    settings: Settings
    db: Database
    http: aiohttp.ClientSession
    jobs: JobRepository
    ledger: Ledger
    quota: QuotaService
    providers: dict[str, Provider]
    manager: JobManager
    retention: Retention  # the RETENTION_DAYS sweep and the disk-use gauges
    space: FreeSpace  # the MIN_FREE_DISK_MB floor
    #: PostgreSQL: this process's copy of the pause, blocks, prompt rules and presets (`owner`).
    controls: ControlsCache | None = None

    @cached_property
    def audit(self) -> AuditLines:
        """Lines waiting for servers' audit channels."""
        from bot.store.operator import AuditLines

        return AuditLines(self.db)

    @cached_property
    def rules(self) -> PromptRules:
        """/admin rules."""
        from bot.store.operator import PromptRules

        return PromptRules(self.db)

    @cached_property
    def owner(self) -> OwnerControls:
        """/owner: pause, blocks, stats."""
        from bot.store.operator import OwnerControls

        return OwnerControls(self.db, self.controls)

    @cached_property
    def balance(self) -> BalanceWatch:
        """The BFL balance (started by the bot, not by the CLI)."""
        from bot.balance import BalanceWatch
        from bot.store.bot_state import BotState

        bfl = self.providers.get("bfl")
        return BalanceWatch(
            bfl if isinstance(bfl, BFLProvider) else None,
            BotState(self.db),
            self.manager.metrics,
            threshold=self.settings.low_balance_credits,
        )

    @cached_property
    def admin(self) -> AdminActions:
        """Operators' writes and their audit lines (/admin and the web dashboard)."""
        from bot.admin_actions import AdminActions, AuditRecorder

        recorder = AuditRecorder(
            self.quota.guilds, self.audit, default_language=self.settings.default_language
        )
        return AdminActions(self.quota, recorder)

    async def stop_balance(self) -> None:
        """Stop the balance watch, if anything built it."""
        if (balance := vars(self).get("balance")) is not None:
            await balance.stop()


def build_providers(
    settings: Settings, http: aiohttp.ClientSession, *, mock_delay: float = 2.0, include_mock: bool = False
) -> dict[str, Provider]:
    """A client for each provider with a key; the mock when enabled (or asked for by the CLI)."""
    providers: dict[str, Provider] = {}
    if settings.ttapi_api_key is not None:
        from bot.providers.ttapi import TTAPIProvider  # (imported by a process that uses it only)

        providers["ttapi"] = TTAPIProvider(
            session=http, base_url=settings.ttapi_base_url, api_key=settings.ttapi_api_key
        )
    if settings.bfl_api_key is not None:
        providers["bfl"] = BFLProvider(
            session=http,
            base_url=settings.bfl_base_url,
            finetune_base_url=settings.bfl_finetune_base_url,
            api_key=settings.bfl_api_key,
            prices=route_prices("bfl"),
            megapixel_prices=megapixel_prices("bfl"),
        )
    if settings.enable_mock_provider or include_mock:
        # Imported here: the mock draws with Pillow, which a bot without it need not load (~4 MB).
        from bot.providers.mock import MockProvider

        mock_prices = {
            model: price for (provider, model), price in price_table().items() if provider == "mock"
        }
        per_mp = {spec: price for spec in MODELS if (price := megapixel_price(spec, "mock")) is not None}
        providers["mock"] = MockProvider(delay=mock_delay, prices=mock_prices, megapixel_prices=per_mp)
    return providers


#: Connections the providers' HTTP session keeps open at most (aiohttp's default: 100). Over TLS,
#: as the providers serve, each costs ~290 KB: asyncio's SSLProtocol reads into a 256 KiB buffer of
#: its own. With 200 jobs at once the bot peaked at 84.3 MB with 100, 64.7 MB with 32
#: (benchmarks/vs_official_client.py, over HTTPS). Requests are short and paced by the providers' rate
#: limits (BFL 20/s), so a request rarely waits for a connection; when one does, it waits in
#: aiohttp's queue, inside the request's timeout.
HTTP_CONNECTIONS = 32


@asynccontextmanager
async def open_services(
    settings: Settings,
    *,
    include_mock: bool = False,
    mock_delay: float = 2.0,
    poll_policy: PollPolicy | None = None,
    providers: dict[str, Provider] | None = None,
    rate_limits: dict[str, float] | None = None,
    drive: bool = True,
) -> AsyncIterator[Services]:
    """Open the store and the HTTP session, build providers and the job manager; close all on exit.

    The job manager is built but not started: the caller registers its sink first. `drive=False`
    (a gateway, bot/roles.py): its manager accepts and cancels jobs but never drives one.
    """
    settings.files_dir.mkdir(mode=0o700, parents=True, exist_ok=True)  # DATA_DIR: images, inputs
    async with (
        open_database(settings.store_url, data_dir=settings.files_dir) as db,
        aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=HTTP_CONNECTIONS),
            headers={"User-Agent": USER_AGENT},
            timeout=aiohttp.ClientTimeout(total=60),
        ) as http,
    ):
        jobs = JobRepository(db)
        ledger = Ledger(db)
        quota = QuotaService(settings, ledger, price_table())
        if providers is None:
            providers = build_providers(settings, http, mock_delay=mock_delay, include_mock=include_mock)
        space = FreeSpace(settings.files_dir, settings.min_free_disk_mb)
        # On PostgreSQL this process is one of several sharing the jobs: it claims those it drives.
        claim_store = None
        guild_changes = None
        controls = None
        if db.dialect == POSTGRESQL:  # imported only then: a process on SQLite does without asyncpg
            from bot.store.claims import ClaimStore
            from bot.store.guild_changes import GuildChanges
            from bot.store.postgres import PostgresDatabase

            if isinstance(db, PostgresDatabase):
                from bot.store.operator import ControlsCache

                claim_store = ClaimStore(db)
                # Another process's /admin settings or limits, and anyone's pause, blocks, prompt
                # rules and presets, reach this one's caches at once.
                controls = ControlsCache()
                db.controls = controls  # its own writes drop it at once (`forget_controls`)
                guild_changes = GuildChanges(db, quota.guilds, controls)
        manager = JobManager(
            db=db,
            jobs=jobs,
            quota=quota,
            providers=providers,
            images_dir=images_dir(settings),
            max_active_per_user=settings.max_active_jobs_per_user,
            max_queued_per_user=settings.max_queued_jobs_per_user,
            concurrency=settings.provider_concurrency,
            job_timeout=settings.job_timeout_seconds,
            poll_policy=poll_policy,
            callback_url=callback_urls(settings),
            rate_limits=rate_limits,
            space=space,
            drive=drive,
            claim_store=claim_store,
            lease=settings.worker_lease_seconds,
        )
        retention = Retention(
            db, jobs, images_dir(settings), days=settings.retention_days, metrics=manager.metrics, space=space
        )
        retention.start()
        if guild_changes is not None:
            guild_changes.start()
        services = Services(
            settings, db, http, jobs, ledger, quota, providers, manager, retention, space, controls
        )
        release_freed_heap()  # what importing and building all this freed (bot/heap.py)
        try:
            yield services
        finally:
            await services.stop_balance()
            await retention.stop()
            await manager.stop()
            if guild_changes is not None:
                await guild_changes.stop()


def callback_urls(settings: Settings) -> Callable[[Job], Callback | None] | None:
    """With `WEBHOOK_PUBLIC_URL`, each job asks its provider to call back (see bot/web.py).

    TTAPI sends no signature, so its URL carries the job's unguessable token in the path. BFL gets a
    token-free URL and the token as the job's `webhook_secret` (sent back in `X-Webhook-Secret` or
    used for an `X-BFL-Signature` HMAC). The mock provider never calls back.
    """
    base = settings.webhook_public_url
    if not base:
        return None

    def build(job: Job) -> Callback | None:
        if job.callback_token is None:
            return None
        if job.provider == "ttapi":
            return Callback(f"{base}/callbacks/ttapi/{job.id}/{job.callback_token}")
        if job.provider == "bfl":
            return Callback(f"{base}/callbacks/bfl/{job.id}", secret=job.callback_token)
        return None

    return build


def images_dir(settings: Settings) -> Path:
    """Finished images are kept in `DATA_DIR` (a restart can still post them) until RETENTION_DAYS."""
    return settings.files_dir / "images"
