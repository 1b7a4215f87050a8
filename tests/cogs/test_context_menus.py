"""Right-click menus (issue 18, item 8): **Edit with FLUX** and **Use as reference**, from the menu to
the posted image, in simulated Discord against the fake TTAPI, on each backend."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from bot.errors import InvalidInput, NotAllowed
from bot.i18n import t
from bot.jobs.model import JobState
from tests.conftest import finish_jobs, refusals
from tests.fakes.images import image_bytes
from tests.helpers import private_text


@pytest.fixture
def database_settings(database_url: str) -> dict[str, Any]:
    return {"database_url": database_url}


async def test_edit_with_flux_makes_the_image_the_first_reference(
    simcord_env, running, guild_setup, fake_ttapi
):
    guild, channel, alice = guild_setup
    bob = guild.add_member(simcord_env.create_user("bob"))
    photo = image_bytes("PNG", (96, 64))
    posted = await bob.send(channel, "my cat", attachments=[("cat.png", photo)])

    shown = await alice.context_menu(channel, "Edit with FLUX", posted)
    assert shown.modal is not None
    assert shown.modal["title"] == "Edit with FLUX"
    assert shown.modal["custom_id"] == f"fluxbot-modal:ref:edit:{posted.id}:{alice.id}"
    result = await alice.submit_modal(shown, {"prompt": "give the cat a hat"})
    await finish_jobs(simcord_env, running)

    (job,) = await running.jobs.for_user(alice.id)
    assert job.state is JobState.DELIVERED
    assert job.model == "flux-kontext-pro"
    (submit,) = fake_ttapi.submits()
    assert submit.path == "/bfl/v1/flux-kontext-pro"
    assert submit.body["prompt"] == "give the cat a hat"
    assert base64.b64decode(submit.body["input_image"]) == photo
    assert len(result.response.attachments) == 1
    assert not result.ephemeral


async def test_use_as_reference_makes_the_image_imagine_s_image_prompt(
    simcord_env, running, guild_setup, fake_ttapi
):
    _, channel, alice = guild_setup
    photo = image_bytes("PNG", (80, 80))
    posted = await alice.send(channel, "", attachments=[("scene.png", photo)])

    shown = await alice.context_menu(channel, "Use as reference", posted)
    assert shown.modal["title"] == "Use as reference"
    result = await alice.submit_modal(shown, {"prompt": "a watercolour of this --private"})
    await finish_jobs(simcord_env, running)

    (submit,) = fake_ttapi.submits()
    assert submit.path == "/bfl/v1/flux-pro-1.1"  # the server's default model, for /imagine
    assert submit.body["prompt"] == "a watercolour of this"
    assert base64.b64decode(submit.body["image_prompt"]) == photo
    assert result.ephemeral  # `--private` works here too
    assert len(result.response.attachments) == 1


async def test_a_message_without_an_image_is_refused_privately(simcord_env, running, guild_setup, fake_ttapi):
    _, channel, alice = guild_setup
    posted = await alice.send(channel, "just words", attachments=[("notes.txt", b"hello")])

    for menu in ("Edit with FLUX", "Use as reference"):
        refused = await alice.context_menu(channel, menu, posted)
        assert refused.modal is None
        assert private_text(refused) == t("en-US", "reference-no-image")
    assert [type(e) for e in refusals(simcord_env)] == [InvalidInput, InvalidInput]
    assert fake_ttapi.submits() == []
    assert await running.jobs.for_user(alice.id) == []


async def test_the_menus_follow_the_server_s_channels(simcord_env, running, server, fake_ttapi):
    guild, channel, alice, mod = server["guild"], server["channel"], server["alice"], server["mod"]
    gallery = guild.create_text_channel("gallery")
    await mod.slash(channel, "admin settings", allowed_channels=gallery.mention)
    posted = await alice.send(channel, "", attachments=[("scene.png", image_bytes())])

    refused = await alice.context_menu(channel, "Edit with FLUX", posted)

    assert refused.modal is None
    assert "can't be used in this channel" in private_text(refused)
    assert [type(e) for e in refusals(simcord_env)] == [NotAllowed]
    assert fake_ttapi.submits() == []


async def test_the_form_and_a_refusal_speak_the_members_language(
    simcord_env, running, guild_setup, fake_ttapi, client_languages
):
    _, channel, alice = guild_setup
    client_languages[alice.id] = "ru"
    posted = await alice.send(channel, "", attachments=[("scene.png", image_bytes("PNG", (80, 80)))])

    shown = await alice.context_menu(channel, "Use as reference", posted)
    assert shown.modal["title"] == "Использовать как образец"
    no_image = await alice.send(channel, "just words")
    refused = await alice.context_menu(channel, "Edit with FLUX", no_image)
    assert private_text(refused).startswith("В этом сообщении нет прикреплённого изображения")
    assert fake_ttapi.submits() == []
    assert [type(e) for e in refusals(simcord_env)] == [InvalidInput]
