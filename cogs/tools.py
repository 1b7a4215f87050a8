"""`/fill` (inpainting) and `/expand` (outpainting): BFL's image tools (PROVIDERS-NEXT.md §2, §3).

Everything that can be refused without the image is refused before the command is acknowledged;
the image itself (a mask of another size, a mask with nothing to repaint or keep, no mask and no
transparency, an expansion past the endpoint's limits) is checked after it is downloaded and
before anything is held. The Zoom and pan buttons under a result run `/expand` on it
(bot/discord/buttons.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot import guild_policy
from bot.discord.options import check_attachments, download_attachment
from bot.discord.preferences import Preferences, start_preferences
from bot.discord.replies import defer_once, within_ack_window
from bot.discord.start import planning, start_job
from bot.encoding import in_image_thread
from bot.image_tools import fit_expansion, prepare_fill
from bot.jobs.plan import expansion_asked, plan_job
from bot.providers.catalog import EXPAND_MODEL, FILL_MODEL

if TYPE_CHECKING:
    from bot.discord.client import FluxBot

FILL_KINDS = ("fill",)
EXPAND_KINDS = ("expand",)
#: A stand-in for an image not downloaded yet, so the first validation sees that there is one.
PLACEHOLDER = "AA=="
PRIVATE_HELP = "Show the result only to you (a private reply, later a DM); your /settings default"


def preset_inputs(prefs: Preferences) -> dict[str, Any]:
    """What a member's `/settings` preset gives the tools: its format. Its model, ratio and suffix
    are for `/imagine` and `/edit` (a suffix's `--ar` would not fit a tool that keeps the image's size)."""
    return {"defaults": {k: v for k, v in prefs.defaults.items() if k == "output_format"}}


class Tools(commands.Cog):
    def __init__(self, bot: FluxBot) -> None:
        self.bot = bot

    @app_commands.command(name="fill", description="Repaint part of an image (inpainting) with FLUX Fill")
    @app_commands.describe(
        image="The image to change; its transparent area is repainted when there is no mask",
        prompt="What to paint in the masked area. Flags like --seed 42 --steps 30 work too",
        mask="Same size as the image: white is repainted, black is kept",
        seed="Same seed + same settings = same image",
        steps="Generation steps, 15-50",
        guidance="Prompt adherence, 1.5-100",
        format="Output format",
        private=PRIVATE_HELP,
    )
    @app_commands.guild_only()
    async def fill(
        self,
        interaction: discord.Interaction,
        image: discord.Attachment,
        prompt: app_commands.Range[str, 1, 2000],
        mask: discord.Attachment | None = None,
        seed: app_commands.Range[int, 0, 2**32 - 1] | None = None,
        steps: app_commands.Range[int, 15, 50] | None = None,
        guidance: app_commands.Range[float, 1.5, 100.0] | None = None,
        format: Literal["jpeg", "png"] | None = None,
        private: bool | None = None,
    ) -> None:
        explicit = {
            "model": FILL_MODEL,
            "seed": seed,
            "steps": steps,
            "guidance": guidance,
            "output_format": format,
        }
        prefs = await start_preferences(
            self.bot.services, interaction, option=private, prompt=prompt, kinds=FILL_KINDS
        )
        plan_inputs = planning(self.bot) | preset_inputs(prefs)
        plan_inputs |= await within_ack_window(
            interaction,
            guild_policy.check(self.bot.services, interaction, FILL_MODEL),
            ephemeral=prefs.private,
        )
        attachments = {"image": image, "mask": mask}
        check_attachments(attachments)
        placeholder_mask = PLACEHOLDER if mask is not None else None
        plan_job(
            prompt, explicit, images=[PLACEHOLDER], mask=placeholder_mask, kinds=FILL_KINDS, **plan_inputs
        )
        await defer_once(interaction, thinking=True, ephemeral=prefs.private)
        image_data = await download_attachment(image, "image")
        mask_data = await download_attachment(mask, "mask") if mask is not None else None
        inputs = await in_image_thread(prepare_fill, image_data, mask_data)
        plan = plan_job(
            prompt, explicit, images=[inputs.image], mask=inputs.mask, kinds=FILL_KINDS, **plan_inputs
        )
        await start_job(self.bot, interaction, plan, private=prefs.private, gates=prefs.gates)

    @app_commands.command(name="expand", description="Extend an image beyond its borders (outpainting)")
    @app_commands.describe(
        image="The image to extend",
        top="Pixels to add above, 0-2048",
        bottom="Pixels to add below, 0-2048",
        left="Pixels to add on the left, 0-2048",
        right="Pixels to add on the right, 0-2048",
        prompt="What the new area shows (optional). --zoom 2 instead of the sides zooms out 2x",
        seed="Same seed + same settings = same image",
        format="Output format",
        private=PRIVATE_HELP,
    )
    @app_commands.guild_only()
    async def expand(
        self,
        interaction: discord.Interaction,
        image: discord.Attachment,
        top: app_commands.Range[int, 0, 2048] | None = None,
        bottom: app_commands.Range[int, 0, 2048] | None = None,
        left: app_commands.Range[int, 0, 2048] | None = None,
        right: app_commands.Range[int, 0, 2048] | None = None,
        prompt: app_commands.Range[str, 1, 2000] | None = None,
        seed: app_commands.Range[int, 0, 2**32 - 1] | None = None,
        format: Literal["jpeg", "png"] | None = None,
        private: bool | None = None,
    ) -> None:
        text = prompt or ""
        sides = {"top": top, "bottom": bottom, "left": left, "right": right}
        explicit = {"model": EXPAND_MODEL, "seed": seed, "output_format": format}
        prefs = await start_preferences(
            self.bot.services, interaction, option=private, prompt=text, kinds=EXPAND_KINDS
        )
        plan_inputs = planning(self.bot) | preset_inputs(prefs)
        plan_inputs |= await within_ack_window(
            interaction,
            guild_policy.check(self.bot.services, interaction, EXPAND_MODEL),
            ephemeral=prefs.private,
        )
        check_attachments({"image": image})
        zoom, asked = expansion_asked(text, sides)
        stand_in = asked or {"top": 1}  # a zoom's sides follow the image, not read yet
        plan_job(text, {**explicit, **stand_in}, images=[PLACEHOLDER], kinds=EXPAND_KINDS, **plan_inputs)
        await defer_once(interaction, thinking=True, ephemeral=prefs.private)
        data = await download_attachment(image, "image")
        expansion = await in_image_thread(fit_expansion, data, "image", sides=asked or None, zoom=zoom)
        plan = plan_job(
            text,
            {**explicit, **expansion.sides()},
            images=[expansion.image],
            kinds=EXPAND_KINDS,
            **plan_inputs,
        )
        await start_job(
            self.bot, interaction, plan, private=prefs.private, note=expansion.note, gates=prefs.gates
        )


async def setup(bot: FluxBot) -> None:
    await bot.add_cog(Tools(bot))
