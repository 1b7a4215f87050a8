"""Prompt rules: words, phrases and `*` wildcards, never a regular expression (bot/prompt_rules.py)."""

from __future__ import annotations

import pytest

from bot.prompt_rules import MAX_RULE_CHARS, first_match, normalise_rule


@pytest.mark.parametrize(
    ("rule", "prompt", "refused"),
    [
        ("cat", "A CAT on a mat", True),
        ("cat", "CAT!", True),
        ("cat", "concatenate", False),
        ("cat*", "three cats", True),
        ("*cat*", "concatenate", True),
        ("red car", "a red,  car", True),
        ("red car", "a red bus and a car", False),
        ("red * car", "a red sports car", True),
        ("gore", "Gore-Tex jacket", True),  # a word is letters and digits: "gore" stands alone here
        ("ñandú", "un Ñandú corre", True),
        ("(a+)+$", "aaaa", False),  # the punctuation of a regular expression is not one
        ("a.b", "a b", True),  # ... it only separates words
    ],
)
def test_what_a_rule_refuses(rule: str, prompt: str, refused: bool):
    stored = normalise_rule(rule)
    assert (first_match([stored], [prompt]) == stored) is refused


def test_rules_are_normalised_and_checked():
    assert normalise_rule("  Red   CAR ") == "red car"
    assert normalise_rule("bo**mb") == "bo*mb"
    for bad, why in [
        ("* *", "needs a letter or digit"),
        ("!!!", "needs a letter or digit"),
        ("x" * (MAX_RULE_CHARS + 1), "is longer than"),
        ("a b c d e f g h i", "has more than 8 words"),
    ]:
        with pytest.raises(ValueError, match=why):
            normalise_rule(bad)


def test_a_pathological_rule_on_a_long_prompt_is_still_answered():
    """fnmatch's atomic groups: no catastrophic backtracking whatever the admin types."""
    rule = normalise_rule("a*a*a*a*a*a*a*b")
    assert first_match([rule], ["a" * 2000]) is None
    assert first_match([rule], ["a" * 2000 + "b"]) == rule
