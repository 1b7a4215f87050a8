"""How jobs look on Discord: progress lines, result embeds, failure notes — within Discord's limits."""

from __future__ import annotations

from datetime import UTC, datetime

import discord

from bot.jobs.manager import Progress
from bot.jobs.model import Job, JobState
from bot.quota import format_credits

EMBED_DESCRIPTION_MAX = 4096
FIELD_VALUE_MAX = 1024
COLOUR = discord.Colour(0x5865F2)

FAILURE_TITLES = {
    JobState.FAILED: "The image could not be made",
    JobState.MODERATED: "Blocked by the provider's safety filter",
    JobState.TIMED_OUT: "Timed out",
    JobState.CANCELLED: "Cancelled",
    JobState.UNDELIVERABLE: "Could not be posted",
}


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def progress_bar(fraction: float, width: int = 12) -> str:
    fraction = max(0.0, min(1.0, fraction))
    filled = round(fraction * width)
    return "▰" * filled + "▱" * (width - filled)


def progress_text(job: Job, progress: Progress) -> str:
    head = f"**{shorten(job.prompt, 200)}** · `{job.model}`"
    state = progress.state
    if state is JobState.QUEUED:
        where = f" (position {progress.queue_position})" if progress.queue_position else ""
        return f"{head}\n⏳ Queued{where}"
    if state is JobState.SUBMITTING:
        return f"{head}\n📨 Sending to the provider…"
    if state is JobState.RUNNING:
        elapsed = progress.elapsed or 0.0
        typical = progress.typical or 0.0
        fraction = (
            progress.fraction
            if progress.fraction is not None
            else (min(0.95, elapsed / typical) if typical else 0.0)
        )
        estimate = f" of ~{typical:.0f}s" if typical else ""
        return f"{head}\n🎨 Generating {progress_bar(fraction)} {elapsed:.0f}s{estimate}"
    if state in (JobState.FETCHING, JobState.DELIVERING):
        return f"{head}\n📥 Finishing…"
    return head


def result_embed(job: Job, requester_mention: str, *, note: str | None = None) -> discord.Embed:
    embed = discord.Embed(description=shorten(job.prompt, 1000), colour=COLOUR)
    embed.add_field(name="Model", value=f"`{job.model}`", inline=True)
    if job.seed is not None:
        embed.add_field(name="Seed", value=f"`{job.seed}`", inline=True)
    size = _size(job)
    if size:
        embed.add_field(name="Size", value=size, inline=True)
    embed.add_field(name="Cost", value=f"{format_credits(job.cost)} credits", inline=True)
    took = _took(job)
    if took:
        embed.add_field(name="Time", value=took, inline=True)
    embed.add_field(name="Requested by", value=requester_mention, inline=True)
    if note:
        embed.add_field(name="Note", value=shorten(note, FIELD_VALUE_MAX), inline=False)
    embed.set_footer(text=f"job {job.id} · {job.provider}")
    embed.timestamp = datetime.fromtimestamp(job.finished_at or job.updated_at, UTC)
    return embed


def failure_text(job: Job) -> str:
    title = FAILURE_TITLES.get(job.state, "Failed")
    charged = (
        f"You were charged {format_credits(job.cost)} credits: the provider billed this job."
        if job.cost
        else "Nothing was charged."
    )
    reason = job.error_message or ""
    return f"**{shorten(job.prompt, 200)}** · `{job.model}`\n❌ {title}. {reason} {charged}".strip()


def _size(job: Job) -> str | None:
    if job.width and job.height:
        return f"{job.width}×{job.height}"
    options = job.params.get("options", {})
    return options.get("size") or options.get("aspect_ratio")


def _took(job: Job) -> str | None:
    if job.ready_at and job.created_at:
        return f"{job.ready_at - job.created_at:.1f}s"
    return None
