"""What Instagram really does, and how the publisher copes: the REAL instagrapi Client against tests/fakeinstagram.py.

Device country, locale and time zone (docs/platforms.md I3); no resend of a post after a 408 (I4); a caption
dropped for too many hashtags (I1); a location tagged by a fixed place id only (I6); cool-down kinds (I2).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from instagrapi import exceptions as igx

from sokasi_post import places, publishing
from sokasi_post.catalog import load_catalog
from sokasi_post.config import load_settings
from sokasi_post.errors import BLOCKED, CHALLENGE, SLOW_DOWN, ThrottledError, TransientError, UnknownOutcomeError
from sokasi_post.publishers import instagram
from sokasi_post.publishers.instagram import InstagramPublisher, load_session, save_session, translate
from tests.conftest import jpeg_bytes
from tests.fakeinstagram import FakeInstagram, fake_instagram_fixture, make_client  # noqa: F401

CONFIG = """\
posts_dir: posts
state_dir: state
timezone: Asia/Makassar
facebook:
  enabled: false
instagram:
  username: sokasi.tigawasa
  pause_min_seconds: 0
  pause_max_seconds: 0
{location}contact:
  whatsapp: "+62 813-3791-2468"
captions:
  hashtags: [sokasi, tigawasa]
"""
BALI = {"country": "ID", "country_code": 62, "locale": "id_ID", "timezone_offset": 28800}
SIX_TAGS = "Sokasi bundar\n#sokasi #tigawasa #bambu #bali #buleleng #kerajinan"


class Village:
    """A project folder with one or two products, a saved session, and publishers wired to the fake."""

    def __init__(self, root: Path, fake: FakeInstagram, location: str = ""):
        self.root, self.fake = root, fake
        (root / "config.yaml").write_text(CONFIG.format(location=location), encoding="utf-8")
        for slug, photos in (("sokasi-bundar", 1), ("keben-set", 3)):
            folder = root / "posts" / slug
            folder.mkdir(parents=True)
            (folder / "post.yaml").write_text(f"title: {slug}\ncaption: Anyaman bambu dari Tigawasa.\nprice: 150000\n",
                                              encoding="utf-8")
            for n in range(photos):
                (folder / f"{n}.jpg").write_bytes(jpeg_bytes(colour=(200, 100 + 40 * n, 60)))
        self.settings = load_settings(root / "config.yaml")
        # As a production file would be: a client left at instagrapi's defaults (USA, en_US, UTC-4).
        save_session(fake.session_settings(), self.session_file)

    @property
    def session_file(self) -> Path:
        return self.settings.instagram.session_file

    def saved(self) -> dict:
        return json.loads(self.session_file.read_text(encoding="utf-8"))

    def publisher(self) -> InstagramPublisher:
        return InstagramPublisher(self.settings, sleep=lambda seconds: None, client_factory=lambda: make_client(self.fake))

    def post(self, slug: str = "sokasi-bundar"):
        products = tuple(p for p in load_catalog(self.settings).products if p.slug == slug)
        return next(p for p in publishing.plan(products, self.settings).posts if p.platform == "instagram")


@pytest.fixture
def village(tmp_path, fake_instagram):
    return Village(tmp_path, fake_instagram)


def located(tmp_path, fake, location: str) -> Village:
    return Village(tmp_path, fake, location=f"  location: {location}\n")


def publish(publisher, post):
    return publisher.publish(post, {}, lambda progress: None)


# -- the device: Indonesia, id_ID, Bali time (I3) ----------------------------------------------------------------
def test_a_loaded_session_is_saved_back_as_a_phone_in_indonesia_on_bali_time(village):
    assert village.saved()["country"] == "US"  # what a fresh instagrapi client writes
    village.publisher().check()
    saved = village.saved()
    assert {key: saved[key] for key in BALI} == BALI
    assert saved["authorization_data"]["sessionid"] == village.fake.sessionid  # still logged in
    if os.name == "posix":
        assert stat.S_IMODE(village.session_file.stat().st_mode) == 0o600
    [call] = village.fake.calls
    assert (call.headers["X-IG-App-Locale"], call.headers["X-IG-App-Startup-Country"]) == ("id_ID", "ID")
    assert call.headers["X-IG-Timezone-Offset"] == "28800" and "id_ID" in call.headers["User-Agent"]


def test_every_load_of_the_session_sets_the_device(village):
    client = load_session(village.settings, lambda: make_client(village.fake))
    assert (client.country, client.country_code, client.locale, client.timezone_offset) == ("ID", 62, "id_ID", 28800)


def test_the_session_is_saved_after_a_publish_and_a_find_too(village):
    publisher = village.publisher()
    publish(publisher, village.post())
    assert village.saved()["locale"] == "id_ID"
    save_session(village.fake.session_settings(), village.session_file)  # back to the USA
    assert village.publisher().find(village.post(), datetime.now(UTC)) is not None
    assert village.saved()["locale"] == "id_ID"


def test_the_timezone_offset_follows_the_config():
    assert instagram.utc_offset(load_settings_zone("Asia/Makassar")) == 8 * 3600
    assert instagram.utc_offset(load_settings_zone("Asia/Jakarta")) == 7 * 3600


def load_settings_zone(name: str):
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


# -- no resend after a 408 (I4) ---------------------------------------------------------------------------------------
def test_a_408_on_configure_after_the_post_was_made_yields_one_post_and_an_unknown_outcome(village):
    fake = village.fake
    fake.fail_next("POST", "media/configure/", "request_timeout", after_action=True)
    publisher = village.publisher()
    post = village.post()
    sent = datetime.now(UTC)
    with pytest.raises(UnknownOutcomeError, match="408"):
        publish(publisher, post)
    assert len(fake.live_media) == 1 and len(fake.calls_to("media/configure/")) == 1
    assert 60 not in fake.sleeps  # instagrapi's wait-and-resend never ran
    # The session is not left broken: the same publisher, and a fresh one from the saved file, find the post.
    assert publisher.find(post, sent).remote_id == fake.live_media[0].id
    again = village.publisher()
    assert again.check() == "@sokasi.tigawasa"
    assert again.find(post, sent).remote_id == fake.live_media[0].id


def test_a_408_on_an_album_before_anything_was_made_is_unknown_too_and_not_resent(village):
    fake = village.fake
    fake.fail_next("POST", "media/configure_sidecar/", "request_timeout")
    with pytest.raises(UnknownOutcomeError):
        publish(village.publisher(), village.post("keben-set"))
    assert fake.live_media == [] and len(fake.calls_to("configure_sidecar")) == 1


def test_without_the_guard_instagrapi_posts_twice_after_a_408(village):
    """Why the guard exists: the plain client resends the configure after 60 s and the post is made twice."""
    fake = village.fake
    fake.fail_next("POST", "media/configure/", "request_timeout", after_action=True)
    client = make_client(fake, fake.session_settings())
    client.photo_upload(village.post().prepared[0].path, "Keben")
    assert len(fake.live_media) == 2 and 60 in fake.sleeps


def test_a_408_on_a_read_keeps_instagrapis_one_resend(village):
    village.fake.fail_next("GET", "feed/user", "request_timeout")
    assert village.publisher().find(village.post(), datetime.now(UTC)) is None
    assert len(village.fake.calls_to("feed/user")) == 2 and 60 in village.fake.sleeps


def test_a_cut_off_reply_to_configure_is_not_resent_either(village):
    client = make_client(village.fake, village.fake.session_settings())
    sent = []

    def cut_off(endpoint, *args, **kwargs):
        sent.append(endpoint)
        raise igx.ClientIncompleteReadError("ChunkedEncodingError Connection broken: IncompleteRead")

    client._send_private_request = cut_off
    instagram._no_resend_of_posts(client)
    with pytest.raises(instagram.UnansweredPostError):
        client.private_request("media/configure/", {"caption": "x"})
    assert sent == ["media/configure/"]
    with pytest.raises(igx.ClientIncompleteReadError):
        client.private_request("feed/user/4242/")
    assert sent == ["media/configure/", "feed/user/4242/", "feed/user/4242/"]  # reads: instagrapi's one resend
    assert isinstance(translate(instagram.UnansweredPostError("x"), True, "u"), UnknownOutcomeError)


# -- a caption dropped by Instagram (I1) --------------------------------------------------------------------------------
def test_a_six_hashtag_caption_comes_back_as_a_receipt_with_a_problem(village):
    post = dataclasses.replace(village.post(), caption=SIX_TAGS)  # straight to the publisher, past the planner's check
    receipt = publish(village.publisher(), post)
    [media] = village.fake.live_media
    assert media.caption == "" and receipt.remote_id == media.id  # the post exists, without its caption
    assert receipt.problem and "without the caption" in receipt.problem and "5 hashtags" in receipt.problem


def test_a_caption_within_the_limits_has_no_problem(village):
    receipt = publish(village.publisher(), village.post())
    assert receipt.problem is None and village.fake.live_media[0].caption == village.post().caption


def test_find_takes_an_uncaptioned_post_in_the_window_as_found_with_a_problem(village):
    fake = village.fake
    post = village.post()
    since = datetime.now(UTC) - timedelta(minutes=5)
    fake.add_media("", taken_at=int((since - timedelta(hours=3)).timestamp()))  # too old: not ours
    fake.add_media("", media_type=8, slides=2)  # two photos: not this one-photo post
    assert village.publisher().find(post, since) is None
    ours = fake.add_media("")
    found = village.publisher().find(post, since)
    assert found.remote_id == ours.id and "without a caption" in found.problem


def test_find_prefers_the_post_with_the_caption_over_an_uncaptioned_one(village):
    post = village.post()
    captioned = village.fake.add_media(post.caption)
    village.fake.add_media("")
    found = village.publisher().find(post, datetime.now(UTC) - timedelta(minutes=1))
    assert found.remote_id == captioned.id and found.problem is None


# -- location: a fixed place id, never a search at posting time (I6) ----------------------------------------------------
def test_a_place_id_in_the_config_is_sent_without_any_search(tmp_path, fake_instagram):
    village = located(tmp_path, fake_instagram, "{name: 'Tigawasa, Buleleng', lat: -8.17, lng: 115.05, "
                                                "facebook_places_id: '110000000000001'}")
    publish(village.publisher(), village.post())
    assert fake_instagram.location_searches == []
    assert fake_instagram.live_media[0].location["facebook_places_id"] == 110000000000001
    assert village.publisher().diagnose() == [(True, "location: Tigawasa, Buleleng, place id 110000000000001 (fixed in "
                                                     "config.yaml)")]
    assert fake_instagram.location_searches == []


def test_with_coordinates_only_and_nothing_saved_the_post_goes_without_a_location_and_no_search(
        tmp_path, fake_instagram, caplog):
    caplog.set_level(logging.WARNING)  # whatever level an earlier command in this process left the root logger at
    village = located(tmp_path, fake_instagram, "{name: 'Tigawasa, Buleleng', lat: -8.17, lng: 115.05}")
    fake_instagram.add_place("Warung Made", -8.1701, 115.0501)
    publish(village.publisher(), village.post())
    assert fake_instagram.location_searches == []
    [configure] = fake_instagram.calls_to("media/configure/")
    assert configure.signed["location"] == "{}" and fake_instagram.live_media[0].location is None
    assert "posting without a location" in caplog.text
    assert places.location_state(village.settings) == places.UNRESOLVED
    assert "has no place id yet" in places.location_lines(village.settings)[0]


def test_diagnose_looks_the_place_up_once_saves_it_and_posting_then_uses_it(tmp_path, fake_instagram):
    village = located(tmp_path, fake_instagram, "{name: 'Tigawasa, Buleleng', lat: -8.17, lng: 115.05}")
    fake_instagram.add_place("Warung Made", -8.1701, 115.0501, place_id=110000000000007)  # nearest: listed first
    fake_instagram.add_place("Tigawasa", -8.172, 115.052, place_id=110000000000042, address="Tigawasa, Banjar")
    [(ok, line)] = village.publisher().diagnose()
    assert ok and line == ('location: Tigawasa, Buleleng is "Tigawasa" on Instagram, place id 110000000000042, and posts '
                           'are tagged with it; if that is right, put `facebook_places_id: 110000000000042` under '
                           'instagram.location in config.yaml')
    [search] = fake_instagram.location_searches
    assert (search.query["latitude"], search.query["longitude"]) == ("-8.17", "115.05")
    saved = json.loads((village.settings.state_dir / places.FILE_NAME).read_text())
    assert (saved["name"], saved["place_id"], saved["lat"], saved["lng"]) == ("Tigawasa", "110000000000042", -8.172, 115.052)
    assert datetime.fromisoformat(saved["resolved_at"]) <= datetime.now(UTC)
    assert places.location_state(village.settings) == places.SAVED
    assert "`facebook_places_id: 110000000000042`" in places.location_lines(village.settings)[0]

    village.publisher().diagnose()  # once: a second doctor reads the saved place
    publish(village.publisher(), village.post())
    assert len(fake_instagram.location_searches) == 1
    assert fake_instagram.live_media[0].location["facebook_places_id"] == 110000000000042


def test_without_coordinates_diagnose_searches_by_name(tmp_path, fake_instagram):
    village = located(tmp_path, fake_instagram, "{name: Tigawasa}")
    fake_instagram.add_place("Tigawasa Village", -8.172, 115.052, place_id=110000000000042)
    [(ok, _line)] = village.publisher().diagnose()
    [search] = fake_instagram.location_searches
    assert ok and "/fbsearch/places/" in search.path and search.query["query"] == "Tigawasa"
    assert search.query["lat"] != "40.74"  # not instagrapi's default point, New York
    assert places.load_place(village.settings).place_id == "110000000000042"


def test_diagnose_saves_nothing_that_does_not_look_like_the_place(tmp_path, fake_instagram):
    village = located(tmp_path, fake_instagram, "{name: 'Tigawasa, Buleleng', lat: -8.17, lng: 115.05}")
    fake_instagram.add_place("Warung Made", -8.1701, 115.0501, place_id=110000000000007)
    [(ok, line)] = village.publisher().diagnose()
    assert not ok and '"Warung Made"' in line and "facebook_places_id: 110000000000007" in line
    assert places.load_place(village.settings) is None


def test_a_saved_place_for_another_location_is_not_used(tmp_path, fake_instagram):
    village = located(tmp_path, fake_instagram, "{name: 'Tigawasa, Buleleng', lat: -8.17, lng: 115.05}")
    fake_instagram.add_place("Tigawasa", -8.172, 115.052, place_id=110000000000042)
    village.publisher().diagnose()
    text = (tmp_path / "config.yaml").read_text().replace("Tigawasa, Buleleng", "Sidatapa, Buleleng")
    (tmp_path / "config.yaml").write_text(text)
    moved = load_settings(tmp_path / "config.yaml")
    assert places.load_place(moved) is None and places.location_state(moved) == places.UNRESOLVED


def test_a_search_that_fails_is_one_line_for_doctor(tmp_path, fake_instagram):
    village = located(tmp_path, fake_instagram, "{name: 'Tigawasa, Buleleng', lat: -8.17, lng: 115.05}")
    fake_instagram.fail_next("GET", "location_search", "please_wait")
    [(ok, line)] = village.publisher().diagnose()
    assert not ok and line.startswith("location: could not look up Tigawasa, Buleleng on Instagram (Instagram asks to slow")


# -- cool-down kinds (I2) ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("error", "kind"), [
    (igx.FeedbackRequired(message="feedback_required: We restrict certain activity"), BLOCKED),
    (igx.SentryBlock(message="Sorry, there was a problem"), BLOCKED),
    (igx.PleaseWaitFewMinutes(message="Please wait a few minutes before you try again."), SLOW_DOWN),
    (igx.ClientThrottledError(message="429"), SLOW_DOWN),
    (igx.RateLimitError(message="rate limited"), SLOW_DOWN),
    (igx.ClientForbiddenError(message="Forbidden"), SLOW_DOWN),
    (igx.ChallengeRequired(message="challenge_required"), CHALLENGE),
    (igx.ChallengeError(message="challenge"), CHALLENGE),
    (igx.AccountSuspended(message="suspended"), CHALLENGE),
])
def test_anti_abuse_answers_become_their_cooldown_kind_without_a_promised_time(error, kind):
    translated = translate(error, creates=True, username="sokasi.tigawasa")
    assert isinstance(translated, ThrottledError) and translated.cooldown == kind
    assert not any(word in str(translated) for word in ("day", "hour", "minute later", "later run"))


def test_feedback_on_the_photo_upload_is_a_block_not_a_passing_fault(village):
    village.fake.fail_next("POST", "rupload_igphoto", "feedback_required")
    with pytest.raises(ThrottledError) as caught:
        publish(village.publisher(), village.post())
    assert caught.value.cooldown == BLOCKED and village.fake.live_media == []


@pytest.mark.parametrize(("preset", "kind"), [("challenge_required", CHALLENGE), ("rate_limit", SLOW_DOWN)])
def test_other_upload_refusals_keep_their_kind(village, preset, kind):
    village.fake.fail_next("POST", "rupload_igphoto", preset)
    with pytest.raises(ThrottledError) as caught:
        publish(village.publisher(), village.post())
    assert caught.value.cooldown == kind


def test_a_refused_upload_for_another_reason_is_still_a_passing_fault(village):
    village.fake.fail_next("POST", "rupload_igphoto", "server_error")
    with pytest.raises(TransientError):
        publish(village.publisher(), village.post())
