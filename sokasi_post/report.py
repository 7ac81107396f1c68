"""A report for the WhatsApp group: what went online (with links, per craftsman), what comes next, what failed."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sokasi_post.config import Settings
from sokasi_post.i18n import _, format_date
from sokasi_post.ledger import DONE, DOUBTFUL, FAILED, PENDING, SCHEDULED, Ledger
from sokasi_post.publishing import Plan, active_cooldowns, cooldown_text

MAX_ITEMS = 12  # per section: one message must stay readable on a phone
PLATFORM_SHORT = {"facebook": "FB", "instagram": "IG"}


def build_report(planned: Plan, settings: Settings, ledger: Ledger, since: datetime | None, now: datetime) -> str:
    """The message to paste into the group, in WhatsApp's own formatting (*bold*, _italic_, lists)."""
    products = {post.product.slug: post.product for post in planned.posts}
    entries = ledger.entries()
    title = _("*sokasi-post report* — {when}").format(when=format_date(now.astimezone(settings.timezone), with_time=False))
    lines = [title]

    online: dict[str, list] = defaultdict(list)
    for entry in entries:
        if entry.state in DONE and entry.published_at and (since is None or entry.published_at >= since):
            online[entry.slug].append(entry)
    heading = (_("*Online since {when}:*").format(when=format_date(since.astimezone(settings.timezone), with_time=False))
               if since else _("*Online:*"))
    lines += ["", heading]
    if not online:
        lines.append(_("_nothing new_"))
    by_maker: dict[str, list[str]] = defaultdict(list)
    for slug in online:
        product = products.get(slug)
        by_maker[(product.maker if product else None) or _("(maker not given)")].append(slug)
    shown = 0
    for maker in sorted(by_maker):
        lines.append(f"_{maker}_")
        for slug in sorted(by_maker[maker]):
            shown += 1
            if shown > MAX_ITEMS:
                continue
            product = products.get(slug)
            lines.append(f"• *{product.title if product else slug}*")
            for entry in sorted(online[slug], key=lambda e: e.platform):
                label = PLATFORM_SHORT.get(entry.platform, entry.platform)
                if entry.state == SCHEDULED and entry.scheduled_for:
                    when = format_date(entry.scheduled_for.astimezone(settings.timezone))
                    lines.append("  " + _("{platform} (at {when}): {link}").format(platform=label, when=when,
                                                                                  link=entry.permalink or entry.remote_id))
                else:
                    lines.append(f"  {label}: {entry.permalink or entry.remote_id}")
    if shown > MAX_ITEMS:
        lines.append(_("…and {count} more (see `sokasi-post status`)").format(count=shown - MAX_ITEMS))

    settled = {(e.slug, e.platform) for e in entries if e.state in (*DONE, FAILED, *DOUBTFUL)}
    resting = active_cooldowns(settings, ledger, now)
    coming, listed = [], set()
    for post in planned.posts:
        product = post.product
        if product.is_draft or post.blocked or (product.slug, post.platform) in settled or product.slug in listed:
            continue
        listed.add(product.slug)
        when = product.publish_at
        rest = resting.get(post.platform)
        if rest is not None:  # nothing goes to a resting platform: say when it may, not "next run"
            when = max(when or now, rest.not_before or now)
        label = (format_date(when.astimezone(settings.timezone)) if when and when > now
                 else _("after the next login") if rest is not None else _("next run"))
        coming.append((when or now, product.slug, product.title, label))
    lines += ["", _("*Next:*")]
    lines += [f"• {title} — {when}" for _at, _slug, title, when in sorted(coming)[:MAX_ITEMS]] or [_("_nothing queued_")]

    trouble = [e for e in entries if e.state in (FAILED, *DOUBTFUL) or (e.state in (PENDING, *DONE) and e.last_error)]
    if trouble or resting:
        lines += ["", _("*Needs a look:*")]
        lines += [f"• {cooldown_text(cooldown, settings)}" for cooldown in resting.values()]
        for entry in trouble[:MAX_ITEMS]:
            product = products.get(entry.slug)
            reason = (entry.last_error or _("the last run was cut off")).splitlines()[0][:160]
            lines.append(f"• {product.title if product else entry.slug} ({PLATFORM_SHORT.get(entry.platform, entry.platform)}): "
                         f"{reason}")
    return "\n".join(lines)
