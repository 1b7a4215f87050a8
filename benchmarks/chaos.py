"""The soak's misbehaving providers: the fake TTAPI and the fake BFL answering a random fraction
of requests with a random fault from the fault catalogue (docs/RELIABILITY.md), and deciding at
submit that some jobs fail, are moderated or never finish. Used by `soak.py`."""

from __future__ import annotations

import collections
import random
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from aiohttp import web

from tests.fakes.bfl import CONTENT_MODERATED, ERROR, READY, REQUEST_MODERATED, FakeBFL
from tests.reliability.conftest import FaultyTTAPI, connection_reset, html_page, malformed_json, stall

QUOTA = "5"  # what the fake TTAPI charges per job
TIMEOUT = 0.5  # the provider client's timeout in the soak; stalls last longer


def envelope(status: int, message: str, headers: dict[str, str] | None = None) -> Callable[..., Any]:
    async def act(request: web.Request) -> web.StreamResponse:
        return web.json_response(
            {"status": "FAILED", "message": message, "data": None}, status=status, headers=headers
        )

    return act


def expired_link() -> Callable[..., Any]:
    async def act(request: web.Request) -> web.StreamResponse:
        return web.Response(status=403, text="<Error><Code>AccessDenied</Code>Request has expired</Error>")

    return act


#: route → [(kind, weight, action factory)]. Weights are relative within a route.
Faults = dict[str, list[tuple[str, float, Callable[[], Callable[..., Any]]]]]

#: Faults of the connection itself, the same whatever the provider (after the HTTP errors).
TRANSPORT = [
    ("malformed json", 1.0, malformed_json),
    ("connection reset", 1.0, connection_reset),
    ("read timeout", 1.0, lambda: stall(TIMEOUT + 0.3)),
]


def file_faults(
    expired: Callable[[], Callable[..., Any]],
) -> list[tuple[str, float, Callable[[], Callable[..., Any]]]]:
    """The result download's faults; `expired` answers as that provider's storage does."""
    return [*TRANSPORT[1:], ("expired link", 1.0, expired), ("500", 1.0, lambda: html_page(500))]


def pick_fault(
    rng: random.Random, rate: float, kinds: list[tuple[str, float, Any]]
) -> tuple[str, Any] | None:
    """A random fault (its name and action factory) for `rate` of the calls, weighted; else None."""
    if rng.random() >= rate:
        return None
    kind, _, factory = rng.choices(kinds, weights=[w for _, w, _ in kinds])[0]
    return kind, factory


def roll_outcome(rng: random.Random, outcomes: list[tuple[str, float]]) -> str | None:
    """The outcome decided at submit, each with its probability; None: an ordinary job."""
    roll = rng.random()
    for kind, probability in outcomes:
        if roll < probability:
            return kind
        roll -= probability
    return None


FAULTS: Faults = {
    "submit": [
        ("429 Retry-After", 3, lambda: envelope(429, "too many requests", {"Retry-After": "0.2"})),
        ("429", 0.3, lambda: envelope(429, "too many requests")),
        ("499", 2, lambda: envelope(499, "queue full", {"Retry-After": "0.2"})),
        ("500", 1, lambda: envelope(500, "internal error")),
        ("502 html", 1, lambda: html_page(502)),
        *TRANSPORT,
        ("401", 0.3, lambda: envelope(401, "Unauthorized")),
        ("402", 0.3, lambda: envelope(402, "insufficient quota")),
        ("400 banned words", 0.5, lambda: envelope(400, "banned prompt words: prohibited")),
    ],
    "fetch": [
        ("429 Retry-After", 2, lambda: envelope(429, "slow down", {"Retry-After": "0.2"})),
        ("500", 2, lambda: envelope(500, "internal error")),
        ("502 html", 2, lambda: html_page(502)),
        *TRANSPORT,
        ("404 task not found", 0.3, lambda: envelope(404, "job not found")),
    ],
    "file": file_faults(expired_link),
}
#: Outcomes decided at submit: (kind, probability).
OUTCOMES = [("FAILED", 0.02), ("moderated output", 0.02), ("never finishes", 0.004)]


class ChaosTTAPI(FaultyTTAPI):
    """The fake TTAPI answering a random fraction of requests with a random fault."""

    def __init__(self, rng: random.Random, fault_rate: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rng = rng
        self.fault_rate = fault_rate
        self.counts: collections.Counter[str] = collections.Counter()
        self.requests_by_route: collections.Counter[str] = collections.Counter()

    def _maybe_fault(self, route: str) -> None:
        self.requests_by_route[route] += 1
        fault = pick_fault(self.rng, self.fault_rate, FAULTS[route])
        if fault is not None:
            self.counts[f"{route}: {fault[0]}"] += 1
            self.inject(route, fault[1]())

    async def _submit(self, request: web.Request) -> web.StreamResponse:
        self._maybe_fault("submit")
        outcome = None if self._raw["submit"] else roll_outcome(self.rng, OUTCOMES)
        if outcome is not None:
            self.counts[f"outcome: {outcome}"] += 1
            if outcome == "FAILED":
                self.fail_next("upstream generation error")
            elif outcome == "moderated output":
                self.fail_next("output flagged: prompt violation")
            else:
                self.duration = 3600.0
        try:
            return await super()._submit(request)
        finally:
            self.duration = 0.15

    async def _fetch(self, request: web.Request) -> web.StreamResponse:
        self._maybe_fault("fetch")
        return await super()._fetch(request)

    async def _file(self, request: web.Request) -> web.StreamResponse:
        self._maybe_fault("file")
        return await super()._file(request)

    def billed(self) -> dict[str, Decimal]:
        """Provider job id → what TTAPI charged: jobs it accepted that finished with SUCCESS."""
        now = time.monotonic()
        return {
            job.id: Decimal(job.quota)
            for job in self.jobs.values()
            if job.outcome == "success" and now - job.created >= job.duration
        }

    def accepted_prompts(self) -> collections.Counter[str]:
        return collections.Counter(str(j.body.get("prompt")) for j in self.jobs.values())

    def callbacks(self) -> int:
        return self.callbacks_sent


def detail(status: int, text: str, headers: dict[str, str] | None = None) -> Callable[..., Any]:
    """A BFL error answer: `{"detail": ...}` with this status."""

    async def act(request: web.Request) -> web.StreamResponse:
        return web.json_response({"detail": text}, status=status, headers=headers)

    return act


def bfl_expired_link() -> Callable[..., Any]:
    async def act(request: web.Request) -> web.StreamResponse:
        return web.Response(
            status=403, text="<Error><Code>AuthenticationFailed</Code>Signed expiry time has passed</Error>"
        )

    return act


BFL_FAULTS: Faults = {
    "submit": [
        ("429 Retry-After", 3, lambda: detail(429, "rate limited", {"Retry-After": "0.2"})),
        ("429", 0.3, lambda: detail(429, "rate limited")),
        ("500", 1, lambda: detail(500, "internal error")),
        ("502 html", 1, lambda: html_page(502)),
        ("503", 1, lambda: detail(503, "service unavailable")),
        *TRANSPORT,
        ("402", 0.3, lambda: detail(402, "Insufficient credits")),
        ("403", 0.3, lambda: detail(403, "Not authenticated")),
    ],
    "fetch": [
        ("429 Retry-After", 2, lambda: detail(429, "rate limited", {"Retry-After": "0.2"})),
        ("500", 2, lambda: detail(500, "internal error")),
        ("502 html", 2, lambda: html_page(502)),
        *TRANSPORT,
    ],
    "file": file_faults(bfl_expired_link),
}
#: Outcomes decided at submit: (BFL status, probability); "never" is a job that never finishes.
BFL_OUTCOMES = [(ERROR, 0.02), (CONTENT_MODERATED, 0.015), (REQUEST_MODERATED, 0.01), ("never", 0.004)]
BFL_COST = "4"


class ChaosBFL(FakeBFL):
    """The fake BFL answering a random fraction of requests with a random fault."""

    def __init__(self, rng: random.Random, fault_rate: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rng = rng
        self.fault_rate = fault_rate
        self.counts: collections.Counter[str] = collections.Counter()
        self.requests_by_route: collections.Counter[str] = collections.Counter()

    def _fault(self, route: str) -> Callable[..., Any] | None:
        self.requests_by_route[route] += 1
        fault = pick_fault(self.rng, self.fault_rate, BFL_FAULTS[route])
        if fault is None:
            return None
        self.counts[f"{route}: {fault[0]}"] += 1
        return fault[1]()

    async def _submit(self, request: web.Request) -> web.StreamResponse:  # type: ignore[override]
        fault = self._fault("submit")
        if fault is not None:
            return await fault(request)
        outcome = roll_outcome(self.rng, BFL_OUTCOMES)
        if outcome is not None:
            self.counts[f"outcome: {outcome}"] += 1
            if outcome == "never":
                self.duration = 3600.0
            else:
                self.outcome_next(outcome)
        try:
            return await super()._submit(request)
        finally:
            self.duration = 0.15

    async def _get_result(self, request: web.Request) -> web.StreamResponse:  # type: ignore[override]
        fault = self._fault("fetch")
        return await fault(request) if fault is not None else await super()._get_result(request)

    async def _delivery(self, request: web.Request) -> web.StreamResponse:  # type: ignore[override]
        fault = self._fault("file")
        return await fault(request) if fault is not None else await super()._delivery(request)

    def billed(self) -> dict[str, Decimal]:
        """Provider job id → its cost: jobs that reached `Ready` (an image exists to download)."""
        now = time.monotonic()
        return {
            job.id: Decimal(BFL_COST)
            for job in self.jobs.values()
            if job.outcome == READY and now - job.created >= job.duration
        }

    def accepted_prompts(self) -> collections.Counter[str]:
        return collections.Counter(str(j.body.get("prompt")) for j in self.jobs.values())

    def callbacks(self) -> int:
        return len(self.callbacks_sent)
