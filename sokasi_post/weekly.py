"""The report's weekly section: per craftsman, what went out, the attention it drew against the week before, the
buyers' questions waiting and answered, and what sold. In WhatsApp's formatting, in the report's language.

A question is quoted only when it holds no phone number, e-mail or address (questions.quotable), and a commenter
appears by first name only: the group is ten craftsmen, not the buyers' address book.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sokasi_post.config import Settings
from sokasi_post.i18n import _, format_date
from sokasi_post.ledger import Ledger
from sokasi_post.models import Counts, Product
from sokasi_post.platforms import label_of, short_name
from sokasi_post.questions import first_name, quotable
from sokasi_post.salesloop import InboxItem, inbox_items
from sokasi_post.states import DONE

WEEK = timedelta(days=7)
QUOTE_AT_MOST = 3  # waiting questions quoted per craftsman; the rest are counted
QUOTE_CHARACTERS = 120


@dataclass
class _Maker:
    """One craftsman's week."""

    out: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # title -> platforms it went out on
    attention: int = 0
    before: int = 0
    waiting: list[InboxItem] = field(default_factory=list)
    answered: int = 0
    automatic: int = 0  # of those answered, without the coordinator asking
    sold: list[str] = field(default_factory=list)

    def empty(self) -> bool:
        return not (self.out or self.attention or self.before or self.waiting or self.answered or self.sold)


def weekly_section(products: tuple[Product, ...], settings: Settings, ledger: Ledger, now: datetime) -> list[str]:
    """The lines of "This week, per craftsman" (nothing when the week had nothing to say)."""
    start = now - WEEK
    by_slug = {product.slug: product for product in products}
    makers: dict[str, _Maker] = defaultdict(_Maker)

    def maker_of(slug: str) -> _Maker:
        product = by_slug.get(slug)
        return makers[(product.maker if product else None) or _("(maker not given)")]

    for entry in ledger.entries():
        if entry.state in DONE and entry.published_at and entry.published_at >= start:
            product = by_slug.get(entry.slug)
            maker_of(entry.slug).out[product.title if product else entry.slug].add(short_name(entry.platform))
    for slug, gained in _gains(ledger, start, now).items():
        maker_of(slug).attention += gained
    for slug, gained in _gains(ledger, start - WEEK, start).items():
        maker_of(slug).before += gained
    for item in inbox_items(settings, products, ledger, suggest=False):  # the report quotes, it suggests nothing
        if item.kind and not item.answered:
            maker_of(item.comment.slug).waiting.append(item)
        elif item.kind and item.comment.created_at >= start:
            maker_of(item.comment.slug).answered += 1
            maker_of(item.comment.slug).automatic += item.automatic
    for slug, _at in ledger.sold_since(start):
        product = by_slug.get(slug)
        title = product.title if product else slug
        by_hand = [label_of(platform) for platform in (product.platforms if product else ())
                   if ledger.sold_mark(slug, platform) == "by_hand"]
        maker_of(slug).sold.append(_("{title} (add TERJUAL / SOLD to its {platforms} caption by hand)").format(
            title=title, platforms=", ".join(by_hand)) if by_hand else title)
    return _lines({name: week for name, week in makers.items() if not week.empty()}, settings, start, now)


def _lines(makers: dict[str, _Maker], settings: Settings, start: datetime, now: datetime) -> list[str]:
    if not makers:
        return []
    zone = settings.timezone
    lines = ["", _("*This week, per craftsman* ({start} – {end}):").format(
        start=format_date(start.astimezone(zone), with_time=False), end=format_date(now.astimezone(zone), with_time=False))]
    for name in sorted(makers):
        week = makers[name]
        lines.append(f"_{name}_")
        if week.out:
            lines.append(_("• went out: {posts}").format(posts="; ".join(
                f"{title} ({', '.join(sorted(platforms))})" for title, platforms in sorted(week.out.items()))))
        if week.attention or week.before:
            lines.append(_("• attention: {now} likes, reactions, comments and shares (the week before: {before})").format(
                now=week.attention, before=week.before))
        if week.waiting or week.answered:
            lines.append(_("• questions from buyers: {waiting} waiting for an answer, {answered} answered").format(
                waiting=len(week.waiting), answered=week.answered) + (_(" ({count} automatically)").format(
                count=week.automatic) if week.automatic else ""))
            lines += [_quote(item) for item in week.waiting[:QUOTE_AT_MOST]]
        if week.sold:
            lines.append(_("• sold: {titles}").format(titles=", ".join(sorted(week.sold))))
    return lines


def _quote(item: InboxItem) -> str:
    """A waiting question: who asked (first name), on which product, and its words when they hold nothing private."""
    who = first_name(item.comment.author or "") or _("someone")
    title = item.product.title if item.product else item.comment.slug
    text = item.comment.text or ""
    if text and quotable(text):
        said = text if len(text) <= QUOTE_CHARACTERS else text[:QUOTE_CHARACTERS - 1] + "…"
        return "  " + _("– {who} asked about {title}: \"{text}\" (`sokasi-post inbox`)").format(
            who=who, title=title, text=" ".join(said.split()))
    return "  " + _("– {who} asked about {title} (`sokasi-post inbox`)").format(who=who, title=title)


def _gains(ledger: Ledger, start: datetime, end: datetime) -> dict[str, int]:
    """Per product, the attention its posts gained from `start` to `end`: the last reading by `end` less the last one
    before `start` (nothing before: the post is new, all it has was gained)."""
    last: dict[tuple[str, str, str], Counts] = {}  # (slug, platform, post) -> the last reading by `end`
    before: dict[tuple[str, str, str], Counts] = {}
    for slug, counts in ledger.attention():  # oldest first
        key = (slug, counts.platform, counts.post_id)
        if counts.at < start:
            before[key] = counts
        if counts.at <= end:
            last[key] = counts
    gains: dict[str, int] = defaultdict(int)
    for key, counts in last.items():
        gained = _total(counts) - (_total(before[key]) if key in before else 0)
        gains[key[0]] += max(gained, 0)
    return dict(gains)


def _total(counts: Counts) -> int:
    return sum(value or 0 for value in (counts.reactions, counts.likes, counts.comments, counts.shares))
