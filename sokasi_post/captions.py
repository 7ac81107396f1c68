"""Pure functions: a product and the config's templates -> the final caption text for one platform."""

from __future__ import annotations

import re

from sokasi_post.config import ContactSettings, Settings, whatsapp_digits
from sokasi_post.i18n import _
from sokasi_post.models import Product

# Limits each platform enforces on a caption (docs/platforms.md I1 and I7; Facebook: the Page post text limit).
# Instagram allows 5 hashtags since December 2025 (was 30), and its private API drops an over-limit caption
# silently while the photo still posts; so the count is over the whole final caption, repeats included.
LIMITS = {
    "facebook": {"characters": 63_206},
    "instagram": {"characters": 2_200, "hashtags": 5, "mentions": 20},
}

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
    """How to order. On Facebook a short wa.me link, then the greeting naming the product in words (a link
    with the greeting pre-filled would show as a long run of %20s in the post); elsewhere the number."""
    if platform == "facebook":
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
    limits = LIMITS[platform]
    problems = []
    length = len(text)
    if length > limits["characters"]:
        problems.append(
            _("the {platform} caption is {length:,} characters; the limit is {limit:,}: shorten it by {over:,}").format(
                platform=platform.capitalize(), length=length, limit=limits["characters"],
                over=length - limits["characters"])
        )
    if "hashtags" in limits:
        tags = ["#" + tag for tag in HASHTAG.findall(text)]
        over = len(tags) - limits["hashtags"]
        if over > 0:
            problems.append(_(
                "the {platform} caption has {count} hashtags; {platform} allows {limit}: drop {over}, e.g. {drop} "
                "(hashtags for Facebook only go under hashtags: {{facebook: [...]}})"
            ).format(platform=platform.capitalize(), count=len(tags), limit=limits["hashtags"], over=over,
                     drop=" ".join(tags[-over:])))
    if "mentions" in limits:
        mentions = MENTION.findall(text)
        if len(mentions) > limits["mentions"]:
            problems.append(_("the {platform} caption has {count} @-mentions; the limit is {limit}: remove {over}").format(
                platform=platform.capitalize(), count=len(mentions), limit=limits["mentions"],
                over=len(mentions) - limits["mentions"]))
    return problems
