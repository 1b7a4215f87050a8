"""The web pages' texts in the message catalogue (bot/i18n/locales/*/web.ftl): the English one
says exactly what bot/dashboard/text.py says, and every language has every key and placeholder,
so the pages switch to the member's language by reading the catalogue instead of `TEXT`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.dashboard.text import TEXT

LOCALES = Path(__file__).resolve().parents[2] / "bot" / "i18n" / "locales"
LANGUAGES = ("en-US", "ru", "zh-CN", "es-ES", "de")


def messages(language: str) -> dict[str, str]:
    found = {}
    for line in (LOCALES / language / "web.ftl").read_text(encoding="utf-8").splitlines():
        if line.startswith("web-"):
            key, _, value = line.partition(" = ")
            found[key] = value
    return found


def test_the_english_catalogue_says_what_the_pages_say():
    expected = {
        "web-" + key.replace("_", "-"): re.sub(r"\{(\w+)\}", r"{ $\1 }", text) for key, text in TEXT.items()
    }
    assert messages("en-US") == expected


@pytest.mark.parametrize("language", LANGUAGES[1:])
def test_every_language_has_every_text_with_its_placeholders(language: str):
    english, translated = messages("en-US"), messages(language)
    assert translated.keys() == english.keys()
    for key, text in english.items():
        assert re.findall(r"\{ \$\w+ \}", translated[key]) == re.findall(r"\{ \$\w+ \}", text), key
        assert translated[key].strip(), key
