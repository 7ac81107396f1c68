"""Meta's Graph API, spoken for the Facebook Page and for Instagram's official publishing API; facebook-sdk only here.

Both publishers talk to graph.facebook.com with a Page token, through one `GraphSession` each. The traps of
facebook-sdk 3.1.0 are handled here once (docs/platforms.md F6): it refuses current Graph versions in its
constructor, reads its base URL from a module constant, ignores HTTP status codes, and lets requests' exceptions
(which carry the token in the URL) escape unwrapped. Every failure leaves as one of the PublishError kinds, in the
platform's own words (`GraphWords`), with every secret masked.
"""

from __future__ import annotations

import contextlib
import email.utils
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any
from urllib.parse import quote

import facebook
import requests

from sokasi_post.config import FacebookSettings, read_secret
from sokasi_post.errors import (
    BLOCKED,
    SLOW_DOWN,
    AuthError,
    PublishError,
    RejectedError,
    ThrottledError,
    TransientError,
    UnknownOutcomeError,
)
from sokasi_post.i18n import N_, _
from sokasi_post.platforms import label_of
from sokasi_post.publishers import TIMEOUT, connect_failure, redact, unreachable

log = logging.getLogger(__name__)

# Meta's error codes (developers.facebook.com/docs/graph-api/guides/error-handling; docs/platforms.md F5).
TRANSIENT_CODES = {1, 2}
SLOW_DOWN_CODES = {4, 17, 32, 341, 613} | set(range(80001, 80015))  # rate limits: app, user, Page, custom, business use case
BLOCKED_CODE = 368  # "temporarily blocked for policies violations": wait much longer, a person may need to look
AUTH_CODES = {102, 190}
PERMISSION_CODES = {3, 10} | set(range(200, 300))
DUPLICATE_CODE = 506


@dataclass(frozen=True)
class GraphWords:
    """What a platform's Graph errors say: message ids (marked with N_ where they are written), translated when said.

    `said` takes {error}; `bad_token` and `no_permission` may use {variable}, {sub}, {page} and {help}; the three
    connection texts take {error}.
    """

    said: str
    blocked: str
    slow_down: str
    bad_token: str
    no_permission: str
    broke: str
    no_answer: str
    unreadable: str
    help: str


class GraphRefusal(Exception):
    """Meta answered with its error JSON (or with something that is not JSON at all: then `code` is None)."""

    def __init__(self, error: facebook.GraphAPIError):
        body = error.result.get("error") if isinstance(error.result, dict) else None
        self.body: dict[str, Any] = body if isinstance(body, dict) else {}
        self.code = self.body.get("code")
        self.subcode = self.body.get("error_subcode")
        self.text = str(self.body.get("error_user_msg") or self.body.get("message") or error)
        super().__init__(self.body.get("message") or str(error))

    @property
    def passing(self) -> bool:
        """A proxy's page, "retry later", a rate limit or a block: not an answer about what was asked."""
        return (self.code is None or self.code in TRANSIENT_CODES | SLOW_DOWN_CODES | {BLOCKED_CODE}
                or bool(self.body.get("is_transient")))

    def names(self, field: str) -> bool:
        """Is this the invalid-parameter error (100) about `field` itself?"""
        said = f"{self.body.get('message', '')} {self.body.get('error_user_msg', '')}"
        return self.code == 100 and field in said

    def traced(self) -> str:
        """Meta's words with its trace id, worth logging (docs/platforms.md F5)."""
        trace = f" [fbtrace {self.body['fbtrace_id']}]" if self.body.get("fbtrace_id") else ""
        return f"{self.text}{trace}"


class Refused(Exception):
    """Meta answered a doctor's question with an error: its own words, for a finding rather than a failure."""

    def __init__(self, refusal: GraphRefusal):
        super().__init__(str(refusal))
        self.code = refusal.code
        self.subcode = refusal.subcode


# Said after Meta's words when a call needs a permission the token lacks (codes 3, 10, 200-299; docs/platforms.md F5).
LACKS_PERMISSION = N_(" — the token in {variable} lacks the permission {permission}, which this needs: make a new Page "
                      "token with {permission} ticked ({help})")

# A paged listing is followed this far at most (e.g. 20 pages of 50 comments): a cursor that never ends stops here.
MAX_PAGES = 20


def needing(graph: GraphSession, permission: str, help: str, call: Callable[[], Any]) -> Callable[[], Any]:
    """`call`, with Meta's "no permission" answer raised as an AuthError naming `permission`, the one this call needs,
    and where to read how to get it (`help`, a message id), instead of the general words about posting."""
    def run() -> Any:
        try:
            return call()
        except GraphRefusal as refusal:
            if refusal.code not in PERMISSION_CODES:
                raise
            raise AuthError(graph.said(refusal) + _(LACKS_PERMISSION).format(
                variable=graph.variable, permission=permission, help=_(help))) from None
    return run


def every_item(read: Callable[[str | None], dict], pages: int = MAX_PAGES) -> list[dict[str, Any]]:
    """The items of a paged Graph listing, each once (by id), newest pages included: `read(after)` fetches one page
    (`after` None: the first); `paging.cursors.after` is followed while `paging.next` says there is more, up to `pages`
    pages. A page that repeats a cursor ends it, so a listing can never loop."""
    items: dict[str, dict[str, Any]] = {}
    after: str | None = None
    seen: set[str] = set()
    for _page in range(pages):
        reply = read(after)
        data = reply.get("data")
        for item in data if isinstance(data, list) else []:
            if isinstance(item, dict) and item.get("id") is not None:
                items.setdefault(str(item["id"]), item)
        paging = mapping(reply.get("paging"))
        after = mapping(paging.get("cursors")).get("after") if paging.get("next") else None
        if not data or not after or after in seen:
            break
        seen.add(after)
    else:
        log.warning("a listing has more than %d pages; the rest was not read", pages)
    return list(items.values())


def mapping(value: object) -> dict[str, Any]:
    """`value` when it is a JSON object, else an empty one (a reply missing a part is read as far as it goes)."""
    return value if isinstance(value, dict) else {}


def refusing(call: Callable[[], Any]) -> Callable[[], Any]:
    """`call`, with Meta's error answer raised as Refused (for doctor's findings) instead of a PublishError."""
    def run() -> Any:
        try:
            return call()
        except GraphRefusal as refusal:
            if refusal.passing:
                raise  # a proxy's page, "retry later", a rate limit: request's usual translation (and retries)
            raise Refused(refusal) from None
    return run


class GraphSession:
    """One Page token speaking to the Graph API: the calls, their translation into PublishErrors, the server's clock.

    `special` may translate a refusal first (Instagram's own codes, docs/platforms.md G4); None leaves it to the
    general rules below.
    """

    def __init__(self, platform: str, settings: FacebookSettings, token: str, words: GraphWords,
                 timeout: tuple[float, float] = TIMEOUT, variable: str | None = None,
                 special: Callable[[GraphRefusal, bool], PublishError | None] | None = None):
        self.platform = platform
        self.settings = settings
        self.token = token
        self.words = words
        self.variable = variable or settings.token_env  # where the token comes from, named in messages
        self.special = special
        self.secrets = [token]  # and the app secret and app token, once read (facebook-sdk puts them in URLs)
        # The base URL is a module constant read at call time; the version must be set after construction (F6).
        facebook.FACEBOOK_GRAPH_URL = settings.graph_url + "/"
        session = requests.Session()
        self.server_time: datetime | None = None  # from the last reply's Date header, to check this computer's clock
        session.hooks["response"].append(self._note_server_time)
        self.api = facebook.GraphAPI(access_token=token, timeout=timeout, session=session)
        self.api.version = settings.api_version

    # -- the calls: Meta's error answers leave them as GraphRefusal ---------------------------------------------

    def get(self, path: str, **args: Any) -> Any:
        """GET /{path}?args."""
        with _answers():
            return self.api.get_object(path, **args)

    def post(self, parent: str, edge: str, **fields: Any) -> Any:
        """POST /{parent}/{edge} with form fields (the token goes in the body, F6)."""
        with _answers():
            return self.api.put_object(parent, edge, **fields)

    def update(self, node: str, **fields: Any) -> Any:
        """POST /{node} with form fields: changes the node itself (e.g. a post's message, docs/platforms.md E1)."""
        with _answers():
            return self.api.request(f"{self.api.version}/{node}", post_args=fields, method="POST")

    def put_photo(self, image: IO[bytes], album_path: str, **fields: Any) -> Any:
        """POST /{album_path} with the file as multipart `source` (F6)."""
        with _answers():
            return self.api.put_photo(image, album_path=album_path, **fields)

    def debug_token(self, app_id: str, secret: str) -> Any:
        """GET /debug_token about this session's token, asked as the app (docs/platforms.md F4)."""
        with _answers():
            return self.api.debug_access_token(self.token, app_id, secret)

    def app_credentials(self) -> tuple[str, str] | None:
        """The app's ID and secret from their environment variables, or None unless both are set."""
        app_id, secret = read_secret(self.settings.app_id_env), read_secret(self.settings.app_secret_env)
        if app_id and secret:
            self.secrets.extend((secret, f"{app_id}|{secret}", quote(f"{app_id}|{secret}", safe="")))
            return app_id, secret
        return None

    # -- one request, translated --------------------------------------------------------------------------------

    def request(self, call: Callable[[], Any], creates: bool) -> dict:
        """Run one Graph call; translate every failure into a PublishError whose text holds no secret.

        `creates` says the call makes something public: then a failure without a clear answer from
        Meta is an UnknownOutcomeError, never a TransientError that would invite a blind resend.
        """
        words = self.words
        try:
            result = call()
        except GraphRefusal as refusal:
            raise self.translate(refusal, creates) from None
        except requests.exceptions.RequestException as error:
            # Unresolvable, refused or silent while connecting: nothing was sent, whatever the call. Said in our words
            # only: requests' text holds the URL, token included (docs/platforms.md F6).
            reason = connect_failure(error)
            if reason is not None:
                log.info("%s cannot be reached: %s", label_of(self.platform), reason)
                raise unreachable(self.platform, reason) from None
            # Otherwise the request was on its way (the connection broke, no answer in time): it may have arrived.
            kind = UnknownOutcomeError if creates else TransientError
            said = _(words.broke) if isinstance(error, requests.exceptions.ConnectionError) else _(words.no_answer)
            raise kind(self.redacted(said, error)) from None
        except (KeyError, ValueError) as error:  # a reply without content type, or not JSON
            kind = UnknownOutcomeError if creates else TransientError
            raise kind(self.redacted(_(words.unreadable), error)) from None
        if not isinstance(result, dict):  # facebook-sdk passes on any JSON; Graph always answers an object
            kind = UnknownOutcomeError if creates else TransientError
            raise kind(_(words.unreadable).format(
                error=_("a JSON {kind} where an object was expected").format(kind=type(result).__name__)))
        return result

    def translate(self, refusal: GraphRefusal, creates: bool) -> PublishError:
        """Meta's error answer -> the kind of PublishError that tells the flow what to do (docs/platforms.md F5)."""
        words, code = self.words, refusal.code
        if code is None:  # not JSON at all, e.g. a proxy's HTML 502 page
            return (UnknownOutcomeError if creates else TransientError)(self.redacted(_(words.unreadable), refusal))
        if self.special is not None:
            special = self.special(refusal, creates)
            if special is not None:
                return special
        message = self.said(refusal)
        if code == BLOCKED_CODE:  # before is_transient, which Meta also sets on rate limits
            return ThrottledError(message + _(words.blocked), cooldown=BLOCKED)
        if code in SLOW_DOWN_CODES:
            return ThrottledError(message + _(words.slow_down), cooldown=SLOW_DOWN)
        if code in TRANSIENT_CODES or refusal.body.get("is_transient"):
            return TransientError(message)
        names = {"variable": self.variable, "sub": refusal.subcode, "page": self.settings.page_id, "help": _(words.help)}
        if code in AUTH_CODES:
            return AuthError(message + _(words.bad_token).format(**names))
        if code in PERMISSION_CODES:
            return AuthError(message + _(words.no_permission).format(**names))
        if code == DUPLICATE_CODE:
            # Meta says it already has this text: the post may well exist from an earlier attempt.
            return UnknownOutcomeError(message)
        return RejectedError(message)

    def said(self, refusal: GraphRefusal) -> str:
        """"<Platform> said: <Meta's words> [fbtrace ...]", secrets masked."""
        return self.redacted(_(self.words.said), refusal.traced())

    def redacted(self, template: str, error: object) -> str:
        """`template` with {error} filled in, every secret of this session masked."""
        return redact(template.format(error=error), self.secrets)

    # -- the server's clock -------------------------------------------------------------------------------------

    def _note_server_time(self, response: requests.Response, *args: object, **kwargs: object) -> None:
        """Keep the reply's Date for doctor's clock check; a reply without one, or with nonsense in it, is still read."""
        with contextlib.suppress(TypeError, ValueError):
            self.server_time = email.utils.parsedate_to_datetime(response.headers.get("Date") or "")


@contextlib.contextmanager
def _answers() -> Iterator[None]:
    """Meta's error answers as GraphRefusal: the publishers never see facebook-sdk's own exception."""
    try:
        yield
    except facebook.GraphAPIError as error:
        raise GraphRefusal(error) from None


def graph_time(value: object) -> datetime | None:
    """Graph's times: '2026-11-28T01:15:00+0000', ISO 8601, or unix seconds."""
    if value in (None, ""):
        return None
    if isinstance(value, int | float):
        return datetime.fromtimestamp(int(value), UTC)
    text = str(value)
    if text.isdigit():
        return datetime.fromtimestamp(int(text), UTC)
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            return None
