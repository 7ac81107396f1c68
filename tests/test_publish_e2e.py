"""`sokasi-post publish`, end to end: the real facebook-sdk and instagrapi against local fakes of both.

FakeGraph (tests/fakegraph.py) answers the Graph API on 127.0.0.1; FakeInstagram (tests/fakeinstagram.py)
answers Instagram's private API over TLS on 127.0.0.1. Nothing here reaches any other address.
"""

from __future__ import annotations

import shutil
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from sokasi_post import publishing
from sokasi_post.catalog import load_catalog
from sokasi_post.cli import cli
from sokasi_post.config import load_settings
from sokasi_post.ledger import Ledger
from sokasi_post.publishers import instagram as instagram_publisher
from sokasi_post.publishers.instagram import save_session
from tests.conftest import small_sample_photo
from tests.fakegraph import ERRORS, FakeGraph
from tests.fakeinstagram import FakeInstagram, fake_instagram_fixture, make_client  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_PAGE = "109284736150294"  # the Page ID put into the bundled config.yaml in place of its example value
WHATSAPP = "+62 813-3791-2468"  # likewise the WhatsApp number
CANARY = "EAACANARYtokenDoNotLeak0123456789abcdefXYZ"
PASSWORD_CANARY = "canary-password-Tigawasa-1234"


class Village:
    """The bundled sample catalogue in a temporary folder, wired to the two fakes.

    small_photos=True: each photo a third of its size (400 x 300), for tests that look at anything but the photos:
    preparing the full-size ones again in every such test took a tenth of the suite's time.
    """

    def __init__(self, root: Path, graph: FakeGraph, fake: FakeInstagram, monkeypatch: pytest.MonkeyPatch,
                 small_photos: bool = False):
        self.root, self.graph, self.fake = root, graph, fake
        shutil.copytree(ROOT / "posts", root / "posts")
        if small_photos:
            for photo in (root / "posts").rglob("*.jpg"):
                photo.write_bytes(small_sample_photo(photo.relative_to(root)))
        text = (ROOT / "config.yaml").read_text(encoding="utf-8")  # filled in, as the README asks before publishing
        text = text.replace('"123456789012345"', f'"{SAMPLE_PAGE}"').replace('"+62 812-3456-7890"', f'"{WHATSAPP}"')
        text = text.replace("  api_version: v25.0", f"  api_version: v25.0\n  graph_url: {graph.url}")
        text = text.replace("instagram:\n", "instagram:\n  pause_min_seconds: 0\n  pause_max_seconds: 0\n")
        self.config = root / "config.yaml"
        self.config.write_text(text, encoding="utf-8")
        self.settings = load_settings(self.config)
        save_session(fake.session_settings(), self.settings.instagram.session_file)
        monkeypatch.setattr(instagram_publisher, "new_client", lambda: make_client(fake))
        monkeypatch.setattr(publishing, "sleep", lambda seconds: None)
        monkeypatch.setenv("FACEBOOK_PAGE_TOKEN", graph.page_token)
        monkeypatch.chdir(root)

    def run(self, *args: str):
        return CliRunner().invoke(cli, ["--config", str(self.config), *args])

    def prepared(self, slug: str, platform: str) -> list[bytes]:
        settings = load_settings(self.config)
        products = tuple(p for p in load_catalog(settings).products if p.slug == slug)
        post = next(p for p in publishing.plan(products, settings).posts if p.platform == platform)
        return [photo.path.read_bytes() for photo in post.prepared]

    def caption(self, slug: str, platform: str) -> str:
        settings = load_settings(self.config)
        products = tuple(p for p in load_catalog(settings).products if p.slug == slug)
        return next(p for p in publishing.plan(products, settings).posts if p.platform == platform).caption

    def state_files(self) -> list[Path]:
        return [p for p in (self.root / ".sokasi-post").rglob("*") if p.is_file()]


@pytest.fixture
def village(tmp_path, fake_instagram, monkeypatch):
    """The sample catalogue with smaller photos: only the first test below looks at the photos themselves."""
    with FakeGraph(page_id=SAMPLE_PAGE) as graph:
        yield Village(tmp_path, graph, fake_instagram, monkeypatch, small_photos=True)


@pytest.fixture
def full_size_village(tmp_path, fake_instagram, monkeypatch):
    with FakeGraph(page_id=SAMPLE_PAGE) as graph:
        yield Village(tmp_path, graph, fake_instagram, monkeypatch)


def test_publish_posts_the_sample_catalogue_exactly_once(full_size_village):
    village = full_size_village
    graph, fake = village.graph, village.fake
    result = village.run("publish")
    assert result.exit_code == 0, result.output
    *lines, notice = result.stdout.splitlines()
    assert notice.startswith("First Facebook post: open https://www.facebook.com/")  # once: look at it logged out
    lines = sorted(lines)
    assert [line.split(": ")[0:2] for line in lines] == [
        ["keben-tutup-tinggi → Facebook", "draft"], ["keben-tutup-tinggi → Instagram", "draft"],
        ["sokasi-bundar-poleng → Facebook", "posted"], ["sokasi-bundar-poleng → Instagram", "posted"],
        ["sokasi-polos-kecil → Facebook", "posted"], ["sokasi-polos-kecil → Instagram", "posted"],
    ]

    # Facebook: a photo post for the single photo; three unpublished uploads then one feed post for the carousel.
    assert {call.version for call in graph.calls} == {"v25.0"}
    posts = {post.message.splitlines()[0]: post for post in graph.posts if post.published}
    assert set(posts) == {"Sokasi bundar motif poleng", "Sokasi polos kecil"}
    several = posts["Sokasi bundar motif poleng"]
    assert several.message == village.caption("sokasi-bundar-poleng", "facebook")
    assert several.photo_bytes == village.prepared("sokasi-bundar-poleng", "facebook")  # in the post's order
    assert several.alt_texts[0] == "Sokasi bundar bertutup dari depan, anyaman bambu hitam dan kuning muda"
    assert [call.form.get("published") for call in graph.calls_to("POST", "/photos")].count("false") == 3
    assert len(graph.calls_to("POST", "/feed")) == 1
    single = posts["Sokasi polos kecil"]
    assert single.photo_bytes == village.prepared("sokasi-polos-kecil", "facebook")
    assert single.message == village.caption("sokasi-polos-kecil", "facebook")

    # Instagram: an album of three and a single photo, our prepared JPEGs byte for byte (no re-encoding).
    media = {m.caption.splitlines()[0]: m for m in fake.media}
    assert set(media) == {"Sokasi bundar motif poleng", "Sokasi polos kecil"}
    assert media["Sokasi bundar motif poleng"].media_type == 8
    assert media["Sokasi bundar motif poleng"].jpegs == village.prepared("sokasi-bundar-poleng", "instagram")
    assert media["Sokasi bundar motif poleng"].caption == village.caption("sokasi-bundar-poleng", "instagram")
    assert media["Sokasi polos kecil"].media_type == 1
    assert media["Sokasi polos kecil"].jpegs == village.prepared("sokasi-polos-kecil", "instagram")

    # The ledger has the permalinks; a second run creates nothing.
    ledger = Ledger.open(village.settings.state_dir)
    links = {(e.slug, e.platform): e.permalink for e in ledger.entries()}
    ledger.close()
    assert links[("sokasi-polos-kecil", "facebook")].startswith(f"https://www.facebook.com/{SAMPLE_PAGE}/posts/")
    assert links[("sokasi-polos-kecil", "instagram")].startswith("https://www.instagram.com/p/")
    before_fb, before_ig, calls = len(graph.posts), len(fake.media), len(graph.calls)
    again = village.run("publish")
    assert again.exit_code == 0, again.output
    assert "sokasi-polos-kecil → Facebook: already posted: https://www.facebook.com/" in again.stdout
    assert (len(graph.posts), len(fake.media)) == (before_fb, before_ig)
    # The second run sends nothing and asks nothing: the counts were read by the first one moments ago.
    assert graph.calls[calls:] == []


def test_a_user_token_is_refused_before_any_upload_and_instagram_carries_on(village, monkeypatch):
    monkeypatch.setenv("FACEBOOK_PAGE_TOKEN", village.graph.user_token)
    result = village.run("publish", "sokasi-polos-kecil")
    assert result.exit_code == 1
    assert ("sokasi-polos-kecil → Facebook: held back: the token in FACEBOOK_PAGE_TOKEN belongs to "
            in result.stdout)
    assert "it is a personal (user) token or another Page's token" in result.stdout
    assert not village.graph.calls_to("POST", "/photos")
    assert "sokasi-polos-kecil → Instagram: posted" in result.stdout


def test_facebook_transient_error_is_retried_and_posts_once(village):
    village.graph.fail_next("POST", "/feed", **ERRORS[2])
    result = village.run("publish", "sokasi-bundar-poleng", "--platform", "facebook")
    assert result.exit_code == 0, result.output
    published = [p for p in village.graph.posts if p.published]
    assert len(published) == 1
    assert len(village.graph.calls_to("POST", "/feed")) == 2
    assert len(village.graph.calls_to("POST", "/photos")) == 3  # photos reused, not uploaded again


def test_a_lost_reply_on_facebook_is_not_posted_again(village):
    village.graph.drop_next("POST", "/feed", after_action=True)
    result = village.run("publish", "sokasi-bundar-poleng", "--platform", "facebook")
    assert result.exit_code == 1
    assert "sokasi-bundar-poleng → Facebook: outcome unknown:" in result.stdout
    again = village.run("publish", "sokasi-bundar-poleng", "--platform", "facebook")
    assert again.exit_code == 0, again.output
    assert "sokasi-bundar-poleng → Facebook: was posted after all: it had gone through after all: https://www.facebook.com/" \
        in again.stdout
    assert len([p for p in village.graph.posts if p.published]) == 1  # the one that went through, never a second


@pytest.mark.parametrize("failure", ["lost reply", "408"])
def test_a_lost_reply_on_instagram_is_not_posted_again(village, failure):
    if failure == "408":  # instagrapi alone would send the configure again after 60 s (docs/platforms.md I4)
        village.fake.fail_next("POST", "configure", "request_timeout", after_action=True)
    else:
        village.fake.drop_next("POST", "configure", after_action=True)
    result = village.run("publish", "sokasi-polos-kecil", "--platform", "instagram")
    assert result.exit_code == 1
    assert "sokasi-polos-kecil → Instagram: outcome unknown:" in result.stdout
    again = village.run("publish", "sokasi-polos-kecil", "--platform", "instagram")
    assert "sokasi-polos-kecil → Instagram: was posted after all" in again.stdout
    assert len(village.fake.media) == 1


@pytest.mark.parametrize(("preset", "expected"), [
    (4, "held back"), (190, "invalid or expired"), (324, "refused: Facebook said: (#324) Requires upload file"),
])
def test_facebook_errors_become_plain_outcomes(village, preset, expected):
    village.graph.fail_next("POST", "/photos", **ERRORS[preset])
    result = village.run("publish", "sokasi-polos-kecil", "sokasi-bundar-poleng", "--platform", "facebook")
    assert result.exit_code == 1
    assert expected in result.stdout or (preset == 4 and "Facebook asks to slow down" in result.stdout)
    assert "Traceback" not in result.output


def test_instagram_challenge_stops_instagram_and_keeps_posts_pending(village):
    village.fake.fail_next("POST", "configure", "challenge_required")
    result = village.run("publish", "--platform", "instagram")
    assert result.exit_code == 1
    assert "Instagram wants to confirm it is really you" in result.stdout
    assert "held back" in result.stdout  # the second product was not even tried
    assert village.fake.media == []
    ledger = Ledger.open(village.settings.state_dir)
    assert {e.state for e in ledger.entries()} == {"pending"}
    ledger.close()


def test_an_expired_instagram_session_says_to_log_in(village):
    village.fake.expire_session()
    result = village.run("publish", "--platform", "instagram")
    assert result.exit_code == 1
    assert "run `sokasi-post login instagram`" in result.stdout
    assert village.fake.media == []


def test_facebook_native_scheduling(village):
    text = village.config.read_text().replace("  graph_url:", "  native_schedule: true\n  graph_url:")
    village.config.write_text(text)
    when = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    post_yaml = village.root / "posts" / "sokasi-polos-kecil" / "post.yaml"
    post_yaml.write_text(post_yaml.read_text() + f"publish_at: {when.isoformat()}\n")
    result = village.run("publish", "sokasi-polos-kecil")
    assert result.exit_code == 0, result.output
    assert "sokasi-polos-kecil → Facebook: scheduled: Facebook will publish it at" in result.stdout
    assert "sokasi-polos-kecil → Instagram: waiting: not before" in result.stdout
    (scheduled,) = village.graph.posts
    assert (scheduled.published, scheduled.scheduled_publish_time) == (False, int(when.timestamp()))
    assert village.graph.calls_to("POST", "/feed")[0].form["published"] == "false"


def test_doctor_reports_a_wrong_token_kind_and_an_expired_session_in_one_line_each(village, monkeypatch):
    monkeypatch.setenv("FACEBOOK_APP_ID", village.graph.app_id)  # debug_token answers only the app's own token
    monkeypatch.setenv("FACEBOOK_APP_SECRET", village.graph.app_secret)
    ok = village.run("doctor")
    assert ok.exit_code == 0, ok.output
    assert f"[ok] Facebook: Page Sokasi Tigawasa ({SAMPLE_PAGE})\n" in ok.stdout
    assert "[ok] Facebook: the token does not expire\n" in ok.stdout
    assert "[ok] Instagram: @sokasi.tigawasa" in ok.stdout
    monkeypatch.setenv("FACEBOOK_PAGE_TOKEN", village.graph.user_token)
    village.fake.expire_session()
    bad = village.run("doctor")
    assert bad.exit_code == 1
    problems = [line for line in bad.stdout.splitlines() if line.startswith("[!!]")]
    assert len(problems) == 2
    assert problems[0].startswith("[!!] Facebook: the token in FACEBOOK_PAGE_TOKEN belongs to ")
    assert "Get the Page token for page" in problems[0]
    assert problems[1].startswith("[!!] Instagram: Instagram says the session for @sokasi.tigawasa is no longer logged in")
    assert problems[1].endswith("run `sokasi-post login instagram`")


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("scenario", ["success", "refused", "auth", "lost-reply", "network-down", "crash"])
def test_the_canary_token_and_password_never_leak(village, monkeypatch, scenario):
    village.graph.add_token(CANARY, kind="PAGE", id=SAMPLE_PAGE, name="Sokasi Tigawasa")
    monkeypatch.setenv("FACEBOOK_PAGE_TOKEN", CANARY)
    monkeypatch.setenv("INSTAGRAM_PASSWORD", PASSWORD_CANARY)
    if scenario == "refused":
        village.graph.fail_next("POST", "/photos", **ERRORS[324])
    elif scenario == "auth":
        village.graph.fail_next("GET", "/me", **ERRORS[190])
    elif scenario == "lost-reply":
        village.graph.drop_next("POST", "/feed", after_action=True)
    elif scenario == "network-down":
        village.config.write_text(village.config.read_text().replace(village.graph.url, f"http://127.0.0.1:{_closed_port()}"))
    elif scenario == "crash":
        def explode(*args, **kwargs):
            raise RuntimeError(f"boom with {CANARY} and {PASSWORD_CANARY} inside")
        monkeypatch.setattr(publishing, "fingerprint", explode)
    outputs = [village.run("-vv", "publish"), village.run("-vv", "doctor"), village.run("publish", "--dry-run")]
    for result in outputs:
        for secret in (CANARY, PASSWORD_CANARY):
            assert secret not in result.output
            assert secret not in (result.stderr or "")
    assert "Traceback (most recent call last)" not in outputs[0].stderr or scenario == "crash"
    files = village.state_files()
    assert any(p.name == "sokasi-post.log" for p in files)
    for path in files:
        data = path.read_bytes()
        assert CANARY.encode() not in data, path
        assert PASSWORD_CANARY.encode() not in data, path
    if scenario == "success":
        assert outputs[0].exit_code == 0, outputs[0].output
    else:
        assert outputs[0].exit_code == 1


def test_instagram_gets_the_location_the_makers_tag_and_the_alt_text(village):
    text = village.config.read_text().replace(
        "instagram:\n", "instagram:\n  location: {name: 'Tigawasa, Buleleng', lat: -8.17, lng: 115.05, facebook_places_id: '1093'}\n")
    village.config.write_text(text)
    post_yaml = village.root / "posts" / "sokasi-polos-kecil" / "post.yaml"
    post_yaml.write_text(post_yaml.read_text() + "maker_instagram: '@made.budiasa'\nalt: {sokasi.jpg: Sokasi kecil warna alami}\n")
    maker = village.fake.add_user("made.budiasa")
    result = village.run("publish", "sokasi-polos-kecil", "--platform", "instagram")
    assert result.exit_code == 0, result.output
    (media,) = village.fake.media
    assert media.location["name"] == "Tigawasa, Buleleng"
    assert str(media.location["facebook_places_id"]) == "1093"
    assert [tag["user_id"] for tag in media.usertags] == [maker]
    assert media.alt_text == "Sokasi kecil warna alami"
    assert village.fake.blocked_hosts == []  # no lookup left the machine


def test_a_slow_facebook_reply_times_out_instead_of_hanging(village, monkeypatch):
    from sokasi_post.publishers import facebook as facebook_publisher

    monkeypatch.setattr(facebook_publisher, "TIMEOUT", (2, 0.5))
    village.graph.delay_next("GET", "/me", 3)
    result = village.run("doctor")  # the check times out once, is retried, and succeeds
    assert result.exit_code == 0, result.output
    assert len(village.graph.calls_to("GET", "/me")) == 2


def test_every_instagram_request_carries_a_timeout(village):
    import requests.adapters

    from sokasi_post.publishers import TIMEOUT
    from sokasi_post.publishers.instagram import load_session

    client = load_session(village.settings, lambda: make_client(village.fake))
    seen = []

    class Recording(requests.adapters.HTTPAdapter):
        def send(self, request, **kwargs):
            seen.append(kwargs.get("timeout"))
            return super().send(request, **kwargs)

    client.private.mount("https://", Recording())
    client.account_info()
    assert seen and all(timeout == TIMEOUT for timeout in seen)


def test_status_shows_every_product_and_platform_and_json_matches_the_servers(village):
    import json

    village.run("publish")
    rows = json.loads(village.run("status", "--json").stdout)
    by_key = {(row["slug"], row["platform"]): row for row in rows}
    assert set(by_key) == {(slug, platform) for slug in ("keben-tutup-tinggi", "sokasi-bundar-poleng", "sokasi-polos-kecil")
                           for platform in ("facebook", "instagram")}
    assert by_key[("keben-tutup-tinggi", "facebook")]["state"] == "draft"
    facebook_ids = {post.message.splitlines()[0]: post.id for post in village.graph.posts}
    instagram_ids = {media.caption.splitlines()[0]: media.id for media in village.fake.media}
    for slug, title in (("sokasi-bundar-poleng", "Sokasi bundar motif poleng"), ("sokasi-polos-kecil", "Sokasi polos kecil")):
        assert by_key[(slug, "facebook")]["post_id"] == facebook_ids[title]
        assert by_key[(slug, "instagram")]["post_id"] == instagram_ids[title]
        for platform in ("facebook", "instagram"):
            row = by_key[(slug, platform)]
            assert row["state"] == "published" and row["url"].startswith("https://") and row["error"] is None
            assert row["published_at"]
    text = village.run("status").stdout.splitlines()
    assert any(line.startswith("sokasi-polos-kecil") and "facebook" in line and "published" in line
               and "https://www.facebook.com/" in line for line in text)

    post_yaml = village.root / "posts" / "sokasi-polos-kecil" / "post.yaml"
    post_yaml.write_text(post_yaml.read_text().replace("Sokasi kecil", "Sokasi kecil mungil"))
    assert any("published (changed)" in line for line in village.run("status").stdout.splitlines()
               if line.startswith("sokasi-polos-kecil"))
    again = village.run("publish", "sokasi-polos-kecil")
    assert "sokasi-polos-kecil → Facebook: changed: changed since it was posted" in again.stdout
    reposted = village.run("publish", "--repost", "sokasi-polos-kecil", "sokasi-polos-kecil")
    assert "sokasi-polos-kecil → Facebook: posted" in reposted.stdout
    assert len([p for p in village.graph.posts if p.published]) == 3


def test_reconcile_finds_a_post_whose_reply_was_lost(village):
    text = village.config.read_text() + "reconcile:\n  wait_seconds: 0\n"
    village.config.write_text(text)
    village.graph.drop_next("POST", "/photos", after_action=True)
    village.run("publish", "sokasi-polos-kecil", "--platform", "facebook")
    result = village.run("reconcile")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("sokasi-polos-kecil → Facebook: it had gone through after all: https://www.facebook.com/")
    rows = village.run("status", "--json").stdout
    assert '"state": "published"' in rows


def test_doctor_says_when_the_computers_clock_is_wrong(village, monkeypatch):
    from email.utils import formatdate

    from tests import fakegraph

    ok = village.run("doctor")
    assert "clock: this computer's clock" not in ok.stdout  # the fake answers with the real time
    monkeypatch.setattr(fakegraph._Handler, "date_time_string", lambda self, timestamp=None: formatdate(
        datetime.now(UTC).timestamp() - 3600, usegmt=True))
    late = village.run("doctor")
    assert late.exit_code == 1
    assert "[!!] clock: this computer's clock is 60 minutes ahead of Facebook's; set the right time" in late.stdout
