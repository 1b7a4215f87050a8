"""The one path every new job from Discord takes: plan inputs, then hold, queue and show its place.

Below the cogs: `/imagine`, `/edit`, `/finetune` and the buttons (Reroll, Edit, Vary) all start
their jobs here, so the quota hold, the reply's tracking and the job's Discord coordinates are
the same for each. So are the operators' gates, checked before anything is held: the owners'
pause and blocks (`/owner`), and the server's prompt rules (`/admin rules`), which see the prompt,
a Remix's new prompt and an Edit's instruction alike.
"""

from __future__ import annotations

import secrets
from typing import Any

import discord

from bot.discord.context import BotContext
from bot.discord.language import locale_of
from bot.discord.permissions import role_ids_of
from bot.discord.render import plain
from bot.errors import NotAllowed
from bot.i18n import Text, text
from bot.jobs.intake import NewJob, new_job_id
from bot.jobs.model import Origin
from bot.jobs.plan import JobPlan
from bot.prompt_rules import first_match
from bot.store.deliveries import Delivery
from bot.store.operator import Gates


def planning(bot: BotContext) -> dict[str, Any]:
    """The bot-wide inputs `plan_job` needs besides what the member typed."""
    settings = bot.services.settings
    return {
        "default_model": settings.default_model,
        "available": list(bot.services.providers),
        "preferred": settings.preferred_provider(),
        "max_safety_tolerance": settings.max_safety_tolerance,
        "disabled": settings.disabled_models,
    }


async def start_job(
    bot: BotContext,
    interaction: discord.Interaction,
    plan: JobPlan,
    *,
    parent_job_id: str | None = None,
    private: bool = False,
    note: Text | None = None,
    gates: Gates | None = None,
) -> None:
    """Hold the quota, queue the job and show its place in the queue in the (deferred) reply.

    `private`: the result is shown only to the member (the reply was deferred ephemerally).
    `note`: what was done to the member's input (Expand's scaled-down source), shown with the result.
    `gates`: the operators' gates when the command read them already (with the member's preset,
    `Preferences.gates`); else they are read here.
    """
    await operator_gates(bot, interaction, plan.prompt, gates)
    job_id = new_job_id()
    language = await locale_of(interaction)  # the job speaks it to the end, restarts included
    # Where its answer goes, stored with the job.
    delivery = bot.sink.track_id(job_id, interaction, language, private=private)
    try:
        await submit(bot, interaction, plan, job_id, delivery, parent_job_id, note)
    except BaseException:
        bot.sink.forget_id(job_id)
        raise


async def submit(
    bot: BotContext,
    interaction: discord.Interaction,
    plan: JobPlan,
    job_id: str,
    delivery: Delivery,
    parent_job_id: str | None,
    note: Text | None = None,
) -> None:
    """One planned job handed to the core with the interaction's coordinates and its delivery."""
    await bot.services.manager.submit(
        NewJob.from_plan(
            plan,
            id=job_id,
            origin=Origin.DISCORD,
            user_id=interaction.user.id,
            guild_id=interaction.guild_id,
            channel_id=interaction.channel_id,
            role_ids=role_ids_of(interaction.user),
            parent_job_id=parent_job_id,
            delivery=delivery,
            extra={"note": note.stored()} if note else {},
        )
    )


async def start_batch(
    bot: BotContext,
    interaction: discord.Interaction,
    plans: list[JobPlan],
    *,
    parent_job_id: str | None = None,
    private: bool = False,
    gates: Gates | None = None,
) -> None:
    """A batch: one job per plan (each its own quota hold, each charged only if its image arrives),
    shown together in the interaction's one reply (`DiscordSink`: the batch's message).

    All or none are accepted: when one is refused (the quota ran out half way), those accepted
    before it are cancelled (nothing is charged for a cancelled job) and the refusal is raised.
    """
    if len(plans) == 1:
        await start_job(bot, interaction, plans[0], parent_job_id=parent_job_id, private=private, gates=gates)
        return
    await operator_gates(bot, interaction, plans[0].prompt, gates)
    services = bot.services
    batch_id = secrets.token_hex(8)
    language = await locale_of(interaction)
    accepted: list[str] = []
    for index, plan in enumerate(plans):
        job_id = new_job_id()
        delivery = bot.sink.track_id(
            job_id, interaction, language, private=private, batch=(batch_id, index, len(plans))
        )
        try:
            await submit(bot, interaction, plan, job_id, delivery, parent_job_id)
        except BaseException:
            bot.sink.forget_id(job_id)
            for earlier in accepted:
                bot.sink.forget_id(earlier)
                await services.manager.cancel(earlier, interaction.user.id)
            raise
        accepted.append(job_id)


def batch_seeds(count: int, seed: int | None) -> list[int]:
    """Different seeds for a batch: from the member's seed up, else random and distinct."""
    if seed is not None:
        return [(seed + i) % 2**32 for i in range(count)]
    seeds: list[int] = []
    while len(seeds) < count:
        candidate = secrets.randbelow(2**32)
        if candidate not in seeds:
            seeds.append(candidate)
    return seeds


async def operator_gates(
    bot: BotContext, interaction: discord.Interaction, prompt: str, gates: Gates | None = None
) -> None:
    """Refuse the job, privately, when the owners paused the bot or blocked the member or server,
    or when the prompt breaks one of the server's rules (recorded in its audit channel). `gates`:
    as the command read them (for this interaction; on PostgreSQL from the process's copy while
    it is current, `ControlsCache`); else read now."""
    if gates is None:
        gates = await bot.services.owner.gates(interaction.user.id, interaction.guild_id)
    pause = gates.pause
    if pause is not None:
        if pause.reason:
            raise NotAllowed(text("refusal-paused-reason", reason=plain(pause.reason, 300)))
        raise NotAllowed(text("refusal-paused"))
    block = gates.block
    if block is not None:
        key = "refusal-blocked-member" if block.kind == "member" else "refusal-blocked-guild"
        raise NotAllowed(text(key))
    rule = first_match(gates.rules, [prompt])
    if rule is not None:
        await bot.audit.record(
            interaction.guild_id,
            text(
                "audit-rule-refused",
                member=interaction.user.mention,
                rule=rule,
                channel=f"<#{interaction.channel_id}>" if interaction.channel_id else "?",
            ),
        )
        raise NotAllowed(text("refusal-rule", rule=rule))
