"""Settings: defaults as PRODUCT.md states them, parsing, and secrets kept out of repr."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.settings import Settings, settings_problems


def make(**values):
    return Settings(_env_file=None, **values)


def test_defaults_match_the_product(monkeypatch):
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    settings = make()
    assert settings.ttapi_base_url == "https://api.ttapi.io"
    assert settings.bfl_base_url == "https://api.bfl.ai"
    assert settings.bfl_finetune_base_url == "https://api.us1.bfl.ai"
    assert settings.quota_default_limit == Decimal(100)
    assert settings.quota_guild_limit is None
    assert settings.provider_concurrency["ttapi"] == 10
    assert settings.provider_concurrency["bfl"] == 24
    assert settings.preferred_provider() == "bfl"
    assert make(ttapi_api_key="k").preferred_provider() == "ttapi"


@pytest.mark.parametrize(
    ("raw", "expected"), [("unlimited", None), ("0", Decimal(0)), ("12.5", Decimal("12.5"))]
)
def test_quota_limits(raw, expected):
    assert make(quota_default_limit=raw).quota_default_limit == expected


def test_provider_concurrency_parses_pairs():
    settings = make(provider_concurrency="ttapi=3, bfl=7")
    assert settings.provider_concurrency["ttapi"] == 3
    assert settings.provider_concurrency["bfl"] == 7


def test_secrets_stay_out_of_repr_and_errors():
    settings = make(
        discord_token="discord-secret-xyz", ttapi_api_key="tt-secret-xyz", bfl_api_key="bfl-secret-xyz"
    )
    text = repr(settings) + str(settings)
    for secret in settings.secret_values():
        assert secret not in text
    with pytest.raises(ValidationError) as caught:
        make(ttapi_api_key="tt-secret-xyz", http_port="not-a-port")
    lines = settings_problems(caught.value)
    assert lines == ["HTTP_PORT: Input should be a valid integer, unable to parse string as an integer"]
    assert "tt-secret-xyz" not in str(caught.value)


def test_env_example_mirrors_the_settings_one_to_one():
    root = Path(__file__).resolve().parents[1]
    lines = (root / ".env.example").read_text().splitlines()
    names = [line.split("=", 1)[0] for line in lines if line and not line.startswith("#")]
    assert sorted(names) == sorted(name.upper() for name in Settings.model_fields)
    for index, line in enumerate(lines):
        if line and not line.startswith("#"):
            assert lines[index - 1].startswith("#"), f"{line.split('=')[0]} has no comment line above it"
