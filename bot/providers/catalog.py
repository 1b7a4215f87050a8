"""The model table: every model id → for each provider, the endpoint, the request model and a price.

This is data: a new model (say a FLUX.2 mode) is one `ModelSpec` entry in `MODELS` (or one call to
`register`). The pydantic request models are the single source of truth for what an endpoint
accepts: every documented range is checked here, before anything is held or sent, and a violation
becomes a member-facing message naming the option and its allowed range (read from the model's
own field constraints, so a new request model needs no extra message table).

How a member's sizing habit meets each endpoint shape (chosen from the request model's fields):
- `aspect_ratio` endpoints (Ultra, Kontext) take the ratio as is, checked to lie in 21:9…9:21;
  a width/height pair given there becomes its reduced ratio;
- `width`/`height` endpoints get `--ar 16:9` as a pair of multiples of 32 near one megapixel,
  inside 256–1440 (one side given: the other follows the ratio);
- `size` endpoints (TTAPI's legacy `/flux/generate`) get the allowed size nearest the ratio.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Annotated, Any, Literal

import annotated_types
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

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


class ImageOptions(BaseModel):
    """What a member asked for, provider-neutral: slash options merged with prompt flags."""

    model_config = ConfigDict(extra="forbid")

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
    #: Reference images, base64 (no data: prefix). The first is the image prompt / first Kontext input.
    images: list[str] = Field(default_factory=list)

    def public(self) -> dict[str, Any]:
        """The options worth storing and showing: everything but the image bytes."""
        data = self.model_dump(exclude_none=True, exclude={"images"})
        data["image_count"] = len(self.images)
        return data


# -- field types ----------------------------------------------------------------------------------


def _multiple_of_32(value: int) -> int:
    if value % SIDE_STEP:
        raise ValueError(f"must be a multiple of {SIDE_STEP}")
    return value


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


Side = Annotated[int, Field(ge=MIN_SIDE, le=MAX_SIDE), AfterValidator(_multiple_of_32)]
Steps = Annotated[int, Field(ge=1, le=50)]
Guidance = Annotated[float, Field(ge=1.5, le=5)]
Interval = Annotated[float, Field(ge=1, le=4)]
Seed = Annotated[int, Field(ge=0, le=2**32 - 1)]
SafetyTolerance = Annotated[int, Field(ge=0, le=6)]
AspectRatio = Annotated[str, AfterValidator(_ratio_in_bounds)]
Strength01 = Annotated[float, Field(ge=0, le=1)]
Image = Annotated[str, Field(min_length=1)]


# -- request models, one per documented endpoint shape ------------------------------------------


class _Request(BaseModel):
    """Fields every `/bfl/v1/*` and BFL `/v1/*` endpoint documents."""

    model_config = ConfigDict(extra="forbid")

    prompt: str = Field(min_length=1, max_length=4000)
    seed: Seed | None = None
    output_format: OutputFormat | None = None
    prompt_upsampling: bool | None = None
    safety_tolerance: SafetyTolerance | None = None


class _ImagePromptSized(BaseModel):
    """An image prompt and an explicit width/height (1.1 [pro], dev, pro, finetuned)."""

    image_prompt: Image | None = None
    width: Side | None = None
    height: Side | None = None


class _Sampling(BaseModel):
    """Steps and guidance (dev, pro, finetuned)."""

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


class LegacyGenerateRequest(BaseModel):
    """TTAPI `/flux/generate`: `prompt`, `size`, `mode` (seed 003); `hookUrl` is added at submit."""

    model_config = ConfigDict(extra="forbid")

    prompt: str = Field(min_length=1, max_length=4000)
    mode: Literal["flux1-dev", "flux1-schnell", "flux1-pro"]
    size: Literal["1024x1024", "1024x1792", "1792x1024"] = "1024x1024"


# -- the table ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Route:
    endpoint: str
    request: type[BaseModel]
    price: Decimal | None = None  # public price in credits; None when unpublished
    host: str = "default"  # "finetune": BFL's single-cluster host (BFL_FINETUNE_BASE_URL)
    #: Fields this endpoint always gets (e.g. the legacy `mode`); a member cannot override them.
    fixed: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ModelSpec:
    id: str
    label: str
    kind: Literal["generate", "edit", "finetune"]
    routes: dict[str, Route]
    #: Seconds a job usually takes; the starting point for polling and progress until we learn better.
    typical_seconds: float = 15.0
    #: Field defaults the product chooses (documented defaults stay with the provider).
    defaults: dict[str, Any] = field(default_factory=dict)
    #: Credits to hold when no provider publishes a price and none was learned yet (a guess).
    estimate: Decimal | None = None

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


MODELS: dict[str, ModelSpec] = {}


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
        routes=_bfl_family("flux-pro", FluxProRequest, None),
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
        routes={"bfl": Route("/v1/flux-pro-finetuned", FinetunedRequest, Decimal(6), host="finetune")},
        typical_seconds=20.0,
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
    "finetune_strength": "strength",
    "output_format": "format",
}

IMAGE_SLOTS = ("input_image", "input_image_2", "input_image_3", "input_image_4")

#: Fields the server sets by policy, not the member: dropped where an endpoint does not take them.
POLICY_FIELDS = {"safety_tolerance"}


def model_spec(model_id: str) -> ModelSpec:
    try:
        return MODELS[model_id]
    except KeyError:
        known = ", ".join(MODELS)
        raise InvalidInput(f"Unknown model `{typed(model_id)}`. Available: {known}.") from None


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
    }
    return {k: v for k, v in fields.items() if v is not None}


def route_for(spec: ModelSpec, provider: str) -> Route:
    """The route a provider serves the model on; the mock imitates the first real route."""
    route = spec.routes.get(provider) or (next(iter(spec.routes.values())) if provider == "mock" else None)
    if route is None:
        raise InvalidInput(f"`{spec.id}` is not offered by {provider}.")
    return route


def build_request(spec: ModelSpec, provider: str, options: ImageOptions) -> ProviderRequest:
    """Validate the member's options for this model and provider."""
    route = route_for(spec, provider)
    accepted = route.request.model_fields
    fields = {**spec.defaults, **request_fields(options)}
    for name in POLICY_FIELDS:
        if name not in accepted:
            fields.pop(name, None)
    _fit_size(spec, accepted, fields)
    unsupported = sorted(k for k in fields if k not in accepted and k not in spec.defaults)
    if unsupported:
        names = ", ".join(f"`{OPTION_NAMES.get(n, n)}`" for n in unsupported)
        raise InvalidInput(f"{names} cannot be used with `{spec.id}`.")
    fields = {k: v for k, v in fields.items() if k in accepted}
    _place_images(spec, accepted, fields, options.images)
    if "image_prompt_strength" in fields and "image_prompt" not in fields:
        raise InvalidInput(f"`image_strength` needs an `image` to remix with `{spec.id}`.")
    fields.update(route.fixed)
    try:
        request = route.request.model_validate(fields)
    except ValidationError as exc:
        raise InvalidInput(describe_validation_error(exc, route.request)) from None
    endpoint = spec.id if provider == "mock" else route.endpoint
    return ProviderRequest(endpoint=endpoint, body=request.model_dump(exclude_none=True), host=route.host)


def _place_images(
    spec: ModelSpec, accepted: dict[str, Any], fields: dict[str, Any], images: list[str]
) -> None:
    if not images:
        return
    if "input_image" in accepted:
        slots = [s for s in IMAGE_SLOTS if s in accepted]
        if len(images) > len(slots):
            raise InvalidInput(f"`{spec.id}` takes at most {len(slots)} reference images.")
        fields.update(zip(slots, images, strict=False))
        return
    if "image_prompt" not in accepted:
        raise InvalidInput(f"`{spec.id}` does not take a reference image.")
    if len(images) > 1:
        raise InvalidInput(f"`{spec.id}` takes one reference image; use `/edit` for up to four.")
    fields["image_prompt"] = images[0]


# -- sizing ---------------------------------------------------------------------------------------


def _fit_size(spec: ModelSpec, accepted: dict[str, Any], fields: dict[str, Any]) -> None:
    """Turn the member's sizing (ratio, or width/height) into what this endpoint takes."""
    ratio = fields.get("aspect_ratio")
    width, height = fields.get("width"), fields.get("height")
    if ratio is not None:
        try:
            parse_ratio(str(ratio))
        except ValueError:
            raise InvalidInput(f"`aspect_ratio` {typed(ratio)!r} must look like 16:9.") from None
    if "aspect_ratio" in accepted:
        if width is not None or height is not None:
            if ratio is not None or width is None or height is None:
                raise InvalidInput(
                    f"`{spec.id}` is sized by `aspect_ratio` (21:9 to 9:21); "
                    "give that, or both `width` and `height`."
                )
            divisor = math.gcd(int(width), int(height)) or 1
            fields["aspect_ratio"] = f"{int(width) // divisor}:{int(height) // divisor}"
            fields.pop("width"), fields.pop("height")
        return
    if "width" in accepted and "height" in accepted:
        if ratio is None:
            return
        if width is not None and height is not None:
            raise InvalidInput("Give either `aspect_ratio` or `width` and `height`, not all three.")
        fields.pop("aspect_ratio")
        fields["width"], fields["height"] = ratio_to_size(str(ratio), width=width, height=height)
        return
    if "size" in accepted:
        if width is not None or height is not None:
            sizes = ", ".join(LEGACY_SIZES)
            raise InvalidInput(f"`{spec.id}` comes in fixed sizes ({sizes}); use `aspect_ratio` instead.")
        if ratio is not None:
            fields.pop("aspect_ratio")
            fields.setdefault("size", nearest_legacy_size(str(ratio)))


def _round_side(value: float) -> int:
    return int(min(MAX_SIDE, max(MIN_SIDE, round(value / SIDE_STEP) * SIDE_STEP)))


def ratio_to_size(ratio: str, *, width: int | None = None, height: int | None = None) -> tuple[int, int]:
    """A width/height pair for a ratio: multiples of 32 inside 256–1440, about one megapixel
    (or following the one side the member gave). Raises InvalidInput for an impossible ratio."""
    w, h = parse_ratio(ratio)
    r = w / h
    low, high = MIN_SIDE / MAX_SIDE, MAX_SIDE / MIN_SIDE
    if not low <= r <= high:
        raise InvalidInput(
            f"`aspect_ratio` {ratio} cannot be made from sides of {MIN_SIDE}–{MAX_SIDE} pixels."
        )
    if width is not None:
        return width, _round_side(width / r)
    if height is not None:
        return _round_side(height * r), height
    out_w = _round_side(math.sqrt(TARGET_PIXELS * r))
    out_h = _round_side(out_w / r)
    if out_h in (MIN_SIDE, MAX_SIDE):  # the short/long side hit a bound: follow it instead
        out_w = _round_side(out_h * r)
    return out_w, out_h


def nearest_legacy_size(ratio: str) -> str:
    """The `/flux/generate` size whose shape is nearest the ratio (compared on a log scale)."""
    w, h = parse_ratio(ratio)
    target = math.log(w / h)

    def distance(size: str) -> float:
        sw, _, sh = size.partition("x")
        return abs(math.log(int(sw) / int(sh)) - target)

    return min(LEGACY_SIZES, key=distance)


# -- messages -------------------------------------------------------------------------------------


def describe_validation_error(exc: ValidationError, request: type[BaseModel] | None = None) -> str:
    """One line per problem, naming the option as the member typed it and the allowed range."""
    lines = []
    for error in exc.errors(include_input=False, include_url=False):
        name = str(error["loc"][0]) if error["loc"] else "option"
        option = OPTION_NAMES.get(name, name)
        ctx = error.get("ctx") or {}
        kind = error["type"]
        bounds = _bounds(request, name) if request is not None else _RANGES.get(name)
        if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
            text = (
                f"must be between {_num(bounds[0])} and {_num(bounds[1])}" if bounds else error["msg"].lower()
            )
            if name in ("width", "height"):
                text += f" and a multiple of {SIDE_STEP}"
        elif kind == "string_too_short" and name == "prompt":
            text = "cannot be empty"
        elif kind == "string_too_long":
            text = f"is too long (at most {ctx.get('max_length')} characters)"
        elif kind == "literal_error":
            text = f"must be one of {ctx.get('expected')}"
        elif kind == "missing":
            text = "is required"
        elif kind in ("int_parsing", "int_type", "int_from_float", "float_parsing", "float_type"):
            text = "must be a number"
            if bounds:
                text += f" between {_num(bounds[0])} and {_num(bounds[1])}"
        else:
            text = error["msg"].removeprefix("Value error, ")
            if name in ("width", "height") and bounds:
                text += f" (between {_num(bounds[0])} and {_num(bounds[1])})"
        lines.append(f"`{option}` {text}.")
    return " ".join(lines)


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
