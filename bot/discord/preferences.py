"""What a member's own settings and the server's rules make of an image command (issue 18, items 5, 6).

A member's preset (`/settings`: model, aspect ratio, format, private, suffix) fills in what the
command leaves open; what the member typed (options, then flags) always wins over it, and the
server's rules win over both: a preset model the server does not allow, or one this command does
not take, is left out; a server that forbids private results never shows one privately, and one
that forces them never posts in the channel.

Read before the command is acknowledged (within the ack window), because a private result needs a
private ("ephemeral") acknowledgement.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import discord

from bot.discord.replies import defer_once, within_ack_window
from bot.errors import InvalidInput, NotAllowed
from bot.flags import split_flags
from bot.i18n import text
from bot.providers.catalog import MODELS
from bot.store.guilds import GuildSettings
from bot.store.operator import Gates
from bot.store.presets import MemberPreset

if TYPE_CHECKING:
    from bot.app import Services

#: Member-facing text of this module, in one place.


@dataclass(frozen=True, slots=True)
class Preferences:
    """The member's preset as it applies to this command here, and whether the result is private."""

    private: bool
    #: The preset model, when this command takes it and the server allows it; else None.
    model: str | None = None
    #: Options under what the member typed: `aspect_ratio`, `output_format`.
    defaults: dict[str, Any] = field(default_factory=dict)
    suffix: str | None = None
    #: The operators' gates, read with the preset (one round trip): `start_job` checks them, after
    #: the acknowledgement as for every job, without reading them again.
    gates: Gates | None = None

    def planning(self, *, explicit_model: str | None) -> dict[str, Any]:
        """The inputs `plan_job` takes from the preset (the member's own model over the default)."""
        inputs: dict[str, Any] = {"defaults": dict(self.defaults), "suffix": self.suffix}
        if self.model is not None and explicit_model is None:
            inputs["default_model"] = self.model
        return inputs


def asked_private(option: bool | None, prompt: str | None = None) -> bool | None:
    """What the member asked for in this command: the `private` option, else a `--private` flag."""
    if option is not None:
        return option
    if prompt:
        try:
            return split_flags(prompt)[1].get("private")
        except InvalidInput:
            return None  # the flags are refused, with their own message, when the job is planned
    return None


def decide_private(guild: GuildSettings, asked: bool | None, preset: bool | None) -> bool:
    """The server's rule first (`force`, `forbid`), then what was asked, then the member's preset."""
    mode = guild.private_mode or "allow"
    if mode == "force":
        return True
    if mode == "forbid":
        if asked:
            raise NotAllowed(text("private-forbidden-here"))
        return False
    if asked is not None:
        return asked
    return bool(preset)


def usable_model(
    guild: GuildSettings,
    model: str | None,
    kinds: tuple[str, ...],
    available: set[str],
    disabled: tuple[str, ...] = (),
) -> bool:
    """A preset's model counts only while it is offered here (and not in `DISABLED_MODELS`)."""
    spec = MODELS.get(model or "")
    if spec is None or spec.kind not in kinds or spec.id in disabled:
        return False
    if guild.allowed_models is not None and spec.id not in guild.allowed_models:
        return False
    return bool(available & set(spec.routes)) or "mock" in available


async def read(
    services: Services, guild_id: int | None, user_id: int
) -> tuple[GuildSettings, MemberPreset, Gates]:
    guild = await services.quota.guilds.settings(guild_id)
    gates, preset = await services.owner.gates_and_preset(user_id, guild_id)
    return guild, preset, gates


async def preferences(
    services: Services,
    interaction: discord.Interaction,
    *,
    asked: bool | None,
    kinds: tuple[str, ...],
) -> Preferences:
    guild, preset, gates = await read(services, interaction.guild_id, interaction.user.id)
    private = decide_private(guild, asked, preset.private)
    defaults = {
        k: v for k, v in (("aspect_ratio", preset.aspect_ratio), ("output_format", preset.output_format)) if v
    }
    disabled = services.settings.disabled_models
    usable = usable_model(guild, preset.model, kinds, set(services.providers), disabled)
    model = preset.model if usable else None
    return Preferences(private=private, model=model, defaults=defaults, suffix=preset.suffix, gates=gates)


async def start_preferences(
    services: Services,
    interaction: discord.Interaction,
    *,
    option: bool | None,
    prompt: str | None,
    kinds: tuple[str, ...],
) -> Preferences:
    """For a slash command: read them within the ack window (a slow store defers, privately when
    the member asked for privacy)."""
    asked = asked_private(option, prompt)
    return await within_ack_window(
        interaction,
        preferences(services, interaction, asked=asked, kinds=kinds),
        ephemeral=bool(asked),
    )


def came_privately(interaction: discord.Interaction) -> bool:
    """A button or form under a private (ephemeral) result: what it starts stays private."""
    message = interaction.message
    return message is not None and message.flags.ephemeral


async def defer_for_button(services: Services, interaction: discord.Interaction) -> bool:
    """Acknowledge a button or form that starts a job: privately when its result will be private.

    A job started from a private result stays private, unless the server now forbids it; one
    started in a server that forces private results is private. Returns whether it is private.
    """
    asked = came_privately(interaction)
    guild = await within_ack_window(
        interaction, services.quota.guilds.settings(interaction.guild_id), ephemeral=asked
    )
    private = decide_private(guild, None, asked)
    await defer_once(interaction, thinking=True, ephemeral=private)
    return private
