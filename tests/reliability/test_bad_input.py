"""The bad-input catalogue: whatever a member (or a forged client) sends, the answer is a clear
private message and nothing is spent — no request reaches a provider, no job row, no ledger row.

Inputs come in as members send them: SimCord slash commands with real attachments. Documented
ranges per model are in tests/models/test_validation.py (issue 3); this file covers flags, prompts,
files, and the checks that must hold even if Discord's own validation is bypassed.
"""

from __future__ import annotations

import base64
import io
import struct
import zlib
from typing import Any

import pytest
import simcord
from PIL import Image

from bot.errors import InvalidInput, UserFacingError
from bot.jobs.plan import MAX_PROMPT_CHARS, plan_job
from tests.conftest import CHANNEL_MESSAGE, acknowledged_with, finish_jobs, refusals
from tests.fakes.bfl import FakeBFL
from tests.fakes.images import image_bytes

EPHEMERAL = 64


@pytest.fixture
def settings_overrides(fake_bfl: FakeBFL) -> dict[str, Any]:
    """Both providers, so /edit and /finetune exist too."""
    return {"bfl_api_key": fake_bfl.api_key, "bfl_base_url": fake_bfl.url, "default_provider": "ttapi"}


# -- files as members attach them -------------------------------------------------------------


def animated_gif() -> bytes:
    frames = [Image.new("RGB", (32, 32), (i * 80, 255 - i * 80, 0)) for i in range(3)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims `width`×`height`: a decompression bomb's calling card."""
    raw = bytearray(image_bytes("PNG", (1, 1)))
    # IHDR starts after the 8-byte signature and the chunk's length (4) and type (4).
    raw[16:24] = struct.pack(">II", width, height)
    raw[29:33] = struct.pack(">I", zlib.crc32(bytes(raw[12:29])))
    return bytes(raw)


PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
HTML = b"<!doctype html><html><body><img src=x onerror=alert(1)></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64"/></svg>'


# -- how the member was answered ---------------------------------------------------------------


def private_answer(env: simcord.Env, result: Any) -> str:
    """The text the member got for this interaction, asserting it was private (ephemeral).

    Before a defer the refusal is the interaction response itself; after a public "thinking"
    defer the placeholder is deleted and the refusal is an ephemeral followup.
    """
    token = result._interaction.token
    if acknowledged_with(env, result) == CHANNEL_MESSAGE:
        assert result.ephemeral
        return str(result.response.content)
    assert result.response is None, "the public placeholder must not stay"
    sent = [
        r.json for r in env.http_requests if r.method == "POST" and r.path.endswith(f"/{token}") and r.json
    ]
    assert sent, "the member was not answered"
    assert all(int(m.get("flags", 0)) & EPHEMERAL for m in sent), sent
    return str(sent[-1]["content"])


async def assert_nothing_spent(running: Any, fakes: list[Any], member: Any) -> None:
    for fake in fakes:
        assert fake.submits() == []
    assert await running.jobs.for_user(member.id) == []
    assert await running.db.fetchall("SELECT * FROM ledger") == []


def user_facing(env: simcord.Env) -> list[UserFacingError]:
    found = []
    for error in env.errors:
        original = getattr(error, "original", error)
        assert isinstance(original, UserFacingError), f"not a user-facing refusal: {error!r}"
        found.append(original)
    return found


# -- the catalogue -------------------------------------------------------------------------------

CASES: list[Any] = [
    # (id, command, options, the private answer must contain)
    # Malformed flags: Discord cannot check what is typed inside the prompt.
    ("flag-not-a-number", "imagine", {"prompt": "a cat --seed banana"}, "`--seed banana` is not valid"),
    ("flag-bad-ratio", "imagine", {"prompt": "a cat --ar 16x9"}, "`--ar 16x9` is not valid"),
    ("flag-unknown", "imagine", {"prompt": "a cat --frobnicate 3"}, "Unknown flag `--frobnicate`"),
    ("flag-missing-value", "imagine", {"prompt": "a cat --seed"}, "`--seed` needs a value"),
    ("flag-value-is-a-flag", "imagine", {"prompt": "a cat --seed --raw"}, "`--seed` needs a value"),
    ("words-after-flags", "imagine", {"prompt": "a cat --seed 1 on a mat"}, "comes after the flags"),
    ("flag-bad-format", "imagine", {"prompt": "a cat --format gif"}, "`--format gif` is not valid"),
    ("flag-bad-guidance", "imagine", {"prompt": "a cat --guidance lots"}, "`--guidance lots` is not valid"),
    ("flag-unbalanced-quote", "imagine", {"prompt": 'a cat --model "flux-dev'}, "Unknown model"),
    # The same kind as issue 17 #11: what the member typed, quoted back, never makes the refusal
    # pass Discord's 2,000 characters (a 1,990-character flag or value; before: "interaction failed").
    ("flag-unknown-1990-chars", "imagine", {"prompt": "a --" + "x" * 1990}, "Unknown flag `--xxx"),
    ("flag-value-1990-chars", "imagine", {"prompt": "a --seed " + "9x" * 994}, "`--seed 9x9x"),
    ("words-after-flags-1990-chars", "imagine", {"prompt": "a --raw " + "w" * 1990}, "comes after the flags"),
    ("model-flag-1990-chars", "imagine", {"prompt": "a --model " + "m" * 1988}, "Unknown model `mmm"),
    # Ranges typed as flags bypass the slash Ranges Discord enforces: the bot checks them itself.
    ("flag-seed-negative", "imagine", {"prompt": "a cat --seed -1"}, "`seed` must be between 0 and"),
    (
        "flag-steps-over",
        "imagine",
        {"prompt": "a cat --model flux-dev --steps 51"},
        "`steps` must be between",
    ),
    ("flag-ratio-zero", "imagine", {"prompt": "a cat --ar 0:0"}, "'0:0' must look like 16:9"),
    ("flag-ratio-extreme", "imagine", {"prompt": "a cat --ar 1:99"}, "cannot be made from sides of 256–1440"),
    # Prompts.
    ("prompt-only-flags", "imagine", {"prompt": "--seed 5"}, "The prompt is empty"),
    ("prompt-blank", "imagine", {"prompt": "   "}, "The prompt is empty"),
    ("prompt-blank-edit", "edit", {"prompt": " \t ", "image": ("a.png", image_bytes())}, "prompt is empty"),
    # Attachments, checked before anything is held.
    ("not-an-image", "imagine", {"prompt": "a cat", "image": ("notes.txt", b"hello")}, "not an image"),
    (
        "pdf-as-image2",
        "edit",
        {"prompt": "merge", "image": ("a.png", image_bytes()), "image2": ("b.pdf", PDF)},
        "`image2` is a application/pdf file",
    ),
    ("no-extension-text", "imagine", {"prompt": "a cat", "image": ("notes", b"hello")}, "not a readable"),
    ("pdf-named-png", "imagine", {"prompt": "a cat", "image": ("cat.png", PDF)}, "not a readable image"),
    ("html-named-jpg", "imagine", {"prompt": "a cat", "image": ("cat.jpg", HTML)}, "not a readable image"),
    ("svg-named-png", "imagine", {"prompt": "a cat", "image": ("cat.png", SVG)}, "not a readable image"),
    ("bmp-named-png", "imagine", {"prompt": "a cat", "image": ("cat.png", image_bytes("BMP"))}, "BMP"),
    ("tiff-named-jpg", "imagine", {"prompt": "a cat", "image": ("cat.jpg", image_bytes("TIFF"))}, "TIFF"),
    (
        "truncated-png",
        "imagine",
        {"prompt": "a cat", "image": ("cut.png", image_bytes("PNG", (256, 256))[:300])},
        "not a readable image",
    ),
    (
        "truncated-jpeg",
        "imagine",
        {"prompt": "a cat", "image": ("cut.jpg", image_bytes("JPEG", (256, 256))[:400])},
        "not a readable image",
    ),
    ("empty-file", "imagine", {"prompt": "a cat", "image": ("empty.png", b"")}, "is empty"),
    (
        "bomb-warning-size",
        "imagine",
        {"prompt": "a cat", "image": ("bomb.png", png_claiming(10_000, 10_000))},
        "far too many pixels",
    ),
    (
        "bomb-error-size",
        "imagine",
        {"prompt": "a cat", "image": ("bomb.png", png_claiming(60_000, 60_000))},
        "far too many pixels",
    ),
    (
        "attachment-30-mb",
        "imagine",
        {"prompt": "a cat", "image": ("huge.png", bytes(30 * 1024 * 1024))},
        "`image` is 30.0 MB",
    ),
    ("animated-gif", "imagine", {"prompt": "a cat", "image": ("cat.gif", animated_gif())}, "is animated"),
    (
        "edit-third-image-broken",
        "edit",
        {"prompt": "merge", "image": ("a.png", image_bytes()), "image3": ("c.png", b"GIF89a....")},
        "`image3` is not a readable image",
    ),
    (
        "edit-30-mb-second",
        "edit",
        {"prompt": "merge", "image": ("a.png", image_bytes()), "image2": ("b.png", bytes(30 * 1024 * 1024))},
        "`image2` is 30.0 MB",
    ),
    ("finetune-blank-prompt", "finetune", {"prompt": "  ", "finetune_id": "ft-1"}, "prompt is empty"),
]


@pytest.mark.parametrize(("command", "options", "expected"), [pytest.param(*c[1:], id=c[0]) for c in CASES])
async def test_bad_input_gets_a_private_answer_and_spends_nothing(
    simcord_env, running, guild_setup, fake_ttapi, fake_bfl, command, options, expected
):
    _, channel, alice = guild_setup

    result = await alice.slash(channel, command, **options)

    assert expected in private_answer(simcord_env, result)
    assert [type(e) for e in user_facing(simcord_env)] == [InvalidInput]
    await assert_nothing_spent(running, [fake_ttapi, fake_bfl], alice)


# -- what Discord itself refuses, and the bot refuses again if Discord is bypassed -----------


async def test_an_oversized_prompt_is_refused_by_discord_and_by_the_bot(
    simcord_env, running, guild_setup, fake_ttapi
):
    _, channel, alice = guild_setup
    long = "a cat " * 400  # 2400 characters

    with pytest.raises(simcord.OptionError):
        await alice.slash(channel, "imagine", prompt=long)
    # A client that skipped Discord's check (or the CLI) meets the bot's own limit.
    with pytest.raises(InvalidInput, match=f"the limit is {MAX_PROMPT_CHARS:,}"):
        plan_job(long, {}, default_model="flux-pro-1.1", available=["ttapi"], preferred="ttapi")
    await assert_nothing_spent(running, [fake_ttapi], alice)


async def test_more_attachments_than_the_model_takes_are_refused_by_discord_and_by_the_bot(
    simcord_env, running, guild_setup, fake_ttapi
):
    _, channel, alice = guild_setup
    names = ["image", *(f"image{i}" for i in range(2, 10))]
    nine = {name: (f"{i}.png", image_bytes()) for i, name in enumerate(names, start=1)}
    five = dict(list(nine.items())[:5])

    with pytest.raises(simcord.OptionError):  # `/edit` has eight image options: no ninth
        await alice.slash(channel, "edit", prompt="merge them", **nine)
    refused = await alice.slash(channel, "edit", prompt="merge them", **five)  # Kontext takes four

    assert acknowledged_with(simcord_env, refused) == CHANNEL_MESSAGE
    assert refused.ephemeral
    assert "`flux-kontext-pro` takes at most 4 reference images; you attached 5." in refused.response.content
    assert [type(e) for e in refusals(simcord_env)] == [InvalidInput]
    with pytest.raises(InvalidInput, match="at most 4 reference images"):
        plan_job(
            "merge them",
            {},
            default_model="flux-kontext-pro",
            available=["ttapi"],
            preferred="ttapi",
            images=["AA=="] * 5,
            kinds=("edit",),
        )
    await assert_nothing_spent(running, [fake_ttapi], alice)


async def test_an_attachment_over_the_limit_is_refused_before_it_is_downloaded(
    simcord_env, running, guild_setup, fake_ttapi
):
    _, channel, alice = guild_setup

    result = await alice.slash(
        channel, "imagine", prompt="a cat", image=("huge.png", bytes(30 * 1024 * 1024))
    )

    assert acknowledged_with(simcord_env, result) == CHANNEL_MESSAGE  # refused at once, not deferred
    downloads = [r for r in simcord_env.http_requests if r.method == "GET" and "/attachments/" in r.path]
    assert downloads == []
    assert [type(e) for e in user_facing(simcord_env)] == [InvalidInput]
    await assert_nothing_spent(running, [fake_ttapi], alice)


@pytest.mark.parametrize(
    ("command", "options"),
    [
        ("imagine", {"prompt": "a cat", "image": ("notes.txt", b"shopping list")}),
        ("edit", {"prompt": "merge", "image": ("a.png", image_bytes()), "image4": ("d.pdf", PDF)}),
    ],
    ids=["txt-on-imagine", "pdf-as-fourth-image"],
)
async def test_a_file_discord_says_is_not_an_image_is_refused_privately_as_the_first_answer(
    simcord_env, running, guild_setup, fake_ttapi, command, options
):
    """Discord names the content type: the refusal comes before any public "thinking…" or download."""
    _, channel, alice = guild_setup

    result = await alice.slash(channel, command, **options)

    assert acknowledged_with(simcord_env, result) == CHANNEL_MESSAGE  # not DEFERRED: nobody saw "thinking"
    assert result.ephemeral
    # The bot's one call to Discord was that private answer; the channel shows others nothing.
    answers = [
        r.path for r in simcord_env.http_requests if r.path.startswith(("/interactions/", "/webhooks/"))
    ]
    assert len(answers) == 1
    assert answers[0].endswith("/callback")
    bob = guild_setup[0].add_member(simcord_env.create_user("bob"))
    assert channel.history(viewer=bob) == []
    assert "not an image; attach PNG, JPEG, WebP, AVIF or HEIC" in result.response.content
    assert [r for r in simcord_env.http_requests if "/attachments/" in r.path] == []
    assert [type(e) for e in user_facing(simcord_env)] == [InvalidInput]
    await assert_nothing_spent(running, [fake_ttapi], alice)


async def test_a_large_but_honest_image_is_downscaled_not_refused(
    simcord_env, running, guild_setup, fake_ttapi
):
    """The other side of the bomb guard: 25 MP of real pixels is accepted and sent at ≤ 20 MP."""
    _, channel, alice = guild_setup
    big = image_bytes("JPEG", (5000, 5000), quality=30)

    await alice.slash(channel, "imagine", prompt="a cat", image=("big.jpg", big))
    await finish_jobs(simcord_env, running)

    (job,) = await running.jobs.for_user(alice.id)
    (sent,) = fake_ttapi.submits()
    with Image.open(io.BytesIO(base64.b64decode(sent.body["image_prompt"]))) as image:
        assert image.width * image.height <= 20_000_000
    assert job.state.value == "delivered"


# -- custom_ids a client made up (issue 6's tests/discord/test_buttons.py covers unknown jobs and actions) --

FORGED_IDS = [
    ("sql-in-the-id", "fluxbot:reroll:' OR 1=1; DROP TABLE jobs; --", "not one the bot knows"),
    ("100-chars", "fluxbot:reroll:" + "f" * 85, "not one the bot knows"),
    ("uppercase-hex", "fluxbot:reroll:0123456789ABCDEF", "not one the bot knows"),
    ("extra-segment", "fluxbot:delete:0123456789abcdef:now", "not one the bot knows"),
    ("no-such-job", "fluxbot:vary:fedcba9876543210", "not known to this bot"),
]


@pytest.mark.parametrize(("custom_id", "expected"), [pytest.param(*c[1:], id=c[0]) for c in FORGED_IDS])
async def test_a_forged_custom_id_gets_a_private_answer_and_spends_nothing(
    simcord_env, running, guild_setup, fake_ttapi, fake_bfl, custom_id, expected
):
    import discord

    _, channel, alice = guild_setup
    view = discord.ui.View(timeout=None)
    view.add_item(discord.ui.Button(label="forged", custom_id=custom_id))
    sent = await simcord_env.bot.get_channel(channel.id).send("forged", view=view)
    view.stop()  # only the bot's dynamic items may answer
    await simcord_env.settle()

    result = await alice.click(sent, label="forged")

    answer = result.followups[-1] if result.followups else result.response
    assert answer.ephemeral
    assert expected in answer.content
    (count,) = await running.db.fetchone("SELECT COUNT(*) FROM jobs")  # the table is still there
    assert count == 0
    await assert_nothing_spent(running, [fake_ttapi, fake_bfl], alice)
    for error in simcord_env.errors:
        assert isinstance(getattr(error, "original", error), UserFacingError)
