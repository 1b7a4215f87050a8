"""What the Discord side's shared code needs of the bot: its services, its job sink, its audit desk.

A protocol, so that modules the client itself imports (buttons, the start of a job) never import
the client: `FluxBot` (bot/discord/client.py) is one.
"""

from __future__ import annotations

from typing import Protocol

from bot.app import Services
from bot.discord.audit import AuditDesk
from bot.discord.delivery import DiscordSink


class BotContext(Protocol):
    services: Services
    sink: DiscordSink
    audit: AuditDesk
