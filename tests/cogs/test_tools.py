"""`/fill`, `/expand` and the Zoom and pan buttons: from the interaction to the posted image.

BFL (the fake, tests/fakes/bfl.py, validating Fill's and Expand's fields strictly) serves both
tools; TTAPI serves neither, so its results show no Zoom and pan buttons. Every refusal is private,
before anything is held, and sends nothing to the provider.
"""

from __future__ import annotations

import base64
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from bot.discord.buttons import DYNAMIC_ITEMS
from bot.discord.client import FluxBot
from bot.image_tools import MAX_EXPANDED_PIXELS
from bot.jobs.model import JobState
from tests.conftest import DEFERRED, acknowledged_with, finish_jobs, refusals
from tests.helpers import ledger, private_text

ZOOM_LABELS = ["Zoom out 1.5×", "Zoom out 2×"]
PAN_LABELS = ["⬅", "➡", "⬆", "⬇"]


@pytest.fixture
def database_settings(database_url: str) -> dict[str, Any]:
    return {"database_url": database_url}  # holds, charges and stored inputs: on each backend


@pytest.fixture
def settings_overrides(fake_bfl, fake_ttapi) -> dict[str, Any]:
    fake_bfl.duration = fake_ttapi.duration = 0.1
    fake_bfl.cost = 5
    return {"bfl_api_key": fake_bfl.api_key, "bfl_base_url": fake_bfl.url, "default_provider": "bfl"}


def picture(
    size=(64, 48), colour=(200, 30, 30, 255), clear: tuple[int, int, int, int] | None = None
) -> bytes:
    """A PNG; `clear` is a box made fully transparent (the area Fill repaints without a mask)."""
    image = Image.new("RGBA" if len(colour) == 4 else "RGB", size, colour)
    if clear is not None:
        image.paste((0, 0, 0, 0), clear)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def mask(size=(64, 48), white: tuple[int, int, int, int] | None = (16, 16, 48, 32), fill: int = 0) -> bytes:
    image = Image.new("L", size, fill)
    if white is not None:
        image.paste(255, white)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def decoded(text: str) -> Image.Image:
    image = Image.open(io.BytesIO(base64.b64decode(text)))
    image.load()
    return image


async def posted_size(services, message) -> tuple[int, int]:
    """The size of the image posted in `message`: its job (named in the footer) kept the file."""
    assert len(message.attachments) == 1, message.content
    job_id = message.embeds[0].footer.text.split()[1]
    job = await services.jobs.get(job_id)
    assert message.attachments[0].filename.startswith(f"fluxbot-{job_id}")
    with Image.open(job.result_path) as image:
        return image.size


def labels(message) -> list[list[str]]:
    return [[b["label"] for b in row["components"]] for row in message.components]


def note_of(message) -> str | None:
    fields = {f.name: f.value for f in message.embeds[0].fields}
    return fields.get("Note")


# -- /fill ----------------------------------------------------------------------------------------


async def test_fill_with_a_mask_repaints_the_white_area_and_is_charged_the_providers_cost(
    simcord_env, running, guild_setup, fake_bfl
):
    _guild, channel, alice = guild_setup
    source = picture(colour=(200, 30, 30))
    painted = mask()

    result = await alice.slash(
        channel, "fill", image=("photo.png", source), prompt="a red balloon --seed 7", mask=("m.png", painted)
    )
    assert acknowledged_with(simcord_env, result) == DEFERRED
    await finish_jobs(simcord_env, running)

    message = result.response
    assert len(message.attachments) == 1, message.content
    assert await posted_size(running, message) == (64, 48)  # Fill gives back the image's size
    (submit,) = fake_bfl.submits()
    assert submit.path == "/v1/flux-pro-1.0-fill"
    assert base64.b64decode(submit.body["image"]) == source  # a PNG that needs no change goes as sent
    sent_mask = decoded(submit.body["mask"])
    assert sent_mask.size == (64, 48)
    assert {value for _, value in sent_mask.getcolors()} == {0, 255}  # black and white only
    assert sent_mask.getpixel((20, 20)) == 255
    assert sent_mask.getpixel((2, 2)) == 0
    assert {k: v for k, v in submit.body.items() if k not in ("image", "mask")} == {
        "prompt": "a red balloon",
        "seed": 7,
        "safety_tolerance": 2,
    }
    (job,) = await running.jobs.for_user(alice.id)
    assert (job.model, job.provider, job.state) == ("flux-pro-1.0-fill", "bfl", JobState.DELIVERED)
    assert job.estimate == Decimal(5)
    assert job.cost == Decimal(5)
    assert await ledger(running, job.id) == ["hold", "charge"]
    assert {i.field for i in await running.jobs.inputs(job.id)} <= {"image", "mask"}
    fields = {f.name: f.value for f in message.embeds[0].fields}
    assert fields["Model"] == "`flux-pro-1.0-fill`"
    assert fields["Cost"] == "5 credits"


async def test_fill_without_a_mask_repaints_the_transparent_area(simcord_env, running, guild_setup, fake_bfl):
    _, channel, alice = guild_setup
    source = picture(clear=(10, 10, 30, 30))

    result = await alice.slash(channel, "fill", image=("hole.png", source), prompt="a window")
    await finish_jobs(simcord_env, running)

    assert len(result.response.attachments) == 1, result.response.content
    (submit,) = fake_bfl.submits()
    assert "mask" not in submit.body
    assert decoded(submit.body["image"]).getchannel("A").getextrema() == (0, 255)
    (job,) = await running.jobs.for_user(alice.id)
    assert job.state is JobState.DELIVERED
    assert job.cost == Decimal(5)


@pytest.mark.parametrize(
    ("image", "given_mask", "expected"),
    [
        (picture(), mask(size=(60, 48)), "The mask is 60×48 but the image is 64×48"),
        (picture(), mask(white=None), "The mask is all black, so nothing would be repainted"),
        (picture(), mask(white=None, fill=255), "The mask is all white"),
        (picture(colour=(1, 2, 3)), None, "this one has no transparency"),
        (picture(), None, "this one has no transparency"),  # RGBA, but every pixel opaque
        (picture(clear=(0, 0, 64, 48)), None, "The image is transparent all over"),
    ],
    ids=["mask-of-another-size", "all-black-mask", "all-white-mask", "no-alpha", "opaque-alpha", "all-clear"],
)
async def test_fill_refuses_a_mask_or_image_it_cannot_use_privately_and_spends_nothing(
    simcord_env, running, guild_setup, fake_bfl, image, given_mask, expected
):
    _, channel, alice = guild_setup
    files: dict[str, Any] = {"image": ("i.png", image)}
    if given_mask is not None:
        files["mask"] = ("m.png", given_mask)

    result = await alice.slash(channel, "fill", prompt="a window", **files)
    await finish_jobs(simcord_env, running)

    assert expected in private_text(result)
    assert "Nothing was charged" in private_text(result)
    assert len(refusals(simcord_env)) == 1
    assert fake_bfl.submits() == []
    assert await running.jobs.for_user(alice.id) == []


async def test_fill_refuses_a_model_flag_of_another_kind_before_acknowledging(
    simcord_env, running, guild_setup, fake_bfl
):
    _, channel, alice = guild_setup

    result = await alice.slash(channel, "fill", image=("i.png", picture()), prompt="x --guidance 200")

    assert "`guidance` must be between 1.5 and 100" in private_text(result)
    assert len(refusals(simcord_env)) == 1
    assert fake_bfl.submits() == []


# -- /expand --------------------------------------------------------------------------------------


async def test_expand_adds_the_asked_pixels_on_each_side(simcord_env, running, guild_setup, fake_bfl):
    _, channel, alice = guild_setup
    source = picture(size=(100, 80), colour=(10, 120, 200))

    result = await alice.slash(
        channel, "expand", image=("s.png", source), top=20, left=50, prompt="more sky", format="png"
    )
    await finish_jobs(simcord_env, running)

    message = result.response
    assert len(message.attachments) == 1, message.content
    assert await posted_size(running, message) == (150, 100)
    (submit,) = fake_bfl.submits()
    assert submit.path == "/v1/flux-pro-1.0-expand"
    assert base64.b64decode(submit.body["image"]) == source
    assert {k: v for k, v in submit.body.items() if k != "image"} == {
        "prompt": "more sky",
        "top": 20,
        "bottom": 0,
        "left": 50,
        "right": 0,
        "output_format": "png",
        "safety_tolerance": 2,
    }
    assert note_of(message) is None
    (job,) = await running.jobs.for_user(alice.id)
    assert job.model == "flux-pro-1.0-expand"
    assert job.cost == Decimal(5)
    assert await ledger(running, job.id) == ["hold", "charge"]


async def test_expand_with_zoom_and_no_prompt_pads_equally_on_all_sides(
    simcord_env, running, guild_setup, fake_bfl
):
    _, channel, alice = guild_setup

    result = await alice.slash(channel, "expand", image=("s.png", picture(size=(100, 80))), prompt="--zoom 2")
    await finish_jobs(simcord_env, running)

    assert await posted_size(running, result.response) == (200, 160)
    (submit,) = fake_bfl.submits()
    assert (submit.body["top"], submit.body["bottom"], submit.body["left"], submit.body["right"]) == (
        40,
        40,
        50,
        50,
    )
    assert submit.body["prompt"] == ""
    (job,) = await running.jobs.for_user(alice.id)
    assert job.params["options"]["zoom"] == 2.0  # shown under Details


async def test_expand_past_the_limit_scales_the_source_down_first_and_says_so(
    simcord_env, running, guild_setup, fake_bfl
):
    _, channel, alice = guild_setup
    source = picture(size=(1600, 1200), colour=(30, 160, 60))

    result = await alice.slash(channel, "expand", image=("big.png", source), prompt="a wide valley --zoom 2")
    await finish_jobs(simcord_env, running)

    message = result.response
    assert len(message.attachments) == 1, message.content
    note = note_of(message)
    assert note is not None
    assert "scaled down from 1600×1200" in note
    (submit,) = fake_bfl.submits()
    sent = decoded(submit.body["image"])
    assert sent.width < 1600
    width, height = await posted_size(running, message)
    assert width * height <= MAX_EXPANDED_PIXELS
    assert (width, height) == (sent.width + submit.body["left"] * 2, sent.height + submit.body["top"] * 2)


async def test_the_scaled_down_note_is_kept_as_a_key_and_read_in_the_members_language_after_a_restart(
    simcord_env, running, guild_setup, fake_bfl, client_languages
):
    _, channel, alice = guild_setup
    client_languages[alice.id] = "de"
    fake_bfl.duration = 1.0
    source = picture(size=(1600, 1200), colour=(30, 160, 60))

    result = await alice.slash(channel, "expand", image=("big.png", source), prompt="ein Tal --zoom 2")
    (job,) = await running.jobs.for_user(alice.id)
    assert job.params["note"]["key"] == "tools-scaled-down"  # stored as key and arguments
    assert job.params["note"]["args"]["before"] == "1600×1200"
    client_languages.clear()
    await simcord_env.restart_bot(FluxBot(running, sync="global"))
    await finish_jobs(simcord_env, running)

    fields = {f.name: f.value for f in result.response.embeds[0].fields}
    assert fields["Hinweis"].startswith("Das Bild wurde zuerst von 1600×1200 auf ")
    assert "(4,2 MP)" in fields["Hinweis"]  # the figure as German writes it


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, "Say how far to expand"),
        ({"top": 10, "prompt": "sky --zoom 2"}, "Give either `--zoom` or the sides"),
        ({"prompt": "sky --zoom 3"}, "`--zoom 3` is not valid"),
        ({"top": 2048, "bottom": 2048, "left": 2048, "right": 2048}, "ask for fewer pixels"),
    ],
    ids=["no-sides", "zoom-and-sides", "zoom-too-far", "sides-past-the-limit"],
)
async def test_expand_refuses_privately_and_spends_nothing(
    simcord_env, running, guild_setup, fake_bfl, options, expected
):
    _, channel, alice = guild_setup

    result = await alice.slash(channel, "expand", image=("s.png", picture()), **options)
    await finish_jobs(simcord_env, running)

    assert expected in private_text(result)
    assert len(refusals(simcord_env)) == 1
    assert fake_bfl.submits() == []
    assert await running.jobs.for_user(alice.id) == []


async def test_zoom_on_imagine_points_to_expand(simcord_env, running, guild_setup, fake_bfl):
    _, channel, alice = guild_setup

    result = await alice.slash(channel, "imagine", prompt="a castle --zoom 2")

    assert "use `/expand`" in private_text(result)
    assert len(refusals(simcord_env)) == 1
    assert fake_bfl.submits() == []


# -- the Zoom and pan buttons ---------------------------------------------------------------------


async def bfl_image(env, services, member, channel, prompt="a harbour"):
    result = await member.slash(
        channel, "imagine", prompt=prompt, model="flux-pro-1.1", width=1024, height=768
    )
    await finish_jobs(env, services)
    return result.response


async def test_a_bfl_result_has_zoom_and_pan_rows_within_discords_limits(simcord_env, running, guild_setup):
    _, channel, alice = guild_setup
    message = await bfl_image(simcord_env, running, alice, channel)

    (job,) = await running.jobs.for_user(alice.id)
    # Remix (issue 18 #7) takes the first row with room: the zoom row.
    assert labels(message) == [
        ["Reroll", "Edit", "Vary", "Details", "Delete"],
        [*ZOOM_LABELS, "Remix"],
        PAN_LABELS,
    ]
    assert len(message.components) <= 5
    assert all(len(row["components"]) <= 5 for row in message.components)
    for row in message.components[1:]:
        for button in row["components"]:
            assert button["custom_id"].endswith(":" + job.id)
            assert len(button["custom_id"]) <= 100
            handlers = [
                i for i in DYNAMIC_ITEMS if i.__discord_ui_compiled_template__.fullmatch(button["custom_id"])
            ]
            assert len(handlers) == 1


async def test_a_ttapi_result_has_no_zoom_buttons(simcord_env, running, guild_setup, fake_ttapi):
    _, channel, alice = guild_setup

    result = await alice.slash(channel, "imagine", prompt="a harbour", model="flux1-schnell")  # TTAPI only
    await finish_jobs(simcord_env, running)

    assert len(fake_ttapi.submits()) == 1
    assert labels(result.response) == [["Reroll", "Edit", "Vary", "Details", "Delete"], ["Remix"]]


# The fake BFL answers 1024×768 with a 128×96 picture (an eighth), which the buttons expand.
BUTTONS = [
    ("Zoom out 1.5×", (32, 32, 24, 24), (192, 144)),
    ("Zoom out 2×", (64, 64, 48, 48), (256, 192)),
    ("⬅", (64, 0, 0, 0), (192, 96)),
    ("➡", (0, 64, 0, 0), (192, 96)),
    ("⬆", (0, 0, 48, 0), (128, 144)),
    ("⬇", (0, 0, 0, 48), (128, 144)),
]


@pytest.mark.parametrize(("label", "sides", "size"), BUTTONS, ids=[b[0] for b in BUTTONS])
async def test_each_zoom_and_pan_button_expands_the_result_with_its_prompt(
    simcord_env, running, guild_setup, fake_bfl, label, sides, size
):
    guild, channel, alice = guild_setup
    message = await bfl_image(simcord_env, running, alice, channel, prompt="a harbour --format png")
    (original,) = await running.jobs.for_user(alice.id)
    bob = guild.add_member(simcord_env.create_user("bob"))

    clicked = await bob.click(message, label=label)
    await finish_jobs(simcord_env, running)

    assert len(clicked.response.attachments) == 1, clicked.response.content
    assert await posted_size(running, clicked.response) == size
    submit = fake_bfl.submits()[-1]
    assert submit.path == "/v1/flux-pro-1.0-expand"
    assert base64.b64decode(submit.body["image"]) == Path(original.result_path or "").read_bytes()
    left, right, top, bottom = sides
    assert (submit.body["left"], submit.body["right"], submit.body["top"], submit.body["bottom"]) == (
        left,
        right,
        top,
        bottom,
    )
    assert submit.body["prompt"] == "a harbour"
    assert submit.body["output_format"] == "png"
    (expanded,) = await running.jobs.for_user(bob.id)  # whoever presses pays
    assert expanded.parent_job_id == original.id
    assert expanded.state is JobState.DELIVERED
    assert expanded.cost == Decimal(5)
    assert await ledger(running, expanded.id) == ["hold", "charge"]
    # An expanded result can be zoomed again: it has the buttons too.
    assert labels(clicked.response)[1:] == [[*ZOOM_LABELS, "Remix"], PAN_LABELS]


async def test_zoom_buttons_work_after_a_restart_and_a_large_result_is_scaled_down_with_a_note(
    simcord_env, running, guild_setup, fake_bfl
):
    _, channel, alice = guild_setup
    message = await bfl_image(simcord_env, running, alice, channel)
    await simcord_env.restart_bot(FluxBot(running, sync="global"))
    first = await alice.click(message, label="Zoom out 2×")
    await finish_jobs(simcord_env, running)
    assert await posted_size(running, first.response) == (256, 192)
    assert note_of(first.response) is None

    # Twice more: 512×384, then 1024×768, then 2048×1536 (3.1 MP, fits), then past 4 MP.
    current = first.response
    for _ in range(3):
        nxt = await alice.click(current, label="Zoom out 2×")
        await finish_jobs(simcord_env, running)
        current = nxt.response
    assert await posted_size(running, current) == (2048, 1536)
    assert note_of(current) is None
    last = await alice.click(current, label="Zoom out 2×")
    await finish_jobs(simcord_env, running)

    width, height = await posted_size(running, last.response)
    assert width * height <= MAX_EXPANDED_PIXELS
    assert "scaled down from 2048×1536" in (note_of(last.response) or "")


async def test_reroll_of_a_fill_sends_the_same_image_and_mask_again(
    simcord_env, running, guild_setup, fake_bfl
):
    _, channel, alice = guild_setup
    result = await alice.slash(
        channel, "fill", image=("i.png", picture()), prompt="a door", mask=("m.png", mask())
    )
    await finish_jobs(simcord_env, running)

    again = await alice.click(result.response, label="Reroll (requester's references)")
    await finish_jobs(simcord_env, running)

    assert len(again.response.attachments) == 1, again.response.content
    first, second = fake_bfl.submits()
    assert (second.body["image"], second.body["mask"]) == (first.body["image"], first.body["mask"])
    assert second.body["seed"] != first.body.get("seed")


async def test_private_fill_and_its_zoom_stay_private(simcord_env, running, guild_setup, fake_bfl):
    guild, channel, alice = guild_setup
    bob = guild.add_member(simcord_env.create_user("bob"))

    result = await alice.slash(
        channel, "fill", image=("i.png", picture()), prompt="a door", mask=("m.png", mask()), private=True
    )
    await finish_jobs(simcord_env, running)

    assert result.ephemeral
    assert len(result.response.attachments) == 1
    assert channel.history(viewer=bob) == []
    zoomed = await alice.click(result.response, label="Zoom out 2×")
    await finish_jobs(simcord_env, running)
    assert zoomed.ephemeral
    assert await posted_size(running, zoomed.response) == (128, 96)
    assert channel.history(viewer=bob) == []
