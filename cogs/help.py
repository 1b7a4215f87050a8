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

from bot.discord.buttons import JobButton
from bot.discord.context import BotContext
from bot.discord.pages import Page, PageSelect, message, paginate
from bot.discord.render import join_within
from bot.errors import NotFound, typed
from bot.flags import flag_help

if TYPE_CHECKING:
    from bot.discord.client import FluxBot

TOPIC = "help"
#: What members read (one place, for the translations to come).
TEXT = {
    "title": "fluxbot help",
    "intro": (
        "Make and edit images with FLUX. Start with `/imagine prompt:a lighthouse at dusk --ar 16:9`. "
        "Pick a page below for a command's options; `/models` lists the models and their prices."
    ),
    "overview": "Overview",
    "commands": "Commands",
    "menus": "Right-click a message → Apps",
    "flags": "Prompt flags",
    "flags_intro": (
        "Typed at the end of the prompt, Midjourney-style: `a castle --ar 16:9 --seed 42`. "
        "A slash option wins over a flag; an unknown flag is refused with how to write it."
    ),
    "buttons": "Buttons under an image",
    "buttons_intro": "They keep working after the bot restarts.",
    "example": "Example",
    "required": "required",
    "options": "Options",
    "no_options": "No options.",
    "subcommands": "Subcommands",
    "sets": "sets `{option}`",
    "unknown": "There is no command `/{name}` here. `/help` lists them.",
    "choices": "one of: {choices}",
    "range": "{low} to {high}",
    "length": "up to {high} characters",
    "attachment": "an image file",
}

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

#: How an option's type reads, when its description does not already say.
TYPE_NAMES = {
    discord.AppCommandOptionType.attachment: "attachment",
    discord.AppCommandOptionType.boolean: "True/False",
    discord.AppCommandOptionType.user: "member",
    discord.AppCommandOptionType.role: "role",
    discord.AppCommandOptionType.channel: "channel",
}


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


def option_text(parameter: app_commands.Parameter) -> str:
    """An option as one line: its description, its range or choices, its type when unsaid."""
    parts = [parameter.description] if parameter.description and parameter.description != "…" else []
    if parameter.choices:
        choices = join_within([f"`{c.value}`" for c in parameter.choices], 400, ", ")
        parts.append(TEXT["choices"].format(choices=choices))
    elif parameter.type is discord.AppCommandOptionType.string and parameter.max_value is not None:
        parts.append(TEXT["length"].format(high=_num(parameter.max_value)))  # a text's length
    elif parameter.min_value is not None and parameter.max_value is not None:
        parts.append(TEXT["range"].format(low=_num(parameter.min_value), high=_num(parameter.max_value)))
    kind = TYPE_NAMES.get(parameter.type)
    if kind is not None and kind.lower() not in " ".join(parts).lower():
        parts.append(kind)
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


def command_page(command: app_commands.Command[Any, ..., Any] | app_commands.Group) -> list[Page]:
    """A command's page: what it does, an example, then each option (a group: each subcommand)."""
    fields: list[tuple[str, str]] = []
    if isinstance(command, app_commands.Group):
        for leaf in leaves(command):
            options = [f"`{p.name}`" + ("*" if p.required else "") for p in leaf.parameters]
            value = leaf.description + (f"\n{', '.join(options)}" if options else "")
            value += f"\n{TEXT['example']}: `{example_of(leaf)}`"
            fields.append((f"/{leaf.qualified_name}", value))
        description = command.description
    else:
        for parameter in command.parameters:
            name = f"`{parameter.name}`" + (f" · {TEXT['required']}" if parameter.required else "")
            fields.append((name, option_text(parameter) or "—"))
        description = f"{command.description}\n\n**{TEXT['example']}:** `{example_of(command)}`"
        if not command.parameters:
            description += f"\n\n{TEXT['no_options']}"
    return paginate(f"cmd:{command.name}", f"/{command.name}", f"/{command.name}", description, fields)


def overview_page(bot: BotContext) -> list[Page]:
    lines = []
    for command in top_commands(bot):
        if isinstance(command, app_commands.Group):
            subs = " · ".join(
                leaf.qualified_name.removeprefix(command.name + " ") for leaf in leaves(command)
            )
            lines.append(f"`/{command.name}` {subs} — {command.description}")
        else:
            lines.append(f"`/{command.name}` — {command.description}")
    fields = [(TEXT["commands"], join_within(lines, 1024))]
    if len(join_within(lines, 10**6)) > 1024:  # more than one field holds: split them
        fields = _chunks(TEXT["commands"], lines)
    menus = [f"**{m.name}**" for m in context_menus(bot)]
    if menus:
        fields.append((TEXT["menus"], join_within(menus, 1024, ", ")))
    return paginate("overview", TEXT["overview"], TEXT["title"], TEXT["intro"], fields)


def _chunks(name: str, lines: list[str]) -> list[tuple[str, str]]:
    chunks: list[list[str]] = [[]]
    for line in lines:
        if len("\n".join([*chunks[-1], line])) > 1024:
            chunks.append([])
        chunks[-1].append(line[:1024])
    return [(name if i == 0 else f"{name} ({i + 1})", "\n".join(c)) for i, c in enumerate(chunks)]


def flags_page(bot: BotContext) -> list[Page]:
    """Each flag with its example, described by the `/imagine` option it stands for."""
    tree = bot.tree  # type: ignore[attr-defined]
    imagine = tree.get_command("imagine")
    parameters = {p.name: p for p in imagine.parameters} if isinstance(imagine, app_commands.Command) else {}
    fields = []
    for flag, option, example in flag_help():
        names = (flag.removeprefix("--"), option, option.removeprefix("output_"))
        parameter = next((parameters[n] for n in names if n in parameters), None)
        said = option_text(parameter) if parameter is not None else TEXT["sets"].format(option=option)
        fields.append((flag, f"{example} — {said}"))
    return paginate("flags", TEXT["flags"], TEXT["flags"], TEXT["flags_intro"], fields)


def buttons_page(bot: BotContext) -> list[Page]:
    """Every registered result button (its label and what it does)."""
    items = getattr(bot, "dynamic_item_types", [])
    fields = [
        (f"{item.emoji or ''} {item.label}".strip(), item.summary or "—")
        for item in items
        if isinstance(item, type) and issubclass(item, JobButton) and item.label
    ]
    return paginate("buttons", TEXT["buttons"], TEXT["buttons"], TEXT["buttons_intro"], fields)


def help_pages(bot: BotContext) -> list[Page]:
    pages = overview_page(bot) + flags_page(bot) + buttons_page(bot)
    for command in top_commands(bot):
        pages += command_page(command)
    return pages


class HelpPages(PageSelect, template=r"fluxbot:pages:help"):
    topic = TOPIC

    async def build(self, interaction: discord.Interaction) -> list[Page]:
        bot: FluxBot = interaction.client  # type: ignore[assignment]
        return help_pages(bot)


class Help(commands.Cog):
    def __init__(self, bot: FluxBot) -> None:
        self.bot = bot

    @app_commands.command(name="help", description="How to use the bot: commands, options, flags, buttons")
    @app_commands.describe(command="A command to explain (default: the overview)")
    async def help(self, interaction: discord.Interaction, command: str | None = None) -> None:
        pages = help_pages(self.bot)
        key = None
        if command is not None:
            name = command.strip().lstrip("/").split(" ")[0].lower()
            if not any(p.key == f"cmd:{name}" for p in pages):
                raise NotFound(TEXT["unknown"].format(name=typed(name, 40)))
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
