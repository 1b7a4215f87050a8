"""Intake: a planned job becomes a stored, queued job with its quota held — or nothing at all.

The member's queue check, the job's row and its hold are one atomic store unit
(`bot.store.units.store_new_job`), so concurrent commands can never together exceed a limit.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.encoding import as_base64, in_image_thread
from bot.images import reference_pixels
from bot.jobs.model import Job, JobState, Origin
from bot.jobs.plan import JobPlan
from bot.providers.base import ProviderRequest
from bot.providers.catalog import IMAGE_FIELDS, megapixel_price, megapixels, output_megapixels
from bot.quota import QuotaService
from bot.store import errors as store_errors
from bot.store.db import Database
from bot.store.deliveries import Delivery
from bot.store.files import InputImage, StoredInput
from bot.store.jobs import JobRepository
from bot.store.retention import DiskAlmostFull, FreeSpace
from bot.store.units import HoldRefused, store_new_job

log = logging.getLogger(__name__)


def new_job_id() -> str:
    """16 hex characters: short enough for a button's custom_id, too many to guess."""
    return secrets.token_hex(8)


@dataclass(slots=True)
class NewJob:
    """Everything needed to accept a job."""

    id: str | None
    origin: Origin
    provider: str
    model: str
    prompt: str
    request: ProviderRequest
    options: dict[str, Any]
    user_id: int
    guild_id: int | None = None
    channel_id: int | None = None
    role_ids: tuple[int, ...] = ()
    parent_job_id: str | None = None
    #: Where a Discord job's answer goes; stored with the job, opaque to the core.
    delivery: Delivery | None = None
    enforce_quota: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_plan(
        cls, plan: JobPlan, *, origin: Origin, user_id: int, id: str | None = None, **details: Any
    ) -> NewJob:
        """The job for a validated plan; `details` are the other fields (guild_id, channel_id, ...)."""
        return cls(
            id=id,
            origin=origin,
            provider=plan.provider,
            model=plan.spec.id,
            prompt=plan.prompt,
            request=plan.request,
            options=plan.options.public(),
            user_id=user_id,
            **details,
        )


def disk_refused(job: Job, exc: BaseException) -> DiskAlmostFull:
    """A full or read-only disk the free-space floor did not see coming: the member gets the floor's
    plain sentence (nothing was held), the operator one line."""
    log.warning("refusing job %s: the disk refused storing it (%s); nothing was held", job.id, exc)
    return DiskAlmostFull()


class Intake:
    def __init__(
        self,
        db: Database,
        jobs: JobRepository,
        quota: QuotaService,
        *,
        max_queued_per_user: int,
        max_active_per_user: Callable[[], int],
        space: FreeSpace | None = None,
    ) -> None:
        self.db = db
        self.jobs = jobs
        self.quota = quota
        self.max_queued_per_user = max_queued_per_user
        self.max_active_per_user = max_active_per_user  # the fair queue's, which may be changed
        self.space = space  # the free-space floor new jobs must clear (MIN_FREE_DISK_MB)

    async def accept(self, new: NewJob) -> Job:
        """Check the member's queue, hold the job's estimated cost, store it as queued.

        Raises `QueueFull`, `QuotaExceeded` or `DiskAlmostFull` (user-facing, nothing spent).
        """
        if self.space is not None:
            self.space.check()
        now = time.time()
        # Request fields that carry images are kept out of the stored params, in `job_inputs` instead.
        encoded = [(n, new.request.body[n]) for n in IMAGE_FIELDS if isinstance(new.request.body.get(n), str)]
        # Megabytes of base64, kept as they will be sent (bot/encoding.py): only checked, in a worker
        # thread, a slice at a time, so commands are still acknowledged at once.
        images = [InputImage(name, await in_image_thread(as_base64, text)) for name, text in encoded]
        job = await self._job(new, now, [text for _, text in encoded])
        hold = await self.quota.prepare_hold(job, role_ids=new.role_ids, enforce=new.enforce_quota)
        queue_limit = self.max_active_per_user() + self.max_queued_per_user if new.enforce_quota else None
        # The queue check, the job and the hold: one atomic unit, group-committed with the other
        # commands of the moment (one hop to the store for all of them; `Database.atomic`).
        # The images go to their files first (written and flushed in a worker thread, off the GIL;
        # bot/store/files.py), so the committed row never names a file that is not there.
        stored: list[StoredInput] = []
        try:
            stored = await self.jobs.input_files.write(job.id, images)
            delivery = dataclasses.replace(new.delivery, job_id=job.id) if new.delivery else None
            await self.db.atomic(store_new_job, job, stored, queue_limit, hold, delivery)
        except Exception as exc:
            # Not committed (`Database.atomic`'s contract): no row names the files. (Cancelled while
            # waiting, it may have committed or not: the next sweep removes them if not.)
            with contextlib.suppress(OSError):  # a read-only folder: the sweep removes them later
                await self.jobs.input_files.discard(stored)
            if isinstance(exc, HoldRefused):
                raise await self.quota.why_refused(hold) from None
            if store_errors.refused_by_disk(exc):
                raise disk_refused(job, exc) from None
            raise
        log.info("job %s: accepted (%s on %s, estimate %s)", job.id, job.model, job.provider, job.estimate)
        return job

    async def _job(self, new: NewJob, now: float, references: list[str]) -> Job:
        """The job's row as it will be stored: params without images, its estimate, a callback token."""
        body = {k: v for k, v in new.request.body.items() if k not in IMAGE_FIELDS}
        params = {
            "options": new.options,
            "endpoint": new.request.endpoint,
            "host": new.request.host,
            "body": body,
            **new.extra,
        }
        size = (
            body.get("size")
            or (f"{body['width']}x{body['height']}" if body.get("width") and body.get("height") else None)
            or body.get("aspect_ratio")
        )
        pixels = None
        if megapixel_price(new.model, new.provider) is not None:
            # Priced by the megapixel (FLUX.2): the output's and each reference's, read from headers.
            inputs = [megapixels(await in_image_thread(reference_pixels, text)) for text in references]
            pixels = (output_megapixels(body, inputs), sum(inputs, start=megapixels(0)))
        estimate = await self.quota.estimate(new.provider, new.model, size, megapixels=pixels)
        return Job(
            id=new.id or new_job_id(),
            seq=0,
            state=JobState.QUEUED,
            origin=new.origin,
            provider=new.provider,
            model=new.model,
            prompt=new.prompt,
            params=params,
            user_id=new.user_id,
            guild_id=new.guild_id,
            channel_id=new.channel_id,
            estimate=estimate,
            created_at=now,
            updated_at=now,
            parent_job_id=new.parent_job_id,
            callback_token=secrets.token_urlsafe(24),
            width=body.get("width"),
            height=body.get("height"),
            seed=body.get("seed"),
        )
