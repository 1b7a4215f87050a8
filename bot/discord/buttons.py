"""Buttons that never die: `DynamicItem`s whose custom_id carries a job id and nothing else.

Every button is registered with `bot.add_dynamic_items(...)` in `setup_hook`, so a button under a
result posted before a restart still works: its state is loaded from the store by id. Each click
is acknowledged (deferred, or answered from memory) before any I/O. Errors in a callback do not go
through the command tree (discord.py only logs them), so each callback routes them to the same
mapping as the tree handler: `handle_interaction_error`.

    fluxbot:reroll:<job>   same settings, new seed
    fluxbot:edit:<job>     a modal asks for an instruction → a Kontext job with this image as input
    fluxbot:vary:<job>     an Ultra remix of this image (image prompt)
    fluxbot:remix:<job>    a modal with the prompt filled in → the same settings with the new prompt
    fluxbot:batch:<job>    (under a batch, naming its first job) the whole batch again, new seeds
    fluxbot:details:<job>  every parameter, ephemerally
    fluxbot:delete:<job>   the requester or members with Manage Messages (message and stored file)
    fluxbot:cancel:<job>   (under /jobs) cancel a queued job at no cost
    fluxbot:zoom15:<job>, fluxbot:zoom2:<job>   Expand this image 1.5× or 2× (equal on all sides)
    fluxbot:panleft:<job>, panright, panup, pandown   Expand it by half its width or height on one side

The Zoom and pan buttons are shown only under results of a provider that serves Expand (BFL, or
the mock), on their own rows below the others.

A custom_id under `fluxbot:` that matches none of these (forged, or from an older version) gets a
clear ephemeral answer instead of Discord's "This interaction failed".
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import secrets
from pathlib import Path
from typing import Any, ClassVar, cast

import discord

from bot import guild_policy
from bot.discord import start
from bot.discord.context import BotContext
from bot.discord.language import locale_of
from bot.discord.options import model_offered
from bot.discord.preferences import defer_for_button
from bot.discord.references import REFERENCE_FORM, submit_reference
from bot.discord.render import details_embed, jobs_embed, plain
from bot.discord.replies import handle_interaction_error
from bot.encoding import in_image_thread
from bot.errors import InvalidInput, NotAllowed, NotFound
from bot.i18n import t, text
from bot.image_tools import Pan, fit_expansion
from bot.images import prepare_reference
from bot.jobs.model import Job, JobState
from bot.jobs.plan import MAX_PROMPT_CHARS, JobPlan, plan_job
from bot.providers.catalog import EXPAND_MODEL, MODELS
from bot.store.deliveries import Deliveries
from bot.store.retention import delete_result_image

log = logging.getLogger(__name__)

JOB_ID = r"(?P<job>[0-9a-f]{16})"
EDIT_MODEL = "flux-kontext-pro"
VARY_MODEL = "flux-pro-1.1-ultra"
ZOOM_ACTIONS = ("zoom15", "zoom2", "panleft", "panright", "panup", "pandown")
ACTIONS = ("reroll", "edit", "vary", "remix", "batch", "details", "delete", "cancel", *ZOOM_ACTIONS)
#: The Edit form's custom_id: the image's job and the member the form was shown to.
EDIT_FORM = re.compile(r"fluxbot-modal:edit:" + JOB_ID + r":(?P<member>[0-9]{1,20})")
#: The Remix form's custom_id, likewise.
REMIX_FORM = re.compile(r"fluxbot-modal:remix:" + JOB_ID + r":(?P<member>[0-9]{1,20})")
#: Any fluxbot custom_id that is not exactly one of ours: answered as unknown.
UNKNOWN_TEMPLATE = r"fluxbot:(?!(?:" + "|".join(ACTIONS) + r"):[0-9a-f]{16}\Z).*"


def _bot(interaction: discord.Interaction) -> BotContext:
    return cast(BotContext, interaction.client)


def model_available(bot: BotContext, model: str) -> bool:
    return model_offered(bot, model)


async def planning(bot: BotContext, interaction: discord.Interaction, model: str) -> dict[str, Any]:
    """The same planning inputs, and the same guild rules (channels, models, safety, quota), as the
    slash commands. Called after deferring: it reads the store."""
    return start.planning(bot) | await guild_policy.check(bot.services, interaction, model)


async def load_job(bot: BotContext, job_id: str) -> Job:
    job = await bot.services.jobs.get(job_id)
    if job is None:
        raise NotFound(text("button-unknown-job"))
    return job


def require_kept(bot: BotContext, job: Job, what: str) -> None:
    """A purged job (older than RETENTION_DAYS, or its member's data erased) has no prompt or images.

    `what`: `rerolled` or `varied` (`button-purged-<what>`).
    """
    if job.purged_at is not None:
        days = bot.services.settings.retention_days
        raise NotFound(text(f"button-purged-{what}", days=days))


async def result_image(job: Job, message: discord.Message | None) -> str:
    """The finished image as a base64 reference: the saved file, else the attachment on the message."""
    data = await result_bytes(job, message)
    return await in_image_thread(prepare_reference, data, "image")


async def result_bytes(job: Job, message: discord.Message | None) -> bytes:
    """The finished image's bytes: the saved file, else the attachment on the message."""
    data: bytes | None = None
    if job.result_path:
        path = Path(job.result_path)
        try:
            data = await asyncio.to_thread(path.read_bytes)
        except OSError:
            data = None
    if data is None and message is not None and message.attachments:
        # Under a batch, the attachment named after the job (`fluxbot-<job>.png`).
        mine = [a for a in message.attachments if a.filename.startswith(f"fluxbot-{job.id}")]
        try:
            data = await (mine or message.attachments)[0].read()
        except discord.HTTPException:
            data = None
    if data is None:
        raise NotFound(text("button-image-gone"))
    return data


def _require_model(bot: BotContext, model: str, what: str) -> None:
    """`what`: `edit` or `vary` (`button-model-missing-<what>`)."""
    if not model_available(bot, model):
        raise NotAllowed(text(f"button-model-missing-{what}", model=model))


async def _start(
    bot: BotContext, interaction: discord.Interaction, plan: JobPlan, parent: Job, *, private: bool
) -> None:
    # The one path every new job takes (quota hold included).
    await start.start_job(bot, interaction, plan, parent_job_id=parent.id, private=private)


def reroll_plan(
    bot: BotContext, job: Job, images: list[str], inputs: dict[str, Any], *, mask: str | None = None
) -> JobPlan:
    skipped = ("prompt", "image_count", "seed", "mask")
    options = {k: v for k, v in job.params.get("options", {}).items() if k not in skipped}
    seed = secrets.randbelow(2**32)
    if seed == job.seed:
        seed = (seed + 1) % 2**32
    explicit = {**options, "model": job.model, "seed": seed}
    provider = job.provider if job.provider in bot.services.providers else None
    return plan_job(job.prompt, explicit, images=images, mask=mask, provider=provider, **inputs)


# -- the items ------------------------------------------------------------------------------------


class JobButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"fluxbot:base:" + JOB_ID):
    """A button about one job. Subclasses set the template, the look, and `run`."""

    action: ClassVar[str] = "base"
    #: The label's catalogue key (`button-<action>`); the label is written in the job's language.
    emoji: ClassVar[str | None] = None
    #: What the button does, for `/help` (which lists every registered button with a label).
    #: Listed by `/help` with its label (`button-<action>`) and what it does (`button-<action>-summary`).
    summarised: ClassVar[bool] = False
    style: ClassVar[discord.ButtonStyle] = discord.ButtonStyle.secondary

    def __init__(self, job_id: str, *, label: str | None = None, row: int | None = None) -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                emoji=self.emoji,
                style=self.style,
                custom_id=f"fluxbot:{self.action}:{job_id}",
            ),
            row=row,
        )
        self.job_id = job_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> JobButton:
        # No I/O here: discord.py swallows errors raised in this hook.
        return cls(match["job"], label=getattr(item, "label", None))

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            await self.run(interaction)
        except Exception as error:
            await handle_interaction_error(interaction, error)

    async def run(self, interaction: discord.Interaction) -> None:
        raise NotImplementedError


class RerollButton(JobButton, template=r"fluxbot:reroll:" + JOB_ID):
    action = "reroll"
    emoji = "🎲"
    summarised = True

    async def run(self, interaction: discord.Interaction) -> None:
        bot = _bot(interaction)
        private = await defer_for_button(bot.services, interaction)
        job = await load_job(bot, self.job_id)
        images, mask = await references_to_reroll(bot, job, interaction.user.id)
        inputs = await planning(bot, interaction, job.model)
        await _start(bot, interaction, reroll_plan(bot, job, images, inputs, mask=mask), job, private=private)


def reference_count(job: Job) -> int:
    return int(job.params.get("options", {}).get("image_count") or 0)


def require_own_references(job: Job, member_id: int) -> None:
    """Reference images are their uploader's: the bot never posted them, so only the member who
    attached them may reroll with them (issue 17, finding 18). Others have Vary and Edit, which
    start from the posted image."""
    if reference_count(job) and job.user_id != member_id:
        raise NotAllowed(text("button-reroll-not-yours", member=f"<@{job.user_id}>"))


async def references_to_reroll(bot: BotContext, job: Job, member_id: int) -> tuple[list[str], str | None]:
    """The stored reference images of `job` and Fill's mask, for a reroll by `member_id`: refused
    when the job's result was deleted or its references are another member's."""
    require_kept(bot, job, "rerolled")
    require_own_references(job, member_id)
    stored = await bot.services.jobs.inputs(job.id)
    images = [image.base64.text() for image in stored if image.field != "mask"]
    mask = next((image.base64.text() for image in stored if image.field == "mask"), None)
    return images, mask


class EditButton(JobButton, template=r"fluxbot:edit:" + JOB_ID):
    action = "edit"
    emoji = "✏️"
    summarised = True

    async def run(self, interaction: discord.Interaction) -> None:
        _require_model(_bot(interaction), EDIT_MODEL, "edit")
        form = EditModal(self.job_id, interaction.user.id, await locale_of(interaction))
        await interaction.response.send_modal(form)
        form.stop()  # its submit is handled from the custom_id alone (`form_submitted`), not by this object


class EditModal(discord.ui.Modal):
    """The Edit form, in the member's language. Its custom_id names the image's job and the member
    it was shown to, so two members editing the same image each have their own (discord.py keeps
    one modal per custom_id) and a form opened before a restart, or left open for long, still works."""

    def __init__(self, job_id: str, member_id: int, language: str) -> None:
        super().__init__(
            title=t(language, "edit-form-title"),
            custom_id=f"fluxbot-modal:edit:{job_id}:{member_id}",
            timeout=None,
        )
        self.instruction: discord.ui.TextInput[EditModal] = discord.ui.TextInput(
            label=t(language, "edit-form-label"),
            style=discord.TextStyle.paragraph,
            placeholder=t(language, "edit-form-placeholder"),
            min_length=1,
            max_length=1000,
            custom_id="instruction",
        )
        self.add_item(self.instruction)


async def form_submitted(interaction: discord.Interaction) -> None:
    """Every submitted `fluxbot-modal:` form (a client listener): the Edit form, or a clear answer."""
    if interaction.type is not discord.InteractionType.modal_submit:
        return
    data: dict[str, Any] = dict(interaction.data or {})
    custom_id = str(data.get("custom_id", ""))
    if not custom_id.startswith("fluxbot-modal:"):
        return
    try:
        if match := EDIT_FORM.fullmatch(custom_id):
            await submit_edit(interaction, match["job"], int(match["member"]))
        elif match := REMIX_FORM.fullmatch(custom_id):
            await submit_remix(interaction, match["job"], int(match["member"]))
        elif match := REFERENCE_FORM.fullmatch(custom_id):
            prompt = submitted_value(interaction, "prompt")
            await submit_reference(
                interaction, match["action"], int(match["message"]), int(match["member"]), prompt
            )
        else:
            raise NotFound(text("button-unknown-form"))
    except Exception as error:
        await handle_interaction_error(interaction, error)


async def submit_edit(interaction: discord.Interaction, job_id: str, member_id: int) -> None:
    # From this submit itself, before any await: nothing else can change what is read.
    instruction = submitted_value(interaction, "instruction")
    if interaction.user.id != member_id:
        raise NotAllowed(text("edit-form-not-yours"))
    bot = _bot(interaction)
    private = await defer_for_button(bot.services, interaction)
    job = await load_job(bot, job_id)
    image = await result_image(job, interaction.message)
    inputs = await planning(bot, interaction, EDIT_MODEL)
    plan = plan_job(instruction, {"model": EDIT_MODEL}, images=[image], **inputs)
    await _start(bot, interaction, plan, job, private=private)  # charged to interaction.user: who submitted


def submitted_value(interaction: discord.Interaction, custom_id: str) -> str:
    """A text input's value as this modal submit carries it (rows or labels, however nested)."""
    pending: list[Any] = [dict(interaction.data or {})]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            if node.get("custom_id") == custom_id and isinstance(node.get("value"), str):
                return str(node["value"])
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    raise InvalidInput(text("edit-form-empty"))


class RemixButton(JobButton, template=r"fluxbot:remix:" + JOB_ID):
    action = "remix"
    emoji = "🎛️"
    summarised = True

    async def run(self, interaction: discord.Interaction) -> None:
        bot = _bot(interaction)
        # The form shows the prompt, so the job is read first (one indexed read; the form is the
        # interaction's first answer and cannot follow a defer).
        job = await load_job(bot, self.job_id)
        require_kept(bot, job, "remixed")
        require_own_references(job, interaction.user.id)
        form = RemixModal(job.id, interaction.user.id, job.prompt, await locale_of(interaction))
        await interaction.response.send_modal(form)
        form.stop()  # handled from the custom_id alone (`form_submitted`)


class RemixModal(discord.ui.Modal):
    """The Remix form, in the member's language: the prompt, filled in; every other setting of the
    job is kept."""

    def __init__(self, job_id: str, member_id: int, prompt: str, language: str) -> None:
        super().__init__(
            title=t(language, "remix-form-title"),
            custom_id=f"fluxbot-modal:remix:{job_id}:{member_id}",
            timeout=None,
        )
        self.prompt: discord.ui.TextInput[RemixModal] = discord.ui.TextInput(
            label=t(language, "remix-form-label"),
            style=discord.TextStyle.paragraph,
            default=prompt[:MAX_PROMPT_CHARS],
            min_length=1,
            max_length=MAX_PROMPT_CHARS,
            custom_id="prompt",
        )
        self.add_item(self.prompt)


def remix_plan(bot: BotContext, job: Job, prompt: str, images: list[str], inputs: dict[str, Any]) -> JobPlan:
    """The job's settings (seed and model included) under what the new prompt's flags say."""
    kept = {
        k: v for k, v in job.params.get("options", {}).items() if k not in ("prompt", "image_count", "model")
    }
    if job.seed is not None:
        kept["seed"] = job.seed
    if kept.get("safety_tolerance") is not None:
        kept["safety_tolerance"] = min(kept["safety_tolerance"], inputs.get("max_safety_tolerance", 2))
    provider = job.provider if job.provider in bot.services.providers else None
    planning = {**inputs, "default_model": job.model, "defaults": kept}
    return plan_job(prompt, {}, images=images, provider=provider, **planning)


async def submit_remix(interaction: discord.Interaction, job_id: str, member_id: int) -> None:
    prompt = submitted_value(interaction, "prompt")
    if interaction.user.id != member_id:
        raise NotAllowed(text("remix-form-not-yours"))
    bot = _bot(interaction)
    private = await defer_for_button(bot.services, interaction)
    job = await load_job(bot, job_id)
    require_kept(bot, job, "remixed")
    require_own_references(job, interaction.user.id)
    images = [image.base64.text() for image in await bot.services.jobs.inputs(job.id)]
    inputs = await planning(bot, interaction, job.model)
    await _start(bot, interaction, remix_plan(bot, job, prompt, images, inputs), job, private=private)


async def batch_jobs(bot: BotContext, job: Job) -> list[Job]:
    """The jobs of the batch `job` is in, in order; just `job` when it is not in one."""
    deliveries = Deliveries(bot.services.db)
    delivery = await deliveries.get(job.id)
    if delivery is None or not delivery.batch_id:
        return [job]
    found = []
    for member in await deliveries.batch(delivery.batch_id):
        other = job if member.job_id == job.id else await bot.services.jobs.get(member.job_id)
        if other is not None:
            found.append(other)
    return found


class BatchRerollButton(JobButton, template=r"fluxbot:batch:" + JOB_ID):
    """Under a batch: the whole batch again (as many images, the same settings, new seeds)."""

    action = "batch"
    emoji = "🎲"
    summarised = True

    async def run(self, interaction: discord.Interaction) -> None:
        bot = _bot(interaction)
        private = await defer_for_button(bot.services, interaction)
        first = await load_job(bot, self.job_id)
        jobs = await batch_jobs(bot, first)
        plans = []
        inputs = await planning(bot, interaction, first.model)
        for job in jobs:  # a batch comes from /imagine: references, never a mask
            images, mask = await references_to_reroll(bot, job, interaction.user.id)
            plans.append(reroll_plan(bot, job, images, inputs, mask=mask))
        await start.start_batch(bot, interaction, plans, parent_job_id=first.id, private=private)


class VaryButton(JobButton, template=r"fluxbot:vary:" + JOB_ID):
    action = "vary"
    emoji = "🔀"
    summarised = True

    async def run(self, interaction: discord.Interaction) -> None:
        bot = _bot(interaction)
        _require_model(bot, VARY_MODEL, "vary")
        private = await defer_for_button(bot.services, interaction)
        job = await load_job(bot, self.job_id)
        require_kept(bot, job, "varied")
        image = await result_image(job, interaction.message)
        options = job.params.get("options", {})
        explicit = {
            "model": VARY_MODEL,
            "aspect_ratio": options.get("aspect_ratio"),
            "output_format": options.get("output_format"),
        }
        inputs = await planning(bot, interaction, VARY_MODEL)
        plan = plan_job(job.prompt, explicit, images=[image], **inputs)
        await _start(bot, interaction, plan, job, private=private)


class DetailsButton(JobButton, template=r"fluxbot:details:" + JOB_ID):
    action = "details"
    emoji = "ℹ️"
    summarised = True

    async def run(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        job = await load_job(_bot(interaction), self.job_id)
        language = await locale_of(interaction)
        await interaction.followup.send(embed=details_embed(job, language), ephemeral=True)


class DeleteButton(JobButton, template=r"fluxbot:delete:" + JOB_ID):
    action = "delete"
    emoji = "🗑️"
    style = discord.ButtonStyle.danger
    summarised = True

    async def run(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        bot = _bot(interaction)
        job = await load_job(bot, self.job_id)
        allowed = job.user_id == interaction.user.id or interaction.permissions.manage_messages
        if not allowed:
            raise NotAllowed(text("button-delete-not-yours"))
        if interaction.message is not None:
            try:
                await interaction.message.delete()
            except discord.NotFound:
                pass
            except discord.Forbidden:
                raise NotAllowed(text("button-delete-forbidden")) from None
        for shown in await batch_jobs(bot, job):  # a batch's message holds all of its images
            await delete_result_image(bot.services.jobs, shown)
        log.info("job %s: result deleted by %s", job.id, interaction.user.id)
        await interaction.followup.send(t(await locale_of(interaction), "button-deleted"), ephemeral=True)


class CancelButton(JobButton, template=r"fluxbot:cancel:" + JOB_ID):
    action = "cancel"
    style = discord.ButtonStyle.danger
    summarised = True

    async def run(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer()  # an update of the /jobs message, refreshed below
        bot = _bot(interaction)
        job = await load_job(bot, self.job_id)
        if job.user_id != interaction.user.id:
            raise NotAllowed(text("cancel-not-yours"))
        if job.state is not JobState.QUEUED:
            raise InvalidInput(
                text("cancel-started")
                if not job.state.terminal
                else text("cancel-over", state=text(f"state-{job.state.value}"))
            )
        cancelled = await bot.services.manager.cancel(job.id, interaction.user.id)
        if cancelled is None:
            raise InvalidInput(text("cancel-just-started"))
        language = await locale_of(interaction)
        if interaction.message is not None and interaction.message.flags.ephemeral:
            embed, view = await jobs_listing(bot, interaction.user.id, language)
            with contextlib.suppress(discord.HTTPException):
                await interaction.edit_original_response(embed=embed, view=view)
        await interaction.followup.send(
            t(language, "cancel-done", prompt=plain(job.prompt, 100)), ephemeral=True
        )


def expand_offered(provider: str) -> bool:
    """Whether results of this provider get the Zoom and pan buttons: it serves Expand (or is the mock)."""
    return provider == "mock" or provider in MODELS[EXPAND_MODEL].routes


class ExpandButton(JobButton, template=r"fluxbot:expand-base:" + JOB_ID):
    """Zoom out or pan: Expand run on this result, on the provider that made it, with its prompt."""

    zoom: ClassVar[float | None] = None
    pan: ClassVar[Pan | None] = None

    async def run(self, interaction: discord.Interaction) -> None:
        bot = _bot(interaction)
        _require_model(bot, EXPAND_MODEL, "expand")
        private = await defer_for_button(bot.services, interaction)  # under a private result: private
        job = await load_job(bot, self.job_id)
        require_kept(bot, job, "expanded")
        data = await result_bytes(job, interaction.message)
        expansion = await in_image_thread(fit_expansion, data, "image", zoom=self.zoom, pan=self.pan)
        options = job.params.get("options", {})
        explicit = {"model": EXPAND_MODEL, "output_format": options.get("output_format"), **expansion.sides()}
        inputs = await planning(bot, interaction, EXPAND_MODEL)
        provider = job.provider if job.provider in bot.services.providers else None
        plan = plan_job(job.prompt, explicit, images=[expansion.image], provider=provider, **inputs)
        await start.start_job(
            bot, interaction, plan, parent_job_id=job.id, private=private, note=expansion.note
        )


class Zoom15Button(ExpandButton, template=r"fluxbot:zoom15:" + JOB_ID):
    action = "zoom15"
    emoji = "🔍"
    summarised = True
    zoom = 1.5


class Zoom2Button(ExpandButton, template=r"fluxbot:zoom2:" + JOB_ID):
    action = "zoom2"
    emoji = "🔍"
    summarised = True
    zoom = 2.0


class PanLeftButton(ExpandButton, template=r"fluxbot:panleft:" + JOB_ID):
    action = "panleft"
    summarised = True
    pan = "left"


class PanRightButton(ExpandButton, template=r"fluxbot:panright:" + JOB_ID):
    action = "panright"
    summarised = True
    pan = "right"


class PanUpButton(ExpandButton, template=r"fluxbot:panup:" + JOB_ID):
    action = "panup"
    summarised = True
    pan = "up"


class PanDownButton(ExpandButton, template=r"fluxbot:pandown:" + JOB_ID):
    action = "pandown"
    summarised = True
    pan = "down"


#: The Zoom and pan buttons, in the order shown: zooms on one row, the four pans on the next.
ZOOM_BUTTONS: tuple[type[ExpandButton], ...] = (Zoom15Button, Zoom2Button)
PAN_BUTTONS: tuple[type[ExpandButton], ...] = (PanLeftButton, PanRightButton, PanUpButton, PanDownButton)


class UnknownButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=UNKNOWN_TEMPLATE):
    """A fluxbot custom_id we do not know: say so (answered from memory), spend nothing."""

    def __init__(self, custom_id: str) -> None:
        super().__init__(discord.ui.Button(label="?", custom_id=custom_id))  # i18n: never shown

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> UnknownButton:
        return cls(match.group(0))

    async def callback(self, interaction: discord.Interaction) -> None:
        known = getattr(interaction.client, "dynamic_item_types", ())
        if any(
            item is not UnknownButton and item.__discord_ui_compiled_template__.fullmatch(self.custom_id)
            for item in known
        ):
            return  # another item (e.g. a cog's paging button) owns this id
        log.info("unknown button %r pressed by %s", self.custom_id[:100], interaction.user.id)
        try:
            await interaction.response.send_message(
                t(await locale_of(interaction), "button-unknown"), ephemeral=True
            )
        except discord.HTTPException as error:
            await handle_interaction_error(interaction, error)


DYNAMIC_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (
    RerollButton,
    EditButton,
    VaryButton,
    DetailsButton,
    DeleteButton,
    CancelButton,
    *ZOOM_BUTTONS,
    *PAN_BUTTONS,
    RemixButton,
    BatchRerollButton,
    UnknownButton,
)


def button_label(language: str, item: type[JobButton]) -> str:
    """A button's label in `language` (the label a button gets under a result in that language)."""
    return t(language, f"button-{item.action}")


def button_summary(language: str, item: type[JobButton]) -> str:
    """What a button does, for `/help`."""
    return t(language, f"button-{item.action}-summary")


def result_view(job: Job, language: str) -> discord.ui.View:
    """The buttons under a finished image, labelled in the job's language."""
    return _result_view(job.id, bool(reference_count(job)), expand_offered(job.provider), language)


def _result_view(job_id: str, own_references: bool, expands: bool, language: str) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    # Whose images a Reroll reuses, on the button itself: the requester's (only they may press it).
    reroll = "button-reroll-own-references" if own_references else "button-reroll"
    view.add_item(RerollButton(job_id, label=t(language, reroll)))
    for button in (EditButton, VaryButton, DetailsButton, DeleteButton):
        view.add_item(button(job_id, label=t(language, f"button-{button.action}")))
    if expands:
        _add_zoom_buttons(view, job_id, language, first_row=1)
    view.add_item(RemixButton(job_id, label=button_label(language, RemixButton)))  # the first row with room
    return view


class ResultButtons(discord.ui.View):
    """`result_view`'s buttons as they go to Discord, from components made once per language and
    shape (`_result_components`) and given the job's id: what a worker sends under each image,
    without making 12 `DynamicItem`s and a `View` of them per delivery (~0.13 ms of a worker's CPU
    per job, benchmarks/pg_finish_cost.py).

    It holds no items, so discord.py keeps nothing of it once sent (`is_finished`): the buttons are
    answered from their custom_id by the `DYNAMIC_ITEMS` the gateway registers, whichever process
    posted them, as for `result_view`'s (whose view discord.py keeps only to learn those patterns).
    """

    def __init__(self, components: list[dict[str, Any]]) -> None:
        super().__init__(timeout=None)
        self._components = components

    def to_components(self) -> list[dict[str, Any]]:
        return self._components

    def is_finished(self) -> bool:
        return True  # nothing to listen for: DynamicItems are dispatched by their custom_id


#: A stand-in job id for `_result_components`' templates (the same for every job: 16 hex digits).
_TEMPLATE_ID = "0" * 16
#: The components under a result, by (language, Reroll reuses references, Expand offered).
_RESULT_COMPONENTS: dict[tuple[str, bool, bool], list[dict[str, Any]]] = {}


def _result_components(language: str, own_references: bool, expands: bool) -> list[dict[str, Any]]:
    key = (language, own_references, expands)
    components = _RESULT_COMPONENTS.get(key)
    if components is None:
        components = _RESULT_COMPONENTS[key] = _result_view(_TEMPLATE_ID, *key[1:], language).to_components()
    return components


def result_buttons(job: Job, language: str) -> discord.ui.View:
    """The buttons under a finished image (`result_view`'s, the same components) for `DiscordSink`."""
    suffix = ":" + _TEMPLATE_ID
    rows = _result_components(language, bool(reference_count(job)), expand_offered(job.provider))
    return ResultButtons(
        [
            {
                **row,
                "components": [
                    {**button, "custom_id": button["custom_id"].removesuffix(suffix) + ":" + job.id}
                    for button in row["components"]
                ],
            }
            for row in rows
        ]
    )


def add_zoom_buttons(view: discord.ui.View, job: Job, language: str, *, first_row: int = 1) -> None:
    """Zoom out 1.5× and 2× on one row, ⬅ ➡ ⬆ ⬇ on the next: only when the job's provider serves Expand."""
    if expand_offered(job.provider):
        _add_zoom_buttons(view, job.id, language, first_row=first_row)


def _add_zoom_buttons(view: discord.ui.View, job_id: str, language: str, *, first_row: int) -> None:
    for row, buttons in ((first_row, ZOOM_BUTTONS), (first_row + 1, PAN_BUTTONS)):
        for button in buttons:
            view.add_item(button(job_id, label=button_label(language, button), row=row))


#: The buttons each image of a batch gets, on its own row (Discord: 5 rows of at most 5).
BATCH_IMAGE_BUTTONS: list[type[JobButton]] = [VaryButton, EditButton, RemixButton, DetailsButton]


def batch_view(arrived: list[tuple[int, Job]], language: str) -> discord.ui.View:
    """Under a batch: Reroll all and Delete all on the first row, then a row per image that arrived
    ("Vary 2" acts on the second image). At most 4 images: 5 rows. Labelled in the job's language."""
    view = discord.ui.View(timeout=None)
    first = arrived[0][1]
    view.add_item(BatchRerollButton(first.id, label=button_label(language, BatchRerollButton), row=0))
    view.add_item(DeleteButton(first.id, label=t(language, "button-delete-all"), row=0))
    for place, job in arrived:
        for button in BATCH_IMAGE_BUTTONS:
            label = t(language, "button-numbered", label=button_label(language, button), number=place)
            view.add_item(button(job.id, label=label, row=place))
        if expand_offered(job.provider):  # the fifth: zoom out of this image (Expand)
            zoom = ZOOM_BUTTONS[-1]
            label = t(language, "button-numbered", label=button_label(language, zoom), number=place)
            view.add_item(zoom(job.id, label=label, row=place))
    return view


def jobs_view(jobs: list[Job], language: str) -> discord.ui.View | None:
    """`/jobs`: a Cancel button for each queued job, numbered as in the list."""
    view = discord.ui.View(timeout=None)
    for number, job in enumerate(jobs, start=1):
        if job.state is JobState.QUEUED and len(view.children) < 25:
            view.add_item(CancelButton(job.id, label=t(language, "button-cancel-numbered", number=number)))
    return view if view.children else None


async def jobs_listing(
    bot: BotContext, user_id: int, language: str
) -> tuple[discord.Embed, discord.ui.View | None]:
    """The member's unfinished jobs (oldest first), with queue positions, and Cancel buttons.

    From the job manager's memory on SQLite: no I/O, so `/jobs` (and a Cancel in its list) answers
    at once. On PostgreSQL the queue is shared by every process: one indexed read of the store.
    """
    jobs: list[Job] = await bot.services.manager.member_jobs(user_id)
    listed = [(job, job.queue_position) for job in jobs]
    return jobs_embed(f"<@{user_id}>", listed, language), jobs_view(jobs, language)


__all__ = [
    "DYNAMIC_ITEMS",
    "batch_view",
    "form_submitted",
    "jobs_embed",
    "jobs_listing",
    "jobs_view",
    "result_buttons",
    "result_view",
]
