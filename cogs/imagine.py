"""`/imagine`: text to image; with `image`, a remix of it (image prompt, or Ultra's strength)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot import guild_policy
from bot.discord.options import (
    check_attachments,
    model_choices,
    ratio_choices,
    read_attachment,
    read_attachments,
    set_choices,
)
from bot.discord.permissions import role_ids_of
from bot.discord.preferences import start_preferences
from bot.discord.replies import defer_once, within_ack_window
from bot.discord.start import batch_seeds, planning, start_batch, start_job
from bot.errors import InvalidInput
from bot.flags import MAX_COUNT
from bot.jobs.plan import plan_job

if TYPE_CHECKING:
    from bot.discord.client import FluxBot

__all__ = ["Imagine", "read_attachment", "start_job"]

#: Models `/imagine` offers: text-to-image ones and Kontext (which also draws from text alone).
IMAGINE_KINDS = ("generate", "edit")


class Imagine(commands.Cog):
    def __init__(self, bot: FluxBot) -> None:
        self.bot = bot
        # Fixed choices, decided now from the configured providers (see README: why not autocomplete).
        set_choices(self.imagine, "model", model_choices(bot, IMAGINE_KINDS))

    @app_commands.command(name="imagine", description="Make an image from a prompt with a FLUX model")
    @app_commands.describe(
        prompt="What to draw. Flags like --ar 16:9 --seed 42 --steps 30 work too",
        model="Which FLUX model (default: the server's)",
        aspect_ratio="Shape as W:H, from 21:9 to 9:21 (e.g. 16:9)",
        width="Width in px: 256-1440, multiple of 32; FLUX.2 on BFL 64-4096, multiple of 16, at most 4 MP",
        height="Height in px: 256-1440, multiple of 32; FLUX.2 on BFL 64-4096, multiple of 16, at most 4 MP",
        seed="Same seed + same settings = same image",
        steps="Generation steps, 1-50 (flux-pro, flux-dev, flux-2-flex)",
        guidance="Prompt adherence vs realism: 1.5-5 (flux-pro, flux-dev), 1.5-10 (flux-2-flex)",
        raw="Less processed, more natural look (flux-pro-1.1-ultra)",
        image="An image to remix (image prompt)",
        image_strength="How much the image counts, 0-1 (flux-pro-1.1-ultra)",
        upsample="Let the provider enrich the prompt (FLUX.2 pro/max: on unless set to False)",
        format="Output format",
        private="Show the result only to you (a private reply, later a DM); your /settings default",
        count="How many images, 1-4, with different seeds, in one message (each charged if it arrives)",
    )
    @app_commands.guild_only()
    async def imagine(
        self,
        interaction: discord.Interaction,
        prompt: app_commands.Range[str, 1, 2000],
        model: str | None = None,
        aspect_ratio: app_commands.Range[str, 3, 5] | None = None,
        width: app_commands.Range[int, 64, 4096] | None = None,
        height: app_commands.Range[int, 64, 4096] | None = None,
        seed: app_commands.Range[int, 0, 2**32 - 1] | None = None,
        steps: app_commands.Range[int, 1, 50] | None = None,
        guidance: app_commands.Range[float, 1.5, 10.0] | None = None,
        raw: bool | None = None,
        image: discord.Attachment | None = None,
        image_strength: app_commands.Range[float, 0.0, 1.0] | None = None,
        upsample: bool | None = None,
        format: Literal["jpeg", "png"] | None = None,
        private: bool | None = None,
        count: app_commands.Range[int, 1, MAX_COUNT] | None = None,
    ) -> None:
        explicit = {
            "model": model,
            "aspect_ratio": aspect_ratio,
            "width": width,
            "height": height,
            "seed": seed,
            "steps": steps,
            "guidance": guidance,
            "raw": raw,
            "image_strength": image_strength,
            "upsample": upsample,
            "output_format": format,
            "count": count,
        }
        attachments = {"image": image}
        services = self.bot.services
        prefs = await start_preferences(
            services, interaction, option=private, prompt=prompt, kinds=IMAGINE_KINDS
        )
        plan_inputs = planning(self.bot)
        plan_inputs |= await within_ack_window(
            interaction,
            guild_policy.check(services, interaction, model or prefs.model),
            ephemeral=prefs.private,
        )
        plan_inputs |= prefs.planning(explicit_model=model)
        # Validate what needs no I/O before acknowledging, so a mistake costs nothing and stays private.
        check_attachments(attachments)
        plan_inputs |= {"kinds": IMAGINE_KINDS, "batch": True}
        first = plan_job(prompt, explicit, images=_placeholders(attachments), **plan_inputs)
        if first.count > 1:  # a batch the quota cannot cover is refused whole, before anything is held
            await within_ack_window(
                interaction,
                services.quota.precheck(
                    interaction.guild_id,
                    interaction.user.id,
                    role_ids_of(interaction.user),
                    first.provider,
                    first.spec.id,
                    count=first.count,
                ),
                ephemeral=prefs.private,
            )
        await defer_once(interaction, thinking=True, ephemeral=prefs.private)
        images = await read_attachments(attachments)
        # Without attachments the first plan is already the one (the same inputs): not planned twice.
        plan = plan_job(prompt, explicit, images=images, **plan_inputs) if images else first
        if plan.count == 1:
            await start_job(self.bot, interaction, plan, private=prefs.private, gates=prefs.gates)
            return
        # A batch: as many jobs, each with its own seed, shown together in this one reply.
        seeds = batch_seeds(plan.count, plan.options.seed)
        try:
            plans = [
                plan_job(prompt, {**explicit, "seed": seed}, images=images, **plan_inputs) for seed in seeds
            ]
        except InvalidInput:  # a model without a seed: the provider picks a new one for each
            plans = [plan] * plan.count
        await start_batch(self.bot, interaction, plans, private=prefs.private, gates=prefs.gates)

    @imagine.autocomplete("aspect_ratio")
    async def _ratios(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return ratio_choices(current)


def _placeholders(attachments: dict[str, discord.Attachment | None]) -> list[str]:
    """Stand-ins for attachments not downloaded yet, so the first validation sees how many there are."""
    return ["AA==" for a in attachments.values() if a is not None]


async def setup(bot: FluxBot) -> None:
    await bot.add_cog(Imagine(bot))
