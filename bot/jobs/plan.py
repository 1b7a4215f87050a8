"""From what a member typed to a validated provider request, before anything is held or sent.

Shared by the slash commands and the CLI `generate`, so both check exactly the same things.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.errors import InvalidInput
from bot.flags import merge_options, split_flags
from bot.providers.base import ProviderRequest
from bot.providers.catalog import ImageOptions, ModelSpec, build_request, model_spec

MAX_PROMPT_CHARS = 2000


@dataclass(frozen=True, slots=True)
class JobPlan:
    spec: ModelSpec
    provider: str
    prompt: str
    options: ImageOptions
    request: ProviderRequest


def choose_provider(spec: ModelSpec, available: list[str], preferred: str, asked: str | None) -> str:
    """The provider that serves a model: the one asked for, else the preferred, else any that offers it."""
    if asked is not None:
        if asked not in available:
            raise InvalidInput(f"The {asked} provider is not configured on this bot.")
        if asked != "mock" and asked not in spec.routes:
            raise InvalidInput(f"`{spec.id}` is not offered by {asked}.")
        return asked
    offering = [p for p in available if p in spec.routes]
    if preferred in offering:
        return preferred
    if offering:
        return offering[0]
    if "mock" in available:
        return "mock"
    raise InvalidInput(f"`{spec.id}` is not available on this bot (its provider is not configured).")


_WHERE = {
    "generate": "Use `/imagine` for it.",
    "edit": "Use `/edit` (or `/imagine` with it).",
    "finetune": "Use `/finetune` for it.",
}


def plan_job(
    text: str,
    explicit: dict[str, Any],
    *,
    default_model: str,
    available: list[str],
    preferred: str,
    provider: str | None = None,
    max_safety_tolerance: int = 2,
    images: list[str] | None = None,
    kinds: tuple[str, ...] | None = None,
) -> JobPlan:
    """Parse flags, merge options (slash options win), pick model and provider, validate.

    `kinds` limits the models this command takes (e.g. `/edit`: Kontext only).
    """
    prompt, from_flags = split_flags(text)
    sized = explicit.get("width") is not None or explicit.get("height") is not None
    if sized and explicit.get("aspect_ratio") is None:
        # A width/height slash option wins over a habitual `--ar` in the prompt.
        from_flags.pop("aspect_ratio", None)
    merged = merge_options(explicit, from_flags)
    model_id = merged.pop("model", None) or default_model
    if not prompt.strip():
        raise InvalidInput("The prompt is empty; describe the image you want.")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise InvalidInput(f"The prompt is {len(prompt)} characters long; the limit is {MAX_PROMPT_CHARS}.")
    spec = model_spec(model_id)
    if kinds is not None and spec.kind not in kinds:
        raise InvalidInput(f"`{spec.id}` cannot be used with this command. {_WHERE[spec.kind]}")
    chosen = choose_provider(spec, available, preferred, provider)
    tolerance = merged.get("safety_tolerance")
    if tolerance is not None and tolerance > max_safety_tolerance:
        raise InvalidInput(f"`safety_tolerance` can be at most {max_safety_tolerance} on this server.")
    merged["safety_tolerance"] = min(tolerance if tolerance is not None else 2, max_safety_tolerance)
    try:
        options = ImageOptions(prompt=prompt, images=images or [], **merged)
    except ValueError as exc:
        raise InvalidInput(f"Invalid option: {exc}") from None
    request = build_request(spec, chosen, options)
    return JobPlan(spec=spec, provider=chosen, prompt=prompt, options=options, request=request)
