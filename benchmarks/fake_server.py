"""Serve a fake provider (tests/fakes/bfl.py) on loopback in this process, for a benchmark in another.

Usage (by `harness.FakeServer`): `python benchmarks/fake_server.py bfl '{"duration": 10}'`.
Prints `{"url", "api_key"}` once listening, then answers one JSON line per command read on stdin:

- `{"cmd": "stats"}` → requests received by kind, callbacks sent, and when each job became ready
  (wall clock, so another process on this machine can compare with its own `time.time()`);
- `{"cmd": "reset"}` → forget requests and jobs;
- `{"cmd": "config", ...}` → set `duration`, `cost`, ... on the fake.

With `"tls": {"cert": ..., "key": ...}` (PEM files) in the start-up config it serves HTTPS.

A prompt may carry its own duration as `[d=9.81]` (the same job takes as long for every client).
Stops when stdin closes.

The real provider's work runs on its own servers; this stand-in's runs on the cores of the machine
being measured. So it runs at a lower CPU priority (`NICENESS`), and keeps a request's fields but
not its images (a run of `ack_latency.py` sends ~130 of 11 MB: ~1.4 GB kept for nothing).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import ssl
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiohttp import web

from bot.providers.catalog import IMAGE_FIELDS
from tests.fakes.bfl import FakeBFL

DURATION = re.compile(r"\[d=([0-9.]+)\]")
#: Added to this process's nice value: on a busy machine the bot under measurement gets the cores
#: first (CFS weight 1,024 against 110), as it would if the provider ran elsewhere.
NICENESS = 10


class BenchFakeBFL(FakeBFL):
    """The test fake, plus per-prompt durations and wall-clock ready times."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.default_duration = self.duration
        self.wall_offset = time.time() - time.monotonic()

    async def _submit(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            body = None
        match = DURATION.search(str(body.get("prompt", ""))) if isinstance(body, dict) else None
        # The parent's _submit reads the (cached) body without yielding, so this is its job's duration.
        self.duration = float(match.group(1)) if match else self.default_duration
        return await super()._submit(request)

    def _record(self, request: web.Request, body: Any) -> None:
        if isinstance(body, dict):
            body = {k: ("<image>" if k in IMAGE_FIELDS and v else v) for k, v in body.items()}
        super()._record(request, body)

    def stats(self) -> dict[str, Any]:
        kinds = {"submit": len(self.submits()), "poll": len(self.polls()), "download": len(self.downloads())}
        other = len(self.requests) - sum(kinds.values())
        return {
            **kinds,
            "other": other,
            "total": len(self.requests),
            "callbacks": len(self.callbacks_sent),
            "jobs": len(self.jobs),
            "ready_at": {
                job.id: job.created + job.duration + self.wall_offset
                for job in self.jobs.values()
                if job.outcome == "Ready"
            },
        }

    def reset(self) -> None:
        self.requests.clear()
        self.jobs.clear()
        self.callbacks_sent.clear()


async def serve(kind: str, config: dict[str, Any]) -> None:
    if kind != "bfl":
        raise SystemExit(f"unknown fake {kind!r}")
    tls = config.pop("tls", None)
    if tls:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(tls["cert"], tls["key"])
        config["ssl_context"] = context
    fake = BenchFakeBFL(**config)
    await fake.start()
    print(json.dumps({"url": fake.url, "api_key": fake.api_key}), flush=True)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    try:
        while line := await reader.readline():
            command = json.loads(line)
            name = command.pop("cmd")
            if name == "stats":
                answer: dict[str, Any] = fake.stats()
            elif name == "reset":
                fake.reset()
                answer = {"ok": True}
            elif name == "config":
                for key, value in command.items():
                    setattr(fake, key, value)
                if "duration" in command:
                    fake.default_duration = command["duration"]
                answer = {"ok": True}
            else:
                answer = {"error": f"unknown command {name}"}
            print(json.dumps(answer), flush=True)
    finally:
        await fake.stop()


def main() -> None:
    os.nice(NICENESS)
    config = json.loads(sys.argv[2]) if len(sys.argv) > 2 else {}
    asyncio.run(serve(sys.argv[1] if len(sys.argv) > 1 else "bfl", config))


if __name__ == "__main__":
    main()
