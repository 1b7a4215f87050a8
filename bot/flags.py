"""Midjourney-style flags in a prompt: `a castle --ar 16:9 --seed 42 --raw`.

Members used to other bots type them out of habit. An explicit slash option wins over a flag;
an unknown or malformed flag is a clear error, never silently part of the prompt.
"""

from __future__ import annotations

import re
import shlex
from typing import Any

from bot import i18n
from bot.errors import InvalidInput, typed

#: flag → (option name, parser). Booleans take no value.
_BOOL_FLAGS = {"raw": "raw", "upsample": "upsample", "private": "private"}
_VALUE_FLAGS = {
    "ar": "aspect_ratio",
    "aspect": "aspect_ratio",
    "seed": "seed",
    "model": "model",
    "steps": "steps",
    "guidance": "guidance",
    "format": "output_format",
    "count": "count",
    "zoom": "zoom",
}
#: A batch (`--count`, `/imagine count:`) is at most this many images, posted in one message.
MAX_COUNT = 4
_RATIO = re.compile(r"^\d{1,2}:\d{1,2}$")
_FLAG_START = re.compile(r"(?:^|\s)--[A-Za-z]")


def split_flags(text: str) -> tuple[str, dict[str, Any]]:
    """Return the prompt without its flags, and the options the flags set."""
    match = _FLAG_START.search(text)
    if match is None:
        return text.strip(), {}
    prompt, tail = text[: match.start()].strip(), text[match.start() :]
    try:
        tokens = shlex.split(tail)
    except ValueError:
        tokens = tail.split()
    options: dict[str, Any] = {}
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if not token.startswith("--"):
            raise InvalidInput(i18n.text("flags-after", token=typed(token)))
        name = token[2:].lower()
        if name in _BOOL_FLAGS:
            options[_BOOL_FLAGS[name]] = True
            i += 1
            continue
        if name not in _VALUE_FLAGS:
            known = ", ".join(f"--{f}" for f in [*_VALUE_FLAGS, *_BOOL_FLAGS] if f != "aspect")
            raise InvalidInput(i18n.text("flags-unknown", flag=typed(name), known=known))
        if i + 1 >= len(tokens) or tokens[i + 1].startswith("--"):
            raise InvalidInput(i18n.text("flags-needs-value", flag=name, example=_EXAMPLES[name]))
        options[_VALUE_FLAGS[name]] = _parse(name, tokens[i + 1])
        i += 2
    return prompt, options


_EXAMPLES = {
    "ar": "`--ar 16:9`",
    "aspect": "`--aspect 16:9`",
    "seed": "`--seed 42`",
    "model": "`--model flux-dev`",
    "steps": "`--steps 30`",
    "guidance": "`--guidance 3.5`",
    "format": "`--format png`",
    "count": "`--count 4`",
    "zoom": "`--zoom 2` (on `/expand`: zoom out, more than 1, at most 2)",
}


def flag_help() -> list[tuple[str, str, str]]:
    """Every flag, for `/help`: (the flag, the option it sets, an example), from the tables above."""
    values = [(f"--{n}", option, _EXAMPLES.get(n, f"`--{n} …`")) for n, option in _VALUE_FLAGS.items()]
    switches = [(f"--{n}", option, f"`--{n}`") for n, option in _BOOL_FLAGS.items()]
    return [flag for flag in values + switches if flag[0] != "--aspect"]  # `--ar`'s long spelling


def _parse(name: str, value: str) -> Any:
    option = _VALUE_FLAGS[name]
    try:
        if option == "aspect_ratio":
            if not _RATIO.match(value):
                raise ValueError
            return value
        if option in ("seed", "steps"):
            return int(value)
        if option == "count":
            count = int(value)
            if not 1 <= count <= MAX_COUNT:
                raise ValueError
            return count
        if option == "guidance":
            return float(value)
        if option == "zoom":
            # Midjourney's custom zoom: more than 1, at most 2 (the buttons give 1.5 and 2).
            factor = float(value)
            if not 1 < factor <= 2:
                raise ValueError
            return factor
        if option == "output_format":
            lowered = value.lower().replace("jpg", "jpeg")
            if lowered not in ("jpeg", "png"):
                raise ValueError
            return lowered
        return value
    except ValueError:
        raise InvalidInput(
            i18n.text("flags-invalid", flag=name, value=typed(value), example=_EXAMPLES[name])
        ) from None


def merge_options(explicit: dict[str, Any], from_flags: dict[str, Any]) -> dict[str, Any]:
    """Slash options the member set win over flags in the prompt."""
    merged = dict(from_flags)
    merged.update({k: v for k, v in explicit.items() if v is not None})
    return merged
