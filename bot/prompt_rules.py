"""Prompt rules (`/admin rules`): words, phrases and `*` wildcards a server refuses in prompts.

No member or admin ever supplies a regular expression. A rule is cut into words (letters, digits,
`_`, and `*`); a prompt is cut into words the same way, case-folded. A rule matches when a run of
consecutive words of the prompt matches its words one by one, each as a wildcard pattern
(`fnmatch.fnmatchcase`, whose `*` matches any letters within that one word, in atomic groups that
cannot backtrack catastrophically). Word boundaries come from the cutting: `cat` refuses "a cat"
and "CAT!" but not "concatenate"; `cat*` refuses "cats"; `*cat*` refuses "concatenate"; a phrase
`red car` refuses "a red  car" and "red, car"; a lone `*` stands for any one word.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from fnmatch import fnmatchcase

from bot.i18n import Text, text

#: A rule longer than this is refused (it is matched against every prompt of the server).
MAX_RULE_CHARS = 100
#: Words in one rule (a phrase).
MAX_RULE_WORDS = 8

_RULE_WORDS = re.compile(r"[\w*]+")
_PROMPT_WORDS = re.compile(r"\w+")


class BadRule(ValueError):
    """A rule that cannot be used. `reason` is the catalogue's sentence (`rule-problem-*`), rendered
    in the admin's language by `/admin rules`; `str()` is the English sentence, for logs."""

    def __init__(self, reason: Text) -> None:
        super().__init__(str(reason))
        self.reason = reason


def normalise_rule(typed: str) -> str:
    """The rule as stored and shown: its words, case-folded, single-spaced, runs of `*` as one.

    Raises `BadRule` when it holds no word or is too long.
    """
    if len(typed) > MAX_RULE_CHARS:
        raise BadRule(text("rule-problem-too-long", count=MAX_RULE_CHARS))
    words = [re.sub(r"\*+", "*", w) for w in _RULE_WORDS.findall(typed.casefold())]
    if not words or all(w == "*" for w in words):
        raise BadRule(text("rule-problem-no-word"))
    if len(words) > MAX_RULE_WORDS:
        raise BadRule(text("rule-problem-too-many-words", count=MAX_RULE_WORDS))
    return " ".join(words)


def prompt_words(text: str) -> list[str]:
    return _PROMPT_WORDS.findall(text.casefold())


def first_match(rules: Iterable[str], texts: Iterable[str]) -> str | None:
    """The first rule (as stored) that one of `texts` breaks, or None."""
    words = [prompt_words(t) for t in texts if t]
    for rule in rules:
        pattern = rule.split()
        plain = "*" not in rule
        for prompt in words:
            if _matches(pattern, prompt, plain):
                return rule
    return None


def _matches(pattern: list[str], words: list[str], plain: bool) -> bool:
    size = len(pattern)
    if plain and size == 1:
        return pattern[0] in words
    for start in range(len(words) - size + 1):
        window = words[start : start + size]
        if plain:
            if window == pattern:
                return True
        elif all(fnmatchcase(word, glob) for word, glob in zip(window, pattern, strict=True)):
            return True
    return False
