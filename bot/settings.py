"""Every setting of the product, typed and validated once at start.

`.env.example` mirrors this class one to one. An empty value (`NAME=`, as the example ships most
of them) means "unset": the default applies, in a `.env` file and in the environment alike.
Secrets are `SecretStr`, so neither `repr` nor an error message can show them;
`settings_problems` turns a validation failure into one readable line per bad variable, naming the
variable and never its value.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.credits import parse_credit_amount
from bot.errors import ConfigurationError

ProviderName = Literal["ttapi", "bfl", "mock"]
QuotaPeriod = Literal["day", "week", "month"]
#: The languages of bot/i18n (`LANGUAGES`; tests/test_i18n.py keeps them in step).
Language = Literal["en-US", "ru", "zh-CN", "es-ES", "de"]

#: A credit limit: a non-negative amount, or None for "unlimited".
Limit = Decimal | None

DEFAULT_CONCURRENCY: dict[str, int] = {"ttapi": 10, "bfl": 24, "mock": 50}


def parse_limit(value: Any) -> Limit:
    """`100`, `12.5`, `0` (blocks) or `unlimited` (no cap): the one credit parser (bot/credits.py)."""
    if isinstance(value, Decimal):
        value = str(value)
    return parse_credit_amount(value, unlimited=True)


def parse_prices(value: Any) -> dict[str, Decimal]:
    """`QUOTA_PRICES`: `flux-dev=2.5,ttapi:flux1-schnell=0.3` → {"flux-dev": 2.5, ...} (credits)."""
    if isinstance(value, dict):
        items = [(str(k).strip().lower(), v) for k, v in value.items()]
    else:
        items = []
        for part in str(value or "").split(","):
            if not part.strip():
                continue
            key, sep, amount = part.partition("=")
            if not sep or not key.strip():
                raise ValueError("must look like 'flux-dev=2.5,ttapi:flux1-schnell=0.3'")
            items.append((key.strip().lower(), amount.strip()))
    prices: dict[str, Decimal] = {}
    for key, amount in items:
        try:
            price = parse_credit_amount(amount)
        except ValueError as exc:
            raise ValueError(f"the price of {key} {exc}") from None
        assert price is not None  # `unlimited` is refused for prices
        prices[key] = price
    return prices


def parse_model_list(value: Any) -> tuple[str, ...]:
    """`DISABLED_MODELS`: `flux-pro, flux-dev` → ("flux-pro", "flux-dev"); which ids exist is
    checked by `doctor` (the model table sits above the settings)."""
    parts = value if isinstance(value, list | tuple | set | frozenset) else str(value or "").split(",")
    names = [str(part).strip().lower() for part in parts]
    return tuple(dict.fromkeys(name for name in names if name))


def parse_ids(value: Any) -> tuple[int, ...]:
    """`BOT_OWNER_IDS`, `OWNER_GUILD_IDS`: Discord ids separated by commas or spaces."""
    if value is None:
        return ()
    parts = value if isinstance(value, list | tuple) else re.split(r"[\s,]+", str(value))
    ids = []
    for part in parts:
        text = str(part).strip()
        if not text:
            continue
        if not text.isdigit() or not 15 <= len(text) <= 21:
            raise ValueError("must be Discord ids (numbers of 15 to 21 digits) separated by commas")
        ids.append(int(text))
    return tuple(dict.fromkeys(ids))


def parse_concurrency(value: Any) -> dict[str, int]:
    """`ttapi=10,bfl=24` → {"ttapi": 10, "bfl": 24}; providers left out keep their default."""
    if isinstance(value, dict):
        pairs = value.items()
    else:
        pairs_list = []
        for part in str(value).split(","):
            if not part.strip():
                continue
            name, sep, number = part.partition("=")
            if not sep:
                raise ValueError("must look like 'ttapi=10,bfl=24'")
            pairs_list.append((name.strip().lower(), number.strip()))
        pairs = pairs_list  # type: ignore[assignment]
    result = dict(DEFAULT_CONCURRENCY)
    for name, number in pairs:
        if name not in DEFAULT_CONCURRENCY:
            raise ValueError(f"unknown provider {name!r} (known: ttapi, bfl, mock)")
        try:
            count = int(number)
        except (TypeError, ValueError):
            raise ValueError(f"{name} needs a whole number") from None
        if count < 1:
            raise ValueError(f"{name} needs at least 1")
        result[name] = count
    return result


def parse_shard_ids(value: Any, shard_count: int | None) -> list[int] | None:
    """`SHARD_IDS`: `0,1` → [0, 1]: distinct shard numbers below `SHARD_COUNT`, which it needs."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    parts = value if isinstance(value, list) else str(value).split(",")
    try:
        ids = [int(part) for part in parts if str(part).strip()]
    except ValueError:
        raise ValueError("must be shard numbers separated by commas, e.g. 0,1") from None
    if not ids:
        return None
    if shard_count is None:
        raise ValueError("needs SHARD_COUNT too (how many shards the bot has in all)")
    if len(set(ids)) != len(ids) or not all(0 <= i < shard_count for i in ids):
        raise ValueError(f"must be distinct numbers from 0 to {shard_count - 1} (SHARD_COUNT - 1)")
    return sorted(ids)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        # `cp .env.example .env` leaves most variables empty: empty means the default, never "".
        env_ignore_empty=True,
        hide_input_in_errors=True,
    )

    discord_token: SecretStr | None = None
    discord_dev_guild_id: int | None = None

    ttapi_api_key: SecretStr | None = None
    ttapi_base_url: str = "https://api.ttapi.io"
    bfl_api_key: SecretStr | None = None
    bfl_base_url: str = "https://api.bfl.ai"
    bfl_finetune_base_url: str = "https://api.us1.bfl.ai"
    default_provider: ProviderName | None = None
    enable_mock_provider: bool = False

    database_path: Path = Path("data/fluxbot.sqlite3")
    #: `sqlite:///data/fluxbot.sqlite3` or `postgresql://user@host/db`; unset: `DATABASE_PATH`.
    #: Secret: a PostgreSQL URL may carry a password.
    database_url: SecretStr | None = None
    #: Where images and reference inputs live; unset: beside the SQLite file, else `data/`.
    data_dir: Path | None = None
    default_model: str = "flux-pro-1.1"
    #: Model ids hidden from members: no choice, no /models line, refused when asked for by name.
    disabled_models: Annotated[tuple[str, ...], NoDecode] = ()
    #: What members read when neither their client nor the server's `/admin settings language:`
    #: names a language the bot speaks (bot/i18n).
    default_language: Language = "en-US"

    quota_period: QuotaPeriod = "day"
    quota_default_limit: Annotated[Limit, NoDecode] = Decimal(100)
    quota_guild_limit: Annotated[Limit, NoDecode] = None
    quota_prices: Annotated[dict[str, Decimal], NoDecode] = Field(default_factory=dict)

    max_active_jobs_per_user: int = Field(default=2, ge=1, le=50)
    max_queued_jobs_per_user: int = Field(default=5, ge=0, le=500)
    provider_concurrency: Annotated[dict[str, int], NoDecode] = Field(
        default_factory=lambda: dict(DEFAULT_CONCURRENCY)
    )
    job_timeout_seconds: float = Field(default=600, gt=0)
    #: On PostgreSQL: how long a worker keeps its claimed jobs without renewing its lease (a worker
    #: whose connection closes loses them at once; bot/store/claims.py).
    worker_lease_seconds: float = Field(default=15, ge=1, le=3600)
    max_safety_tolerance: int = Field(default=2, ge=0, le=6)
    retention_days: int = Field(default=30, ge=0, le=36500)
    min_free_disk_mb: int = Field(default=500, ge=0)

    #: Gateway shards (`--role gateway|all`): how many the bot has in all, and which of them this
    #: process connects (`SHARD_IDS=0,1`; unset: all of them). Unset: Discord's recommended count.
    shard_count: int | None = Field(default=None, ge=1, le=10_000)
    shard_ids: Annotated[list[int] | None, NoDecode] = None
    #: Who may use `/owner`, and the servers where it is registered (nowhere when unset).
    bot_owner_ids: Annotated[tuple[int, ...], NoDecode] = ()
    owner_guild_ids: Annotated[tuple[int, ...], NoDecode] = ()
    #: Warn (log, servers' audit channels) when the BFL balance falls below this many credits.
    low_balance_credits: Annotated[Decimal | None, NoDecode] = None

    webhook_public_url: str | None = None
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8080, ge=0, le=65535)
    metrics_token: SecretStr | None = None
    #: The web dashboard's address (bot/dashboard/); unset: no pages, only callbacks and health.
    web_public_url: str | None = None
    web_session_hours: float = Field(default=12, gt=0, le=24 * 30)
    #: Optional "Sign in with Discord" (OAuth2): the application's client id and secret.
    discord_client_id: str | None = None
    discord_client_secret: SecretStr | None = None
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    #: The event loop of `python -m bot run` (bot/event_loop.py): auto is uvloop on PostgreSQL and
    #: asyncio's own on SQLite; uvloop or asyncio whatever the database.
    event_loop: Literal["auto", "uvloop", "asyncio"] = "auto"

    @field_validator("quota_default_limit", "quota_guild_limit", mode="before")
    @classmethod
    def _limit(cls, value: Any, info: ValidationInfo) -> Limit:
        if value is None:
            return None  # from code: unlimited
        if isinstance(value, str) and not value.strip():
            # Left blank in .env: the default, never a silent "unlimited".
            default: Limit = cls.model_fields[info.field_name or ""].default
            return default
        return parse_limit(value)

    @field_validator("quota_prices", mode="before")
    @classmethod
    def _prices(cls, value: Any) -> dict[str, Decimal]:
        return parse_prices(value)

    @field_validator("disabled_models", mode="before")
    @classmethod
    def _models(cls, value: Any) -> tuple[str, ...]:
        return parse_model_list(value)

    @field_validator("bot_owner_ids", "owner_guild_ids", mode="before")
    @classmethod
    def _ids(cls, value: Any) -> tuple[int, ...]:
        return parse_ids(value)

    @field_validator("low_balance_credits", mode="before")
    @classmethod
    def _low_balance(cls, value: Any) -> Decimal | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        return parse_credit_amount(str(value))

    @field_validator("provider_concurrency", mode="before")
    @classmethod
    def _concurrency(cls, value: Any) -> dict[str, int]:
        return parse_concurrency(value)

    @field_validator("shard_ids", mode="before")
    @classmethod
    def _shard_ids(cls, value: Any, info: ValidationInfo) -> list[int] | None:
        return parse_shard_ids(value, info.data.get("shard_count"))

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("log_format", "event_loop", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value

    @field_validator(
        "ttapi_base_url",
        "bfl_base_url",
        "bfl_finetune_base_url",
        "webhook_public_url",
        "web_public_url",
        mode="after",
    )
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("database_url", mode="after")
    @classmethod
    def _database_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        if not value.get_secret_value().startswith(("sqlite:///", "postgresql://", "postgres://")):
            raise ValueError("must start with sqlite:/// or postgresql://")
        return value

    @field_validator(
        "ttapi_api_key",
        "bfl_api_key",
        "discord_token",
        "metrics_token",
        "discord_client_secret",
        mode="after",
    )
    @classmethod
    def _blank_secret_is_unset(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        return value

    @field_validator("default_provider", mode="before")
    @classmethod
    def _blank_provider(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    # -- derived -----------------------------------------------------------------------------

    def configured_providers(self) -> list[str]:
        """Providers that may serve Discord members: those with a key, plus mock when enabled."""
        names = []
        if self.ttapi_api_key is not None:
            names.append("ttapi")
        if self.bfl_api_key is not None:
            names.append("bfl")
        if self.enable_mock_provider:
            names.append("mock")
        return names

    def preferred_provider(self) -> str:
        """PRODUCT.md: `ttapi` when its key is set, else `bfl` — unless set explicitly."""
        if self.default_provider is not None:
            return self.default_provider
        return "ttapi" if self.ttapi_api_key is not None else "bfl"

    def secret_values(self) -> list[str]:
        """Every secret's value, for the log filter that keeps them out of output."""
        secrets = (
            self.discord_token,
            self.ttapi_api_key,
            self.bfl_api_key,
            self.metrics_token,
            self.discord_client_secret,
        )
        values = [s.get_secret_value() for s in secrets if s is not None]
        password = urlsplit(self.database_url.get_secret_value()).password if self.database_url else None
        return values + ([password] if password else [])

    @property
    def store_url(self) -> str:
        """What `bot.store.open_database` opens: `DATABASE_URL`, else `DATABASE_PATH` as a SQLite URL."""
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        return f"sqlite:///{self.database_path}"  # an absolute path makes the four slashes

    @property
    def uses_postgresql(self) -> bool:
        return is_postgresql(self.store_url)

    @property
    def sqlite_file(self) -> Path | None:
        """The SQLite database file, None on PostgreSQL."""
        return None if self.uses_postgresql else sqlite_path(self.store_url)

    @property
    def files_dir(self) -> Path:
        """`DATA_DIR`: where `images/` and `inputs/` live (shared by every process on PostgreSQL)."""
        if self.data_dir is not None:
            return self.data_dir
        sqlite_file = self.sqlite_file
        return sqlite_file.parent if sqlite_file is not None else Path("data")


SQLITE_SCHEME = "sqlite://"
POSTGRESQL_SCHEMES = ("postgresql://", "postgres://")


def is_postgresql(url: str | Path) -> bool:
    return isinstance(url, str) and url.startswith(POSTGRESQL_SCHEMES)


def sqlite_path(url: str | Path) -> Path:
    """The file of a SQLite URL: three slashes then a relative path, four for an absolute one."""
    if isinstance(url, Path):
        return url
    if url.startswith(SQLITE_SCHEME):
        rest = url[len(SQLITE_SCHEME) :]
        if not rest.startswith("/") or len(rest) < 2:
            raise ConfigurationError(
                f"DATABASE_URL {url!r}: write sqlite:///relative/file.sqlite3 or sqlite:////absolute/file.sqlite3"
            )
        return Path(rest[1:])
    if "://" in url or url.startswith("sqlite:"):
        raise ConfigurationError(
            f"DATABASE_URL must start with sqlite:/// or postgresql://, not {url.split('://')[0]}://"
        )
    return Path(url)


ENV_NAMES = {name: name.upper() for name in Settings.model_fields}


def settings_problems(error: ValidationError) -> list[str]:
    """One readable line per bad variable: its name and what is wrong, never its value."""
    lines = []
    for item in error.errors(include_input=False, include_url=False):
        field = str(item["loc"][0]) if item["loc"] else "settings"
        name = ENV_NAMES.get(field, field.upper())
        message = item["msg"].removeprefix("Value error, ")
        lines.append(f"{name}: {message}")
    return lines


def load_settings(**overrides: Any) -> Settings:
    return Settings(**overrides)
