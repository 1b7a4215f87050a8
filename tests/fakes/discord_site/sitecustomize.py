"""Points discord.py at tests/fakes/discord.py when FAKE_DISCORD_URL is set (test subprocesses only).

Python imports `sitecustomize` at start-up from sys.path, so `python -m bot` itself runs unchanged:
only the REST base and the default gateway URL differ.
"""

import os

_url = os.environ.get("FAKE_DISCORD_URL")
if _url:
    # `bot` first, as in `python -m bot`: its warning filters must precede discord's import.
    import bot  # noqa: F401

    # isort: split
    import discord.gateway
    import discord.http
    import yarl

    discord.http.Route.BASE = f"{_url}/api/v10"
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(_url.replace("http", "ws", 1) + "/gateway")
