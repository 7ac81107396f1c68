"""Instagram through Meta's official API: the real facebook-sdk against tests/fakegraph.py, photos from tests/fakesite.py.

The fake refuses what Meta refuses (docs/platforms.md G1-G6): it fetches each image_url itself, moves containers
through their status on its clock, expires them after 24 hours, drops a caption with more than 5 hashtags, and
enforces the 24-hour publishing limit.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from sokasi_post import publishing
from sokasi_post.catalog import load_catalog
from sokasi_post.config import Settings, load_settings
from sokasi_post.errors import (
    BLOCKED,
    AuthError,
    HeldBackError,
    RejectedError,
    ThrottledError,
    TransientError,
    UnknownOutcomeError,
)
from sokasi_post.media import public_photo_name
from sokasi_post.models import PlannedPost
from sokasi_post.publishers import build
from sokasi_post.publishers.instagram_graph import InstagramGraphPublisher, make_graph_publisher
from tests.conftest import jpeg_bytes
from tests.fakegraph import PAGE_SCOPES, FakeGraph
from tests.fakesite import FakeSite

APP_SECRET = "canary-app-secret-9a8b7c6d5e4f"
TAGGED = "made.budiasa"
ALT = {"1-depan.jpg": "Sokasi bundar dari depan, anyaman hitam dan kuning",
       "2-atas.jpg": "Tutup sokasi dilihat dari atas",
       "3-samping.jpg": "Sokasi dari samping"}


class Clock:
    """The fake's clock, moved by the publisher's pauses: a wait costs no real time."""

    def __init__(self):
        self.now = time.time()
        self.pauses: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.now += seconds


class Saved(dict):
    """What the publisher saves through its checkpoint, merged as the flow's ledger keeps it."""

    def __call__(self, update: dict) -> None:
        self.update(json.loads(json.dumps(update)))  # as stored: JSON, never a live reference


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def graph(clock):
    with FakeGraph(ig_scopes=True) as fake:
        fake.clock = clock
        fake.app_secret = APP_SECRET
        yield fake
        assert fake.crashes == []


@pytest.fixture
def site(tmp_path: Path):
    with FakeSite(tmp_path / "site") as fake:
        yield fake


@pytest.fixture(autouse=True)
def no_app_credentials(monkeypatch):
    for name in ("FACEBOOK_APP_ID", "FACEBOOK_APP_SECRET", "FACEBOOK_PAGE_TOKEN", "IG_PAGE_TOKEN"):
        monkeypatch.delenv(name, raising=False)


def configure(project, graph: FakeGraph, site: FakeSite, instagram: str = "", user_id: bool = True) -> Settings:
    text = project.config.read_text().replace("facebook:\n", f"facebook:\n  graph_url: {graph.url}\n")
    ig = "instagram:\n  backend: graph\n" + (f"  user_id: \"{graph.ig_user_id}\"\n" if user_id else "") + instagram
    text = text.replace("instagram:\n", ig) + f"site:\n  base_url: {site.url}\n  out: {site.folder}\n"
    project.config.write_text(text, encoding="utf-8")
    return load_settings(project.config)


def product(project, slug: str, photos: tuple[str, ...], extra: str = "", caption: str = "Anyaman bambu dari Tigawasa.") -> None:
    alt = "".join(f"  {name}: {ALT[name]}\n" for name in photos if name in ALT)
    project.product(slug, f"title: Sokasi bundar\ncaption: {caption}\nprice: 150000\nplatforms: [instagram]\n"
                          + (f"alt:\n{alt}" if alt and "alt:" not in extra else "") + extra, photos=photos)
    for index, name in enumerate(photos):  # each photo different, so each has its own address on the site
        (project.posts / slug / name).write_bytes(jpeg_bytes(colour=(60 * index, 100, 200 - 50 * index)))


def planned(settings: Settings, slug: str) -> PlannedPost:
    products = tuple(p for p in load_catalog(settings).products if p.slug == slug)
    return next(p for p in publishing.plan(products, settings).posts if p.platform == "instagram")


def put_online(site: FakeSite, post: PlannedPost) -> list[bytes]:
    """Publish the post's prepared photos on the site, as `sokasi-post site --publish` does; their bytes, in order."""
    found = []
    for photo in post.prepared:
        target = site.folder / public_photo_name(photo.path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(photo.path.read_bytes())
        found.append(photo.path.read_bytes())
    return found


def publisher(settings: Settings, graph: FakeGraph, clock: Clock) -> InstagramGraphPublisher:
    made = InstagramGraphPublisher(settings, graph.page_token, sleep=clock.sleep)
    made.now = lambda: datetime.fromtimestamp(clock(), UTC)
    return made


def container_posts(graph: FakeGraph) -> list:
    return graph.calls_to("POST", f"/{graph.ig_user_id}/media")


def with_app(monkeypatch, graph: FakeGraph) -> None:
    monkeypatch.setenv("FACEBOOK_APP_ID", graph.app_id)
    monkeypatch.setenv("FACEBOOK_APP_SECRET", graph.app_secret)


def raw_post(graph: FakeGraph, site: FakeSite, caption: str, data: bytes) -> str:
    """Another post on the account, made straight through the API (as the Instagram app or another tool would)."""
    name = f"other/{len(graph.ig_media)}.jpg"
    (site.folder / name).parent.mkdir(parents=True, exist_ok=True)
    (site.folder / name).write_bytes(data)
    base = f"{graph.url}/v25.0/{graph.ig_user_id}"
    made = requests.post(f"{base}/media", data={"image_url": site.url + name, "caption": caption,
                                                "access_token": graph.page_token}, timeout=10).json()
    return requests.post(f"{base}/media_publish", data={"creation_id": made["id"], "access_token": graph.page_token},
                         timeout=10).json()["id"]


# -- what goes out ------------------------------------------------------------------------------------------------

def test_a_single_photo_goes_out_with_its_bytes_caption_maker_tag_location_and_alt_text(project, graph, site, clock):
    product(project, "sokasi", ("1-depan.jpg",), f"maker_instagram: '@{TAGGED}'\n")
    settings = configure(project, graph, site, "  location: {name: 'Tigawasa, Buleleng', facebook_places_id: '1093'}\n")
    post = planned(settings, "sokasi")
    sent = put_online(site, post)
    saved = Saved()
    receipt = publisher(settings, graph, clock).publish(post, {}, saved)
    [media] = graph.ig_media
    assert media.images == sent and media.caption == post.caption and media.media_type == "IMAGE"
    assert media.user_tags == [[{"username": TAGGED, "x": 0.5, "y": 0.5}]]
    assert media.location_id == "1093" and media.alt_texts == [ALT["1-depan.jpg"]]
    assert receipt.remote_id == media.id and receipt.permalink == media.permalink
    assert receipt.via == "graph" and receipt.problem is None
    assert saved["via"] == "graph" and saved["user_id"] == graph.ig_user_id
    assert [call.path for call in graph.calls if call.method == "POST"] == [
        f"/v25.0/{graph.ig_user_id}/media", f"/v25.0/{graph.ig_user_id}/media_publish"]


def test_a_carousel_of_three_keeps_the_order_and_tags_and_describes_each_photo(project, graph, site, clock):
    product(project, "sokasi", ("1-depan.jpg", "2-atas.jpg", "3-samping.jpg"), f"maker_instagram: {TAGGED}\n")
    settings = configure(project, graph, site, "  location: {name: Tigawasa, facebook_places_id: '1093'}\n")
    post = planned(settings, "sokasi")
    sent = put_online(site, post)
    assert len(set(sent)) == 3
    receipt = publisher(settings, graph, clock).publish(post, {}, Saved())
    [media] = graph.ig_media
    assert media.media_type == "CAROUSEL_ALBUM" and media.images == sent  # the same bytes, in the same order
    assert media.caption == post.caption and media.location_id == "1093"
    assert media.user_tags == [[{"username": TAGGED, "x": 0.5, "y": 0.5}]] * 3
    assert media.alt_texts == [ALT["1-depan.jpg"], ALT["2-atas.jpg"], ALT["3-samping.jpg"]]
    items = [call.form for call in container_posts(graph)][:3]
    assert all(form["is_carousel_item"] == "true" and "caption" not in form for form in items)
    assert receipt.remote_id == media.id and receipt.problem is None


def test_alt_text_refused_costs_only_the_alt_text_and_the_receipt_says_so(project, graph, site, clock, caplog):
    product(project, "sokasi", ("1-depan.jpg", "2-atas.jpg"))
    settings = configure(project, graph, site)
    graph.ig_alt_text_supported = False
    post = planned(settings, "sokasi")
    put_online(site, post)
    with caplog.at_level(logging.WARNING):
        receipt = publisher(settings, graph, clock).publish(post, {}, Saved())
    [media] = graph.ig_media
    assert media.alt_texts == [None, None]
    # Refused once, then not sent again in this run (feature detection): three item requests, one with alt_text.
    assert [("alt_text" in call.form) for call in container_posts(graph)] == [True, False, False, False]
    assert receipt.problem == "posted without alt text on 1-depan.jpg, 2-atas.jpg: Instagram refused it"
    assert "Instagram refused the alt text of 1-depan.jpg" in caplog.text


# -- nothing is sent until the photos are online ------------------------------------------------------------------

def test_a_photo_not_on_the_site_holds_the_post_back_after_a_short_wait_and_creates_nothing(project, graph, site, clock):
    product(project, "sokasi", ("1-depan.jpg", "2-atas.jpg"))
    settings = configure(project, graph, site)
    post = planned(settings, "sokasi")
    put_online(site, post)
    missing = site.folder / public_photo_name(post.prepared[1].path)
    missing.unlink()
    with pytest.raises(HeldBackError) as held:
        publisher(settings, graph, clock).publish(post, {}, Saved())
    said = str(held.value)
    assert "1 of the 2 photos of this post are not online yet (2-atas.jpg at " in said and "HTTP 404" in said
    assert "publish the site first: `sokasi-post site --publish`, then wait a minute for it to appear online" in said
    assert not held.value.whole_platform
    assert container_posts(graph) == [] and graph.ig_media == []
    assert 0 < sum(clock.pauses) <= 60  # looked again a few times, within about a minute


def test_a_photo_that_appears_during_the_wait_lets_the_post_go(project, graph, site, clock):
    product(project, "sokasi", ("1-depan.jpg",))
    settings = configure(project, graph, site)
    post = planned(settings, "sokasi")
    pushed = clock.sleep

    def sleep(seconds: float) -> None:  # the site's push lands while the publisher waits
        pushed(seconds)
        put_online(site, post)

    made = publisher(settings, graph, clock)
    made.host.sleep = sleep
    made.publish(post, {}, Saved())
    assert len(graph.ig_media) == 1 and clock.pauses[0] > 0


def test_a_photo_with_other_bytes_on_the_site_holds_the_post_back(project, graph, site, clock):
    product(project, "sokasi", ("1-depan.jpg",))
    settings = configure(project, graph, site)
    post = planned(settings, "sokasi")
    put_online(site, post)
    (site.folder / public_photo_name(post.prepared[0].path)).write_bytes(b"\xff\xd8\xff an older photo")
    with pytest.raises(HeldBackError) as held:
        publisher(settings, graph, clock).publish(post, {}, Saved())
    assert "other bytes than the prepared photo" in str(held.value)
    assert container_posts(graph) == []


@pytest.mark.parametrize(("switch", "words"), [("down", "could not be reached"), ("wrong_type", "instead of a JPEG")])
def test_a_site_that_is_down_or_serves_the_wrong_type_holds_the_post_back(project, graph, site, clock, switch, words):
    product(project, "sokasi", ("1-depan.jpg",))
    settings = configure(project, graph, site)
    post = planned(settings, "sokasi")
    put_online(site, post)
    setattr(site, switch, True)
    with pytest.raises(HeldBackError) as held:
        publisher(settings, graph, clock).publish(post, {}, Saved())
    assert words in str(held.value) and container_posts(graph) == []


def test_the_site_is_waited_for_once_per_run_not_once_per_post(project, graph, site, clock):
    product(project, "sokasi", ("1-depan.jpg",))
    settings = configure(project, graph, site)
    post = planned(settings, "sokasi")
    made = publisher(settings, graph, clock)
    for _attempt in range(2):
        with pytest.raises(HeldBackError):
            made.publish(post, {}, Saved())
    waited = sum(clock.pauses)
    assert 0 < waited <= 60 and len(site.requests) == 1 + len(clock.pauses) + 1


def test_meta_failing_to_fetch_a_photo_holds_the_post_back(project, graph, site, clock):
    product(project, "sokasi", ("1-depan.jpg",))
    settings = configure(project, graph, site)
    post = planned(settings, "sokasi")
    put_online(site, post)
    graph.fail_next("POST", "/media", 9004, "Only photo or video can be accepted as media type.", subcode=2207052,
                    error_user_msg=f"The media could not be fetched from this uri: {site.url}ig/x.jpg")
    with pytest.raises(HeldBackError) as held:
        publisher(settings, graph, clock).publish(post, {}, Saved())
    assert "Instagram could not fetch a photo of this post" in str(held.value) and graph.ig_media == []


# -- the 24-hour publishing limit ---------------------------------------------------------------------------------

def test_a_full_publishing_limit_holds_back_the_whole_platform_before_anything_is_made(project, graph, site, clock):
    product(project, "sokasi", ("1-depan.jpg",))
    settings = configure(project, graph, site)
    post = planned(settings, "sokasi")
    put_online(site, post)
    graph.ig_quota_total = 1
    raw_post(graph, site, "Sesuatu yang lain", post.prepared[0].path.read_bytes())
    made_before = len(container_posts(graph))
    with pytest.raises(HeldBackError) as held:
        publisher(settings, graph, clock).publish(post, {}, Saved())
    assert held.value.whole_platform
    assert "limit of 1 posts in 24 hours through the official API is reached (1 made)" in str(held.value)
    assert len(container_posts(graph)) == made_before and len(graph.ig_media) == 1
    assert graph.calls_to("GET", "/content_publishing_limit")


# -- containers: waiting, expiry, errors ---------------------------------------------------------------------------

def test_a_container_in_progress_is_waited_for_with_growing_pauses_and_no_real_sleep(project, graph, site, clock):
    product(project, "sokasi", ("1-depan.jpg", "2-atas.jpg"))
    settings = configure(project, graph, site)
    graph.ig_processing_seconds = 5
    post = planned(settings, "sokasi")
    put_online(site, post)
    started = time.monotonic()
    publisher(settings, graph, clock).publish(post, {}, Saved())
    assert time.monotonic() - started < 10 and len(graph.ig_media) == 1
    assert clock.pauses[:3] == [1.0, 2.0, 4.0]  # looked at once, then after growing pauses


def test_a_container_that_stays_in_progress_is_a_passing_fault_and_kept_for_the_next_try(project, graph, site, clock):
    product(project, "sokasi", ("1-depan.jpg",))
    settings = configure(project, graph, site)
    graph.ig_processing_seconds = 3600
    post = planned(settings, "sokasi")
    put_online(site, post)
    saved = Saved()
    with pytest.raises(TransientError):
        publisher(settings, graph, clock).publish(post, {}, saved)
    assert sum(clock.pauses) <= 180 and graph.ig_media == []
    clock.now += 3600
    publisher(settings, graph, clock).publish(post, dict(saved), saved)
    assert len(container_posts(graph)) == 1 and len(graph.ig_media) == 1


def test_saved_containers_older_than_a_day_are_made_again(project, graph, site, clock):
    product(project, "sokasi", ("1-depan.jpg", "2-atas.jpg"))
    settings = configure(project, graph, site)
    post = planned(settings, "sokasi")
    put_online(site, post)
    saved = Saved()
    graph.fail_next("POST", "/media_publish", 2, "An unexpected error has occurred. Please retry your request later.",
                    is_transient=True)
    with pytest.raises(TransientError):
        publisher(settings, graph, clock).publish(post, {}, saved)
    old = dict(saved["containers"])
    clock.now += 25 * 3600  # the next run comes a day later: the containers have expired
    receipt = publisher(settings, graph, clock).publish(post, dict(saved), saved)
    assert len(container_posts(graph)) == 6
    [media] = graph.ig_media
    assert media.id == receipt.remote_id and media.container_id not in old.values()


def test_a_container_that_expired_early_is_made_again(project, graph, site, clock):
    product(project, "sokasi", ("1-depan.jpg",))
    settings = configure(project, graph, site)
    post = planned(settings, "sokasi")
    put_online(site, post)
    saved = Saved()
    graph.fail_next("POST", "/media_publish", 2, "Please retry your request later.", is_transient=True)
    with pytest.raises(TransientError):
        publisher(settings, graph, clock).publish(post, {}, saved)
    clock.now += 24 * 3600 + 1  # Meta's clock says expired...
    saved["created_at"] = datetime.fromtimestamp(clock() - 3600, UTC).isoformat()  # ...while our record says fresh
    publisher(settings, graph, clock).publish(post, dict(saved), saved)
    assert len(container_posts(graph)) == 2 and len(graph.ig_media) == 1


def test_a_container_error_is_met_with_fresh_containers_once(project, graph, site, clock):
    product(project, "sokasi", ("1-depan.jpg",))
    settings = configure(project, graph, site)
    post = planned(settings, "sokasi")
    put_online(site, post)
    graph.ig_fail_processing(1)
    publisher(settings, graph, clock).publish(post, {}, Saved())
    assert len(container_posts(graph)) == 2 and len(graph.ig_media) == 1


def test_a_container_error_twice_is_a_refusal_with_metas_words(project, graph, site, clock):
    product(project, "sokasi", ("1-depan.jpg",))
    settings = configure(project, graph, site)
    post = planned(settings, "sokasi")
    put_online(site, post)
    graph.ig_fail_processing(2)
    with pytest.raises(RejectedError) as refused:
        publisher(settings, graph, clock).publish(post, {}, Saved())
    assert "Media upload has failed with error code 2207001" in str(refused.value) and graph.ig_media == []


# -- exactly once ---------------------------------------------------------------------------------------------------

def test_a_lost_reply_to_media_publish_is_a_doubt_and_find_then_finds_the_post(project, graph, site, clock):
    product(project, "sokasi", ("1-depan.jpg",))
    settings = configure(project, graph, site)
    post = planned(settings, "sokasi")
    put_online(site, post)
    sent_at = datetime.fromtimestamp(clock(), UTC)
    graph.drop_next("POST", "/media_publish", after_action=True)
    made = publisher(settings, graph, clock)
    with pytest.raises(UnknownOutcomeError):
        made.publish(post, {}, Saved())
    [media] = graph.ig_media
    found = made.find(post, sent_at)
    assert found is not None and found.remote_id == media.id and found.permalink == media.permalink
    assert found.via == "graph" and found.problem is None
    assert len(graph.calls_to("POST", "/media_publish")) == 1


def test_a_resumed_run_uses_the_saved_containers_again(project, graph, site, clock):
    product(project, "sokasi", ("1-depan.jpg", "2-atas.jpg", "3-samping.jpg"))
    settings = configure(project, graph, site)
    post = planned(settings, "sokasi")
    put_online(site, post)
    saved = Saved()
    graph.fail_next("POST", "/media_publish", 2, "Please retry your request later.", is_transient=True)
    with pytest.raises(TransientError):
        publisher(settings, graph, clock).publish(post, {}, saved)
    assert set(saved["containers"]) == {"1", "2", "3", "carousel"}
    carousel = saved["containers"]["carousel"]
    receipt = publisher(settings, graph, clock).publish(post, dict(saved), saved)
    assert len(container_posts(graph)) == 4  # nothing made twice
    [media] = graph.ig_media
    assert media.id == receipt.remote_id and media.container_id == carousel


def test_items_saved_without_their_carousel_are_made_afresh(project, graph, site, clock):
    """A run killed while the carousel container was being made: it may exist and hold the items."""
    product(project, "sokasi", ("1-depan.jpg", "2-atas.jpg"))
    settings = configure(project, graph, site)
    post = planned(settings, "sokasi")
    put_online(site, post)
    saved = Saved()

    class Killed(BaseException):
        pass

    def checkpoint(update: dict) -> None:
        if len(graph.ig_containers) == 3:
            raise Killed  # SIGKILL as the carousel container was made, before its id was saved
        saved(update)

    with pytest.raises(Killed):
        publisher(settings, graph, clock).publish(post, {}, checkpoint)
    assert "carousel" not in saved["containers"]
    publisher(settings, graph, clock).publish(post, dict(saved), saved)
    assert len(container_posts(graph)) == 3 + 3 and len(graph.ig_media) == 1


def test_a_lost_reply_to_the_carousel_container_makes_the_whole_set_afresh(project, graph, site, clock):
    product(project, "sokasi", ("1-depan.jpg", "2-atas.jpg"))
    settings = configure(project, graph, site)
    post = planned(settings, "sokasi")
    put_online(site, post)
    saved = Saved()
    made = publisher(settings, graph, clock)
    original = made.graph.post
    lost: list[str] = []

    def post_carousel_lost(parent: str, edge: str, **fields):
        if fields.get("media_type") == "CAROUSEL" and not lost:
            lost.append(fields["children"])
            graph.html_next("POST", "/media", status=503, after_action=True)  # made, the reply lost
        return original(parent, edge, **fields)

    made.graph.post = post_carousel_lost
    with pytest.raises(TransientError):
        made.publish(post, {}, saved)
    assert saved["containers"] == {}
    made.publish(post, dict(saved), saved)  # the flow's retry
    [media] = graph.ig_media
    assert len(media.images) == 2 and len(container_posts(graph)) == 6
    assert not set(lost[0].split(",")) & set(graph.ig_containers[media.container_id].children)


def test_a_published_container_is_never_published_again(project, graph, site, clock):
    product(project, "sokasi", ("1-depan.jpg", "2-atas.jpg"))
    settings = configure(project, graph, site)
    post = planned(settings, "sokasi")
    put_online(site, post)
    saved = Saved()
    graph.drop_next("POST", "/media_publish", after_action=True)
    with pytest.raises(UnknownOutcomeError):
        publisher(settings, graph, clock).publish(post, {}, saved)
    clock.now += 25 * 3600  # even a day later, when the containers would be made again
    receipt = publisher(settings, graph, clock).publish(post, dict(saved), saved)
    [media] = graph.ig_media
    assert receipt.remote_id == media.id
    assert len(graph.calls_to("POST", "/media_publish")) == 1 and len(container_posts(graph)) == 3


def test_a_run_killed_as_media_publish_answered_finds_the_post_instead_of_publishing_again(project, graph, site,
                                                                                             clock):
    product(project, "sokasi", ("1-depan.jpg",))
    settings = configure(project, graph, site)
    post = planned(settings, "sokasi")
    put_online(site, post)
    saved = Saved()

    class Killed(BaseException):
        pass

    def checkpoint(update: dict) -> None:
        if graph.ig_media:
            raise Killed  # SIGKILL just after Instagram answered media_publish
        saved(update)

    with pytest.raises(Killed):
        publisher(settings, graph, clock).publish(post, {}, checkpoint)
    receipt = publisher(settings, graph, clock).publish(post, dict(saved), saved)
    assert receipt.remote_id == graph.ig_media[0].id and len(graph.ig_media) == 1
    assert len(graph.calls_to("POST", "/media_publish")) == 1


def test_a_post_that_went_out_leaves_no_containers_to_reuse_so_a_repost_makes_a_new_post(project, graph, site, clock):
    product(project, "sokasi", ("1-depan.jpg",))
    settings = configure(project, graph, site)
    post = planned(settings, "sokasi")
    put_online(site, post)
    saved = Saved()
    first = publisher(settings, graph, clock).publish(post, {}, saved)
    assert saved["containers"] == {}
    again = publisher(settings, graph, clock).publish(post, dict(saved), saved)  # `publish --repost sokasi`
    assert again.remote_id != first.remote_id and len(graph.ig_media) == 2


def test_progress_saved_by_instagrapi_is_ignored(project, graph, site, clock):
    product(project, "sokasi", ("1-depan.jpg",))
    settings = configure(project, graph, site)
    post = planned(settings, "sokasi")
    put_online(site, post)
    receipt = publisher(settings, graph, clock).publish(post, {"media_pk": "3141592653"}, Saved())
    assert receipt.remote_id == graph.ig_media[0].id


def test_a_changed_post_does_not_reuse_containers_made_for_the_old_one(project, graph, site, clock):
    product(project, "sokasi", ("1-depan.jpg",))
    settings = configure(project, graph, site)
    post = planned(settings, "sokasi")
    put_online(site, post)
    saved = Saved()
    graph.fail_next("POST", "/media_publish", 2, "Please retry your request later.", is_transient=True)
    with pytest.raises(TransientError):
        publisher(settings, graph, clock).publish(post, {}, saved)
    edited = replace(post, caption=post.caption + " Harga baru.")
    publisher(settings, graph, clock).publish(edited, dict(saved), saved)
    [media] = graph.ig_media
    assert media.caption == edited.caption and len(container_posts(graph)) == 2


# -- the caption read back ------------------------------------------------------------------------------------------

def test_a_dropped_caption_is_the_receipts_problem_in_the_same_words_as_instagrapi(project, graph, site, clock):
    product(project, "sokasi", ("1-depan.jpg",), "hashtags: [bambu, anyaman, bali, kerajinan]\n")  # 6 in all
    settings = configure(project, graph, site)
    post = planned(settings, "sokasi")
    put_online(site, post)
    receipt = publisher(settings, graph, clock).publish(post, {}, Saved())
    assert graph.ig_media[0].caption == ""
    assert receipt.problem.startswith("Instagram posted it without the caption (it drops a caption over its limits, e.g. "
                                      "more than 5 hashtags), so buyers see no price and no WhatsApp number")


def test_find_takes_an_uncaptioned_post_with_as_many_photos_as_the_one_in_doubt(project, graph, site, clock):
    product(project, "sokasi", ("1-depan.jpg",), "hashtags: [bambu, anyaman, bali, kerajinan]\n")  # 6 in all
    settings = configure(project, graph, site)
    post = planned(settings, "sokasi")
    put_online(site, post)
    sent_at = datetime.fromtimestamp(clock(), UTC)
    graph.drop_next("POST", "/media_publish", after_action=True)
    made = publisher(settings, graph, clock)
    with pytest.raises(UnknownOutcomeError):
        made.publish(post, {}, Saved())
    found = made.find(post, sent_at)
    assert found is not None and found.remote_id == graph.ig_media[0].id
    assert found.problem.startswith("a post without a caption, made on ")


# -- find -----------------------------------------------------------------------------------------------------------

def test_find_follows_the_pages_of_the_accounts_media(project, graph, site, clock):
    product(project, "sokasi", ("1-depan.jpg",))
    settings = configure(project, graph, site)
    post = planned(settings, "sokasi")
    put_online(site, post)
    sent_at = datetime.fromtimestamp(clock(), UTC)
    made = publisher(settings, graph, clock)
    receipt = made.publish(post, {}, Saved())
    data = post.prepared[0].path.read_bytes()
    for number in range(30):  # 30 newer posts: the one in doubt is on the second page of 25
        raw_post(graph, site, f"Postingan lain {number}", data)
    found = made.find(post, sent_at)
    assert found is not None and found.remote_id == receipt.remote_id
    listings = graph.calls_to("GET", f"/{graph.ig_user_id}/media")
    assert len(listings) == 2 and "after" in listings[1].query


def test_find_stops_at_posts_older_than_the_attempt(project, graph, site, clock):
    product(project, "sokasi", ("1-depan.jpg",))
    settings = configure(project, graph, site)
    post = planned(settings, "sokasi")
    put_online(site, post)
    made = publisher(settings, graph, clock)
    made.publish(post, {}, Saved())
    clock.now += 3600
    assert made.find(post, datetime.fromtimestamp(clock(), UTC)) is None


def test_find_that_cannot_look_raises_instead_of_saying_absent(project, graph, site, clock):
    product(project, "sokasi", ("1-depan.jpg",))
    settings = configure(project, graph, site)
    post = planned(settings, "sokasi")
    made = publisher(settings, graph, clock)
    graph.stop()
    with pytest.raises(TransientError):
        made.find(post, datetime.fromtimestamp(clock(), UTC))


# -- the account and the token --------------------------------------------------------------------------------------

def test_a_missing_token_names_its_variable(project, graph, site):
    settings = configure(project, graph, site, "  token_env: IG_PAGE_TOKEN\n")
    with pytest.raises(AuthError) as missing:
        make_graph_publisher(settings)
    assert "IG_PAGE_TOKEN" in str(missing.value) and "Instagram through the official API" in str(missing.value)


def test_build_makes_the_graph_publisher_for_backend_graph(project, graph, site, monkeypatch):
    settings = configure(project, graph, site)
    monkeypatch.setenv("FACEBOOK_PAGE_TOKEN", graph.page_token)
    made = build("instagram", settings, sleep=lambda seconds: None)
    assert isinstance(made, InstagramGraphPublisher)
    assert made.check() == f"@sokasi.tigawasa (account {graph.ig_user_id}, through Meta's official API)"


def test_without_user_id_check_gives_the_line_to_put_in_config(project, graph, site, clock):
    settings = configure(project, graph, site, user_id=False)
    with pytest.raises(AuthError) as missing:
        publisher(settings, graph, clock).check()
    assert f'put this line under instagram: in config.yaml: user_id: "{graph.ig_user_id}"' in str(missing.value)


def test_a_page_without_a_linked_account_says_how_to_link_one(project, graph, site, clock):
    settings = configure(project, graph, site, user_id=False)
    graph.ig_linked = False
    with pytest.raises(AuthError) as missing:
        publisher(settings, graph, clock).check()
    said = str(missing.value)
    assert "has no Instagram account linked to it" in said and "switch the account to professional" in said
    assert "Instagram through the official API" in said


def test_an_account_the_token_cannot_read_is_an_auth_error(project, graph, site, clock):
    settings = configure(project, graph, site)
    graph.ig_linked = False  # the configured id is unknown now
    with pytest.raises(AuthError) as refused:
        publisher(settings, graph, clock).check()
    assert f"the Instagram account {graph.ig_user_id} (instagram.user_id in config.yaml) cannot be read" in str(refused.value)


def test_another_username_in_config_is_refused(project, graph, site, clock):
    settings = configure(project, graph, site)
    graph.ig_username = "someone.else"
    with pytest.raises(AuthError) as wrong:
        publisher(settings, graph, clock).check()
    assert "is @someone.else, but config.yaml says @sokasi.tigawasa" in str(wrong.value)


def test_a_token_without_instagram_permissions_says_which_it_needs(project, graph, site, clock):
    settings = configure(project, graph, site)
    graph.add_token(graph.page_token, scopes=PAGE_SCOPES)
    with pytest.raises(AuthError) as refused:
        publisher(settings, graph, clock).check()
    assert "instagram_content_publish" in str(refused.value)


@pytest.mark.parametrize(("code", "subcode", "words"), [
    (4, 2207051, "suspects spam"),
    (25, 2207050, "open the Instagram app"),
])
def test_instagrams_restrictions_make_the_platform_rest(project, graph, site, clock, code, subcode, words):
    product(project, "sokasi", ("1-depan.jpg",))
    settings = configure(project, graph, site)
    post = planned(settings, "sokasi")
    put_online(site, post)
    graph.fail_next("POST", "/media_publish", code, "restricted", subcode=subcode)
    with pytest.raises(ThrottledError) as caught:
        publisher(settings, graph, clock).publish(post, {}, Saved())
    assert caught.value.cooldown == BLOCKED and words in str(caught.value) and graph.ig_media == []


def test_a_limit_answer_from_media_publish_holds_back_the_whole_platform(project, graph, site, clock):
    product(project, "sokasi", ("1-depan.jpg",))
    settings = configure(project, graph, site)
    post = planned(settings, "sokasi")
    put_online(site, post)
    graph.fail_next("POST", "/media_publish", 9, "You reached maximum number of posts", subcode=2207042)
    with pytest.raises(HeldBackError) as held:
        publisher(settings, graph, clock).publish(post, {}, Saved())
    assert held.value.whole_platform


def test_an_image_meta_refuses_is_a_refusal(project, graph, site, clock):
    product(project, "sokasi", ("1-depan.jpg",))
    settings = configure(project, graph, site)
    post = planned(settings, "sokasi")
    put_online(site, post)
    graph.fail_next("POST", "/media", 36003, "The submitted image with aspect ratio cannot be published", subcode=2207009)
    with pytest.raises(RejectedError):
        publisher(settings, graph, clock).publish(post, {}, Saved())


# -- secrets ----------------------------------------------------------------------------------------------------------

def test_no_secret_reaches_any_message(project, graph, site, clock, monkeypatch, caplog):
    product(project, "sokasi", ("foto.jpg",))  # no alt text: the echoed request must not pass for its refusal
    settings = configure(project, graph, site)
    with_app(monkeypatch, graph)
    post = planned(settings, "sokasi")
    put_online(site, post)
    said = []
    with caplog.at_level(logging.DEBUG):
        graph.echo_next("POST", "/media")  # the request, token included, in Meta's error message
        with pytest.raises(RejectedError) as echoed:
            publisher(settings, graph, clock).publish(post, {}, Saved())
        said.append(str(echoed.value))
        said.append(publisher(settings, graph, clock).check())
        graph.stop()  # requests' own error text holds the URL, token included
        made = publisher(settings, graph, clock)  # a new connection: refused
        said.extend(line for _good, line in made.diagnose())
        with pytest.raises(TransientError) as lost:
            made.find(post, datetime.fromtimestamp(clock(), UTC))
        said.append(str(lost.value))
    text = " ".join(said) + "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("sokasi_post"))
    assert "Instagram said:" in said[0]
    for secret in (graph.page_token, APP_SECRET, graph.app_token):
        assert secret not in text


# -- doctor -----------------------------------------------------------------------------------------------------------

def test_doctor_reports_the_account_permissions_quota_and_a_photo_fetched_from_outside(project, graph, site, clock,
                                                                                       monkeypatch):
    product(project, "sokasi", ("1-depan.jpg",))
    settings = configure(project, graph, site)
    with_app(monkeypatch, graph)
    post = planned(settings, "sokasi")
    put_online(site, post)
    for number in range(3):
        raw_post(graph, site, f"Postingan {number}", post.prepared[0].path.read_bytes())
    findings = publisher(settings, graph, clock).diagnose()
    assert findings[:3] == [
        (True, f"account: {graph.ig_user_id} is the professional account linked to the Page {graph.page_id}"),
        (True, "permissions: instagram_basic, instagram_content_publish, pages_read_engagement; without "
               "instagram_manage_comments, `inbox` cannot read or answer Instagram comments (README.md, \"Instagram "
               "through the official API\")"),
        (True, "publishing limit: 3 of 100 posts in the last 24 hours"),
    ]
    good, line = findings[3]
    assert good is True and line.startswith(f"photo host: {site.url}ig/") and "answers with the photo" in line
    assert site.requests[-1].startswith("/ig/")


def test_doctor_names_what_is_wrong(project, graph, site, clock, monkeypatch):
    settings = configure(project, graph, site)
    with_app(monkeypatch, graph)
    graph.add_token(graph.page_token, scopes=[*PAGE_SCOPES, "instagram_basic"])
    graph.ig_quota_total = 0
    findings = publisher(settings, graph, clock).diagnose()
    assert (False, "the token in FACEBOOK_PAGE_TOKEN lacks instagram_content_publish: make a new Page token with these "
                   "permissions (README.md, \"Instagram through the official API\")") in findings
    assert (False, "publishing limit: 0 of 0 posts in the last 24 hours") in findings
    assert (None, "photo host: no Instagram photo is on the site yet; `sokasi-post site` puts them there, "
                  "`sokasi-post site --publish` puts them online") in findings


def test_doctor_says_when_the_page_is_linked_to_another_account(project, graph, site, clock):
    settings = configure(project, graph, site, user_id=False)
    made = publisher(settings, graph, clock)
    made.user_id = "17841499999999999"
    account = made.diagnose()[0]
    assert account == (False, f"account: the Page is linked to the Instagram account {graph.ig_user_id}, but config.yaml "
                              f"says user_id 17841499999999999: put this line under instagram: in config.yaml: "
                              f"user_id: \"{graph.ig_user_id}\"")


def test_doctor_without_the_apps_id_and_secret_says_what_it_could_not_check(project, graph, site, clock):
    settings = configure(project, graph, site)
    [permissions] = [f for f in publisher(settings, graph, clock).diagnose() if "permissions" in f[1]]
    assert permissions[0] is None and permissions[1].startswith("not checked: the token's permissions")


# -- the experimental Page-photo host -------------------------------------------------------------------------------

def test_the_page_as_photo_host_uploads_unpublished_and_gives_meta_the_cdn_copy(project, graph, site, clock):
    product(project, "sokasi", ("1-depan.jpg", "2-atas.jpg"))
    settings = configure(project, graph, site, "  photo_host: page\n")
    post = planned(settings, "sokasi")
    receipt = publisher(settings, graph, clock).publish(post, {}, Saved())
    uploads = graph.calls_to("POST", f"/{graph.page_id}/photos")
    assert [call.form.get("published") for call in uploads] == ["false", "false"]
    assert graph.posts == []  # nothing shows on the Facebook Page
    [media] = graph.ig_media
    assert media.id == receipt.remote_id
    assert media.images == [photo.path.read_bytes() for photo in post.prepared]
    assert all(call.form["image_url"].startswith(f"{graph.url}/cdn/") for call in container_posts(graph)[:2])
    assert site.requests == []
