"""The shop window: a static site of the catalogue (index, a page per product and per maker) in two languages.

The config's language is at the root and the other one under `en/` (or `id/`). Every link between pages is relative
and names a file (`products/<slug>.html`), so the folder works opened from the disk and under any address; absolute
addresses (under site.base_url) appear only where a crawler needs them: OpenGraph and Twitter tags, the canonical
link, sitemap.xml, robots.txt and the feed. No scripts, fonts or anything fetched from elsewhere; the CSS is inline.

The output is deterministic: the same catalogue gives the same bytes, and only files whose bytes changed are written
again (so syncing the folder is cheap). A manifest (.sokasi-site.json) lists what the site wrote; a file is removed
only when it is listed there, and a folder with other files but no manifest is refused. docs/site.md says more.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from sokasi_post import feed, media
from sokasi_post.captions import format_rupiah
from sokasi_post.catalog import slugify, unknown_site_makers
from sokasi_post.config import Settings, SiteSettings, site_or_default, whatsapp_digits
from sokasi_post.errors import UsageError
from sokasi_post.i18n import _
from sokasi_post.models import PreparedPhoto, Problem, Product
from sokasi_post.ownedfolder import claim, unchanged, write_atomically
from sokasi_post.yamlfile import display_path

MANIFEST = ".sokasi-site.json"
WIDTHS = (360, 800, 1080)  # the photo widths made for the site: a phone's grid, a phone's full width, a desktop
# The photos shown before any scrolling are loaded at once; the rest only when scrolled near (loading="lazy").
EAGER_CARDS = 2
# WhatsApp shows a link's picture only when the file is small; the widest rendering under this is used for previews.
PREVIEW_IMAGE_BYTES = 300_000
DESCRIPTION_CHARS = 200  # how much of a story goes into a link preview's description

# The `sizes` of each kind of picture, matching the CSS below: the browser picks from srcset with it.
_GRID_SIZES = "(min-width: 1000px) 250px, (min-width: 600px) calc((100vw - 48px) / 3), calc((100vw - 36px) / 2)"
_PHOTO_SIZES = "(min-width: 760px) 720px, calc(100vw - 24px)"

# The only names the site ever writes (and so the only ones it may remove): anything else in a manifest is ignored.
_OUR_FILE = re.compile(r"(?:(?:en|id)/)?(?:index\.html|(?:products|makers)/[a-z0-9]+(?:-[a-z0-9]+)*\.html)"
                       r"|img/[a-z0-9]+(?:-[a-z0-9]+)*/\d+-\d+\.jpg|sitemap\.xml|robots\.txt|feed\.csv")

# The site's own words, in both languages: every build writes both, whatever language the tool speaks.
WORDS = {
    "id": {
        "language": "Bahasa Indonesia", "locale": "id_ID", "order": "Pesan lewat WhatsApp", "sold": "Terjual",
        "similar": "Tanya karya serupa lewat WhatsApp", "makers": "Perajin", "by": "Karya {maker}",
        "all": "Semua karya", "available": "Masih tersedia", "sold_heading": "Sudah terjual",
        "ask_price": "Harga: tanya lewat WhatsApp", "empty": "Belum ada karya yang tersedia saat ini.",
        "about": "Karya tangan para perajin {name}. Harga dalam rupiah; pesan langsung lewat WhatsApp.",
        "maker_about": "Karya {maker}, perajin {name}.", "contact": "Pesan dan tanya lewat WhatsApp: {number}",
        "similar_message": "Halo, saya melihat {title} yang sudah terjual. Apakah ada karya serupa?",
        "sold_note": "Karya ini sudah terjual. Setiap karya dibuat dengan tangan, satu per satu.",
    },
    "en": {
        "language": "English", "locale": "en_US", "order": "Order on WhatsApp", "sold": "Sold",
        "similar": "Ask about similar work on WhatsApp", "makers": "Makers", "by": "Work by {maker}",
        "all": "All work", "available": "Available", "sold_heading": "Sold",
        "ask_price": "Price: ask on WhatsApp", "empty": "Nothing is available right now.",
        "about": "Handmade by the craftspeople of {name}. Prices in rupiah; order directly on WhatsApp.",
        "maker_about": "Work by {maker}, a maker of {name}.", "contact": "Order and ask on WhatsApp: {number}",
        "similar_message": "Hello, I saw {title}, which is sold. Do you have similar work?",
        "sold_note": "This piece is sold. Every piece is made by hand, one at a time.",
    },
}


@dataclass(frozen=True)
class SiteResult:
    """What building the site did: files written (relative to its folder), removed, left as they were, and why not all."""

    written: tuple[str, ...]
    removed: tuple[str, ...]
    unchanged: int
    problems: tuple[Problem, ...]
    pages: int


@dataclass(frozen=True)
class _Photo:
    """One product photo on the site: its renderings (relative path, width, height), narrowest first, and what it shows."""

    files: tuple[tuple[str, int, int], ...]
    width: int  # of the widest rendering
    height: int
    alt: str
    preview: tuple[str, int, int]  # the rendering used in link previews


@dataclass(frozen=True)
class _Item:
    """One product with a page: its photos on the site and its maker's page (None without a maker)."""

    product: Product
    photos: tuple[_Photo, ...]
    maker: str | None  # the maker page's slug


@dataclass(frozen=True)
class _Site:
    """Everything the pages are made from."""

    settings: Settings
    site: SiteSettings
    languages: tuple[str, str]  # (at the root, under its own folder)
    items: tuple[_Item, ...]  # newest first; sold ones included
    makers: tuple[tuple[str, str], ...]  # (name, page slug), in the order the index lists them


@dataclass(frozen=True)
class _Page:
    """Where one page is, in which language: `path` is relative to the site's folder (e.g. en/products/x.html)."""

    language: str
    path: str
    twin: str  # the same page in the other language
    top: str  # where this language's pages are: "" or "en/"

    def link(self, target: str) -> str:
        """A relative link from this page to `target` (a path relative to the site's folder), escaped for HTML."""
        here, there = self.path.split("/")[:-1], target.split("/")
        shared = 0
        while shared < min(len(here), len(there) - 1) and here[shared] == there[shared]:
            shared += 1
        return _esc("../" * (len(here) - shared) + quote("/".join(there[shared:])))


def build_site(products: tuple[Product, ...], settings: Settings, out: Path, *,
               first_posted: Mapping[str, datetime]) -> SiteResult:
    """Write the site of `products` (every loaded product; drafts are left out) into `out`; return what changed.

    `first_posted` (slug -> when it was first published) orders the index newest first. Raises UsageError when `out`
    holds files the site did not write.
    """
    site = site_or_default(settings)
    before = _claim(out)
    shown = _shown(products, site)
    web = media.prepare_web_photos(shown, settings, WIDTHS)
    files: dict[str, bytes | Path] = {}
    ordered = _newest_first(shown, first_posted)
    makers = _makers(ordered, site)
    slug_of = dict(makers)
    items = tuple(_item(product, web.photos, files, slug_of.get((product.maker or "").strip())) for product in ordered)
    model = _Site(settings, site, _languages(settings), items, makers)
    pages = _pages(model)
    files.update({path: text.encode("utf-8") for path, text in pages.items()})
    problems = list(web.problems)
    files["robots.txt"] = _robots(site.base_url).encode("utf-8")
    if site.base_url:
        files["sitemap.xml"] = _sitemap(site.base_url, sorted(pages)).encode("utf-8")
    elif settings.site is None:  # with a site section, loading config.yaml said so already
        problems.append(Problem(settings.config_path, _(
            "site.base_url is not set: the site has no link previews, no sitemap.xml and no feed.csv; "
            "set it to the address the site is published at"), warning=True))
    problems += _write_feed(model, files, out)
    problems += [p for p in _instagram_photos(products, settings, files) if p not in problems]
    problems += unknown_site_makers(products, settings)
    written, removed, kept = _Writer(out, before).sync(files)
    return SiteResult(written, removed, kept, tuple(problems), len(pages))


def _languages(settings: Settings) -> tuple[str, str]:
    """(the language at the root, the other one): the config's, else Indonesian."""
    root = settings.language if settings.language in WORDS else "id"
    return root, next(code for code in WORDS if code != root)


def _instagram_photos(products: tuple[Product, ...], settings: Settings, files: dict[str, bytes | Path]) -> list[Problem]:
    """With Instagram through Meta's official API, Meta fetches each photo from a public address (docs/platforms.md G1):
    the site carries the exact Instagram JPEG of every product that may still be posted there (ready, not sold, on
    Instagram; whoever made it), at media.public_photo_name. Returns the photos that could not be prepared."""
    ig = settings.instagram
    if not (ig.enabled and ig.official and ig.photo_host == "site"):
        return []
    wanted = tuple(replace(product, platforms=("instagram",)) for product in products
                   if not product.is_draft and not product.is_sold and "instagram" in product.platforms)
    prepared = media.prepare_products(wanted, settings)
    for photos in prepared.photos.values():
        for photo in photos:
            files[media.public_photo_name(photo.path)] = photo.path
    return prepared.problems


def product_page_url(base_url: str, slug: str) -> str:
    """The public address of a product's page: at the site's root, in the config's language."""
    return base_url + quote(f"products/{slug}.html")


def _shown(products: tuple[Product, ...], site: SiteSettings) -> tuple[Product, ...]:
    """The products with a page: not drafts, and only by the makers config names (when it names any)."""
    chosen = {name.casefold() for name in site.makers}
    return tuple(product for product in products if not product.is_draft
                 and (not chosen or (product.maker or "").strip().casefold() in chosen))


def _newest_first(products: tuple[Product, ...], first_posted: Mapping[str, datetime]) -> list[Product]:
    """Products never posted first (by name), then the most recently first posted; equal times by name."""
    by_name = sorted(products, key=lambda product: product.slug)
    never = [product for product in by_name if product.slug not in first_posted]
    posted = [product for product in by_name if product.slug in first_posted]
    posted.sort(key=lambda product: first_posted[product.slug].timestamp(), reverse=True)  # stable: ties keep names
    return never + posted


def _item(product: Product, renderings: Mapping[Path, tuple[PreparedPhoto, ...]], files: dict[str, bytes | Path],
          maker: str | None) -> _Item:
    """`product` on the site: each photo that could be prepared, its renderings added to `files` (img/<slug>/<n>-<w>.jpg)."""
    photos = []
    for number, source in enumerate(product.photos, start=1):
        made = renderings.get(source) or ()
        if not made:
            continue  # the photo could not be prepared: prepare_web_photos named it in its problems
        names = tuple((f"img/{product.slug}/{number}-{photo.width}.jpg", photo.width, photo.height) for photo in made)
        files.update({name[0]: photo.path for name, photo in zip(names, made, strict=True)})
        small = [name for name, photo in zip(names, made, strict=True) if photo.size <= PREVIEW_IMAGE_BYTES]
        photos.append(_Photo(names, made[-1].width, made[-1].height, product.alt.get(source.name) or product.title,
                             small[-1] if small else names[0]))
    return _Item(product, tuple(photos), maker)


def _makers(products: list[Product], site: SiteSettings) -> tuple[tuple[str, str], ...]:
    """(name, page slug) for every maker with a page, in config's order when it names makers, else by name.

    Two names that make the same slug get -2, -3 ... in that order.
    """
    names = {product.maker.strip() for product in products if product.maker and product.maker.strip()}
    order = {name.casefold(): index for index, name in enumerate(site.makers)}
    ordered = sorted(names, key=lambda name: (order.get(name.casefold(), len(order)), name.casefold(), name))
    slugs: dict[str, str] = {}
    for name in ordered:
        base = slugify(name) or "perajin"
        slug, count = base, 1
        while slug in slugs.values():
            count += 1
            slug = f"{base}-{count}"
        slugs[name] = slug
    return tuple((name, slugs[name]) for name in ordered)


# ---- Pages ----------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Meta:
    """What a page says about itself to a browser and to link previews."""

    title: str
    description: str
    image: _Photo | None
    kind: str  # og:type: website, product or profile
    price: int | None = None


def _pages(model: _Site) -> dict[str, str]:
    """Every page of the site, in both languages: path relative to the site's folder -> HTML."""
    pages: dict[str, str] = {}
    root, other = model.languages
    for language in model.languages:
        top, twin_top = ("", f"{other}/") if language == root else (f"{language}/", "")

        def page(path: str, language: str = language, top: str = top, twin_top: str = twin_top) -> _Page:
            return _Page(language, top + path, twin_top + path, top)

        index = page("index.html")
        pages[index.path] = _index_html(model, index)
        for item in model.items:
            at = page(f"products/{item.product.slug}.html")
            pages[at.path] = _product_html(model, at, item)
        for name, slug in model.makers:
            at = page(f"makers/{slug}.html")
            pages[at.path] = _maker_html(model, at, name, slug)
    return dict(sorted(pages.items()))


def _document(model: _Site, page: _Page, meta: _Meta, body: str) -> str:
    """One whole page: head with its link-preview tags and inline CSS, the header with the language switch, body."""
    words, other = WORDS[page.language], next(code for code in WORDS if code != page.language)
    contact = words["contact"].format(number=model.settings.contact.whatsapp)
    return (f'<!doctype html>\n<html lang="{page.language}">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{_esc(meta.title)}</title>\n"
            f'<meta name="description" content="{_esc(meta.description)}">\n'
            '<link rel="icon" href="data:,">\n'  # no request for /favicon.ico
            f"{_social(model, page, meta)}<style>{_CSS}</style>\n</head>\n<body>\n"
            f'<header><a class="home" href="{page.link(page.top + "index.html")}">{_esc(model.site.name)}</a>\n'
            f'<a class="lang" href="{page.link(page.twin)}" hreflang="{other}" lang="{other}">'
            f'{_esc(WORDS[other]["language"])}</a></header>\n'
            f"<main>\n{body}\n</main>\n<footer><p>{_esc(model.site.name)} · {_esc(contact)}</p></footer>\n"
            "</body>\n</html>\n")


def _social(model: _Site, page: _Page, meta: _Meta) -> str:
    """OpenGraph and Twitter tags (what WhatsApp and Facebook show for a pasted link), and the canonical link.

    Addresses are absolute under site.base_url; without it, only the words are given.
    """
    words, other = WORDS[page.language], next(code for code in WORDS if code != page.language)
    tags = [("og:site_name", model.site.name), ("og:title", meta.title), ("og:description", meta.description),
            ("og:type", meta.kind), ("og:locale", words["locale"]), ("og:locale:alternate", WORDS[other]["locale"])]
    if meta.price is not None and meta.kind == "product":
        tags += [("product:price:amount", str(meta.price)), ("product:price:currency", "IDR")]
    twitter = [("twitter:card", "summary_large_image" if meta.image else "summary"), ("twitter:title", meta.title),
               ("twitter:description", meta.description)]
    base = model.site.base_url
    if base:
        tags.append(("og:url", base + quote(page.path)))
    if base and meta.image:
        name, width, height = meta.image.preview
        tags += [("og:image", base + quote(name)), ("og:image:type", "image/jpeg"), ("og:image:width", str(width)),
                 ("og:image:height", str(height)), ("og:image:alt", meta.image.alt)]
        twitter += [("twitter:image", base + quote(name)), ("twitter:image:alt", meta.image.alt)]
    lines = [f'<meta property="{key}" content="{_esc(value)}">\n' for key, value in tags]
    lines += [f'<meta name="{key}" content="{_esc(value)}">\n' for key, value in twitter]
    if base:
        lines.append(f'<link rel="canonical" href="{_esc(base + quote(page.path))}">\n')
    return "".join(lines)


def _index_html(model: _Site, page: _Page) -> str:
    """The index: the cooperative, its makers (each a link to their page: the filter), every available product."""
    words = WORDS[page.language]
    available = [item for item in model.items if not item.product.is_sold]
    about = model.site.about or words["about"].format(name=model.site.name)
    makers = "".join(f'<li><a href="{page.link(f"{page.top}makers/{slug}.html")}">{_esc(name)}</a></li>'
                     for name, slug in model.makers)
    chips = (f'<nav class="makers" aria-label="{_esc(words["makers"])}"><ul>'
             f'<li><a aria-current="page" href="{page.link(page.path)}">{_esc(words["all"])}</a></li>{makers}</ul></nav>')
    body = f"<h1>{_esc(model.site.name)}</h1>\n<p class=\"about\">{_esc(about)}</p>\n{chips}\n{_grid(model, page, available)}"
    image = next((item.photos[0] for item in available if item.photos), None)
    return _document(model, page, _Meta(model.site.name, about, image, "website"), body)


def _grid(model: _Site, page: _Page, items: list[_Item]) -> str:
    """Product cards (photo, title, price, maker), the first few loaded at once; or a line saying there are none."""
    if not items:
        return f'<p class="empty">{_esc(WORDS[page.language]["empty"])}</p>'
    cards = "\n".join(_card(model, page, item, eager=number < EAGER_CARDS) for number, item in enumerate(items))
    return f'<ul class="grid">\n{cards}\n</ul>'


def _card(model: _Site, page: _Page, item: _Item, *, eager: bool) -> str:
    """One product in a grid."""
    words, product = WORDS[page.language], item.product
    photo = _img(page, item.photos[0], _GRID_SIZES, eager=eager) if item.photos else '<span class="nophoto"></span>'
    badge = f'<span class="badge">{_esc(words["sold"])}</span>' if product.is_sold else ""
    maker = (f'<a class="maker" href="{page.link(f"{page.top}makers/{item.maker}.html")}">{_esc(product.maker or "")}</a>'
             if item.maker else "")
    return (f'<li class="card"><a class="look" href="{page.link(f"{page.top}products/{product.slug}.html")}">{photo}'
            f'<span class="title">{_esc(product.title)}</span></a>{badge}'
            f'<span class="price">{_esc(_price(product, page.language))}</span>{maker}</li>')


def _product_html(model: _Site, page: _Page, item: _Item) -> str:
    """A product's page: title, price, maker, the order button, every photo, the story; a sold one says so."""
    words, product = WORDS[page.language], item.product
    maker = ""
    if item.maker:
        link = f'<a href="{page.link(f"{page.top}makers/{item.maker}.html")}">{_esc(product.maker or "")}</a>'
        maker = f'<p class="maker">{_esc(words["by"]).replace("{maker}", link)}</p>'
    button = _order_button(model, page, product)
    sold = (f'<p><span class="badge">{_esc(words["sold"])}</span></p>\n<p class="note">{_esc(words["sold_note"])}</p>\n'
            if product.is_sold else "")
    photos = "\n".join(_img(page, photo, _PHOTO_SIZES, eager=number == 0) for number, photo in enumerate(item.photos))
    body = (f'<article class="product">\n<h1>{_esc(product.title)}</h1>\n{sold}'
            f'<p class="price">{_esc(_price(product, page.language))}</p>\n{maker}\n{button}\n'
            f'<div class="photos">\n{photos}\n</div>\n<div class="story">{_story(product.caption)}</div>\n{button}\n'
            f'<p><a href="{page.link(page.top + "index.html")}">{_esc(words["all"])}</a></p>\n</article>')
    title = f"{product.title} · {words['sold'] if product.is_sold else _price(product, page.language)}"
    meta = _Meta(title, _description(product, page.language), item.photos[0] if item.photos else None, "product",
                 None if product.is_sold else product.price)
    return _document(model, page, meta, body)


def _order_button(model: _Site, page: _Page, product: Product) -> str:
    """The big WhatsApp button: the greeting naming the product, then its page's address.

    A sold product instead asks about similar work: every piece is one of a kind, but its maker can make another,
    and a link shared before the sale still reaches buyers. That message is in the cooperative's language (the one
    at the root), like contact.greeting: it is read by the cooperative, not by the buyer.
    """
    words = WORDS[page.language]
    address = model.site.base_url + quote(page.path) if model.site.base_url else None
    if product.is_sold:
        text = WORDS[model.languages[0]]["similar_message"].replace("{title}", product.title)
        label, kind = words["similar"], "order similar"
    else:
        text = model.settings.contact.greeting.replace("{title}", product.title)
        label, kind = words["order"], "order"
    message = f"{text}\n{address}" if address else text
    href = f"https://wa.me/{whatsapp_digits(model.settings.contact.whatsapp)}?text={quote(message, safe='')}"
    return f'<a class="{kind}" href="{_esc(href)}">{_esc(label)}</a>'


def _maker_html(model: _Site, page: _Page, name: str, slug: str) -> str:
    """A maker's page: their work still for sale, then what they sold."""
    words = WORDS[page.language]
    theirs = [item for item in model.items if item.maker == slug]
    available = [item for item in theirs if not item.product.is_sold]
    sold = [item for item in theirs if item.product.is_sold]
    about = words["maker_about"].format(maker=name, name=model.site.name)
    body = (f"<h1>{_esc(name)}</h1>\n<p class=\"about\">{_esc(about)}</p>\n"
            f"<h2>{_esc(words['available'])}</h2>\n{_grid(model, page, available)}")
    if sold:
        body += f"\n<h2>{_esc(words['sold_heading'])}</h2>\n{_grid(model, page, sold)}"
    image = next((item.photos[0] for item in available + sold if item.photos), None)
    return _document(model, page, _Meta(f"{name} · {model.site.name}", about, image, "profile"), body)


def _img(page: _Page, photo: _Photo, sizes: str, *, eager: bool) -> str:
    """An <img> offering every rendering (srcset) so a phone loads a small one; lazy unless it is seen at once."""
    srcset = ", ".join(f"{page.link(name)} {width}w" for name, width, _height in photo.files)
    src = page.link(photo.files[min(1, len(photo.files) - 1)][0])
    lazy = "" if eager else ' loading="lazy"'
    return (f'<img src="{src}" srcset="{srcset}" sizes="{sizes}" width="{photo.width}" height="{photo.height}" '
            f'alt="{_esc(photo.alt)}"{lazy} decoding="async">')


def _price(product: Product, language: str) -> str:
    return format_rupiah(product.price) if product.price is not None else WORDS[language]["ask_price"]


def _story(text: str) -> str:
    """The caption as paragraphs (blank lines) with its line breaks kept, escaped."""
    paragraphs = [part.strip() for part in re.split(r"\n\s*\n", text.strip()) if part.strip()]
    return "".join("<p>" + "<br>\n".join(_esc(line) for line in part.splitlines()) + "</p>\n" for part in paragraphs)


def _description(product: Product, language: str) -> str:
    """A link preview's description: price, maker, and the start of the story."""
    story = " ".join(product.caption.split())
    if len(story) > DESCRIPTION_CHARS:
        story = story[:DESCRIPTION_CHARS].rsplit(" ", 1)[0] + "…"
    parts = [_price(product, language), *([product.maker.strip()] if product.maker else []), story]
    return " · ".join(part for part in parts if part)


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


_CSS = (
    ":root{color-scheme:light;--ink:#2b2118;--soft:#6b5b4b;--paper:#faf7f2;--green:#1d6b34}"
    "*{box-sizing:border-box}"
    "body{margin:0;font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;line-height:1.5;color:var(--ink);"
    "background:var(--paper);overflow-wrap:anywhere}"
    "header,main,footer{max-width:1040px;margin:0 auto;padding:12px}"
    "header{display:flex;justify-content:space-between;align-items:baseline;gap:12px}"
    ".home{font-weight:700;font-size:1.1rem;color:var(--ink);text-decoration:none}"
    "a{color:var(--green)}img{display:block;max-width:100%;height:auto}"
    "h1{font-size:1.5rem;line-height:1.25;margin:.2em 0 .4em}h2{font-size:1.15rem;margin:1.2em 0 .4em}"
    ".about{margin:0 0 12px;color:var(--soft)}"
    ".makers ul{list-style:none;padding:0;margin:0;display:flex;flex-wrap:wrap;gap:8px}"
    ".makers a{display:inline-block;padding:4px 12px;border:1px solid #d8cbb8;border-radius:999px;background:#fff;"
    "color:var(--ink);text-decoration:none}.makers a[aria-current]{background:var(--ink);color:#fff}"
    ".grid{list-style:none;padding:0;margin:12px 0;display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:12px}"
    "@media (min-width:600px){.grid{grid-template-columns:repeat(3,minmax(0,1fr))}}"
    "@media (min-width:1000px){.grid{grid-template-columns:repeat(4,minmax(0,1fr))}}"
    ".card{background:#fff;border-radius:8px;overflow:hidden;padding-bottom:8px}"
    ".card img,.nophoto{display:block;width:100%;aspect-ratio:1;object-fit:cover;background:#e9e1d5}"
    ".look{color:var(--ink);text-decoration:none}"
    ".card .title,.card .price,.card .maker{display:block;margin:6px 8px 0}.card .badge{margin:6px 8px 0}"
    ".price{font-weight:700}.maker{font-size:.95rem}"
    ".badge{display:inline-block;padding:2px 8px;border-radius:4px;background:#a4001d;color:#fff;font-weight:700}"
    ".product{max-width:720px;margin:0 auto}.product .price{font-size:1.25rem;margin:.2em 0}"
    ".photos img{width:100%;margin:0 0 12px;border-radius:8px}"
    ".order{display:block;margin:16px 0;padding:14px 18px;border-radius:10px;background:var(--green);color:#fff;"
    "text-align:center;font-weight:700;font-size:1.1rem;text-decoration:none}.similar{background:#4d4036}"
    "footer{color:var(--soft);font-size:.9rem}"
)


# ---- For crawlers ---------------------------------------------------------------------------------------------------

def _sitemap(base: str, paths: list[str]) -> str:
    """sitemap.xml: the absolute address of every page, both languages; no dates, so the same site gives the same file."""
    urls = "".join(f"<url><loc>{html.escape(base + quote(path), quote=False)}</loc></url>\n" for path in paths)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            f"{urls}</urlset>\n")


def _robots(base: str | None) -> str:
    """robots.txt: everything may be fetched; Meta's link-preview crawlers are named to leave no doubt."""
    groups = "".join(f"User-agent: {agent}\nAllow: /\n\n" for agent in ("facebookexternalhit", "Facebot", "*"))
    return groups + (f"Sitemap: {base}sitemap.xml\n" if base else "")


def _write_feed(model: _Site, files: dict[str, bytes | Path], out: Path) -> list[Problem]:
    """feed.csv beside index.html: Meta's catalogue data feed (feed.py says what is in it); its problems as warnings.

    Every address in it is absolute, so without site.base_url there is no feed (build_site says so once).
    """
    base = model.site.base_url
    if not base:
        return []
    photos = {item.product.slug: item.photos for item in model.items}

    def page_url(product: Product) -> str:
        return product_page_url(base, product.slug)

    def image_urls(product: Product) -> list[str]:
        return [base + quote(photo.files[-1][0]) for photo in photos.get(product.slug, ())]

    items = feed.feed_items([item.product for item in model.items], model.settings, page_url, image_urls)
    files["feed.csv"] = feed.feed_csv(items).encode("utf-8")
    return [Problem(out / "feed.csv", message, warning=True) for message in feed.feed_problems(items)]


# ---- Writing only what changed ----------------------------------------------------------------------------------------

def _claim(out: Path) -> dict[str, str]:
    """What the site wrote into `out` before (path -> sha256), from its manifest; {} for a new or empty folder.

    UsageError when `out` holds files but no manifest: it is someone else's folder, and nothing is written there.
    """
    manifest = claim(out, MANIFEST, UsageError(_(
        "{folder}: this folder has other files in it and was not made by `sokasi-post site`; nothing was written: "
        "choose a new or empty folder (site.out in config.yaml)").format(folder=display_path(out))))
    files = manifest.get("files") if isinstance(manifest, dict) else None
    return {name: digest for name, digest in (files.items() if isinstance(files, dict) else ())
            if isinstance(name, str) and isinstance(digest, str) and _OUR_FILE.fullmatch(name)}


class _Writer:
    """Brings the site's folder to exactly `files`: writes only files whose bytes differ, each through a new file
    renamed into place (never through a link someone put there), and removes the files it wrote before that are no
    longer part of the site (only if still as it wrote them), then the folders they leave empty."""

    def __init__(self, out: Path, before: dict[str, str]):
        self.out = out
        self.before = before

    def sync(self, files: dict[str, bytes | Path]) -> tuple[tuple[str, ...], tuple[str, ...], int]:
        """(written, removed, how many were already right)."""
        written: list[str] = []
        digests: dict[str, str] = {}
        for name, content in sorted(files.items()):
            data = content if isinstance(content, bytes) else content.read_bytes()
            digests[name] = hashlib.sha256(data).hexdigest()
            if not _holds(self.out / name, data):
                self._write(name, data)
                written.append(name)
        removed = [name for name, digest in sorted(self.before.items())
                   if name not in files and self._remove(name, digest)]
        manifest = json.dumps({"files": digests}, indent=1, sort_keys=True).encode("utf-8") + b"\n"
        if not _holds(self.out / MANIFEST, manifest):
            self._write(MANIFEST, manifest)
        return tuple(written), tuple(removed), len(files) - len(written)

    def _folder(self, name: str) -> Path:
        """The folder `name` goes in, made if missing; UsageError when a file or link is in its way."""
        folder = self.out
        for part in name.split("/")[:-1]:
            folder = folder / part
            if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
                raise UsageError(_("{path}: is in the way of the site (it was not made by it); move it away and run "
                                   "`sokasi-post site` again").format(path=display_path(folder)))
            if not folder.exists():
                folder.mkdir()
        return folder

    def _write(self, name: str, data: bytes) -> None:
        self._folder(name)
        write_atomically(self.out / name, data, mode=0o644)  # a web server must read it

    def _remove(self, name: str, digest: str) -> bool:
        """Remove a file the site wrote before, if it still holds what was written; then its emptied folders."""
        path = self.out / name
        if any(folder.is_symlink() for folder in path.parents if folder.is_relative_to(self.out) and folder != self.out):
            return False  # a link put in place of a folder it made: what is behind it is not the site's
        if not unchanged(path, digest):
            return False
        path.unlink()
        folder = path.parent
        while folder != self.out and not folder.is_symlink() and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
            folder = folder.parent
        return True


def _holds(path: Path, data: bytes) -> bool:
    """True when `path` is an ordinary file (not a link) holding exactly `data`."""
    try:
        status = path.lstat()
        if not stat.S_ISREG(status.st_mode) or status.st_size != len(data):
            return False
        return path.read_bytes() == data
    except OSError:
        return False
