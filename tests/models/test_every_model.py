"""Every model of PRODUCT.md, on every provider that offers it: from the slash command to the
posted image, asserting the exact request body the fake provider received."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from PIL import Image

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


def black_and_white_mask() -> bytes:
    """A Fill mask the size of `png()`: white (repaint) on the left half, black (keep) elsewhere."""
    image = Image.new("L", (64, 48), 0)
    image.paste(255, (0, 0, 32, 48))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


MASK = black_and_white_mask()


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
    #: The hold, when it is known exactly beforehand (BFL's per-megapixel FLUX.2 prices).
    held: str | None = None


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
    found += flux2_cases()
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
    found += [
        Case(
            "flux-pro-1.0-fill",
            "bfl",
            "fill",
            {"prompt": "a red door --steps 30", "guidance": 60.0, "seed": 5, "format": "png"},
            "/v1/flux-pro-1.0-fill",
            {
                "prompt": "a red door",
                "image": b64(BLUE),
                "mask": b64(MASK),  # already black and white: sent as made
                "steps": 30,
                "guidance": 60.0,
                "seed": 5,
                "output_format": "png",
                "safety_tolerance": 2,
            },
            "4",
            files={"image": BLUE, "mask": MASK},
        ),
        Case(
            "flux-pro-1.0-expand",
            "bfl",
            "expand",
            {"prompt": "more sea", "left": 32, "right": 16, "seed": 9},
            "/v1/flux-pro-1.0-expand",
            {
                "prompt": "more sea",
                "image": b64(GREY),
                "top": 0,
                "bottom": 0,
                "left": 32,
                "right": 16,
                "seed": 9,
                "safety_tolerance": 2,
            },
            "4",
            files={"image": GREY},
        ),
    ]
    return found


#: Eight references, each 64×48 (0.01 MP, rounded up as BFL's answers round).
EIGHT = [png(colour=(20 * n, 200 - 20 * n, 90)) for n in range(8)]


def flux2_cases() -> list[Case]:
    """FLUX.2: no aspect_ratio (a ratio becomes width × height, in multiples of 16 within 4 MP on
    BFL, of 32 within 256–1440 on TTAPI), up to 8 references on BFL, 4 on TTAPI. BFL charges its
    per-megapixel `cost` (first MP + each further MP of output or input), and the hold is the same
    per-megapixel price; TTAPI charges its `data.quota`."""
    refs = {f"image{n}" if n > 1 else "image": data for n, data in enumerate(EIGHT, start=1)}
    slots = {f"input_image_{n}" if n > 1 else "input_image": b64(d) for n, d in enumerate(EIGHT, start=1)}
    return [
        Case(
            "flux-2-pro",
            "ttapi",
            "imagine",
            {"prompt": "a harbour --ar 16:9", "model": "flux-2-pro"},
            "/bfl/v1/flux-2-pro",
            {"prompt": "a harbour", "width": 1376, "height": 768, "safety_tolerance": 2},
            "5",
        ),
        Case(
            "flux-2-pro",
            "bfl",
            "edit",
            {"prompt": "all eight at one table", "model": "flux-2-pro"},
            "/v1/flux-2-pro",
            # the output follows the first reference: 0.01 MP; 8 references of 0.01 MP at 1.5 each
            {"prompt": "all eight at one table", **slots, "safety_tolerance": 2},
            "3.12",
            files=refs,
            held="3.12",
        ),
        Case(
            "flux-2-max",
            "ttapi",
            "edit",
            {"prompt": "a quartet", "model": "flux-2-max", "aspect_ratio": "1:1"},
            "/bfl/v1/flux-2-max",
            {
                "prompt": "a quartet",
                **{k: v for k, v in slots.items() if k[-1] in "e234"},
                "width": 1024,
                "height": 1024,
                "safety_tolerance": 2,
            },
            "5",
            files={k: v for k, v in refs.items() if k in ("image", "image2", "image3", "image4")},
        ),
        Case(
            "flux-2-max",
            "bfl",
            "imagine",
            {"prompt": "a glacier", "model": "flux-2-max", "width": 2048, "height": 1024, "upsample": False},
            "/v1/flux-2-max",
            # 2048×1024 = 2.10 MP: 7 + 1.10 × 3; `upsample: False` is `disable_pup`
            {
                "prompt": "a glacier",
                "width": 2048,
                "height": 1024,
                "safety_tolerance": 2,
                "disable_pup": True,
            },
            "10.3",
            held="10.3",
        ),
        Case(
            "flux-2-flex",
            "ttapi",
            "imagine",
            {"prompt": "a fox --seed 3", "model": "flux-2-flex"},
            "/bfl/v1/flux-2-flex",
            {"prompt": "a fox", "seed": 3, "safety_tolerance": 2},
            "5",
        ),
        Case(
            "flux-2-flex",
            "bfl",
            "imagine",
            {
                "prompt": "a poster --ar 9:16 --steps 30",
                "model": "flux-2-flex",
                "guidance": 7.5,
                "upsample": True,
            },
            "/v1/flux-2-flex",
            # 768×1360 = 1.05 MP: 5 + 0.05 × 5
            {
                "prompt": "a poster",
                "width": 768,
                "height": 1360,
                "safety_tolerance": 2,
                "prompt_upsampling": True,
                "steps": 30,
                "guidance": 7.5,
            },
            "5.25",
            held="5.25",
        ),
        Case(
            "flux-2-klein-4b",
            "bfl",
            "imagine",
            {"prompt": "in this style", "model": "flux-2-klein-4b"},
            "/v1/flux-2-klein-4b",
            # the image prompt is FLUX.2's first reference: 1.4 + 0.01 × 0.1
            {"prompt": "in this style", "input_image": b64(RED), "safety_tolerance": 2},
            "1.401",
            files={"image": RED},
            held="1.401",
        ),
        Case(
            "flux-2-klein-9b",
            "bfl",
            "imagine",
            {"prompt": "a kite --format png --ar 1:1", "model": "flux-2-klein-9b"},
            "/v1/flux-2-klein-9b",
            # 1024×1024 = 1.05 MP: 1.5 + 0.05 × 0.2
            {
                "prompt": "a kite",
                "width": 1024,
                "height": 1024,
                "safety_tolerance": 2,
                "output_format": "png",
            },
            "1.51",
            held="1.51",
        ),
    ]


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
    if case.held is not None:
        assert job.estimate == Decimal(case.held)
