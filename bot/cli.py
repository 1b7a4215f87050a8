"""Command-line entry points that run without the gateway: `generate`, `doctor`, `sync-commands`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import discord
from discord import app_commands

from bot.app import open_services
from bot.errors import InvalidInput
from bot.images import prepare_reference
from bot.jobs.manager import JobManager, NewJob, Progress
from bot.jobs.model import Job, JobState, Origin
from bot.jobs.plan import plan_job
from bot.jobs.polling import PollPolicy
from bot.providers.base import ProviderError
from bot.providers.catalog import MODELS
from bot.quota import format_credits
from bot.settings import Settings

#: The CLI runs as the operator: one local user id, no quota limit, charges still recorded.
CLI_USER_ID = 0


class CliSink:
    """Delivers CLI jobs: writes the image to the path recorded with the job, reports on stderr."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self._last: JobState | None = None
        self.saved: dict[str, Path] = {}

    async def job_updated(self, job: Job, progress: Progress) -> None:
        if self.quiet or progress.state is self._last:
            return
        self._last = progress.state
        where = f" (position {progress.queue_position})" if progress.queue_position else ""
        print(f"job {job.id}: {progress.state.value}{where}", file=sys.stderr)

    async def deliver(self, job: Job, image: bytes) -> int | None:
        out = Path(job.params.get("out") or f"out-{job.model}.{image_extension(image)}")
        out.parent.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(out.write_bytes, image)
        self.saved[job.id] = out
        return None

    async def job_failed(self, job: Job) -> None:
        print(f"job {job.id}: {job.state.value}: {job.error_message}", file=sys.stderr)


def image_extension(data: bytes) -> str:
    """The file extension the bytes call for (providers differ: BFL answers JPEG by default)."""
    if data.startswith(b"\x89PNG"):
        return "png"
    if data.startswith(b"\xff\xd8"):
        return "jpg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return "img"


async def generate(
    settings: Settings,
    args: argparse.Namespace,
    *,
    mock_delay: float = 1.5,
    poll_policy: PollPolicy | None = None,
) -> int:
    """Run one job through the job manager and the store, without Discord, and save the image."""
    images = []
    for index, path in enumerate(args.image, start=1):
        try:
            data = await asyncio.to_thread(path.read_bytes)
        except OSError as exc:
            raise InvalidInput(f"cannot read {path}: {exc.strerror}") from None
        images.append(await asyncio.to_thread(prepare_reference, data, f"--image {path.name or index}"))
    async with open_services(
        settings, include_mock=args.provider == "mock", mock_delay=mock_delay, poll_policy=poll_policy
    ) as services:
        available = list(services.providers)
        plan = plan_job(
            args.prompt,
            {
                "model": args.model,
                "seed": args.seed,
                "finetune_id": getattr(args, "finetune_id", None),
                "finetune_strength": getattr(args, "strength", None),
            },
            default_model=settings.default_model,
            available=available,
            preferred=settings.preferred_provider(),
            provider=args.provider,
            max_safety_tolerance=settings.max_safety_tolerance,
            images=images,
        )
        manager: JobManager = services.manager
        sink = CliSink()
        manager.register_sink(Origin.CLI, sink)
        print(f"{plan.spec.label} on {plan.provider}: {plan.prompt}", file=sys.stderr)
        job = await manager.submit(
            NewJob(
                id=None,
                origin=Origin.CLI,
                provider=plan.provider,
                model=plan.spec.id,
                prompt=plan.prompt,
                request=plan.request,
                options=plan.options.public(),
                user_id=CLI_USER_ID,
                enforce_quota=False,
                extra={"out": str(args.out) if args.out else None},
            )
        )
        await manager.start()
        done = await manager.wait_for(job.id)
        if done.state is JobState.DELIVERED:
            out = sink.saved.get(done.id, args.out)
            print(f"saved {out} (seed {done.seed}, cost {format_credits(done.cost)} credits, job {done.id})")
            return 0
        print(f"job {done.id} {done.state.value}: {done.error_message}", file=sys.stderr)
        return 1


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


async def doctor(settings: Settings) -> int:
    """Check configuration, database and each configured provider key; say plainly what is wrong.

    BFL: `GET /v1/credits` (the key works, and the balance). TTAPI publishes no balance endpoint:
    a fetch of a job id that cannot exist proves the key is accepted without spending anything.
    """
    problems: list[str] = []

    def problem(line: str) -> None:
        problems.append(line)
        print(f"  PROBLEM: {line}")

    print(f"database: {settings.database_path}")
    try:
        async with open_services(settings) as services:
            print(f"  ok, schema version {await services.db.schema_version()}")
            print("discord:")
            if settings.discord_token is None:
                problem("DISCORD_TOKEN is not set (needed to run the bot and to sync commands)")
            else:
                print("  token is set")
            print("providers:")
            if not services.providers:
                problem("none configured: set TTAPI_API_KEY or BFL_API_KEY (or ENABLE_MOCK_PROVIDER=true)")
            for name, provider in services.providers.items():
                try:
                    print(f"  {name}: {await provider.check()}")
                except ProviderError as exc:
                    key, url = _SETTING_NAMES.get(name, ("its key", "its base URL"))
                    hint = _FIX_HINT.get(exc.kind, "see the provider's status page").format(key=key, url=url)
                    problem(f"{name}: {exc.message} ({hint})")
            _check_models(settings, list(services.providers), problem)
    except OSError as exc:
        problem(f"cannot open the database: {exc.strerror}")
    print("all good" if not problems else f"{len(problems)} problem(s) found")
    return 0 if not problems else 1


def _check_models(settings: Settings, available: list[str], problem: Callable[[str], None]) -> None:
    print("models:")
    preferred = settings.preferred_provider()
    for spec in MODELS.values():
        serving = [p for p in available if p in spec.routes]
        if serving:
            chosen = preferred if preferred in serving else serving[0]
            print(f"  {spec.id}: {chosen}")
    if settings.default_model not in MODELS:
        problem(f"DEFAULT_MODEL {settings.default_model!r} is not a known model")
    elif "mock" not in available and not any(p in MODELS[settings.default_model].routes for p in available):
        problem(f"DEFAULT_MODEL {settings.default_model} is not offered by a configured provider")


async def sync_tree(bot: discord.Client, tree: app_commands.CommandTree[Any], guild_id: int | None) -> str:
    """Register the slash commands globally (up to an hour to appear) or in one guild (instant)."""
    if guild_id:
        guild = discord.Object(id=guild_id)
        tree.copy_global_to(guild=guild)
        synced = await tree.sync(guild=guild)
        return f"synced {len(synced)} commands to guild {guild_id}: " + ", ".join(
            f"/{c.name}" for c in synced
        )
    synced = await tree.sync()
    return f"synced {len(synced)} commands globally (they can take up to an hour to appear): " + ", ".join(
        f"/{c.name}" for c in synced
    )


async def sync_commands(settings: Settings, guild_id: int | None) -> int:
    """`python -m bot sync-commands [--guild ID]`: log in over REST only, sync, log out."""
    from bot.discord.client import FluxBot

    assert settings.discord_token is not None
    async with open_services(settings) as services:
        bot = FluxBot(services, sync="none")
        async with bot:
            try:
                await bot.login(settings.discord_token.get_secret_value())
            except discord.LoginFailure:
                print("Discord refused DISCORD_TOKEN; check it in the developer portal", file=sys.stderr)
                return 2
            print(await sync_tree(bot, bot.tree, guild_id))
    return 0
