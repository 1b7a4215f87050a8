"""The catalogue is complete in every language, renders everywhere, and the commands are translated.

CI runs this like any test: a key missing in one language, a placeholder renamed in one copy, a
message that does not render, a command without its translations, or a translated name Discord would
refuse, fails here with the key named.
"""

from __future__ import annotations

import ast as python_ast
import re
from decimal import Decimal
from pathlib import Path
from typing import Any, get_args

import discord
import pytest
from discord import app_commands
from fluent.syntax import FluentParser, ast
from fluent.syntax.visitor import Visitor

from bot import i18n
from bot.admin_actions import AUDIT
from bot.discord.translator import (
    CatalogueTranslator,
    all_commands,
    choice_translation,
    command_key,
    key_of,
    make_translatable,
    option_key,
    translation,
)
from bot.i18n import LANGUAGES, SOURCE, catalogue_files, credits, number, resolve, t
from bot.settings import Language


class _Variables(Visitor):
    def __init__(self) -> None:
        self.names: set[str] = set()
        #: Variables that choose a variant (`{ $kind -> ... }`) and need not be shown themselves.
        self.selectors: set[str] = set()

    def visit_VariableReference(self, node: ast.VariableReference) -> None:
        self.names.add(node.id.name)
        self.generic_visit(node)

    def visit_SelectExpression(self, node: ast.SelectExpression) -> None:
        if isinstance(node.selector, ast.VariableReference):
            self.selectors.add(node.selector.id.name)
        self.generic_visit(node)


SELECTORS: dict[tuple[str, str, str | None], set[str]] = {}


def _entries(language: str) -> dict[str, dict[str | None, set[str]]]:
    """Every message of the language: key → {None: its value's variables, attribute: its variables}."""
    found: dict[str, dict[str | None, set[str]]] = {}
    parser = FluentParser(with_spans=False)
    for path in catalogue_files(language):
        resource = parser.parse(path.read_text(encoding="utf-8"))
        junk = [entry for entry in resource.body if isinstance(entry, ast.Junk)]
        assert not junk, f"{path}: cannot parse {[j.content[:80] for j in junk]}"
        for entry in resource.body:
            if not isinstance(entry, ast.Message):
                continue
            key = entry.id.name
            assert key not in found, f"{path}: {key} defined twice in {language}"
            parts: dict[str | None, set[str]] = {}
            for name, pattern in [(None, entry.value), *((a.id.name, a.value) for a in entry.attributes)]:
                if pattern is None:
                    continue
                visitor = _Variables()
                visitor.visit(pattern)
                parts[name] = visitor.names
                SELECTORS[(language, key, name)] = visitor.selectors
            found[key] = parts
    return found


CATALOGUES = {language: _entries(language) for language in LANGUAGES}


def test_the_settings_offer_exactly_the_catalogue_languages() -> None:
    assert set(get_args(Language)) == set(LANGUAGES)
    for language in LANGUAGES:
        assert catalogue_files(language), f"no .ftl files for {language}"


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != SOURCE])
def test_every_key_exists_in_every_language_with_the_same_placeholders(language: str) -> None:
    source, other = CATALOGUES[SOURCE], CATALOGUES[language]
    assert sorted(set(source) - set(other)) == [], f"missing in {language}"
    assert sorted(set(other) - set(source)) == [], f"in {language} but not in {SOURCE}"
    different = {
        key: (source[key], other[key])
        for key in source
        if {name: sorted(v) for name, v in source[key].items()}
        != {name: sorted(v) for name, v in other[key].items()}
    }
    assert different == {}, f"placeholders differ in {language}"


#: Sample values by placeholder name: how each message is called from the code.
SAMPLES: dict[str, Any] = {
    "amount": Decimal("1234.5"),
    "estimate": Decimal("4.5"),
    "left": Decimal("2"),
    "limit": Decimal("100"),
    "used": Decimal("98"),
    "held": Decimal("4.5"),
    "granted": Decimal("10"),
    "total": Decimal("500"),
    "count": 3,
    "waiting": 2,
    "position": 4,
    "elapsed": 12,
    "typical": 20,
    "days": 30,
    "rank": 1,
    "page": 1,
    "pages": 2,
    "number": 1,
    "length": 2100,
    "cap": 2,
    "quality": 90,
}


def _sample(name: str) -> Any:
    return SAMPLES.get(name, f"<{name}>")


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_renders_in_every_language(language: str) -> None:
    bundle = i18n.bundle(language)
    for key, parts in CATALOGUES[language].items():
        message = bundle.get_message(key)
        for attribute, names in parts.items():
            args = {name: _sample(name) for name in names}
            pattern = message.attributes[attribute] if attribute else message.value
            text, errors = bundle.format_pattern(pattern, i18n._arguments(language, args))
            assert errors == [], f"{language} {key}.{attribute}: {errors}"
            assert text.strip(), f"{language} {key} renders empty"
            assert not {"{", "}"} & set(text), f"{language} {key}: {text!r}"
            for name in names:
                sample = args[name]
                if isinstance(sample, str) and name not in SELECTORS[(language, key, attribute)]:
                    assert sample in text, f"{language} {key} drops ${name}"


def _rendered(language: str, key: str) -> str:
    return t(language, key, **{name: _sample(name) for name in CATALOGUES[language][key].get(None, set())})


def _own_words(rendered: str) -> int:
    """The words a message writes itself: its placeholders (`<name>` samples), emoji and markup
    (an audit line's `✅ <member> · `<model>` · <cost>`) are the same in every language."""
    return len(re.findall(r"[^\W\d_]{2,}", re.sub(r"<[^<>]*>", " ", rendered)))


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != SOURCE])
def test_translations_are_not_english_copies(language: str) -> None:
    """A translation may keep a word or two (model names, "Details"), not whole English sentences."""
    copied = []
    for key, parts in CATALOGUES[language].items():
        if None in parts and not key.startswith(("cmd-", "opt-", "choice-")):
            english = _rendered(SOURCE, key)
            if _own_words(english) >= 4 and _rendered(language, key) == english:
                copied.append(key)
        english_description = translation(SOURCE, key, "description") if "description" in parts else None
        if english_description is not None and english_description == translation(
            language, key, "description"
        ):
            copied.append(f"{key}.description")
    assert copied == []


def test_numbers_and_credits_are_written_the_languages_way() -> None:
    assert credits("en-US", Decimal("1234.5")) == "1,234.5"
    assert credits("de", Decimal("1234.5")) == "1.234,5"
    assert credits("ru", Decimal("1234.5")).replace("\xa0", " ") == "1 234,5"
    assert credits("es-ES", Decimal("0.000001")) == "0,000001"
    assert credits("zh-CN", None) == "不限"
    assert number("de", 2.25) == "2,2" or number("de", 2.25) == "2,3"
    assert t("ru", "failure-charged", amount=Decimal("12.5")).startswith("Списано 12,5 кр.")


def test_russian_plurals_follow_the_count() -> None:
    assert "2 задания" in t("ru", "queue-full", waiting=2)
    assert "5 заданий" in t("ru", "queue-full", waiting=5)
    assert "1 задание " in t("ru", "queue-full", waiting=1)


def test_a_language_is_resolved_member_first_then_server_then_default() -> None:
    assert resolve("ru", "de", "en-US") == "ru"
    assert resolve("fr", "de", "en-US") == "de"  # a client language the bot does not speak
    assert resolve("ja", None, "es-ES") == "es-ES"
    assert resolve("es-419", None, "de") == "es-ES"  # Latin American Spanish reads Spain's
    assert resolve("zh-TW", None, None) == SOURCE  # Traditional Chinese is not given Simplified
    assert t("de", "no-such-key") == "no-such-key"  # never a traceback to a member


# -- the commands ---------------------------------------------------------------------------------

#: What Discord accepts as a command or option name (its regex, as far as Python spells it).
NAME = re.compile(r"^[-_\w]{1,32}$")


def _tree(bot: Any) -> list[Any]:
    make_translatable(bot.tree)
    return all_commands(bot.tree)  # the global commands and /owner, registered in OWNER_GUILD_IDS only


#: `/owner` is loaded only where OWNER_GUILD_IDS names a server: here one, so it is checked too.
OWNER_GUILD = {"owner_guild_ids": "900000000000000001"}


def _choice_problems(command: Any) -> list[str]:
    """A choice with a catalogue key has it in every language (a command's own key: the English copy
    as in the code). `/owner`'s choices all have one."""
    problems = []
    for parameter in command._params.values():
        for choice in parameter.choices or ():
            keys = choice._locale_name.extras.get("keys", ()) if choice._locale_name else ()
            if choice_translation(SOURCE, keys) is None:
                if command.qualified_name.startswith("owner"):  # its own keys: none may be missing
                    problems.append(f"/{command.qualified_name} {parameter.name}:{choice.value} has no key")
                continue  # model ids, language names, formats: the same in every language
            own = [key for key in keys[:-1] if translation(SOURCE, key) is not None]
            if own and translation(SOURCE, own[0]) != choice.name:  # a command's own choice key
                problems.append(f"{SOURCE}: {own[0]} = {choice.name} (as in the code)")
            for language in LANGUAGES:
                local = choice_translation(language, keys)
                if local is None or not 1 <= len(local) <= 100:
                    where = f"/{command.qualified_name} {parameter.name}:{choice.value}"
                    problems.append(f"{language}: {where} is {local!r}")
    return problems


@pytest.mark.parametrize("settings_overrides", [OWNER_GUILD])
async def test_every_command_and_option_is_translated_into_every_language(simcord_env) -> None:
    commands = _tree(simcord_env.bot)
    assert "owner block" in {command.qualified_name for command in commands}
    problems: list[str] = []
    for command in commands:
        keys = [(command_key(command), command.name, command.description)]
        if isinstance(command, app_commands.Command):
            keys += [
                (option_key(command, p.name), p.name, str(p.description)) for p in command._params.values()
            ]
            problems += _choice_problems(command)
        for key, name, description in keys:
            if translation(SOURCE, key) != name or translation(SOURCE, key, "description") != description:
                problems.append(f"{SOURCE}: {key} = {name} / .description = {description} (as in the code)")
            for language in LANGUAGES:
                local_name = translation(language, key)
                local_description = translation(language, key, "description")
                if local_name is None or local_description is None:
                    problems.append(f"{language}: {key} missing")
                    continue
                if not NAME.match(local_name) or local_name != local_name.lower():
                    problems.append(f"{language}: {key} name {local_name!r} is not one Discord accepts")
                if not 1 <= len(local_description) <= 100:
                    problems.append(f"{language}: {key}.description is {len(local_description)} characters")
        if isinstance(command, app_commands.Command):
            for language in LANGUAGES:
                names = [translation(language, option_key(command, p)) for p in command._params]
                if len(set(names)) != len(names):
                    problems.append(f"{language}: two options of /{command.qualified_name} share a name")
        else:
            for language in LANGUAGES:
                names = [translation(language, command_key(c)) for c in command.commands]
                if len(set(names)) != len(names):
                    problems.append(f"{language}: two commands of /{command.qualified_name} share a name")
    assert problems == []


@pytest.mark.parametrize("settings_overrides", [OWNER_GUILD])
async def test_a_choice_reads_its_commands_own_key_before_the_shared_one(simcord_env) -> None:
    """`/owner block kind:guild` is a server (blocked), `/admin quota limit scope:guild` the server's
    budget: the same value, each with its own words."""
    bot = simcord_env.bot
    make_translatable(bot.tree)
    translator = CatalogueTranslator()
    owner = bot.tree.get_command("owner", guild=discord.Object(id=int(OWNER_GUILD["owner_guild_ids"])))
    for name in ("block", "unblock"):
        payload = await owner.get_command(name).get_translated_payload(bot.tree, translator)
        kind = next(o for o in payload["options"] if o["name"] == "kind")
        guild = next(c for c in kind["choices"] if c["value"] == "guild")
        assert guild["name_localizations"]["ru"] == "сервер"
        assert guild["name_localizations"]["zh-CN"] == "服务器"
        assert guild["name_localizations"]["de"] == "Server"
        assert guild["name_localizations"]["es-ES"] == "servidor"
    limit = bot.tree.get_command("admin").get_command("quota").get_command("limit")
    payload = await limit.get_translated_payload(bot.tree, translator)
    scope = next(o for o in payload["options"] if o["name"] == "scope")
    guild = next(c for c in scope["choices"] if c["value"] == "guild")
    assert guild["name_localizations"]["ru"] == "бюджет сервера (все участники вместе)"


async def test_the_translator_gives_discord_every_language_but_english(simcord_env) -> None:
    bot = simcord_env.bot
    imagine = bot.tree.get_command("imagine")
    payload = await imagine.get_translated_payload(bot.tree, CatalogueTranslator())
    assert payload["name_localizations"] == {
        "ru": "нарисовать",
        "de": "bild",
        "es-ES": "imaginar",
        "es-419": "imaginar",
        "zh-CN": "绘图",
    }
    prompt = next(o for o in payload["options"] if o["name"] == "prompt")
    assert prompt["name_localizations"]["ru"] == "запрос"
    assert prompt["description_localizations"]["de"].startswith("Was gezeichnet werden soll")
    settings = bot.tree.get_command("admin").get_command("settings")
    context = app_commands.TranslationContext(
        app_commands.TranslationContextLocation.command_description, settings
    )
    assert key_of(context) == ("cmd-admin-settings", "description")


def test_a_text_stored_as_data_is_read_back_and_rendered_in_any_language() -> None:
    """A job's notes are stored as key and arguments (JSON) and rendered when shown: the round
    trip keeps numbers, credit amounts and texts within texts."""
    import json

    from bot.i18n import Text, text

    note = text(
        "tools-scaled-down", before="1600×1200", after="1181×886", limit="2048×2048", megapixels=4.194304
    )
    back = Text.from_stored(json.loads(json.dumps(note.stored())))
    assert back == Text(note.key, dict(note.args))
    assert back is not None
    assert back.render("de").endswith("(4,2 MP), überschritten.")
    nested = text("failure-charged", amount=Decimal("12.5"))
    outer = Text.from_stored(json.loads(json.dumps(text("rules-bad", rule="x", problem=nested).stored())))
    assert outer is not None
    assert outer.args["problem"] == nested
    assert "12,5" in outer.render("ru")
    assert Text.from_stored("an older row's sentence") is None
    assert Text.from_stored({"args": {}}) is None


def _keys_in_code() -> dict[str, list[str]]:
    """Catalogue keys the code names literally (`t(language, "key")`, `text("key")`), and where."""
    root = Path(__file__).resolve().parents[1]
    found: dict[str, list[str]] = {}
    for path in sorted([*root.joinpath("bot").rglob("*.py"), *root.joinpath("cogs").rglob("*.py")]):
        tree = python_ast.parse(path.read_text(encoding="utf-8"))
        for node in python_ast.walk(tree):
            if not isinstance(node, python_ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, python_ast.Attribute) else getattr(func, "id", "")
            index = {"t": 1, "text": 0, "i18n_text": 0}.get(name)
            if index is None or len(node.args) <= index:
                continue
            key = node.args[index]
            if isinstance(key, python_ast.Constant) and isinstance(key.value, str):
                found.setdefault(key.value, []).append(f"{path.relative_to(root)}:{node.lineno}")
    return found


def test_every_key_the_code_names_is_in_the_catalogue() -> None:
    """A key spelt in the code (the audit lines' included) exists in English, hence, by the test
    above, in every language with the same placeholders."""
    used = _keys_in_code()
    assert len(used) > 100  # the scan sees the code
    assert {"audit-rule-refused", "audit-job-delivered", "audit-lost", "audit-low-balance"} <= set(used)
    missing = {key: where for key, where in used.items() if key not in CATALOGUES[SOURCE]}
    assert missing == {}
    assert sorted(key for key in AUDIT.values() if key not in CATALOGUES[SOURCE]) == []
