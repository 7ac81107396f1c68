"""A report for the WhatsApp group: what went online (with links, per craftsman), what comes next, what is stuck."""

from __future__ import annotations

import os
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sokasi_post import errors
from sokasi_post.catalog import POST_FILE
from sokasi_post.config import Settings
from sokasi_post.i18n import _, format_date
from sokasi_post.ledger import Entry, Ledger, Setback
from sokasi_post.models import Cooldown, PlannedPost, Problem, Product
from sokasi_post.platforms import label_of, short_name
from sokasi_post.publishing import Plan, active_cooldowns
from sokasi_post.states import DONE, DOUBTFUL, Outcome, State, Unsent, word_for
from sokasi_post.weekly import weekly_section
from sokasi_post.yamlfile import YamlFileError, read_yaml_mapping

MAX_ITEMS = 12  # per section: one message must stay readable on a phone
SHORT_REASON = 160  # characters of a reason in "Needs a look"; the whole text is in `sokasi-post status`
# What the last run did that keeps a post out of "Next": it waits for the coordinator, not for a run.
STUCK = (Outcome.BLOCKED, Outcome.STOPPED, Outcome.REFUSED, Outcome.IN_DOUBT)

Key = tuple[str, str]  # (slug, platform)


@dataclass(frozen=True)
class _State:
    """What the ledger knows, read once for the whole report."""

    entries: dict[Key, Entry]
    setbacks: dict[Key, Setback]
    resting: dict[str, Cooldown]

    def last_setback(self, key: Key) -> Setback | None:
        """The last run's setback for this post, when it is newer than what the ledger's row says (or there is none)."""
        setback, entry = self.setbacks.get(key), self.entries.get(key)
        if setback is None or (entry is not None and setback.at < entry.updated_at):
            return None
        return setback


@dataclass(frozen=True)
class _Item:
    """One line of "Needs a look", under its craftsman."""

    maker: str
    order: int  # broken folders first, then blocked posts, then the others
    title: str
    text: str  # what follows the title: the platforms, the reason and what happens next


def report_for_the_group(planned: Plan, settings: Settings, since: date | None, now: datetime, *,
                         broken: dict[str, tuple[Problem, ...]] | None = None,
                         notice: Callable[[str], None] | None = None) -> str:
    """The report from the day `since` on (else since the last report), which is remembered as made.

    A read-only state folder still gives the report (nothing is written); the next one then covers the same time again.
    """
    writable = os.access(settings.state_dir, os.W_OK) or not settings.state_dir.exists()
    with Ledger.open(settings.state_dir, read_only=not writable, notice=notice) as ledger:
        start = datetime.combine(since, datetime.min.time(), settings.timezone) if since else ledger.last_report()
        text = build_report(planned, settings, ledger, start, now, broken=broken)
        if writable:
            ledger.remember_report(now)
    return text


def build_report(planned: Plan, settings: Settings, ledger: Ledger, since: datetime | None, now: datetime,
                 broken: dict[str, tuple[Problem, ...]] | None = None) -> str:
    """The message to paste into the group, in WhatsApp's own formatting (*bold*, _italic_, lists).

    `broken`: the product folders that did not load (slug -> their problems), listed under "Needs a look".
    """
    state = _State(entries={(e.slug, e.platform): e for e in ledger.entries()},
                   setbacks={(s.slug, s.platform): s for s in ledger.setbacks()},
                   resting=active_cooldowns(settings, ledger, now))
    title = _("*sokasi-post report* — {when}").format(when=format_date(now.astimezone(settings.timezone), with_time=False))
    products = (*_products(planned).values(), *planned.sold)
    return "\n".join([title, *_online(planned, settings, state, since), *weekly_section(products, settings, ledger, now),
                      *_next(planned, settings, state, now), *_needs_a_look(planned, settings, state, broken or {})])


def _products(planned: Plan) -> dict[str, Product]:
    return {post.product.slug: post.product for post in planned.posts}


def _maker(product: Product | None) -> str:
    return (product.maker if product else None) or _("(maker not given)")


def _online(planned: Plan, settings: Settings, state: _State, since: datetime | None) -> list[str]:
    """What went online since `since` (everything when None), per craftsman, with the links."""
    products = _products(planned)
    online: dict[str, list[Entry]] = defaultdict(list)
    for entry in state.entries.values():
        if entry.state in DONE and entry.published_at and (since is None or entry.published_at >= since):
            online[entry.slug].append(entry)
    heading = (_("*Online since {when}:*").format(when=format_date(since.astimezone(settings.timezone), with_time=False))
               if since else _("*Online:*"))
    lines = ["", heading]
    if not online:
        lines.append(_("_nothing new_"))
    by_maker: dict[str, list[str]] = defaultdict(list)
    for slug in online:
        by_maker[_maker(products.get(slug))].append(slug)
    shown = 0
    for maker in sorted(by_maker):
        lines.append(f"_{maker}_")
        for slug in sorted(by_maker[maker]):
            shown += 1
            if shown <= MAX_ITEMS:
                product = products.get(slug)
                lines.append(f"• *{product.title if product else slug}*")
                lines += [_online_link(entry, settings) for entry in sorted(online[slug], key=lambda e: e.platform)]
    if shown > MAX_ITEMS:
        lines.append(_("…and {count} more (see `sokasi-post status`)").format(count=shown - MAX_ITEMS))
    return lines


def _online_link(entry: Entry, settings: Settings) -> str:
    label = short_name(entry.platform)
    if entry.state == State.SCHEDULED and entry.scheduled_for:
        when = format_date(entry.scheduled_for.astimezone(settings.timezone))
        return "  " + _("{platform} (at {when}): {link}").format(platform=label, when=when,
                                                                link=entry.permalink or entry.remote_id)
    return f"  {label}: {entry.permalink or entry.remote_id}"


def _next(planned: Plan, settings: Settings, state: _State, now: datetime) -> list[str]:
    """Each product something of which is still to go, with when its first post goes."""
    soonest: dict[str, tuple[datetime, str, str, str]] = {}
    for post in planned.posts:
        when = _when_next(post, settings, state, now)
        slug = post.product.slug
        if when is not None and (slug not in soonest or when[0] < soonest[slug][0]):
            soonest[slug] = (when[0], slug, post.product.title, when[1])
    lines = ["", _("*Next:*")]
    coming = sorted(soonest.values())[:MAX_ITEMS]
    return lines + ([f"• {title} — {label}" for _at, _slug, title, label in coming] or [_("_nothing queued_")])


def _when_next(post: PlannedPost, settings: Settings, state: _State, now: datetime) -> tuple[datetime, str] | None:
    """When this post goes, and how to say it; None when it is not waiting for a run (draft, sent, stuck)."""
    key = (post.product.slug, post.platform)
    entry = state.entries.get(key)
    if post.product.is_draft or post.blocked or (entry is not None and entry.state in (*DONE, State.FAILED, *DOUBTFUL)):
        return None
    setback = state.last_setback(key)
    if setback is not None and setback.outcome in STUCK:  # it waits for the coordinator: "Needs a look" says why
        return None
    when = post.product.publish_at
    rest = state.resting.get(post.platform)
    if rest is not None:  # nothing goes to a resting platform: say when it may, not "next run"
        when = max(when or now, rest.not_before or now)
    elif setback is not None and setback.outcome == Outcome.HELD:
        local = now.astimezone(settings.timezone)
        midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        return max(when or now, midnight), _("tomorrow (today's limit is reached)")
    if when and when > now:
        return when, format_date(when.astimezone(settings.timezone))
    return when or now, _("after the next login") if rest is not None else _("next run")


def _needs_a_look(planned: Plan, settings: Settings, state: _State, broken: dict[str, tuple[Problem, ...]]) -> list[str]:
    """What is stuck, per craftsman: each with its reason and what happens next; resting platforms first."""
    items = [*_broken_items(settings, broken), *_blocked_items(planned), *_post_items(planned, state, broken, settings)]
    rests = [f"• {_rest_text(cooldown, settings)}" for cooldown in state.resting.values()]
    if not items and not rests:
        return []
    lines = ["", _("*Needs a look:*"), *rests]
    by_maker: dict[str, list[_Item]] = defaultdict(list)
    for item in items:
        by_maker[item.maker].append(item)
    shown = 0
    for maker in sorted(by_maker):
        listed = sorted(by_maker[maker], key=lambda item: (item.order, item.title))[: max(MAX_ITEMS - shown, 0)]
        if listed:
            lines.append(f"_{maker}_")
            lines += [f"• {item.title}{item.text}" for item in listed]
        shown += len(listed)
    if len(items) > shown:
        lines.append(_("…and {count} more (see `sokasi-post status`)").format(count=len(items) - shown))
    return lines


def _broken_items(settings: Settings, broken: dict[str, tuple[Problem, ...]]) -> list[_Item]:
    """A product folder that did not load: its first problem, under its maker when its post.yaml still says one."""
    items = []
    for slug, problems in broken.items():
        first = next((problem for problem in problems if not problem.warning), None)
        if first is None:
            continue
        title, maker = _broken_names(settings, slug)
        reason = _("the product details have a problem: {problem}").format(
            problem=_short(f"{first.path.name}: {first.message}"))
        items.append(_Item(maker or _maker(None), 0, title,
                           f": {reason} — {_('the coordinator will fix the product details')}"))
    return items


def _broken_names(settings: Settings, slug: str) -> tuple[str, str | None]:
    """A broken folder's title and maker when its post.yaml still reads as keys and values; else its folder name."""
    path = settings.posts_dir / slug / POST_FILE
    if path.parent.is_symlink() or path.is_symlink():  # never read past a link the catalogue refused
        return slug, None
    try:
        raw = read_yaml_mapping(path)
    except YamlFileError:
        return slug, None
    title, maker = (_one_line(raw.get(key)) for key in ("title", "maker"))
    return title or slug, maker


def _one_line(value: object) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    line = value.strip().splitlines()[0]
    return line if len(line) <= 80 else line[:79].rstrip() + "…"


def _blocked_items(planned: Plan) -> list[_Item]:
    """A ready product that cannot be sent as it is (not drafts): its first problem, once for all its platforms."""
    photo_trouble = {problem.slug for problem in planned.photo_problems if not problem.warning}
    blocked: dict[str, list[PlannedPost]] = defaultdict(list)
    for post in planned.posts:
        if post.blocked and not post.product.is_draft:
            blocked[post.product.slug].append(post)
    items = []
    for slug, posts in blocked.items():
        product = posts[0].product
        fix = _("the coordinator will fix the photo") if slug in photo_trouble else _("the coordinator will fix the text")
        first = posts[0].problems[0].message
        items.append(_Item(_maker(product), 1, product.title,
                           f" ({_platforms(posts)}): {word_for(Unsent.NOT_SENT)}: {_short(first)} — {fix}"))
    return items


def _post_items(planned: Plan, state: _State, broken: dict[str, tuple[Problem, ...]], settings: Settings) -> list[_Item]:
    """Posts stopped, refused, in doubt, or online but not as sent: from the last run, else from the ledger's row."""
    posts = {(post.product.slug, post.platform): post for post in planned.posts}
    products = _products(planned)
    items = []
    for key in sorted({*state.entries, *(key for key in state.setbacks if key in posts)}):
        post = posts.get(key)
        if post is not None and post.blocked and not post.product.is_draft:
            continue  # listed with its problem
        said = _trouble(key, state)
        if said is None:
            continue
        slug, platform = key
        product = products.get(slug)
        title, maker = (product.title, product.maker) if product else (
            _broken_names(settings, slug) if slug in broken else (slug, None))
        label = short_name(platform)
        items.append(_Item(maker or _maker(None), 2, title, f" ({label}): {said}"))
    return items


def _trouble(key: Key, state: _State) -> str | None:
    """The reason a post needs a look and what happens next, in one line; None when it needs none."""
    platform = label_of(key[1])
    setback = state.last_setback(key)
    if setback is not None:
        if setback.outcome == Outcome.STOPPED:
            return _("not sent: {platform} could not be used (its login or the connection) — the coordinator will sort "
                     "out {platform}, then it goes out").format(platform=platform)
        if setback.outcome == Outcome.REFUSED:
            return f"{_short(setback.detail)} — {_('the coordinator will change the post, then send it again')}"
        if setback.outcome == Outcome.IN_DOUBT:
            return f"{_short(setback.detail)} — {_('the coordinator will check whether it is online before sending it again')}"
        if setback.outcome == Outcome.RETRY_LATER:
            return f"{_short(setback.detail)} — {_('the next run tries again')}"
        if setback.outcome != Outcome.BLOCKED:
            return None  # held for the daily limit, or resting: "Next" says when
    return _entry_trouble(state.entries.get(key), platform)  # (a post blocked before is listed as blocked while it is)


def _entry_trouble(entry: Entry | None, platform: str) -> str | None:
    """What the ledger's row says of a post that needs a look (refused, in doubt, pending with an error, or not as sent)."""
    if entry is None:
        return None
    if entry.state == State.FAILED:
        return f"{_short(entry.last_error)} — {_('the coordinator will change the post, then send it again')}"
    if entry.state in DOUBTFUL:
        reason = _short(entry.last_error) if entry.last_error else _("the last run was cut off")
        return f"{reason} — {_('the coordinator will check whether it is online before sending it again')}"
    if entry.state == State.PENDING and entry.last_error:
        return f"{_short(entry.last_error)} — {_('the next run tries again')}"
    if entry.state in DONE and entry.last_error:
        return _("online, but not as sent: {problem} — the coordinator will correct it on {platform}").format(
            problem=_short(entry.last_error), platform=platform)
    return None


def _platforms(posts: list[PlannedPost]) -> str:
    return ", ".join(short_name(post.platform) for post in posts)


def _rest_text(cooldown: Cooldown, settings: Settings) -> str:
    """A resting platform in the group's words: since when, until when, and what happens then."""
    name = label_of(cooldown.platform)
    since = format_date(cooldown.since.astimezone(settings.timezone))
    if cooldown.not_before is None:
        return _("{platform} asked on {since} to confirm the account is really ours: nothing goes to {platform} until the "
                 "coordinator confirms it in the {platform} app and logs in again").format(platform=name, since=since)
    text = (_("{platform} paused our posting on {since}: nothing goes to {platform} before {until}; then posting starts "
              "again by itself") if cooldown.kind == errors.BLOCKED else
            _("{platform} asked on {since} to post more slowly: nothing goes to {platform} before {until}; then posting "
              "starts again by itself"))
    return text.format(platform=name, since=since, until=format_date(cooldown.not_before.astimezone(settings.timezone)))


def _short(text: str | None, limit: int = SHORT_REASON) -> str:
    """The first clause of a message, without its asides in brackets (where a library's own words go), cut to `limit`."""
    text = (text or "").strip().split("\n", 1)[0][:1000]
    while True:
        shorter = re.sub(r"\s*\([^()]*\)", "", text)
        if shorter == text:
            break
        text = shorter
    text = re.split(r"; |\. | — ", text, maxsplit=1)[0].strip().rstrip(".")
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
