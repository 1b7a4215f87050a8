"""`/finetune`: an image from the operator's BFL finetune (only when BFL is configured)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot import guild_policy
from bot.discord.preferences import start_preferences
from bot.discord.replies import defer_once, within_ack_window
from bot.discord.start import planning, start_job
from bot.jobs.plan import plan_job

if TYPE_CHECKING:
    from bot.discord.client import FluxBot

FINETUNE_MODEL = "flux-pro-finetuned"


class Finetune(commands.Cog):
    def __init__(self, bot: FluxBot) -> None:
        self.bot = bot

    @app_commands.command(name="finetune", description="Make an image with a finetuned FLUX model (BFL)")
    @app_commands.describe(
        prompt="What to draw (use your finetune's trigger word)",
        finetune_id="The id of the finetune, as BFL gave it",
        strength="How strongly the finetune applies, 0-2 (default 1.1)",
        width="Width in pixels, 256-1440, a multiple of 32",
        height="Height in pixels, 256-1440, a multiple of 32",
        seed="Same seed + same settings = same image",
        steps="Generation steps, 1-50",
        guidance="Prompt adherence vs realism, 1.5-5",
        private="Show the result only to you (a private reply, later a DM); your /settings default",
    )
    @app_commands.guild_only()
    async def finetune(
        self,
        interaction: discord.Interaction,
        prompt: app_commands.Range[str, 1, 2000],
        finetune_id: app_commands.Range[str, 1, 200],
        strength: app_commands.Range[float, 0.0, 2.0] | None = None,
        width: app_commands.Range[int, 256, 1440] | None = None,
        height: app_commands.Range[int, 256, 1440] | None = None,
        seed: app_commands.Range[int, 0, 2**32 - 1] | None = None,
        steps: app_commands.Range[int, 1, 50] | None = None,
        guidance: app_commands.Range[float, 1.5, 5.0] | None = None,
        private: bool | None = None,
    ) -> None:
        explicit = {
            "model": FINETUNE_MODEL,
            "finetune_id": finetune_id.strip(),
            "finetune_strength": strength,
            "width": width,
            "height": height,
            "seed": seed,
            "steps": steps,
            "guidance": guidance,
        }
        # Finetuned inference is BFL's alone: never the mock, never TTAPI.
        services = self.bot.services
        prefs = await start_preferences(
            services, interaction, option=private, prompt=prompt, kinds=("finetune",)
        )
        plan_inputs = planning(self.bot) | await within_ack_window(
            interaction,
            guild_policy.check(services, interaction, FINETUNE_MODEL),
            ephemeral=prefs.private,
        )
        # The member's suffix counts; their preset model, ratio and format are for the other commands.
        plan = plan_job(
            prompt, explicit, provider="bfl", kinds=("finetune",), suffix=prefs.suffix, **plan_inputs
        )
        await defer_once(interaction, thinking=True, ephemeral=prefs.private)
        await start_job(self.bot, interaction, plan, private=prefs.private, gates=prefs.gates)


async def setup(bot: FluxBot) -> None:
    if "bfl" not in bot.services.providers:
        return  # the command exists only when BFL is configured
    await bot.add_cog(Finetune(bot))
