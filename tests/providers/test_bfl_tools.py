"""Fill and Expand on the BFL client against the fake BFL, which validates their fields strictly."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from decimal import Decimal

import pytest
from PIL import Image

from bot.jobs.intake import NewJob
from bot.jobs.model import JobState, Origin
from bot.jobs.plan import plan_job
from bot.providers.base import ProviderInputError, ProviderRequest, ProviderStatus
from bot.providers.catalog import EXPAND_MODEL, FILL_MODEL
from tests.helpers import MANAGER_ENV_STORE, bfl_client, ledger, manager_env, poll_until_done


def png(size=(40, 30), mode="RGB", colour: tuple[int, ...] | int | None = None) -> str:
    colour = colour if colour is not None else (0 if mode == "L" else (10, 20, 30, 255)[: len(mode)])
    out = io.BytesIO()
    Image.new(mode, size, colour).save(out, "PNG")
    return base64.b64encode(out.getvalue()).decode()


@pytest.fixture
def client(http, fake_bfl):
    return bfl_client(http, fake_bfl)


async def test_fill_is_sent_to_its_endpoint_and_gives_back_the_images_size(client, fake_bfl):
    fake_bfl.duration, fake_bfl.cost = 0.05, None  # an answer without `cost`: the public price
    body = {
        "prompt": "a door",
        "image": png(),
        "mask": png(mode="L", colour=255),
        "steps": 15,
        "guidance": 100,
    }

    submission = await client.submit(ProviderRequest("/v1/flux-pro-1.0-fill", body))
    result, _ = await poll_until_done(client, submission)

    assert submission.cost == Decimal(5)
    assert result.status is ProviderStatus.READY
    with Image.open(io.BytesIO(await client.download(result.image_url))) as image:
        assert image.size == (40, 30)
    assert fake_bfl.submits()[0].headers["x-key"] == fake_bfl.api_key


async def test_expand_gives_back_the_image_plus_its_sides_and_its_cost(client, fake_bfl):
    fake_bfl.duration, fake_bfl.cost = 0.05, "3.5"

    submission = await client.submit(
        ProviderRequest("/v1/flux-pro-1.0-expand", {"image": png(), "top": 10, "right": 20, "guidance": 60})
    )
    result, _ = await poll_until_done(client, submission)

    assert submission.cost == Decimal("3.5")  # the answer's cost wins (Expand has no public price)
    with Image.open(io.BytesIO(await client.download(result.image_url))) as image:
        assert image.size == (60, 40)


@pytest.mark.parametrize(
    ("endpoint", "body", "named"),
    [
        (
            "fill",
            {"image": png(), "mask": png(size=(41, 30), mode="L")},
            "`mask`: Mask must have the same size",
        ),
        ("fill", {"image": png()}, "`mask`: A mask is required"),
        ("fill", {"image": png(), "mask": png(mode="L"), "steps": 10}, "`steps`"),
        ("fill", {"image": png(), "mask": png(mode="L"), "width": 512}, "`width`: Extra inputs"),
        ("expand", {"image": png()}, "At least one of top, bottom, left, right"),
        ("expand", {"image": png(), "left": 3000}, "`left`"),
        ("expand", {"image": "not an image", "left": 10}, "`image`"),
    ],
    ids=[
        "mask-size",
        "no-mask-no-alpha",
        "steps-below-15",
        "unknown-field",
        "no-side",
        "side-too-far",
        "not-base64",
    ],
)
async def test_the_fake_refuses_what_the_real_endpoint_refuses_and_the_client_reads_it(
    client, fake_bfl, endpoint, body, named
):
    path = f"/v1/flux-pro-1.0-{endpoint}"

    with pytest.raises(ProviderInputError) as refused:
        await client.submit(ProviderRequest(path, {"prompt": "x", **body}))

    assert refused.value.status == 422
    assert named in refused.value.message
    assert fake_bfl.jobs == {}


@pytest.fixture
def on_each_backend(database_url: str) -> Iterator[None]:
    """The job's hold and charge on SQLite, then on PostgreSQL (`manager_env` picks the store up)."""
    MANAGER_ENV_STORE["database_url"] = database_url
    yield
    MANAGER_ENV_STORE.clear()


@pytest.mark.usefixtures("on_each_backend")
@pytest.mark.parametrize("tool", [FILL_MODEL, EXPAND_MODEL])
async def test_a_tool_job_holds_then_is_charged_the_providers_cost(tmp_path, fake_bfl, tool):
    fake_bfl.duration, fake_bfl.cost = 0.05, "4.5"
    extra = {"left": 8} if tool == EXPAND_MODEL else {}
    async with manager_env(tmp_path, bfl=fake_bfl) as (services, _sink, _):
        plan = plan_job(
            "a harbour",
            {"model": tool, **extra},
            default_model="flux-pro-1.1",
            available=["bfl"],
            preferred="bfl",
            images=[png(mode="RGBA", colour=(1, 2, 3, 0)) if tool == FILL_MODEL else png()],
            mask=png(mode="L", colour=255) if tool == FILL_MODEL else None,
        )
        job = await services.manager.submit(NewJob.from_plan(plan, origin=Origin.CLI, user_id=7))
        assert job.estimate == Decimal(5)  # Fill's price; Expand's unpublished estimate
        done = await services.manager.wait_for(job.id)

        assert done.state is JobState.DELIVERED
        assert done.cost == Decimal("4.5")
        assert await ledger(services, job.id) == ["hold", "charge"]
        (submit,) = fake_bfl.submits()
        assert submit.path == f"/v1/{tool}"
        assert submit.body["image"] == plan.request.body["image"]
