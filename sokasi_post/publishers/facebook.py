"""Posting on the Facebook Page through the Graph API, spoken through publishers/graphapi.py (facebook-sdk's home).

Facts behind the surprising lines are in docs/platforms.md (F1-F7): the traps of facebook-sdk 3.1.0 are handled in
graphapi.py (F6). Alt text goes with each upload (F3); only an app token may call debug_token (F4); and no Graph call
tells whether the app is Live (F1).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from sokasi_post.config import Settings
from sokasi_post.errors import AuthError, PublishError, RejectedError, UnknownOutcomeError
from sokasi_post.i18n import N_, _
from sokasi_post.models import Comment, Counts, PlannedPost, PreparedPhoto, Receipt
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
from sokasi_post.publishers.graphapi import (
    GraphRefusal,
    GraphSession,
    GraphWords,
    Refused,
    every_item,
    graph_time,
    mapping,
    needing,
    refusing,
)

log = logging.getLogger(__name__)

ALT_TEXT_FIELD = "alt_text_custom"  # a creation parameter of POST /{page-id}/photos only (docs/platforms.md F3)
# What posting and reading need (developers.facebook.com/docs/pages-api/posts; docs/platforms.md F4).
NEEDED_SCOPES = ("pages_manage_posts", "pages_read_engagement")
ANSWER_SCOPE = "pages_manage_engagement"  # answering comments as the Page (docs/platforms.md E1)
EXPIRY_WARNING = timedelta(days=14)
# The comments on a post, replies included, and who wrote them (docs/platforms.md E1).
COMMENT_FIELDS = "id,message,from{id,name},created_time,parent{id}"
COMMENTS_PER_PAGE = 50
COUNT_FIELDS = "reactions.summary(total_count).limit(0),comments.summary(total_count).limit(0),shares"
PAGE_TOKEN_HELP = N_("README.md, \"Facebook Page token\"")
APP_DASHBOARD = "https://developers.facebook.com/apps"

# What Facebook's errors say (graphapi.GraphSession translates Meta's answers with them).
WORDS = GraphWords(
    said=N_("Facebook said: {error}"),
    blocked=N_(" — Facebook has blocked this for a while; the posts stay queued and Facebook is left alone until the "
               "block has passed"),
    slow_down=N_(" — Facebook asks to slow down; the posts stay queued for the next run"),
    bad_token=N_(" — the token in {variable} is invalid or expired (subcode {sub}); get a new Page token ({help})"),
    no_permission=N_(" — the token may not post on Page {page}: use a Page token with pages_manage_posts ({help})"),
    broke=N_("the connection to Facebook broke ({error})"),
    no_answer=N_("no answer from Facebook ({error})"),
    unreadable=N_("Facebook sent an unreadable reply ({error})"),
    help=SETUP_HELP,
)


class FacebookPublisher:
    """Posts on one Facebook Page with a Page access token."""

    platform = "facebook"
    can_reply = True  # as the Page, with pages_manage_engagement (docs/platforms.md E1)
    can_edit_caption = True

    def __init__(self, settings: Settings, token: str, sleep: Callable[[float], None] = time.sleep):
        self.full_settings = settings
        self.settings = settings.facebook
        self.page_id = settings.facebook.page_id
        self.token = token
        self.sleep = sleep
        self.now = lambda: datetime.now(UTC)
        self.graph = GraphSession(self.platform, self.settings, token, WORDS, timeout=TIMEOUT)
        self._post_of: dict[str, str] = {}  # comment id -> the post it is on, as listed in this run

    # -- the Publisher interface ------------------------------------------------------------------

    def check(self) -> str:
        """Is the token the Page's own token for page_id? Raise AuthError saying how to fix it.

        A Page token may read /me (the Page itself); what it may do is known only to debug_token, which
        answers an app token, never a Page token (docs/platforms.md F4): that is for `diagnose`.
        """
        me = self._request(lambda: self.graph.get("me", fields="id,name"), creates=False)
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
                result = self._request(lambda: self.graph.post(f"{self.page_id}", "feed", message=message, **fields),
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
        app = self.graph.app_credentials()
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
            ask = partial(self.graph.get, f"{self.page_id}/{edge}",
                          fields=f"id,message,created_time,permalink_url,{field}", limit=25)
            listing = with_retries(partial(self._request, ask, creates=False), self.sleep)
            for item in listing.get("data", []):
                created = graph_time(item.get("created_time"))
                if same_text(item.get("message", ""), post.caption) and (created is None or created >= earliest):
                    scheduled = graph_time(item.get("scheduled_publish_time")) if edge == "scheduled_posts" else None
                    return Receipt(platform=self.platform, remote_id=str(item["id"]), permalink=item.get("permalink_url"),
                                   at=created or self.now(), scheduled_for=scheduled)
        return None

    def clock_offset(self) -> float | None:
        """Seconds this computer's clock is ahead of Facebook's (negative: behind), after any request; else None."""
        server_time = self.graph.server_time
        return None if server_time is None else (self.now() - server_time).total_seconds()

    # -- the Engagement interface (docs/platforms.md E1) ---------------------------------------------

    def comments(self, post_id: str) -> list[Comment]:
        """Every comment on the post, replies included (filter=stream), newest first, each once, every page read."""
        def page(after: str | None) -> dict:
            return self._read(post_id, "comments", "pages_read_engagement", fields=COMMENT_FIELDS, filter="stream",
                              order="reverse_chronological", limit=COMMENTS_PER_PAGE, **({"after": after} if after else {}))
        found = [self._comment(item, post_id) for item in every_item(page)]
        self._post_of.update((comment.remote_id, post_id) for comment in found)
        return found

    def replies(self, comment_id: str) -> list[Comment]:
        """The replies where an answer to this comment lands: under it, and, when it is itself a reply, under the
        comment it answers (where Facebook may put a reply to a reply: not documented, docs/platforms.md E1), every
        page read. Their post_id is the post's when comments() listed the comment in this run, else empty."""
        above = mapping(self._read(comment_id, "", "pages_read_engagement", fields="parent{id}").get("parent")).get("id")
        post_id = self._post_of.get(comment_id, "")
        found: dict[str, Comment] = {}
        for thread in (comment_id, *([str(above)] if above else [])):
            def page(after: str | None, thread: str = thread) -> dict:
                return self._read(thread, "comments", "pages_read_engagement", fields=COMMENT_FIELDS,
                                  limit=COMMENTS_PER_PAGE, **({"after": after} if after else {}))
            for item in every_item(page):
                if str(item["id"]) != comment_id:  # a reply is among its top-level comment's replies
                    found.setdefault(str(item["id"]), self._comment(item, post_id, parent=thread))
        return list(found.values())

    def reply(self, comment_id: str, text: str) -> str:
        """Reply as the Page (POST /{comment-id}/comments). Sent once: a lost answer is an UnknownOutcomeError, and the
        caller looks through replies() before anything is sent again."""
        ask = needing(self.graph, "pages_manage_engagement", PAGE_TOKEN_HELP,
                      lambda: self.graph.post(comment_id, "comments", message=text))
        answer = self._request(ask, creates=True)
        if not answer.get("id"):
            raise UnknownOutcomeError(_("Facebook answered the reply without its id; it may have gone through"))
        return str(answer["id"])

    def counts(self, post_id: str) -> Counts:
        """Reactions, comments and shares on the post, in one request (no shares given means none)."""
        node = self._read(post_id, "", "pages_read_engagement", fields=COUNT_FIELDS)
        shares = node.get("shares")  # left out when there are none (docs/platforms.md E1)
        return Counts(platform=self.platform, post_id=post_id, at=self.now(), reactions=_total(node.get("reactions")),
                      comments=_total(node.get("comments")), shares=0 if shares is None else _count(mapping(shares).get("count")))

    def caption(self, post_id: str) -> str:
        """The post's text as it is now."""
        return str(self._read(post_id, "", "pages_read_engagement", fields="message").get("message") or "")

    def edit_caption(self, post_id: str, text: str) -> None:
        """Replace the post's text (POST /{post-id} with message; a photo post is edited on its post id too).

        Not sent again blindly: a lost answer is an UnknownOutcomeError, and the caller reads the caption first.
        """
        ask = needing(self.graph, "pages_manage_posts", PAGE_TOKEN_HELP, lambda: self.graph.update(post_id, message=text))
        if self._request(ask, creates=True).get("success") is not True:
            raise UnknownOutcomeError(_("Facebook did not confirm the change of the post's text; look at the post before "
                                        "changing it again"))

    # -- helpers ----------------------------------------------------------------------------------

    def _read(self, node: str, edge: str, permission: str, **args: Any) -> dict:
        """GET /{node}/{edge} (or the node itself), retried on passing faults; a missing `permission` is named."""
        path = f"{node}/{edge}" if edge else node
        ask = needing(self.graph, permission, PAGE_TOKEN_HELP, lambda: self.graph.get(path, **args))
        return with_retries(partial(self._request, ask, creates=False), self.sleep)

    def _comment(self, item: dict[str, Any], post_id: str, parent: str | None = None) -> Comment:
        """One listed comment; `from` is there only for people who allowed it (docs/platforms.md E1)."""
        author, above = mapping(item.get("from")), mapping(item.get("parent"))
        created = graph_time(item.get("created_time"))
        return Comment(platform=self.platform, remote_id=str(item["id"]), post_id=post_id,
                       author=str(author.get("name") or ""), text=str(item.get("message") or ""),
                       created_at=created.astimezone(UTC) if created else self.now(),
                       parent_id=str(above["id"]) if above.get("id") else parent,
                       ours=str(author.get("id") or "") == self.page_id)

    def _read_finding(self) -> tuple[bool, str]:
        """Reading the Page's latest post is what a Page token can show of its own permissions."""
        try:
            with_retries(lambda: self._request(refusing(lambda: self.graph.get(
                f"{self.page_id}/posts", fields="id", limit=1)), creates=False), self.sleep)
        except Refused as refused:
            return False, self._words(_("the token cannot read the Page's posts; Facebook said: {error}"), refused)
        except PublishError as error:
            return False, _("could not read the Page's posts: {error}").format(error=error)
        return True, _("the token can read the Page's posts")

    def _token_findings(self, app_id: str, secret: str) -> tuple[dict[str, Any] | None, list[tuple[bool, str]]]:
        """Ask debug_token, as the app, about the Page token: its app, type, permissions and expiry."""
        ids = {"id_variable": self.settings.app_id_env, "secret_variable": self.settings.app_secret_env}
        try:
            info = with_retries(lambda: self._request(refusing(lambda: self.graph.debug_token(
                app_id, secret)), creates=False), self.sleep).get("data") or {}
        except Refused as refused:
            if refused.code == 100 and "did not match the viewing app" in str(refused).lower():
                return None, [(False, _(
                    "the token in {variable} was made with another Facebook app, not the one in {id_variable}: set "
                    "{id_variable} and {secret_variable} to the ID and secret of the app that made the token").format(
                    variable=self.settings.token_env, **ids))]
            return None, [(False, redact(_(
                "Facebook refused the app ID and secret in {id_variable} and {secret_variable}, so the token could "
                "not be checked; Facebook said: {error}").format(error=refused, **ids), self.graph.secrets))]
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
        if ANSWER_SCOPE not in scopes:  # needed only to answer comments; a must with inbox.auto_reply
            findings.append((not self.full_settings.inbox.auto_reply, _(
                "answers to buyers' comments: not sent by sokasi-post, the token lacks {scope} (add it to the Page token "
                "to answer with `inbox reply`; {help})").format(scope=ANSWER_SCOPE, help=_(SETUP_HELP))))
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
            except GraphRefusal as refusal:
                if not refusal.names(ALT_TEXT_FIELD):
                    raise
                log.warning("Facebook refused the alt text of %s, uploading it without: %s", photo.source.name,
                            self._words("{error}", refusal))
                dropped.append(photo.source.name)
        return self._put_photo(photo.path, **fields)

    def _put_photo(self, path: Path, **fields: str) -> dict:
        with path.open("rb") as image:
            return self.graph.put_photo(image, album_path=f"{self.page_id}/photos", **fields)

    def _permalink(self, post_id: str) -> str | None:
        try:
            result = with_retries(lambda: self._request(
                lambda: self.graph.get(post_id, fields="permalink_url"), creates=False), self.sleep)
        except PublishError as error:
            log.warning("could not read the link of post %s: %s", post_id, error)
            return None
        return result.get("permalink_url")

    def _native_schedule_time(self, post: PlannedPost) -> datetime | None:
        """publish_at, when Facebook should hold the post itself (native_schedule, 10 minutes to 30 days ahead)."""
        when = post.product.publish_at
        return when if when and schedules_natively(self.platform, self.full_settings, when, self.now()) else None

    def _request(self, call: Callable[[], dict], creates: bool) -> dict:
        """Run one Graph call; every failure becomes a PublishError whose text holds no secret (graphapi.py).

        `creates` says the call makes something public: then a failure without a clear answer from
        Facebook is an UnknownOutcomeError, never a TransientError that would invite a blind resend.
        """
        return self.graph.request(call, creates)

    def _words(self, template: str, error: object) -> str:
        return self.graph.redacted(template, error)


def _count(value: object) -> int | None:
    """A count as Graph gives it (a number), else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _total(edge: object) -> int | None:
    """`summary.total_count` of an edge asked with .summary(total_count), else None: Facebook gave no such count."""
    return _count(mapping(mapping(edge).get("summary")).get("total_count"))
