"""Every member-facing text of the web pages, in one place. The message catalogue's `web-*` keys
(bot/i18n/locales/*/web.ftl, in en-US, ru, zh-CN, es-ES and de; tests/dashboard/test_catalogue.py
keeps English equal to this) are the same texts: once bot/i18n is on main, `Words.say` reads them
in the member's language (`t(language, "web-" + key.replace("_", "-"), **args)`).

Templates read them as `t.name` (a `Words`); none of them is built
from member text (that is passed to the templates separately, and autoescaped). Errors and notices
travel in a redirect's URL as keys (`?error=bad_role`), never as text: a crafted link can show
only our own sentences."""

from __future__ import annotations

from types import MappingProxyType

TEXT = MappingProxyType(
    {
        "app": "fluxbot",
        "skip": "Skip to content",
        "sign_in_title": "Sign in",
        "sign_in_how": "Use the /dashboard command in your Discord server: it answers with a private "
        "sign-in link that works once, for ten minutes.",
        "sign_in_discord": "Sign in with Discord",
        "link_title": "Sign in to fluxbot",
        "link_ask": "This link signs you in once. Continue?",
        "link_button": "Sign in",
        "link_dead": "This sign-in link was used already or has expired. Use /dashboard in Discord "
        "for a new one.",
        "too_many": "Too many sign-in attempts from here. Wait a minute and try again.",
        "oauth_failed": "Discord did not confirm the sign-in. Try again, or use /dashboard in Discord.",
        "sign_out": "Sign out",
        "signed_out": "You are signed out.",
        "home_title": "Your servers",
        "home_none": "No server to show. Use /dashboard in the server you want to open.",
        "my_images": "My images",
        "operators": "Server dashboard",
        "quota": "Your quota this period",
        "used": "Used",
        "held": "Held by running jobs",
        "limit": "Limit",
        "unlimited": "unlimited",
        "remaining": "Remaining",
        "resets": "Resets",
        "filter_model": "Model",
        "all_models": "All models",
        "search": "Search prompts",
        "apply": "Filter",
        "no_images": "No images here yet.",
        "prompt": "Prompt",
        "model": "Model",
        "seed": "Seed",
        "size": "Size",
        "cost": "Cost",
        "date": "Date",
        "credits": "credits",
        "open_in_discord": "Open in Discord",
        "download": "Download",
        "delete": "Delete",
        "deleted": "Deleted.",
        "older": "Older images",
        "newest": "Newest images",
        "not_allowed": "You cannot open this page.",
        "not_member": "You are not a member of this server, or the bot is not in it.",
        "need_manage": "Only members with the Manage Server permission can open the server dashboard.",
        "bad_form": "This form has expired. Reload the page and try again.",
        "not_found": "Not found.",
        "usage": "Usage",
        "per_day": "Credits per day (last 30 days, UTC)",
        "per_model": "Credits per model (last 30 days)",
        "top_members": "Top members this period",
        "limits": "Limits",
        "scope": "Whose limit",
        "scope_member": "A member",
        "scope_role": "A role",
        "scope_default": "Every member (server default)",
        "scope_guild": "The server budget (all members together)",
        "member_id": "Member ID",
        "role": "Role",
        "amount": "Credits per period (a number, unlimited, or clear)",
        "save_limit": "Save limit",
        "period": "Quota period",
        "save_period": "Change period",
        "current_limits": "Limits set",
        "no_limits": "No limits of this server's own: the bot's defaults apply.",
        "grant": "Grant credits for this period",
        "grant_amount": "Credits to grant",
        "grant_to": "Who gets the credits",
        "grant_button": "Grant",
        "settings": "Server settings",
        "default_model": "Default model",
        "bot_default": "The bot's default",
        "allowed_models": "Allowed models (none ticked: all)",
        "safety": "Maximum safety tolerance",
        "allowed_channels": "Channels where image commands work (none ticked: all)",
        "save_settings": "Save settings",
        "private_mode": "Private results",
        "private_allow": "Members choose",
        "private_forbid": "Never private",
        "private_force": "Always private",
        "saved": "Saved.",
        "queue": "Live queue",
        "queue_empty": "No jobs in flight.",
        "state": "State",
        "member": "Member",
        "since": "Since",
        "cancel": "Cancel",
        "cancelled": "Cancelled.",
        "not_cancelled": "That job could not be cancelled (only queued jobs can).",
        "providers": "Providers",
        "requests": "Requests",
        "latency": "Mean latency",
        "errors": "Errors",
        "balance": "BFL balance",
        "bad_amount": "That amount is not valid: give credits from 0 to 1,000,000,000 with at most 6 "
        "decimals (a limit also takes unlimited or clear).",
        "bad_member": "That member is not in this server.",
        "bad_role": "Pick a role of this server.",
        "grant_positive": "Grant a positive number of credits.",
        "bad_settings_default": "The default model must be one of the allowed models.",
        "bad_settings_safety": "The safety tolerance may only lower the bot's cap of {cap}.",
        "limit_saved": "Limit saved.",
        "limit_cleared": "Limit removed.",
        "granted": "Credits granted.",
        "period_saved": "Quota period changed.",
    }
)

#: What a redirect back to the operators' page may carry (`?notice=` / `?error=`).
NOTICES = frozenset({"limit_saved", "limit_cleared", "granted", "period_saved", "saved", "cancelled"})
ERRORS = frozenset(
    {
        "bad_member",
        "bad_role",
        "bad_amount",
        "grant_positive",
        "bad_settings_default",
        "bad_settings_safety",
        "not_cancelled",
    }
)


class Words:
    """The page texts in one language: `words.name` and `words["name"]` in templates, `say` in code."""

    def __init__(self, language: str = "en-US") -> None:
        self.language = language

    def say(self, key: str, **args: object) -> str:
        return TEXT[key].format(**args) if args else TEXT[key]

    def __getattr__(self, key: str) -> str:
        if key.startswith("__"):
            raise AttributeError(key)
        return self.say(key)

    def __getitem__(self, key: str) -> str:
        return self.say(key)
