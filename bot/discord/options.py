"""What the image commands' options share: model and ratio choices, and reading attachments."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import discord
from discord import app_commands

from bot.discord.context import BotContext
from bot.encoding import in_image_thread
from bot.errors import InvalidInput
from bot.i18n import text
from bot.images import ACCEPTED_TEXT, MAX_INPUT_BYTES, prepare_reference
from bot.providers.catalog import MODELS, ModelSpec

#: Offered in the `aspect_ratio` autocomplete (any W:H between 21:9 and 9:21 may be typed).
COMMON_RATIOS = ("1:1", "16:9", "9:16", "4:3", "3:4", "3:2", "2:3", "21:9", "9:21")
#: The content type Discord (and browsers) give a file they could not identify: judged by its bytes.
UNKNOWN_CONTENT_TYPE = "application/octet-stream"


def offered_models(bot: BotContext, kinds: tuple[str, ...] | None = None) -> list[ModelSpec]:
    """Models of these kinds (None: all) whose provider is configured (the mock, when enabled,
    serves all), less those the operator switched off (`DISABLED_MODELS`)."""
    return [
        spec
        for spec in MODELS.values()
        if (kinds is None or spec.kind in kinds) and model_offered(bot, spec.id)
    ]


def model_offered(bot: BotContext, model: str) -> bool:
    """A known model, served by a configured provider, not switched off by the operator."""
    spec = MODELS.get(model)
    if spec is None or spec.id in bot.services.settings.disabled_models:
        return False
    available = set(bot.services.providers)
    return bool(available & set(spec.routes)) or "mock" in available


def model_choices(bot: BotContext, kinds: tuple[str, ...]) -> list[app_commands.Choice[str]]:
    return [
        app_commands.Choice(name=f"{spec.label} ({spec.id})"[:100], value=spec.id)
        for spec in offered_models(bot, kinds)
    ][:25]


def set_choices(command: app_commands.Command[Any, Any, Any], name: str, choices: list[Any]) -> None:
    """Give this cog's copy of a command fixed choices for one option, decided at load time.

    discord.py takes choices from decorators at import time; the configured providers are only
    known when the bot starts, so the parameter is replaced on the cog's own command copy.
    """
    params = command._params
    params[name] = dataclasses.replace(params[name], choices=choices or discord.utils.MISSING)


#: Discord refuses an autocomplete answer with a choice name or value longer than this.
CHOICE_MAX = 100


def ratio_choices(current: str) -> list[app_commands.Choice[str]]:
    typed = current.strip()
    found = [r for r in COMMON_RATIOS if r.startswith(typed)] if typed else list(COMMON_RATIOS)
    if typed and typed not in found and len(typed) <= CHOICE_MAX:
        found.insert(0, typed)  # free input stays possible; it is checked when the command runs
    return [app_commands.Choice(name=r, value=r) for r in found[:25]]


async def read_attachment(attachment: discord.Attachment, option: str) -> str:
    """Download a Discord attachment now (its URL expires) and check it is a usable image."""
    data = await download_attachment(attachment, option)
    return await in_image_thread(prepare_reference, data, option)


async def download_attachment(attachment: discord.Attachment, option: str) -> bytes:
    """A Discord attachment's bytes, downloaded now (its URL expires), unchecked beyond its size and type."""
    check_attachments({option: attachment})
    try:
        return await attachment.read()
    except discord.HTTPException:
        raise InvalidInput(text("input-not-downloaded", option=option)) from None


def check_attachments(attachments: dict[str, discord.Attachment | None]) -> None:
    """What can be refused before deferring: what Discord already told us of each file.

    Its size, and its content type when Discord names one: `text/plain` or `application/pdf` is
    refused here, privately, before anyone sees "thinking…". An unknown type
    (`application/octet-stream`, or none) is downloaded and judged by its content.
    """
    for option, attachment in attachments.items():
        if attachment is None:
            continue
        if attachment.size > MAX_INPUT_BYTES:
            raise InvalidInput(text("input-too-large", option=option, size=attachment.size / 1024 / 1024))
        kind = (attachment.content_type or "").split(";")[0].strip().lower()
        if kind and kind != UNKNOWN_CONTENT_TYPE and not kind.startswith("image/"):
            raise InvalidInput(text("input-not-an-image", option=option, kind=kind, accepted=ACCEPTED_TEXT))


async def read_attachments(attachments: dict[str, discord.Attachment | None]) -> list[str]:
    """Download and check every given attachment, in option order, concurrently."""
    given = [(name, a) for name, a in attachments.items() if a is not None]
    return list(await asyncio.gather(*(read_attachment(a, name) for name, a in given)))
