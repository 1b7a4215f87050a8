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

from bot.credits import format_credits
from bot.i18n import Text
from bot.i18n import text as i18n_text
from bot.quota import QuotaService
from bot.settings import Limit
from bot.store.guilds import GuildSettings, GuildStore, LimitScope
from bot.store.operator import AuditLines

log = logging.getLogger(__name__)

#: One audit line's length at most (the message that carries it is cut at 2,000).
LINE_CHARS = 400
#: How much of a settings change a line tells.
CHANGES_CHARS = 300

#: What the audit channel reads of each admin action. Mentions only show names: nothing posted pings.
AUDIT = {
    "admin": "🛠 {admin} {action}",
    "admin_dashboard": "🛠 {admin} {action} (on the web dashboard)",
    "limit": "set the limit of {label} to {amount} credits per period",
    "limit_cleared": "removed the limit of {label}",
    "period": "changed the quota period to {period}",
    "grant": "granted {amount} credits to {label} for {key}",
    "reset": "reset this period's usage of {label}",
    "settings": "changed the settings: {changes}",
    "rule_added": "added the prompt rule `{rule}`",
    "rule_removed": "removed the prompt rule `{rule}`",
}


def admin_line(admin_id: int, action: str, *, dashboard: bool = False) -> str:
    """`🛠 @admin did this`, and where, when it was the web dashboard."""
    return AUDIT["admin_dashboard" if dashboard else "admin"].format(admin=f"<@{admin_id}>", action=action)


def target_label(scope: LimitScope, target_id: int) -> str | Text:
    """Whose limit, as `/admin` and the audit line name it: a mention, or the server's default/budget."""
    if scope == "member":
        return f"<@{target_id}>"
    if scope == "role":
        return f"<@&{target_id}>"
    return i18n_text("admin-target-default" if scope == "default" else "admin-target-guild")


def settings_changes(before: GuildSettings, after: GuildSettings) -> str:
    """The audit line's account of a settings change: each changed field and its new value."""
    shown = {
        "default_model": lambda v: f"`{v}`" if v else "bot default",
        "allowed_models": lambda v: ", ".join(f"`{m}`" for m in v) if v is not None else "all",
        "max_safety_tolerance": lambda v: str(v) if v is not None else "bot default",
        "allowed_channels": lambda v: " ".join(f"<#{c}>" for c in v) if v is not None else "all",
        "quota_period": lambda v: v or "bot default",
        "private_mode": lambda v: v or "allow",
        "audit_channel_id": lambda v: f"<#{v}>" if v else "none",
        "nsfw_safety_tolerance": lambda v: str(v) if v is not None else "as elsewhere",
        "language": lambda v: v or "default",
    }
    parts = [
        f"{name.removesuffix('_id').replace('_', ' ')} → {show(getattr(after, name))}"
        for name, show in shown.items()
        if getattr(before, name) != getattr(after, name)
    ]
    return _cut("; ".join(parts), CHANGES_CHARS)


class AuditRecorder:
    """Keeps lines for the servers' audit channels; whoever posts them listens (`listeners`)."""

    def __init__(self, guilds: GuildStore, lines: AuditLines) -> None:
        self.guilds = guilds
        self.lines = lines
        #: Called after each line kept (the gateway's poster wakes).
        self.listeners: list[Callable[[], None]] = []

    async def record(self, guild_id: int | None, line: str) -> bool:
        """Keep `line` for the server's audit channel, if it has one; whether it was kept.

        Never raises: an audit line must not fail the action it tells of.
        """
        if guild_id is None:
            return False
        try:
            settings = await self.guilds.settings(guild_id)
            if settings.audit_channel_id is None:
                return False
            await self.lines.add(guild_id, _cut(line, LINE_CHARS))
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

    async def _tell(self, guild_id: int, actor_id: int, action: str, dashboard: bool) -> None:
        await self.audit.record(guild_id, admin_line(actor_id, action, dashboard=dashboard))

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
        action = AUDIT["limit"].format(label=label, amount=format_credits(value))
        await self._tell(guild_id, actor_id, action, dashboard)

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
            await self._tell(guild_id, actor_id, AUDIT["limit_cleared"].format(label=label), dashboard)
        return removed

    async def set_period(self, guild_id: int, period: str, *, actor_id: int, dashboard: bool = False) -> None:
        current = await self.guilds.settings(guild_id)
        await self.guilds.save_settings(replace(current, quota_period=period), actor_id=actor_id)
        await self._tell(guild_id, actor_id, AUDIT["period"].format(period=period), dashboard)

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
            action = AUDIT["grant"].format(amount=format_credits(value), label=label, key=key)
            await self._tell(guild_id, actor_id, action, dashboard)
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
            await self._tell(guild_id, actor_id, AUDIT["reset"].format(label=label), dashboard)
        return count

    async def save_settings(
        self, current: GuildSettings, updated: GuildSettings, *, actor_id: int, dashboard: bool = False
    ) -> bool:
        """Save `updated` when it differs from `current`; whether it did. The line goes to the audit
        channel as it is after the change (a channel just set gets it)."""
        if updated == current:
            return False
        await self.guilds.save_settings(updated, actor_id=actor_id)
        action = AUDIT["settings"].format(changes=settings_changes(current, updated))
        await self._tell(updated.guild_id, actor_id, action, dashboard)
        return True

    async def rule_added(self, guild_id: int, rule: str, *, actor_id: int) -> None:
        await self._tell(guild_id, actor_id, AUDIT["rule_added"].format(rule=rule), False)

    async def rule_removed(self, guild_id: int, rule: str, *, actor_id: int) -> None:
        await self._tell(guild_id, actor_id, AUDIT["rule_removed"].format(rule=rule), False)


def _cut(line: str, limit: int) -> str:
    return line if len(line) <= limit else line[: limit - 1] + "…"
