"""`python -m bot [run|migrate|sync-commands|doctor|backup|generate]`, and `--version`.

Exit codes (`EXIT_CODES`): 0 ok, 1 a runtime failure, 2 usage or configuration. Bad settings end
the process with exit code 2 and one readable line per problem: never a traceback, never a
secret's value.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.metadata
import logging
import sys
from collections.abc import Awaitable, Sequence
from pathlib import Path

from pydantic import ValidationError

from bot import __version__
from bot.errors import DISCORD_UNREACHABLE, ConfigurationError, UserFacingError
from bot.event_loop import loop_factory
from bot.event_loop import run as run_on
from bot.logs import setup_logging
from bot.roles import Role, may_run
from bot.settings import Settings, load_settings, settings_problems

log = logging.getLogger("bot")

EXIT_CONFIG = 2
#: `generate --top/--bottom/--left/--right`, for `--help`.
SIDE_HELP = {
    "top": "with --tool expand: pixels added above, 0-2048",
    "bottom": "with --tool expand: pixels added below, 0-2048",
    "left": "with --tool expand: pixels added on the left, 0-2048",
    "right": "with --tool expand: pixels added on the right, 0-2048",
}


EXIT_CODES = """exit codes:
  0  done, every check passed
  1  it ran and something failed: a job, a check, a refused input or file
  2  usage or configuration: a wrong option, a bad or missing setting, a database from a newer fluxbot
  128 + signal  interrupted: Ctrl-C (130) during a one-shot command, a second signal while stopping
"""


def installed_version() -> str:
    """The installed package's version; the source's when it runs from a checkout that is not installed."""
    try:
        return importlib.metadata.version("fluxbot")
    except importlib.metadata.PackageNotFoundError:
        return __version__


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="fluxbot: FLUX images on Discord. Settings come from the environment and ./.env.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"fluxbot {installed_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, summary: str, details: str = "") -> argparse.ArgumentParser:
        return commands.add_parser(
            name, help=summary, description=f"{summary[0].upper()}{summary[1:]}. {details}".strip()
        )

    run = command(
        "run",
        "run the bot (the default)",
        "Migrates the database, resumes unfinished jobs, connects to Discord and serves HTTP_HOST:HTTP_PORT.",
    )
    run.add_argument(
        "--role",
        choices=[role.value for role in Role],
        default=Role.ALL.value,
        help="all: everything in one process (the default, the only role on SQLite); gateway: the "
        "Discord gateway (SHARD_COUNT, SHARD_IDS), answering commands and storing jobs; worker: "
        "drives the jobs and delivers them over Discord's REST API (README, Scaling out)",
    )
    command("migrate", "bring the database to the newest schema and exit")
    sync = command(
        "sync-commands",
        "register slash commands globally or in one guild",
        "Global commands can take up to an hour to appear; a guild's appear at once. The bot also "
        "registers them by itself at start when they changed. --clear removes stale copies.",
    )
    sync.add_argument("--guild", type=int, help="guild id to sync to (instant) instead of globally")
    sync.add_argument("--clear", action="store_true", help="remove the commands (globally or from --guild)")
    doctor = command(
        "doctor",
        "check the token, provider keys, models and database",
        "Logs in to Discord, prints the invite URL, checks each key without spending anything and "
        "reads the database's schema version. Changes nothing unless --fix.",
    )
    doctor.add_argument("--fix", action="store_true", help="create or migrate the database if needed")
    backup = command(
        "backup",
        "copy the database to FILE, consistently, while the bot runs",
        "Uses SQLite's online backup; the images/ and inputs/ folders beside the database are "
        "copied with your usual tools (README, Backups).",
    )
    backup.add_argument("file", type=Path, metavar="FILE", help="where to write the copy")
    backup.add_argument("--force", action="store_true", help="replace FILE if it exists")
    gen = command(
        "generate",
        "run one job without Discord and save the image",
        "Records the job and its charge in the database, as for a member, and first finishes the "
        "jobs an interrupted run left.",
    )
    gen.add_argument(
        "prompt", nargs="?", help="what to draw; Midjourney-style flags (--ar 16:9) are understood"
    )
    gen.add_argument("--model", help="model id, e.g. flux-pro-1.1 (default: DEFAULT_MODEL)")
    gen.add_argument("--provider", choices=["ttapi", "bfl", "mock"], help="which provider runs the job")
    gen.add_argument("--image", action="append", type=Path, default=[], help="reference image (repeatable)")
    gen.add_argument("--out", type=Path, help="where to save the image (default: out-<job id>.<ext>)")
    gen.add_argument("--force", action="store_true", help="replace the --out file if it exists")
    gen.add_argument("--seed", type=int, help="seed for reproducibility")
    gen.add_argument(
        "--tool",
        choices=["fill", "expand"],
        help="an image tool instead of a model: fill (repaint the --mask's white area, or the --image's "
        "transparent area) or expand (add pixels around the --image: --top/--bottom/--left/--right, "
        "or --zoom 2 in the prompt)",
    )
    gen.add_argument(
        "--mask", type=Path, help="with --tool fill: white repaints, black keeps; the --image's size"
    )
    for side, help_text in SIDE_HELP.items():
        gen.add_argument(f"--{side}", type=int, help=help_text)
    gen.add_argument("--finetune-id", help="finetune id (with --model flux-pro-finetuned)")
    gen.add_argument("--strength", type=float, help="finetune strength 0-2 (default 1.1)")
    gen.add_argument(
        "--resume",
        action="store_true",
        help="only finish the CLI jobs an earlier, interrupted run left unfinished (every run does this too)",
    )
    args = parser.parse_args(argv)
    if args.command is None:
        args.command = "run"
        args.role = Role.ALL.value
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        settings = load_settings()
    except ValidationError as exc:
        for line in settings_problems(exc):
            print(f"configuration error: {line}", file=sys.stderr)
        return EXIT_CONFIG
    # The one-shot commands talk to a person at a terminal: only warnings, unless LOG_LEVEL says otherwise.
    quiet = args.command != "run" and "log_level" not in settings.model_fields_set
    setup_logging("WARNING" if quiet else settings.log_level, settings.secret_values(), settings.log_format)
    factory = None  # the one-shot commands: asyncio's loop
    if args.command == "run":  # the loop EVENT_LOOP names: uvloop on PostgreSQL by default
        name, factory = loop_factory(settings.event_loop, settings.uses_postgresql)
        log.info("event loop: %s", name)
    try:
        return run_on(dispatch(args, settings), factory)
    except KeyboardInterrupt:
        return 130
    except ConfigurationError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except UserFacingError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    except Exception as exc:
        # The full traceback goes to the log at DEBUG; the operator reads one line.
        log.debug("unexpected error", exc_info=True)
        print(f"error: {type(exc).__name__}: {exc} (run with LOG_LEVEL=DEBUG for details)", file=sys.stderr)
        return 1


async def dispatch(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "migrate":
        from bot.store import open_database, shown

        async with open_database(settings.store_url, data_dir=settings.files_dir) as db:
            print(f"database {shown(settings.store_url)} is at schema version {await db.schema_version()}")
        return 0
    if args.command == "generate":
        from bot.cli import generate

        return await generate(settings, args)
    if args.command == "backup":
        from bot.cli import backup

        return await asyncio.to_thread(backup, settings, args.file, force=args.force)
    if args.command == "doctor":
        from bot.doctor import doctor

        return await doctor(settings, fix=args.fix)
    if args.command == "sync-commands":
        from bot.cli import sync_commands

        if settings.discord_token is None:
            raise ConfigurationError("DISCORD_TOKEN is required to sync commands")
        return await reaching_discord(sync_commands(settings, args.guild, clear=args.clear))
    from bot.discord.runner import run_bot

    role = Role(args.role)
    with may_run(settings, role):  # SQLite: `--role all` only, one process per file
        if settings.discord_token is None:
            raise ConfigurationError("DISCORD_TOKEN is required to run the bot (see .env.example)")
        if not settings.configured_providers():
            raise ConfigurationError(
                "no provider is configured: set TTAPI_API_KEY or BFL_API_KEY "
                "(or ENABLE_MOCK_PROVIDER=true to try the bot)"
            )
        return await reaching_discord(run_bot(settings, role))


async def reaching_discord(command: Awaitable[int]) -> int:
    """`run` and `sync-commands`: no connection to Discord at login is one plain line, as in `doctor`."""
    import aiohttp

    try:
        return await command
    except aiohttp.ClientConnectionError:
        log.debug("could not connect to Discord", exc_info=True)
        raise UserFacingError(DISCORD_UNREACHABLE) from None


if __name__ == "__main__":
    sys.exit(main())
