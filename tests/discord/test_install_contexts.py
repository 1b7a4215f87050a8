"""Every command is for servers that installed the bot (issue 17, finding 19).

Before, the commands declared no installation types or contexts, so a member who added the app to
their own account could run /admin or spend the operator's credits in DMs and other servers.
"""

from __future__ import annotations

from typing import Any

import discord
import pytest
import simcord.interactions

from bot.discord.client import FluxBot
from tests.conftest import finish_jobs

GUILD_INSTALL = 0  # integration_types: GUILD_INSTALL (1 would be USER_INSTALL)
GUILD_CONTEXT = 0  # contexts: GUILD (1 BOT_DM, 2 PRIVATE_CHANNEL)


async def test_every_command_payload_is_guild_install_and_guild_context_only(
    simcord_env, simcord_bot: FluxBot
):
    commands = simcord_bot.tree.get_commands()
    assert {c.name for c in commands} >= {
        "imagine",
        "edit",
        "admin",
        "quota",
        "jobs",
        "history",
        "Edit with FLUX",
    }
    for command in commands:
        payload = command.to_dict(simcord_bot.tree)
        assert payload["integration_types"] == [GUILD_INSTALL], command.name
        assert payload["contexts"] == [GUILD_CONTEXT], command.name
    # What Discord was told at sync time says the same.
    synced = [
        simcord_env.backend.find_command(
            c.name, None, type=getattr(c, "type", discord.AppCommandType.chat_input).value
        )
        for c in commands
    ]
    assert all(s["integration_types"] == [GUILD_INSTALL] and s["contexts"] == [GUILD_CONTEXT] for s in synced)


@pytest.fixture
def through_a_user_install(monkeypatch):
    """Discord delivering commands run through a member's own install of the app (SimCord models
    server installs only): `authorizing_integration_owners` names the user, not the guild."""
    original = simcord.interactions.base_payload

    def user_installed(backend: Any, **kwargs: Any) -> Any:
        record, payload = original(backend, **kwargs)
        payload["authorizing_integration_owners"] = {"1": str(kwargs["user_id"])}
        return record, payload

    monkeypatch.setattr(simcord.interactions, "base_payload", user_installed)


async def test_a_command_run_through_a_user_install_is_refused_and_spends_nothing(
    simcord_env, running, server, fake_ttapi, through_a_user_install
):
    mod, channel, alice = server["mod"], server["channel"], server["alice"]

    made = await alice.slash(channel, "imagine", prompt="a lighthouse")
    granted = await mod.slash(channel, "admin quota grant", scope="member", amount="5", member=alice)
    await finish_jobs(simcord_env, running)

    for result in (made, granted):
        assert result.ephemeral
        assert "only in servers that added the bot" in result.response.content
    assert fake_ttapi.submits() == []
    assert await running.db.fetchall("SELECT * FROM ledger") == []
    assert await running.jobs.for_user(alice.id) == []
