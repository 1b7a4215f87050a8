"""The mock provider reads image fields as the job core hands them over: `Base64`, from the store."""

from __future__ import annotations

import asyncio
import base64
import io
from decimal import Decimal

from PIL import Image

from bot.encoding import as_base64
from bot.providers.base import ProviderRequest
from bot.providers.catalog import megapixel_price
from bot.providers.mock import MockProvider


def png_text(size: tuple[int, int]) -> str:
    out = io.BytesIO()
    Image.new("RGB", size, (1, 2, 3)).save(out, "PNG")
    return base64.b64encode(out.getvalue()).decode()


async def test_a_flux2_reference_from_the_store_is_priced_by_its_megapixels():
    price = megapixel_price("flux-2-pro", "mock")
    assert price is not None
    mock = MockProvider(delay=0, megapixel_prices={"flux-2-pro": price})  # keyed as the app keys them
    body = {"prompt": "a cat", "width": 1024, "height": 1024}
    reference = png_text((2000, 1000))  # 2 MP

    as_typed = await mock.submit(ProviderRequest("flux-2-pro", {**body, "input_image": reference}))
    from_store = await mock.submit(
        ProviderRequest("flux-2-pro", {**body, "input_image": as_base64(reference)})
    )

    assert as_typed.cost == from_store.cost
    assert from_store.cost is not None
    assert from_store.cost > Decimal(3)  # the first megapixel, plus the reference's


async def test_fill_and_expand_inputs_from_the_store_are_rendered():
    mock = MockProvider(delay=0.01)
    image = as_base64(png_text((40, 30)))

    done = await mock.submit(
        ProviderRequest("flux-pro-1.0-expand", {"prompt": "", "image": image, "left": 10})
    )
    await asyncio.sleep(0.05)  # past the mock's delay (its ticket keeps the submit time to the ms)
    result = await mock.poll(done.provider_job_id)

    assert result.image_url is not None
    with Image.open(io.BytesIO(await mock.download(result.image_url))) as picture:
        assert picture.size == (50, 30)
