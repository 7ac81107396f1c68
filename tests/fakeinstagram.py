"""A fake of Instagram's private mobile API on https://127.0.0.1, for driving the REAL instagrapi Client offline.

`FakeInstagram` serves TLS with a throw-away CA (trustme) and answers the endpoints the publisher uses:
current_user, feed/user, usernameinfo, rupload_igphoto, media/configure, media/configure_sidecar,
media/<id>/delete, location_search and fbsearch/places. It records every request, keeps the posts it created,
and can fail or drop the next matching request (before or after doing what it asked), refuse it with a message
echoing it (session id and Authorization header included: `echo_next`), or add headers to its answer
(`headers_next`, e.g. a refreshed session cookie).

It refuses what Instagram refuses (docs/platforms.md I1, I2): a caption over the limits (more than 5 hashtags,
2,200 characters or 20 @-mentions) is dropped silently, the post made without it; after a feedback_required
answer to a write, further writes within the cool-down (on `fake.clock`) get feedback_required again, and
after `challenge_after` such repeats every request gets challenge_required, until `clear_checkpoint()`.

Engagement (docs/platforms.md E3), read by instagrapi 3.2.2's media_comments, media_info (media_info_v1) and
media_edit: `fake.add_comment(media, text, ...)` seeds a comment (a reply with `replied_to`), `fake.set_likes(media, n)`,
`fake.comments` (every comment, in creation order), `fake.edits` (each caption edit).
- GET media/<id>/comments/ lists the comments newest first, `fake.comment_page_size` (15, as in a 2026 capture) a
  page; the next, older page comes through `has_more_headload_comments` + `next_min_id` (an opaque JSON string, given
  back as `min_id`; the legacy `max_id` is read the same way), `has_more_comments` staying false, as in answers seen
  in 2019 and 2026 (mgp25/Instagram-API#2743; a Polaris web capture). With can_support_threading=true only top-level
  comments come, each with `child_comment_count`; without it (what media_comments sends) the list is flat, replies
  among the comments with `parent_comment_id` (the thread's top-level comment) and `replied_to_comment_id` (the
  comment answered) - the legacy answer for a client that declares no threading, inferred from the flag's name and
  instagrapi's Comment model, not documented.
- A POST to these GET endpoints is answered like the GET, its body unread (Instagram answered a signed POST to
  media/<id>/info/, mgp25/Instagram-API#2147): no cursor is seen, so the FIRST page comes again - the "same comments
  over and over" reported in dilame/instagram-private-api#556 and instagram4j#259. This matters because instagrapi
  3.2.2's media_comments (and media_comments_chunk, media_comment_replies) pass their pagination params positionally,
  as `data`: every page after the first goes out as a POST with the cursor in a signed body. So media_comments gives
  the first page again and again until `amount` (with amount=0 it never stops), and media_comments_v1, which asks
  again without a cursor once `next_min_id` is gone, starts over at the first page too. Reading every page takes a
  GET with the cursor in the query string (private_request(..., params=...)).
- media/<id>/comments/<comment>/inline_child_comments/ lists a top-level comment's replies, oldest first
  (`has_more_head_child_comments` + `next_min_child_cursor`, given back as `min_id`).
- media/<id>/info/ gives the media with `like_count`, `comment_count` (replies included),
  `like_and_view_counts_disabled` and `caption_is_edited`.
- media/<id>/edit_media/ changes the caption and is a write like configure (cool-downs apply). As in the app's API
  (mgp25's Media::edit: location "{}" removes "any location from the media"), a `location` of "{}" - what media_edit
  sends when given no location - removes the post's location, and `usertags` {"in": [...], "removed": [...]} adds
  and removes tags, {"in": []} keeping them. A caption over the limits is dropped by an edit too (the post is left
  with no caption): the worst case, as for configure (docs/platforms.md I1).
- A media not found (or deleted), an unknown comment or a cursor the fake did not give: 400 "Media not found or
  unavailable" / "Comment not found" / "Invalid cursor" (the last two are the fake's wording).

The `fake_instagram` fixture starts it and points the real client at it (see its docstring); `fake_ig_client`
adds a logged-in Client. Other test files import the fixture functions so that pytest finds them:
    from tests.fakeinstagram import fake_ig_client_fixture, fake_instagram_fixture  # noqa: F401
and then ask for `fake_instagram` / `fake_ig_client` as usual.
"""

from __future__ import annotations

import base64
import itertools
import json
import math
import re
import shutil
import socket
import ssl
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.message import Message
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import instagrapi.config
import pytest
import trustme
from instagrapi import Client
from instagrapi.utils import InstagramIdCodec

JPEG_MAGIC = b"\xff\xd8\xff"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}

# Caption limits (docs/platforms.md I1): over any of them, the post is made without its caption.
MAX_HASHTAGS, MAX_CAPTION, MAX_MENTIONS = 5, 2_200, 20
HASHTAG = re.compile(r"(?<![\w&])#\w+")
MENTION = re.compile(r"(?<![\w@])@[\w.]+")

# One-shot failures in the shapes Instagram sends; instagrapi maps them (private.py) to the exception noted.
FAILURES: dict[str, tuple[int, dict[str, Any]]] = {
    "login_required": (403, {"message": "login_required", "error_title": "You've Been Logged Out", "error_body": "Please log back in.",
                             "logout_reason": 8, "status": "fail"}),  # LoginRequired
    "challenge_required": (400, {"message": "challenge_required", "challenge": {
        "url": "https://i.instagram.com/challenge/4242/AbCdEf1234/", "api_path": "/challenge/4242/AbCdEf1234/",
        "hide_webview_header": True, "lock": True, "logout": False, "native_flow": True}, "status": "fail",
        "error_type": "checkpoint_challenge_required"}),  # ChallengeRequired (with with_challenge_flow=False)
    "feedback_required": (400, {"message": "feedback_required", "spam": True, "feedback_title": "Try Again Later",
                                "feedback_message": "We restrict certain activity to protect our community.",
                                "feedback_url": "repute/report_problem/scraping/", "feedback_action": "report_problem",
                                "status": "fail"}),  # FeedbackRequired
    "please_wait": (400, {"message": "Please wait a few minutes before you try again.", "status": "fail"}),  # PleaseWaitFewMinutes
    "rate_limit": (429, {"message": "", "status": "fail"}),  # ClientThrottledError
    "server_error": (500, {"message": "Oops, an error occurred.", "status": "fail"}),  # plain ClientError (retries off)
    # A front server giving up on a slow request: no JSON. ClientRequestTimeout, which instagrapi resends after 60 s.
    "request_timeout": (408, "<html><body><h1>408 Request Time-out</h1></body></html>"),
    "sentry_block": (400, {"message": "Sorry, there was a problem with your request.", "error_type": "sentry_block",
                           "status": "fail"}),  # SentryBlock
}


def _obj(value: Any) -> dict[str, Any]:
    """instagrapi nests some configure fields as JSON strings and others as objects; this takes either."""
    if isinstance(value, str):
        value = json.loads(value or "{}")
    return value or {}


@dataclass
class Call:
    """One request as the fake received it."""

    method: str
    path: str  # with the query string
    headers: Message  # case-insensitive: call.headers["x-instagram-rupload-params"]
    body: bytes
    form: dict[str, str]  # urlencoded body, else {}
    signed: dict[str, Any] | None  # the JSON inside signed_body=SIGNATURE.<json>
    query: dict[str, str] = field(default_factory=dict)


@dataclass
class Slide:
    """One photo of a post: what was uploaded and what configure said about it."""

    upload_id: str
    jpeg: bytes
    width: int
    height: int
    usertags: list[dict[str, Any]] = field(default_factory=list)  # [{"user_id": ..., "position": [x, y]}]


@dataclass
class FakeMedia:
    """A post on the fake account."""

    pk: int
    owner_id: str
    media_type: int  # 1 photo, 8 album
    caption: str
    taken_at: int
    slides: list[Slide]
    location: dict[str, Any] | None = None  # the JSON configure received
    alt_text: str | None = None
    configure: dict[str, Any] = field(default_factory=dict)  # the whole decoded signed body
    deleted: bool = False
    like_count: int = 0  # set_likes()
    likes_hidden: bool = False  # the account hides like counts (like_and_view_counts_disabled)
    caption_edited: bool = False  # set by an edit_media

    @property
    def id(self) -> str:
        return f"{self.pk}_{self.owner_id}"

    @property
    def code(self) -> str:
        return InstagramIdCodec.encode(self.pk)

    @property
    def upload_ids(self) -> list[str]:
        return [s.upload_id for s in self.slides]

    @property
    def jpegs(self) -> list[bytes]:
        return [s.jpeg for s in self.slides]

    @property
    def usertags(self) -> list[dict[str, Any]]:
        return [tag for s in self.slides for tag in s.usertags]


@dataclass
class FakeComment:
    """A comment on a post. A reply has `parent_pk` (its thread's top-level comment) and `replied_to_pk` (the comment
    it answers: the parent, or another reply in the thread)."""

    pk: int
    media_pk: int
    text: str
    user_pk: str
    username: str
    created_at: int
    parent_pk: int | None = None
    replied_to_pk: int | None = None


@dataclass
class MediaEdit:
    """One edit_media the fake accepted: the caption as sent and as it stands now (dropped when over the limits),
    the location before and after, and the whole decoded signed body."""

    media_id: str
    caption_sent: str
    before: str
    after: str
    location_before: dict[str, Any] | None
    location_after: dict[str, Any] | None
    request: dict[str, Any]
    at: int


@dataclass
class FakePlace:
    """A place Instagram knows (a Facebook place), for location_search and fbsearch/places."""

    name: str
    lat: float
    lng: float
    place_id: int
    address: str = ""


@dataclass
class _Rule:
    method: str
    path_part: str
    status: int = 0  # 0: drop the connection (unless echo or headers are set)
    body: dict[str, Any] | str | None = None
    after_action: bool = False
    echo: str | None = None  # echo_next: the words before the reflected request
    headers: dict[str, str] | None = None  # headers_next: extra reply headers on a normal answer


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake: FakeInstagram, context: ssl.SSLContext):
        self.fake, self.context = fake, context
        super().__init__(("127.0.0.1", 0), _Handler)

    def finish_request(self, request, client_address):
        """TLS handshake in the connection's own thread, so one slow client cannot block the others."""
        request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # headers and body go out separately: no Nagle stall
        with self.context.wrap_socket(request, server_side=True) as tls:
            self.RequestHandlerClass(tls, client_address, self)

    def handle_error(self, request, client_address):
        """Quiet: clients hanging up (and dropped replies) are expected here."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as requests expects

    def log_message(self, format, *args):
        """Quiet."""

    def do_GET(self):
        self.server.fake._handle(self)

    do_POST = do_GET


class FakeInstagram:
    """Instagram's private API for one account, on https://127.0.0.1:<port>. Use as a context manager."""

    def __init__(self, user_id: str = "4242", username: str = "sokasi.tigawasa", sessionid: str = "4242%3AFakeSessionSecret%3A27"):
        self.user_id, self.username, self.sessionid = user_id, username, sessionid
        self.session_valid = True
        self.page_size = 12
        self.calls: list[Call] = []
        self.media: list[FakeMedia] = []  # oldest first, deleted ones included
        self.uploads: dict[str, bytes] = {}  # upload_id -> JPEG bytes
        self.users: dict[str, dict[str, Any]] = {}
        self.blocked_hosts: list[str] = []  # filled by the fixture's DNS guard
        self.sleeps: list[float] = []  # sleeps instagrapi asked for, filled by the fixture
        self.places: list[FakePlace] = []
        self.clock: Callable[[], float] = time.time  # replaceable: cool-downs and taken_at follow it
        self.cooldown_seconds = 24 * 3600  # how long a feedback_required answer holds writes back
        self.challenge_after = 2  # writes repeated within the cool-down before the account is checkpointed
        self.checkpointed = False  # every request gets challenge_required
        self._blocked_until: float | None = None
        self._repeats = 0
        self.add_user(username, user_id, "Sokasi Tigawasa")
        self._rules: list[_Rule] = []  # fail_next / drop_next, first match wins, one shot each
        self._pks = itertools.count(3_400_000_000_000_000_000, 1000)  # album children get pk + 1, 2, ...
        self.comments: list[FakeComment] = []  # in creation order
        self.edits: list[MediaEdit] = []
        self.comment_page_size = 15  # comments per page of media/<id>/comments/ (and of a comment's replies)
        self._comment_pks = itertools.count(18_000_000_000_000_001)
        self._lock = threading.RLock()
        self._server: _Server | None = None
        self._dir: Path | None = None

    # -- lifecycle -------------------------------------------------------------------------------------------
    def start(self) -> FakeInstagram:
        self._dir = Path(tempfile.mkdtemp(prefix="fakeinstagram-"))
        ca = trustme.CA()
        ca.cert_pem.write_to_path(str(self.ca_path))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ca.issue_cert("127.0.0.1").configure_cert(context)  # subjectAltName IP:127.0.0.1
        self._server = _Server(self, context)
        threading.Thread(target=self._server.serve_forever, args=(0.01,), name="fakeinstagram", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
        shutil.rmtree(self._dir or "/nonexistent", ignore_errors=True)
        self._server = self._dir = None

    def __enter__(self) -> FakeInstagram:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def domain(self) -> str:
        """What instagrapi.config.API_DOMAIN must be set to: "127.0.0.1:PORT"."""
        assert self._server, "FakeInstagram not started"
        return f"127.0.0.1:{self._server.server_address[1]}"

    @property
    def ca_path(self) -> Path:
        """PEM file of the CA that signed the fake's certificate."""
        assert self._dir, "FakeInstagram not started"
        return self._dir / "ca.pem"

    # -- set-up and inspection helpers ---------------------------------------------------------------------
    def session_settings(self, fake_transport: bool = True) -> dict[str, Any]:
        """Settings for Client.set_settings() logged in as this account, with no login request.

        fake_transport=True also stores what talking to the fake needs (requests transport, no urllib3
        retries, no sleep between requests, tls_verify=CA file): load_settings() restores these keys and
        overrides what the Client was built with. False keeps a default Client's values, like a session
        file dumped in production (curl transport, 3 retries, 1 s request_timeout, tls_verify=True).
        """
        settings = Client().get_settings()
        settings["authorization_data"] = {"ds_user_id": self.user_id, "sessionid": self.sessionid}
        settings["cookies"] = {}
        if fake_transport:
            settings.update(private_transport="requests", session_retry_total=0, request_timeout=0,
                            public_request_retries_count=1, tls_verify=str(self.ca_path))
        return settings

    def add_user(self, username: str, pk: str | None = None, full_name: str = "") -> str:
        """Make `username` exist (for usernameinfo and user tags); returns its pk."""
        pk = pk or str(5_000_000_000 + len(self.users))
        self.users[username] = {"pk": pk, "username": username, "full_name": full_name}
        return pk

    def add_media(self, caption: str = "", media_type: int = 1, taken_at: int | None = None, slides: int = 1) -> FakeMedia:
        """Seed a post that already exists on the account (e.g. from an earlier, crashed run)."""
        shots = [Slide(f"seed{i}", JPEG_MAGIC, 1080, 1350) for i in range(slides if media_type == 8 else 1)]
        with self._lock:
            return self._new_media(media_type, caption, shots, {}, taken_at)

    def add_comment(self, media: FakeMedia | str | int, text: str, username: str = "made.wirawan",
                    created_at: float | datetime | None = None, replied_to: FakeComment | str | int | None = None) -> FakeComment:
        """Seed a comment on `media` (a FakeMedia, its id or its pk) by `username` (made to exist); a reply when
        `replied_to` names a comment on it (a FakeComment or its pk). `created_at`: unix seconds or an aware datetime,
        now on `clock` by default."""
        with self._lock:
            target = self._find_media(media)
            if target is None:
                raise KeyError(f"no live post {media!r}")
            answered = None
            if replied_to is not None:
                wanted = replied_to.pk if isinstance(replied_to, FakeComment) else int(replied_to)
                answered = next((c for c in self.comments if c.pk == wanted and c.media_pk == target.pk), None)
                if answered is None:
                    raise KeyError(f"no comment {replied_to!r} on {target.id}")
            user_pk = self.users[username]["pk"] if username in self.users else self.add_user(username)
            when = int(self.clock()) if created_at is None else int(
                created_at.timestamp() if isinstance(created_at, datetime) else created_at)
            comment = FakeComment(next(self._comment_pks), target.pk, text, user_pk, username, when,
                                  None if answered is None else answered.parent_pk or answered.pk,
                                  None if answered is None else answered.pk)
            self.comments.append(comment)
            return comment

    def set_likes(self, media: FakeMedia | str | int, n: int, hidden: bool = False) -> None:
        """The post's like count; `hidden=True`: the account hides like counts (like_and_view_counts_disabled)."""
        with self._lock:
            target = self._find_media(media)
            if target is None:
                raise KeyError(f"no live post {media!r}")
            target.like_count, target.likes_hidden = n, hidden

    def expire_session(self) -> None:
        """From now on every authenticated request gets 403 login_required."""
        self.session_valid = False

    def clear_checkpoint(self) -> None:
        """The person confirmed it is them in the app: requests are answered again, the cool-down is over."""
        with self._lock:
            self.checkpointed, self._blocked_until, self._repeats = False, None, 0

    @property
    def writes_blocked(self) -> bool:
        """True while a feedback_required answer holds writes back (on the fake's clock)."""
        return self._blocked_until is not None and self.clock() < self._blocked_until

    def add_place(self, name: str, lat: float, lng: float, place_id: int | None = None, address: str = "") -> FakePlace:
        """Make a place known to the location searches; returns it (its place_id is the Facebook place id)."""
        place = FakePlace(name, lat, lng, place_id or 100_000_000_000_000 + len(self.places), address)
        self.places.append(place)
        return place

    @property
    def location_searches(self) -> list[Call]:
        """Every request that searched for a place (by coordinates or by name)."""
        return self.calls_to("/location_search/") + self.calls_to("/fbsearch/places/")

    def fail_next(self, method: str, path_part: str, status: int | str, body: dict[str, Any] | str | None = None,
                  after_action: bool = False) -> None:
        """Answer the next `method` request whose path contains `path_part` with `status` and `body` (JSON, or text).

        `status` may name a preset from FAILURES instead: fail_next("POST", "media/configure/", "feedback_required").
        after_action=True first does what the request asked (e.g. the post IS created), then answers with the failure:
        fail_next("POST", "media/configure/", "request_timeout", after_action=True) is a 408 after the post was made.
        """
        if isinstance(status, str):
            status, body = FAILURES[status]
        with self._lock:
            self._rules.append(_Rule(method.upper(), path_part, status, body if body is not None else {}, after_action))

    def drop_next(self, method: str, path_part: str, after_action: bool = False) -> None:
        """Close the connection of the next matching request without replying.

        after_action=True first does what the request asked (e.g. the post IS created): a lost reply.
        """
        with self._lock:
            self._rules.append(_Rule(method.upper(), path_part, after_action=after_action))

    def echo_next(self, method: str, path_part: str, said: str = "", status: int = 400) -> None:
        """Refuse the next matching request with a message that reflects it - `said`, then the method, the path, its
        Authorization and Cookie headers (the session id inside them) and its body - as servers that echo do."""
        with self._lock:
            self._rules.append(_Rule(method.upper(), path_part, status, echo=said))

    def headers_next(self, method: str, path_part: str, headers: dict[str, str]) -> None:
        """Answer the next matching request as usual, with these headers added (e.g. Set-Cookie: sessionid=...)."""
        with self._lock:
            self._rules.append(_Rule(method.upper(), path_part, after_action=True, headers=dict(headers)))

    def calls_to(self, path_part: str, method: str | None = None) -> list[Call]:
        """Recorded requests whose path contains `path_part` (and with that method, if given)."""
        with self._lock:
            return [c for c in self.calls if path_part in c.path and (method is None or c.method == method.upper())]

    @property
    def live_media(self) -> list[FakeMedia]:
        """Posts on the account, newest first."""
        with self._lock:
            return [m for m in reversed(self.media) if not m.deleted]

    # -- request handling --------------------------------------------------------------------------------------
    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        body = h.rfile.read(int(h.headers.get("Content-Length") or 0))
        url = urlsplit(h.path)
        form: dict[str, str] = {}
        signed = None
        if "urlencoded" in (h.headers.get("Content-Type") or ""):
            form = dict(parse_qsl(body.decode(), keep_blank_values=True))
            if form.get("signed_body", "").startswith("SIGNATURE."):
                signed = json.loads(form["signed_body"].removeprefix("SIGNATURE."))
        call = Call(h.command, h.path, h.headers, body, form, signed, dict(parse_qsl(url.query)))
        rule, status, payload = None, 0, None
        with self._lock:
            self.calls.append(call)
            write = _is_write(call.method, url.path)
            if self.checkpointed:
                status, payload = FAILURES["challenge_required"]
            elif write and self.writes_blocked:
                # Retrying within the cool-down escalates: feedback_required again, then a checkpoint (I2).
                self._repeats += 1
                self.checkpointed = self._repeats > self.challenge_after
                status, payload = FAILURES["challenge_required" if self.checkpointed else "feedback_required"]
            else:
                if write and self._blocked_until is not None:  # the cool-down has passed
                    self._blocked_until, self._repeats = None, 0
                rule = next((r for r in self._rules if r.method == call.method and r.path_part in call.path), None)
                if rule:
                    self._rules.remove(rule)
                if not rule or rule.after_action:
                    status, payload = self._route(call, url.path)
                if rule and rule.echo is not None:  # echo_next
                    reflected = (f"{call.method} {call.path} Authorization: {call.headers.get('Authorization')} "
                                 f"Cookie: {call.headers.get('Cookie')} body: {call.body.decode('utf-8', 'replace')[:2000]}")
                    status, payload = rule.status, {"message": f"{rule.echo}{reflected}", "status": "fail"}
                elif rule and rule.status:  # fail_next
                    status, payload = rule.status, rule.body
            if write and isinstance(payload, dict) and payload.get("message") == "feedback_required":
                self._blocked_until = self.clock() + self.cooldown_seconds
        if rule and not rule.status and rule.echo is None and rule.headers is None:  # drop_next: hang up without a reply
            h.close_connection = True
            return
        if isinstance(payload, str):
            data, kind = payload.encode(), "text/html; charset=utf-8"
        else:
            data, kind = json.dumps(payload).encode(), "application/json; charset=utf-8"
        h.send_response(status)
        h.send_header("Content-Type", kind)
        h.send_header("Content-Length", str(len(data)))
        for name, value in ((rule.headers if rule else None) or {}).items():
            h.send_header(name, value)
        h.end_headers()
        h.wfile.write(data)

    def _route(self, call: Call, path: str) -> tuple[int, Any]:
        if not self._authorized(call.headers):
            return FAILURES["login_required"]
        routes = [
            ("GET", r"/api/v1/accounts/current_user/", self._current_user),
            ("GET", r"/api/v1/feed/user/(\d+)/", self._feed),
            ("GET", r"/api/v1/users/([^/]+)/usernameinfo/", self._usernameinfo),
            ("GET", r"/api/v1/location_search/", self._location_search),
            ("GET", r"/api/v1/fbsearch/places/", self._fbsearch_places),
            ("POST", r"/rupload_igphoto/([^/]+)", self._rupload),
            ("POST", r"/api/v1/media/configure(_sidecar)?/", self._configure),
            ("POST", r"/api/v1/media/(\d+)(?:_\d+)?/delete/", self._delete),
            ("GET", r"/api/v1/media/(\d+)(?:_\d+)?/info/", self._media_info),
            ("GET", r"/api/v1/media/(\d+)(?:_\d+)?/comments/", self._comments),
            ("GET", r"/api/v1/media/(\d+)(?:_\d+)?/comments/(\d+)/inline_child_comments/", self._child_comments),
            # GET endpoints answer a POST too, reading only their query string (see the module docstring).
            ("POST", r"/api/v1/media/(\d+)(?:_\d+)?/comments/", self._comments),
            ("POST", r"/api/v1/media/(\d+)(?:_\d+)?/comments/(\d+)/inline_child_comments/", self._child_comments),
            ("POST", r"/api/v1/media/(\d+)(?:_\d+)?/edit_media/", self._edit_media),
        ]
        for method, pattern, handler in routes:
            if call.method == method and (m := re.fullmatch(pattern, path)):
                return handler(call, *m.groups())
        return 404, {"message": f"fakeinstagram has no {call.method} {path}", "status": "fail"}

    def _authorized(self, headers: Message) -> bool:
        """Instagram accepts the Bearer IGT:2:<base64 JSON> header (what instagrapi sends) or a sessionid cookie."""
        if not self.session_valid:
            return False
        auth = headers.get("Authorization") or ""
        if auth.startswith("Bearer IGT:2:"):
            try:
                data = json.loads(base64.b64decode(auth.removeprefix("Bearer IGT:2:")))
            except ValueError:
                return False
            return data.get("sessionid") == self.sessionid and str(data.get("ds_user_id")) == self.user_id
        cookie = SimpleCookie(headers.get("Cookie") or "").get("sessionid")
        return bool(cookie) and cookie.value == self.sessionid

    def _current_user(self, call: Call) -> tuple[int, Any]:
        user = {**self._user_short(self.user_id), "biography": "", "external_url": "", "is_business": True, "email": "ig@example.org"}
        return 200, {"user": user, "status": "ok"}

    def _feed(self, call: Call, user_id: str) -> tuple[int, Any]:
        items = [self._media_json(m) for m in self.live_media if m.owner_id == user_id]
        max_id = call.query.get("max_id")
        start = next((i + 1 for i, item in enumerate(items) if item["id"] == max_id), 0) if max_id else 0
        page = items[start:start + self.page_size]
        reply = {"items": page, "num_results": len(page), "more_available": start + self.page_size < len(items),
                 "auto_load_more_enabled": True, "status": "ok"}
        if reply["more_available"]:
            reply["next_max_id"] = page[-1]["id"]
        return 200, reply

    def _usernameinfo(self, call: Call, username: str) -> tuple[int, Any]:
        if username not in self.users:
            return 404, {"message": "User not found", "status": "fail"}
        user = {**self._user_short(self.users[username]["pk"]), "is_business": False, "biography": "", "external_url": "",
                "media_count": 0, "follower_count": 10, "following_count": 10}
        return 200, {"user": user, "status": "ok"}

    def _nearest(self, lat: float, lng: float, query: str = "") -> list[FakePlace]:
        """Places by distance from (lat, lng); with a query, only those whose name shares a word with it."""
        words = set(re.findall(r"\w+", query.lower()))
        places = [p for p in self.places if not words or words & set(re.findall(r"\w+", p.name.lower()))]
        return sorted(places, key=lambda p: math.hypot(p.lat - lat, p.lng - lng))

    def _location_search(self, call: Call) -> tuple[int, Any]:
        """Venues near latitude/longitude (optionally matching search_query), in the shape the app receives."""
        try:
            lat, lng = float(call.query["latitude"]), float(call.query["longitude"])
        except (KeyError, ValueError):
            return 400, {"message": "Invalid latitude/longitude", "status": "fail"}
        venues = [{"external_id": str(p.place_id), "external_id_source": "facebook_places", "name": p.name,
                   "address": p.address, "lat": p.lat, "lng": p.lng, "minimum_age": 0}
                  for p in self._nearest(lat, lng, call.query.get("search_query", ""))]
        return 200, {"venues": venues, "request_id": "fake-request", "rank_token": "fake-rank", "status": "ok"}

    def _fbsearch_places(self, call: Call) -> tuple[int, Any]:
        """Places whose name matches `query`, nearest to lat/lng first."""
        query = call.query.get("query", "")
        if not query.strip():
            return 400, {"message": "Missing query", "status": "fail"}
        try:
            lat, lng = float(call.query.get("lat", 0)), float(call.query.get("lng", 0))
        except ValueError:
            return 400, {"message": "Invalid lat/lng", "status": "fail"}
        items = [{"location": {"pk": p.place_id, "name": p.name, "address": p.address, "city": "", "short_name": p.name,
                               "lng": p.lng, "lat": p.lat, "external_source": "facebook_places",
                               "facebook_places_id": p.place_id},
                  "title": p.name, "subtitle": p.address} for p in self._nearest(lat, lng, query)]
        return 200, {"items": items, "has_more": False, "rank_token": "fake-rank", "status": "ok"}

    def _rupload(self, call: Call, name: str) -> tuple[int, Any]:
        params = json.loads(call.headers.get("X-Instagram-Rupload-Params") or "{}")
        upload_id = str(params.get("upload_id") or name.split("_")[0])
        length = call.headers.get("X-Entity-Length")
        if not call.body.startswith(JPEG_MAGIC) or (length and int(length) != len(call.body)):
            return 400, {"debug_info": {"retriable": False, "type": "ProcessingFailedError", "message": "Request processing failed"}}
        self.uploads[upload_id] = call.body
        return 200, {"upload_id": upload_id, "xsharing_nonces": {}, "status": "ok"}

    def _configure(self, call: Call, sidecar: str = "") -> tuple[int, Any]:
        """media/configure/ (one photo) and media/configure_sidecar/ (an album of children_metadata, in order)."""
        d = call.signed or {}
        children = (d.get("children_metadata") or []) if sidecar else [d]
        missing = [str(c.get("upload_id")) for c in children if str(c.get("upload_id")) not in self.uploads]
        if missing or not children:  # Instagram's answer when nothing was uploaded under that id; instagrapi: ClientError
            return 200, {"message": "media_needs_reupload", "error_title": "staged_position_not_found", "status": "ok"}
        slides = [Slide(str(c["upload_id"]), self.uploads[str(c["upload_id"])], _obj(c.get("extra")).get("source_width", 0),
                        _obj(c.get("extra")).get("source_height", 0), _obj(c.get("usertags")).get("in", [])) for c in children]
        caption = d.get("caption", "")
        if _over_limits(caption):  # dropped silently, the post made without it (docs/platforms.md I1)
            caption = ""
        media = self._new_media(8 if sidecar else 1, caption, slides, d)
        return 200, {"media": self._media_json(media), "upload_id": d.get("upload_id"), "status": "ok"}

    def _delete(self, call: Call, pk: str) -> tuple[int, Any]:
        media = next((m for m in self.media if str(m.pk) == pk and not m.deleted), None)
        if media is None:
            return 400, {"message": "Media not found or unavailable", "status": "fail"}
        media.deleted = True
        return 200, {"did_delete": True, "status": "ok"}

    # -- engagement: comments, media info, caption edits (docs/platforms.md E3) ------------------------------------
    def _find_media(self, media: FakeMedia | str | int) -> FakeMedia | None:
        """A live post by FakeMedia, id ("pk_owner") or pk."""
        pk = media.pk if isinstance(media, FakeMedia) else int(str(media).split("_")[0])
        return next((m for m in self.media if m.pk == pk and not m.deleted), None)

    @staticmethod
    def _not_found() -> tuple[int, Any]:
        return 400, {"message": "Media not found or unavailable", "status": "fail"}

    def _on(self, media: FakeMedia) -> list[FakeComment]:
        """The post's comments and replies, oldest first."""
        return sorted((c for c in self.comments if c.media_pk == media.pk), key=lambda c: (c.created_at, c.pk))

    def _comment_json(self, c: FakeComment, replies: int | None = None) -> dict[str, Any]:
        """A comment in the app API's shape (the fields instagrapi's Comment reads, and the usual others)."""
        item = {"pk": str(c.pk), "strong_id__": str(c.pk), "media_id": str(c.media_pk), "user_id": c.user_pk,
                "user": self._user_short(c.user_pk), "text": c.text, "type": 0 if c.parent_pk is None else 2,
                "created_at": c.created_at, "created_at_utc": c.created_at, "content_type": "comment", "status": "Active",
                "bit_flags": 0, "did_report_as_spam": False, "share_enabled": True, "is_covered": False, "is_edited": False,
                "has_liked_comment": False, "comment_like_count": 0, "private_reply_status": 0}
        if c.parent_pk is not None:
            item.update(parent_comment_id=str(c.parent_pk), replied_to_comment_id=str(c.replied_to_pk))
        if replies is not None:
            item.update(child_comment_count=replies, num_head_child_comments=0, preview_child_comments=[],
                        has_more_head_child_comments=replies > 0, has_more_tail_child_comments=False, other_preview_users=[])
        return item

    @staticmethod
    def _cursor(pk: int) -> str:
        """An opaque cursor, a JSON string as Instagram's are."""
        token = base64.urlsafe_b64encode(f"comment:{pk}".encode()).decode().rstrip("=")
        return json.dumps({"server_cursor": token, "is_server_cursor_inverse": True})

    @staticmethod
    def _uncursor(cursor: str) -> int | None:
        try:
            token = json.loads(cursor)["server_cursor"]
            text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
            return int(text.removeprefix("comment:")) if text.startswith("comment:") else None
        except (ValueError, TypeError, KeyError):
            return None

    def _comments(self, call: Call, pk: str) -> tuple[int, Any]:
        """media/<id>/comments/: newest first, `comment_page_size` a page, the next (older) page through
        has_more_headload_comments + next_min_id (min_id, or the legacy max_id, in the query string); flat unless
        can_support_threading=true (then top-level comments only, each with its child_comment_count). A POST is
        answered like the GET, its body unread: no cursor, so the first page again (see the module docstring)."""
        media = self._find_media(pk)
        if media is None:
            return self._not_found()
        every = self._on(media)[::-1]
        threaded = call.query.get("can_support_threading") == "true"
        items = [c for c in every if c.parent_pk is None] if threaded else every
        pks = [c.pk for c in items]
        cursor = call.query.get("min_id") or call.query.get("max_id")
        start = 0
        if cursor:
            wanted = self._uncursor(cursor)
            if wanted not in pks:
                return 400, {"message": "Invalid cursor", "status": "fail"}
            start = pks.index(wanted) + 1
        page = items[start:start + max(1, self.comment_page_size)]
        more = start + len(page) < len(items)
        replies = {c.pk: sum(1 for r in every if r.parent_pk == c.pk) for c in page if c.parent_pk is None}
        reply: dict[str, Any] = {
            "comment_likes_enabled": True, "comments": [self._comment_json(c, replies.get(c.pk)) for c in page],
            "comment_count": len(every), "caption": self._caption_json(media), "caption_is_edited": media.caption_edited,
            "has_more_comments": False, "has_more_headload_comments": more, "media_header_display": "none",
            "threading_enabled": threaded, "initiate_at_top": True, "insert_new_comment_to_top": True,
            "can_view_more_preview_comments": False, "status": "ok"}
        if more:
            reply["next_min_id"] = self._cursor(page[-1].pk)
        return 200, reply

    def _child_comments(self, call: Call, pk: str, comment_pk: str) -> tuple[int, Any]:
        """media/<id>/comments/<comment>/inline_child_comments/: a top-level comment's replies, oldest first, a page at
        a time (min_id: the next page)."""
        media = self._find_media(pk)
        if media is None:
            return self._not_found()
        every = self._on(media)
        parent = next((c for c in every if c.pk == int(comment_pk) and c.parent_pk is None), None)
        if parent is None:
            return 400, {"message": "Comment not found", "status": "fail"}
        children = [c for c in every if c.parent_pk == parent.pk]
        start = 0
        if (min_id := call.query.get("min_id")) is not None:
            wanted = self._uncursor(min_id)
            if wanted not in [c.pk for c in children]:
                return 400, {"message": "Invalid cursor", "status": "fail"}
            start = [c.pk for c in children].index(wanted) + 1
        page = children[start:start + max(1, self.comment_page_size)]
        more = start + len(page) < len(children)
        reply: dict[str, Any] = {"child_comments": [self._comment_json(c) for c in page], "child_comment_count": len(children),
                                 "has_more_head_child_comments": more, "has_more_tail_child_comments": False,
                                 "parent_comment": self._comment_json(parent), "status": "ok"}
        if more:
            reply["next_min_child_cursor"] = self._cursor(page[-1].pk)
        return 200, reply

    def _media_info(self, call: Call, pk: str) -> tuple[int, Any]:
        """media/<pk>/info/ (media_info_v1): the post with its counts."""
        media = self._find_media(pk)
        if media is None:
            return self._not_found()
        return 200, {"items": [self._media_json(media)], "num_results": 1, "more_available": False,
                     "auto_load_more_enabled": False, "status": "ok"}

    def _edit_media(self, call: Call, pk: str) -> tuple[int, Any]:
        """media/<id>/edit_media/ (media_edit): a new caption (dropped when over the limits, docs/platforms.md I1);
        location "{}" removes the post's location; usertags "in" adds tags and "removed" takes them off."""
        media = self._find_media(pk)
        if media is None:
            return self._not_found()
        d = call.signed or {}
        if not isinstance(d.get("caption_text"), str):
            return 400, {"message": "caption_text is required", "status": "fail"}
        sent = d["caption_text"]
        before, location_before = media.caption, media.location
        media.caption = "" if _over_limits(sent) else sent
        if "location" in d:
            media.location = _obj(d["location"]) or None
        if "usertags" in d and media.slides:
            tags = _obj(d["usertags"])
            removed = {str(user) for user in tags.get("removed") or []}
            added = {str(tag.get("user_id")): tag for tag in tags.get("in") or [] if isinstance(tag, dict)}
            first = media.slides[0]
            first.usertags = [t for t in first.usertags if str(t["user_id"]) not in removed | set(added)] + list(added.values())
        media.caption_edited = True
        self.edits.append(MediaEdit(media.id, sent, before, media.caption, location_before, media.location, d,
                                    int(self.clock())))
        return 200, {"media": self._media_json(media), "status": "ok"}

    def _caption_json(self, m: FakeMedia) -> dict[str, Any] | None:
        if not m.caption:
            return None
        return {"pk": str(m.pk + 1), "text": m.caption, "user_id": int(m.owner_id), "type": 1, "created_at": m.taken_at,
                "created_at_utc": m.taken_at, "content_type": "comment", "status": "Active", "media_id": str(m.pk),
                "user": self._user_short(m.owner_id)}

    def _new_media(self, media_type: int, caption: str, slides: list[Slide], request: dict, taken_at: int | None = None) -> FakeMedia:
        location = _obj(request.get("location")) or None
        media = FakeMedia(next(self._pks), self.user_id, media_type, caption, taken_at or int(self.clock()), slides, location,
                          request.get("custom_accessibility_caption"), request)
        self.media.append(media)
        return media

    # -- JSON in Instagram's shapes ---------------------------------------------------------------------------
    def _user_short(self, pk: str) -> dict[str, Any]:
        known = next((u for u in self.users.values() if u["pk"] == str(pk)), {"pk": str(pk), "username": f"user{pk}", "full_name": ""})
        return {"pk": int(known["pk"]), "pk_id": known["pk"], "username": known["username"], "full_name": known["full_name"],
                "is_private": False, "is_verified": False, "profile_pic_url": f"https://{self.domain}/fake-cdn/avatar{known['pk']}.jpg"}

    def _candidates(self, slide: Slide) -> dict[str, Any]:
        return {"candidates": [{"width": slide.width, "height": slide.height, "url": f"https://{self.domain}/fake-cdn/{slide.upload_id}.jpg"}]}

    def _tags_json(self, tags: list[dict[str, Any]]) -> dict[str, Any]:
        return {"in": [{"user": self._user_short(t["user_id"]), "position": t["position"]} for t in tags]}

    def _media_json(self, m: FakeMedia) -> dict[str, Any]:
        item = {"pk": m.pk, "id": m.id, "code": m.code, "taken_at": m.taken_at, "media_type": m.media_type,
                "product_type": "carousel_container" if m.media_type == 8 else "feed", "user": self._user_short(m.owner_id),
                "like_count": m.like_count, "comment_count": sum(1 for c in self.comments if c.media_pk == m.pk),
                "has_liked": False, "caption_is_edited": m.caption_edited, "like_and_view_counts_disabled": m.likes_hidden,
                "caption": {"pk": str(m.pk + 1), "text": m.caption, "user_id": int(m.owner_id)} if m.caption else None,
                "accessibility_caption": m.alt_text, "usertags": self._tags_json(m.slides[0].usertags) if m.media_type == 1 else None}
        if m.location:
            place = m.location.get("facebook_places_id")
            item["location"] = {**m.location, "pk": int(place) if str(place).isdigit() else None}
        if m.media_type == 8:
            item["carousel_media_count"] = len(m.slides)
            item["carousel_media"] = [
                {"pk": m.pk + 1 + i, "id": f"{m.pk + 1 + i}_{m.owner_id}", "media_type": 1, "image_versions2": self._candidates(s),
                 "original_width": s.width, "original_height": s.height, "usertags": self._tags_json(s.usertags)}
                for i, s in enumerate(m.slides)]
        else:
            first = m.slides[0]
            item.update(image_versions2=self._candidates(first), original_width=first.width, original_height=first.height)
        return item


def _is_write(method: str, path: str) -> bool:
    """A request that changes the account: a photo upload, or creating, editing or deleting a post."""
    return (method == "POST" and path.startswith(("/rupload_igphoto/", "/api/v1/media/"))
            and not path.endswith(("/comments/", "/inline_child_comments/")))  # reads, even when POSTed


def _over_limits(caption: str) -> bool:
    return (len(HASHTAG.findall(caption)) > MAX_HASHTAGS or len(caption) > MAX_CAPTION
            or len(MENTION.findall(caption)) > MAX_MENTIONS)


# -- pytest wiring ---------------------------------------------------------------------------------------------
def make_client(fake: FakeInstagram, settings: dict[str, Any] | None = None, **options: Any):
    """A real instagrapi Client set up to talk to `fake`; logged in if `settings` (e.g. fake.session_settings()) are given."""
    options = {"private_transport": "requests", "session_retry_total": 0, "request_timeout": 0, "delay_range": None,
               "with_challenge_flow": False, "public_request_retries_count": 1, "tls_verify": str(fake.ca_path), **options}
    client = Client(**options)
    if settings is not None:
        client.set_settings(settings)
    return client


@pytest.fixture(name="fake_instagram")
def fake_instagram_fixture(monkeypatch: pytest.MonkeyPatch):
    """A started FakeInstagram, with everything patched so that the real instagrapi Client talks only to it.

    * instagrapi.config.API_DOMAIN = fake.domain: every private URL (api/v1 and rupload_igphoto) is built from it at
      call time. (PrivateRequestMixin.domain copied it at import; it only fills the Host header, left as i.instagram.com.)
    * `time` inside every instagrapi module -> a recorder: sleeps land in fake.sleeps (photo_upload's 3 s, retries' 2/60 s).
    * REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE = the fake's CA: requests lets them override session.verify (tls_verify).
    * proxies from the environment are removed; socket.getaddrinfo refuses any host but localhost (recorded in
      fake.blocked_hosts), so public-API fallbacks, challenge pages and CAA login (b.i.instagram.com) fail fast.
    """
    with FakeInstagram() as fake:
        monkeypatch.setattr(instagrapi.config, "API_DOMAIN", fake.domain)
        recorder = SimpleNamespace(**{**{n: getattr(time, n) for n in dir(time) if n[0] != "_"}, "sleep": fake.sleeps.append})
        for name, module in list(sys.modules.items()):
            if name.startswith("instagrapi") and getattr(module, "time", None) is time:
                monkeypatch.setattr(module, "time", recorder)
        for variable in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
            monkeypatch.setenv(variable, str(fake.ca_path))
        for variable in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "https_proxy", "http_proxy", "all_proxy"):
            monkeypatch.delenv(variable, raising=False)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
        real_getaddrinfo = socket.getaddrinfo

        def local_only(host, *args, **kwargs):
            name = host.decode() if isinstance(host, bytes) else str(host)
            if name not in LOCAL_HOSTS:
                fake.blocked_hosts.append(name)
                raise socket.gaierror(socket.EAI_NONAME, f"fakeinstagram: lookup of {name!r} blocked in tests")
            return real_getaddrinfo(host, *args, **kwargs)

        monkeypatch.setattr(socket, "getaddrinfo", local_only)
        yield fake


@pytest.fixture(name="fake_ig_client")
def fake_ig_client_fixture(fake_instagram: FakeInstagram):
    """A real instagrapi Client logged in to the fake through fake_instagram.session_settings() (no login request)."""
    return make_client(fake_instagram, fake_instagram.session_settings())
