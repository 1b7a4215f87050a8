"""`DiscordSink.deliver` alone: a finished image edited into the member's reply by its token, as a
worker does it (`@original`, over REST), against the loopback Discord of the tests in a child
process (its CPU not counted): this process's CPU per delivery (issue 15 item 8, the workers'
finishing share; benchmarks/pg_finish_cost.py measures the whole of it).

    <checkout>/.venv/bin/python benchmarks/delivery_cost.py [--deliveries 2000]

Each delivery: the job's language, the result's buttons (`result_buttons`) and embed, the
multipart upload of a 1024×768 JPEG and the answer. No database: the delivery records are handed to
the sink as a worker's claim hands them. Run it from the checkout's root (the loopback Discord is
`tests/fakes/discord.py`); it imports `bot` from the interpreter's environment.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from decimal import Decimal
from typing import Any

from narrow import cpu_seconds, print_start, serve_discord, start_discord

APP_ID = 99


async def run(url: str, deliveries: int) -> None:
    import discord.http

    discord.http.Route.BASE = f"{url}/api/v10"
    sys.path.insert(0, os.getcwd())
    from bot.discord import buttons
    from bot.discord.delivery import DiscordSink
    from bot.discord.rest import RestClient
    from bot.jobs.model import Job, JobState, Origin
    from bot.store.deliveries import Delivery
    from tests.fakes.images import photo

    # The sink's buttons, as the checkout's `rest_sink` makes them (an older one: `result_view`).
    view_factory = getattr(buttons, "result_buttons", buttons.result_view)

    class NoStore:
        db: Any = None

    client = RestClient()
    await client.login("x" * 59)
    sink = DiscordSink(client, NoStore(), view_factory=view_factory)  # type: ignore[arg-type]
    image = photo(size=(1024, 768))

    async def deliver(seq: int) -> None:
        now = time.time()
        job = Job(
            id=f"{seq:016x}",
            seq=0,
            state=JobState.DELIVERING,
            origin=Origin.DISCORD,
            provider="bfl",
            model="flux-pro-1.1",
            prompt="a lighthouse at dusk",
            params={"body": {"prompt": "a lighthouse at dusk", "width": 1024, "height": 768}, "options": {}},
            user_id=500_000 + seq,
            guild_id=1001,
            channel_id=1,
            estimate=Decimal("0.04"),
            cost=Decimal("0.04"),
            seed=42,
            created_at=now - 20,
            updated_at=now,
            submitted_at=now - 19,
            ready_at=now - 1,
            delivery_attempts=1,
        )
        sink.know_deliveries([Delivery(job.id, APP_ID, f"token-{seq}", now, locale="en-US")])
        await sink.deliver(job, image)
        sink.take_result_ids(job.id)

    try:
        for seq in range(100):  # warm up
            await deliver(10**6 + seq)
        cpu, wall = cpu_seconds(), time.perf_counter()
        for seq in range(deliveries):
            await deliver(seq)
        cpu, wall = cpu_seconds() - cpu, time.perf_counter() - wall
    finally:
        await client.close()
    print(f"{deliveries} replies edited into a result ({len(image)}-byte image), one at a time")
    print(f"  CPU per delivery (this process): {cpu / deliveries * 1000:.3f} ms")
    print(f"  wall per delivery: {wall / deliveries * 1000:.3f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--deliveries", type=int, default=2000)
    parser.add_argument("--serve-discord", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_discord:
        asyncio.run(serve_discord())
        return
    print_start()
    child, url = start_discord(__file__)
    try:
        asyncio.run(run(url, args.deliveries))
    finally:
        child.kill()
        child.wait()


if __name__ == "__main__":
    main()
