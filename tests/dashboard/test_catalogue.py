"""The web pages' texts in the message catalogue (bot/i18n/locales/*/web.ftl): every text the pages
name (templates' `t.name`, `Refused` keys, notices and errors, `words.name` / `say` in code) is in
the English catalogue, and every language has every key and placeholder."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.dashboard.text import ERRORS, NOTICES, Words, catalogue_key
from bot.store.guilds import PRIVATE_MODES

ROOT = Path(__file__).resolve().parents[2]
LOCALES = ROOT / "bot" / "i18n" / "locales"
DASHBOARD = ROOT / "bot" / "dashboard"
LANGUAGES = ("en-US", "ru", "zh-CN", "es-ES", "de")
#: `Words`' own attributes and methods, which templates and code read too (not catalogue texts).
NOT_TEXTS = {name for name in vars(Words) if not name.startswith("__")} | {"language"}


def messages(language: str) -> dict[str, str]:
    found = {}
    for line in (LOCALES / language / "web.ftl").read_text(encoding="utf-8").splitlines():
        if line.startswith("web-"):
            key, _, value = line.partition(" = ")
            found[key] = value
    return found


def named_by_the_pages() -> set[str]:
    names = set(NOTICES | ERRORS)
    for template in (DASHBOARD / "templates").glob("*.html"):
        source = template.read_text(encoding="utf-8")
        names |= set(re.findall(r"\bt\.(\w+)", source))
        if 't["private_" + mode]' in source:
            names |= {f"private_{mode}" for mode in PRIVATE_MODES}
    for module in DASHBOARD.glob("*.py"):  # text.py defines `Words`; the others name texts
        if module.name == "text.py":
            continue
        source = module.read_text(encoding="utf-8")
        names |= set(re.findall(r"\bRefused\(\d+, \"(\w+)\"", source))
        names |= set(re.findall(r"\bsay\(\"(\w+)\"", source))
        names |= set(re.findall(r"\bwords\.(\w+)", source))
    return names - NOT_TEXTS


def test_every_text_the_pages_name_is_in_the_catalogue():
    names = named_by_the_pages()
    assert {"sign_in_title", "not_member", "bad_form", "limit_saved", "private_force"} <= names
    english = messages("en-US")
    assert sorted(name for name in names if catalogue_key(name) not in english) == []


@pytest.mark.parametrize("language", LANGUAGES[1:])
def test_every_language_has_every_text_with_its_placeholders(language: str):
    english, translated = messages("en-US"), messages(language)
    assert translated.keys() == english.keys()
    for key, text in english.items():
        assert re.findall(r"\{ \$\w+ \}", translated[key]) == re.findall(r"\{ \$\w+ \}", text), key
        assert translated[key].strip(), key
