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

The Instagram professional account linked to the Page (docs/platforms.md G1-G5): `graph.ig_user_id`, `ig_username`,
`ig_linked` (False: the Page's `instagram_business_account` is absent and the account's ids are unknown, error
100/33). `FakeGraph(ig_scopes=True)` gives the Page token instagram_basic and instagram_content_publish. Containers
(`graph.ig_containers`, `ig_status(id)`), published media (`graph.ig_media`, oldest first), `ig_processing_seconds`,
`ig_fail_processing(n)`, `ig_quota_total`, `ig_alt_text_supported`, `ig_fetch_timeout`, `ig_ssl_context`. The fake
really fetches each `image_url` (loopback only), and refuses as Meta does (error code/subcode, HTTP 400 unless said):
- a call without instagram_basic + pages_read_engagement (reads) or also instagram_content_publish (containers,
  media_publish): 10 "(#10) Application does not have permission for this action", HTTP 403; another Page's token
  or the app token: 100/33, as for an unknown object;
- an image_url that cannot be fetched - not http(s), not on a loopback address (so no test can reach the internet),
  unreachable, no reply within `ig_fetch_timeout`, not 200: 9004/2207052 "The media could not be fetched from this
  uri: {uri}"; not a JPEG, or not served as image/jpeg: 36001/2207005; over 8 MiB: 36000/2207004; aspect ratio
  outside 4:5..1.91:1: 36003/2207009; caption over 2,200 characters (UTF-16 units): 36004/2207010; more than 20
  user tags: 100/2207040; a carousel of fewer than 2 or more than 10 children: 100/2207028;
- `alt_text` while `ig_alt_text_supported` is False: 100 "(#100) Invalid parameter alt_text";
- media_publish of a container not FINISHED (IN_PROGRESS or ERROR): 9007/2207027; unknown or EXPIRED (24 h after
  its creation on `graph.clock`): 24/2207008; over `ig_quota_total` posts in 24 h: 9/2207042.
Strict where Meta does not document (the fake's choices): a container already PUBLISHED is refused like an expired
one (24/2207008), so nothing is published twice; a carousel item published alone is 100; a carousel child that is
unknown or expired is 24/2207006, one that is not a carousel item, already in a carousel or not FINISHED is 100; a
carousel container takes no image_url, user_tags or alt_text and an item no location_id (100); media_type other than
IMAGE or CAROUSEL is 100 (the fake has no video); reading `instagram_business_account` without instagram_basic is 10.
There is one Instagram account, so "a child of another account" cannot arise. A caption with more than 5 hashtags
is dropped silently once published (docs/platforms.md I1: the worst case; no source says what the official API does).
The Page-photo host (docs/platforms.md G6): a Photo's `images` field points at `{graph.url}/cdn/<photo-id>.jpg`,
served without a token as image/jpeg (the uploaded bytes: Facebook's re-encoding is not modelled).

Engagement (docs/platforms.md E1, E2): comments, replies, counts and edits, on both accounts.
- Facebook: `graph.add_comment(post_id, message, ...)` seeds a comment (or a reply, `parent_id`) on a post or a photo;
  `graph.set_reactions(post_id, n)`, `graph.set_shares(post_id, n)`; `graph.comments` (every comment, oldest first);
  `graph.edits` (each accepted change of a post's text or a media's comment_enabled). `GET /{post-id}/comments` with
  `fields`, `filter=toplevel` (the default: no replies) or `stream` (replies too), `order=chronological` (default) or
  `reverse_chronological`, `limit` (default 25) and real cursor paging (`paging.cursors.after`, `paging.next` as a
  full URL carrying the token); `GET /{comment-id}` and `GET /{comment-id}/comments` (its replies); `POST
  /{comment-id}/comments` (and `POST /{post-id}/comments`) with `message`, written as the Page, needing a Page token
  with pages_manage_engagement - `FakeGraph(engagement_scopes=True)` gives the Page token that permission, off by
  default; without it: 200 "(#200) Requires pages_manage_engagement permission to manage the object", HTTP 403.
  The post fields `reactions.summary(total_count).limit(0)`, `comments.summary(total_count).limit(0)` (modifiers
  `filter`, `order`, `limit`, `summary`) and `shares` (`{"count": n}`, absent when 0). `POST /{post-id}` with
  `message` (the Page token with pages_manage_posts, as for publishing) -> `{"success": true}`.
- Instagram: `graph.add_ig_comment(media_id, text, ...)`, `graph.set_ig_likes(media_id, n)`, `graph.ig_comments`.
  `GET /{ig-media-id}/comments` (top-level comments, newest first, each reply nested under `replies`; cursor paging),
  `GET /{ig-comment-id}`, `GET /{ig-comment-id}/replies`, `POST /{ig-comment-id}/replies` (and `POST
  /{ig-media-id}/comments`) with `message`, needing instagram_manage_comments besides the read permissions -
  `FakeGraph(ig_comment_scopes=True)` gives it to the Page token, off by default; without it: 10, HTTP 403. The media
  fields `like_count` and `comments_count` (replies included, as the IG Media reference says). `POST /{ig-media-id}`
  takes `comment_enabled` only.
What the fake refuses there, with Meta's codes:
- a Facebook comment read with a Page token lacking pages_read_engagement, or the app token: 10; with another Page's
  token: 100/33; a USER token reads an empty list (the Object Comments reference: some nodes' /comments "returns empty
  data if you read it with a User access token" - the fake counts the Page's posts and photos among them, the strict
  reading);
- `filter` other than toplevel/stream, `order` other than chronological/reverse_chronological, a `limit` that is not a
  number from 0, a cursor the fake did not give: 100; a reply without `message`: 100;
- a reply to a reply: Meta documents for Instagram that "replies to a reply will be added to the top-level comment";
  for Facebook its behaviour is not documented, and the fake does the same there (the stricter case for a reconcile
  that lists the replies of the comment it answered). Seeded replies are attached the same way;
- a post text edit with any parameter besides `message` (the fake models no other), or an empty text on a post
  without photos: 100; a caption or message sent to a photo id (`POST /{photo-id}`): the generic "Unsupported post
  request" (100/33), as the Photo reference says of updating "You can't perform this operation on this endpoint": a
  photo post's text is edited on its post id. A post with exactly one photo shares its comments, reactions and shares
  with that photo (the same object seen through two ids), as a single-photo post does on Facebook;
- Instagram comments read without instagram_manage_comments: 10; a reply to a hidden comment (documented: "You cannot
  reply to hidden comments") or on a media whose comments are disabled: 100 (the wording is the fake's);
- `POST /{ig-media-id}` with `caption`: the generic "Unsupported post request" (100/33): a published caption cannot be
  changed through the official API (docs/platforms.md E2); with neither caption nor comment_enabled: 100.
"""

from __future__ import annotations

import base64
import http.client
import io
import ipaddress
import itertools
import json
import re
import secrets
import ssl
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

from PIL import Image

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
# The Instagram professional account linked to the Page (docs/platforms.md G1-G5).
IG_SCOPES = ["instagram_basic", "instagram_content_publish"]
IG_READ_SCOPES = {"instagram_basic", "pages_read_engagement"}  # reading the account, its media, containers, limit
IG_PUBLISH_SCOPES = IG_READ_SCOPES | {"instagram_content_publish"}  # creating containers, media_publish
IG_PERMISSION_MESSAGE = "(#10) Application does not have permission for this action"
IG_CONTAINER_LIFETIME = 24 * 3600  # a container not published within 24 h is EXPIRED (docs/platforms.md G2)
IG_MAX_IMAGE_BYTES = 8 * 1024 * 1024  # 8 MiB (docs/platforms.md G4, 36000/2207004)
IG_MAX_CAPTION = 2200  # characters (docs/platforms.md I1, G4 36004/2207010)
IG_MAX_HASHTAGS = 5  # more and the caption is dropped (docs/platforms.md I1: the worst case)
IG_MAX_USER_TAGS = 20
IG_FETCH_TIMEOUT = 5.0  # seconds the fake waits for an image_url
IG_STATUS_TEXT = {
    "IN_PROGRESS": "In Progress: Media is still being processed.",
    "FINISHED": "Finished: Media has been uploaded and it is ready to be published.",
    "PUBLISHED": "Published: Media has been successfully published.",
    "EXPIRED": "Expired: Media has not been published within 24 hours of its creation.",
}
IG_PROCESSING_ERROR = "Error: Media upload has failed with error code 2207001"
HTML_PAGE = b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"
# Engagement (docs/platforms.md E1, E2): replying as the Page, and Instagram's comment moderation.
ENGAGEMENT_SCOPES = ["pages_manage_engagement"]  # FakeGraph(engagement_scopes=True) adds it to the Page token
ENGAGEMENT_PERMISSION_MESSAGE = "(#200) Requires pages_manage_engagement permission to manage the object"
IG_COMMENT_SCOPES = ["instagram_manage_comments"]  # FakeGraph(ig_comment_scopes=True) adds it to the Page token
IG_COMMENT_READ_SCOPES = IG_READ_SCOPES | {"instagram_manage_comments"}  # GET comments, replies, a comment
IG_COMMENT_WRITE_SCOPES = IG_COMMENT_READ_SCOPES | {"pages_show_list"}  # replies (the IG Comment Replies reference)
COMMENT_PAGE_SIZE = 25  # the `limit` of a comments list (and of a nested edge) when none is given
COMMENT_FIELDS = ["created_time", "from", "message"]  # a Facebook comment's fields when `fields` is not given
FB_COMMENT_NODE_FIELDS = {"id", "message", "created_time", "from", "parent", "comment_count", "like_count", "is_hidden",
                          "can_comment", "permalink_url"}  # what the fake's Comment node has
IG_COMMENT_NODE_FIELDS = {"id", "text", "timestamp", "username", "from", "like_count", "hidden", "media", "parent_id",
                          "user", "legacy_instagram_comment_id", "replies"}  # and its IGComment node
IG_COMMENT_FIELDS = ["timestamp", "text"]  # an Instagram comment's, as in Meta's sample answers


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
class IgContainer:
    """An Instagram media container: never public. `kind` is "IMAGE", "CAROUSEL_ITEM" or "CAROUSEL"; `data` holds
    the bytes the fake fetched from `image_url` (None for a carousel); `fields` is the form as sent, token removed."""

    id: str
    kind: str
    data: bytes | None
    fields: dict[str, str]
    created_at: float
    image_url: str | None = None
    caption: str = ""
    user_tags: list[dict] = field(default_factory=list)
    alt_text: str | None = None
    location_id: str | None = None
    children: list[str] = field(default_factory=list)  # CAROUSEL: the item containers, in order
    error: str | None = None  # set by ig_fail_processing(): processing ends in ERROR with this status text
    used_in: str | None = None  # CAROUSEL_ITEM: the carousel container that took it
    media_id: str | None = None  # set once published


@dataclass
class IgMedia:
    """A published Instagram media (public). `caption` is "" when Instagram dropped it (more than 5 hashtags);
    `images`, `user_tags` and `alt_texts` have one entry per image, in order; `children` are the carousel's
    child media ids."""

    id: str
    caption: str
    timestamp: int
    shortcode: str
    media_type: str  # "IMAGE" | "CAROUSEL_ALBUM"
    container_id: str
    images: list[bytes]
    user_tags: list[list[dict]]
    alt_texts: list[str | None]
    location_id: str | None
    children: list[str] = field(default_factory=list)
    comment_enabled: bool = True  # POST /{ig-media-id} with comment_enabled=false turns comments off

    @property
    def permalink(self) -> str:
        return f"https://www.instagram.com/p/{self.shortcode}/"


@dataclass
class FbComment:
    """A comment on a Facebook post or photo. `object_id` is what it is on (a single-photo post's photo id);
    `author` is `{"id", "name"}`, or None when Facebook leaves `from` out (a person who did not allow it);
    `parent_id` is the top-level comment a reply is under (None for a top-level comment)."""

    id: str
    object_id: str
    message: str
    author: dict | None
    created_time: int
    parent_id: str | None = None
    seq: int = 0


@dataclass
class IgComment:
    """A comment on an Instagram media; `parent_id` is the top-level comment a reply is under."""

    id: str
    media_id: str
    text: str
    username: str
    user_id: str
    timestamp: int
    parent_id: str | None = None
    hidden: bool = False
    seq: int = 0


@dataclass
class Edit:
    """One accepted change: `field` ("message" of a Facebook post, "comment_enabled" of an IG media) went from
    `before` to `after` at `at` (on `graph.clock`)."""

    object_id: str
    field: str
    before: object
    after: object
    at: int


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
    raw = re.sub(r"\([^()]*\)", "", raw)  # modifiers' arguments, e.g. summary(total_count,can_comment)
    return [re.sub(r"\..*$", "", f).strip() for f in raw.split(",") if f.strip()]


def _split_top(raw: str) -> list[str]:
    """`a,b{c,d},e.summary(x,y)` -> ["a", "b{c,d}", "e.summary(x,y)"]: commas inside {} or () do not split."""
    parts, depth, start = [], 0, 0
    for index, char in enumerate(raw):
        depth += 1 if char in "{(" else -1 if char in "})" else 0
        if char == "," and depth == 0:
            parts.append(raw[start:index])
            start = index + 1
    parts.append(raw[start:])
    return [part.strip() for part in parts if part.strip()]


def _modifiers(query: dict[str, str], name: str) -> dict[str, str]:
    """The modifiers of `name` in `fields`: `comments.summary(total_count).limit(0)` -> {"summary": "total_count",
    "limit": "0"}; {} when it has none or is not asked for."""
    for piece in _split_top(query.get("fields") or ""):
        while re.search(r"\{[^{}]*\}", piece):
            piece = re.sub(r"\{[^{}]*\}", "", piece)
        head = re.match(r"\s*(\w+)", piece)
        if head and head.group(1) == name:
            return dict(re.findall(r"\.(\w+)\(([^()]*)\)", piece))
    return {}


def _edge_query(query: dict[str, str], name: str) -> dict[str, str]:
    """The selection inside `name{...}` of `fields` (nested braces kept) as a query of its own, or {}."""
    for piece in _split_top(query.get("fields") or ""):
        head = re.match(r"\s*(\w+)", piece)
        start = piece.find("{")
        if not head or head.group(1) != name or start < 0:
            continue
        depth = 0
        for index in range(start, len(piece)):
            depth += 1 if piece[index] == "{" else -1 if piece[index] == "}" else 0
            if depth == 0:
                return {"fields": piece[start + 1:index]}
    return {}


def _check_fields(kind: str, asked: list[str], known: set[str]) -> None:
    """Meta's nonexisting-field error for a list's items, given even when the list is empty."""
    for name in asked:
        if name not in known:
            raise GraphError(400, 100, f"(#100) Tried accessing nonexisting field ({name}) on node type ({kind})")


def _select(kind: str, value: dict, subfields: list[str]) -> dict:
    """The `subfields` of a nested object (`from{id}`); an unknown one is Meta's nonexisting-field error."""
    for name in subfields:
        if name not in value:
            raise GraphError(400, 100, f"(#100) Tried accessing nonexisting field ({name}) on node type ({kind})")
    return {name: value[name] for name in subfields if value[name] is not None}


def _item_cursor(kind: str, item_id: str) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{item_id}".encode()).decode().rstrip("=")


def _item_uncursor(kind: str, cursor: str) -> str | None:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    return text.removeprefix(f"{kind}:") if text.startswith(f"{kind}:") else None


def _seconds(when: float | datetime | None, clock) -> int:
    """Unix seconds from a number, an aware datetime, or None (now, on `clock`)."""
    if when is None:
        return int(clock())
    return int(when.timestamp()) if isinstance(when, datetime) else int(when)


def _subfields(query: dict[str, str], name: str, default: list[str]) -> list[str]:
    """The names inside `name{a,b}` of `fields` (one level), or `default`."""
    found = re.search(rf"(?:^|,)\s*{re.escape(name)}\s*\{{([^{{}}]*)\}}", query.get("fields") or "")
    return [f.strip() for f in found.group(1).split(",") if f.strip()] if found else default


def _ig_error(code: int, subcode: int | None, user_msg: str, message: str | None = None, title: str | None = None,
              status: int = 400) -> GraphError:
    """Instagram's content-publishing errors: `error_user_msg` carries the documented text (docs/platforms.md G4).
    `message` is Meta's own where a real reply was seen (9004, 9007, 36000), else the documented text again."""
    extra = {"error_user_msg": user_msg} | ({"error_user_title": title} if title else {})
    return GraphError(status, code, message or user_msg, subcode, is_transient=False, **extra)


def _fetch_error(uri: str) -> GraphError:
    return _ig_error(9004, 2207052, f"The media could not be fetched from this uri: {uri}",
                     "Only photo or video can be accepted as media type.", "Media download has failed.")


def _is_loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


class _LoopbackRedirects(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only to a loopback host, so no test can ever make the fake reach the internet."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        target = urlsplit(newurl)
        if target.scheme not in ("http", "https") or not _is_loopback(target.hostname):
            raise urllib.error.URLError(f"redirect to a non-loopback address refused: {newurl}")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _image_format(data: bytes, content_type: str) -> str:
    """What the fetched bytes are, by their first bytes, else by the Content-Type ("png", "html", ...)."""
    for magic, name in ((b"\xff\xd8\xff", "jpeg"), (b"\x89PNG\r\n\x1a\n", "png"), (b"GIF8", "gif"), (b"BM", "bmp"),
                        (b"II*\x00", "tiff"), (b"MM\x00*", "tiff")):
        if data.startswith(magic):
            return name
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftypavif"):
        return "heic" if b"hei" in data[8:12] else "avif"
    return content_type.split("/")[-1].split(";")[0].strip() or "unknown"


def _cursor(media_id: str) -> str:
    return base64.urlsafe_b64encode(f"ig-media:{media_id}".encode()).decode().rstrip("=")


def _uncursor(cursor: str) -> str | None:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    return text.removeprefix("ig-media:") if text.startswith("ig-media:") else None


def _hashtags(caption: str) -> int:
    return len(re.findall(r"(?<![\w#])#\w+", caption))


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

    do_POST = do_DELETE = do_HEAD = do_GET

    def log_message(self, format, *args):
        pass  # quiet


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # quiet; bugs in the fake land in graph.crashes instead


class FakeGraph:
    """A fake Graph API for one Page. Use as a context manager or call start()/stop(). Thread-safe."""

    def __init__(self, page_id: str = "111222333444555", page_name: str = "Sokasi Tigawasa", version: str = "v25.0",
                 ig_scopes: bool = False, engagement_scopes: bool = False, ig_comment_scopes: bool = False):
        """`version` is the one the client should use; other versions are answered too, and visible in `Call.version`.

        `ig_scopes=True` gives the Page token instagram_basic and instagram_content_publish too (IG_SCOPES). Off by
        default: the Facebook side's tests read the token's exact permissions from debug_token. Likewise
        `engagement_scopes=True` adds pages_manage_engagement (replying as the Page, ENGAGEMENT_SCOPES) and
        `ig_comment_scopes=True` adds instagram_manage_comments (IG_COMMENT_SCOPES).
        """
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
        # The Instagram professional account linked to the Page (docs/platforms.md G5).
        self.ig_user_id, self.ig_username = "17841400000000001", "sokasi.tigawasa"
        self.ig_linked = True  # False: the Page has no instagram_business_account and the account's ids are unknown
        self.ig_processing_seconds = 0.0  # a container stays IN_PROGRESS this long after its creation (on `clock`)
        self.ig_quota_total = 100  # posts per 24 h through the publishing API (docs/platforms.md G3)
        self.ig_alt_text_supported = True  # False: `alt_text` is refused with error 100, as before Meta added it
        self.ig_ssl_context: ssl.SSLContext | None = None  # for an https image_url on 127.0.0.1 (e.g. trustme's)
        self.ig_fetch_timeout = IG_FETCH_TIMEOUT  # seconds the fake waits for an image_url before "could not be fetched"
        self._ig_containers: dict[str, IgContainer] = {}
        self._ig_media: dict[str, IgMedia] = {}
        self._ig_children: dict[str, tuple[str, int]] = {}  # child media id -> (album id, index)
        self._ig_failing = 0
        self._ig_ids = itertools.count(17_890_000_000_000_001)
        # Engagement (docs/platforms.md E1, E2).
        self._comments: dict[str, FbComment] = {}
        self._ig_comments: dict[str, IgComment] = {}
        self._reactions: dict[str, int] = {}  # by the object the counts are on (see _target)
        self._shares: dict[str, int] = {}
        self._ig_likes: dict[str, int] = {}
        self._edits: list[Edit] = []
        self._people: dict[str, str] = {}  # a commenter's name (or IG username) -> the id the fake gave them
        self._comment_ids = itertools.count(2_000_000_000_000_001)
        self._person_ids = itertools.count(3_000_000_000_000_001)
        self._seq = itertools.count(1)  # creation order, which breaks ties between equal timestamps
        extra = (IG_SCOPES if ig_scopes else []) + (ENGAGEMENT_SCOPES if engagement_scopes else []) + (
            IG_COMMENT_SCOPES if ig_comment_scopes else [])
        self.add_token(self.page_token, scopes=PAGE_SCOPES + extra if extra else None)
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

    @property
    def ig_media(self) -> list[IgMedia]:
        """Every published Instagram media, oldest first."""
        with self._lock:
            return list(self._ig_media.values())

    @property
    def ig_containers(self) -> dict[str, IgContainer]:
        """Every Instagram container made, by id (published, expired and failed ones too)."""
        with self._lock:
            return dict(self._ig_containers)

    def ig_status(self, container_id: str) -> str:
        """A container's status_code now: IN_PROGRESS, FINISHED, ERROR, EXPIRED or PUBLISHED."""
        with self._lock:
            return self._ig_status(self._ig_containers[container_id])[0]

    def ig_fail_processing(self, n: int = 1) -> None:
        """The next `n` containers made end in status ERROR once processed."""
        with self._lock:
            self._ig_failing += n

    # -- engagement: seeding and inspection (docs/platforms.md E1, E2) ------------------------------------------------
    def add_comment(self, post_id: str, message: str, name: str = "Made Wirawan", from_id: str | None = None,
                    created_time: float | datetime | None = None, parent_id: str | None = None,
                    hide_from: bool = False) -> str:
        """A person's comment on a post or photo (a reply when `parent_id` names a comment on it); returns its id.

        `from_id` defaults to one id per `name`; `hide_from=True` leaves `from` out, as Facebook does for people who
        did not allow it. `created_time` (unix seconds or an aware datetime) defaults to now on `clock`. A reply to a
        reply is attached to the top-level comment, as the API's replies are.
        """
        with self._lock:
            target = self._target(post_id)
            if target is None:
                raise KeyError(f"no post or photo {post_id!r}")
            if parent_id is not None and (parent_id not in self._comments or self._comments[parent_id].object_id != target):
                raise KeyError(f"no comment {parent_id!r} on {post_id!r}")
            author = None if hide_from else {"id": from_id or self._person(name), "name": name}
            return self._new_comment(target, message, author, _seconds(created_time, self.clock), parent_id).id

    def set_reactions(self, post_id: str, n: int) -> None:
        """The post's (or photo's) reactions count."""
        with self._lock:
            self._reactions[self._target(post_id) or post_id] = n

    def set_shares(self, post_id: str, n: int) -> None:
        """The post's shares count (0: Graph leaves `shares` out)."""
        with self._lock:
            self._shares[self._target(post_id) or post_id] = n

    @property
    def comments(self) -> list[FbComment]:
        """Every Facebook comment and reply (the Page's own too), oldest first."""
        with self._lock:
            return sorted(self._comments.values(), key=lambda c: (c.created_time, c.seq))

    @property
    def edits(self) -> list[Edit]:
        """Every accepted change of a post's text (and of an IG media's comment_enabled), in order."""
        with self._lock:
            return list(self._edits)

    def add_ig_comment(self, media_id: str, text: str, username: str = "made.wirawan", timestamp: float | datetime | None = None,
                       parent_id: str | None = None, hidden: bool = False) -> str:
        """A comment on a published Instagram media (a reply when `parent_id` names one of its comments); returns its
        id. A reply to a reply goes under the top-level comment, as Meta documents. `hidden=True`: hidden by the
        account (still listed to it, with `hidden: true`; no reply can be made to it)."""
        with self._lock:
            if media_id not in self._ig_media:
                raise KeyError(f"no published Instagram media {media_id!r}")
            if parent_id is not None and (parent_id not in self._ig_comments or self._ig_comments[parent_id].media_id != media_id):
                raise KeyError(f"no comment {parent_id!r} on {media_id!r}")
            user_id = self.ig_user_id if username == self.ig_username else self._person("@" + username)
            return self._new_ig_comment(media_id, text, username, user_id, _seconds(timestamp, self.clock), parent_id,
                                        hidden).id

    def add_ig_media(self, caption: str = "", timestamp: float | datetime | None = None) -> str:
        """Seed a published single-image Instagram media (as if posted earlier, no container flow); returns its id."""
        buffer = io.BytesIO()
        Image.new("RGB", (8, 8), (200, 160, 100)).save(buffer, "JPEG")
        with self._lock:
            shortcodes = {media.shortcode for media in self._ig_media.values()}
            while (shortcode := secrets.token_urlsafe(8)) in shortcodes:
                pass
            media = IgMedia(str(next(self._ig_ids)), caption, _seconds(timestamp, self.clock), shortcode, "IMAGE", "",
                            [buffer.getvalue()], [[]], [None], None)
            self._ig_media[media.id] = media
            return media.id

    def set_ig_likes(self, media_id: str, n: int) -> None:
        """The Instagram media's like count."""
        with self._lock:
            self._ig_likes[media_id] = n

    @property
    def ig_comments(self) -> list[IgComment]:
        """Every Instagram comment and reply (the account's own too), oldest first."""
        with self._lock:
            return sorted(self._ig_comments.values(), key=lambda c: (c.timestamp, c.seq))

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
        elif isinstance(payload, bytes):  # the photo CDN
            self._send(h, status, payload, "image/jpeg" if status == 200 else "text/plain; charset=utf-8", served)
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
        if h.command != "HEAD":
            h.wfile.write(body)

    def _act(self, call: Call, parts: list[str]) -> tuple[int, dict | bytes]:
        try:
            if re.fullmatch(r"/cdn/[^/]+", call.path):
                return self._cdn(call)
            fetched = None
            if call.method == "POST" and self.ig_linked and parts == [self.ig_user_id, "media"] and "image_url" in call.form:
                # Meta fetches image_url itself. Everything that needs no image is checked first; the fetch runs
                # outside the lock, as the URL may be this very server (the Page-photo CDN, docs/platforms.md G6).
                with self._lock:
                    self._ig_caller(self._authenticate(call.token), IG_PUBLISH_SCOPES, "post")
                    self._ig_parameters(call.form)
                fetched = self._ig_fetch(call.form["image_url"])
            with self._lock:
                self._publish_due()
                return 200, self._route(call, parts, self._authenticate(call.token), fetched)
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

    def _route(self, call: Call, parts: list[str], who: Token, fetched: tuple[bytes, str] | None = None) -> dict:
        method, edge = call.method, parts[1] if len(parts) == 2 and parts[0] == self.page_id else None
        if self.ig_linked and parts and (parts[0] == self.ig_user_id or parts[0] in self._ig_containers
                                         or parts[0] in self._ig_media or parts[0] in self._ig_children
                                         or parts[0] in self._ig_comments):
            answer = self._ig_route(call, parts, who, fetched)
            if answer is not None:
                return answer
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
        answer = self._engagement_route(call, parts, who)
        if answer is not None:
            return answer
        known = len(parts) == 1 and (parts[0] in (self.page_id, self.user_id) or parts[0] in self._photos or parts[0] in self._posts)
        if method == "GET" and known:
            return self._node(parts[0], call.query, who)
        # No POST /{photo-id}: the Photo reference says of updating "You can't perform this operation on this
        # endpoint", so alt text sent after the upload gets the generic "Unsupported post request" below.
        if method == "DELETE" and known and parts[0] in {**self._photos, **self._posts}:
            self._require_admin(who)
            self._delete(parts[0])
            return {"success": True}
        raise self._unsupported(method, (parts or [""])[0])

    @staticmethod
    def _unsupported(method: str, object_id: str) -> GraphError:
        return GraphError(400, 100, f"Unsupported {method.lower()} request. Object with ID '{object_id}' does not exist, "
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
            if kind == "Page":
                # Absent (not null) when no Instagram account is linked; reading it needs instagram_basic (the
                # fake's strict choice: Meta's answer without it is not documented).
                values["instagram_business_account"] = {"id": self.ig_user_id} if self.ig_linked else None
                if "instagram_business_account" in _fields(query, default) and "instagram_basic" not in who.scopes:
                    raise GraphError(403, 10, IG_PERMISSION_MESSAGE)
        elif photo := self._photos.get(node_id):
            kind, default = "Photo", ["created_time"]
            values = {"id": node_id, "created_time": _iso(photo.created_time), "permalink_url": self._permalink(node_id),
                      "alt_text_custom": photo.alt_text, "images": self._photo_images(photo)}
            values |= self._engagement_fields(node_id, query, who, _fields(query, default), shares=False)
        else:
            post = self._posts[node_id]
            kind, default = "PagePost", ["created_time", "message"]
            values = {"id": post.id, "message": post.message or None, "created_time": _iso(post.created_time),
                      "permalink_url": self._permalink(post.id), "is_published": post.published,
                      "scheduled_publish_time": None if post.published else post.scheduled_publish_time}
            values |= self._engagement_fields(node_id, query, who, _fields(query, default), shares=True)
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

    # -- the Page-photo CDN (docs/platforms.md G6) -----------------------------------------------------------------
    def _photo_images(self, photo: Photo) -> list[dict]:
        """The Photo node's `images`: one rendition, served by the fake's CDN without a token."""
        try:
            with Image.open(io.BytesIO(photo.data)) as image:
                width, height = image.size
        except Exception:  # noqa: BLE001 - the upload checks only the first bytes
            width = height = 0
        return [{"source": f"{self.url}/cdn/{photo.id}.jpg", "width": width, "height": height}]

    def _cdn(self, call: Call) -> tuple[int, bytes]:
        """GET /cdn/<photo-id>.jpg: the photo's bytes as image/jpeg, for anyone with the URL (published or not)."""
        if call.method not in ("GET", "HEAD"):
            return 405, b"Method not allowed"
        with self._lock:
            photo = self._photos.get(call.path.removeprefix("/cdn/").removesuffix(".jpg"))
        return (200, photo.data) if photo is not None else (404, b"Not found")

    # -- Instagram content publishing (docs/platforms.md G1-G5; called with the lock held unless said) --------------
    def _ig_caller(self, who: Token, scopes: set[str], method: str = "get") -> Token:
        """The token may act on the Instagram account: this Page's token (or a user's) with `scopes`."""
        if who.kind == "APP" or (who.kind == "PAGE" and who.id != self.page_id):
            raise self._unsupported(method, self.ig_user_id)  # another Page's token cannot see this account
        if not scopes <= set(who.scopes):
            raise GraphError(403, 10, IG_PERMISSION_MESSAGE)
        return who

    def _ig_route(self, call: Call, parts: list[str], who: Token, fetched: tuple[bytes, str] | None) -> dict | None:
        """The Instagram account's endpoints and its containers' and media's nodes; None: not one of them."""
        method, node = call.method, parts[0]
        if node == self.ig_user_id:
            edge = parts[1] if len(parts) == 2 else None
            if method == "GET" and len(parts) == 1:
                self._ig_caller(who, IG_READ_SCOPES)
                return self._ig_pick("IGUser", {"id": node, "username": self.ig_username, "name": self.page_name,
                                                "media_count": len(self._ig_media)}, call.query)
            if method == "POST" and edge == "media":
                self._ig_caller(who, IG_PUBLISH_SCOPES, "post")
                return self._ig_create(call.form, fetched)
            if method == "POST" and edge == "media_publish":
                self._ig_caller(who, IG_PUBLISH_SCOPES, "post")
                return self._ig_publish(call.form)
            if method == "GET" and edge == "media":
                self._ig_caller(who, IG_READ_SCOPES)
                return self._ig_listing(call)
            if method == "GET" and edge == "content_publishing_limit":
                self._ig_caller(who, IG_READ_SCOPES)
                return self._ig_limit(call.query)
            return None
        if node in self._ig_media or node in self._ig_comments:
            answer = self._ig_engagement_route(call, parts, who)
            if answer is not None:
                return answer
        if method != "GET" or len(parts) != 1:
            return None  # no update or delete of containers or media through the API
        self._ig_caller(who, IG_READ_SCOPES)
        if container := self._ig_containers.get(node):
            code, text = self._ig_status(container)
            return self._ig_pick("ShadowIGMediaBuilder", {"id": node, "status_code": code, "status": text}, call.query)
        return self._ig_media_node(node, call.query)

    @staticmethod
    def _ig_pick(kind: str, values: dict, query: dict[str, str], default: list[str] | None = None) -> dict:
        """The requested `fields` of a node (plus id); an unknown field is Meta's error 100, as in _node."""
        result = {}
        for name in [*_fields(query, default or []), "id"]:
            if name not in values:
                raise GraphError(400, 100, f"(#100) Tried accessing nonexisting field ({name}) on node type ({kind})")
            if values[name] is not None:
                result[name] = values[name]
        return result

    def _ig_parameters(self, form: dict[str, str]) -> dict:
        """Check a container's parameters, everything but the image (also before the fetch, without it).

        Strict where Meta does not document (the fake's choices): a carousel container takes no image_url, user_tags
        or alt_text (they belong on its items); a carousel item takes no location_id or children; media_type other
        than IMAGE or CAROUSEL (video, reels, stories) is refused, the fake having none; a child that is unknown or
        EXPIRED is 24/2207006 "media not found"; a child that is not a carousel item, already in a carousel, listed
        twice or not FINISHED is error 100.
        """
        media_type = form.get("media_type", "")
        item = self._flag(form, "is_carousel_item", False)
        if media_type not in ("", "IMAGE", "CAROUSEL") or (media_type == "CAROUSEL" and item):
            raise GraphError(400, 100, f"(#100) Param media_type {media_type!r} is not supported here (IMAGE or CAROUSEL; "
                             "a carousel is not a carousel item)")
        kind = "CAROUSEL" if media_type == "CAROUSEL" else "CAROUSEL_ITEM" if item else "IMAGE"
        refused = ("image_url", "user_tags", "alt_text") if kind == "CAROUSEL" else ("children",) + (
            ("location_id",) if kind == "CAROUSEL_ITEM" else ())
        for name in refused:
            if name in form:
                raise GraphError(400, 100, f"(#100) Param {name} is not allowed on a {kind.lower().replace('_', ' ')} "
                                 "container")
        if kind != "CAROUSEL" and not form.get("image_url"):
            raise GraphError(400, 100, "(#100) The parameter image_url is required")
        caption = "" if kind == "CAROUSEL_ITEM" else form.get("caption", "")  # an item's caption is ignored
        if len(caption.encode("utf-16-le")) // 2 > IG_MAX_CAPTION:  # counted in UTF-16 units: the stricter count
            raise _ig_error(36004, 2207010, f"The caption is too long: at most {IG_MAX_CAPTION} characters are allowed.")
        if "alt_text" in form and not self.ig_alt_text_supported:
            raise GraphError(400, 100, "(#100) Invalid parameter alt_text", error_user_title="Invalid parameter")
        location = form.get("location_id")
        if location is not None and not location.isdigit():
            raise GraphError(400, 100, "(#100) Param location_id must be a valid Facebook place ID")
        children = [c.strip() for c in form.get("children", "").split(",") if c.strip()] if kind == "CAROUSEL" else []
        if kind == "CAROUSEL":
            self._ig_check_children(children)
        return {"kind": kind, "caption": caption, "user_tags": self._ig_user_tags(form.get("user_tags")),
                "alt_text": form.get("alt_text"), "location_id": location, "children": children}

    @staticmethod
    def _ig_user_tags(raw: str | None) -> list[dict]:
        if raw is None:
            return []
        try:
            tags = json.loads(raw)
        except ValueError:
            tags = None
        if not isinstance(tags, list):
            raise GraphError(400, 100, "(#100) Param user_tags must be a JSON array")
        if len(tags) > IG_MAX_USER_TAGS:
            raise _ig_error(100, 2207040, f"Cannot use more than {IG_MAX_USER_TAGS} tags per created media.")
        for tag in tags:
            where = [tag.get(k) if isinstance(tag, dict) else None for k in ("x", "y")]
            if not (isinstance(tag, dict) and isinstance(tag.get("username"), str) and tag["username"]
                    and all(isinstance(v, int | float) and not isinstance(v, bool) and 0 <= v <= 1 for v in where)):
                raise GraphError(400, 100, "(#100) Param user_tags: each tag needs a username and x, y from 0.0 to 1.0")
        return tags

    def _ig_check_children(self, children: list[str]) -> None:
        if not 2 <= len(children) <= 10:
            raise _ig_error(100, 2207028, f"A carousel must have between 2 and 10 items; this one has {len(children)}.")
        for index, child in enumerate(children):
            container = self._ig_containers.get(child)
            if container is None or self._ig_status(container)[0] == "EXPIRED":
                raise _ig_error(24, 2207006, f"The media with id {child} cannot be found.")
            if container.kind != "CAROUSEL_ITEM":
                raise GraphError(400, 100, f"(#100) The media {child} is not a carousel item (is_carousel_item=true)")
            if container.used_in or container.media_id or child in children[:index]:
                raise GraphError(400, 100, f"(#100) The carousel item {child} is already in a carousel")
            if (status := self._ig_status(container)[0]) != "FINISHED":
                raise GraphError(400, 100, f"(#100) The carousel item {child} is not ready: its status is {status}")

    def _ig_fetch(self, uri: str) -> tuple[bytes, str]:
        """GET `uri` as Meta's fetcher would (without the lock): (at most 8 MiB + 1 bytes, Content-Type).

        Only http(s) on a loopback address, redirects included: any other host is answered like an unreachable one.
        """
        target = urlsplit(uri)
        if target.scheme not in ("http", "https") or not _is_loopback(target.hostname):
            raise _fetch_error(uri)
        handlers: list = [urllib.request.ProxyHandler({}), _LoopbackRedirects()]
        if self.ig_ssl_context is not None:
            handlers.append(urllib.request.HTTPSHandler(context=self.ig_ssl_context))
        try:
            request = urllib.request.Request(uri, headers={"User-Agent": "facebookexternalhit/1.1"})
            with urllib.request.build_opener(*handlers).open(request, timeout=self.ig_fetch_timeout) as reply:
                if reply.status != 200:
                    raise _fetch_error(uri)
                return reply.read(IG_MAX_IMAGE_BYTES + 1), reply.headers.get("Content-Type", "")
        except (OSError, http.client.HTTPException, ValueError):  # URLError, HTTPError, timeouts, resets
            raise _fetch_error(uri) from None

    @staticmethod
    def _ig_check_image(data: bytes, content_type: str) -> None:
        """JPEG (bytes and Content-Type), at most 8 MiB, aspect ratio from 4:5 to 1.91:1 (docs/platforms.md G4, I7)."""
        if len(data) > IG_MAX_IMAGE_BYTES:
            raise _ig_error(36000, 2207004, "The image is too large to download. It should be less than 8 MiB.",
                            "The image size is too large.", "Image size too large")
        found, mime = _image_format(data, content_type), content_type.split(";")[0].strip().lower()
        if found != "jpeg" or mime != "image/jpeg":
            shown = found if found != "jpeg" else _image_format(b"", content_type)
            raise _ig_error(36001, 2207005, f"The image format {shown} is not supported. Supported formats are: JPEG")
        try:
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
        except Exception:  # noqa: BLE001 - whatever PIL cannot read, Meta cannot either
            raise _ig_error(36001, 2207005, "The image format unknown is not supported. Supported formats are: JPEG") from None
        if not 0.8 <= width / height <= 1.91:
            raise _ig_error(36003, 2207009, f"The submitted image with aspect ratio ('{width}/{height}') cannot be "
                            "published. Please submit an image with a valid aspect ratio.")

    def _ig_create(self, form: dict[str, str], fetched: tuple[bytes, str] | None) -> dict:
        params = self._ig_parameters(form)
        container = IgContainer(str(next(self._ig_ids)), params["kind"], None,
                                {k: v for k, v in form.items() if k != "access_token"}, self.clock(),
                                form.get("image_url"), params["caption"], params["user_tags"], params["alt_text"],
                                params["location_id"], params["children"])
        if container.kind == "CAROUSEL":
            for child in container.children:  # checked by _ig_parameters (again, under this lock)
                self._ig_containers[child].used_in = container.id
        else:
            if fetched is None:
                raise _fetch_error(form["image_url"])
            self._ig_check_image(*fetched)
            container.data = fetched[0]
        if self._ig_failing:
            self._ig_failing -= 1
            container.error = IG_PROCESSING_ERROR
        self._ig_containers[container.id] = container
        return {"id": container.id}

    def _ig_status(self, container: IgContainer) -> tuple[str, str]:
        """(status_code, status) now, on `clock` (docs/platforms.md G2)."""
        now = self.clock()
        if container.media_id:
            code = "PUBLISHED"
        elif container.created_at + IG_CONTAINER_LIFETIME <= now:
            code = "EXPIRED"
        elif now < container.created_at + self.ig_processing_seconds:
            code = "IN_PROGRESS"
        elif container.error:
            return "ERROR", container.error
        else:
            code = "FINISHED"
        return code, IG_STATUS_TEXT[code]

    def _ig_quota_usage(self) -> int:
        """Media published in the last 24 hours on `clock`; a carousel counts as one (docs/platforms.md G3)."""
        since = self.clock() - 86400
        return sum(1 for media in self._ig_media.values() if media.timestamp > since)

    def _ig_publish(self, form: dict[str, str]) -> dict:
        """Publish a FINISHED image or carousel container. Strict where Meta does not document: a container already
        published is refused like an expired one (24/2207008), never published twice; a carousel item alone is 100."""
        creation_id = form.get("creation_id")
        if not creation_id:
            raise GraphError(400, 100, "(#100) The parameter creation_id is required")
        container = self._ig_containers.get(creation_id)
        status = self._ig_status(container)[0] if container else "UNKNOWN"
        if status in ("UNKNOWN", "EXPIRED", "PUBLISHED"):
            raise _ig_error(24, 2207008, f"The media builder with creation id = {creation_id} does not exist or has "
                            "been expired.")
        if container.kind == "CAROUSEL_ITEM":
            raise GraphError(400, 100, f"(#100) The media {creation_id} is a carousel item: publish its carousel instead")
        if status != "FINISHED":
            raise _ig_error(9007, 2207027, "The media is not ready for publishing, please wait for a moment",
                            "Media ID is not available", "Media not ready for publishing")
        if self._ig_quota_usage() >= self.ig_quota_total:
            raise _ig_error(9, 2207042, "You reached maximum number of posts that is allowed to be published by "
                            "Content Publishing API.")
        items = [container] if container.kind == "IMAGE" else [self._ig_containers[c] for c in container.children]
        shortcodes = {media.shortcode for media in self._ig_media.values()}
        while (shortcode := secrets.token_urlsafe(8)) in shortcodes:
            pass
        # More than 5 hashtags: the caption is dropped, the photo still posts (docs/platforms.md I1, the worst case).
        caption = "" if _hashtags(container.caption) > IG_MAX_HASHTAGS else container.caption
        media = IgMedia(str(next(self._ig_ids)), caption, int(self.clock()), shortcode,
                        "IMAGE" if container.kind == "IMAGE" else "CAROUSEL_ALBUM", container.id,
                        [item.data or b"" for item in items], [item.user_tags for item in items],
                        [item.alt_text for item in items], container.location_id)
        if container.kind == "CAROUSEL":
            media.children = [str(next(self._ig_ids)) for _ in items]
            for index, child in enumerate(media.children):
                self._ig_children[child] = (media.id, index)
        for published in (container, *(items if container.kind == "CAROUSEL" else ())):
            published.media_id = media.id
        self._ig_media[media.id] = media
        return {"id": media.id}

    def _ig_limit(self, query: dict[str, str]) -> dict:
        values = {"quota_usage": self._ig_quota_usage(),
                  "config": {"quota_total": self.ig_quota_total, "quota_duration": 86400}}
        entry = {}
        for name in _fields(query, ["quota_usage"]):
            if name not in values:
                raise GraphError(400, 100, f"(#100) Tried accessing nonexisting field ({name}) on node type "
                                 "(ContentPublishingLimit)")
            entry[name] = values[name]
        return {"data": [entry]}

    def _ig_media_node(self, media_id: str, query: dict[str, str]) -> dict:
        """An IG media (or a carousel's child) with the requested fields; `children` is a summary of the child media."""
        if media_id in self._ig_children:
            album_id, _ = self._ig_children[media_id]
            album = self._ig_media[album_id]
            values = {"id": media_id, "media_type": "IMAGE", "timestamp": _iso(album.timestamp),
                      "permalink": album.permalink, "username": self.ig_username}
            return self._ig_pick("IGMedia", values, query)
        media = self._ig_media[media_id]
        children = None
        if media.children:
            children = {"data": [self._ig_media_node(child, {"fields": ",".join(_subfields(query, "children", ["id"]))})
                                 for child in media.children]}
        values = {"id": media.id, "caption": media.caption or None, "timestamp": _iso(media.timestamp),
                  "permalink": media.permalink, "shortcode": media.shortcode, "media_type": media.media_type,
                  "media_product_type": "FEED", "like_count": self._ig_likes.get(media.id, 0),
                  "comments_count": sum(1 for c in self._ig_comments.values() if c.media_id == media.id),
                  "is_comment_enabled": media.comment_enabled,
                  "username": self.ig_username, "owner": {"id": self.ig_user_id}, "children": children}
        return self._ig_pick("IGMedia", values, query)

    def _ig_listing(self, call: Call) -> dict:
        """The account's media, newest first, `limit` (default 25) a page, with cursors and a `next` URL."""
        try:
            limit = int(call.query.get("limit") or 25)
        except ValueError:
            limit = 0
        if limit <= 0:
            raise GraphError(400, 100, "(#100) Param limit must be a positive integer")
        newest = list(self._ig_media.values())[::-1]
        start = 0
        if (after := call.query.get("after")) is not None:
            ids = [media.id for media in newest]
            if (media_id := _uncursor(after)) not in ids:
                raise GraphError(400, 100, "(#100) The after cursor is not valid")
            start = ids.index(media_id) + 1
        page = newest[start:start + limit]
        result: dict = {"data": [self._ig_media_node(media.id, call.query) for media in page]}
        if page:
            result["paging"] = {"cursors": {"before": _cursor(page[0].id), "after": _cursor(page[-1].id)}}
            if start + limit < len(newest):
                params = {"access_token": call.token or "", "limit": str(limit), "after": _cursor(page[-1].id)}
                params |= {"fields": call.query["fields"]} if call.query.get("fields") else {}
                result["paging"]["next"] = (f"{self.url}/{call.version or self.version}/{self.ig_user_id}/media?"
                                            f"{urlencode(params)}")
        return result

    # -- engagement: comments, replies, counts, edits (docs/platforms.md E1, E2; called with the lock held) ----------
    def _person(self, name: str) -> str:
        """The one id a commenter (a name, or "@" + an Instagram username) has in the fake."""
        if name not in self._people:
            self._people[name] = str(next(self._person_ids))
        return self._people[name]

    def _target(self, object_id: str) -> str | None:
        """What a post's comments and counts are on: a post with exactly one photo shares them with that photo."""
        post = self._posts.get(object_id)
        if post is not None:
            return post.photo_ids[0] if len(post.photo_ids) == 1 and post.photo_ids[0] in self._photos else post.id
        return object_id if object_id in self._photos else None

    def _new_comment(self, target: str, message: str, author: dict | None, created: int, parent_id: str | None) -> FbComment:
        if parent_id is not None:  # a reply to a reply goes under the top-level comment (the fake's strict choice)
            parent_id = self._comments[parent_id].parent_id or parent_id
        comment = FbComment(f"{target.split('_')[-1]}_{next(self._comment_ids)}", target, message, author, created,
                            parent_id, next(self._seq))
        self._comments[comment.id] = comment
        return comment

    def _new_ig_comment(self, media_id: str, text: str, username: str, user_id: str, timestamp: int,
                        parent_id: str | None, hidden: bool) -> IgComment:
        if parent_id is not None:  # "replies to a reply will be added to the top-level comment" (IG Comment Replies)
            parent_id = self._ig_comments[parent_id].parent_id or parent_id
        comment = IgComment(str(next(self._ig_ids)), media_id, text, username, user_id, timestamp, parent_id, hidden,
                            next(self._seq))
        self._ig_comments[comment.id] = comment
        return comment

    @staticmethod
    def _ordered(items: list, order: str, newest_first: bool = False) -> list:
        """Oldest first by time, then by creation; reversed for reverse_chronological."""
        ordered = sorted(items, key=lambda c: (getattr(c, "created_time", None) or getattr(c, "timestamp", 0), c.seq))
        return ordered[::-1] if newest_first or order == "reverse_chronological" else ordered

    @staticmethod
    def _order(raw: str | None) -> str:
        order = raw or "chronological"
        if order not in ("chronological", "reverse_chronological"):
            raise GraphError(400, 100, "(#100) order must be one of the following values: chronological, reverse_chronological")
        return order

    @staticmethod
    def _filter(raw: str | None) -> str:
        chosen = raw or "toplevel"
        if chosen not in ("toplevel", "stream"):
            raise GraphError(400, 100, "(#100) filter must be one of the following values: toplevel, stream")
        return chosen

    @staticmethod
    def _limit(raw: str | None, default: int = COMMENT_PAGE_SIZE) -> int:
        try:
            limit = default if raw in (None, "") else int(raw)
        except ValueError:
            limit = -1
        if limit < 0:
            raise GraphError(400, 100, "(#100) Param limit must be a non-negative integer")
        return limit

    @staticmethod
    def _summary(raw: str | None, values: dict) -> dict | None:
        """`summary=true` (every summary field), `summary=total_count,...` (those), false or absent (none)."""
        if raw is None or raw.strip().lower() in ("", "false", "0"):
            return None
        if raw.strip().lower() in ("true", "1"):
            return dict(values)
        names = [name.strip() for name in raw.split(",") if name.strip()]
        for name in names:
            if name not in values:
                raise GraphError(400, 100, f"(#100) Tried accessing nonexisting field ({name}) on the summary")
        return {name: values[name] for name in names}

    def _page(self, call: Call, items: list, kind: str, render) -> dict:
        """One page of `items` by the call's `limit` and `after`/`before` cursors, Graph-shaped: `data`, and `paging`
        with `cursors` and, when there is more, `next` (and `previous`) as full URLs carrying the token."""
        limit = self._limit(call.query.get("limit"))
        ids = [item.id for item in items]
        start, stop = 0, None
        for name in ("after", "before"):
            cursor = call.query.get(name)
            if cursor is None:
                continue
            found = _item_uncursor(kind, cursor)
            if found not in ids:
                raise GraphError(400, 100, f"(#100) The {name} cursor is not valid")
            if name == "after":
                start = ids.index(found) + 1
            else:
                stop = ids.index(found)
                start = max(0, stop - limit)
            break
        page = items[start:start + limit if stop is None else stop]
        result: dict = {"data": [render(item) for item in page]}
        if page:
            paging: dict = {"cursors": {"before": _item_cursor(kind, page[0].id), "after": _item_cursor(kind, page[-1].id)}}
            kept = {k: v for k, v in call.query.items() if k not in ("after", "before", "access_token", "limit")}
            if start + len(page) < len(items):
                paging["next"] = self._page_url(call.path, call.token, kept | {"limit": str(limit),
                                                                               "after": _item_cursor(kind, page[-1].id)})
            if start > 0:
                paging["previous"] = self._page_url(call.path, call.token, kept | {"limit": str(limit),
                                                                                   "before": _item_cursor(kind, page[0].id)})
            result["paging"] = paging
        return result

    def _page_url(self, path: str, token: str | None, params: dict[str, str]) -> str:
        return f"{self.url}{path}?{urlencode({'access_token': token or '', **params})}"

    def _engagement_route(self, call: Call, parts: list[str], who: Token) -> dict | None:
        """The Facebook comment endpoints and the post text edit; None: not one of them."""
        method, node = call.method, (parts or [""])[0]
        if len(parts) == 2 and parts[1] == "comments" and (node in self._posts or node in self._photos or node in self._comments):
            if method == "GET":
                return self._fb_comment_list(call, who, node)
            if method == "POST":
                return self._fb_write_comment(call, who, node)
        if len(parts) == 1 and node in self._comments and method == "GET":
            if not self._fb_reader(who, node):
                raise self._unsupported("get", node)
            return self._fb_comment_node(self._comments[node], call.query)
        if len(parts) == 1 and node in self._posts and method == "POST":
            return self._edit_post(call, who, self._posts[node])
        return None

    def _fb_reader(self, who: Token, node: str) -> bool:
        """May `who` read the comments on `node`: True; False for a USER token, which reads an empty list."""
        if who.kind == "APP":
            raise GraphError(403, 10, READ_PERMISSION_MESSAGE)
        if who.kind == "PAGE" and who.id != self.page_id:
            raise self._unsupported("get", node)
        if who.kind == "PAGE" and "pages_read_engagement" not in who.scopes:
            raise GraphError(403, 10, READ_PERMISSION_MESSAGE)
        return who.kind == "PAGE"

    def _fb_comments_on(self, node: str, filter_: str) -> list[FbComment]:
        """The comments on a post or photo (replies too with filter stream), or the replies under a comment."""
        if node in self._comments:
            return [c for c in self._comments.values() if c.parent_id == node]
        target = self._target(node)
        return [c for c in self._comments.values() if c.object_id == target and (filter_ == "stream" or c.parent_id is None)]

    def _fb_comment_list(self, call: Call, who: Token, node: str) -> dict:
        """GET /{post-or-photo-id}/comments and GET /{comment-id}/comments (its replies)."""
        readable = self._fb_reader(who, node)
        _check_fields("Comment", _fields(call.query, COMMENT_FIELDS), FB_COMMENT_NODE_FIELDS)  # an empty list too
        filter_, order = self._filter(call.query.get("filter")), self._order(call.query.get("order"))
        items = self._ordered(self._fb_comments_on(node, filter_), order) if readable else []
        result = self._page(call, items, "comment", lambda comment: self._fb_comment_node(comment, call.query))
        summary = self._summary(call.query.get("summary"), {"order": order, "total_count": len(items), "can_comment": True})
        return result | ({"summary": summary} if summary is not None else {})

    def _fb_comment_node(self, comment: FbComment, query: dict[str, str]) -> dict:
        """A Facebook comment with the requested fields (from{...} and parent{...} narrowed as asked)."""
        parent = self._comments.get(comment.parent_id or "")
        page_author = comment.author is not None and comment.author["id"] == self.page_id
        values = {
            "id": comment.id, "message": comment.message, "created_time": _iso(comment.created_time),
            "from": None if comment.author is None else _select("Page" if page_author else "User", comment.author,
                                                                _subfields(query, "from", ["id", "name"])),
            "parent": None if parent is None else _select("Comment", {
                "id": parent.id, "message": parent.message, "created_time": _iso(parent.created_time), "from": parent.author},
                _subfields(query, "parent", ["created_time", "from", "message", "id"])),
            "comment_count": sum(1 for c in self._comments.values() if c.parent_id == comment.id),
            "like_count": 0, "is_hidden": False, "can_comment": comment.parent_id is None,
            "permalink_url": f"https://www.facebook.com/{self.page_id}/posts/{comment.object_id.split('_')[-1]}"
                             f"?comment_id={comment.id.split('_')[-1]}",
        }
        result = {}
        for name in [*_fields(query, COMMENT_FIELDS), "id"]:
            if name not in values:
                raise GraphError(400, 100, f"(#100) Tried accessing nonexisting field ({name}) on node type (Comment)")
            if values[name] is not None:
                result[name] = values[name]
        return result

    def _fb_write_comment(self, call: Call, who: Token, node: str) -> dict:
        """POST /{comment-id}/comments (a reply) or /{post-id}/comments, written as the Page."""
        if who.kind != "PAGE" or who.id != self.page_id or "pages_manage_engagement" not in who.scopes:
            raise GraphError(403, 200, ENGAGEMENT_PERMISSION_MESSAGE)
        if "pages_read_engagement" not in who.scopes:
            raise GraphError(403, 10, READ_PERMISSION_MESSAGE)
        message = {**call.query, **call.form}.get("message", "")
        if not message.strip():
            raise GraphError(400, 100, "(#100) Missing message or attachment")
        parent = self._comments.get(node)
        target = parent.object_id if parent is not None else self._target(node)
        comment = self._new_comment(target, message, {"id": self.page_id, "name": self.page_name}, int(self.clock()),
                                    parent.id if parent is not None else None)
        return {"id": comment.id}

    def _edit_post(self, call: Call, who: Token, post: Post) -> dict:
        """POST /{post-id} with `message`: the post's text changes (a single-photo post's photo with it)."""
        self._require_admin(who)
        params = {k: v for k, v in {**call.query, **call.form}.items() if k != "access_token"}
        for name in params:
            if name != "message":
                raise GraphError(400, 100, f"(#100) Param {name} is not one the fake changes on a post (only message)")
        if "message" not in params:
            raise GraphError(400, 100, "(#100) The parameter message is required")
        if not params["message"].strip() and not post.photo_ids:
            raise GraphError(400, 100, "(#100) Missing message or attachment")
        before, post.message = post.message, params["message"]
        if len(post.photo_ids) == 1 and (photo := self._photos.get(post.photo_ids[0])) is not None:
            photo.message = post.message
        self._edits.append(Edit(post.id, "message", before, post.message, int(self.clock())))
        return {"success": True}

    def _engagement_fields(self, node_id: str, query: dict[str, str], who: Token, asked: list[str], shares: bool) -> dict:
        """A post's or photo's `reactions` and `comments` edges (with their modifiers) and `shares`, when asked."""
        values: dict = {}
        target = self._target(node_id) or node_id
        if "reactions" in asked:
            mods = _modifiers(query, "reactions")
            total = self._reactions.get(target, 0)
            edge: dict = {"data": [{"id": self._person(f"reactor {i}"), "name": f"Reactor {i}", "type": "LIKE"}
                                   for i in range(min(total, self._limit(mods.get("limit"))))]}
            summary = self._summary(mods.get("summary"), {"total_count": total, "viewer_reaction": "NONE"})
            values["reactions"] = edge | ({"summary": summary} if summary is not None else {})
        if "comments" in asked:
            values["comments"] = self._comments_edge(node_id, query, who)
        if shares and "shares" in asked:
            count = self._shares.get(target, 0)
            values["shares"] = {"count": count} if count else None  # Graph leaves it out when there are none
        return values

    def _comments_edge(self, node_id: str, query: dict[str, str], who: Token) -> dict:
        """The `comments` field of a post or photo: `comments.filter(stream).order(...).limit(n).summary(total_count)`,
        its items narrowed by `comments{...}`; total_count counts what the filter lists (top-level comments only by
        default, replies too with stream), as the Object Comments reference says of it."""
        mods = _modifiers(query, "comments")
        filter_, order, limit = self._filter(mods.get("filter")), self._order(mods.get("order")), self._limit(mods.get("limit"))
        items = self._ordered(self._fb_comments_on(node_id, filter_), order)
        sub = _edge_query(query, "comments")
        shown = [] if who.kind == "USER" else items[:limit]
        edge: dict = {"data": [self._fb_comment_node(comment, sub) for comment in shown]}
        if shown:
            edge["paging"] = {"cursors": {"before": _item_cursor("comment", shown[0].id),
                                          "after": _item_cursor("comment", shown[-1].id)}}
            if len(items) > len(shown):
                params = {"limit": str(limit), "after": _item_cursor("comment", shown[-1].id), "filter": filter_, "order": order}
                edge["paging"]["next"] = self._page_url(f"/{self.version}/{node_id}/comments", who.token,
                                                        params | ({"fields": sub["fields"]} if sub else {}))
        summary = self._summary(mods.get("summary"), {"order": order, "total_count": len(items), "can_comment": True})
        return edge | ({"summary": summary} if summary is not None else {})

    # -- Instagram comments (docs/platforms.md E2) -------------------------------------------------------------------
    def _ig_engagement_route(self, call: Call, parts: list[str], who: Token) -> dict | None:
        """An IG media's comments and update, an IG comment and its replies; None: not one of these."""
        method, node = call.method, parts[0]
        edge = parts[1] if len(parts) == 2 else None
        if node in self._ig_media:
            media = self._ig_media[node]
            if method == "GET" and edge == "comments":
                self._ig_caller(who, IG_COMMENT_READ_SCOPES)
                _check_fields("IGComment", _fields(call.query, IG_COMMENT_FIELDS), IG_COMMENT_NODE_FIELDS)
                items = self._ordered([c for c in self._ig_comments.values() if c.media_id == node and c.parent_id is None],
                                      "chronological", newest_first=True)
                return self._page(call, items, "ig-comment", lambda c: self._ig_comment_node(c, call.query, call.token))
            if method == "POST" and edge == "comments":
                self._ig_caller(who, IG_COMMENT_WRITE_SCOPES, "post")
                return self._ig_write_comment(call, media, None)
            if method == "POST" and len(parts) == 1:
                return self._ig_update_media(call, who, media)
            return None
        comment = self._ig_comments[node]
        if method == "GET" and len(parts) == 1:
            self._ig_caller(who, IG_COMMENT_READ_SCOPES)
            return self._ig_comment_node(comment, call.query, call.token)
        if method == "GET" and edge == "replies":
            self._ig_caller(who, IG_COMMENT_READ_SCOPES)
            _check_fields("IGComment", _fields(call.query, IG_COMMENT_FIELDS), IG_COMMENT_NODE_FIELDS)
            return self._page(call, self._ig_replies(comment), "ig-comment",
                              lambda c: self._ig_comment_node(c, call.query, call.token))
        if method == "POST" and edge == "replies":
            self._ig_caller(who, IG_COMMENT_WRITE_SCOPES, "post")
            return self._ig_write_comment(call, self._ig_media[comment.media_id], comment)
        return None

    def _ig_replies(self, comment: IgComment) -> list[IgComment]:
        """The replies under a top-level comment, oldest first (a reply has none: they all sit on the top level)."""
        return self._ordered([c for c in self._ig_comments.values() if c.parent_id == comment.id], "chronological")

    def _ig_comment_node(self, comment: IgComment, query: dict[str, str], token: str | None) -> dict:
        """An IG comment with the requested fields; `replies` nested (limit 25 unless `replies.limit(n)`), with a
        `paging.next` to /{ig-comment-id}/replies when there are more; left out when there are none."""
        asked = _fields(query, IG_COMMENT_FIELDS)
        values = {"id": comment.id, "text": comment.text, "timestamp": _iso(comment.timestamp), "username": comment.username,
                  "from": _select("IGCommentFromUser", {"id": comment.user_id, "username": comment.username},
                                  _subfields(query, "from", ["id", "username"])),
                  "like_count": 0, "hidden": comment.hidden, "media": {"id": comment.media_id},
                  "parent_id": comment.parent_id, "user": {"id": self.ig_user_id} if comment.user_id == self.ig_user_id else None,
                  "legacy_instagram_comment_id": None, "replies": None}
        if "replies" in asked and comment.parent_id is None and (replies := self._ig_replies(comment)):
            limit, sub = self._limit(_modifiers(query, "replies").get("limit")), _edge_query(query, "replies")
            shown = replies[:limit]
            edge: dict = {"data": [self._ig_comment_node(reply, sub, token) for reply in shown]}
            if shown:
                edge["paging"] = {"cursors": {"before": _item_cursor("ig-comment", shown[0].id),
                                              "after": _item_cursor("ig-comment", shown[-1].id)}}
                if len(replies) > len(shown):
                    params = {"limit": str(limit), "after": _item_cursor("ig-comment", shown[-1].id)}
                    edge["paging"]["next"] = self._page_url(f"/{self.version}/{comment.id}/replies", token,
                                                            params | ({"fields": sub["fields"]} if sub else {}))
            values["replies"] = edge
        return self._ig_pick("IGComment", values, query, IG_COMMENT_FIELDS)

    def _ig_write_comment(self, call: Call, media: IgMedia, parent: IgComment | None) -> dict:
        """A comment by the account on the media, or its reply under `parent` (under its top-level comment)."""
        message = {**call.query, **call.form}.get("message", "")
        if not message.strip():
            raise GraphError(400, 100, "(#100) The parameter message is required")
        root = None
        if parent is not None:
            root = self._ig_comments[parent.parent_id] if parent.parent_id else parent
            if parent.hidden or root.hidden:  # "You cannot reply to hidden comments" (the wording is the fake's)
                raise GraphError(400, 100, "(#100) You cannot reply to a hidden comment")
        if not media.comment_enabled:
            raise GraphError(400, 100, "(#100) Comments are turned off for this media")
        comment = self._new_ig_comment(media.id, message, self.ig_username, self.ig_user_id, int(self.clock()),
                                       root.id if root is not None else None, False)
        return {"id": comment.id}

    def _ig_update_media(self, call: Call, who: Token, media: IgMedia) -> dict:
        """POST /{ig-media-id}: comment_enabled only. A caption (or anything else) is the generic unsupported-request
        error: the official API cannot change a published caption (docs/platforms.md E2)."""
        params = {k: v for k, v in {**call.query, **call.form}.items() if k != "access_token"}
        self._ig_caller(who, IG_READ_SCOPES, "post")
        if set(params) - {"comment_enabled"}:
            raise self._unsupported("post", media.id)
        self._ig_caller(who, IG_COMMENT_READ_SCOPES, "post")
        if "comment_enabled" not in params:
            raise GraphError(400, 100, "(#100) The parameter comment_enabled is required")
        before, media.comment_enabled = media.comment_enabled, self._flag(params, "comment_enabled", True)
        self._edits.append(Edit(media.id, "comment_enabled", before, media.comment_enabled, int(self.clock())))
        return {"success": True}

