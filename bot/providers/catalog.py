"""The model table: every model id → for each provider, the endpoint, the request model and a price.

This is data: a new model (say a FLUX.2 mode) is one `ModelSpec` entry in `MODELS` (or one call to
`register`). The pydantic request models are the single source of truth for what an endpoint
accepts: every documented range is checked here, before anything is held or sent, and a violation
becomes a member-facing message naming the option and its allowed range (read from the model's
own field constraints, so a new request model needs no extra message table).

How a member's sizing habit meets each endpoint shape (chosen from the request model's fields):
- `aspect_ratio` endpoints (Ultra, Kontext) take the ratio as is, checked to lie in 21:9…9:21;
  a width/height pair given there becomes its reduced ratio;
- `width`/`height` endpoints get `--ar 16:9` as a pair near one megapixel, within the endpoint's
  own `Sizing` (FLUX.1 and TTAPI: multiples of 32 inside 256–1440; BFL FLUX.2: multiples of 16,
  at most 4 MP); one side given: the other follows the ratio;
- `size` endpoints (TTAPI's legacy `/flux/generate`) get the allowed size nearest the ratio.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal
from typing import Annotated, Any, ClassVar, Literal

import annotated_types
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from bot import i18n
from bot.errors import InvalidInput, typed
from bot.providers.base import ProviderRequest

OutputFormat = Literal["jpeg", "png"]

#: Kontext and Ultra: "Aspect ratio of the image between 21:9 and 9:21".
MIN_RATIO, MAX_RATIO = 9 / 21, 21 / 9
#: Sides of the width/height endpoints (seed 001/002/004).
MIN_SIDE, MAX_SIDE, SIDE_STEP = 256, 1440, 32
#: About one megapixel: what `--ar` aims for on width/height endpoints.
TARGET_PIXELS = 1024 * 1024
#: TTAPI `/flux/generate` sizes (seed 003).
LEGACY_SIZES = ("1024x1024", "1024x1792", "1792x1024")


@dataclass(frozen=True, slots=True)
class Sizing:
    """How an endpoint bounds `width` and `height`: the sides, their step, and the pixels in all."""

    min_side: int
    max_side: int
    step: int
    max_pixels: int | None = None

    def describe(self) -> str:
        """`64–4096 px, multiples of 16, at most 4 MP`, for /models and messages."""
        text = f"{self.min_side}–{self.max_side} px, multiples of {self.step}"
        if self.max_pixels:
            text += f", at most {self.max_pixels / 2**20:g} MP"
        return text


#: FLUX.1 endpoints, and TTAPI's FLUX.2 pages (seeds 001/002/004; PROVIDERS-NEXT.md §6).
CLASSIC_SIZING = Sizing(MIN_SIDE, MAX_SIDE, SIDE_STEP)
#: BFL FLUX.2: sides from 64 (spec), multiples of 16 and w×h ≤ 4 MP, i.e. 2048×2048 (doc).
FLUX2_MAX_PIXELS = 2048 * 2048
FLUX2_SIZING = Sizing(64, 4096, 16, FLUX2_MAX_PIXELS)
#: Image slots a FLUX.2 endpoint may have: `input_image`, `input_image_2` … `input_image_8`.
MAX_REFERENCES = 8
IMAGE_SLOTS = ("input_image", *(f"input_image_{n}" for n in range(2, MAX_REFERENCES + 1)))
#: Every request field that carries an image (kept out of stored params: `bot.jobs.intake`).
IMAGE_FIELDS = ("image_prompt", *IMAGE_SLOTS, "image", "mask")  # the last two: Fill and Expand


class ImageOptions(BaseModel):
    """What a member asked for, provider-neutral: slash options merged with prompt flags."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    prompt: str = ""
    width: int | None = None
    height: int | None = None
    aspect_ratio: str | None = None
    seed: int | None = None
    steps: int | None = None
    guidance: float | None = None
    interval: float | None = None
    raw: bool | None = None
    image_strength: float | None = None
    upsample: bool | None = None
    output_format: OutputFormat | None = None
    safety_tolerance: int | None = None
    size: str | None = None
    finetune_id: str | None = None
    finetune_strength: float | None = None
    #: Expand: pixels added on each side (`/expand`, the Zoom and pan buttons).
    top: int | None = None
    bottom: int | None = None
    left: int | None = None
    right: int | None = None
    #: `--zoom 1.5`: how far `/expand` zooms out (turned into the four sides before planning).
    zoom: float | None = Field(default=None, gt=1, le=2)
    #: Fill: the mask (white repaints, black keeps), base64 PNG; kept out of `public()` like images.
    mask: str | None = None
    #: Reference images, base64 (no data: prefix). The first is the image prompt / first Kontext input.
    images: list[str] = Field(default_factory=list)

    def public(self) -> dict[str, Any]:
        """The options worth storing and showing: everything but the image bytes."""
        data = self.model_dump(exclude_none=True, exclude={"images", "mask"})
        data["image_count"] = len(self.images)
        if self.mask is not None:
            data["mask"] = True
        return data


# -- field types ----------------------------------------------------------------------------------


def _multiple_of(step: int) -> AfterValidator:
    def check(value: int) -> int:
        if value % step:
            raise ValueError(f"must be a multiple of {step}")
        return value

    return AfterValidator(check)


def parse_ratio(value: str) -> tuple[int, int]:
    """'16:9' → (16, 9); ValueError when it is not two positive whole numbers."""
    left, sep, right = value.strip().partition(":")
    if not sep or not left.isdigit() or not right.isdigit() or int(left) == 0 or int(right) == 0:
        raise ValueError("must look like 16:9")
    return int(left), int(right)


def _ratio_in_bounds(value: str) -> str:
    w, h = parse_ratio(value)
    if not MIN_RATIO - 1e-9 <= w / h <= MAX_RATIO + 1e-9:
        raise ValueError("must be between 21:9 and 9:21")
    return f"{w}:{h}"


Side = Annotated[int, Field(ge=MIN_SIDE, le=MAX_SIDE), _multiple_of(SIDE_STEP)]
Flux2Side = Annotated[int, Field(ge=FLUX2_SIZING.min_side, le=FLUX2_SIZING.max_side), _multiple_of(16)]
Steps = Annotated[int, Field(ge=1, le=50)]
Guidance = Annotated[float, Field(ge=1.5, le=5)]
Flux2Guidance = Annotated[float, Field(ge=1.5, le=10)]
Interval = Annotated[float, Field(ge=1, le=4)]
Seed = Annotated[int, Field(ge=0, le=2**32 - 1)]
SafetyTolerance = Annotated[int, Field(ge=0, le=6)]
#: FLUX.2 takes 0–5 (6 gets a 422 at BFL; TTAPI documents 6 but passes it on to BFL).
Flux2SafetyTolerance = Annotated[int, Field(ge=0, le=5)]
AspectRatio = Annotated[str, AfterValidator(_ratio_in_bounds)]
Strength01 = Annotated[float, Field(ge=0, le=1)]
Image = Annotated[str, Field(min_length=1)]


# -- request models, one per documented endpoint shape ------------------------------------------
#
# Each is built (`defer_build`: its validator made by pydantic-core) by its first request, not at
# import: a process uses a few of the ~20, and building all took ~0.4 MB before its first job
# (benchmarks/vs_official_client.py).


class _Request(BaseModel):
    """Fields every FLUX.1 `/bfl/v1/*` and BFL `/v1/*` endpoint documents."""

    model_config = ConfigDict(extra="forbid", defer_build=True)
    sizing: ClassVar[Sizing] = CLASSIC_SIZING

    prompt: str = Field(min_length=1, max_length=4000)
    seed: Seed | None = None
    output_format: OutputFormat | None = None
    prompt_upsampling: bool | None = None
    safety_tolerance: SafetyTolerance | None = None


class _ImagePromptSized(BaseModel):
    """An image prompt and an explicit width/height (1.1 [pro], dev, pro, finetuned)."""

    model_config = ConfigDict(defer_build=True)

    image_prompt: Image | None = None
    width: Side | None = None
    height: Side | None = None


class _Sampling(BaseModel):
    """Steps and guidance (dev, pro, finetuned)."""

    model_config = ConfigDict(defer_build=True)

    steps: Steps | None = None
    guidance: Guidance | None = None


# pydantic orders a model's fields from its last base to its first, then its own: the bases below
# are listed so that each endpoint keeps the documented field order (the order of the request body
# and of validation messages).


class FluxPro11Request(_ImagePromptSized, _Request):
    """`flux-pro-1.1`: width, height, image prompt (seed 001, BFL `/v1/flux-pro-1.1`)."""


class FluxDevRequest(_Sampling, FluxPro11Request):
    """`flux-dev`: as 1.1 [pro] plus steps and guidance (seed 001)."""


class FluxProRequest(FluxDevRequest):
    """`flux-pro`: as dev plus interval (seeds 000, 001, 002)."""

    interval: Interval | None = None


class UltraRequest(_Request):
    """`flux-pro-1.1-ultra`: aspect ratio, raw, image prompt and its strength (seed 001)."""

    aspect_ratio: AspectRatio | None = None
    raw: bool | None = None
    image_prompt: Image | None = None
    image_prompt_strength: Strength01 | None = None


class KontextRequest(_Request):
    """`flux-kontext-pro` / `-max`: 1–4 input images, aspect ratio (seed 001)."""

    aspect_ratio: AspectRatio | None = None
    input_image: Image | None = None
    input_image_2: Image | None = None
    input_image_3: Image | None = None
    input_image_4: Image | None = None


class _Finetune(_Request):
    """The finetune to run and how strongly."""

    finetune_id: str = Field(min_length=1, max_length=200)
    finetune_strength: float = Field(default=1.1, ge=0, le=2)


class FinetunedRequest(_ImagePromptSized, _Sampling, _Finetune):  # finetune, steps, image prompt, size
    """BFL `/v1/flux-pro-finetuned` on the finetune host (seed 004)."""


class _Flux2(BaseModel):
    """FLUX.2 on BFL (`Flux2Inputs`, PROVIDERS-NEXT.md §1): no `aspect_ratio`, up to 8 references,
    width/height in multiples of 16 within 4 MP, safety tolerance 0–5."""

    model_config = ConfigDict(extra="forbid", defer_build=True)
    sizing: ClassVar[Sizing] = FLUX2_SIZING

    prompt: str = Field(min_length=1, max_length=4000)
    input_image: Image | None = None
    input_image_2: Image | None = None
    input_image_3: Image | None = None
    input_image_4: Image | None = None
    seed: Seed | None = None
    width: Flux2Side | None = None
    height: Flux2Side | None = None
    safety_tolerance: Flux2SafetyTolerance | None = None
    output_format: OutputFormat | None = None

    @model_validator(mode="after")
    def _within_pixels(self) -> _Flux2:
        limit = self.sizing.max_pixels
        if limit and self.width and self.height and self.width * self.height > limit:
            raise ValueError(
                f"`width` × `height` is {self.width}×{self.height}; at most {limit / 2**20:g} MP "
                "(2048×2048) is allowed"
            )
        return self


class _EightReferences(BaseModel):
    model_config = ConfigDict(defer_build=True)

    input_image_5: Image | None = None
    input_image_6: Image | None = None
    input_image_7: Image | None = None
    input_image_8: Image | None = None


class Flux2Request(_EightReferences, _Flux2):
    """BFL `/v1/flux-2-pro`, `/v1/flux-2-max`: prompt upsampling is on unless `disable_pup`."""

    disable_pup: bool | None = None


class Flux2FlexRequest(_EightReferences, _Flux2):
    """BFL `/v1/flux-2-flex` (`Flux2FlexInputs`): `prompt_upsampling`, steps 1–50, guidance 1.5–10."""

    prompt_upsampling: bool | None = None
    steps: Steps | None = None
    guidance: Flux2Guidance | None = None


class Flux2KleinRequest(_Flux2):
    """BFL `/v1/flux-2-klein-4b`, `-9b` (`Flux2KleinInputs`): 4 references, no upsampling control."""


class TTAPIFlux2Request(BaseModel):
    """TTAPI `/bfl/v1/flux-2-*` (PROVIDERS-NEXT.md §6): only the documented fields: 4 references,
    width/height 256–1440 in multiples of 32, safety tolerance sent at most 5."""

    model_config = ConfigDict(extra="forbid", defer_build=True)
    sizing: ClassVar[Sizing] = CLASSIC_SIZING

    prompt: str = Field(min_length=1, max_length=4000)
    input_image: Image | None = None
    input_image_2: Image | None = None
    input_image_3: Image | None = None
    input_image_4: Image | None = None
    seed: Seed | None = None
    width: Side | None = None
    height: Side | None = None
    safety_tolerance: Flux2SafetyTolerance | None = None
    output_format: OutputFormat | None = None


ToolSteps = Annotated[int, Field(ge=15, le=50)]
ToolGuidance = Annotated[float, Field(ge=1.5, le=100)]
#: Expand: pixels added on one side (PROVIDERS-NEXT.md §3).
ExpandSide = Annotated[int, Field(ge=0, le=2048)]


class _ToolRequest(BaseModel):
    """Fields Fill and Expand share (PROVIDERS-NEXT.md §2, §3): the prompt may be empty, steps
    and guidance on their own scale."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    image: Image
    prompt: str = Field(default="", max_length=4000)
    steps: ToolSteps | None = None
    guidance: ToolGuidance | None = None
    prompt_upsampling: bool | None = None
    seed: Seed | None = None
    output_format: OutputFormat | None = None
    safety_tolerance: SafetyTolerance | None = None


class FillRequest(_ToolRequest):
    """BFL `/v1/flux-pro-1.0-fill`: the image and a mask (white repaints), or the image's transparency."""

    mask: Image | None = None


class ExpandRequest(_ToolRequest):
    """BFL `/v1/flux-pro-1.0-expand`: pixels added on each side, at least one of them."""

    top: ExpandSide = 0
    bottom: ExpandSide = 0
    left: ExpandSide = 0
    right: ExpandSide = 0


class LegacyGenerateRequest(BaseModel):
    """TTAPI `/flux/generate`: `prompt`, `size`, `mode` (seed 003); `hookUrl` is added at submit."""

    model_config = ConfigDict(extra="forbid", defer_build=True)
    sizing: ClassVar[Sizing] = CLASSIC_SIZING

    prompt: str = Field(min_length=1, max_length=4000)
    mode: Literal["flux1-dev", "flux1-schnell", "flux1-pro"]
    size: Literal["1024x1024", "1024x1792", "1792x1024"] = "1024x1024"


# -- the table ------------------------------------------------------------------------------------


#: Megapixels are counted to two decimals, as BFL's answers show them (`output_mp`, `input_mp`).
MP_STEP = Decimal("0.01")
#: What FLUX.2 makes when no size is asked for and no reference sets it (BFL's help centre).
DEFAULT_OUTPUT_PIXELS = 1024 * 1024


def megapixels(pixels: int) -> Decimal:
    """Pixels as megapixels (10^6), rounded up to 0.01: a hold never falls short by rounding."""
    return (Decimal(pixels) / Decimal(1_000_000)).quantize(MP_STEP, rounding=ROUND_CEILING)


@dataclass(frozen=True, slots=True)
class MegapixelPrice:
    """BFL's FLUX.2 pricing (PROVIDERS-NEXT.md §1): the first output megapixel, then each further
    megapixel of output *or input* (reference images)."""

    first: Decimal
    extra: Decimal

    def cost(self, output_mp: Decimal, input_mp: Decimal = Decimal(0)) -> Decimal:
        return self.first + max(Decimal(0), output_mp - 1) * self.extra + input_mp * self.extra

    def describe(self) -> str:
        """For `/models`: `3 credits for the first megapixel, 1.5 per further megapixel ...`."""
        return (
            f"{_credits(self.first)} credits for the first megapixel, "
            f"{_credits(self.extra)} per further megapixel of output or reference"
        )


def _credits(value: Decimal) -> str:
    return format(value.normalize(), "f")


@dataclass(frozen=True, slots=True)
class Route:
    endpoint: str
    request: type[BaseModel]
    price: Decimal | None = None  # public price in credits; None when unpublished
    host: str = "default"  # "finetune": BFL's single-cluster host (BFL_FINETUNE_BASE_URL)
    #: Fields this endpoint always gets (e.g. the legacy `mode`); a member cannot override them.
    fixed: dict[str, Any] = field(default_factory=dict)
    #: Priced by the megapixel (FLUX.2); `price` is then the price of one megapixel, no reference.
    per_mp: MegapixelPrice | None = None
    #: Why the provider may no longer serve it (PROVIDERS-NEXT.md §5), for `doctor`; None: current.
    retiring: str | None = None

    @property
    def sizing(self) -> Sizing:
        sizing: Sizing = getattr(self.request, "sizing", CLASSIC_SIZING)
        return sizing

    def references(self) -> int:
        """How many reference images this endpoint takes (an image prompt counts as one)."""
        fields = self.request.model_fields
        slots = sum(1 for s in IMAGE_SLOTS if s in fields)
        return slots or (1 if "image_prompt" in fields else 0)


@dataclass(frozen=True, slots=True)
class ModelSpec:
    id: str
    label: str
    kind: Literal["generate", "edit", "finetune", "fill", "expand"]
    routes: dict[str, Route]
    #: Seconds a job usually takes; the starting point for polling and progress until we learn better.
    typical_seconds: float = 15.0
    #: Field defaults the product chooses (documented defaults stay with the provider).
    defaults: dict[str, Any] = field(default_factory=dict)
    #: Credits to hold when no provider publishes a price and none was learned yet (a guess).
    estimate: Decimal | None = None
    #: False for a tool that works without words (Expand: the prompt is optional).
    prompt_required: bool = True

    def providers(self) -> list[str]:
        return list(self.routes)


def _bfl_family(
    model: str, request: type[BaseModel], price: Decimal | None, ttapi_price: Decimal | None = None
) -> dict[str, Route]:
    """The six models TTAPI passes through as `/bfl/v1/<model>` and BFL serves as `/v1/<model>`."""
    return {
        "ttapi": Route(f"/bfl/v1/{model}", request, ttapi_price),
        "bfl": Route(f"/v1/{model}", request, price),
    }


def _legacy(mode: str) -> dict[str, Route]:
    return {"ttapi": Route("/flux/generate", LegacyGenerateRequest, None, fixed={"mode": mode})}


def _flux2(
    model: str,
    label: str,
    request: type[BaseModel],
    first: str,
    extra: str,
    *,
    ttapi: bool,
    typical_seconds: float,
) -> ModelSpec:
    """A FLUX.2 model (an `edit` kind: text to image, or an edit of its references): BFL
    `/v1/<model>` priced per megapixel; TTAPI `/bfl/v1/<model>` when it serves it (its per-mode
    price is unpublished: learned from `data.quota`)."""
    price = MegapixelPrice(Decimal(first), Decimal(extra))
    routes = {"bfl": Route(f"/v1/{model}", request, price.first, per_mp=price)}
    if ttapi:
        routes = {"ttapi": Route(f"/bfl/v1/{model}", TTAPIFlux2Request), **routes}
    return ModelSpec(id=model, label=label, kind="edit", routes=routes, typical_seconds=typical_seconds)


#: PROVIDERS-NEXT.md §5: what BFL has deprecated or dropped from its spec (shown by `doctor`).
FINETUNING_DEPRECATED = "BFL deprecated its finetuning API on 31 Oct 2025 (no migration path)"
FLUX_PRO_DROPPED = "missing from BFL's 2026 API specification and docs index (status unconfirmed)"


MODELS: dict[str, ModelSpec] = {}

#: The image tools' model ids (`/fill`, `/expand` and the Zoom and pan buttons).
FILL_MODEL = "flux-pro-1.0-fill"
EXPAND_MODEL = "flux-pro-1.0-expand"
#: The sides of an expansion, in the order BFL documents them.
SIDES = ("top", "bottom", "left", "right")


def register(spec: ModelSpec) -> ModelSpec:
    """Add a model to the table (the table is data; this is the one place it is built)."""
    MODELS[spec.id] = spec
    return spec


# Prices: PROVIDERS.md (BFL, 1 credit = $0.01 = 1 TTAPI quota). TTAPI publishes no per-model table;
# TTAPI charges are learned from `data.quota`. Unpublished prices stay None; `estimate` is the hold.
for _spec in [
    ModelSpec(
        id="flux-pro-1.1",
        label="FLUX1.1 [pro]",
        kind="generate",
        routes=_bfl_family("flux-pro-1.1", FluxPro11Request, Decimal(4)),
        typical_seconds=10.0,
    ),
    ModelSpec(
        id="flux-pro-1.1-ultra",
        label="FLUX1.1 [pro] Ultra",
        kind="generate",
        routes=_bfl_family("flux-pro-1.1-ultra", UltraRequest, Decimal(6)),
        typical_seconds=15.0,
    ),
    ModelSpec(
        id="flux-pro",
        label="FLUX.1 [pro]",
        kind="generate",
        routes={
            "ttapi": Route("/bfl/v1/flux-pro", FluxProRequest),
            "bfl": Route("/v1/flux-pro", FluxProRequest, retiring=FLUX_PRO_DROPPED),
        },
        typical_seconds=15.0,
        estimate=Decimal(5),
    ),
    ModelSpec(
        id="flux-dev",
        label="FLUX.1 [dev]",
        kind="generate",
        routes=_bfl_family("flux-dev", FluxDevRequest, None),
        typical_seconds=10.0,
        estimate=Decimal(3),
    ),
    ModelSpec(
        id="flux-kontext-pro",
        label="FLUX.1 Kontext [pro]",
        kind="edit",
        routes=_bfl_family("flux-kontext-pro", KontextRequest, Decimal(4)),
        typical_seconds=10.0,
    ),
    ModelSpec(
        id="flux-kontext-max",
        label="FLUX.1 Kontext [max]",
        kind="edit",
        routes=_bfl_family("flux-kontext-max", KontextRequest, Decimal(8)),
        typical_seconds=15.0,
    ),
    ModelSpec(
        id="flux1-dev",
        label="FLUX.1 [dev] (TTAPI classic)",
        kind="generate",
        routes=_legacy("flux1-dev"),
        typical_seconds=15.0,
        estimate=Decimal(3),
    ),
    ModelSpec(
        id="flux1-schnell",
        label="FLUX.1 [schnell] (TTAPI classic)",
        kind="generate",
        routes=_legacy("flux1-schnell"),
        typical_seconds=8.0,
        estimate=Decimal(2),
    ),
    ModelSpec(
        id="flux1-pro",
        label="FLUX.1 [pro] (TTAPI classic)",
        kind="generate",
        routes=_legacy("flux1-pro"),
        typical_seconds=20.0,
        estimate=Decimal(3),  # seed 003's finished job shows quota "3"
    ),
    ModelSpec(
        id="flux-pro-finetuned",
        label="FLUX.1 [pro] finetuned",
        kind="finetune",
        routes={
            "bfl": Route(
                "/v1/flux-pro-finetuned",
                FinetunedRequest,
                Decimal(6),
                host="finetune",
                retiring=FINETUNING_DEPRECATED,
            )
        },
        typical_seconds=20.0,
    ),
    # FLUX.2 (PROVIDERS-NEXT.md §1, §6; PRODUCT.md "Image tools"): text to image, or an edit of up
    # to 8 references (4 on TTAPI and on klein); `kind="edit"` puts them in `/imagine` and `/edit`.
    _flux2("flux-2-pro", "FLUX.2 [pro]", Flux2Request, "3", "1.5", ttapi=True, typical_seconds=15.0),
    _flux2("flux-2-max", "FLUX.2 [max]", Flux2Request, "7", "3", ttapi=True, typical_seconds=25.0),
    _flux2("flux-2-flex", "FLUX.2 [flex]", Flux2FlexRequest, "5", "5", ttapi=True, typical_seconds=25.0),
    _flux2(
        "flux-2-klein-4b",
        "FLUX.2 [klein] 4B",
        Flux2KleinRequest,
        "1.4",
        "0.1",
        ttapi=False,
        typical_seconds=5.0,
    ),
    _flux2(
        "flux-2-klein-9b",
        "FLUX.2 [klein] 9B",
        Flux2KleinRequest,
        "1.5",
        "0.2",
        ttapi=False,
        typical_seconds=8.0,
    ),
    # The image tools (PROVIDERS-NEXT.md §2, §3): BFL only; TTAPI documents neither.
    ModelSpec(
        id=FILL_MODEL,
        label="FLUX.1 Fill [pro]",
        kind="fill",
        routes={"bfl": Route("/v1/flux-pro-1.0-fill", FillRequest, Decimal(5))},
        typical_seconds=15.0,
    ),
    ModelSpec(
        id=EXPAND_MODEL,
        label="FLUX.1 Expand [pro]",
        kind="expand",
        routes={"bfl": Route("/v1/flux-pro-1.0-expand", ExpandRequest, None)},
        typical_seconds=15.0,
        estimate=Decimal(5),  # unpublished; Fill's price as the hold, the answer's `cost` is charged
        prompt_required=False,
    ),
]:
    register(_spec)

#: Option names as members know them, for error messages.
OPTION_NAMES = {
    "prompt_upsampling": "upsample",
    "image_prompt_strength": "image_strength",
    "image_prompt": "image",
    "input_image": "image",
    "input_image_2": "image2",
    "input_image_3": "image3",
    "input_image_4": "image4",
    "input_image_5": "image5",
    "input_image_6": "image6",
    "input_image_7": "image7",
    "input_image_8": "image8",
    "finetune_strength": "strength",
    "output_format": "format",
    "disable_pup": "upsample",
}

#: Fields the server sets by policy, not the member: dropped where an endpoint does not take them.
POLICY_FIELDS = {"safety_tolerance"}


def model_spec(model_id: str) -> ModelSpec:
    try:
        return MODELS[model_id]
    except KeyError:
        known = ", ".join(MODELS)
        raise InvalidInput(i18n.text("catalog-unknown-model", model=typed(model_id), known=known)) from None


def price_table() -> dict[tuple[str, str], Decimal]:
    """Built-in estimates, (provider, model) → credits: the provider's public price, else the same
    model's public price elsewhere (same credit unit), else the model's `estimate`. The mock costs
    what the real thing would."""
    prices: dict[tuple[str, str], Decimal] = {}
    for spec in MODELS.values():
        published = [r.price for r in spec.routes.values() if r.price is not None]
        fallback = published[0] if published else spec.estimate
        for provider, route in spec.routes.items():
            price = route.price if route.price is not None else fallback
            if price is not None:
                prices[(provider, spec.id)] = price
        prices[("mock", spec.id)] = fallback if fallback is not None else Decimal(1)
    return prices


def route_prices(provider: str) -> dict[str, Decimal]:
    """Public prices of one provider by endpoint (what BFL charges when its answer has no `cost`)."""
    return {
        route.endpoint: route.price
        for spec in MODELS.values()
        for name, route in spec.routes.items()
        if name == provider and route.price is not None
    }


def megapixel_prices(provider: str) -> dict[str, MegapixelPrice]:
    """One provider's per-megapixel prices by endpoint (BFL's charge when an answer has no `cost`)."""
    return {
        route.endpoint: route.per_mp
        for spec in MODELS.values()
        for name, route in spec.routes.items()
        if name == provider and route.per_mp is not None
    }


def megapixel_price(model_id: str, provider: str, *, own: bool = False) -> MegapixelPrice | None:
    """How a model is priced by the megapixel on this provider: its own published price, else
    (unless `own`) the same model's elsewhere (same credit unit: TTAPI's FLUX.2 prices are
    unpublished); None when the model is priced per image."""
    spec = MODELS.get(model_id)
    if spec is None:
        return None
    route = route_for(spec, provider) if provider == "mock" else spec.routes.get(provider)
    if route is not None and route.per_mp is not None:
        return route.per_mp  # the mock's is the route it imitates
    if own:
        return None
    return next((r.per_mp for r in spec.routes.values() if r.per_mp is not None), None)


def output_megapixels(body: dict[str, Any], input_mps: list[Decimal]) -> Decimal:
    """The megapixels a FLUX.2 job will make: its width × height; without them, the first
    reference's size (an edit follows its input) within 4 MP, else BFL's default 1024×1024."""
    if body.get("width") and body.get("height"):
        return megapixels(int(body["width"]) * int(body["height"]))
    if input_mps:
        return min(input_mps[0], megapixels(FLUX2_MAX_PIXELS))
    return megapixels(DEFAULT_OUTPUT_PIXELS)


def request_fields(options: ImageOptions) -> dict[str, Any]:
    """Provider field names for the member's options (the request model then keeps what it knows)."""
    fields: dict[str, Any] = {
        "prompt": options.prompt,
        "seed": options.seed,
        "output_format": options.output_format,
        "prompt_upsampling": options.upsample,
        "safety_tolerance": options.safety_tolerance,
        "width": options.width,
        "height": options.height,
        "aspect_ratio": options.aspect_ratio,
        "steps": options.steps,
        "guidance": options.guidance,
        "interval": options.interval,
        "raw": options.raw,
        "image_prompt_strength": options.image_strength,
        "size": options.size,
        "finetune_id": options.finetune_id,
        "finetune_strength": options.finetune_strength,
        "top": options.top,
        "bottom": options.bottom,
        "left": options.left,
        "right": options.right,
    }
    return {k: v for k, v in fields.items() if v is not None}


def route_for(spec: ModelSpec, provider: str) -> Route:
    """The route a provider serves the model on; the mock imitates BFL's route where there is one
    (FLUX.2 takes the most there), else the first."""
    imitated = spec.routes.get("bfl") or next(iter(spec.routes.values()))
    route = spec.routes.get(provider) or (imitated if provider == "mock" else None)
    if route is None:
        raise InvalidInput(i18n.text("plan-not-offered", model=spec.id, provider=provider))
    return route


def build_request(spec: ModelSpec, provider: str, options: ImageOptions) -> ProviderRequest:
    """Validate the member's options for this model and provider."""
    route = route_for(spec, provider)
    accepted = route.request.model_fields
    fields = {**spec.defaults, **request_fields(options)}
    for name in POLICY_FIELDS:
        if name not in accepted:
            fields.pop(name, None)
    if "disable_pup" in accepted and "prompt_upsampling" in fields:
        # FLUX.2 [pro]/[max] upsample unless told not to: `upsample: False` is `disable_pup: true`.
        fields["disable_pup"] = True if fields.pop("prompt_upsampling") is False else None
    _fit_size(spec, route, fields)
    unsupported = sorted(k for k in fields if k not in accepted and k not in spec.defaults)
    if unsupported:
        names = ", ".join(f"`{OPTION_NAMES.get(n, n)}`" for n in unsupported)
        on = _on(spec, provider)
        key = "catalog-unsupported-options-on" if on else "catalog-unsupported-options"
        raise InvalidInput(i18n.text(key, options=names, model=spec.id, provider=on))
    fields = {k: v for k, v in fields.items() if k in accepted}
    _place_images(spec, provider, accepted, fields, options.images)
    _place_tool_inputs(spec, accepted, fields, options)
    if "image_prompt_strength" in fields and "image_prompt" not in fields:
        raise InvalidInput(i18n.text("catalog-strength-needs-image", model=spec.id))
    fields.update(route.fixed)
    try:
        request = route.request.model_validate(fields)
    except ValidationError as exc:
        raise InvalidInput(describe_validation_error(exc, route.request)) from None
    endpoint = spec.id if provider == "mock" else route.endpoint
    return ProviderRequest(endpoint=endpoint, body=request.model_dump(exclude_none=True), host=route.host)


def _on(spec: ModelSpec, provider: str) -> str | None:
    """The provider's name where the model's routes differ by provider (so the member knows why)."""
    requests = {route.request for route in spec.routes.values()}
    return PROVIDER_NAMES.get(provider, provider) if len(requests) > 1 else None


#: Providers as members read their names.
PROVIDER_NAMES = {"ttapi": "TTAPI", "bfl": "BFL", "mock": "the mock provider"}


def _place_tool_inputs(
    spec: ModelSpec, accepted: dict[str, Any], fields: dict[str, Any], options: ImageOptions
) -> None:
    """Fill's mask, Expand's sides and `--zoom`: each only where the endpoint takes it."""
    if options.zoom is not None and "top" not in accepted:
        raise InvalidInput(i18n.text("tools-zoom-needs-image"))
    if options.mask is not None:
        if "mask" not in accepted:
            raise InvalidInput(i18n.text("tools-mask-not-here", model=spec.id))
        fields["mask"] = options.mask
    if "top" in accepted and not any(fields.get(side) for side in SIDES):
        raise InvalidInput(i18n.text("tools-how-far"))
    if "image" in accepted and "image" not in fields:
        raise InvalidInput(i18n.text("tools-needs-image", model=spec.id))


def _place_images(
    spec: ModelSpec, provider: str, accepted: dict[str, Any], fields: dict[str, Any], images: list[str]
) -> None:
    if not images:
        return
    if "image" in accepted:
        if len(images) > 1:
            raise InvalidInput(i18n.text("tools-one-image", model=spec.id))
        fields["image"] = images[0]
        return
    if "input_image" in accepted:
        slots = [s for s in IMAGE_SLOTS if s in accepted]
        if len(images) > len(slots):
            elsewhere = [
                i18n.text(
                    "catalog-count-on", count=route.references(), provider=PROVIDER_NAMES.get(name, name)
                )
                for name, route in spec.routes.items()
                if name != provider and route.references() > len(slots)
            ]
            on = _on(spec, provider)
            key = "catalog-too-many-images-on" if on else "catalog-too-many-images"
            raise InvalidInput(
                i18n.text(
                    f"{key}-elsewhere" if on and elsewhere else key,
                    model=spec.id,
                    count=len(slots),
                    attached=len(images),
                    provider=on,
                    elsewhere=i18n.Joined(tuple(elsewhere)),
                )
            )
        fields.update(zip(slots, images, strict=False))
        return
    if "image_prompt" not in accepted:
        raise InvalidInput(i18n.text("catalog-no-image", model=spec.id))
    if len(images) > 1:
        raise InvalidInput(i18n.text("catalog-one-image", model=spec.id))
    fields["image_prompt"] = images[0]


# -- sizing ---------------------------------------------------------------------------------------


def _fit_size(spec: ModelSpec, route: Route, fields: dict[str, Any]) -> None:
    """Turn the member's sizing (ratio, or width/height) into what this endpoint takes."""
    accepted = route.request.model_fields
    ratio = fields.get("aspect_ratio")
    width, height = fields.get("width"), fields.get("height")
    if ratio is not None:
        try:
            parse_ratio(str(ratio))
        except ValueError:
            raise InvalidInput(i18n.text("catalog-ratio-form", ratio=typed(ratio))) from None
    if "aspect_ratio" in accepted:
        if width is not None or height is not None:
            if ratio is not None or width is None or height is None:
                raise InvalidInput(i18n.text("catalog-sized-by-ratio", model=spec.id))
            divisor = math.gcd(int(width), int(height)) or 1
            fields["aspect_ratio"] = f"{int(width) // divisor}:{int(height) // divisor}"
            fields.pop("width"), fields.pop("height")
        return
    if "width" in accepted and "height" in accepted:
        if ratio is None:
            return
        if width is not None and height is not None:
            raise InvalidInput(i18n.text("catalog-ratio-or-sides"))
        fields.pop("aspect_ratio")
        fields["width"], fields["height"] = ratio_to_size(
            str(ratio), width=width, height=height, sizing=route.sizing
        )
        return
    if "size" in accepted:
        if width is not None or height is not None:
            sizes = ", ".join(LEGACY_SIZES)
            raise InvalidInput(i18n.text("catalog-fixed-sizes", model=spec.id, sizes=sizes))
        if ratio is not None:
            fields.pop("aspect_ratio")
            fields.setdefault("size", nearest_legacy_size(str(ratio)))


#: The shortest side a size made from a ratio gets on any endpoint (BFL's help centre: 256).
MIN_CHOSEN_SIDE = 256


def ratio_to_size(
    ratio: str,
    *,
    width: int | None = None,
    height: int | None = None,
    sizing: Sizing = CLASSIC_SIZING,
) -> tuple[int, int]:
    """A width/height pair for a ratio: multiples of the endpoint's step inside its sides (and its
    pixel limit), about one megapixel, or following the one side the member gave. Raises
    InvalidInput for a ratio those sides cannot make."""
    w, h = parse_ratio(ratio)
    r = w / h
    low_side = max(sizing.min_side, MIN_CHOSEN_SIDE)
    high_side = sizing.max_side
    if sizing.max_pixels:  # the long side of the most extreme shape still within the pixels
        high_side = min(high_side, sizing.max_pixels // low_side)

    def side(value: float) -> int:
        return int(min(high_side, max(low_side, round(value / sizing.step) * sizing.step)))

    if not low_side / high_side <= r <= high_side / low_side:
        raise InvalidInput(
            i18n.text("catalog-ratio-impossible", ratio=ratio, low=str(low_side), high=str(high_side))
        )
    if width is not None:
        return width, side(width / r)
    if height is not None:
        return side(height * r), height
    out_w = side(math.sqrt(TARGET_PIXELS * r))
    out_h = side(out_w / r)
    if out_h in (low_side, high_side):  # the short/long side hit a bound: follow it instead
        out_w = side(out_h * r)
    return out_w, out_h


def nearest_legacy_size(ratio: str) -> str:
    """The `/flux/generate` size whose shape is nearest the ratio (compared on a log scale)."""
    w, h = parse_ratio(ratio)
    target = math.log(w / h)

    def distance(size: str) -> float:
        sw, _, sh = size.partition("x")
        return abs(math.log(int(sw) / int(sh)) - target)

    return min(LEGACY_SIZES, key=distance)


# -- what a route takes, as members read it (`/models`) ----------------------------------------

#: Fields `/models` names in words (`takes-<field>`); a field not listed shows as its option name
#: and range (so a new request model needs no entry here).
TAKES = frozenset(
    {
        "aspect_ratio",
        "size",
        "image_prompt",
        "raw",
        "seed",
        "prompt_upsampling",
        "disable_pup",
        "output_format",
    }
)
#: Fields `/models` does not list: the prompt, the server's policy, fixed values.
NOT_LISTED = {"prompt", "safety_tolerance", "mode", *IMAGE_SLOTS[1:]}


def takes(route: Route) -> list[str | i18n.Text]:
    """What this endpoint takes, in the member's words: sizes, references, ranges."""
    fields = route.request.model_fields
    found: list[str | i18n.Text] = []
    for name in fields:
        if name in NOT_LISTED or name in route.fixed or name == "height":
            continue
        if name == "width":
            sizing = route.sizing
            sides = i18n.text(
                "takes-sides-pixels" if sizing.max_pixels else "takes-sides",
                low=str(sizing.min_side),
                high=str(sizing.max_side),
                step=sizing.step,
                mp=f"{(sizing.max_pixels or 0) / 2**20:g}",
            )
            found.append(i18n.text("takes-width-height", sides=sides))
        elif name == "input_image":
            count = route.references()
            found.append(
                i18n.text("takes-references", count=count) if count > 1 else i18n.text("takes-reference")
            )
        elif name in TAKES:
            found.append(i18n.text(f"takes-{name}", sizes=", ".join(LEGACY_SIZES)))
        else:
            bounds = _bounds(route.request, name)
            option = OPTION_NAMES.get(name, name)
            found.append(f"{option} {_num(bounds[0])}–{_num(bounds[1])}" if bounds else option)
    return found


def price_text(route: Route, estimate: Decimal | None) -> i18n.Text:
    """A route's price as `/models` shows it: per megapixel, per image, or the bot's estimate."""
    if route.per_mp is not None:
        return i18n.text("price-per-mp", first=route.per_mp.first, extra=route.per_mp.extra)
    if route.price is not None:
        return i18n.text("price-per-image", amount=route.price)
    if estimate is not None:
        return i18n.text("price-estimate", amount=estimate)
    return i18n.text("price-unpublished")


# -- messages -------------------------------------------------------------------------------------


def describe_validation_error(exc: ValidationError, request: type[BaseModel] | None = None) -> i18n.Text:
    """One sentence per problem, naming the option as the member typed it and the allowed range."""
    lines: list[i18n.Text] = []
    for error in exc.errors(include_input=False, include_url=False):
        name = str(error["loc"][0]) if error["loc"] else "option"
        option = OPTION_NAMES.get(name, name)
        ctx = error.get("ctx") or {}
        kind = error["type"]
        bounds = _bounds(request, name) if request is not None else _RANGES.get(name)
        step = getattr(request, "sizing", CLASSIC_SIZING).step
        low, high = (_num(bounds[0]), _num(bounds[1])) if bounds else (None, None)
        sides = name in ("width", "height")
        detail = error["msg"].removeprefix("Value error, ")
        if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than") and bounds:
            key = "validation-between-step" if sides else "validation-between"
            line = i18n.text(key, option=option, low=low, high=high, step=step)
        elif kind == "string_too_short" and name == "prompt":
            line = i18n.text("validation-empty", option=option)
        elif kind == "string_too_long":
            line = i18n.text("validation-too-long", option=option, limit=ctx.get("max_length"))
        elif kind == "literal_error":
            line = i18n.text("validation-one-of", option=option, expected=str(ctx.get("expected")))
        elif kind == "missing":
            line = i18n.text("validation-required", option=option)
        elif kind in ("int_parsing", "int_type", "int_from_float", "float_parsing", "float_type"):
            key = "validation-number-between" if bounds else "validation-number"
            line = i18n.text(key, option=option, low=low, high=high)
        elif not error["loc"] and (match := _PIXELS.fullmatch(detail)):  # FLUX.2's pixel limit
            line = i18n.text("validation-pixels", size=match[1], limit=match[2])
        elif not error["loc"]:  # another whole-request rule: its own sentence
            line = i18n.text("validation-rule", detail=detail)
        elif match := _MULTIPLE.fullmatch(detail):  # the request models' own checks, worded here
            key = "validation-multiple-between" if sides and bounds else "validation-multiple"
            line = i18n.text(key, option=option, step=match[1], low=low, high=high)
        elif detail in _RATIO_CHECKS:
            line = i18n.text(_RATIO_CHECKS[detail], option=option)
        else:
            # Another check of the request model (pydantic's words, in English): quoted after the option.
            key = "validation-other-between" if sides and bounds else "validation-other"
            line = i18n.text(key, option=option, detail=detail, low=low, high=high)
        lines.append(line)
    return i18n.text("validation-lines", lines=lines)


#: The request models' own ValueError messages (above), worded in the member's language.
_MULTIPLE = re.compile(r"must be a multiple of (\d+)")
_PIXELS = re.compile(r"`width` × `height` is (\d+×\d+); at most ([\d.]+) MP \(2048×2048\) is allowed")
_RATIO_CHECKS = {
    "must look like 16:9": "validation-ratio-form",
    "must be between 21:9 and 9:21": "validation-ratio-range",
}


def _num(value: Any) -> str:
    return format(value, "g") if isinstance(value, float) else str(value)


def _bounds(request: type[BaseModel], name: str) -> tuple[Any, Any] | None:
    """The (min, max) a request model's field declares, read from its own constraints."""
    info = request.model_fields.get(name)
    if info is None:
        return _RANGES.get(name)
    low = high = None
    stack: list[Any] = list(info.metadata)
    annotation = info.annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        stack.extend(getattr(arg, "__metadata__", ()))
    for item in stack:
        if isinstance(item, annotated_types.Ge | annotated_types.Gt):
            low = getattr(item, "ge", getattr(item, "gt", None))
        elif isinstance(item, annotated_types.Le | annotated_types.Lt):
            high = getattr(item, "le", getattr(item, "lt", None))
        elif hasattr(item, "metadata"):
            stack.extend(item.metadata)
    if low is None or high is None:
        return _RANGES.get(name)
    return low, high


#: Documented ranges, a fallback for messages when no request model is given.
_RANGES: dict[str, tuple[Any, Any]] = {
    "width": (256, 1440),
    "height": (256, 1440),
    "steps": (1, 50),
    "guidance": (1.5, 5),
    "interval": (1, 4),
    "safety_tolerance": (0, 6),
    "image_prompt_strength": (0, 1),
    "finetune_strength": (0, 2),
    "seed": (0, 2**32 - 1),
}
