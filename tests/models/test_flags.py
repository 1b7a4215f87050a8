"""Midjourney-style flags in the prompt; an explicit slash option wins over a flag."""

from __future__ import annotations

import pytest

from bot.errors import InvalidInput
from bot.flags import split_flags
from tests.conftest import finish_jobs


def test_every_documented_flag_is_understood():
    prompt, options = split_flags(
        "a castle at dawn --ar 16:9 --seed 42 --model flux-dev --raw --steps 30 --guidance 3.5"
        " --upsample --format png"
    )
    assert prompt == "a castle at dawn"
    assert options == {
        "aspect_ratio": "16:9",
        "seed": 42,
        "model": "flux-dev",
        "raw": True,
        "steps": 30,
        "guidance": 3.5,
        "upsample": True,
        "output_format": "png",
    }


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("a cat --colour red", "Unknown flag `--colour`"),
        ("a cat --seed", "`--seed` needs a value"),
        ("a cat --seed abc", "`--seed abc` is not valid; write it like `--seed 42`"),
        ("a cat --ar wide", "`--ar wide` is not valid"),
        ("a cat --format gif", "`--format gif` is not valid"),
        ("a cat --raw and more words", "`and` comes after the flags"),
        (
            "a cat --zoom 1",
            "`--zoom 1` is not valid; write it like `--zoom 2` (on `/expand`: zoom out, more than 1, "
            "at most 2)",
        ),
        ("a cat --zoom 2.5", "`--zoom 2.5` is not valid"),
        ("a cat --zoom far", "`--zoom far` is not valid"),
    ],
)
def test_unknown_or_malformed_flags_are_clear_errors(text, words):
    with pytest.raises(InvalidInput) as caught:
        split_flags(text)
    assert words in caught.value.message


@pytest.mark.parametrize(
    ("text", "factor"), [("--zoom 2", 2.0), ("wider --zoom 1.5", 1.5), ("x --zoom 1.25", 1.25)]
)
def test_zoom_takes_a_factor_above_1_up_to_2(text, factor):
    assert split_flags(text)[1] == {"zoom": factor}


async def test_slash_options_win_over_flags(simcord_env, running, guild_setup, fake_ttapi):
    _, channel, alice = guild_setup

    await alice.slash(
        channel,
        "imagine",
        prompt="a cat --model flux-pro-1.1 --seed 5 --ar 16:9 --format png",
        model="flux-dev",
        seed=9,
        width=512,
        height=512,
        format="jpeg",
    )
    await finish_jobs(simcord_env, running)

    (submit,) = fake_ttapi.submits()
    assert submit.path == "/bfl/v1/flux-dev"
    assert submit.body == {
        "prompt": "a cat",
        "seed": 9,
        "width": 512,
        "height": 512,
        "output_format": "jpeg",
        "safety_tolerance": 2,
    }
