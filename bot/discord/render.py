"""How jobs look on Discord: progress lines, result embeds, failure notes — within Discord's limits."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime

import discord

from bot.credits import format_credits
from bot.errors import typed
from bot.jobs.model import Job, JobState
from bot.jobs.sink import Progress
from bot.quota import remaining
from bot.settings import Limit
from bot.store.ledger import Usage

#: Markdown that only counts at the start of a line (headings, quotes, lists) and `escape_markdown`
#: leaves alone.
_LINE_START_MARKUP = re.compile(r"(?m)^([ \t]*)(#|>)")
_NUMBERED_ITEM = re.compile(r"(?m)^([ \t]*\d+)\.")
_MASKED_LINK = re.compile(r"(?<!\\)\[(?=[^\]]*\]\()")
EMBED_DESCRIPTION_MAX = 4096
FIELD_VALUE_MAX = 1024
#: Option names as members type them (slash options / flags), for the Details view.
OPTION_LABELS = {
    "aspect_ratio": "aspect ratio",
    "image_strength": "image strength",
    "output_format": "format",
    "safety_tolerance": "safety tolerance",
    "finetune_id": "finetune id",
    "finetune_strength": "finetune strength",
    "image_count": "reference images",
}
STATE_LABELS = {
    JobState.QUEUED: "⏳ queued",
    JobState.SUBMITTING: "📨 sending",
    JobState.RUNNING: "🎨 generating",
    JobState.FETCHING: "📥 finishing",
    JobState.DELIVERING: "📥 posting",
}
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


def plain(text: str, limit: int | None = None, *, keep_code: bool = False) -> str:
    """Text a member or a provider wrote, shown as typed wherever the bot shows it: no markdown
    (bold, masked links `[text](url)`, headings), no live mentions (`<@id>`, `@everyone`).

    The one escaping helper (prompts, names, provider messages); `limit` counts the escaped text,
    and a cut never leaves a lone backslash that would escape the ellipsis. `keep_code`: for the
    bot's own error sentences, which quote option names in `backticks` around a provider's words:
    only masked links and mentions are escaped.
    """
    if keep_code:
        escaped = discord.utils.escape_mentions(_MASKED_LINK.sub(r"\\[", text))
    else:
        escaped = discord.utils.escape_mentions(discord.utils.escape_markdown(text))
        escaped = _LINE_START_MARKUP.sub(r"\1\\\2", escaped)
        escaped = _NUMBERED_ITEM.sub(r"\1\\.", escaped)
    if limit is None or len(escaped) <= limit:
        return escaped
    cut = escaped[: limit - 1]
    trailing = len(cut) - len(cut.rstrip("\\"))
    return cut[: len(cut) - trailing % 2] + "…"


def join_within(items: Sequence[str], limit: int, separator: str = "\n") -> str:
    """As many items as fit in `limit` characters, then "… and N more": a list never breaks a reply.

    Discord refuses the whole message when one field passes its limit (DISCORD.md: field value
    1,024, description 4,096, content 2,000), so a long list of channels or jobs is cut here.
    """
    text = separator.join(items)
    if len(text) <= limit:
        return text
    shown: list[str] = []
    for count, item in enumerate(items):
        more = f"… and {len(items) - count} more"
        candidate = separator.join([*shown, item])
        rest = f"… and {len(items) - count - 1} more"
        if len(candidate) + len(separator) + len(rest) > limit:
            return separator.join([*shown, more])[:limit]
        shown.append(item)
    return separator.join(shown)  # pragma: no cover - the whole text fitted above


def progress_bar(fraction: float, width: int = 12) -> str:
    fraction = max(0.0, min(1.0, fraction))
    filled = round(fraction * width)
    return "▰" * filled + "▱" * (width - filled)


def progress_text(job: Job, progress: Progress) -> str:
    """The reply while a job moves: queued (position), submitted, generating (elapsed, estimate, bar)."""
    head = f"**{plain(job.prompt, 200)}** · `{job.model}`"
    state = progress.state
    if state is JobState.QUEUED:
        where = f" (position {progress.queue_position})" if progress.queue_position else ""
        return f"{head}\n⏳ Queued{where}"
    if state is JobState.SUBMITTING:
        return f"{head}\n📨 Sending to the provider…"
    if state is JobState.RUNNING:
        elapsed = progress.elapsed or 0.0
        typical = progress.typical or 0.0
        if progress.fraction is not None:
            fraction = progress.fraction
        elif typical:
            # Never show "done" before it is: the bar slows down near the estimate.
            fraction = min(0.95, elapsed / typical)
        else:
            fraction = 0.0
        estimate = f" of ~{typical:.0f}s" if typical else ""
        if typical and elapsed > typical * 1.5:
            estimate += ", taking longer than usual"
        return f"{head}\n🎨 Generating {progress_bar(fraction)} {elapsed:.0f}s{estimate}"
    if state in (JobState.FETCHING, JobState.DELIVERING):
        return f"{head}\n📥 Finishing…"
    return head


def result_embed(job: Job, requester_mention: str, *, note: str | None = None) -> discord.Embed:
    embed = discord.Embed(description=plain(job.prompt, 1000), colour=COLOUR)
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
    # What was done to the input (Expand's scaled-down source), then to the upload (fitting).
    notes = "\n".join(n for n in (job.params.get("note"), note) if n)
    if notes:
        embed.add_field(name="Note", value=shorten(notes, FIELD_VALUE_MAX), inline=False)
    embed.set_footer(text=f"job {job.id} · {job.provider}")
    embed.timestamp = datetime.fromtimestamp(job.finished_at or job.updated_at, UTC)
    return embed


def batch_embed(
    slots: list[tuple[Job, bool]], requester_mention: str, batch_id: str, *, note: str | None = None
) -> discord.Embed:
    """A batch's one embed: the prompt, and a line per image in order (arrived, failed, or coming).

    `slots`: each job of the batch and whether its image is in the message. The images themselves
    are the message's attachments, which Discord shows side by side.
    """
    first = slots[0][0]
    embed = discord.Embed(description=plain(first.prompt, 1000), colour=COLOUR)
    embed.add_field(name="Model", value=f"`{first.model}`", inline=True)
    embed.add_field(name="Requested by", value=requester_mention, inline=True)
    lines = []
    for place, (job, arrived) in enumerate(slots, start=1):
        if arrived:
            seed = f"seed `{job.seed}` · " if job.seed is not None else ""
            lines.append(f"**{place}** ✅ {seed}{format_credits(job.cost)} credits")
        elif job.state.terminal:
            charged = f"charged {format_credits(job.cost)} credits" if job.cost else "nothing charged"
            reason = plain(job.error_message or "", 120, keep_code=True)
            title = FAILURE_TITLES.get(job.state, "Failed")
            lines.append(f"**{place}** ❌ {title}. {reason} ({charged})".replace(". (", " (").strip())
        else:
            lines.append(f"**{place}** ⏳ on its way")
    embed.add_field(name="Images", value=join_within(lines, FIELD_VALUE_MAX), inline=False)
    if note:
        embed.add_field(name="Note", value=shorten(note, FIELD_VALUE_MAX), inline=False)
    embed.set_footer(text=f"batch {batch_id} · {first.provider}")  # what a restart looks for
    embed.timestamp = datetime.fromtimestamp(max(job.updated_at for job, _ in slots), UTC)
    return embed


def failure_text(job: Job) -> str:
    title = FAILURE_TITLES.get(job.state, "Failed")
    charged = (
        f"You were charged {format_credits(job.cost)} credits: the provider billed this job."
        if job.cost
        else "Nothing was charged."
    )
    reason = plain(job.error_message or "", 600, keep_code=True)
    return f"**{plain(job.prompt, 200)}** · `{job.model}`\n❌ {title}. {reason} {charged}".strip()


def _size(job: Job) -> str | None:
    if job.width and job.height:
        return f"{job.width}×{job.height}"
    options = job.params.get("options", {})
    return options.get("size") or options.get("aspect_ratio")


def _took(job: Job) -> str | None:
    if job.ready_at and job.created_at:
        return f"{job.ready_at - job.created_at:.1f}s"
    return None


#: Shown instead of a prompt deleted by RETENTION_DAYS or an erasure (stored as the empty string).
PROMPT_DELETED = "*(prompt deleted)*"


def shown_prompt(prompt: str, limit: int) -> str:
    """A prompt as `plain` shows it, or a note that it was deleted."""
    return plain(prompt, limit) if prompt else PROMPT_DELETED


def details_embed(job: Job) -> discord.Embed:
    """Every parameter of a job, for the Details button (ephemeral). No tokens, no image bytes."""
    embed = discord.Embed(
        title=f"Job {job.id}", description=shown_prompt(job.prompt, EMBED_DESCRIPTION_MAX), colour=COLOUR
    )
    embed.add_field(name="State", value=job.state.value, inline=True)
    embed.add_field(name="Model", value=f"`{job.model}`", inline=True)
    embed.add_field(name="Provider", value=job.provider, inline=True)
    embed.add_field(name="Seed", value=f"`{job.seed}`" if job.seed is not None else "random", inline=True)
    embed.add_field(name="Size", value=_size(job) or "default", inline=True)
    cost = (
        f"{format_credits(job.cost)} credits"
        if job.cost is not None
        else f"~{format_credits(job.estimate)} credits (estimate)"
    )
    embed.add_field(name="Cost", value=cost, inline=True)
    options = job.params.get("options", {})
    lines = [
        f"{OPTION_LABELS.get(name, name.replace('_', ' '))}: `{typed(value, 200)}`"
        for name, value in sorted(options.items())
        if name != "prompt" and value not in (None, "", [])
    ]
    if lines:
        embed.add_field(name="Options", value=shorten("\n".join(lines), FIELD_VALUE_MAX), inline=False)
    times = [f"asked {discord.utils.format_dt(datetime.fromtimestamp(job.created_at, UTC), 'T')}"]
    took = _took(job)
    if took:
        times.append(f"took {took}")
    embed.add_field(name="Time", value=", ".join(times), inline=False)
    embed.add_field(name="Requested by", value=f"<@{job.user_id}>", inline=True)
    if job.parent_job_id:
        embed.add_field(name="Made from", value=f"job `{job.parent_job_id}`", inline=True)
    if job.provider_job_id:
        embed.add_field(name="Provider job", value=f"`{shorten(job.provider_job_id, 100)}`", inline=True)
    if job.error_message:
        embed.add_field(
            name="Error", value=plain(job.error_message, FIELD_VALUE_MAX, keep_code=True), inline=False
        )
    return embed


def jobs_embed(member: str, jobs: list[tuple[Job, int | None]]) -> discord.Embed:
    """`/jobs`: the member's unfinished jobs, numbered as the Cancel buttons are."""
    embed = discord.Embed(title="Your jobs", colour=COLOUR)
    if not jobs:
        embed.description = f"{member}, you have no queued or running jobs."
        return embed
    lines = []
    for number, (job, position) in enumerate(jobs, start=1):
        state = STATE_LABELS.get(job.state, job.state.value)
        if job.state is JobState.QUEUED and position:
            state += f" (position {position})"
        lines.append(f"**{number}.** {state} · `{job.model}` · {plain(job.prompt, 80)}")
    embed.description = join_within(lines, EMBED_DESCRIPTION_MAX)
    embed.set_footer(text="Queued jobs can be cancelled at no cost; running ones finish.")
    return embed


#: The colour of the quota and admin embeds.
COLOUR = discord.Colour(0x5865F2)


def usage_fields(embed: discord.Embed, usage: Usage, limit: Limit, *, budget_label: bool = False) -> None:
    """Used, held, the limit (or the server's budget) with its grants, and what remains."""
    embed.add_field(name="Used", value=f"{format_credits(usage.used)} credits", inline=True)
    embed.add_field(name="Held", value=f"{format_credits(usage.held)} credits", inline=True)
    granted = f" (+{format_credits(usage.granted)} granted)" if usage.granted else ""
    embed.add_field(
        name="Budget" if budget_label else "Limit", value=format_credits(limit) + granted, inline=True
    )
    embed.add_field(name="Remaining", value=format_credits(remaining(limit, usage)), inline=True)
