"""A fake TTAPI on loopback that answers like the seed pages (shared/seeds/000, 001, 003).

- `POST /bfl/v1/<model>` and `POST /flux/generate` need `TT-API-KEY`; the answer carries
  `data.jobId`, or `data.job_id` on the endpoints whose newest page shows that (`flux-pro`).
- `GET|POST /flux/fetch?jobId=` walks `PENDING_QUEUE` → `ON_QUEUE` → `SUCCESS` over the job's
  duration; the finished JSON has `quota` and `seed` as strings and an `imageUrl` this server serves.
- Errors use the envelope `{"status": "FAILED", "message": ..., "data": null}` with 400/401/402/429.
- Result links expire after `link_ttl` seconds (403), as provider CDN links do.
- FLUX.2 (`/bfl/v1/flux-2-pro`, `-max`, `-flex`; PROVIDERS-NEXT.md §6) takes only its documented
  fields, strictly: `prompt`, `input_image`…`input_image_4`, `image_prompt`, `width`/`height`
  (256–1440, multiples of 32), `seed`, `output_format` (jpeg, png), `safety_tolerance` (0–6),
  `webhook_url`; anything else is a 400 "Parameter error". `retired` endpoints answer a submit with
  the HTTP status given there (404, 405, 410).
- With a `webhook_url`/`hookUrl`, the finished JSON is POSTed there too.

Tests script it: `fake.fail_next(...)`, `fake.error_next(...)`, `fake.duration = ...`, and for the
job manager's tests: `submit_delay` (answer submits late, after the job exists), `file_delay`,
`error_next(..., on="file")`, `file_redirect` (result links redirect there), `callback_attempts`
(a failed callback is retried, as a provider might), `callback_copies` (duplicates), and
`ready_at` (monotonic time each job became ready at, for latency figures).
"""

from __future__ import annotations

import asyncio
import io
import json
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web
from PIL import Image

from tests.fakes.loopback import serve_on_loopback

#: Endpoints documented on the newest page, whose submit answer says `job_id` instead of `jobId`.
JOB_ID_SNAKE = {"flux-pro"}

#: TTAPI's FLUX.2 pages: the endpoints and the fields they document.
FLUX2 = {"flux-2-pro", "flux-2-max", "flux-2-flex"}
FLUX2_FIELDS = {
    "prompt", "input_image", "input_image_2", "input_image_3", "input_image_4", "image_prompt",
    "width", "height", "seed", "output_format", "safety_tolerance", "webhook_url",
}  # fmt: skip


def flux2_problem(body: dict[str, Any]) -> str | None:
    """Why TTAPI would refuse this FLUX.2 body (a 400 "Parameter error: ..."), or None."""
    unknown = sorted(set(body) - FLUX2_FIELDS)
    if unknown:
        return f"unknown field {unknown[0]}"
    for side in ("width", "height"):
        value = body.get(side)
        if value is not None and (not isinstance(value, int) or not 256 <= value <= 1440 or value % 32):
            return f"{side} must be 256-1440, a multiple of 32"
    tolerance = body.get("safety_tolerance")
    if tolerance is not None and (not isinstance(tolerance, int) or not 0 <= tolerance <= 6):
        return "safety_tolerance must be 0-6"
    if body.get("output_format") not in (None, "jpeg", "png"):
        return "output_format must be jpeg or png"
    return None


@dataclass
class FakeJob:
    id: str
    endpoint: str
    body: dict[str, Any]
    created: float
    duration: float
    quota: str
    outcome: str = "success"  # success | failed
    message: str = ""
    callback: str | None = None
    callback_sent: bool = False


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    query: dict[str, str] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)
    status: int = 200  # set when a scripted error answered it


class FakeTTAPI:
    def __init__(
        self,
        *,
        api_key: str = "test-ttapi-key",
        duration: float = 0.3,
        quota: str = "5",
        link_ttl: float = 600.0,
    ) -> None:
        self.api_key = api_key
        self.duration = duration
        self.quota = quota
        self.link_ttl = link_ttl
        self.submit_delay = 0.0
        self.file_delay = 0.0
        self.file_redirect: str | None = None
        self.callback_attempts = 1
        self.callback_retry_interval = 0.3
        self.callback_copies = 1
        self.callbacks_sent = 0
        #: Per-job duration when set (job index → seconds), else `duration` (e.g. per-model timings).
        self.duration_for: Any = None
        #: Endpoints TTAPI has taken away: model → the HTTP status a submit gets.
        self.retired: dict[str, int] = {}
        self.jobs: dict[str, FakeJob] = {}
        self.requests: list[Recorded] = []
        self._errors: deque[tuple[str, int, str, dict[str, str]]] = deque()
        self._failures: deque[str] = deque()
        self.url = ""
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._callbacks: set[asyncio.Future[None]] = set()

    # -- scripting --------------------------------------------------------------------------------

    def error_next(
        self,
        status: int,
        message: str = "error",
        *,
        on: str = "submit",
        headers: dict[str, str] | None = None,
        times: int = 1,
    ) -> None:
        """The next `times` calls to `on` ('submit' or 'fetch') answer with this HTTP error envelope."""
        for _ in range(times):
            self._errors.append((on, status, message, headers or {}))

    def fail_next(self, message: str = "prompt violation") -> None:
        """The next submitted job ends `FAILED` with this message (no quota in the answer)."""
        self._failures.append(message)

    def submits(self) -> list[Recorded]:
        return [
            r
            for r in self.requests
            if r.method == "POST" and r.path != "/flux/fetch" and not r.path.startswith("/files")
        ]

    def fetches(self) -> list[Recorded]:
        return [r for r in self.requests if r.path == "/flux/fetch"]

    # -- lifetime ---------------------------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/bfl/v1/{model}", self._submit)
        app.router.add_post("/flux/generate", self._submit)
        app.router.add_route("*", "/flux/fetch", self._fetch)
        app.router.add_get("/files/{name}", self._file)
        self._runner, self.url = await serve_on_loopback(app)
        self._session = aiohttp.ClientSession()
        return self.url

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # -- handlers ---------------------------------------------------------------------------------

    def _envelope(self, status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
        return web.json_response(
            {"status": "FAILED", "message": message, "data": None}, status=status, headers=headers
        )

    def _scripted_error(self, on: str) -> web.Response | None:
        if self._errors and self._errors[0][0] == on:
            _, status, message, headers = self._errors.popleft()
            if self.requests:
                self.requests[-1].status = status
            return self._envelope(status, message, headers)
        return None

    async def _submit(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except json.JSONDecodeError:
            body = None
        self.requests.append(Recorded("POST", request.path, dict(request.headers), body))
        if request.headers.get("TT-API-KEY") != self.api_key:
            return self._envelope(401, "Unauthorized: invalid TT-API-KEY")
        scripted = self._scripted_error("submit")
        if scripted is not None:
            return scripted
        if not isinstance(body, dict) or not body.get("prompt"):
            return self._envelope(400, "Parameter error")
        endpoint = request.match_info.get("model", "generate")
        if endpoint in self.retired:
            return self._envelope(self.retired[endpoint], "Not Found")
        if request.path == "/flux/generate" and (not body.get("mode") or not body.get("size")):
            return self._envelope(400, "Parameter error")
        problem = flux2_problem(body) if endpoint in FLUX2 else None
        if problem is not None:
            return self._envelope(400, f"Parameter error: {problem}")
        job = FakeJob(
            id=str(uuid.uuid4()),
            endpoint=endpoint,
            body=body,
            created=time.monotonic(),
            duration=self.duration_for(endpoint, body) if self.duration_for else self.duration,
            quota=self.quota,
            callback=body.get("webhook_url") or body.get("hookUrl"),
        )
        if self._failures:
            job.outcome, job.message = "failed", self._failures.popleft()
        self.jobs[job.id] = job
        if job.callback and job.duration != float("inf"):
            asyncio.get_running_loop().call_later(job.duration, self._send_callback, job)
        if self.submit_delay:
            await asyncio.sleep(self.submit_delay)
        key = "job_id" if endpoint in JOB_ID_SNAKE else "jobId"
        return web.json_response({"status": "SUCCESS", "message": "success", "data": {key: job.id}})

    def _status(self, job: FakeJob) -> str:
        elapsed = time.monotonic() - job.created
        if elapsed < job.duration / 3:
            return "PENDING_QUEUE"
        if elapsed < job.duration:
            return "ON_QUEUE"
        return "SUCCESS" if job.outcome == "success" else "FAILED"

    def _fetch_json(self, job: FakeJob) -> dict[str, Any]:
        status = self._status(job)
        data: dict[str, Any] = {
            "mode": job.body.get("mode") or job.endpoint,
            "jobId": job.id,
            "prompt": job.body.get("prompt"),
            "quota": None,
            "size": job.body.get("size"),
            "seed": None,
            "imageUrl": None,
            "hookUrl": job.callback,
        }
        message = ""
        if status == "SUCCESS":
            data["quota"] = job.quota
            data["seed"] = str(job.body.get("seed") or 933630001)
            data["imageUrl"] = f"{self.url}/files/{job.id}.png?issued={time.monotonic():.3f}"
            message = "success"
        elif status == "FAILED":
            message = job.message
        return {"status": status, "message": message, "jobId": job.id, "data": data}

    async def _fetch(self, request: web.Request) -> web.Response:
        job_id = request.query.get("jobId")
        body: Any = None
        if request.method == "POST" and request.can_read_body:
            try:
                body = await request.json()
            except json.JSONDecodeError:
                body = None
            if isinstance(body, dict):
                job_id = job_id or body.get("jobId")
        self.requests.append(
            Recorded(request.method, request.path, dict(request.headers), body, dict(request.query))
        )
        if request.headers.get("TT-API-KEY") != self.api_key:
            return self._envelope(401, "Unauthorized: invalid TT-API-KEY")
        scripted = self._scripted_error("fetch")
        if scripted is not None:
            return scripted
        job = self.jobs.get(job_id or "")
        if job is None:
            return self._envelope(404, "job not found")
        return web.json_response(self._fetch_json(job))

    def ready_at(self, job_id: str) -> float:
        job = self.jobs[job_id]
        return job.created + job.duration

    async def _file(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(Recorded("GET", request.path, dict(request.headers), None, dict(request.query)))
        if self.file_delay:
            await asyncio.sleep(self.file_delay)
        scripted = self._scripted_error("file")
        if scripted is not None:
            return scripted
        if self.file_redirect is not None:
            raise web.HTTPFound(self.file_redirect + request.path_qs)
        issued = float(request.query.get("issued", "0"))
        if time.monotonic() - issued > self.link_ttl:
            return web.Response(
                status=403, text="<Error><Code>AccessDenied</Code>Request has expired</Error>"
            )
        job = self.jobs.get(request.match_info["name"].removesuffix(".png"))
        if job is None:
            return web.Response(status=404)
        return web.Response(body=png_bytes(job.body), content_type="image/png")

    def _send_callback(self, job: FakeJob) -> None:
        task = asyncio.ensure_future(self._post_callback(job))
        self._callbacks.add(task)
        task.add_done_callback(self._callbacks.discard)

    async def _post_callback(self, job: FakeJob) -> None:
        if job.callback_sent or job.callback is None or self._session is None:
            return
        job.callback_sent = True
        for _copy in range(self.callback_copies):
            for attempt in range(self.callback_attempts):
                try:
                    async with self._session.post(job.callback, json=self._fetch_json(job)) as response:
                        await response.read()
                        self.callbacks_sent += 1
                        break  # answered: a provider does not retry a delivered callback
                except aiohttp.ClientError:
                    pass  # nobody listening (the bot is down): retry later
                if attempt + 1 < self.callback_attempts:
                    await asyncio.sleep(self.callback_retry_interval)


def png_bytes(body: dict[str, Any]) -> bytes:
    width = int(body.get("width") or 64) // 8 or 8
    height = int(body.get("height") or 64) // 8 or 8
    image = Image.new("RGB", (width, height), (40, 90, 160))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()
