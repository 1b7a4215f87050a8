"""`python -m bot [run|migrate|generate|doctor|sync-commands]`.

Bad settings end the process with exit code 2 and one readable line per problem: never a
traceback, never a secret's value.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from bot.errors import ConfigurationError, UserFacingError
from bot.logs import setup_logging
from bot.settings import Settings, load_settings, settings_problems

log = logging.getLogger("bot")

EXIT_CONFIG = 2


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bot", description="fluxbot: FLUX images on Discord.")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("run", help="run the bot (the default)")
    commands.add_parser("migrate", help="bring the database to the newest schema and exit")
    sync = commands.add_parser("sync-commands", help="register slash commands globally or in one guild")
    sync.add_argument("--guild", type=int, help="guild id to sync to (instant) instead of globally")
    doctor = commands.add_parser("doctor", help="check configuration, database and provider keys")
    doctor.add_argument("--fix", action="store_true", help="create or migrate the database if needed")
    gen = commands.add_parser("generate", help="run one job without Discord and save the image")
    gen.add_argument(
        "prompt", nargs="?", help="what to draw; Midjourney-style flags (--ar 16:9) are understood"
    )
    gen.add_argument("--model", help="model id, e.g. flux-pro-1.1 (default: DEFAULT_MODEL)")
    gen.add_argument("--provider", choices=["ttapi", "bfl", "mock"], help="which provider runs the job")
    gen.add_argument("--image", action="append", type=Path, default=[], help="reference image (repeatable)")
    gen.add_argument("--out", type=Path, help="where to save the image (default: out-<job id>.<ext>)")
    gen.add_argument("--seed", type=int, help="seed for reproducibility")
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
    setup_logging("WARNING" if quiet else settings.log_level, settings.secret_values())
    try:
        return asyncio.run(dispatch(args, settings))
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
        from bot.store.db import open_database

        async with open_database(settings.database_path) as db:
            print(f"database {settings.database_path} is at schema version {await db.schema_version()}")
        return 0
    if args.command == "generate":
        from bot.cli import generate

        return await generate(settings, args)
    if args.command == "doctor":
        from bot.doctor import doctor

        return await doctor(settings, fix=args.fix)
    if args.command == "sync-commands":
        from bot.cli import sync_commands

        if settings.discord_token is None:
            raise ConfigurationError("DISCORD_TOKEN is required to sync commands")
        return await sync_commands(settings, args.guild)
    from bot.discord.runner import run_bot

    if settings.discord_token is None:
        raise ConfigurationError("DISCORD_TOKEN is required to run the bot (see .env.example)")
    if not settings.configured_providers():
        raise ConfigurationError(
            "no provider is configured: set TTAPI_API_KEY or BFL_API_KEY "
            "(or ENABLE_MOCK_PROVIDER=true to try the bot)"
        )
    return await run_bot(settings)


if __name__ == "__main__":
    sys.exit(main())
