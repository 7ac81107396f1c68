"""No secret in any output of any failure path, whatever the servers echo back (issue: hostile input).

Canary values stand in for every secret in play: the Page token, the app secret, the Instagram password, the
session id and a cookie of the saved session, and a cookie Instagram refreshes in the middle of a run. None
of them has a token's usual shape, so each must be masked by value, not by luck. The fakes echo them the way
careless or hostile servers do - in error messages, in reply fields, in headers, with the request URL - and
every output is searched: stdout, stderr, the log file, the ledger's bytes, `status --json`, `report` and the
preview page. The outputs must still say what happened, with *** where the secret was.

Also here, the other two things a hostile server or a careless config could do to the token: a Graph reply
that is a JSON list or has no Date header, and a graph_url over plain http://.
"""

from __future__ import annotations

import base64
import json
import sqlite3
from datetime import UTC, datetime

import pytest

from sokasi_post import publishing
from sokasi_post.config import load_settings
from sokasi_post.errors import SLOW_DOWN, ConfigError
from sokasi_post.ledger import Cooldown, Ledger
from sokasi_post.models import Receipt
from sokasi_post.publishers.instagram import save_session
from sokasi_post.redaction import boundary, redact, remember
from tests.fakegraph import FakeGraph
from tests.fakeinstagram import fake_instagram_fixture  # noqa: F401
from tests.test_publish_e2e import SAMPLE_PAGE, Village

PAGE_TOKEN = "canary-page-token-7f3e9a1b2c4d"
APP_SECRET = "canary-app-secret-5e6f7a8b9c0d"
PASSWORD = "canary-kata-sandi-Tigawasa-4321"
SESSION_ID = "canary-session-id-0a1b2c3d4e5f"
COOKIE = "canary-datr-cookie-6d5c4b3a2b1c"  # a cookie of the saved session whose name no shape knows
REFRESHED = "canary-refreshed-cookie-1q2w3e4r"  # set by Instagram during the run, saved with the session
IN_PLAY = (PAGE_TOKEN, APP_SECRET, PASSWORD, SESSION_ID, COOKIE)  # known from the start of every run
CANARIES = (*IN_PLAY, REFRESHED)


@pytest.fixture
def village(tmp_path, fake_instagram, monkeypatch):
    """The sample catalogue wired to both fakes, every secret a canary."""
    fake_instagram.sessionid = SESSION_ID
    with FakeGraph(page_id=SAMPLE_PAGE) as graph:
        graph.app_secret = APP_SECRET
        graph.add_token(PAGE_TOKEN, kind="PAGE", id=SAMPLE_PAGE, name="Sokasi Tigawasa")
        place = Village(tmp_path, graph, fake_instagram, monkeypatch, small_photos=True)
        session = fake_instagram.session_settings()
        session["cookies"] = {"datr": COOKIE}
        save_session(session, place.settings.instagram.session_file)
        monkeypatch.setenv("FACEBOOK_PAGE_TOKEN", PAGE_TOKEN)
        monkeypatch.setenv("FACEBOOK_APP_ID", graph.app_id)
        monkeypatch.setenv("FACEBOOK_APP_SECRET", APP_SECRET)
        monkeypatch.setenv("INSTAGRAM_PASSWORD", PASSWORD)
        yield place


# -- the hostile servers: what each scenario arms before `publish`, then before `doctor` ------------------------------

def graph_errors_echo_the_request(village: Village, command: str) -> None:
    """Facebook's error messages quote the request: its URL with access_token=..., its form with the token."""
    if command == "publish":
        # The carousel's first photo: the echo names alt_text_custom, so it goes up again without (docs/platforms.md
        # F3); refused again, the product fails. The single photo then posts.
        village.graph.echo_next("POST", "/photos")
        village.graph.echo_next("POST", "/photos")
    else:
        village.graph.echo_next("GET", "/debug_token")  # input_token=<Page token>&access_token=<app id>|<app secret>
        village.graph.echo_next("GET", "/me")


def graph_replies_reflect_the_request(village: Village, command: str) -> None:
    """Facebook's good answers carry the request: in /me's name (printed by doctor) and in headers."""
    if command == "publish":
        village.graph.echo_next("GET", "/me", header="Date")
        village.graph.echo_next("POST", "/photos", header="WWW-Authenticate")
    else:
        village.graph.echo_next("GET", "/me", field="name")


def instagram_errors_echo_the_request(village: Village, command: str) -> None:
    """Instagram's error messages quote the password, the Authorization header and the cookies (the session id)."""
    said = f"wrong password {PASSWORD} for session {SESSION_ID}; you sent: "
    if command == "publish":
        village.fake.echo_next("POST", "media/configure", said=said)  # configure_sidecar/ (the carousel)
        village.fake.echo_next("POST", "media/configure", said=said)  # configure/ (the single photo)
    else:
        village.fake.echo_next("GET", "current_user", said=said)


def instagram_rest_reason_echoes_secrets(village: Village, command: str) -> None:
    """An anti-abuse answer whose words hold secrets: its reason is kept as the cool-down's reason."""
    if command == "publish":
        village.fake.fail_next("POST", "media/configure", 400, {
            "message": "feedback_required", "spam": True, "status": "fail",
            "feedback_message": f"Try again later, {PASSWORD} / sessionid {SESSION_ID} / datr {COOKIE}"})


def instagram_refreshes_a_cookie_then_echoes_it(village: Village, command: str) -> None:
    """A cookie set during the run (saved with the session) is a secret from then on."""
    if command == "publish":
        village.fake.headers_next("GET", "current_user", {"Set-Cookie": f"ig_nrcb={REFRESHED}; Path=/"})
        village.fake.echo_next("POST", "media/configure")
        village.fake.echo_next("POST", "media/configure")


def the_code_crashes_with_secrets_in_the_exception(village: Village, command: str) -> None:
    """A bug whose exception text holds every secret (the approach of the first canary test)."""
    if command == "publish":
        def explode(*args, **kwargs):
            raise RuntimeError("boom with " + " and ".join(IN_PLAY))
        village.monkeypatch.setattr(publishing, "fingerprint", explode)  # undone before status, report and preview


SCENARIOS = [graph_errors_echo_the_request, graph_replies_reflect_the_request, instagram_errors_echo_the_request,
             instagram_rest_reason_echoes_secrets, instagram_refreshes_a_cookie_then_echoes_it,
             the_code_crashes_with_secrets_in_the_exception]


class Outputs:
    """Everything the tool wrote during one scenario, by where it went."""

    def __init__(self, village: Village, arm):
        self.runs = {}
        village.monkeypatch = village_monkeypatch = pytest.MonkeyPatch()
        try:
            arm(village, "publish")
            self.runs["publish"] = village.run("-vv", "publish")
            arm(village, "doctor")
            self.runs["doctor"] = village.run("-vv", "doctor")
        finally:
            village_monkeypatch.undo()
        self.runs["status"] = village.run("status", "--json")
        self.runs["report"] = village.run("report")
        self.runs["preview"] = village.run("preview")
        state = village.root / ".sokasi-post"
        self.status = json.loads(self.runs["status"].stdout)  # still valid JSON after redaction
        self.log = (state / "logs" / "sokasi-post.log").read_text(encoding="utf-8")
        self.index = (state / "preview" / "index.html").read_text(encoding="utf-8")
        session = village.settings.instagram.session_file
        # Every file of the state folder but the session file, which is the session (0600, never shown).
        self.files = {path: path.read_bytes() for path in state.rglob("*") if path.is_file() and path != session}
        assert any(path.name.startswith("ledger.sqlite3") for path in self.files)

    def texts(self) -> dict[str, str]:
        """Each output as text: every run's stdout and stderr, the log file, the preview page."""
        found = {}
        for name, result in self.runs.items():
            found[f"{name} stdout"] = result.stdout
            found[f"{name} stderr"] = result.stderr
        found["log file"], found["preview index.html"] = self.log, self.index
        return found

    def error(self, slug: str, platform: str) -> str:
        row = next(row for row in self.status if row["slug"] == slug and row["platform"] == platform)
        return row["error"] or ""


def secrets_sent(village: Village) -> set[str]:
    """What the fakes received that is secret by nature: the Authorization headers (and their base64 parts)."""
    headers = {call.headers.get("Authorization") for call in village.fake.calls} - {None}
    return headers | {header.rsplit(":", 1)[-1] for header in headers}


def assert_nothing_leaks(village: Village, outputs: Outputs) -> None:
    secrets = {*CANARIES, *secrets_sent(village)}
    for where, text in outputs.texts().items():
        for secret in secrets:
            assert secret not in text, f"{secret!r} in {where}"
    for path, data in outputs.files.items():
        for secret in secrets:
            assert secret.encode() not in data, f"{secret!r} in {path}"


@pytest.mark.parametrize("arm", SCENARIOS, ids=[scenario.__name__ for scenario in SCENARIOS])
def test_no_canary_reaches_any_output(village, arm):
    outputs = Outputs(village, arm)
    assert_nothing_leaks(village, outputs)
    for result in outputs.runs.values():
        assert "Traceback (most recent call last)" not in result.stdout


def test_facebook_errors_that_echo_the_request_are_stored_and_shown_masked(village):
    outputs = Outputs(village, graph_errors_echo_the_request)
    assert_nothing_leaks(village, outputs)
    error = outputs.error("sokasi-bundar-poleng", "facebook")
    assert error.startswith("Facebook said: (#100) Invalid request: POST http://127.0.0.1:")
    assert error.endswith("/photos published=false&access_token=*** [fbtrace " + error.rsplit(" ", 1)[-1])
    doctor = outputs.runs["doctor"].stdout
    assert "[!!] Facebook: Facebook said: (#100) Invalid request: GET http://127.0.0.1:" in doctor
    assert "access_token=***" in doctor
    publish = outputs.runs["publish"].stdout
    assert "sokasi-bundar-poleng → Facebook: refused: Facebook said: (#100) Invalid request: POST " in publish
    assert "Facebook refused the alt text of 1-depan.jpg, uploading it without: (#100) Invalid request" in outputs.log


def test_a_me_reply_that_reflects_the_url_prints_no_token(village):
    outputs = Outputs(village, graph_replies_reflect_the_request)
    assert_nothing_leaks(village, outputs)
    assert outputs.runs["publish"].exit_code == 0, outputs.runs["publish"].output  # an echoed Date breaks nothing
    doctor = outputs.runs["doctor"].stdout
    assert "[ok] Facebook: Page GET http://127.0.0.1:" in doctor
    assert "access_token=***" in doctor  # the reflected URL is shown, its token masked


def test_instagram_errors_that_echo_the_password_session_and_header_are_masked(village):
    outputs = Outputs(village, instagram_errors_echo_the_request)
    assert_nothing_leaks(village, outputs)
    assert SESSION_ID in village.settings.instagram.session_file.read_text()  # the session really holds the canary
    error = outputs.error("sokasi-polos-kecil", "instagram")
    assert error.startswith("Instagram refused the post: UnknownError: wrong password *** for session ***; you sent: POST "
                            "/api/v1/media/configure/ Authorization: Bearer IGT:2:***")
    assert "datr=***" in error  # the saved session's cookie
    report = outputs.runs["report"].stdout
    assert "Instagram refused the post: UnknownError: wrong password *** for session ***" in report
    assert "[!!] Instagram: Instagram refused the post: UnknownError: wrong password ***" in outputs.runs["doctor"].stdout


def test_a_rest_whose_reason_holds_secrets_is_kept_masked(village):
    outputs = Outputs(village, instagram_rest_reason_echoes_secrets)
    assert_nothing_leaks(village, outputs)
    rests = [row["cooldown"] for row in outputs.status if row["platform"] == "instagram"]
    assert rests and all(rests)
    assert rests[0]["reason"] == ("Instagram blocked this action for now (FeedbackRequired: feedback_required: Try again "
                                  "later, *** / sessionid *** / datr ***); the posts stay queued")


def test_a_cookie_refreshed_during_the_run_is_masked_from_then_on(village):
    outputs = Outputs(village, instagram_refreshes_a_cookie_then_echoes_it)
    sent_cookies = [call.headers.get("Cookie") or "" for call in village.fake.calls_to("media/configure")]
    assert any(f"ig_nrcb={REFRESHED}" in cookie for cookie in sent_cookies)  # the client did take the new cookie
    assert_nothing_leaks(village, outputs)
    assert "ig_nrcb=***" in outputs.error("sokasi-polos-kecil", "instagram")


def test_an_error_stored_before_redaction_existed_is_masked_when_shown(village):
    """Rows written by an older version may hold a secret in clear: status, report and preview mask it."""
    assert village.run("publish", "--platform", "facebook").exit_code == 0
    ledger_file = village.settings.state_dir / "ledger.sqlite3"
    db = sqlite3.connect(ledger_file)
    with db:
        db.execute("UPDATE posts SET state = 'failed', last_error = ? WHERE slug = 'sokasi-polos-kecil' AND "
                   "platform = 'facebook'", (f"Facebook said: bad token {PAGE_TOKEN}, session {SESSION_ID}",))
    db.close()
    outputs = [village.run("status", "--json"), village.run("report"), village.run("preview")]
    index = (village.settings.state_dir / "preview" / "index.html").read_text(encoding="utf-8")
    for text in (*(result.output for result in outputs), index):
        assert PAGE_TOKEN not in text and SESSION_ID not in text
    assert "Facebook said: bad token ***, session ***" in outputs[0].stdout


def test_secret_shapes_are_masked_whoever_sent_them():
    """Outside any run's boundary, with no secret known: the shapes alone, values replaced, words kept."""
    blob = base64.b64encode(b'{"ds_user_id":"1","sessionid":"abc"}').decode()
    cases = {
        "GET https://graph.facebook.com/v25.0/me?fields=id&access_token=EAAB1234abcd": "GET https://graph.facebook.com/v25.0/me?fields=id&access_token=***",
        f"sent Authorization: Bearer IGT:2:{blob} and got 400": "sent Authorization: Bearer IGT:2:*** and got 400",
        "Cookie: sessionid=1%3Aab%3A2; csrftoken=xyz; ds_user_id=4242": "Cookie: sessionid=***; csrftoken=***; ds_user_id=***",
        '{"password": "hunter2", "sessionid": "x\\"y", "ok": true}': '{"password": "***", "sessionid": "***", "ok": true}',
        "token EAACEdEose0cBAKqZBZCZBZAVvZAHyZAbcd1234 expired": "token *** expired",
        "app token 1234567890123456|0123456789abcdef0123456789abcdef": "app token 1234567890123456|***",
        "Authorization: Bearer abcdef0123456789": "Authorization: Bearer ***",
        "session 12345678%3AAbCdEfGhIjKl%3A27%3AAYdeadbeef gone": "session *** gone",
        "post 123456789012345_1000000000000003 at 2026-11-28T01:15:00+0000": "post 123456789012345_1000000000000003 at "
                                                                               "2026-11-28T01:15:00+0000",
    }
    for text, expected in cases.items():
        assert redact(text) == expected


def test_a_secret_of_digits_is_not_masked_inside_a_longer_number():
    assert redact("post 9912345678 and pin 12345678.", ["12345678"]) == "post 9912345678 and pin ***."


# -- odd Graph replies: they must not break calls ------------------------------------------------------------------

def test_graph_replies_without_a_date_header_still_post_and_doctor_makes_no_clock_claim(village):
    village.graph.send_date = False
    result = village.run("publish", "--platform", "facebook")
    assert result.exit_code == 0, result.output
    assert "sokasi-polos-kecil → Facebook: posted" in result.stdout
    doctor = village.run("doctor")
    assert doctor.exit_code == 0, doctor.output
    assert "clock: this computer's clock" not in doctor.stdout


def test_a_graph_reply_that_is_a_json_list_is_one_clear_line(village):
    village.graph.answer_next("POST", "/photos", [{"id": "1"}])  # the single photo's upload makes the post
    result = village.run("publish", "sokasi-polos-kecil", "--platform", "facebook")
    assert result.exit_code == 1
    assert result.stdout.startswith("sokasi-polos-kecil → Facebook: outcome unknown: Facebook sent an unreadable reply "
                                    "(a JSON list where an object was expected)")
    assert "Traceback" not in result.output and "unexpected" not in result.output
    for _ in range(4):  # every try of the check: a reading is retried, then said in one line
        village.graph.answer_next("GET", "/me", [])
    doctor = village.run("doctor")
    assert doctor.exit_code == 1
    assert ("[!!] Facebook: Facebook sent an unreadable reply (a JSON list where an object was expected)\n"
            in doctor.stdout)


# -- the token never travels unencrypted ---------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["http://graph.facebook.com", "http://127.0.0.1.example.org", "http://localhost@example.org",
                                 "http://10.0.0.1:8080"])
def test_graph_url_over_plain_http_to_another_computer_is_refused_at_load(project, url):
    project.config.write_text(project.config.read_text().replace("facebook:\n", f"facebook:\n  graph_url: {url}\n"))
    with pytest.raises(ConfigError) as refused:
        load_settings(project.config)
    assert (f"facebook.graph_url: '{url}' starts with http://, so the Page token would travel unencrypted and anyone on "
            "the way could read it; use https:// (http:// is allowed only for this computer: 127.0.0.1, ::1 or localhost)"
            in str(refused.value))
    result = project.run("check")
    assert result.exit_code == 2
    assert "the Page token would travel unencrypted" in result.stderr


@pytest.mark.parametrize("url", ["https://graph.facebook.com", "http://127.0.0.1:8080", "http://localhost:8080",
                                 "http://[::1]:8080"])
def test_graph_url_may_be_plain_http_only_on_this_computer(project, url):
    project.config.write_text(project.config.read_text().replace("facebook:\n", f"facebook:\n  graph_url: {url}\n"))
    assert load_settings(project.config).facebook.graph_url == url



def test_the_ledger_stores_no_secret_whoever_calls_it(tmp_path):
    """The ledger masks what it stores itself, so no caller can forget to: reasons, problems, links, rests."""
    now = datetime.now(UTC)
    with boundary():
        remember([PASSWORD, SESSION_ID])
        ledger = Ledger.open(tmp_path)
        for slug in ("a", "b"):
            ledger.begin(slug, "instagram", "fingerprint")
        ledger.settle("a", "instagram", "failed", f"refused: {PASSWORD} access_token=EAAB0123456789abcdefghij")
        ledger.succeed("b", "instagram", Receipt(platform="instagram", remote_id="1_4242", at=now, problem=f"odd {SESSION_ID}",
                                                 permalink=f"https://www.instagram.com/p/x/?sessionid={SESSION_ID}"))
        ledger.cool_down(Cooldown("instagram", "sokasi.tigawasa", SLOW_DOWN, 1, now, None, f"wait {PASSWORD}"))
        rows = {entry.slug: entry for entry in ledger.entries()}
        ledger.close()
    assert rows["a"].last_error == "refused: *** access_token=***"
    assert rows["b"].last_error == "odd ***"
    assert rows["b"].permalink == "https://www.instagram.com/p/x/?sessionid=***"
    assert rows["b"].remote_id == "1_4242"
    for path in tmp_path.glob("ledger.sqlite3*"):
        data = path.read_bytes()
        assert PASSWORD.encode() not in data and SESSION_ID.encode() not in data, path
