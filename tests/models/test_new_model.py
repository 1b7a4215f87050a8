"""Adding a model (say a future FLUX mode) is one entry in the table: nothing else changes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from bot.providers.catalog import MODELS, FluxPro11Request, ModelSpec, Route
from tests.conftest import finish_jobs, refusals

#: The one entry: a model neither provider serves yet, on both of them.
FLUX2 = ModelSpec(
    id="flux-next-pro",
    label="FLUX next [pro]",
    kind="generate",
    routes={
        "ttapi": Route("/bfl/v1/flux-next-pro", FluxPro11Request),
        "bfl": Route("/v1/flux-next-pro", FluxPro11Request, Decimal(3)),
    },
)


@pytest.fixture
def flux2(monkeypatch: pytest.MonkeyPatch) -> ModelSpec:
    monkeypatch.setitem(MODELS, FLUX2.id, FLUX2)
    return FLUX2


@pytest.fixture
def settings_overrides(flux2: ModelSpec, settings_overrides: dict[str, Any]) -> dict[str, Any]:
    """The entry exists before the bot starts, as it would after an upgrade."""
    return settings_overrides


@pytest.mark.parametrize("default_provider", ["ttapi", "bfl"])
async def test_a_new_entry_is_offered_validated_sent_and_priced(
    simcord_env, running, guild_setup, fake_ttapi, fake_bfl, default_provider
):
    _, channel, alice = guild_setup
    imagine = simcord_env.bot.tree.get_command("imagine")
    (model,) = [o for o in imagine.to_dict(simcord_env.bot.tree)["options"] if o["name"] == "model"]
    assert "flux-next-pro" in [c["value"] for c in model["choices"]]
    assert running.quota.prices[("ttapi", "flux-next-pro")] == Decimal(3)  # BFL's price, same unit

    refused = await alice.slash(channel, "imagine", prompt="a cat --ar 16:9 --steps 9", model="flux-next-pro")
    assert "`steps` cannot be used with `flux-next-pro`" in refused.response.content
    assert len(refusals(simcord_env)) == 1

    result = await alice.slash(channel, "imagine", prompt="a cat --ar 16:9", model="flux-next-pro")
    await finish_jobs(simcord_env, running)

    assert len(result.response.attachments) == 1
    fake = fake_ttapi if default_provider == "ttapi" else fake_bfl
    (submit,) = fake.submits()
    assert submit.path == ("/bfl/v1/flux-next-pro" if default_provider == "ttapi" else "/v1/flux-next-pro")
    assert submit.body == {"prompt": "a cat", "width": 1376, "height": 768, "safety_tolerance": 2}
