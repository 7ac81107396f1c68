"""The fake Graph API speaks what the real facebook-sdk client sends and expects: every test drives facebook.GraphAPI."""

from __future__ import annotations

import io
import json
import re
import threading
import time
from datetime import UTC, datetime

import facebook
import pytest
import requests
from PIL import Image

from tests.fakegraph import ERRORS, FakeGraph

VERSION = "v25.0"


def jpeg(colour: tuple[int, int, int] = (200, 160, 100), size: tuple[int, int] = (64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
def graph(monkeypatch: pytest.MonkeyPatch):
    with FakeGraph() as fake:
        monkeypatch.setattr(facebook, "FACEBOOK_GRAPH_URL", fake.url + "/")
        yield fake
        assert fake.crashes == []


def client(token: str, timeout: float = 5) -> facebook.GraphAPI:
    api = facebook.GraphAPI(access_token=token, timeout=timeout)
    api.version = VERSION  # the constructor refuses modern versions
    return api


@pytest.fixture
def api(graph: FakeGraph) -> facebook.GraphAPI:
    return client(graph.page_token)


def upload_unpublished(api: facebook.GraphAPI, graph: FakeGraph, data: bytes) -> str:
    return api.put_photo(io.BytesIO(data), album_path=f"{graph.page_id}/photos", published="false")["id"]


def multi_photo_post(api: facebook.GraphAPI, graph: FakeGraph, message: str, ids: list[str], **extra: str) -> dict:
    media = {f"attached_media[{i}]": json.dumps({"media_fbid": pid}) for i, pid in enumerate(ids)}
    return api.put_object(graph.page_id, "feed", message=message, **media, **extra)


def graph_error(call) -> facebook.GraphAPIError:
    with pytest.raises(facebook.GraphAPIError) as caught:
        call()
    return caught.value


def test_me_is_the_page_for_a_page_token_and_the_person_for_a_user_token(graph, api):
    assert api.get_object("me", fields="id,name") == {"id": graph.page_id, "name": "Sokasi Tigawasa"}
    assert client(graph.user_token).get_object("me", fields="id,name") == {"id": graph.user_id, "name": graph.user_name}
    me = graph.calls_to("GET", "/me")[0]
    assert me.version == VERSION and me.query["access_token"] == graph.page_token and me.token == graph.page_token


def test_version_is_recorded_and_echoed_in_the_header(graph, api):
    assert api.get_version() == "25.0"
    old = facebook.GraphAPI(access_token=graph.page_token, timeout=5)  # facebook-sdk's default: v2.8, long expired
    old.get_object("me")
    assert [c.version for c in graph.calls] == [graph.version, "v2.8"]
    assert old.get_version() == graph.oldest_version.lstrip("v")  # Meta silently serves the oldest live version
    bare = requests.get(f"{graph.url}/me", params={"access_token": graph.page_token}, timeout=5)
    assert bare.json()["id"] == graph.page_id and bare.headers["facebook-api-version"] == graph.oldest_version
    assert graph.calls[-1].version is None


def test_debug_token_describes_page_and_user_tokens(graph, api):
    page = api.debug_access_token(graph.page_token, graph.app_id, graph.app_secret)["data"]
    assert page["type"] == "PAGE" and page["is_valid"] and page["profile_id"] == graph.page_id and page["expires_at"] == 0
    assert set(page["scopes"]) >= {"pages_manage_posts", "pages_read_engagement", "pages_show_list"}
    assert graph.calls_to("GET", "/debug_token")[0].token == graph.app_token  # facebook-sdk sends app_id|app_secret
    graph.add_token("EAAold", kind="USER", expires_at=int(time.time()) - 60)
    admin = client(graph.user_token)  # the admin has a role on the app: a developer's user token may ask too
    user = admin.request(f"{VERSION}/debug_token", {"input_token": "EAAold"})["data"]
    assert user["type"] == "USER" and user["is_valid"] is False and user["error"]["subcode"] == 463


def test_debug_token_refuses_a_page_token_as_the_caller(graph, api):
    refused = graph_error(lambda: api.request(f"{VERSION}/debug_token", {"input_token": graph.page_token}))
    assert (refused.code, refused.type) == (100, "OAuthException")
    assert refused.message == ("(#100) You must provide an app access token, or a user access token that is an owner "
                               "or developer of the app")
    graph.add_token("EAAstranger", kind="USER", id="100000000000777", name="Buyer")  # no role on the app
    assert graph_error(lambda: client("EAAstranger").request(f"{VERSION}/debug_token", {"input_token": "EAAstranger"})).code == 100


def test_an_app_may_inspect_only_the_tokens_it_issued(graph, api):
    graph.add_token("EAAfromanotherapp", app_id="999999999999999")
    error = graph_error(lambda: api.debug_access_token("EAAfromanotherapp", graph.app_id, graph.app_secret))
    assert error.code == 100 and error.message == "(#100) The App_id in the input_token did not match the Viewing App"
    wrong_secret = graph_error(lambda: api.debug_access_token(graph.page_token, graph.app_id, "not-the-secret"))
    assert wrong_secret.code == 190


def test_the_application_node_has_no_field_for_the_app_mode(graph, api):
    app = client(graph.app_token)
    assert app.get_object(graph.app_id, fields="id,name") == {"id": graph.app_id, "name": graph.app_name}
    for name in ("app_mode", "is_live", "status", "development_mode"):
        error = graph_error(lambda n=name: app.get_object(graph.app_id, fields=f"id,{n}"))
        assert error.code == 100 and f"nonexisting field ({name})" in error.message
    assert graph_error(lambda: api.get_object(graph.app_id)).code == 100  # not for a Page token


def test_in_development_mode_only_the_apps_roles_see_the_posts(graph, api):
    post_id = api.put_photo(io.BytesIO(jpeg()), album_path=f"{graph.page_id}/photos", message="Sokasi")["post_id"]
    assert graph.app_mode == "development"
    assert api.get_object(post_id, fields="message,is_published") == {"id": post_id, "message": "Sokasi", "is_published": True}
    assert [p["id"] for p in api.get_connections(graph.page_id, "posts")["data"]] == [post_id]  # the admin sees it
    assert graph.public_read(post_id) is None  # a buyer does not
    graph.app_mode = "live"
    assert graph.public_read(post_id)["message"] == "Sokasi"  # made in Development mode, shown once the app is Live
    assert graph.public_read("111_222") is None


def test_alt_text_is_taken_only_when_the_photo_is_created(graph, api):
    photo_id = api.put_photo(io.BytesIO(jpeg()), album_path=f"{graph.page_id}/photos", published="false",
                             alt_text_custom="Sokasi dari atas")["id"]
    assert graph.photos[photo_id].alt_text == "Sokasi dari atas"
    later = graph_error(lambda: api.request(f"{VERSION}/{photo_id}", post_args={"alt_text_custom": "Sokasi"}))
    assert (later.code, later.result["error"]["error_subcode"]) == (100, 33)
    assert later.message.startswith("Unsupported post request.")
    assert graph.photos[photo_id].alt_text == "Sokasi dari atas"


def test_an_unpublished_photo_expires_24_hours_after_its_upload(graph, api):
    start = time.time()
    graph.clock = lambda: start
    old = upload_unpublished(api, graph, jpeg())
    graph.clock = lambda: start + 24 * 3600 - 60
    fresh = upload_unpublished(api, graph, jpeg())
    assert multi_photo_post(api, graph, "in time", [fresh])["id"]
    graph.clock = lambda: start + 24 * 3600
    expired = graph_error(lambda: multi_photo_post(api, graph, "too late", [old]))
    assert expired.code == 100 and old in expired.message
    assert [p.message for p in graph.posts] == ["in time"]


def test_reading_the_pages_posts_needs_pages_read_engagement(graph):
    graph.add_token("EAAnoread", scopes=["pages_manage_posts", "pages_show_list"])
    error = graph_error(lambda: client("EAAnoread").get_connections(graph.page_id, "posts", limit=1))
    assert error.code == 10 and "pages_read_engagement" in error.message


def test_a_single_published_photo_becomes_a_post(graph, api, tmp_path):
    path = tmp_path / "foto.jpg"
    path.write_bytes(jpeg())
    with path.open("rb") as photo:
        reply = api.put_photo(photo, album_path=f"{graph.page_id}/photos", message="Keranjang bambu", alt_text_custom="A basket")
    assert set(reply) == {"id", "post_id"} and reply["post_id"].startswith(graph.page_id + "_")
    [post] = graph.posts
    assert (post.id, post.message, post.photo_ids, post.published) == (reply["post_id"], "Keranjang bambu", [reply["id"]], True)
    assert post.photo_bytes == [path.read_bytes()] and post.alt_texts == ["A basket"]
    call = graph.calls_to("POST", "/photos")[0]
    assert call.form["access_token"] == graph.page_token and "access_token" not in call.query  # kwargs -> token in the body
    assert call.files == {"source": path.read_bytes()}


def test_put_photo_without_fields_sends_the_token_in_the_query_string(graph, api):
    api.put_photo(io.BytesIO(jpeg()), album_path=f"{graph.page_id}/photos")
    call = graph.calls_to("POST", "/photos")[0]
    assert call.query["access_token"] == graph.page_token and call.form == {}


def test_multi_photo_flow_makes_one_post_with_the_photos_in_order(graph, api):
    pictures = [jpeg((255, 0, 0)), jpeg((0, 0, 255))]
    ids = [upload_unpublished(api, graph, data) for data in pictures]
    assert graph.posts == [] and all(not graph.photos[i].published for i in ids)
    reply = multi_photo_post(api, graph, "Dua foto", ids)
    [post] = graph.posts
    assert post.id == reply["id"] and post.photo_ids == ids and post.photo_bytes == pictures and post.message == "Dua foto"
    assert [graph.photos[i].attached_to for i in ids] == [post.id, post.id]
    n = post.id.split("_")[1]
    assert api.get_object(post.id, fields="permalink_url") == {"id": post.id, "permalink_url": f"https://www.facebook.com/{graph.page_id}/posts/{n}"}
    assert "permalink_url" in api.get_object(ids[0], fields="permalink_url")
    full = api.get_object(post.id, fields="id,permalink_url,message,created_time,is_published")
    assert full["is_published"] is True and full["message"] == "Dua foto"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000", full["created_time"])


def test_feed_refuses_bad_media(graph, api):
    used = upload_unpublished(api, graph, jpeg())
    multi_photo_post(api, graph, "first", [used])
    assert graph_error(lambda: multi_photo_post(api, graph, "again", [used])).code == 100
    assert graph_error(lambda: multi_photo_post(api, graph, "ghost", ["999"])).code == 100
    fresh = upload_unpublished(api, graph, jpeg())
    as_list = [json.dumps({"media_fbid": fresh})]
    assert graph_error(lambda: api.put_object(graph.page_id, "feed", message="x", attached_media=as_list)).code == 100
    assert len(graph.posts) == 1


def test_posts_and_scheduled_posts_listings(graph, api):
    first = api.put_object(graph.page_id, "feed", message="one")["id"]
    second = api.put_object(graph.page_id, "feed", message="two")["id"]
    when = int(time.time()) + 3600
    photo = upload_unpublished(api, graph, jpeg())
    later = multi_photo_post(api, graph, "later", [photo], published="false", scheduled_publish_time=str(when))
    listing = api.get_connections(graph.page_id, "posts", fields="id,message,created_time,permalink_url,is_published", limit=10)
    assert [p["id"] for p in listing["data"]] == [second, first] and listing["paging"] == {}
    assert set(listing["data"][0]) == {"id", "message", "created_time", "permalink_url", "is_published"}
    scheduled = api.get_connections(graph.page_id, "scheduled_posts", fields="id,message,scheduled_publish_time")["data"]
    assert scheduled == [{"id": later["id"], "message": "later", "scheduled_publish_time": when}]
    graph.clock = lambda: when + 1  # time passes: the scheduled post goes live
    assert [p["id"] for p in api.get_connections(graph.page_id, "posts")["data"]][0] == later["id"]
    assert [p["message"] for p in api.get_connections(graph.page_id, "posts", limit=2)["data"]] == ["later", "two"]


def test_a_scheduled_single_photo_with_an_iso_time(graph, api):
    when = datetime.fromtimestamp(time.time() + 7200, UTC).replace(microsecond=0)
    reply = api.put_photo(io.BytesIO(jpeg()), album_path=f"{graph.page_id}/photos", message="soon", published="false",
                          scheduled_publish_time=when.isoformat())
    [post] = graph.posts
    assert set(reply) == {"id"} and post.photo_ids == [reply["id"]] and post.scheduled_publish_time == int(when.timestamp())
    assert not post.published and api.get_connections(graph.page_id, "posts")["data"] == []


@pytest.mark.parametrize("offset", [60, 31 * 86400])
def test_scheduled_time_must_be_10_minutes_to_30_days_ahead(graph, api, offset):
    error = graph_error(lambda: api.put_object(graph.page_id, "feed", message="x", published="false",
                                               scheduled_publish_time=str(int(time.time()) + offset)))
    assert error.code == 100 and "scheduled publish time is invalid" in error.message and graph.posts == []


def test_photo_upload_errors(graph, api):
    missing = graph_error(lambda: api.put_object(graph.page_id, "photos", message="no file"))
    assert missing.code == 324 and missing.message == "(#324) Requires upload file"
    junk = graph_error(lambda: api.put_photo(io.BytesIO(b"GIF89a not really"), album_path=f"{graph.page_id}/photos", message="x"))
    assert junk.code == 324 and junk.result["error"]["error_subcode"] == 1366046
    boolean = graph_error(lambda: api.put_photo(io.BytesIO(jpeg()), album_path=f"{graph.page_id}/photos", published=False))
    assert boolean.code == 100  # Python False is form-encoded as "False"; the fake insists on "false"
    assert graph.photos == {}


def test_tokens_that_cannot_post(graph):
    as_user = client(graph.user_token)
    user = graph_error(lambda: as_user.put_photo(io.BytesIO(jpeg()), album_path=f"{graph.page_id}/photos", message="x"))
    assert user.code == 200 and "pages_manage_posts" in user.message
    form = {"message": "x", "access_token": graph.user_token}
    raw = requests.post(f"{graph.url}/{VERSION}/{graph.page_id}/feed", data=form, timeout=5)
    assert raw.status_code == 403 and raw.headers["Content-Type"] == "application/json; charset=UTF-8" and "Date" in raw.headers
    invalid = graph_error(lambda: client("EAAnot-a-token").get_object("me"))
    assert invalid.code == 190 and invalid.type == "OAuthException" and invalid.result["error"]["error_subcode"] == 467
    graph.add_token("EAAexpired", expires_at=int(time.time()) - 1)
    assert graph_error(lambda: client("EAAexpired").get_object("me")).result["error"]["error_subcode"] == 463
    assert graph.posts == []


@pytest.mark.parametrize("code", sorted(ERRORS))
def test_fail_next_gives_metas_error_once(graph, api, code):
    graph.fail_next("POST", "/feed", **ERRORS[code])
    error = graph_error(lambda: api.put_object(graph.page_id, "feed", message="hi"))
    assert error.code == code and error.message == ERRORS[code]["message"]
    assert error.result["error"].get("error_subcode") == ERRORS[code].get("subcode") and error.result["error"]["fbtrace_id"]
    assert error.result["error"].get("is_transient") == ERRORS[code].get("is_transient")
    assert graph.posts == []
    api.put_object(graph.page_id, "feed", message="hi")  # one-shot: the retry works
    assert len(graph.posts) == 1


def test_fail_next_with_custom_subcode(graph, api):
    graph.fail_next("GET", "/me", 190, "Error validating access token: gone", subcode=460)
    error = graph_error(lambda: api.get_object("me"))
    assert error.code == 190 and error.result["error"]["error_subcode"] == 460


def test_drop_after_action_loses_the_reply_but_the_post_exists(graph, api):
    api.get_object("me")  # so the POST goes over a reused keep-alive connection
    graph.drop_next("POST", "/feed", after_action=True)
    with pytest.raises(requests.exceptions.ConnectionError):
        api.put_object(graph.page_id, "feed", message="lost reply")
    assert [p.message for p in graph.posts] == ["lost reply"] and len(graph.calls_to("POST", "/feed")) == 1  # no silent retry
    assert api.get_connections(graph.page_id, "posts", fields="message")["data"][0]["message"] == "lost reply"  # same session works


def test_drop_before_action_does_nothing(graph, api):
    graph.drop_next("POST", "/photos", after_action=False)
    with pytest.raises(requests.exceptions.ConnectionError):
        api.put_photo(io.BytesIO(jpeg()), album_path=f"{graph.page_id}/photos", message="x")
    assert graph.posts == [] and graph.photos == {}
    assert len(graph.calls_to("POST", "/photos")) == 1


def test_html_page_from_a_proxy(graph, api):
    graph.html_next("POST", "/feed", status=502, after_action=True)
    error = graph_error(lambda: api.put_object(graph.page_id, "feed", message="behind a proxy"))
    assert str(error) == "Maintype was not text, image, or querystring" and error.code is None
    assert len(graph.posts) == 1  # after_action=True: the post was made anyway


def test_delay_makes_the_client_time_out(graph):
    graph.delay_next("GET", "/me", 1.0)
    slow = client(graph.page_token, timeout=0.3)
    with pytest.raises(requests.exceptions.Timeout):
        slow.get_object("me")
    assert slow.get_object("me")["id"] == graph.page_id


def test_delete(graph, api):
    post_id = api.put_object(graph.page_id, "feed", message="bye")["id"]
    assert api.delete_object(post_id) == {"success": True}
    assert graph.posts == []
    assert graph_error(lambda: api.get_object(post_id)).result["error"]["error_subcode"] == 33


def test_unsupported_requests_and_fields(graph, api):
    unsupported = graph_error(lambda: api.get_connections(graph.page_id, "videos_of_cats"))
    assert (unsupported.code, unsupported.type, unsupported.result["error"]["error_subcode"]) == (100, "GraphMethodException", 33)
    assert graph_error(lambda: api.get_object("me", fields="id,nonsense")).code == 100


def test_concurrent_uploads_get_distinct_ids(graph, api):
    ids: list[str] = []

    def upload():
        ids.append(upload_unpublished(client(graph.page_token), graph, jpeg()))

    threads = [threading.Thread(target=upload) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(ids)) == 8 == len(graph.photos)
