"""Publishers: one module per platform, each the only home of that platform's library.

Every publisher takes a planned post (final caption, prepared photos, alt texts, schedule) and returns
a Receipt, or raises one of the PublishError kinds in errors.py. The flow above knows nothing else.
`build` makes a platform's publisher from the settings; the run takes it as a `make_publisher` callable, for
which tests of the flow pass their own stand-ins. Tests of the real libraries build the real publishers and
point them at local fake servers: Facebook by `facebook.graph_url` in config.yaml, Instagram by a client
factory (`InstagramPublisher(client_factory=...)`, or `new_client` replaced).
"""

from __future__ import annotations

import base64
import errno
import json
import random
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from importlib import import_module
from pathlib import Path
from typing import Any, Protocol, TypeVar

from sokasi_post.config import Settings, read_secret
from sokasi_post.errors import AuthError, TransientError, UnreachableError
from sokasi_post.i18n import N_, _
from sokasi_post.models import Comment, Counts, PlannedPost, Receipt
from sokasi_post.platforms import label_of, rules_for
from sokasi_post.redaction import redact

__all__ = ["CLOCK_MARGIN", "DROPPED_CAPTION", "OTHER_CAPTION", "SETUP_HELP", "Checkpoint", "Engagement", "Publisher",
           "build", "causes", "connect_failure", "redact", "same_text", "schedules_natively", "secrets_of",
           "session_secrets", "unreachable", "with_retries"]

T = TypeVar("T")

# Where the coordinator reads how to get a token or log in; named in the messages that need it.
SETUP_HELP = N_("README.md, \"Connecting Facebook and Instagram\"")

# How long one request may take before the publisher gives up on it (seconds: connect, read).
# Connecting is a few round trips on any working link; five seconds leave room for a slow village link that loses
# a packet or two (a lost SYN is sent again after 1 s, then 2 s more), and an unreachable platform is known in
# seconds. Uploads on such a link are slow, so the read time is generous.
CONNECT_TIMEOUT = 5
TIMEOUT = (CONNECT_TIMEOUT, 180)
RETRY_ATTEMPTS = 4
RETRY_FIRST_PAUSE = 5.0
RETRY_TOTAL_PAUSE = 120.0

Checkpoint = Callable[[dict[str, Any]], None]

# Facebook's own scheduler takes times from 10 minutes to 30 days ahead (developers.facebook.com/docs/
# pages-api/posts); a margin on each side keeps a slow upload from crossing either edge.
SCHEDULE_EARLIEST = timedelta(minutes=15)
SCHEDULE_LATEST = timedelta(days=29)


def schedules_natively(platform: str, settings: Settings, when: datetime, now: datetime) -> bool:
    """True when `platform` itself should hold a post for `when` (Facebook with native_schedule: true)."""
    return (platform == "facebook" and settings.facebook.native_schedule
            and SCHEDULE_EARLIEST <= when - now <= SCHEDULE_LATEST)


class Publisher(Protocol):
    """What the publishing flow needs from a platform."""

    platform: str

    def check(self) -> str:
        """Verify the credentials once per run, before any upload; return who we post as. Raises AuthError."""

    def publish(self, post: PlannedPost, resume: dict[str, Any], checkpoint: Checkpoint) -> Receipt:
        """Create the post. `resume` is what an earlier attempt saved through `checkpoint` (e.g. uploaded photo ids)."""

    def diagnose(self) -> list[tuple[bool | None, str]]:
        """For `doctor`, after check(): findings as (all right? True, False, or None: could not be checked; one line)."""

    def find(self, post: PlannedPost, since: datetime) -> Receipt | None:
        """Look on the platform for this post (same caption) made since `since`; None when it is not there.

        Raises a PublishError when the platform cannot be asked: "could not look" is never "absent".
        """


class Engagement(Protocol):
    """What the sales loop needs from a platform: the comments on our posts, a reply as the Page or account, the
    attention counts, and the post's text (to mark it sold). Errors are the PublishError kinds, as for publishing."""

    can_reply: bool  # False for instagrapi: no automated writes through the private API; replies are pasted by hand
    can_edit_caption: bool  # False for Instagram's official API, which cannot edit a caption

    def comments(self, post_id: str) -> list[Comment]:
        """Every comment and reply on our post `post_id` (all pages)."""

    def replies(self, comment_id: str) -> list[Comment]:
        """The replies under one comment (to look for ours after a lost answer)."""

    def reply(self, comment_id: str, text: str) -> str:
        """Reply as the Page or account; the reply's id. Creates something public: a lost answer is UnknownOutcomeError."""

    def counts(self, post_id: str) -> Counts:
        """The attention on one post now."""

    def caption(self, post_id: str) -> str:
        """The post's text as it is now."""

    def edit_caption(self, post_id: str, text: str) -> None:
        """Replace the post's text."""


# Instagram's caption read back after a post, in the same words whichever backend made it.
DROPPED_CAPTION = N_("Instagram posted it without the caption (it drops a caption over its limits, e.g. more than 5 "
                     "hashtags), so buyers see no price and no WhatsApp number: add the caption in the Instagram app, "
                     "or delete the post and send it again with --repost")
OTHER_CAPTION = N_("Instagram posted it with a caption different from the one sent: check the post in the Instagram app")

# A post created a little before our clock said it was sent still counts (clocks differ).
CLOCK_MARGIN = timedelta(minutes=10)


def same_text(a: str, b: str) -> bool:
    """True when two captions are the same text, whatever the platform did to spaces and line ends."""
    return " ".join(a.split()) == " ".join(b.split())


def build(platform: str, settings: Settings, sleep: Callable[[float], None] = time.sleep) -> Publisher:
    """The publisher for `platform`, with its secret read from the environment; AuthError when it is missing."""
    if platform == "facebook":
        from sokasi_post.publishers.facebook import FacebookPublisher

        token = read_secret(settings.facebook.token_env)
        if not token:
            raise AuthError(_("the Facebook Page token is not set: put it in the environment variable {name} ({help})")
                            .format(name=settings.facebook.token_env, help=_(SETUP_HELP)))
        return FacebookPublisher(settings, token, sleep=sleep)
    if platform == "instagram" and settings.instagram.official:
        from sokasi_post.publishers.instagram_graph import make_graph_publisher

        return make_graph_publisher(settings, sleep)
    if platform == "instagram":
        from sokasi_post.publishers.instagram import InstagramPublisher  # slow to import: only when needed

        return InstagramPublisher(settings, sleep=sleep)
    # Any other platform: the module its rules name makes the publisher (docs/platforms.md, the platform table).
    module = rules_for(platform).publisher
    return import_module(module if "." in module else f"{__name__}.{module}").make_publisher(settings, sleep)


def secrets_of(settings: Settings) -> list[str]:
    """Every secret in play, to keep out of all output: the token, app secret and password the configured
    environment variables hold, and the session id, cookies and authorization of the saved Instagram session."""
    names = (settings.facebook.token_env, settings.facebook.app_secret_env, settings.instagram.password_env,
             settings.instagram.token_env)
    found = [value for value in (read_secret(name) for name in names) if value]
    app_id, app_secret = read_secret(settings.facebook.app_id_env), read_secret(settings.facebook.app_secret_env)
    if app_id and app_secret:
        found.append(f"{app_id}|{app_secret}")  # the app token facebook-sdk sends for debug_token (docs/platforms.md F4)
    return found + session_secrets(settings.instagram.session_file)


def session_secrets(source: Path | dict[str, Any]) -> list[str]:
    """The secret values of an instagrapi session (the file, or its settings): the session id and the other
    authorization values, every cookie, and the base64 part of the `Authorization: Bearer IGT:2:...` header.

    Numbers alone (the account's user id) are left out: they are not secret and are part of every post id.
    Never raises: a session that cannot be read has nothing to hide yet.
    """
    data: Any = source
    if isinstance(source, Path):
        try:
            data = json.loads(source.read_text(encoding="utf-8")) if source.is_file() else {}
        except (OSError, ValueError):
            return []
    if not isinstance(data, dict):
        return []
    authorization = _mapping(data.get("authorization_data"))
    cookies = _mapping(data.get("cookies"))
    values = [*authorization.values(), *cookies.values(), data.get("ig_u_rur"), data.get("ig_www_claim"), data.get("mid")]
    found = [value for value in values if isinstance(value, str) and value and not value.isdigit()]
    if authorization:  # the Bearer IGT:2:<base64> header instagrapi builds from them (compact JSON)
        packed = json.dumps(authorization, separators=(",", ":")).encode()
        found.append(base64.b64encode(packed).decode())
    return found


def _mapping(value: object) -> dict[str, Any]:
    """`value` when it is a mapping (a part of a session file), else an empty one."""
    return value if isinstance(value, dict) else {}


# Why no connection could be made, in plain words for the log (never a library's own text).
NAME_NOT_FOUND = "its name could not be looked up (DNS)"
REFUSED = "the connection was refused"
NO_ROUTE = "no network route to it"
NO_CONNECTION = "no connection could be made"
CONNECT_TIMED_OUT = f"no answer while connecting (after {CONNECT_TIMEOUT} s)"
_NO_ROUTE_ERRNOS = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN, errno.EHOSTDOWN}


def causes(error: BaseException) -> Iterator[BaseException]:
    """`error` and every exception behind it, each once: raised from or while handling (unless suppressed), and
    wrapped inside, as requests wraps urllib3's MaxRetryError (its first argument), which holds its `reason`."""
    seen: set[int] = set()
    waiting = [error]
    while waiting:
        current = waiting.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        inside = [current.__cause__, None if current.__suppress_context__ else current.__context__,
                  getattr(current, "reason", None), *current.args[:1]]
        waiting.extend(found for found in inside if isinstance(found, BaseException))


def connect_failure(error: BaseException) -> str | None:
    """Why no connection to the platform could be made (see NAME_NOT_FOUND and the others) when that is what `error`
    is, else None. Only failures before any byte of the request could leave count, so nothing happened there.

    facebook-sdk and instagrapi's requests transport speak through requests and urllib3. urllib3 raises
    NewConnectionError (NameResolutionError among them) and ConnectTimeoutError only while connecting
    (urllib3/connection.py, HTTPConnection._new_conn), never once the request is on its way; requests wraps them in a
    ConnectionError or ConnectTimeout. Neither library resends here (urllib3 retries are off, docs/platforms.md I4), so
    no earlier try of the same request can hide behind one. A connection that breaks later, even with the same
    low-level error (a reset, no route), is not this: the request may have arrived (docs/exactly-once.md).
    """
    from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError  # loaded with requests

    for cause in causes(error):
        if isinstance(cause, NameResolutionError):
            return NAME_NOT_FOUND
        if isinstance(cause, NewConnectionError):  # a subclass of ConnectTimeoutError: asked first
            below = [c for c in causes(cause) if isinstance(c, OSError) and c is not cause]
            if any(isinstance(c, ConnectionRefusedError) for c in below):
                return REFUSED
            if any(c.errno in _NO_ROUTE_ERRNOS for c in below):
                return NO_ROUTE
            return NO_CONNECTION
        if isinstance(cause, ConnectTimeoutError):
            return CONNECT_TIMED_OUT
    return None


def unreachable(platform: str, reason: str) -> UnreachableError:
    """The one message for a platform that could not be reached, whatever the reason (kept for the log)."""
    return UnreachableError(_("no internet connection (or {platform} cannot be reached)").format(
        platform=label_of(platform)), reason)


def with_retries(call: Callable[[], T], sleep: Callable[[float], None], attempts: int = RETRY_ATTEMPTS) -> T:
    """Run `call`, retrying TransientError with exponential backoff and jitter, within bounded attempts and time.

    An unreachable platform is not waited for: a pause of seconds seldom brings a connection back, and the next run
    tries again anyway.
    """
    waited = 0.0
    for attempt in range(1, attempts + 1):
        try:
            return call()
        except UnreachableError:
            raise
        except TransientError:
            pause = RETRY_FIRST_PAUSE * 2 ** (attempt - 1) * random.uniform(0.5, 1.5)
            if attempt == attempts or waited + pause > RETRY_TOTAL_PAUSE:
                raise
            sleep(pause)
            waited += pause
    raise AssertionError("unreachable")
