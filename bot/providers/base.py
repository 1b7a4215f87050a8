"""What every provider client offers the job manager, and the errors it may raise.

A provider client is a small class around one `_request` method (see `HttpProvider`); tests run
it against fake servers on loopback. Statuses are mapped to `ProviderStatus` here so the job
manager never sees a provider's spelling.
"""

from __future__ import annotations

import enum
import json
import logging
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from bot.encoding import has_large_value, in_image_thread, json_bytes
from bot.images import check_result_image

log = logging.getLogger(__name__)

#: Result images larger than this are refused (BFL outputs are a few MB at most).
MAX_RESULT_BYTES = 40 * 1024 * 1024
#: API answers (JSON) larger than this are refused unread: real ones are a few hundred bytes.
MAX_ANSWER_BYTES = 1024 * 1024
#: Bytes read at a time from a response body, checking the cap in between.
READ_CHUNK = 256 * 1024


class ProviderStatus(enum.StrEnum):
    PENDING = "pending"  # accepted, waiting in the provider's queue
    RUNNING = "running"  # generating
    READY = "ready"  # done, image available
    FAILED = "failed"
    MODERATED = "moderated"  # refused by the provider's safety filter
    NOT_FOUND = "not_found"  # the provider no longer knows the job
    UNKNOWN = "unknown"  # a status we do not know: neither crash nor poll forever


@dataclass(frozen=True, slots=True)
class ProviderRequest:
    """A validated request: the endpoint path and the JSON body, built by the model catalog."""

    endpoint: str
    body: dict[str, Any]
    host: str = "default"  # "default" or "finetune" (BFL's single-cluster host)


@dataclass(frozen=True, slots=True)
class Callback:
    """Where the provider should report back; `secret` goes to providers that sign callbacks."""

    url: str
    secret: str | None = None


@dataclass(frozen=True, slots=True)
class Submission:
    provider_job_id: str
    polling_url: str | None = None
    cost: Decimal | None = None  # BFL reports the cost in the submit answer


@dataclass(frozen=True, slots=True)
class PollResult:
    status: ProviderStatus
    raw_status: str = ""
    image_url: str | None = None
    seed: int | None = None
    cost: Decimal | None = None
    progress: float | None = None  # 0..1 when the provider reports it
    message: str | None = None


class ProviderError(Exception):
    """A provider call failed. `kind` decides what the job manager does; `message` is for members."""

    kind = "error"
    retryable = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        detail: str | None = None,
        said: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.retry_after = retry_after
        self.detail = detail  # what the provider said, for the operator's log line
        #: The provider's own words for the member (its reason for refusing the options), shown
        #: quoted inside the catalogue's sentence in the member's language; None: the sentence alone.
        self.said = said
        #: Arguments of the member's sentence (`failure-reason-<kind>`), e.g. the provider's name.
        self.note_args: dict[str, str] = {}


class ProviderInputError(ProviderError):
    """400/422: the provider refused the options or the prompt. Not retried, nothing charged."""

    kind = "input"


class ProviderModerated(ProviderError):
    """The prompt or an input image was refused by the provider's safety filter."""

    kind = "moderated"


class ProviderAuthError(ProviderError):
    """401/403: the operator's key is missing, invalid or blocked."""

    kind = "auth"


class ProviderCreditError(ProviderError):
    """402: the operator's provider account is out of credit."""

    kind = "credit"


class ProviderBusy(ProviderError):
    """Refused *before* acceptance (429; TTAPI's 499 "queue full"): try again later, honouring
    `retry_after`. Only statuses a provider documents as "not accepted" belong here: a 503 does not
    (see `server_error`)."""

    kind = "busy"
    retryable = True


class ProviderServerError(ProviderError):
    """5xx. Retried for reads; a submit that ends like this is *ambiguous* (it may have been billed)."""

    kind = "server"
    retryable = True


class ProviderAnswerTooLarge(ProviderServerError):
    """An API answer over `MAX_ANSWER_BYTES`: treated as a broken answer (ambiguous for a submit)."""


class ProviderNetworkError(ProviderError):
    """No answer: connection refused or reset, or a timeout. Ambiguous for a submit."""

    kind = "network"
    retryable = True


class ProviderUnreachable(ProviderNetworkError):
    """No connection could be made (refused, no such host, TLS handshake refused): the request was
    never sent, so unlike a cut or a timeout *after* sending, a submit may be sent again."""


class ProviderNotFound(ProviderError):
    """404: the endpoint or job does not exist."""

    kind = "not_found"


#: HTTP statuses a submit gets from an endpoint the provider has taken away (PROVIDERS-NEXT.md §5:
#: what BFL answers is unconfirmed, so each of them counts).
RETIRED_STATUSES = (404, 405, 410)


class ProviderRetired(ProviderError):
    """A submit answered 404, 405 or 410: the provider no longer offers this model. Definite: it
    was not accepted, so nothing is charged and it is not sent again."""

    kind = "retired"


def retired(provider: str, status: int, detail: str) -> ProviderRetired:
    error = ProviderRetired(f"This model is no longer offered by {provider}.", status=status, detail=detail)
    error.note_args = {"provider": provider}
    return error


class ResultDownloadError(ProviderError):
    """The finished image could not be fetched (expired link, too large, foreign host)."""

    kind = "download"
    retryable = True


class ResultNotAnImage(ResultDownloadError):
    """The result link answered with something that is not an image (an HTML page, JSON, garbage).

    Definite: downloading it again would fetch the same body, and it must never be posted as one.
    """

    retryable = False


def server_error(provider: str, status: int, headers: Mapping[str, str], detail: str) -> ProviderServerError:
    """Any 5xx, 503 included, for every provider: one rule.

    A read is retried. A submit's outcome is unknown (the provider may have accepted and billed it
    before failing), so it is never sent again (the job's `submitting` handling in the manager),
    as for a timeout or a connection cut after sending. Neither TTAPI nor BFL documents a 5xx
    that means "not accepted" (PROVIDERS.md); BFL's SDK never replays a POST after one.
    """
    return ProviderServerError(
        f"{provider} had a server error",
        status=status,
        retry_after=parse_retry_after(headers.get("Retry-After")),
        detail=detail,
    )


def parse_int(value: Any) -> int | None:
    """A whole number from a provider's answer (`42` or `"42"`); None for anything else."""
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return max(0.0, min(seconds, 300.0))


class Provider(ABC):
    """The seam between the job manager and a provider's API."""

    name: str

    @abstractmethod
    async def submit(self, request: ProviderRequest, *, callback: Callback | None = None) -> Submission: ...

    @abstractmethod
    async def poll(self, provider_job_id: str, polling_url: str | None = None) -> PollResult: ...

    @abstractmethod
    async def download(self, url: str) -> bytes: ...

    def parse_callback(self, body: dict[str, Any]) -> tuple[str | None, PollResult]:
        """Read a callback body: the provider's job id (when present) and the status it reports."""
        raise NotImplementedError(f"{self.name} does not send callbacks")

    async def check(self) -> str:
        """A cheap call proving the key works (for `doctor`); returns a line to show."""
        return "no check available"

    def result_hosts(self) -> tuple[str, ...]:
        """Hosts (suffixes) the finished images may be downloaded from."""
        return ()

    def typical_seconds(self, model: str) -> float | None:
        """How long this provider usually takes for the model, when it knows better than the table."""
        return None


@dataclass(slots=True)
class HttpProvider(Provider):
    """A provider reached over HTTP with one aiohttp session, owned by the composition root."""

    session: aiohttp.ClientSession
    base_url: str
    timeout: float = 30.0
    download_timeout: float = 60.0
    max_result_bytes: int = MAX_RESULT_BYTES
    extra_result_hosts: tuple[str, ...] = field(default=())

    def _headers(self) -> dict[str, str]:
        return {}

    def _secrets(self) -> tuple[str, ...]:
        """Values that must never leave this client, not even when a provider echoes them back."""
        key = getattr(self, "api_key", None)
        value = key.get_secret_value() if key is not None else ""
        return (value,) if len(value) >= 4 else ()

    async def _request(
        self,
        method: str,
        url: str,
        *,
        json_body: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], Any]:
        """One HTTP call; returns status, headers and the decoded JSON body (or raw text)."""
        headers = self._headers()
        data: bytes | None = None
        if json_body is not None:
            # A body carrying reference images is megabytes of JSON: serialized in a worker thread, a
            # slice at a time (bot/encoding.py), not on the event loop as aiohttp's `json=` would.
            if has_large_value(json_body):
                data = await in_image_thread(json_bytes, json_body)
            else:
                data = json_bytes(json_body)
            headers = {**headers, "Content-Type": "application/json"}
        try:
            async with self.session.request(
                method,
                url,
                data=data,
                params=params,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self.timeout),
                allow_redirects=False,
            ) as response:
                text = await _read_answer(response, f"{method} {_path(url)}")
                for secret in self._secrets():
                    # An error echoing our key would otherwise reach logs, the store and members.
                    text = text.replace(secret, "***")
                try:
                    payload: Any = json.loads(text) if text else None
                except json.JSONDecodeError:
                    payload = text
                return response.status, dict(response.headers), payload
        except TimeoutError as exc:
            raise ProviderNetworkError(
                f"{self.name} did not answer in time", detail=f"{method} {_path(url)}: timeout"
            ) from exc
        except aiohttp.ClientConnectorError as exc:  # before the request was written: nothing sent
            raise ProviderUnreachable(
                f"{self.name} could not be reached", detail=f"{method} {_path(url)}: {type(exc).__name__}"
            ) from exc
        except aiohttp.ClientError as exc:
            raise ProviderNetworkError(
                f"{self.name} could not be reached", detail=f"{method} {_path(url)}: {type(exc).__name__}"
            ) from exc

    def _configured_urls(self) -> tuple[str, ...]:
        """The API base URLs the operator configured (BFL has a second one, for finetunes)."""
        return (self.base_url,)

    def result_hosts(self) -> tuple[str, ...]:
        hosts = (urlsplit(u).hostname for u in self._configured_urls())
        return tuple(dict.fromkeys(h for h in (*hosts, *self.extra_result_hosts) if h))

    def _link_allowed(self, url: str) -> bool:
        """https to an allow-listed host; plain http only to a configured http base (a local stand-in)."""
        parts = urlsplit(url)
        host = parts.hostname or ""
        if parts.scheme == "https":
            return _host_allowed(host, self.result_hosts())
        if parts.scheme == "http":
            plain = (urlsplit(u) for u in self._configured_urls())
            return bool(host) and host.lower() in {u.hostname for u in plain if u.scheme == "http"}
        return False

    async def download(self, url: str) -> bytes:
        """Fetch a finished image: allow-listed hosts only, no redirects elsewhere, size cap, timeout."""
        target = url
        for _ in range(4):
            if not self._link_allowed(target):
                parts = urlsplit(target)
                raise ResultDownloadError(
                    "the result link points outside the provider",
                    detail=f"{parts.scheme}://{parts.hostname or ''} is not allow-listed",
                )
            try:
                async with self.session.get(
                    target,
                    timeout=aiohttp.ClientTimeout(total=self.download_timeout),
                    allow_redirects=False,
                ) as response:
                    if response.status in (301, 302, 303, 307, 308):
                        location = response.headers.get("Location", "")
                        target = str(response.url.join(aiohttp.client.URL(location)))
                        continue
                    if response.status in (403, 404, 410):
                        raise ResultDownloadError(
                            "the result link has expired", status=response.status, detail="link expired"
                        )
                    if response.status >= 400:
                        raise ResultDownloadError(
                            "the result could not be downloaded",
                            status=response.status,
                            detail=f"HTTP {response.status}",
                        )
                    if (response.content_length or 0) > self.max_result_bytes:
                        raise ResultDownloadError("the result is too large", detail="over the size cap")
                    data = bytearray()
                    async for chunk in response.content.iter_chunked(READ_CHUNK):
                        data.extend(chunk)
                        if len(data) > self.max_result_bytes:
                            raise ResultDownloadError("the result is too large", detail="over the size cap")
                    content_type = response.headers.get("Content-Type", "no content type")
            except (TimeoutError, aiohttp.ClientError) as exc:
                raise ResultDownloadError(
                    "the result could not be downloaded", detail=type(exc).__name__
                ) from exc
            return await _checked_image(bytes(data), content_type)
        raise ResultDownloadError("the result link redirects too often", detail="redirect loop")


async def _checked_image(data: bytes, content_type: str) -> bytes:
    """The downloaded body, once it proved to be a whole image (PNG, JPEG or WebP)."""
    try:
        await in_image_thread(check_result_image, data)
    except ValueError as exc:
        raise ResultNotAnImage(
            "the provider sent something that is not an image",
            detail=f"not an image ({content_type[:60]}, {len(data)} bytes): {exc}",
        ) from None
    return data


async def _read_answer(response: aiohttp.ClientResponse, what: str) -> str:
    """An API answer's text, refused past `MAX_ANSWER_BYTES` without reading the rest."""
    if (response.content_length or 0) > MAX_ANSWER_BYTES:
        raise ProviderAnswerTooLarge(
            "the provider sent an oversized answer", detail=f"{what}: Content-Length over the 1 MiB cap"
        )
    body = bytearray()
    async for chunk in response.content.iter_chunked(READ_CHUNK):
        body.extend(chunk)
        if len(body) > MAX_ANSWER_BYTES:
            raise ProviderAnswerTooLarge(
                "the provider sent an oversized answer", detail=f"{what}: over the 1 MiB cap"
            )
    try:
        return body.decode(response.charset or "utf-8", errors="replace")
    except LookupError:  # a charset Python does not know
        return body.decode("utf-8", errors="replace")


def _host_allowed(host: str, allowed: tuple[str, ...]) -> bool:
    host = host.lower().rstrip(".")
    return any(host == a or host.endswith("." + a) for a in (x.lower() for x in allowed))


def _path(url: str) -> str:
    """A URL without its query: logs must not carry job tokens or keys."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"
