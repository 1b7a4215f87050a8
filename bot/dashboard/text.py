"""The web pages' texts: the catalogue's `web-*` messages (bot/i18n/locales/*/web.ftl) in the
member's language. Templates read them as `t.name` / `t["name"]` (a `Words`); none of them is
built from member text (that is passed to the templates separately, and autoescaped). Errors and
notices travel in a redirect's URL as keys (`?error=bad_role`), never as text: a crafted link can
show only our own sentences.

Which language (`language_of`): the one the member's Discord client used for `/dashboard` (the
link carries it; a cookie keeps it), else the browser's `Accept-Language`, else the server's
language, else `DEFAULT_LANGUAGE`.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from bot.i18n import LANGUAGES, SOURCE, credits, supported, t

#: What a redirect back to the operators' page may carry (`?notice=` / `?error=`).
NOTICES = frozenset({"limit_saved", "limit_cleared", "granted", "period_saved", "saved", "cancelled"})
ERRORS = frozenset(
    {
        "bad_member",
        "bad_role",
        "bad_amount",
        "grant_positive",
        "bad_settings_default",
        "bad_settings_safety",
        "not_cancelled",
    }
)


def catalogue_key(name: str) -> str:
    return "web-" + name.replace("_", "-")


class Words:
    """The page texts in one language: `words.name` and `words["name"]` in templates, `say` in code."""

    def __init__(self, language: str = SOURCE) -> None:
        self.language = language

    def say(self, key: str, **args: object) -> str:
        return t(self.language, catalogue_key(key), **args)

    def credit_text(self, amount: Decimal | None) -> str:
        """A credit amount as the language writes it (named apart from the page texts: attributes too)."""
        return credits(self.language, amount)

    def state_of(self, state: str) -> str:
        """A job's state as `/jobs` and `/history` name it (the catalogue's `state-*`)."""
        return t(self.language, f"state-{state}")

    def __getattr__(self, key: str) -> str:
        if key.startswith("__"):
            raise AttributeError(key)
        return self.say(key)

    def __getitem__(self, key: str) -> str:
        return self.say(key)


def from_accept_language(header: str) -> str | None:
    """The language we speak that the browser prefers most (`Accept-Language`), or None."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                continue
        if tag and weight > 0:
            ranked.append((-weight, index, tag.strip()))
    for _, _, tag in sorted(ranked):
        found = supported(tag)
        if found is not None:
            return found
        primary = tag.split("-")[0].lower()
        if primary == "zh":  # only Simplified Chinese is ours (as in bot/i18n: no zh-TW mapping)
            if tag.lower() in ("zh", "zh-hans", "zh-sg", "zh-hans-cn"):
                return "zh-CN"
            continue
        for language in LANGUAGES:  # "de-AT" reads "de", "es-MX" reads "es-ES", "en" reads "en-US"
            if language.split("-")[0].lower() == primary:
                return language
    return None


def language_of(chosen: str | None, accept_language: str, fallbacks: Iterable[str | None]) -> str:
    """The member's language: the one chosen for them, the browser's, then the fallbacks, else English."""
    for candidate in (chosen, from_accept_language(accept_language), *fallbacks):
        found = supported(candidate)
        if found is not None:
            return found
    return SOURCE
