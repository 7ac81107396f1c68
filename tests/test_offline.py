"""Offline, or a platform out of reach: known in seconds, said in plain words, nothing marked failed.

The real facebook-sdk and instagrapi run against the local fakes, which are stopped (a closed 127.0.0.1 port: every
connection refused), or behind a socket.getaddrinfo that fails every lookup (no name is ever looked up for real).
"""

from __future__ import annotations

import errno
import re
import socket
import time

import pytest
import requests
import urllib3.util.connection
from curl_cffi import CurlECode
from curl_cffi.requests import exceptions as curl_errors
from instagrapi.exceptions import PhotoConfigureError
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

from sokasi_post import publishing
from sokasi_post.catalog import load_catalog
from sokasi_post.config import load_settings
from sokasi_post.errors import TransientError, UnknownOutcomeError, UnreachableError
from sokasi_post.ledger import Ledger
from sokasi_post.publishers import (
    CONNECT_TIMED_OUT,
    NAME_NOT_FOUND,
    NO_CONNECTION,
    NO_ROUTE,
    REFUSED,
    build,
    connect_failure,
    with_retries,
)
from sokasi_post.publishers.instagram import load_session, translate
from sokasi_post.states import State
from tests.fakeinstagram import fake_instagram_fixture, make_client  # noqa: F401
from tests.test_publish_e2e import SAMPLE_PAGE, Village
from tests.test_publishing_flow import both, facebook, run

FACEBOOK_SENTENCE = ("no internet connection (or Facebook cannot be reached) — nothing was sent; the next run will "
                     "try again")
INSTAGRAM_SENTENCE = ("no internet connection (or Instagram cannot be reached) — nothing was sent; the next run will "
                      "try again")
# What the libraries say of a failed connection; none of it may reach the coordinator.
LIBRARY_WORDS = ("HTTPSConnectionPool", "HTTPConnectionPool", "Max retries", "NameResolutionError", "NewConnectionError",
                 "urllib3", "Errno", "ClientConnectionError", "curl", "graph.facebook.com", "i.instagram.com",
                 "access_token")
READY = "title: Keben tutup tinggi\ncaption: Keben anyaman bambu dengan tutup tinggi.\nprice: 350000\n"


class Offline(Village):
    """The sample catalogue with all three products ready, and a record of every connection tried."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        (self.root / "posts" / "keben-tutup-tinggi" / "post.yaml").write_text(READY, encoding="utf-8")
        self.monkeypatch = args[-1]
        self.connections: list[tuple[str, int]] = []

    def count_connections(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Record each connection urllib3 opens (facebook-sdk, and instagrapi with the requests transport)."""
        connect = urllib3.util.connection.create_connection

        def counted(address, *args, **kwargs):
            self.connections.append(address)
            return connect(address, *args, **kwargs)

        monkeypatch.setattr(urllib3.util.connection, "create_connection", counted)

    def point_at(self, graph_url: str, instagram_domain: str) -> None:
        """Send facebook-sdk to `graph_url` and instagrapi to `instagram_domain` from now on."""
        import instagrapi.config

        text = re.sub(r"(?m)^  graph_url: .*$", f"  graph_url: {graph_url}", self.config.read_text(encoding="utf-8"))
        self.config.write_text(text, encoding="utf-8")
        self.settings = load_settings(self.config)
        self.monkeypatch.setattr(instagrapi.config, "API_DOMAIN", instagram_domain)

    def go_offline(self) -> None:
        """Point both libraries at a closed port of 127.0.0.1: every connection is refused at once."""
        port = closed_port()
        self.point_at(f"http://127.0.0.1:{port}", f"127.0.0.1:{port}")

    def log(self) -> str:
        return "".join(path.read_text(encoding="utf-8") for path in (self.root / ".sokasi-post" / "logs").glob("*.log"))

    def ledger(self) -> Ledger:
        return Ledger.open(self.settings.state_dir)


def closed_port() -> int:
    """A port of 127.0.0.1 that nothing listens on (taken from the system, then let go)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def village(tmp_path, fake_instagram, monkeypatch):
    from tests.fakegraph import FakeGraph

    with FakeGraph(page_id=SAMPLE_PAGE) as graph:
        offline = Offline(tmp_path, graph, fake_instagram, monkeypatch, small_photos=True)
        offline.count_connections(monkeypatch)
        yield offline


@pytest.fixture
def no_names(monkeypatch):
    """Every name lookup fails as it does without internet; the names asked for are recorded, none is looked up."""
    asked: list[str] = []

    def fail(host, *args, **kwargs):
        asked.append(host.decode() if isinstance(host, bytes) else str(host))
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(socket, "getaddrinfo", fail)
    return asked


def use_the_real_addresses(village: Offline) -> None:
    """Point both libraries at the platforms' own names (only ever looked up through `no_names`)."""
    village.point_at("https://graph.facebook.com", "i.instagram.com")


def no_library_words(*texts: str) -> None:
    for text in texts:
        for words in LIBRARY_WORDS:
            assert words not in text


def nothing_marked_failed(village: Offline) -> None:
    ledger = village.ledger()
    try:
        assert [e for e in ledger.entries() if e.state == State.FAILED] == []
        assert ledger.cooldown("facebook", SAMPLE_PAGE) is None
        assert ledger.cooldown("instagram", village.settings.instagram.username) is None
    finally:
        ledger.close()


# -- publish --------------------------------------------------------------------------------------------------------

def test_publish_with_refused_connections_asks_each_platform_once_and_says_why_in_plain_words(village):
    village.go_offline()
    started = time.monotonic()
    result = village.run("publish")
    took = time.monotonic() - started
    assert result.exit_code == 1, result.output
    assert took < 20  # about 40 seconds before; here it is the Instagram client's own 1-3 s pause per request
    assert len(village.connections) == 2  # one check per platform, not one per product and no retries
    lines = result.stdout.splitlines()
    for slug in ("keben-tutup-tinggi", "sokasi-bundar-poleng", "sokasi-polos-kecil"):
        assert any(line.startswith(f"{slug} → Facebook: ") for line in lines)
        assert any(line.startswith(f"{slug} → Instagram: ") for line in lines)
    assert FACEBOOK_SENTENCE in result.stdout and INSTAGRAM_SENTENCE in result.stdout
    no_library_words(result.output, village.log())
    nothing_marked_failed(village)
    ledger = village.ledger()
    try:
        assert ledger.entries() == []  # nothing was sent, so nothing began
    finally:
        ledger.close()


def test_publish_offline_says_the_sentence_once_per_platform(village):
    village.go_offline()
    result = village.run("publish")
    assert result.stdout.count(FACEBOOK_SENTENCE) == 1
    assert result.stdout.count(INSTAGRAM_SENTENCE) == 1


def test_publish_without_name_lookups_is_as_quick_and_never_retries_a_lookup(village, monkeypatch, no_names):
    use_the_real_addresses(village)
    started = time.monotonic()
    result = village.run("publish")
    assert time.monotonic() - started < 20
    assert result.exit_code == 1, result.output
    assert sorted(no_names) == ["graph.facebook.com", "i.instagram.com"]  # once each: no retry, no other product
    assert FACEBOOK_SENTENCE in result.stdout and INSTAGRAM_SENTENCE in result.stdout
    no_library_words(result.output, village.log())
    nothing_marked_failed(village)


def test_publish_offline_speaks_indonesian(village):
    village.go_offline()
    result = village.run("--lang", "id", "publish")
    assert result.exit_code == 1, result.output
    assert ("tidak ada koneksi internet (atau Facebook tidak bisa dihubungi) — tidak ada yang terkirim; proses "
            "berikutnya akan mencoba lagi") in result.stdout
    assert "tidak ada koneksi internet (atau Instagram tidak bisa dihubungi)" in result.stdout
    no_library_words(result.output)


def test_an_offline_day_after_good_ones_says_the_same_and_keeps_what_was_posted(village):
    """The ledger knows both platforms (an earlier run posted), so each post is tried in turn: one check each."""
    first = village.run("publish", "sokasi-polos-kecil")
    assert first.exit_code == 0, first.output
    village.go_offline()
    village.connections.clear()
    result = village.run("publish")
    assert result.exit_code == 1, result.output
    assert len(village.connections) == 2
    assert "sokasi-polos-kecil → Facebook: already posted" in result.stdout
    assert "sokasi-bundar-poleng → Facebook: " in result.stdout and FACEBOOK_SENTENCE in result.stdout
    assert "sokasi-bundar-poleng → Instagram: " in result.stdout and INSTAGRAM_SENTENCE in result.stdout
    no_library_words(result.output, village.log())
    nothing_marked_failed(village)
    ledger = village.ledger()
    try:
        assert {(e.slug, e.state) for e in ledger.entries()} == {("sokasi-polos-kecil", "published")}
    finally:
        ledger.close()


def planned_post(village: Offline, slug: str, platform: str):
    products = tuple(p for p in load_catalog(village.settings).products if p.slug == slug)
    return next(p for p in publishing.plan(products, village.settings).posts if p.platform == platform)


@pytest.mark.parametrize("platform", ["facebook", "instagram"])
def test_a_post_sent_to_a_platform_gone_out_of_reach_is_unreachable_not_unknown(village, platform):
    """A request that creates a post, refused before it left: nothing can be there, so it is not in doubt."""
    post = planned_post(village, "sokasi-bundar-poleng", platform)
    village.go_offline()
    publisher = build(platform, village.settings, lambda seconds: None)
    with pytest.raises(UnreachableError) as raised:
        publisher.publish(post, {}, lambda progress: None)
    assert raised.value.reason == REFUSED
    no_library_words(str(raised.value))


# -- doctor ---------------------------------------------------------------------------------------------------------

def test_doctor_offline_says_it_in_one_line_per_platform(village):
    village.go_offline()
    started = time.monotonic()
    result = village.run("doctor")
    assert time.monotonic() - started < 20
    assert result.exit_code == 1
    assert "[!!] Facebook: no internet connection (or Facebook cannot be reached)\n" in result.stdout
    assert "[!!] Instagram: no internet connection (or Instagram cannot be reached)\n" in result.stdout
    assert result.stdout.count("[!!]") == 2
    assert len(village.connections) == 2
    no_library_words(result.output, village.log())
    nothing_marked_failed(village)


def test_doctor_without_name_lookups_says_the_same(village, monkeypatch, no_names):
    use_the_real_addresses(village)
    result = village.run("doctor")
    assert result.exit_code == 1
    assert "[!!] Facebook: no internet connection (or Facebook cannot be reached)\n" in result.stdout
    assert "[!!] Instagram: no internet connection (or Instagram cannot be reached)\n" in result.stdout
    assert sorted(no_names) == ["graph.facebook.com", "i.instagram.com"]
    no_library_words(result.output, village.log())


# -- a request that was on its way is not "unreachable" ----------------------------------------------------------------

def test_a_facebook_post_whose_reply_is_lost_is_still_unknown(village):
    village.graph.drop_next("POST", "/photos", after_action=True)
    result = village.run("publish", "sokasi-polos-kecil", "--platform", "facebook")
    assert result.exit_code == 1
    assert "sokasi-polos-kecil → Facebook: outcome unknown: " in result.stdout
    assert "no internet connection" not in result.stdout
    ledger = village.ledger()
    try:
        assert ledger.get("sokasi-polos-kecil", "facebook").state == State.UNKNOWN
    finally:
        ledger.close()


def test_an_instagram_post_whose_reply_is_lost_is_still_unknown(village):
    village.fake.drop_next("POST", "media/configure", after_action=True)
    result = village.run("publish", "sokasi-polos-kecil", "--platform", "instagram")
    assert result.exit_code == 1
    assert "sokasi-polos-kecil → Instagram: outcome unknown: " in result.stdout
    assert "no internet connection" not in result.stdout
    ledger = village.ledger()
    try:
        assert ledger.get("sokasi-polos-kecil", "instagram").state == State.UNKNOWN
    finally:
        ledger.close()


# -- how a failure is recognised: by the type of error, and only while connecting ------------------------------------

def failed_connection(cause: OSError) -> requests.exceptions.ConnectionError:
    """What requests raises when urllib3 could not connect, built the way they build it."""
    try:
        try:
            raise NewConnectionError(None, f"Failed to establish a new connection: {cause}") from cause
        except NewConnectionError as error:
            raise MaxRetryError(None, "/v25.0/me?access_token=SECRET", error) from error
    except MaxRetryError as error:
        return requests.exceptions.ConnectionError(error)


@pytest.mark.parametrize(("cause", "reason"), [
    (ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"), REFUSED),
    (OSError(errno.ENETUNREACH, "Network is unreachable"), NO_ROUTE),
    (OSError(errno.EHOSTUNREACH, "No route to host"), NO_ROUTE),
    (OSError(errno.EADDRNOTAVAIL, "Cannot assign requested address"), NO_CONNECTION),
])
def test_a_connection_that_could_not_be_made_is_named_in_plain_words(cause, reason):
    assert connect_failure(failed_connection(cause)) == reason


def test_a_connection_that_broke_after_the_request_left_is_not_unreachable():
    """The same low-level errors, once connected (urllib3's ProtocolError): the request may have arrived."""
    for cause in (ConnectionResetError(errno.ECONNRESET, "Connection reset by peer"),
                  OSError(errno.EHOSTUNREACH, "No route to host")):
        try:
            raise ProtocolError("Connection aborted.", cause) from cause
        except ProtocolError as error:
            broken = requests.exceptions.ConnectionError(error)
        assert connect_failure(broken) is None
        assert isinstance(translate(broken, creates=True, username="sokasi.tigawasa"), UnknownOutcomeError)
    assert connect_failure(requests.exceptions.ReadTimeout("read timed out")) is None


def test_an_unreachable_platform_is_not_waited_for_but_other_passing_faults_are():
    calls, pauses = [], []

    def offline():
        calls.append(1)
        raise UnreachableError("no internet connection (or Facebook cannot be reached)", REFUSED)

    with pytest.raises(UnreachableError):
        with_retries(offline, pauses.append)
    assert (len(calls), pauses) == (1, [])

    def busy():
        calls.append(1)
        raise TransientError("please retry")

    with pytest.raises(TransientError):
        with_retries(busy, pauses.append)
    assert len(pauses) >= 1


def test_an_answer_that_says_the_post_may_exist_stays_unknown_whatever_lies_behind_it():
    """instagrapi raises PhotoConfigureError when a configure went through without a clear reply; a failed
    connection behind it (a later look-up) must not turn that into "nothing was sent"."""
    try:
        try:
            raise failed_connection(ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"))
        except requests.exceptions.ConnectionError:
            raise PhotoConfigureError("Photo upload configure succeeded without media payload") from None
    except PhotoConfigureError as error:
        configured = error
    assert isinstance(translate(configured, creates=True, username="sokasi.tigawasa"), UnknownOutcomeError)


# -- the publishing flow: one check per platform, nothing failed, nothing resting -----------------------------------

UNREACHABLE = UnreachableError("no internet connection (or Facebook cannot be reached)", REFUSED)


@pytest.fixture
def no_waiting(monkeypatch):
    pauses: list[float] = []
    monkeypatch.setattr(publishing, "sleep", pauses.append)
    return pauses


def test_a_platform_lost_in_the_middle_of_a_run_keeps_the_post_pending_and_is_not_tried_again(project, no_waiting):
    for slug in ("sokasi-a", "sokasi-b", "sokasi-c"):
        project.good(slug)
    run(project, both(), slugs=("sokasi-a",))  # the ledger knows both platforms: no look-up first
    publishers = facebook(UNREACHABLE)
    outcomes, entries = run(project, publishers)
    assert outcomes[("sokasi-b", "facebook")] == ("retry-later", FACEBOOK_SENTENCE)
    assert outcomes[("sokasi-c", "facebook")] == ("stopped", FACEBOOK_SENTENCE)  # not asked again
    assert publishers["facebook"].sent == [] and publishers["facebook"].checks == 1
    assert publishers["instagram"].sent == ["sokasi-b", "sokasi-c"]  # the other platform carries on
    states = {(e.slug, e.platform): (e.state, e.last_error) for e in entries}
    assert states[("sokasi-b", "facebook")] == ("pending", FACEBOOK_SENTENCE)  # waits for the next run, not failed
    assert ("sokasi-c", "facebook") not in states
    assert no_waiting == []


def test_an_unreachable_check_stops_the_platform_without_a_rest(project, no_waiting):
    project.good("sokasi-a")
    project.good("sokasi-b")
    run(project, both(), slugs=("sokasi-a",))
    publishers = facebook(check_error=UNREACHABLE)
    outcomes, entries = run(project, publishers)
    assert outcomes[("sokasi-b", "facebook")] == ("stopped", FACEBOOK_SENTENCE)
    assert publishers["facebook"].checks == 1
    settings = load_settings(project.config)
    ledger = Ledger.open(settings.state_dir)
    try:
        assert ledger.cooldown("facebook", settings.facebook.page_id) is None
    finally:
        ledger.close()


def test_a_post_in_doubt_that_cannot_be_looked_for_stays_in_doubt(project, no_waiting):
    project.good("sokasi-a", platforms="[facebook]")
    project.good("sokasi-b", platforms="[facebook]")
    run(project, both(fb=[UnknownOutcomeError("no clear answer from Facebook")]), slugs=("sokasi-a",))
    publishers = facebook(find_error=UNREACHABLE)
    outcomes, entries = run(project, publishers)
    assert outcomes[("sokasi-a", "facebook")] == ("unknown", FACEBOOK_SENTENCE)
    assert outcomes[("sokasi-b", "facebook")] == ("stopped", FACEBOOK_SENTENCE)
    assert publishers["facebook"].looked == ["sokasi-a"] and publishers["facebook"].sent == []
    assert {e.slug: e.state for e in entries} == {"sokasi-a": "unknown"}


def test_a_forgotten_ledger_that_cannot_look_sends_nothing_and_looks_again_next_time(project, no_waiting):
    project.good("sokasi-a", platforms="[facebook]")
    project.good("sokasi-b", platforms="[facebook]")
    publishers = facebook(find_error=UNREACHABLE)
    outcomes, entries = run(project, publishers)
    assert set(outcomes.values()) == {("stopped", FACEBOOK_SENTENCE)}
    assert publishers["facebook"].looked == ["sokasi-a"] and publishers["facebook"].sent == []
    assert entries == []
    settings = load_settings(project.config)
    ledger = Ledger.open(settings.state_dir)
    try:
        assert not ledger.remembers("facebook")  # the next run looks for every post again
    finally:
        ledger.close()


# -- Instagram's default transport, curl ---------------------------------------------------------------------------

@pytest.fixture
def curl_client(fake_instagram, project):
    """A client as production has it: the saved session says curl (the transport a fresh instagrapi uses)."""
    from sokasi_post.config import load_settings
    from sokasi_post.publishers.instagram import save_session

    settings = load_settings(project.config)
    save_session(fake_instagram.session_settings(fake_transport=False), settings.instagram.session_file)
    client = load_session(settings, lambda: make_client(fake_instagram, private_transport="curl"))
    assert client.private_transport == "curl"
    return client


def test_instagram_over_curl_with_the_connection_refused_is_unreachable(curl_client, monkeypatch):
    import instagrapi.config

    monkeypatch.setattr(instagrapi.config, "API_DOMAIN", f"127.0.0.1:{closed_port()}")
    with pytest.raises(Exception) as raised:
        curl_client.account_info()
    error = translate(raised.value, creates=True, username="sokasi.tigawasa")
    assert isinstance(error, UnreachableError) and error.reason == NO_CONNECTION
    assert str(error) == "no internet connection (or Instagram cannot be reached)"


@pytest.mark.parametrize(("code", "said", "reason"), [
    (CurlECode.COULDNT_RESOLVE_HOST, "Could not resolve host: i.instagram.com", NAME_NOT_FOUND),
    (CurlECode.OPERATION_TIMEDOUT, "Failed to connect to i.instagram.com port 443 after 5001 ms: Timeout was reached",
     CONNECT_TIMED_OUT),
    (CurlECode.OPERATION_TIMEDOUT, "Resolving timed out after 5000 milliseconds", CONNECT_TIMED_OUT),
    (CurlECode.OPERATION_TIMEDOUT, "Operation timed out after 185000 milliseconds with 0 bytes received", None),
])
def test_instagram_over_curl_tells_a_failed_connection_from_a_lost_reply(curl_client, monkeypatch, code, said, reason):
    """curl's own failure, raised where libcurl raises it, passed through the real adapter and instagrapi."""
    adapter = curl_client.private.get_adapter("https://i.instagram.com/")
    kind = curl_errors.code2error(code, said)

    def fail(*args, **kwargs):
        raise kind(f"Failed to perform, curl: ({int(code)}) {said}.", code)

    monkeypatch.setattr(adapter.client, "request", fail)
    with pytest.raises(Exception) as raised:
        curl_client.private_request("media/configure/", data={"caption": "x"})
    error = translate(raised.value, creates=True, username="sokasi.tigawasa")
    if reason is None:
        assert isinstance(error, UnknownOutcomeError)
    else:
        assert isinstance(error, UnreachableError) and error.reason == reason


def test_the_log_file_names_the_reason_in_plain_words(village, request):
    village.go_offline()
    village.run("doctor")
    assert f"Facebook cannot be reached: {REFUSED}" in village.log()
    request.getfixturevalue("no_names")
    use_the_real_addresses(village)
    village.run("publish")
    assert f"Facebook cannot be reached: {NAME_NOT_FOUND}" in village.log()
    assert f"Instagram cannot be reached: {NAME_NOT_FOUND}" in village.log()
