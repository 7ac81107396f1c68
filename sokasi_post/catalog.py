"""Product folders -> Product values; every check on post.yaml and its photos lives here."""

from __future__ import annotations

import functools
import os
import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path

from sokasi_post.checks import check_text_list, describe_type, did_you_mean, hash_comment_problems, hashtag_lists
from sokasi_post.config import FITS, STARTER, Settings
from sokasi_post.errors import ConfigError
from sokasi_post.i18n import LANGUAGES, _
from sokasi_post.models import Problem, Product
from sokasi_post.platforms import platform_names
from sokasi_post.yamlfile import (
    YamlDocument,
    YamlFileError,
    display_path,
    open_regular,
    parse_yaml,
    read_yaml_document,
)

POST_FILE = "post.yaml"
# HEIC (iPhone) is listed so such a photo is never silently left out; media.py says how to convert it
# when this computer cannot read it.
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".heic", ".heif")
# \Z, not $: "$" also matches before a final newline, and a folder name can end in one.
SLUG_PATTERN = re.compile(r"\A[a-z0-9]+(?:-[a-z0-9]+)*\Z")
POST_KEYS = ("title", "caption", "price", "maker", "maker_instagram", "hashtags", "platforms", "publish_at", "photos", "alt",
             "focus", "fit", "status")
STATUSES = ("ready", "draft", "sold")
# publish_at must lie in these years: beyond, the time arithmetic of scheduling overflows (year 9999 at -12:00).
PUBLISH_AT_RANGE = (date(2000, 1, 1), date(2099, 12, 31))


@dataclass(frozen=True)
class Catalog:
    """Every product folder that loaded, and every problem found on the way."""

    products: tuple[Product, ...]
    problems: tuple[Problem, ...]


def load_catalog(settings: Settings) -> Catalog:
    """Load every product folder under posts_dir; a bad folder is reported, never fatal."""
    products: list[Product] = []
    problems: list[Problem] = []
    posts_dir = settings.posts_dir
    if not posts_dir.is_dir():
        raise ConfigError([_("{config}: posts_dir: the products folder {folder} does not exist; create it or fix posts_dir")
                           .format(config=display_path(settings.config_path), folder=display_path(posts_dir))])
    for folder in sorted(posts_dir.iterdir(), key=lambda p: p.name):
        if not folder.is_dir() or folder.name.startswith((".", "_")):
            continue
        outside = _outside_problem(folder, posts_dir, _(
            "is a link to a folder outside the products folder ({target}); move the product folder into {posts} instead"))
        if outside:
            problems.append(replace(outside, slug=folder.name))
            continue
        try:
            product, found = load_product(folder, settings)
        except OSError as error:
            product, found = None, [Problem(folder, _("cannot be read ({reason})").format(reason=error.strerror or error))]
        problems.extend(replace(problem, slug=folder.name) for problem in found)
        if product is not None:
            products.append(product)
    return Catalog(tuple(products), tuple(problems))


def load_product(folder: Path, settings: Settings) -> tuple[Product | None, list[Problem]]:
    """Read one product folder; return the product (None when unusable) and its problems."""
    post_file = folder / POST_FILE
    if not SLUG_PATTERN.match(folder.name):
        suggestion = slugify(folder.name) or "sokasi-baru"
        return None, [Problem(folder, _(
            "the folder name is not a valid product name: use lowercase letters, digits and dashes, e.g. {slug}"
        ).format(slug=suggestion))]
    if not post_file.exists() and not post_file.is_symlink():
        return None, [Problem(post_file, _("missing; every product folder needs one (create it with `sokasi-post new {slug}`)")
                              .format(slug=folder.name))]
    outside = _outside_problem(post_file, folder)
    if outside:
        return None, [outside]
    try:
        document = read_yaml_document(post_file)
    except YamlFileError as error:
        return None, [Problem(post_file, str(error))]
    checker = _PostChecker(folder, post_file, document, settings)
    product = checker.product()
    return product, checker.problems


def unknown_site_makers(products: tuple[Product, ...], settings: Settings) -> list[Problem]:
    """A warning for each name in site.makers that is the maker of no product: the site would show nothing of theirs,
    and, when no name matches, nothing at all (a typo must not empty the shop window unseen)."""
    if settings.site is None or not settings.site.makers:
        return []
    known = sorted({product.maker.strip() for product in products if product.maker})
    folded = {name.casefold() for name in known}
    return [Problem(settings.config_path, _("site.makers: no product has {name} as its maker, so the site shows "
                                            "nothing of theirs{hint}").format(name=name, hint=did_you_mean(name, known)),
                    warning=True)
            for name in settings.site.makers if name.strip().casefold() not in folded]


# A top-level `status:` line of a post.yaml, with what follows it on the line (value and comment).
_STATUS_LINE = re.compile(r"^status[ \t]*:.*$", re.MULTILINE)


def set_status(folder: Path, status: str) -> bool:
    """Write `status: <status>` in the product's post.yaml, keeping every other line as it is; False when it already
    said so. The file is replaced whole (a new file, then renamed), so a crash never leaves half a post.yaml."""
    post_file = folder / POST_FILE
    document = read_yaml_document(post_file)
    if document.values.get("status", "ready") == status:
        return False
    text = document.text
    line = f"status: {status}"
    if _STATUS_LINE.search(text):
        text = _STATUS_LINE.sub(line, text, count=1)
    else:
        text = text + ("" if text.endswith("\n") or not text else "\n") + line + "\n"
    try:
        changed = parse_yaml(text).values
    except YamlFileError:
        changed = None
    others = {key: value for key, value in document.values.items() if key != "status"}
    if not isinstance(changed, dict) or changed.get("status") != status or \
            {key: value for key, value in changed.items() if key != "status"} != others:
        # e.g. a status written over several lines, or a caption line that looked like one: left to the user
        raise YamlFileError(_("cannot change status: in this file; write status: {status} on a line of its own").format(
            status=status))
    temporary = post_file.with_name(f".{POST_FILE}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(post_file)
    return True


def slugify(text: str) -> str:
    """A readable product name from any text: lowercase ASCII words joined by dashes."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return "-".join(re.findall(r"[a-z0-9]+", ascii_text.lower()))


def natural_key(name: str) -> list[int | str]:
    """Sort key that puts foto2.jpg before foto10.jpg."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name)]


def _outside_problem(path: Path, folder: Path, message: str | None = None) -> Problem | None:
    """A problem when `path` is a link that leads outside `folder`, or round in a loop of links."""
    if not path.is_symlink():
        return None
    try:
        target = path.resolve()
        inside = target.is_relative_to(folder.resolve())
    except (RuntimeError, OSError):  # Python 3.11 raises RuntimeError for a loop of links (a.jpg -> b.jpg -> a.jpg)
        return Problem(path, _("is a link that leads back to itself (a loop of links); delete it and copy the real "
                               "file in"))
    if inside:
        return None
    message = message or _("is a link to a file outside the product folder ({target}); copy the file in instead")
    return Problem(path, message.format(target=target, posts=display_path(folder)))


# The texts the starter post.yaml files put in a product, by key, with the command that writes them.
_STARTER_POSTS = (("post.yaml", "sokasi-post new"), ("example-post.yaml", "sokasi-post init"))
# A commented-out key in a starter post.yaml (`# maker: Ni Wayan Sari`, `#   depan.jpg: …`): uncommented, it is the example.
_COMMENTED_KEY = re.compile(r"^# ?( *[a-z_][\w.-]*:(?:\s.*)?)$")
EXAMPLE_PHOTO = "sokasi.jpg"


def _plain(text: str) -> str:
    """Text compared with the starter's: spaces and line breaks as single spaces, case ignored."""
    return " ".join(text.split()).casefold()


@functools.cache
def starter_texts() -> dict[str, dict[str, str]]:
    """title/caption/maker/alt -> {example text as compared: the command that writes it}, from the starter files.

    Read from the starter post.yaml files of every language, the commented-out keys included (uncommented, they are
    the example too). A title, caption or alt text still holding one of them, whole, is unfinished (a story written
    below the placeholder too); a single sentence of the example, which a real story may well share, is not.
    """
    live: dict[str, dict[str, str]] = {"title": {}, "caption": {}, "maker": {}, "alt": {}}
    commented: dict[str, dict[str, str]] = {key: {} for key in live}
    for code in LANGUAGES:
        for name, command in _STARTER_POSTS:
            text = (STARTER / code / name).read_text(encoding="utf-8")
            hidden = "\n".join(match.group(1) for line in text.splitlines() if (match := _COMMENTED_KEY.match(line)))
            for found, values in ((live, parse_yaml(text).values), (commented, parse_yaml(hidden).values or {})):
                for key in ("title", "caption", "maker"):
                    value = values.get(key)
                    if isinstance(value, str) and "{" not in value:  # `title: {title}` is filled in from the slug
                        found[key].setdefault(_plain(value), command)
                for description in (values.get("alt") or {}).values():
                    found["alt"].setdefault(_plain(str(description)), command)
    # A text live in one starter file and commented out in another is said to come from the one that writes it live;
    # one commented out in both, from `new` (a product made by `new` is where a key gets uncommented).
    return {key: {**commented[key], **live[key]} for key in live}


@functools.cache
def _example_photo() -> bytes:
    """The starter's example photo, read once."""
    return (STARTER / EXAMPLE_PHOTO).read_bytes()


def is_example_photo(path: Path) -> bool:
    """True when the photo is the starter's example photo, byte for byte (compared only when the sizes match)."""
    example = _example_photo()
    try:
        if path.stat().st_size != len(example):
            return False
        handle, _size = open_regular(path)
        with handle:
            return handle.read(len(example) + 1) == example
    except OSError:  # unreadable: media.py says so when it prepares the photo
        return False


class _PostChecker:
    """Checks one post.yaml key by key, collecting every problem rather than stopping at the first."""

    def __init__(self, folder: Path, post_file: Path, document: YamlDocument, settings: Settings):
        self.folder = folder
        self.post_file = post_file
        self.document = document
        self.raw = document.values
        self.settings = settings
        self.problems: list[Problem] = []

    def fail(self, message: str, path: Path | None = None) -> None:
        """Note a problem that keeps the product from loading (about post.yaml unless `path` says which file)."""
        self.problems.append(Problem(path or self.post_file, message))

    def warn(self, message: str, path: Path | None = None) -> None:
        """Note a problem that is only said: the product still loads."""
        self.problems.append(Problem(path or self.post_file, message, warning=True))

    def product(self) -> Product | None:
        """The product post.yaml describes, every key checked; None when any problem is more than a warning."""
        self.unknown_keys()
        title = self.text("title", required=True)
        caption = self.text("caption", required=True)
        maker = self.text("maker")
        maker_instagram = self.instagram_handle()
        price = self.price()
        status = self.status()
        hashtags, hashtags_by_platform = self.hashtags()
        platforms = self.platforms()
        publish_at = self.publish_at()
        photos = self.photos()
        alt = self.alt(photos)
        focus = self.focus(photos)
        self.unfinished(status, {"title": title, "caption": caption, "maker": maker}, alt, photos)
        fit = self.fit()
        # A required text is None only after a problem was noted for it; the test says so to the type checker too.
        if title is None or caption is None or any(not p.warning for p in self.problems):
            return None
        return Product(
            slug=self.folder.name,
            folder=self.folder,
            title=title.strip(),
            caption=caption.strip(),
            photos=photos,
            platforms=platforms,
            price=price,
            maker=maker.strip() if maker else None,
            hashtags=hashtags,
            hashtags_by_platform=hashtags_by_platform,
            publish_at=publish_at,
            alt=alt,
            status=status,
            fit=fit,
            maker_instagram=maker_instagram,
            focus=focus,
        )

    def unknown_keys(self) -> None:
        """A problem for each key post.yaml may not hold, with the nearest known key when one is close."""
        for key in self.raw:
            if key not in POST_KEYS:
                self.fail(_("unknown key {key!r}{hint}; the keys are: {known}").format(
                    key=key, hint=did_you_mean(key, POST_KEYS), known=", ".join(POST_KEYS)))

    def fit(self) -> str | None:
        """`fit:` (crop or pad) for this product's Instagram photos; None: as the config says."""
        fit: str | None = self.raw.get("fit")
        if fit is not None and fit not in FITS:
            self.fail(_("fit: expected crop or pad, got {got}").format(got=describe_type(fit)))
        return fit

    def unfinished(self, status: str, texts: dict[str, str | None], alt: dict[str, str], photos: tuple[Path, ...]) -> None:
        """What the starter files put here and is still here: an error in a ready product, a warning in a draft."""
        say = self.fail if status == "ready" else self.warn  # a draft is not posted yet, a sold product never again
        advice = {
            "title": _("line {line}: title: still the example title from `{command}`; write the product's own name"),
            "caption": _("line {line}: caption: still the example text from `{command}`; write the product's own story"),
            "maker": _("line {line}: maker: still the example name from `{command}`; write the name of the craftsman "
                       "who made it"),
        }
        examples = starter_texts()
        for key, value in texts.items():
            if not value:
                continue
            plain = _plain(value)
            command = (examples[key].get(plain) if key == "maker"
                       else next((c for text, c in examples[key].items() if text in plain), None))
            if command:
                say(advice[key].format(line=self.document.lines.get(key, "?"), command=command))
        for name, description in alt.items():
            plain = _plain(description)
            command = next((c for text, c in examples["alt"].items() if text in plain), None)
            if command:
                say(_("line {line}: alt: {name}: still the example description from `{command}`; describe what this "
                      "photo shows").format(line=self.document.lines.get(f"alt.{name}", "?"), name=name, command=command))
        for photo in photos:
            if is_example_photo(photo):
                say(_("the example photo from `sokasi-post init`; replace it with a photo of the product"), photo)

    def text(self, key: str, required: bool = False) -> str | None:
        """`key` as text (a number is taken as its digits); not text is a problem, and so is missing or empty when required."""
        value = self.raw.get(key)
        if value is None:
            if required:
                self.fail(_("{key}: missing; add a line like `{key}: ...`").format(key=key))
            return None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            self.fail(_("{key}: expected text, got {got}").format(key=key, got=describe_type(value)))
            return None
        if required and not value.strip():
            self.fail(_("{key}: is empty").format(key=key))
            return None
        return value

    def instagram_handle(self) -> str | None:
        """maker_instagram without its @; a name Instagram would not allow is a problem."""
        value = self.text("maker_instagram")
        if value is None:
            return None
        handle = value.strip().removeprefix("@")
        if not re.fullmatch(r"[A-Za-z0-9._]{1,30}", handle):
            self.fail(_("maker_instagram: {value!r} is not an Instagram account name (letters, digits, . and _)")
                      .format(value=value))
            return None
        return handle

    def price(self) -> int | None:
        """The price in whole rupiah; a price written with dots or Rp is a problem that shows it rewritten."""
        value = self.raw.get("price")
        if value is None:
            return None
        typed = self.document.written.get("price", str(value)).strip()
        if isinstance(value, float) and re.fullmatch(r"\d{1,3}(?:\.\d{3})+", typed):
            # YAML reads "price: 150.000" as the number 150.0: the Indonesian thousands dot is a decimal point.
            self.fail(_("price: {typed} — the dot makes YAML read {number}; write whole rupiah without dots: price: {fixed}")
                      .format(typed=typed, number=f"{value:g}", fixed=typed.replace(".", "")))
            return None
        written_out = re.fullmatch(r"(?i)(?:rp\.?\s*)?(\d{1,3}(?:\.\d{3})+|\d+)(?:,-|,00)?", typed)
        if isinstance(value, str) and written_out:  # "1.500.000", "Rp 150.000", "Rp150.000,-"
            self.fail(_("price: {typed} — write whole rupiah as a plain number, without Rp or dots: price: {fixed}")
                      .format(typed=typed, fixed=written_out.group(1).replace(".", "")))
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(_("price: expected whole rupiah as a number, e.g. price: 150000, got {got}")
                      .format(got=describe_type(value)))
            return None
        if value <= 0:
            self.fail(_("price: must be more than zero, got {value}").format(value=value))
            return None
        return value

    def status(self) -> str:
        """ready (the default), draft or sold; anything else is a problem, and the product is treated as a draft."""
        value = self.raw.get("status", "ready")
        if value not in STATUSES:
            self.fail(_("status: expected ready, draft or sold, got {got}").format(got=describe_type(value)))
            return "draft"
        return str(value)

    def text_list(self, key: str, example: str) -> tuple[str, ...]:
        """`key` as a list of texts; not a list, or an empty or non-text item, is a problem."""
        value = self.raw.get(key)
        if value is None:
            return ()
        if not isinstance(value, list):
            self.fail(_("{key}: expected a list, e.g. {example}, got {got}").format(
                key=key, example=example, got=describe_type(value)))
            return ()
        problems: list[str] = []
        items = check_text_list(value, key, problems)
        for problem in problems:
            self.fail(problem)
        return items

    def hashtags(self) -> tuple[tuple[str, ...], dict[str, tuple[str, ...]]]:
        """The product's hashtags: (for every platform, per platform), checked as config.yaml's are."""
        problems = hash_comment_problems(self.document, "hashtags")
        found = hashtag_lists(self.raw.get("hashtags"), "hashtags", problems)
        for problem in problems:
            self.fail(problem)
        return found

    def platforms(self) -> tuple[str, ...]:
        """The platforms this product goes to: those it lists that are switched on, else every one switched on."""
        enabled = self.settings.enabled_platforms
        if "platforms" not in self.raw:
            return enabled
        chosen = self.text_list("platforms", "platforms: [facebook]")
        for name in chosen:
            if name not in platform_names():
                self.fail(_("platforms: unknown platform {name!r}; expected {known}").format(
                    name=name, known=", ".join(platform_names())))
            elif name not in enabled:
                self.warn(_("platforms: {name} is switched off in the config, so this product will not go there")
                          .format(name=name))
        return tuple(name for name in platform_names() if name in chosen and name in enabled)

    def publish_at(self) -> datetime | None:
        """When the product may be posted, in the config's time zone unless one is given; a date alone is a problem."""
        value = self.raw.get("publish_at")
        if value is None:
            return None
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value.strip())
            except ValueError:
                value = None
        elif isinstance(value, date) and not isinstance(value, datetime):
            self.fail(_("publish_at: {value} has no time; add one, e.g. publish_at: {value} 09:00").format(value=value))
            return None
        if not isinstance(value, datetime):
            self.fail(_("publish_at: expected a date and time like 2026-12-01 09:00 (or 2026-12-01T09:00+08:00), got {got}")
                      .format(got=describe_type(self.raw["publish_at"])))
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=self.settings.timezone)
        try:  # far dates overflow later, in time-zone and schedule arithmetic: refuse them here, by name
            sane = PUBLISH_AT_RANGE[0] <= value.astimezone(UTC).date() <= PUBLISH_AT_RANGE[1]
        except OverflowError:
            sane = False
        if not sane:
            self.fail(_("publish_at: {value} is not a date the posts can wait for; use a date between {first} and {last}")
                      .format(value=self.raw["publish_at"], first=PUBLISH_AT_RANGE[0].year, last=PUBLISH_AT_RANGE[1].year))
            return None
        return value

    def photos(self) -> tuple[Path, ...]:
        """The product's photos: those `photos:` lists, in its order, else every photo in the folder in natural order."""
        listed = self.raw.get("photos")
        paths = self.folder_photos() if listed is None else self.listed_photos(listed)
        # Whether each file really is a photo is media.py's to find out: it reads them anyway.
        good = []
        for path in paths:
            outside = _outside_problem(path, self.folder)
            if outside:
                self.problems.append(outside)
            else:
                good.append(path)
        return tuple(good)

    def folder_photos(self) -> list[Path]:
        """Every photo file in the folder, foto2.jpg before foto10.jpg; none at all is a problem."""
        paths = sorted(
            (p for p in self.folder.iterdir() if p.suffix.lower() in PHOTO_SUFFIXES and not p.name.startswith(".")),
            key=lambda p: natural_key(p.name),
        )
        if not paths:
            self.fail(_("no photos in the folder; add .jpg, .jpeg, .png or .webp files next to post.yaml"))
        return paths

    def listed_photos(self, listed: object) -> list[Path]:
        """The files `photos:` names, each a photo present in the folder (a missing one with the nearest name present)."""
        names = self.text_list("photos", "photos: [depan.jpg, atas.jpg]")
        if not names and isinstance(listed, list):
            self.fail(_("photos: the list is empty; list the photo files or remove the photos key"))
        paths = []
        for name in names:
            path = self.folder / name
            if Path(name).name != name or name in (".", ".."):
                self.fail(_("photos: {name!r} must be a file name in the product folder, not a path").format(name=name))
            elif not path.exists() and not path.is_symlink():
                present = [p.name for p in self.folder.iterdir() if p.suffix.lower() in PHOTO_SUFFIXES]
                self.fail(_("photos: {name} is listed but not in the folder{hint}").format(
                    name=name, hint=did_you_mean(name, present)))
            elif path.suffix.lower() not in PHOTO_SUFFIXES:
                self.fail(_("photos: {name} is not a .jpg, .jpeg, .png, .webp or .heic file").format(name=name))
            else:
                paths.append(path)
        return paths

    def focus(self, photos: tuple[Path, ...]) -> dict[str, tuple[float, float]]:
        """Photo name -> the point (across, down, 0 to 1) a crop keeps in view."""
        value = self.raw.get("focus")
        if value is None:
            return {}
        example = _("e.g. focus: {{depan.jpg: [0.5, 0.4]}} (across, down; 0 to 1)").format()  # the braces, undoubled
        if not isinstance(value, dict):
            self.fail(_("focus: expected photo names with a point to keep in view, {example}, got {got}").format(
                example=example, got=describe_type(value)))
            return {}
        names = {p.name for p in photos}
        focus = {}
        for name, point in value.items():
            good = (isinstance(point, list) and len(point) == 2
                    and all(isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= 1 for v in point))
            if not good:
                self.fail(_("focus: {name}: expected two fractions from 0 to 1, {example}").format(name=name, example=example))
            elif str(name) not in names and photos:
                self.fail(_("focus: {name} is not one of this product's photos ({names})").format(
                    name=name, names=", ".join(sorted(names))))
            else:
                focus[str(name)] = (float(point[0]), float(point[1]))
        return focus

    def alt(self, photos: tuple[Path, ...]) -> dict[str, str]:
        """Photo name -> its description for people who cannot see it (docs/platforms.md F3)."""
        value = self.raw.get("alt")
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.fail(_("alt: expected photo names with their descriptions, e.g. alt: {{depan.jpg: Sokasi dari depan}}, "
                        "got {got}").format(got=describe_type(value)))
            return {}
        names = {p.name for p in photos}
        alt = {}
        for name, text in value.items():
            if not isinstance(text, str) or not text.strip():
                self.fail(_("alt: {name}: expected a description as text").format(name=name))
            elif str(name) not in names and photos:
                self.fail(_("alt: {name} is not one of this product's photos ({names})").format(
                    name=name, names=", ".join(sorted(names))))
            else:
                alt[str(name)] = text.strip()
        return alt
