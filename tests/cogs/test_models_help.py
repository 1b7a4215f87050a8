"""`/models`, `/help` and `DISABLED_MODELS`, from the interaction to what the member reads."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import discord
import pytest

from bot.discord.buttons import JobButton, button_label
from bot.errors import InvalidInput, NotFound
from bot.flags import flag_help
from bot.providers.catalog import MODELS
from tests.conftest import CHANNEL_MESSAGE, acknowledged_with, finish_jobs, refusals
from tests.fakes.bfl import FakeBFL
from tests.fakes.ttapi import FakeTTAPI

#: Discord's limits for the embeds of one message.
EMBED_TOTAL, FIELDS, FIELD_VALUE, DESCRIPTION = 6000, 25, 1024, 4096


@pytest.fixture
def disabled() -> str:
    """Override with `@pytest.mark.parametrize("disabled", [...])`."""
    return ""


@pytest.fixture
def with_bfl() -> bool:
    """Override with `@pytest.mark.parametrize("with_bfl", [False])` for a TTAPI-only bot."""
    return True


@pytest.fixture
def settings_overrides(fake_bfl: FakeBFL, disabled: str, with_bfl: bool) -> dict[str, Any]:
    if not with_bfl:
        return {"disabled_models": disabled}
    return {
        "bfl_api_key": fake_bfl.api_key,
        "bfl_base_url": fake_bfl.url,
        "bfl_finetune_base_url": fake_bfl.url,
        "disabled_models": disabled,
    }


def within_limits(embeds: list[discord.Embed]) -> None:
    assert sum(len(e) for e in embeds) <= EMBED_TOTAL
    for embed in embeds:
        assert len(embed.fields) <= FIELDS
        assert len(embed.description or "") <= DESCRIPTION
        assert all(len(f.value or "") <= FIELD_VALUE and len(f.name or "") <= 256 for f in embed.fields)


def select_options(message: Any) -> list[dict[str, Any]]:
    for row in message.components:
        for component in row.get("components", []):
            if component.get("type") == discord.ComponentType.string_select.value:
                return [
                    {"value": o["value"], "label": o["label"], "default": bool(o.get("default"))}
                    for o in component["options"]
                ]
    return []


def reply(result: Any) -> Any:
    """The answer as it is now (a deferred answer comes as the first followup)."""
    return result.followups[0] if result.followups else result.response


async def all_pages(member: Any, result: Any) -> list[discord.Embed]:
    """The first page and every other one the select reaches (each edits the same answer)."""
    pages = [reply(result).embeds[0]]
    for option in select_options(reply(result))[1:]:
        chosen = await member.select(reply(result).message, [option["value"]])
        assert chosen.acknowledged
        pages.append(reply(result).embeds[0])
    return pages


async def test_models_lists_what_each_served_model_takes_and_costs(simcord_env, running, guild_setup):
    _, channel, alice = guild_setup

    result = await alice.slash(channel, "models")

    assert result.ephemeral
    pages = await all_pages(alice, result)
    within_limits([pages[0]])
    fields = {f.name: f.value for page in pages for f in page.fields}
    offered = [spec for spec in MODELS.values()]  # TTAPI and BFL: every model is served
    assert len(fields) == len(offered)
    pro = fields["FLUX.2 [pro] · `flux-2-pro`"]
    assert "**Served by:** TTAPI" in pro  # DEFAULT_PROVIDER unset: TTAPI, as its key is set
    assert "up to 4 reference images" in pro
    assert "width × height (256–1440 px, multiples of 32) or a ratio" in pro
    assert "about 3 credits held" in pro  # TTAPI publishes none: BFL's first megapixel
    assert "/imagine" in pro
    assert "/edit" in pro
    klein = fields["FLUX.2 [klein] 4B · `flux-2-klein-4b`"]
    assert "**Served by:** BFL" in klein
    assert "1.4 credits for the first megapixel, 0.1 per further megapixel of output or reference" in klein
    assert "64–4096 px, multiples of 16, at most 4 MP" in klein
    default = fields["FLUX1.1 [pro] · `flux-pro-1.1` (the server's default)"]
    assert "an image prompt" in default
    finetuned = fields["FLUX.1 [pro] finetuned · `flux-pro-finetuned`"]
    assert "**Commands:** /finetune" in finetuned
    assert "6 credits per image" in finetuned


@pytest.mark.parametrize("disabled", ["flux-dev, FLUX-2-MAX"])
async def test_disabled_models_are_hidden_everywhere_and_refused_by_name(
    simcord_env, running, guild_setup, fake_ttapi: FakeTTAPI, fake_bfl: FakeBFL, disabled
):
    guild, channel, alice = guild_setup
    tree = simcord_env.bot.tree
    for command in ("imagine", "edit"):
        (model,) = [o for o in tree.get_command(command).to_dict(tree)["options"] if o["name"] == "model"]
        values = [c["value"] for c in model["choices"]]
        assert "flux-2-max" not in values
        assert "flux-dev" not in values
    assert "flux-2-pro" in values

    listing = await alice.slash(channel, "models")
    names = " ".join(f.name for page in await all_pages(alice, listing) for f in page.fields)
    assert "flux-2-max" not in names
    assert "`flux-dev`" not in names
    assert "`flux-2-pro`" in names

    refused = await alice.slash(channel, "imagine", prompt="a cat --model flux-dev")
    edit = await alice.slash(channel, "edit", prompt="x --model flux-2-max", image=("a.png", _png()))

    for result, model in ((refused, "flux-dev"), (edit, "flux-2-max")):
        assert acknowledged_with(simcord_env, result) == CHANNEL_MESSAGE
        assert result.ephemeral
        assert f"`{model}` is switched off on this bot." in result.response.content
    assert [type(e) for e in refusals(simcord_env)] == [InvalidInput, InvalidInput]
    assert fake_ttapi.submits() == fake_bfl.submits() == []
    usage = await running.ledger.member_usage(guild.id, alice.id, running.quota.current_period())
    assert (usage.used, usage.held) == (Decimal(0), Decimal(0))


@pytest.mark.parametrize("disabled", ["flux-pro-1.1"])
async def test_the_admins_default_model_autocomplete_leaves_disabled_models_out(
    simcord_env, running, server, disabled
):
    offered = await server["mod"].autocomplete(
        server["channel"], "admin settings", "default_model", "flux-pro"
    )
    values = [c["value"] for c in offered]
    assert "flux-pro-1.1" not in values
    assert "flux-pro-1.1-ultra" in values


async def test_help_explains_every_command_flag_and_button_within_discords_limits(
    simcord_env, running, guild_setup
):
    _, channel, alice = guild_setup
    tree = simcord_env.bot.tree

    result = await alice.slash(channel, "help")

    assert acknowledged_with(simcord_env, result) == CHANNEL_MESSAGE
    assert result.ephemeral
    overview = result.response
    within_limits(overview.embeds)
    text = " ".join(f.value for f in overview.embeds[0].fields)
    commands = [
        c.name
        for c in tree.get_commands()
        if isinstance(c, discord.app_commands.Command | discord.app_commands.Group)
    ]
    assert {"imagine", "edit", "models", "help", "admin", "quota"} <= set(commands)
    for name in commands:
        assert f"`/{name}`" in text
    options = [o["value"] for o in select_options(overview)]
    assert options[:3] == ["overview", "flags", "buttons"]
    assert {f"cmd:{name}" for name in commands} <= set(options)

    await alice.select(overview.message, ["flags"])
    page = result.response.embeds[0]
    within_limits([page])
    shown = {f.name: f.value for f in page.fields}
    assert [flag for flag, _, _ in flag_help()] == list(shown)
    assert "`--ar 16:9`" in shown["--ar"]
    assert "1.5-10 (flux-2-flex)" in shown["--guidance"]  # /imagine's own description of the option

    await alice.select(result.response.message, ["buttons"])
    labels = [f.name for f in result.response.embeds[0].fields]
    registered = [
        f"{item.emoji or ''} {button_label('en-US', item)}".strip()
        for item in simcord_env.bot.dynamic_item_types
        if isinstance(item, type) and issubclass(item, JobButton) and item.summarised
    ]
    assert labels == registered  # every button, a later one included, with no edit to /help
    assert labels[:6] == ["🎲 Reroll", "✏️ Edit", "🔀 Vary", "ℹ️ Details", "🗑️ Delete", "Cancel"]


async def test_help_for_one_command_lists_its_options_with_an_example(simcord_env, running, guild_setup):
    _, channel, alice = guild_setup

    edit = await alice.slash(channel, "help", command="edit")

    embed = edit.response.embeds[0]
    within_limits([embed])
    assert embed.title == "/edit"
    assert "/edit prompt:" in embed.description
    fields = {f.name: f.value for f in embed.fields}
    assert "`image8`" in fields
    assert fields["`image` · required"].startswith("The image to edit")
    assert "`flux-2-pro`" in fields["`model`"]
    assert [o["value"] for o in select_options(edit.response) if o["default"]] == ["cmd:edit"]

    admin = await alice.slash(channel, "help", command="/admin")
    names = [f.name for f in admin.response.embeds[0].fields]
    assert "/admin quota limit" in names
    assert "/admin settings" in names

    offered = await alice.autocomplete(channel, "help", "command", "mo")
    assert [c["value"] for c in offered] == ["models"]

    unknown = await alice.slash(channel, "help", command="dance")
    assert unknown.ephemeral
    assert "There is no command `/dance` here." in unknown.response.content
    assert [type(e) for e in refusals(simcord_env)] == [NotFound]


@pytest.mark.parametrize("with_bfl", [False])
async def test_a_model_no_configured_provider_serves_is_refused_plainly(
    simcord_env, running, guild_setup, fake_ttapi, with_bfl
):
    """Only TTAPI is configured: klein is BFL's alone, and it is not even offered as a choice."""
    guild, channel, alice = guild_setup

    result = await alice.slash(channel, "imagine", prompt="a cat --model flux-2-klein-4b")

    assert acknowledged_with(simcord_env, result) == CHANNEL_MESSAGE
    assert (
        "`flux-2-klein-4b` is not available on this bot (its provider is not configured)."
        in result.response.content
    )
    assert [type(e) for e in refusals(simcord_env)] == [InvalidInput]
    assert fake_ttapi.submits() == []
    await finish_jobs(simcord_env, running)
    assert await running.jobs.for_user(alice.id) == []
    usage = await running.ledger.member_usage(guild.id, alice.id, running.quota.current_period())
    assert (usage.used, usage.held) == (Decimal(0), Decimal(0))
    tree = simcord_env.bot.tree
    (model,) = [o for o in tree.get_command("imagine").to_dict(tree)["options"] if o["name"] == "model"]
    assert "flux-2-klein-4b" not in [c["value"] for c in model["choices"]]
    assert "flux-2-pro" in [c["value"] for c in model["choices"]]


def _png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (32, 32), (9, 9, 9)).save(out, "PNG")
    return out.getvalue()


async def test_models_marks_the_servers_default_and_the_models_it_does_not_allow(
    simcord_env, running, server
):
    mod, channel = server["mod"], server["channel"]
    await mod.slash(
        channel, "admin settings", allowed_models="flux-2-pro, flux-dev", default_model="flux-2-pro"
    )

    result = await server["alice"].slash(channel, "models")

    names = [f.name for page in await all_pages(server["alice"], result) for f in page.fields]
    assert "FLUX.2 [pro] · `flux-2-pro` (the server's default)" in names
    assert "FLUX.1 [dev] · `flux-dev`" in names
    assert "FLUX.2 [max] · `flux-2-max` (not allowed on this server)" in names


@pytest.mark.parametrize("with_bfl", [False])
async def test_a_fifth_reference_on_a_ttapi_only_bot_is_refused_privately(
    simcord_env, running, guild_setup, fake_ttapi, with_bfl
):
    guild, channel, alice = guild_setup
    five = {name: (f"{name}.png", _png()) for name in ("image", "image2", "image3", "image4", "image5")}

    result = await alice.slash(channel, "edit", prompt="five", model="flux-2-pro", **five)

    assert acknowledged_with(simcord_env, result) == CHANNEL_MESSAGE
    assert result.ephemeral
    assert "`flux-2-pro` takes at most 4 reference images on TTAPI (8 on BFL); you attached 5." in (
        result.response.content
    )
    assert [type(e) for e in refusals(simcord_env)] == [InvalidInput]
    assert fake_ttapi.submits() == []
    assert await running.jobs.for_user(alice.id) == []
    usage = await running.ledger.member_usage(guild.id, alice.id, running.quota.current_period())
    assert (usage.used, usage.held) == (Decimal(0), Decimal(0))
