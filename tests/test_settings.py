"""Settings: defaults as PRODUCT.md states them, parsing, and secrets kept out of repr."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.settings import Settings, settings_problems
from tests.conftest import ROOT, env_from_example

#: A setting's line in .env.example: `NAME=value`, or `# NAME=default` when shipped commented out.
SETTING_LINE = re.compile(r"^(?P<comment># )?(?P<name>[A-Z][A-Z0-9_]*)=(?P<value>.*)$")


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
    lines = (ROOT / ".env.example").read_text().splitlines()
    settings = [(index, SETTING_LINE.match(line)) for index, line in enumerate(lines)]
    names = [match["name"] for _, match in settings if match]
    assert sorted(names) == sorted(name.upper() for name in Settings.model_fields)
    for index, match in settings:
        if match:
            above = lines[index - 1]
            assert above.startswith("#"), f"{match['name']} has no comment line above it"
            assert not SETTING_LINE.match(above), f"{match['name']} has no comment line above it"
        if match and match["comment"]:  # a commented-out line shows the default
            assert match["value"] == str(Settings.model_fields[match["name"].lower()].default)


def test_the_container_settings_are_not_overridden_by_the_example():
    # The Dockerfile sets these; `docker run --env-file .env` must not replace them.
    dockerfile = (ROOT / "Dockerfile").read_text()
    shipped = {
        m["name"]
        for line in (ROOT / ".env.example").read_text().splitlines()
        if (m := SETTING_LINE.match(line)) and not m["comment"]
    }
    for name in ("DATABASE_PATH", "HTTP_HOST", "HTTP_PORT"):
        assert f"{name}=" in dockerfile
        assert name not in shipped


def test_the_shipped_env_example_loads_with_only_a_token_and_a_key(tmp_path, monkeypatch):
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    env_file = env_from_example(tmp_path, DISCORD_TOKEN="discord-token-xyz", TTAPI_API_KEY="tt-key-xyz")
    monkeypatch.chdir(tmp_path)

    settings = Settings()  # reads ./.env, as `python -m bot` does

    assert settings.model_config["env_file"] == ".env"
    assert (tmp_path / ".env") == env_file
    assert settings.discord_token is not None
    assert settings.discord_token.get_secret_value() == "discord-token-xyz"
    assert settings.configured_providers() == ["ttapi"]
    # Every variable shipped empty is unset, so its default applies.
    assert settings.discord_dev_guild_id is None
    assert settings.bfl_api_key is None
    assert settings.default_provider is None
    assert settings.preferred_provider() == "ttapi"
    assert settings.webhook_public_url is None
    assert settings.quota_prices == {}
    assert settings.database_path == Path("data/fluxbot.sqlite3")
    assert (settings.http_host, settings.http_port) == ("127.0.0.1", 8080)


@pytest.mark.parametrize("name", sorted(name.upper() for name in Settings.model_fields))
def test_an_empty_variable_means_unset(name, monkeypatch):
    for other in Settings.model_fields:
        monkeypatch.delenv(other.upper(), raising=False)
    unset = make()
    monkeypatch.setenv(name, "")

    assert make() == unset


def test_the_store_is_database_url_else_database_path_and_files_go_to_data_dir(monkeypatch):
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    default = make()
    assert (default.store_url, default.sqlite_file, default.files_dir) == (
        "sqlite:///data/fluxbot.sqlite3",
        Path("data/fluxbot.sqlite3"),
        Path("data"),
    )
    by_path = make(database_path="/srv/fluxbot/db.sqlite3")
    assert (by_path.store_url, by_path.files_dir) == (
        "sqlite:////srv/fluxbot/db.sqlite3",
        Path("/srv/fluxbot"),
    )
    by_url = make(database_url="sqlite:////var/lib/fluxbot/x.sqlite3", database_path="/ignored.sqlite3")
    assert (by_url.sqlite_file, by_url.files_dir) == (
        Path("/var/lib/fluxbot/x.sqlite3"),
        Path("/var/lib/fluxbot"),
    )
    shared = make(database_url="postgresql://bot:pw-123@db.internal/fluxbot", data_dir="/mnt/shared/fluxbot")
    assert shared.uses_postgresql
    assert (shared.sqlite_file, shared.files_dir) == (None, Path("/mnt/shared/fluxbot"))
    assert make(database_url="postgresql://bot@db/fluxbot").files_dir == Path("data")
    assert "pw-123" in shared.secret_values()
    assert "pw-123" not in repr(shared)


def test_a_database_url_of_another_kind_is_one_readable_line():
    with pytest.raises(ValidationError) as caught:
        make(database_url="mysql://bot:pw-123@db/fluxbot")
    assert settings_problems(caught.value) == ["DATABASE_URL: must start with sqlite:/// or postgresql://"]
    assert "pw-123" not in str(caught.value)


def test_shards_are_a_count_and_the_ids_this_process_connects(monkeypatch):
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    assert (make().shard_count, make().shard_ids) == (None, None)  # Discord's recommended count
    monkeypatch.setenv("SHARD_COUNT", "4")
    monkeypatch.setenv("SHARD_IDS", " 3, 1")
    assert (make().shard_count, make().shard_ids) == (4, [1, 3])

    for count, ids, problem in [
        ("", "0,1", "SHARD_IDS: needs SHARD_COUNT too (how many shards the bot has in all)"),
        ("2", "1,2", "SHARD_IDS: must be distinct numbers from 0 to 1 (SHARD_COUNT - 1)"),
        ("2", "1,1", "SHARD_IDS: must be distinct numbers from 0 to 1 (SHARD_COUNT - 1)"),
        ("2", "one", "SHARD_IDS: must be shard numbers separated by commas, e.g. 0,1"),
    ]:
        monkeypatch.setenv("SHARD_COUNT", count)
        monkeypatch.setenv("SHARD_IDS", ids)
        with pytest.raises(ValidationError) as caught:
            make()
        assert settings_problems(caught.value) == [problem]
    monkeypatch.setenv("SHARD_COUNT", "0")
    monkeypatch.delenv("SHARD_IDS")
    with pytest.raises(ValidationError) as caught:
        make()
    assert settings_problems(caught.value) == ["SHARD_COUNT: Input should be greater than or equal to 1"]
