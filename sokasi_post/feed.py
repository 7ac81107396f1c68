"""The catalogue feed Meta reads (Facebook Shop, Instagram product tags, WhatsApp Business catalogue): pure functions.

site.py calls these and writes feed.csv beside the site's index.html; nothing here reads or writes a file or the
network. Every limit below and where it comes from is in docs/catalogue-feed.md.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from urllib.parse import urlsplit

from sokasi_post.config import Settings, site_or_default
from sokasi_post.i18n import N_, _
from sokasi_post.models import Product

CURRENCY = "IDR"
IN_STOCK = "in stock"
OUT_OF_STOCK = "out of stock"
# Values Meta's own feed template lists (docs/catalogue-feed.md, "availability" and "condition").
AVAILABILITIES = (IN_STOCK, "available for order", "preorder", OUT_OF_STOCK, "discontinued")
CONDITIONS = ("new", "refurbished", "used")

ID_LIMIT = 100
TITLE_LIMIT = 150  # the smallest figure found for the main feed (150 and 200 are both quoted): docs/catalogue-feed.md
DESCRIPTION_LIMIT = 5000  # Meta's own pages say 5000; 9999 is quoted only by others: docs/catalogue-feed.md
BRAND_LIMIT = 100
EXTRA_IMAGES_LIMIT = 10  # Meta's commerce checklist says "up to 10"; others quote 20: the smaller holds for both
EXTRA_IMAGES_CHARACTERS = 2000  # the whole additional_image_link field, separators included
IMAGE_SEPARATOR = ","

_PRICE = re.compile(r"[0-9]+(?:\.[0-9]{2})? [A-Z]{3}")
# A character that would split one address into two inside additional_image_link (comma, semicolon, space and
# vertical bar all separate its URLs), or that no address may carry unescaped.
_UNSAFE_IN_URL = re.compile(r"[\s,;|\"<>]")

# The fields Meta requires, in this order: an item missing one is left out of feed.csv (Meta would reject the row).
REQUIRED = ("id", "title", "description", "availability", "condition", "price", "link", "image_link", "brand")

_MISSING = {
    "price": N_("{slug}: no price, so it is left out of the catalogue feed; add one to its post.yaml, e.g. price: 150000"),
    "image_link": N_("{slug}: no photo, so it is left out of the catalogue feed; put a photo in its folder"),
    "link": N_("{slug}: no page address, so it is left out of the catalogue feed; set site.base_url in config.yaml"),
    "brand": N_("{slug}: no brand, so it is left out of the catalogue feed; set site.name (or contact.name) in config.yaml"),
    "title": N_("{slug}: no title, so it is left out of the catalogue feed; add title: to its post.yaml"),
    "description": N_("{slug}: no caption, so it is left out of the catalogue feed; add caption: to its post.yaml"),
}
_MISSING_OTHER = N_("{slug}: no {field}, so it is left out of the catalogue feed")


@dataclass(frozen=True)
class FeedItem:
    """One row of Meta's catalogue data feed: the fields keep Meta's names, so the CSV header is the field names."""

    id: str
    title: str
    description: str
    availability: str
    condition: str
    price: str
    link: str
    image_link: str
    brand: str
    additional_image_link: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        """True when every field Meta requires has a value (only complete items go into feed.csv)."""
        return all(getattr(self, name) for name in REQUIRED)


FIELD_NAMES = tuple(f.name for f in fields(FeedItem))


def format_price(rupiah: int) -> str:
    """Whole rupiah the way the feed writes a price: 175000 -> '175000.00 IDR' (amount, '.' decimals, ISO 4217 code)."""
    return f"{rupiah}.00 {CURRENCY}"


def feed_items(products: Iterable[Product], settings: Settings, page_url: Callable[[Product], str],
               image_urls: Callable[[Product], list[str]]) -> list[FeedItem]:
    """One item per product that is not a draft, sorted by id; a sold one stays, 'out of stock'.

    A product without a price or photo still gets an item (with that field empty) so feed_problems can name it;
    feed_csv leaves such items out of the file.
    """
    brand = site_or_default(settings).name
    items = [_item(product, brand, page_url(product), image_urls(product)) for product in products if not product.is_draft]
    return sorted(items, key=lambda item: item.id)


def _item(product: Product, brand: str, link: str, images: list[str]) -> FeedItem:
    return FeedItem(
        id=product.slug,
        title=product.title.strip(),
        description=trim_description(product.caption),
        availability=OUT_OF_STOCK if product.is_sold else IN_STOCK,
        condition="new",
        price=format_price(product.price) if product.price is not None else "",
        link=link,
        image_link=images[0] if images else "",
        brand=brand.strip(),
        additional_image_link=_extra_images(images[1:]),
    )


def _extra_images(urls: list[str]) -> tuple[str, ...]:
    """As many of the extra photos, in order, as Meta takes: at most 10, and 2000 characters with the separators."""
    kept: list[str] = []
    for url in urls[:EXTRA_IMAGES_LIMIT]:
        if len(IMAGE_SEPARATOR.join([*kept, url])) > EXTRA_IMAGES_CHARACTERS:
            break
        kept.append(url)
    return tuple(kept)


def trim_description(caption: str, limit: int = DESCRIPTION_LIMIT) -> str:
    """The caption as plain text within `limit` characters: cut at a space, ending in '…', when it is longer."""
    text = caption.replace("\r\n", "\n").replace("\r", "\n").strip()
    if len(text) <= limit:
        return text
    cut = text[:limit - 1]
    space = max(cut.rfind(" "), cut.rfind("\n"))
    if space > limit // 2:  # a cut mid-word reads worse than a shorter text, unless the text has no spaces
        cut = cut[:space]
    return cut.rstrip() + "…"


def feed_problems(items: Iterable[FeedItem]) -> list[str]:
    """What Meta's rules (docs/catalogue-feed.md) find wrong in the items: one line each, naming the product and the fix."""
    items = list(items)
    problems: list[str] = []
    counts = Counter(item.id for item in items)
    for item in items:
        problems += _missing(item) + _wrong(item)
        if counts[item.id] > 1 and item.id:
            problems.append(_("{slug}: two products have this id; Meta's catalogue keeps only one of them").format(slug=item.id))
    return list(dict.fromkeys(problems))


def _missing(item: FeedItem) -> list[str]:
    """A line for each required field without a value."""
    return [_(_MISSING.get(name, _MISSING_OTHER)).format(slug=item.id or "?", field=name)
            for name in REQUIRED if not getattr(item, name)]


def _wrong(item: FeedItem) -> list[str]:
    """A line for each value Meta's rules refuse: lengths, price, availability, condition and addresses."""
    slug = item.id
    problems = _too_long(item)
    match = _PRICE.fullmatch(item.price)
    if item.price and (not match or float(item.price.split()[0]) == 0):
        problems.append(_("{slug}: the price {price} is not one Meta's catalogue takes (an amount above zero and a currency, "
                          "e.g. 175000.00 IDR); check price: in its post.yaml").format(slug=slug, price=item.price))
    if item.availability and item.availability not in AVAILABILITIES:
        problems.append(_("{slug}: availability {value} is not one Meta's catalogue knows ({allowed})")
                        .format(slug=slug, value=item.availability, allowed=", ".join(AVAILABILITIES)))
    if item.condition and item.condition not in CONDITIONS:
        problems.append(_("{slug}: condition {value} is not one Meta's catalogue knows ({allowed})")
                        .format(slug=slug, value=item.condition, allowed=", ".join(CONDITIONS)))
    return problems + _bad_addresses(item)


def _too_long(item: FeedItem) -> list[str]:
    checks = (
        (item.id, ID_LIMIT, N_("{slug}: the folder name has {length} characters, more than the {limit} Meta's catalogue "
                               "takes as an id; give the folder a shorter name")),
        (item.title, TITLE_LIMIT, N_("{slug}: the title has {length} characters, more than the {limit} Meta's catalogue "
                                     "takes; shorten title: in its post.yaml")),
        (item.description, DESCRIPTION_LIMIT, N_("{slug}: the description has {length} characters, more than the {limit} "
                                                 "Meta's catalogue takes; shorten the caption")),
        (item.brand, BRAND_LIMIT, N_("{slug}: the brand (site.name) has {length} characters, more than the {limit} Meta's "
                                     "catalogue takes; shorten site.name in config.yaml")),
    )
    problems = [_(message).format(slug=item.id, length=len(value), limit=limit)
                for value, limit, message in checks if len(value) > limit]
    extra = IMAGE_SEPARATOR.join(item.additional_image_link)
    if len(item.additional_image_link) > EXTRA_IMAGES_LIMIT or len(extra) > EXTRA_IMAGES_CHARACTERS:
        problems.append(_("{slug}: {count} extra photos ({length} characters of addresses), more than Meta's catalogue takes "
                          "({limit} photos, {characters} characters); keep fewer photos in its folder")
                        .format(slug=item.id, count=len(item.additional_image_link), length=len(extra),
                                limit=EXTRA_IMAGES_LIMIT, characters=EXTRA_IMAGES_CHARACTERS))
    return problems


def _bad_addresses(item: FeedItem) -> list[str]:
    named = [("link", item.link), ("image_link", item.image_link)]
    named += [("additional_image_link", url) for url in item.additional_image_link]
    return [_("{slug}: the {field} address {url} is not a full web address Meta can open (https://…, no spaces or commas); "
              "check site.base_url in config.yaml").format(slug=item.id, field=name, url=url)
            for name, url in named if url and not is_web_address(url)]


def is_web_address(url: str) -> bool:
    """True for an absolute http(s) address with a host and no character that would split or break it in the feed."""
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname) and not _UNSAFE_IN_URL.search(url)


def feed_csv(items: Iterable[FeedItem]) -> str:
    """feed.csv's text: a header of Meta's field names, then one row per complete item, sorted by id.

    Every field is quoted (Meta's reference: a field with spaces or commas goes in double quotes, a quote inside is
    doubled); additional_image_link holds its URLs in one field, separated by commas. UTF-8 without a BOM is the
    caller's to write; the lines end in \\n, so the same items always give the same text.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(FIELD_NAMES)
    for item in sorted((item for item in items if item.complete), key=lambda item: item.id):
        writer.writerow([IMAGE_SEPARATOR.join(item.additional_image_link) if name == "additional_image_link"
                         else getattr(item, name) for name in FIELD_NAMES])
    return buffer.getvalue()
