"""The Instagram place posts are tagged with: fixed in config.yaml, or found once by `doctor` and saved here.

With coordinates and no place id, instagrapi would ask Instagram for venues near them at posting time and
take whichever comes first (docs/platforms.md I6). So posting only ever uses a fixed id: the config's
`instagram.location.facebook_places_id`, else the place `doctor` found and saved in the state folder, which
the coordinator then confirms in config.yaml. No instagrapi here, so that `check` can report it quickly.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sokasi_post.config import InstagramLocation, Settings
from sokasi_post.i18n import _

log = logging.getLogger(__name__)

FILE_NAME = "instagram-place.json"

# What `location_state` answers.
FIXED = "fixed"  # config.yaml gives the place id
SAVED = "saved"  # `doctor` found a place id for the configured location; not yet written in config.yaml
UNRESOLVED = "unresolved"  # a location is configured, but no place id is known: posts go without one


@dataclass(frozen=True)
class SavedPlace:
    """A place Instagram knows, found for the configured location (`wanted`) by `doctor`."""

    name: str
    place_id: str
    lat: float | None
    lng: float | None
    resolved_at: datetime
    wanted: InstagramLocation  # the configured location it was found for; a changed config makes it stale


def place_file(settings: Settings) -> Path:
    """Where the place found by `doctor` is kept."""
    return settings.state_dir / FILE_NAME


def _same_location(a: InstagramLocation, b: InstagramLocation) -> bool:
    return (a.name, a.lat, a.lng) == (b.name, b.lat, b.lng)


def load_place(settings: Settings) -> SavedPlace | None:
    """The saved place, when it was found for the location config.yaml names now; None otherwise."""
    wanted = settings.instagram.location
    path = place_file(settings)
    if wanted is None or not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        found_for = data["for"]
        place = SavedPlace(
            name=str(data["name"]), place_id=str(data["place_id"]), lat=data.get("lat"), lng=data.get("lng"),
            resolved_at=datetime.fromisoformat(data["resolved_at"]),
            wanted=InstagramLocation(found_for["name"], found_for.get("lat"), found_for.get("lng"), None))
    except (OSError, ValueError, KeyError, TypeError) as error:
        log.warning("ignoring %s: %s", path, type(error).__name__)
        return None
    if not place.place_id.isdigit() or not _same_location(place.wanted, wanted):
        return None
    return place


def save_place(settings: Settings, place: SavedPlace) -> None:
    """Keep the place found by `doctor` (written whole, then renamed: never half a file)."""
    path = place_file(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"name": place.name, "place_id": place.place_id, "lat": place.lat, "lng": place.lng,
            "resolved_at": place.resolved_at.astimezone(UTC).isoformat(timespec="seconds"),
            "for": {"name": place.wanted.name, "lat": place.wanted.lat, "lng": place.wanted.lng}}
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    temporary.replace(path)


def location_state(settings: Settings) -> str | None:
    """FIXED, SAVED or UNRESOLVED for the configured Instagram location; None when none is configured."""
    location = settings.instagram.location
    if location is None:
        return None
    if location.facebook_places_id:
        return FIXED
    return SAVED if load_place(settings) else UNRESOLVED


def confirm_line(place_id: str) -> str:
    """The line that fixes a place in config.yaml, under instagram.location."""
    return f"facebook_places_id: {place_id}"


def location_lines(settings: Settings) -> list[str]:
    """What `check` says about the Instagram location, in the user's language; nothing when none is configured."""
    location = settings.instagram.location
    if location is None:
        return []
    if location.facebook_places_id:
        return [_("Instagram location: {name}, place id {id} (fixed in config.yaml)").format(
            name=location.name, id=location.facebook_places_id)]
    place = load_place(settings)
    if place is not None:
        return [_("Instagram location: {name} was found as \"{place}\", place id {id}, and posts are tagged with it; if that "
                  "is right, add `{line}` under instagram.location in config.yaml").format(
            name=location.name, place=place.name, id=place.place_id, line=confirm_line(place.place_id))]
    return [_("Instagram location: {name} has no place id yet, so posts go without a location; run `sokasi-post doctor` "
              "to look it up").format(name=location.name)]
