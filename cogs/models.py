"""`/models`: the models this bot offers here, what each takes, and its price (issue 18 #9).

Built from the model table and the configured providers, so a new model or provider shows with no
edit here; `DISABLED_MODELS` hides a model, and a server's allowed models and default are marked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.context import BotContext
from bot.discord.language import locale_of
from bot.discord.options import offered_models
from bot.discord.pages import Page, PageSelect, message, paginate
from bot.guild_policy import effective
from bot.i18n import t
from bot.jobs.plan import choose_provider
from bot.providers.catalog import PROVIDER_NAMES, price_text, route_for, takes

if TYPE_CHECKING:
    from bot.discord.client import FluxBot

TOPIC = "models"


async def model_pages(bot: BotContext, guild_id: int | None, language: str) -> list[Page]:
    """One field per model: the commands that offer it, who serves it, what it takes, its price."""
    services = bot.services
    config = services.settings
    guild = await services.quota.guilds.settings(guild_id)
    planning = effective(guild, config.default_model, config.max_safety_tolerance)
    available, preferred = list(services.providers), config.preferred_provider()
    fields = []
    for spec in offered_models(bot):
        provider = choose_provider(spec, available, preferred, None)
        route = route_for(spec, provider)
        served = t(language, "models-mock") if provider == "mock" else PROVIDER_NAMES.get(provider, provider)
        marks = []
        if spec.id == planning["default_model"]:
            marks.append(t(language, "models-default"))
        if guild.allowed_models is not None and spec.id not in guild.allowed_models:
            marks.append(t(language, "models-not-allowed"))
        offering = ", ".join(commands_offering(bot, spec.id, spec.kind)) or "—"
        price = price_text(route, services.quota.table_price(provider, spec.id)).render(language)
        taken = ", ".join(str(x) if isinstance(x, str) else x.render(language) for x in takes(route))
        lines = [
            f"**{t(language, 'models-commands')}:** {offering}",
            f"**{t(language, 'models-served')}:** {served}",
            f"**{t(language, 'models-takes')}:** {taken}",
            f"**{t(language, 'models-price')}:** {price}",
        ]
        name = f"{spec.label} · `{spec.id}`" + (f" ({', '.join(marks)})" if marks else "")
        fields.append((name, "\n".join(lines)))
    intro = t(language, "models-intro" if fields else "models-none")
    return paginate(TOPIC, t(language, "models-label"), t(language, "models-title"), intro, fields)


def commands_offering(bot: BotContext, model: str, kind: str) -> list[str]:
    """The commands whose `model` choices list this model, else the command named after its kind
    (`/finetune`): read from the command tree, so new commands need no edit here."""
    tree = getattr(bot, "tree", None)
    if tree is None:
        return []
    found = []
    for command in tree.get_commands():
        if not isinstance(command, app_commands.Command):
            continue
        parameter = next((p for p in command.parameters if p.name == "model"), None)
        if parameter is not None and any(c.value == model for c in parameter.choices):
            found.append(f"/{command.name}")
    if not found and tree.get_command(kind) is not None:
        found.append(f"/{kind}")
    return found


class ModelPages(PageSelect, template=r"fluxbot:pages:models"):
    topic = TOPIC

    async def build(self, interaction: discord.Interaction) -> list[Page]:
        bot: FluxBot = interaction.client  # type: ignore[assignment]
        return await model_pages(bot, interaction.guild_id, await locale_of(interaction))


class Models(commands.Cog):
    def __init__(self, bot: FluxBot) -> None:
        self.bot = bot

    @app_commands.command(name="models", description="The image models here: what each takes and its price")
    @app_commands.guild_only()
    async def models(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)  # before the store is read
        pages = await model_pages(self.bot, interaction.guild_id, await locale_of(interaction))
        await interaction.followup.send(**message(pages, TOPIC), ephemeral=True)


async def setup(bot: FluxBot) -> None:
    bot.add_dynamic_items(ModelPages)
    await bot.add_cog(Models(bot))
