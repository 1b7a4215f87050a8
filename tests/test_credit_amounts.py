"""Amounts of credits as admins and operators type them (issue 17, finding 3): one parser, one range.

Before: `/admin quota limit amount:10000000000000` was stored and then every hold of that scope
raised OverflowError; `1e28` broke /quota; `none`/`inf` meant unlimited; `-0` was shown as "-0";
the same values passed `QUOTA_DEFAULT_LIMIT`, `QUOTA_GUILD_LIMIT` and `QUOTA_PRICES`.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from bot.credits import MAX_CREDITS, parse_credit_amount, parse_credits
from bot.errors import InvalidInput
from bot.settings import settings_problems
from bot.store.db import apply_migrations, list_migrations, open_database
from tests.conftest import finish_jobs, make_settings, refusals

OUT_OF_RANGE = [
    *("10000000000000", "1e28", "1000000000.000001", "none", "inf", "-inf", "nan", "-1", "0.0000001"),
    *("", "lots"),
]


@pytest.mark.parametrize("text", OUT_OF_RANGE)
def test_the_one_parser_refuses_what_cannot_be_stored_and_names_the_range(text):
    with pytest.raises(ValueError, match=r"from 0 to 1,000,000,000, with at most 6 decimals"):
        parse_credit_amount(text, unlimited=True)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("25", "25"), ("12.50", "12.5"), ("-0", "0"), ("1e3", "1000"), ("0.000001", "0.000001"),
     ("1000000000", "1000000000"), (" Unlimited ", None)],
)  # fmt: skip
def test_the_one_parser_normalises_what_it_accepts(text, expected):
    amount = parse_credit_amount(text, unlimited=True)
    assert (str(amount) if amount is not None else None) == expected


def test_unlimited_is_refused_where_it_makes_no_sense():
    with pytest.raises(ValueError, match="`unlimited` is not an amount"):
        parse_credit_amount("unlimited")


@pytest.mark.parametrize("text", OUT_OF_RANGE)
def test_the_same_values_are_refused_at_start_for_every_quota_setting(tmp_path, text):
    for name, value in (
        ("quota_default_limit", text),
        ("quota_guild_limit", text),
        ("quota_prices", f"flux-dev={text}"),
    ):
        if name != "quota_prices" and text == "":
            continue  # a blank limit is its default (below)
        with pytest.raises(ValidationError) as caught:
            make_settings(tmp_path, **{name: value})
        (line,) = settings_problems(caught.value)
        assert line.startswith(name.upper() + ": ")
        assert "1,000,000,000" in line


def test_a_blank_limit_is_its_default_and_unlimited_is_the_only_word_for_no_cap(tmp_path):
    settings = make_settings(tmp_path, quota_default_limit=" ", quota_guild_limit="")
    assert settings.quota_default_limit == Decimal(100)
    assert settings.quota_guild_limit is None
    assert make_settings(tmp_path, quota_guild_limit="unlimited").quota_guild_limit is None
    assert make_settings(tmp_path, quota_prices="flux-dev=-0").quota_prices == {"flux-dev": Decimal(0)}
    assert make_settings(tmp_path, quota_default_limit=str(MAX_CREDITS)).quota_default_limit == MAX_CREDITS


@pytest.mark.parametrize(
    ("command", "options"),
    [
        ("admin quota limit", {"scope": "member", "amount": "10000000000000"}),
        ("admin quota limit", {"scope": "guild", "amount": "1e28"}),
        ("admin quota limit", {"scope": "default", "amount": "none"}),
        ("admin quota limit", {"scope": "default", "amount": "inf"}),
        ("admin quota limit", {"scope": "default", "amount": "NaN"}),
        ("admin quota grant", {"scope": "member", "amount": "1e13"}),
        ("admin quota grant", {"scope": "guild", "amount": "unlimited"}),
        ("admin quota grant", {"scope": "member", "amount": "0.0000001"}),
    ],
)
async def test_admin_amounts_out_of_range_are_refused_and_nothing_is_stored(
    simcord_env, running, server, command, options
):
    mod, channel, alice = server["mod"], server["channel"], server["alice"]
    if options["scope"] == "member":
        options = {**options, "member": alice}

    refused = await mod.slash(channel, command, **options)

    assert [type(e) for e in refusals(simcord_env)] == [InvalidInput]
    assert refused.ephemeral
    text = refused.response.content
    assert "from 0 to 1,000,000,000, with at most 6 decimals" in text
    assert await running.quota.guilds.all_limits(server["guild"].id) == []
    assert await running.db.fetchall("SELECT * FROM ledger") == []


async def test_the_largest_limit_still_lets_members_make_images_and_minus_zero_is_zero(
    simcord_env, running, server, fake_ttapi
):
    mod, channel, alice, bob = server["mod"], server["channel"], server["alice"], server["bob"]
    await mod.slash(channel, "admin quota limit", scope="member", amount="1000000000", member=alice)
    zero = await mod.slash(channel, "admin quota limit", scope="member", amount="-0", member=bob)
    assert "**0** credits" in zero.response.content

    made = await alice.slash(channel, "imagine", prompt="a lighthouse")
    await finish_jobs(simcord_env, running)

    assert len(made.response.attachments) == 1
    quota = await alice.slash(channel, "quota")
    shown = {f.name: f.value for f in quota.response.embeds[0].fields}
    assert shown["Limit"] == "1,000,000,000"
    assert shown["Remaining"] == "999,999,995"
    limits = {r.target_id: r.amount for r in await running.quota.guilds.all_limits(server["guild"].id)}
    assert str(limits[bob.id]) == "0"


async def test_limits_stored_out_of_range_before_the_fix_are_brought_into_range(tmp_path):
    older = tmp_path / "older"
    older.mkdir()
    for number, file in list_migrations():
        if number < 10:
            (older / file.name).write_text(file.read_text())
    async with open_database(tmp_path / "old.sqlite3", migrate=False) as db:
        await apply_migrations(db, older)
        for target, amount in ((1, "10000000000000"), (2, "1E+28"), (3, "-0"), (4, "12.5"), (5, None)):
            await db.execute(
                "INSERT INTO quota_limits (guild_id, scope, target_id, amount, updated_at) "
                "VALUES (7, 'member', ?, ?, 0)",
                (target, amount),
            )
        await apply_migrations(db)
        rows = await db.fetchall("SELECT target_id, amount FROM quota_limits ORDER BY target_id")
    assert [r["amount"] for r in rows] == ["1000000000", "1000000000", "0", "12.5", None]


@pytest.mark.parametrize(("reported", "expected"), [("0.45", "0.45"), (5, "5"), ("1e28", None), ("-0", "0")])
def test_a_provider_figure_beyond_the_range_counts_as_not_reported(reported, expected):
    """A provider's `cost`/`quota` the ledger could not add up is ignored (the held estimate is
    charged instead) rather than failing the job's settlement with OverflowError."""
    amount = parse_credits(reported)
    assert (str(amount) if amount is not None else None) == expected
