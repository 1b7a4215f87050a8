"""Buttons under a result: Reroll, Edit, Vary, Details, Delete — permissions, forgeries, restarts."""

from __future__ import annotations

import base64
import io
import logging
import re
import secrets
from pathlib import Path
from typing import Any

import discord
import pytest
from PIL import Image

from bot.discord.buttons import DYNAMIC_ITEMS, result_buttons, result_view
from bot.discord.client import FluxBot
from bot.i18n import LANGUAGES
from bot.jobs.model import JobState
from bot.store.deliveries import Deliveries
from bot.store.guilds import GuildSettings
from tests.conftest import a_job, finish_jobs
from tests.helpers import private_text


@pytest.fixture
def database_settings(database_url: str) -> dict[str, Any]:
    return {"database_url": database_url}  # every test here, on each backend


LABELS = ["Reroll", "Edit", "Vary", "Details", "Delete"]


async def make_image(env, services, member, channel, prompt="a lighthouse at dusk"):
    result = await member.slash(channel, "imagine", prompt=prompt)
    await finish_jobs(env, services)
    return result.response


def text_of(result) -> str:
    """What the member read: the last followup, or the (edited) response."""
    if result.followups:
        return result.followups[-1].content
    return result.response.content if result.response else ""


async def test_a_result_has_the_five_buttons_with_short_ids_that_carry_only_the_job(
    simcord_env, running, guild_setup
):
    _, channel, alice = guild_setup
    message = await make_image(simcord_env, running, alice, channel)

    (job,) = await running.jobs.for_user(alice.id)
    buttons = message.components[0]["components"]
    assert [b["label"] for b in buttons] == LABELS
    for button in buttons:
        custom_id = button["custom_id"]
        assert len(custom_id) <= 100
        assert re.fullmatch(r"fluxbot:(reroll|edit|vary|details|delete):" + job.id, custom_id)
        matching = [i for i in DYNAMIC_ITEMS if i.__discord_ui_compiled_template__.fullmatch(custom_id)]
        assert len(matching) == 1  # exactly one handler, never two


async def test_reroll_makes_a_new_job_with_the_same_settings_and_a_new_seed(
    simcord_env, running, guild_setup, fake_ttapi
):
    guild, channel, alice = guild_setup
    result = await alice.slash(channel, "imagine", prompt="a lighthouse --seed 42 --format png")
    await finish_jobs(simcord_env, running)
    bob = guild.add_member(simcord_env.create_user("bob"))

    reroll = await bob.click(result.response, label="Reroll")
    await finish_jobs(simcord_env, running)

    (original,) = await running.jobs.for_user(alice.id)
    (again,) = await running.jobs.for_user(bob.id)  # whoever presses pays
    assert again.parent_job_id == original.id
    assert again.prompt == original.prompt
    assert again.model == original.model
    first, second = (s.body for s in fake_ttapi.submits())
    assert first["seed"] == 42
    assert second["seed"] != 42
    assert {k: v for k, v in second.items() if k != "seed"} == {k: v for k, v in first.items() if k != "seed"}
    assert again.state is JobState.DELIVERED
    # A new public message, with its own buttons; the original is untouched.
    assert reroll.response.id != result.response.id
    assert len(reroll.response.attachments) == 1
    assert f"fluxbot:reroll:{again.id}" in str(reroll.response.components)
    usage = await running.ledger.member_usage(guild.id, bob.id, running.quota.current_period())
    assert usage.used == 5


class TestQuotaIsHeldForButtonsToo:
    @pytest.fixture
    def settings_overrides(self):
        return {"quota_default_limit": "5"}

    async def test_a_reroll_beyond_the_quota_is_refused_privately_and_costs_nothing(
        self, simcord_env, running, guild_setup, fake_ttapi
    ):
        _, channel, alice = guild_setup
        message = await make_image(simcord_env, running, alice, channel)

        reroll = await alice.click(message, label="Reroll")
        await finish_jobs(simcord_env, running)

        said = private_text(reroll).lower()
        assert "quota" in said or "credit" in said
        assert len(fake_ttapi.submits()) == 1
        assert len(await running.jobs.for_user(alice.id)) == 1


async def test_details_shows_every_parameter_privately(simcord_env, running, guild_setup):
    guild, channel, alice = guild_setup
    result = await alice.slash(channel, "imagine", prompt="a lighthouse --seed 7 --format png --upsample")
    await finish_jobs(simcord_env, running)
    bob = guild.add_member(simcord_env.create_user("bob"))

    details = await bob.click(result.response, label="Details")

    assert details.ephemeral
    (job,) = await running.jobs.for_user(alice.id)
    embed = (details.followups[-1] if details.followups else details.response).embeds[0]
    assert embed.title == f"Job {job.id}"
    assert embed.description == "a lighthouse"
    fields = {f.name: f.value for f in embed.fields}
    assert fields["Model"] == "`flux-pro-1.1`"
    assert fields["Provider"] == "ttapi"
    assert fields["State"] == "delivered"
    assert fields["Cost"] == "5 credits"
    assert "format: `png`" in fields["Options"]
    assert "upsample: `True`" in fields["Options"]
    assert "seed: `7`" in fields["Options"]
    assert fields["Requested by"] == alice.mention
    delivery = await Deliveries(running.db).get(job.id)
    assert delivery is not None
    assert delivery.token
    assert delivery.token not in str(embed.to_dict())
    assert job.callback_token not in str(embed.to_dict())


async def test_delete_is_for_the_requester(simcord_env, running, guild_setup):
    _, channel, alice = guild_setup
    message = await make_image(simcord_env, running, alice, channel)

    deleted = await alice.click(message, label="Delete")

    assert private_text(deleted) == "Deleted."
    assert all(m.id != message.id for m in channel.history())


async def test_delete_by_someone_else_is_refused_privately(simcord_env, running, guild_setup):
    guild, channel, alice = guild_setup
    message = await make_image(simcord_env, running, alice, channel)
    bob = guild.add_member(simcord_env.create_user("bob"))

    refused = await bob.click(message, label="Delete")

    assert "Manage Messages" in private_text(refused)
    assert any(m.id == message.id for m in channel.history())


async def test_delete_by_a_moderator_with_manage_messages(simcord_env, running, guild_setup):
    guild, channel, alice = guild_setup
    message = await make_image(simcord_env, running, alice, channel)
    mods = guild.create_role("Mods", permissions=discord.Permissions(manage_messages=True))
    mod = guild.add_member(simcord_env.create_user("mod"), roles=[mods])

    deleted = await mod.click(message, label="Delete")

    assert text_of(deleted) == "Deleted."
    assert all(m.id != message.id for m in channel.history())


async def test_buttons_keep_working_after_a_restart(simcord_env, running, guild_setup, fake_ttapi):
    _, channel, alice = guild_setup
    message = await make_image(simcord_env, running, alice, channel)
    (job,) = await running.jobs.for_user(alice.id)

    await simcord_env.restart_bot(FluxBot(running, sync="global"))

    details = await alice.click(message, label="Details")
    embed = (details.followups[-1] if details.followups else details.response).embeds[0]
    assert embed.title == f"Job {job.id}"

    reroll = await alice.click(message, label="Reroll")
    await finish_jobs(simcord_env, running)
    assert len(reroll.response.attachments) == 1
    newest = (await running.jobs.for_user(alice.id))[0]
    assert newest.parent_job_id == job.id
    assert newest.state is JobState.DELIVERED

    deleted = await alice.click(message, label="Delete")
    assert text_of(deleted) == "Deleted."


async def test_a_job_running_across_a_restart_still_becomes_the_reply(
    simcord_env, running, guild_setup, fake_ttapi
):
    _, channel, alice = guild_setup
    fake_ttapi.duration = 1.0

    result = await alice.slash(channel, "imagine", prompt="across a restart")
    await simcord_env.restart_bot(FluxBot(running, sync="global"))
    await finish_jobs(simcord_env, running)

    # The new bot has no interaction object: it edits the reply by its stored id and token.
    assert len(result.response.attachments) == 1
    assert [c["label"] for c in result.response.components[0]["components"]] == LABELS


async def test_after_a_restart_and_15_minutes_the_result_goes_to_the_channel(
    simcord_env, running, guild_setup, fake_ttapi
):
    _, channel, alice = guild_setup
    fake_ttapi.duration = 1.0

    result = await alice.slash(channel, "imagine", prompt="restart then wait")
    await simcord_env.restart_bot(FluxBot(running, sync="global"))
    await simcord_env.advance_time(16 * 60)
    await finish_jobs(simcord_env, running)

    posted = channel.last_message
    assert posted.id != result.response.id
    assert posted.content.startswith(f"{alice.mention} your image is ready")
    assert len(posted.attachments) == 1


async def forged_message(env, channel, *custom_ids: str):
    """A message carrying buttons whose custom_id the test chose (as a forger would)."""
    view = discord.ui.View(timeout=None)
    for number, custom_id in enumerate(custom_ids):
        view.add_item(discord.ui.Button(label=f"forged {number}", custom_id=custom_id))
    sent = await env.bot.get_channel(channel.id).send("forged", view=view)
    view.stop()  # the bot does not listen to this view: only its dynamic items may answer
    await env.settle()
    return sent


async def test_forged_buttons_get_a_clear_private_answer_and_spend_nothing(
    simcord_env, running, guild_setup, fake_ttapi
):
    guild, channel, alice = guild_setup
    message = await forged_message(
        simcord_env,
        channel,
        "fluxbot:reroll:0123456789abcdef",  # well-formed, no such job
        "fluxbot:delete:0123456789abcdef",
        "fluxbot:reroll:not-a-job-id",  # malformed
        "fluxbot:launch:0123456789abcdef",  # no such action
    )

    unknown_job = await alice.click(message, label="forged 0")
    unknown_delete = await alice.click(message, label="forged 1")
    malformed = await alice.click(message, label="forged 2")
    no_action = await alice.click(message, label="forged 3")
    await finish_jobs(simcord_env, running)

    for result in (unknown_job, unknown_delete):
        assert "not known to this bot" in private_text(result)
    for result in (malformed, no_action):
        assert "not one the bot knows" in private_text(result)
    assert fake_ttapi.submits() == []
    assert await running.jobs.for_user(alice.id) == []
    usage = await running.ledger.member_usage(guild.id, alice.id, running.quota.current_period())
    assert usage.held == 0


async def test_an_unexpected_error_in_a_button_is_an_apology_with_a_logged_reference(
    simcord_env, running, guild_setup, caplog
):
    _, channel, alice = guild_setup
    message = await make_image(simcord_env, running, alice, channel)
    (job,) = await running.jobs.for_user(alice.id)
    await running.db.execute("UPDATE jobs SET params = '[]' WHERE id = ?", (job.id,))  # a corrupt row

    with caplog.at_level(logging.ERROR, logger="bot.discord.replies"):
        reroll = await alice.click(message, label="Reroll")

    said = private_text(reroll)
    ref = re.search(r"reference `([0-9a-f]{8})`", said)
    assert ref, said
    assert "Nothing was charged" in said
    logged = [r for r in caplog.records if f"ref={ref.group(1)}" in r.getMessage()]
    assert len(logged) == 1
    assert f"fluxbot:reroll:{job.id}" in logged[0].getMessage()
    assert logged[0].exc_info is not None


async def test_edit_asks_for_an_instruction_and_makes_a_kontext_job_from_this_image(
    simcord_env, running, guild_setup, fake_ttapi
):
    _, channel, alice = guild_setup
    message = await make_image(simcord_env, running, alice, channel)
    (original,) = await running.jobs.for_user(alice.id)

    shown = await alice.click(message, label="Edit")
    assert shown.modal is not None
    assert shown.modal["title"] == "Edit this image"
    edited = await alice.submit_modal(shown, {"instruction": "make it night, add snow"})
    await finish_jobs(simcord_env, running)

    newest = (await running.jobs.for_user(alice.id))[0]
    assert newest.model == "flux-kontext-pro"
    assert newest.parent_job_id == original.id
    assert newest.prompt == "make it night, add snow"
    submit = fake_ttapi.submits()[-1]
    assert submit.path == "/bfl/v1/flux-kontext-pro"
    finished = Path(original.result_path or "").read_bytes()
    assert base64.b64decode(submit.body["input_image"]) == finished
    assert len(edited.response.attachments) == 1
    assert newest.state is JobState.DELIVERED


async def test_vary_makes_an_ultra_remix_of_this_image(simcord_env, running, guild_setup, fake_ttapi):
    _, channel, alice = guild_setup
    message = await make_image(simcord_env, running, alice, channel, prompt="a castle --ar 16:9")
    (original,) = await running.jobs.for_user(alice.id)

    varied = await alice.click(message, label="Vary")
    await finish_jobs(simcord_env, running)

    newest = (await running.jobs.for_user(alice.id))[0]
    assert newest.model == "flux-pro-1.1-ultra"
    assert newest.parent_job_id == original.id
    assert newest.prompt == "a castle"
    submit = fake_ttapi.submits()[-1]
    assert submit.path == "/bfl/v1/flux-pro-1.1-ultra"
    assert base64.b64decode(submit.body["image_prompt"]) == Path(original.result_path or "").read_bytes()
    assert submit.body["prompt"] == "a castle"
    assert len(varied.response.attachments) == 1


async def test_a_refusal_in_the_edit_modal_is_private_and_spends_nothing(
    simcord_env, running, guild_setup, fake_ttapi
):
    guild, channel, alice = guild_setup
    message = await make_image(simcord_env, running, alice, channel)
    shown = await alice.click(message, label="Edit")
    # Meanwhile an admin allows only flux-pro-1.1 on this server.
    await running.quota.guilds.save_settings(
        GuildSettings(guild.id, allowed_models=("flux-pro-1.1",)), actor_id=None
    )

    refused = await alice.submit_modal(shown, {"instruction": "make it night"})
    await finish_jobs(simcord_env, running)

    assert "not allowed on this server" in private_text(refused)
    assert len(fake_ttapi.submits()) == 1
    assert len(await running.jobs.for_user(alice.id)) == 1


async def test_a_reroll_whose_reference_image_file_is_gone_says_so_privately_and_costs_nothing(
    simcord_env, running, guild_setup, settings, fake_ttapi
):
    _, channel, alice = guild_setup
    png = io.BytesIO()
    Image.new("RGB", (64, 64), "teal").save(png, "PNG")
    result = await alice.slash(channel, "imagine", prompt="a lighthouse", image=("ref.png", png.getvalue()))
    await finish_jobs(simcord_env, running)
    (job,) = await running.jobs.for_user(alice.id)
    for path in (settings.database_path.parent / "inputs").iterdir():
        path.unlink()  # an operator cleaning up by hand

    reroll = await alice.click(result.response, label="Reroll (requester's references)")
    await finish_jobs(simcord_env, running)

    assert "no longer kept" in private_text(reroll)
    assert len(fake_ttapi.submits()) == 1
    assert [j.id for j in await running.jobs.for_user(alice.id)] == [job.id]


async def test_two_members_editing_the_same_image_each_get_their_own_job_and_pay_for_it(
    simcord_env, running, server, fake_ttapi
):
    """Issue 17, finding 5: one modal custom_id per job let one member's submit be dropped, or run
    with the other member's instruction and be charged to the wrong member."""
    alice, bob, channel = server["alice"], server["bob"], server["channel"]
    message = await make_image(simcord_env, running, alice, channel)
    (original,) = await running.jobs.for_user(alice.id)

    alices_form = await alice.click(message, label="Edit")
    bobs_form = await bob.click(message, label="Edit")
    assert alices_form.modal["custom_id"] != bobs_form.modal["custom_id"]
    bobs = await bob.submit_modal(bobs_form, {"instruction": "add snow"})
    alices = await alice.submit_modal(alices_form, {"instruction": "make it night"})
    await finish_jobs(simcord_env, running)

    (alices_edit, _) = await running.jobs.for_user(alice.id)
    (bobs_edit,) = await running.jobs.for_user(bob.id)
    assert (alices_edit.prompt, alices_edit.parent_job_id) == ("make it night", original.id)
    assert (bobs_edit.prompt, bobs_edit.parent_job_id) == ("add snow", original.id)
    assert len(alices.response.attachments) == 1
    assert len(bobs.response.attachments) == 1
    period = running.quota.current_period()
    assert (await running.ledger.member_usage(server["guild"].id, bob.id, period)).used == 5
    assert (await running.ledger.member_usage(server["guild"].id, alice.id, period)).used == 10
    assert sorted(s.body["prompt"] for s in fake_ttapi.submits()[1:]) == ["add snow", "make it night"]


async def test_only_the_requester_may_reroll_with_their_reference_images(
    simcord_env, running, server, fake_ttapi
):
    """Issue 17, finding 18: Reroll by another member reused the requester's reference images (never
    posted by the bot) and charged the presser. Now the button says whose images it reuses, another
    member is refused privately before anything is spent, and the requester may still reroll."""
    alice, bob, channel = server["alice"], server["bob"], server["channel"]
    png = io.BytesIO()
    Image.new("RGB", (64, 64), "teal").save(png, "PNG")
    result = await alice.slash(channel, "imagine", prompt="a lighthouse", image=("ref.png", png.getvalue()))
    await finish_jobs(simcord_env, running)
    buttons = result.response.components[0]["components"]
    assert buttons[0]["label"] == "Reroll (requester's references)"

    refused = await bob.click(result.response, label="Reroll (requester's references)")
    await finish_jobs(simcord_env, running)

    said = private_text(refused)
    assert f"<@{alice.id}>'s own reference images" in said
    assert "Nothing was charged" in said
    assert await running.jobs.for_user(bob.id) == []
    assert len(fake_ttapi.submits()) == 1

    again = await alice.click(result.response, label="Reroll (requester's references)")
    await finish_jobs(simcord_env, running)
    assert len(again.response.attachments) == 1
    assert len(fake_ttapi.submits()) == 2
    assert "image_prompt" in fake_ttapi.submits()[-1].body


async def test_anyone_may_reroll_an_image_made_without_references(simcord_env, running, server):
    alice, bob, channel = server["alice"], server["bob"], server["channel"]
    message = await make_image(simcord_env, running, alice, channel)
    assert message.components[0]["components"][0]["label"] == "Reroll"

    await bob.click(message, label="Reroll")
    await finish_jobs(simcord_env, running)

    (rerolled,) = await running.jobs.for_user(bob.id)  # whoever presses pays
    assert rerolled.state is JobState.DELIVERED


async def test_an_edit_form_opened_before_a_restart_still_works(
    simcord_env, running, guild_setup, services, fake_ttapi
):
    """The form is handled from its custom_id (job and member), like the buttons: nothing in memory."""
    _, channel, alice = guild_setup
    message = await make_image(simcord_env, running, alice, channel)
    shown = await alice.click(message, label="Edit")

    await simcord_env.restart_bot(FluxBot(services, sync="none"))
    edited = await alice.submit_modal(shown, {"instruction": "make it night"})
    await finish_jobs(simcord_env, running)

    newest = (await running.jobs.for_user(alice.id))[0]
    assert (newest.prompt, newest.state) == ("make it night", JobState.DELIVERED)
    assert len(edited.response.attachments) == 1


async def test_an_edit_form_of_an_older_version_gets_a_clear_private_answer(
    simcord_env, running, guild_setup, fake_ttapi
):
    _, channel, alice = guild_setup
    message = await make_image(simcord_env, running, alice, channel)
    (job,) = await running.jobs.for_user(alice.id)
    shown = await alice.click(message, label="Edit")
    shown._interaction.modal["custom_id"] = f"fluxbot-modal:edit:{job.id}"  # one modal per job, as before

    answered = await alice.submit_modal(shown, {"instruction": "make it night"})
    await finish_jobs(simcord_env, running)

    assert "not one the bot knows" in private_text(answered)
    assert len(await running.jobs.for_user(alice.id)) == 1
    assert len(fake_ttapi.submits()) == 1


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_buttons_a_sink_sends_are_the_result_views_for_every_language_and_shape(language):
    """`result_buttons` (made once per language and shape, then given the job's id) sends exactly
    the components `result_view` would: labels, emoji, rows, custom_ids, for each provider (with
    and without Zoom and pan) and with and without reference images."""
    for provider in ("ttapi", "bfl", "mock"):
        for image_count in (0, 2):
            job = a_job()
            job.id = secrets.token_hex(8)
            job.provider = provider
            job.params = {"options": {"image_count": image_count}}
            expected = result_view(job, language).to_components()
            assert result_buttons(job, language).to_components() == expected, (provider, image_count)


def test_each_job_gets_its_own_ids_and_its_own_components():
    """The components are made once per shape: a second job's buttons carry its id, not the first's,
    and what was handed out for one job (discord.py may change it) is not what the next one gets."""
    first, second = a_job(), a_job()
    first.id, second.id = "0123456789abcdef", "fedcba9876543210"
    sent = result_buttons(first, "de").to_components()
    sent[0]["components"][0]["label"] = "changed after sending"
    again = result_buttons(second, "de").to_components()
    ids = [button["custom_id"] for row in again for button in row["components"]]
    assert ids
    assert all(custom_id.endswith(":fedcba9876543210") for custom_id in ids)
    assert again == result_view(second, "de").to_components()
    for custom_id in ids:  # each is answered by a registered DynamicItem, as `result_view`'s are
        assert [i for i in DYNAMIC_ITEMS if i.__discord_ui_compiled_template__.fullmatch(custom_id)]


def test_discord_py_keeps_nothing_of_the_buttons_a_sink_sends():
    """Nothing to listen for in this process: the buttons are answered from their custom_id."""
    view = result_buttons(a_job(), "en-US")
    assert view.is_finished()
    assert not view.children
