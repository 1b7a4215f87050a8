"""Each model's finishing window, learned from the store and cached: what polling and members go by."""

from __future__ import annotations

import asyncio
import time

from bot.jobs.model import Job
from bot.jobs.polling import Durations, PollPolicy, learn_durations
from bot.providers.base import Provider
from bot.providers.catalog import MODELS
from bot.store.jobs import JobRepository

#: Seconds a model's finishing window is cached: learned from history, or guessed without enough.
LEARNED_WINDOW_TTL = 60.0
GUESSED_WINDOW_TTL = 5.0


class FinishWindows:
    def __init__(self, jobs: JobRepository, providers: dict[str, Provider], policy: PollPolicy) -> None:
        self.jobs = jobs
        self.providers = providers
        self.policy = policy
        self._cache: dict[tuple[str, str], tuple[Durations, float]] = {}
        self._loading: dict[tuple[str, str], asyncio.Future[Durations]] = {}

    async def durations(self, job: Job) -> Durations:
        """The model's finishing window, learned from the store (cached for a minute).

        One query per model at a time: with hundreds of jobs in flight, every one of them asks when
        the cache runs out, and a query each (behind one another on the read connection) kept it
        busy for whole seconds, in front of commands' reads (benchmarks/ack_latency.py). Callers
        that arrive while it runs wait for that one.
        """
        if self.policy.typical_override is not None:
            return Durations.around(self.policy.typical_override, self.policy)
        key = (job.provider, job.model)
        cached = self._cache.get(key)
        if cached and cached[1] > time.monotonic():
            return cached[0]
        loading = self._loading.get(key)
        if loading is None:
            loading = asyncio.ensure_future(self._learn(job.provider, job.model))
            self._loading[key] = loading
            loading.add_done_callback(lambda _: self._loading.pop(key, None))
        # Shielded: a caller cancelled meanwhile does not cancel the query the others wait for.
        return await asyncio.shield(loading)

    async def typical(self, job: Job) -> float:
        return (await self.durations(job)).typical

    async def _learn(self, provider_name: str, model: str) -> Durations:
        spec = MODELS.get(model)
        provider = self.providers.get(provider_name)
        hint = provider.typical_seconds(model) if provider else None
        default = hint if hint is not None else (spec.typical_seconds if spec else 15.0)
        value = learn_durations(await self.jobs.recent_durations(provider_name, model), default, self.policy)
        # A guess (too few finished jobs yet) is re-checked within seconds, so a new bot polls on
        # the learned window as soon as it has one; a learned window is kept for a minute.
        ttl = LEARNED_WINDOW_TTL if value.samples >= self.policy.min_samples else GUESSED_WINDOW_TTL
        self._cache[(provider_name, model)] = (value, time.monotonic() + ttl)
        return value
