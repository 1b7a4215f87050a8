"""A CLI run the kill tests can SIGKILL at any moment: `python -m tests.jobs.runner N` or `--resume`.

It is `python -m bot generate` (the same `open_services`, manager, store and `CliSink`) with three
differences a test needs: several jobs per run, fast polling for a fake that finishes in a second,
and every hand-over to the sink appended to `deliveries.log`, so a test can count posts.

`RUNNER_DELIVER_DELAY` (seconds) stretches the `delivering` state; `RUNNER_DELIVER_PHASE`
says whether the delay comes before the post (`before`) or after it (`after`, the window between
posting and recording it). A sink that sees `delivery_attempts > 1` looks in its log first: the
idempotency the manager's protocol makes possible.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from bot.app import open_services
from bot.cli import CliSink
from bot.jobs.manager import NewJob
from bot.jobs.model import Job, Origin
from bot.jobs.plan import plan_job
from bot.jobs.polling import PollPolicy
from bot.logs import setup_logging
from bot.settings import load_settings
from bot.web import serve

POLICY = PollPolicy(min_interval=0.05, max_interval=0.3, typical_override=0.6, jitter=0.0)


class LoggingSink(CliSink):
    def __init__(self, log: Path) -> None:
        super().__init__(quiet=True)
        self.log = log
        self.delay = float(os.environ.get("RUNNER_DELIVER_DELAY", "0"))
        self.phase = os.environ.get("RUNNER_DELIVER_PHASE", "before")

    def posted(self, job: Job) -> bool:
        return self.log.exists() and job.id in self.log.read_text().split()

    async def deliver(self, job: Job, image: bytes) -> int | None:
        if job.delivery_attempts > 1 and self.posted(job):
            return None  # an earlier attempt posted it before the crash
        if self.phase == "before":
            await asyncio.sleep(self.delay)
        await super().deliver(job, image)
        with self.log.open("a") as handle:
            handle.write(f"{job.id}\n")
            handle.flush()
            os.fsync(handle.fileno())
        if self.phase == "after":
            await asyncio.sleep(self.delay)
        return None


async def main(argv: list[str]) -> int:
    settings = load_settings()
    setup_logging("INFO", settings.secret_values())
    workdir = settings.database_path.parent
    async with open_services(settings, poll_policy=POLICY) as services:
        manager = services.manager
        manager.register_sink(Origin.CLI, LoggingSink(workdir / "deliveries.log"))
        if argv[0] != "--resume":
            for index in range(int(argv[0])):
                plan = plan_job(
                    f"kill test job {index}",
                    {},
                    default_model=settings.default_model,
                    available=list(services.providers),
                    preferred="ttapi",
                    max_safety_tolerance=settings.max_safety_tolerance,
                )
                job = await manager.submit(
                    NewJob.from_plan(
                        plan,
                        origin=Origin.CLI,
                        user_id=index,
                        enforce_quota=False,
                        extra={"out": str(workdir / f"out-{index}.png")},
                    )
                )
                print(f"accepted {job.id}", flush=True)
        async with serve(settings, services, None):
            await manager.start()
            await manager.wait_idle()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
