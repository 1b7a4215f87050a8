"""Provider callbacks: how one is authenticated, what it came to, and its news for the job's task.

`CallbackDesk.accept` is the one entry (bot/web.py calls it through the manager): it authenticates
the call, reads it, and leaves its news in the `Mailbox` for the job's own task, which it wakes.
Nothing is changed for an unauthenticated call; the job's task acts on the news (one code path for
polls and callbacks, no race between them).

With shared claims (PostgreSQL), a callback can reach a process that does not drive its job (a
gateway, another worker): authenticated and read there, its body is `relay`ed — kept in the store
and announced by NOTIFY — and the worker that drives the job hands it to `take`
(`RelayedCallbacks`, bot/jobs/relayed_callbacks.py, imported on PostgreSQL only).
"""

from __future__ import annotations

import asyncio
import enum
import hashlib
import hmac
import json
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Container
from dataclasses import dataclass

from bot.jobs.metrics import JobMetrics
from bot.jobs.model import Job, JobState
from bot.providers.base import PollResult, Provider, ProviderStatus
from bot.store.jobs import JobRepository

log = logging.getLogger(__name__)


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


#: Seconds a provider's callbacks are not trusted after a poll found one of its jobs over before
#: its callback came: its jobs' fallback polls keep their closer cap meanwhile (`CallbackTrust`).
DISTRUST_SECONDS = 600.0


class CallbackTrust:
    """Whether a provider's callbacks are trusted to arrive, which lets a job's fallback polls wait
    for the end its progress predicts however far away (`PollPolicy.callback_trusted_interval`).

    Trusted from the start: a process that starts with jobs in flight has heard no callback yet,
    and most of its polls would be spent waiting to hear one. Not trusted for `distrust` seconds
    after a fallback poll found a job of that provider over (ready, failed, refused) before its
    callback came: lost, or later than the grace after the predicted end. A misconfigured public
    URL costs the first such job its longer wait; the jobs after it are polled as before.
    """

    def __init__(
        self, distrust: float = DISTRUST_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.distrust = distrust
        self.clock = clock
        self._until: dict[str, float] = {}  # provider → not trusted before this time

    def trusted(self, provider: str) -> bool:
        return self.clock() >= self._until.get(provider, 0.0)

    def missed(self, provider: str) -> bool:
        """A poll found a job over before its callback came. True when that ends the provider's trust
        (it was trusted until now)."""
        was = self.trusted(provider)
        self._until[provider] = self.clock() + self.distrust
        return was


class Mailbox:
    """Callbacks' news for the jobs this process drives, the event that wakes each job's task, and
    whether each provider's callbacks are trusted to come (`trust`)."""

    def __init__(self, inbox: CallbackInbox | None = None, trust: CallbackTrust | None = None) -> None:
        self.inbox = inbox or CallbackInbox()
        self.trust = trust or CallbackTrust()
        self._wakeups: dict[str, asyncio.Event] = {}

    def waiter(self, job_id: str) -> asyncio.Event:
        """The event a job's task waits on between polls (set by `wake`)."""
        return self._wakeups.setdefault(job_id, asyncio.Event())

    def wake(self, job_id: str) -> None:
        """Something arrived for this job (a callback): act now instead of at its next poll."""
        event = self._wakeups.get(job_id)
        if event is not None:
            event.set()

    def forget(self, job_id: str) -> None:
        """The job's task is over: its event and any news left for it go."""
        self._wakeups.pop(job_id, None)
        self.inbox.pop(job_id)


class CallbackDesk:
    """Authenticates a provider's callback and leaves its news for the job's task."""

    def __init__(
        self,
        jobs: JobRepository,
        providers: dict[str, Provider],
        metrics: JobMetrics,
        mailbox: Mailbox,
        *,
        driven: Callable[[str], Job | None],
        relay: Callable[[str, bytes, bool], Awaitable[None]] | None = None,
    ) -> None:
        self.jobs = jobs
        self.relay = relay  # shared claims: a callback for a job driven elsewhere goes to its worker
        self.providers = providers
        self.metrics = metrics
        self.mailbox = mailbox
        self.driven = driven  # the job as this process's task holds it, if one drives it

    async def accept(
        self,
        provider_name: str,
        job_id: str,
        body: bytes,
        *,
        token: str | None = None,
        secret: str | None = None,
        signature: str | None = None,
    ) -> CallbackOutcome:
        """A provider called back. Authenticate it, then hand its news to the job's task."""
        job = self.driven(job_id)
        here = job is not None or self.relay is None
        if job is None:
            job = await self.jobs.get(job_id) if len(job_id) <= 64 else None
        expected = job.callback_token if job is not None and job.provider == provider_name else None
        if not callback_authentic(expected, body, token=token, secret=secret, signature=signature):
            self.metrics.callbacks.labels(provider_name, CallbackOutcome.UNAUTHORIZED.value).inc()
            return CallbackOutcome.UNAUTHORIZED
        assert job is not None
        outcome, body = self._read(job, body, keep=here)
        if outcome is CallbackOutcome.ACCEPTED and self.relay is not None:
            if not here:
                await self.relay(job.id, body, True)  # for the worker that drives it, told by NOTIFY
            elif job.state is JobState.SUBMITTING:
                # The one way to learn the provider's id of a job caught mid-submit: kept, so that a
                # worker taking the job over (this one dying before it acts on it) still has it.
                await self.relay(job.id, body, False)
        self.metrics.callbacks.labels(provider_name, outcome.value).inc()
        return outcome

    def take(self, job: Job, body: bytes) -> CallbackOutcome:
        """A callback another process authenticated and relayed, for a job this process drives."""
        return self._read(job, body, keep=True)[0]

    def _read(self, job: Job, body: bytes, *, keep: bool) -> tuple[CallbackOutcome, bytes]:
        """What the callback says, and its body as it may be kept (our key redacted); with `keep`, its
        news is left for the job's task here."""
        body = self._redacted(job, body)
        return self._take(job, body, keep), body

    def _redacted(self, job: Job, body: bytes) -> bytes:
        provider = self.providers.get(job.provider)
        secrets_of = getattr(provider, "_secrets", None)
        if callable(secrets_of) and secrets_of():
            # A callback echoing our key (as an error message might) must not reach the store or
            # members: the same redaction as for answers to our own requests.
            text = body.decode("utf-8", "replace")
            for secret in secrets_of():
                text = text.replace(secret, "***")
            return text.encode()
        return body

    def _take(self, job: Job, body: bytes, keep: bool) -> CallbackOutcome:
        provider = self.providers.get(job.provider)
        try:
            payload = json.loads(body)
            if not isinstance(payload, dict) or provider is None:
                raise ValueError("not a JSON object")
            provider_job_id, result = provider.parse_callback(payload)
        except (ValueError, NotImplementedError) as exc:
            log.warning("job %s: unreadable callback (%s)", job.id, exc)
            return CallbackOutcome.INVALID
        if job.state.terminal or job.state in (JobState.FETCHING, JobState.DELIVERING, JobState.QUEUED):
            return CallbackOutcome.DUPLICATE
        if provider_job_id and job.provider_job_id and provider_job_id != job.provider_job_id:
            log.warning("job %s: callback names another provider job; ignored", job.id)
            return CallbackOutcome.INVALID
        pending = self.mailbox.inbox.get(job.id)
        if pending is not None and settled(pending.result) and not settled(result):
            return CallbackOutcome.DUPLICATE  # an intermediate status after the final one: keep the final
        if not keep:
            return CallbackOutcome.ACCEPTED
        self.mailbox.inbox.put(job.id, Inbound(provider_job_id or job.provider_job_id, result))
        self.mailbox.wake(job.id)
        return CallbackOutcome.ACCEPTED


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
