"""Command-line entry points that run without the gateway: `generate`, `sync-commands`, `backup`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fcntl
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import discord
from discord import app_commands

from bot.app import open_services
from bot.credits import format_credits
from bot.encoding import in_image_thread
from bot.errors import LOGIN_REFUSED, ConfigurationError, InvalidInput
from bot.image_tools import fit_expansion, prepare_fill
from bot.images import image_extension, prepare_reference
from bot.jobs.manager import JobManager, NewJob
from bot.jobs.model import Job, JobState, Origin
from bot.jobs.plan import expansion_asked, plan_job
from bot.jobs.polling import PollPolicy
from bot.jobs.sink import Progress
from bot.providers.catalog import EXPAND_MODEL, FILL_MODEL, SIDES
from bot.settings import Settings
from bot.store.backup import backup_database
from bot.store.db import refuse_newer_file
from bot.store.files import write_atomically
from bot.web import serve

#: The CLI runs as the operator: one local user id, no quota limit, charges still recorded.
CLI_USER_ID = 0


class CliSink:
    """Delivers CLI jobs: writes the image to the path recorded with the job, reports on stderr."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self._last: dict[str, JobState] = {}
        self.saved: dict[str, Path] = {}

    async def job_updated(self, job: Job, progress: Progress) -> None:
        if self.quiet or self._last.get(job.id) is progress.state:
            return
        self._last[job.id] = progress.state
        where = f" (position {progress.queue_position})" if progress.queue_position else ""
        print(f"job {job.id}: {progress.state.value}{where}", file=sys.stderr)

    async def deliver(self, job: Job, image: bytes) -> int | None:
        out = Path(job.params.get("out") or default_out(job.id, image))
        # Rewrites only this job's own file: a repeat after a crash (an existing `--out` was
        # refused before the job was submitted, unless `--force`).
        await asyncio.to_thread(_write_file, out, image)
        self.saved[job.id] = out
        print(f"saved {out} (seed {job.seed}, cost {format_credits(job.cost)} credits, job {job.id})")
        return None

    async def job_failed(self, job: Job) -> None:
        print(f"job {job.id}: {job.state.value}: {job.error_message}", file=sys.stderr)


def default_out(job_id: str, image: bytes) -> str:
    """`out-<job id>.<ext>`: one file per job, so a second run never replaces the first's image."""
    return f"out-{job_id}.{image_extension(image) or 'img'}"


def refuse_to_overwrite(path: Path | None, force: bool) -> None:
    """An existing file is replaced only with `--force`; checked before anything is spent."""
    if path is not None and path.exists() and not force:
        raise InvalidInput(f"{path} already exists; add --force to replace it")


def _write_file(path: Path, data: bytes) -> None:
    # Durable: once this returns the job is recorded as delivered and never written again.
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, data, durable=True)


@contextlib.contextmanager
def cli_lock(settings: Settings) -> Iterator[bool]:
    """Whether this process may resume other CLI runs' unfinished jobs.

    One CLI process at a time resumes (an exclusive lock beside the database, released by the
    kernel even on SIGKILL); a second one running meanwhile only runs its own job.
    """
    path = settings.files_dir / "cli.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


async def generate(
    settings: Settings,
    args: argparse.Namespace,
    *,
    mock_delay: float = 1.5,
    poll_policy: PollPolicy | None = None,
) -> int:
    """Run one job through the job manager and the store, without Discord, and save the image.

    Every run first resumes the CLI jobs a killed run left unfinished (see `cli_lock`);
    `generate --resume` (no prompt) only does that. Exit 0 when every job it waited for was
    delivered. With `WEBHOOK_PUBLIC_URL` it listens for callbacks on `HTTP_HOST`:`HTTP_PORT`.
    """
    resume_only = bool(getattr(args, "resume", False))
    tool = getattr(args, "tool", None)
    if tool == "expand" and args.prompt is None and not resume_only:
        args.prompt = ""  # Expand needs no words; `--zoom 2` alone is a prompt too
    if args.prompt is None and not resume_only:
        raise InvalidInput("give a PROMPT, or --resume to finish interrupted jobs")
    refuse_to_overwrite(args.out, args.force)
    tool_input = await read_tool_inputs(args) if args.prompt is not None else ToolInput()
    images = list(tool_input.images)
    if tool is None:
        for index, path in enumerate(args.image, start=1):
            data = await read_file(path)
            images.append(await in_image_thread(prepare_reference, data, f"--image {path.name or index}"))
    if settings.sqlite_file is not None:
        refuse_newer_file(settings.sqlite_file)  # before the lock file is made in DATA_DIR
    with cli_lock(settings) as may_resume:
        # The mock is built too, so that an interrupted mock job can be resumed; new jobs only
        # use it when asked for.
        async with open_services(
            settings, include_mock=True, mock_delay=mock_delay, poll_policy=poll_policy
        ) as services:
            manager: JobManager = services.manager
            sink = CliSink()
            manager.register_sink(Origin.CLI, sink)
            job: Job | None = None
            if args.prompt is not None:
                available = [
                    name
                    for name in services.providers
                    if name != "mock" or args.provider == "mock" or settings.enable_mock_provider
                ]
                plan = plan_job(
                    args.prompt,
                    {
                        "model": TOOL_MODELS[tool] if tool else args.model,
                        "seed": args.seed,
                        "finetune_id": getattr(args, "finetune_id", None),
                        "finetune_strength": getattr(args, "strength", None),
                        **tool_input.sides,
                    },
                    default_model=settings.default_model,
                    available=available,
                    preferred=settings.preferred_provider(),
                    provider=args.provider,
                    max_safety_tolerance=settings.max_safety_tolerance,
                    images=images,
                    mask=tool_input.mask,
                    kinds=(tool,) if tool else None,
                )
                print(f"{plan.spec.label} on {plan.provider}: {plan.prompt}", file=sys.stderr)
                if tool_input.note:
                    print(tool_input.note, file=sys.stderr)
                job = await manager.submit(
                    NewJob.from_plan(
                        plan,
                        origin=Origin.CLI,
                        user_id=CLI_USER_ID,
                        enforce_quota=False,
                        extra={"out": str(args.out) if args.out else None, "note": tool_input.note},
                    )
                )
            async with contextlib.AsyncExitStack() as stack:
                if settings.webhook_public_url:
                    await stack.enter_async_context(serve(settings, services, None))
                await manager.start(resume=may_resume)
                waited = [j.id for j in await services.jobs.unfinished([Origin.CLI])] if may_resume else []
                if job is not None and job.id not in waited:
                    waited.append(job.id)
                leftovers = len(waited) - (1 if job is not None else 0)
                if leftovers:
                    print(f"resuming {leftovers} unfinished job(s) of an earlier run", file=sys.stderr)
                results = [await manager.wait_for(job_id) for job_id in waited]
    failed = [done for done in results if done.state is not JobState.DELIVERED]
    for done in failed:
        print(f"job {done.id} {done.state.value}: {done.error_message}", file=sys.stderr)
    return 1 if failed else 0


#: `generate --tool` → the model it runs.
TOOL_MODELS = {"fill": FILL_MODEL, "expand": EXPAND_MODEL}


@dataclass(frozen=True, slots=True)
class ToolInput:
    """What `--tool fill|expand` sends besides the prompt: checked before anything is spent."""

    images: tuple[str, ...] = ()
    mask: str | None = None
    sides: dict[str, int] = field(default_factory=dict)
    note: str | None = None


async def read_file(path: Path) -> bytes:
    try:
        return await asyncio.to_thread(path.read_bytes)
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from None


async def read_tool_inputs(args: argparse.Namespace) -> ToolInput:
    """`--tool fill` (one --image, and --mask or its transparency) or `--tool expand` (one --image,
    sides or `--zoom`), checked as `/fill` and `/expand` check them; nothing for a model."""
    tool = getattr(args, "tool", None)
    sides = {side: getattr(args, side, None) for side in SIDES}
    if tool != "fill" and getattr(args, "mask", None) is not None:
        raise InvalidInput("--mask goes with --tool fill")
    if tool != "expand" and any(v is not None for v in sides.values()):
        raise InvalidInput("--top, --bottom, --left and --right go with --tool expand")
    if tool is None:
        return ToolInput()
    if args.model is not None:
        raise InvalidInput(f"--tool {tool} runs {TOOL_MODELS[tool]}; leave out --model")
    if len(args.image) != 1:
        raise InvalidInput(f"--tool {tool} takes exactly one --image")
    if tool == "fill":
        mask = await read_file(args.mask) if args.mask is not None else None
        filled = await in_image_thread(prepare_fill, await read_file(args.image[0]), mask)
        return ToolInput(images=(filled.image,), mask=filled.mask)
    zoom, asked = expansion_asked(args.prompt, sides)
    data = await read_file(args.image[0])
    expansion = await in_image_thread(fit_expansion, data, "--image", sides=asked or None, zoom=zoom)
    note = str(expansion.note) if expansion.note is not None else None  # the CLI speaks English
    return ToolInput(images=(expansion.image,), sides=expansion.sides(), note=note)


def backup(settings: Settings, target: Path, *, force: bool) -> int:
    """`python -m bot backup FILE [--force]`: see bot/store/backup.py; works while the bot runs."""
    source = settings.sqlite_file
    if source is None:
        raise InvalidInput(
            "backup copies the SQLite file; on PostgreSQL (DATABASE_URL=postgresql://…) use "
            "`pg_dump --format=custom --file=FILE DATABASE_URL` instead, and back up DATA_DIR beside it"
        )
    if not source.is_file():
        raise InvalidInput(f"there is no database at {source} to back up (DATABASE_PATH)")
    if target.resolve() == source.resolve():
        raise InvalidInput(f"{target} is the database itself; name another file")
    refuse_to_overwrite(target, force)
    version = backup_database(source, target)
    size = target.stat().st_size / 1e6
    print(f"backed up {source} to {target} (schema version {version}, {size:.1f} MB)")
    return 0


async def sync_tree(tree: app_commands.CommandTree[Any], guild_id: int | None) -> str:
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


async def sync_commands(settings: Settings, guild_id: int | None, *, clear: bool = False) -> int:
    """`python -m bot sync-commands [--clear] [--guild ID]`: log in over REST only, sync, log out."""
    from bot.discord.client import FluxBot
    from bot.discord.command_sync import clear_commands, remember_synced
    from bot.store.bot_state import BotState

    assert settings.discord_token is not None
    async with open_services(settings) as services:
        bot = FluxBot(services, sync="none")
        async with bot:
            try:
                await bot.login(settings.discord_token.get_secret_value())
            except discord.LoginFailure:
                raise ConfigurationError(LOGIN_REFUSED) from None
            state = BotState(services.db)
            if clear:
                print(await clear_commands(bot.tree, state, guild_id))
                return 0
            print(await sync_tree(bot.tree, guild_id))
            await remember_synced(bot.tree, state, guild_id)  # the next start need not sync again
            if guild_id is None:
                for owner_guild in settings.owner_guild_ids:  # /owner, registered only there
                    synced = await bot.tree.sync(guild=discord.Object(id=owner_guild))
                    await remember_synced(bot.tree, state, owner_guild)
                    print(f"synced {len(synced)} owner command(s) to guild {owner_guild}")
    return 0
