"""The publishing flow: which products go where, with what text and photos, and what blocks them."""

from __future__ import annotations

from sokasi_post.captions import caption_problems, render_caption
from sokasi_post.catalog import Catalog
from sokasi_post.config import Settings
from sokasi_post.errors import UsageError
from sokasi_post.i18n import _
from sokasi_post.models import PlannedPost, Product

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


def plan_post(product: Product, platform: str, settings: Settings) -> PlannedPost:
    """What would be posted for one product on one platform, and every reason it could not be."""
    caption = render_caption(product, platform, settings)
    problems = caption_problems(caption, platform)
    limit = MAX_PHOTOS[platform]
    if len(product.photos) > limit:
        problems.append(_("{platform} takes at most {limit} photos in one post; this product has {count}: "
                          "list the best {limit} under photos:").format(
            platform=platform.capitalize(), limit=limit, count=len(product.photos)))
    return PlannedPost(product=product, platform=platform, caption=caption, photos=product.photos,
                       problems=tuple(problems))


def plan(products: tuple[Product, ...], settings: Settings, platform: str | None = None) -> list[PlannedPost]:
    """Plan every product on each of its platforms (or only `platform`), in catalogue order."""
    return [
        plan_post(product, name, settings)
        for product in products
        for name in product.platforms
        if platform is None or name == platform
    ]
