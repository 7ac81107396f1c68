"""One table per platform: what each platform accepts and how it is named, read by every module that needs it.

Adding a platform (or a second way of posting to one) means one publisher module in publishers/, one entry
here, and a fake to test it against. The facts are sourced in docs/platforms.md.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PlatformRules:
    """What one platform accepts, and its names; frozen, so nothing changes a platform's facts at run time."""

    name: str  # as written in config.yaml, post.yaml, the ledger and `status --json`
    label: str  # as shown to people
    short: str  # in the WhatsApp report
    caption_characters: int
    hashtags: int | None = None  # at most this many #tags in a caption (None: no limit that matters)
    mentions: int | None = None  # at most this many @mentions
    photos_per_post: int = 10
    min_ratio: float | None = None  # width / height the feed shows uncropped (None: any shape)
    max_ratio: float | None = None
    links_clickable: bool = True  # a web address in a caption can be tapped
    native_schedule: bool = False  # the platform can hold a post and publish it at a later time itself
    daily_limit: int | None = None  # default cap on posts a day, to stay clear of anti-abuse systems
    photo_width: int = 1080  # output width of a fixed-ratio photo (config's media section may choose another)
    photo_max_side: int = 2048  # longest side of a photo kept in its own shape (likewise)
    # The module that posts there: a name under sokasi_post.publishers, or a full module path. Besides the two
    # built in, such a module has `make_publisher(settings, sleep) -> Publisher`.
    publisher: str = ""


RULES: dict[str, PlatformRules] = {
    # docs/platforms.md F2 (photos per post, scheduling) and the Page post text limit.
    "facebook": PlatformRules(
        name="facebook", label="Facebook", short="FB", caption_characters=63_206, photos_per_post=10,
        native_schedule=True, publisher="facebook"),
    # docs/platforms.md I1 (5 hashtags since December 2025, 2,200 characters, 20 mentions; over the limit the
    # caption is dropped silently), I7 (4:5 to 1.91:1, 10 photos a carousel), I2 (a few posts a day).
    "instagram": PlatformRules(
        name="instagram", label="Instagram", short="IG", caption_characters=2_200, hashtags=5, mentions=20,
        photos_per_post=10, min_ratio=4 / 5, max_ratio=1.91, links_clickable=False, daily_limit=5,
        publisher="instagram"),
}


def rules_for(platform: str) -> PlatformRules:
    """The rules of a known platform (KeyError for an unknown name: a bug, never user input, which is checked first)."""
    return RULES[platform]


def label_of(platform: str) -> str:
    """A platform's name as shown to people; a name no longer known (an old ledger row) capitalised."""
    return RULES[platform].label if platform in RULES else platform.capitalize()


def short_name(platform: str) -> str:
    """A platform's short name in the report; a name no longer known (an old ledger row) as it is."""
    return RULES[platform].short if platform in RULES else platform


def platform_names() -> tuple[str, ...]:
    """Every known platform, in the order posts are made and shown."""
    return tuple(RULES)


def register(rules: PlatformRules) -> None:
    """Add (or replace) a platform's rules: the one step besides its publisher module and its fake."""
    RULES[rules.name] = rules
