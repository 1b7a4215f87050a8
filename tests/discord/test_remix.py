"""Remix (issue 18, item 7): a form with the prompt filled in; the new job keeps every other setting."""

from __future__ import annotations

from typing import Any

import pytest

from bot.jobs.model import JobState
from tests.conftest import finish_jobs
from tests.helpers import private_text


@pytest.fixture
def database_settings(database_url: str) -> dict[str, Any]:
    return {"database_url": database_url}


def prefilled(modal: dict[str, Any], custom_id: str) -> str | None:
    """The value a form's text input comes filled in with."""
    pending: list[Any] = [modal]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            if node.get("custom_id") == custom_id and "value" in node:
                return str(node["value"])
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    return None


async def test_remix_opens_the_prompt_and_keeps_every_other_setting(
    simcord_env, running, guild_setup, fake_ttapi
):
    _, channel, alice = guild_setup
    made = await alice.slash(
        channel,
        "imagine",
        prompt="a castle --seed 77",
        model="flux-pro-1.1-ultra",
        aspect_ratio="16:9",
        raw=True,
    )
    await finish_jobs(simcord_env, running)
    (original,) = await running.jobs.for_user(alice.id)
    assert [c["label"] for c in made.response.components[1]["components"]] == ["Remix"]

    shown = await alice.click(made.response, label="Remix")
    assert shown.modal is not None
    assert shown.modal["custom_id"] == f"fluxbot-modal:remix:{original.id}:{alice.id}"
    assert prefilled(shown.modal, "prompt") == "a castle"
    remixed = await alice.submit_modal(shown, {"prompt": "a castle in the snow"})
    await finish_jobs(simcord_env, running)

    newest = (await running.jobs.for_user(alice.id))[0]
    assert newest.parent_job_id == original.id
    assert newest.state is JobState.DELIVERED
    assert newest.prompt == "a castle in the snow"
    first, second = fake_ttapi.submits()
    assert second.path == first.path == "/bfl/v1/flux-pro-1.1-ultra"
    assert second.body == {**first.body, "prompt": "a castle in the snow"}  # seed, ratio, raw kept
    assert second.body["seed"] == 77
    assert len(remixed.response.attachments) == 1

    # Flags in the new prompt win over the kept settings.
    again = await alice.click(remixed.response, label="Remix")
    await alice.submit_modal(again, {"prompt": "a castle at night --ar 1:1"})
    await finish_jobs(simcord_env, running)
    third = fake_ttapi.submits()[-1]
    assert third.body["prompt"] == "a castle at night"
    assert third.body["aspect_ratio"] == "1:1"
    assert third.body["seed"] == 77


async def test_a_remix_form_belongs_to_its_member(simcord_env, running, server, fake_ttapi):
    channel, alice, bob = server["channel"], server["alice"], server["bob"]
    made = await alice.slash(channel, "imagine", prompt="a harbour")
    await finish_jobs(simcord_env, running)

    bobs = await bob.click(made.response, label="Remix")
    bobs._interaction.modal["custom_id"] = bobs.modal["custom_id"].replace(str(bob.id), str(alice.id))
    refused = await bob.submit_modal(bobs, {"prompt": "bob's harbour"})

    assert "belongs to another member" in private_text(refused)
    assert len(fake_ttapi.submits()) == 1
