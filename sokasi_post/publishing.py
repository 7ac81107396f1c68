"""The publishing flow: which products go where, with what text and photos, and what blocks them."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from sokasi_post.captions import caption_problems, render_caption
from sokasi_post.catalog import Catalog
from sokasi_post.config import Settings
from sokasi_post.errors import UsageError
from sokasi_post.i18n import _
from sokasi_post.media import Prepared, prepare_products
from sokasi_post.models import PlannedPost, Problem, Product

# Both platforms take at most ten photos in one post (an Instagram carousel; a Facebook multi-photo post).
MAX_PHOTOS = {"facebook": 10, "instagram": 10}


def select_products(catalog: Catalog, slugs: tuple[str, ...]) -> tuple[Product, ...]:
    """The products named on the command line (all when none are named); unknown names are a usage error."""
    if not slugs:
        return catalog.products
    by_slug = {product.slug: product for product in catalog.products}
    broken = {problem.slug for problem in catalog.problems}
    unknown = [slug for slug in slugs if slug not in by_slug and slug not in broken]
    if unknown:
        raise UsageError(_("no product named {names} in the products folder; `sokasi-post check` lists them")
                         .format(names=", ".join(unknown)))
    return tuple(by_slug[slug] for slug in dict.fromkeys(slugs) if slug in by_slug)


def plan_post(product: Product, platform: str, settings: Settings, prepared: Prepared) -> PlannedPost:
    """What would be posted for one product on one platform, and every reason it could not be."""
    caption = render_caption(product, platform, settings)
    problems = caption_problems(caption, platform)
    for failure in prepared.failures[(product.slug, platform)]:
        problems.append(_("photo {name} {problem}").format(name=failure.path.name, problem=failure.message))
    limit = MAX_PHOTOS[platform]
    if len(product.photos) > limit:
        problems.append(_("{platform} takes at most {limit} photos in one post; this product has {count}: "
                          "list the best {limit} under photos:").format(
            platform=platform.capitalize(), limit=limit, count=len(product.photos)))
    return PlannedPost(product=product, platform=platform, caption=caption, photos=product.photos,
                       problems=tuple(problems), prepared=prepared.photos[(product.slug, platform)])


@dataclass(frozen=True)
class Plan:
    """Every planned post, and the photo problems found while preparing them."""

    posts: tuple[PlannedPost, ...]
    photo_problems: tuple[Problem, ...]


def plan(
    products: tuple[Product, ...],
    settings: Settings,
    platform: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> Plan:
    """Plan every product on each of its platforms (or only `platform`), photos prepared, in catalogue order."""
    if platform is not None:
        products = tuple(replace(p, platforms=tuple(n for n in p.platforms if n == platform)) for p in products)
    products = tuple(p for p in products if p.platforms)
    prepared = prepare_products(products, settings, progress)
    posts = tuple(plan_post(product, name, settings, prepared) for product in products for name in product.platforms)
    return Plan(posts, tuple(prepared.problems))


def photo_count(products: tuple[Product, ...], platform: str | None = None) -> int:
    """How many source photos `plan` will look at (for a progress bar)."""
    return sum(len(p.photos) for p in products if any(platform in (None, n) for n in p.platforms))


def export_photos(posts: tuple[PlannedPost, ...], folder: Path) -> list[Path]:
    """Copy each post's prepared photos to `folder/<slug>/<platform>-NN.jpg` (NN = place in the post)."""
    written = []
    for post in posts:
        order = {photo: number for number, photo in enumerate(post.photos, start=1)}
        target = folder / post.product.slug
        target.mkdir(parents=True, exist_ok=True)
        for prepared in post.prepared:
            path = target / f"{post.platform}-{order[prepared.source]:02d}.jpg"
            shutil.copyfile(prepared.path, path)
            written.append(path)
    return written
