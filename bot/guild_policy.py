"""Per-guild rules for image commands (`/admin settings`): where they may be used, which models,
the default model and the safety cap; and an early word when the member's quota cannot cover the job.

One call at the top of each image command, before anything is deferred or spent:

    planning |= await guild_policy.check(services, interaction, model)

It raises `NotAllowed` (answered ephemerally, with a pointer to the allowed channels) or
`QuotaExceeded` (why, what remains, when it resets), and returns
the planning overrides `plan_job` takes (`default_model`, `max_safety_tolerance`). The allowed
models are enforced again when the job is accepted (`QuotaService.hold`), so a model chosen by a
`--model` flag or a button cannot slip past.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.discord.permissions import role_ids_of
from bot.discord.render import join_within
from bot.errors import InvalidInput, NotAllowed
from bot.i18n import text
from bot.jobs.plan import choose_provider
from bot.providers.catalog import MODELS
from bot.store.guilds import GuildSettings

if TYPE_CHECKING:
    import discord

    from bot.app import Services


def channel_allowed(settings: GuildSettings, channel_id: int | None, parent_id: int | None = None) -> bool:
    if settings.allowed_channels is None:
        return True
    return channel_id in settings.allowed_channels or (
        parent_id is not None and parent_id in settings.allowed_channels
    )


def effective(
    settings: GuildSettings, bot_default_model: str, bot_max_safety: int, *, nsfw: bool = False
) -> dict[str, Any]:
    """The planning values for this guild: its default model and its (lower) safety cap.

    In an age-restricted channel (`nsfw`) with `nsfw_safety_tolerance` set, that tolerance is both
    the cap and the jobs' tolerance, still never above the bot's MAX_SAFETY_TOLERANCE.
    """
    default = settings.default_model or bot_default_model
    allowed = settings.allowed_models
    if allowed and default not in allowed:
        default = allowed[0]
    cap = bot_max_safety
    if settings.max_safety_tolerance is not None:
        cap = min(cap, settings.max_safety_tolerance)
    planning: dict[str, Any] = {"default_model": default, "max_safety_tolerance": cap}
    if nsfw and settings.nsfw_safety_tolerance is not None:
        tolerance = min(settings.nsfw_safety_tolerance, bot_max_safety)
        planning |= {"max_safety_tolerance": tolerance, "default_safety_tolerance": tolerance}
    return planning


def age_restricted(channel: object) -> bool:
    """Whether Discord marks the channel (or a thread's parent) age-restricted."""
    is_nsfw = getattr(channel, "is_nsfw", None)
    return bool(is_nsfw()) if callable(is_nsfw) else False


async def check(
    services: Services,
    interaction: discord.Interaction,
    model: str | None = None,
    *,
    default: str | None = None,
) -> dict[str, Any]:
    """Refuse an image command outside the allowed channels or with a model not allowed here;
    return `{"default_model": ..., "max_safety_tolerance": ...}` for `plan_job`.

    `default` is the command's own default model (`/edit`: Kontext), kept instead of the guild's.
    """
    config = services.settings
    guild = await services.quota.guilds.settings(interaction.guild_id)
    channel = interaction.channel
    parent_id = getattr(channel, "parent_id", None)
    if interaction.guild_id is not None and not channel_allowed(guild, interaction.channel_id, parent_id):
        assert guild.allowed_channels is not None
        # Content holds 2,000 characters: a long list ends in "… and N more" (issue 17, finding 11).
        places = join_within([f"<#{c}>" for c in guild.allowed_channels], 1500, ", ")
        raise NotAllowed(text("policy-channel", channels=places))
    if model and guild.allowed_models is not None and model not in guild.allowed_models:
        allowed = ", ".join(f"`{m}`" for m in guild.allowed_models) or text("policy-none")
        raise NotAllowed(text("policy-model", model=model, allowed=allowed))
    planning = effective(
        guild, config.default_model, config.max_safety_tolerance, nsfw=age_restricted(channel)
    )
    if default is not None:
        planning["default_model"] = default
    # Not enough quota is answered now, privately, before the command is even acknowledged.
    spec = MODELS.get(model or planning["default_model"])
    if spec is not None:
        try:
            provider = choose_provider(spec, list(services.providers), config.preferred_provider(), None)
        except InvalidInput:
            return planning  # plan_job explains it
        roles = role_ids_of(interaction.user)
        await services.quota.precheck(interaction.guild_id, interaction.user.id, roles, provider, spec.id)
    return planning
