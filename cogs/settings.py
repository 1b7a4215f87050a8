"""`/settings`: a member's own defaults for the image commands in this server (issue 18, item 6).

Model, aspect ratio, format, private results, and a suffix added to every prompt (flags included,
like Midjourney's `/prefer suffix`). What a member types in a command wins over them; the server's
rules win over both (bot/discord/preferences.py). No option: show them; `reset:` clears one or all.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.language import locale_of
from bot.discord.options import model_choices, offered_models, ratio_choices, set_choices
from bot.discord.preferences import usable_model
from bot.discord.render import COLOUR, plain
from bot.errors import InvalidInput, typed
from bot.flags import split_flags
from bot.i18n import t, text
from bot.providers.catalog import MAX_RATIO, MIN_RATIO, parse_ratio
from bot.store.guilds import GuildSettings
from bot.store.presets import PRESET_FIELDS, MemberPreset, PresetStore

if TYPE_CHECKING:
    from bot.discord.client import FluxBot

#: The models a preset may name: those of `/imagine` and `/edit`.
PRESET_KINDS = ("generate", "edit")
SUFFIX_MAX = 200
#: Flags a suffix may not carry: each has its own setting, or would make every command a batch.
SUFFIX_REFUSED = ("private", "count")
#: `reset:` values → the preset's fields.
RESETS = {
    "all": PRESET_FIELDS,
    "model": ("model",),
    "aspect_ratio": ("aspect_ratio",),
    "format": ("output_format",),
    "private": ("private",),
    "suffix": ("suffix",),
}


def check_ratio(value: str) -> str:
    try:
        w, h = parse_ratio(value)
    except ValueError:
        raise InvalidInput(text("preset-bad-ratio", ratio=typed(value, 40))) from None
    if not MIN_RATIO - 1e-9 <= w / h <= MAX_RATIO + 1e-9:
        raise InvalidInput(text("preset-bad-ratio", ratio=typed(value, 40)))
    return f"{w}:{h}"


def check_suffix(value: str) -> str:
    suffix = value.strip()
    _, flags = split_flags(suffix)  # a malformed flag is refused with its own message
    for flag in SUFFIX_REFUSED:
        if flag in flags:
            raise InvalidInput(text("preset-suffix-flag", flag=flag))
    return suffix


def preset_embed(
    preset: MemberPreset,
    guild: GuildSettings,
    available: set[str],
    language: str,
    disabled: tuple[str, ...] = (),
) -> discord.Embed:
    not_set = t(language, "preset-not-set")
    embed = discord.Embed(title=t(language, "preset-title"), colour=COLOUR)
    model = f"`{preset.model}`" if preset.model else not_set
    if preset.model and not usable_model(guild, preset.model, PRESET_KINDS, available, disabled):
        model = f"{model} {t(language, 'preset-note-model')}"
    embed.add_field(name=t(language, "result-model"), value=model, inline=True)
    embed.add_field(
        name=t(language, "preset-aspect-ratio"), value=preset.aspect_ratio or not_set, inline=True
    )
    embed.add_field(name=t(language, "preset-format"), value=preset.output_format or not_set, inline=True)
    if preset.private is None:
        private = not_set
    else:
        private = t(language, "preset-on" if preset.private else "preset-off")
    if guild.private_mode in ("forbid", "force"):
        private = f"{private} {t(language, f'preset-note-{guild.private_mode}')}"
    embed.add_field(name=t(language, "settings-private"), value=private, inline=True)
    embed.add_field(
        name=t(language, "preset-suffix"),
        value=plain(preset.suffix, 300) if preset.suffix else not_set,
        inline=False,
    )
    return embed


class Settings(commands.Cog):
    def __init__(self, bot: FluxBot) -> None:
        self.bot = bot
        set_choices(self.settings, "model", model_choices(bot, PRESET_KINDS))

    @app_commands.command(
        name="settings", description="Your own defaults for image commands (no option: show)"
    )
    @app_commands.describe(
        model="Your default model",
        aspect_ratio="Your default shape as W:H, from 21:9 to 9:21",
        format="Your default output format",
        private="Show your results only to you by default",
        suffix="Added to every prompt, flags included (e.g. 'cinematic light --ar 16:9')",
        reset="Clear one setting, or all",
    )
    @app_commands.guild_only()
    async def settings(
        self,
        interaction: discord.Interaction,
        model: str | None = None,
        aspect_ratio: app_commands.Range[str, 3, 5] | None = None,
        format: Literal["jpeg", "png"] | None = None,
        private: bool | None = None,
        suffix: app_commands.Range[str, 1, SUFFIX_MAX] | None = None,
        reset: Literal["all", "model", "aspect_ratio", "format", "private", "suffix"] | None = None,
    ) -> None:
        # Everything that needs no I/O is checked before acknowledging.
        if model is not None and model not in {spec.id for spec in offered_models(self.bot, PRESET_KINDS)}:
            raise InvalidInput(text("preset-unknown-model", model=typed(model, 60)))
        ratio = check_ratio(aspect_ratio) if aspect_ratio is not None else None
        checked_suffix = check_suffix(suffix) if suffix is not None else None
        await interaction.response.defer(ephemeral=True, thinking=True)
        services = self.bot.services
        store = PresetStore(services.db)
        assert interaction.guild_id is not None
        current = updated = await store.get(interaction.guild_id, interaction.user.id)
        if reset is not None:
            updated = updated.cleared(RESETS[reset])
        changes: dict[str, Any] = {
            "model": model,
            "aspect_ratio": ratio,
            "output_format": format,
            "private": private,
            "suffix": checked_suffix or None,
        }
        updated = replace(updated, **{k: v for k, v in changes.items() if v is not None})
        changed = updated != current
        if changed:
            await store.save(updated)
        guild = await services.quota.guilds.settings(interaction.guild_id)
        language = await locale_of(interaction)
        await interaction.followup.send(
            t(language, "preset-saved" if changed else "preset-shown"),
            embed=preset_embed(
                updated, guild, set(services.providers), language, services.settings.disabled_models
            ),
            ephemeral=True,
        )

    @settings.autocomplete("aspect_ratio")
    async def _ratios(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return ratio_choices(current)


async def setup(bot: FluxBot) -> None:
    await bot.add_cog(Settings(bot))
