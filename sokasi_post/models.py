"""Plain values passed between the modules: what a product is, and what would be posted."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path

# The platforms the tool posts to, in the order it posts and shows them.
PLATFORMS = ("facebook", "instagram")


@dataclass(frozen=True)
class Problem:
    """Something wrong with one file, said so the user knows what to fix."""

    path: Path
    message: str
    warning: bool = False
    slug: str | None = None
    platform: str | None = None  # the one platform it concerns ("facebook", "instagram"); None: every platform


@dataclass(frozen=True)
class Product:
    """One product folder: a post.yaml and its photos, validated."""

    slug: str
    folder: Path
    title: str
    caption: str
    photos: tuple[Path, ...]
    platforms: tuple[str, ...]
    price: int | None = None
    maker: str | None = None
    hashtags: tuple[str, ...] = ()  # on every platform
    hashtags_by_platform: dict[str, tuple[str, ...]] = field(default_factory=dict, hash=False)  # added on that one only
    publish_at: datetime | None = None
    alt: dict[str, str] = field(default_factory=dict, hash=False)
    status: str = "ready"
    fit: str | None = None
    maker_instagram: str | None = None
    focus: dict[str, tuple[float, float]] = field(default_factory=dict, hash=False)

    @property
    def is_draft(self) -> bool:
        """True when the product must not be published yet."""
        return self.status == "draft"

    @property
    def is_sold(self) -> bool:
        """True when the product is sold: it keeps its page on the site and is never published again."""
        return self.status == "sold"


@dataclass(frozen=True)
class PreparedPhoto:
    """One photo made ready for one platform: a JPEG in the cache, never the original file."""

    source: Path
    path: Path
    width: int
    height: int
    size: int
    kept: float = 1.0  # share of the original photo's area still visible (Instagram's crop)
    source_digest: str = ""  # sha256 of the original photo's bytes


class Hindrance(StrEnum):
    """What kind of problem stops a planned post."""

    CAPTION = "caption"  # the caption breaks a platform's limit
    PHOTO = "photo"  # a photo cannot be prepared (the plan's photo problems name it with its file too)
    PHOTO_COUNT = "photo count"  # more photos than the platform takes in one post


@dataclass(frozen=True)
class PostProblem:
    """Something that stops one planned post: its kind, and what to fix, in words."""

    kind: Hindrance
    message: str


@dataclass(frozen=True)
class PlannedPost:
    """What publishing one product on one platform would send, and what would stop it."""

    product: Product
    platform: str
    caption: str
    photos: tuple[Path, ...]
    problems: tuple[PostProblem, ...] = ()
    prepared: tuple[PreparedPhoto, ...] = ()
    warnings: tuple[str, ...] = ()  # worth a look, but not blocking: a deep crop, a caption near its limit, no price

    @property
    def blocked(self) -> bool:
        """True when this post cannot be sent as it is."""
        return bool(self.problems)


@dataclass(frozen=True)
class Receipt:
    """What a platform gave back for a post: its id, its address, and when."""

    platform: str
    remote_id: str
    permalink: str | None
    at: datetime
    scheduled_for: datetime | None = None
    # The post exists but is not as sent (e.g. Instagram dropped the caption): shown to the coordinator, never resent.
    problem: str | None = None
    via: str = ""  # which way it was made where a platform has two (Instagram: "graph" or "instagrapi")


@dataclass(frozen=True)
class Comment:
    """A comment (or a reply) on one of our posts, as the platform gives it."""

    platform: str
    remote_id: str  # the comment's id on the platform
    post_id: str  # the remote id of our post it is on (the ledger's remote_id)
    author: str  # the name the platform gives ("" when it gives none); shown by first name only
    text: str
    created_at: datetime  # aware, UTC
    parent_id: str | None = None  # set when it is a reply to another comment
    ours: bool = False  # written by the Page or the account itself (our replies)


@dataclass(frozen=True)
class Counts:
    """The attention one post has at one moment; None where the platform gives no such count."""

    platform: str
    post_id: str
    at: datetime
    reactions: int | None = None  # Facebook's reactions (Instagram's likes go in `likes`)
    comments: int | None = None
    shares: int | None = None
    likes: int | None = None


@dataclass(frozen=True)
class Cooldown:
    """A platform account resting after an anti-abuse answer: nothing is sent to it before `not_before`."""

    platform: str
    account: str
    kind: str  # errors.SLOW_DOWN, BLOCKED or CHALLENGE
    strikes: int  # anti-abuse answers since the last successful post
    since: datetime
    not_before: datetime | None  # None: until the next successful login
    reason: str

    def active(self, now: datetime) -> bool:
        """True while nothing may be sent."""
        return self.not_before is None or now < self.not_before
