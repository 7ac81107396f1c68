"""Where Meta fetches a post's photos from, for Instagram's official API (docs/platforms.md G1, G6).

Meta does not take the photo's bytes: it fetches each one from a public address (`image_url`). A photo host gives
each prepared photo such an address and makes sure, before any container is made, that the address answers with the
photo, so that a post whose photos are not online is held back with a clear sentence and nothing is sent.

- `SitePhotoHost` (the default, `instagram.photo_host: site`): the shop-window site carries each prepared Instagram
  JPEG at `site.base_url` + media.public_photo_name (named by its content). Checked: HTTP 200 and exactly our bytes.
- `PagePhotoHost` (EXPERIMENTAL, `instagram.photo_host: page`): the photo is uploaded unpublished to the Facebook Page
  and its largest CDN copy is used. Not a documented Meta feature (docs/platforms.md G6); Facebook re-encodes the
  photo, so only HTTP 200 and image/jpeg are checked.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import requests

from sokasi_post.config import Settings
from sokasi_post.errors import HeldBackError
from sokasi_post.i18n import _
from sokasi_post.media import public_photo_name
from sokasi_post.models import PreparedPhoto
from sokasi_post.publishers import CONNECT_TIMEOUT, redact, with_retries
from sokasi_post.publishers.graphapi import GraphSession

log = logging.getLogger(__name__)

# A photo is a few hundred kB; a site on a slow link still sends one well within this (seconds: connect, read).
FETCH_TIMEOUT = (CONNECT_TIMEOUT, 30)
LARGEST_PHOTO = 8 * 1024 * 1024  # Meta takes at most 8 MiB (docs/platforms.md G4, 36000); more is not our photo
# A site just pushed takes a moment to appear (GitHub Pages: usually under a minute): look again after these pauses.
LOOK_AGAIN_AFTER = (10.0, 20.0, 30.0)
PUBLISH_SITE = "`sokasi-post site --publish`"


@dataclass(frozen=True)
class Missing:
    """A photo that is not online as it should be: its file name, its address, and what was wrong, in plain words."""

    name: str
    url: str
    reason: str


class PhotoHost(Protocol):
    """Gives each prepared photo a public address Meta can fetch, checked before anything is sent."""

    def check(self, photos: tuple[PreparedPhoto, ...]) -> list[str]:
        """The photos' public addresses, in order, each checked; HeldBackError (nothing sent) when one is not there."""

    def probe(self) -> tuple[bool | None, str]:
        """For doctor: one photo address fetched from outside, as Meta will fetch it (a finding)."""


def make_photo_host(settings: Settings, graph: GraphSession, sleep: Callable[[float], None]) -> PhotoHost:
    """The photo host config.yaml chooses (instagram.photo_host): the site, or the experimental Page host."""
    if settings.instagram.photo_host == "page":
        return PagePhotoHost(settings, graph, sleep)
    return SitePhotoHost(settings, sleep)


class SitePhotoHost:
    """The shop-window site as photo host: each prepared photo at site.base_url + media.public_photo_name."""

    def __init__(self, settings: Settings, sleep: Callable[[float], None]):
        self.base_url = settings.site.base_url if settings.site else None
        self.folder = settings.site.out_dir if settings.site else None
        self.sleep = sleep
        self._waited = False  # the site is waited for once per run, not once per post

    def url(self, photo: PreparedPhoto) -> str:
        """Where the site carries this prepared photo."""
        return f"{self.base_url}{public_photo_name(photo.path)}"

    def check(self, photos: tuple[PreparedPhoto, ...]) -> list[str]:
        """Fetch each photo's address as Meta will: HTTP 200 and exactly the prepared bytes, else held back.

        A site pushed a moment ago may not show the new photos yet, so the first time in a run the look is repeated
        a few times over about a minute before the post is held back.
        """
        if not self.base_url:
            raise HeldBackError(_("Instagram fetches the photos from the shop-window site, but config.yaml has no "
                                  "site.base_url: set it to the address the site is published at, then {command}")
                                .format(command=PUBLISH_SITE))
        with _session() as session:
            missing = self._missing(session, photos)
            pauses = () if self._waited else LOOK_AGAIN_AFTER
            for pause in pauses:
                if not missing:
                    break
                self._waited = True
                log.info("%d photo(s) not online yet at %s; looking again in %.0f s", len(missing), self.base_url, pause)
                self.sleep(pause)
                missing = self._missing(session, photos)
        if missing:
            first = missing[0]
            raise HeldBackError(_(
                "{count} of the {total} photos of this post are not online yet ({name} at {url}: {reason}), and Instagram "
                "fetches them from the site: publish the site first: {command}, then wait a minute for it to appear "
                "online. Nothing was sent").format(count=len(missing), total=len(photos), name=first.name, url=first.url,
                                                   reason=first.reason, command=PUBLISH_SITE))
        return [self.url(photo) for photo in photos]

    def probe(self) -> tuple[bool | None, str]:
        """The site's first Instagram photo, fetched from its public address and compared with the built file."""
        if not self.base_url or self.folder is None:
            return False, _("photo host: config.yaml has no site.base_url, so Instagram cannot fetch the photos")
        built = sorted((self.folder / "ig").glob("*.jpg")) if (self.folder / "ig").is_dir() else []
        if not built:
            return None, _("photo host: no Instagram photo is on the site yet; `sokasi-post site` puts them there, "
                           "{command} puts them online").format(command=PUBLISH_SITE)
        path = built[0]
        url = f"{self.base_url}ig/{path.name}"
        with _session() as session:
            reason = _fetch(session, url, hashlib.sha256(path.read_bytes()).hexdigest())
        if reason is None:
            return True, _("photo host: {url} answers with the photo, as Meta will fetch it").format(url=url)
        return False, _("photo host: {url} {reason}; publish the site: {command}").format(
            url=url, reason=reason, command=PUBLISH_SITE)

    def _missing(self, session: requests.Session, photos: tuple[PreparedPhoto, ...]) -> list[Missing]:
        found = []
        for photo in photos:
            url = self.url(photo)
            reason = _fetch(session, url, hashlib.sha256(photo.path.read_bytes()).hexdigest())
            if reason is not None:
                found.append(Missing(photo.source.name, url, reason))
        return found


class PagePhotoHost:
    """EXPERIMENTAL, off by default: the photo uploaded unpublished to the Facebook Page, its CDN copy given to Meta.

    Not a documented Meta feature (docs/platforms.md G6): nothing promises that the CDN address is public, lasts, or is
    accepted. The unpublished photos stay on the Page, invisible (docs/platforms.md F2).
    """

    def __init__(self, settings: Settings, graph: GraphSession, sleep: Callable[[float], None]):
        self.page_id = settings.facebook.page_id
        self.graph = graph
        self.sleep = sleep

    def check(self, photos: tuple[PreparedPhoto, ...]) -> list[str]:
        """Upload each photo unpublished (invisible: creates nothing public), read its largest copy, fetch it."""
        urls = []
        with _session() as session:
            for photo in photos:
                url = self._upload(photo.path)
                reason = _fetch(session, url, None)
                if reason is not None:
                    raise HeldBackError(_(
                        "the Facebook Page copy of {name} ({url}) {reason}, so Instagram could not fetch it (the Page as "
                        "photo host is experimental: set instagram.photo_host: site to use the shop-window site). "
                        "Nothing was sent").format(name=photo.source.name, url=redact(url, self.graph.secrets),
                                                   reason=reason))
                urls.append(url)
        return urls

    def probe(self) -> tuple[bool | None, str]:
        """Nothing to fetch before a post: the Page copies are made while posting."""
        return None, _("photo host: the Facebook Page (experimental, not a documented Meta feature); each photo is "
                       "uploaded there, unpublished, while posting")

    def _upload(self, path: Path) -> str:
        def upload() -> dict:
            with path.open("rb") as image:
                return self.graph.put_photo(image, album_path=f"{self.page_id}/photos", published="false")

        # Unpublished photos are invisible: sending one again after a lost reply cannot make a post.
        photo = with_retries(lambda: self.graph.request(upload, creates=False), self.sleep)
        node = with_retries(lambda: self.graph.request(lambda: self.graph.get(str(photo["id"]), fields="images"),
                                                       creates=False), self.sleep)
        images = [image for image in node.get("images") or [] if isinstance(image, dict) and image.get("source")]
        if not images:
            raise HeldBackError(_("Facebook gave no address for the Page copy of the photo (the Page as photo host is "
                                  "experimental: set instagram.photo_host: site to use the shop-window site). Nothing was "
                                  "sent"))
        largest = max(images, key=lambda image: int(image.get("width") or 0) * int(image.get("height") or 0))
        return str(largest["source"])


def _session() -> requests.Session:
    """A plain HTTP session, as Meta's fetcher is: the proxy settings of the environment, but no credentials of any
    kind (not the token, not a .netrc entry for the site) and no retries below us (requests' default)."""
    session = requests.Session()
    session.auth = _no_credentials  # set, so requests does not look up .netrc for the site's host
    return session


def _no_credentials(request: requests.PreparedRequest) -> requests.PreparedRequest:
    return request


def _fetch(session: requests.Session, url: str, sha256: str | None) -> str | None:
    """What is wrong with `url` as Meta would fetch it, in a few plain words; None when it answers 200 with image/jpeg
    (and, when `sha256` is given, exactly those bytes). No token or cookie is ever sent; no retry below us."""
    try:
        with session.get(url, timeout=FETCH_TIMEOUT, stream=True, allow_redirects=True) as reply:
            if reply.status_code == 404:
                return _("is not there (HTTP 404)")
            if reply.status_code != 200:
                return _("answers HTTP {status}").format(status=reply.status_code)
            kind = reply.headers.get("Content-Type", "").split(";")[0].strip().lower()
            if kind != "image/jpeg":  # Meta takes JPEG only, by its type too (docs/platforms.md G4, 36001)
                return _("answers {kind} instead of a JPEG photo").format(kind=kind or _("an unnamed type"))
            data = reply.raw.read(LARGEST_PHOTO + 1, decode_content=True)
    except requests.exceptions.Timeout:
        return _("did not answer in time")
    except (requests.exceptions.RequestException, OSError):
        return _("could not be reached")
    if sha256 is not None and hashlib.sha256(data).hexdigest() != sha256:
        return _("answers with other bytes than the prepared photo (an older site?)")
    return None
