"""The sales loop: buyers' comments on our posts, our answers (each sent exactly once), the attention each post draws,
and "sold" written on the posts of a product that is sold.

Reads go only to posts younger than inbox.attention_days, once per run and post, and never to a platform that rests
(docs/platforms.md E4). An answer follows the ledger's rule for posts (docs/exactly-once.md): the intent is written
before it is sent, and an answer whose fate is unknown is looked for among the comment's replies before it is ever
sent again. "Sold" is written by reading the post's text first: a text that already begins with the mark is left as
it is, so a run killed at any moment never writes it twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sokasi_post import errors, publishing
from sokasi_post.config import Settings
from sokasi_post.errors import AuthError, PublishError, RejectedError, ThrottledError, UnknownOutcomeError
from sokasi_post.i18n import _, language
from sokasi_post.ledger import Entry, Ledger, StoredComment
from sokasi_post.models import Product
from sokasi_post.platforms import label_of
from sokasi_post.publishers import Engagement, Publisher, same_text
from sokasi_post.questions import first_name, question_kind, suggest_reply
from sokasi_post.states import DONE, State

log = logging.getLogger(__name__)

SOLD_LINE = "TERJUAL / SOLD"  # the first line a sold product's posts gain
# A publish run (cron, perhaps every hour) reads a post's counts at most this often: a weekly report needs no more, and
# every read through instagrapi is one more request from the account's "phone" (docs/platforms.md I2, E4).
READ_EVERY = timedelta(hours=6)
MakePublisher = Callable[[str], Publisher]
ENGAGEMENT = ("comments", "replies", "reply", "counts", "caption", "edit_caption")  # a publisher's part in the loop


@dataclass
class LoopRun:
    """What one reading did: the comments new to the ledger, the readings of attention kept, and per platform why
    it could not be read (in words)."""

    new: list[int] = field(default_factory=list)
    readings: int = 0
    stopped: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class InboxItem:
    """One comment as `inbox` shows it: with its product, whether it asks to buy, and whether it is answered."""

    comment: StoredComment
    product: Product | None
    kind: str | None  # the kind of buyer's question, or None
    answered: bool  # our answer is out (sent by the tool, or written in the app)
    reply_state: str | None  # the tool's answer: pending, in_flight, unknown, published, failed; None: none tried
    suggestion: str | None  # the suggested answer to a question not yet answered
    automatic: bool = False  # the tool's answer went out without the coordinator asking (inbox.auto_reply)


@dataclass(frozen=True)
class Answer:
    """How `inbox reply` ended: sent, already, in doubt, by hand (the text to paste), refused, stopped."""

    outcome: str
    detail: str


class _Session:
    """The publishers of one run, each checked once; platforms that rest or failed are left alone."""

    def __init__(self, settings: Settings, ledger: Ledger, make: MakePublisher, now: datetime,
                 skip: Mapping[str, str] | None = None):
        self.settings, self.ledger, self.make, self.now = settings, ledger, make, now
        self.ready: dict[str, Any] = {}
        self.stopped: dict[str, str] = dict(skip or {})  # platforms not to ask (the run could not use them): why
        self.unsupported: set[str] = set()  # platforms whose publisher has no comments or counts

    def engagement(self, platform: str) -> Engagement | None:
        """The platform's publisher (as Engagement), its credentials checked once; None when it may not be asked."""
        if platform in self.stopped or platform in self.unsupported:
            return None
        if platform not in self.ready:
            rests = publishing.active_cooldowns(self.settings, self.ledger, self.now)
            if platform in rests:
                self.stopped[platform] = publishing.cooldown_text(rests[platform], self.settings)
                return None
            try:
                publisher = self.make(platform)
                if not all(hasattr(publisher, name) for name in ENGAGEMENT):  # a platform the loop does not cover
                    self.unsupported.add(platform)
                    return None
                publishing.verify(publisher)
            except PublishError as error:
                self.stop(platform, error)
                return None
            self.ready[platform] = publisher
        return cast(Engagement, self.ready[platform])

    def stop(self, platform: str, error: PublishError) -> None:
        """Leave the platform alone for the rest of the run; after an anti-abuse answer, let the account rest."""
        said = str(error)
        kind = getattr(error, "cooldown", None)
        if isinstance(error, ThrottledError) and kind:
            cooldown = publishing.start_cooldown(self.ledger, platform, self.settings, kind, said, self.now)
            said = f"{said} — {publishing.cooldown_text(cooldown, self.settings)}"
        self.stopped[platform] = said


def made_the_current_way(entry: Entry, settings: Settings) -> bool:
    """True when the post's id means something to the configured backend: an Instagram post made through instagrapi
    has another id than through the official API (posts from before the ledger said so were made through instagrapi)."""
    if entry.platform != "instagram":
        return True
    return (entry.via or "instagrapi") == ("graph" if settings.instagram.official else "instagrapi")


def recent_posts(settings: Settings, ledger: Ledger, now: datetime) -> list[Entry]:
    """Our posts out on an enabled platform, published within inbox.attention_days, made the way now configured."""
    earliest = now - timedelta(days=settings.inbox.attention_days)
    return [entry for entry in ledger.entries() if entry.state in DONE and entry.remote_id
            and entry.platform in settings.enabled_platforms and entry.published_at and entry.published_at >= earliest
            and made_the_current_way(entry, settings)]


def read(settings: Settings, ledger: Ledger, make: MakePublisher, now: datetime, comments: bool = True,
         skip: Mapping[str, str] | None = None, every: timedelta | None = None) -> LoopRun:
    """Read the attention (and, with `comments`, the comments) of every recent post, but on the platforms in `skip`
    and, with `every`, the posts read less than `every` ago; keep one reading per post and the new comments; then
    forget the comment texts older than inbox.retention_days."""
    session = _Session(settings, ledger, make, now, skip)
    run = LoopRun()
    for entry in recent_posts(settings, ledger, now):
        last = ledger.last_reading(entry.platform, cast(str, entry.remote_id)) if every else None
        if every and last and now - last < every:
            continue
        engagement = session.engagement(entry.platform)
        if engagement is None:
            continue
        remote_id = cast(str, entry.remote_id)
        try:
            if comments:
                found = engagement.comments(remote_id)  # reads retry passing faults themselves
                run.new += ledger.remember_comments(entry.slug, found, question_kind, now)
            ledger.snapshot(entry.slug, engagement.counts(remote_id))
            run.readings += 1
        except (AuthError, ThrottledError, errors.UnreachableError) as error:
            session.stop(entry.platform, error)
        except PublishError as error:
            run.problems.append(_("{slug} on {platform}: could not read its comments ({error})").format(
                slug=entry.slug, platform=label_of(entry.platform), error=error))
    ledger.forget_comments_read_before(now - timedelta(days=settings.inbox.retention_days))
    run.stopped = dict(session.stopped)
    return run


def inbox_items(settings: Settings, products: tuple[Product, ...], ledger: Ledger, suggest: bool = True) -> list[InboxItem]:
    """Every kept comment that is not ours, grouped by product (the product with the newest comment first), newest
    first, each with its question kind, whether it is answered, and (with `suggest`) a suggested answer to a waiting
    question."""
    by_slug = {product.slug: product for product in products}
    comments = [comment for comment in ledger.stored_comments() if comment.text is not None]
    ours_under = {(comment.platform, comment.parent_id) for comment in comments if comment.ours and comment.parent_id}
    replies = {(reply.platform, reply.comment_id): reply for reply in ledger.stored_replies()}
    items = []
    for comment in comments:
        if comment.ours:
            continue
        reply = replies.get((comment.platform, comment.remote_id))
        answered = (comment.platform, comment.remote_id) in ours_under or (reply is not None and reply.state == State.PUBLISHED)
        product = by_slug.get(comment.slug)
        suggestion = None
        if suggest and comment.question and not answered and product is not None:
            suggestion = suggestion_for(comment, product, settings, products)
        items.append(InboxItem(comment, product, comment.question, answered, reply.state if reply else None, suggestion,
                               automatic=bool(reply and reply.auto and reply.state == State.PUBLISHED)))
    rank = {slug: place for place, slug in enumerate(dict.fromkeys(item.comment.slug for item in items))}
    return sorted(items, key=lambda item: rank[item.comment.slug])  # the product with the newest comment first


def suggestion_for(comment: StoredComment, product: Product, settings: Settings, products: tuple[Product, ...]) -> str:
    """The suggested answer to a comment: the price and links, or for a sold product the maker's other work."""
    site = settings.site
    page = None
    if site is not None and site.base_url:
        from sokasi_post.site import product_page_url

        page = product_page_url(site.base_url, product.slug)
    others = tuple(other for other in products if other.slug != product.slug and other.maker == product.maker
                   and not other.is_sold and not other.is_draft)
    return suggest_reply(comment.question, comment.author or "", product, settings, language(), page, others)


def answer(settings: Settings, products: tuple[Product, ...], ledger: Ledger, make: MakePublisher, number: int,
           text: str | None, now: datetime) -> Answer:
    """Answer comment `number` as the Page or account, exactly once: the intent first; an answer in doubt is looked for
    among the comment's replies before anything is sent again. Through instagrapi nothing is sent: the text is given
    to paste in the app."""
    comment = ledger.stored_comment(number)
    if comment is None or comment.text is None:
        return Answer("unknown", _("there is no comment {number} in the inbox").format(number=number))
    product = next((p for p in products if p.slug == comment.slug), None)
    said = text or (suggestion_for(comment, product, settings, products) if product else None)
    if not said:
        return Answer("refused", _("nothing to say: give the answer with --text"))
    session = _Session(settings, ledger, make, now)
    engagement = session.engagement(comment.platform)
    if engagement is None:
        return Answer("stopped", session.stopped.get(comment.platform) or _(
            "sokasi-post reads no comments or counts on {platform}").format(platform=label_of(comment.platform)))
    if not engagement.can_reply:
        return Answer("by_hand", said)
    return _send_once(ledger, engagement, comment, said, session)


# An automatic answer goes only to a price question asked this recently: switching auto_reply on does not answer
# weeks-old comments out of the blue.
AUTO_REPLY_WITHIN = timedelta(days=2)
HOUR = timedelta(hours=1)


def auto_answer(settings: Settings, products: tuple[Product, ...], ledger: Ledger, make: MakePublisher,
                now: datetime, skip: Mapping[str, str] | None = None) -> list[tuple[StoredComment, Answer]]:
    """With inbox.auto_reply, answer the price questions waiting (asked in the last two days, on a product for sale, on
    Facebook or the official Instagram API), each exactly once, within inbox.auto_reply_per_post and
    auto_reply_per_hour. Every answer is logged and returned, for the terminal and the report."""
    inbox = settings.inbox
    if not inbox.auto_reply:
        return []
    session = _Session(settings, ledger, make, now, skip)
    done = []
    for item in sorted(inbox_items(settings, products, ledger), key=lambda i: (i.comment.created_at, i.comment.number)):
        comment, product = item.comment, item.product
        if (item.kind != "price" or item.answered or item.reply_state is not None or item.suggestion is None
                or product is None or product.is_sold or now - comment.created_at > AUTO_REPLY_WITHIN):
            continue
        if ledger.automatic_answers(now - HOUR) >= inbox.auto_reply_per_hour:
            break
        if ledger.automatic_answers(post_id=comment.post_id) >= inbox.auto_reply_per_post:
            continue
        engagement = session.engagement(comment.platform)
        if engagement is None or not engagement.can_reply:
            continue
        said = _send_once(ledger, engagement, comment, item.suggestion, session, auto=True)
        log.info("automatic answer to comment %d (%s on %s): %s — %s", comment.number, comment.slug,
                 label_of(comment.platform), said.outcome, said.detail)
        done.append((comment, said))
    return done


def _send_once(ledger: Ledger, engagement: Engagement, comment: StoredComment, text: str, session: _Session,
               auto: bool = False) -> Answer:
    platform, target = comment.platform, comment.remote_id
    before = ledger.stored_reply(platform, target)
    if before is not None and before.state == State.PUBLISHED:
        return Answer("already", _("already answered: {text}").format(text=before.text))
    try:
        if before is not None and before.state in (State.IN_FLIGHT, State.UNKNOWN):
            found = _our_reply(engagement, target, before.text)
            if found is not None:
                ledger.reply_sent(platform, target, found)
                return Answer("already", _("it had gone out after all: {text}").format(text=before.text))
        ledger.begin_reply(platform, target, text, auto)  # the intent, before anything is sent
        reply_id = engagement.reply(target, text)
    except UnknownOutcomeError as error:
        ledger.settle_reply(platform, target, State.UNKNOWN, str(error))
        return Answer("in_doubt", _("no clear answer ({error}); the next `inbox reply {number}` looks for it before "
                                    "sending anything").format(error=error, number=comment.number))
    except RejectedError as error:
        ledger.settle_reply(platform, target, State.FAILED, str(error))
        return Answer("refused", str(error))
    except PublishError as error:
        if ledger.stored_reply(platform, target) is not None:
            ledger.settle_reply(platform, target, State.PENDING, str(error))
        session.stop(platform, error)
        return Answer("stopped", session.stopped[platform])
    ledger.reply_sent(platform, target, reply_id)
    return Answer("sent", text)


def _our_reply(engagement: Engagement, comment_id: str, text: str) -> str | None:
    """The id of our answer with this text among the comment's replies, or None when it is not there."""
    for reply in engagement.replies(comment_id):
        if reply.ours and same_text(reply.text, text):
            return reply.remote_id
    return None


def mark_sold(settings: Settings, products: tuple[Product, ...], ledger: Ledger, make: MakePublisher,
              now: datetime, skip: Mapping[str, str] | None = None) -> list[tuple[str, str, str]]:
    """Write "TERJUAL / SOLD" as the first line of each sold product's posts, once per product and platform; where the
    platform cannot edit a caption (Instagram's official API) ask the coordinator to, on every run until the caption
    read back begins with it.
    Returns (slug, platform, what happened: done, by_hand, in_doubt, stopped or failed with the reason)."""
    sold = [product for product in products if product.is_sold]
    ledger.remember_sold([product.slug for product in sold])
    session = _Session(settings, ledger, make, now, skip)
    done = []
    for product in sold:
        for entry in (ledger.get(product.slug, platform) for platform in product.platforms):
            if entry is None or entry.state not in DONE or not entry.remote_id or \
                    ledger.sold_mark(entry.slug, entry.platform) == "done" or entry.platform not in settings.enabled_platforms:
                continue
            if not made_the_current_way(entry, settings):  # its id means nothing to this backend: by hand, said once
                if ledger.sold_mark(entry.slug, entry.platform) != "by_hand":  # (it cannot be read back to check)
                    ledger.set_sold_mark(entry.slug, entry.platform, "by_hand")
                    done.append((entry.slug, entry.platform, "by_hand"))
                continue
            engagement = session.engagement(entry.platform)
            if engagement is not None:
                done.append((entry.slug, entry.platform, _mark(ledger, engagement, entry, session)))
    return done


def _mark(ledger: Ledger, engagement: Engagement, entry: Entry, session: _Session) -> str:
    slug, platform, post_id = entry.slug, entry.platform, cast(str, entry.remote_id)
    try:
        text = engagement.caption(post_id)
        if text.lstrip().startswith(SOLD_LINE):  # written before: by a run killed before it could say so, or by hand
            ledger.set_sold_mark(slug, platform, "done")
            return "done"
        if not engagement.can_edit_caption:  # said on every run until the coordinator has done it in the app
            ledger.set_sold_mark(slug, platform, "by_hand")
            return "by_hand"
        ledger.set_sold_mark(slug, platform, State.IN_FLIGHT)
        engagement.edit_caption(post_id, f"{SOLD_LINE}\n{text}")
    except UnknownOutcomeError as error:
        ledger.set_sold_mark(slug, platform, State.UNKNOWN, str(error))  # the next run reads the text again
        return "in_doubt"
    except RejectedError as error:
        ledger.set_sold_mark(slug, platform, "failed", str(error))
        return f"failed: {error}"
    except PublishError as error:
        ledger.set_sold_mark(slug, platform, State.PENDING, str(error))
        session.stop(platform, error)
        return f"stopped: {session.stopped[platform]}"
    ledger.set_sold_mark(slug, platform, "done")
    log.info("%s: %s now begins with %s", slug, label_of(platform), SOLD_LINE)
    return "done"


def first_name_of(comment: StoredComment) -> str:
    """How a commenter appears anywhere the group reads: by first name only."""
    return first_name(comment.author or "")
