"""Keeping tokens, passwords and session ids out of everything the tool writes: the one redaction boundary.

Two things are removed, both replaced by ***:

- the secrets in play, by value (the Page token, the app secret, the Instagram password, the session id and
  cookies of the saved session), in the forms they take in URLs, JSON and HTML;
- anything shaped like a secret, whoever sent it: `access_token=...`, `sessionid=...`, `"password": "..."`,
  `Bearer ...`, `IGT:2:...`, Graph tokens (`EAA...`), app tokens (`<app id>|<secret>`), Instagram session ids.

The CLI opens one `boundary()` per run: stdout and stderr pass through `redact`, and so do log records (through
`RedactingFilter`) and the ledger's stored texts. `remember()` adds the secrets of the run as they become known
(publishers.secrets_of gathers them). Only values are replaced; the words around them stay readable.
"""

from __future__ import annotations

import contextlib
import functools
import html
import json
import logging
import re
import sys
from collections.abc import Iterable, Iterator
from typing import Any, TextIO
from urllib.parse import quote, quote_plus, unquote

MASK = "***"
SHORTEST_SECRET = 6  # shorter values would mask ordinary words and numbers; no real token or password is shorter

# Names whose value is a secret, in URLs and form bodies (name=value) and in cookies (name=value;).
_PARAMETERS = ("access_token", "input_token", "client_secret", "app_secret", "appsecret_proof", "fb_exchange_token",
               "sessionid", "password", "enc_password", "ds_user_id", "csrftoken", "rur", "shbid", "shbts", "ig_did", "mid")
# Names whose value is a secret in JSON, Python reprs and HTTP headers ("name": "value", 'name': 'value', Name: value).
_FIELDS = (*_PARAMETERS, "authorization", "ig-set-authorization", "cookie", "set-cookie", "token", "ig_u_rur", "ig-u-rur",
           "ig_www_claim", "x-ig-www-claim", "x-mid", "ig-u-ds-user-id")
_NAMES = "|".join(re.escape(name) for name in sorted(set(_FIELDS), key=len, reverse=True))
# A value ends at a separator, a quote or a backslash (so a redacted JSON string stays valid JSON).
_VALUE = r"[^&\s;,'\"\\<>]+"

_SHAPES: list[tuple[re.Pattern[str], Any]] = [
    # "sessionid": "4242%3A...", 'password': 'x', "ds_user_id": 4242
    (re.compile(r"""(?P<q>["'])(?P<name>""" + _NAMES + r""")(?P=q)(?P<sep>\s*:\s*)"""
                r"""(?:"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^\s,}\]]+)""", re.IGNORECASE),
     lambda m: f"{m['q']}{m['name']}{m['q']}{m['sep']}\"{MASK}\""),
    # access_token=EAA..., sessionid=...; and the same URL-encoded inside another URL (access_token%3DEAA...)
    (re.compile(r"(?<![\w-])(?P<name>" + "|".join(_PARAMETERS) + r")(?P<sep>=|%3D)(?P<value>" + _VALUE + ")", re.IGNORECASE),
     lambda m: f"{m['name']}{m['sep']}{MASK}"),
    # Instagram's authorization header, alone or after Bearer: IGT:2:<base64 of the session id>
    (re.compile(r"\bIGT(?P<sep>:|%3A)(?P<n>\d+)(?P=sep)[A-Za-z0-9+/=_%-]+"), lambda m: f"IGT{m['sep']}{m['n']}{m['sep']}{MASK}"),
    # Any other bearer or OAuth token (an HTTP Authorization value)
    (re.compile(r"\b(?P<scheme>Bearer|OAuth)(?P<sep>\s+|%20|\+)(?!IGT(?::|%3A)\d+(?::|%3A)\*\*\*)(?!\*\*\*)[A-Za-z0-9._~+/=:%-]{6,}",
                re.IGNORECASE), lambda m: f"{m['scheme']}{m['sep']}{MASK}"),
    # Authorization: <value>, authorization=<value> without a scheme
    (re.compile(r"\b(?P<name>authorization)(?P<sep>\s*[:=]\s*)(?!Bearer|OAuth|IGT|\*\*\*)(?P<value>" + _VALUE + ")",
                re.IGNORECASE), lambda m: f"{m['name']}{m['sep']}{MASK}"),
    # Graph API user and Page tokens begin with EAA
    (re.compile(r"\bEAA[A-Za-z0-9]{20,}"), lambda m: MASK),
    # App tokens: <app id>|<app secret> (the app id is not secret)
    (re.compile(r"\b(?P<app>\d{5,})(?P<bar>\||%7C)[A-Za-z0-9_-]{16,}", re.IGNORECASE), lambda m: f"{m['app']}{m['bar']}{MASK}"),
    # Instagram session ids: <user id>:<random>:<n>[:<more>], raw or URL-encoded
    (re.compile(r"\b\d{3,}(?P<sep>:|%3A)[A-Za-z0-9_-]{8,}(?P=sep)\d+(?:(?P=sep)[A-Za-z0-9_-]+)?", re.IGNORECASE), lambda m: MASK),
]


def _forms(secret: str) -> set[str]:
    """The ways a secret appears in text: as it is, URL-encoded, URL-decoded, JSON-escaped, in HTML."""
    forms = {secret, quote(secret, safe=""), quote_plus(secret), unquote(secret), json.dumps(secret)[1:-1],
             html.escape(secret, quote=True)}
    return {form for form in forms if len(form) >= SHORTEST_SECRET}


@functools.lru_cache(maxsize=32)
def _value_pattern(secrets: frozenset[str]) -> re.Pattern[str] | None:
    forms = sorted({form for secret in secrets for form in _forms(secret)}, key=len, reverse=True)
    if not forms:
        return None
    # A secret of digits only is masked where it stands alone, not inside a longer number (a post id stays whole).
    return re.compile("|".join(rf"(?<!\d){re.escape(form)}(?!\d)" if form.isdigit() else re.escape(form) for form in forms))


class Redactor:
    """The secrets of one run, and `redact` with them and with every secret shape."""

    def __init__(self) -> None:
        self.secrets: frozenset[str] = frozenset()
        self._pattern: re.Pattern[str] | None = None

    def remember(self, secrets: Iterable[str | None]) -> None:
        """Add these values to what is masked from now on (empty and too short values are ignored)."""
        new = {secret for secret in secrets if secret and len(secret) >= SHORTEST_SECRET} - self.secrets
        if new:
            self.secrets = self.secrets | new
            self._pattern = _value_pattern(self.secrets)

    def redact(self, text: str, extra: Iterable[str] = ()) -> str:
        """`text` with every known secret, every secret in `extra`, and every secret-shaped value replaced by ***."""
        extra = frozenset(secret for secret in extra if secret and len(secret) >= SHORTEST_SECRET) - self.secrets
        for pattern in (_value_pattern(extra) if extra else None, self._pattern):
            if pattern is not None:
                text = pattern.sub(MASK, text)
        for shape, replacement in _SHAPES:
            text = shape.sub(replacement, text)
        return text


_current = Redactor()  # outside a boundary: the shapes only, and whatever the caller passes


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` without the secrets of this run, without `secrets`, and without anything shaped like a secret."""
    return _current.redact(text, secrets)


def redact_optional(text: str | None) -> str | None:
    """redact() for a text that may be missing (a ledger column)."""
    return None if text is None else redact(text)


def remember(secrets: Iterable[str | None]) -> None:
    """Mask these values too, in everything written from now until the end of this run's boundary."""
    _current.remember(secrets)


class RedactingStream:
    """A text stream that writes everything through redact() to the stream it wraps.

    Its `buffer`, when the wrapped stream has one, redacts too, so no one goes around the redactor by writing
    bytes (Click itself does, on a console misconfigured as ASCII). One write is redacted at a time: click.echo
    and logging write a whole message in one call.
    """

    def __init__(self, stream: TextIO):
        self._stream = stream
        inner = getattr(stream, "buffer", None)
        self.buffer = _RedactingBytes(inner) if inner is not None else None

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        self._stream.write(redact(text))
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class _RedactingBytes:
    """The binary side of a RedactingStream: bytes are read as UTF-8 (any byte survives the round trip), redacted,
    and written back the same way."""

    def __init__(self, buffer: Any):
        self._buffer = buffer

    def write(self, data: bytes) -> int:
        text = bytes(data).decode("utf-8", "surrogateescape")
        self._buffer.write(redact(text).encode("utf-8", "surrogateescape"))
        return len(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._buffer, name)


@contextlib.contextmanager
def boundary() -> Iterator[Redactor]:
    """For one run: a fresh set of secrets, and sys.stdout and sys.stderr redacted until the end of the block."""
    global _current
    outer, streams = _current, (sys.stdout, sys.stderr)
    _current = Redactor()
    sys.stdout, sys.stderr = (RedactingStream(stream) if stream is not None else None for stream in streams)
    try:
        yield _current
    finally:
        sys.stdout, sys.stderr = streams
        _current = outer


class RedactingFilter(logging.Filter):
    """A handler filter that rewrites each record, and its traceback, without the secrets."""

    def __init__(self, secrets: Iterable[str] = ()):
        super().__init__()
        self.secrets = list(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage(), self.secrets)
        record.args = None
        if record.exc_info:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info), self.secrets)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, self.secrets)
        return True
