"""The fake Instagram private API, driven by the REAL instagrapi Client; and the instagrapi API our publisher relies on."""

from __future__ import annotations

import base64
import inspect
import io
import json
import logging
from pathlib import Path

import certifi
import pytest
from instagrapi import Client
from instagrapi import exceptions as igx
from instagrapi.types import Location, UserShort, Usertag
from PIL import Image

from tests.fakeinstagram import FAILURES, FakeInstagram, fake_ig_client_fixture, fake_instagram_fixture, make_client  # noqa: F401

RED, GREEN = (220, 30, 30), (30, 200, 30)


def jpeg(folder: Path, name: str, colour=(200, 160, 100), size=(1080, 1350)) -> Path:
    path = folder / name
    Image.new("RGB", size, colour).save(path, "JPEG", quality=90)
    return path


def colour_of(data: bytes) -> tuple[int, int, int]:
    return Image.open(io.BytesIO(data)).convert("RGB").resize((1, 1)).getpixel((0, 0))


def close_to(a, b, tolerance=12) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a, b, strict=True))


# -- sessions ------------------------------------------------------------------------------------------------------
def test_account_info_uses_the_saved_session_without_logging_in(fake_instagram, fake_ig_client):
    assert fake_ig_client.user_id == int(fake_instagram.user_id)
    assert fake_ig_client.account_info().username == "sokasi.tigawasa"
    assert [c.path for c in fake_instagram.calls] == ["/api/v1/accounts/current_user/?edit=true"]
    assert fake_instagram.calls[0].headers["Host"] == "i.instagram.com"  # the Host header keeps the import-time domain


def test_an_expired_session_raises_login_required(fake_instagram, fake_ig_client):
    fake_instagram.expire_session()
    with pytest.raises(igx.LoginRequired):
        fake_ig_client.account_info()


def test_dump_and_load_settings_keep_the_session(fake_instagram, fake_ig_client, tmp_path):
    path = tmp_path / "session.json"
    fake_ig_client.dump_settings(path)
    fresh = make_client(fake_instagram, session_retry_total=3, request_timeout=5)
    fresh.load_settings(path)
    assert fresh.account_info().username == "sokasi.tigawasa"
    assert [c.path for c in fake_instagram.calls] == ["/api/v1/accounts/current_user/?edit=true"]  # no login request
    # load_settings restores transport settings from the file, overriding what the Client was built with
    assert (fresh.session_retry_total, fresh.request_timeout, fresh.private_transport) == (0, 0, "requests")


def test_a_production_session_file_brings_back_retries_and_curl(fake_instagram):
    client = make_client(fake_instagram, fake_instagram.session_settings(fake_transport=False))
    assert (client.session_retry_total, client.request_timeout, client.private_transport, client.tls_verify) == (3, 1, "curl", True)


def test_login_with_a_valid_session_only_checks_it(fake_instagram, fake_ig_client):
    assert fake_ig_client.login("sokasi.tigawasa", "not-used") is True
    assert [c.path for c in fake_instagram.calls] == ["/api/v1/accounts/current_user/?edit=true"]


def test_login_with_an_expired_session_starts_a_password_login_elsewhere(fake_instagram, fake_ig_client):
    fake_instagram.expire_session()
    with pytest.raises(igx.ClientConnectionError):
        fake_ig_client.login("sokasi.tigawasa", "secret")
    assert fake_instagram.blocked_hosts == ["b.i.instagram.com"]  # the CAA login flow does not use API_DOMAIN


def test_tls_is_verified_and_requests_ca_bundle_beats_tls_verify(fake_instagram, monkeypatch):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi.where())
    client = make_client(fake_instagram, fake_instagram.session_settings())  # tls_verify = the fake's CA ...
    with pytest.raises(igx.ClientConnectionError, match="CERTIFICATE_VERIFY_FAILED"):
        client.account_info()  # ... but the environment's bundle wins


def test_the_session_id_does_not_reach_the_logs(fake_instagram, fake_ig_client, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    fake_ig_client.photo_upload(jpeg(tmp_path, "a.jpg"), "Keben")
    fake_instagram.fail_next("POST", "media/configure/", "login_required")
    with pytest.raises(igx.LoginRequired):
        fake_ig_client.photo_upload(jpeg(tmp_path, "b.jpg"), "Sokasi")
    header = fake_instagram.calls[-1].headers["Authorization"]
    assert json.loads(base64.b64decode(header.removeprefix("Bearer IGT:2:")))["sessionid"] == fake_instagram.sessionid
    assert fake_instagram.sessionid not in caplog.text and header.split(":")[-1] not in caplog.text


# -- posting ---------------------------------------------------------------------------------------------------------
def test_photo_upload(fake_instagram, fake_ig_client, tmp_path):
    alt = {"custom_accessibility_caption": "alt"}
    media = fake_ig_client.photo_upload(jpeg(tmp_path, "keben.jpg", RED), "Keben bambu", extra_data=alt)
    assert (media.caption_text, media.media_type, media.accessibility_caption) == ("Keben bambu", 1, "alt")
    [stored] = fake_instagram.media
    assert (media.pk, media.id, media.code) == (stored.pk, stored.id, stored.code)
    assert stored.alt_text == "alt" and stored.caption == "Keben bambu"
    assert stored.jpegs[0].startswith(b"\xff\xd8\xff") and close_to(colour_of(stored.jpegs[0]), RED)
    assert (stored.slides[0].width, stored.slides[0].height) == (1080, 1350)
    steps = [(c.method, c.path.split("?")[0].rsplit("/", 2)[-2]) for c in fake_instagram.calls]
    assert steps == [("GET", "4242"), ("POST", "rupload_igphoto"), ("POST", "configure")]  # feed read first, for diffing
    rupload = json.loads(fake_instagram.calls[1].headers["X-Instagram-Rupload-Params"])
    assert rupload["upload_id"] == stored.upload_ids[0]
    assert 3 in fake_instagram.sleeps  # the 3 s between rupload and configure, recorded not slept


def test_album_upload_keeps_the_order(fake_instagram, fake_ig_client, tmp_path):
    paths = [jpeg(tmp_path, "1.jpg", RED), jpeg(tmp_path, "2.jpg", GREEN)]
    media = fake_ig_client.album_upload(paths, "Sokasi set", extra_data={"custom_accessibility_caption": "two baskets"})
    [stored] = fake_instagram.media
    assert (media.media_type, stored.media_type, media.caption_text) == (8, 8, "Sokasi set")
    assert [close_to(colour_of(j), c) for j, c in zip(stored.jpegs, (RED, GREEN), strict=True)] == [True, True]
    [configure] = fake_instagram.calls_to("configure_sidecar")
    assert [child["upload_id"] for child in configure.signed["children_metadata"]] == stored.upload_ids
    assert len(media.resources) == 2 and stored.alt_text == "two baskets"
    assert not fake_instagram.calls_to("feed/user")  # unlike photo_upload, no feed read before an album


def test_user_medias_v1_lists_newest_first(fake_instagram, fake_ig_client, tmp_path):
    fake_instagram.add_media("an old post", taken_at=1_700_000_000)
    fake_ig_client.photo_upload(jpeg(tmp_path, "a.jpg"), "first")
    fake_ig_client.album_upload([jpeg(tmp_path, "b.jpg"), jpeg(tmp_path, "c.jpg")], "second")
    medias = fake_ig_client.user_medias_v1(fake_ig_client.user_id, amount=12)
    assert [(m.caption_text, m.media_type) for m in medias] == [("second", 8), ("first", 1), ("an old post", 1)]
    assert medias[0].id == f"{medias[0].pk}_4242" and medias[2].taken_at.timestamp() == 1_700_000_000


def test_user_medias_v1_follows_pages(fake_instagram, fake_ig_client):
    fake_instagram.page_size = 2
    for n in range(5):
        fake_instagram.add_media(f"post {n}")
    assert [m.caption_text for m in fake_ig_client.user_medias_v1(4242, amount=0)] == [f"post {n}" for n in range(4, -1, -1)]
    assert len(fake_instagram.calls_to("feed/user")) == 3


def test_location_goes_to_configure_without_a_search(fake_instagram, fake_ig_client, tmp_path):
    place = Location(name="Tigawasa", lat=-8.17, lng=115.05, external_id="123", external_id_source="facebook_places")
    media = fake_ig_client.photo_upload(jpeg(tmp_path, "a.jpg"), "Dari Tigawasa", location=place)
    [configure] = fake_instagram.calls_to("media/configure/")
    assert json.loads(configure.signed["location"]) == {"name": "Tigawasa", "address": "", "lat": -8.17, "lng": 115.05,
                                                        "external_source": "facebook_places", "facebook_places_id": 123}
    assert [c.path.split("?")[0] for c in fake_instagram.calls if "location" in c.path or "places" in c.path] == []
    assert media.location.name == "Tigawasa" and fake_instagram.media[0].location["facebook_places_id"] == 123


def test_tagging_the_craftsman(fake_instagram, fake_ig_client, tmp_path):
    pk = fake_instagram.add_user("pak.wayan.bambu", full_name="Pak Wayan")
    craftsman = fake_ig_client.user_info_by_username_v1("pak.wayan.bambu")
    assert craftsman.pk == pk
    tag = Usertag(user=UserShort(pk=craftsman.pk, username=craftsman.username), x=0.5, y=0.5)  # a User is refused: UserShort only
    media = fake_ig_client.photo_upload(jpeg(tmp_path, "a.jpg"), "Karya Pak Wayan", usertags=[tag])
    assert fake_instagram.media[0].usertags == [{"user_id": pk, "position": [0.5, 0.5]}]
    assert [t.user.username for t in media.usertags] == ["pak.wayan.bambu"]
    assert not fake_instagram.calls_to("edit_media")  # the reply carried the tags, so no follow-up media_edit


def test_an_unknown_username(fake_instagram, fake_ig_client):
    with pytest.raises(igx.UserNotFound):
        fake_ig_client.user_info_by_username_v1("nobody.here")
    with pytest.raises(igx.ClientConnectionError):
        fake_ig_client.user_info_by_username("nobody.here")  # falls back to the public web API
    assert fake_instagram.blocked_hosts == ["www.instagram.com"]


def test_media_delete(fake_instagram, fake_ig_client, tmp_path):
    media = fake_ig_client.photo_upload(jpeg(tmp_path, "a.jpg"), "oops")
    assert fake_ig_client.media_delete(media.id) is True
    assert fake_instagram.media[0].deleted and fake_ig_client.user_medias_v1(4242, amount=12) == []


# -- failures ----------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("preset", "exception", "code"),  # .code (HTTP status) is None where instagrapi does not pass the response on
    [("login_required", igx.LoginRequired, 403), ("challenge_required", igx.ChallengeRequired, None),
     ("feedback_required", igx.FeedbackRequired, None), ("please_wait", igx.PleaseWaitFewMinutes, 400),
     ("rate_limit", igx.ClientThrottledError, 429), ("server_error", igx.ClientError, 500), ("sentry_block", igx.SentryBlock, None)],
)
def test_failure_presets_raise_the_real_exceptions(fake_instagram, fake_ig_client, tmp_path, preset, exception, code):
    fake_instagram.fail_next("GET", "accounts/current_user", preset)
    with pytest.raises(exception) as caught:
        fake_ig_client.account_info()
    assert type(caught.value) is exception and caught.value.code == code
    fake_instagram.fail_next("POST", "media/configure/", preset)
    with pytest.raises(exception):
        fake_ig_client.photo_upload(jpeg(tmp_path, "a.jpg"), "x")
    assert fake_instagram.media == [] and len(fake_instagram.calls_to("media/configure/")) == 1  # no retry with retries off


def test_a_rejected_upload_raises_photo_not_upload(fake_instagram, fake_ig_client, tmp_path, monkeypatch):
    monkeypatch.setattr("instagrapi.mixins.photo.prepare_image", lambda *a, **k: (b"GIF89a not a jpeg", (1080, 1350)))
    with pytest.raises(igx.PhotoNotUpload):
        fake_ig_client.photo_upload(jpeg(tmp_path, "a.jpg"), "x")
    assert not fake_instagram.calls_to("configure")


def test_an_expired_session_during_upload_is_photo_not_upload_not_login_required(fake_instagram, fake_ig_client, tmp_path):
    fake_instagram.expire_session()
    with pytest.raises(igx.PhotoNotUpload, match="login_required") as caught:
        fake_ig_client.photo_upload(jpeg(tmp_path, "a.jpg"), "x")
    assert not isinstance(caught.value, igx.LoginRequired)


def test_feed_errors_are_swallowed_into_an_empty_list(fake_instagram, fake_ig_client):
    fake_instagram.add_media("already posted")
    for preset in ("rate_limit", "server_error"):
        fake_instagram.fail_next("GET", "feed/user", preset)
        assert fake_ig_client.user_medias_v1(4242, amount=12) == []  # not an exception: cannot tell "none" from "unknown"
    fake_instagram.drop_next("GET", "feed/user")
    assert fake_ig_client.user_medias_v1(4242, amount=12) == []
    fake_instagram.fail_next("GET", "feed/user", "login_required")
    with pytest.raises(igx.LoginRequired):  # PrivateError subclasses do propagate
        fake_ig_client.user_medias_v1(4242, amount=12)


def test_a_lost_reply_leaves_the_post_on_the_account(fake_instagram, fake_ig_client, tmp_path):
    fake_instagram.drop_next("POST", "media/configure/", after_action=True)
    with pytest.raises(igx.ClientConnectionError):
        fake_ig_client.photo_upload(jpeg(tmp_path, "a.jpg"), "Keben #1")
    assert [m.caption_text for m in fake_ig_client.user_medias_v1(4242, amount=12)] == ["Keben #1"]


def test_a_dropped_request_creates_nothing(fake_instagram, fake_ig_client, tmp_path):
    fake_instagram.drop_next("POST", "configure_sidecar", after_action=False)
    with pytest.raises(igx.ClientConnectionError):
        fake_ig_client.album_upload([jpeg(tmp_path, "a.jpg"), jpeg(tmp_path, "b.jpg")], "x")
    assert fake_instagram.media == []


@pytest.mark.parametrize("failure", ["drop", "server_error"])
def test_urllib3_retries_repost_configure_and_duplicate_the_post(fake_instagram, tmp_path, failure):
    client = make_client(fake_instagram, {**fake_instagram.session_settings(), "session_retry_total": 1})
    if failure == "drop":
        fake_instagram.drop_next("POST", "media/configure/", after_action=True)
    else:
        fake_instagram.fail_next("POST", "media/configure/", "server_error")
    client.photo_upload(jpeg(tmp_path, "a.jpg"), "Keben")
    assert len(fake_instagram.calls_to("media/configure/")) == 2
    assert len(fake_instagram.live_media) == (2 if failure == "drop" else 1)


# -- what Instagram refuses ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("caption", [
    "Sokasi #a #b #c #d #e #f",  # 6 hashtags: the limit is 5 since December 2025
    "x" * 2_201,
    " ".join(f"@user{n}" for n in range(21)),
])
def test_a_caption_over_the_limits_is_dropped_silently_and_the_post_still_made(fake_instagram, fake_ig_client, tmp_path,
                                                                               caption):
    media = fake_ig_client.photo_upload(jpeg(tmp_path, "a.jpg"), caption)
    [configure] = fake_instagram.calls_to("media/configure/")
    assert configure.signed["caption"] == caption  # it was sent ...
    assert media.caption_text == "" and fake_instagram.media[0].caption == ""  # ... and the post has none
    assert [m.caption_text for m in fake_ig_client.user_medias_v1(4242, amount=12)] == [""]


def test_a_caption_at_the_limits_is_kept(fake_instagram, fake_ig_client, tmp_path):
    caption = "Sokasi #a #b #c #d #e " + "@x " * 20 + "C#5 and &#39; are no hashtags"
    media = fake_ig_client.album_upload([jpeg(tmp_path, "a.jpg"), jpeg(tmp_path, "b.jpg")], caption)
    assert media.caption_text == caption


class Clock:
    def __init__(self):
        self.now = 1_800_000_000.0

    def __call__(self):
        return self.now


def test_feedback_required_escalates_when_writes_are_retried_within_the_cooldown(fake_instagram, fake_ig_client, tmp_path):
    fake_instagram.clock = clock = Clock()
    fake_instagram.fail_next("POST", "media/configure/", "feedback_required")
    with pytest.raises(igx.FeedbackRequired):
        fake_ig_client.photo_upload(jpeg(tmp_path, "a.jpg"), "one")
    assert fake_instagram.writes_blocked
    clock.now += 3600
    for _repeat in range(fake_instagram.challenge_after):  # the upload itself is refused now
        with pytest.raises(igx.PhotoNotUpload, match="feedback_required"):
            fake_ig_client.photo_upload(jpeg(tmp_path, "a.jpg"), "again")
    assert fake_ig_client.account_info().username == "sokasi.tigawasa"  # reads still work
    with pytest.raises(igx.PhotoNotUpload, match="challenge_required"):
        fake_ig_client.photo_upload(jpeg(tmp_path, "a.jpg"), "once more")
    with pytest.raises(igx.ChallengeRequired):  # now a checkpoint: every request
        fake_ig_client.account_info()
    clock.now += 30 * 24 * 3600
    with pytest.raises(igx.ChallengeRequired):  # time alone does not lift it
        fake_ig_client.account_info()
    fake_instagram.clear_checkpoint()
    assert fake_ig_client.photo_upload(jpeg(tmp_path, "a.jpg"), "after confirming").caption_text == "after confirming"
    assert [m.caption for m in fake_instagram.media] == ["after confirming"]


def test_after_the_cooldown_writes_work_again(fake_instagram, fake_ig_client, tmp_path):
    fake_instagram.clock = clock = Clock()
    fake_instagram.fail_next("POST", "rupload_igphoto", "feedback_required")
    with pytest.raises(igx.PhotoNotUpload, match="feedback_required"):
        fake_ig_client.photo_upload(jpeg(tmp_path, "a.jpg"), "one")
    clock.now += fake_instagram.cooldown_seconds - 1
    with pytest.raises(igx.PhotoNotUpload, match="feedback_required"):  # one repeat: the window starts again
        fake_ig_client.photo_upload(jpeg(tmp_path, "a.jpg"), "two")
    clock.now += fake_instagram.cooldown_seconds + 1
    media = fake_ig_client.photo_upload(jpeg(tmp_path, "a.jpg"), "three")
    assert media.caption_text == "three" and media.taken_at.timestamp() == int(clock.now)  # taken_at follows the clock
    assert not fake_instagram.writes_blocked and not fake_instagram.checkpointed


def test_a_408_on_a_read_is_resent_once_by_instagrapi(fake_instagram, fake_ig_client):
    fake_instagram.fail_next("GET", "accounts/current_user", "request_timeout")
    assert fake_ig_client.account_info().username == "sokasi.tigawasa"
    assert len(fake_instagram.calls_to("current_user")) == 2 and 60 in fake_instagram.sleeps


@pytest.mark.parametrize("after_action", [True, False])
def test_a_408_on_configure_with_or_without_the_post(fake_instagram, fake_ig_client, tmp_path, after_action):
    fake_instagram.fail_next("POST", "media/configure/", "request_timeout", after_action=after_action)
    fake_ig_client.photo_upload(jpeg(tmp_path, "a.jpg"), "Keben")  # instagrapi resends, so it "succeeds"
    assert len(fake_instagram.calls_to("media/configure/")) == 2
    assert len(fake_instagram.live_media) == (2 if after_action else 1)


def test_a_408_is_not_json(fake_instagram, fake_ig_client):
    fake_instagram.fail_next("GET", "accounts/current_user", "request_timeout")
    fake_instagram.fail_next("GET", "accounts/current_user", "request_timeout")
    with pytest.raises(igx.ClientRequestTimeout) as caught:
        fake_ig_client.account_info()
    assert caught.value.code == 408 and caught.value.response.headers["Content-Type"].startswith("text/html")


# -- places -----------------------------------------------------------------------------------------------------------
def test_location_search_answers_venues_near_the_coordinates(fake_instagram, fake_ig_client):
    fake_instagram.add_place("Tigawasa", -8.172, 115.052, place_id=110000000000042, address="Tigawasa, Banjar")
    fake_instagram.add_place("Warung Made", -8.1701, 115.0501, place_id=110000000000007)
    fake_instagram.add_place("Kuta Beach", -8.72, 115.17)
    venues = fake_ig_client.location_search(-8.17, 115.05)
    assert [v.name for v in venues] == ["Warung Made", "Tigawasa", "Kuta Beach"]  # by distance: the first is not the village
    assert (venues[1].external_id, venues[1].external_id_source, venues[1].address) == (
        110000000000042, "facebook_places", "Tigawasa, Banjar")
    [search] = fake_instagram.location_searches
    assert (search.path.split("?")[0], search.query["latitude"]) == ("/api/v1/location_search/", "-8.17")


def test_places_search_by_name(fake_instagram, fake_ig_client):
    fake_instagram.add_place("Tigawasa", -8.172, 115.052, place_id=110000000000042)
    fake_instagram.add_place("Warung Made", -8.1701, 115.0501)
    [place] = fake_ig_client.fbsearch_places("tigawasa", -8.3, 115.1)
    assert (place.name, place.pk, place.external_id) == ("Tigawasa", 110000000000042, 110000000000042)
    assert fake_ig_client.fbsearch_places("Sidatapa", -8.3, 115.1) == []
    assert [c.query["query"] for c in fake_instagram.location_searches] == ["tigawasa", "Sidatapa"]


def test_a_location_without_a_place_id_is_searched_at_posting_time_and_the_first_venue_taken(fake_instagram, fake_ig_client,
                                                                                            tmp_path):
    """The instagrapi behaviour the publisher avoids (docs/platforms.md I6)."""
    from instagrapi.types import Location as Place

    fake_instagram.add_place("Warung Made", -8.1701, 115.0501, place_id=110000000000007)
    fake_instagram.add_place("Tigawasa", -8.172, 115.052, place_id=110000000000042)
    fake_ig_client.photo_upload(jpeg(tmp_path, "a.jpg"), "x", location=Place(name="Tigawasa", lat=-8.17, lng=115.05))
    assert len(fake_instagram.location_searches) == 1
    assert fake_instagram.media[0].location["name"] == "Warung Made"


# -- the instagrapi API the publisher calls ---------------------------------------------------------------------------
CONTRACT = {
    "load_settings": ["path"],
    "dump_settings": ["path"],
    "get_settings": [],
    "set_settings": ["settings"],
    "login": ["username", "password", "relogin", "verification_code"],
    "account_info": [],
    "photo_upload": ["path", "caption", "usertags", "location", "extra_data"],
    "album_upload": ["paths", "caption", "usertags", "location", "extra_data"],
    "user_medias_v1": ["user_id", "amount"],
    "user_info_by_username": ["username"],
    "user_info_by_username_v1": ["username"],
    "media_delete": ["media_id"],
    "location_search": ["lat", "lng"],
    "fbsearch_places": ["query", "lat", "lng"],
    "set_country": ["country"],
    "set_country_code": ["country_code"],
    "set_locale": ["locale"],
    "set_timezone_offset": ["seconds"],
    "private_request": ["endpoint", "data", "params"],
    "_send_private_request": ["endpoint", "data", "params"],
}
EXCEPTIONS = ["LoginRequired", "ChallengeRequired", "FeedbackRequired", "PleaseWaitFewMinutes", "ClientThrottledError",
              "TwoFactorRequired", "BadPassword", "PhotoNotUpload", "PhotoConfigureError", "AlbumConfigureError",
              "ClientConnectionError", "ClientError", "ClientRequestTimeout", "ClientIncompleteReadError", "SentryBlock",
              "RateLimitError", "AccountSuspended", "ClientForbiddenError", "CaptchaChallengeRequired"]


@pytest.mark.parametrize(("method", "parameters"), CONTRACT.items())
def test_contract_methods(method, parameters):
    """Names only: photo_upload has upload_id and album_upload configure_timeout in between, so pass these by keyword."""
    signature = inspect.signature(getattr(Client, method))
    assert set(parameters) <= set(signature.parameters)
    assert all(signature.parameters[p].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD for p in parameters)


def test_contract_constructor_and_settings():
    parameters = inspect.signature(Client.__init__).parameters
    assert "delay_range" in parameters and parameters["kwargs"].kind is inspect.Parameter.VAR_KEYWORD
    client = Client(delay_range=[1, 3], with_challenge_flow=False, request_timeout=0, session_retry_total=0,
                    private_transport="requests")
    assert (client.delay_range, client.with_challenge_flow, client.request_timeout) == ([1, 3], False, 0)
    assert (client.session_retry_total, client.private_transport) == (0, "requests")
    assert {"authorization_data", "uuids", "device_settings", "cookies"} <= set(client.get_settings())


@pytest.mark.parametrize("name", EXCEPTIONS)
def test_contract_exceptions(name):
    assert issubclass(getattr(igx, name), igx.ClientError)


def test_contract_exception_families():
    assert issubclass(igx.PhotoConfigureError, igx.PhotoNotUpload)
    assert not issubclass(igx.AlbumConfigureError, igx.PhotoNotUpload)
    assert not issubclass(igx.ClientThrottledError, igx.PrivateError) and not issubclass(igx.ClientConnectionError, igx.PrivateError)
    assert issubclass(igx.LoginRequired, igx.PrivateError) and issubclass(igx.ChallengeRequired, igx.PrivateError)


def test_fake_can_be_used_on_its_own():
    with FakeInstagram(user_id="77", username="someone") as fake:
        ca_path = fake.ca_path
        assert fake.domain.startswith("127.0.0.1:") and ca_path.read_text().startswith("-----BEGIN CERTIFICATE-----")
        assert fake.session_settings()["authorization_data"]["ds_user_id"] == "77"
    assert not ca_path.exists()
