"""What the Discord side's shared code needs of the bot: its services and its job sink.

A protocol, so that modules the client itself imports (buttons, the start of a job) never import
the client: `FluxBot` (bot/discord/client.py) is one.
"""

from __future__ import annotations

from typing import Protocol

from bot.app import Services
from bot.discord.delivery import DiscordSink


class BotContext(Protocol):
    services: Services
    sink: DiscordSink
