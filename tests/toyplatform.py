"""A toy third platform for the tests: its publisher module and its fake, nothing else.

Adding a platform means a publisher module, one entry in sokasi_post/platforms.py's table, and a fake; this
is all three for a made-up platform, so tests can show that nothing else in the tool needs to know of it.
The fake refuses what its rules refuse (too long a caption, too many photos, a photo of the wrong shape).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from PIL import Image

from sokasi_post.errors import RejectedError
from sokasi_post.models import PlannedPost, Receipt
from sokasi_post.platforms import PlatformRules

RULES = PlatformRules(name="toy", label="ToyNet", short="TY", caption_characters=300, hashtags=3, photos_per_post=4,
                      min_ratio=1.0, max_ratio=1.0, links_clickable=False, photo_width=600, publisher="tests.toyplatform")


@dataclass
class ToyServer:
    """What the toy platform holds: the posts it accepted."""

    posts: list[dict[str, Any]] = field(default_factory=list)

    def accept(self, caption: str, photos: list[bytes]) -> str:
        if len(caption) > RULES.caption_characters:
            raise RejectedError(f"caption of {len(caption)} characters")
        if not 1 <= len(photos) <= RULES.photos_per_post:
            raise RejectedError(f"{len(photos)} photos")
        self.posts.append({"caption": caption, "photos": photos})
        return f"toy-{len(self.posts)}"


SERVER = ToyServer()


class ToyPublisher:
    """Posts to the toy server: the whole publisher module of a platform, as small as one can be."""

    platform = "toy"

    def check(self) -> str:
        return "toy account"

    def publish(self, post: PlannedPost, resume: dict[str, Any], checkpoint: Callable[[dict[str, Any]], None]) -> Receipt:
        photos = []
        for prepared in post.prepared:
            with Image.open(prepared.path) as image:
                if image.width != image.height:  # the platform takes square photos only
                    raise RejectedError(f"a {image.width} x {image.height} photo")
            photos.append(prepared.path.read_bytes())
        remote = SERVER.accept(post.caption, photos)
        return Receipt("toy", remote, f"https://toy.example/{remote}", datetime.now(UTC))

    def diagnose(self) -> list[tuple[bool | None, str]]:
        return []

    def find(self, post: PlannedPost, since: datetime) -> Receipt | None:
        return None


def make_publisher(settings: Any, sleep: Callable[[float], None]) -> ToyPublisher:
    return ToyPublisher()
