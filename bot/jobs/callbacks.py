"""Provider callbacks: how one is authenticated, what it came to, and its news for the job's task."""

from __future__ import annotations

import enum
import hashlib
import hmac
import secrets
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
