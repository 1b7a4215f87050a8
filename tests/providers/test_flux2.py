"""FLUX.2 and retired endpoints, through the real clients against the fake TTAPI and BFL servers:
the sizes the catalogue makes are what the servers accept (multiples of 16 within 4 MP on BFL,
256–1440 in multiples of 32 on TTAPI), an answer without `polling_url` is followed through
`get_result?id=`, the charge is BFL's per-megapixel `cost`, and 404/405/410 on a submit is a
model the provider no longer offers."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import aiohttp
import pytest
from pydantic import SecretStr

from bot.providers.base import (
    Callback,
    ProviderInputError,
    ProviderRequest,
    ProviderRetired,
    ProviderStatus,
)
from bot.providers.catalog import MODELS, ImageOptions, build_request
from bot.providers.ttapi import TTAPIProvider
from tests.helpers import bfl_client, poll_until_done
from tests.models.conftest import b64, png


@pytest.fixture
def bfl(http, fake_bfl):
    return bfl_client(http, fake_bfl)


@pytest.fixture
def ttapi(http, fake_ttapi):
    return TTAPIProvider(session=http, base_url=fake_ttapi.url, api_key=SecretStr(fake_ttapi.api_key))


def request(model: str, provider: str, **options) -> ProviderRequest:
    return build_request(MODELS[model], provider, ImageOptions(prompt="a lighthouse", **options))


RATIOS = ["1:1", "16:9", "9:16", "21:9", "9:21", "3:2", "4:1", "7:5"]


@pytest.mark.parametrize("ratio", RATIOS)
async def test_every_ratio_becomes_a_size_bfl_accepts(bfl, fake_bfl, ratio):
    for model in ("flux-2-pro", "flux-2-max", "flux-2-flex", "flux-2-klein-4b", "flux-2-klein-9b"):
        submission = await bfl.submit(request(model, "bfl", aspect_ratio=ratio, safety_tolerance=5))
        assert submission.cost is not None  # accepted (a 422 would have raised)
    bodies = [s.body for s in fake_bfl.submits()]
    assert all(b["width"] % 16 == 0 and b["height"] % 16 == 0 for b in bodies)
    assert all(b["width"] * b["height"] <= 2048 * 2048 for b in bodies)
    assert not any("aspect_ratio" in b for b in bodies)


@pytest.mark.parametrize("ratio", RATIOS[:6])
async def test_every_ratio_becomes_a_size_ttapi_accepts(ttapi, fake_ttapi, ratio):
    for model in ("flux-2-pro", "flux-2-max", "flux-2-flex"):
        await ttapi.submit(request(model, "ttapi", aspect_ratio=ratio, safety_tolerance=5))
    bodies = [s.body for s in fake_ttapi.submits()]
    assert all(256 <= b[side] <= 1440 and b[side] % 32 == 0 for b in bodies for side in ("width", "height"))


async def test_the_fakes_refuse_what_the_documents_do_not_allow(bfl, ttapi, fake_bfl):
    """The catalogue's checks are not the only line: the servers refuse out-of-range bodies too."""
    with pytest.raises(ProviderInputError, match="multiple of 16"):
        await bfl.submit(ProviderRequest("/v1/flux-2-pro", {"prompt": "a", "width": 1000, "height": 1024}))
    with pytest.raises(ProviderInputError, match="4 megapixels"):
        await bfl.submit(ProviderRequest("/v1/flux-2-pro", {"prompt": "a", "width": 4096, "height": 2048}))
    with pytest.raises(ProviderInputError, match="`aspect_ratio`: Extra inputs"):
        await bfl.submit(ProviderRequest("/v1/flux-2-max", {"prompt": "a", "aspect_ratio": "16:9"}))
    with pytest.raises(ProviderInputError, match="`safety_tolerance`"):
        await bfl.submit(ProviderRequest("/v1/flux-2-flex", {"prompt": "a", "safety_tolerance": 6}))
    with pytest.raises(ProviderInputError, match="`image5`: Extra inputs"):
        await bfl.submit(ProviderRequest("/v1/flux-2-klein-9b", {"prompt": "a", "input_image_5": "AA=="}))
    with pytest.raises(ProviderInputError, match="`upsample`: Extra inputs"):
        await bfl.submit(ProviderRequest("/v1/flux-2-klein-4b", {"prompt": "a", "disable_pup": True}))
    with pytest.raises(ProviderInputError, match="unknown field steps"):
        await ttapi.submit(ProviderRequest("/bfl/v1/flux-2-flex", {"prompt": "a", "steps": 20}))
    with pytest.raises(ProviderInputError, match="multiple of 32"):
        await ttapi.submit(ProviderRequest("/bfl/v1/flux-2-pro", {"prompt": "a", "width": 1360}))
    assert fake_bfl.jobs == {}


async def test_the_charge_is_bfls_per_megapixel_cost_with_the_references(bfl, fake_bfl):
    references = [b64(png(1024, 1024)), b64(png(512, 512))]  # 1.05 MP + 0.27 MP
    submission = await bfl.submit(request("flux-2-pro", "bfl", width=2048, height=1024, images=references))

    answer = fake_bfl.submits()[0]
    assert answer.body["input_image_2"] == references[1]
    # 3 for the first MP, 1.10 further output MP and 1.32 input MP at 1.5 each
    assert submission.cost == Decimal("3") + Decimal("1.10") * Decimal("1.5") + Decimal("1.32") * Decimal(
        "1.5"
    )


async def test_without_cost_the_charge_is_the_per_megapixel_price_of_the_answers_megapixels(bfl, fake_bfl):
    fake_bfl.cost = None
    plain = await bfl.submit(request("flux-2-max", "bfl", width=1024, height=1024))
    assert plain.cost == Decimal("7") + Decimal("0.05") * 3  # 1024×1024 = 1.05 MP: no mp in the answer


async def test_an_answer_without_polling_url_is_polled_at_get_result(bfl, fake_bfl):
    """FLUX.2's `AsyncWebhookResponse` (a submit with `webhook_url`) has no `polling_url`."""
    fake_bfl.webhook_answer = True
    submission = await bfl.submit(
        request("flux-2-klein-4b", "bfl"), callback=Callback("http://127.0.0.1:9/cb/x", secret="s")
    )

    assert submission.polling_url is None
    assert submission.cost == Decimal("1.4") + Decimal("0.05") * Decimal("0.1")
    result, _ = await poll_until_done(bfl, submission)

    assert result.status is ProviderStatus.READY
    assert {r.path for r in fake_bfl.polls()} == {"/v1/get_result"}
    assert {r.query["id"] for r in fake_bfl.polls()} == {submission.provider_job_id}


@pytest.mark.parametrize("status", [404, 405, 410])
async def test_a_retired_endpoint_is_no_longer_offered_and_not_retryable(
    bfl, ttapi, fake_bfl, fake_ttapi, status
):
    fake_bfl.retired["flux-pro"] = status
    fake_ttapi.retired["flux-pro"] = status

    with pytest.raises(ProviderRetired) as on_bfl:
        await bfl.submit(request("flux-pro", "bfl"))
    with pytest.raises(ProviderRetired) as on_ttapi:
        await ttapi.submit(request("flux-pro", "ttapi"))

    assert on_bfl.value.message == "This model is no longer offered by BFL."
    assert on_ttapi.value.message == "This model is no longer offered by TTAPI."
    assert not on_bfl.value.retryable
    assert on_bfl.value.kind == "retired"
    assert on_bfl.value.status == status
    assert fake_bfl.api_key not in (on_bfl.value.detail or "")
    assert fake_bfl.jobs == {}
    assert fake_ttapi.jobs == {}


async def test_the_mock_serves_flux2_and_charges_what_bfl_would():
    """`ENABLE_MOCK_PROVIDER` / `generate --provider mock`: the BFL route's fields and limits, a real
    picture of the asked size, and BFL's per-megapixel price of output and references."""
    from bot.app import build_providers
    from tests.conftest import make_settings

    async with aiohttp.ClientSession() as session:
        mock = build_providers(
            make_settings(Path("/nonexistent")), session, mock_delay=0.0, include_mock=True
        )["mock"]
        references = [b64(png(1024, 1024))] * 5  # 5 references: more than TTAPI's 4, within BFL's 8
        made = request("flux-2-flex", "mock", width=1024, height=768, images=references, steps=20)
        submission = await mock.submit(made)
        result, _ = await poll_until_done(mock, submission)
        image = await mock.download(result.image_url)

    assert made.endpoint == "flux-2-flex"
    assert made.body["input_image_5"] == references[0]
    # 1024×768 = 0.79 MP (no extra output MP); 5 × 1.05 MP of references at 5 each
    assert submission.cost == Decimal("5") + Decimal("5.25") * 5
    assert result.status is ProviderStatus.READY
    assert result.cost is None  # the submit's cost is the charge, as on BFL
    assert image[:4] == b"\x89PNG"
