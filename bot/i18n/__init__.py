"""What a member reads, in the member's language: one Fluent catalogue per language.

Every member-facing sentence is a message in `bot/i18n/locales/<language>/*.ftl` (Project Fluent),
rendered with `t(locale, key, **args)`. English (`en-US`) is the source; `ru`, `zh-CN`, `es-ES`
and `de` are complete translations (tests/test_i18n.py checks every key and placeholder in every
language, and renders every message in each). Which language a member reads:
`resolve(interaction.locale, server language, DEFAULT_LANGUAGE)` (bot/discord/language.py).

A sentence that is decided far from Discord (a refusal raised in `bot/jobs/plan.py`) is carried as
a `Text` (key and arguments) and rendered where the member's language is known. Logs, the ledger and
the operator's command line stay English: `str(Text)` is the English sentence.

Numbers and credits are formatted for the language with Babel (`number`, `credits`); an `int`
argument is formatted by Fluent (which uses Babel too) and drives plural forms; a `Decimal` is
formatted here as a credit amount.

Fluent and Babel (with pytz and attrs: ~2 MB of a process's memory) are imported by the first
sentence rendered, not when this module is: a process that renders none (a worker between
deliveries, `generate` on the command line) never loads them (tests/test_lean_imports.py).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from babel import Locale as BabelLocale
    from fluent.runtime import FluentBundle

log = logging.getLogger(__name__)

#: The source language: every key is written here first.
SOURCE = "en-US"
#: Every language the bot speaks, as Discord spells them (`discord.Locale` values).
LANGUAGES = ("en-US", "ru", "zh-CN", "es-ES", "de")
#: Each language's own name, for `/admin settings language:` choices.
LANGUAGE_NAMES = {
    "en-US": "English",
    "ru": "Русский",
    "zh-CN": "简体中文",
    "es-ES": "Español",
    "de": "Deutsch",
}
#: Discord locales that read one of ours (British English reads American, Latin American Spanish
#: reads Spain's). Traditional Chinese is not mapped: it falls to the server's language instead.
ALIASES = {"en-GB": "en-US", "es-419": "es-ES"}

LOCALES_DIR = Path(__file__).with_name("locales")


def supported(tag: object) -> str | None:
    """Our language for a Discord locale (`discord.Locale` or its string), or None."""
    if tag is None:
        return None
    text = str(getattr(tag, "value", tag))
    if text in LANGUAGE_NAMES:
        return text
    return ALIASES.get(text)


def resolve(*candidates: object) -> str:
    """The first candidate we speak (the member's client, the server, the default), else English."""
    for candidate in candidates:
        found = supported(candidate)
        if found is not None:
            return found
    return SOURCE


def catalogue_files(language: str) -> list[Path]:
    return sorted((LOCALES_DIR / language).glob("*.ftl"))


@functools.cache
def bundle(language: str) -> FluentBundle:
    """The language's messages (all its .ftl files), loaded once."""
    from fluent.runtime import FluentBundle, FluentResource

    found = FluentBundle([language], use_isolating=False)
    for path in catalogue_files(language):
        found.add_resource(FluentResource(path.read_text(encoding="utf-8")))
    return found


def has(language: str, key: str) -> bool:
    return bundle(language).has_message(key)


def _arguments(language: str, args: Mapping[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, value in args.items():
        if isinstance(value, Text):
            value = value.render(language)
        elif isinstance(value, Joined):
            value = value.separator.join(
                v.render(language) if isinstance(v, Text) else str(v) for v in value.items
            )
        elif isinstance(value, list | tuple):  # sentences, each rendered, one after the other
            value = " ".join(v.render(language) if isinstance(v, Text) else str(v) for v in value)
        elif isinstance(value, bool):
            value = str(value).lower()
        elif isinstance(value, Decimal):
            value = credits(language, value)
        elif isinstance(value, float):
            value = number(language, value)
        elif value is None:
            value = ""
        values[name] = value
    return values


def t(language: str, key: str, /, **args: Any) -> str:
    """The message `key` in `language` (falling back to English, then to the key itself).

    `attribute` reads `key.attribute` instead of the message's value.
    """
    attribute = args.pop("attribute", None)
    if not args:
        return _constant(language, key, attribute)
    return _render(language, key, attribute, args)


@functools.lru_cache(maxsize=4096)
def _constant(language: str, key: str, attribute: str | None) -> str:
    """A message without arguments, rendered once per language: the same text every time (a
    worker rendered a result's dozen button labels and field names through Fluent for every job)."""
    return _render(language, key, attribute, {})


def _render(language: str, key: str, attribute: str | None, args: dict[str, Any]) -> str:
    for candidate in (language, SOURCE) if language != SOURCE else (SOURCE,):
        messages = bundle(candidate)
        if not messages.has_message(key):
            continue
        message = messages.get_message(key)
        pattern = message.attributes.get(attribute) if attribute else message.value
        if pattern is None:
            continue
        text, errors = messages.format_pattern(pattern, _arguments(candidate, args))
        if errors:
            log.warning("message %s in %s: %s", key, candidate, errors)
        return str(text)
    log.warning("message %s is missing in %s", key, language)
    return key


def number(language: str, value: float | int | Decimal, *, decimals: int = 1) -> str:
    """A number as the language writes it (`1,234.5`, `1 234,5`): an int as it is, others with
    `decimals` decimals."""
    from babel.numbers import format_decimal

    pattern = "#,##0" if isinstance(value, int) else f"#,##0.{'0' * decimals}"
    return str(format_decimal(value, format=pattern, locale=babel_locale(language)))


def credits(language: str, amount: Decimal | None) -> str:
    """A credit amount as the language writes it, to the millionth; None is "unlimited"."""
    if amount is None:
        return t(language, "credits-unlimited")
    from babel.numbers import format_decimal

    return str(format_decimal(amount, format="#,##0.######", locale=babel_locale(language)))


@functools.cache
def babel_locale(language: str) -> BabelLocale:
    from babel import Locale as BabelLocale

    return BabelLocale.parse(language, sep="-")


@dataclass(frozen=True, slots=True)
class Text:
    """A message not yet rendered: a key and its arguments. `str()` is the English sentence."""

    key: str
    args: Mapping[str, Any] = field(default_factory=dict)

    def render(self, language: str) -> str:
        return t(language, self.key, **self.args)

    def __str__(self) -> str:
        return self.render(SOURCE)

    def stored(self) -> dict[str, Any]:
        """The text as JSON-ready data (key and arguments), for a sentence rendered later in whatever
        language its reader has (a job's failure note, Expand's note): rendered from the catalogue of
        the day, never frozen in English. Arguments are strings, numbers or other `Text`s."""
        args: dict[str, Any] = {}
        for name, value in self.args.items():
            if isinstance(value, Text):
                args[name] = {TEXT_MARK: value.stored()}
            elif isinstance(value, Decimal):
                args[name] = {DECIMAL_MARK: str(value)}
            elif value is None or isinstance(value, str | int | float | bool):
                args[name] = value
            else:
                args[name] = str(value)
        return {"key": self.key, "args": args}

    @classmethod
    def from_stored(cls, data: object) -> Text | None:
        """The text `stored()` gave, or None for anything else (an older row's plain sentence)."""
        if not isinstance(data, dict) or not isinstance(data.get("key"), str):
            return None
        raw = data.get("args")
        args: dict[str, Any] = {}
        for name, value in (raw if isinstance(raw, dict) else {}).items():
            if isinstance(value, dict) and TEXT_MARK in value:
                value = cls.from_stored(value[TEXT_MARK]) or ""
            elif isinstance(value, dict) and DECIMAL_MARK in value:
                value = Decimal(str(value[DECIMAL_MARK]))
            args[str(name)] = value
        return cls(data["key"], args)


#: How `Text.stored` marks an argument that is itself a text, or a credit amount.
TEXT_MARK = "$text"
DECIMAL_MARK = "$credits"


@dataclass(frozen=True, slots=True)
class Joined:
    """Items (texts rendered in the same language) joined by `separator`, as one argument."""

    items: tuple[Text | str, ...]
    separator: str = ", "


def text(key: str, /, **args: Any) -> Text:
    """`Text(key, args)`, spelled like `t`."""
    return Text(key, args)
