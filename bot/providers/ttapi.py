"""TTAPI's Flux API: `/bfl/v1/*` (office format), `/flux/generate` (legacy) and `/flux/fetch`.

Quirks absorbed here (see shared/seeds and PROVIDERS.md): the submit answer names the id `jobId`
or `job_id` (or puts `jobId` at the top level); the finished job's `quota` is a string (FLUX.2 included: its
per-mode prices are unpublished, PROVIDERS-NEXT.md §6); a submit answered 404, 405 or 410 is a
model TTAPI no longer offers (not retried, no charge); `data.mode`
may be spelled differently from the requested mode, so it is never compared; errors come in the
envelope `{"status": "FAILED", "message": ..., "data": null}` with an HTTP status.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import SecretStr

from bot.credits import parse_credits
from bot.providers.base import (
    RETIRED_STATUSES,
    Callback,
    HttpProvider,
    PollResult,
    ProviderAuthError,
    ProviderBusy,
    ProviderCreditError,
    ProviderError,
    ProviderInputError,
    ProviderModerated,
    ProviderNotFound,
    ProviderRequest,
    ProviderServerError,
    ProviderStatus,
    Submission,
    parse_int,
    parse_retry_after,
    retired,
    server_error,
)

STATUSES = {
    "PENDING_QUEUE": ProviderStatus.PENDING,
    "ON_QUEUE": ProviderStatus.RUNNING,
    "SUCCESS": ProviderStatus.READY,
    "FAILED": ProviderStatus.FAILED,
}

#: Words in a FAILED message that mean the safety filter refused the job.
MODERATION_WORDS = ("violation", "moderat", "nsfw", "sensitive", "banned", "prohibited", "inappropriate")

#: Legacy `/flux/generate` calls its callback `hookUrl`; `/bfl/v1/*` calls it `webhook_url`.
LEGACY_ENDPOINT = "/flux/generate"


@dataclass(slots=True, repr=False)
class TTAPIProvider(HttpProvider):
    api_key: SecretStr = field(default_factory=lambda: SecretStr(""))
    name: str = "ttapi"
    extra_result_hosts: tuple[str, ...] = ("ttapi.io", "bfl.ai")

    def __repr__(self) -> str:
        return f"TTAPIProvider(base_url={self.base_url!r})"

    def _headers(self) -> dict[str, str]:
        return {"TT-API-KEY": self.api_key.get_secret_value()}

    async def submit(self, request: ProviderRequest, *, callback: Callback | None = None) -> Submission:
        body = dict(request.body)
        if callback is not None:
            body["hookUrl" if request.endpoint == LEGACY_ENDPOINT else "webhook_url"] = callback.url
        status, headers, payload = await self._request(
            "POST", self.base_url + request.endpoint, json_body=body
        )
        if status in RETIRED_STATUSES:
            said = str(payload.get("message") or "") if isinstance(payload, dict) else ""
            raise retired("TTAPI", status, f"HTTP {status} to {request.endpoint}: {said[:200]}")
        data = self._check(status, headers, payload)
        job_id = _job_id(payload, data)
        if not job_id:
            raise ProviderServerError(
                "TTAPI accepted the job but did not say its id", status=status, detail="no jobId in answer"
            )
        return Submission(provider_job_id=job_id)

    async def poll(self, provider_job_id: str, polling_url: str | None = None) -> PollResult:
        status, headers, payload = await self._request(
            "GET", f"{self.base_url}/flux/fetch", params={"jobId": provider_job_id}
        )
        if status == 404:
            return PollResult(
                ProviderStatus.NOT_FOUND, raw_status="404", message="TTAPI does not know this job"
            )
        if isinstance(payload, dict) and payload.get("status") == "FAILED" and status < 400:
            return self.parse_fetch(payload)
        self._check(status, headers, payload)
        return self.parse_fetch(payload)

    async def check(self) -> str:
        """TTAPI publishes no balance endpoint: fetch a job id that cannot exist. A refused key is
        401/403; an accepted one gets "job not found". Nothing is submitted, nothing is spent."""
        status, headers, payload = await self._request(
            "GET", f"{self.base_url}/flux/fetch", params={"jobId": "fluxbot-doctor-key-check"}
        )
        if status in (404, 400) or (isinstance(payload, dict) and status < 400):
            return "key accepted (GET /flux/fetch of an unknown job); TTAPI has no balance endpoint"
        self._check(status, headers, payload)
        return f"key accepted (GET /flux/fetch answered HTTP {status})"

    def parse_callback(self, body: dict[str, Any]) -> tuple[str | None, PollResult]:
        return _job_id(body, _data(body)), self.parse_fetch(body)

    def parse_fetch(self, payload: Any) -> PollResult:
        """The fetch JSON (the same body a callback carries) as a `PollResult`."""
        if not isinstance(payload, dict):
            return PollResult(ProviderStatus.UNKNOWN, raw_status="?", message="unreadable answer")
        raw = str(payload.get("status") or "")
        data = _data(payload)
        status = STATUSES.get(raw.upper(), ProviderStatus.UNKNOWN)
        message = str(payload.get("message") or "") or None
        if (
            status is ProviderStatus.FAILED
            and message
            and any(w in message.lower() for w in MODERATION_WORDS)
        ):
            status = ProviderStatus.MODERATED
        image_url = data.get("imageUrl") or data.get("image_url")
        if status is ProviderStatus.READY and not image_url:
            # Done but nothing to fetch: treat as a failure rather than polling forever.
            status, message = ProviderStatus.FAILED, "TTAPI reported success without an image"
        progress = _progress(data.get("progress"))
        return PollResult(
            status=status,
            raw_status=raw,
            image_url=image_url,
            seed=parse_int(data.get("seed")),
            cost=parse_credits(data.get("quota")),
            progress=progress,
            message=message,
        )

    def _check(self, status: int, headers: dict[str, str], payload: Any) -> dict[str, Any]:
        """Raise the typed error an HTTP status or a FAILED envelope means; return `data`."""
        message = ""
        if isinstance(payload, dict):
            message = str(payload.get("message") or "")
        detail = f"HTTP {status}: {message[:200]}" if message else f"HTTP {status}"
        if status == 400:
            if any(w in message.lower() for w in MODERATION_WORDS):
                raise ProviderModerated("TTAPI's filter refused the prompt", status=status, detail=detail)
            raise ProviderInputError(
                f"TTAPI refused the request: {message or 'invalid parameters'}",
                status=status,
                detail=detail,
                said=message or None,
            )
        if status in (401, 403):
            raise ProviderAuthError("the bot's TTAPI key was refused", status=status, detail=detail)
        if status == 402:
            raise ProviderCreditError(
                "the bot's TTAPI account is out of credit", status=status, detail=detail
            )
        if status == 404:
            raise ProviderNotFound("TTAPI does not know this endpoint or job", status=status, detail=detail)
        if status in (429, 499):  # documented as refused before acceptance: safe to send again
            raise ProviderBusy(
                "TTAPI is busy",
                status=status,
                retry_after=parse_retry_after(headers.get("Retry-After")),
                detail=detail,
            )
        if status >= 500:
            raise server_error("TTAPI", status, headers, detail)
        if status >= 400:
            raise ProviderError(f"TTAPI answered HTTP {status}", status=status, detail=detail)
        if not isinstance(payload, dict):
            raise ProviderServerError("TTAPI sent an unreadable answer", status=status, detail="not JSON")
        if str(payload.get("status", "")).upper() == "FAILED":
            raise ProviderInputError(
                f"TTAPI refused the request: {message or 'unknown reason'}",
                status=status,
                detail=detail,
                said=message or None,
            )
        data = payload.get("data")
        return data if isinstance(data, dict) else {}


def _data(payload: dict[str, Any]) -> dict[str, Any]:
    data = payload.get("data")
    return data if isinstance(data, dict) else {}


def _job_id(payload: Any, data: dict[str, Any]) -> str | None:
    for source in (data, payload if isinstance(payload, dict) else {}):
        for key in ("jobId", "job_id", "id"):
            value = source.get(key)
            if value:
                return str(value)
    return None


def _progress(value: Any) -> float | None:
    try:
        number = float(str(value).rstrip("%"))
    except (TypeError, ValueError):
        return None
    return max(0.0, min(1.0, number / 100 if number > 1 else number))
