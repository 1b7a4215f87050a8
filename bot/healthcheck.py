"""`python -m bot.healthcheck`: exit 0 when this host's bot answers `/healthz` with 200, else 1.

The container's HEALTHCHECK runs it, so it reads the same `HTTP_HOST` / `HTTP_PORT` as the bot
(environment, then `.env`) instead of assuming port 8080.
"""

from __future__ import annotations

import sys
import urllib.error
import urllib.request

from pydantic import ValidationError

from bot.settings import load_settings

#: Docker's HEALTHCHECK --timeout is 5 s; answer before it.
TIMEOUT_SECONDS = 4.0
#: A server bound to every address is asked on loopback.
_ANY_ADDRESS = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}  # noqa: S104


def healthz_url(host: str, port: int) -> str:
    target = _ANY_ADDRESS.get(host, host)
    if ":" in target:
        target = f"[{target}]"
    return f"http://{target}:{port}/healthz"


def main() -> int:
    try:
        settings = load_settings()
    except ValidationError:
        print("unhealthy: the settings do not load (run `fluxbot doctor`)", file=sys.stderr)
        return 1
    url = healthz_url(settings.http_host, settings.http_port)
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 (http only)
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except OSError as exc:
        print(f"unhealthy: {url}: {exc}", file=sys.stderr)
        return 1
    if status != 200:
        print(f"unhealthy: {url} answered {status}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
