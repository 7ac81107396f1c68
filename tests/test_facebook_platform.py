"""The Facebook publisher against a fake that refuses what the Graph API refuses (docs/platforms.md F1-F5).

The real facebook-sdk talks to tests/fakegraph.py on 127.0.0.1: alt text only at creation, unpublished photos
that expire after 24 hours, debug_token only for the app's own token, an app in Development mode whose posts
buyers cannot see.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from click.testing import CliRunner

from sokasi_post import publishing
from sokasi_post.catalog import load_catalog
from sokasi_post.cli import cli
from sokasi_post.config import Settings, load_settings
from sokasi_post.errors import BLOCKED, SLOW_DOWN, RejectedError, ThrottledError, TransientError
from sokasi_post.models import PlannedPost
from sokasi_post.publishers.facebook import FacebookPublisher
from tests.fakegraph import ERRORS, FakeGraph

PAGE = "111222333444555"  # the page_id in tests/conftest.py's config
APP_SECRET = "canary-app-secret-0f9e8d7c6b5a"
ALT = {"1-depan.jpg": "Sokasi bundar dari depan, anyaman hitam dan kuning",
       "2-atas.jpg": "Tutup sokasi dilihat dari atas"}


class Saved(dict):
    """What the publisher saves through its checkpoint, as the ledger would keep it."""

    def __call__(self, update: dict) -> None:
        self.update(update)


@pytest.fixture
def graph():
    with FakeGraph(page_id=PAGE) as fake:
        fake.app_secret = APP_SECRET
        yield fake
        assert fake.crashes == []


def configure(project, graph: FakeGraph, extra: str = "") -> Settings:
    text = project.config.read_text().replace("facebook:\n", f"facebook:\n  graph_url: {graph.url}\n{extra}")
    project.config.write_text(text.replace("instagram:\n", "instagram:\n  enabled: false\n"), encoding="utf-8")
    return load_settings(project.config)


def product(project, slug: str, photos: tuple[str, ...], alt: dict[str, str]) -> None:
    lines = "".join(f"  {name}: {text}\n" for name, text in alt.items())
    project.product(slug, f"title: Sokasi bundar\ncaption: Anyaman bambu dari Tigawasa.\nprice: 150000\n"
                          f"platforms: [facebook]\nalt:\n{lines}" if alt else
                    "title: Sokasi bundar\ncaption: Anyaman bambu dari Tigawasa.\nprice: 150000\nplatforms: [facebook]\n",
                    photos=photos)


def planned(settings: Settings, slug: str) -> PlannedPost:
    products = tuple(p for p in load_catalog(settings).products if p.slug == slug)
    return next(p for p in publishing.plan(products, settings).posts if p.platform == "facebook")


def publisher(settings: Settings, graph: FakeGraph) -> FacebookPublisher:
    return FacebookPublisher(settings, graph.page_token, sleep=lambda seconds: None)


def photo_updates(graph: FakeGraph) -> list:
    """POSTs to a photo node itself (POST /{photo-id}): how alt text was once set after the upload."""
    return [call for call in graph.calls if call.method == "POST" and call.path.rsplit("/", 1)[-1] in graph.photos]


def own_log(caplog) -> str:
    """What sokasi_post itself logged (urllib3's DEBUG lines are the CLI's to filter; see the doctor test below)."""
    return "\n".join(record.getMessage() for record in caplog.records if record.name.startswith("sokasi_post"))


def with_app(monkeypatch, graph: FakeGraph) -> None:
    monkeypatch.setenv("FACEBOOK_APP_ID", graph.app_id)
    monkeypatch.setenv("FACEBOOK_APP_SECRET", graph.app_secret)


@pytest.fixture(autouse=True)
def no_app_credentials(monkeypatch):
    for name in ("FACEBOOK_APP_ID", "FACEBOOK_APP_SECRET", "SHOP_APP_ID", "SHOP_APP_SECRET"):
        monkeypatch.delenv(name, raising=False)


# -- alt text goes with the upload --------------------------------------------------------------------------------

def test_alt_text_is_sent_with_the_upload_of_a_single_photo(project, graph):
    product(project, "sokasi", ("1-depan.jpg",), {"1-depan.jpg": ALT["1-depan.jpg"]})
    settings = configure(project, graph)
    receipt = publisher(settings, graph).publish(planned(settings, "sokasi"), {}, Saved())
    [upload] = graph.calls_to("POST", "/photos")
    assert upload.form["alt_text_custom"] == ALT["1-depan.jpg"] and upload.form["published"] == "true"
    assert "source" in upload.files
    [post] = graph.posts
    assert post.id == receipt.remote_id and post.alt_texts == [ALT["1-depan.jpg"]]
    assert photo_updates(graph) == [] and receipt.problem is None


def test_every_photo_of_a_multi_photo_post_carries_its_alt_text_at_upload(project, graph):
    product(project, "sokasi", ("1-depan.jpg", "2-atas.jpg", "3-samping.jpg"), ALT)
    settings = configure(project, graph)
    publisher(settings, graph).publish(planned(settings, "sokasi"), {}, Saved())
    uploads = graph.calls_to("POST", "/photos")
    assert [call.form.get("published") for call in uploads] == ["false", "false", "false"]
    assert [call.form.get("alt_text_custom") for call in uploads] == [ALT["1-depan.jpg"], ALT["2-atas.jpg"], None]
    assert len(graph.calls_to("POST", "/feed")) == 1 and photo_updates(graph) == []
    [post] = graph.posts
    assert post.alt_texts == [ALT["1-depan.jpg"], ALT["2-atas.jpg"], None]


def test_facebook_refusing_the_alt_text_itself_costs_only_the_alt_text(project, graph, caplog):
    product(project, "sokasi", ("1-depan.jpg",), {"1-depan.jpg": ALT["1-depan.jpg"]})
    settings = configure(project, graph)
    graph.fail_next("POST", "/photos", 100, "(#100) Param alt_text_custom is not valid")
    with caplog.at_level(logging.WARNING):
        receipt = publisher(settings, graph).publish(planned(settings, "sokasi"), {}, Saved())
    first, second = graph.calls_to("POST", "/photos")
    assert "alt_text_custom" in first.form and "alt_text_custom" not in second.form
    [post] = graph.posts
    assert post.id == receipt.remote_id and post.alt_texts == [None]
    assert receipt.problem == "posted without alt text on 1-depan.jpg: Facebook refused it"
    assert "Facebook refused the alt text of 1-depan.jpg" in caplog.text


def test_another_invalid_parameter_is_not_retried_without_the_alt_text(project, graph):
    product(project, "sokasi", ("1-depan.jpg",), {"1-depan.jpg": ALT["1-depan.jpg"]})
    settings = configure(project, graph)
    graph.fail_next("POST", "/photos", **ERRORS[100])
    with pytest.raises(RejectedError):
        publisher(settings, graph).publish(planned(settings, "sokasi"), {}, Saved())
    assert len(graph.calls_to("POST", "/photos")) == 1 and graph.posts == []


# -- unpublished photos expire ------------------------------------------------------------------------------------

def test_an_expired_unpublished_photo_leads_to_a_fresh_upload_and_one_post(project, graph):
    product(project, "sokasi", ("1-depan.jpg", "2-atas.jpg"), ALT)
    settings = configure(project, graph)
    post = planned(settings, "sokasi")
    saved = Saved()
    start = graph.clock()
    graph.clock = lambda: start
    graph.fail_next("POST", "/feed", **ERRORS[2])  # the photos are up, the post is not
    with pytest.raises(TransientError):
        publisher(settings, graph).publish(post, {}, saved)
    old_ids = list(saved["photo_ids"])
    assert len(old_ids) == 2 and graph.posts == []

    graph.clock = lambda: start + 25 * 3600  # the next run comes a day later: Facebook has let the photos go
    receipt = publisher(settings, graph).publish(post, dict(saved), saved)
    feeds = graph.calls_to("POST", "/feed")
    assert len(feeds) == 3  # the failed one, the one refused for the expired photos, the one that posted
    assert len(graph.calls_to("POST", "/photos")) == 4  # each photo uploaded again, once
    [made] = graph.posts
    assert made.id == receipt.remote_id and not set(made.photo_ids) & set(old_ids)
    assert made.alt_texts == [ALT["1-depan.jpg"], ALT["2-atas.jpg"]]
    assert saved["photo_ids"] == made.photo_ids and saved["post_id"] == made.id


def test_photos_saved_less_than_a_day_ago_are_reused(project, graph):
    product(project, "sokasi", ("1-depan.jpg", "2-atas.jpg"), ALT)
    settings = configure(project, graph)
    post, saved, start = planned(settings, "sokasi"), Saved(), graph.clock()
    graph.clock = lambda: start
    graph.fail_next("POST", "/feed", **ERRORS[2])
    with pytest.raises(TransientError):
        publisher(settings, graph).publish(post, {}, saved)
    graph.clock = lambda: start + 23 * 3600
    publisher(settings, graph).publish(post, dict(saved), saved)
    assert len(graph.calls_to("POST", "/photos")) == 2 and graph.posts[0].photo_ids == saved["photo_ids"]


# -- cool-down kinds ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("code", "cooldown"), [(368, BLOCKED), (4, SLOW_DOWN), (17, SLOW_DOWN), (32, SLOW_DOWN),
                                                (341, SLOW_DOWN), (613, SLOW_DOWN), (80001, SLOW_DOWN), (80014, SLOW_DOWN)])
def test_facebooks_anti_abuse_codes_raise_the_right_cool_down(project, graph, code, cooldown):
    product(project, "sokasi", ("1-depan.jpg",), {})
    settings = configure(project, graph)
    preset = ERRORS.get(code) or {"code": code, "message": f"(#{code}) limit reached", "is_transient": True}
    graph.fail_next("POST", "/photos", **preset)
    with pytest.raises(ThrottledError) as caught:
        publisher(settings, graph).publish(planned(settings, "sokasi"), {}, Saved())
    assert caught.value.cooldown == cooldown and graph.posts == []


def test_code_368_says_facebook_has_blocked_posting_for_a_while(project, graph):
    product(project, "sokasi", ("1-depan.jpg",), {})
    settings = configure(project, graph)
    graph.fail_next("POST", "/photos", **ERRORS[368])
    with pytest.raises(ThrottledError) as caught:
        publisher(settings, graph).publish(planned(settings, "sokasi"), {}, Saved())
    assert "temporarily blocked" in str(caught.value) and "Facebook has blocked this for a while" in str(caught.value)


# -- the token check: a Page token, and debug_token only as the app ------------------------------------------------

def test_debug_token_is_never_called_with_the_page_token(project, graph, monkeypatch):
    product(project, "sokasi", ("1-depan.jpg",), {})
    settings = configure(project, graph)
    facebook = publisher(settings, graph)
    facebook.check()
    facebook.diagnose()
    facebook.publish(planned(settings, "sokasi"), {}, Saved())
    assert graph.calls_to("GET", "/debug_token") == []  # without the app's ID and secret, not at all
    with_app(monkeypatch, graph)
    facebook.check()
    facebook.diagnose()
    calls = graph.calls_to("GET", "/debug_token")
    assert len(calls) == 1 and calls[0].token == graph.app_token and calls[0].query["input_token"] == graph.page_token


def test_check_names_the_page_with_the_page_token_alone(project, graph):
    settings = configure(project, graph)
    assert publisher(settings, graph).check() == "Page Sokasi Tigawasa (111222333444555)"
    assert [call.path for call in graph.calls] == ["/v25.0/me"]


def test_diagnose_without_the_apps_id_and_secret_says_what_it_could_not_check(project, graph):
    settings = configure(project, graph, "  app_id_env: SHOP_APP_ID\n  app_secret_env: SHOP_APP_SECRET\n")
    findings = publisher(settings, graph).diagnose()
    assert findings[0] == (True, "the token can read the Page's posts")
    assert findings[1] == (None, "not checked: the token's permissions and when it expires. To let doctor ask "
                                 "Facebook, set SHOP_APP_ID and SHOP_APP_SECRET (App ID and App secret, in the App "
                                 "Dashboard under App settings > Basic)")
    good, mode = findings[2]
    assert good is None and mode.startswith("app mode: could not be confirmed (Facebook's API does not tell). Check it by hand: "
                                    "open https://developers.facebook.com/apps, choose the app that made the token; the "
                                    "App Mode switch at the top must say Live.")
    assert len(findings) == 3 and graph.calls_to("GET", "/debug_token") == []


def test_diagnose_with_the_apps_id_and_secret_reports_permissions_and_expiry(project, graph, monkeypatch):
    settings = configure(project, graph)
    with_app(monkeypatch, graph)
    findings = publisher(settings, graph).diagnose()
    assert findings[:4] == [
        (True, "the token can read the Page's posts"),
        (True, "permissions: pages_manage_posts, pages_read_engagement, pages_show_list"),
        (True, "answers to buyers' comments: not sent by sokasi-post, the token lacks pages_manage_engagement (add it "
               "to the Page token to answer with `inbox reply`; README.md, \"Connecting Facebook and Instagram\")"),
        (True, "the token does not expire"),
    ]
    assert findings[4][1].startswith("app mode: could not be confirmed (Facebook's API does not tell). Check it by "
                                     f"hand: open https://developers.facebook.com/apps, choose the app sokasi-post "
                                     f"({graph.app_id}); the App Mode switch at the top must say Live.")


def test_with_automatic_answers_a_token_that_cannot_answer_needs_fixing(project, graph, monkeypatch):
    configure(project, graph)
    project.config.write_text(project.config.read_text(encoding="utf-8") + "inbox:\n  auto_reply: true\n", encoding="utf-8")
    settings = load_settings(project.config)
    with_app(monkeypatch, graph)
    findings = publisher(settings, graph).diagnose()
    assert [good for good, line in findings if line.startswith("answers to buyers' comments")] == [False]
    graph.add_token(graph.page_token, scopes=["pages_manage_posts", "pages_read_engagement", "pages_show_list",
                                              "pages_manage_engagement"])
    assert not [line for _good, line in publisher(settings, graph).diagnose() if line.startswith("answers to buyers")]


def test_diagnose_names_missing_permissions_and_a_token_that_expires_soon(project, graph, monkeypatch):
    settings = configure(project, graph)
    with_app(monkeypatch, graph)
    graph.add_token(graph.page_token, scopes=["pages_manage_posts", "pages_show_list"],
                    expires_at=int(graph.clock()) + 5 * 86400 + 3600)
    findings = publisher(settings, graph).diagnose()
    assert findings[0][0] is False and "cannot read the Page's posts" in findings[0][1]
    assert "(#10) This endpoint requires the 'pages_read_engagement' permission" in findings[0][1]
    assert (False, "the token in FACEBOOK_PAGE_TOKEN lacks pages_read_engagement: make a new Page token with these "
                   "permissions (README.md, \"Connecting Facebook and Instagram\")") in findings
    expiry = next(line for good, line in findings if "expires" in line)
    assert expiry.startswith("the token expires in 5 days (") and (False, expiry) in findings


def test_the_app_mode_is_never_reported_live_even_when_the_app_is_live(project, graph, monkeypatch):
    settings = configure(project, graph)
    with_app(monkeypatch, graph)
    graph.app_mode = "live"
    for findings in (publisher(settings, graph).diagnose(), publisher(settings, graph).diagnose()):
        [mode] = [line for _good, line in findings if line.startswith("app mode:")]
        assert "could not be confirmed" in mode
        assert not any("is Live" in line or "is live" in line for _good, line in findings)


def test_a_token_made_with_another_app_is_named_as_such(project, graph, monkeypatch):
    settings = configure(project, graph)
    with_app(monkeypatch, graph)
    graph.add_token(graph.page_token, app_id="999999999999999")
    findings = publisher(settings, graph).diagnose()
    assert (False, "the token in FACEBOOK_PAGE_TOKEN was made with another Facebook app, not the one in "
                   "FACEBOOK_APP_ID: set FACEBOOK_APP_ID and FACEBOOK_APP_SECRET to the ID and secret of the app that "
                   "made the token") in findings


def test_a_wrong_app_secret_is_reported_without_showing_it(project, graph, monkeypatch, caplog):
    settings = configure(project, graph)
    monkeypatch.setenv("FACEBOOK_APP_ID", graph.app_id)
    monkeypatch.setenv("FACEBOOK_APP_SECRET", "wrong-secret-Tigawasa-5678")
    with caplog.at_level(logging.DEBUG):
        findings = publisher(settings, graph).diagnose()
    [refused] = [line for good, line in findings if good is False]
    assert refused.startswith("Facebook refused the app ID and secret in FACEBOOK_APP_ID and FACEBOOK_APP_SECRET, so "
                              "the token could not be checked; Facebook said: Error validating access token")
    assert "wrong-secret-Tigawasa-5678" not in " ".join(line for _good, line in findings) + own_log(caplog)


def test_the_app_token_never_shows_when_the_network_fails(project, graph, monkeypatch, caplog):
    """facebook-sdk sends debug_token as a GET: requests' error names the URL, app token included."""
    settings = configure(project, graph)
    with_app(monkeypatch, graph)
    graph.stop()  # nothing listens any more: every request is refused with its URL in the error
    with caplog.at_level(logging.DEBUG):
        findings = publisher(settings, graph).diagnose()
    text = " ".join(line for _good, line in findings) + own_log(caplog)
    # requests' error names the URL; a refused connection is said in the tool's own words instead (test_offline.py)
    assert "could not ask Facebook about the token: no internet connection (or Facebook cannot be reached)" in text
    for secret in (APP_SECRET, graph.app_token, graph.page_token, "%7C" + APP_SECRET, "/debug_token"):
        assert secret not in text


def test_doctor_keeps_the_app_secret_out_of_output_and_the_log(project, graph, monkeypatch):
    configure(project, graph)
    with_app(monkeypatch, graph)
    monkeypatch.setenv("FACEBOOK_PAGE_TOKEN", graph.page_token)
    pauses: list[float] = []
    monkeypatch.setattr(publishing, "sleep", pauses.append)  # the retries' pauses are kept, not waited for
    for failure in (None, "drop"):
        if failure:
            for _attempt in range(4):
                graph.drop_next("GET", "/debug_token")
        asked = len(graph.calls_to("GET", "/debug_token"))
        result = CliRunner().invoke(cli, ["--config", str(project.config), "-vv", "doctor"])
        if failure:  # every attempt went unanswered: the secret was in each URL and each retry's log lines
            assert len(graph.calls_to("GET", "/debug_token")) - asked == 4 and len(pauses) == 3, pauses
        assert "Traceback" not in result.output
        assert "[??] Facebook: app mode: could not be confirmed" in result.stdout
        for secret in (APP_SECRET, graph.app_token, graph.page_token):
            assert secret not in result.output and secret not in (result.stderr or "")
    for path in Path(project.root, ".sokasi-post").rglob("*"):
        if path.is_file():
            assert APP_SECRET.encode() not in path.read_bytes(), path


# -- the Development-mode trap ------------------------------------------------------------------------------------

def test_a_post_made_in_development_mode_shows_to_the_admin_but_not_to_buyers(project, graph):
    """Why doctor asks for a look at the App Mode switch: every read the tool can make says all is well."""
    product(project, "sokasi", ("1-depan.jpg",), {})
    settings = configure(project, graph)
    facebook = publisher(settings, graph)
    post = planned(settings, "sokasi")
    receipt = facebook.publish(post, {}, Saved())
    found = facebook.find(post, receipt.at)
    assert found is not None and found.remote_id == receipt.remote_id  # the Page token sees the post
    assert graph.public_read(receipt.remote_id) is None  # a buyer does not
    graph.app_mode = "live"
    assert graph.public_read(receipt.remote_id)["id"] == receipt.remote_id
