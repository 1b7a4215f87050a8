"""The operators' writes and their audit lines, one path for `/admin` and the web dashboard.

`/admin quota limit|grant|reset`, `/admin settings`, `/admin rules` (cogs/admin.py) and the
dashboard's forms (bot/dashboard/pages.py) both call `AdminActions`: it does the write through the
store or the quota service, with the operator as `actor_id`, and records the same audit line for the
server's audit channel (bot/discord/audit.py posts it). A line from the dashboard says so.

`AuditRecorder.record` keeps a line when the server has an audit channel and wakes its listeners
(the gateway's `AuditDesk`, which posts the lines).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from decimal import Decimal

from bot.i18n import LANGUAGE_NAMES, Joined, Text, resolve
from bot.i18n import text as i18n_text
from bot.quota import QuotaService
from bot.settings import Limit
from bot.store.guilds import GuildSettings, GuildStore, LimitScope
from bot.store.operator import AuditLines

log = logging.getLogger(__name__)

#: One audit line's length at most (the message that carries it is cut at 2,000).
LINE_CHARS = 400

#: The catalogue key of each admin action's audit line (bot/i18n/locales/*/audit.ftl). Mentions only
#: show names: nothing posted pings.
AUDIT = {
    "limit": "audit-limit",
    "limit_cleared": "audit-limit-cleared",
    "period": "audit-period",
    "grant": "audit-grant",
    "reset": "audit-reset",
    "settings": "audit-settings",
    "rule_added": "audit-rule-added",
    "rule_removed": "audit-rule-removed",
    "erased": "audit-erased",
}


def admin_line(admin_id: int, action: Text, *, dashboard: bool = False) -> Text:
    """`🛠 @admin did this`, and where, when it was the web dashboard."""
    return i18n_text(
        "audit-admin-dashboard" if dashboard else "audit-admin", admin=f"<@{admin_id}>", action=action
    )


def action(what: str, /, **args: object) -> Text:
    """An admin action's text (`what` a key of AUDIT)."""
    return i18n_text(AUDIT[what], **args)


def target_label(scope: LimitScope, target_id: int) -> str | Text:
    """Whose limit, as `/admin` and the audit line name it: a mention, or the server's default/budget."""
    if scope == "member":
        return f"<@{target_id}>"
    if scope == "role":
        return f"<@&{target_id}>"
    return i18n_text("admin-target-default" if scope == "default" else "admin-target-guild")


def _choice(value: str) -> Text:
    """A value offered as a command choice (`week`, `force`), as the choice is named."""
    return i18n_text(f"choice-{value}")


def _shown(name: str, value: object) -> str | Text:
    """A setting's new value as the audit line shows it."""
    bot_default, everything = i18n_text("audit-value-bot-default"), i18n_text("audit-value-all")
    if name == "default_model":
        return f"`{value}`" if value else bot_default
    if name == "allowed_models":
        return ", ".join(f"`{m}`" for m in value) if isinstance(value, list | tuple) else everything
    if name == "max_safety_tolerance":
        return str(value) if value is not None else bot_default
    if name == "allowed_channels":
        return " ".join(f"<#{c}>" for c in value) if isinstance(value, list | tuple) else everything
    if name == "quota_period":
        return _choice(str(value)) if value else bot_default
    if name == "private_mode":
        return _choice(str(value or "allow"))
    if name == "audit_channel_id":
        return f"<#{value}>" if value else i18n_text("audit-value-none")
    if name == "nsfw_safety_tolerance":
        return str(value) if value is not None else i18n_text("audit-value-as-elsewhere")
    if name == "language":
        return (
            LANGUAGE_NAMES.get(str(value), str(value)) if value else i18n_text("audit-value-default-language")
        )
    return str(value)


#: The settings an audit line tells of, in this order (each is `audit-setting-<name>`).
SETTINGS_SHOWN = (
    "default_model",
    "allowed_models",
    "max_safety_tolerance",
    "allowed_channels",
    "quota_period",
    "private_mode",
    "audit_channel_id",
    "nsfw_safety_tolerance",
    "language",
)


def settings_changes(before: GuildSettings, after: GuildSettings) -> Joined:
    """The audit line's account of a settings change: each changed field and its new value."""
    return Joined(
        tuple(
            i18n_text(
                "audit-change",
                setting=i18n_text(f"audit-setting-{name}"),
                value=_shown(name, getattr(after, name)),
            )
            for name in SETTINGS_SHOWN
            if getattr(before, name) != getattr(after, name)
        ),
        "; ",
    )


class AuditRecorder:
    """Keeps lines for the servers' audit channels; whoever posts them listens (`listeners`)."""

    def __init__(self, guilds: GuildStore, lines: AuditLines, *, default_language: str | None = None) -> None:
        self.guilds = guilds
        self.lines = lines
        #: The language of a server that chose none (DEFAULT_LANGUAGE; English when unset).
        self.default_language = default_language
        #: Called after each line kept (the gateway's poster wakes).
        self.listeners: list[Callable[[], None]] = []

    async def language(self, guild_id: int) -> str:
        """The language the server's audit channel reads: `/admin settings language:`, else the
        bot's DEFAULT_LANGUAGE, else English."""
        return resolve((await self.guilds.settings(guild_id)).language, self.default_language)

    async def record(self, guild_id: int | None, line: Text) -> bool:
        """Keep `line` for the server's audit channel, if it has one, written in the server's
        language (the row keeps the rendered text); whether it was kept.

        Never raises: an audit line must not fail the action it tells of.
        """
        if guild_id is None:
            return False
        try:
            settings = await self.guilds.settings(guild_id)
            if settings.audit_channel_id is None:
                return False
            rendered = line.render(resolve(settings.language, self.default_language))
            await self.lines.add(guild_id, _cut(rendered, LINE_CHARS))
        except Exception as exc:
            log.warning("guild %s: an audit line was not kept: %s", guild_id, exc)
            return False
        for listener in self.listeners:
            listener()
        return True


class AdminActions:
    """Each operator write and its audit line. `dashboard=True`: the line says it came from the web."""

    def __init__(self, quota: QuotaService, audit: AuditRecorder) -> None:
        self.quota = quota
        self.guilds = quota.guilds
        self.audit = audit

    async def _tell(self, guild_id: int, actor_id: int, what: Text, dashboard: bool) -> None:
        await self.audit.record(guild_id, admin_line(actor_id, what, dashboard=dashboard))

    async def set_limit(
        self,
        guild_id: int,
        scope: LimitScope,
        target_id: int,
        value: Limit,
        *,
        actor_id: int,
        label: str | Text,
        dashboard: bool = False,
    ) -> None:
        await self.guilds.set_limit(guild_id, scope, target_id, value, actor_id=actor_id)
        amount = value if value is not None else i18n_text("credits-unlimited")
        await self._tell(guild_id, actor_id, action("limit", label=label, amount=amount), dashboard)

    async def clear_limit(
        self,
        guild_id: int,
        scope: LimitScope,
        target_id: int,
        *,
        actor_id: int,
        label: str | Text,
        dashboard: bool = False,
    ) -> bool:
        """Remove a limit; whether there was one (only then is there a line)."""
        removed = await self.guilds.clear_limit(guild_id, scope, target_id)
        if removed:
            await self._tell(guild_id, actor_id, action("limit_cleared", label=label), dashboard)
        return removed

    async def set_period(self, guild_id: int, period: str, *, actor_id: int, dashboard: bool = False) -> None:
        current = await self.guilds.settings(guild_id)
        await self.guilds.save_settings(replace(current, quota_period=period), actor_id=actor_id)
        await self._tell(guild_id, actor_id, action("period", period=_choice(period)), dashboard)

    async def grant(
        self,
        guild_id: int,
        user_ids: Sequence[int] | None,
        value: Decimal,
        *,
        actor_id: int,
        label: str | Text,
        role_id: int | None = None,
        interaction_id: int | None = None,
        dashboard: bool = False,
    ) -> tuple[str, bool]:
        """`QuotaService.grant` and, when it granted (not a repeat), its line."""
        key, fresh = await self.quota.grant(
            guild_id, user_ids, value, actor_id=actor_id, role_id=role_id, interaction_id=interaction_id
        )
        if fresh:
            await self._tell(
                guild_id, actor_id, action("grant", amount=value, label=label, key=key), dashboard
            )
        return key, fresh

    async def reset(
        self,
        guild_id: int,
        user_ids: Sequence[int] | None,
        *,
        actor_id: int,
        label: str | Text,
        interaction_id: int | None = None,
        dashboard: bool = False,
    ) -> int | None:
        count = await self.quota.reset(guild_id, user_ids, actor_id=actor_id, interaction_id=interaction_id)
        if count is not None:
            await self._tell(guild_id, actor_id, action("reset", label=label), dashboard)
        return count

    async def save_settings(
        self, current: GuildSettings, updated: GuildSettings, *, actor_id: int, dashboard: bool = False
    ) -> bool:
        """Save `updated` when it differs from `current`; whether it did. The line goes to the audit
        channel as it is after the change (a channel just set gets it)."""
        if updated == current:
            return False
        await self.guilds.save_settings(updated, actor_id=actor_id)
        changes = action("settings", changes=settings_changes(current, updated))
        await self._tell(updated.guild_id, actor_id, changes, dashboard)
        return True

    async def rule_added(self, guild_id: int, rule: str, *, actor_id: int) -> None:
        await self._tell(guild_id, actor_id, action("rule_added", rule=rule), False)

    async def rule_removed(self, guild_id: int, rule: str, *, actor_id: int) -> None:
        await self._tell(guild_id, actor_id, action("rule_removed", rule=rule), False)

    async def erased(self, guild_id: int, jobs: int, *, actor_id: int) -> None:
        """`/admin privacy erase member:` (cogs/privacy.py) erased a member's data."""
        await self._tell(guild_id, actor_id, action("erased", count=jobs), False)


def _cut(line: str, limit: int) -> str:
    return line if len(line) <= limit else line[: limit - 1] + "…"
