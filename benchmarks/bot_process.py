"""`python -m bot run --role <role>`, as the product runs it, with the benchmarks' lifted provider rate limit.

    PYTHONPATH=tests/fakes/discord_site:. FAKE_DISCORD_URL=... python benchmarks/bot_process.py worker

The one difference from `python -m bot run`: `open_services` gets `rate_limits=BENCH_RATE_LIMITS`
(2,000 requests/s to the fake BFL instead of the product's 20/s for the real API, as every other
benchmark lifts it; there is no setting for it). Everything else (settings from the environment,
logging, the role's composition in bot/discord/runner.py, SIGTERM to stop) is the product's.
With tests/fakes/discord_site on PYTHONPATH and `FAKE_DISCORD_URL` set, discord.py talks to the
loopback Discord of tests/fakes/discord.py (its `sitecustomize`).
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from ours import BENCH_RATE_LIMITS

import bot.discord.runner as runner
from bot.__main__ import main
from bot.app import open_services

runner.open_services = functools.partial(open_services, rate_limits=BENCH_RATE_LIMITS)  # type: ignore[assignment]

if __name__ == "__main__":
    sys.exit(main(["run", "--role", sys.argv[1]]))
