"""Posting on the Facebook Page through the Graph API; facebook-sdk (and requests, under it) only here.

Facts behind the surprising lines are in docs/platforms.md (F1-F7): facebook-sdk 3.1.0 refuses current
Graph versions in its constructor, reads its base URL from a module constant, ignores HTTP status codes,
lets requests' exceptions (which carry the token in the URL) escape unwrapped. Alt text goes with each upload
(F3); only an app token may call debug_token (F4); and no Graph call tells whether the app is Live (F1).
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote

import facebook
import requests

from sokasi_post.config import Settings, read_secret
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
from sokasi_post.i18n import _
from sokasi_post.models import PlannedPost, PreparedPhoto, Receipt
from sokasi_post.publishers import (
    CLOCK_MARGIN,
    SETUP_HELP,
    TIMEOUT,
    Checkpoint,
    connect_failure,
    redact,
    same_text,
    schedules_natively,
    unreachable,
    with_retries,
)

log = logging.getLogger(__name__)

# Meta's error codes (developers.facebook.com/docs/graph-api/guides/error-handling; docs/platforms.md F5).
TRANSIENT_CODES = {1, 2}
SLOW_DOWN_CODES = {4, 17, 32, 341, 613} | set(range(80001, 80015))  # rate limits: app, user, Page, custom, business use case
BLOCKED_CODE = 368  # "temporarily blocked for policies violations": wait much longer, a person may need to look
AUTH_CODES = {102, 190}
PERMISSION_CODES = {3, 10} | set(range(200, 300))
DUPLICATE_CODE = 506
ALT_TEXT_FIELD = "alt_text_custom"  # a creation parameter of POST /{page-id}/photos only (docs/platforms.md F3)
# What posting and reading need (developers.facebook.com/docs/pages-api/posts; docs/platforms.md F4).
NEEDED_SCOPES = ("pages_manage_posts", "pages_read_engagement")
EXPIRY_WARNING = timedelta(days=14)
APP_DASHBOARD = "https://developers.facebook.com/apps"


class _Refused(Exception):
    """Facebook answered a doctor's question with an error: its own words, for a finding rather than a failure."""

    def __init__(self, error: facebook.GraphAPIError):
        body = _error_body(error)
        super().__init__(body.get("message") or str(error))
        self.code = body.get("code")


class FacebookPublisher:
    """Posts on one Facebook Page with a Page access token."""

    platform = "facebook"

    def __init__(self, settings: Settings, token: str, sleep: Callable[[float], None] = time.sleep):
        self.full_settings = settings
        self.settings = settings.facebook
        self.page_id = settings.facebook.page_id
        self.token = token
        self._secrets = [token]  # and the app secret and app token, once read (facebook-sdk puts them in URLs)
        self.sleep = sleep
        self.now = lambda: datetime.now(UTC)
        # The base URL is a module constant read at call time; the version must be set after construction.
        facebook.FACEBOOK_GRAPH_URL = self.settings.graph_url + "/"
        session = requests.Session()
        self.server_time: datetime | None = None  # from the last reply's Date header, to check this computer's clock
        session.hooks["response"].append(self._note_server_time)
        self.api = facebook.GraphAPI(access_token=token, timeout=TIMEOUT, session=session)
        self.api.version = self.settings.api_version

    # -- the Publisher interface ------------------------------------------------------------------

    def check(self) -> str:
        """Is the token the Page's own token for page_id? Raise AuthError saying how to fix it.

        A Page token may read /me (the Page itself); what it may do is known only to debug_token, which
        answers an app token, never a Page token (docs/platforms.md F4): that is for `diagnose`.
        """
        me = self._request(lambda: self.api.get_object("me", fields="id,name"), creates=False)
        if str(me.get("id")) != self.page_id:
            raise AuthError(_(
                "the token in {variable} belongs to {name} ({id}), not to the Page {page}: it is a personal (user) "
                "token or another Page's token. Get the Page token for page {page} ({help})"
            ).format(variable=self.settings.token_env, name=me.get("name"), id=me.get("id"), page=self.page_id,
                     help=_(SETUP_HELP)))
        return _("Page {name} ({id})").format(name=me.get("name"), id=me.get("id"))

    def publish(self, post: PlannedPost, resume: dict[str, Any], checkpoint: Checkpoint) -> Receipt:
        """One photo: a photo post. Several: unpublished uploads, then one feed post with them attached in order."""
        message = post.caption
        when = self._native_schedule_time(post)
        photos = post.prepared
        alt = post.product.alt
        dropped: list[str] = []  # photos Facebook took only without their alt text
        if len(photos) == 1 and when is None:
            photo = photos[0]
            result = self._request(lambda: self._upload(photo, alt.get(photo.source.name), dropped,
                                                        message=message, published="true"), creates=True)
            post_id = str(result.get("post_id") or result["id"])
        else:
            photo_ids = list(resume.get("photo_ids", []))[: len(photos)]
            for photo in photos[len(photo_ids):]:
                # Unpublished photos are invisible: resending one after a lost reply cannot double-post.
                extra = {"temporary": "true"} if when else {}
                upload = partial(self._upload, photo, alt.get(photo.source.name), dropped, published="false", **extra)
                result = with_retries(partial(self._request, upload, creates=False), self.sleep)
                photo_ids.append(str(result["id"]))
                checkpoint({"photo_ids": photo_ids})
            fields = {f"attached_media[{i}]": json.dumps({"media_fbid": fbid}) for i, fbid in enumerate(photo_ids)}
            if when:
                fields.update(published="false", scheduled_publish_time=str(int(when.timestamp())))
            try:
                result = self._request(lambda: self.api.put_object(self.page_id, "feed", message=message, **fields),
                                       creates=True)
            except RejectedError:
                if not resume.get("photo_ids"):
                    raise
                # Photo ids saved by an earlier run may have expired (unpublished photos do not wait for ever;
                # docs/platforms.md F2 assumes 24 hours): upload afresh, once.
                checkpoint({"photo_ids": []})
                return self.publish(post, {}, checkpoint)
            post_id = str(result["id"])
        checkpoint({"post_id": post_id})
        problem = _("posted without alt text on {photos}: Facebook refused it").format(photos=", ".join(dropped)) \
            if dropped else None
        return Receipt(platform=self.platform, remote_id=post_id, permalink=self._permalink(post_id), at=self.now(),
                       scheduled_for=when, problem=problem)

    def diagnose(self) -> list[tuple[bool | None, str]]:
        """For `doctor`, after check(): what the Page token may read, and, with the app's ID and secret, what
        Facebook says of the token (permissions, expiry). The app's mode is never claimed: no call tells it."""
        findings: list[tuple[bool | None, str]] = [self._read_finding()]
        app = self._app_credentials()
        info: dict[str, Any] | None = None
        if app is None:
            findings.append((None, _(
                "not checked: the token's permissions and when it expires. To let doctor ask Facebook, set "
                "{id_variable} and {secret_variable} (App ID and App secret, in the App Dashboard under App settings > "
                "Basic)").format(
                id_variable=self.settings.app_id_env, secret_variable=self.settings.app_secret_env)))
        else:
            info, token_findings = self._token_findings(*app)
            findings.extend(token_findings)
        findings.append(self._app_mode_finding(info))
        return findings

    def find(self, post: PlannedPost, since: datetime) -> Receipt | None:
        """Look through the Page's recent and scheduled posts for one with this caption, made since `since`."""
        earliest = since - CLOCK_MARGIN
        for edge, field in (("posts", "created_time"), ("scheduled_posts", "scheduled_publish_time")):
            ask = partial(self.api.get_object, f"{self.page_id}/{edge}",
                          fields=f"id,message,created_time,permalink_url,{field}", limit=25)
            listing = with_retries(partial(self._request, ask, creates=False), self.sleep)
            for item in listing.get("data", []):
                created = _graph_time(item.get("created_time"))
                if same_text(item.get("message", ""), post.caption) and (created is None or created >= earliest):
                    scheduled = _graph_time(item.get("scheduled_publish_time")) if edge == "scheduled_posts" else None
                    return Receipt(platform=self.platform, remote_id=str(item["id"]), permalink=item.get("permalink_url"),
                                   at=created or self.now(), scheduled_for=scheduled)
        return None

    def clock_offset(self) -> float | None:
        """Seconds this computer's clock is ahead of Facebook's (negative: behind), after any request; else None."""
        return None if self.server_time is None else (self.now() - self.server_time).total_seconds()

    # -- helpers ----------------------------------------------------------------------------------

    def _note_server_time(self, response: requests.Response, *args: object, **kwargs: object) -> None:
        """Keep the reply's Date for doctor's clock check; a reply without one, or with nonsense in it, is still read."""
        with contextlib.suppress(TypeError, ValueError):
            self.server_time = email.utils.parsedate_to_datetime(response.headers.get("Date") or "")

    def _app_credentials(self) -> tuple[str, str] | None:
        """The app's ID and secret from their environment variables, or None unless both are set."""
        app_id, secret = read_secret(self.settings.app_id_env), read_secret(self.settings.app_secret_env)
        if app_id and secret:
            self._secrets.extend((secret, f"{app_id}|{secret}", quote(f"{app_id}|{secret}", safe="")))
            return app_id, secret
        return None

    def _read_finding(self) -> tuple[bool, str]:
        """Reading the Page's latest post is what a Page token can show of its own permissions."""
        try:
            with_retries(lambda: self._request(_refusing(lambda: self.api.get_object(
                f"{self.page_id}/posts", fields="id", limit=1)), creates=False), self.sleep)
        except _Refused as refused:
            return False, self._words(_("the token cannot read the Page's posts; Facebook said: {error}"), refused)
        except PublishError as error:
            return False, _("could not read the Page's posts: {error}").format(error=error)
        return True, _("the token can read the Page's posts")

    def _token_findings(self, app_id: str, secret: str) -> tuple[dict[str, Any] | None, list[tuple[bool, str]]]:
        """Ask debug_token, as the app, about the Page token: its app, type, permissions and expiry."""
        ids = {"id_variable": self.settings.app_id_env, "secret_variable": self.settings.app_secret_env}
        try:
            info = with_retries(lambda: self._request(_refusing(lambda: self.api.debug_access_token(
                self.token, app_id, secret)), creates=False), self.sleep).get("data") or {}
        except _Refused as refused:
            if refused.code == 100 and "did not match the viewing app" in str(refused).lower():
                return None, [(False, _(
                    "the token in {variable} was made with another Facebook app, not the one in {id_variable}: set "
                    "{id_variable} and {secret_variable} to the ID and secret of the app that made the token").format(
                    variable=self.settings.token_env, **ids))]
            return None, [(False, redact(_(
                "Facebook refused the app ID and secret in {id_variable} and {secret_variable}, so the token could "
                "not be checked; Facebook said: {error}").format(error=refused, **ids), self._secrets))]
        except PublishError as error:
            return None, [(False, _("could not ask Facebook about the token: {error}").format(error=error))]
        variable = self.settings.token_env
        if not info.get("is_valid"):
            return info, [(False, _("Facebook says the token in {variable} is no longer valid: get a new Page token "
                                    "({help})").format(variable=variable, help=_(SETUP_HELP)))]
        findings: list[tuple[bool, str]] = []
        if info.get("type") != "PAGE":
            findings.append((False, _("the token in {variable} is a {kind} token; posting needs a Page token ({help})")
                             .format(variable=variable, kind=info.get("type"), help=_(SETUP_HELP))))
        scopes = list(info.get("scopes") or [])
        missing = [scope for scope in NEEDED_SCOPES if scope not in scopes]
        if missing:
            findings.append((False, _("the token in {variable} lacks {missing}: make a new Page token with these "
                                      "permissions ({help})").format(variable=variable, missing=", ".join(missing),
                                                                     help=_(SETUP_HELP))))
        else:
            findings.append((True, _("permissions: {scopes}").format(scopes=", ".join(scopes))))
        findings.append(self._expiry_finding(info.get("expires_at")))
        return info, findings

    def _expiry_finding(self, expires: object) -> tuple[bool, str]:
        if not isinstance(expires, int):
            return True, _("Facebook did not say when the token expires")
        if expires == 0:
            return True, _("the token does not expire")
        when = datetime.fromtimestamp(expires, UTC)
        days = (when - self.now()).days
        return when - self.now() > EXPIRY_WARNING, _(
            "the token expires in {days} days ({date}): make a new one before then").format(
            days=days, date=when.date().isoformat())

    def _app_mode_finding(self, info: dict[str, Any] | None) -> tuple[bool | None, str]:
        """No Graph call says whether an app is Live (docs/platforms.md F1): never claim it, say how to look."""
        if info and info.get("app_id") and info.get("application"):
            app = _("the app {name} ({id})").format(name=info["application"], id=info["app_id"])
        elif info and info.get("app_id"):
            app = _("the app with ID {id}").format(id=info["app_id"])
        else:
            app = _("the app that made the token")
        return None, _(
            "app mode: could not be confirmed (Facebook's API does not tell). Check it by hand: open {dashboard}, "
            "choose {app}; the App Mode switch at the top must say Live. In Development mode only the app's own "
            "people see the posts, buyers see nothing").format(dashboard=APP_DASHBOARD, app=app)

    def _upload(self, photo: PreparedPhoto, alt: str | None, dropped: list[str], **fields: str) -> dict:
        """POST /{page-id}/photos with the alt text in the same request (docs/platforms.md F3).

        When Facebook refuses the alt text itself (error 100 naming the field), the photo goes up once more
        without it: the post matters more than its alt text.
        """
        if alt:
            try:
                return self._put_photo(photo.path, **fields, **{ALT_TEXT_FIELD: alt})
            except facebook.GraphAPIError as error:
                if not _refuses_field(error, ALT_TEXT_FIELD):
                    raise
                log.warning("Facebook refused the alt text of %s, uploading it without: %s", photo.source.name,
                            self._words("{error}", error))
                dropped.append(photo.source.name)
        return self._put_photo(photo.path, **fields)

    def _put_photo(self, path: Path, **fields: str) -> dict:
        with path.open("rb") as image:
            return self.api.put_photo(image, album_path=f"{self.page_id}/photos", **fields)

    def _permalink(self, post_id: str) -> str | None:
        try:
            result = with_retries(lambda: self._request(
                lambda: self.api.get_object(post_id, fields="permalink_url"), creates=False), self.sleep)
        except PublishError as error:
            log.warning("could not read the link of post %s: %s", post_id, error)
            return None
        return result.get("permalink_url")

    def _native_schedule_time(self, post: PlannedPost) -> datetime | None:
        """publish_at, when Facebook should hold the post itself (native_schedule, 10 minutes to 30 days ahead)."""
        when = post.product.publish_at
        return when if when and schedules_natively(self.platform, self.full_settings, when, self.now()) else None

    def _request(self, call: Callable[[], dict], creates: bool) -> dict:
        """Run one Graph call; translate every failure into a PublishError whose text holds no secret.

        `creates` says the call makes something public: then a failure without a clear answer from
        Facebook is an UnknownOutcomeError, never a TransientError that would invite a blind resend.
        """
        try:
            result = call()
        except facebook.GraphAPIError as error:
            raise self._translate(error, creates) from None
        except requests.exceptions.RequestException as error:
            # Unresolvable, refused or silent while connecting: nothing was sent, whatever the call. Said in our words
            # only: requests' text holds the URL, token included (docs/platforms.md F6).
            reason = connect_failure(error)
            if reason is not None:
                log.info("Facebook cannot be reached: %s", reason)
                raise unreachable(self.platform, reason) from None
            # Otherwise the request was on its way (the connection broke, no answer in time): it may have arrived.
            kind = UnknownOutcomeError if creates else TransientError
            said = _("the connection to Facebook broke ({error})") if isinstance(
                error, requests.exceptions.ConnectionError) else _("no answer from Facebook ({error})")
            raise kind(self._words(said, error)) from None
        except (KeyError, ValueError) as error:  # a reply without content type, or not JSON
            kind = UnknownOutcomeError if creates else TransientError
            raise kind(self._words(_("Facebook sent an unreadable reply ({error})"), error)) from None
        if not isinstance(result, dict):  # facebook-sdk passes on any JSON; Graph always answers an object
            kind = UnknownOutcomeError if creates else TransientError
            raise kind(_("Facebook sent an unreadable reply ({error})").format(
                error=_("a JSON {kind} where an object was expected").format(kind=type(result).__name__)))
        return result

    def _translate(self, error: facebook.GraphAPIError, creates: bool) -> PublishError:
        body = _error_body(error)
        code, subcode = body.get("code"), body.get("error_subcode")
        text = body.get("error_user_msg") or body.get("message") or str(error)
        trace = f" [fbtrace {body['fbtrace_id']}]" if body.get("fbtrace_id") else ""
        message = self._words(_("Facebook said: {error}"), f"{text}{trace}")
        if code is None:  # not JSON at all, e.g. a proxy's HTML 502 page
            return (UnknownOutcomeError if creates else TransientError)(
                self._words(_("Facebook sent an unreadable reply ({error})"), str(error)))
        if code == BLOCKED_CODE:  # before is_transient, which Meta also sets on rate limits
            return ThrottledError(message + _(" — Facebook has blocked this for a while; the posts stay queued and "
                                              "Facebook is left alone until the block has passed"), cooldown=BLOCKED)
        if code in SLOW_DOWN_CODES:
            return ThrottledError(message + _(" — Facebook asks to slow down; the posts stay queued for the next run"),
                                  cooldown=SLOW_DOWN)
        if code in TRANSIENT_CODES or body.get("is_transient"):
            return TransientError(message)
        if code in AUTH_CODES:
            return AuthError(message + _(" — the token in {variable} is invalid or expired (subcode {sub}); get a new Page "
                                         "token ({help})").format(variable=self.settings.token_env, sub=subcode, help=_(SETUP_HELP)))
        if code in PERMISSION_CODES:
            return AuthError(message + _(" — the token may not post on Page {page}: use a Page token with pages_manage_posts "
                                         "({help})").format(page=self.page_id, help=_(SETUP_HELP)))
        if code == DUPLICATE_CODE:
            # Facebook says it already has this text: the post may well exist from an earlier attempt.
            return UnknownOutcomeError(message)
        return RejectedError(message)

    def _words(self, template: str, error: object) -> str:
        return redact(template.format(error=error), self._secrets)


def _refusing(call: Callable[[], dict]) -> Callable[[], dict]:
    """`call`, with Facebook's error answer raised as _Refused (for doctor's findings) instead of a PublishError."""
    def run() -> dict:
        try:
            return call()
        except facebook.GraphAPIError as error:
            body = _error_body(error)
            code = body.get("code")
            if code is None or code in TRANSIENT_CODES | SLOW_DOWN_CODES | {BLOCKED_CODE} or body.get("is_transient"):
                raise  # a proxy's page, "retry later", a rate limit: _request's usual translation (and retries)
            raise _Refused(error) from None
    return run


def _error_body(error: facebook.GraphAPIError) -> dict[str, Any]:
    """The inside of Meta's `{"error": {...}}`, or {} when the reply was not that."""
    body = error.result.get("error") if isinstance(error.result, dict) else None
    return body if isinstance(body, dict) else {}


def _refuses_field(error: facebook.GraphAPIError, field: str) -> bool:
    """Is this Facebook's invalid-parameter error (100) about `field` itself?"""
    body = _error_body(error)
    said = f"{body.get('message', '')} {body.get('error_user_msg', '')}"
    return body.get("code") == 100 and field in said


def _graph_time(value: object) -> datetime | None:
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
