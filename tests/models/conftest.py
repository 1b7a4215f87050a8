"""Both providers configured: the fake TTAPI, the fake BFL, and a second fake BFL as finetune host."""

from __future__ import annotations

import base64
import io
from collections.abc import AsyncIterator
from typing import Any

import pytest
from PIL import Image

from tests.fakes.bfl import FakeBFL
from tests.fakes.ttapi import FakeTTAPI


@pytest.fixture
def default_provider() -> str:
    """Override with `@pytest.mark.parametrize("default_provider", [...])`."""
    return "ttapi"


@pytest.fixture
async def fake_bfl_finetune(fake_bfl: FakeBFL) -> AsyncIterator[FakeBFL]:
    """BFL's single-cluster host (BFL_FINETUNE_BASE_URL), a server of its own."""
    fake = FakeBFL(api_key=fake_bfl.api_key, duration=0.1)
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
def settings_overrides(
    fake_ttapi: FakeTTAPI, fake_bfl: FakeBFL, fake_bfl_finetune: FakeBFL, default_provider: str
) -> dict[str, Any]:
    fake_ttapi.duration = 0.1
    fake_bfl.duration = 0.1
    return {
        "bfl_api_key": fake_bfl.api_key,
        "bfl_base_url": fake_bfl.url,
        "bfl_finetune_base_url": fake_bfl_finetune.url,
        "default_provider": default_provider,
    }


def png(width: int = 64, height: int = 48, colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "PNG")
    return out.getvalue()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
