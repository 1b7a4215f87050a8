"""SIGKILL a real CLI process at each state of a job, restart it, and check exactly-once.

The fake TTAPI runs in the test's process, so it outlives the killed one and counts what it was
sent. After every restart: no job lost (each ends delivered, or failed with its hold released),
none submitted twice (submits at the fake), none charged twice (ledger), no image posted twice
(the runner logs every post).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from tests.fakes.ttapi import FakeTTAPI
from tests.helpers import Harness, free_port


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
