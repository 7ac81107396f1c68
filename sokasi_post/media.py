"""Product photos -> platform-ready JPEGs (cached in state_dir); Pillow is used only here.

Each source photo is decoded once, at the smallest JPEG scale that still covers the largest output,
turned upright, and rendered for every platform its product goes to. Outputs are cached by the
source's content hash and the exact rules, so an unchanged catalogue is never re-encoded.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import logging
import math
import os
import shutil
import tempfile
import threading
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from io import BytesIO
from pathlib import Path
from typing import BinaryIO, TypeAlias, cast

from PIL import Image, ImageCms, UnidentifiedImageError

from sokasi_post.config import Settings
from sokasi_post.i18n import N_, _
from sokasi_post.models import PreparedPhoto, Problem, Product
from sokasi_post.platforms import PlatformRules, rules_for
from sokasi_post.yamlfile import NotAFileError, display_path, open_regular

# Bump when the pipeline's output changes, so cached files from an older version are not reused.
PIPELINE_VERSION = 2  # 2: no comment carried over; Instagram ratios rounded inside the range

# What each platform accepts is in platforms.py (docs/platforms.md I7 and F2). The choices within those limits
# (Instagram width and fit, Facebook's longest side, quality) come from config's `media` section.
MIN_SOURCE_WIDTH = 320  # Instagram scales anything narrower up; a photo this small is not worth posting
MAX_THINNESS = 20  # a photo more than 20 times longer than wide cannot become a post on any platform
# A JPEG decodes at 1/2, 1/4 or 1/8 scale several times faster than whole. For a "longest side at
# most" rule (Facebook), a scale that gives at least this share of the limit is used as it is: a
# 4032-pixel phone photo becomes a 2016-pixel Facebook photo (limit 2048) in one cheap step, instead
# of a full decode and a resize that would remove only 1.6% of the width. Instagram's width is exact.
DRAFT_TOLERANCE = 0.95

# Photos from 200-megapixel phones are JPEGs, which decode at 1/8 scale cheaply; other formats decode
# whole, so they are held to a lower size. Anything above is refused before decoding (a "bomb").
MAX_JPEG_PIXELS = 210_000_000
MAX_OTHER_PIXELS = 60_000_000
# The file itself: the largest phone photos (200 megapixels) are well under this. A bigger file is refused
# from its size alone, before a byte is read or hashed.
MAX_PHOTO_FILE_BYTES = 100_000_000
_CHUNK = 1 << 20
# `_open` checks the size from the header before anything is decoded, with a message that says what
# to do; Pillow's own check would only repeat it with a less helpful one.
Image.MAX_IMAGE_PIXELS = None

_SRGB = ImageCms.createProfile("sRGB")
_ORIENTATION = 0x0112
_TRANSPOSE = {
    2: [Image.Transpose.FLIP_LEFT_RIGHT],
    3: [Image.Transpose.ROTATE_180],
    4: [Image.Transpose.FLIP_TOP_BOTTOM],
    5: [Image.Transpose.TRANSPOSE],
    6: [Image.Transpose.ROTATE_270],
    7: [Image.Transpose.TRANSVERSE],
    8: [Image.Transpose.ROTATE_90],
}


def _register_heic() -> bool:
    """Let Pillow read HEIC when the optional pillow-heif package is installed; say whether it is."""
    try:
        from pillow_heif import register_heif_opener
    except ImportError:
        return False
    register_heif_opener()
    return True


HEIC_SUPPORT = _register_heic()
# The first bytes of the formats a phone or editor writes: a file that starts like one but cannot be opened is damaged.
_SIGNATURES = ((b"\xff\xd8\xff", "JPEG"), (b"\x89PNG\r\n\x1a\n", "PNG"), (b"RIFF", "WebP"), (b"GIF8", "GIF"),
               (b"II*\0", "TIFF"), (b"MM\0*", "TIFF"))
_HEIC_BRANDS = (b"heic", b"heix", b"mif1", b"msf1", b"hevc", b"heim", b"heis")
# Formats whose extra frames are an animation (refused beyond the first frame, with a warning). Other containers
# with several pictures are not animations: an MPO is a phone's 3D or depth pair, a HEIC a spatial or burst photo.
_ANIMATED_FORMATS = ("GIF", "PNG", "WEBP")
# The longest reason (from Pillow) quoted in a problem line; some quote pages of data.
_MAX_REASON = 160
_photo = threading.local()  # per worker thread: the warnings Pillow gave about the photo being prepared


class PhotoError(Exception):
    """A photo that cannot be made ready; the message says why and what to do."""


@dataclass(frozen=True)
class _Look:
    """What every rendering of a photo has, whatever its shape; with the shape, the cache key's content."""

    platform: str
    focus: tuple[float, float]
    background: tuple[int, int, int]
    quality: int
    artist: str | None
    copyright: str | None


@dataclass(frozen=True)
class FixedRatio(_Look):
    """A photo rendered at one ratio and width (Instagram): cropped around its focus, or padded."""

    ratio: float  # width / height of the output
    width: int
    fit: str  # crop | pad


@dataclass(frozen=True)
class LongestSide(_Look):
    """A photo rendered in its own ratio, its longest side at most `max_side` (Facebook)."""

    max_side: int


@dataclass(frozen=True)
class MaxWidth(_Look):
    """A photo rendered in its own ratio, at most `max_width` pixels wide (one size of the shop-window site's srcset)."""

    max_width: int


Target: TypeAlias = FixedRatio | LongestSide | MaxWidth  # exactly how one photo is rendered for one platform or page


@dataclass(frozen=True)
class Prepared:
    """Every product's photos made ready, per (slug, platform), and what went wrong per photo."""

    photos: dict[tuple[str, str], tuple[PreparedPhoto, ...]]
    failures: dict[tuple[str, str], tuple[Problem, ...]]
    warnings: tuple[Problem, ...]

    @property
    def problems(self) -> list[Problem]:
        """Each failed photo once, then the warnings."""
        unique = {(p.path, p.message): p for failed in self.failures.values() for p in failed}
        return [*unique.values(), *self.warnings]


_Job: TypeAlias = tuple[Product, Path, list[Target]]  # one photo of a product, and how it is rendered per platform


def prepare_products(
    products: tuple[Product, ...],
    settings: Settings,
    progress: Callable[[int], None] | None = None,
) -> Prepared:
    """Make every photo of `products` ready for each of their platforms, in parallel, using the cache."""
    with _pillow_warnings_heard_per_photo():
        jobs = [job for product in products for job in _jobs(product, settings)]
        results, warned = _run_jobs(jobs, settings, progress)
    return _by_post(products, results, tuple(warned))


@dataclass(frozen=True)
class WebPhotos:
    """Every photo of the site's products at each of its widths, and the photos that could not be prepared."""

    photos: dict[Path, tuple[PreparedPhoto, ...]]  # source photo -> its renderings, narrowest first, no two alike
    problems: tuple[Problem, ...]


# The site's photos: small enough for a phone on a slow link; a thumbnail is not a print.
WEB_QUALITY = 75


def public_photo_name(path: Path) -> str:
    """Where a prepared Instagram photo lives on the shop-window site: "ig/<sha256 of its bytes, 32 hex>.jpg".

    Named by content, so a changed photo gets a new address and no cache anywhere can serve its old bytes; Meta fetches
    it from there when the official API publishes it (docs/platforms.md G1).
    """
    return f"ig/{hashlib.sha256(path.read_bytes()).hexdigest()[:32]}.jpg"


def prepare_web_photos(products: tuple[Product, ...], settings: Settings,
                       widths: tuple[int, ...] = (360, 720, 1080)) -> WebPhotos:
    """Every photo of `products` in its own shape at each width (never enlarged), for the site's srcset; cached."""
    media = settings.media
    jobs: list[_Job] = [(product, photo, [MaxWidth("site", product.focus.get(photo.name, (0.5, 0.5)), media.background,
                                                   min(media.quality, WEB_QUALITY), None, None, max_width=width)
                                          for width in sorted(widths)])
                        for product in products for photo in product.photos]
    with _pillow_warnings_heard_per_photo():
        results, warned = _run_jobs(jobs, settings, None)
    photos: dict[Path, tuple[PreparedPhoto, ...]] = {}
    problems: list[Problem] = list(warned)
    for product, photo, _targets in jobs:
        done = [result for result in results[photo] if isinstance(result, PreparedPhoto)]
        failed = [result for result in results[photo] if isinstance(result, PhotoError)]
        if failed:
            problems.append(Problem(photo, str(failed[0]), slug=product.slug))
        sizes = {(prepared.width, prepared.height): prepared for prepared in done}  # a narrow photo: one size
        photos[photo] = tuple(sorted(sizes.values(), key=lambda prepared: prepared.width))
    return WebPhotos(photos, tuple(problems))


def _run_jobs(jobs: list[_Job], settings: Settings, progress: Callable[[int], None] | None
              ) -> tuple[dict[Path, list[PreparedPhoto | PhotoError]], list[Problem]]:
    """Each job's photo rendered for its targets, in parallel, through the cache: the outcomes by photo, and the
    warnings heard (called inside _pillow_warnings_heard_per_photo)."""
    cache = _Cache(settings.state_dir / "cache" / "photos")
    warned: list[Problem] = []
    workers = settings.media.workers or os.cpu_count() or 1
    results: dict[Path, list[PreparedPhoto | PhotoError]] = {}
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for job, result in zip(jobs, pool.map(lambda job: _run_job(job, cache, warned), jobs), strict=True):
            results[job[1]] = result
            if progress:
                progress(1)
    cache.save()
    return results, warned


def _jobs(product: Product, settings: Settings) -> list[_Job]:
    """One job per photo of `product`, with its rendering for each of the product's platforms."""
    # The photos of a post on a platform with a fixed range of shapes (Instagram) share one ratio; measuring it
    # opens a photo, so only when it is needed.
    ratios = {platform: _carousel_ratio(product.photos, rules_for(platform)) for platform in product.platforms
              if rules_for(platform).min_ratio is not None}
    return [(product, photo, [_target(product, photo, platform, ratios.get(platform, 1.0), settings)
                              for platform in product.platforms]) for photo in product.photos]


def _run_job(job: _Job, cache: _Cache, warned: list[Problem]) -> list[PreparedPhoto | PhotoError]:
    """One photo rendered for each of its targets (in a worker thread), or the reason it cannot be, per target."""
    product, photo, targets = job
    heard: list[str] = []
    _photo.warnings = heard
    notes: list[Problem] = []  # kept only if the photo is prepared: a photo that fails is named by its failure alone
    try:
        results = prepare_photo(photo, targets, cache, notes, product.slug)
    except PhotoError as error:
        return [error] * len(targets)  # one line for the photo: what Pillow warned on the way is beside the point
    except Exception as error:  # noqa: BLE001 - whatever one photo does wrong is that photo's problem, never the run's
        return [_damaged(error)] * len(targets)
    finally:
        _photo.warnings = None
    if said := _warnings_in_words(heard):
        notes.append(Problem(photo, said, warning=True, slug=product.slug))
    warned.extend(notes)
    return results


def _by_post(products: tuple[Product, ...], results: dict[Path, list[PreparedPhoto | PhotoError]],
             warned: tuple[Problem, ...]) -> Prepared:
    """Each photo's outcomes (one per platform, in the product's order) gathered per (slug, platform)."""
    photos: dict[tuple[str, str], tuple[PreparedPhoto, ...]] = {}
    failures: dict[tuple[str, str], tuple[Problem, ...]] = {}
    for product in products:
        for index, platform in enumerate(product.platforms):
            outcomes = [results[photo][index] for photo in product.photos]
            photos[(product.slug, platform)] = tuple(o for o in outcomes if isinstance(o, PreparedPhoto))
            failures[(product.slug, platform)] = tuple(
                Problem(photo, str(o), slug=product.slug)
                for photo, o in zip(product.photos, outcomes, strict=True) if isinstance(o, PhotoError))
    return Prepared(photos, failures, warned)


@contextmanager
def _pillow_warnings_heard_per_photo() -> Iterator[None]:
    """Route every warning (Pillow's, about a photo) to the list of the photo being prepared in that thread.

    warnings.catch_warnings changes process-wide state and is not safe to enter from several threads at once,
    so it is entered here once, in the calling thread, around the whole pool; each worker only points the
    thread-local `_photo.warnings` at its photo's list. A warning outside a photo (or in another thread) is dropped:
    raw, it would show a site-packages path and name no file. "always": the same warning about two photos is
    heard for each, not once per line of Pillow.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("always")

        def hear(message, category, filename, lineno, file=None, line=None):
            heard = getattr(_photo, "warnings", None)
            if heard is not None:
                heard.append(str(message))

        warnings.showwarning = hear
        yield


# Pillow's warnings about a photo, in words: (a piece of its text, what it means for the user); None: nothing to say.
_DAMAGED_EXIF = N_("its camera information (EXIF) is damaged and was skipped; if the prepared photo lies on its side, "
                   "turn the original upright on the phone")
_WARNING_WORDS: tuple[tuple[str, str | None], ...] = (
    ("EXIF", _DAMAGED_EXIF),
    ("Skipping tag", _DAMAGED_EXIF),
    ("Metadata Warning", _DAMAGED_EXIF),
    ("malformed MPO", N_("says it holds several pictures, but only the first could be read; that one is used")),
    ("Truncated", N_("ends early; the missing part may show grey; copy it from the phone again")),
    ("Transparency expressed in bytes", None),  # a palette with transparency: _resizable converts it as it should
)


def _warnings_in_words(heard: list[str]) -> str:
    """One line for all the warnings Pillow gave about one photo, each meaning said once."""
    said: list[str] = []
    for text in heard:
        meaning = next((words for piece, words in _WARNING_WORDS if piece in text), "")
        if meaning is None:
            continue
        sentence = _(meaning) if meaning else _("has something unusual inside the file ({detail}); look at the prepared "
                                                "photo to be sure it came out right").format(detail=_reason_text(text))
        if sentence not in said:
            said.append(sentence)
    return "; ".join(said)


def _reason_text(text: str) -> str:
    """A reason from a library, on one line and not too long."""
    text = " ".join(text.split())
    return text if len(text) <= _MAX_REASON else text[: _MAX_REASON - 1] + "…"


def _damaged(error: BaseException) -> PhotoError:
    """Any failure while reading or converting one photo, in words, naming it (the caller adds the file)."""
    if isinstance(error, MemoryError):
        return PhotoError(_("is too large for this computer's memory; save it smaller or as JPEG"))
    reason = _reason_text(str(error)) or type(error).__name__
    if "MAX_TEXT" in reason:  # PngImagePlugin's limit on a text chunk: no photo needs a megabyte of hidden text
        reason = _("a hidden text note in it is far too large")
    return PhotoError(_("is damaged or incomplete ({reason}); copy it from the phone again").format(reason=reason))


def _target(product: Product, photo: Path, platform: str, ratio: float, settings: Settings) -> Target:
    """How `photo` is rendered for `platform`; `ratio` is the one its Instagram post shares."""
    media = settings.media
    credit = media.credit
    focus = product.focus.get(photo.name, (0.5, 0.5))
    artist = product.maker if credit else None
    copyright = (settings.contact.name or product.maker) if credit else None
    rules = rules_for(platform)
    if rules.min_ratio is not None:
        width, fit = (media.instagram_width, media.instagram_fit) if platform == "instagram" else (rules.photo_width, "crop")
        return FixedRatio(platform, focus, media.background, media.quality, artist, copyright,
                          ratio=ratio, width=width, fit=product.fit or fit)
    max_side = media.facebook_max_side if platform == "facebook" else rules.photo_max_side
    return LongestSide(platform, focus, media.background, media.quality, artist, copyright, max_side=max_side)


def _carousel_ratio(photos: tuple[Path, ...], rules: PlatformRules) -> float:
    """The aspect ratio every photo of a post shares (Instagram): the first readable photo's, within the platform's range."""
    for photo in photos:
        try:
            with _open(photo) as image:
                width, height = _upright_size(image)
        except Exception:  # noqa: BLE001 - a photo that cannot be measured is named when it is prepared
            continue
        if width and height:
            return min(max(width / height, rules.min_ratio or 0), rules.max_ratio or math.inf)
    return 1.0


def _pending_orientation(image: Image.Image) -> int:
    """The EXIF orientation still to apply to the decoded pixels, so that it is applied exactly once.

    Pillow's TIFF reader turns the picture upright itself while decoding (TiffImagePlugin.load_end) and already
    reports the upright size, so for a TIFF there is nothing left to do.
    """
    if image.format == "TIFF":
        return 1
    orientation = image.getexif().get(_ORIENTATION, 1)
    return orientation if isinstance(orientation, int) and orientation in _TRANSPOSE else 1


def _upright_size(image: Image.Image) -> tuple[int, int]:
    width, height = image.size
    return (height, width) if _pending_orientation(image) in (5, 6, 7, 8) else (width, height)


def _frames(image: Image.Image) -> tuple[str, int] | None:
    """The format and number of pictures of a file holding more than one; None for one picture."""
    count = getattr(image, "n_frames", 1)
    return (str(image.format), count) if isinstance(count, int) and count > 1 else None


def _frames_note(file_format: str, count: int) -> str:
    """What to say about a file holding `count` pictures, by what it is."""
    if file_format in _ANIMATED_FORMATS:
        return _("is animated; only its first frame is posted")
    if file_format == "MPO":
        return _("holds {count} pictures (a phone's 3D or depth pair); the first, the photo itself, is posted").format(
            count=count)
    if file_format in ("HEIF", "AVIF"):
        return _("holds {count} pictures (a spatial or burst photo); the first is posted").format(count=count)
    return _("holds {count} pictures or pages; the first is posted").format(count=count)


def prepare_photo(
    source: Path, targets: list[Target], cache: _Cache, warned: list[Problem], slug: str
) -> list[PreparedPhoto | PhotoError]:
    """Render one source photo for each target, decoding it at most once.

    Raises PhotoError when the photo cannot be used at all; a target it cannot meet gets its PhotoError
    in the returned list, in the targets' order.
    """
    digest = cache.source_digest(source)
    keys = [_cache_key(digest, target) for target in targets]
    cached = [cache.lookup(key) for key in keys]
    hits = [entry for entry in cached if entry is not None]
    if len(hits) == len(cached):
        # Decoded on an earlier run: what was found then is said again, so every run says the same of a photo.
        remembered = cache.notes.get(digest)
        frames, heard = remembered if isinstance(remembered, list) and len(remembered) == 2 else (None, [])
        if isinstance(frames, list) and len(frames) == 2:
            warned.append(Problem(source, _frames_note(str(frames[0]), frames[1]), warning=True, slug=slug))
        listening = getattr(_photo, "warnings", None)
        if listening is not None and isinstance(heard, list):
            listening.extend(str(text) for text in heard)
        return [PreparedPhoto(source, *entry, source_digest=digest) for entry in hits]
    with _open(source) as image:
        if frames := _frames(image):
            warned.append(Problem(source, _frames_note(*frames), warning=True, slug=slug))
        upright = _decode(image, targets)
        results: list[PreparedPhoto | PhotoError] = []
        for target, key, entry in zip(targets, keys, cached, strict=True):
            if entry is None:
                try:
                    rendered = _render(upright, target)
                except PhotoError as error:
                    results.append(error)
                    continue
                try:
                    entry = cache.store(key, *rendered)
                except OSError as error:  # the state folder's disk, not the photo: say so, never "damaged"
                    raise PhotoError(_("its prepared copy cannot be written in {folder} ({reason})").format(
                        folder=display_path(cache.scratch or cache.folder), reason=error.strerror or error)) from None
            results.append(PreparedPhoto(source, *entry, source_digest=digest))
        cache.remember(digest, frames, list(getattr(_photo, "warnings", None) or []))
        return results


def _open_source(source: Path) -> tuple[BinaryIO, int]:
    """The photo file opened for reading (never blocking), with its size; PhotoError when it is not a usable file."""
    try:
        handle, size = open_regular(source)
    except NotAFileError as error:
        raise PhotoError(str(error)) from None
    except OSError as error:
        raise PhotoError(_("cannot be read ({reason})").format(reason=error.strerror or error)) from None
    if size > MAX_PHOTO_FILE_BYTES:
        handle.close()
        raise _too_large(size)
    return handle, size


def _too_large(size: int) -> PhotoError:
    return PhotoError(_("is {size:,} MB; a photo file must be under {limit:,} MB (is it the right file?); save it smaller "
                        "or as JPEG").format(size=size // 1_000_000, limit=MAX_PHOTO_FILE_BYTES // 1_000_000))


@contextmanager
def _open(source: Path) -> Iterator[Image.Image]:
    """A photo opened from an ordinary file, refusing what is not a photo or is too large to decode safely."""
    handle, _size = _open_source(source)
    with handle:
        try:
            image = Image.open(handle)
        except UnidentifiedImageError:
            handle.seek(0)
            head = handle.read(12)
            if head[4:8] == b"ftyp" and head[8:12] in _HEIC_BRANDS:
                if HEIC_SUPPORT:
                    raise PhotoError(_("is a HEIC photo, but it is damaged or incomplete; copy it from the phone "
                                       "again")) from None
                raise PhotoError(_("is a HEIC photo, which this computer cannot read: convert it to JPEG (on the "
                                   "iPhone: Settings > Camera > Formats > Most Compatible), or install HEIC support "
                                   "with `pip install pillow-heif`")) from None
            if kind := next((name for signature, name in _SIGNATURES if head.startswith(signature)), None):
                raise PhotoError(_("is a {kind} file, but damaged or incomplete; copy it from the phone again").format(
                    kind=kind)) from None
            raise PhotoError(_("is not a photo this tool can read (JPEG, PNG or WebP), although its name says so; "
                               "export it again as JPEG")) from None
        except OSError as error:
            if error.errno is None:  # not the disk: Pillow found the file's inside wrong ("Truncated File Read")
                raise _damaged(error) from None
            raise PhotoError(_("cannot be read ({reason})").format(reason=error.strerror or error)) from None
        with image:
            width, height = image.size
            limit = MAX_JPEG_PIXELS if image.format == "JPEG" else MAX_OTHER_PIXELS
            if width * height > limit:
                raise PhotoError(_("is too large to open safely ({width} × {height} pixels, over {limit} megapixels); "
                                   "save it smaller or as JPEG").format(width=width, height=height,
                                                                        limit=limit // 1_000_000))
            yield image


def _decode(image: Image.Image, targets: list[Target]) -> Image.Image:
    """Decode at the smallest scale that covers every target, turned upright, in a mode that resizes well."""
    orientation = _pending_orientation(image)
    width, height = _upright_size(image)
    if width < MIN_SOURCE_WIDTH:
        raise PhotoError(_("is only {width} pixels wide; a photo must be at least {minimum} pixels wide").format(
            width=width, minimum=MIN_SOURCE_WIDTH))
    if max(width, height) > MAX_THINNESS * min(width, height):
        raise PhotoError(_("is {width} × {height} pixels, far too long and thin for a post; crop it first").format(
            width=width, height=height))
    scale = max((_needed_scale(width, height, target) for target in targets), default=1.0)
    if image.format == "JPEG" and scale < 1:
        wanted = (math.ceil(width * scale), math.ceil(height * scale))
        if orientation in (5, 6, 7, 8):
            wanted = wanted[::-1]
        image.draft(image.mode if image.mode in ("RGB", "L", "CMYK") else "RGB", wanted)
    try:
        image.load()
    except Exception as error:  # noqa: BLE001 - Pillow says "damaged" with OSError, SyntaxError, ValueError...
        raise _damaged(error) from None
    upright = _resizable(image)
    for method in _TRANSPOSE.get(orientation, []):
        upright = upright.transpose(method)
    upright.info["icc_profile"] = image.info.get("icc_profile")
    return upright


def _needed_scale(width: int, height: int, target: Target) -> float:
    """How much of the source's resolution this target needs (1 = all of it)."""
    if isinstance(target, LongestSide):
        return min(1.0, target.max_side * DRAFT_TOLERANCE / max(width, height))
    if isinstance(target, MaxWidth):
        return min(1.0, target.max_width / width)
    box_width, _box_height = _box_size(width, height, target)
    return min(1.0, target.width / box_width)


def _box_size(width: int, height: int, target: FixedRatio) -> tuple[float, float]:
    """The part of the photo (crop) or the canvas around it (pad) that has the target's ratio."""
    ratio = target.ratio
    wider = width / height > ratio
    if target.fit == "pad":
        return (width, width / ratio) if wider else (height * ratio, height)
    return (min(width, height * ratio), height) if wider else (width, min(height, width / ratio))


def _resizable(image: Image.Image) -> Image.Image:
    """Any Pillow mode -> RGB, RGBA, L, LA or CMYK, with 16-bit and float values scaled, not clipped."""
    mode = image.mode
    if "transparency" in image.info and mode in ("RGB", "L", "P", "1"):
        # A colour key (PNG tRNS on an RGB, grey or palette image): pixels of that colour are see-through, so
        # they must land on the background like any transparency.
        return image.convert("RGBA")
    if mode in ("RGB", "RGBA", "L", "LA", "CMYK"):
        return image
    if mode.startswith("I"):
        # 16-bit (or 32-bit) greyscale: scale 0..65535 to 0..255 (a plain convert would clip everything to white).
        image = image if mode == "I" else image.convert("I")
        high = _highest(image)
        scale = 1 / 256 if high <= 65535 else 255 / high
        return image.point(lambda value: value * scale, "L")
    if mode == "F":
        # Floating point: 0..1 (most often) or 0..255; point() on "F" takes only a linear function, so no comparison.
        high = _highest(image)
        scale = 255.0 if math.isfinite(high) and high <= 1 else 1.0
        return image.point(lambda value: value * scale).convert("L")
    if mode == "LAB":
        return _converted(image, ImageCms.createProfile("LAB"), "RGB")
    if mode == "La":
        return image.convert("LA")
    return image.convert("RGBA" if mode in ("PA", "RGBa") else "RGB")


def _render(upright: Image.Image, target: Target) -> tuple[bytes, int, int, float]:
    """Crop or pad, resize, convert to sRGB on the background, and encode one output JPEG.

    Returns the JPEG, its size, and the share of the photo's area still in it (1.0 unless cropped).
    """
    if isinstance(target, LongestSide):
        picture, kept = _within_side(upright, target), 1.0
    elif isinstance(target, MaxWidth):
        picture, kept = _within_width(upright, target), 1.0
    else:
        picture, kept = _at_ratio(upright, target)
    buffer = BytesIO()
    # No exif= and no icc_profile= here, and no info carried from the source (Pillow writes info["comment"], a
    # JPEG's COM or a PNG's text, into the JPEG): the output carries no metadata (no GPS, no camera serial, no
    # "File written by ..."); colours are already sRGB, which is what every viewer assumes without a profile.
    # comment=b"" keeps the source's info["comment"] out, the one entry of `info` Pillow's JPEG writer reads; the
    # picture may be the decoded photo itself (shared by every platform), so its info is not changed.
    picture.save(buffer, "JPEG", quality=target.quality, optimize=True, progressive=True, exif=_credit(target), comment=b"")
    return buffer.getvalue(), picture.width, picture.height, round(kept, 3)


def _within_side(upright: Image.Image, target: LongestSide) -> Image.Image:
    """The photo in its own ratio, scaled down (never up) to the target's longest side."""
    width, height = upright.size
    scale = min(1.0, target.max_side / max(width, height))
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    # The half-size decode usually gives Facebook's size already: then there is nothing to resize (or copy).
    resized = upright if size == upright.size else upright.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0)
    return _finish(resized, target.background)


def _within_width(upright: Image.Image, target: MaxWidth) -> Image.Image:
    """The photo in its own ratio, scaled down (never up) to the target's width."""
    width, height = upright.size
    scale = min(1.0, target.max_width / width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    resized = upright if size == upright.size else upright.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0)
    return _finish(resized, target.background)


def _at_ratio(upright: Image.Image, target: FixedRatio) -> tuple[Image.Image, float]:
    """The photo cropped around its focus (or padded) to the target's ratio and width; and the share of it kept."""
    width, height = upright.size
    box_width, box_height = _box_size(width, height, target)
    out_width = min(target.width, int(box_width))
    if out_width < MIN_SOURCE_WIDTH:
        raise PhotoError(_("is too small for Instagram once cropped to {ratio:.2f}:1 ({width} pixels wide; "
                           "at least {minimum} needed); use a larger photo or fit: pad").format(
            ratio=target.ratio, width=out_width, minimum=MIN_SOURCE_WIDTH))
    out_height = _height_within_range(out_width, target.ratio, target.platform)
    if target.fit == "pad":
        scale = out_width / box_width
        inner = (max(1, round(width * scale)), max(1, round(height * scale)))
        content = _finish(upright.resize(inner, Image.Resampling.LANCZOS, reducing_gap=2.0), target.background)
        picture = Image.new("RGB", (out_width, out_height), target.background)
        picture.paste(content, ((out_width - inner[0]) // 2, (out_height - inner[1]) // 2))
        return picture, 1.0
    focus_x, focus_y = target.focus
    left = max(0.0, min(focus_x * width - box_width / 2, width - box_width))
    top = max(0.0, min(focus_y * height - box_height / 2, height - box_height))
    box = (left, top, left + box_width, top + box_height)
    resized = upright.resize((out_width, out_height), Image.Resampling.LANCZOS, box=box, reducing_gap=2.0)
    return _finish(resized, target.background), (box_width * box_height) / (width * height)


def _height_within_range(width: int, ratio: float, platform: str = "instagram") -> int:
    """The output height for `width` at `ratio`, rounded so that width / height really is inside the platform's range.

    1080 / 1.91 rounds to 565, and 1080 / 565 is 1.9115: just over the limit (docs/platforms.md I7).
    """
    height = max(1, round(width / ratio))
    rules = rules_for(platform)
    if rules.max_ratio is not None and width / height > rules.max_ratio:
        height = math.ceil(width / rules.max_ratio)
    elif rules.min_ratio is not None and width / height < rules.min_ratio:
        height = math.floor(width / rules.min_ratio)
    return height


def _finish(image: Image.Image, background: tuple[int, int, int]) -> Image.Image:
    """Convert to sRGB through the embedded colour profile, and flatten transparency onto the background."""
    profile = image.info.get("icc_profile")
    if image.mode in ("RGBA", "LA"):
        flat = Image.new("RGB", image.size, background)
        rgba = image.convert("RGBA")
        if profile and image.mode == "RGBA":
            rgba = _to_srgb(rgba, profile, "RGBA")
            profile = None
        flat.paste(rgba, mask=rgba.getchannel("A"))
        image = flat
    if profile:
        return _to_srgb(image, profile, "RGB")
    return image if image.mode == "RGB" else image.convert("RGB")  # no copy of what is already right


def _highest(image: Image.Image) -> float:
    """The highest value in a one-band image ("I" or "F"), for which Pillow's extrema are (lowest, highest)."""
    return cast(float, image.getextrema()[1])


def _converted(image: Image.Image, profile: ImageCms.ImageCmsProfile | ImageCms.core.CmsProfile, mode: str) -> Image.Image:
    """`image`, read in colour `profile`, as sRGB in `mode`: a new image (Pillow returns None only when in place)."""
    return cast(Image.Image, ImageCms.profileToProfile(image, profile, _SRGB, outputMode=mode))


def _to_srgb(image: Image.Image, profile: bytes, mode: str) -> Image.Image:
    """`image` as sRGB through its embedded colour `profile`, or its numbers as they are when the profile is broken."""
    try:
        return _converted(image, ImageCms.ImageCmsProfile(BytesIO(profile)), mode)
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image.convert(mode)  # a broken profile: use the numbers as they are


def _credit(target: Target) -> bytes:
    """EXIF with only Artist and Copyright when config asks for credit; else nothing at all."""
    if not (target.artist or target.copyright):
        return b""
    exif = Image.Exif()
    if target.artist:
        exif[0x013B] = target.artist
    if target.copyright:
        exif[0x8298] = target.copyright
    return exif.tobytes()


# Fields a target of the other shape has, as the key recipe held them when one Target had them all (None or
# "keep"): the keys stay what they were, so photos cached before are still found.
_UNSET = {"ratio": None, "width": None, "max_side": None, "fit": "keep"}


def _cache_key(digest: str, target: Target) -> str:
    """The cached file's name: the source's hash and exactly how it is rendered, with the pipeline's version."""
    recipe = json.dumps([PIPELINE_VERSION, digest, _UNSET | asdict(target)], sort_keys=True)
    return hashlib.sha256(recipe.encode()).hexdigest()


log = logging.getLogger(__name__)


def _writable(folder: Path) -> bool:
    """Can files be made in `folder` (made if missing)? A read-only state folder says no."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".probe-{os.getpid()}-{threading.get_ident()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError:
        return False
    return True


def _scratch_folder() -> Path:
    """A temporary folder for this process, removed when it ends."""
    folder = Path(tempfile.mkdtemp(prefix="sokasi-post-photos-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


class _Cache:
    """Prepared JPEGs under state_dir/cache/photos, with an index so a re-run neither hashes nor decodes.

    In a state folder that cannot be written (read-only), what is already cached is still used, and new
    photos are prepared into a temporary folder for this run only: `status` and `report` still work.
    """

    def __init__(self, folder: Path):
        self.writable = _writable(folder)
        if not self.writable:
            log.warning("%s cannot be written; photos are prepared in a temporary folder for this run", folder)
        self.scratch = None if self.writable else _scratch_folder()
        self.folder = folder
        self.index_path = folder / "index.json"
        try:
            index = json.loads(self.index_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            index = {}
        self.sources: dict[str, list] = index.get("sources", {}) if isinstance(index, dict) else {}
        self.outputs: dict[str, list] = index.get("outputs", {}) if isinstance(index, dict) else {}
        # Per source digest: [its (format, pictures) when several, Pillow's warnings while decoding it].
        notes = index.get("notes", {}) if isinstance(index, dict) else {}
        self.notes: dict[str, list] = notes if isinstance(notes, dict) else {}
        self.changed = False

    def source_digest(self, source: Path) -> str:
        """The content hash of a source photo, remembered by its size and modification time; PhotoError if unusable.

        The file is opened (never blocking, only an ordinary file under MAX_PHOTO_FILE_BYTES) and hashed in chunks.
        """
        handle, _size = _open_source(source)
        with handle:
            status = os.fstat(handle.fileno())
            stamp = [status.st_size, status.st_mtime_ns]
            known = self.sources.get(str(source))
            if known and known[:2] == stamp:
                return known[2]
            digest, read = hashlib.sha256(), 0
            try:
                while chunk := handle.read(_CHUNK):
                    digest.update(chunk)
                    read += len(chunk)
                    if read > MAX_PHOTO_FILE_BYTES:  # still growing while it is read: stop at the limit all the same
                        raise _too_large(read)
            except OSError as error:
                raise PhotoError(_("cannot be read ({reason})").format(reason=error.strerror or error)) from None
        self.sources[str(source)] = [*stamp, digest.hexdigest()]
        self.changed = True
        return digest.hexdigest()

    def lookup(self, key: str) -> tuple[Path, int, int, int, float] | None:
        entry = self.outputs.get(key)
        if not entry:
            return None
        for folder in filter(None, (self.folder, self.scratch)):
            path = folder / f"{key}.jpg"
            try:
                size = path.stat().st_size
            except OSError:
                continue
            return path, entry[0], entry[1], size, entry[2] if len(entry) > 2 else 1.0
        return None

    def store(self, key: str, data: bytes, width: int, height: int, kept: float) -> tuple[Path, int, int, int, float]:
        folder = self.scratch or self.folder
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{key}.jpg"
        temporary = path.with_suffix(f".{os.getpid()}-{threading.get_ident()}.tmp")
        temporary.write_bytes(data)
        temporary.replace(path)  # never a half-written JPEG under the final name
        self.outputs[key] = [width, height, kept]
        self.changed = True
        return path, width, height, len(data), kept

    def remember(self, digest: str, frames: tuple[str, int] | None, heard: list[str]) -> None:
        """What decoding a source found, to be said again when its outputs come from the cache."""
        if frames or heard:
            self.notes[digest] = [list(frames) if frames else None, heard]
            self.changed = True

    def save(self) -> None:
        if not self.changed or not self.writable:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        temporary = self.index_path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps({"sources": self.sources, "outputs": self.outputs, "notes": self.notes}),
                             encoding="utf-8")
        temporary.replace(self.index_path)


def contact_sheet(tiles: list[tuple[Path, str | None, list[str]]], path: Path, notes: list[str] | tuple[str, ...] = (),
                  columns: int = 3, tile_width: int = 300) -> Path:
    """One small PNG of labelled thumbnails (prepared photos), to send in the WhatsApp group.

    Each tile is (photo, banner, lines): the banner (e.g. DRAFT), when there is one, is written in a red band across
    the top of the photo; the lines go under it. `notes` are written in red above all the tiles.
    """
    from PIL import ImageDraw, ImageFont

    gap, line_height, note_height, band = 12, 18, 22, 34
    font = ImageFont.load_default(size=15)
    note_font = ImageFont.load_default(size=18)
    banner_font = ImageFont.load_default(size=24)
    measure = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    width = columns * (tile_width + gap) + gap
    note_lines = [part for note in notes for part in _wrap(measure, note, note_font, width - 2 * gap)[:2]]
    cells = []
    for photo, banner, label in tiles:
        with Image.open(photo) as image:
            image.draft("RGB", (tile_width, tile_width))
            thumb = image.convert("RGB")
            thumb.thumbnail((tile_width, tile_width * 5 // 4), Image.Resampling.LANCZOS)
        lines = [part for line in label for part in _wrap(measure, line, font, tile_width)[:2]][:7]
        cells.append((thumb, banner, lines))
    rows = [cells[i:i + columns] for i in range(0, len(cells), columns)]
    heights = [max(thumb.height + 6 + line_height * len(lines) for thumb, _banner, lines in row) for row in rows]
    top = gap + note_height * len(note_lines) + (gap if note_lines else 0)
    sheet = Image.new("RGB", (width, top + sum(heights) + gap * len(rows)), (250, 247, 242))
    draw = ImageDraw.Draw(sheet)
    for number, line in enumerate(note_lines):
        draw.text((gap, gap + number * note_height), line, fill=(176, 0, 32), font=note_font)
    y = top
    for row, height in zip(rows, heights, strict=True):
        for column, (thumb, banner, lines) in enumerate(row):
            x = gap + column * (tile_width + gap)
            left = x + (tile_width - thumb.width) // 2
            sheet.paste(thumb, (left, y))
            if banner:  # across the photo, so nobody reads a draft or a blocked post as one about to go out
                draw.rectangle((left, y, left + thumb.width - 1, y + band), fill=(176, 0, 32))
                draw.text((left + thumb.width // 2, y + band // 2), banner, fill=(255, 255, 255), font=banner_font,
                          anchor="mm")
            for number, line in enumerate(lines):
                draw.text((x, y + thumb.height + 4 + number * line_height), line, fill=(40, 32, 24), font=font)
        y += height + gap
    # 256 colours keep the sheet small enough to send over a slow link; thumbnails survive it well. The fast octree
    # palette takes ~5 ms where median cut took ~110 ms, and its file is ~20% smaller at nearly the same error.
    sheet.quantize(colors=256, method=Image.Quantize.FASTOCTREE).save(path, "PNG", optimize=True)
    return path


# Pillow's built-in font has no dashes, ellipsis or arrows: each would be drawn as an empty box.
_PLAIN = str.maketrans({"—": "-", "–": "-", "…": "...", "→": "->", "“": '"', "”": '"', "‘": "'", "’": "'"})


def _wrap(draw, text: str, font, width: int) -> list[str]:
    """`text` in lines no wider than `width`, in characters the built-in font can draw."""
    lines, current = [], ""
    for word in text.translate(_PLAIN).split():
        trial = f"{current} {word}".strip()
        if draw.textlength(trial, font=font) <= width or not current:
            current = trial
        else:
            lines.append(current)
            current = word
    return [*lines, current] if current else lines
