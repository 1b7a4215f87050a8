"""Every documented range, checked before anything is sent or held; refusals name the option."""

from __future__ import annotations

import math
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
import simcord

from bot.discord.options import model_choices
from bot.errors import InvalidInput
from bot.jobs.plan import plan_job
from bot.providers.catalog import (
    FLUX2_SIZING,
    LEGACY_SIZES,
    MODELS,
    FinetunedRequest,
    FluxDevRequest,
    FluxPro11Request,
    FluxProRequest,
    ImageOptions,
    build_request,
    nearest_legacy_size,
    ratio_to_size,
)
from tests.conftest import CHANNEL_MESSAGE, DEFERRED, acknowledged_with, refusals
from tests.models.conftest import png

# -- the table: every documented range of every request model -----------------------------------

CATALOG_VIOLATIONS = [
    # (model, options, the message must contain)
    ("flux-pro-1.1", {"width": 255}, "`width` must be between 256 and 1440 and a multiple of 32."),
    ("flux-pro-1.1", {"width": 1472}, "`width` must be between 256 and 1440 and a multiple of 32."),
    ("flux-pro-1.1", {"height": 1000}, "`height` must be a multiple of 32 (between 256 and 1440)."),
    ("flux-pro", {"steps": 0}, "`steps` must be between 1 and 50."),
    ("flux-pro", {"steps": 51}, "`steps` must be between 1 and 50."),
    ("flux-dev", {"guidance": 1.4}, "`guidance` must be between 1.5 and 5."),
    ("flux-dev", {"guidance": 5.1}, "`guidance` must be between 1.5 and 5."),
    ("flux-pro", {"interval": 0.5}, "`interval` must be between 1 and 4."),
    ("flux-pro", {"interval": 4.5}, "`interval` must be between 1 and 4."),
    ("flux-pro-1.1", {"safety_tolerance": 7}, "`safety_tolerance` must be between 0 and 6."),
    ("flux-pro-1.1", {"safety_tolerance": -1}, "`safety_tolerance` must be between 0 and 6."),
    ("flux-pro-1.1", {"seed": -1}, "`seed` must be between 0 and 4294967295."),
    ("flux-pro-1.1", {"seed": 2**32}, "`seed` must be between 0 and 4294967295."),
    ("flux-pro-1.1-ultra", {"aspect_ratio": "22:9"}, "`aspect_ratio` must be between 21:9 and 9:21."),
    ("flux-pro-1.1-ultra", {"aspect_ratio": "9:22"}, "`aspect_ratio` must be between 21:9 and 9:21."),
    ("flux-kontext-pro", {"aspect_ratio": "3:1"}, "`aspect_ratio` must be between 21:9 and 9:21."),
    ("flux-kontext-max", {"aspect_ratio": "wide"}, "`aspect_ratio` 'wide' must look like 16:9."),
    (
        "flux-pro-1.1-ultra",
        {"image_strength": 1.5, "images": ["AA=="]},
        "`image_strength` must be between 0 and 1.",
    ),
    (
        "flux-pro-1.1-ultra",
        {"image_strength": -0.1, "images": ["AA=="]},
        "`image_strength` must be between 0",
    ),
    ("flux-pro-1.1-ultra", {"image_strength": 0.5}, "`image_strength` needs an `image`"),
    (
        "flux-pro-finetuned",
        {"finetune_id": "ft", "finetune_strength": 2.5},
        "`strength` must be between 0 and 2.",
    ),
    ("flux-pro-finetuned", {"finetune_id": "ft", "finetune_strength": -1}, "`strength` must be between 0"),
    ("flux-pro-finetuned", {}, "`finetune_id` is required."),
    ("flux-pro-finetuned", {"finetune_id": "ft", "steps": 60}, "`steps` must be between 1 and 50."),
    ("flux1-dev", {"size": "512x512"}, "`size` must be one of '1024x1024', '1024x1792' or '1792x1024'."),
    ("flux1-schnell", {"seed": 3}, "`seed` cannot be used with `flux1-schnell`."),
    ("flux1-pro", {"width": 1024}, "`flux1-pro` comes in fixed sizes (1024x1024, 1024x1792, 1792x1024)"),
    ("flux-pro-1.1", {"steps": 20}, "`steps` cannot be used with `flux-pro-1.1`."),
    ("flux-pro", {"raw": True}, "`raw` cannot be used with `flux-pro`."),
    ("flux-pro-1.1-ultra", {"width": 1024}, "give that, or both `width` and `height`."),
    ("flux-pro-1.1", {"aspect_ratio": "16:9", "width": 1024, "height": 768}, "not all three"),
    ("flux-dev", {"aspect_ratio": "99:1"}, "cannot be made from sides of 256–1440 pixels"),
    ("flux-kontext-pro", {"images": ["AA=="] * 5}, "takes at most 4 reference images"),
    ("flux-pro-1.1", {"images": ["AA=="] * 2}, "takes one reference image; use `/edit`"),
    ("flux1-dev", {"images": ["AA=="]}, "`flux1-dev` does not take a reference image."),
    ("flux-pro-1.1", {"output_format": "gif"}, "output_format"),  # not even a known format
    # FLUX.2 on BFL: its own ranges (the first route of flux-2-pro/max/flex is TTAPI's, see below)
    ("flux-2-klein-4b", {"width": 1000}, "`width` must be a multiple of 16 (between 64 and 4096)."),
    ("flux-2-klein-4b", {"width": 32}, "`width` must be between 64 and 4096 and a multiple of 16."),
    ("flux-2-klein-9b", {"width": 4096, "height": 2048}, "at most 4 MP (2048×2048) is allowed."),
    ("flux-2-klein-9b", {"safety_tolerance": 6}, "`safety_tolerance` must be between 0 and 5."),
    ("flux-2-klein-9b", {"steps": 20}, "`steps` cannot be used with `flux-2-klein-9b`."),
    ("flux-2-klein-9b", {"upsample": True}, "`upsample` cannot be used with `flux-2-klein-9b`."),
    ("flux-2-klein-4b", {"images": ["AA=="] * 5}, "`flux-2-klein-4b` takes at most 4 reference images;"),
    # FLUX.2 on TTAPI: only the documented fields, 256–1440 in multiples of 32, 4 references
    ("flux-2-pro", {"width": 1024, "height": 1000}, "`height` must be a multiple of 32"),
    ("flux-2-pro", {"images": ["AA=="] * 5}, "at most 4 reference images on TTAPI (8 on BFL)"),
    ("flux-2-max", {"upsample": False}, "`upsample` cannot be used with `flux-2-max` on TTAPI."),
    ("flux-2-flex", {"steps": 20}, "`steps` cannot be used with `flux-2-flex` on TTAPI."),
]

FLUX2_BFL_VIOLATIONS = [
    ("flux-2-pro", {"images": ["AA=="] * 9}, "`flux-2-pro` takes at most 8 reference images on BFL;"),
    ("flux-2-flex", {"guidance": 10.5}, "`guidance` must be between 1.5 and 10."),
    ("flux-2-flex", {"steps": 51}, "`steps` must be between 1 and 50."),
    ("flux-2-max", {"aspect_ratio": "16:9", "width": 1024, "height": 768}, "not all three"),
    ("flux-2-pro", {"width": 2064, "height": 2048}, "at most 4 MP"),
    ("flux-2-pro", {"aspect_ratio": "50:1"}, "cannot be made from sides of 256–"),
]


@pytest.mark.parametrize(("model", "options", "expected"), FLUX2_BFL_VIOLATIONS)
def test_flux2_on_bfl_has_its_own_ranges(model, options, expected):
    with pytest.raises(InvalidInput) as caught:
        build_request(MODELS[model], "bfl", ImageOptions(prompt="a cat", **options))
    assert expected in caught.value.message


@pytest.mark.parametrize("ratio", ["1:1", "16:9", "9:16", "4:3", "3:4", "3:2", "2:3", "21:9", "9:21", "4:1"])
def test_flux2_on_bfl_gets_a_ratio_as_multiples_of_16_within_4_mp(ratio):
    for model in ("flux-2-pro", "flux-2-max", "flux-2-flex", "flux-2-klein-4b", "flux-2-klein-9b"):
        body = build_request(MODELS[model], "bfl", ImageOptions(prompt="a", aspect_ratio=ratio)).body
        assert "aspect_ratio" not in body
        width, height = body["width"], body["height"]
        w, h = (int(x) for x in ratio.split(":"))
        assert width % 16 == 0
        assert height % 16 == 0
        assert width * height <= 2048 * 2048
        assert abs(math.log((width / height) / (w / h))) < 0.03
    on_ttapi = build_request(
        MODELS["flux-2-pro"], "ttapi", ImageOptions(prompt="a", aspect_ratio="16:9")
    ).body
    assert (on_ttapi["width"], on_ttapi["height"]) == (1376, 768)  # TTAPI's 256–1440 in 32s
    assert (body["width"], body["height"]) == ratio_to_size(ratio, sizing=FLUX2_SIZING)


def test_flux2_bounds_are_allowed_and_upsample_maps_to_each_endpoint():
    def body(model: str, provider: str, **options: Any) -> dict[str, Any]:
        return build_request(MODELS[model], provider, ImageOptions(prompt="a", **options)).body

    assert body("flux-2-pro", "bfl", width=2048, height=2048, safety_tolerance=5)["width"] == 2048
    assert body("flux-2-pro", "bfl", width=64, height=64, safety_tolerance=0)["height"] == 64
    assert body("flux-2-pro", "bfl", upsample=False)["disable_pup"] is True
    assert "disable_pup" not in body("flux-2-max", "bfl", upsample=True)  # on by default
    assert body("flux-2-flex", "bfl", upsample=False, steps=1, guidance=1.5)["prompt_upsampling"] is False
    assert body("flux-2-flex", "bfl", steps=50, guidance=10)["guidance"] == 10
    assert len([k for k in body("flux-2-pro", "bfl", images=["AA=="] * 8) if k.startswith("input")]) == 8
    assert body("flux-2-pro", "ttapi", width=1440, height=256, images=["AA=="] * 4)["input_image_4"] == "AA=="


@pytest.mark.parametrize(("model", "options", "expected"), CATALOG_VIOLATIONS)
def test_every_documented_range_is_refused_with_the_option_and_its_range(model, options, expected):
    spec = MODELS[model]
    provider = next(iter(spec.routes))
    with pytest.raises((InvalidInput, ValueError)) as caught:
        build_request(spec, provider, ImageOptions(prompt="a cat", **options))
    text = (
        caught.value.message if isinstance(caught.value, InvalidInput) else f"Invalid option: {caught.value}"
    )
    assert expected in text


@pytest.mark.parametrize(
    ("model", "options"),
    [
        ("flux-pro-1.1", {"width": 256, "height": 1440}),
        ("flux-pro", {"steps": 1, "guidance": 1.5, "interval": 1}),
        ("flux-pro", {"steps": 50, "guidance": 5, "interval": 4}),
        ("flux-pro-1.1", {"safety_tolerance": 0, "seed": 0}),
        ("flux-pro-1.1", {"safety_tolerance": 6, "seed": 2**32 - 1}),
        ("flux-pro-1.1-ultra", {"aspect_ratio": "21:9", "image_strength": 0, "images": ["AA=="]}),
        ("flux-kontext-pro", {"aspect_ratio": "9:21", "images": ["AA=="] * 4}),
        ("flux-pro-1.1-ultra", {"image_strength": 1, "images": ["AA=="]}),
        ("flux-pro-finetuned", {"finetune_id": "ft", "finetune_strength": 0}),
        ("flux-pro-finetuned", {"finetune_id": "ft", "finetune_strength": 2}),
        ("flux1-dev", {"size": "1792x1024"}),
    ],
)
def test_the_bounds_themselves_are_allowed(model, options):
    spec = MODELS[model]
    request = build_request(spec, next(iter(spec.routes)), ImageOptions(prompt="a cat", **options))
    # Every bound value reaches the provider unchanged (under the provider's own field name).
    sent = list(request.body.values())
    for name, value in options.items():
        if name != "images":
            assert value in sent, f"{name}={value!r} missing from {request.body}"


def test_finetune_strength_defaults_to_1_1():
    request = build_request(MODELS["flux-pro-finetuned"], "bfl", ImageOptions(prompt="me", finetune_id="ft"))
    assert request.body["finetune_strength"] == 1.1


COMMON_FIELDS = ["prompt", "seed", "output_format", "prompt_upsampling", "safety_tolerance"]


@pytest.mark.parametrize(
    ("request_model", "own_fields"),
    [
        (FluxPro11Request, ["image_prompt", "width", "height"]),
        (FluxDevRequest, ["image_prompt", "width", "height", "steps", "guidance"]),
        (FluxProRequest, ["image_prompt", "width", "height", "steps", "guidance", "interval"]),
        (
            FinetunedRequest,
            ["finetune_id", "finetune_strength", "steps", "guidance", "image_prompt", "width", "height"],
        ),
    ],
)
def test_request_models_built_from_shared_blocks_keep_their_fields_in_order(request_model, own_fields):
    assert list(request_model.model_fields) == COMMON_FIELDS + own_fields
    with pytest.raises(ValueError, match="Extra inputs are not permitted"):
        request_model.model_validate({"prompt": "a cat", "finetune_id": "ft", "bogus": 1})
    with pytest.raises(ValueError, match="multiple of 32"):
        request_model.model_validate({"prompt": "a cat", "finetune_id": "ft", "width": 300})


@pytest.mark.parametrize("cap", [0, 1, 2])
def test_safety_tolerance_is_capped_by_max_safety_tolerance(cap):
    planning = {"default_model": "flux-pro-1.1", "available": ["bfl"], "preferred": "bfl"}
    plan = plan_job("a cat", {}, max_safety_tolerance=cap, **planning)
    assert plan.request.body["safety_tolerance"] == cap
    with pytest.raises(InvalidInput, match=f"at most {cap} on this server"):
        plan_job("a cat", {"safety_tolerance": cap + 1}, max_safety_tolerance=cap, **planning)


# -- the member's `--ar` habit -------------------------------------------------------------------


@pytest.mark.parametrize("ratio", ["1:1", "16:9", "9:16", "4:3", "3:4", "3:2", "2:3", "21:9", "9:21", "5:4"])
def test_aspect_ratio_becomes_a_valid_pair_near_one_megapixel(ratio):
    width, height = ratio_to_size(ratio)
    w, h = (int(x) for x in ratio.split(":"))
    assert width % 32 == 0
    assert height % 32 == 0
    assert 256 <= width <= 1440
    assert 256 <= height <= 1440
    assert abs(math.log((width / height) / (w / h))) < 0.06
    assert 0.55e6 <= width * height <= 1.15e6


def test_one_side_given_the_other_follows_the_ratio():
    assert ratio_to_size("16:9", width=1440) == (1440, 800)
    assert ratio_to_size("2:3", height=1152) == (768, 1152)


@pytest.mark.parametrize(
    ("ratio", "size"),
    [
        ("1:1", "1024x1024"),
        ("16:9", "1792x1024"),
        ("21:9", "1792x1024"),
        ("9:16", "1024x1792"),
        ("4:3", "1792x1024"),
        ("2:3", "1024x1792"),
        ("5:4", "1024x1024"),
    ],
)
def test_legacy_models_take_the_nearest_allowed_size(ratio, size):
    assert nearest_legacy_size(ratio) == size
    assert size in LEGACY_SIZES


# -- in Discord: refused privately and at once, nothing submitted, nothing held -----------------

SLASH_VIOLATIONS = [
    # (command, options, the ephemeral message must contain)
    ("imagine", {"prompt": "a cat", "width": 1000}, "`width` must be a multiple of 32"),
    (
        "imagine",
        {"prompt": "a cat", "model": "flux-pro", "height": 1010},
        "`height` must be a multiple of 32",
    ),
    ("imagine", {"prompt": "a cat --steps 99", "model": "flux-pro"}, "`steps` must be between 1 and 50."),
    ("imagine", {"prompt": "a cat --steps 0", "model": "flux-dev"}, "`steps` must be between 1 and 50."),
    (
        "imagine",
        {"prompt": "a cat --guidance 9", "model": "flux-dev"},
        "`guidance` must be between 1.5 and 5.",
    ),
    (
        "imagine",
        {"prompt": "a cat --guidance 1", "model": "flux-pro"},
        "`guidance` must be between 1.5 and 5.",
    ),
    ("imagine", {"prompt": "a cat --seed 4294967296"}, "`seed` must be between 0 and 4294967295."),
    (
        "imagine",
        {"prompt": "a cat", "model": "flux-pro-1.1-ultra", "aspect_ratio": "32:9"},
        "`aspect_ratio` must be between 21:9 and 9:21.",
    ),
    (
        "imagine",
        {"prompt": "a cat --ar 9:22", "model": "flux-pro-1.1-ultra"},
        "`aspect_ratio` must be between 21:9 and 9:21.",
    ),
    ("imagine", {"prompt": "a cat", "aspect_ratio": "wide"}, "must look like 16:9"),
    (
        "imagine",
        {"prompt": "a cat", "model": "flux-pro-1.1-ultra", "image_strength": 0.5},
        "`image_strength` needs an `image`",
    ),
    ("imagine", {"prompt": "a cat", "model": "flux-pro-1.1", "steps": 20}, "`steps` cannot be used with"),
    (
        "imagine",
        {"prompt": "a cat", "model": "flux-pro", "raw": True},
        "`raw` cannot be used with `flux-pro`.",
    ),
    ("imagine", {"prompt": "a cat --raw", "model": "flux-dev"}, "`raw` cannot be used with `flux-dev`."),
    (
        "imagine",
        {"prompt": "a cat", "model": "flux1-dev", "seed": 4},
        "`seed` cannot be used with `flux1-dev`.",
    ),
    ("imagine", {"prompt": "a cat", "model": "flux1-pro", "width": 1024}, "comes in fixed sizes"),
    ("imagine", {"prompt": "a cat", "model": "flux1-schnell", "format": "png"}, "`format` cannot be used"),
    (
        "imagine",
        {"prompt": "a cat", "model": "flux-pro", "aspect_ratio": "16:9", "width": 1024, "height": 768},
        "not all three",
    ),
    ("imagine", {"prompt": "a cat --model flux-pro-finetuned"}, "Use `/finetune` for it."),
    ("imagine", {"prompt": "a cat --model flux-9000"}, "Unknown model `flux-9000`"),
    ("imagine", {"prompt": "a cat --ar 16:9 --model flux1-dev --upsample"}, "`upsample` cannot be used"),
    ("edit", {"prompt": "night", "aspect_ratio": "3:1"}, "`aspect_ratio` must be between 21:9 and 9:21."),
    ("edit", {"prompt": "night --model flux-pro-1.1"}, "`flux-pro-1.1` cannot be used with this command"),
    ("edit", {"prompt": "night --steps 10"}, "`steps` cannot be used with `flux-kontext-pro`."),
    ("imagine", {"prompt": "a cat --model flux-2-klein-9b --guidance 4"}, "`guidance` cannot be used"),
    (
        "imagine",
        {"prompt": "a cat", "model": "flux-2-pro", "width": 1000},
        "`width` must be a multiple of 32",
    ),
    ("finetune", {"prompt": "me", "finetune_id": "ft", "width": 1000}, "`width` must be a multiple of 32"),
    ("finetune", {"prompt": "me --ar 99:1", "finetune_id": "ft"}, "cannot be made from sides of 256–1440"),
    ("finetune", {"prompt": "me --guidance 6", "finetune_id": "ft"}, "`guidance` must be between 1.5 and 5."),
]


@pytest.mark.parametrize(("command", "options", "expected"), SLASH_VIOLATIONS)
async def test_each_violation_is_an_instant_private_refusal(
    simcord_env, running, guild_setup, fake_ttapi, fake_bfl, fake_bfl_finetune, command, options, expected
):
    guild, channel, alice = guild_setup
    if command == "edit":
        options = {**options, "image": ("cat.png", png())}

    result = await alice.slash(channel, command, **options)

    assert acknowledged_with(simcord_env, result) == CHANNEL_MESSAGE  # not deferred: instant
    assert result.ephemeral
    assert expected in result.response.content
    assert [type(e) for e in refusals(simcord_env)] == [InvalidInput]
    assert fake_ttapi.submits() == fake_bfl.submits() == fake_bfl_finetune.submits() == []
    assert await running.jobs.for_user(alice.id) == []
    usage = await running.ledger.member_usage(guild.id, alice.id, running.quota.current_period())
    assert (usage.used, usage.held) == (Decimal(0), Decimal(0))


@pytest.mark.parametrize(
    ("command", "options"),
    [
        ("imagine", {"prompt": "a cat", "width": 4097}),
        ("imagine", {"prompt": "a cat", "height": 63}),
        ("imagine", {"prompt": "a cat", "steps": 51}),
        ("imagine", {"prompt": "a cat", "guidance": 10.5}),
        ("imagine", {"prompt": "a cat", "guidance": 1.0}),
        ("imagine", {"prompt": "a cat", "image_strength": 1.5}),
        ("imagine", {"prompt": "a cat", "seed": -1}),
        ("imagine", {"prompt": "a cat", "format": "gif"}),
        ("imagine", {"prompt": "a cat", "model": "flux-9000"}),
        ("edit", {"prompt": "x", "image": ("a.png", b"x"), "model": "flux-pro-1.1"}),
        ("finetune", {"prompt": "me", "finetune_id": "ft", "strength": 2.5}),
        ("finetune", {"prompt": "me", "finetune_id": "ft", "steps": 0}),
    ],
)
async def test_slash_ranges_and_choices_are_declared_so_discord_refuses_them_first(
    simcord_env, running, guild_setup, fake_ttapi, fake_bfl, command, options
):
    _, channel, alice = guild_setup

    with pytest.raises(simcord.OptionError):
        await alice.slash(channel, command, **options)

    assert fake_ttapi.submits() == fake_bfl.submits() == []


async def test_a_file_that_is_not_an_image_is_refused_after_download(
    simcord_env, running, guild_setup, fake_ttapi
):
    _, channel, alice = guild_setup

    result = await alice.slash(
        channel, "edit", prompt="night", image=("a.png", png()), image2=("notes.png", b"not an image at all")
    )

    assert acknowledged_with(simcord_env, result) == DEFERRED  # the download happens after the defer
    # How the refusal reaches the member after a public defer is bot/discord/replies.py's job.
    (refusal,) = refusals(simcord_env)
    assert isinstance(refusal, InvalidInput)
    assert "`image2` is not a readable image" in refusal.message
    assert fake_ttapi.submits() == []
    assert await running.jobs.for_user(alice.id) == []


async def test_an_attachment_over_20_mb_is_refused_before_deferring(simcord_env, running, guild_setup):
    _, channel, alice = guild_setup

    result = await alice.slash(channel, "imagine", prompt="a cat", image=("big.png", bytes(21 * 1024 * 1024)))

    assert acknowledged_with(simcord_env, result) == CHANNEL_MESSAGE
    assert "`image` is 21.0 MB; reference images can be at most 20 MB." in result.response.content
    assert [type(e) for e in refusals(simcord_env)] == [InvalidInput]


# -- model choices follow the configured providers -----------------------------------------------


FLUX2_IDS = ["flux-2-pro", "flux-2-max", "flux-2-flex", "flux-2-klein-4b", "flux-2-klein-9b"]


def _bot_with(*providers: str) -> SimpleNamespace:
    settings = SimpleNamespace(disabled_models=())
    return SimpleNamespace(services=SimpleNamespace(providers=dict.fromkeys(providers), settings=settings))


def test_choices_offer_only_models_whose_provider_is_configured():
    kinds = ("generate", "edit")
    ttapi_only = {c.value for c in model_choices(_bot_with("ttapi"), kinds)}  # type: ignore[arg-type]
    bfl_only = {c.value for c in model_choices(_bot_with("bfl"), kinds)}  # type: ignore[arg-type]
    both = {c.value for c in model_choices(_bot_with("ttapi", "bfl"), kinds)}  # type: ignore[arg-type]

    assert "flux1-schnell" in ttapi_only
    assert "flux1-schnell" not in bfl_only
    assert bfl_only == {
        "flux-pro-1.1",
        "flux-pro-1.1-ultra",
        "flux-pro",
        "flux-dev",
        "flux-kontext-pro",
        "flux-kontext-max",
        *FLUX2_IDS,
    }
    assert "flux-2-klein-4b" not in ttapi_only  # BFL's alone
    assert {"flux-2-pro", "flux-2-max", "flux-2-flex"} <= ttapi_only
    assert both == ttapi_only | bfl_only
    assert "flux-pro-finetuned" not in both  # /finetune's, not /imagine's
    assert model_choices(_bot_with(), kinds) == []  # type: ignore[arg-type]


def test_the_registered_choices_are_the_configured_models(simcord_env):
    imagine = simcord_env.bot.tree.get_command("imagine")
    (model,) = [o for o in imagine.to_dict(simcord_env.bot.tree)["options"] if o["name"] == "model"]
    values = [c["value"] for c in model["choices"]]
    assert values == [
        "flux-pro-1.1",
        "flux-pro-1.1-ultra",
        "flux-pro",
        "flux-dev",
        "flux-kontext-pro",
        "flux-kontext-max",
        "flux1-dev",
        "flux1-schnell",
        "flux1-pro",
        *FLUX2_IDS,
    ]
    edit = simcord_env.bot.tree.get_command("edit")
    (edit_model,) = [o for o in edit.to_dict(simcord_env.bot.tree)["options"] if o["name"] == "model"]
    assert [c["value"] for c in edit_model["choices"]] == ["flux-kontext-pro", "flux-kontext-max", *FLUX2_IDS]
    assert simcord_env.bot.tree.get_command("finetune") is not None  # BFL is configured here


async def test_aspect_ratio_autocomplete_offers_common_ratios_and_keeps_free_input(
    simcord_env, running, guild_setup
):
    _, channel, alice = guild_setup
    offered = await alice.autocomplete(channel, "imagine", "aspect_ratio", "16", prompt="a cat")
    assert [c["value"] for c in offered] == ["16", "16:9"]
    typed = await alice.autocomplete(channel, "imagine", "aspect_ratio", "5:4", prompt="a cat")
    assert [c["value"] for c in typed] == ["5:4"]
    # Discord refuses the whole answer when a choice is over 100 characters (DISCORD.md): a long
    # typed value is not echoed back as one (it is still checked when the command runs).
    long = await alice.autocomplete(channel, "imagine", "aspect_ratio", "1" * 150, prompt="a cat")
    assert all(len(c["name"]) <= 100 and len(c["value"]) <= 100 for c in long)
