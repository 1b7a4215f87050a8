"""Every model of PRODUCT.md, on every provider that offers it: from the slash command to the
posted image, asserting the exact request body the fake provider received."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest

from bot.jobs.model import JobState
from bot.providers.catalog import MODELS
from tests.conftest import DEFERRED, acknowledged_with, finish_jobs
from tests.models.conftest import b64, png

RED, GREEN, BLUE, GREY = (
    png(colour=(200, 30, 30)),
    png(colour=(30, 200, 30)),
    png(colour=(30, 30, 200)),
    png(colour=(90, 90, 90)),
)


@dataclass
class Case:
    model: str
    provider: str
    command: str
    options: dict[str, Any]
    path: str
    body: dict[str, Any]
    charged: str
    files: dict[str, bytes] = field(default_factory=dict)
    host: str = "default"


def office(model: str, provider: str) -> str:
    return f"/bfl/v1/{model}" if provider == "ttapi" else f"/v1/{model}"


def cases() -> list[Case]:
    found = []
    for provider, charged in (("ttapi", "5"), ("bfl", "4")):
        found += [
            Case(
                "flux-pro-1.1",
                provider,
                "imagine",
                {"prompt": "a lighthouse", "model": "flux-pro-1.1", "aspect_ratio": "16:9", "seed": 7},
                office("flux-pro-1.1", provider),
                # --ar on a width/height model became a pair of multiples of 32 near 1 MP
                {
                    "prompt": "a lighthouse",
                    "seed": 7,
                    "safety_tolerance": 2,
                    "width": 1376,
                    "height": 768,
                    "image_prompt": b64(RED),
                },
                charged,
                files={"image": RED},
            ),
            Case(
                "flux-pro-1.1-ultra",
                provider,
                "imagine",
                {
                    "prompt": "a fjord --ar 21:9 --raw",
                    "model": "flux-pro-1.1-ultra",
                    "image_strength": 0.3,
                    "format": "png",
                    "upsample": True,
                },
                office("flux-pro-1.1-ultra", provider),
                {
                    "prompt": "a fjord",
                    "aspect_ratio": "21:9",
                    "raw": True,
                    "image_prompt": b64(GREEN),
                    "image_prompt_strength": 0.3,
                    "output_format": "png",
                    "prompt_upsampling": True,
                    "safety_tolerance": 2,
                },
                charged,
                files={"image": GREEN},
            ),
            Case(
                "flux-pro",
                provider,
                "imagine",
                {
                    "prompt": "a castle --seed 5",
                    "model": "flux-pro",
                    "width": 1024,
                    "height": 768,
                    "steps": 30,
                    "guidance": 3.5,
                },
                office("flux-pro", provider),
                {
                    "prompt": "a castle",
                    "seed": 5,
                    "width": 1024,
                    "height": 768,
                    "steps": 30,
                    "guidance": 3.5,
                    "safety_tolerance": 2,
                },
                charged,
            ),
            Case(
                "flux-dev",
                provider,
                "imagine",
                {"prompt": "a fox --ar 3:4 --steps 20 --guidance 2 --model flux-dev --format jpeg"},
                office("flux-dev", provider),
                {
                    "prompt": "a fox",
                    "width": 896,
                    "height": 1184,
                    "steps": 20,
                    "guidance": 2.0,
                    "output_format": "jpeg",
                    "safety_tolerance": 2,
                },
                charged,
            ),
            Case(
                "flux-kontext-pro",
                provider,
                "edit",
                {"prompt": "make it night", "aspect_ratio": "4:3"},
                office("flux-kontext-pro", provider),
                {
                    "prompt": "make it night",
                    "aspect_ratio": "4:3",
                    "input_image": b64(RED),
                    "input_image_2": b64(GREEN),
                    "safety_tolerance": 2,
                },
                charged,
                files={"image": RED, "image2": GREEN},
            ),
            Case(
                "flux-kontext-max",
                provider,
                "edit",
                {"prompt": "all four on one sofa", "model": "flux-kontext-max", "seed": 99},
                office("flux-kontext-max", provider),
                {
                    "prompt": "all four on one sofa",
                    "seed": 99,
                    "input_image": b64(RED),
                    "input_image_2": b64(GREEN),
                    "input_image_3": b64(BLUE),
                    "input_image_4": b64(GREY),
                    "safety_tolerance": 2,
                },
                charged,
                files={"image": RED, "image2": GREEN, "image3": BLUE, "image4": GREY},
            ),
        ]
    for mode, ratio, size in (
        ("flux1-dev", "9:16", "1024x1792"),
        ("flux1-schnell", "16:9", "1792x1024"),
        ("flux1-pro", "1:1", "1024x1024"),
    ):
        found.append(
            Case(
                mode,
                "ttapi",
                "imagine",
                {"prompt": f"a street, {mode}", "model": mode, "aspect_ratio": ratio},
                "/flux/generate",
                {"prompt": f"a street, {mode}", "mode": mode, "size": size},
                "5",
            )
        )
    found.append(
        Case(
            "flux-pro-finetuned",
            "bfl",
            "finetune",
            {
                "prompt": "me as an astronaut",
                "finetune_id": "my-finetune",
                "strength": 1.3,
                "width": 768,
                "height": 1024,
                "steps": 28,
                "guidance": 3.0,
                "seed": 11,
            },
            "/v1/flux-pro-finetuned",
            {
                "prompt": "me as an astronaut",
                "finetune_id": "my-finetune",
                "finetune_strength": 1.3,
                "width": 768,
                "height": 1024,
                "steps": 28,
                "guidance": 3.0,
                "seed": 11,
                "safety_tolerance": 2,
            },
            "4",
            host="finetune",
        )
    )
    return found


CASES = cases()


def test_the_cases_cover_every_model_on_every_provider_that_offers_it():
    assert {(c.model, c.provider) for c in CASES} == {
        (spec.id, provider) for spec in MODELS.values() for provider in spec.routes
    }


@pytest.mark.parametrize(
    ("case", "default_provider"),
    [pytest.param(c, c.provider, id=f"{c.model}-{c.provider}") for c in CASES],
)
async def test_every_model_from_command_to_posted_image(
    simcord_env, running, guild_setup, fake_ttapi, fake_bfl, fake_bfl_finetune, case, default_provider
):
    _, channel, alice = guild_setup
    fake = {"ttapi": fake_ttapi, "bfl": fake_bfl}[case.provider]
    if case.host == "finetune":
        fake = fake_bfl_finetune
    files = {name: (f"{name}.png", data) for name, data in case.files.items()}

    result = await alice.slash(channel, case.command, **case.options, **files)

    assert acknowledged_with(simcord_env, result) == DEFERRED
    await finish_jobs(simcord_env, running)
    message = result.response
    assert len(message.attachments) == 1, message.content
    fields = {f.name: f.value for f in message.embeds[0].fields}
    assert fields["Model"] == f"`{case.model}`"
    assert fields["Cost"] == f"{case.charged} credits"

    (submit,) = fake.submits()
    assert submit.path == case.path
    assert submit.body == case.body
    if case.provider == "ttapi":
        assert submit.headers["TT-API-KEY"] == fake_ttapi.api_key
        assert fake_bfl.submits() == []
    else:
        assert submit.headers["x-key"] == fake_bfl.api_key
        assert fake_ttapi.submits() == []
        if case.host == "finetune":
            assert fake_bfl.submits() == []  # finetuned inference only on the finetune host
        # the polling_url the submit returned was followed, and the sample fetched from the fake
        assert fake.polls()
        assert fake.downloads()
    (job,) = await running.jobs.for_user(alice.id)
    assert job.state is JobState.DELIVERED
    assert job.provider == case.provider
    assert job.cost == Decimal(case.charged)
