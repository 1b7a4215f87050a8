"""Command, option and choice names and descriptions in each member's language, synced with the commands.

Discord shows a command's `name_localizations` / `description_localizations` to members whose client
speaks that language; discord.py fills them from the tree's `Translator` when it syncs. This one reads
the catalogue (bot/i18n, `commands.ftl`), with keys derived from where the string is, so a command is
declared in English as usual and translated by adding its keys:

    cmd-<qualified name, spaces as dashes> = <name>         .description = <description>
    opt-<command key>-<option> = <option name>              .description = <description>
    choice-<value> = <choice name>
    choice-<command key>-<value> = <choice name>            (this command's, or its group's, own)
    menu-<name, lowercase, spaces as dashes> = <context menu name>

A choice is read from the most specific of its keys the catalogue has: `/owner block kind:guild`
from `choice-owner-block-guild`, else `choice-owner-guild`, else `choice-guild` (the quota
commands' "server budget"), so a command whose choice means something else has a key of its own.

tests/test_i18n.py checks that every command, group and option has its keys in every language, that
English copies match the code, and that each name is one Discord accepts.
"""

from __future__ import annotations

import re
from typing import Any

import discord
from discord import app_commands
from discord.app_commands import TranslationContextLocation as Where
from discord.app_commands import locale_str
from discord.utils import MISSING

from bot.i18n import SOURCE, bundle, supported

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def _slug(value: object) -> str:
    return _UNSAFE.sub("-", str(value)).strip("-").lower()


def command_key(command: app_commands.Command[Any, ..., Any] | app_commands.Group) -> str:
    return "cmd-" + command.qualified_name.replace(" ", "-")


def option_key(command: app_commands.Command[Any, ..., Any], option: str) -> str:
    return f"opt-{command_key(command)[4:]}-{option}"


def menu_key(menu: app_commands.ContextMenu) -> str:
    return "menu-" + _slug(menu.name)


def choice_key(choice: app_commands.Choice[Any]) -> str:
    return "choice-" + _slug(choice.value)


def choice_keys(command: app_commands.Command[Any, ..., Any], choice: app_commands.Choice[Any]) -> list[str]:
    """A choice's keys, most specific first: the command's, each parent group's, then the shared one."""
    parts = command.qualified_name.split(" ")
    value = _slug(choice.value)
    return [f"choice-{'-'.join(parts[:n])}-{value}" for n in range(len(parts), 0, -1)] + [choice_key(choice)]


def choice_translation(language: str, keys: list[str] | tuple[str, ...]) -> str | None:
    """The text of the first of `keys` the catalogue has in `language` (see `choice_keys`)."""
    for key in keys:
        if bundle(language).has_message(key):
            return translation(language, key)
    return None


def key_of(context: app_commands.TranslationContextTypes) -> tuple[str, str | None] | None:
    """The catalogue key (and attribute) of the string at `context`; None for strings not translated."""
    data: Any = context.data
    location = context.location
    if location in (Where.command_name, Where.group_name):
        if isinstance(data, app_commands.ContextMenu):
            return menu_key(data), None
        return command_key(data), None
    if location in (Where.command_description, Where.group_description):
        return command_key(data), "description"
    if location is Where.parameter_name:
        return option_key(data.command, data.name), None
    if location is Where.parameter_description:
        return option_key(data.command, data.name), "description"
    if location is Where.choice_name:
        return choice_key(data), None
    return None


def translation(language: str, key: str, attribute: str | None = None) -> str | None:
    """The catalogue's text for `key` in `language` (no fallback: Discord falls back to the default)."""
    messages = bundle(language)
    if not messages.has_message(key):
        return None
    message = messages.get_message(key)
    pattern = message.attributes.get(attribute) if attribute else message.value
    if pattern is None:
        return None
    text, errors = messages.format_pattern(pattern, {})
    return None if errors else str(text)


class CatalogueTranslator(app_commands.Translator):
    """`app_commands.Translator` over bot/i18n. English is the commands' own text (not repeated)."""

    async def translate(
        self, string: locale_str, locale: discord.Locale, context: app_commands.TranslationContextTypes
    ) -> str | None:
        language = supported(locale)
        if language is None or language == SOURCE:
            return None
        keys = string.extras.get("keys")
        if context.location is Where.choice_name and keys:
            return choice_translation(language, keys)
        found = key_of(context)
        if found is None:
            return None
        return translation(language, *found)


def make_translatable(tree: app_commands.CommandTree[Any]) -> None:
    """Mark every option name, option description and choice name of the tree as translatable.

    discord.py asks the translator only for `locale_str` strings; commands and groups are always
    asked for, options and choices only when declared with `locale_str`. So that commands are
    declared with plain strings as usual, this wraps them once all cogs are loaded (before a sync):
    the global commands and those of single guilds (`/owner`). A choice carries its keys
    (`choice_keys`), since Discord asks for it without its command.
    """
    for command in all_commands(tree):
        if not isinstance(command, app_commands.Command):
            continue
        for parameter in command._params.values():
            if not isinstance(parameter.description, locale_str):
                parameter.description = locale_str(parameter.description)
            if parameter._rename is MISSING:
                parameter._rename = locale_str(parameter.name)
            for choice in parameter.choices or ():
                # discord.py has made most of them `locale_str(name)` already; one with extras is
                # the cog's own.
                if choice._locale_name is None or not choice._locale_name.extras:
                    choice._locale_name = locale_str(choice.name, keys=tuple(choice_keys(command, choice)))


def all_commands(tree: app_commands.CommandTree[Any]) -> list[Any]:
    """Every command and group of the tree: the global ones, then each guild's own (`/owner`)."""
    found: list[Any] = list(tree.walk_commands())
    for guild_id in sorted(tree._guild_commands):
        found += tree.walk_commands(guild=discord.Object(id=guild_id))
    return found
