"""A fake Black Forest Labs API on loopback, as seeds 002/004 and PROVIDERS.md describe it.

- Every call needs the `x-key` header (403 `{"detail": "Not authenticated"}` otherwise).
- `POST /v1/<model>` (and `/v1/flux-pro-finetuned`) answers
  `{"id", "polling_url", "cost", "input_mp", "output_mp"}`; `polling_url` points at this server's
  `GET /v1/get_result?id=...` (behind `polling_prefix`, as the regional clusters do).
- `GET /v1/get_result?id=` answers `{id, status, result, progress, details, preview}`: `Pending`
  for the job's `duration` (after `queued` seconds of `Pending` with a null progress, 0 unless
  set), then `Ready` with `result.sample` (a signed link served here under
  `/delivery/...`, expiring after `link_ttl` seconds), `result.seed`, `result.prompt`.
  Scripted outcomes: `Request Moderated`, `Content Moderated`, `Error`, `Task not found`.
  An id the server never issued is `Task not found` too.
- Errors: `{"detail": "..."}` or, for 422, `{"detail": [{"loc", "msg", "type"}, ...]}`; 402, 403,
  429 with `Retry-After`, 500, 503. The fake validates the documented ranges itself (422), so a
  client that sends something out of range is caught even if its own checks are wrong.
- FLUX.2 (`/v1/flux-2-pro`, `-max`, `-flex`, `-klein-4b`, `-klein-9b`; PROVIDERS-NEXT.md §1) is
  validated strictly: only its documented fields (an unknown one is a 422, as `extra="forbid"`),
  width/height from 64 in multiples of 16 within 4 MP, safety tolerance 0–5, up to 8 references
  (4 on klein), `disable_pup` on pro/max, `prompt_upsampling`, steps 1–50 and guidance 1.5–10 on
  flex. Its `cost` is BFL's per-megapixel price of the output and the references (their size read
  from the images), with `input_mp` and `output_mp` beside it. With `webhook_answer` and a
  `webhook_url`, the submit answer is an `AsyncWebhookResponse`: no `polling_url`.
- `retired`: endpoints (`flux-pro`, ...) that answer a submit with the HTTP status given there.
- Fill (`/v1/flux-pro-1.0-fill`) and Expand (`/v1/flux-pro-1.0-expand`) are validated strictly
  (`validate_tool`): only their documented fields, a real base64 image, a mask of the image's size
  (or an image with transparent pixels), sides 0–2048 with at least one above 0. Their result has
  the size the real endpoint would give: the image's (Fill), the image's plus the sides (Expand).
- `GET /v1/credits` → `{"credits": n}`.
- With `webhook_url`, the finished result is POSTed there with `X-Webhook-Secret: <webhook_secret>`
  (the SDK's scheme) and/or `X-BFL-Signature: sha256=<hmac of the body>` (`signature_mode`;
  "hmac-hex" sends the bare hex digest, another way BFL's sources write it).

Tests script it like the fake TTAPI: `fake.error_next(...)`, `fake.outcome_next(...)`,
`fake.duration = ...`, `fake.cost = ...`; every request is in `fake.requests`.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import io
import json
import math
import ssl
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Literal

import aiohttp
from aiohttp import web
from PIL import Image

from tests.fakes.loopback import serve_on_loopback

#: The statuses BFL documents, spelled exactly.
PENDING, READY = "Pending", "Ready"
REQUEST_MODERATED, CONTENT_MODERATED = "Request Moderated", "Content Moderated"
ERROR, TASK_NOT_FOUND = "Error", "Task not found"
OUTCOMES = (READY, REQUEST_MODERATED, CONTENT_MODERATED, ERROR, TASK_NOT_FOUND)

SignatureMode = Literal["secret", "hmac", "hmac-hex", "both", "none"]


@dataclass
class FakeBFLJob:
    id: str
    model: str
    body: dict[str, Any]
    created: float
    duration: float
    outcome: str = READY
    #: Seconds it waits in BFL's queue first: `Pending` without a progress figure.
    queued: float = 0.0
    details: Any = None
    callback: str | None = None
    secret: str | None = None
    callback_sent: bool = False
    sample_issued: float | None = None


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    query: dict[str, str] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)


@dataclass
class _ScriptedError:
    on: str
    status: int
    detail: Any
    headers: dict[str, str]


#: Documented ranges the real API enforces with a 422 (seed 002/004, PROVIDERS.md).
_RANGES: dict[str, tuple[float, float]] = {
    "width": (256, 1440),
    "height": (256, 1440),
    "steps": (1, 50),
    "guidance": (1.5, 5),
    "interval": (1, 4),
    "safety_tolerance": (0, 6),
    "image_prompt_strength": (0, 1),
    "finetune_strength": (0, 2),
}
_INTEGERS = {"width", "height", "steps", "safety_tolerance", "seed"}

#: FLUX.2 on BFL (PROVIDERS-NEXT.md §1): fields each endpoint documents, and its price per MP.
_FLUX2_COMMON = {"prompt", "seed", "width", "height", "safety_tolerance", "output_format"}
_WEBHOOK = {"webhook_url", "webhook_secret"}
_SLOTS = ["input_image", *(f"input_image_{n}" for n in range(2, 9))]
FLUX2: dict[str, tuple[set[str], int, tuple[float, float]]] = {
    "flux-2-pro": (_FLUX2_COMMON | {"disable_pup"}, 8, (3, 1.5)),
    "flux-2-max": (_FLUX2_COMMON | {"disable_pup"}, 8, (7, 3)),
    "flux-2-flex": (_FLUX2_COMMON | {"prompt_upsampling", "steps", "guidance"}, 8, (5, 5)),
    "flux-2-klein-4b": (_FLUX2_COMMON, 4, (1.4, 0.1)),
    "flux-2-klein-9b": (_FLUX2_COMMON, 4, (1.5, 0.2)),
}
_FLUX2_RANGES: dict[str, tuple[float, float]] = {
    "width": (64, 4096),
    "height": (64, 4096),
    "safety_tolerance": (0, 5),
    "steps": (1, 50),
    "guidance": (1.5, 10),
}


class FakeBFL:
    def __init__(
        self,
        *,
        api_key: str = "test-bfl-key",
        duration: float = 0.3,
        cost: float | int | str | None = 4,
        credits: float | int = 1234.5,
        link_ttl: float = 600.0,
        signature_mode: SignatureMode = "secret",
        polling_prefix: str = "",
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.api_key = api_key
        #: Serve HTTPS with this context (the real API is HTTPS-only); plain HTTP without.
        self.ssl_context = ssl_context
        self.duration = duration
        #: Seconds each new job waits in BFL's queue before it runs for `duration` (`Pending`, its
        #: progress null, as the answer's nullable field reads for a job that has not started).
        self.queued = 0.0
        #: The `cost` put in submit answers; None leaves it out (older API versions).
        self.cost = cost
        self.credits = credits
        self.link_ttl = link_ttl
        self.signature_mode: SignatureMode = signature_mode
        #: Prefix of the polling_url path ("/us1" makes it `/us1/v1/get_result`), as clusters do.
        self.polling_prefix = polling_prefix
        #: When set, only these finetune ids exist (others: 404).
        self.finetunes: set[str] | None = None
        #: Endpoints BFL has taken away: model → the HTTP status a submit gets (404, 405, 410).
        self.retired: dict[str, int] = {}
        #: Answer a submit carrying `webhook_url` as FLUX.2's `AsyncWebhookResponse` (no polling_url).
        self.webhook_answer = False
        self.jobs: dict[str, FakeBFLJob] = {}
        self.requests: list[Recorded] = []
        self.callbacks_sent: list[tuple[str, dict[str, str], bytes]] = []
        #: Callbacks that never arrive (a lost webhook): recorded as sent, not posted.
        self.lose_callbacks = False
        self._errors: deque[_ScriptedError] = deque()
        self._outcomes: deque[tuple[str, Any]] = deque()
        self.url = ""
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Future[None]] = set()

    # -- scripting --------------------------------------------------------------------------------

    def error_next(
        self,
        status: int,
        detail: Any = "error",
        *,
        on: str = "submit",
        headers: dict[str, str] | None = None,
        times: int = 1,
    ) -> None:
        """The next `times` calls to `on` ('submit', 'poll' or 'credits') answer HTTP `status`
        with `{"detail": detail}`; `detail` may be a string or a list of `{loc, msg, type}`."""
        for _ in range(times):
            self._errors.append(_ScriptedError(on, status, detail, headers or {}))

    def outcome_next(self, status: str, details: Any = None) -> None:
        """The next submitted job ends with this status (one of `OUTCOMES`) and `details`."""
        if status not in OUTCOMES:
            raise ValueError(f"unknown outcome {status!r}; one of {OUTCOMES}")
        self._outcomes.append((status, details))

    def submits(self) -> list[Recorded]:
        return [r for r in self.requests if r.method == "POST" and r.path.startswith("/v1/")]

    def polls(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.endswith("/v1/get_result")]

    def downloads(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.startswith("/delivery/")]

    # -- lifetime ---------------------------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application(client_max_size=64 * 1024**2)
        app.router.add_get("/v1/credits", self._credits)
        app.router.add_get("/v1/get_result", self._get_result)
        app.router.add_get("/{prefix}/v1/get_result", self._get_result)
        app.router.add_post("/v1/{model}", self._submit)
        app.router.add_get("/delivery/{job}/{name}", self._delivery)
        self._runner, self.url = await serve_on_loopback(app, ssl_context=self.ssl_context)
        self._session = aiohttp.ClientSession()
        return self.url

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # -- helpers ----------------------------------------------------------------------------------

    def _record(self, request: web.Request, body: Any) -> None:
        self.requests.append(
            Recorded(request.method, request.path, dict(request.headers), body, dict(request.query))
        )

    def _authorized(self, request: web.Request) -> web.Response | None:
        if request.headers.get("x-key") != self.api_key:
            return web.json_response({"detail": "Not authenticated"}, status=403)
        return None

    def _scripted_error(self, on: str) -> web.Response | None:
        if self._errors and self._errors[0].on == on:
            error = self._errors.popleft()
            return web.json_response({"detail": error.detail}, status=error.status, headers=error.headers)
        return None

    def polling_url(self, job_id: str) -> str:
        return f"{self.url}{self.polling_prefix}/v1/get_result?id={job_id}"

    # -- handlers ---------------------------------------------------------------------------------

    async def _credits(self, request: web.Request) -> web.Response:
        self._record(request, None)
        refused = self._authorized(request) or self._scripted_error("credits")
        if refused is not None:
            return refused
        return web.json_response({"credits": self.credits})

    async def _submit(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except json.JSONDecodeError:
            body = None
        self._record(request, body)
        refused = self._authorized(request) or self._scripted_error("submit")
        if refused is not None:
            return refused
        if not isinstance(body, dict):
            return web.json_response(
                {"detail": [{"loc": ["body"], "msg": "Field required", "type": "missing"}]}, status=422
            )
        model = request.match_info["model"]
        if model in self.retired:
            return web.json_response({"detail": "Not Found"}, status=self.retired[model])
        problems = validate_flux2(model, body) if model in FLUX2 else validate_body(model, body)
        if problems:
            return web.json_response({"detail": problems}, status=422)
        if (
            model == "flux-pro-finetuned"
            and self.finetunes is not None
            and body["finetune_id"] not in self.finetunes
        ):
            return web.json_response({"detail": "Finetune not found"}, status=404)
        job = FakeBFLJob(
            id=str(uuid.uuid4()),
            model=model,
            body=body,
            created=time.monotonic(),
            duration=self.duration,
            queued=self.queued,
            callback=body.get("webhook_url"),
            secret=body.get("webhook_secret"),
        )
        if self._outcomes:
            job.outcome, job.details = self._outcomes.popleft()
        self.jobs[job.id] = job
        if job.callback:
            delay = 0.0 if job.outcome == REQUEST_MODERATED else job.queued + job.duration
            asyncio.get_running_loop().call_later(delay, self._send_callback, job)
        answer: dict[str, Any] = {"id": job.id, "polling_url": self.polling_url(job.id)}
        if self.webhook_answer and job.callback:
            answer = {"id": job.id, "status": PENDING, "webhook_url": job.callback}
        if model in FLUX2 and self.cost is not None:
            answer.update(flux2_price(model, body))
        elif self.cost is not None:
            width, height = int(body.get("width") or 1024), int(body.get("height") or 768)
            answer.update(
                cost=self.cost,
                input_mp=round(len(_images(body)) * 1.0, 2),
                output_mp=round(width * height / 1_000_000, 2),
            )
        return web.json_response(answer)

    def _status(self, job: FakeBFLJob) -> str:
        if job.outcome == REQUEST_MODERATED:
            return REQUEST_MODERATED  # the input is checked before anything is generated
        if time.monotonic() - job.created < job.queued + job.duration:
            return PENDING
        return job.outcome

    def result_json(self, job: FakeBFLJob) -> dict[str, Any]:
        status = self._status(job)
        elapsed = time.monotonic() - job.created - job.queued  # running for (< 0: still queued)
        answer: dict[str, Any] = {
            "id": job.id,
            "status": status,
            "result": None,
            "progress": None,
            "details": None,
            "preview": None,
        }
        if status == PENDING and elapsed >= 0:
            answer["progress"] = round(min(0.99, elapsed / job.duration), 2) if job.duration else 0.0
        elif status == READY:
            if job.sample_issued is None:
                job.sample_issued = time.monotonic()
            ext = "png" if job.body.get("output_format") == "png" else "jpeg"
            token = hashlib.sha256(f"{job.id}{job.sample_issued}".encode()).hexdigest()[:16]
            answer["result"] = {
                "sample": f"{self.url}/delivery/{job.id}/sample.{ext}?se={job.sample_issued:.3f}&sig={token}",
                "prompt": job.body.get("prompt", ""),
                "seed": job.body.get("seed", 1234567890),
                "start_time": job.created + job.queued,
                "end_time": job.created + job.queued + job.duration,
                "duration": job.duration,
            }
            answer["progress"] = 1.0
        elif status in (REQUEST_MODERATED, CONTENT_MODERATED):
            answer["details"] = job.details or {"Moderation Reasons": ["Derivative Works Filter"]}
        elif status == ERROR:
            answer["details"] = job.details or "Internal error during generation"
        return answer

    async def _get_result(self, request: web.Request) -> web.Response:
        self._record(request, None)
        refused = self._authorized(request) or self._scripted_error("poll")
        if refused is not None:
            return refused
        job_id = request.query.get("id", "")
        job = self.jobs.get(job_id)
        if job is None or self._status(job) == TASK_NOT_FOUND:
            return web.json_response(
                {
                    "id": job_id,
                    "status": TASK_NOT_FOUND,
                    "result": None,
                    "progress": None,
                    "details": None,
                    "preview": None,
                }
            )
        return web.json_response(self.result_json(job))

    async def _delivery(self, request: web.Request) -> web.Response:
        self._record(request, None)
        job = self.jobs.get(request.match_info["job"])
        try:
            issued = float(request.query.get("se", ""))
        except ValueError:
            issued = -1.0
        if job is None or job.sample_issued is None or abs(issued - job.sample_issued) > 0.001:
            return web.Response(status=403, text="<Error><Code>AuthenticationFailed</Code></Error>")
        if time.monotonic() - job.sample_issued > self.link_ttl:
            return web.Response(
                status=403,
                text="<Error><Code>AuthenticationFailed</Code>Signed expiry time has passed</Error>",
            )
        fmt = "PNG" if request.match_info["name"].endswith(".png") else "JPEG"
        data = image_bytes(job.body, fmt, result_size(job.model, job.body))
        return web.Response(body=data, content_type=f"image/{fmt.lower()}")

    # -- webhooks ---------------------------------------------------------------------------------

    def _send_callback(self, job: FakeBFLJob) -> None:
        task = asyncio.ensure_future(self._post_callback(job))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def callback_headers(self, secret: str | None, body: bytes) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        if secret is None:
            return headers
        if self.signature_mode in ("secret", "both"):
            headers["X-Webhook-Secret"] = secret
        digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        if self.signature_mode in ("hmac", "both"):
            headers["X-BFL-Signature"] = f"sha256={digest}"
        if self.signature_mode == "hmac-hex":
            headers["X-BFL-Signature"] = digest
        return headers

    async def _post_callback(self, job: FakeBFLJob) -> None:
        if job.callback_sent or job.callback is None or self._session is None:
            return
        job.callback_sent = True
        payload = self.result_json(job)
        payload["timestamp"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        body = json.dumps(payload).encode()
        headers = self.callback_headers(job.secret, body)
        self.callbacks_sent.append((job.callback, headers, body))
        if self.lose_callbacks:
            return
        try:
            async with self._session.post(job.callback, data=body, headers=headers) as response:
                await response.read()
        except aiohttp.ClientError:
            pass


def _images(body: dict[str, Any]) -> list[str]:
    keys = ("image_prompt", *_SLOTS)
    return [body[k] for k in keys if body.get(k)]


#: Fill and Expand (PROVIDERS-NEXT.md §2, §3): their own fields, ranges and strict checks.
TOOLS = ("flux-pro-1.0-fill", "flux-pro-1.0-expand")
_TOOL_FIELDS = {
    "image",
    "prompt",
    "steps",
    "guidance",
    "prompt_upsampling",
    "seed",
    "output_format",
    "safety_tolerance",
    "webhook_url",
    "webhook_secret",
}
_TOOL_RANGES: dict[str, tuple[float, float]] = {
    "steps": (15, 50),
    "guidance": (1.5, 100),
    "safety_tolerance": (0, 6),
}
_SIDES = ("top", "bottom", "left", "right")


def _decoded(value: Any) -> Image.Image | None:
    """A base64 image field as Pillow reads it, or None when it is not one."""
    if not isinstance(value, str):
        return None
    try:
        image = Image.open(io.BytesIO(base64.b64decode(value, validate=True)))
        image.load()
    except (ValueError, OSError):
        return None
    return image


def validate_tool(model: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    """Fill's and Expand's 422s: unknown fields, ranges, a real base64 image, the mask's size, the sides."""
    problems: list[dict[str, Any]] = []

    def add(name: str, msg: str, kind: str) -> None:
        problems.append({"loc": ["body", name], "msg": msg, "type": kind})

    fields = _TOOL_FIELDS | ({"mask"} if model.endswith("fill") else set(_SIDES))
    for name in body:
        if name not in fields:
            add(name, "Extra inputs are not permitted", "extra_forbidden")
    image = _decoded(body.get("image"))
    if "image" not in body:
        add("image", "Field required", "missing")
    elif image is None:
        add("image", "Input should be a base64-encoded image", "value_error")
    for name, (low, high) in _TOOL_RANGES.items():
        value = body.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            add(name, "Input should be a valid number", "float_type")
        elif name != "guidance" and not isinstance(value, int):
            add(name, "Input should be a valid integer", "int_type")
        elif not low <= value <= high:
            add(name, f"Input should be between {low} and {high}", "value_error")
    if body.get("output_format") not in (None, "jpeg", "png", "webp"):
        add("output_format", "Input should be 'jpeg', 'png' or 'webp'", "enum")
    if body.get("prompt_upsampling") not in (None, True, False):
        add("prompt_upsampling", "Input should be a valid boolean", "bool_type")
    if model.endswith("fill") and image is not None:
        mask = _decoded(body.get("mask")) if body.get("mask") is not None else None
        if body.get("mask") is not None and mask is None:
            add("mask", "Input should be a base64-encoded image", "value_error")
        elif mask is not None and mask.size != image.size:
            add("mask", "Mask must have the same size as the image", "value_error")
        elif mask is None and (
            image.mode not in ("RGBA", "LA") or image.getchannel("A").getextrema()[0] == 255
        ):
            add("mask", "A mask is required when the image has no transparent area", "value_error")
    if model.endswith("expand"):
        for side in _SIDES:
            value = body.get(side, 0)
            if isinstance(value, bool) or not isinstance(value, int):
                add(side, "Input should be a valid integer", "int_type")
            elif not 0 <= value <= 2048:
                add(side, "Input should be between 0 and 2048", "value_error")
        if not any(body.get(side) for side in _SIDES):
            add("top", "At least one of top, bottom, left, right must be greater than 0", "value_error")
    return problems


def result_size(model: str, body: dict[str, Any]) -> tuple[int, int] | None:
    """What Fill (the image's size) and Expand (plus the sides) give back; None for other models."""
    if model not in TOOLS:
        return None
    image = _decoded(body.get("image"))
    if image is None:
        return None
    if model.endswith("fill"):
        return image.size
    return (
        image.width + int(body.get("left", 0)) + int(body.get("right", 0)),
        image.height + int(body.get("top", 0)) + int(body.get("bottom", 0)),
    )


def validate_body(model: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    """The 422 details the real API would give for this body (documented ranges and types only)."""
    if model in TOOLS:
        return validate_tool(model, body)
    problems: list[dict[str, Any]] = []

    def add(name: str, msg: str, kind: str) -> None:
        problems.append({"loc": ["body", name], "msg": msg, "type": kind})

    for name, value in body.items():
        if value is None:
            continue
        if name in _INTEGERS and (isinstance(value, bool) or not isinstance(value, int)):
            add(name, "Input should be a valid integer", "int_type")
            continue
        if name in _RANGES:
            if isinstance(value, bool) or not isinstance(value, int | float):
                add(name, "Input should be a valid number", "float_type")
                continue
            low, high = _RANGES[name]
            if value < low:
                add(name, f"Input should be greater than or equal to {low}", "greater_than_equal")
            elif value > high:
                add(name, f"Input should be less than or equal to {high}", "less_than_equal")
            elif name in ("width", "height") and value % 32:
                add(name, "Value error, must be a multiple of 32", "value_error")
    if body.get("output_format") not in (None, "jpeg", "png"):
        add("output_format", "Input should be 'jpeg' or 'png'", "enum")
    for flag in ("prompt_upsampling", "raw"):
        if flag in body and body[flag] is not None and not isinstance(body[flag], bool):
            add(flag, "Input should be a valid boolean", "bool_type")
    ratio = body.get("aspect_ratio")
    if ratio is not None:
        try:
            w, h = (int(x) for x in str(ratio).split(":"))
            if not (9 / 21 <= w / h <= 21 / 9):
                raise ValueError
        except (ValueError, ZeroDivisionError):
            add("aspect_ratio", "Aspect ratio must be between 21:9 and 9:21", "value_error")
    if model == "flux-pro-finetuned" and not body.get("finetune_id"):
        add("finetune_id", "Field required", "missing")
    if model.startswith("flux-kontext") and not body.get("prompt"):
        add("prompt", "Field required", "missing")
    return problems


def _pixels(text: str) -> int:
    with Image.open(io.BytesIO(base64.b64decode(text))) as image:
        return image.width * image.height


def flux2_price(model: str, body: dict[str, Any]) -> dict[str, Any]:
    """`cost`, `input_mp`, `output_mp` as BFL answers them: the first output MP, then each further
    MP of output or input at the per-MP price; megapixels to two decimals (rounded up)."""
    first, extra = FLUX2[model][2]
    inputs = [_pixels(body[k]) for k in _SLOTS if body.get(k)]
    if body.get("width") and body.get("height"):
        output = int(body["width"]) * int(body["height"])
    else:
        output = min(inputs[0], 2048 * 2048) if inputs else 1024 * 1024

    def mp(pixels: int) -> float:
        return math.ceil(pixels / 10_000) / 100

    input_mp = round(sum(mp(p) for p in inputs), 2)
    output_mp = mp(output)
    cost = first + max(0.0, output_mp - 1) * extra + input_mp * extra
    return {"cost": round(cost, 4), "input_mp": input_mp, "output_mp": output_mp}


def validate_flux2(model: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    """FLUX.2's 422 details: unknown fields, ranges, multiples of 16, 4 MP, references per model."""
    fields, slots, _ = FLUX2[model]
    allowed = fields | _WEBHOOK | set(_SLOTS[:slots])
    problems: list[dict[str, Any]] = []

    def add(name: str, msg: str, kind: str) -> None:
        problems.append({"loc": ["body", name], "msg": msg, "type": kind})

    if not body.get("prompt"):
        add("prompt", "Field required", "missing")
    for name, value in body.items():
        if name not in allowed:
            add(name, "Extra inputs are not permitted", "extra_forbidden")
            continue
        if value is None:
            continue
        if name in _INTEGERS and (isinstance(value, bool) or not isinstance(value, int)):
            add(name, "Input should be a valid integer", "int_type")
            continue
        if name in _FLUX2_RANGES:
            low, high = _FLUX2_RANGES[name]
            if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
                add(name, f"Input should be between {low} and {high}", "value_error")
            elif name in ("width", "height") and value % 16:
                add(name, "Value error, must be a multiple of 16", "value_error")
        if name in ("disable_pup", "prompt_upsampling") and not isinstance(value, bool):
            add(name, "Input should be a valid boolean", "bool_type")
    if body.get("output_format") not in (None, "jpeg", "png", "webp"):
        add("output_format", "Input should be 'jpeg', 'png' or 'webp'", "enum")
    width, height = body.get("width"), body.get("height")
    if isinstance(width, int) and isinstance(height, int) and width * height > 2048 * 2048:
        add("width", "width × height must be at most 4 megapixels", "value_error")
    return problems


def image_bytes(body: dict[str, Any], fmt: str = "JPEG", size: tuple[int, int] | None = None) -> bytes:
    """A plain picture: an eighth of the asked size, or `size` exactly (what Fill and Expand return)."""
    width, height = size or (int(body.get("width") or 64) // 8 or 8, int(body.get("height") or 64) // 8 or 8)
    image = Image.new("RGB", (width, height), (160, 90, 40))
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()
