"""`/imagine`: text to image; with `image`, a remix of it."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import InvalidInput
from bot.images import MAX_INPUT_BYTES, prepare_reference
from bot.jobs.manager import NewJob, new_job_id
from bot.jobs.model import Origin
from bot.jobs.plan import JobPlan, plan_job
from bot.providers.catalog import MODELS

if TYPE_CHECKING:
    from bot.discord.client import FluxBot


async def read_attachment(attachment: discord.Attachment, option: str) -> str:
    """Download a Discord attachment now (its URL expires) and check it is a usable image."""
    if attachment.size > MAX_INPUT_BYTES:
        raise InvalidInput(
            f"`{option}` is {attachment.size / 1024 / 1024:.1f} MB; reference images can be at most 20 MB."
        )
    try:
        data = await attachment.read()
    except discord.HTTPException:
        raise InvalidInput(
            f"`{option}` could not be downloaded from Discord; please attach it again."
        ) from None
    return await asyncio.to_thread(prepare_reference, data, option)


async def start_job(bot: FluxBot, interaction: discord.Interaction, plan: JobPlan) -> None:
    """Hold the quota, queue the job and show its place in the queue in the (deferred) reply."""
    services = bot.services
    role_ids = tuple(r.id for r in getattr(interaction.user, "roles", ()))
    job_id = new_job_id()
    bot.sink.track_id(job_id, interaction)
    try:
        await services.manager.submit(
            NewJob(
                id=job_id,
                origin=Origin.DISCORD,
                provider=plan.provider,
                model=plan.spec.id,
                prompt=plan.prompt,
                request=plan.request,
                options=plan.options.public(),
                user_id=interaction.user.id,
                guild_id=interaction.guild_id,
                channel_id=interaction.channel_id,
                role_ids=role_ids,
                interaction_app_id=interaction.application_id,
                interaction_token=interaction.token,
                interaction_created_at=interaction.created_at.timestamp()
                if interaction.created_at
                else time.time(),
            )
        )
    except BaseException:
        bot.sink.forget_id(job_id)
        raise


class Imagine(commands.Cog):
    def __init__(self, bot: FluxBot) -> None:
        self.bot = bot

    @app_commands.command(name="imagine", description="Make an image from a prompt with a FLUX model")
    @app_commands.describe(
        prompt="What to draw. Flags like --ar 16:9 --seed 42 work too.",
        model="Which FLUX model (default: the server's)",
        image="An image to remix (image prompt)",
    )
    @app_commands.guild_only()
    async def imagine(
        self,
        interaction: discord.Interaction,
        prompt: app_commands.Range[str, 1, 2000],
        model: str | None = None,
        image: discord.Attachment | None = None,
    ) -> None:
        settings = self.bot.services.settings
        planning = {
            "default_model": settings.default_model,
            "available": list(self.bot.services.providers),
            "preferred": settings.preferred_provider(),
            "max_safety_tolerance": settings.max_safety_tolerance,
        }
        explicit = {"model": model}
        # Validate what needs no I/O before acknowledging, so a mistake costs nothing and stays private.
        plan_job(prompt, explicit, **planning)  # type: ignore[arg-type]
        await interaction.response.defer(thinking=True)
        images = [await read_attachment(image, "image")] if image else []
        plan = plan_job(prompt, explicit, images=images, **planning)  # type: ignore[arg-type]
        await start_job(self.bot, interaction, plan)

    @imagine.autocomplete("model")
    async def _model_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return model_choices(self.bot, current, kinds=("generate",))


def model_choices(bot: FluxBot, current: str, *, kinds: tuple[str, ...]) -> list[app_commands.Choice[str]]:
    """Models whose provider is configured, answered from memory (autocomplete cannot wait)."""
    available = set(bot.services.providers)
    choices = []
    for spec in MODELS.values():
        if spec.kind not in kinds:
            continue
        if not (available & set(spec.routes)) and "mock" not in available:
            continue
        if current.lower() in spec.id or current.lower() in spec.label.lower():
            choices.append(app_commands.Choice(name=f"{spec.label} ({spec.id})"[:100], value=spec.id))
    return choices[:25]


async def setup(bot: FluxBot) -> None:
    await bot.add_cog(Imagine(bot))
