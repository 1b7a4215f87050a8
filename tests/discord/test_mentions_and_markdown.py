"""Prompts are shown as typed and ping nobody (issue 17, finding 4); long lists never break a reply
(finding 11). In simulated Discord, with a prompt that mentions another member, @everyone, and
holds a masked link.

Before: the client allowed user mentions and prompts went into message content, so the failure
notice posted in the channel pinged whoever the prompt named; `[click](https://evil)` rendered as a
link in the bot's public messages; the "Allowed channels" field passed 1,024 characters at ~47
channels and every /admin settings failed; the channel refusal passed 2,000 characters at ~90.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from bot.discord.render import join_within, plain
from bot.errors import NotAllowed
from tests.conftest import finish_jobs, refusals

TOKEN_EXPIRY = 15 * 60 + 5


def hostile(victim: Any) -> str:
    return f"a cat <@{victim.id}> @everyone [click](https://evil.example) # big"


def sent_by_the_bot(env: Any) -> list[dict[str, Any]]:
    """Every message body the bot sent or edited (REST), as Discord received it."""
    return [r.json for r in env.http_requests if r.method in ("POST", "PATCH") and isinstance(r.json, dict)]


def texts(body: dict[str, Any]) -> list[str]:
    """The content and embed texts of a message body (or of an interaction callback's data)."""
    data = body.get("data") if isinstance(body.get("data"), dict) else body
    found = [data.get("content") or ""]
    for embed in data.get("embeds") or []:
        found.append(embed.get("title") or "")
        found.append(embed.get("description") or "")
        found.extend(f.get("value") or "" for f in embed.get("fields") or [])
    return [t for t in found if t]


def assert_shown_as_typed(env: Any, victim: Any) -> None:
    shown = [t for body in sent_by_the_bot(env) for t in texts(body) if "a cat" in t]
    assert shown, "the prompt was never shown"
    for text in shown:
        assert f"<@{victim.id}>" not in text  # no live mention of anyone the prompt names
        assert "@everyone" not in text
        assert not re.search(r"(?<!\\)\[click\]\(", text)  # the masked link is escaped: \[click](…)


async def test_a_hostile_prompt_is_shown_escaped_everywhere_and_pings_nobody(simcord_env, running, server):
    alice, bob, channel = server["alice"], server["bob"], server["channel"]

    made = await alice.slash(channel, "imagine", prompt=hostile(bob))
    await finish_jobs(simcord_env, running)
    details = await bob.click(made.response, label="Details")
    listed = await alice.slash(channel, "history")

    message = made.response.message
    assert message.mentions == []
    assert message.role_mentions == []
    assert not message.mention_everyone
    assert "\\[click]" in (made.response.embeds[0].description or "")
    shown = details.followups[-1] if details.followups else details.response
    assert "\\[click]" in (shown.embeds[0].description or "")
    assert "\\[click]" in (listed.response.embeds[0].description or "")
    assert_shown_as_typed(simcord_env, bob)


async def test_the_failure_notice_in_the_channel_pings_only_the_requester(
    simcord_env, running, server, fake_ttapi
):
    alice, bob, channel = server["alice"], server["bob"], server["channel"]
    fake_ttapi.duration = 1.0
    fake_ttapi.fail_next(f"cannot draw <@{bob.id}>, see [here](https://evil.example)")

    await alice.slash(channel, "imagine", prompt=hostile(bob))
    await simcord_env.advance_time(TOKEN_EXPIRY)  # the notice becomes a new channel message
    await finish_jobs(simcord_env, running)

    # The reply can no longer be edited: a new message in the channel, not an interaction reply.
    (notice,) = [m for m in channel.history() if m.interaction_metadata is None]
    assert notice.content.startswith(f"<@{alice.id}> ")
    assert [m.id for m in notice.mentions] == [alice.id]  # never bob, whatever the texts hold
    assert not notice.mention_everyone
    assert "\\[here](" in notice.content
    assert_shown_as_typed(simcord_env, bob)
    assert_only_the_requester_may_be_pinged(simcord_env, alice)


def assert_only_the_requester_may_be_pinged(env: Any, requester: Any) -> None:
    """What Discord is told, whatever the escaping: no @everyone or role parsing in any message the
    bot sent; a post in the channel names exactly its requester, who is pinged; nobody else is."""
    for request in env.http_requests:
        if request.method not in ("POST", "PATCH") or not isinstance(request.json, dict):
            continue
        data = request.json.get("data") if isinstance(request.json.get("data"), dict) else request.json
        if not texts(data):
            continue
        allowed = data.get("allowed_mentions")
        assert allowed is not None, data  # absent, Discord would parse every mention
        assert allowed.get("parse") == []
        users = [int(u) for u in allowed.get("users", [])]
        assert users == ([requester.id] if request.path.startswith("/channels/") else [])


async def test_jobs_lists_a_queued_hostile_prompt_escaped(simcord_env, running, server, fake_ttapi):
    alice, bob, channel = server["alice"], server["bob"], server["channel"]
    fake_ttapi.duration = 5.0

    await alice.slash(channel, "imagine", prompt=hostile(bob))
    listed = await alice.slash(channel, "jobs")

    description = listed.response.embeds[0].description or ""
    assert "\\[click]" in description
    assert f"<@{bob.id}>" not in description
    await finish_jobs(simcord_env, running)


async def test_admin_usage_shows_member_names_escaped(simcord_env, running, server):
    guild, channel, mod = server["guild"], server["channel"], server["mod"]
    sly = guild.add_member(simcord_env.create_user("sly", global_name="**[admin](https://evil.example)**"))
    await sly.slash(channel, "imagine", prompt="a cat")
    await finish_jobs(simcord_env, running)

    usage = await mod.slash(channel, "admin quota usage")

    top = {f.name: f.value for f in usage.response.embeds[0].fields}["Top members"]
    assert top.startswith("1. \\*\\*\\[admin](https://evil.example)\\*\\* — 5 used")


async def test_names_in_embed_titles_are_shown_as_typed(simcord_env, running, server):
    # The same defect elsewhere: /quota, /history and /admin quota usage put a member's display
    # name in the embed's title, where Discord renders bold, underline and the like.
    guild, channel, mod = server["guild"], server["channel"], server["mod"]
    sly = guild.add_member(simcord_env.create_user("sly", global_name="**[admin](https://evil.example)**"))
    await sly.slash(channel, "imagine", prompt="a cat")
    await finish_jobs(simcord_env, running)

    quota = await sly.slash(channel, "quota")
    history = await sly.slash(channel, "history")
    usage = await mod.slash(channel, "admin quota usage", scope="member", member=sly)

    escaped = "\\*\\*\\[admin](https://evil.example)\\*\\*"
    assert quota.response.embeds[0].title == f"Quota for {escaped}"
    shown = history.followups[-1] if history.followups else history.response
    assert shown.embeds[0].title == f"Image history of {escaped}"
    shown = usage.followups[-1] if usage.followups else usage.response
    assert (shown.embeds[0].title or "").startswith(f"Image credits of {escaped} · ")


# -- long lists (finding 11) ---------------------------------------------------------------------------


async def test_two_hundred_allowed_channels_still_fit_settings_and_the_refusal(simcord_env, running, server):
    guild, channel, alice, mod = server["guild"], server["channel"], server["alice"], server["mod"]
    lounge = guild.create_text_channel("lounge")
    many = [guild.create_text_channel(f"art-{i}") for i in range(199)]

    saved = await mod.slash(
        channel, "admin settings", allowed_channels=" ".join(c.mention for c in [channel, *many])
    )
    shown = {f.name: f.value for f in saved.response.embeds[0].fields}["Allowed channels"]
    assert len(shown) <= 1024
    assert shown.startswith(channel.mention)
    assert shown.endswith("more")
    again = await mod.slash(channel, "admin settings")  # before: every later /admin settings failed
    assert again.response.embeds[0].fields

    refused = await alice.slash(lounge, "imagine", prompt="a cat")
    assert [type(e) for e in refusals(simcord_env)] == [NotAllowed]
    assert len(refused.response.content) <= 2000
    assert channel.mention in refused.response.content
    assert "more." in refused.response.content


@pytest.mark.parametrize("limit", [20, 50, 1024])
def test_join_within_keeps_whole_items_and_counts_the_rest(limit):
    items = [f"<#{10**18 + i}>" for i in range(200)]
    text = join_within(items, limit, " ")
    assert len(text) <= limit
    kept = [t for t in text.split(" ") if t.startswith("<#")]
    assert kept == items[: len(kept)]
    assert text.endswith(f"… and {200 - len(kept)} more")


def test_plain_escapes_markdown_mentions_and_cuts_without_a_dangling_backslash():
    assert plain("[a](https://x) <@123456789012345678> @here") == (
        "\\[a](https://x) <@\u200b123456789012345678> @\u200bhere"
    )
    assert plain("# title\n> quote\n1. item") == "\\# title\n\\> quote\n1\\. item"
    cut = plain("ab*cd", 4)
    assert cut == "ab…"
    assert len(cut) <= 4
