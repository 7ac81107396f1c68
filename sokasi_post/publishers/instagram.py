"""Posting on Instagram with instagrapi (Instagram's private mobile API); instagrapi only here.

instagrapi is slow to import, so this module is imported only when Instagram is really used.
Traps handled here (PLATFORM-FACTS.md, section C): its challenge handler calls input() (fatal in
cron), private requests carry no HTTP timeout, and it re-encodes every photo at JPEG quality 75.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import random
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from instagrapi import Client
from instagrapi import exceptions as ig
from instagrapi.extractors import extract_media_v1
from instagrapi.mixins import photo as photo_module
from instagrapi.types import Location, UserShort, Usertag

from sokasi_post.config import InstagramSettings, Settings
from sokasi_post.errors import (
    AuthError,
    PublishError,
    RejectedError,
    ThrottledError,
    TransientError,
    UnknownOutcomeError,
)
from sokasi_post.i18n import N_, _
from sokasi_post.models import PlannedPost, PreparedPhoto, Receipt
from sokasi_post.publishers import CLOCK_MARGIN, TIMEOUT, Checkpoint, redact, same_text

log = logging.getLogger(__name__)

MAX_CAROUSEL = 10
LOGIN_HELP = N_("run `sokasi-post login instagram`")

# Answers that mean "stop now and let a person look": posting on would get the account flagged.
_STOP = (ig.ChallengeError, ig.FeedbackRequired, ig.PleaseWaitFewMinutes, ig.ClientThrottledError, ig.RateLimitError,
         ig.SentryBlock, ig.AccountSuspended, ig.ProxyAddressIsBlocked, ig.ClientForbiddenError)
_LOGGED_OUT = (ig.LoginRequired, ig.ClientLoginRequired, ig.ClientUnauthorizedError, ig.ReloginAttemptExceeded,
               ig.BadPassword, ig.BadCredentials)
_NO_ANSWER = (ig.ClientConnectionError, ig.ClientRequestTimeout, ig.ClientIncompleteReadError, ig.ClientJSONDecodeError)


def new_client() -> Client:
    """A client that never waits for a person: challenges raise instead of calling input()."""
    client = Client(delay_range=[1, 3], with_challenge_flow=False)
    client.challenge_code_handler = _no_prompt
    client.change_password_handler = _no_prompt
    return client


def _no_prompt(*_args: object) -> None:
    raise ig.ChallengeRequired(message="challenge_required")


class InstagramPublisher:
    """Posts on one Instagram account, reusing the session saved by `sokasi-post login instagram`."""

    platform = "instagram"

    def __init__(self, settings: Settings, sleep: Callable[[float], None] = time.sleep,
                 client_factory: Callable[[], Client] | None = None):
        self.settings: InstagramSettings = settings.instagram
        self.sleep = sleep
        self.client_factory = client_factory
        self._client: Client | None = None
        self._posted_this_run = 0
        self._prepared: dict[str, PreparedPhoto] = {}

    @property
    def client(self) -> Client:
        """The client, logged in from the saved session file; never with the password."""
        if self._client is None:
            self._client = load_session(self.settings, self.client_factory or new_client)
        return self._client

    def check(self) -> str:
        """Is the saved session still logged in, as the configured account?"""
        account = self._call(self.client.account_info, creates=False)
        if account.username.lower() != (self.settings.username or "").lower():
            raise AuthError(_("the saved Instagram session is for @{found}, but config.yaml says @{wanted}; {help}")
                            .format(found=account.username, wanted=self.settings.username, help=_(LOGIN_HELP)))
        return f"@{account.username}"

    def publish(self, post: PlannedPost, resume: dict[str, Any], checkpoint: Checkpoint) -> Receipt:
        """One photo: photo_upload. Several: album_upload (a carousel of at most 10)."""
        photos = post.prepared
        if not 1 <= len(photos) <= MAX_CAROUSEL:
            raise RejectedError(_("Instagram takes 1 to {limit} photos in one post; this post has {count}")
                                .format(limit=MAX_CAROUSEL, count=len(photos)))
        if self._posted_this_run:
            low, high = self.settings.pause_seconds
            self.sleep(random.uniform(low, high))  # pace the account like a person would
        usertags = self._maker_tag(post.product.maker_instagram)
        location = self._location()
        alt = post.product.alt.get(photos[0].source.name)
        extra = {"custom_accessibility_caption": alt} if alt else {}
        paths = [photo.path for photo in photos]
        with self._send_as_prepared(photos):
            if len(paths) == 1:
                media = self._call(lambda: self.client.photo_upload(
                    paths[0], post.caption, usertags=usertags, location=location, extra_data=extra), creates=True)
            else:
                media = self._call(lambda: self.client.album_upload(
                    paths, post.caption, usertags=usertags, location=location, extra_data=extra), creates=True)
        self._posted_this_run += 1
        checkpoint({"media_pk": str(media.pk)})
        return Receipt(platform=self.platform, remote_id=str(media.id), permalink=f"https://www.instagram.com/p/{media.code}/",
                       at=datetime.now(UTC))

    def diagnose(self) -> list[tuple[bool, str]]:
        """For `doctor`: nothing to add yet."""
        return []

    def find(self, post: PlannedPost, since: datetime) -> Receipt | None:
        """Look through the account's latest posts for one with this caption, made since `since`."""
        # Not user_medias_v1: it answers "no posts" when Instagram fails, and "could not look" must never
        # pass for "absent". The same feed request, whose errors are raised.
        client = self.client
        reply = self._call(lambda: client.private_request(f"feed/user/{client.user_id}/", params={
            "count": 20, "rank_token": client.rank_token, "ranked_content": "true"}), creates=False)
        earliest = since - CLOCK_MARGIN
        for item in reply.get("items", []):
            media = extract_media_v1(item)
            taken = media.taken_at if media.taken_at.tzinfo else media.taken_at.replace(tzinfo=UTC)
            if same_text(media.caption_text or "", post.caption) and taken >= earliest:
                return Receipt(platform=self.platform, remote_id=str(media.id),
                               permalink=f"https://www.instagram.com/p/{media.code}/", at=taken)
        return None

    def _maker_tag(self, handle: str | None) -> list[Usertag]:
        """Tag the craftsman's own account in the middle of the first photo, when post.yaml names one."""
        if not handle:
            return []
        try:
            # The _v1 lookup stays on the private API; the plain one falls back to instagram.com's web pages.
            user = self._call(lambda: self.client.user_info_by_username_v1(handle), creates=False)
        except (RejectedError, TransientError) as error:
            log.warning("not tagging @%s: %s", handle, error)
            return []
        return [Usertag(user=UserShort(pk=user.pk, username=user.username), x=0.5, y=0.5)]

    def _location(self) -> Location | None:
        place = self.settings.location
        if place is None:
            return None
        return Location(name=place.name, lat=place.lat, lng=place.lng, external_id=place.facebook_places_id,
                        external_id_source="facebook_places" if place.facebook_places_id else None)

    @contextlib.contextmanager
    def _send_as_prepared(self, photos: tuple[PreparedPhoto, ...]) -> Iterator[None]:
        """Upload our prepared JPEGs byte for byte, instead of instagrapi's re-encoding at quality 75.

        Our files already have Instagram's shape and size, so its crop and resize would do nothing but
        lose quality a second time (instagrapi/image_util.py prepare_image, called by photo_rupload).
        """
        ours = {str(photo.path): photo for photo in photos}
        original = photo_module.prepare_image

        def prepared(img: str, *args: object, **kwargs: object) -> tuple[bytes, tuple[int, int]]:
            photo = ours.get(str(img))
            if photo is None:
                return original(img, *args, **kwargs)
            return Path(img).read_bytes(), (photo.width, photo.height)

        photo_module.prepare_image = prepared
        try:
            yield
        finally:
            photo_module.prepare_image = original

    def _call(self, call: Callable[[], Any], creates: bool) -> Any:
        """Run one instagrapi call and translate what it raises; `creates` marks a call that makes a post public."""
        try:
            return call()
        except PublishError:
            raise
        except Exception as error:  # noqa: BLE001 - instagrapi raises many kinds; each is translated below
            raise translate(error, creates, self.settings.username) from None


def translate(error: Exception, creates: bool, username: str | None) -> PublishError:
    """instagrapi's exceptions -> the publishing flow's few kinds, with a plain explanation and no secret."""
    said = redact(_describe(error))
    if isinstance(error, _LOGGED_OUT) or (isinstance(error, ig.PhotoNotUpload) and "login_required" in said):
        return AuthError(_("Instagram says the session for @{user} is no longer logged in ({said}); {help}")
                         .format(user=username, said=said, help=_(LOGIN_HELP)))
    if isinstance(error, ig.ChallengeError):
        return ThrottledError(_("Instagram wants to confirm it is really you (a challenge). Open the Instagram app on the "
                                "phone, confirm, then {help}. The posts stay queued").format(help=_(LOGIN_HELP)))
    if isinstance(error, ig.FeedbackRequired):
        return ThrottledError(_("Instagram blocked this action for now ({said}). Wait a day before posting again; the "
                                "posts stay queued").format(said=said))
    if isinstance(error, _STOP):
        return ThrottledError(_("Instagram asks to slow down ({said}). The posts stay queued for a later run").format(said=said))
    if isinstance(error, (ig.PhotoConfigureError, ig.AlbumConfigureError)):
        return UnknownOutcomeError(_("Instagram did not confirm the post ({said}); it may still appear").format(said=said))
    if isinstance(error, ig.PhotoNotUpload):
        return TransientError(_("the photo upload to Instagram failed ({said})").format(said=said))
    # The photo upload itself (rupload) uses requests directly: its network errors arrive unwrapped, and every
    # requests exception is an OSError.
    if isinstance(error, (*_NO_ANSWER, OSError)) or (isinstance(error, ig.ClientError) and _status(error) >= 500):
        if creates:
            return UnknownOutcomeError(_("no clear answer from Instagram ({said}); the post may have gone through")
                                       .format(said=said))
        return TransientError(_("cannot reach Instagram ({said})").format(said=said))
    if isinstance(error, (ig.UserNotFound, ig.ClientNotFoundError)):
        return RejectedError(_("Instagram does not know that ({said})").format(said=said))
    if isinstance(error, (ig.ClientError, ValueError)):
        return RejectedError(_("Instagram refused the post: {said}").format(said=said))
    return UnknownOutcomeError(_("unexpected error from Instagram ({said})").format(said=said)) if creates else \
        TransientError(_("unexpected error from Instagram ({said})").format(said=said))


def _describe(error: Exception) -> str:
    message = getattr(error, "message", None) or str(error) or type(error).__name__
    return f"{type(error).__name__}: {message}"[:300]


def _status(error: Exception) -> int:
    code = getattr(error, "code", None)
    return code if isinstance(code, int) else 0


def load_session(settings: InstagramSettings, client_factory: Callable[[], Client]) -> Client:
    """A client with the saved session loaded, each request bounded in time; AuthError when there is none."""
    path = settings.session_file
    if not path.is_file():
        raise AuthError(_("no saved Instagram session in {path}; {help} once, on this computer")
                        .format(path=path, help=_(LOGIN_HELP)))
    client = client_factory()
    try:
        client.load_settings(path)
    except (OSError, ValueError, TypeError, KeyError) as error:
        raise AuthError(_("the saved Instagram session {path} cannot be read ({error}); {help}")
                        .format(path=path, error=type(error).__name__, help=_(LOGIN_HELP))) from None
    # A saved session brings back its retry settings; with the requests transport, urllib3 would resend a
    # configure POST after a lost reply or a 5xx, posting twice. Never retry below us: the flow decides.
    client.set_retry_config(session_retry_total=0)
    _bound_requests(client)
    return client


def _bound_requests(client: Client) -> None:
    """instagrapi sends private requests without a timeout; give each one ours, so a dead link cannot hang cron."""
    session = client.private
    send = session.request

    def bounded(method: str, url: str, **kwargs: Any):
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = TIMEOUT
        return send(method, url, **kwargs)

    session.request = bounded


def login(settings: InstagramSettings, password: str, ask: Callable[[str], str],
          client_factory: Callable[[], Client] | None = None) -> str:
    """Log in once with the password (asking for a two-factor or challenge code), save the session 0600."""
    client = (client_factory or (lambda: Client(delay_range=[1, 3])))()
    client.challenge_code_handler = lambda _username, choice=None: ask(
        _("Instagram sent a security code (by {how}). Code").format(how=str(choice or "SMS/e-mail").lower()))
    client.change_password_handler = lambda _username: None  # a falsy answer makes instagrapi raise, not prompt
    if settings.session_file.is_file():
        with contextlib.suppress(OSError, ValueError, TypeError, KeyError):
            old = json.loads(settings.session_file.read_text(encoding="utf-8"))
            client.set_uuids(old["uuids"])  # same "phone" as before: a new device on every login looks suspicious
    try:
        try:
            client.login(settings.username, password)
        except ig.TwoFactorRequired:
            code = ask(_("Two-factor code from your authenticator app or SMS"))
            client.login(settings.username, password, verification_code=code.strip())
    except Exception as error:  # noqa: BLE001
        if isinstance(error, (ig.BadPassword, ig.BadCredentials)):
            raise AuthError(_("Instagram refused the password for @{user}; check {variable} or type it again")
                            .format(user=settings.username, variable=settings.password_env)) from None
        raise translate(error, creates=False, username=settings.username) from None
    save_session(client.get_settings(), settings.session_file)
    return f"@{settings.username}"


def save_session(data: dict, path: Path) -> None:
    """Write the session readable by this user only (0600): it logs in as the account without a password."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(data, handle)
    if hasattr(os, "fchmod"):
        os.chmod(temporary, 0o600)  # in case the file existed with wider permissions
    os.replace(temporary, path)
