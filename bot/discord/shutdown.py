"""A clean stop on SIGTERM and SIGINT, also as PID 1 (where Python has no default SIGTERM action).

The order matters: first the bot stops taking interactions (each newcomer gets a private
"restarting" line before anything is held or sent), then the ones already admitted get to finish,
then the job manager's tasks are cancelled (a job keeps its state; the next start resumes it), and
only then the gateway and Discord's HTTP session close, so no job sees a closed session and fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import Callable, Iterator
from typing import Any

import discord

from bot.i18n import resolve, t
from bot.jobs.in_flight import InFlight

log = logging.getLogger(__name__)


#: The worst cases of the steps below add up to 4.5 s: the stop promises exit within 5 s (Docker
#: kills after 10). Interactions admitted before the signal get this long to be answered and handled.
DRAIN_SECONDS = 2.0

#: A provider submit under way gets this long to finish and be recorded (bot/jobs/in_flight.py).
SUBMIT_GRACE_SECONDS = 1.5

#: How long the gateway gets to close its websocket before the connection task is cancelled.
CLOSE_SECONDS = 1.0

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class InteractionGate:
    """Sits in front of discord.py's INTERACTION_CREATE parser: admits, or answers "restarting".

    Admitted interactions are tracked by the tasks discord.py creates for them (the tree's
    invoker, a view's or dynamic item's callback), so that a stop can wait for them.
    """

    def __init__(self, client: discord.Client) -> None:
        self.closing = False
        self._state = client._connection
        self._in_flight = InFlight()
        self._parse = self._state.parsers["INTERACTION_CREATE"]
        self._state.parsers["INTERACTION_CREATE"] = self._on_interaction

    def _on_interaction(self, data: Any) -> None:
        if self.closing:
            interaction = discord.Interaction(data=data, state=self._state)
            self._in_flight.track(asyncio.get_running_loop().create_task(answer_restarting(interaction)))
            return
        loop = asyncio.get_running_loop()
        previous = loop.get_task_factory()

        def tracked(loop: asyncio.AbstractEventLoop, coro: Any, **options: Any) -> asyncio.Future[Any]:
            task = previous(loop, coro, **options) if previous else asyncio.Task(coro, loop=loop, **options)
            self._in_flight.track(task)
            return task

        # The tasks discord.py starts for this interaction are created inside the parser, synchronously.
        # (Diffing asyncio.all_tasks() instead cost 0.9 ms per interaction with 2,000 jobs running.)
        loop.set_task_factory(tracked)
        try:
            self._parse(data)
        finally:
            loop.set_task_factory(previous)

    @property
    def in_flight(self) -> int:
        """Interactions admitted (or being answered "restarting") and not yet handled."""
        return len(self._in_flight)

    async def drain(self, timeout: float = DRAIN_SECONDS) -> int:
        """Close the gate and wait for admitted interactions; cancel what is left. Returns that count."""
        self.closing = True
        return await self._in_flight.settle(timeout)


async def answer_restarting(interaction: discord.Interaction) -> None:
    """The one answer during a stop: private, and nothing else happens for this interaction."""
    try:
        if interaction.type is discord.InteractionType.autocomplete:
            await interaction.response.autocomplete([])
        else:
            # The member's client language (no store read while stopping), else DEFAULT_LANGUAGE.
            client: Any = interaction.client
            default = client.services.settings.default_language if hasattr(client, "services") else None
            language = resolve(interaction.locale, default)
            await interaction.response.send_message(t(language, "reply-restarting"), ephemeral=True)
    except discord.HTTPException as exc:
        log.info("could not tell a member the bot is restarting: %s", exc)


@contextlib.contextmanager
def on_stop_signals(stop: Callable[[], None]) -> Iterator[None]:
    """Call `stop` on the first SIGTERM or SIGINT; a second one during the stop exits at once.

    A forced exit is as safe as a crash: every job step is committed before the next begins.
    """
    loop = asyncio.get_running_loop()
    received: list[signal.Signals] = []

    def handle(sig: signal.Signals) -> None:
        if received:
            log.warning("%s again during the stop: exiting now", sig.name)
            os._exit(128 + sig)
        received.append(sig)
        log.info("%s received: stopping; running jobs resume at the next start", sig.name)
        stop()

    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, handle, sig)
    try:
        yield
    finally:
        for sig in STOP_SIGNALS:
            loop.remove_signal_handler(sig)
