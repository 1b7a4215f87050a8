"""Results always fit the channel's upload limit: re-encoded, then downscaled, and re-sent when refused.

SimCord reports a 25 MiB limit and does not size-check uploads, so the limit is set explicitly
small here and Discord's refusal is injected (413 / 40005).
"""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest
from PIL import Image

from bot.discord.fitting import MIB, fit_image, smaller_limit
from bot.jobs.model import JobState
from bot.providers.mock import render
from tests.conftest import finish_jobs, make_settings


def noisy_png(width: int = 512, height: int = 384) -> bytes:
    rng = random.Random(7)
    image = Image.frombytes(
        "RGB", (width, height), bytes(rng.randrange(256) for _ in range(width * height * 3))
    )
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def test_an_image_that_fits_is_sent_as_is():
    data = noisy_png(64, 64)
    fitted = fit_image(data, len(data))
    assert fitted.data == data
    assert fitted.note is None
    assert fitted.extension == ".png"


def test_re_encoding_comes_before_downscaling():
    data = render({"w": 1024, "h": 768, "p": "a lighthouse", "s": 1, "f": "png"})
    fitted = fit_image(data, len(data) // 2)
    assert fitted.size <= len(data) // 2
    assert (fitted.width, fitted.height) == (1024, 768)
    assert fitted.note is not None
    assert str(fitted.note).startswith("Re-encoded as")
    assert "limit" in str(fitted.note)


def test_downscaling_is_the_last_resort():
    data = noisy_png()
    limit = 40 * 1024  # noise does not compress: only fewer pixels fit
    fitted = fit_image(data, limit)
    assert fitted.size <= limit
    assert fitted.width is not None
    assert fitted.width < 512
    assert fitted.note is not None
    assert str(fitted.note).startswith("Downscaled from 512×384 to")
    with Image.open(io.BytesIO(fitted.data)) as decoded:
        assert decoded.size == (fitted.width, fitted.height)


def test_an_impossible_limit_is_an_error_not_a_postage_stamp():
    with pytest.raises(ValueError, match="cannot be made smaller"):
        fit_image(noisy_png(), 500)


def test_after_a_refusal_the_next_known_limit_is_tried_then_halves():
    assert smaller_limit(20 * MIB, 25 * MIB) == 10 * MIB
    assert smaller_limit(9 * MIB, 10 * MIB) == 8 * MIB
    assert smaller_limit(40_000, 25 * MIB) == 20_000


# -- end to end, with the mock provider's real pictures ---------------------------------------


@pytest.fixture
def settings(tmp_path):
    return make_settings(tmp_path, enable_mock_provider=True)


async def test_an_oversized_result_is_re_encoded_for_a_small_limit_and_the_embed_says_so(
    simcord_env, running, guild_setup
):
    _, channel, alice = guild_setup
    simcord_env.bot.sink.max_upload = 20_000  # the mock's PNG is ~39 KB

    result = await alice.slash(channel, "imagine", prompt="a lighthouse at dusk")
    await finish_jobs(simcord_env, running)

    message = result.response
    (attachment,) = message.attachments
    assert attachment.size <= 20_000
    extension = attachment.filename.rsplit(".", 1)[-1]
    fields = {f.name: f.value for f in message.embeds[0].fields}
    assert fields["Note"].startswith("Re-encoded as")
    assert {"png": "PNG", "webp": "WebP", "jpg": "JPEG"}[extension] in fields["Note"]
    assert "20 KiB limit" in fields["Note"]
    (job,) = await running.jobs.for_user(alice.id)
    assert job.state is JobState.DELIVERED


async def test_a_tiny_limit_downscales(simcord_env, running, guild_setup):
    _, channel, alice = guild_setup
    simcord_env.bot.sink.max_upload = 8_000

    result = await alice.slash(channel, "imagine", prompt="a lighthouse at dusk")
    await finish_jobs(simcord_env, running)

    (attachment,) = result.response.attachments
    assert attachment.size <= 8_000
    fields = {f.name: f.value for f in result.response.embeds[0].fields}
    assert fields["Note"].startswith("Downscaled from 1024×768 to")


async def test_a_refused_result_upload_is_retried_smaller(simcord_env, running, guild_setup):
    _, channel, alice = guild_setup

    result = await alice.slash(channel, "imagine", prompt="a lighthouse at dusk")
    # Refuse the next two edits of the reply: they are the result uploads (progress is throttled).
    simcord_env.inject_error(
        "PATCH", "/webhooks/*", status=413, code=40005, message="Request entity too large", times=2
    )
    await finish_jobs(simcord_env, running)

    (attachment,) = result.response.attachments
    uploads = [
        e
        for e in simcord_env.http_requests
        if e.method == "PATCH" and e.path.startswith("/webhooks/") and (e.json or {}).get("embeds")
    ]
    assert len(uploads) == 3  # two refusals, then the one that went through
    (job,) = await running.jobs.for_user(alice.id)
    original = Path(job.result_path or "").stat().st_size
    # Refused at full size → under half → refused again → under a quarter.
    assert attachment.size <= original // 4
    fields = {f.name: f.value for f in result.response.embeds[0].fields}
    assert "Note" in fields
    assert job.state is JobState.DELIVERED


async def test_a_refused_channel_post_is_retried_smaller(simcord_env, running, guild_setup):
    _, channel, alice = guild_setup

    await alice.slash(channel, "imagine", prompt="a lighthouse at dusk")
    await simcord_env.advance_time(16 * 60)  # the result will be posted in the channel
    simcord_env.inject_error(
        "POST", f"/channels/{channel.id}/messages", status=413, code=40005, message="Request entity too large"
    )
    await finish_jobs(simcord_env, running)

    posted = channel.last_message
    assert posted.content.startswith(f"{alice.mention} your image is ready")
    (job,) = await running.jobs.for_user(alice.id)
    assert posted.attachments[0].size <= Path(job.result_path or "").stat().st_size // 2
