"""Pure functions: a product and the config's templates -> the final caption text for one platform."""

from __future__ import annotations

import re

from sokasi_post.config import ContactSettings, Settings, whatsapp_digits
from sokasi_post.i18n import _
from sokasi_post.models import Product
from sokasi_post.platforms import rules_for

HASHTAG = re.compile(r"(?<![\w&])#(\w+)")
MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9_](?:[A-Za-z0-9_.]*[A-Za-z0-9_])?)")
_FIELD = re.compile(r"\{(\w+)\}")


def format_rupiah(amount: int) -> str:
    """Whole rupiah written the Indonesian way: 150000 -> 'Rp 150.000'."""
    return "Rp " + f"{amount:,}".replace(",", ".")


def normalise_hashtag(tag: str) -> str:
    """'#Kerajinan Bambu' -> 'KerajinanBambu': no '#', no spaces, only letters, digits and '_'."""
    return "".join(re.findall(r"\w+", tag))


def order_line(product: Product, platform: str, contact: ContactSettings) -> str:
    """How to order. Where links in captions can be tapped (Facebook) a short wa.me link, then the greeting naming
    the product in words (a link with the greeting pre-filled would show as a long run of %20s); elsewhere the number."""
    if rules_for(platform).links_clickable:
        greeting = contact.greeting.replace("{title}", product.title)
        return f'https://wa.me/{whatsapp_digits(contact.whatsapp)} — "{greeting}"'
    return contact.whatsapp


def render_caption(product: Product, platform: str, settings: Settings) -> str:
    """The exact text that will be posted on `platform` for `product`."""
    existing = {tag.lower() for tag in HASHTAG.findall(product.caption)}
    hashtags = []
    captions = settings.captions
    for raw in (*captions.hashtags, *captions.hashtags_by_platform.get(platform, ()),
                *product.hashtags, *product.hashtags_by_platform.get(platform, ())):
        tag = normalise_hashtag(raw)
        if tag and tag.lower() not in existing:
            existing.add(tag.lower())
            hashtags.append("#" + tag)
    values = {
        "title": product.title,
        "caption": product.caption,
        "price": format_rupiah(product.price) if product.price else "",
        "maker": product.maker or "",
        "order": order_line(product, platform, settings.contact),
        "whatsapp": settings.contact.whatsapp,
        "contact_name": settings.contact.name or "",
        "hashtags": " ".join(hashtags),
    }
    lines = []
    for line in settings.captions.templates[platform].splitlines():
        fields = _FIELD.findall(line)
        # A line whose every field is empty ("Harga: {price}" with no price) is left out entirely.
        if fields and not any(values[name] for name in fields):
            continue
        lines.append(line.format(**values))
    text = "\n".join(lines).strip()
    return re.sub(r"\n{3,}", "\n\n", text)


def caption_problems(text: str, platform: str) -> list[str]:
    """Why the caption cannot be posted on `platform` as it is, with the amount to cut."""
    rules = rules_for(platform)
    problems = []
    length, limit = len(text), rules.caption_characters
    if length > limit:
        problems.append(
            _("the {platform} caption is {length:,} characters; the limit is {limit:,}: shorten it by {over:,}").format(
                platform=rules.label, length=length, limit=limit, over=length - limit)
        )
    tags = ["#" + tag for tag in HASHTAG.findall(text)]
    if rules.hashtags is not None and len(tags) > rules.hashtags:
        over = len(tags) - rules.hashtags
        problems.append(_(
            "the {platform} caption has {count} hashtags; {platform} allows {limit}: drop {over}, e.g. {drop} "
            "(hashtags for Facebook only go under hashtags: {{facebook: [...]}})"
        ).format(platform=rules.label, count=len(tags), limit=rules.hashtags, over=over, drop=" ".join(tags[-over:])))
    mentions = MENTION.findall(text)
    if rules.mentions is not None and len(mentions) > rules.mentions:
        problems.append(_("the {platform} caption has {count} @-mentions; the limit is {limit}: remove {over}").format(
            platform=rules.label, count=len(mentions), limit=rules.mentions, over=len(mentions) - rules.mentions))
    return problems
