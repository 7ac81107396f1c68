"""config.yaml and the environment -> a frozen Settings; the only module that reads the environment."""

from __future__ import annotations

import functools
import os
import re
import string
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sokasi_post.checks import (
    check_text_list,
    describe_type,
    did_you_mean,
    hash_comment_problems,
    hashtag_lists,
)
from sokasi_post.errors import ConfigError
from sokasi_post.i18n import LANGUAGES, N_, _, normalise
from sokasi_post.models import Problem
from sokasi_post.platforms import platform_names, rules_for
from sokasi_post.yamlfile import (
    CONFIG_NAME,
    YamlDocument,
    YamlFileError,
    display_path,
    parse_yaml,
    read_yaml_document,
    read_yaml_mapping,
)

CONFIG_ENV = "SOKASI_POST_CONFIG"
# The starter files `init` and `new` write (one folder per language); read here to know their sample values.
STARTER = resources.files("sokasi_post") / "starter"
# The starter config's values that only show what goes there: each must be replaced before anything is posted.
SAMPLE_KEYS = ("facebook.page_id", "instagram.username", "contact.whatsapp")

# Suggested answers to buyers' questions in the comments (`inbox`); a line whose field has no value is left out.
DEFAULT_REPLY = {
    "id": "Halo kak {name}, terima kasih sudah bertanya 🙏\n{title}: {price}.\nLihat foto dan detailnya: {link}\n"
          "Pesan lewat WhatsApp: {order}",
    "en": "Hi {name}, thank you for asking 🙏\n{title}: {price}.\nPhotos and details: {link}\nOrder on WhatsApp: {order}",
}
DEFAULT_SOLD_REPLY = {
    "id": "Halo kak {name}, maaf, {title} sudah terjual 🙏\nKarya lain dari pembuatnya: {others}\n"
          "Tanya lewat WhatsApp: {order}",
    "en": "Hi {name}, sorry, {title} is sold 🙏\nOther work by its maker: {others}\nAsk on WhatsApp: {order}",
}

DEFAULT_FACEBOOK_TEMPLATE = """\
{title}

{caption}

Harga: {price}
Karya: {maker}
Pesan lewat WhatsApp: {order}

{hashtags}"""

DEFAULT_INSTAGRAM_TEMPLATE = """\
{title}

{caption}

Harga: {price}
Karya: {maker}
Pesan lewat WhatsApp: {order}

{hashtags}"""

DEFAULT_GREETING = "Halo, saya tertarik dengan {title}."

# Graph API versions and the day Meta stops serving them (developers.facebook.com/docs/graph-api/changelog).
GRAPH_VERSION_ENDS = {
    "v21.0": date(2027, 1, 21),
    "v22.0": date(2027, 5, 20),
    "v23.0": date(2027, 10, 8),
    "v24.0": date(2028, 2, 18),
    "v25.0": date(2028, 7, 29),
}
OLDEST_SERVED_GRAPH_MAJOR = 21
# A version that stops being served within this many days is warned of, while there is time to change it.
GRAPH_VERSION_WARNING_DAYS = 120
# The only hosts facebook.graph_url may name with plain http:// (tests, a local stand-in): nothing leaves the computer.
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})

# The {fields} a caption template may use (see captions.render_caption).
CAPTION_FIELDS = ("title", "caption", "price", "maker", "order", "whatsapp", "contact_name", "hashtags")

_REQUIRED = object()
# `expected` texts are marked with N_ here and translated where a message shows them (the language is
# chosen after this module is imported).
# Variable names are upper case by convention; a mixed-case value is most likely a token pasted by mistake.
_ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]{0,63}$")
# How many digits a phone number has with its country code (an international number has at most 15).
_PHONE_DIGITS = (8, 15)


@dataclass(frozen=True)
class _Key:
    """One key of config.yaml: the YAML types it accepts, its default (or _REQUIRED), and what a message says is expected."""

    types: tuple[type, ...]
    default: Any
    expected: str


def _text(default: Any = None) -> _Key:
    """A key that holds text."""
    return _Key((str,), default, N_("text"))


def _flag(default: bool) -> _Key:
    """A key that holds true or false."""
    return _Key((bool,), default, N_("true or false"))


# Every key config.yaml may hold, with its default. Documented key by key in docs/config.md.
BUILT_IN = ("facebook", "instagram")  # the platforms with sections of their own below
INSTAGRAM_BACKENDS = ("instagrapi", "graph")
GRAPH_BACKEND = "graph"
PHOTO_HOSTS = ("site", "page")

SCHEMA: dict[str, Any] = {
    "language": _Key((str,), None, N_("id or en")),
    "posts_dir": _text("posts"),
    "state_dir": _text(".sokasi-post"),
    "timezone": _text("Asia/Makassar"),
    "facebook": {
        "enabled": _flag(True),
        "page_id": _Key((str, int), None, N_("the Page's numeric ID")),
        "token_env": _text("FACEBOOK_PAGE_TOKEN"),
        "app_id_env": _text("FACEBOOK_APP_ID"),
        "app_secret_env": _text("FACEBOOK_APP_SECRET"),
        "graph_url": _text("https://graph.facebook.com"),
        "api_version": _text("v25.0"),
        "native_schedule": _flag(False),
    },
    "instagram": {
        "enabled": _flag(True),
        "username": _text(),
        "password_env": _text("INSTAGRAM_PASSWORD"),
        "session_file": _text(),
        "location": {
            "name": _text(),
            "lat": _Key((int, float), None, N_("a latitude, e.g. -8.17")),
            "lng": _Key((int, float), None, N_("a longitude, e.g. 115.05")),
            "facebook_places_id": _Key((str, int), None, N_("the place's Facebook ID")),
        },
        "pause_min_seconds": _Key((int,), 30, N_("whole seconds")),
        "pause_max_seconds": _Key((int,), 90, N_("whole seconds")),
        "daily_limit": _Key((int,), rules_for("instagram").daily_limit, N_("how many posts a day at most")),
        "backend": _text("instagrapi"),
        "user_id": _Key((str, int), None, N_("the Instagram professional account's numeric ID")),
        "token_env": _text("FACEBOOK_PAGE_TOKEN"),
        "photo_host": _text("site"),
    },
    "contact": {
        "whatsapp": _Key((str, int), _REQUIRED, N_("a phone number, e.g. \"+62 812-3456-7890\"")),
        "name": _text(),
        "greeting": _text(DEFAULT_GREETING),
    },
    "whatsapp": {
        "group_minutes": _Key((int,), 5, N_("whole minutes")),
    },
    "reconcile": {
        "wait_seconds": _Key((int,), 20, N_("whole seconds")),
    },
    "schedule": {
        "slots": _Key((list,), (), N_("a list of times of day in quotes, e.g. slots: [\"09:00\", \"17:00\"]")),
        "max_per_run": _Key((int,), 1, N_("how many new products one posting slot releases")),
    },
    "media": {
        "quality": _Key((int,), 85, N_("a JPEG quality from 50 to 95")),
        "background": _text("#ffffff"),
        "credit": _flag(False),
        "workers": _Key((int,), 0, N_("how many photos to prepare at once (0: one per processor core)")),
        "instagram": {
            "width": _Key((int,), 1080, N_("an output width from 320 to 1440 pixels")),
            "fit": _text("crop"),
        },
        "facebook": {
            "max_side": _Key((int,), 2048, N_("the longest side in pixels, from 720 to 4096")),
        },
    },
    "captions": {
        "facebook": _text(DEFAULT_FACEBOOK_TEMPLATE),
        "instagram": _text(DEFAULT_INSTAGRAM_TEMPLATE),
        "hashtags": _Key((list, dict), (), N_("a list of hashtags, e.g. [sokasi, bambu], or one list per platform "
                                                "under all, facebook and instagram")),
    },
    "inbox": {
        "reply_template": {
            "id": _text(DEFAULT_REPLY["id"]),
            "en": _text(DEFAULT_REPLY["en"]),
        },
        "sold_template": {
            "id": _text(DEFAULT_SOLD_REPLY["id"]),
            "en": _text(DEFAULT_SOLD_REPLY["en"]),
        },
        "retention_days": _Key((int,), 90, N_("whole days")),
        "attention_days": _Key((int,), 30, N_("whole days")),
        "auto_reply": _flag(False),
        "auto_reply_per_post": _Key((int,), 1, N_("how many automatic answers on one post at most")),
        "auto_reply_per_hour": _Key((int,), 3, N_("how many automatic answers in one hour at most")),
    },
    "site": {
        "base_url": _text(),
        "name": _text(),
        "about": _text(""),
        "makers": _Key((list,), (), N_("a list of makers' names, e.g. [Ni Wayan Murni, I Ketut Sarna]")),
        "out": _text("site"),
        "git_remote": _text(),
        "git_branch": _text("gh-pages"),
    },
}


@dataclass(frozen=True)
class FacebookSettings:
    """Where and how to post on the Facebook Page."""

    enabled: bool
    page_id: str | None
    token_env: str
    graph_url: str
    api_version: str
    native_schedule: bool = False
    # Optional: the app's id and secret, only for `doctor` (debug_token and the app's mode). Names of variables.
    app_id_env: str = "FACEBOOK_APP_ID"
    app_secret_env: str = "FACEBOOK_APP_SECRET"


@dataclass(frozen=True)
class InstagramLocation:
    """The place tagged on Instagram posts (the village)."""

    name: str
    lat: float | None
    lng: float | None
    facebook_places_id: str | None


@dataclass(frozen=True)
class InstagramSettings:
    """Which Instagram account to post on, where its saved session lives, and how gently to post."""

    enabled: bool
    username: str | None
    password_env: str
    session_file: Path
    location: InstagramLocation | None = None
    pause_seconds: tuple[int, int] = (30, 90)
    daily_limit: int = 5
    backend: str = "instagrapi"  # "instagrapi" (the private phone API) or "graph" (Meta's official API)
    user_id: str | None = None  # the professional account's ID, for the graph backend
    token_env: str = "FACEBOOK_PAGE_TOKEN"  # the Page token's variable, for the graph backend
    photo_host: str = "site"  # where Meta fetches the photos from (graph): "site", or "page" (experimental)

    @property
    def official(self) -> bool:
        """True when posts go through Meta's official API (backend: graph) rather than instagrapi."""
        return self.backend == GRAPH_BACKEND


@dataclass(frozen=True)
class ContactSettings:
    """How buyers reach the cooperative."""

    whatsapp: str
    name: str | None
    greeting: str


@dataclass(frozen=True)
class ScheduleSettings:
    """The posting queue: times of day at which new products are released, and how many per time."""

    slots: tuple[time, ...] = ()
    max_per_run: int = 1


@dataclass(frozen=True)
class MediaSettings:
    """How photos are made ready for each platform (media.py applies them)."""

    quality: int
    background: tuple[int, int, int]
    credit: bool
    workers: int
    instagram_width: int
    instagram_fit: str
    facebook_max_side: int


@dataclass(frozen=True)
class InboxSettings:
    """The sales loop: the suggested answers to buyers' questions, and how long comments and counts are kept."""

    reply_template: dict[str, str]  # by language ("id", "en"): the answer to a question about an available product
    sold_template: dict[str, str]  # by language: the answer when the product is sold
    retention_days: int = 90  # comment texts are deleted from the ledger after this many days
    attention_days: int = 30  # comments and counts are read for posts younger than this
    auto_reply: bool = False  # answer price questions without asking (Facebook and the official Instagram API only)
    auto_reply_per_post: int = 1
    auto_reply_per_hour: int = 3


@dataclass(frozen=True)
class SiteSettings:
    """The shop-window site: where it lives online and what it says."""

    base_url: str | None  # e.g. "https://tigawasa.github.io/sokasi/", always ending in "/"; None: not set
    name: str  # the cooperative's name shown on the site
    about: str  # a paragraph about the cooperative ("" when none)
    makers: tuple[str, ...]  # the makers whose work is shown; () = every maker
    out_dir: Path  # where `site` writes
    git_remote: str | None  # where `site --publish` pushes (a URL or a path); None: not set
    git_branch: str = "gh-pages"


@dataclass(frozen=True)
class CaptionSettings:
    """Caption templates per platform and the hashtags every post gets."""

    templates: dict[str, str]
    hashtags: tuple[str, ...]  # on every platform
    hashtags_by_platform: dict[str, tuple[str, ...]] = field(default_factory=dict, hash=False)  # on that one only


@dataclass(frozen=True)
class Settings:
    """Everything config.yaml says, checked, with paths made absolute."""

    config_path: Path
    posts_dir: Path
    state_dir: Path
    timezone: ZoneInfo
    facebook: FacebookSettings
    instagram: InstagramSettings
    contact: ContactSettings
    captions: CaptionSettings
    media: MediaSettings
    schedule: ScheduleSettings = ScheduleSettings()
    look_again_seconds: int = 20  # reconcile.wait_seconds
    whatsapp_gap: timedelta = timedelta(minutes=5)  # whatsapp.group_minutes
    language: str | None = None  # id or en; None: from the system's locale
    warnings: tuple[str, ...] = ()
    # Values still as the starter config has them (the sample Page ID, account, number): nothing may be posted with
    # them. Each names the line; its platform is the one it stops ("facebook", "instagram"), or None for every one.
    unfinished: tuple[Problem, ...] = ()

    more_platforms: tuple[str, ...] = ()  # platforms registered beyond Facebook and Instagram, switched on
    site: SiteSettings | None = None  # None when config.yaml has no `site:` section
    inbox: InboxSettings = InboxSettings(DEFAULT_REPLY, DEFAULT_SOLD_REPLY)

    @property
    def enabled_platforms(self) -> tuple[str, ...]:
        """The platforms switched on in config, in the order of the platform table."""
        on = {"facebook": self.facebook.enabled, "instagram": self.instagram.enabled}
        return tuple(name for name in platform_names() if on.get(name, name in self.more_platforms))


def read_secret(variable: str) -> str | None:
    """The value of the environment variable that holds a token or password (None when unset or empty)."""
    return os.environ.get(variable) or None


def system_language() -> str:
    """'id' when the system's locale is Indonesian (LC_ALL, LC_MESSAGES, LANG, LANGUAGE), else 'en'."""
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = os.environ.get(variable)
        if value:
            return normalise(value.split(":")[0])
    return "en"


def early_language(argv: list[str]) -> str:
    """The language to speak from the start (help included): --lang, else config's `language:`, else the system's."""
    for index, argument in enumerate(argv):
        if argument == "--lang" and index + 1 < len(argv):
            return normalise(argv[index + 1])
        if argument.startswith("--lang="):
            return normalise(argument.split("=", 1)[1])
    explicit = next((argv[i + 1] for i, a in enumerate(argv[:-1]) if a == "--config"), None)
    try:
        configured = read_yaml_mapping(find_config(explicit), allow_empty=True).get("language")
    except (YamlFileError, OSError):
        configured = None
    return normalise(configured) if isinstance(configured, str) else system_language()


def find_config(explicit: str | None) -> Path:
    """The config file to use: --config, else $SOKASI_POST_CONFIG, else config.yaml here or in the nearest folder above.

    A folder given instead of the file means its config.yaml, when it has one.
    """
    given = explicit or os.environ.get(CONFIG_ENV)
    if given:
        path = Path(given)
        return path / CONFIG_NAME if path.is_dir() and (path / CONFIG_NAME).is_file() else path
    try:
        here = Path.cwd()
    except OSError:  # the current folder was deleted
        return Path(CONFIG_NAME)
    for folder in (here, *here.parents):  # like git: run from posts/ or a product folder, the project's config is used
        candidate = folder / CONFIG_NAME
        try:
            found = candidate.exists() or candidate.is_symlink()
        except OSError:
            break
        if found:
            return Path(CONFIG_NAME) if folder == here else candidate
    return Path(CONFIG_NAME)


def load_settings(path: Path, today: date | None = None) -> Settings:
    """Read and check config.yaml; raise ConfigError listing every problem found."""
    shown = display_path(path)
    if path.is_dir():
        raise ConfigError([_("{folder} is a folder; give the config file ({config}), or run `sokasi-post init {folder}`")
                           .format(folder=shown, config=display_path(path / CONFIG_NAME))])
    if not path.is_file():
        raise ConfigError(
            [
                _("{path}: no config file here. Use --config PATH, set {env}, or run `sokasi-post init` to create one.")
                .format(path=shown, env=CONFIG_ENV)
            ]
        )
    try:
        document = read_yaml_document(path, allow_empty=True)
    except YamlFileError as error:
        raise ConfigError([f"{shown}: {error}"]) from None
    problems: list[str] = []
    values = _check_section(document.values, _schema(), "", problems, document.written)
    problems.extend(hash_comment_problems(document, "captions.hashtags"))
    if problems:
        raise ConfigError([f"{shown}: {p}" for p in problems])
    settings = _build(path.resolve(), shown, values, problems, today or date.today(), document)
    if settings is None:
        raise ConfigError([f"{shown}: {p}" for p in problems])
    return settings


def _schema() -> dict[str, Any]:
    """SCHEMA, with a section and a caption template for each platform registered beyond the two built in."""
    more = [name for name in platform_names() if name not in BUILT_IN]
    if not more:
        return SCHEMA
    captions = SCHEMA["captions"] | {name: _text(DEFAULT_INSTAGRAM_TEMPLATE) for name in more}
    return SCHEMA | {name: {"enabled": _flag(False)} for name in more} | {"captions": captions}


def _typed(value: Any, written: str | None) -> str:
    """What the user wrote, as a message shows it: `17:00 (YAML reads it as the number 1020)` where YAML changed it."""
    if written and isinstance(value, (int, float)) and not isinstance(value, bool) and written.strip() != str(value):
        return _("{typed} (YAML reads it as the number {value})").format(typed=written.strip(), value=value)
    return describe_type(value)


def _check_section(raw: dict[Any, Any], schema: dict[str, Any], prefix: str, problems: list[str],
                   written: dict[str, str] | None = None) -> dict[str, Any]:
    """Check one mapping against its schema; fill defaults; collect problems (`written`: values as typed, by key)."""
    written = written or {}
    problems.extend(
        _("{key}: unknown key{hint}; the keys here are: {known}").format(
            key=prefix + str(key), hint=did_you_mean(key, schema, prefix), known=", ".join(schema))
        for key in raw if key not in schema)
    values: dict[str, Any] = {}
    for key, spec in schema.items():
        where = prefix + key
        if isinstance(spec, dict):
            section = _mapping(raw.get(key), spec, where, problems)
            values[key] = _check_section(section, spec, where + ".", problems, written)
        else:
            values[key] = _check_value(raw.get(key), spec, where, problems, written.get(where))
    return values


def _mapping(value: Any, spec: dict[str, Any], where: str, problems: list[str]) -> dict[Any, Any]:
    """A section's keys (none when it is missing); anything but a mapping is a problem, and is taken as empty."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.append(_("{key}: expected a section of keys ({keys}), got {got}").format(
            key=where, keys=", ".join(spec), got=describe_type(value)))
        return {}
    return value


def _check_value(value: Any, spec: _Key, where: str, problems: list[str], written: str | None) -> Any:
    """One key's value, checked against its spec; its default when missing or of the wrong type (None if required)."""
    if value is None:
        if spec.default is _REQUIRED:
            problems.append(_("{key}: missing; expected {expected}").format(key=where, expected=_(spec.expected)))
            return None
        return spec.default
    # bool is an int in Python; a flag must be a real true/false and a number never a flag.
    wrong_bool = isinstance(value, bool) and bool not in spec.types
    if wrong_bool or not isinstance(value, spec.types):
        problems.append(_("{key}: expected {expected}, got {got}").format(
            key=where, expected=_(spec.expected), got=_typed(value, written)))
        return None if spec.default is _REQUIRED else spec.default
    if isinstance(value, list):
        return check_text_list(value, where, problems)
    return value


def whatsapp_digits(number: str) -> str:
    """The international digits of a phone number as wa.me wants them (0812… -> 62812…)."""
    digits = re.sub(r"\D", "", number)
    if digits.startswith("0"):
        digits = "62" + digits[1:]
    return digits


FITS = ("crop", "pad")


def parse_colour(text: str) -> tuple[int, int, int] | None:
    """'#f5efe6' -> (245, 239, 230); None when it is not a #rrggbb colour."""
    match = re.fullmatch(r"#([0-9a-fA-F]{6})", text.strip())
    if not match:
        return None
    value = match.group(1)
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _within(problems: list[str], key: str, value: int, low: int, high: int) -> int:
    """`value`, after noting a problem when it lies outside low..high (every number must be safe at run time)."""
    if not low <= value <= high:
        problems.append(_("{key}: expected a number from {low} to {high}, got {value}").format(
            key=key, low=low, high=high, value=value))
    return value


def _media_settings(m: dict[str, Any], problems: list[str]) -> MediaSettings:
    """The media section, checked: the colour, the Instagram fit and every number within its range."""
    def within(key: str, value: int, low: int, high: int) -> int:
        return _within(problems, key, value, low, high)

    background = parse_colour(m["background"])
    if background is None:
        problems.append(_("media.background: expected a colour like \"#ffffff\", got {value!r}").format(value=m["background"]))
    if m["instagram"]["fit"] not in FITS:
        problems.append(_("media.instagram.fit: expected crop or pad, got {value!r}").format(value=m["instagram"]["fit"]))
    return MediaSettings(
        quality=within("media.quality", m["quality"], 50, 95),
        background=background or (255, 255, 255),
        credit=m["credit"],
        workers=within("media.workers", m["workers"], 0, 64),
        instagram_width=within("media.instagram.width", m["instagram"]["width"], 320, 1440),
        instagram_fit=m["instagram"]["fit"],
        facebook_max_side=within("media.facebook.max_side", m["facebook"]["max_side"], 720, 4096),
    )


def template_problems(template: str, fields: tuple[str, ...] = CAPTION_FIELDS) -> list[str]:
    """What is wrong with a caption template: unknown {fields}, a format such as {price:,}, or unbalanced braces.

    A template that passes is formatted once with long sample values, so it cannot fail at posting time.
    """
    try:
        parsed = [(name, spec, conversion) for _text_part, name, spec, conversion in string.Formatter().parse(template)
                  if name is not None]
    except ValueError as error:
        return [_("the template is not valid ({error}); write a literal brace as {{{{ or }}}}").format(error=error)]
    unknown = [name for name, _spec, _conversion in parsed if name not in fields]
    if unknown:
        return [_("unknown field {{{name}}}; the fields are: {known}").format(
            name=unknown[0], known=", ".join("{" + f + "}" for f in fields))]
    formatted = [f"{{{name}{'!' + conversion if conversion else ''}{':' + spec if spec else ''}}}"
                 for name, spec, conversion in parsed if spec or conversion]
    if formatted:
        return [_("{field}: a field takes no format here; write just {{{name}}}").format(
            field=formatted[0], name=formatted[0][1:-1].split("!")[0].split(":")[0])]
    try:
        template.format(**dict.fromkeys(fields, "x" * 2_000))
    except (ValueError, KeyError, IndexError, OverflowError, MemoryError) as error:  # a last guard behind the checks above
        return [_("the template is not valid ({error}); write a literal brace as {{{{ or }}}}").format(error=error)]
    return []


def _encrypted_or_local(url: str) -> bool:
    """https://, or http:// to this computer only: every Graph request carries the token (access_token=...)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return False
    return parts.scheme == "https" or (parts.scheme == "http" and host in LOOPBACK_HOSTS)


def _build(path: Path, shown: str, v: dict[str, Any], problems: list[str], today: date,
           document: YamlDocument | None = None) -> Settings | None:
    """Turn checked values into Settings, checking what depends on more than one key; None when a problem was found.

    The sections are checked one after another in a fixed order, so the problems are always listed in that order.
    """
    document = document or YamlDocument({})
    warnings: list[str] = []
    zone = _time_zone(v["timezone"], problems)
    facebook = _facebook_settings(v, today, problems, warnings)
    location = _check_instagram(v["instagram"], problems)
    _within(problems, "reconcile.wait_seconds", v["reconcile"]["wait_seconds"], 0, 600)
    _within(problems, "whatsapp.group_minutes", v["whatsapp"]["group_minutes"], 1, 24 * 60)
    whatsapp = _whatsapp_number(v["contact"], problems)
    if v["language"] is not None and v["language"] not in LANGUAGES:
        problems.append(_("language: expected id (Bahasa Indonesia) or en (English), got {value!r}").format(value=v["language"]))
    media = _media_settings(v["media"], problems)
    schedule = _schedule_settings(v["schedule"], document, problems)
    captions = _caption_settings(v["captions"], problems)
    problems.extend(f"contact.greeting: {p}" for p in template_problems(v["contact"]["greeting"], fields=("title",)))
    site = _site_settings(v["site"], v["contact"]["name"], path.parent, problems, warnings) \
        if "site" in document.lines else None
    problems.extend(_official_photo_problems(v["instagram"], site))
    inbox = _inbox_settings(v["inbox"], problems)
    if problems or whatsapp is None:  # no number is a problem already: "contact.whatsapp: missing"
        return None
    state_dir = _resolve(path.parent, v["state_dir"])
    contact, ig = v["contact"], v["instagram"]
    return Settings(
        config_path=path,
        posts_dir=_resolve(path.parent, v["posts_dir"]),
        state_dir=state_dir,
        timezone=zone,
        facebook=facebook,
        instagram=_instagram_settings(ig, location, path.parent, state_dir),
        contact=ContactSettings(whatsapp=whatsapp, name=contact["name"], greeting=contact["greeting"]),
        captions=captions,
        media=media,
        schedule=schedule,
        look_again_seconds=v["reconcile"]["wait_seconds"],
        whatsapp_gap=timedelta(minutes=v["whatsapp"]["group_minutes"]),
        language=v["language"],
        warnings=tuple(f"{shown}: {w}" for w in warnings),
        more_platforms=tuple(name for name in platform_names() if name not in BUILT_IN and v[name]["enabled"]),
        site=site,
        inbox=inbox,
        unfinished=_unfinished(path, document, {"facebook.page_id": facebook.page_id if facebook.enabled else None,
                                                "instagram.username": ig["username"] if ig["enabled"] else None,
                                                "contact.whatsapp": whatsapp}),
    )


def _official_photo_problems(ig: dict[str, Any], site: SiteSettings | None) -> list[str]:
    """Meta's official API fetches each photo from a public https address (docs/platforms.md G1): with backend graph and
    the site as photo host, the site's address must be set, and be https (http only for this computer, in tests)."""
    if not (ig["enabled"] and ig["backend"] == GRAPH_BACKEND and ig["photo_host"] == "site"):
        return []
    base_url = site.base_url if site else None
    if base_url is None:
        return [_("instagram.backend: graph fetches the photos from the shop-window site, so config.yaml needs a site: "
                  "section with base_url, the address the site is published at (README.md, \"Instagram through the "
                  "official API\")")]
    if not _encrypted_or_local(base_url):
        return [_("site.base_url: Instagram fetches photos only from an https:// address, got {value!r}").format(
            value=base_url)]
    return []


def _inbox_settings(inbox: dict[str, Any], problems: list[str]) -> InboxSettings:
    """The inbox section, checked: templates that name only known fields, and the days things are kept."""
    fields = ("name", "title", "price", "link", "order", "others")
    for kind in ("reply_template", "sold_template"):
        for language in ("id", "en"):
            problems.extend(f"inbox.{kind}.{language}: {p}" for p in template_problems(inbox[kind][language], fields=fields))
    _within(problems, "inbox.retention_days", inbox["retention_days"], 1, 3650)
    _within(problems, "inbox.attention_days", inbox["attention_days"], 1, 365)
    _within(problems, "inbox.auto_reply_per_post", inbox["auto_reply_per_post"], 1, 10)
    _within(problems, "inbox.auto_reply_per_hour", inbox["auto_reply_per_hour"], 1, 30)
    return InboxSettings(reply_template=dict(inbox["reply_template"]), sold_template=dict(inbox["sold_template"]),
                         retention_days=inbox["retention_days"], attention_days=inbox["attention_days"],
                         auto_reply=inbox["auto_reply"], auto_reply_per_post=inbox["auto_reply_per_post"],
                         auto_reply_per_hour=inbox["auto_reply_per_hour"])


def _resolve(base: Path, value: str) -> Path:
    """A path from config.yaml made absolute: `~` expanded, a relative one taken from the config file's folder."""
    return (base / Path(value).expanduser()).resolve()


def _time_zone(name: str, problems: list[str]) -> ZoneInfo:
    """`timezone:` as a ZoneInfo; an unknown name is a problem (and Bali's zone stands in while the rest is checked)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(_("timezone: unknown time zone {name!r}; Bali is Asia/Makassar").format(name=name))
        return ZoneInfo("Asia/Makassar")


def _facebook_settings(v: dict[str, Any], today: date, problems: list[str], warnings: list[str]) -> FacebookSettings:
    """The facebook section, checked: the Page ID, the names of the secrets' variables, the Graph address and version.

    Every key that names a secret's variable is checked here, instagram.password_env too: the same mistake (a token
    or password pasted in place of the name) gets the same answer wherever it is made.
    """
    fb = v["facebook"]
    page_id = _page_id(fb, problems)
    problems.extend(_secret_name_problems(v))
    problems.extend(_graph_url_problems(fb["graph_url"]))
    _check_api_version(fb["api_version"], fb["enabled"], today, problems, warnings)
    return FacebookSettings(
        enabled=fb["enabled"],
        page_id=page_id,
        token_env=fb["token_env"],
        graph_url=fb["graph_url"].rstrip("/"),
        api_version=fb["api_version"],
        native_schedule=fb["native_schedule"],
        app_id_env=fb["app_id_env"],
        app_secret_env=fb["app_secret_env"],
    )


def _page_id(fb: dict[str, Any], problems: list[str]) -> str | None:
    """facebook.page_id as text (YAML reads it as a number); missing or not digits is a problem while Facebook is on."""
    page_id = None if fb["page_id"] is None else str(fb["page_id"]).strip()
    if fb["enabled"]:
        if not page_id:
            problems.append(_("facebook.page_id: missing; expected the Page's numeric ID (or set facebook.enabled: false)"))
        elif not page_id.isdigit():
            problems.append(_("facebook.page_id: expected the Page's numeric ID, got {value!r}").format(value=page_id))
    return page_id


def _secret_name_problems(v: dict[str, Any]) -> list[str]:
    """A problem for each key naming a secret's environment variable whose value does not look like a variable's name."""
    names = (("facebook.token_env", v["facebook"]["token_env"]), ("facebook.app_id_env", v["facebook"]["app_id_env"]),
             ("facebook.app_secret_env", v["facebook"]["app_secret_env"]),
             ("instagram.password_env", v["instagram"]["password_env"]),
             ("instagram.token_env", v["instagram"]["token_env"]))
    # Never echo the value: a token pasted here by mistake must not reach the screen.
    return [_(
        "{key}: expected the NAME of an environment variable in capitals (like FACEBOOK_PAGE_TOKEN), not a secret; "
        "if you pasted a token or password here, remove it from the file and change it"
    ).format(key=key) for key, name in names if not _ENV_NAME.match(name)]


def _graph_url_problems(url: str) -> list[str]:
    """The problem with facebook.graph_url, if any: not an http(s) address, or plain http:// to another computer."""
    if not re.match(r"^https?://[^\s/]+", url):
        return [_("facebook.graph_url: expected an http(s) address, got {value!r}").format(value=url)]
    if not _encrypted_or_local(url):
        return [_("facebook.graph_url: {value!r} starts with http://, so the Page token would travel unencrypted and "
                  "anyone on the way could read it; use https:// (http:// is allowed only for this computer: "
                  "127.0.0.1, ::1 or localhost)").format(value=url)]
    return []


def _check_api_version(version: str, enabled: bool, today: date, problems: list[str], warnings: list[str]) -> None:
    """facebook.api_version must look like v25.0 (docs/platforms.md F7).

    While Facebook is on, a version no longer served is a problem, and one that stops within GRAPH_VERSION_WARNING_DAYS
    a warning.
    """
    match = re.fullmatch(r"v(\d+)\.0", version)
    if not match:
        problems.append(_("facebook.api_version: expected a Graph API version like v25.0, got {value!r}").format(value=version))
        return
    if not enabled:
        return
    end = GRAPH_VERSION_ENDS.get(version)
    if int(match.group(1)) < OLDEST_SERVED_GRAPH_MAJOR or (end and end <= today):
        problems.append(_("facebook.api_version: {version} is no longer served by Facebook; use v25.0 or newer")
                        .format(version=version))
    elif end and (end - today).days < GRAPH_VERSION_WARNING_DAYS:
        warnings.append(_("facebook.api_version: {version} stops working on {end}; change it to v25.0 or newer")
                        .format(version=version, end=end.isoformat()))


def _check_instagram(ig: dict[str, Any], problems: list[str]) -> InstagramLocation | None:
    """The instagram section, checked: the account, the place, the pauses and the daily limit; returns the place."""
    if ig["enabled"] and not ig["username"]:
        problems.append(_("instagram.username: missing; expected the account name (or set instagram.enabled: false)"))
    location = _location(ig["location"], problems)
    if not 0 <= ig["pause_min_seconds"] <= ig["pause_max_seconds"]:
        problems.append(_("instagram.pause_min_seconds and pause_max_seconds: expected 0 <= min <= max, got {low} and {high}")
                        .format(low=ig["pause_min_seconds"], high=ig["pause_max_seconds"]))
    _within(problems, "instagram.pause_max_seconds", ig["pause_max_seconds"], 0, 3_600)
    _within(problems, "instagram.daily_limit", ig["daily_limit"], 1, 25)
    _check_backend(ig, problems)
    return location


def _check_backend(ig: dict[str, Any], problems: list[str]) -> None:
    """instagram.backend and, for the official API, its account ID and photo host (docs/instagram-graph.md)."""
    if ig["backend"] not in INSTAGRAM_BACKENDS:
        problems.append(_("instagram.backend: expected instagrapi or graph, got {value!r}").format(value=ig["backend"]))
    if ig["photo_host"] not in PHOTO_HOSTS:
        problems.append(_("instagram.photo_host: expected site or page, got {value!r}").format(value=ig["photo_host"]))
    user_id = None if ig["user_id"] is None else str(ig["user_id"]).strip()
    if user_id is not None and not user_id.isdigit():
        problems.append(_("instagram.user_id: expected the account's numeric ID (`sokasi-post doctor` finds it), got "
                          "{value!r}").format(value=user_id))


def _location(place: dict[str, Any], problems: list[str]) -> InstagramLocation | None:
    """instagram.location as the place to tag (None when not set); coordinates or an ID without a name are a problem."""
    if place["name"]:
        places_id = None if place["facebook_places_id"] is None else str(place["facebook_places_id"])
        return InstagramLocation(place["name"], place["lat"], place["lng"], places_id)
    if any(place[key] is not None for key in ("lat", "lng", "facebook_places_id")):
        problems.append(_("instagram.location.name: missing; a location needs a name, e.g. Tigawasa, Buleleng"))
    return None


def _instagram_settings(ig: dict[str, Any], location: InstagramLocation | None, base: Path, state_dir: Path) -> InstagramSettings:
    """The checked instagram section as InstagramSettings; the session is kept in the state folder unless placed."""
    return InstagramSettings(
        enabled=ig["enabled"],
        username=ig["username"],
        password_env=ig["password_env"],
        session_file=_resolve(base, ig["session_file"]) if ig["session_file"] else state_dir / "instagram-session.json",
        location=location,
        pause_seconds=(ig["pause_min_seconds"], ig["pause_max_seconds"]),
        daily_limit=ig["daily_limit"],
        backend=ig["backend"],
        user_id=None if ig["user_id"] is None else str(ig["user_id"]).strip(),
        token_env=ig["token_env"],
        photo_host=ig["photo_host"],
    )


def _whatsapp_number(contact: dict[str, Any], problems: list[str]) -> str | None:
    """contact.whatsapp as text (YAML reads a bare number as one); too few or too many digits is a problem."""
    whatsapp = None if contact["whatsapp"] is None else str(contact["whatsapp"]).strip()
    if whatsapp is not None and not _PHONE_DIGITS[0] <= len(whatsapp_digits(whatsapp)) <= _PHONE_DIGITS[1]:
        problems.append(_("contact.whatsapp: expected a phone number with country code, e.g. \"+62 812-3456-7890\", got {value!r}")
                        .format(value=whatsapp))
    return whatsapp


def _schedule_settings(schedule: dict[str, Any], document: YamlDocument, problems: list[str]) -> ScheduleSettings:
    """The schedule section, checked: each slot a time of day (read as typed), max_per_run within 1..25."""
    slots = []
    for number, text in enumerate(schedule["slots"]):
        # Unquoted, 17:00 reaches us as the number 1020 (YAML 1.1 reads it in base 60): the text as typed is used.
        typed = document.written.get(f"schedule.slots[{number}]", text).strip()
        try:
            slots.append(time.fromisoformat(f"0{typed}" if re.fullmatch(r"\d:\d\d", typed) else typed))
        except ValueError:
            problems.append(_("schedule.slots: {value!r} is not a time of day like \"09:00\"").format(value=typed))
    _within(problems, "schedule.max_per_run", schedule["max_per_run"], 1, 25)
    return ScheduleSettings(slots=tuple(sorted(slots)), max_per_run=schedule["max_per_run"])


# A git branch name: letters, digits and . _ / - (git refuses "..", a leading "-" and more; these cover the usual names).
_BRANCH = re.compile(r"^(?!-)(?!.*\.\.)[A-Za-z0-9._/-]{1,100}$")
DEFAULT_SITE_NAME = "Sokasi Tigawasa"


def site_or_default(settings: Settings) -> SiteSettings:
    """settings.site, or what `sokasi-post site` uses when config.yaml has no `site:` section: no address, every
    maker, the folder site/ beside config.yaml (what the section's own defaults give)."""
    return settings.site or SiteSettings(base_url=None, name=settings.contact.name or DEFAULT_SITE_NAME, about="",
                                         makers=(), out_dir=_resolve(settings.config_path.parent, "site"),
                                         git_remote=None)


def _holds_secret(remote: str) -> bool:
    """True when a git address carries a password (ssh://user:secret@…), or a name over http(s) (GitHub tokens travel
    as either there); `git@github.com:…` and ssh://git@… name only the server's account."""
    try:
        parts = urlsplit(remote)
        return bool(parts.password) or (parts.scheme.lower() in ("http", "https") and bool(parts.username))
    except ValueError:
        return False


def _local_or_address(base: Path, remote: str | None) -> str | None:
    """A git remote as git should get it: an address (https://…, ssh://…, git@host:path) as written, a folder made
    absolute from config.yaml's folder (so the command works from any folder, cron's included)."""
    if remote is None or "://" in remote or re.match(r"^[^/\\]+:", remote):
        return remote
    return str(_resolve(base, remote))


def _site_settings(site: dict[str, Any], contact_name: str | None, base: Path, problems: list[str],
                   warnings: list[str]) -> SiteSettings:
    """The site section, checked: the address buyers open, the makers shown, and where `site --publish` pushes."""
    base_url = (site["base_url"] or "").strip() or None
    if base_url is None:
        warnings.append(_("site.base_url: not set; link previews in WhatsApp and Facebook, the sitemap and the "
                          "catalogue feed need the site's address (e.g. https://tigawasa.github.io/sokasi/)"))
    elif not re.match(r"^https?://[^\s/?#]+(/[^\s?#]*)?$", base_url):
        problems.append(_("site.base_url: expected the site's address, like https://tigawasa.github.io/sokasi/, "
                          "got {value!r}").format(value=base_url))
    elif base_url.startswith("http://") and urlsplit(base_url).hostname not in LOOPBACK_HOSTS:
        warnings.append(_("site.base_url: starts with http://; WhatsApp and Facebook show link previews only for "
                          "https:// addresses"))
    remote = (site["git_remote"] or "").strip() or None
    if remote and _holds_secret(remote):  # https://token@host/... or user:token@: a secret in a file people share
        problems.append(_("site.git_remote: holds a password or token; remove it from the file and change it, then "
                          "use an SSH address (git@github.com:...) or git's own credential store"))
    if not _BRANCH.match(site["git_branch"]):
        problems.append(_("site.git_branch: expected a branch name like gh-pages, got {value!r}").format(
            value=site["git_branch"]))
    return SiteSettings(
        base_url=base_url if base_url is None or base_url.endswith("/") else base_url + "/",
        name=(site["name"] or "").strip() or contact_name or DEFAULT_SITE_NAME,
        about=(site["about"] or "").strip(),
        makers=check_text_list(site["makers"], "site.makers", problems),
        out_dir=_resolve(base, site["out"]),
        git_remote=_local_or_address(base, remote),
        git_branch=site["git_branch"],
    )


def _caption_settings(captions: dict[str, Any], problems: list[str]) -> CaptionSettings:
    """The captions section, checked: each platform's template, then the hashtags (one list, or one per platform)."""
    templates = {name: captions[name] for name in platform_names() if name in captions}
    for platform, template in templates.items():
        problems.extend(f"captions.{platform}: {p}" for p in template_problems(template))
    hashtags, hashtags_by_platform = hashtag_lists(captions["hashtags"], "captions.hashtags", problems)
    return CaptionSettings(templates=templates, hashtags=hashtags, hashtags_by_platform=hashtags_by_platform)


def _sample_form(key: str, value: Any) -> str:
    """A config value in the form it is compared with the starter's sample (number digits only, names in lowercase)."""
    text = str(value).strip()
    if key == "contact.whatsapp":
        return whatsapp_digits(text)
    return text.removeprefix("@").lower()


@functools.cache
def starter_samples() -> dict[str, frozenset[str]]:
    """SAMPLE_KEYS -> the values the starter config.yaml of every language holds there, read from the starter files."""
    samples: dict[str, set[str]] = {key: set() for key in SAMPLE_KEYS}
    for code in LANGUAGES:
        values = parse_yaml((STARTER / code / CONFIG_NAME).read_text(encoding="utf-8")).values
        for key in SAMPLE_KEYS:
            section, name = key.split(".")
            value = values.get(section, {}).get(name)
            if value is not None:
                samples[key].add(_sample_form(key, value))
    return {key: frozenset(found) for key, found in samples.items()}


def _unfinished(path: Path, document: YamlDocument, values: dict[str, str | None]) -> tuple[Problem, ...]:
    """A problem for each value (None: not used) still equal to the starter config's sample."""
    advice = {
        "facebook.page_id": (_("line {line}: facebook.page_id is still the example value from `sokasi-post init`; put "
                               "your Page's ID (on Facebook: your Page > About > Page transparency)"), "facebook"),
        "instagram.username": (_("line {line}: instagram.username is still the example value from `sokasi-post init`; "
                                 "put your Instagram account name, without @, as your profile shows it"), "instagram"),
        "contact.whatsapp": (_("line {line}: contact.whatsapp is still the example value from `sokasi-post init`; put the "
                               "WhatsApp number buyers should message, with the country code (+62 in Indonesia)"), None),
    }
    samples = starter_samples()
    found = []
    for key, value in values.items():
        if value is not None and _sample_form(key, value) in samples[key]:
            message, platform = advice[key]
            found.append(Problem(path, message.format(line=document.lines.get(key, "?")), platform=platform))
    return tuple(found)
