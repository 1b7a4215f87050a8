"""Errors a member may read as they are, and errors an operator must act on.

A `UserFacingError`'s message is shown to the member verbatim (ephemerally on Discord, on stderr
for the CLI). Anything else is a bug or an outage: it is logged with context and the member gets a
short apology with a reference id.
"""

from __future__ import annotations


class UserFacingError(Exception):
    """The message is written for the member and safe to show as is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


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
