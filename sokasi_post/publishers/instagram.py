"""Posting on Instagram with instagrapi (Instagram's private mobile API); instagrapi only here.

instagrapi is slow to import, so this module is imported only when Instagram is really used.
Traps handled here: its challenge handler calls input() (fatal in cron), private requests carry no HTTP
timeout (docs/platforms.md I4), it resends a post after a 408 (I4), it re-encodes every photo at JPEG
quality 75 (I5), a fresh client presents itself as a phone in the USA (I3), Instagram drops an over-limit
caption silently (I1), and a location without a place id is searched for at posting time (I6).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import random
import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, tzinfo
from difflib import SequenceMatcher
from functools import partial
from pathlib import Path
from typing import Any

from instagrapi import Client
from instagrapi import exceptions as ig
from instagrapi.extractors import extract_comment, extract_media_v1
from instagrapi.mixins import photo as photo_module
from instagrapi.types import Location, UserShort, Usertag

from sokasi_post.config import InstagramLocation, InstagramSettings, Settings
from sokasi_post.errors import (
    BLOCKED,
    CHALLENGE,
    SLOW_DOWN,
    AuthError,
    PublishError,
    RejectedError,
    ThrottledError,
    TransientError,
    UnknownOutcomeError,
    UnreachableError,
)
from sokasi_post.i18n import N_, _, format_date
from sokasi_post.models import Comment, Counts, PlannedPost, PreparedPhoto, Receipt
from sokasi_post.places import SavedPlace, confirm_line, load_place, save_place
from sokasi_post.platforms import rules_for
from sokasi_post.publishers import (
    CLOCK_MARGIN,
    CONNECT_TIMED_OUT,
    DROPPED_CAPTION,
    NAME_NOT_FOUND,
    NO_CONNECTION,
    OTHER_CAPTION,
    TIMEOUT,
    Checkpoint,
    causes,
    connect_failure,
    redact,
    same_text,
    session_secrets,
    unreachable,
    with_retries,
)
from sokasi_post.redaction import remember

log = logging.getLogger(__name__)

MAX_CAROUSEL = rules_for("instagram").photos_per_post  # docs/platforms.md I7
LOGIN_HELP = N_("run `sokasi-post login instagram`")

# The phone the account is used from: in Indonesia, in Indonesian (docs/platforms.md I3). The time zone comes
# from config.yaml (`timezone`). A client left at instagrapi's defaults says USA, en_US, UTC-4.
COUNTRY, COUNTRY_CODE, LOCALE = "ID", 62, "id_ID"

# Where a search by name looks from when config.yaml gives no coordinates: Instagram ranks places by distance
# from the point sent, and instagrapi's default point is New York. The cooperative is in Bali.
NAME_SEARCH_NEAR = (-8.34, 115.09)

# Anti-abuse answers, by the cool-down each needs (docs/platforms.md I2): never retried, the platform rests.
_CHALLENGE = (ig.ChallengeError, ig.AccountSuspended, ig.CaptchaChallengeRequired)
_BLOCKED = (ig.FeedbackRequired, ig.SentryBlock, ig.ProxyAddressIsBlocked)
_SLOW_DOWN = (ig.PleaseWaitFewMinutes, ig.ClientThrottledError, ig.RateLimitError, ig.ClientForbiddenError)
_LOGGED_OUT = (ig.LoginRequired, ig.ClientLoginRequired, ig.ClientUnauthorizedError, ig.ReloginAttemptExceeded,
               ig.BadPassword, ig.BadCredentials)


class UnansweredPostError(ig.ClientError):
    """A request that creates a post got a 408 or a cut-off reply; kept from instagrapi's resend of it.

    Deliberately not a ClientRequestTimeout or ClientIncompleteReadError: private_request catches those two
    and sends the same request again (docs/platforms.md I4), which for media/configure can post twice.
    """


# The comments read on one post, at most: a bounded read, as a person scrolling would (docs/platforms.md E3, E4).
COMMENTS_AT_MOST = 100
NO_REPLY = N_("no automated replies through the private API: paste it in the Instagram app")

_NO_ANSWER = (ig.ClientConnectionError, ig.ClientRequestTimeout, ig.ClientIncompleteReadError, ig.ClientJSONDecodeError,
              UnansweredPostError)


def new_client() -> Client:
    """A client that never waits for a person: challenges raise instead of calling input()."""
    client = Client(delay_range=[1, 3], with_challenge_flow=False)
    client.challenge_code_handler = _no_prompt
    client.change_password_handler = _no_prompt
    return client


def _no_prompt(*_args: object) -> None:
    raise ig.ChallengeRequired(message="challenge_required")


def utc_offset(zone: tzinfo, when: datetime | None = None) -> int:
    """Seconds east of UTC in `zone` at `when` (now): 28800 for Asia/Makassar."""
    offset = (when or datetime.now(UTC)).astimezone(zone).utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0


def match_device(client: Client, zone: tzinfo) -> None:
    """Present the client as a phone in Indonesia, set to Indonesian, on the cooperative's clock (docs/platforms.md I3)."""
    client.set_locale(LOCALE)  # also rewrites the locale inside the user agent
    client.set_country(COUNTRY)
    client.set_country_code(COUNTRY_CODE)
    client.set_timezone_offset(utc_offset(zone))


def _creates_post(endpoint: str) -> bool:
    """media/configure/ and media/configure_sidecar/ (and the other configure_* kinds) make a post public."""
    return endpoint.lstrip("/").removeprefix("v1/").startswith("media/configure")


def _no_resend_of_posts(client: Client) -> None:
    """Let a 408 or a cut-off reply to a post-creating request leave private_request without its resend.

    private_request resends after ClientRequestTimeout (60 s later) and ClientIncompleteReadError (2 s later);
    it calls self._send_private_request for each try, so wrapping that one method on this client turns those
    two, for configure requests only, into UnansweredPostError, which it passes on untouched (as long as no
    handle_exception hook is set, and none is here). The flow then
    looks for the post before anything is sent again (docs/exactly-once.md).
    """
    send = client._send_private_request

    def send_once(endpoint: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return send(endpoint, *args, **kwargs)
        except (ig.ClientRequestTimeout, ig.ClientIncompleteReadError) as error:
            if not _creates_post(endpoint):
                raise
            what = "HTTP 408 (request timeout)" if isinstance(error, ig.ClientRequestTimeout) else "a cut-off reply"
            raise UnansweredPostError(f"{what} to {endpoint}; not sent again",
                                      response=getattr(error, "response", None)) from error

    client._send_private_request = send_once


class InstagramPublisher:
    """Posts on one Instagram account, reusing the session saved by `sokasi-post login instagram`."""

    platform = "instagram"
    can_reply = False  # no automated comment writes through the private API (docs/platforms.md E3, I2)
    can_edit_caption = True  # media_edit (docs/platforms.md E3)

    def __init__(self, settings: Settings, sleep: Callable[[float], None] = time.sleep,
                 client_factory: Callable[[], Client] | None = None):
        self.all_settings = settings
        self.settings: InstagramSettings = settings.instagram
        self.sleep = sleep
        self.client_factory = client_factory
        self._client: Client | None = None
        self._posted_this_run = 0
        self._warned_no_place = False
        self._listed: dict[str, list[Comment]] = {}  # media id -> its comments as read in this run

    @property
    def client(self) -> Client:
        """The client, logged in from the saved session file; never with the password."""
        if self._client is None:
            self._client = load_session(self.all_settings, self.client_factory or new_client)
        return self._client

    def check(self) -> str:
        """Is the saved session still logged in, as the configured account?"""
        client = self.client
        account = self._call(client.account_info, creates=False)
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
        # The post exists whatever its caption: never send it again. But a dropped caption (docs/platforms.md I1)
        # means no price and no WhatsApp number, so the coordinator must hear of it.
        problem = None
        if not (media.caption_text or "").strip():
            problem = _(DROPPED_CAPTION)
        elif not same_text(media.caption_text or "", post.caption):
            problem = _(OTHER_CAPTION)
        if problem:
            log.warning("%s: %s", post.product.slug, problem)
        return Receipt(platform=self.platform, remote_id=str(media.id), via="instagrapi",
                       permalink=f"https://www.instagram.com/p/{media.code}/",
                       at=datetime.now(UTC), problem=problem)

    def diagnose(self) -> list[tuple[bool | None, str]]:
        """For `doctor`: the place posts are tagged with, looked up once when config.yaml gives no place id."""
        wanted = self.settings.location
        if wanted is None:
            return []
        if wanted.facebook_places_id:
            return [(True, _("location: {name}, place id {id} (fixed in config.yaml)").format(
                name=wanted.name, id=wanted.facebook_places_id))]
        saved = load_place(self.all_settings)
        if saved is None:
            try:
                candidates = self._search_places(wanted)
            except PublishError as error:
                return [(False, _("location: could not look up {name} on Instagram ({error}); posts go without a location")
                         .format(name=wanted.name, error=error))]
            best = best_place(wanted.name, candidates)
            if best is None:
                return [(False, _("location: Instagram knows no place for {name}; posts go without a location. Find its "
                                  "Facebook place id and put `facebook_places_id: <id>` under instagram.location in "
                                  "config.yaml").format(name=wanted.name))]
            place, close = best
            if not close:
                return [(False, _("location: the closest place Instagram found, \"{place}\" (place id {id}), does not look "
                                  "like {name}; posts go without a location. If it is right after all, put `{line}` under "
                                  "instagram.location in config.yaml").format(
                    place=place.name, id=place.external_id, name=wanted.name, line=confirm_line(str(place.external_id))))]
            saved = SavedPlace(name=place.name, place_id=str(place.external_id), lat=place.lat, lng=place.lng,
                               resolved_at=datetime.now(UTC), wanted=wanted)
            save_place(self.all_settings, saved)
        return [(True, _("location: {name} is \"{place}\" on Instagram, place id {id}, and posts are tagged with it; if "
                         "that is right, put `{line}` under instagram.location in config.yaml").format(
            name=wanted.name, place=saved.name, id=saved.place_id, line=confirm_line(saved.place_id)))]

    def find(self, post: PlannedPost, since: datetime) -> Receipt | None:
        """Look through the account's latest posts for one with this caption, made since `since`.

        A post with no caption at all, made in that time with as many photos, is most likely this one with its
        caption dropped by Instagram (docs/platforms.md I1): it counts as found, with a problem, so that a
        doubtful post is never sent twice.
        """
        # Not user_medias_v1: it answers "no posts" when Instagram fails, and "could not look" must never
        # pass for "absent". The same feed request, whose errors are raised.
        client = self.client
        reply = self._call(lambda: client.private_request(f"feed/user/{client.user_id}/", params={
            "count": 20, "rank_token": client.rank_token, "ranked_content": "true"}), creates=False)
        earliest = since - CLOCK_MARGIN
        photos = len(post.prepared or post.photos)
        uncaptioned = None
        for item in reply.get("items", []):
            media = extract_media_v1(item)
            taken = media.taken_at if media.taken_at.tzinfo else media.taken_at.replace(tzinfo=UTC)
            if taken < earliest:
                continue
            if same_text(media.caption_text or "", post.caption):
                return self._receipt(media, taken)
            if uncaptioned is None and not (media.caption_text or "").strip() and _photo_count(media) == photos:
                uncaptioned = (media, taken)
        if uncaptioned is None:
            return None
        media, taken = uncaptioned
        problem = _("a post without a caption, made on {when}, was taken to be this one: Instagram most likely dropped the "
                    "caption (e.g. more than 5 hashtags). Check it in the Instagram app: add the caption, or delete the "
                    "post and send it again with --repost").format(when=format_date(taken.astimezone(self.all_settings.timezone)))
        log.warning("%s: %s", post.product.slug, problem)
        return self._receipt(media, taken, problem)

    # -- the Engagement interface: reads, and the caption edit (docs/platforms.md E3) -------------------------------

    def comments(self, post_id: str) -> list[Comment]:
        """The post's comments, replies among them (each with its parent's id), newest first, at most COMMENTS_AT_MOST,
        each once. A read only: nothing is written through the private API."""
        client = self.client
        own = str(client.user_id or "")
        found: dict[str, Comment] = {}
        for item in self._comment_pages(client, post_id):
            user = item.user
            created = item.created_at_utc if item.created_at_utc.tzinfo else item.created_at_utc.replace(tzinfo=UTC)
            found.setdefault(str(item.pk), Comment(
                platform=self.platform, remote_id=str(item.pk), post_id=post_id, author=str(user.username or ""),
                text=item.text or "", created_at=created.astimezone(UTC),
                parent_id=str(item.replied_to_comment_id) if item.replied_to_comment_id else None,
                ours=str(user.pk) == own or (user.username or "").lower() == (self.settings.username or "").lower()))
        self._listed[post_id] = list(found.values())[:COMMENTS_AT_MOST]
        return self._listed[post_id]

    def _comment_pages(self, client: Client, post_id: str) -> list[Any]:
        """GET media/{id}/comments/ page after page, the cursor in the query string, until COMMENTS_AT_MOST.

        Not media_comments: instagrapi 3.2.2 passes its cursor positionally as `data`, so every page after the first
        goes out as a POST with the cursor in a signed body, which Instagram answers with the first page again (and a
        POST to media/ counts as a write, docs/platforms.md E3). Each page is one read, retried on passing faults.
        """
        endpoint = f"media/{client.media_id(post_id)}/comments/"

        def page(params: dict[str, str]) -> tuple[dict[str, Any], list[Any]]:
            reply = client.private_request(endpoint, params=params)
            return reply, [extract_comment(item) for item in reply.get("comments") or [] if isinstance(item, dict)]

        found: list[Any] = []
        params: dict[str, str] = {}
        seen: set[str] = set()
        while len(found) < COMMENTS_AT_MOST:
            reply, comments = self._read(partial(page, dict(params)))
            found.extend(comments)
            if reply.get("has_more_headload_comments") and reply.get("next_min_id"):
                key, cursor = "min_id", str(reply["next_min_id"])
            elif reply.get("has_more_comments") and reply.get("next_max_id"):
                key, cursor = "max_id", str(reply["next_max_id"])
            else:
                break
            if cursor in seen:  # a cursor given twice would read the same pages for ever
                break
            seen.add(cursor)
            params = {key: cursor}
        return found

    def replies(self, comment_id: str) -> list[Comment]:
        """The replies under one comment, from the post's comments read in this run (each post is read once a run,
        docs/platforms.md E4). A comment not read in this run cannot be looked up: its id does not name its post."""
        for listed in self._listed.values():
            if any(comment.remote_id == comment_id for comment in listed):
                return [comment for comment in listed if comment.parent_id == comment_id]
        raise RejectedError(_("the comment {id} was not among the comments read in this run; read its post's comments "
                              "first").format(id=comment_id))

    def reply(self, comment_id: str, text: str) -> str:
        """Refused: no comment is written through the private API (anti-abuse risk, docs/platforms.md I2, E3)."""
        raise RejectedError(_(NO_REPLY))

    def counts(self, post_id: str) -> Counts:
        """Likes and comments on the post, from its media info (likes None when the account hides them)."""
        media = self._media(post_id)
        hidden = bool(getattr(media, "like_and_view_counts_disabled", False))
        return Counts(platform=self.platform, post_id=post_id, at=datetime.now(UTC),
                      likes=None if hidden else media.like_count, comments=media.comment_count)

    def caption(self, post_id: str) -> str:
        """The post's caption as it is now."""
        return self._media(post_id).caption_text or ""

    def edit_caption(self, post_id: str, text: str) -> None:
        """Replace the caption through media_edit (POST media/{id}/edit_media/), keeping the post's location.

        A write through the private API, paced like a post, never retried: an answer lost on the way is an
        UnknownOutcomeError, and the caller reads the caption before editing again (an edit is idempotent by nature).
        """
        media = self._media(post_id)
        client = self.client
        # media_edit reads the media again from instagrapi's cache, and without a cached copy falls back to the public
        # web API on any failure: give it the copy just read.
        client._medias_cache[client.media_pk(post_id)] = media
        # Without a location instagrapi sends "{}"; the post's own is sent back so that an edit does not drop it.
        location = media.location if media.location is not None and media.location.external_id else None
        if self._posted_this_run:
            low, high = self.settings.pause_seconds
            self.sleep(random.uniform(low, high))
        try:
            answer = self._call(lambda: client.media_edit(post_id, text, location=location), creates=False)
        except UnreachableError:
            raise  # no byte left: nothing was changed
        except TransientError as doubt:  # no answer, a cut-off or unreadable one, a server error: it may have changed
            raise UnknownOutcomeError(_("no clear answer from Instagram to the caption change ({error}); look at the post "
                                        "before changing it again").format(error=doubt)) from None
        finally:
            self._posted_this_run += 1
        if not isinstance(answer, dict) or answer.get("status") != "ok":
            raise UnknownOutcomeError(_("Instagram did not confirm the caption change; look at the post before changing "
                                        "it again"))

    def _media(self, post_id: str) -> Any:
        """The post's media info, asked of the private API itself (media_info_v1): instagrapi's media_info would hide
        an anti-abuse answer behind its public web fallback, and answer from its cache."""
        client = self.client
        return self._read(lambda: client.media_info_v1(client.media_pk(post_id)))

    def _read(self, call: Callable[[], Any]) -> Any:
        """A read, retried on passing faults; an anti-abuse answer is a ThrottledError with its cool-down (I2)."""
        return with_retries(lambda: self._call(call, creates=False), self.sleep)

    def _receipt(self, media: Any, taken: datetime, problem: str | None = None) -> Receipt:
        return Receipt(platform=self.platform, remote_id=str(media.id), via="instagrapi",
                       permalink=f"https://www.instagram.com/p/{media.code}/",
                       at=taken, problem=problem)

    def _search_places(self, wanted: InstagramLocation) -> list[Location]:
        """Ask Instagram once for places: near the coordinates when config.yaml gives them, else by name."""
        if wanted.lat is not None and wanted.lng is not None:
            return self._call(lambda: self.client.location_search(wanted.lat, wanted.lng), creates=False)
        # Not location_search_name: it asks instagram.com's public web search, without the session.
        return self._call(lambda: self.client.fbsearch_places(wanted.name, *NAME_SEARCH_NEAR), creates=False)

    def _maker_tag(self, handle: str | None) -> list[Usertag]:
        """Tag the craftsman's own account in the middle of the first photo, when post.yaml names one."""
        if not handle:
            return []
        try:
            # The _v1 lookup stays on the private API; the plain one falls back to instagram.com's web pages.
            user = self._call(lambda: self.client.user_info_by_username_v1(handle), creates=False)
        except UnreachableError:
            raise  # the post cannot go either
        except (RejectedError, TransientError) as error:
            log.warning("not tagging @%s: %s", handle, error)
            return []
        return [Usertag(user=UserShort(pk=user.pk, username=user.username), x=0.5, y=0.5)]

    def _location(self) -> Location | None:
        """The place to tag, by a fixed place id only: instagrapi would search (and take any first venue) without one."""
        wanted = self.settings.location
        if wanted is None:
            return None
        if wanted.facebook_places_id and wanted.facebook_places_id.isdigit():
            return Location(name=wanted.name, lat=wanted.lat, lng=wanted.lng, external_id=int(wanted.facebook_places_id),
                            external_id_source="facebook_places")
        saved = load_place(self.all_settings)
        if saved is not None:
            return Location(name=saved.name, lat=saved.lat, lng=saved.lng, external_id=int(saved.place_id),
                            external_id_source="facebook_places")
        if not self._warned_no_place:
            log.warning("posting without a location: %s has no place id yet; `sokasi-post doctor` looks it up", wanted.name)
            self._warned_no_place = True
        return None

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
        """Run one instagrapi call and translate what it raises; `creates` marks a call that makes a post public.

        Afterwards the session is saved again, whatever the answer: Instagram may have refreshed it (I3).
        """
        try:
            return call()
        except PublishError:
            raise
        except Exception as error:  # noqa: BLE001 - instagrapi raises many kinds; each is translated below
            raise translate(error, creates, self.settings.username) from None
        finally:
            self._save_session()

    def _save_session(self) -> None:
        if self._client is None:
            return
        try:
            save_session(self._client.get_settings(), self.settings.session_file)
        except OSError as error:
            log.warning("could not save the Instagram session to %s: %s", self.settings.session_file, type(error).__name__)


def best_place(name: str, candidates: list[Location]) -> tuple[Location, bool] | None:
    """The candidate (with a place id) whose name is closest to `name`, and whether it is close enough to trust.

    Close: one name's words all appear in the other ("Tigawasa" for "Tigawasa, Buleleng"), or the names are
    nearly the same text. Among equals, Instagram's order decides.
    """
    wanted = _words(name)
    scored = []
    for rank, place in enumerate(candidates):
        if not place.external_id or not place.name:
            continue
        found = _words(place.name)
        shared = len(wanted & found) / min(len(wanted), len(found)) if wanted and found else 0.0
        similar = SequenceMatcher(None, name.casefold(), place.name.casefold()).ratio()
        scored.append(((shared, similar, -rank), place))
    if not scored:
        return None
    (shared, similar, _rank), place = max(scored, key=lambda pair: pair[0])
    return place, shared == 1.0 or similar >= 0.8


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.casefold()))


def _photo_count(media: Any) -> int:
    return len(media.resources) if media.media_type == 8 else 1


def _answer(error: Exception) -> dict[str, Any]:
    """The JSON Instagram sent with an error, when there is some (an upload refusal carries it only in the reply)."""
    response = getattr(error, "response", None)
    try:
        data = response.json() if response is not None else {}
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _upload_refusal_kind(error: Exception) -> str | None:
    """What an upload refusal (PhotoNotUpload, raised on the raw upload reply) really says: the same answers as
    a private request, which instagrapi does not map there."""
    if not isinstance(error, ig.PhotoNotUpload):
        return None
    message = str(_answer(error).get("message") or getattr(error, "message", "") or "")
    if "login_required" in message:
        return "login_required"
    if "challenge_required" in message:
        return CHALLENGE
    if "feedback_required" in message or _answer(error).get("error_type") == "sentry_block":
        return BLOCKED
    if "Please wait a few minutes" in message or _status(error) == 429:
        return SLOW_DOWN
    return None


def translate(error: Exception, creates: bool, username: str | None) -> PublishError:
    """instagrapi's exceptions -> the publishing flow's few kinds, with a plain explanation and no secret.

    Anti-abuse answers become a ThrottledError with its cool-down kind (docs/platforms.md I2); the messages
    promise no time, as the flow says when it tries again.
    """
    # A connection that could not be made, as instagrapi's wrapper or requests' own error (an OSError): nothing was
    # sent, even by a call that creates a post. Asked of these two only, so that an answer which says a post may
    # exist (PhotoConfigureError, UnansweredPostError) stays unknown whatever lies behind it.
    reason = _connect_failure(error) if isinstance(error, (ig.ClientConnectionError, OSError)) else None
    if reason is not None:
        log.info("Instagram cannot be reached: %s", reason)
        return unreachable("instagram", reason)
    said = _describe(error)
    refusal = _upload_refusal_kind(error)
    if isinstance(error, _LOGGED_OUT) or refusal == "login_required":
        return AuthError(_("Instagram says the session for @{user} is no longer logged in ({said}); {help}")
                         .format(user=username, said=said, help=_(LOGIN_HELP)))
    if isinstance(error, _CHALLENGE) or refusal == CHALLENGE:
        return ThrottledError(_("Instagram wants to confirm it is really you (a challenge). Open the Instagram app on the "
                                "phone, confirm, then {help}. The posts stay queued").format(help=_(LOGIN_HELP)),
                              cooldown=CHALLENGE)
    if isinstance(error, _BLOCKED) or refusal == BLOCKED:
        return ThrottledError(_("Instagram blocked this action for now ({said}); the posts stay queued").format(said=said),
                              cooldown=BLOCKED)
    if isinstance(error, _SLOW_DOWN) or refusal == SLOW_DOWN:
        return ThrottledError(_("Instagram asks to slow down ({said}); the posts stay queued").format(said=said),
                              cooldown=SLOW_DOWN)
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


# curl's words for a time-out while resolving or connecting (lib/multi.c, lib/connect.c), as against "Operation timed
# out after ... bytes received" once the request is on its way: curl gives both the same code, 28.
_CURL_CONNECT_TIMEOUTS = ("Resolving timed out", "Connection timed out", "Failed to connect to")


def _connect_failure(error: Exception) -> str | None:
    """Why no connection to Instagram could be made, when that is what `error` is (see publishers.connect_failure).

    instagrapi wraps a requests ConnectionError in its ClientConnectionError (raised while handling it); the photo
    upload lets requests' errors out unwrapped. Its default transport, curl (docs/platforms.md I4), raises requests
    errors made from curl_cffi's, whose curl code says what failed: 6 the name, 7 the connection, 28 a time-out.
    """
    reason = connect_failure(error)
    if reason is not None:
        return reason
    try:
        from curl_cffi import CurlECode, CurlError
    except ImportError:  # the requests transport only: nothing of curl's can be behind it
        return None
    for cause in causes(error):
        if not isinstance(cause, CurlError):
            continue
        code = getattr(cause, "code", None)
        if code == CurlECode.COULDNT_RESOLVE_HOST:
            return NAME_NOT_FOUND
        if code == CurlECode.COULDNT_CONNECT:
            return NO_CONNECTION
        if code == CurlECode.OPERATION_TIMEDOUT and any(words in str(cause) for words in _CURL_CONNECT_TIMEOUTS):
            return CONNECT_TIMED_OUT
    return None


def _describe(error: Exception) -> str:
    message = getattr(error, "message", None) or str(error) or type(error).__name__
    return redact(f"{type(error).__name__}: {message}")[:300]  # masked before it is cut: no half secret is left


def _status(error: Exception) -> int:
    code = getattr(error, "code", None)
    return code if isinstance(code, int) else 0


def load_session(settings: Settings, client_factory: Callable[[], Client]) -> Client:
    """A client with the saved session loaded, presented as the account's phone, each request bounded in time
    and never resent by instagrapi; AuthError when there is none."""
    path = settings.instagram.session_file
    if not path.is_file():
        raise AuthError(_("no saved Instagram session in {path}; {help} once, on this computer")
                        .format(path=path, help=_(LOGIN_HELP)))
    client = client_factory()
    try:
        client.load_settings(path)
    except (OSError, ValueError, TypeError, KeyError) as error:
        raise AuthError(_("the saved Instagram session {path} cannot be read ({error}); {help}")
                        .format(path=path, error=type(error).__name__, help=_(LOGIN_HELP))) from None
    # A session saved before (or by another tool) may say USA; every load puts the device back (I3).
    match_device(client, settings.timezone)
    # A saved session brings back its retry settings; with the requests transport, urllib3 would resend a
    # configure POST after a lost reply or a 5xx, posting twice. Never retry below us: the flow decides.
    client.set_retry_config(session_retry_total=0)
    _bound_requests(client)
    _no_resend_of_posts(client)
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


def login(all_settings: Settings, password: str, ask: Callable[[str], str]) -> str:
    """Log in once with the password (asking for a two-factor or challenge code), save the session 0600."""
    settings = all_settings.instagram
    client = Client(delay_range=[1, 3])  # challenges are answered here, through `ask` (unlike new_client)
    client.challenge_code_handler = lambda _username, choice=None: ask(
        _("Instagram sent a security code (by {how}). Code").format(how=str(choice or "SMS/e-mail").lower()))
    client.change_password_handler = lambda _username: None  # a falsy answer makes instagrapi raise, not prompt
    if settings.session_file.is_file():
        with contextlib.suppress(OSError, ValueError, TypeError, KeyError):
            old = json.loads(settings.session_file.read_text(encoding="utf-8"))
            client.set_uuids(old["uuids"])  # same "phone" as before: a new device on every login looks suspicious
    match_device(client, all_settings.timezone)  # before the first request: the login already says where the phone is
    try:
        try:
            client.login(settings.username, password)
        except ig.TwoFactorRequired:
            code = ask(_("Two-factor code from your authenticator app or SMS"))
            client.login(settings.username, password, verification_code=code.strip())
    except Exception as error:  # noqa: BLE001 - instagrapi raises many kinds; each is translated below
        if isinstance(error, (ig.BadPassword, ig.BadCredentials)):
            raise AuthError(_("Instagram refused the password for @{user}; check {variable} or type it again")
                            .format(user=settings.username, variable=settings.password_env)) from None
        raise translate(error, creates=False, username=settings.username) from None
    save_session(client.get_settings(), settings.session_file)
    return f"@{settings.username}"


def save_session(data: dict, path: Path) -> None:
    """Write the session readable by this user only (0600): it logs in as the account without a password.

    Its values may be new (a login, cookies Instagram refreshed): they are masked in all output from now on.
    """
    remember(session_secrets(data))
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(data, handle)
    if hasattr(os, "fchmod"):
        temporary.chmod(0o600)  # in case the file existed with wider permissions
    temporary.replace(path)
