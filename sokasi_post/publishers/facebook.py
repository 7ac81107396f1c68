"""Posting on the Facebook Page through the Graph API; facebook-sdk (and requests, under it) only here.

Facts behind the surprising lines are in PLATFORM-FACTS.md (sections A and B): facebook-sdk 3.1.0
refuses current Graph versions in its constructor, reads its base URL from a module constant, ignores
HTTP status codes, lets requests' exceptions (which carry the token in the URL) escape unwrapped.
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import facebook
import requests

from sokasi_post.config import Settings
from sokasi_post.errors import (
    AuthError,
    PublishError,
    RejectedError,
    ThrottledError,
    TransientError,
    UnknownOutcomeError,
)
from sokasi_post.i18n import _
from sokasi_post.models import PlannedPost, Receipt
from sokasi_post.publishers import (
    CLOCK_MARGIN,
    SETUP_HELP,
    TIMEOUT,
    Checkpoint,
    redact,
    same_text,
    schedules_natively,
    with_retries,
)

log = logging.getLogger(__name__)

# Meta's error codes (developers.facebook.com/docs/graph-api/guides/error-handling; PLATFORM-FACTS A4).
TRANSIENT_CODES = {1, 2}
THROTTLE_CODES = {4, 17, 32, 341, 368, 613} | set(range(80001, 80015))
AUTH_CODES = {102, 190}
PERMISSION_CODES = {3, 10} | set(range(200, 300))
DUPLICATE_CODE = 506


class FacebookPublisher:
    """Posts on one Facebook Page with a Page access token."""

    platform = "facebook"

    def __init__(self, settings: Settings, token: str, sleep: Callable[[float], None] = time.sleep,
                 session: requests.Session | None = None):
        self.full_settings = settings
        self.settings = settings.facebook
        self.page_id = settings.facebook.page_id
        self.token = token
        self.sleep = sleep
        self.now = lambda: datetime.now(UTC)
        # The base URL is a module constant read at call time; the version must be set after construction.
        facebook.FACEBOOK_GRAPH_URL = self.settings.graph_url + "/"
        session = session or requests.Session()
        self.server_time: datetime | None = None  # from the last reply's Date header, to check this computer's clock
        session.hooks["response"].append(self._note_server_time)
        self.api = facebook.GraphAPI(access_token=token, timeout=TIMEOUT, session=session)
        self.api.version = self.settings.api_version

    # -- the Publisher interface ------------------------------------------------------------------

    def check(self) -> str:
        """Is the token a Page token for page_id that may post? Raise AuthError saying how to fix it."""
        me = self._request(lambda: self.api.get_object("me", fields="id,name"), creates=False)
        variable = self.settings.token_env
        if str(me.get("id")) != self.page_id:
            raise AuthError(_(
                "the token in {variable} belongs to {name} ({id}), not to the Page {page}: it is a personal (user) "
                "token or another Page's token. Get the Page token for page {page} ({help})"
            ).format(variable=variable, name=me.get("name"), id=me.get("id"), page=self.page_id, help=_(SETUP_HELP)))
        info = self.token_info()
        if info is not None:
            scopes = set(info.get("scopes") or [])
            if info.get("type") not in (None, "PAGE"):
                raise AuthError(_("the token in {variable} is a {kind} token; posting needs a Page token ({help})")
                                .format(variable=variable, kind=info.get("type"), help=_(SETUP_HELP)))
            if scopes and "pages_manage_posts" not in scopes:
                raise AuthError(_("the token in {variable} may not post: it lacks the pages_manage_posts permission. "
                                  "Make a new token with that permission ({help})").format(variable=variable, help=_(SETUP_HELP)))
        return _("Page {name} ({id}); {expiry}").format(name=me.get("name"), id=me.get("id"), expiry=self._expiry(info))

    def _expiry(self, info: dict[str, Any] | None) -> str:
        expires = (info or {}).get("expires_at")
        if expires is None:
            return _("Facebook did not say when the token expires")
        if expires == 0:
            return _("the token does not expire")
        days = (datetime.fromtimestamp(expires, UTC) - self.now()).days
        return _("the token expires in {days} days ({date}): make a new one before then").format(
            days=days, date=datetime.fromtimestamp(expires, UTC).date().isoformat())

    def publish(self, post: PlannedPost, resume: dict[str, Any], checkpoint: Checkpoint) -> Receipt:
        """One photo: a photo post. Several: unpublished uploads, then one feed post with them attached in order."""
        message = post.caption
        when = self._native_schedule_time(post)
        photos = post.prepared
        alt = post.product.alt
        if len(photos) == 1 and when is None:
            photo = photos[0]
            result = self._request(lambda: self._upload(photo.path, message=message, published="true"), creates=True)
            post_id = str(result.get("post_id") or result["id"])
            self._set_alt_text(str(result["id"]), alt.get(photo.source.name))
        else:
            photo_ids = list(resume.get("photo_ids", []))[: len(photos)]
            for photo in photos[len(photo_ids):]:
                # Unpublished photos are invisible: resending one after a lost reply cannot double-post.
                extra = {"temporary": "true"} if when else {}
                result = with_retries(lambda p=photo, e=extra: self._request(
                    lambda: self._upload(p.path, published="false", **e), creates=False), self.sleep)
                photo_ids.append(str(result["id"]))
                checkpoint({"photo_ids": photo_ids})
                self._set_alt_text(photo_ids[-1], alt.get(photo.source.name))
            fields = {f"attached_media[{i}]": json.dumps({"media_fbid": fbid}) for i, fbid in enumerate(photo_ids)}
            if when:
                fields.update(published="false", scheduled_publish_time=str(int(when.timestamp())))
            try:
                result = self._request(lambda: self.api.put_object(self.page_id, "feed", message=message, **fields),
                                       creates=True)
            except RejectedError:
                if not resume.get("photo_ids"):
                    raise
                # Photo ids saved by an earlier run may have expired: upload afresh, once.
                checkpoint({"photo_ids": []})
                return self.publish(post, {}, checkpoint)
            post_id = str(result["id"])
        checkpoint({"post_id": post_id})
        return Receipt(platform=self.platform, remote_id=post_id, permalink=self._permalink(post_id), at=self.now(),
                       scheduled_for=when)

    def diagnose(self) -> list[tuple[bool, str]]:
        """For `doctor`: nothing to add yet."""
        return []

    def find(self, post: PlannedPost, since: datetime) -> Receipt | None:
        """Look through the Page's recent and scheduled posts for one with this caption, made since `since`."""
        earliest = since - CLOCK_MARGIN
        for edge, field in (("posts", "created_time"), ("scheduled_posts", "scheduled_publish_time")):
            listing = with_retries(lambda e=edge, f=field: self._request(lambda: self.api.get_object(
                f"{self.page_id}/{e}", fields=f"id,message,created_time,permalink_url,{f}", limit=25), creates=False), self.sleep)
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
        with contextlib.suppress(TypeError, ValueError):
            self.server_time = email.utils.parsedate_to_datetime(response.headers["Date"])

    def token_info(self) -> dict[str, Any] | None:
        """What Meta says of the token (type, scopes, expiry), or None when it will not say."""
        try:
            return self._request(lambda: self.api.request(f"{self.api.version}/debug_token", {"input_token": self.token}),
                                 creates=False).get("data")
        except PublishError as error:
            log.info("debug_token unavailable: %s", error)
            return None

    def _upload(self, path, **fields) -> dict:
        with path.open("rb") as image:
            return self.api.put_photo(image, album_path=f"{self.page_id}/photos", **fields)

    def _set_alt_text(self, photo_id: str, text: str | None) -> None:
        """Best effort: the alt text goes on the photo after upload; a refusal never costs the post."""
        if not text:
            return
        try:
            self._request(lambda: self.api.request(f"{self.api.version}/{photo_id}", post_args={"alt_text_custom": text}),
                          creates=False)
        except PublishError as error:
            log.warning("alt text not set on photo %s: %s", photo_id, error)

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
            return call()
        except facebook.GraphAPIError as error:
            raise self._translate(error, creates) from None
        except requests.exceptions.ConnectTimeout as error:
            raise TransientError(self._words(_("cannot reach Facebook ({error})"), error)) from None
        except requests.exceptions.ConnectionError as error:
            # Refused or unresolvable before anything was sent: safe to retry. Otherwise the request may have arrived.
            reason = error.args[0] if error.args else None
            never_sent = "NewConnectionError" in repr(reason) or "NameResolution" in repr(reason)
            kind = UnknownOutcomeError if creates and not never_sent else TransientError
            raise kind(self._words(_("the connection to Facebook broke ({error})"), error)) from None
        except requests.exceptions.RequestException as error:  # read timeout and the rest
            kind = UnknownOutcomeError if creates else TransientError
            raise kind(self._words(_("no answer from Facebook ({error})"), error)) from None
        except (KeyError, ValueError) as error:  # a reply without content type, or not JSON
            kind = UnknownOutcomeError if creates else TransientError
            raise kind(self._words(_("Facebook sent an unreadable reply ({error})"), error)) from None

    def _translate(self, error: facebook.GraphAPIError, creates: bool) -> PublishError:
        body = error.result.get("error", {}) if isinstance(error.result, dict) else {}
        code, subcode = body.get("code"), body.get("error_subcode")
        text = body.get("error_user_msg") or body.get("message") or str(error)
        trace = f" [fbtrace {body['fbtrace_id']}]" if body.get("fbtrace_id") else ""
        message = self._words(_("Facebook said: {error}"), f"{text}{trace}")
        if code is None:  # not JSON at all, e.g. a proxy's HTML 502 page
            return (UnknownOutcomeError if creates else TransientError)(
                self._words(_("Facebook sent an unreadable reply ({error})"), str(error)))
        if code in THROTTLE_CODES:  # before is_transient, which Meta also sets on rate limits
            return ThrottledError(message + _(" — Facebook asks to slow down; the posts stay queued for the next run"))
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
        return redact(template.format(error=error), [self.token])


def _graph_time(value: object) -> datetime | None:
    """Graph's times: '2026-11-28T01:15:00+0000', ISO 8601, or unix seconds."""
    if value in (None, ""):
        return None
    if isinstance(value, int | float) or str(value).isdigit():
        return datetime.fromtimestamp(int(value), UTC)
    try:
        return datetime.strptime(str(value), "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        try:
            return datetime.fromisoformat(str(value))
        except ValueError:
            return None
