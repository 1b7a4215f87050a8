"""The Discord side of a job: progress edits, the posted result, failure notes.

The job manager calls this through the `JobSink` interface and knows nothing of discord.py.
While the member's interaction token is valid (15 minutes) the reply is edited in place; after
that, or after a restart once the token has expired, the result is posted as a channel message
that mentions the member.
"""

from __future__ import annotations

import io
import logging
import time
from typing import Any

import discord

from bot.discord.render import failure_text, progress_text, result_embed
from bot.jobs.manager import Progress, Undeliverable
from bot.jobs.model import Job, JobState
from bot.store.jobs import JobRepository

log = logging.getLogger(__name__)

#: Interaction tokens live 15 minutes; stop using one a little before.
TOKEN_LIFETIME = 14.5 * 60
#: At most one progress edit per job this often (state changes still go out at once).
PROGRESS_INTERVAL = 3.0


class DiscordSink:
    def __init__(self, client: discord.Client, jobs: JobRepository) -> None:
        self.client = client
        self.jobs = jobs
        self._live: dict[str, discord.Interaction] = {}
        self._last_edit: dict[str, tuple[float, JobState]] = {}

    def track_id(self, job_id: str, interaction: discord.Interaction) -> None:
        """Remember the interaction that asks for a job, to edit its reply while the token is valid.

        Called before the job is accepted, so that the very first progress update finds it.
        """
        self._live[job_id] = interaction

    def forget_id(self, job_id: str) -> None:
        self._live.pop(job_id, None)
        self._last_edit.pop(job_id, None)

    # -- JobSink ----------------------------------------------------------------------------------

    async def job_updated(self, job: Job, progress: Progress) -> None:
        now = time.monotonic()
        last = self._last_edit.get(job.id)
        if last is not None and last[1] is progress.state and now - last[0] < PROGRESS_INTERVAL:
            return
        self._last_edit[job.id] = (now, progress.state)
        await self._edit_reply(job, content=progress_text(job, progress))

    async def deliver(self, job: Job, image: bytes) -> int | None:
        member = f"<@{job.user_id}>"
        embed = result_embed(job, member)
        filename = f"fluxbot-{job.id}{_suffix(job)}"
        message = await self._edit_reply(
            job, content="", embed=embed, attachments=[discord.File(io.BytesIO(image), filename)]
        )
        if message is None:
            message = await self._post_in_channel(
                job,
                content=f"{member} your image is ready.",
                embed=embed,
                file=discord.File(io.BytesIO(image), filename),
            )
        self._forget(job)
        return message.id

    async def job_failed(self, job: Job) -> None:
        text = failure_text(job)
        message = await self._edit_reply(job, content=text)
        if message is None and job.state is not JobState.CANCELLED:
            try:
                await self._post_in_channel(job, content=f"<@{job.user_id}> {text}")
            except Undeliverable:
                log.info("job %s: could not tell the member it failed", job.id)
        self._forget(job)

    # -- helpers ----------------------------------------------------------------------------------

    def _forget(self, job: Job) -> None:
        self.forget_id(job.id)

    def _token_valid(self, job: Job) -> bool:
        interaction = self._live.get(job.id)
        if interaction is not None:
            return not interaction.is_expired()
        created = job.interaction_created_at
        return bool(job.interaction_token and created and time.time() - created < TOKEN_LIFETIME)

    async def _edit_reply(self, job: Job, **fields: Any) -> discord.Message | None:
        """Edit the member's reply; None when the token is gone (expired, restarted) or refused."""
        if not self._token_valid(job):
            return None
        try:
            interaction = self._live.get(job.id)
            if interaction is not None:
                message = await interaction.edit_original_response(**fields)
                if job.response_message_id != message.id:
                    await self.jobs.update(job, response_message_id=message.id)
                return message
            if job.response_message_id is None or job.interaction_app_id is None:
                return None
            webhook = discord.Webhook.partial(
                job.interaction_app_id, job.interaction_token or "", client=self.client
            )
            return await webhook.edit_message(job.response_message_id, **fields)
        except discord.NotFound:
            return None  # the reply was deleted, or the token expired early
        except discord.HTTPException as exc:
            log.warning("job %s: editing the reply failed: %s", job.id, exc)
            return None

    async def _post_in_channel(self, job: Job, **fields: Any) -> discord.Message:
        if job.channel_id is None:
            raise Undeliverable("the job has no channel")
        channel = self.client.get_partial_messageable(job.channel_id)
        try:
            return await channel.send(
                allowed_mentions=discord.AllowedMentions(users=True, everyone=False, roles=False),
                **fields,
            )
        except (discord.Forbidden, discord.NotFound) as exc:
            raise Undeliverable(f"cannot post in channel {job.channel_id}: {exc.text or exc.status}") from exc


def _suffix(job: Job) -> str:
    if job.result_path and "." in job.result_path:
        return job.result_path[job.result_path.rfind(".") :]
    return ".png"
