"""Provider callbacks: how one is authenticated, what it came to, and its news for the job's task."""

from __future__ import annotations

import enum
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Container
from dataclasses import dataclass

from bot.providers.base import PollResult, ProviderStatus


class CallbackOutcome(enum.StrEnum):
    ACCEPTED = "accepted"  # new information: the job was woken
    DUPLICATE = "duplicate"  # authenticated, but the job is already past what it says
    UNAUTHORIZED = "unauthorized"  # unknown job, wrong token/secret/signature: nothing changed
    INVALID = "invalid"  # authenticated but unreadable, or about another provider job


@dataclass(frozen=True, slots=True)
class Inbound:
    """A callback's news, waiting for the job's task to act on it."""

    provider_job_id: str | None
    result: PollResult


#: Seconds a callback's news waits for a job no task of this process drives (another process's
#: job, or one whose task is about to start or resume); then it is dropped (polling is the fallback).
INBOX_TTL = 300.0


class CallbackInbox:
    """Callbacks' news by job id, until the job's own task takes it.

    Bounded: an entry nobody takes (its job is driven elsewhere, or is gone) is dropped after
    `ttl` seconds by `prune`, which the manager runs on its scheduler's beat.
    """

    def __init__(self, ttl: float = INBOX_TTL, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock
        self._entries: dict[str, tuple[Inbound, float]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, job_id: str) -> Inbound | None:
        entry = self._entries.get(job_id)
        return entry[0] if entry is not None else None

    def pop(self, job_id: str) -> Inbound | None:
        entry = self._entries.pop(job_id, None)
        return entry[0] if entry is not None else None

    def put(self, job_id: str, inbound: Inbound) -> None:
        self._entries[job_id] = (inbound, self.clock())

    def prune(self, driven: Container[str]) -> None:
        """Drop news older than `ttl` for jobs not in `driven` (the jobs this process runs)."""
        if not self._entries:
            return
        oldest = self.clock() - self.ttl
        stale = [j for j, (_, at) in self._entries.items() if at < oldest and j not in driven]
        for job_id in stale:
            del self._entries[job_id]


def settled(result: PollResult) -> bool:
    """Is this the provider's final word on the job?"""
    return result.status not in (ProviderStatus.PENDING, ProviderStatus.RUNNING, ProviderStatus.UNKNOWN)


def callback_authentic(
    expected: str | None,
    body: bytes,
    *,
    token: str | None = None,
    secret: str | None = None,
    signature: str | None = None,
) -> bool:
    """Does a callback carry the job's token (URL path), secret (`X-Webhook-Secret`) or HMAC?

    The one check the web server runs, for both providers. BFL's sources disagree on how a webhook
    is signed (shared/PROVIDERS-NEXT.md §4): the SDK sends the secret back verbatim in
    `X-Webhook-Secret`; its skills document an `X-BFL-Signature` HMAC-SHA256 of the raw body keyed
    with the secret, written `sha256=<hex>`. A bare `<hex>` is accepted too, in either case.

    Constant time in what the caller sent; with no expected token (unknown job) a random one is
    compared, so an attacker learns nothing from timing about which job ids exist.
    """
    key = (expected or secrets.token_urlsafe(24)).encode()
    ok = False
    if token is not None:
        ok |= hmac.compare_digest(token.encode(), key)
    if secret is not None:
        ok |= hmac.compare_digest(secret.encode(), key)
    if signature is not None:
        digest = hmac.new(key, body, hashlib.sha256).hexdigest()
        ok |= hmac.compare_digest(_hex_of(signature).encode(), digest.encode())
    return ok and expected is not None


def _hex_of(signature: str) -> str:
    """`sha256=<hex>` or `<hex>`, any case, as lower-case hex."""
    given = signature.strip().lower()
    return given.removeprefix("sha256=")
