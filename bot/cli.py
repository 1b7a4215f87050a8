"""Command-line entry points that run without Discord: `generate` and `doctor`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bot.app import open_services
from bot.errors import InvalidInput
from bot.images import prepare_reference
from bot.jobs.manager import JobManager, NewJob, Progress
from bot.jobs.model import Job, JobState, Origin
from bot.jobs.plan import plan_job
from bot.quota import format_credits
from bot.settings import Settings

#: The CLI runs as the operator: one local user id, no quota limit, charges still recorded.
CLI_USER_ID = 0


class CliSink:
    """Delivers CLI jobs: writes the image to the path recorded with the job, reports on stderr."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self._last: JobState | None = None

    async def job_updated(self, job: Job, progress: Progress) -> None:
        if self.quiet or progress.state is self._last:
            return
        self._last = progress.state
        where = f" (position {progress.queue_position})" if progress.queue_position else ""
        print(f"job {job.id}: {progress.state.value}{where}", file=sys.stderr)

    async def deliver(self, job: Job, image: bytes) -> int | None:
        out = Path(job.params.get("out") or f"out-{job.id}{Path(job.result_path or '.png').suffix}")
        out.parent.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(out.write_bytes, image)
        return None

    async def job_failed(self, job: Job) -> None:
        print(f"job {job.id}: {job.state.value}: {job.error_message}", file=sys.stderr)


async def generate(settings: Settings, args: argparse.Namespace) -> int:
    images = []
    for index, path in enumerate(args.image, start=1):
        try:
            data = await asyncio.to_thread(path.read_bytes)
        except OSError as exc:
            raise InvalidInput(f"cannot read {path}: {exc.strerror}") from None
        images.append(await asyncio.to_thread(prepare_reference, data, f"--image {path.name or index}"))
    async with open_services(settings, include_mock=args.provider == "mock", mock_delay=1.5) as services:
        available = list(services.providers)
        plan = plan_job(
            args.prompt,
            {"model": args.model, "seed": args.seed},
            default_model=settings.default_model,
            available=available,
            preferred=settings.preferred_provider(),
            provider=args.provider,
            max_safety_tolerance=settings.max_safety_tolerance,
            images=images,
        )
        out = args.out or Path(f"out-{plan.spec.id}.{plan.request.body.get('output_format', 'png')}")
        manager: JobManager = services.manager
        manager.register_sink(Origin.CLI, CliSink())
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
                extra={"out": str(out)},
            )
        )
        await manager.start()
        done = await manager.wait_for(job.id)
        if done.state is JobState.DELIVERED:
            print(f"saved {out} (seed {done.seed}, cost {format_credits(done.cost)} credits, job {done.id})")
            return 0
        print(f"job {done.id} {done.state.value}: {done.error_message}", file=sys.stderr)
        return 1


async def doctor(settings: Settings) -> int:
    """Check configuration, database and each configured provider key; say plainly what is wrong."""
    problems = 0
    print(f"database: {settings.database_path}")
    try:
        async with open_services(settings) as services:
            print(f"  ok, schema version {await services.db.schema_version()}")
            if settings.discord_token is None:
                print("discord: DISCORD_TOKEN is not set (needed to run the bot)")
                problems += 1
            else:
                print("discord: token is set")
            if not services.providers:
                print("providers: none configured (set TTAPI_API_KEY or BFL_API_KEY)")
                problems += 1
            for name, provider in services.providers.items():
                try:
                    line = await provider.check()
                except Exception as exc:
                    line = f"FAILED: {getattr(exc, 'message', type(exc).__name__)}"
                    problems += 1
                print(f"provider {name}: {line}")
    except OSError as exc:
        print(f"  cannot open the database: {exc.strerror}")
        problems += 1
    print("all good" if problems == 0 else f"{problems} problem(s) found")
    return 0 if problems == 0 else 1
