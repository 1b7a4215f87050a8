"""How jobs look on Discord: progress lines, result embeds, failure notes — within Discord's limits."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal

import discord

from bot.errors import typed
from bot.i18n import Text, credits, number, t
from bot.jobs.model import Job, JobState
from bot.jobs.sink import Progress
from bot.quota import remaining
from bot.settings import Limit
from bot.store.ledger import Usage

ZERO = Decimal(0)

#: Markdown that only counts at the start of a line (headings, quotes, lists) and `escape_markdown`
#: leaves alone.
_LINE_START_MARKUP = re.compile(r"(?m)^([ \t]*)(#|>)")
_NUMBERED_ITEM = re.compile(r"(?m)^([ \t]*\d+)\.")
_MASKED_LINK = re.compile(r"(?<!\\)\[(?=[^\]]*\]\()")
EMBED_DESCRIPTION_MAX = 4096
FIELD_VALUE_MAX = 1024
#: Option names shown with their own label (`option-<name>`) in the Details view; others as typed.
LABELLED_OPTIONS = frozenset(
    {
        "aspect_ratio",
        "image_strength",
        "output_format",
        "safety_tolerance",
        "finetune_id",
        "finetune_strength",
        "image_count",
    }
)
COLOUR = discord.Colour(0x5865F2)
#: Failure titles by the job's end state (`failure-<state>`); anything else is `failure-other`.
FAILURE_STATES = frozenset(
    {JobState.FAILED, JobState.MODERATED, JobState.TIMED_OUT, JobState.CANCELLED, JobState.UNDELIVERABLE}
)
#: Job error codes with a sentence of their own (`failure-reason-<code>`), for rows stored before
#: jobs kept their note (`error_note`, migration 0021); for other codes of such rows the stored
#: message is shown.
FAILURE_REASONS = frozenset(
    {
        "submit_unknown",
        "timeout",
        "not_found",
        "download",
        "not_an_image",
        "unreachable",
        "storage",
        "inputs_lost",
        "internal",
        "credit",
        "auth",
        "server",
        "network",
        "error",
        "no_provider",
    }
)


#: The icon before an unfinished job's state in `/jobs` (`/history` has its own for every state).
STATE_ICONS = {
    JobState.QUEUED: "⏳",
    JobState.SUBMITTING: "📨",
    JobState.RUNNING: "🎨",
    JobState.FETCHING: "📥",
    JobState.DELIVERING: "📥",
}


def state_label(language: str, state: JobState) -> str:
    return t(language, f"state-{state.value}")


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


def progress_text(job: Job, progress: Progress, language: str) -> str:
    """The reply while a job moves: queued (position), submitted, generating (elapsed, estimate, bar)."""
    head = f"**{plain(job.prompt, 200)}** · `{job.model}`"
    state = progress.state
    if state is JobState.QUEUED:
        if progress.queue_position:
            return f"{head}\n{t(language, 'progress-queued-at', position=progress.queue_position)}"
        return f"{head}\n{t(language, 'progress-queued')}"
    if state is JobState.SUBMITTING:
        return f"{head}\n{t(language, 'progress-sending')}"
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
        key = "progress-generating"
        if typical:
            key = "progress-generating-slow" if elapsed > typical * 1.5 else "progress-generating-estimate"
        line = t(language, key, bar=progress_bar(fraction), elapsed=round(elapsed), typical=round(typical))
        return f"{head}\n{line}"
    if state in (JobState.FETCHING, JobState.DELIVERING):
        return f"{head}\n{t(language, 'progress-finishing')}"
    return head


def result_embed(
    job: Job, requester_mention: str, language: str, *, note: str | None = None
) -> discord.Embed:
    embed = discord.Embed(description=plain(job.prompt, 1000), colour=COLOUR)
    embed.add_field(name=t(language, "result-model"), value=f"`{job.model}`", inline=True)
    if job.seed is not None:
        embed.add_field(name=t(language, "result-seed"), value=f"`{job.seed}`", inline=True)
    size = _size(job)
    if size:
        embed.add_field(name=t(language, "result-size"), value=size, inline=True)
    embed.add_field(
        name=t(language, "result-cost"),
        value=t(language, "credits-text", amount=job.cost or ZERO),
        inline=True,
    )
    took = _took(job, language)
    if took:
        embed.add_field(name=t(language, "result-time"), value=took, inline=True)
    embed.add_field(name=t(language, "result-requested-by"), value=requester_mention, inline=True)
    # What was done to the input (Expand's scaled-down source), then to the upload (fitting).
    notes = "\n".join(n for n in (stored_note(job.params.get("note"), language, 600), note) if n)
    if notes:
        embed.add_field(name=t(language, "result-note"), value=shorten(notes, FIELD_VALUE_MAX), inline=False)
    # The footer's `job <id> ` is how a repeat hand-over finds the post (delivery._earlier_post):
    # it stays as it is in every language.
    embed.set_footer(text=f"job {job.id} · {job.provider}")  # i18n: fixed marker
    embed.timestamp = datetime.fromtimestamp(job.finished_at or job.updated_at, UTC)
    return embed


def batch_embed(
    slots: list[tuple[Job, bool]],
    requester_mention: str,
    batch_id: str,
    language: str,
    *,
    note: str | None = None,
) -> discord.Embed:
    """A batch's one embed: the prompt, and a line per image in order (arrived, failed, or coming).

    `slots`: each job of the batch and whether its image is in the message. The images themselves
    are the message's attachments, which Discord shows side by side.
    """
    first = slots[0][0]
    embed = discord.Embed(description=plain(first.prompt, 1000), colour=COLOUR)
    embed.add_field(name=t(language, "result-model"), value=f"`{first.model}`", inline=True)
    embed.add_field(name=t(language, "result-requested-by"), value=requester_mention, inline=True)
    lines = []
    for place, (job, arrived) in enumerate(slots, start=1):
        if arrived:
            cost = t(language, "credits-text", amount=job.cost or ZERO)
            if job.seed is not None:
                lines.append(
                    t(language, "batch-line-arrived-seed", place=place, seed=str(job.seed), cost=cost)
                )
            else:
                lines.append(t(language, "batch-line-arrived", place=place, cost=cost))
        elif job.state.terminal:
            key = f"failure-{job.state.value}" if job.state in FAILURE_STATES else "failure-other"
            charged = (
                t(language, "batch-line-charged", amount=job.cost)
                if job.cost
                else t(language, "batch-line-not-charged")
            )
            reason = failure_reason(job, language, 120)
            line = f"**{place}** ❌ {t(language, key)}. {reason} ({charged})"  # i18n: only the parts' order
            lines.append(line.replace(". (", " (").strip())
        else:
            lines.append(t(language, "batch-line-coming", place=place))
    embed.add_field(name=t(language, "batch-images"), value=join_within(lines, FIELD_VALUE_MAX), inline=False)
    if note:
        embed.add_field(name=t(language, "result-note"), value=shorten(note, FIELD_VALUE_MAX), inline=False)
    # The footer's `batch <id> ` is how a restart finds the post: it stays as it is in every language.
    embed.set_footer(text=f"batch {batch_id} · {first.provider}")  # i18n: fixed marker
    embed.timestamp = datetime.fromtimestamp(max(job.updated_at for job, _ in slots), UTC)
    return embed


def stored_note(value: object, language: str, limit: int) -> str | None:
    """A note stored as a catalogue key and arguments (`Text.stored`, as JSON or already read),
    rendered in `language`, its text arguments (a provider's words) escaped; an older row's plain
    sentence as it is; None when there is none."""
    data = value
    if isinstance(value, str):
        try:
            data = json.loads(value)
        except ValueError:  # written before notes were keys: the sentence as it was stored
            return shorten(value, limit) if value else None
    note = Text.from_stored(data)
    if note is None:
        return None
    args = {name: plain(v, 300, keep_code=True) if isinstance(v, str) else v for name, v in note.args.items()}
    return shorten(Text(note.key, args).render(language), limit)


def failure_reason(job: Job, language: str, limit: int) -> str:
    """Why a job ended without an image, in `language`: its stored note; on older rows the
    sentence of its code, else its stored (English) message."""
    if job.error_note:
        found = stored_note(job.error_note, language, limit)
        if found:
            return found
    if job.error_code in FAILURE_REASONS:
        return t(language, f"failure-reason-{job.error_code}")
    return plain(job.error_message or "", limit, keep_code=True)


def failure_text(job: Job, language: str) -> str:
    key = f"failure-{job.state.value}" if job.state in FAILURE_STATES else "failure-other"
    title = t(language, key)
    charged = (
        t(language, "failure-charged", amount=job.cost) if job.cost else t(language, "failure-not-charged")
    )
    reason = failure_reason(job, language, 600)
    return f"**{plain(job.prompt, 200)}** · `{job.model}`\n❌ {title}. {reason} {charged}".strip()


def _size(job: Job) -> str | None:
    if job.width and job.height:
        return f"{job.width}×{job.height}"
    options = job.params.get("options", {})
    return options.get("size") or options.get("aspect_ratio")


def _took(job: Job, language: str) -> str | None:
    if job.ready_at and job.created_at:
        return t(language, "result-seconds", seconds=number(language, job.ready_at - job.created_at))
    return None


def shown_prompt(prompt: str, limit: int, language: str) -> str:
    """A prompt as `plain` shows it, or a note that it was deleted (RETENTION_DAYS, an erasure)."""
    return plain(prompt, limit) if prompt else t(language, "prompt-deleted")


def details_embed(job: Job, language: str) -> discord.Embed:
    """Every parameter of a job, for the Details button (ephemeral). No tokens, no image bytes."""
    embed = discord.Embed(
        title=t(language, "details-title", job=job.id),
        description=shown_prompt(job.prompt, EMBED_DESCRIPTION_MAX, language),
        colour=COLOUR,
    )
    embed.add_field(name=t(language, "details-state"), value=state_label(language, job.state), inline=True)
    embed.add_field(name=t(language, "result-model"), value=f"`{job.model}`", inline=True)
    embed.add_field(name=t(language, "details-provider"), value=job.provider, inline=True)
    seed = f"`{job.seed}`" if job.seed is not None else t(language, "details-random")
    embed.add_field(name=t(language, "result-seed"), value=seed, inline=True)
    embed.add_field(
        name=t(language, "result-size"), value=_size(job) or t(language, "details-default"), inline=True
    )
    cost = (
        t(language, "credits-text", amount=job.cost)
        if job.cost is not None
        else t(language, "details-estimate", amount=job.estimate)
    )
    embed.add_field(name=t(language, "result-cost"), value=cost, inline=True)
    options = job.params.get("options", {})
    lines = [
        f"{_option_label(language, name)}: `{typed(value, 200)}`"
        for name, value in sorted(options.items())
        if name != "prompt" and value not in (None, "", [])
    ]
    if lines:
        embed.add_field(
            name=t(language, "details-options"),
            value=shorten("\n".join(lines), FIELD_VALUE_MAX),
            inline=False,
        )
    asked = discord.utils.format_dt(datetime.fromtimestamp(job.created_at, UTC), "T")
    times = [t(language, "details-asked", when=asked)]
    if job.ready_at and job.created_at:
        times.append(t(language, "details-took", seconds=number(language, job.ready_at - job.created_at)))
    embed.add_field(name=t(language, "result-time"), value=", ".join(times), inline=False)
    embed.add_field(name=t(language, "result-requested-by"), value=f"<@{job.user_id}>", inline=True)
    if job.parent_job_id:
        embed.add_field(
            name=t(language, "details-made-from"),
            value=t(language, "details-made-from-job", job=job.parent_job_id),
            inline=True,
        )
    if job.provider_job_id:
        embed.add_field(
            name=t(language, "details-provider-job"),
            value=f"`{shorten(job.provider_job_id, 100)}`",
            inline=True,
        )
    if job.error_message or job.error_note:
        embed.add_field(
            name=t(language, "details-error"),
            value=failure_reason(job, language, FIELD_VALUE_MAX)
            if job.error_note
            else plain(job.error_message or "", FIELD_VALUE_MAX, keep_code=True),
            inline=False,
        )
    return embed


def _option_label(language: str, name: str) -> str:
    return t(language, f"option-{name}") if name in LABELLED_OPTIONS else name.replace("_", " ")


def jobs_embed(member: str, jobs: list[tuple[Job, int | None]], language: str) -> discord.Embed:
    """`/jobs`: the member's unfinished jobs, numbered as the Cancel buttons are."""
    embed = discord.Embed(title=t(language, "jobs-title"), colour=COLOUR)
    if not jobs:
        embed.description = t(language, "jobs-none", member=member)
        return embed
    lines = []
    for number_, (job, position) in enumerate(jobs, start=1):
        state = f"{STATE_ICONS.get(job.state, '•')} {state_label(language, job.state)}"
        if job.state is JobState.QUEUED and position:
            state = t(language, "jobs-position", state=state, position=position)
        lines.append(f"**{number_}.** {state} · `{job.model}` · {plain(job.prompt, 80)}")
    embed.description = join_within(lines, EMBED_DESCRIPTION_MAX)
    embed.set_footer(text=t(language, "jobs-footer"))
    return embed


#: The colour of the quota and admin embeds.
COLOUR = discord.Colour(0x5865F2)


def usage_fields(
    embed: discord.Embed, usage: Usage, limit: Limit, language: str, *, budget_label: bool = False
) -> None:
    """Used, held, the limit (or the server's budget) with its grants, and what remains."""
    embed.add_field(
        name=t(language, "usage-used"), value=t(language, "credits-text", amount=usage.used), inline=True
    )
    embed.add_field(
        name=t(language, "usage-held"), value=t(language, "credits-text", amount=usage.held), inline=True
    )
    value = (
        t(language, "usage-limit-granted", limit=credits(language, limit), granted=usage.granted)
        if usage.granted
        else credits(language, limit)
    )
    embed.add_field(
        name=t(language, "usage-budget" if budget_label else "usage-limit"), value=value, inline=True
    )
    embed.add_field(
        name=t(language, "usage-remaining"), value=credits(language, remaining(limit, usage)), inline=True
    )
