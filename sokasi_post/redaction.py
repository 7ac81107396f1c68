"""Keeping tokens and passwords out of every message, log line and traceback the tool writes."""

from __future__ import annotations

import logging
import re

_SECRET_PARAMETERS = re.compile(
    r"(access_token|input_token|client_secret|fb_exchange_token|sessionid|password|enc_password)=([^&\s'\"]+)",
    re.IGNORECASE,
)


def redact(text: str, secrets: list[str] | tuple[str, ...] = ()) -> str:
    """`text` with every known secret and every token-like URL parameter replaced by ***."""
    for secret in secrets:
        if len(secret) >= 6:
            text = text.replace(secret, "***")
    return _SECRET_PARAMETERS.sub(lambda m: f"{m.group(1)}=***", text)


class RedactingFilter(logging.Filter):
    """A handler filter that rewrites each record, and its traceback, without the secrets."""

    def __init__(self, secrets: list[str]):
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage(), self.secrets)
        record.args = None
        if record.exc_info:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info), self.secrets)
        return True
