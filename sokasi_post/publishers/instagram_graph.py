"""Posting on Instagram through Meta's official publishing API (`instagram.backend: graph`), for professional accounts.

The Graph API is spoken through publishers/graphapi.py, with the Page token; the photos are fetched by Meta from a
public address (publishers/photohost.py). A post is made in two steps (docs/platforms.md G1): containers, which are
never public, then `media_publish`, which is. So the container ids are the write-ahead intent: each is saved as soon
as it exists, a resumed run uses them again (or finds the post they made), and only a lost reply to `media_publish`
is a doubt, settled by looking at the account's media before anything is sent again (docs/exactly-once.md).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from sokasi_post.config import Settings, read_secret
from sokasi_post.errors import (
    BLOCKED,
    AuthError,
    HeldBackError,
    PublishError,
    RejectedError,
    ThrottledError,
    TransientError,
    UnknownOutcomeError,
    UnreachableError,
)
from sokasi_post.i18n import N_, _, format_date
from sokasi_post.models import Comment, Counts, PlannedPost, Receipt
from sokasi_post.places import load_place
from sokasi_post.platforms import rules_for
from sokasi_post.publishers import CLOCK_MARGIN, DROPPED_CAPTION, OTHER_CAPTION, Checkpoint, redact, same_text, with_retries
from sokasi_post.publishers.graphapi import (
    GraphRefusal,
    GraphSession,
    GraphWords,
    Refused,
    every_item,
    graph_time,
    needing,
    refusing,
)
from sokasi_post.publishers.photohost import PUBLISH_SITE, PhotoHost, make_photo_host

log = logging.getLogger(__name__)

VIA = "graph"  # Receipt.via and the checkpoint's mark: progress saved by this backend, not by instagrapi
MAX_CAROUSEL = rules_for("instagram").photos_per_post  # 2 to 10 in a carousel (docs/platforms.md G1, I7)
GRAPH_HELP = N_("README.md, \"Instagram through the official API\"")
# What publishing needs of the Page token (docs/platforms.md G5).
NEEDED_SCOPES = ("instagram_basic", "instagram_content_publish", "pages_read_engagement")
ALT_TEXT_FIELD = "alt_text"  # on image containers since 2025-03-24: tried, and dropped when refused (docs/platforms.md G1)
# A container not published within 24 hours expires (docs/platforms.md G2); one this close to it is made again.
CONTAINER_LIFETIME = timedelta(hours=24)
CONTAINER_MARGIN = timedelta(minutes=30)
# Looking at a container's status: at once, then after these pauses (about two minutes in all; docs/platforms.md G2).
STATUS_PAUSES = (1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 30.0, 30.0)
USABLE = ("IN_PROGRESS", "FINISHED")  # a saved container in these states can still be published
FIND_AT_MOST = 50  # the account's latest media looked through for a post in doubt (docs/platforms.md G5)
FIND_FIELDS = "id,caption,timestamp,permalink,media_type,children{id}"
# The comments on a media with their replies, and the replies under one comment (docs/platforms.md E2).
COMMENT_FIELDS = "id,text,timestamp,username,from{id,username},replies{id,text,timestamp,username}"
REPLY_FIELDS = "id,text,timestamp,username,from{id,username}"
COMMENTS_PER_PAGE = 50
COMMENTS_PERMISSION = "instagram_manage_comments"
NO_CAPTION_EDIT = N_("Instagram's official API cannot change the caption of a published post: change it by hand in the "
                     "Instagram app")

WORDS = GraphWords(
    said=N_("Instagram said: {error}"),
    blocked=N_(" — Instagram has blocked this for a while; the posts stay queued and Instagram is left alone until the "
               "block has passed"),
    slow_down=N_(" — Instagram asks to slow down; the posts stay queued for the next run"),
    bad_token=N_(" — the token in {variable} is invalid or expired (subcode {sub}); get a new Page token ({help})"),
    no_permission=N_(" — the token in {variable} may not publish on the Instagram account: it needs instagram_basic, "
                     "instagram_content_publish and pages_read_engagement ({help})"),
    broke=N_("the connection to Instagram broke ({error})"),
    no_answer=N_("no answer from Instagram ({error})"),
    unreadable=N_("Instagram sent an unreadable reply ({error})"),
    help=GRAPH_HELP,
)



class _AltTextRefused(Exception):
    """Meta refused the alt_text parameter itself (error 100 naming it): make the container again without it."""


class _Unusable(Exception):
    """A container ended in ERROR or EXPIRED (docs/platforms.md G2): make the post's containers afresh."""

    def __init__(self, status: str, text: str):
        super().__init__(text or status)
        self.status = status


class _AlreadyPublished(Exception):
    """A saved container is PUBLISHED: an earlier run made the post (docs/platforms.md G2)."""


def make_graph_publisher(settings: Settings, sleep: Callable[[float], None] = time.sleep) -> InstagramGraphPublisher:
    """The official-API publisher, with the Page token read from instagram.token_env; AuthError when it is missing."""
    variable = settings.instagram.token_env
    token = read_secret(variable)
    if not token:
        raise AuthError(_("the Page token for Instagram's official API is not set: put it in the environment variable "
                          "{name} ({help})").format(name=variable, help=_(GRAPH_HELP)))
    return InstagramGraphPublisher(settings, token, sleep=sleep)


class InstagramGraphPublisher:
    """Posts on one Instagram professional account linked to the Facebook Page, through Meta's official API."""

    platform = "instagram"
    can_reply = True  # POST /{ig-comment-id}/replies, with instagram_manage_comments (docs/platforms.md E2)
    can_edit_caption = False  # the official API cannot edit a published caption (docs/platforms.md E2)

    def __init__(self, settings: Settings, token: str, sleep: Callable[[float], None] = time.sleep,
                 host: PhotoHost | None = None):
        self.all_settings = settings
        self.settings = settings.instagram
        self.page_id = settings.facebook.page_id
        self.user_id = settings.instagram.user_id
        self.sleep = sleep
        self.now = lambda: datetime.now(UTC)
        self.graph = GraphSession(self.platform, settings.facebook, token, WORDS, variable=settings.instagram.token_env,
                                  special=self._instagram_error)
        self.host = host or make_photo_host(settings, self.graph, sleep)
        self._alt_refused = False  # once Meta refuses alt_text, this run stops sending it (feature detection)
        self._warned_no_place = False
        self._post_of: dict[str, str] = {}  # comment id -> the media it is on, as listed in this run

    # -- the Publisher interface ------------------------------------------------------------------

    def check(self) -> str:
        """Can the token read the configured professional account, and is it the one config.yaml names?"""
        user_id = self._user_id()
        try:
            me = self._read(user_id, fields="id,username")
        except RejectedError as error:  # 100: no such object, or not one this token may see
            raise AuthError(_("the Instagram account {id} (instagram.user_id in config.yaml) cannot be read with the token in "
                              "{variable}: {error}. The account must be a professional one linked to the Facebook Page "
                              "({help})").format(id=user_id, variable=self.settings.token_env, error=error,
                                                 help=_(GRAPH_HELP))) from None
        username = str(me.get("username") or "")
        wanted = (self.settings.username or "").lstrip("@")
        if wanted and username.lower() != wanted.lower():
            raise AuthError(_("the Instagram account {id} is @{found}, but config.yaml says @{wanted}: correct "
                              "instagram.username or instagram.user_id").format(id=user_id, found=username, wanted=wanted))
        return _("@{username} (account {id}, through Meta's official API)").format(username=username, id=user_id)

    def publish(self, post: PlannedPost, resume: dict[str, Any], checkpoint: Checkpoint) -> Receipt:
        """Containers (one per photo, a carousel for 2 to 10), each saved as it is made; FINISHED; then media_publish.

        A saved set of containers is used again while it can be (docs/platforms.md G2); a saved container that is
        PUBLISHED means the post exists, and it is never published again.
        """
        photos = post.prepared
        if not 1 <= len(photos) <= MAX_CAROUSEL:
            raise RejectedError(_("Instagram takes 1 to {limit} photos in one post; this post has {count}")
                                .format(limit=MAX_CAROUSEL, count=len(photos)))
        user_id = self._user_id()
        content = self._content(post)
        record = self._saved(resume, user_id)
        try:
            record = self._usable(record, content, len(photos))
        except _AlreadyPublished:
            return self._published_before(post, record)
        self._check_quota(user_id)
        remade = False
        while True:
            if not record:
                record = {"via": VIA, "user_id": user_id, "content": content, "created_at": self.now().isoformat(),
                          "containers": {}, "no_alt": []}
            try:
                top = self._containers(post, record, checkpoint)
                status, text = self._wait(top)
                if status == "PUBLISHED":
                    return self._published_before(post, record)
                if status != "FINISHED":
                    raise _Unusable(status, text)
                break
            except _Unusable as unusable:
                # ERROR: Meta could not process a photo; fresh containers once may help. EXPIRED: simply made again.
                if remade:
                    raise RejectedError(_("Instagram could not prepare the post: {status}").format(status=unusable)) from None
                log.warning("%s: an Instagram container ended %s (%s); making the post's containers again",
                            post.product.slug, unusable.status, unusable)
                remade, record = True, {}
        # The one request that makes the post public: a reply lost here is a doubt, never a resend (creates=True).
        reply = self.graph.request(lambda: self.graph.post(user_id, "media_publish", creation_id=top), creates=True)
        media_id = reply.get("id")
        if not media_id:
            raise UnknownOutcomeError(_("Instagram answered media_publish without the post's id; it may have gone through"))
        # The post exists and the flow records it next. Its containers are forgotten, so that a later --repost makes
        # new ones instead of finding this post; a run killed before this line finds it through them (PUBLISHED),
        # one killed after it through find() (docs/exactly-once.md).
        checkpoint({**record, "containers": {}})
        return self._receipt(post, str(media_id), list(record.get("no_alt") or []))

    def diagnose(self) -> list[tuple[bool | None, str]]:
        """For `doctor`: the account linked to the Page, the token's permissions, the publishing limit used, and one
        photo address fetched from outside, as Meta will fetch it."""
        findings: list[tuple[bool | None, str]] = [self._account_finding(), self._permission_finding(),
                                                   self._quota_finding(), self.host.probe()]
        location = self._location_finding()
        if location is not None:
            findings.append(location)
        return findings

    def find(self, post: PlannedPost, since: datetime) -> Receipt | None:
        """Look through the account's latest media (about 50, newest first) for one with this caption, made since `since`.

        A media without a caption, made in that time with as many photos, is most likely this one with its caption
        dropped (docs/platforms.md G1): it counts as found, with a problem, so that a doubtful post is never sent
        twice. Raises a PublishError when the account cannot be asked: "could not look" is never "absent".
        """
        user_id = self._user_id()
        earliest = since - CLOCK_MARGIN
        photos = len(post.prepared or post.photos)
        uncaptioned: tuple[dict[str, Any], datetime | None] | None = None
        after: str | None = None
        seen = 0
        while seen < FIND_AT_MOST:
            page = self._read(f"{user_id}/media", fields=FIND_FIELDS, limit=25, **({"after": after} if after else {}))
            items = [item for item in page.get("data") or [] if isinstance(item, dict)]
            for item in items:
                seen += 1
                made = graph_time(item.get("timestamp"))
                if made is not None and made < earliest:
                    return self._uncaptioned(post, uncaptioned)  # newest first: the rest is older still
                caption = str(item.get("caption") or "")
                if same_text(caption, post.caption):
                    return self._found(item, made)
                if uncaptioned is None and not caption.strip() and _photo_count(item) == photos:
                    uncaptioned = (item, made)
            paging = _mapping(page.get("paging"))
            after = _mapping(paging.get("cursors")).get("after") if paging.get("next") else None
            if not items or not after:
                break
        return self._uncaptioned(post, uncaptioned)

    def clock_offset(self) -> float | None:
        """Seconds this computer's clock is ahead of Meta's (negative: behind), after any request; else None."""
        server_time = self.graph.server_time
        return None if server_time is None else (self.now() - server_time).total_seconds()

    # -- the Engagement interface (docs/platforms.md E2) ---------------------------------------------------------

    def comments(self, media_id: str) -> list[Comment]:
        """Every comment on the media and every reply under them, flattened (a reply carries its parent's id), each
        once, every page read."""
        def page(after: str | None) -> dict:
            return self._read_needing(f"{media_id}/comments", fields=COMMENT_FIELDS, limit=COMMENTS_PER_PAGE,
                                      **({"after": after} if after else {}))
        found: list[Comment] = []
        for item in every_item(page):
            found.append(self._comment(item, media_id))
            nested = _mapping(item.get("replies"))
            if _mapping(nested.get("paging")).get("next"):  # more replies than came nested: list them all
                found.extend(self._replies_of(str(item["id"]), media_id))
            else:
                found.extend(self._comment(reply, media_id, parent=str(item["id"]))
                             for reply in nested.get("data") or [] if isinstance(reply, dict) and reply.get("id"))
        unique = list({comment.remote_id: comment for comment in reversed(found)}.values())[::-1]
        self._post_of.update((comment.remote_id, media_id) for comment in unique)
        return unique

    def replies(self, comment_id: str) -> list[Comment]:
        """The replies where an answer to this comment lands: under it, or, when it is itself a reply, under the
        top-level comment it is in ("replies to a reply will be added to the top-level comment", docs/platforms.md E2),
        every page read. Their post_id is the media's when comments() listed the comment in this run, else empty."""
        top = self._read_needing(comment_id, fields="parent_id").get("parent_id")
        thread = self._replies_of(str(top) if top else comment_id, self._post_of.get(comment_id, ""))
        return [reply for reply in thread if reply.remote_id != comment_id]

    def _replies_of(self, comment_id: str, media_id: str) -> list[Comment]:
        """GET /{ig-comment-id}/replies of a top-level comment, every page read."""
        def page(after: str | None) -> dict:
            return self._read_needing(f"{comment_id}/replies", fields=REPLY_FIELDS, limit=COMMENTS_PER_PAGE,
                                      **({"after": after} if after else {}))
        return [self._comment(item, media_id, parent=comment_id) for item in every_item(page)]

    def reply(self, comment_id: str, text: str) -> str:
        """Reply as the account (POST /{ig-comment-id}/replies). Sent once: a lost answer is an UnknownOutcomeError,
        and the caller looks through replies() before anything is sent again."""
        ask = needing(self.graph, COMMENTS_PERMISSION, GRAPH_HELP,
                      lambda: self.graph.post(comment_id, "replies", message=text))
        answer = self.graph.request(ask, creates=True)
        if not answer.get("id"):
            raise UnknownOutcomeError(_("Instagram answered the reply without its id; it may have gone through"))
        return str(answer["id"])

    def counts(self, media_id: str) -> Counts:
        """Likes and comments on the media (a count Instagram leaves out is None: likes may be hidden)."""
        node = self._read(media_id, fields="like_count,comments_count")
        return Counts(platform=self.platform, post_id=media_id, at=self.now(), likes=_count(node.get("like_count")),
                      comments=_count(node.get("comments_count")))

    def caption(self, media_id: str) -> str:
        """The media's caption as it is now."""
        return str(self._read(media_id, fields="caption").get("caption") or "")

    def edit_caption(self, media_id: str, text: str) -> None:
        """Refused: a published media's caption cannot be changed through the official API (docs/platforms.md E2)."""
        raise RejectedError(_(NO_CAPTION_EDIT))

    def _comment(self, item: dict[str, Any], media_id: str, parent: str | None = None) -> Comment:
        """One listed comment or reply; ours when the account wrote it (its id, or its username: nested replies carry
        only that)."""
        author = _mapping(item.get("from"))
        username = str(item.get("username") or author.get("username") or "")
        own = (self.settings.username or "").lstrip("@").lower()
        created = graph_time(item.get("timestamp"))
        return Comment(platform=self.platform, remote_id=str(item["id"]), post_id=media_id, author=username,
                       text=str(item.get("text") or ""), created_at=created.astimezone(UTC) if created else self.now(),
                       parent_id=parent, ours=str(author.get("id") or "") == self.user_id or bool(own and username.lower() == own))

    def _read_needing(self, path: str, **args: Any) -> dict:
        """GET of comments, retried on passing faults; without instagram_manage_comments, an AuthError naming it."""
        ask = needing(self.graph, COMMENTS_PERMISSION, GRAPH_HELP, lambda: self.graph.get(path, **args))
        return with_retries(partial(self.graph.request, ask, creates=False), self.sleep)

    # -- the account --------------------------------------------------------------------------------------------

    def _user_id(self) -> str:
        """instagram.user_id; when it is not set, the account linked to the Page is looked up and the line to put in
        config.yaml is the AuthError's message (docs/platforms.md G5)."""
        if self.user_id:
            return self.user_id
        if not self.page_id:
            raise AuthError(_("instagram.user_id is not set in config.yaml: put the Instagram professional account's ID "
                              "there, or set facebook.page_id so that it can be found ({help})").format(help=_(GRAPH_HELP)))
        linked = self._linked_account()
        if linked is None:
            raise AuthError(self._not_linked())
        raise AuthError(_("instagram.user_id is not set in config.yaml. The Instagram account linked to the Facebook Page "
                          "is {id}: put this line under instagram: in config.yaml: user_id: \"{id}\"").format(id=linked))

    def _linked_account(self) -> str | None:
        """The id of the Instagram account linked to the Page, or None when none is (docs/platforms.md G5)."""
        page = self._read(str(self.page_id), fields="instagram_business_account")
        account = page.get("instagram_business_account")
        return str(account["id"]) if isinstance(account, dict) and account.get("id") else None

    def _not_linked(self) -> str:
        return _("the Facebook Page {page} has no Instagram account linked to it. The official API posts only on a "
                 "professional (Business or Creator) account linked to the Page: switch the account to professional in "
                 "the Instagram app, link it to the Page, then run `sokasi-post doctor` ({help})").format(
            page=self.page_id, help=_(GRAPH_HELP))

    # -- containers ---------------------------------------------------------------------------------------------

    def _saved(self, resume: dict[str, Any], user_id: str) -> dict[str, Any]:
        """What this backend saved for this account last time (a copy); {} for progress of another kind (instagrapi's)."""
        if resume.get("via") != VIA or resume.get("user_id") != user_id or not isinstance(resume.get("containers"), dict):
            return {}
        return {**resume, "containers": dict(resume["containers"]), "no_alt": list(resume.get("no_alt") or [])}

    def _usable(self, record: dict[str, Any], content: str, count: int) -> dict[str, Any]:
        """The saved containers when they can be used again, else {} (make new ones). Raises _AlreadyPublished when
        the container to publish says PUBLISHED: whatever its age, that post exists (docs/platforms.md G2)."""
        containers: dict[str, str] = record.get("containers") or {}
        if not containers:
            return {}
        top = containers.get("1" if count == 1 else "carousel")
        top_status = self._saved_status(top) if top else None
        if top_status == "PUBLISHED":
            raise _AlreadyPublished
        created = _parse_time(record.get("created_at"))
        if record.get("content") != content or created is None or \
                self.now() - created >= CONTAINER_LIFETIME - CONTAINER_MARGIN:
            return {}  # made for another version of the post, or (nearly) expired
        # Only a whole set is used again. Carousel items saved without their carousel may already have been taken by
        # one whose reply was lost, and an item goes into one carousel only: they are made afresh (they are invisible).
        return record if top and top_status in USABLE else {}

    def _saved_status(self, container_id: str) -> str | None:
        """A saved container's status_code; None when Meta no longer knows it (a clear "no such object")."""
        try:
            node = self._read(container_id, fields="status_code")
        except RejectedError:
            return None
        return str(node.get("status_code") or "") or None

    def _containers(self, post: PlannedPost, record: dict[str, Any], checkpoint: Checkpoint) -> str:
        """Make the containers the record lacks (each saved at once), and return the id of the one to publish.

        Before any is made, the photo host checks every address (HeldBackError: nothing sent).
        """
        photos = post.prepared
        containers: dict[str, str] = record["containers"]
        single = len(photos) == 1
        top_key = "1" if single else "carousel"
        if top_key in containers:
            return containers[top_key]
        location = self._location_id()
        tags = self._user_tags(post)
        missing = [i for i in range(1, len(photos) + 1) if str(i) not in containers]
        urls = self.host.check(photos) if missing else []
        for index in missing:
            photo = photos[index - 1]
            fields: dict[str, str] = {"image_url": urls[index - 1]}
            if single:
                fields["caption"] = post.caption
                if location:
                    fields["location_id"] = location
            else:
                fields["is_carousel_item"] = "true"
            if tags:
                fields["user_tags"] = tags  # images only: on a carousel, its items (docs/platforms.md G1)
            alt = post.product.alt.get(photo.source.name)
            containers[str(index)] = self._image_container(record["user_id"], fields, alt, photo.source.name,
                                                           record["no_alt"])
            checkpoint(dict(record))
        return containers["1"] if single else self._carousel(post, record, checkpoint, location)

    def _carousel(self, post: PlannedPost, record: dict[str, Any], checkpoint: Checkpoint, location: str | None) -> str:
        """The carousel container, made of the items once each is FINISHED (docs/platforms.md G1, G2), and saved."""
        containers: dict[str, str] = record["containers"]
        items = [containers[str(i)] for i in range(1, len(post.prepared) + 1)]
        for item in items:
            status, text = self._wait(item)
            if status != "FINISHED":
                raise _Unusable(status, text)
        fields = {"media_type": "CAROUSEL", "caption": post.caption, "children": ",".join(items)}
        if location:
            fields["location_id"] = location
        try:
            containers["carousel"] = self._create(record["user_id"], fields, again=False)
        except UnreachableError:
            raise  # nothing left this computer: the items are untouched
        except TransientError:
            # No clear answer: the carousel may exist and hold the items, which could not go into another one. The
            # next try makes the whole set afresh (containers are invisible: nothing public is lost or doubled).
            record["containers"] = {}
            checkpoint(dict(record))
            raise
        checkpoint(dict(record))
        return containers["carousel"]

    def _image_container(self, user_id: str, fields: dict[str, str], alt: str | None, name: str, no_alt: list[str]) -> str:
        """One image container, with its alt text when Meta takes it; refused, it is made again without (G1)."""
        if alt and not self._alt_refused:
            try:
                return self._create(user_id, {**fields, ALT_TEXT_FIELD: alt}, alt=True)
            except _AltTextRefused as refused:
                log.warning("Instagram refused the alt text of %s, making its container without: %s", name,
                            self.graph.redacted("{error}", refused))
                self._alt_refused = True
        if alt:
            no_alt.append(name)
        return self._create(user_id, fields)

    def _create(self, user_id: str, fields: dict[str, str], alt: bool = False, again: bool = True) -> str:
        """POST /{ig-user-id}/media. A container is not public: sending one again after a lost reply makes no post
        (`again`: retried at once on a passing fault; a carousel is not, see _containers)."""
        def call() -> Any:
            try:
                return self.graph.post(user_id, "media", **fields)
            except GraphRefusal as refusal:
                if alt and refusal.names(ALT_TEXT_FIELD):
                    raise _AltTextRefused(refusal.traced()) from None
                raise

        send = partial(self.graph.request, call, creates=False)
        reply = with_retries(send, self.sleep) if again else send()
        if not reply.get("id"):
            raise TransientError(_("Instagram sent an unreadable reply ({error})").format(error="no container id"))
        return str(reply["id"])

    def _wait(self, container_id: str) -> tuple[str, str]:
        """The container's status once it has left IN_PROGRESS: looked at once, then after growing pauses (bounded)."""
        for pause in (0.0, *STATUS_PAUSES):
            if pause:
                self.sleep(pause)
            node = self._read(container_id, fields="status_code,status")
            status = str(node.get("status_code") or "")
            if status != "IN_PROGRESS":
                return status, str(node.get("status") or "")
        raise TransientError(_("Instagram is still preparing the photos after {seconds:.0f} seconds; the next try goes on "
                               "with them").format(seconds=sum(STATUS_PAUSES)))

    def _check_quota(self, user_id: str) -> None:
        """Read the 24-hour publishing limit before publishing (docs/platforms.md G3): full, nothing more goes today."""
        usage, total = self._quota(user_id)
        if total is not None and usage >= total:
            raise HeldBackError(_("Instagram's limit of {total} posts in 24 hours through the official API is reached "
                                  "({usage} made): nothing more goes to Instagram in this run; the next run tries again")
                                .format(total=total, usage=usage), whole_platform=True)

    def _quota(self, user_id: str) -> tuple[int, int | None]:
        reply = self._read(f"{user_id}/content_publishing_limit", fields="config,quota_usage")
        data = reply.get("data") or [{}]
        entry = data[0] if isinstance(data, list) and data and isinstance(data[0], dict) else {}
        total = _mapping(entry.get("config")).get("quota_total")
        return int(entry.get("quota_usage") or 0), int(total) if isinstance(total, int) else None

    # -- what the post says besides the caption -----------------------------------------------------------------

    def _user_tags(self, post: PlannedPost) -> str | None:
        """The maker's account tagged in the middle of each photo, as Meta's JSON list (docs/platforms.md G1)."""
        maker = post.product.maker_instagram
        return json.dumps([{"username": maker.lstrip("@"), "x": 0.5, "y": 0.5}]) if maker else None

    def _location_id(self) -> str | None:
        """The Facebook place id to tag: fixed in config.yaml, else the one `doctor` saved; else none
        (docs/platforms.md I6: the official API takes a place id only)."""
        wanted = self.settings.location
        if wanted is None:
            return None
        if wanted.facebook_places_id and wanted.facebook_places_id.isdigit():
            return wanted.facebook_places_id
        saved = load_place(self.all_settings)
        if saved is not None:
            return saved.place_id
        if not self._warned_no_place:
            log.warning("posting without a location: %s has no place id; put facebook_places_id under instagram.location "
                        "in config.yaml", wanted.name)
            self._warned_no_place = True
        return None

    def _content(self, post: PlannedPost) -> str:
        """A digest of everything the containers carry: saved containers are used again only for the same content."""
        digest = hashlib.sha256(post.caption.encode())
        for photo in post.prepared:
            digest.update(hashlib.sha256(photo.path.read_bytes()).digest())
            digest.update((post.product.alt.get(photo.source.name) or "").encode())
        digest.update(f"{self._user_tags(post)}|{self.settings.location}".encode())
        return digest.hexdigest()

    # -- receipts -----------------------------------------------------------------------------------------------

    def _receipt(self, post: PlannedPost, media_id: str, no_alt: list[str]) -> Receipt:
        """The published media read back: its link, and a problem when the caption is not the one sent."""
        try:
            media = self._read(media_id, fields="id,caption,permalink,timestamp")
        except PublishError as error:
            log.warning("could not read back Instagram post %s: %s", media_id, error)
            media = {}
        problems = []
        if media:
            caption = str(media.get("caption") or "")
            if not caption.strip():
                problems.append(_(DROPPED_CAPTION))
            elif not same_text(caption, post.caption):
                problems.append(_(OTHER_CAPTION))
        if no_alt:
            problems.append(_("posted without alt text on {photos}: Instagram refused it").format(photos=", ".join(no_alt)))
        problem = "; ".join(problems) or None
        if problem:
            log.warning("%s: %s", post.product.slug, problem)
        return Receipt(platform=self.platform, remote_id=media_id, permalink=media.get("permalink"),
                       at=graph_time(media.get("timestamp")) or self.now(), problem=problem, via=VIA)

    def _published_before(self, post: PlannedPost, record: dict[str, Any]) -> Receipt:
        """A saved container is PUBLISHED: find the post it made; never publish it again."""
        since = _parse_time(record.get("created_at")) or self.now() - CONTAINER_LIFETIME
        found = self.find(post, since)
        if found is not None:
            return found
        raise UnknownOutcomeError(_("Instagram says this post was published by an earlier run, but it is not among the "
                                    "account's latest posts yet; it is not sent again, the next run looks for it"))

    def _found(self, item: dict[str, Any], made: datetime | None, problem: str | None = None) -> Receipt:
        return Receipt(platform=self.platform, remote_id=str(item.get("id")), permalink=item.get("permalink"),
                       at=made or self.now(), problem=problem, via=VIA)

    def _uncaptioned(self, post: PlannedPost, candidate: tuple[dict[str, Any], datetime | None] | None) -> Receipt | None:
        if candidate is None:
            return None
        item, made = candidate
        when = format_date((made or self.now()).astimezone(self.all_settings.timezone))
        problem = _("a post without a caption, made on {when}, was taken to be this one: Instagram most likely dropped the "
                    "caption (e.g. more than 5 hashtags). Check it in the Instagram app: add the caption, or delete the "
                    "post and send it again with --repost").format(when=when)
        log.warning("%s: %s", post.product.slug, problem)
        return self._found(item, made, problem)

    # -- doctor -------------------------------------------------------------------------------------------------

    def _account_finding(self) -> tuple[bool | None, str]:
        if not self.page_id:
            return None, _("account: facebook.page_id is not set, so the account linked to the Page could not be checked")
        try:
            linked = self._linked_account()
        except PublishError as error:
            return False, _("account: could not ask which Instagram account is linked to the Page: {error}").format(
                error=error)
        if linked is None:
            return False, self._not_linked()
        if linked != self.user_id:
            return False, _("account: the Page is linked to the Instagram account {linked}, but config.yaml says user_id "
                            "{user_id}: put this line under instagram: in config.yaml: user_id: \"{linked}\"").format(
                linked=linked, user_id=self.user_id)
        return True, _("account: {id} is the professional account linked to the Page {page}").format(
            id=linked, page=self.page_id)

    def _permission_finding(self) -> tuple[bool | None, str]:
        facebook = self.all_settings.facebook
        ids = {"id_variable": facebook.app_id_env, "secret_variable": facebook.app_secret_env}
        app = self.graph.app_credentials()
        if app is None:
            return None, _("not checked: the token's permissions and when it expires. To let doctor ask Facebook, set "
                           "{id_variable} and {secret_variable} (App ID and App secret, in the App Dashboard under App "
                           "settings > Basic)").format(**ids)
        try:
            info = with_retries(lambda: self.graph.request(refusing(lambda: self.graph.debug_token(*app)), creates=False),
                                self.sleep).get("data") or {}
        except Refused as refused:
            return False, redact(_(
                "Facebook refused the app ID and secret in {id_variable} and {secret_variable}, so the token could not be "
                "checked; Facebook said: {error}").format(error=refused, **ids), self.graph.secrets)
        except PublishError as error:
            return False, _("could not ask Facebook about the token: {error}").format(error=error)
        variable = self.settings.token_env
        if not info.get("is_valid"):
            return False, _("Facebook says the token in {variable} is no longer valid: get a new Page token ({help})").format(
                variable=variable, help=_(GRAPH_HELP))
        scopes = list(info.get("scopes") or [])
        missing = [scope for scope in NEEDED_SCOPES if scope not in scopes]
        if missing:
            return False, _("the token in {variable} lacks {missing}: make a new Page token with these permissions "
                            "({help})").format(variable=variable, missing=", ".join(missing), help=_(GRAPH_HELP))
        if COMMENTS_PERMISSION not in scopes:  # needed only to read and answer comments (docs/platforms.md E2)
            return True, _("permissions: {scopes}; without {scope}, `inbox` cannot read or answer Instagram comments "
                           "({help})").format(scopes=", ".join(NEEDED_SCOPES), scope=COMMENTS_PERMISSION,
                                              help=_(GRAPH_HELP))
        return True, _("permissions: {scopes}").format(scopes=", ".join((*NEEDED_SCOPES, COMMENTS_PERMISSION)))

    def _quota_finding(self) -> tuple[bool | None, str]:
        try:
            usage, total = self._quota(self._user_id())
        except PublishError as error:
            return False, _("publishing limit: could not be read: {error}").format(error=error)
        if total is None:
            return None, _("publishing limit: {usage} posts in the last 24 hours (Instagram did not say the limit)").format(
                usage=usage)
        return usage < total, _("publishing limit: {usage} of {total} posts in the last 24 hours").format(
            usage=usage, total=total)

    def _location_finding(self) -> tuple[bool | None, str] | None:
        wanted = self.settings.location
        if wanted is None:
            return None
        place = self._location_id()
        if place is None:
            return False, _("location: {name} has no Facebook place id, and the official API tags a place only by its id: "
                            "posts go without a location. Put `facebook_places_id: <id>` under instagram.location in "
                            "config.yaml").format(name=wanted.name)
        return True, _("location: {name}, place id {id}").format(name=wanted.name, id=place)

    # -- requests -----------------------------------------------------------------------------------------------

    def _read(self, path: str, **args: Any) -> dict:
        """GET, retried on passing faults; a read creates nothing."""
        return with_retries(lambda: self.graph.request(lambda: self.graph.get(path, **args), creates=False), self.sleep)

    def _instagram_error(self, refusal: GraphRefusal, creates: bool) -> PublishError | None:
        """Instagram's own codes (docs/platforms.md G4), before the general Graph rules; None: not one of them."""
        code, sub = refusal.code, refusal.subcode
        said = self.graph.said(refusal)
        if code == 9004 or sub == 2207052:
            where = _("make sure the site is online ({command}), then wait a minute").format(command=PUBLISH_SITE) \
                if self.settings.photo_host == "site" else _("the Page as photo host is experimental: set "
                                                             "instagram.photo_host: site")
            return HeldBackError(said + _(" — Instagram could not fetch a photo of this post from its address: "
                                          "{where}. Nothing was posted").format(where=where))
        if sub == 2207042 or (code == 9 and sub is None):
            return HeldBackError(said + _(" — Instagram's limit of posts in 24 hours through the official API is reached: "
                                          "nothing more goes to Instagram in this run"), whole_platform=True)
        if code == 4 and sub == 2207051:
            return ThrottledError(said + _(" — Instagram restricts this activity for now (it suspects spam); the posts "
                                           "stay queued and Instagram is left alone for a while"), cooldown=BLOCKED)
        if code == 25 or sub == 2207050:
            return ThrottledError(said + _(" — the Instagram account is restricted: open the Instagram app on the phone "
                                           "and do what it asks; the posts stay queued"), cooldown=BLOCKED)
        if code in (-1, -2, 24, 9007):  # retry; an expired or lost container is made again on the next try
            return TransientError(said)
        if isinstance(code, int) and (36000 <= code <= 36999 or (code == 100 and isinstance(sub, int)
                                                                 and 2207000 <= sub <= 2207099)):
            return RejectedError(said)
        return None


def _photo_count(item: dict[str, Any]) -> int:
    """How many photos a listed media shows: a carousel's children, else one."""
    children = item.get("children")
    if item.get("media_type") == "CAROUSEL_ALBUM" and isinstance(children, dict):
        return len(children.get("data") or [])
    return 1


def _count(value: object) -> int | None:
    """A count as Graph gives it (a number), else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _mapping(value: object) -> dict[str, Any]:
    """`value` when it is a JSON object, else an empty one (a reply missing a part is read as far as it goes)."""
    return value if isinstance(value, dict) else {}


def _parse_time(value: object) -> datetime | None:
    try:
        when = datetime.fromisoformat(str(value))
    except (TypeError, ValueError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)
