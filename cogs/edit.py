"""`/edit`: an edit or composition from reference images: 1–4 with Kontext, up to 8 with FLUX.2
on BFL (4 on TTAPI and on klein; the catalogue counts each endpoint's slots)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot import guild_policy
from bot.discord.options import check_attachments, model_choices, ratio_choices, read_attachments, set_choices
from bot.discord.preferences import start_preferences
from bot.discord.replies import defer_once, within_ack_window
from bot.discord.start import planning, start_job
from bot.jobs.plan import plan_job

if TYPE_CHECKING:
    from bot.discord.client import FluxBot

EDIT_KINDS = ("edit",)
DEFAULT_EDIT_MODEL = "flux-kontext-pro"


class Edit(commands.Cog):
    def __init__(self, bot: FluxBot) -> None:
        self.bot = bot
        set_choices(self.edit, "model", model_choices(bot, EDIT_KINDS))

    @app_commands.command(
        name="edit", description="Edit an image, or combine up to eight, with FLUX Kontext or FLUX.2"
    )
    @app_commands.describe(
        prompt="What to change or make, e.g. 'make it night' or 'put the cat from image 2 on the sofa'",
        image="The image to edit",
        image2="A second reference image (optional)",
        image3="A third reference image (optional)",
        image4="A fourth reference image (optional)",
        image5="A fifth reference image (FLUX.2 on BFL)",
        image6="A sixth reference image (FLUX.2 on BFL)",
        image7="A seventh reference image (FLUX.2 on BFL)",
        image8="An eighth reference image (FLUX.2 on BFL)",
        model="flux-kontext-pro (default), flux-kontext-max or a FLUX.2 model",
        aspect_ratio="Shape as W:H, from 21:9 to 9:21 (default: the image's)",
        seed="Same seed + same settings = same image",
        private="Show the result only to you (a private reply, later a DM); your /settings default",
    )
    @app_commands.guild_only()
    async def edit(
        self,
        interaction: discord.Interaction,
        prompt: app_commands.Range[str, 1, 2000],
        image: discord.Attachment,
        image2: discord.Attachment | None = None,
        image3: discord.Attachment | None = None,
        image4: discord.Attachment | None = None,
        image5: discord.Attachment | None = None,
        image6: discord.Attachment | None = None,
        image7: discord.Attachment | None = None,
        image8: discord.Attachment | None = None,
        model: str | None = None,
        aspect_ratio: app_commands.Range[str, 3, 5] | None = None,
        seed: app_commands.Range[int, 0, 2**32 - 1] | None = None,
        private: bool | None = None,
    ) -> None:
        explicit = {"model": model, "aspect_ratio": aspect_ratio, "seed": seed}
        attachments = {
            "image": image,
            "image2": image2,
            "image3": image3,
            "image4": image4,
            "image5": image5,
            "image6": image6,
            "image7": image7,
            "image8": image8,
        }
        services = self.bot.services
        prefs = await start_preferences(
            services, interaction, option=private, prompt=prompt, kinds=EDIT_KINDS
        )
        plan_inputs = {**planning(self.bot), "default_model": DEFAULT_EDIT_MODEL}
        plan_inputs |= await within_ack_window(
            interaction,
            guild_policy.check(services, interaction, model or prefs.model, default=DEFAULT_EDIT_MODEL),
            ephemeral=prefs.private,
        )
        plan_inputs |= prefs.planning(explicit_model=model)
        check_attachments(attachments)
        placeholders = ["AA==" for a in attachments.values() if a is not None]
        plan_job(prompt, explicit, images=placeholders, kinds=EDIT_KINDS, **plan_inputs)
        await defer_once(interaction, thinking=True, ephemeral=prefs.private)
        images = await read_attachments(attachments)
        plan = plan_job(prompt, explicit, images=images, kinds=EDIT_KINDS, **plan_inputs)
        await start_job(self.bot, interaction, plan, private=prefs.private, gates=prefs.gates)

    @edit.autocomplete("aspect_ratio")
    async def _ratios(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return ratio_choices(current)


async def setup(bot: FluxBot) -> None:
    await bot.add_cog(Edit(bot))
