"""`/admin quota limit|grant|reset|usage`, `/admin settings` and `/admin rules`: Manage Server only.

Every change goes through bot/admin_actions.py (`services.admin`), the same path as the web
dashboard's forms: the write and its line in the server's audit channel, when it has one.

`default_permissions` hides the group from ordinary members in the client, but a server can
override that per command, so every subcommand checks Manage Server itself (`require_admin`).
Amounts are string options, so `12.5` stays exactly 12.5 (a Discord "number" is a double).
"""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.admin_actions import target_label
from bot.charts import usage_chart
from bot.credits import parse_credit_amount
from bot.discord.language import locale_of
from bot.discord.members import members_by_id, name_of, with_role
from bot.discord.permissions import require_admin
from bot.discord.render import COLOUR, FIELD_VALUE_MAX, join_within, plain, usage_fields
from bot.errors import InvalidInput, typed
from bot.guild_policy import effective
from bot.i18n import LANGUAGE_NAMES, LANGUAGES, Text, credits, number, t
from bot.i18n import text as i18n_text
from bot.periods import period_key, period_reset, previous_period_key
from bot.prompt_rules import BadRule, normalise_rule
from bot.providers.catalog import MODELS
from bot.settings import Limit
from bot.store.guilds import PRIVATE_MODES, GuildSettings, LimitScope

if TYPE_CHECKING:
    from bot.discord.client import FluxBot

CLEAR_WORDS = {"clear", "default", "remove", "reset", "inherit"}

ALL_WORDS = {"all", "any", "every", "clear", "reset", "*"}


def parse_amount(amount: str, *, allow_unlimited: bool) -> Limit:
    """An admin's amount, through the same parser as `QUOTA_*` (bot/credits.py)."""
    try:
        return parse_credit_amount(amount, unlimited=allow_unlimited)
    except ValueError:
        key = "admin-amount-invalid-or-unlimited" if allow_unlimited else "admin-amount-invalid"
        raise InvalidInput(i18n_text(key, amount=plain(amount.strip(), 40))) from None


def _target(
    scope: str, member: discord.Member | None, role: discord.Role | None
) -> tuple[LimitScope, int, str | Text]:
    if scope == "member":
        if member is None:
            raise InvalidInput(i18n_text("admin-pick-member"))
        return "member", member.id, target_label("member", member.id)
    if scope == "role":
        if role is None:
            raise InvalidInput(i18n_text("admin-pick-role"))
        return "role", role.id, target_label("role", role.id)
    kind: LimitScope = "default" if scope == "default" else "guild"
    return kind, 0, target_label(kind, 0)


async def answer_later(interaction: discord.Interaction) -> None:
    """Acknowledge privately before any store I/O or member lookup: a slow write can then never
    fail the interaction after it committed (and tempt the admin to run it again)."""
    await interaction.response.defer(ephemeral=True, thinking=True)


async def _members_with_role(bot: FluxBot, guild: discord.Guild | None, role: discord.Role) -> list[int]:
    """Members with usage this period who have the role (the only ones a reset changes)."""
    assert guild is not None
    quota = bot.services.quota
    key = await quota.period_for(guild.id)
    ids = [uid for uid, _ in await bot.services.ledger.top_members(guild.id, key, limit=10_000)]
    return await with_role(guild, ids, role)


def parse_channels(text: str, guild: discord.Guild) -> tuple[int, ...] | None:
    if text.strip().lower() in ALL_WORDS:
        return None
    ids = [int(match.group(1) or match.group(2)) for match in re.finditer(r"<#(\d+)>|\b(\d{15,21})\b", text)]
    if not ids:
        raise InvalidInput(i18n_text("admin-channels-how"))
    for channel_id in ids:
        if guild.get_channel_or_thread(channel_id) is None:
            raise InvalidInput(i18n_text("admin-channel-unknown", channel=f"<#{channel_id}>"))
    return tuple(dict.fromkeys(ids))


def parse_models(typed_models: str) -> tuple[str, ...] | None:
    if typed_models.strip().lower() in ALL_WORDS:
        return None
    names = [n.strip().lower() for n in re.split(r"[\s,]+", typed_models) if n.strip()]
    unknown = [n for n in names if n not in MODELS]
    if unknown or not names:
        listed = join_within([f"`{typed(n, 40)}`" for n in unknown], 500, ", ")  # one message's room
        raise InvalidInput(
            i18n_text(
                "admin-models-unknown" if listed else "admin-models-none",
                models=listed,
                known=", ".join(f"`{m}`" for m in MODELS),
            )
        )
    return tuple(dict.fromkeys(names))


def settings_embed(
    current: GuildSettings, bot: FluxBot, language: str, audit_value: str | None = None
) -> discord.Embed:
    config = bot.services.settings
    planning = effective(current, config.default_model, config.max_safety_tolerance)
    everything = t(language, "settings-all")
    embed = discord.Embed(title=t(language, "settings-title"), colour=COLOUR)
    embed.add_field(
        name=t(language, "settings-default-model"), value=f"`{planning['default_model']}`", inline=True
    )
    embed.add_field(
        name=t(language, "settings-allowed-models"),
        value=join_within([f"`{m}`" for m in current.allowed_models], FIELD_VALUE_MAX, ", ")
        if current.allowed_models is not None
        else everything,
        inline=True,
    )
    embed.add_field(
        name=t(language, "settings-max-safety"), value=str(planning["max_safety_tolerance"]), inline=True
    )
    embed.add_field(
        name=t(language, "settings-allowed-channels"),
        value=join_within([f"<#{c}>" for c in current.allowed_channels], FIELD_VALUE_MAX, " ")
        if current.allowed_channels is not None
        else everything,
        inline=True,
    )
    embed.add_field(
        name=t(language, "settings-quota-period"),
        value=t(language, f"period-{current.quota_period}")
        if current.quota_period
        else t(language, "settings-bot-default", value=t(language, f"period-{config.quota_period}")),
        inline=True,
    )
    embed.add_field(
        name=t(language, "settings-language"),
        value=LANGUAGE_NAMES[current.language]
        if current.language in LANGUAGE_NAMES
        else t(language, "settings-bot-default", value=LANGUAGE_NAMES[config.default_language]),
        inline=True,
    )
    embed.add_field(
        name=t(language, "settings-private"),
        value=t(language, f"settings-private-{current.private_mode or 'allow'}"),
        inline=True,
    )
    nsfw = effective(current, config.default_model, config.max_safety_tolerance, nsfw=True)
    embed.add_field(
        name=t(language, "settings-nsfw-field"), value=str(nsfw["max_safety_tolerance"]), inline=True
    )
    if audit_value is not None:
        embed.add_field(name=t(language, "settings-audit-field"), value=audit_value, inline=True)
    return embed


async def audit_field(bot: FluxBot, current: GuildSettings, language: str) -> str | None:
    """The audit channel as `/admin settings` shows it, with a word when the bot cannot post there."""
    if current.audit_channel_id is None:
        return None
    channel = f"<#{current.audit_channel_id}>"
    since = await bot.audit.lost_since(current.guild_id)
    if since is None:
        return channel
    count = await bot.services.audit.count(current.guild_id)
    when = discord.utils.format_dt(datetime.fromtimestamp(since, UTC), "R")
    return t(language, "settings-audit-lost", channel=channel, since=when, count=count)


def parse_audit_channel(text: str, guild: discord.Guild) -> int | None:
    """`#channel` (or its id) → its id; `clear` → None. The bot must be able to post there."""
    if text.strip().lower() in CLEAR_WORDS | {"none", "off"}:
        return None
    match = re.fullmatch(r"\s*(?:<#(\d+)>|(\d{15,21}))\s*", text)
    if match is None:
        raise InvalidInput(i18n_text("settings-audit-not-channel"))
    channel_id = int(match.group(1) or match.group(2))
    channel = guild.get_channel_or_thread(channel_id)
    if channel is None or not isinstance(channel, discord.abc.Messageable):
        raise InvalidInput(i18n_text("settings-audit-not-text", channel=str(channel_id)))
    permissions = channel.permissions_for(guild.me)
    if not (permissions.view_channel and permissions.send_messages):
        raise InvalidInput(i18n_text("settings-audit-cannot-post", channel=str(channel_id)))
    return channel_id


#: `/admin settings nsfw_safety_tolerance:`: a level, or `clear` (age-restricted channels then get
#: the same cap as every other channel).
NSFW_LEVELS = tuple(str(level) for level in range(7))
#: The `clear` choice's value (`choice-<value>` in commands.ftl: the language option's `clear` reads
#: differently).
NSFW_CLEAR_VALUE = "nsfw-clear"


def parse_nsfw_tolerance(chosen: str, cap: int) -> int | None:
    """A level from 0 to the bot's cap, or None for `clear` (the choice, or any word that clears)."""
    typed_level = chosen.strip().lower()
    if typed_level == NSFW_CLEAR_VALUE or typed_level in CLEAR_WORDS:
        return None
    if typed_level not in NSFW_LEVELS:
        raise InvalidInput(i18n_text("settings-nsfw-invalid", cap=cap))
    if int(typed_level) > cap:
        raise InvalidInput(i18n_text("settings-nsfw-above-cap", cap=cap))
    return int(typed_level)


class Admin(commands.Cog):
    admin = app_commands.Group(
        name="admin",
        description="Server admin: quota and image settings",
        guild_only=True,
        default_permissions=discord.Permissions(manage_guild=True),
    )
    quota = app_commands.Group(
        name="quota", description="Credit limits, grants, resets and usage", parent=admin
    )

    rules = app_commands.Group(
        name="rules", description="Words and phrases refused in prompts and instructions", parent=admin
    )

    def __init__(self, bot: FluxBot) -> None:
        self.bot = bot

    # -- /admin rules -----------------------------------------------------------------------------

    @rules.command(name="add", description="Refuse prompts with a word, a phrase, or a pattern with *")
    @app_commands.describe(rule="e.g. gore, red car, *bomb* (no regular expressions)")
    async def rules_add(
        self, interaction: discord.Interaction, rule: app_commands.Range[str, 1, 100]
    ) -> None:
        require_admin(interaction, "change the prompt rules")
        assert interaction.guild_id is not None
        try:
            normal = normalise_rule(rule)
        except BadRule as exc:
            raise InvalidInput(i18n_text("rules-bad", rule=plain(rule, 100), problem=exc.reason)) from None
        await answer_later(interaction)
        language = await locale_of(interaction)
        store = self.bot.services.rules
        existing = await store.of(interaction.guild_id)
        if normal in existing:
            await interaction.followup.send(t(language, "rules-exists", rule=normal), ephemeral=True)
            return
        if len(existing) >= store.MAX_RULES:
            raise InvalidInput(i18n_text("rules-too-many", count=len(existing)))
        if await store.add(interaction.guild_id, normal, actor_id=interaction.user.id):
            await self.bot.services.admin.rule_added(
                interaction.guild_id, normal, actor_id=interaction.user.id
            )
        await interaction.followup.send(t(language, "rules-added", rule=normal), ephemeral=True)

    @rules.command(name="remove", description="Stop refusing a rule's words")
    @app_commands.describe(rule="The rule, as /admin rules list shows it")
    async def rules_remove(
        self, interaction: discord.Interaction, rule: app_commands.Range[str, 1, 100]
    ) -> None:
        require_admin(interaction, "change the prompt rules")
        assert interaction.guild_id is not None
        try:
            normal = normalise_rule(rule)
        except BadRule:
            normal = rule.strip()
        await answer_later(interaction)
        language = await locale_of(interaction)
        if not await self.bot.services.rules.remove(interaction.guild_id, normal):
            await interaction.followup.send(
                t(language, "rules-unknown", rule=typed(normal, 100)), ephemeral=True
            )
            return
        await self.bot.services.admin.rule_removed(interaction.guild_id, normal, actor_id=interaction.user.id)
        await interaction.followup.send(t(language, "rules-removed", rule=normal), ephemeral=True)

    @rules_remove.autocomplete("rule")
    async def _rule_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        existing = await self.bot.services.rules.of(interaction.guild_id)
        return [app_commands.Choice(name=r, value=r) for r in existing if current.lower() in r][:25]

    @rules.command(name="list", description="The prompt rules of this server")
    async def rules_list(self, interaction: discord.Interaction) -> None:
        require_admin(interaction, "see the prompt rules")
        assert interaction.guild_id is not None
        await answer_later(interaction)
        language = await locale_of(interaction)
        existing = await self.bot.services.rules.of(interaction.guild_id)
        if not existing:
            await interaction.followup.send(t(language, "rules-none"), ephemeral=True)
            return
        embed = discord.Embed(title=t(language, "rules-title"), colour=COLOUR)
        embed.description = join_within([f"`{r}`" for r in existing], 4000, "\n")
        await interaction.followup.send(embed=embed, ephemeral=True)

    # -- /admin quota limit -----------------------------------------------------------------------

    @quota.command(
        name="limit", description="Set a credit limit per period for a member, a role or the server"
    )
    @app_commands.describe(
        scope="Whose limit",
        amount="Credits per period, 'unlimited', or 'clear' to remove this limit",
        member="The member (scope member)",
        role="The role (scope role)",
        period="Change the server's quota period (day, week or month, UTC)",
    )
    @app_commands.choices(
        scope=[
            app_commands.Choice(name="member", value="member"),
            app_commands.Choice(name="role", value="role"),
            app_commands.Choice(name="server default (each member)", value="default"),
            app_commands.Choice(name="server budget (all members together)", value="guild"),
        ]
    )
    async def limit(
        self,
        interaction: discord.Interaction,
        scope: str,
        amount: str | None = None,
        member: discord.Member | None = None,
        role: discord.Role | None = None,
        period: Literal["day", "week", "month"] | None = None,
    ) -> None:
        require_admin(interaction, "change quota limits")
        assert interaction.guild_id is not None
        admin = self.bot.services.admin
        lines: list[str] = []
        if amount is None and period is None:
            raise InvalidInput(i18n_text("admin-limit-nothing"))
        clear = amount is not None and amount.strip().lower() in CLEAR_WORDS
        value = parse_amount(amount, allow_unlimited=True) if amount is not None and not clear else None
        target = _target(scope, member, role) if amount is not None else None
        await answer_later(interaction)
        language = await locale_of(interaction)
        if target is not None:
            kind, target_id, label = target
            if clear:
                removed = await admin.clear_limit(
                    interaction.guild_id, kind, target_id, actor_id=interaction.user.id, label=label
                )
                key = "admin-limit-removed" if removed else "admin-limit-none"
                lines.append(t(language, key, target=label))
            else:
                await admin.set_limit(
                    interaction.guild_id, kind, target_id, value, actor_id=interaction.user.id, label=label
                )
                lines.append(t(language, "admin-limit-set", target=label, amount=credits(language, value)))
        if period is not None:
            await admin.set_period(interaction.guild_id, period, actor_id=interaction.user.id)
            resets = period_reset(self.bot.services.quota.now(), period)
            lines.append(
                t(
                    language,
                    "admin-period-set",
                    period=i18n_text(f"period-{period}"),
                    when=discord.utils.format_dt(resets, "R"),
                )
            )
        await interaction.followup.send("\n".join(lines), ephemeral=True)

    # -- /admin quota grant -----------------------------------------------------------------------

    @quota.command(name="grant", description="One-off extra credits for this period")
    @app_commands.describe(
        scope="Who gets the credits",
        amount="Credits to add for the current period",
        member="The member (scope member)",
        role="Every member with this role (scope role)",
    )
    async def grant(
        self,
        interaction: discord.Interaction,
        scope: Literal["member", "role", "guild"],
        amount: str,
        member: discord.Member | None = None,
        role: discord.Role | None = None,
    ) -> None:
        require_admin(interaction, "grant credits")
        assert interaction.guild_id is not None
        value = parse_amount(amount, allow_unlimited=False)
        assert value is not None
        if value <= 0:
            raise InvalidInput(i18n_text("admin-grant-positive"))
        _, _, label = _target(scope, member, role)
        if scope == "member":
            assert member is not None
            user_ids: list[int] | None = [member.id]
        else:
            user_ids = None
            if scope == "role":
                assert role is not None
                label = i18n_text("admin-target-everyone-with", role=role.mention)
        await answer_later(interaction)
        language = await locale_of(interaction)
        quota = self.bot.services.quota
        key, fresh = await self.bot.services.admin.grant(
            interaction.guild_id,
            user_ids,
            value,
            actor_id=interaction.user.id,
            label=label,
            role_id=role.id if scope == "role" and role is not None else None,
            interaction_id=interaction.id,
        )
        resets = period_reset(quota.now(), await quota.period_of(interaction.guild_id))
        granted = {"amount": credits(language, value), "target": label, "period": key}
        await interaction.followup.send(
            t(language, "admin-granted", when=discord.utils.format_dt(resets, "R"), **granted)
            if fresh
            else t(language, "admin-granted-twice", **granted),
            ephemeral=True,
        )

    # -- /admin quota reset -----------------------------------------------------------------------

    @quota.command(name="reset", description="Bring usage of this period back to zero")
    @app_commands.describe(
        scope="Whose usage", member="The member (scope member)", role="Members with this role (scope role)"
    )
    async def reset(
        self,
        interaction: discord.Interaction,
        scope: Literal["member", "role", "guild"],
        member: discord.Member | None = None,
        role: discord.Role | None = None,
    ) -> None:
        require_admin(interaction, "reset quota")
        assert interaction.guild_id is not None
        _, _, label = _target(scope, member, role)
        await answer_later(interaction)
        language = await locale_of(interaction)
        if scope == "member":
            assert member is not None
            user_ids: list[int] | None = [member.id]
        elif scope == "role":
            assert role is not None
            user_ids = await _members_with_role(self.bot, interaction.guild, role)
            label = i18n_text("admin-target-members-with", role=role.mention)
        else:
            user_ids = None
            label = i18n_text("admin-target-everything")
        count = await self.bot.services.admin.reset(
            interaction.guild_id,
            user_ids,
            actor_id=interaction.user.id,
            label=label,
            interaction_id=interaction.id,
        )
        if count is None:
            await interaction.followup.send(t(language, "admin-reset-twice", target=label), ephemeral=True)
            return
        key = "admin-reset-guild" if scope == "guild" else "admin-reset-done"
        await interaction.followup.send(t(language, key, target=label, count=count), ephemeral=True)

    # -- /admin quota usage -----------------------------------------------------------------------

    @quota.command(name="usage", description="Credits used in this server, top members, with a chart")
    @app_commands.describe(
        scope="Whose usage (default: the whole server)",
        member="The member (scope member)",
        role="Only members with this role (scope role)",
        period="This period or the one before",
    )
    async def usage(
        self,
        interaction: discord.Interaction,
        scope: Literal["guild", "member", "role"] = "guild",
        member: discord.Member | None = None,
        role: discord.Role | None = None,
        period: Literal["current", "previous"] = "current",
    ) -> None:
        require_admin(interaction, "see the server's usage")
        assert interaction.guild_id is not None
        assert interaction.guild is not None
        _target(scope, member, role)
        await answer_later(interaction)
        language = await locale_of(interaction)
        services = self.bot.services
        quota = services.quota
        period_name = await quota.period_of(interaction.guild_id)
        now = quota.now()
        key = period_key(now, period_name) if period == "current" else previous_period_key(now, period_name)
        guild_id = interaction.guild_id
        # The chart is drawn, not rendered by Discord: it gets the names as typed; the title escaped.
        heading = t(language, "usage-heading-guild", server=interaction.guild.name, period=key)
        embed = discord.Embed(colour=COLOUR)
        if scope == "member":
            assert member is not None
            usage = await services.ledger.member_usage(guild_id, member.id, key)
            limits = await quota.limits(guild_id, member.id, tuple(r.id for r in member.roles))
            heading = t(language, "usage-heading-of", name=member.display_name, period=key)
            usage_fields(embed, usage, limits.member, language)
            source = limits.source.replace(" ", "-")
            embed.add_field(
                name=t(language, "quota-limit-set-by"),
                value=t(language, f"quota-source-{source}"),
                inline=True,
            )
            rows = [(member.display_name, usage.used, usage.held)]
        else:
            guild_usage = await services.ledger.guild_usage(guild_id, key)
            budget = (await quota.limits(guild_id, 0)).guild
            usage_fields(embed, guild_usage, budget, language, budget_label=True)
            top = await services.ledger.top_members(guild_id, key, limit=100 if scope == "role" else 10)
            members = await members_by_id(interaction.guild, [uid for uid, _ in top])
            if scope == "role":
                assert role is not None
                top = [(uid, u) for uid, u in top if uid in members and role in members[uid].roles][:10]
                heading = t(language, "usage-heading-of", name=role.name, period=key)
            count = await services.ledger.member_count(guild_id, key)
            embed.add_field(name=t(language, "usage-members"), value=number(language, count), inline=True)
            names = [name_of(members, uid) for uid, _ in top]
            if top:
                lines = [
                    t(
                        language,
                        "usage-top-line-held" if u.held else "usage-top-line",
                        rank=i,
                        name=plain(name, 100),
                        used=u.used,
                        held=u.held,
                    )
                    for i, (name, (_, u)) in enumerate(zip(names, top, strict=True), start=1)
                ]
                embed.add_field(
                    name=t(language, "usage-top"), value=join_within(lines, FIELD_VALUE_MAX), inline=False
                )
            rows = [(name, u.used, u.held) for name, (_, u) in zip(names, top, strict=True)]
        if period == "current":
            resets = period_reset(now, period_name)
            embed.add_field(
                name=t(language, "quota-resets"), value=discord.utils.format_dt(resets, "R"), inline=True
            )
        embed.title = plain(heading, 256)
        chart = usage_chart(heading, rows, language)
        embed.set_image(url="attachment://usage.png")
        await interaction.followup.send(
            embed=embed, file=discord.File(io.BytesIO(chart), filename="usage.png"), ephemeral=True
        )

    # -- /admin settings --------------------------------------------------------------------------

    @admin.command(
        name="settings", description="Default model, allowed models and channels, safety cap, language"
    )
    @app_commands.describe(
        default_model="Model used when a member picks none ('clear' for the bot's default)",
        allowed_models="Model ids separated by commas, or 'all'",
        max_safety_tolerance="Cap on safety tolerance (may only lower the bot's)",
        allowed_channels="#channels where image commands work, or 'all'",
        private="Private results: allow (members choose), forbid, or force for everyone",
        audit_channel="#channel where every job and admin action is logged, or 'clear'",
        nsfw_safety_tolerance="Safety tolerance in age-restricted channels (up to the bot's cap), or 'clear'",
        language="Language for members whose Discord client speaks none the bot does",
    )
    @app_commands.choices(
        language=[
            *(app_commands.Choice(name=LANGUAGE_NAMES[code], value=code) for code in LANGUAGES),
            app_commands.Choice(name="default (DEFAULT_LANGUAGE)", value="clear"),
        ],
        nsfw_safety_tolerance=[
            *(app_commands.Choice(name=level, value=level) for level in NSFW_LEVELS),
            app_commands.Choice(name="clear (as in other channels)", value=NSFW_CLEAR_VALUE),
        ],
    )
    async def settings(
        self,
        interaction: discord.Interaction,
        default_model: str | None = None,
        allowed_models: str | None = None,
        max_safety_tolerance: app_commands.Range[int, 0, 6] | None = None,
        allowed_channels: str | None = None,
        private: Literal["allow", "forbid", "force"] | None = None,
        audit_channel: str | None = None,
        nsfw_safety_tolerance: str | None = None,
        language: str | None = None,
    ) -> None:
        require_admin(interaction, "change the server's settings")
        assert interaction.guild_id is not None
        assert interaction.guild is not None
        guilds = self.bot.services.quota.guilds
        config = self.bot.services.settings
        await answer_later(interaction)
        reader = await locale_of(interaction)
        updated = current = await guilds.settings(interaction.guild_id)
        if allowed_models is not None:
            updated = replace(updated, allowed_models=parse_models(allowed_models))
        if default_model is not None:
            if default_model.strip().lower() in CLEAR_WORDS:
                updated = replace(updated, default_model=None)
            else:
                models = parse_models(default_model) or ()
                if len(models) != 1:
                    raise InvalidInput(i18n_text("admin-default-model-one"))
                updated = replace(updated, default_model=models[0])
        chosen, allowed = updated.default_model, updated.allowed_models
        if chosen and allowed is not None and chosen not in allowed:
            raise InvalidInput(i18n_text("admin-default-model-not-allowed", model=chosen))
        if max_safety_tolerance is not None:
            if not 0 <= max_safety_tolerance <= 6:
                raise InvalidInput(i18n_text("admin-safety-range"))
            if max_safety_tolerance > config.max_safety_tolerance:
                raise InvalidInput(i18n_text("admin-safety-cap", cap=config.max_safety_tolerance))
            updated = replace(updated, max_safety_tolerance=max_safety_tolerance)
        if allowed_channels is not None:
            updated = replace(updated, allowed_channels=parse_channels(allowed_channels, interaction.guild))
        if private is not None:
            if private not in PRIVATE_MODES:
                raise InvalidInput(i18n_text("settings-private-invalid"))
            updated = replace(updated, private_mode=None if private == "allow" else private)
        if audit_channel is not None:
            updated = replace(updated, audit_channel_id=parse_audit_channel(audit_channel, interaction.guild))
        if nsfw_safety_tolerance is not None:
            updated = replace(
                updated,
                nsfw_safety_tolerance=parse_nsfw_tolerance(
                    nsfw_safety_tolerance, config.max_safety_tolerance
                ),
            )
        if language is not None:
            updated = replace(updated, language=None if language == "clear" else language)
            if updated.language is not None and updated.language not in LANGUAGE_NAMES:
                raise InvalidInput(
                    i18n_text("settings-unknown-language", language=language, languages=", ".join(LANGUAGES))
                )
        changed = await self.bot.services.admin.save_settings(current, updated, actor_id=interaction.user.id)
        new_channel = updated.audit_channel_id
        if changed and new_channel is not None and new_channel != current.audit_channel_id:
            await self.bot.audit.channel_set(interaction.guild_id)
        await interaction.followup.send(
            t(reader, "settings-saved" if changed else "settings-current"),
            embed=settings_embed(updated, self.bot, reader, await audit_field(self.bot, updated, reader)),
            ephemeral=True,
        )

    @settings.autocomplete("default_model")
    async def _default_model_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(name=f"{spec.label} ({spec.id})"[:100], value=spec.id)
            for spec in MODELS.values()
            if current.lower() in spec.id and spec.id not in self.bot.services.settings.disabled_models
        ][:25]


async def setup(bot: FluxBot) -> None:
    await bot.add_cog(Admin(bot))
