"""Right-click on a message with an image (issue 18, item 8): **Edit with FLUX** and **Use as reference**.

The message context menu checks there is an image and that image commands work here, then asks for
the prompt in a form whose custom_id names what to do, the message and the member:

    fluxbot-modal:ref:edit:<message>:<member>      the image is /edit's first reference
    fluxbot-modal:ref:imagine:<message>:<member>   the image is /imagine's image prompt

On submit the message is read again from the channel (an attachment's link expires; nothing is kept
in memory), and the job starts as the slash command would: the member's `/settings`, the server's
rules, the quota hold (`bot.discord.start`).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, cast

import discord

from bot import guild_policy
from bot.discord.language import locale_of
from bot.discord.options import check_attachments, read_attachment
from bot.discord.preferences import start_preferences
from bot.discord.replies import defer_once, within_ack_window
from bot.discord.start import planning, start_job
from bot.errors import InvalidInput, NotAllowed, NotFound
from bot.i18n import t, text
from bot.jobs.plan import MAX_PROMPT_CHARS, plan_job

if TYPE_CHECKING:
    from bot.discord.context import BotContext

#: What each menu does: the models it takes, its own default model (None: the server's), the form.
ACTIONS: dict[str, dict[str, Any]] = {
    "edit": {"kinds": ("edit",), "default": "flux-kontext-pro", "title": "Edit with FLUX"},
    "imagine": {"kinds": ("generate", "edit"), "default": None, "title": "Use as reference"},
}
REFERENCE_FORM = re.compile(
    r"fluxbot-modal:ref:(?P<action>edit|imagine):(?P<message>[0-9]{1,20}):(?P<member>[0-9]{1,20})"
)
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp", ".gif", ".avif", ".heic", ".heif")


def image_of(message: discord.Message) -> discord.Attachment | None:
    """The message's first attached image (by Discord's content type, else by the file's name)."""
    for attachment in message.attachments:
        kind = (attachment.content_type or "").split(";")[0].strip().lower()
        if kind.startswith("image/") or (not kind and attachment.filename.lower().endswith(IMAGE_EXTENSIONS)):
            return attachment
    return None


class ReferenceModal(discord.ui.Modal):
    """The form, in the member's language (`reference-<action>-title|label|placeholder`)."""

    def __init__(self, action: str, message_id: int, member_id: int, language: str) -> None:
        super().__init__(
            title=t(language, f"reference-{action}-title"),
            custom_id=f"fluxbot-modal:ref:{action}:{message_id}:{member_id}",
            timeout=None,
        )
        self.prompt: discord.ui.TextInput[ReferenceModal] = discord.ui.TextInput(
            label=t(language, f"reference-{action}-label"),
            style=discord.TextStyle.paragraph,
            placeholder=t(language, f"reference-{action}-placeholder"),
            min_length=1,
            max_length=MAX_PROMPT_CHARS,
            custom_id="prompt",
        )
        self.add_item(self.prompt)


async def ask_for_prompt(
    bot: BotContext, interaction: discord.Interaction, message: discord.Message, action: str
) -> None:
    """The context menu itself: refuse privately what can be refused now, else show the form."""
    image = image_of(message)
    if image is None:
        raise InvalidInput(text("reference-no-image"))
    check_attachments({"image": image})
    # Channels, models, quota: the same rules as the slash command, before the form is shown.
    await guild_policy.check(bot.services, interaction, ACTIONS[action]["default"])
    form = ReferenceModal(action, message.id, interaction.user.id, await locale_of(interaction))
    await interaction.response.send_modal(form)
    form.stop()  # its submit is handled from the custom_id alone (`submit_reference`)


async def submit_reference(
    interaction: discord.Interaction, action: str, message_id: int, member_id: int, prompt: str
) -> None:
    if interaction.user.id != member_id:
        raise NotAllowed(text("reference-form-not-yours"))
    bot = cast("BotContext", interaction.client)
    services = bot.services
    spec = ACTIONS[action]
    prefs = await start_preferences(services, interaction, option=None, prompt=prompt, kinds=spec["kinds"])
    plan_inputs = planning(bot)
    if spec["default"] is not None:
        plan_inputs["default_model"] = spec["default"]
    plan_inputs |= await within_ack_window(
        interaction,
        guild_policy.check(services, interaction, prefs.model, default=spec["default"]),
        ephemeral=prefs.private,
    )
    plan_inputs |= prefs.planning(explicit_model=None)
    plan_job(prompt, {}, images=["AA=="], kinds=spec["kinds"], **plan_inputs)  # refused before anything
    await defer_once(interaction, thinking=True, ephemeral=prefs.private)
    image = await _image_again(interaction, message_id)
    reference = await read_attachment(image, "image")
    plan = plan_job(prompt, {}, images=[reference], kinds=spec["kinds"], **plan_inputs)
    await start_job(bot, interaction, plan, private=prefs.private, gates=prefs.gates)


async def _image_again(interaction: discord.Interaction, message_id: int) -> discord.Attachment:
    channel = interaction.channel
    if channel is None or not hasattr(channel, "fetch_message"):
        raise NotFound(text("reference-gone"))
    try:
        message = await channel.fetch_message(message_id)
    except (discord.NotFound, discord.Forbidden):
        raise NotFound(text("reference-gone")) from None
    image = image_of(message)
    if image is None:
        raise NotFound(text("reference-gone"))
    return image
