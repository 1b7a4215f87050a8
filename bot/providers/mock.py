"""A local provider that needs no key and no network: it renders a real image with Pillow.

It is stateless on purpose: the provider job id carries the submit time and everything the
render needs, so a mock job survives a restart of the bot exactly as a real one would. Fill and
Expand are the exception: their input image is kept in memory (a few, newest first) until the
result is fetched, so a Fill or Expand in flight across a restart ends "not found".

Fill repaints the masked area (white in `mask`, or the image's transparent pixels) with drawn
content; Expand pads the image with drawn content on each side, as the real endpoints would.
"""

from __future__ import annotations

import base64
import colorsys
import hashlib
import io
import json
import random
import secrets
import time
from collections import OrderedDict
from decimal import Decimal
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from bot.encoding import Base64, in_image_thread
from bot.images import reference_pixels
from bot.providers.base import (
    Callback,
    PollResult,
    Provider,
    ProviderModerated,
    ProviderRequest,
    ProviderStatus,
    ResultDownloadError,
    Submission,
)
from bot.providers.catalog import IMAGE_FIELDS, SIDES, MegapixelPrice, megapixels, output_megapixels

#: Fill and Expand inputs kept for results not fetched yet.
MAX_TOOL_INPUTS = 32

ASPECTS = {
    "21:9": (1568, 672),
    "16:9": (1392, 784),
    "3:2": (1248, 832),
    "4:3": (1184, 896),
    "1:1": (1024, 1024),
    "3:4": (896, 1184),
    "2:3": (832, 1248),
    "9:16": (784, 1392),
    "9:21": (672, 1568),
}


class MockProvider(Provider):
    name = "mock"

    def __init__(
        self,
        *,
        delay: float = 2.0,
        prices: dict[str, Decimal] | None = None,
        megapixel_prices: dict[str, MegapixelPrice] | None = None,
        max_side: int = 1024,
    ) -> None:
        self.delay = delay
        self.prices = prices or {}
        #: Models priced by the megapixel (FLUX.2): the mock charges what BFL would.
        self.megapixel_prices = megapixel_prices or {}
        self.max_side = max_side
        #: Fill and Expand inputs by ticket key, until fetched (bounded: the oldest go first).
        self._tool_inputs: OrderedDict[str, dict[str, Any]] = OrderedDict()

    def __repr__(self) -> str:
        return f"MockProvider(delay={self.delay})"

    async def submit(self, request: ProviderRequest, *, callback: Callback | None = None) -> Submission:
        body = request.body
        if "forbidden" in str(body.get("prompt", "")).lower():
            raise ProviderModerated("the mock provider's filter refused the prompt (it contains 'forbidden')")
        width, height = _size(body)
        seed = int(body["seed"]) if body.get("seed") is not None else random.randrange(2**32)
        ticket = {
            "t": round(time.time(), 3),
            "m": request.endpoint,
            "p": str(body.get("prompt", ""))[:200],
            "w": width,
            "h": height,
            "s": seed,
            "f": body.get("output_format") or "png",
        }
        if "image" in body:  # Fill or Expand: the render needs the image, kept until fetched
            key = secrets.token_hex(8)
            self._tool_inputs[key] = {k: _text(body[k]) for k in ("image", "mask", *SIDES) if k in body}
            while len(self._tool_inputs) > MAX_TOOL_INPUTS:
                self._tool_inputs.popitem(last=False)
            ticket["k"] = key
        token = base64.urlsafe_b64encode(json.dumps(ticket, separators=(",", ":")).encode()).decode()
        return Submission(provider_job_id="mock-" + token, cost=await self._cost(request))

    async def _cost(self, request: ProviderRequest) -> Decimal | None:
        per_mp = self.megapixel_prices.get(request.endpoint)
        if per_mp is None:
            return self.prices.get(request.endpoint)
        images = [_text(request.body[n]) for n in IMAGE_FIELDS if request.body.get(n)]
        inputs = [megapixels(await in_image_thread(reference_pixels, text)) for text in images]
        return per_mp.cost(output_megapixels(request.body, inputs), sum(inputs, start=megapixels(0)))

    async def poll(self, provider_job_id: str, polling_url: str | None = None) -> PollResult:
        ticket = _ticket(provider_job_id)
        if ticket is None:
            return PollResult(ProviderStatus.NOT_FOUND, raw_status="Task not found")
        elapsed = time.time() - float(ticket["t"])
        if elapsed < self.delay:
            return PollResult(ProviderStatus.RUNNING, raw_status="Pending", progress=elapsed / self.delay)
        return PollResult(
            ProviderStatus.READY,
            raw_status="Ready",
            image_url="mock://" + provider_job_id,
            seed=int(ticket["s"]),
            # Per-megapixel models were priced at submit, as BFL does (the job keeps that cost).
            cost=None if str(ticket["m"]) in self.megapixel_prices else self.prices.get(str(ticket["m"])),
        )

    async def download(self, url: str) -> bytes:
        ticket = _ticket(url.removeprefix("mock://"))
        if ticket is None:
            raise ResultDownloadError("the mock result link is not valid")
        if "k" in ticket:
            inputs = self._tool_inputs.get(str(ticket["k"]))
            if inputs is None:
                raise ResultDownloadError("the mock no longer has this job's input image")
            return await in_image_thread(render_tool, ticket, inputs)
        return await in_image_thread(render, ticket, self.max_side)

    def result_hosts(self) -> tuple[str, ...]:
        return ()

    def typical_seconds(self, model: str) -> float | None:
        return self.delay


def _size(body: dict[str, Any]) -> tuple[int, int]:
    if body.get("width") and body.get("height"):
        return int(body["width"]), int(body["height"])
    if body.get("size"):
        w, _, h = str(body["size"]).partition("x")
        return int(w), int(h)
    if body.get("aspect_ratio"):
        return ASPECTS.get(str(body["aspect_ratio"]), (1024, 1024))
    return 1024, 768  # the documented default width and height


def _text(value: Any) -> Any:
    """An image field as base64 text: a job's stored inputs arrive as `Base64` (bot/encoding.py)."""
    return value.text() if isinstance(value, Base64) else value


def render_tool(ticket: dict[str, Any], inputs: dict[str, Any]) -> bytes:
    """Fill: the masked area repainted with drawn content. Expand: the image on a larger drawn canvas."""
    source = Image.open(io.BytesIO(base64.b64decode(str(inputs["image"]))))
    source.load()
    if any(side in inputs for side in SIDES):
        top, bottom, left, right = (int(inputs.get(side) or 0) for side in SIDES)
        size = (source.width + left + right, source.height + top + bottom)
        canvas = _drawn(ticket, size)
        canvas.paste(source.convert("RGB"), (left, top))
        return _encoded(canvas, ticket)
    if inputs.get("mask"):
        mask = Image.open(io.BytesIO(base64.b64decode(str(inputs["mask"])))).convert("L")
    else:  # the transparent pixels are the ones to repaint
        mask = source.convert("RGBA").getchannel("A").point(lambda alpha: 255 if alpha < 128 else 0)
    result = source.convert("RGB")
    result.paste(_drawn(ticket, source.size), (0, 0), mask.point(lambda level: 255 if level >= 128 else 0))
    return _encoded(result, ticket)


def _ticket(provider_job_id: str) -> dict[str, Any] | None:
    if not provider_job_id.startswith("mock-"):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(provider_job_id[5:].encode()))
    except (ValueError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


def render(ticket: dict[str, Any], max_side: int = 1024) -> bytes:
    """A deterministic picture for a prompt and seed: a gradient, a few shapes, the prompt written on it."""
    width, height = int(ticket["w"]), int(ticket["h"])
    scale = min(1.0, max_side / max(width, height))
    width, height = max(64, int(width * scale)), max(64, int(height * scale))
    return _encoded(_drawn(ticket, (width, height)), ticket)


def _drawn(ticket: dict[str, Any], size: tuple[int, int]) -> Image.Image:
    width, height = size
    digest = hashlib.sha256(f"{ticket['p']}|{ticket['s']}".encode()).digest()
    rng = random.Random(digest)
    hue = digest[0] / 255
    top = tuple(int(c * 255) for c in colorsys.hsv_to_rgb(hue, 0.55, 0.95))
    bottom = tuple(int(c * 255) for c in colorsys.hsv_to_rgb((hue + 0.35) % 1, 0.75, 0.35))
    gradient = Image.linear_gradient("L").resize((width, height))
    image = Image.composite(
        Image.new("RGB", (width, height), bottom), Image.new("RGB", (width, height), top), gradient
    )
    draw = ImageDraw.Draw(image, "RGBA")
    for _ in range(12):
        x, y = rng.randrange(width), rng.randrange(height)
        r = rng.randrange(max(1, min(width, height) // 20), max(2, min(width, height) // 4))
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256), 90)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
    font = ImageFont.load_default(size=max(14, width // 28))
    text = str(ticket["p"])[:80]
    draw.rectangle((0, height - height // 8, width, height), fill=(0, 0, 0, 120))
    draw.text((width // 40, height - height // 10), text, fill=(255, 255, 255, 255), font=font)
    return image


def _encoded(image: Image.Image, ticket: dict[str, Any]) -> bytes:
    out = io.BytesIO()
    if ticket.get("f") == "jpeg":
        image.save(out, "JPEG", quality=90)
    else:
        image.save(out, "PNG", optimize=False, compress_level=3)
    return out.getvalue()
