"""Black Forest Labs' own API: `POST /v1/<model>`, then poll the returned `polling_url`.

Facts absorbed here (shared/seeds/002, 004 and PROVIDERS.md):
- the key goes in the `x-key` header;
- the submit answer is `{id, polling_url}` plus, on current API versions, `cost` (credits), which
  is what the job is charged (else the public price from the model table);
- always poll the returned `polling_url` (the global and multi-cluster hosts hand jobs to a
  regional cluster); `/v1/get_result?id=` on the base host is only the fallback, used when an
  answer has none (a FLUX.2 `AsyncWebhookResponse` to a submit with `webhook_url` has none);
- FLUX.2 is priced by the megapixel: the answer's `cost` is charged; without one, the price per
  megapixel of its `output_mp` and `input_mp` (PROVIDERS-NEXT.md §1);
- a submit answered 404, 405 or 410 is a model BFL no longer offers (§5): not retried, no charge;
- statuses are spelled exactly `Pending`, `Ready`, `Request Moderated`, `Content Moderated`,
  `Error`, `Task not found`; `result.sample` is a signed link that expires in ~10 minutes;
- errors are `{"detail": ...}` where detail is a string or (422) a list of `{loc, msg, type}`;
  some sources show `message` or `error`, so all three are read;
- finetuned inference runs on the single-cluster host (`BFL_FINETUNE_BASE_URL`);
- webhooks: `webhook_url` + `webhook_secret`; the secret comes back in `X-Webhook-Secret` (SDK) or
  as an HMAC `X-BFL-Signature: sha256=<hex>` (secondary source): the web server's one check,
  `bot.jobs.callbacks.callback_authentic`, accepts either (and bare hex).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

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
    _host_allowed,
    parse_int,
    parse_retry_after,
    retired,
    server_error,
)
from bot.providers.catalog import OPTION_NAMES, MegapixelPrice, output_megapixels

STATUSES = {
    "Pending": ProviderStatus.PENDING,
    "Ready": ProviderStatus.READY,
    "Request Moderated": ProviderStatus.MODERATED,
    "Content Moderated": ProviderStatus.MODERATED,
    "Error": ProviderStatus.FAILED,
    "Task not found": ProviderStatus.NOT_FOUND,
}

MODERATION_TEXT = {
    "Request Moderated": "BFL's safety filter refused the prompt or an input image",
    "Content Moderated": "BFL's safety filter refused the generated image",
}

#: Words in a 400 `detail` string that mean the safety filter refused the request.
MODERATION_WORDS = ("moderat", "nsfw", "content policy", "flagged")

#: Where BFL's signed result links live: `delivery-eu1.bfl.ai`, `delivery.us1.bfl.ai`, ... (doc),
#: and the blob store some results are served from (2nd source).
RESULT_HOSTS = ("bfl.ai", "bfldeliveryprod.blob.core.windows.net")


@dataclass(slots=True, repr=False)
class BFLProvider(HttpProvider):
    api_key: SecretStr = field(default_factory=lambda: SecretStr(""))
    finetune_base_url: str = "https://api.us1.bfl.ai"
    #: Public prices by endpoint (credits), charged when the submit answer carries no `cost`.
    prices: dict[str, Decimal] = field(default_factory=dict)
    #: Per-megapixel prices by endpoint (FLUX.2), likewise.
    megapixel_prices: dict[str, MegapixelPrice] = field(default_factory=dict)
    name: str = "bfl"
    extra_result_hosts: tuple[str, ...] = RESULT_HOSTS

    def __repr__(self) -> str:
        return f"BFLProvider(base_url={self.base_url!r}, finetune_base_url={self.finetune_base_url!r})"

    def _headers(self) -> dict[str, str]:
        return {"x-key": self.api_key.get_secret_value(), "Accept": "application/json"}

    def _configured_urls(self) -> tuple[str, ...]:
        return (self.base_url, self.finetune_base_url)

    def _base_for(self, request: ProviderRequest) -> str:
        return self.finetune_base_url if request.host == "finetune" else self.base_url

    async def submit(self, request: ProviderRequest, *, callback: Callback | None = None) -> Submission:
        body = dict(request.body)
        if callback is not None:
            body["webhook_url"] = callback.url
            if callback.secret:
                body["webhook_secret"] = callback.secret
        status, headers, payload = await self._request(
            "POST", self._base_for(request) + request.endpoint, json_body=body
        )
        said = _detail_text(payload)
        if status == 404 and request.host == "finetune" and "finetune" in said.lower():
            finetune = str(body.get("finetune_id", ""))[:80]
            raise ProviderInputError(
                f"BFL does not know the finetune `{finetune}`", status=status, detail=said, said=said or None
            )
        if status in RETIRED_STATUSES:
            raise retired("BFL", status, f"HTTP {status} to {request.endpoint}: {said[:200]}")
        self._check(status, headers, payload)
        if not isinstance(payload, dict) or not payload.get("id"):
            raise ProviderServerError(
                "BFL accepted the job but did not say its id", status=status, detail="no id in answer"
            )
        job_id = str(payload["id"])
        polling_url = payload.get("polling_url")
        cost = parse_credits(payload.get("cost"))
        if cost is None:
            cost = self._public_price(request, payload)
        return Submission(
            provider_job_id=job_id,
            polling_url=str(polling_url) if polling_url else None,
            cost=cost,
        )

    def _public_price(self, request: ProviderRequest, payload: dict[str, Any]) -> Decimal | None:
        """What an answer without `cost` is charged: the public price, per megapixel for FLUX.2
        (the answer's `output_mp` and `input_mp`, else the asked size and no reference counted)."""
        per_mp = self.megapixel_prices.get(request.endpoint)
        if per_mp is None:
            return self.prices.get(request.endpoint)
        output = parse_credits(payload.get("output_mp")) or output_megapixels(request.body, [])
        return per_mp.cost(output, parse_credits(payload.get("input_mp")) or Decimal(0))

    async def poll(self, provider_job_id: str, polling_url: str | None = None) -> PollResult:
        if polling_url and self._may_poll(polling_url):
            status, headers, payload = await self._request("GET", polling_url)
        else:
            status, headers, payload = await self._request(
                "GET", f"{self.base_url}/v1/get_result", params={"id": provider_job_id}
            )
        if status == 404:
            return PollResult(
                ProviderStatus.NOT_FOUND, raw_status="404", message="BFL does not know this job"
            )
        self._check(status, headers, payload)
        return self.parse_result(payload)

    def _may_poll(self, url: str) -> bool:
        """The key is sent to the polling URL, so it must be one of BFL's API hosts."""
        parts = urlsplit(url)
        schemes, hosts = _polling_targets(self.base_url, self.finetune_base_url)
        return parts.scheme in schemes and _host_allowed(parts.hostname or "", hosts)

    def parse_callback(self, body: dict[str, Any]) -> tuple[str | None, PollResult]:
        job_id = body.get("id") or body.get("task_id")
        return (str(job_id) if job_id else None), self.parse_result(body)

    def parse_result(self, payload: Any) -> PollResult:
        """A `get_result` answer (or a webhook body) as a `PollResult`."""
        if not isinstance(payload, dict):
            return PollResult(ProviderStatus.UNKNOWN, raw_status="?", message="unreadable answer")
        raw = str(payload.get("status") or "")
        status = STATUSES.get(raw, ProviderStatus.UNKNOWN)
        if status is ProviderStatus.UNKNOWN:
            # Tolerate a change of case ("READY") without guessing at new words.
            status = {k.lower(): v for k, v in STATUSES.items()}.get(raw.lower(), ProviderStatus.UNKNOWN)
        result = payload.get("result") if isinstance(payload.get("result"), dict) else {}
        assert isinstance(result, dict)
        progress = _fraction(payload.get("progress"))
        if status is ProviderStatus.PENDING and progress:
            status = ProviderStatus.RUNNING
        message: str | None = None
        details = _readable(payload.get("details")) or _readable(payload.get("message"))
        if status is ProviderStatus.MODERATED:
            message = MODERATION_TEXT.get(raw, "BFL's safety filter refused this job")
            if details:
                message += f" ({details[:200]})"
        elif status is ProviderStatus.FAILED:
            message = details or _readable(payload.get("error")) or "BFL reported an error"
        elif status is ProviderStatus.NOT_FOUND:
            message = "BFL no longer knows this job"
        image_url = result.get("sample")
        if status is ProviderStatus.READY and not image_url:
            status, message = ProviderStatus.FAILED, "BFL reported the image ready without a link"
        return PollResult(
            status=status,
            raw_status=raw,
            image_url=str(image_url) if image_url else None,
            seed=parse_int(result.get("seed")),
            cost=None,  # BFL reports the cost at submit time
            progress=progress,
            message=message,
        )

    async def balance(self) -> Decimal | None:
        """`GET /v1/credits` → `{"credits": n}`: the key's balance (None when not reported)."""
        status, headers, payload = await self._request("GET", f"{self.base_url}/v1/credits")
        self._check(status, headers, payload)
        return parse_credits(payload.get("credits")) if isinstance(payload, dict) else None

    async def check(self) -> str:
        """`GET /v1/credits`: proves the key works and shows the balance."""
        credits = await self.balance()
        if credits is None:
            return "key accepted (GET /v1/credits), balance not reported"
        return f"key accepted, {format(credits.normalize(), 'f')} credits left (GET /v1/credits)"

    def _check(self, status: int, headers: Mapping[str, str], payload: Any) -> None:
        """Raise the typed error an HTTP status means."""
        if status < 400:
            return
        text = _detail_text(payload)
        detail = f"HTTP {status}: {text[:300]}" if text else f"HTTP {status}"
        if status == 422 or status == 400:
            said = payload.get("detail") if isinstance(payload, dict) else None
            if isinstance(said, str) and any(w in said.lower() for w in MODERATION_WORDS):
                raise ProviderModerated(
                    "BFL's safety filter refused the request", status=status, detail=detail
                )
            raise ProviderInputError(
                f"BFL refused the request: {text or 'invalid parameters'}",
                status=status,
                detail=detail,
                said=text or None,
            )
        if status in (401, 403):
            raise ProviderAuthError(
                "the bot's BFL key was refused (or lacks permission)", status=status, detail=detail
            )
        if status == 402:
            raise ProviderCreditError("the bot's BFL account is out of credits", status=status, detail=detail)
        if status == 404:
            raise ProviderNotFound("BFL does not know this endpoint or job", status=status, detail=detail)
        if status == 429:
            raise ProviderBusy(
                "BFL is busy (too many jobs in flight)",
                status=status,
                retry_after=parse_retry_after(headers.get("Retry-After")),
                detail=detail,
            )
        if status >= 500:
            raise server_error("BFL", status, headers, detail)
        raise ProviderError(f"BFL answered HTTP {status}", status=status, detail=detail)


def _detail_text(payload: Any) -> str:
    """BFL's error body as one readable line: `detail` string or list, else `message`/`error`."""
    if not isinstance(payload, dict):
        return str(payload or "")[:300]
    for key in ("detail", "message", "error"):
        value = payload.get(key)
        if value:
            return _readable(value) or ""
    return ""


def _readable(value: Any) -> str | None:
    """A string, a `{loc, msg, type}` list, or a dict of reasons as one line naming the fields."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        parts = []
        for item in value:
            if isinstance(item, dict) and "msg" in item:
                loc = [str(x) for x in item.get("loc") or [] if x not in ("body", "query")]
                name = OPTION_NAMES.get(loc[-1], loc[-1]) if loc else ""
                parts.append(f"`{name}`: {item['msg']}" if name else str(item["msg"]))
            else:
                parts.append(_readable(item) or "")
        return "; ".join(p for p in parts if p) or None
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_readable(v)}" for k, v in value.items() if v) or None
    return str(value)


def _fraction(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, min(1.0, number / 100 if number > 1 else number))


@functools.cache
def _polling_targets(base_url: str, finetune_base_url: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The schemes and hosts a polling URL may have, worked out once per configuration (every poll asks)."""
    hosts = tuple(h for h in (urlsplit(base_url).hostname, urlsplit(finetune_base_url).hostname) if h)
    # Plain http only where the operator configured BFL over http (a local stand-in): never send the
    # key unencrypted to a real BFL host because an answer said so.
    schemes = ("https", "http") if urlsplit(base_url).scheme == "http" else ("https",)
    return schemes, (*hosts, "bfl.ai")
