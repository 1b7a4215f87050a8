"""The model table: every model id → for each provider, the endpoint, the request model and a price.

This is data: a new model (say a FLUX.2 mode) is one `ModelSpec` entry. The pydantic request
models are the single source of truth for what a provider accepts: every documented range is
checked here, before anything is held or sent, and a violation becomes a member-facing message
naming the option and its allowed range.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.errors import InvalidInput
from bot.providers.base import ProviderRequest

OutputFormat = Literal["jpeg", "png"]


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


# -- request models, one per documented endpoint shape ------------------------------------------


def _multiple_of_32(value: int | None) -> int | None:
    if value is not None and value % 32:
        raise ValueError("must be a multiple of 32")
    return value


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prompt: str = Field(min_length=1, max_length=4000)
    seed: int | None = Field(default=None, ge=0, le=2**32 - 1)
    output_format: OutputFormat | None = None
    prompt_upsampling: bool | None = None
    safety_tolerance: int | None = Field(default=None, ge=0, le=6)


class FluxPro11Request(_Request):
    """`/bfl/v1/flux-pro-1.1` (TTAPI) and `/v1/flux-pro-1.1` (BFL)."""

    image_prompt: str | None = None
    width: int | None = Field(default=None, ge=256, le=1440)
    height: int | None = Field(default=None, ge=256, le=1440)

    _w = field_validator("width", "height")(_multiple_of_32)


# -- the table ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Route:
    endpoint: str
    request: type[BaseModel]
    price: Decimal | None = None  # public price in credits; None when unpublished
    host: str = "default"


@dataclass(frozen=True, slots=True)
class ModelSpec:
    id: str
    label: str
    kind: Literal["generate", "edit", "finetune"]
    routes: dict[str, Route]
    #: Seconds a job usually takes; the starting point for polling and progress until we learn better.
    typical_seconds: float = 15.0
    defaults: dict[str, Any] = field(default_factory=dict)

    def providers(self) -> list[str]:
        return list(self.routes)


MODELS: dict[str, ModelSpec] = {
    spec.id: spec
    for spec in [
        ModelSpec(
            id="flux-pro-1.1",
            label="FLUX1.1 [pro]",
            kind="generate",
            routes={
                "ttapi": Route("/bfl/v1/flux-pro-1.1", FluxPro11Request, Decimal(4)),
                "bfl": Route("/v1/flux-pro-1.1", FluxPro11Request, Decimal(4)),
            },
            typical_seconds=10.0,
        ),
    ]
}

#: Option names as members know them, for error messages.
OPTION_NAMES = {
    "prompt_upsampling": "upsample",
    "image_prompt_strength": "image_strength",
    "image_prompt": "image",
    "input_image": "image",
    "finetune_strength": "strength",
    "output_format": "format",
}


def model_spec(model_id: str) -> ModelSpec:
    try:
        return MODELS[model_id]
    except KeyError:
        known = ", ".join(MODELS)
        raise InvalidInput(f"Unknown model `{model_id}`. Available: {known}.") from None


def price_table() -> dict[tuple[str, str], Decimal]:
    """Built-in estimates, (provider, model) → credits; the mock costs what the real thing would."""
    prices: dict[tuple[str, str], Decimal] = {}
    for spec in MODELS.values():
        for provider, route in spec.routes.items():
            if route.price is not None:
                prices[(provider, spec.id)] = route.price
        known = [r.price for r in spec.routes.values() if r.price is not None]
        prices[("mock", spec.id)] = known[0] if known else Decimal(1)
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


def build_request(spec: ModelSpec, provider: str, options: ImageOptions) -> ProviderRequest:
    """Validate the member's options for this model and provider; the mock takes the first real route."""
    route = spec.routes.get(provider) or (next(iter(spec.routes.values())) if provider == "mock" else None)
    if route is None:
        raise InvalidInput(f"`{spec.id}` is not offered by {provider}.")
    fields = {**spec.defaults, **request_fields(options)}
    accepted = route.request.model_fields
    unsupported = sorted(
        k for k, v in fields.items() if k not in accepted and v is not None and k not in spec.defaults
    )
    if unsupported:
        names = ", ".join(f"`{OPTION_NAMES.get(n, n)}`" for n in unsupported)
        raise InvalidInput(f"{names} cannot be used with `{spec.id}`.")
    if options.images:
        image_field = "input_image" if "input_image" in accepted else "image_prompt"
        if image_field not in accepted:
            raise InvalidInput(f"`{spec.id}` does not take a reference image.")
        fields[image_field] = options.images[0]
        for index, image in enumerate(options.images[1:], start=2):
            name = f"input_image_{index}"
            if name not in accepted:
                raise InvalidInput(f"`{spec.id}` takes at most {index - 1} reference image(s).")
            fields[name] = image
    try:
        request = route.request.model_validate(fields)
    except ValidationError as exc:
        raise InvalidInput(describe_validation_error(exc)) from None
    endpoint = spec.id if provider == "mock" else route.endpoint
    return ProviderRequest(endpoint=endpoint, body=request.model_dump(exclude_none=True), host=route.host)


def describe_validation_error(exc: ValidationError) -> str:
    """One line per problem, naming the option as the member typed it and the allowed range."""
    lines = []
    for error in exc.errors(include_input=False, include_url=False):
        name = str(error["loc"][0]) if error["loc"] else "option"
        option = OPTION_NAMES.get(name, name)
        ctx = error.get("ctx") or {}
        kind = error["type"]
        if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
            bounds = _RANGES.get(name)
            text = f"must be between {bounds[0]} and {bounds[1]}" if bounds else error["msg"].lower()
        elif kind == "string_too_short" and name == "prompt":
            text = "cannot be empty"
        elif kind == "string_too_long":
            text = f"is too long (at most {ctx.get('max_length')} characters)"
        elif kind == "literal_error":
            text = f"must be one of {ctx.get('expected')}"
        else:
            text = error["msg"].removeprefix("Value error, ")
        lines.append(f"`{option}` {text}.")
    return " ".join(lines)


#: Documented ranges, for messages; the request models enforce them.
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
