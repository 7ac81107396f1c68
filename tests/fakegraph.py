"""A fake Facebook Graph API server for tests; the real facebook-sdk client talks to it over 127.0.0.1.

    with FakeGraph() as graph:
        monkeypatch.setattr(facebook, "FACEBOOK_GRAPH_URL", graph.url + "/")
        api = facebook.GraphAPI(access_token=graph.page_token, timeout=5)
        api.version = "v25.0"
        api.put_photo(io.BytesIO(jpeg), album_path=f"{graph.page_id}/photos", message="Hi")
        assert graph.posts[0].message == "Hi"

It answers the Page endpoints sokasi_post uses with Graph-shaped JSON and Meta's error bodies, records every
request (`graph.calls`) and injects one-shot failures: `fail_next` (error JSON; presets in `ERRORS`), `drop_next`
(no reply), `html_next` (a proxy's HTML page), `delay_next` (slow reply), `answer_next` (any JSON, e.g. a list),
`echo_next` (the request, token included, reflected in an error message, a reply field or a header, as careless
or hostile servers do). `graph.send_date = False` leaves the Date header out of every reply. Where Meta's behaviour is undocumented
the fake is strict on purpose: `published` must be "true"/"false"/"1"/"0", a bare `attached_media` key is refused.

It refuses what Graph refuses (docs/platforms.md F1-F4):
- alt text (`alt_text_custom`) is taken only when a photo is created; a later POST /{photo-id} is unsupported;
- an unpublished photo can be attached to a post only within 24 hours of its upload (on `graph.clock`): the
  tool's cautious assumption, as no source gives the real lifetime (docs/platforms.md F2);
- `debug_token` answers only an app token (`graph.app_token`) or a user token with a role on the app;
- the app starts in Development mode (`graph.app_mode`): every read with the admin's or the Page's token shows
  the posts, but `graph.public_read(post_id)` - what a buyer without a role on the app sees - finds nothing
  until `graph.app_mode = "live"`. No Graph field tells the mode (the Application node has none), and the fake
  invents none: asking for one is Meta's "nonexisting field" error.
"""

from __future__ import annotations

import itertools
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

PAGE_SCOPES = ["pages_manage_posts", "pages_read_engagement", "pages_show_list"]
USER_SCOPES = ["public_profile", "pages_show_list", "pages_manage_posts", "pages_read_engagement"]
# How long an unpublished photo waits for a post: the tool's cautious assumption (docs/platforms.md F2).
UNPUBLISHED_LIFETIME = 24 * 3600
DEBUG_TOKEN_CALLER_MESSAGE = ("(#100) You must provide an app access token, or a user access token that is an owner "
                              "or developer of the app")
OTHER_APP_MESSAGE = "(#100) The App_id in the input_token did not match the Viewing App"
READ_PERMISSION_MESSAGE = ("(#10) This endpoint requires the 'pages_read_engagement' permission or the 'Page Public "
                           "Content Access' feature.")
PERMISSION_MESSAGE = ("(#200) If posting to a page, requires both pages_read_engagement and pages_manage_posts "
                      "as an admin with sufficient administrative permission")
# Presets for fail_next(): `graph.fail_next("POST", "/feed", **ERRORS[2])`. Message, type and status as Meta sends them.
ERRORS: dict[int, dict] = {
    1: dict(code=1, message="An unknown error has occurred.", http_status=500),
    2: dict(code=2, message="An unexpected error has occurred. Please retry your request later.", http_status=503, is_transient=True),
    4: dict(code=4, message="(#4) Application request limit reached", http_status=403, is_transient=True),
    17: dict(code=17, message="(#17) User request limit reached", http_status=403, is_transient=True),
    32: dict(code=32, message="(#32) Page request limited reached", http_status=403, is_transient=True),  # sic: Meta's wording
    100: dict(code=100, message="(#100) Invalid parameter"),
    190: dict(code=190, subcode=463, message="Error validating access token: Session has expired on Friday, 27-Nov-26 16:00:00 PST. "
              "The current time is Friday, 27-Nov-26 20:00:00 PST."),
    200: dict(code=200, message=PERMISSION_MESSAGE, http_status=403),
    324: dict(code=324, message="(#324) Requires upload file"),
    368: dict(code=368, subcode=1390008, message="It looks like you were misusing this feature by going too fast. "
              "You\u2019ve been temporarily blocked from using it.", error_user_title="You Can't Use This Feature Right Now"),
    506: dict(code=506, message="(#506) Duplicate status message"),
}
HTML_PAGE = b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"


@dataclass
class Call:
    """One request as it arrived. `path` has no query string; `version` is None when the path has none."""

    method: str
    path: str
    version: str | None
    query: dict[str, str]
    form: dict[str, str]
    files: dict[str, bytes]
    token: str | None


@dataclass
class Token:
    token: str
    kind: str  # "PAGE" | "USER" | "APP"
    id: str
    name: str
    scopes: list[str]
    expires_at: int = 0  # unix seconds; 0 = never
    is_valid: bool = True
    app_id: str = ""  # the app that issued it ("" = this fake's app)
    app_role: bool = False  # a USER token of someone with a role (admin, developer) on that app


@dataclass
class Photo:
    """An uploaded photo; `attached_to` is the id of the post showing it (None while unattached)."""

    id: str
    data: bytes
    published: bool
    message: str = ""
    alt_text: str | None = None
    temporary: bool = False
    created_time: int = 0
    attached_to: str | None = None


@dataclass
class Post:
    id: str
    message: str
    photo_ids: list[str]
    photo_bytes: list[bytes]
    published: bool
    scheduled_publish_time: int | None
    created_time: int
    alt_texts: list[str | None] = field(default_factory=list)


@dataclass
class _Rule:
    method: str
    suffix: str
    kind: str  # "fail" | "drop" | "html" | "delay" | "answer" | "echo"
    after_action: bool = False
    status: int = 400
    error: dict | None = None
    seconds: float = 0.0
    body: object = None  # "answer": the JSON to send
    field: str | None = None  # "echo": the reply field that carries the request
    header: str | None = None  # "echo": the reply header that carries the request


def _error_body(code: int, message: str, subcode: int | None = None, type: str = "OAuthException",
                is_transient: bool | None = None, **extra) -> dict:
    """The inside of Meta's `{"error": {...}}`."""
    body = {"message": message, "type": type, "code": code, "error_subcode": subcode, "is_transient": is_transient}
    return {k: v for k, v in body.items() if v is not None} | extra | {"fbtrace_id": "A" + secrets.token_urlsafe(16)}


class GraphError(Exception):
    """Raised inside the fake to answer with Meta's error JSON."""

    def __init__(self, status: int, code: int, message: str, subcode: int | None = None, **kwargs):
        super().__init__(message)
        self.status, self.error = status, _error_body(code, message, subcode, **kwargs)


def _parse_body(content_type: str, body: bytes) -> tuple[dict[str, str], dict[str, bytes]]:
    """Split a urlencoded or multipart/form-data body into text fields and file fields (parts with a filename)."""
    if content_type.startswith("application/x-www-form-urlencoded"):
        return dict(parse_qsl(body.decode(), keep_blank_values=True)), {}
    boundary = re.search(r'boundary="?([^";]+)"?', content_type)
    form: dict[str, str] = {}
    files: dict[str, bytes] = {}
    if not content_type.startswith("multipart/form-data") or not boundary:
        return form, files
    for part in (b"\r\n" + body).split(b"\r\n--" + boundary.group(1).encode())[1:]:
        if part.startswith(b"--"):
            break  # the closing delimiter
        head, _, data = part[2:].partition(b"\r\n\r\n")
        disposition = head.decode("utf-8", "replace")
        if name := re.search(r'\bname="([^"]*)"', disposition):
            key = name.group(1).replace("%22", '"')
            if re.search(r'\bfilename="', disposition):
                files[key] = data
            else:
                form[key] = data.decode()
    return form, files


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(n) for n in version.lstrip("v").split("."))


def _fields(query: dict[str, str], default: list[str]) -> list[str]:
    """Top-level names of `fields=a,b{c,d},e.limit(3)`; nested selections are ignored."""
    raw = query.get("fields") or ",".join(default)
    while re.search(r"\{[^{}]*\}", raw):
        raw = re.sub(r"\{[^{}]*\}", "", raw)
    return [re.sub(r"\..*$", "", f).strip() for f in raw.split(",") if f.strip()]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive with Content-Length, as requests' connection pool expects
    disable_nagle_algorithm = True  # headers and body go out as two writes; without this each reply waits ~40 ms for an ACK

    def do_GET(self):
        try:
            self.server.graph._handle(self)
        except OSError:
            self.close_connection = True  # the client went away, e.g. after its own timeout
        except Exception as exc:
            self.server.graph.crashes.append(exc)
            raise

    do_POST = do_DELETE = do_GET

    def log_message(self, format, *args):
        pass  # quiet


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # quiet; bugs in the fake land in graph.crashes instead


class FakeGraph:
    """A fake Graph API for one Page. Use as a context manager or call start()/stop(). Thread-safe."""

    def __init__(self, page_id: str = "111222333444555", page_name: str = "Sokasi Tigawasa", version: str = "v25.0"):
        """`version` is the one the client should use; other versions are answered too, and visible in `Call.version`."""
        self.page_id, self.page_name, self.version = page_id, page_name, version
        self.oldest_version = "v21.0"  # a path with an older version (or none) is served as this one, silently
        self.app_id, self.app_secret = "1234567890123456", "fake-app-secret"
        self.app_name = "sokasi-post"
        self.app_mode = "development"  # every new app starts so (docs/platforms.md F1); set "live" to publish for all
        self.user_id, self.user_name = "100000000000001", "Test Admin"
        self.page_token, self.user_token = "EAAPAGE-fake-page-token", "EAAUSER-fake-user-token"
        self.clock = time.time  # replace to move time (token expiry, scheduling window, created_time)
        self.crashes: list[BaseException] = []  # exceptions in the fake's own code; should stay empty
        self.url = ""
        self._lock = threading.RLock()
        self._calls: list[Call] = []
        self._rules: list[_Rule] = []
        self._storm: tuple | None = None
        self.latency = 0.0  # seconds every reply waits (a slow village link)
        self.send_date = True  # False: replies carry no Date header (some proxies strip it)
        self._tokens: dict[str, Token] = {}
        self._posts: dict[str, Post] = {}
        self._photos: dict[str, Photo] = {}
        self._ids = itertools.count(1_000_000_000_000_001)
        self._server: _Server | None = None
        self.add_token(self.page_token)
        self.add_token(self.user_token, kind="USER", app_role=True)  # the admin made the app: a role on it

    # -- lifecycle and setup ---------------------------------------------------------------------------------------
    def start(self) -> FakeGraph:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.graph = self
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()
            self._server = None

    def __enter__(self) -> FakeGraph:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def add_token(self, token: str, kind: str = "PAGE", id: str | None = None, name: str | None = None,
                  scopes: list[str] | None = None, expires_at: int = 0, is_valid: bool = True, app_id: str = "",
                  app_role: bool = False) -> Token:
        """Register (or replace) a token. PAGE tokens default to this Page, USER tokens to the admin user.

        `app_id` names another app that issued the token; `app_role` gives a USER token a role on the app.
        """
        owner = (self.page_id, self.page_name, PAGE_SCOPES) if kind == "PAGE" else (self.user_id, self.user_name, USER_SCOPES)
        scopes = list(owner[2] if scopes is None else scopes)
        record = Token(token, kind, id or owner[0], name or owner[1], scopes, expires_at, is_valid, app_id, app_role)
        with self._lock:
            self._tokens[token] = record
        return record

    @property
    def app_token(self) -> str:
        """`app_id|app_secret`, as facebook-sdk's debug_access_token() sends it."""
        return f"{self.app_id}|{self.app_secret}"

    # -- inspection ------------------------------------------------------------------------------------------------
    @property
    def calls(self) -> list[Call]:
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str, path_suffix: str) -> list[Call]:
        return [c for c in self.calls if c.method == method.upper() and c.path.endswith(path_suffix)]

    @property
    def posts(self) -> list[Post]:
        """Every live post (published, scheduled or unpublished), oldest first."""
        with self._lock:
            return list(self._posts.values())

    @property
    def photos(self) -> dict[str, Photo]:
        with self._lock:
            return dict(self._photos)

    def public_read(self, post_id: str) -> dict | None:
        """The post as a buyer without a role on the app sees it on Facebook, or None when it is not there for them.

        While the app is in Development mode, what it made is seen by the app's roles only; it shows for
        everyone once the app is Live (developers.facebook.com/docs/development/build-and-test/app-modes).
        """
        with self._lock:
            self._publish_due()
            post = self._posts.get(post_id)
            if post is None or not post.published or self.app_mode != "live":
                return None
            return {"id": post.id, "message": post.message, "permalink_url": self._permalink(post.id)}

    # -- failure injection: each one-shot, matched by method and path suffix, first registered first -----------------
    def fail_next(self, method: str, path_suffix: str, code: int, message: str = "An unknown error has occurred.",
                  subcode: int | None = None, http_status: int = 400, type: str = "OAuthException",
                  is_transient: bool | None = None, **extra) -> None:
        """Answer the next matching request with Meta's error JSON, without doing the action."""
        error = _error_body(code, message, subcode, type, is_transient, **extra)
        self._add_rule(_Rule(method.upper(), path_suffix, "fail", status=http_status, error=error))

    def drop_next(self, method: str, path_suffix: str, after_action: bool = False) -> None:
        """Close the connection without a reply; with after_action=True the action happens first (a lost reply)."""
        self._add_rule(_Rule(method.upper(), path_suffix, "drop", after_action=after_action))

    def html_next(self, method: str, path_suffix: str, status: int = 502, after_action: bool = False) -> None:
        """Answer with an HTML error page, like a proxy in front of Graph."""
        self._add_rule(_Rule(method.upper(), path_suffix, "html", after_action=after_action, status=status))

    def storm(self, rate: float, lost_share: float = 0.0, seed: int = 0) -> None:
        """From now on, fail `rate` of all POSTs transiently (code 2, nothing done); of those, `lost_share` are
        done first and answered with an HTML 503, like a proxy that lost Facebook's reply."""
        import random

        self._storm = (rate, lost_share, random.Random(seed))

    def _storm_rule(self, call: Call) -> _Rule | None:
        rate, lost_share, rng = self._storm
        if rng.random() >= rate:
            return None
        if rng.random() < lost_share:
            return _Rule(call.method, call.path, "html", status=503, after_action=True)
        preset = {key: value for key, value in ERRORS[2].items() if key != "http_status"}
        return _Rule(call.method, call.path, "fail", status=503, error=_error_body(**preset))

    def answer_next(self, method: str, path_suffix: str, body: object, status: int = 200) -> None:
        """Answer the next matching request with `body` as JSON (a list, a string, null...), without doing the action."""
        self._add_rule(_Rule(method.upper(), path_suffix, "answer", status=status, body=body))

    def echo_next(self, method: str, path_suffix: str, field: str | None = None, header: str | None = None,
                  code: int = 100, status: int = 400) -> None:
        """Reflect the next matching request - method, full URL with its query string, form fields, the access
        token among them - as servers that echo what they got do.

        By default the action is not done and Meta's error JSON (`code`) carries the request in its message. With
        `field`, the action is done and the reply's `field` is the request (a `/me` whose name is the URL); with
        `header`, the action is done and the reply header `header` is the request (e.g. a Date no one can read).
        """
        self._add_rule(_Rule(method.upper(), path_suffix, "echo", after_action=bool(field or header), status=status,
                             error={"code": code}, field=field, header=header))

    def delay_next(self, method: str, path_suffix: str, seconds: float) -> None:
        """Sleep before handling the next matching request (combines with one other rule)."""
        self._add_rule(_Rule(method.upper(), path_suffix, "delay", seconds=seconds))

    def _add_rule(self, rule: _Rule) -> None:
        with self._lock:
            self._rules.append(rule)

    def _take_rule(self, call: Call, delay: bool) -> _Rule | None:
        for rule in self._rules:
            if (rule.kind == "delay") == delay and rule.method == call.method and call.path.endswith(rule.suffix):
                self._rules.remove(rule)
                return rule
        return None

    # -- HTTP ------------------------------------------------------------------------------------------------------
    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        url = urlsplit(h.path)
        form, files = _parse_body(h.headers.get("Content-Type", ""), h.rfile.read(int(h.headers.get("Content-Length") or 0)))
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        match = re.match(r"/(v\d+\.\d+)(/.*)?$", url.path)
        version = match.group(1) if match else None
        parts = [p for p in ((match.group(2) or "") if match else url.path).split("/") if p]
        call = Call(h.command, url.path, version, query, form, files, form.get("access_token", query.get("access_token")))
        with self._lock:
            self._calls.append(call)
            delay, rule = self._take_rule(call, delay=True), self._take_rule(call, delay=False)
            if rule is None and self._storm and call.method == "POST":
                rule = self._storm_rule(call)
        if self.latency:
            time.sleep(self.latency)
        if delay:
            time.sleep(delay.seconds)
        echoed = f"{call.method} {self.url}{h.path}" + (f" {urlencode(form)}" if form else "")
        extra_headers: dict[str, str] = {}
        if rule and rule.kind == "fail":
            status, payload = rule.status, {"error": rule.error}
        elif rule and rule.kind == "answer":
            status, payload = rule.status, rule.body
        elif rule and rule.kind == "echo" and not rule.after_action:
            status, payload = rule.status, {"error": _error_body(rule.error["code"], f"(#{rule.error['code']}) Invalid "
                                                                  f"request: {echoed}")}
        elif rule and rule.kind == "echo":
            status, payload = self._act(call, parts)
            if rule.field and isinstance(payload, dict) and "error" not in payload:
                payload[rule.field] = echoed
            if rule.header:
                extra_headers[rule.header] = echoed
        elif rule and not rule.after_action:
            status, payload = 0, {}  # drop or html before the action: nothing happens
        else:
            status, payload = self._act(call, parts)
        if rule and rule.kind == "drop":
            h.close_connection = True  # the socket closes with no reply; the client's pool discards it
            return
        served = version if version and _version_key(version) >= _version_key(self.oldest_version) else self.oldest_version
        if rule and rule.kind == "html":
            self._send(h, rule.status, HTML_PAGE, "text/html; charset=utf-8", served)
        else:
            self._send(h, status, json.dumps(payload).encode(), "application/json; charset=UTF-8", served, extra_headers)

    def _send(self, h: BaseHTTPRequestHandler, status: int, body: bytes, content_type: str, version: str,
              extra_headers: dict[str, str] | None = None) -> None:
        extra_headers = extra_headers or {}
        if self.send_date and "Date" not in extra_headers:
            h.send_response(status)  # also sends Date and Server
        else:
            h.send_response_only(status)
            h.send_header("Server", h.version_string())
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(body)))
        h.send_header("facebook-api-version", version)
        for name, value in extra_headers.items():
            h.send_header(name, value)
        h.end_headers()
        h.wfile.write(body)

    def _act(self, call: Call, parts: list[str]) -> tuple[int, dict]:
        try:
            with self._lock:
                self._publish_due()
                return 200, self._route(call, parts, self._authenticate(call.token))
        except GraphError as e:
            return e.status, {"error": e.error}
        except Exception as exc:  # noqa: BLE001 - a bug in the fake: keep it visible
            self.crashes.append(exc)
            return 500, {"error": {"message": f"FakeGraph crashed: {exc!r}", "type": "FakeGraphBug", "code": -1}}

    # -- Graph behaviour (called with the lock held) ---------------------------------------------------------------
    def _authenticate(self, token: str | None) -> Token:
        record = self._tokens.get(token or "")
        if not token:
            raise GraphError(400, 104, "An access token is required to request this resource.")
        if token == self.app_token:
            return Token(token, "APP", self.app_id, "sokasi-post", [])
        if record is None:
            raise GraphError(400, 190, "Error validating access token: Invalid OAuth access token - Cannot parse access token", 467)
        if not record.is_valid:
            raise GraphError(400, 190, "Error validating access token: The session is invalid because the user logged out.", 467)
        if record.expires_at and record.expires_at <= self.clock():
            raise GraphError(400, 190, f"Error validating access token: Session has expired on {_iso(record.expires_at)}.", 463)
        return record

    def _route(self, call: Call, parts: list[str], who: Token) -> dict:
        method, edge = call.method, parts[1] if len(parts) == 2 and parts[0] == self.page_id else None
        if method == "GET" and parts == ["me"] and who.kind != "APP":
            return self._node(who.id, call.query, who)
        if method == "GET" and parts == ["debug_token"]:
            if who.kind != "APP" and not (who.kind == "USER" and who.app_role and not who.app_id):
                raise GraphError(400, 100, DEBUG_TOKEN_CALLER_MESSAGE)
            return self._debug_token(call.query.get("input_token"))
        if method == "GET" and parts == [self.app_id]:
            return self._application(call.query, who)
        if method == "POST" and edge == "photos":
            return self._post_photo(call.form, call.files, who)
        if method == "POST" and edge == "feed":
            return self._post_feed(call.form, who)
        if method == "GET" and edge in ("posts", "published_posts", "feed"):
            if who.kind == "PAGE" and "pages_read_engagement" not in who.scopes:
                raise GraphError(403, 10, READ_PERMISSION_MESSAGE)
            return self._listing(call, who, [p for p in self._posts.values() if p.published])
        if method == "GET" and edge == "scheduled_posts":
            if who.kind != "PAGE" or who.id != self.page_id:
                raise GraphError(403, 210, "(#210) A page access token is required to request this resource.")
            return self._listing(call, who, [p for p in self._posts.values() if not p.published and p.scheduled_publish_time])
        known = len(parts) == 1 and (parts[0] in (self.page_id, self.user_id) or parts[0] in self._photos or parts[0] in self._posts)
        if method == "GET" and known:
            return self._node(parts[0], call.query, who)
        # No POST /{photo-id}: the Photo reference says of updating "You can't perform this operation on this
        # endpoint", so alt text sent after the upload gets the generic "Unsupported post request" below.
        if method == "DELETE" and known and parts[0] in {**self._photos, **self._posts}:
            self._require_admin(who)
            self._delete(parts[0])
            return {"success": True}
        raise GraphError(400, 100, f"Unsupported {method.lower()} request. Object with ID '{(parts or [''])[0]}' does not exist, "
                         "cannot be loaded due to missing permissions, or does not support this operation. "
                         "Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api",
                         33, type="GraphMethodException")

    def _require_admin(self, who: Token) -> None:
        if who.kind != "PAGE" or who.id != self.page_id or not {"pages_manage_posts", "pages_read_engagement"} <= set(who.scopes):
            raise GraphError(403, 200, PERMISSION_MESSAGE)

    def _debug_token(self, input_token: str | None) -> dict:
        if not input_token:
            raise GraphError(400, 100, "(#100) The parameter input_token is required")
        record = self._tokens.get(input_token)
        if record is None:
            return {"data": {"error": {"code": 190, "message": "Invalid OAuth access token."}, "is_valid": False, "scopes": []}}
        if record.app_id and record.app_id != self.app_id:
            raise GraphError(400, 100, OTHER_APP_MESSAGE)  # an app may inspect only the tokens it issued
        now = int(self.clock())
        expired = bool(record.expires_at and record.expires_at <= now)
        data = {"app_id": self.app_id, "type": record.kind, "application": "sokasi-post", "data_access_expires_at": now + 90 * 86400,
                "expires_at": record.expires_at, "is_valid": record.is_valid and not expired, "scopes": list(record.scopes),
                "user_id": self.user_id if record.kind == "PAGE" else record.id}
        if record.kind == "PAGE":
            data["profile_id"] = record.id
        if not data["is_valid"]:
            data["error"] = {"code": 190, "subcode": 463 if expired else 467, "message": "Error validating access token."}
        return {"data": data}

    def _flag(self, form: dict[str, str], name: str, default: bool) -> bool:
        value = form.get(name)
        if value is not None and value not in ("true", "false", "1", "0"):
            raise GraphError(400, 100, f"(#100) Param {name} must be a boolean")  # the fake's strictness: "false", not "False"
        return default if value is None else value in ("true", "1")

    def _scheduled_time(self, form: dict[str, str], published: bool) -> int | None:
        """`scheduled_publish_time` (unix seconds or ISO 8601), which must lie 10 minutes to 30 days ahead."""
        raw = form.get("scheduled_publish_time")
        if raw is None:
            return None
        if published:
            raise GraphError(400, 100, "(#100) You cannot specify a scheduled publish time on a published post")
        try:
            parsed = None if raw.isdigit() else datetime.fromisoformat(raw)
            when = int(raw) if parsed is None else int((parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp())
        except ValueError:
            when = 0
        if not self.clock() + 600 <= when <= self.clock() + 30 * 86400:
            raise GraphError(400, 100, "(#100) The specified scheduled publish time is invalid.")
        return when

    def _new_post(self, message: str, photos: list[Photo], published: bool, scheduled: int | None) -> Post:
        post = Post(f"{self.page_id}_{next(self._ids)}", message, [p.id for p in photos], [p.data for p in photos], published,
                    scheduled, int(self.clock()), [p.alt_text for p in photos])
        for photo in photos:
            photo.attached_to = post.id
        self._posts[post.id] = post
        return post

    def _post_photo(self, form: dict[str, str], files: dict[str, bytes], who: Token) -> dict:
        """Published: a photo post, `{"id", "post_id"}`. Unpublished: a loose photo to attach to a feed post, `{"id"}`."""
        self._require_admin(who)
        data = files.get("source")
        if data is None:
            raise GraphError(400, 324, "(#324) Requires upload file")
        if not data.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")):
            raise GraphError(400, 324, "(#324) Missing or invalid image file", 1366046, error_user_title="Invalid image",
                             error_user_msg="Your photos couldn't be uploaded. Photos should be saved as JPG or PNG files.")
        published = self._flag(form, "published", True)
        scheduled = self._scheduled_time(form, published)
        photo = Photo(str(next(self._ids)), data, published, form.get("message", ""), form.get("alt_text_custom"),
                      self._flag(form, "temporary", False), int(self.clock()))
        self._photos[photo.id] = photo
        if published or scheduled:  # a scheduled photo is a scheduled post too
            post = self._new_post(photo.message, [photo], published, scheduled)
            if published:
                return {"id": photo.id, "post_id": post.id}
        return {"id": photo.id}

    def _post_feed(self, form: dict[str, str], who: Token) -> dict:
        """A post with `message` and unpublished photos `attached_media[N]={"media_fbid": id}`, in index order."""
        self._require_admin(who)
        if "attached_media" in form or "attached_media[]" in form:
            raise GraphError(400, 100, "(#100) param attached_media must be an array (send attached_media[N])")
        keys = sorted((k for k in form if re.fullmatch(r"attached_media\[\d+\]", k)), key=lambda k: int(k[15:-1]))
        photos: list[Photo] = []
        for key in keys:
            try:
                media_id = str(json.loads(form[key])["media_fbid"])
            except (ValueError, KeyError, TypeError):
                raise GraphError(400, 100, f"(#100) param {key} must be a JSON object with media_fbid") from None
            photo = self._photos.get(media_id)
            if photo is None or (not photo.published and photo.created_time + UNPUBLISHED_LIFETIME <= self.clock()):
                # Meta's wording for an expired photo was not found; the code (100, invalid parameter) is what matters.
                raise GraphError(400, 100, f"(#100) Invalid media_fbid {media_id} in {key}")
            if photo.attached_to is not None or photo in photos:
                raise GraphError(400, 100, f"(#100) The media_fbid {media_id} is already attached to a post")
            photos.append(photo)
        if not form.get("message") and not photos:
            raise GraphError(400, 100, "(#100) Missing message or attachment")
        published = self._flag(form, "published", True)
        return {"id": self._new_post(form.get("message", ""), photos, published, self._scheduled_time(form, published)).id}

    def _publish_due(self) -> None:
        for post in self._posts.values():
            if not post.published and post.scheduled_publish_time and post.scheduled_publish_time <= self.clock():
                post.published, post.created_time = True, post.scheduled_publish_time

    def _permalink(self, node_id: str) -> str:
        if node_id in self._photos:
            return f"https://www.facebook.com/photo.php?fbid={node_id}"
        return f"https://www.facebook.com/{self.page_id}/posts/{node_id.split('_')[-1]}"

    def _node(self, node_id: str, query: dict[str, str], who: Token) -> dict:
        """One object with the requested `fields` (plus id, always); an unknown field is Meta's error 100."""
        if node_id in (self.page_id, self.user_id):  # the Page (its token for a USER caller), or the admin user via /me
            kind, default = ("Page", ["name"]) if node_id == self.page_id else ("User", ["name"])
            values = {"id": node_id, "name": self.page_name if kind == "Page" else self.user_name}
            values |= {"access_token": self.page_token} if kind == "Page" and who.kind == "USER" else {}
        elif photo := self._photos.get(node_id):
            kind, default = "Photo", ["created_time"]
            values = {"id": node_id, "created_time": _iso(photo.created_time), "permalink_url": self._permalink(node_id),
                      "alt_text_custom": photo.alt_text}
        else:
            post = self._posts[node_id]
            kind, default = "PagePost", ["created_time", "message"]
            values = {"id": post.id, "message": post.message or None, "created_time": _iso(post.created_time),
                      "permalink_url": self._permalink(post.id), "is_published": post.published,
                      "scheduled_publish_time": None if post.published else post.scheduled_publish_time}
        result = {}
        for name in [*_fields(query, default), "id"]:
            if name not in values:
                raise GraphError(400, 100, f"(#100) Tried accessing nonexisting field ({name}) on node type ({kind})")
            if values[name] is not None:
                result[name] = values[name]
        return result

    def _application(self, query: dict[str, str], who: Token) -> dict:
        """The Application node: documented fields only, for the app's own token or a role on it (none tells the mode)."""
        if who.kind != "APP" and not (who.kind == "USER" and who.app_role and not who.app_id):
            raise GraphError(400, 100, f"Unsupported get request. Object with ID '{self.app_id}' does not exist, cannot be "
                             "loaded due to missing permissions, or does not support this operation.", 33,
                             type="GraphMethodException")
        values = {"id": self.app_id, "name": self.app_name, "category": "Business", "privacy_policy_url": None}
        result = {}
        for name in [*_fields(query, ["name"]), "id"]:
            if name not in values:
                raise GraphError(400, 100, f"(#100) Tried accessing nonexisting field ({name}) on node type (Application)")
            if values[name] is not None:
                result[name] = values[name]
        return result

    def _listing(self, call: Call, who: Token, posts: list[Post]) -> dict:
        """Newest first, at most `limit` (default 25); one page only, so `paging` is empty."""
        newest = posts[::-1][: int(call.query.get("limit") or 25)]
        return {"data": [self._node(p.id, call.query, who) for p in newest], "paging": {}}

    def _delete(self, node_id: str) -> None:
        """Delete a post, or a photo (and the post if it was that post's only photo)."""
        if self._posts.pop(node_id, None) is None:
            photo = self._photos.pop(node_id)
            post = self._posts.get(photo.attached_to or "")
            if post is not None and post.photo_ids == [node_id]:
                del self._posts[post.id]
