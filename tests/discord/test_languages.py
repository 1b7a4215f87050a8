"""Members read the bot in their own language (issue 19): the client's, else the server's, else
DEFAULT_LANGUAGE; commands are synced with their translations; a job keeps the language it was
asked in, across a restart."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.discord.client import FluxBot
from bot.discord.command_sync import command_tree_hash
from bot.discord.render import failure_text, stored_note
from bot.discord.rest import RestClient, rest_sink
from bot.errors import NotAllowed, QuotaExceeded
from bot.jobs.model import JobState
from bot.store.deliveries import Deliveries
from tests.conftest import finish_jobs, refusals


@pytest.fixture
def database_settings(database_url: str) -> dict[str, Any]:
    return {"database_url": database_url}  # every test here, on each backend


def synced(env, name: str) -> dict[str, Any]:
    """The command as the bot registered it with (simulated) Discord."""
    return env.backend.commands[None][(name, 1)]


async def test_a_russian_member_sees_russian_command_names_and_a_russian_refusal(
    simcord_env, running, server, client_languages
):
    imagine = synced(simcord_env, "imagine")
    assert imagine["name_localizations"]["ru"] == "нарисовать"
    assert imagine["description_localizations"]["ru"] == "Создать изображение по запросу моделью FLUX"
    prompt = next(o for o in imagine["options"] if o["name"] == "prompt")
    assert prompt["name_localizations"]["ru"] == "запрос"
    admin = synced(simcord_env, "admin")
    assert admin["name_localizations"]["de"] == "admin"
    assert admin["description_localizations"]["zh-CN"] == "服务器管理：额度与图片设置"

    alice = server["alice"]
    client_languages[alice.id] = "ru"
    refused = await alice.slash(server["channel"], "quota", member=server["bob"])
    assert refused.ephemeral
    assert refused.response.content == "Это могут только участники с правом «Управлять сервером»."
    assert [type(e) for e in refusals(simcord_env)] == [NotAllowed]


@pytest.mark.parametrize("settings_overrides", [{"quota_default_limit": "0"}])
async def test_a_quota_refusal_is_in_the_members_language(simcord_env, running, server, client_languages):
    alice, bob = server["alice"], server["bob"]
    client_languages[alice.id] = "de"
    client_languages[bob.id] = "zh-CN"
    german = await alice.slash(server["channel"], "imagine", prompt="ein Leuchtturm")
    chinese = await bob.slash(server["channel"], "imagine", prompt="灯塔")
    assert german.response.content.startswith(
        "Bilderzeugung ist für dich auf diesem Server nicht freigeschaltet"
    )
    assert chinese.response.content.startswith("你在本服务器还没有开通图片生成")
    assert [type(e) for e in refusals(simcord_env)] == [QuotaExceeded, QuotaExceeded]


async def test_a_late_post_after_a_restart_is_still_in_the_members_language(
    simcord_env, running, guild_setup, fake_ttapi, client_languages
):
    _, channel, alice = guild_setup
    client_languages[alice.id] = "es-ES"
    fake_ttapi.duration = 1.0

    result = await alice.slash(channel, "imagine", prompt="un faro al atardecer")
    assert "⏳ En cola" in result.response.content
    (job,) = await running.jobs.for_user(alice.id)
    assert (await Deliveries(running.db).get(job.id)).locale == "es-ES"

    client_languages.clear()  # whatever the client says later, the job keeps its language
    await simcord_env.restart_bot(FluxBot(running, sync="global"))
    await simcord_env.advance_time(16 * 60)  # the token is gone: the result is posted in the channel
    await finish_jobs(simcord_env, running)

    posted = channel.last_message
    assert posted.id != result.response.id
    assert posted.content == f"{alice.mention} tu imagen está lista."
    fields = {field.name: field.value for field in posted.embeds[0].fields}
    assert fields["Modelo"] == "`flux-pro-1.1`"
    assert fields["Coste"].endswith("créditos")
    assert [c.label for c in posted.components[0].children] == [
        "Repetir",
        "Editar",
        "Variar",
        "Detalles",
        "Eliminar",
    ]
    (job,) = await running.jobs.for_user(alice.id)
    assert job.state is JobState.DELIVERED


async def test_a_failure_after_a_restart_is_told_in_the_members_language(
    simcord_env, running, guild_setup, fake_ttapi, client_languages
):
    _, channel, alice = guild_setup
    client_languages[alice.id] = "ru"
    fake_ttapi.duration = 1.0
    fake_ttapi.fail_next("prompt violation")

    result = await alice.slash(channel, "imagine", prompt="что-то запретное")
    await simcord_env.restart_bot(FluxBot(running, sync="global"))
    await finish_jobs(simcord_env, running)

    (job,) = await running.jobs.for_user(alice.id)
    assert job.state is JobState.MODERATED
    # The new bot edits the reply by its stored id and token, in the stored language.
    assert (
        "❌ Заблокировано фильтром безопасности провайдера. Фильтр безопасности провайдера отклонил"
        in result.response.content
    )
    assert result.response.content.endswith("Ничего не списано.")
    assert job.error_message == "prompt violation"  # the provider's words, for the log and the CLI


async def test_a_failure_note_is_stored_as_a_key_and_told_in_russian_after_a_restart(
    simcord_env, running, guild_setup, fake_ttapi, client_languages
):
    """The job core stores the failure's key and the provider's words, not an English sentence: a
    bot started after the failure, whatever the clients say by then, still tells it in Russian."""
    _, channel, alice = guild_setup
    client_languages[alice.id] = "ru"
    fake_ttapi.duration = 1.0
    fake_ttapi.fail_next("GPU out of memory")

    result = await alice.slash(channel, "imagine", prompt="маяк на закате")
    client_languages.clear()
    await simcord_env.restart_bot(FluxBot(running, sync="global"))
    await finish_jobs(simcord_env, running)

    (job,) = await running.jobs.for_user(alice.id)
    assert job.state is JobState.FAILED
    assert json.loads(job.error_note or "") == {
        "key": "failure-reason-provider_failed",
        "args": {"said": "GPU out of memory"},
    }
    assert job.error_message == "The provider could not make the image: GPU out of memory."
    said = result.response.content
    assert "❌ Изображение создать не удалось." in said
    assert "Провайдер не смог создать изображение; его ответ: «GPU out of memory»." in said
    assert "could not" not in said
    assert said.endswith("Ничего не списано.")


async def test_a_client_language_the_bot_does_not_speak_falls_back_to_the_servers(
    simcord_env, running, server, client_languages
):
    mod, alice = server["mod"], server["alice"]
    saved = await mod.slash(server["channel"], "admin settings", language="de")
    assert saved.response.content == "Saved."
    fields = {f.name: f.value for f in saved.response.embeds[0].fields}
    assert fields["Language"] == "Deutsch"

    client_languages[alice.id] = "ja"  # Japanese: not one of the bot's languages
    refused = await alice.slash(server["channel"], "quota", member=server["bob"])
    assert refused.response.content == "Das können nur Mitglieder mit der Berechtigung „Server verwalten“."
    client_languages[alice.id] = "ru"  # a language the bot speaks wins over the server's
    refused = await alice.slash(server["channel"], "quota", member=server["bob"])
    assert refused.response.content.startswith("Это могут только")

    cleared = await mod.slash(server["channel"], "admin settings", language="clear")
    fields = {f.name: f.value for f in cleared.response.embeds[0].fields}
    assert fields["Language"] == "English (bot default)"
    refusals(simcord_env)


@pytest.mark.parametrize("settings_overrides", [{"default_language": "zh-CN"}])
async def test_default_language_when_neither_the_client_nor_the_server_names_one(
    simcord_env, running, server, client_languages
):
    alice = server["alice"]
    client_languages[alice.id] = "pt-BR"
    refused = await alice.slash(server["channel"], "quota", member=server["bob"])
    assert refused.response.content == "只有拥有“管理服务器”权限的成员才能这样做。"
    client_languages[alice.id] = "en-US"
    refused = await alice.slash(server["channel"], "quota", member=server["bob"])
    assert refused.response.content == "Only members with the Manage Server permission can do that."
    refusals(simcord_env)


@pytest.mark.parametrize("settings_overrides", [{"default_language": "de"}])
async def test_a_workers_sink_speaks_default_language_as_the_gateways_does(services):
    """A job whose delivery names no language (a row from before jobs kept theirs) reads
    DEFAULT_LANGUAGE, whether the gateway's sink or a worker's (bot/discord/rest.py) posts it."""
    assert rest_sink(RestClient(), services).default_language == "de"
    assert FluxBot(services, sync="global").sink.default_language == "de"


async def test_the_command_hash_covers_the_translations(simcord_env, monkeypatch):
    tree = simcord_env.bot.tree
    before = await command_tree_hash(tree)
    monkeypatch.setattr(
        "bot.discord.translator.translation",
        lambda language, key, attribute=None: "x" if language == "ru" else None,
    )
    assert await command_tree_hash(tree) != before


async def test_rows_stored_before_notes_were_keys_are_still_read(
    simcord_env, running, guild_setup, fake_ttapi
):
    """Rows older than migration 0021 have no `error_note` (and an Expand job's note as a sentence):
    their code's sentence, else their stored message, is what a member reads, as before."""
    _, channel, alice = guild_setup
    fake_ttapi.fail_next("GPU out of memory")
    await alice.slash(channel, "imagine", prompt="a lighthouse")
    await finish_jobs(simcord_env, running)
    (job,) = await running.jobs.for_user(alice.id)
    assert "его ответ: «GPU out of memory»" in failure_text(job, "ru")

    async with running.db.transaction() as conn:
        await conn.execute("UPDATE jobs SET error_note = NULL WHERE id = ?", (job.id,))
    old = await running.jobs.get(job.id)
    assert old is not None
    assert old.error_note is None
    assert "The provider could not make the image: GPU out of memory." in failure_text(old, "ru")
    async with running.db.transaction() as conn:
        await conn.execute("UPDATE jobs SET error_code = 'timeout' WHERE id = ?", (job.id,))
    timed_out = await running.jobs.get(job.id)
    assert timed_out is not None
    assert "Провайдер отвечал слишком долго" in failure_text(timed_out, "ru")
    assert stored_note("The image was scaled down first.", "ru", 600) == "The image was scaled down first."
    assert stored_note(None, "ru", 600) is None


#: The owners' server, where `/owner` is registered (OWNER_GUILD_IDS).
HQ_ID = 900_000_000_000_000_001


@pytest.mark.parametrize("settings_overrides", [{"owner_guild_ids": str(HQ_ID)}])
async def test_a_russian_owner_sees_owner_in_russian_and_its_guild_choice_is_a_server_not_a_budget(
    simcord_env, running, server, client_languages
):
    owner = simcord_env.create_user("owner")
    hq = simcord_env.create_guild("HQ", id=HQ_ID, owner=owner)
    channel = hq.create_text_channel("ops")
    member = hq.add_member(owner)
    running.settings.bot_owner_ids = (owner.id,)  # BOT_OWNER_IDS (SimCord picks user ids itself)
    client_languages[owner.id] = "ru"

    # What the owner's client lists in HQ, as the bot registered it there.
    visible = simcord_env.backend.visible_commands(user_id=owner.id, channel_id=channel.id)
    (command,) = [c for c in visible if c["name"] == "owner"]
    assert command["name_localizations"]["ru"] == "владелец"
    assert command["description_localizations"]["ru"] == "Управление ботом для его владельцев"
    subcommands = {o["name"]: o for o in command["options"]}
    assert {name: o["name_localizations"]["ru"] for name, o in subcommands.items()} == {
        "pause": "пауза",
        "resume": "продолжить",
        "block": "заблокировать",
        "unblock": "разблокировать",
        "blocks": "блокировки",
        "stats": "статистика",
    }
    assert subcommands["blocks"]["description_localizations"]["ru"] == (
        "Заблокированные участники и серверы, с причиной и временем"
    )
    for name in ("block", "unblock"):
        options = {o["name"]: o for o in subcommands[name]["options"]}
        assert options["kind"]["name_localizations"]["ru"] == "тип"
        assert options["target"]["name_localizations"]["ru"] == "цель"
        assert {c["value"]: c["name_localizations"]["ru"] for c in options["kind"]["choices"]} == {
            "member": "участник",
            "guild": "сервер",  # the server blocked, not /admin quota's «бюджет сервера»
        }
    (period,) = subcommands["stats"]["options"]
    assert period["name_localizations"]["ru"] == "период"
    assert [c["name_localizations"]["ru"] for c in period["choices"]] == ["день", "неделя", "месяц"]

    # And it answers in Russian.
    guild_id = server["guild"].id
    blocked = await member.slash(channel, "owner block", kind="guild", target=str(guild_id))
    said = (blocked.followups[-1] if blocked.followups else blocked.response).content
    assert said == (
        f"Сервер `{guild_id}` заблокирован: его новые задания отклоняются. Уже запущенные завершатся."
    )
    assert refusals(simcord_env) == []
