"""Errors a member may read as they are, and errors an operator must act on.

A `UserFacingError`'s message is shown to the member verbatim (ephemerally on Discord, on stderr
for the CLI). Anything else is a bug or an outage: it is logged with context and the member gets a
short apology with a reference id.
"""

from __future__ import annotations

from bot.i18n import SOURCE, Text

#: Discord refuses a message longer than this, so a refusal must never be longer.
MESSAGE_MAX = 2000


def typed(value: object, limit: int = 100) -> str:
    """Something a member typed, to quote back inside `backticks`: no backtick in it closes the
    span, and a long value is cut (a 1,990-character flag must not push a refusal past Discord's
    2,000 characters, which leaves the member with "This interaction failed")."""
    text = str(value).replace("`", "'")
    return text if len(text) <= limit else text[: limit - 1] + "…"


class UserFacingError(Exception):
    """The message is written for the member and safe to show as is.

    Given as a `Text` (a catalogue key and its arguments, bot/i18n), it is shown in the member's
    language (`render`); `message` is the English sentence (logs, the command line).
    """

    def __init__(self, message: str | Text) -> None:
        self.text = message if isinstance(message, Text) else None
        self.message = str(message)
        super().__init__(self.message)

    def render(self, language: str = SOURCE) -> str:
        return self.text.render(language) if self.text is not None else self.message


class InvalidInput(UserFacingError):
    """An option, flag, prompt or attachment the member can fix."""


class QuotaExceeded(UserFacingError):
    """The member's or the guild's credit limit would be exceeded; nothing was spent."""


class QueueFull(UserFacingError):
    """The member has too many jobs waiting already."""


class NotAllowed(UserFacingError):
    """The member lacks a permission, or the channel/model is not allowed here."""


class NotFound(UserFacingError):
    """A job, image or member the command refers to does not exist (any more)."""


class ConfigurationError(Exception):
    """The setup cannot work as it is (a missing setting, a database from a newer fluxbot).

    The command line prints it as one line and exits with code 2.
    """


#: What the operator reads when Discord answers 401 to the token (doctor, sync-commands, run).
LOGIN_REFUSED = "Discord refused DISCORD_TOKEN (developer portal → Bot → Reset Token, then update it)"

#: What the operator reads when Discord cannot be reached at all (doctor, sync-commands, run).
DISCORD_UNREACHABLE = "Discord could not be reached (check the network)"
