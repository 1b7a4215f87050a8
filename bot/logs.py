"""Logging on stdout, as text or JSON lines (`LOG_FORMAT`), with every secret's value replaced
before a line is written, whichever the format.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from typing import Literal

from pythonjsonlogger.json import JsonFormatter

LogFormat = Literal["text", "json"]

TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
#: One JSON object per line: {"time", "level", "logger", "message"}, plus `exc_info` and any `extra`.
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s"
JSON_NAMES = {"asctime": "time", "levelname": "level", "name": "logger"}


class RedactSecrets(logging.Filter):
    """Replaces each known secret (token, API keys, webhook secrets) with `***` in every record:
    its message, its traceback, and any text a caller attached with `extra=`.
    """

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s and len(s) >= 4]

    def add(self, secret: str) -> None:
        if secret and len(secret) >= 4 and secret not in self.secrets:
            self.secrets.append(secret)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        if record.exc_info:
            if not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            # Formatters then print the redacted text; JSON's would format the exception anew.
            record.exc_info = None
        original = record.getMessage()
        message = self._redact(original)
        if message != original:
            record.msg, record.args = message, None
        for name, value in vars(record).items():
            if isinstance(value, str) and name != "msg":
                setattr(record, name, self._redact(value))
        return True

    def _redact(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, "***")
        return text


def formatter(log_format: LogFormat) -> logging.Formatter:
    if log_format == "json":
        return JsonFormatter(JSON_FIELDS, rename_fields=JSON_NAMES)
    return logging.Formatter(TEXT_FORMAT)


def setup_logging(level: str, secrets: Iterable[str], log_format: LogFormat = "text") -> RedactSecrets:
    redact = RedactSecrets(secrets)
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter(log_format))
    handler.addFilter(redact)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("discord").setLevel(max(logging.INFO, logging.getLevelName(level)))
    logging.getLogger("aiosqlite").setLevel(logging.WARNING)
    return redact
