"""Prometheus metrics of the job manager, in their own registry (no global state).

Labels are closed sets (provider, model id, state, operation, error kind, outcome): never a job
id, a prompt, a URL or anything secret. The registry also carries the standard process, platform
and garbage-collector collectors and `fluxbot_build_info`.

prometheus_client is imported when the metrics are first used (a job's first request, the first
scrape of `/metrics`), not when the job core is built: its package imports its exposition's HTTP
servers too (http.server, wsgiref, urllib.request), ~1.5 MB of a process's memory before its first
job (benchmarks/vs_official_client.py).
"""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

__all__ = ["JobMetrics", "fluxbot_version"]


class Unfinished(Protocol):
    """One count of unfinished jobs (bot/store/jobs.py `UnfinishedCount`)."""

    @property
    def state(self) -> str: ...

    @property
    def model(self) -> str: ...

    @property
    def provider(self) -> str: ...

    @property
    def n(self) -> int: ...

    @property
    def waiting(self) -> bool: ...

    @property
    def holds_slot(self) -> bool: ...


def fluxbot_version() -> str:
    """The installed package's version ("unknown" when run from a checkout that was never installed)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("fluxbot")
    except PackageNotFoundError:
        return "unknown"


class JobMetrics:
    """The metrics are made by the first use of any of them (`_make`; see the module's docstring)."""

    registry: CollectorRegistry
    jobs: Gauge
    queue_length: Gauge
    in_flight: Gauge
    driven: Gauge
    provider_latency: Histogram
    provider_errors: Counter
    polls: Counter
    rate_limited: Counter
    callbacks: Counter
    credits_charged: Counter
    finished: Counter
    job_seconds: Histogram
    disk_bytes: Gauge
    disk_free_bytes: Gauge
    provider_balance: Gauge

    #: What `fluxbot_disk_free_bytes` reads at each scrape (`read_free_space`).
    _free_bytes: Callable[[], float] | None = None

    def __getattr__(self, name: str) -> object:
        """Called only for an attribute not set: one of the metrics above, before they are made."""
        if name not in JobMetrics.__annotations__ or "registry" in self.__dict__:
            raise AttributeError(name)
        self._make()
        return self.__dict__[name]

    def _make(self) -> None:
        import platform

        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
        from prometheus_client.gc_collector import GCCollector
        from prometheus_client.platform_collector import PlatformCollector
        from prometheus_client.process_collector import ProcessCollector

        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        # The standard collectors live in prometheus_client's global REGISTRY; this one gets its own.
        ProcessCollector(registry=r)
        PlatformCollector(registry=r)
        GCCollector(registry=r)
        build_info = Gauge(
            "fluxbot_build_info",
            "Version of fluxbot and of Python (always 1)",
            ["version", "python"],
            registry=r,
        )
        build_info.labels(fluxbot_version(), platform.python_version()).set(1)
        self.jobs = Gauge(
            "fluxbot_jobs",
            "Unfinished jobs in the store by state and model (finished ones: fluxbot_jobs_finished_total)",
            ["state", "model"],
            registry=r,
        )
        # On PostgreSQL these two are the deployment's, read from the store at each scrape: every
        # process reports the same figures (aggregate with max, not sum). `fluxbot_jobs_driven` is
        # each process's own.
        self.queue_length = Gauge(
            "fluxbot_queue_length",
            "Jobs waiting to be submitted, in the whole deployment (every process reports the same)",
            ["provider"],
            registry=r,
        )
        self.in_flight = Gauge(
            "fluxbot_jobs_in_flight",
            "Jobs holding a provider slot, in the whole deployment (every process reports the same)",
            ["provider"],
            registry=r,
        )
        self.driven = Gauge(
            "fluxbot_jobs_driven",
            "Unfinished jobs this process drives now, by provider (per process: sum them for the deployment)",
            ["provider"],
            registry=r,
        )
        self.provider_latency = Histogram(
            "fluxbot_provider_request_seconds",
            "Latency of requests to providers",
            ["provider", "operation"],
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60),
            registry=r,
        )
        self.provider_errors = Counter(
            "fluxbot_provider_errors",
            "Failed provider requests",
            ["provider", "operation", "kind"],
            registry=r,
        )
        self.polls = Counter("fluxbot_polls", "Status polls sent to providers", ["provider"], registry=r)
        self.rate_limited = Counter(
            "fluxbot_provider_rate_limited",
            "429/busy answers that paused a provider",
            ["provider"],
            registry=r,
        )
        self.callbacks = Counter(
            "fluxbot_callbacks", "Provider callbacks received", ["provider", "outcome"], registry=r
        )
        self.credits_charged = Counter(
            "fluxbot_credits_charged", "Credits charged to members", ["provider", "model"], registry=r
        )
        self.finished = Counter(
            "fluxbot_jobs_finished", "Jobs that reached a terminal state", ["state", "model"], registry=r
        )
        self.job_seconds = Histogram(
            "fluxbot_job_seconds",
            "Seconds from acceptance to delivery",
            ["model"],
            buckets=(5, 10, 20, 30, 60, 120, 300, 600, 1800),
            registry=r,
        )

        self.disk_bytes = Gauge(
            "fluxbot_disk_bytes",
            "Bytes of result and reference images beside the database (measured by the hourly sweep)",
            ["folder"],
            registry=r,
        )
        self.disk_free_bytes = Gauge(
            "fluxbot_disk_free_bytes", "Free bytes on the disk of the database's folder", registry=r
        )
        if self._free_bytes is not None:
            self.disk_free_bytes.set_function(self._free_bytes)

        self.provider_balance = Gauge(
            "fluxbot_provider_balance_credits",
            "The provider account's balance in credits (BFL: GET /v1/credits, every 15 minutes)",
            ["provider"],
            registry=r,
        )

    def read_free_space(self, free_bytes: Callable[[], float]) -> None:
        """`fluxbot_disk_free_bytes` is `free_bytes()` at each scrape, from now or from when the metrics
        are made."""
        self._free_bytes = free_bytes
        if "registry" in self.__dict__:
            self.disk_free_bytes.set_function(free_bytes)

    def count_unfinished(
        self, counts: Iterable[Unfinished], providers: Iterable[str], *, slots: bool
    ) -> None:
        """Set `fluxbot_jobs` from the store's counts of unfinished jobs (`JobRepository.unfinished_counts`);
        with `slots` (PostgreSQL: the queue is the store's) the queue and in-flight gauges too, for
        every provider named (0 where none)."""
        self.jobs.clear()
        by_state: Tally[tuple[str, str]] = Tally()
        waiting: Tally[str] = Tally({p: 0 for p in providers})
        holding: Tally[str] = Tally({p: 0 for p in providers})
        for c in counts:
            by_state[c.state, c.model] += c.n
            waiting[c.provider] += c.n if c.waiting else 0
            holding[c.provider] += c.n if c.holds_slot else 0
        for (state, model), n in by_state.items():
            self.jobs.labels(state, model).set(n)
        if slots:
            for provider in waiting:
                self.queue_length.labels(provider).set(waiting[provider])
                self.in_flight.labels(provider).set(holding[provider])

    def count_driven(self, providers: Iterable[str], driven: Iterable[str]) -> None:
        """`fluxbot_jobs_driven`: the provider of each job this process drives."""
        counts = Tally(driven)
        for provider in set(providers) | set(counts):
            self.driven.labels(provider).set(counts[provider])

    def render(self) -> bytes:
        from prometheus_client import generate_latest

        return generate_latest(self.registry)

    @staticmethod
    def content_type() -> str:
        """The Content-Type of what `render` returns."""
        from prometheus_client.exposition import CONTENT_TYPE_LATEST

        return CONTENT_TYPE_LATEST
