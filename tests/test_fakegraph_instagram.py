"""The fake Graph API's Instagram account behaves as Meta's content publishing API does (docs/platforms.md G1-G6).

Plain `requests` calls, so these tests check the fake itself; images come from a FakeSite on 127.0.0.1.
"""

from __future__ import annotations

import io
import json
import socket
from pathlib import Path

import pytest
import requests
from PIL import Image

from tests.fakegraph import IG_SCOPES, PAGE_SCOPES, FakeGraph
from tests.fakesite import FakeSite

VERSION = "v25.0"


def jpeg(size: tuple[int, int] = (120, 120), colour: tuple[int, int, int] = (200, 160, 100)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG")
    return buffer.getvalue()


def png(size: tuple[int, int] = (120, 120)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 20, 30)).save(buffer, "PNG")
    return buffer.getvalue()


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 1_795_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def graph(clock: Clock):
    with FakeGraph(ig_scopes=True) as fake:
        fake.clock = clock
        yield fake
        assert fake.crashes == []


@pytest.fixture
def site(tmp_path: Path):
    with FakeSite(tmp_path / "site") as fake:
        yield fake


def put(site: FakeSite, name: str, data: bytes) -> str:
    """Write a file into the site's folder and give its URL."""
    path = site.folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return site.url + name


def graph_get(graph: FakeGraph, path: str, token: str | None = None, **params: str) -> requests.Response:
    token = graph.page_token if token is None else token
    return requests.get(f"{graph.url}/{VERSION}/{path}", params={**params, "access_token": token}, timeout=10)


def graph_post(graph: FakeGraph, path: str, token: str | None = None, **form: str) -> requests.Response:
    token = graph.page_token if token is None else token
    return requests.post(f"{graph.url}/{VERSION}/{path}", data={**form, "access_token": token}, timeout=10)


def error(reply: requests.Response, status: int = 400) -> dict:
    assert reply.status_code == status, reply.text
    return reply.json()["error"]


def make_container(graph: FakeGraph, url: str, **form: str) -> str:
    reply = graph_post(graph, f"{graph.ig_user_id}/media", image_url=url, **form)
    assert reply.status_code == 200, reply.text
    return reply.json()["id"]


def publish(graph: FakeGraph, creation_id: str) -> requests.Response:
    return graph_post(graph, f"{graph.ig_user_id}/media_publish", creation_id=creation_id)


def post_image(graph: FakeGraph, site: FakeSite, name: str, caption: str = "") -> str:
    """Container + publish: the new media's id."""
    reply = publish(graph, make_container(graph, put(site, name, jpeg()), caption=caption))
    assert reply.status_code == 200, reply.text
    return reply.json()["id"]


def status_code(graph: FakeGraph, container_id: str) -> str:
    return graph_get(graph, container_id, fields="status_code").json()["status_code"]


# -- the account --------------------------------------------------------------------------------------------------
def test_the_page_names_its_instagram_account_which_answers_its_fields(graph):
    page = graph_get(graph, graph.page_id, fields="instagram_business_account").json()
    assert page == {"instagram_business_account": {"id": "17841400000000001"}, "id": graph.page_id}
    account = graph_get(graph, graph.ig_user_id, fields="id,username,name,media_count").json()
    assert account == {"id": graph.ig_user_id, "username": "sokasi.tigawasa", "name": graph.page_name, "media_count": 0}
    assert error(graph_get(graph, graph.ig_user_id, fields="followers"))["code"] == 100


def test_an_unlinked_page_has_no_instagram_account_and_its_id_is_unknown(graph):
    graph.ig_linked = False
    assert graph_get(graph, graph.page_id, fields="instagram_business_account").json() == {"id": graph.page_id}
    unknown = error(graph_get(graph, graph.ig_user_id, fields="id,username"))
    assert (unknown["code"], unknown["error_subcode"]) == (100, 33)
    assert unknown["message"].startswith(f"Unsupported get request. Object with ID '{graph.ig_user_id}' does not exist")
    assert error(graph_post(graph, f"{graph.ig_user_id}/media_publish", creation_id="1"))["code"] == 100


def test_without_instagram_permissions_every_instagram_call_is_code_10(site):
    with FakeGraph() as graph:  # the default Page token carries the Facebook permissions only
        url = put(site, "a.jpg", jpeg())
        for reply in (graph_get(graph, graph.ig_user_id, fields="username"),
                      graph_get(graph, graph.page_id, fields="instagram_business_account"),
                      graph_get(graph, f"{graph.ig_user_id}/content_publishing_limit"),
                      graph_post(graph, f"{graph.ig_user_id}/media", image_url=url)):
            refused = error(reply, 403)
            assert (refused["code"], refused["message"]) == (10, "(#10) Application does not have permission for this action")
        assert site.requests == []  # refused before Meta would fetch anything
        graph.add_token("EAAread-only", scopes=PAGE_SCOPES + ["instagram_basic"])
        assert graph_get(graph, graph.ig_user_id, "EAAread-only", fields="username").status_code == 200
        assert error(graph_post(graph, f"{graph.ig_user_id}/media", "EAAread-only", image_url=url), 403)["code"] == 10
        graph.add_token("EAAother-page", id="999888777666555", scopes=PAGE_SCOPES + IG_SCOPES)
        other = error(graph_get(graph, graph.ig_user_id, "EAAother-page", fields="username"))
        assert (other["code"], other["error_subcode"]) == (100, 33)
        assert error(graph_get(graph, graph.ig_user_id, "EAAnot-a-token"))["code"] == 190


# -- containers: what Meta fetches and what it refuses -------------------------------------------------------------
def test_a_fetched_image_is_recorded_byte_for_byte(graph, site):
    data = jpeg((1080, 1350))
    tags = [{"username": "wayan.pandai", "x": 0.5, "y": 0.25}]
    container_id = make_container(graph, put(site, "ig/abc.jpg", data), caption="Tas anyaman", user_tags=json.dumps(tags),
                                  location_id="106522786047225", alt_text="A woven bag")
    container = graph.ig_containers[container_id]
    assert container.data == data and site.requests == ["/ig/abc.jpg"]
    assert (container.kind, container.caption, container.user_tags, container.alt_text, container.location_id) == (
        "IMAGE", "Tas anyaman", tags, "A woven bag", "106522786047225")
    assert container.fields["image_url"] == site.url + "ig/abc.jpg" and "access_token" not in container.fields
    assert container_id not in {media.id for media in graph.ig_media}  # a container is not public


@pytest.mark.parametrize("case", ["down", "missing", "not loopback", "not http"])
def test_an_image_that_cannot_be_fetched_is_error_9004(graph, site, case):
    url = put(site, "a.jpg", jpeg())
    if case == "down":
        site.down = True
    url = {"missing": site.url + "gone.jpg", "not loopback": "http://example.com/a.jpg",
           "not http": "file:///etc/hostname"}.get(case, url)
    refused = error(graph_post(graph, f"{graph.ig_user_id}/media", image_url=url))
    assert (refused["code"], refused["error_subcode"]) == (9004, 2207052)
    assert refused["error_user_msg"] == f"The media could not be fetched from this uri: {url}"
    assert refused["error_user_title"] == "Media download has failed."
    assert graph.ig_containers == {}


def test_an_image_url_that_never_answers_times_out_as_not_fetched(graph):
    graph.ig_fetch_timeout = 0.2
    with socket.socket() as silent:  # accepts connections (the backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/a.jpg"
        assert error(graph_post(graph, f"{graph.ig_user_id}/media", image_url=url))["error_subcode"] == 2207052


def test_only_a_jpeg_served_as_image_jpeg_is_accepted(graph, site):
    refused = error(graph_post(graph, f"{graph.ig_user_id}/media", image_url=put(site, "a.png", png())))
    assert (refused["code"], refused["error_subcode"]) == (36001, 2207005)
    assert refused["error_user_msg"] == "The image format png is not supported. Supported formats are: JPEG"
    site.wrong_type = True
    refused = error(graph_post(graph, f"{graph.ig_user_id}/media", image_url=put(site, "b.jpg", jpeg())))
    assert (refused["code"], refused["error_subcode"]) == (36001, 2207005) and "format html" in refused["message"]
    assert graph.ig_containers == {}


def test_an_image_over_8_mib_or_outside_4_5_to_1_91_is_refused(graph, site):
    big = jpeg() + b"\0" * (8 * 1024 * 1024)
    refused = error(graph_post(graph, f"{graph.ig_user_id}/media", image_url=put(site, "big.jpg", big)))
    assert (refused["code"], refused["error_subcode"]) == (36000, 2207004)
    for size in ((1000, 1251), (1920, 1000)):
        refused = error(graph_post(graph, f"{graph.ig_user_id}/media", image_url=put(site, f"{size[0]}.jpg", jpeg(size))))
        assert (refused["code"], refused["error_subcode"]) == (36003, 2207009)
    assert make_container(graph, put(site, "tall.jpg", jpeg((1080, 1350))))  # exactly 4:5
    assert make_container(graph, put(site, "wide.jpg", jpeg((1910, 1000))))  # exactly 1.91:1


def test_caption_and_user_tag_limits(graph, site):
    url = put(site, "a.jpg", jpeg())
    refused = error(graph_post(graph, f"{graph.ig_user_id}/media", image_url=url, caption="x" * 2201))
    assert (refused["code"], refused["error_subcode"]) == (36004, 2207010)
    assert make_container(graph, url, caption="x" * 2200)
    tags = [{"username": f"maker{i}", "x": 0.5, "y": 0.5} for i in range(21)]
    refused = error(graph_post(graph, f"{graph.ig_user_id}/media", image_url=url, user_tags=json.dumps(tags)))
    assert (refused["code"], refused["error_subcode"]) == (100, 2207040)
    assert make_container(graph, url, user_tags=json.dumps(tags[:20]))
    assert error(graph_post(graph, f"{graph.ig_user_id}/media", image_url=url, user_tags='[{"username": "a"}]'))["code"] == 100


def test_alt_text_is_recorded_or_refused_by_name_where_the_version_lacks_it(graph, site):
    url = put(site, "a.jpg", jpeg())
    container_id = make_container(graph, url, alt_text="Blue bag")
    assert graph.ig_containers[container_id].alt_text == "Blue bag"
    graph.ig_alt_text_supported = False
    refused = error(graph_post(graph, f"{graph.ig_user_id}/media", image_url=url, alt_text="Blue bag"))
    assert refused["code"] == 100 and "alt_text" in refused["message"]
    assert make_container(graph, url)  # without it, the same image goes


# -- container status over time --------------------------------------------------------------------------------------
def test_status_moves_from_in_progress_to_finished_and_publishing_waits_for_it(graph, site, clock):
    graph.ig_processing_seconds = 30
    container_id = make_container(graph, put(site, "a.jpg", jpeg()), caption="Hi")
    assert graph_get(graph, container_id, fields="status_code,status,id").json() == {
        "status_code": "IN_PROGRESS", "status": "In Progress: Media is still being processed.", "id": container_id}
    early = error(publish(graph, container_id))
    assert (early["code"], early["error_subcode"]) == (9007, 2207027)
    assert early["error_user_msg"] == "The media is not ready for publishing, please wait for a moment"
    clock.now += 30
    assert status_code(graph, container_id) == "FINISHED"
    media_id = publish(graph, container_id).json()["id"]
    assert status_code(graph, container_id) == "PUBLISHED" and [m.id for m in graph.ig_media] == [media_id]
    assert error(graph_get(graph, container_id, fields="status_code,colour"))["code"] == 100


def test_a_container_not_published_within_24_hours_expires(graph, site, clock):
    container_id = make_container(graph, put(site, "a.jpg", jpeg()))
    clock.now += 24 * 3600 - 1
    assert status_code(graph, container_id) == "FINISHED"
    clock.now += 1
    assert status_code(graph, container_id) == "EXPIRED"
    refused = error(publish(graph, container_id))
    assert (refused["code"], refused["error_subcode"]) == (24, 2207008)
    assert refused["error_user_msg"] == (f"The media builder with creation id = {container_id} does not exist or has "
                                         "been expired.")
    assert graph.ig_media == []


def test_a_failed_processing_ends_in_error_and_cannot_be_published(graph, site):
    graph.ig_fail_processing()
    failed, fine = make_container(graph, put(site, "a.jpg", jpeg())), make_container(graph, put(site, "b.jpg", jpeg()))
    reply = graph_get(graph, failed, fields="status_code,status").json()
    assert reply["status_code"] == "ERROR" and reply["status"].startswith("Error: ")
    assert error(publish(graph, failed))["code"] == 9007
    assert status_code(graph, fine) == "FINISHED"


def test_a_container_is_published_once_and_unknown_ids_are_refused(graph, site):
    container_id = make_container(graph, put(site, "a.jpg", jpeg()))
    assert publish(graph, container_id).status_code == 200
    again, unknown = error(publish(graph, container_id)), error(publish(graph, "17999999999999999"))
    assert (again["code"], again["error_subcode"]) == (unknown["code"], unknown["error_subcode"]) == (24, 2207008)
    assert len(graph.ig_media) == 1


# -- what gets published -------------------------------------------------------------------------------------------
def test_a_published_image_is_public_with_its_bytes_caption_and_tags(graph, site, clock):
    data, tags = jpeg((1080, 1080)), [{"username": "made.by.ketut", "x": 0.3, "y": 0.6}]
    container_id = make_container(graph, put(site, "a.jpg", data), caption="Keranjang bambu", user_tags=json.dumps(tags),
                                  location_id="106522786047225")
    media_id = publish(graph, container_id).json()["id"]
    [media] = graph.ig_media
    assert (media.id, media.caption, media.media_type, media.images, media.user_tags, media.location_id) == (
        media_id, "Keranjang bambu", "IMAGE", [data], [tags], "106522786047225")
    node = graph_get(graph, media_id, fields="id,caption,permalink,timestamp,media_type,like_count,comments_count").json()
    assert node == {"id": media_id, "caption": "Keranjang bambu", "permalink": media.permalink,
                    "timestamp": "2026-11-18T11:06:40+0000", "media_type": "IMAGE", "like_count": 0, "comments_count": 0}
    assert media.permalink == f"https://www.instagram.com/p/{media.shortcode}/"
    assert error(graph_get(graph, media_id, fields="caption,views"))["code"] == 100


@pytest.mark.parametrize(("hashtags", "kept"), [(5, True), (6, False)])
def test_a_caption_with_more_than_five_hashtags_is_dropped_but_the_photo_posts(graph, site, hashtags, kept):
    caption = "Tas anyaman Rp 175.000 " + " ".join(f"#tag{i}" for i in range(hashtags))
    media_id = post_image(graph, site, "a.jpg", caption)
    assert graph.ig_media[0].caption == (caption if kept else "")
    node = graph_get(graph, media_id, fields="caption,media_type").json()
    assert ("caption" in node) is kept and node["media_type"] == "IMAGE"


def test_a_carousel_takes_two_to_ten_finished_items_and_keeps_their_order(graph, site):
    datas = [jpeg(colour=(i * 40, 0, 0)) for i in range(3)]
    items = [make_container(graph, put(site, f"{i}.jpg", data), is_carousel_item="true", caption="ignored",
                            user_tags=json.dumps([{"username": f"maker{i}", "x": 0.1, "y": 0.1}]), alt_text=f"Photo {i}")
             for i, data in enumerate(datas)]
    assert graph.ig_containers[items[0]].caption == ""  # an item's caption is ignored
    for children in (items[:1], items * 4):
        refused = error(graph_post(graph, f"{graph.ig_user_id}/media", media_type="CAROUSEL", children=",".join(children)))
        assert (refused["code"], refused["error_subcode"]) == (100, 2207028)
    single = make_container(graph, put(site, "s.jpg", jpeg()))
    assert error(graph_post(graph, f"{graph.ig_user_id}/media", media_type="CAROUSEL",
                            children=f"{items[0]},{single}"))["code"] == 100  # not a carousel item
    missing = error(graph_post(graph, f"{graph.ig_user_id}/media", media_type="CAROUSEL", children=f"{items[0]},1789"))
    assert (missing["code"], missing["error_subcode"]) == (24, 2207006)
    alone = error(publish(graph, items[0]))
    assert alone["code"] == 100 and "carousel item" in alone["message"]
    reply = graph_post(graph, f"{graph.ig_user_id}/media", media_type="CAROUSEL", children=",".join(items),
                       caption="Three bags", location_id="106522786047225")
    carousel = reply.json()["id"]
    reused = error(graph_post(graph, f"{graph.ig_user_id}/media", media_type="CAROUSEL", children=",".join(items[:2])))
    assert reused["code"] == 100 and "already in a carousel" in reused["message"]
    album_id = publish(graph, carousel).json()["id"]
    [album] = graph.ig_media
    assert (album.media_type, album.caption, album.images, album.location_id) == (
        "CAROUSEL_ALBUM", "Three bags", datas, "106522786047225")
    assert album.alt_texts == ["Photo 0", "Photo 1", "Photo 2"] and album.user_tags[2][0]["username"] == "maker2"
    node = graph_get(graph, album_id, fields="media_type,children{id,media_type}").json()
    assert node["children"] == {"data": [{"id": child, "media_type": "IMAGE"} for child in album.children]}
    assert graph_get(graph, f"{graph.ig_user_id}/content_publishing_limit").json()["data"] == [{"quota_usage": 1}]


def test_the_publishing_limit_is_reported_and_enforced_over_24_hours(graph, site, clock):
    graph.ig_quota_total = 2
    post_image(graph, site, "a.jpg")
    clock.now += 3600
    post_image(graph, site, "b.jpg")
    limit = graph_get(graph, f"{graph.ig_user_id}/content_publishing_limit", fields="config,quota_usage").json()
    assert limit == {"data": [{"config": {"quota_total": 2, "quota_duration": 86400}, "quota_usage": 2}]}
    container_id = make_container(graph, put(site, "c.jpg", jpeg()))
    refused = error(publish(graph, container_id))
    assert (refused["code"], refused["error_subcode"]) == (9, 2207042)
    assert refused["error_user_msg"] == ("You reached maximum number of posts that is allowed to be published by Content "
                                         "Publishing API.")
    assert len(graph.ig_media) == 2 and status_code(graph, container_id) == "FINISHED"
    clock.now += 23 * 3600  # the first post is now 24 h old: one slot is free again
    assert graph_get(graph, f"{graph.ig_user_id}/content_publishing_limit").json() == {"data": [{"quota_usage": 1}]}
    assert publish(graph, container_id).status_code == 200


def test_the_media_listing_pages_through_every_media_once_newest_first(graph, site, clock):
    published = []
    for i in range(7):
        clock.now += 60
        published.append(post_image(graph, site, f"{i}.jpg", f"Post {i}"))
    page = graph_get(graph, f"{graph.ig_user_id}/media", fields="id,caption,timestamp,permalink,media_type", limit="3").json()
    seen, pages = [], 0
    while True:
        pages += 1
        seen += page["data"]
        if "next" not in page["paging"]:
            break
        assert graph.page_token in page["paging"]["next"] and page["paging"]["cursors"]["after"] in page["paging"]["next"]
        page = requests.get(page["paging"]["next"], timeout=10).json()
    assert pages == 3 and [m["id"] for m in seen] == published[::-1]
    assert seen[0]["caption"] == "Post 6" and set(seen[0]) == {"id", "caption", "timestamp", "permalink", "media_type"}
    default = graph_get(graph, f"{graph.ig_user_id}/media").json()
    assert [m["id"] for m in default["data"]] == published[::-1] and "next" not in default["paging"]
    assert error(graph_get(graph, f"{graph.ig_user_id}/media", after="bm90LWEtY3Vyc29y"))["code"] == 100


# -- failure injection on the Instagram paths ------------------------------------------------------------------------
def test_a_lost_reply_to_media_publish_still_creates_the_media_once(graph, site):
    container_id = make_container(graph, put(site, "a.jpg", jpeg()), caption="Lost reply")
    graph.drop_next("POST", "/media_publish", after_action=True)
    with pytest.raises(requests.ConnectionError):
        publish(graph, container_id)
    [media] = graph.ig_media
    assert error(publish(graph, container_id))["error_subcode"] == 2207008  # never twice
    listed = graph_get(graph, f"{graph.ig_user_id}/media", fields="id,caption").json()["data"]
    assert listed == [{"id": media.id, "caption": "Lost reply"}] and status_code(graph, container_id) == "PUBLISHED"


def test_a_storm_that_loses_replies_to_media_publish_still_publishes(graph, site):
    container_id = make_container(graph, put(site, "a.jpg", jpeg()))
    graph.storm(rate=1.0, lost_share=1.0)
    reply = publish(graph, container_id)
    assert reply.status_code == 503 and reply.headers["Content-Type"].startswith("text/html")
    assert len(graph.ig_media) == 1 and graph.ig_status(container_id) == "PUBLISHED"


def test_fail_html_and_delay_rules_apply_to_the_instagram_paths(graph, site):
    url = put(site, "a.jpg", jpeg())
    graph.fail_next("POST", "/media", code=-1, subcode=2207001, message="Instagram server error. Try again.")
    assert error(graph_post(graph, f"{graph.ig_user_id}/media", image_url=url))["error_subcode"] == 2207001
    assert graph.ig_containers == {} and site.requests == []  # nothing done, nothing fetched
    graph.html_next("POST", "/media", after_action=True)
    assert graph_post(graph, f"{graph.ig_user_id}/media", image_url=url).status_code == 502
    [container_id] = graph.ig_containers
    graph.delay_next("POST", "/media_publish", seconds=1.0)
    with pytest.raises(requests.Timeout):
        requests.post(f"{graph.url}/{VERSION}/{graph.ig_user_id}/media_publish", timeout=0.2,
                      data={"creation_id": container_id, "access_token": graph.page_token})


# -- the Page-photo host (docs/platforms.md G6) ----------------------------------------------------------------------
def test_an_unpublished_page_photo_has_a_cdn_url_that_instagram_can_fetch(graph):
    data = jpeg((800, 600))
    reply = requests.post(f"{graph.url}/{VERSION}/{graph.page_id}/photos", timeout=10,
                          data={"published": "false", "access_token": graph.page_token},
                          files={"source": ("a.jpg", data, "image/jpeg")})
    photo_id = reply.json()["id"]
    images = graph_get(graph, photo_id, fields="images").json()["images"]
    assert images == [{"source": f"{graph.url}/cdn/{photo_id}.jpg", "width": 800, "height": 600}]
    served = requests.get(images[0]["source"], timeout=10)
    assert served.content == data and served.headers["Content-Type"] == "image/jpeg"
    assert requests.head(images[0]["source"], timeout=10).headers["Content-Length"] == str(len(data))
    assert requests.get(f"{graph.url}/cdn/404.jpg", timeout=10).status_code == 404
    container_id = make_container(graph, images[0]["source"])  # the fake fetches from itself
    assert graph.ig_containers[container_id].data == data
    assert graph.posts == []  # the photo itself stays unpublished on the Page


# -- the site itself ------------------------------------------------------------------------------------------------
def test_the_fake_site_serves_files_written_after_it_started(site):
    url = put(site, "ig/later.jpg", jpeg())
    got = requests.get(url, timeout=10)
    assert got.status_code == 200 and got.headers["Content-Type"] == "image/jpeg" and got.content == jpeg()
    head = requests.head(url, timeout=10)
    assert head.status_code == 200 and head.content == b"" and head.headers["Content-Length"] == str(len(jpeg()))
    assert requests.get(site.url + "ig/none.jpg", timeout=10).status_code == 404
    assert requests.get(site.url + "ig", timeout=10).status_code == 404  # a folder is not a file
    assert requests.get(site.url + "..%2F..%2Fetc%2Fpasswd", timeout=10).status_code == 404
    assert site.url.endswith("/") and site.requests == ["/ig/later.jpg", "/ig/later.jpg", "/ig/none.jpg", "/ig",
                                                        "/..%2F..%2Fetc%2Fpasswd"]


def test_the_fake_site_can_be_down_or_serve_the_wrong_type(site):
    url = put(site, "a.jpg", jpeg())
    site.wrong_type = True
    assert requests.get(url, timeout=10).headers["Content-Type"].startswith("text/html")
    site.down = True
    with pytest.raises(requests.ConnectionError):
        requests.get(url, timeout=10)
