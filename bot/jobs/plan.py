"""From what a member typed to a validated provider request, before anything is held or sent.

Shared by the slash commands and the CLI `generate`, so both check exactly the same things.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from bot import i18n
from bot.errors import InvalidInput
from bot.flags import merge_options, split_flags
from bot.providers.base import ProviderRequest
from bot.providers.catalog import SIDES, ImageOptions, ModelSpec, build_request, model_spec

MAX_PROMPT_CHARS = 2000


@dataclass(frozen=True, slots=True)
class JobPlan:
    spec: ModelSpec
    provider: str
    prompt: str
    options: ImageOptions
    request: ProviderRequest
    #: How many images (`count`, `--count`): one job each, posted together (a batch).
    count: int = 1
    #: `--private` (or the `private` option) as typed; the server's rule decides (bot/discord/preferences.py).
    private: bool | None = None


def choose_provider(
    spec: ModelSpec, available: list[str], preferred: str, asked: str | None, *, images: int = 0
) -> str:
    """The provider that serves a model: the one asked for, else the preferred, else any that
    offers it; among those, one that takes `images` reference images when one does (FLUX.2: 8 on
    BFL, 4 on TTAPI), so a member never has to know which provider is the default."""
    if asked is not None:
        if asked not in available:
            raise InvalidInput(i18n.text("plan-provider-missing", provider=asked))
        if asked != "mock" and asked not in spec.routes:
            raise InvalidInput(i18n.text("plan-not-offered", model=spec.id, provider=asked))
        return asked
    offering = [p for p in available if p in spec.routes]
    fitting = [p for p in offering if spec.routes[p].references() >= images] if images else []
    offering = fitting or offering  # none takes that many: the catalogue says so, naming the limit
    if preferred in offering:
        return preferred
    if offering:
        return offering[0]
    if "mock" in available:
        return "mock"
    raise InvalidInput(i18n.text("plan-unavailable", model=spec.id))


def plan_job(
    text: str,
    explicit: dict[str, Any],
    *,
    default_model: str,
    available: list[str],
    preferred: str,
    provider: str | None = None,
    max_safety_tolerance: int = 2,
    default_safety_tolerance: int = 2,
    images: list[str] | None = None,
    kinds: tuple[str, ...] | None = None,
    defaults: dict[str, Any] | None = None,
    suffix: str | None = None,
    batch: bool = False,
    disabled: Collection[str] = (),
    mask: str | None = None,
) -> JobPlan:
    """Parse flags, merge options (slash options win), pick model and provider, validate.

    `kinds` limits the models this command takes (e.g. `/edit`: Kontext and FLUX.2). `defaults`
    (a member's preset: aspect ratio, format) and the flags of `suffix` count only where the member
    set nothing; the suffix's words are added to the prompt. `batch`: the command takes `count`.
    `disabled` are the models the operator hid (`DISABLED_MODELS`).
    `mask` is Fill's.
    """
    prompt, from_flags = split_flags(text)
    if suffix:
        words, suffix_flags = split_flags(suffix)
        prompt = f"{prompt} {words}".strip() if prompt.strip() else prompt
        from_flags = {**suffix_flags, **from_flags}
    sized = explicit.get("width") is not None or explicit.get("height") is not None
    if sized and explicit.get("aspect_ratio") is None:
        # A width/height slash option wins over a habitual `--ar` in the prompt.
        from_flags.pop("aspect_ratio", None)
    merged = merge_options(explicit, from_flags)
    for name, value in (defaults or {}).items():
        if name == "aspect_ratio" and (sized or merged.get("width") or merged.get("height")):
            continue  # the member sized this one
        merged.setdefault(name, value)
    count = int(merged.pop("count", None) or 1)
    if count > 1 and not batch:
        raise InvalidInput(i18n.text("plan-count-imagine-only"))
    private = merged.pop("private", None)
    model_id = merged.pop("model", None) or default_model
    spec = model_spec(model_id)
    if not prompt.strip() and spec.prompt_required:
        raise InvalidInput(i18n.text("plan-empty-prompt"))
    if len(prompt) > MAX_PROMPT_CHARS:
        raise InvalidInput(i18n.text("plan-prompt-too-long", length=len(prompt), limit=MAX_PROMPT_CHARS))
    if spec.id in disabled:
        raise InvalidInput(i18n.text("plan-model-disabled", model=spec.id))
    if kinds is not None and spec.kind not in kinds:
        raise InvalidInput(i18n.text(f"plan-wrong-command-{spec.kind}", model=spec.id))
    chosen = choose_provider(spec, available, preferred, provider, images=len(images or []))
    tolerance = merged.get("safety_tolerance")
    if tolerance is not None and tolerance > max_safety_tolerance:
        raise InvalidInput(i18n.text("plan-safety-cap", cap=max_safety_tolerance))
    if tolerance is None:
        tolerance = default_safety_tolerance  # 2, or an age-restricted channel's (bot/guild_policy.py)
    merged["safety_tolerance"] = min(tolerance, max_safety_tolerance)
    try:
        options = ImageOptions(prompt=prompt, images=images or [], mask=mask, **merged)
    except ValueError as exc:
        raise InvalidInput(i18n.text("plan-invalid-option", detail=str(exc))) from None
    request = build_request(spec, chosen, options)
    return JobPlan(
        spec=spec,
        provider=chosen,
        prompt=prompt,
        options=options,
        request=request,
        count=count,
        private=private,
    )


def expansion_asked(text: str, explicit: dict[str, Any]) -> tuple[float | None, dict[str, int]]:
    """What an `/expand` asks for: a `--zoom` factor, or pixels on some sides (never both, never neither).

    Checked before the image is read, so the mistake costs nothing.
    """
    _, from_flags = split_flags(text)
    merged = merge_options(explicit, from_flags)
    zoom = merged.get("zoom")
    sides = {side: int(merged[side]) for side in SIDES if merged.get(side)}
    if zoom is not None and sides:
        raise InvalidInput(i18n.text("tools-zoom-or-sides"))
    if zoom is None and not sides:
        raise InvalidInput(i18n.text("tools-how-far"))
    return zoom, sides
