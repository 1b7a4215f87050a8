"""`/help [command]`: the commands, their options, the prompt flags and the buttons, with examples
(issue 18 #9). Private, paged within Discord's embed limits, with a select between the pages.

Built from data: the command tree (names, descriptions, options and their ranges, whatever cog
added them), the flag table (`bot.flags`) and the registered buttons (`bot.discord.buttons`), so
a command, flag or button added later shows here without an edit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.buttons import JobButton, button_label, button_summary
from bot.discord.context import BotContext
from bot.discord.language import locale_of
from bot.discord.pages import Page, PageSelect, message, paginate
from bot.discord.render import join_within
from bot.discord.translator import command_key, option_key, translation
from bot.errors import NotFound, typed
from bot.flags import flag_help
from bot.i18n import t, text

if TYPE_CHECKING:
    from bot.discord.client import FluxBot

TOPIC = "help"
#: Examples for the commands members use most; any other command gets one made from its options.
EXAMPLES = {
    "imagine": "/imagine prompt:a lighthouse at dusk, oil painting --ar 16:9 --seed 42",
    "edit": "/edit prompt:the cat from image 2 on the sofa image:(file) image2:(file) model:flux-2-pro",
    "finetune": "/finetune prompt:TOK as an astronaut finetune_id:(your finetune's id)",
    "quota": "/quota",
    "history": "/history",
    "jobs": "/jobs",
    "models": "/models",
    "help": "/help command:edit",
}

#: How an option's type reads (`help-type-<name>`), when its description does not already say.
TYPE_NAMES = {
    discord.AppCommandOptionType.attachment: "attachment",
    discord.AppCommandOptionType.boolean: "boolean",
    discord.AppCommandOptionType.user: "member",
    discord.AppCommandOptionType.role: "role",
    discord.AppCommandOptionType.channel: "channel",
}


def described(language: str, command: Any, parameter: str | None = None) -> str:
    """A command's (or option's) description in the member's language (the translator's text)."""
    if parameter is None:
        return translation(language, command_key(command), "description") or command.description
    english = next((str(p.description) for p in command.parameters if p.name == parameter), "")
    return translation(language, option_key(command, parameter), "description") or english


def top_commands(bot: BotContext) -> list[app_commands.Command[Any, ..., Any] | app_commands.Group]:
    tree = bot.tree  # type: ignore[attr-defined]
    return [c for c in tree.get_commands() if isinstance(c, app_commands.Command | app_commands.Group)]


def context_menus(bot: BotContext) -> list[app_commands.ContextMenu]:
    tree = bot.tree  # type: ignore[attr-defined]
    menus = tree.get_commands(type=discord.AppCommandType.message)
    return [m for m in menus if isinstance(m, app_commands.ContextMenu)]


def leaves(group: app_commands.Group) -> list[app_commands.Command[Any, ..., Any]]:
    found: list[app_commands.Command[Any, ..., Any]] = []
    for child in group.commands:
        found += leaves(child) if isinstance(child, app_commands.Group) else [child]
    return found


def option_text(parameter: app_commands.Parameter, language: str) -> str:
    """An option as one line: its description, its range or choices, its type when unsaid."""
    description = described(language, parameter.command, parameter.name)
    parts = [description] if description and description != "…" else []
    if parameter.choices:
        choices = join_within([f"`{c.value}`" for c in parameter.choices], 400, ", ")
        parts.append(t(language, "help-choices", choices=choices))
    elif parameter.type is discord.AppCommandOptionType.string and parameter.max_value is not None:
        parts.append(t(language, "help-length", high=_num(parameter.max_value)))  # a text's length
    elif parameter.min_value is not None and parameter.max_value is not None:
        parts.append(t(language, "help-range", low=_num(parameter.min_value), high=_num(parameter.max_value)))
    kind = TYPE_NAMES.get(parameter.type)
    if kind is not None:
        said = t(language, f"help-type-{kind}")
        if said.lower() not in " ".join(parts).lower():
            parts.append(said)
    return "; ".join(parts)


def _num(value: float | int) -> str:
    return format(value, "g") if isinstance(value, float) else str(value)


def example_of(command: app_commands.Command[Any, ..., Any]) -> str:
    """The curated example, else one made of the command's required options."""
    if command.name in EXAMPLES and command.parent is None:
        return EXAMPLES[command.name]
    words = [f"/{command.qualified_name}"]
    for parameter in command.parameters:
        if parameter.required:
            shown = "(file)" if parameter.type is discord.AppCommandOptionType.attachment else "…"
            words.append(f"{parameter.name}:{shown}")
    return " ".join(words)


def command_page(
    command: app_commands.Command[Any, ..., Any] | app_commands.Group, language: str
) -> list[Page]:
    """A command's page: what it does, an example, then each option (a group: each subcommand)."""
    fields: list[tuple[str, str]] = []
    example = t(language, "help-example")
    if isinstance(command, app_commands.Group):
        for leaf in leaves(command):
            options = [f"`{p.name}`" + ("*" if p.required else "") for p in leaf.parameters]
            value = described(language, leaf) + (f"\n{', '.join(options)}" if options else "")
            value += f"\n{example}: `{example_of(leaf)}`"
            fields.append((f"/{leaf.qualified_name}", value))
        description = described(language, command)
    else:
        required = t(language, "help-required")
        for parameter in command.parameters:
            name = f"`{parameter.name}`" + (f" · {required}" if parameter.required else "")
            fields.append((name, option_text(parameter, language) or "—"))
        description = f"{described(language, command)}\n\n**{example}:** `{example_of(command)}`"
        if not command.parameters:
            description += f"\n\n{t(language, 'help-no-options')}"
    return paginate(f"cmd:{command.name}", f"/{command.name}", f"/{command.name}", description, fields)


def overview_page(bot: BotContext, language: str) -> list[Page]:
    lines = []
    for command in top_commands(bot):
        if isinstance(command, app_commands.Group):
            subs = " · ".join(
                leaf.qualified_name.removeprefix(command.name + " ") for leaf in leaves(command)
            )
            lines.append(f"`/{command.name}` {subs} — {described(language, command)}")
        else:
            lines.append(f"`/{command.name}` — {described(language, command)}")
    heading = t(language, "help-commands")
    fields = [(heading, join_within(lines, 1024))]
    if len(join_within(lines, 10**6)) > 1024:  # more than one field holds: split them
        fields = _chunks(heading, lines)
    menus = [f"**{m.name}**" for m in context_menus(bot)]
    if menus:
        fields.append((t(language, "help-menus"), join_within(menus, 1024, ", ")))
    return paginate(
        "overview",
        t(language, "help-overview"),
        t(language, "help-title"),
        t(language, "help-intro"),
        fields,
    )


def _chunks(name: str, lines: list[str]) -> list[tuple[str, str]]:
    chunks: list[list[str]] = [[]]
    for line in lines:
        if len("\n".join([*chunks[-1], line])) > 1024:
            chunks.append([])
        chunks[-1].append(line[:1024])
    return [(name if i == 0 else f"{name} ({i + 1})", "\n".join(c)) for i, c in enumerate(chunks)]


def flags_page(bot: BotContext, language: str) -> list[Page]:
    """Each flag with its example, described by the `/imagine` option it stands for."""
    tree = bot.tree  # type: ignore[attr-defined]
    imagine = tree.get_command("imagine")
    parameters = {p.name: p for p in imagine.parameters} if isinstance(imagine, app_commands.Command) else {}
    fields = []
    for flag, option, example in flag_help():
        names = (flag.removeprefix("--"), option, option.removeprefix("output_"))
        parameter = next((parameters[n] for n in names if n in parameters), None)
        said = (
            option_text(parameter, language)
            if parameter is not None
            else t(language, "help-sets", option=option)
        )
        fields.append((flag, f"{example} — {said}"))
    title = t(language, "help-flags")
    return paginate("flags", title, title, t(language, "help-flags-intro"), fields)


def buttons_page(bot: BotContext, language: str) -> list[Page]:
    """Every registered result button (its label and what it does), in the member's language."""
    items = getattr(bot, "dynamic_item_types", [])
    fields = [
        (f"{item.emoji or ''} {button_label(language, item)}".strip(), button_summary(language, item))
        for item in items
        if isinstance(item, type) and issubclass(item, JobButton) and item.summarised
    ]
    title = t(language, "help-buttons")
    return paginate("buttons", title, title, t(language, "help-buttons-intro"), fields)


def help_pages(bot: BotContext, language: str) -> list[Page]:
    pages = overview_page(bot, language) + flags_page(bot, language) + buttons_page(bot, language)
    for command in top_commands(bot):
        pages += command_page(command, language)
    return pages


class HelpPages(PageSelect, template=r"fluxbot:pages:help"):
    topic = TOPIC

    async def build(self, interaction: discord.Interaction) -> list[Page]:
        bot: FluxBot = interaction.client  # type: ignore[assignment]
        return help_pages(bot, await locale_of(interaction))


class Help(commands.Cog):
    def __init__(self, bot: FluxBot) -> None:
        self.bot = bot

    @app_commands.command(name="help", description="How to use the bot: commands, options, flags, buttons")
    @app_commands.describe(command="A command to explain (default: the overview)")
    async def help(self, interaction: discord.Interaction, command: str | None = None) -> None:
        pages = help_pages(self.bot, await locale_of(interaction))
        key = None
        if command is not None:
            name = command.strip().lstrip("/").split(" ")[0].lower()
            if not any(p.key == f"cmd:{name}" for p in pages):
                raise NotFound(text("help-unknown", name=typed(name, 40)))
            key = f"cmd:{name}"
        await interaction.response.send_message(**message(pages, TOPIC, key), ephemeral=True)

    @help.autocomplete("command")
    async def _commands(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        typed_name = current.strip().lstrip("/").lower()
        names = [c.name for c in top_commands(self.bot) if c.name.startswith(typed_name)]
        return [app_commands.Choice(name=f"/{n}", value=n) for n in names][:25]


async def setup(bot: FluxBot) -> None:
    bot.add_dynamic_items(HelpPages)
    await bot.add_cog(Help(bot))
