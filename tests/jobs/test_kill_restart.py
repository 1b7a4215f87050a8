"""SIGKILL a real CLI process at each state of a job, restart it, and check exactly-once.

The fake TTAPI runs in the test's process, so it outlives the killed one and counts what it was
sent. After every restart: no job lost (each ends delivered, or failed with its hold released),
none submitted twice (submits at the fake), none charged twice (ledger), no image posted twice
(the runner logs every post).
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sqlite3
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.ttapi import FakeTTAPI

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Harness:
    def __init__(self, tmp_path: Path, fake: FakeTTAPI, **env: str) -> None:
        self.tmp_path = tmp_path
        self.fake = fake
        self.db_path = tmp_path / "data" / "fluxbot.sqlite3"
        self.env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("TTAPI_", "BFL_", "DISCORD_", "QUOTA_", "WEBHOOK_", "HTTP_", "PROVIDER_"))
        }
        self.env.update(
            PYTHONPATH=str(ROOT),
            DATABASE_PATH=str(self.db_path),
            TTAPI_API_KEY=fake.api_key,
            TTAPI_BASE_URL=fake.url,
            HTTP_PORT="0",
            LOG_LEVEL="INFO",
        )
        self.env.update(env)
        self.runs = 0

    async def spawn(
        self, *args: str, module: str = "tests.jobs.runner", wrapper: Sequence[str] = (), **env: str
    ) -> Any:
        """`python -m module args` (after `wrapper`, e.g. `unshare ...`), its output in run-N.log."""
        self.runs += 1
        log = (self.tmp_path / f"run-{self.runs}.log").open("w")
        return await asyncio.create_subprocess_exec(
            *wrapper,
            sys.executable,
            "-m",
            module,
            *args,
            cwd=self.tmp_path if module == "bot" else ROOT,
            env={**self.env, **env},
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
        )

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        if not self.db_path.exists():
            return []
        db = sqlite3.connect(self.db_path, timeout=5)
        try:
            return db.execute(sql, params).fetchall()
        except sqlite3.OperationalError:
            return []  # not migrated yet
        finally:
            db.close()

    def states(self) -> list[str]:
        return [r[0] for r in self.rows("SELECT state FROM jobs ORDER BY seq")]

    async def kill_when(self, process: Any, ready: Callable[[], bool], timeout: float = 15.0) -> None:
        async with asyncio.timeout(timeout):
            while not ready():
                assert process.returncode is None, self.output()
                await asyncio.sleep(0.01)
        process.send_signal(signal.SIGKILL)
        await process.wait()

    async def resume(self, *args: str, module: str = "tests.jobs.runner", timeout: float = 30.0) -> None:
        process = await self.spawn(*(args or ("--resume",)), module=module)
        async with asyncio.timeout(timeout):
            await process.wait()
        assert process.returncode == 0, self.output()

    def output(self) -> str:
        return "\n".join(p.read_text() for p in sorted(self.tmp_path.glob("run-*.log")))

    def deliveries(self) -> Counter[str]:
        log = self.tmp_path / "data" / "deliveries.log"
        return Counter(log.read_text().split()) if log.exists() else Counter()

    def ledger(self) -> Counter[tuple[str, str]]:
        return Counter((job, kind) for job, kind in self.rows("SELECT job_id, kind FROM ledger"))

    def assert_exactly_once(self, jobs: int) -> None:
        ids = [r[0] for r in self.rows("SELECT id FROM jobs ORDER BY seq")]
        assert len(ids) == jobs
        assert self.states() == ["delivered"] * jobs, self.output()
        assert len(self.fake.submits()) == jobs  # none submitted twice
        ledger = self.ledger()
        for job_id in ids:
            assert ledger[(job_id, "hold")] == 1
            assert ledger[(job_id, "charge")] == 1  # none charged twice
            assert ledger[(job_id, "release")] == 0
        assert self.deliveries() == Counter(ids)  # each image posted exactly once
        for index in range(jobs):
            assert (self.tmp_path / "data" / f"out-{index}.png").read_bytes().startswith(b"\x89PNG")


@pytest.fixture
async def fake() -> Any:
    fake = FakeTTAPI(duration=0.6)
    await fake.start()
    yield fake
    await fake.stop()


async def test_killed_while_queued_the_queued_job_is_submitted_after_restart(tmp_path, fake):
    fake.duration = 1.5
    run = Harness(tmp_path, fake, PROVIDER_CONCURRENCY="ttapi=1")
    process = await run.spawn("2")
    await run.kill_when(process, lambda: run.states() == ["running", "queued"])
    assert len(fake.submits()) == 1

    fake.duration = 0.3
    await run.resume()

    run.assert_exactly_once(2)


async def test_killed_while_running_the_job_is_polled_again(tmp_path, fake):
    fake.duration = 1.5
    run = Harness(tmp_path, fake)
    process = await run.spawn("2")
    await run.kill_when(process, lambda: run.states() == ["running", "running"])
    polls_before = len(fake.fetches())

    await run.resume()

    run.assert_exactly_once(2)
    assert len(fake.fetches()) > polls_before


async def test_killed_while_fetching_the_image_is_downloaded_again_and_charged_once(tmp_path, fake):
    fake.file_delay = 3.0
    run = Harness(tmp_path, fake)
    process = await run.spawn("1")
    await run.kill_when(process, lambda: run.states() == ["fetching"])
    charged = run.rows("SELECT kind FROM ledger WHERE kind = 'charge'")
    assert len(charged) == 1  # the charge committed with the move to fetching

    fake.file_delay = 0.0
    await run.resume()

    run.assert_exactly_once(1)


async def test_killed_while_delivering_the_image_is_posted_once(tmp_path, fake):
    run = Harness(tmp_path, fake, RUNNER_DELIVER_DELAY="5", RUNNER_DELIVER_PHASE="before")
    process = await run.spawn("1")
    await run.kill_when(
        process, lambda: run.rows("SELECT state, delivery_attempts FROM jobs") == [("delivering", 1)]
    )
    assert run.deliveries() == Counter()  # handed over, not yet posted

    run.env["RUNNER_DELIVER_DELAY"] = "0"
    await run.resume()

    run.assert_exactly_once(1)
    assert run.rows("SELECT delivery_attempts FROM jobs") == [(2,)]


async def test_killed_between_posting_and_recording_it_the_repeat_is_recognised(tmp_path, fake):
    run = Harness(tmp_path, fake, RUNNER_DELIVER_DELAY="5", RUNNER_DELIVER_PHASE="after")
    process = await run.spawn("1")
    await run.kill_when(process, lambda: sum(run.deliveries().values()) == 1)
    assert run.states() == ["delivering"]

    run.env["RUNNER_DELIVER_DELAY"] = "0"
    await run.resume()

    run.assert_exactly_once(1)  # delivery_attempts == 2 told the sink to look before posting


async def test_killed_while_submitting_without_callbacks_fails_without_a_second_submit(tmp_path, fake):
    fake.submit_delay = 3.0
    run = Harness(tmp_path, fake)
    process = await run.spawn("1")
    await run.kill_when(process, lambda: run.states() == ["submitting"] and len(fake.submits()) == 1)

    fake.submit_delay = 0.0
    await run.resume()

    assert run.states() == ["failed"]
    assert run.rows("SELECT error_code FROM jobs") == [("submit_unknown",)]
    assert len(fake.submits()) == 1  # never replayed blindly
    assert sorted(kind for _, kind in run.ledger()) == ["hold", "release"]  # nothing charged
    assert run.deliveries() == Counter()


async def test_killed_while_submitting_with_callbacks_the_late_callback_rescues_the_job(tmp_path, fake):
    port = free_port()
    fake.submit_delay = 3.0
    fake.duration = 0.5
    fake.callback_attempts = 60  # the provider keeps calling while the bot is down
    fake.callback_retry_interval = 0.2
    run = Harness(tmp_path, fake, HTTP_PORT=str(port), WEBHOOK_PUBLIC_URL=f"http://127.0.0.1:{port}")
    process = await run.spawn("1")
    await run.kill_when(process, lambda: run.states() == ["submitting"] and len(fake.submits()) == 1)
    hook = fake.submits()[0].body["webhook_url"]
    token = run.rows("SELECT id, callback_token FROM jobs")[0]
    assert hook == f"http://127.0.0.1:{port}/callbacks/ttapi/{token[0]}/{token[1]}"

    fake.submit_delay = 0.0
    await run.resume()

    run.assert_exactly_once(1)
    assert run.rows("SELECT provider_job_id FROM jobs") == [(next(iter(fake.jobs)),)]


async def test_python_m_bot_generate_resumes_after_a_kill(tmp_path, fake):
    fake.duration = 1.0
    run = Harness(tmp_path, fake)
    process = await run.spawn(
        "generate", "a lighthouse", "--provider", "ttapi", "--out", "out.png", module="bot"
    )
    await run.kill_when(process, lambda: run.states() == ["running"])

    await run.resume("generate", "--resume", module="bot", timeout=40)

    assert run.states() == ["delivered"]
    assert len(fake.submits()) == 1
    assert (tmp_path / "out.png").read_bytes().startswith(b"\x89PNG")
    assert "saved out.png" in run.output()
