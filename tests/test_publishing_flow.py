"""The publishing flow over our own Publisher interface: ledger states, stopping a platform, waiting, limits.

The publishers themselves run against local fakes of Facebook and Instagram in test_publish_*.py;
here a scripted publisher lets each decision of the flow be shown on its own.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sokasi_post import publishing
from sokasi_post.catalog import load_catalog
from sokasi_post.config import load_settings
from sokasi_post.errors import (
    BLOCKED,
    CHALLENGE,
    AuthError,
    HeldBackError,
    RejectedError,
    ThrottledError,
    TransientError,
    UnknownOutcomeError,
)
from sokasi_post.ledger import Ledger
from sokasi_post.models import Receipt
from sokasi_post.states import TROUBLE

NOW = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)  # 10:00 in Bali


class ScriptedPublisher:
    """Answers each publish with the next scripted result (an exception to raise, or None for success)."""

    def __init__(self, platform: str, script=(), check_error: Exception | None = None, on_platform=(), find_error=None):
        self.platform = platform
        self.script = list(script)
        self.check_error = check_error
        self.on_platform = set(on_platform)  # slugs whose post exists on the platform although no reply said so
        self.find_error = find_error
        self.sent = []
        self.checks = 0
        self.looked = []

    def check(self) -> str:
        self.checks += 1
        if self.check_error:
            raise self.check_error
        return "ok"

    def find(self, post, since):
        self.looked.append(post.product.slug)
        if self.find_error:
            raise self.find_error
        if post.product.slug in self.on_platform:
            return Receipt(self.platform, f"{self.platform}-{post.product.slug}", "https://example.test/found", NOW)
        return None

    def publish(self, post, resume, checkpoint):
        result = self.script.pop(0) if self.script else None
        checkpoint({"tries": resume.get("tries", 0) + 1})
        if isinstance(result, BaseException):
            raise result
        self.sent.append(post.product.slug)
        return Receipt(self.platform, f"{self.platform}-{post.product.slug}", f"https://example.test/{post.product.slug}", NOW)


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch):
    monkeypatch.setattr(publishing, "sleep", lambda seconds: None)


def run(project, publishers, now=NOW, slugs=()):
    settings = load_settings(project.config)
    catalog = load_catalog(settings)
    products = publishing.select_products(catalog, slugs)
    planned = publishing.plan(products, settings)
    ledger = Ledger.open(settings.state_dir)
    try:
        outcomes = publishing.publish(planned, settings, ledger, lambda name: publishers[name], now)
        return {(o.post.product.slug, o.post.platform): (o.outcome, o.detail) for o in outcomes}, ledger.entries()
    finally:
        ledger.close()


def both(fb=(), ig=(), **kwargs):
    return {"facebook": ScriptedPublisher("facebook", fb, **kwargs), "instagram": ScriptedPublisher("instagram", ig)}


def facebook(*script, **kwargs):
    return {"facebook": ScriptedPublisher("facebook", script, **kwargs), "instagram": ScriptedPublisher("instagram")}


def test_ready_products_are_posted_once_and_a_second_run_sends_nothing(project):
    project.good("sokasi-a")
    project.good("sokasi-b")
    publishers = both()
    first, entries = run(project, publishers)
    assert first == {
        ("sokasi-a", "facebook"): ("posted", "https://example.test/sokasi-a"),
        ("sokasi-a", "instagram"): ("posted", "https://example.test/sokasi-a"),
        ("sokasi-b", "facebook"): ("posted", "https://example.test/sokasi-b"),
        ("sokasi-b", "instagram"): ("posted", "https://example.test/sokasi-b"),
    }
    assert {(e.slug, e.platform, e.state, e.remote_id) for e in entries} == {
        ("sokasi-a", "facebook", "published", "facebook-sokasi-a"), ("sokasi-a", "instagram", "published", "instagram-sokasi-a"),
        ("sokasi-b", "facebook", "published", "facebook-sokasi-b"), ("sokasi-b", "instagram", "published", "instagram-sokasi-b"),
    }
    again = both()
    second, _ = run(project, again)
    assert {status for status, _ in second.values()} == {"already"}
    assert again["facebook"].sent == again["instagram"].sent == []
    assert again["facebook"].checks == 0  # nothing to send: the token is not even checked


def test_credentials_are_checked_once_per_run_before_any_upload(project):
    project.good("sokasi-a")
    project.good("sokasi-b")
    publishers = both()
    run(project, publishers)
    assert publishers["facebook"].checks == 1
    assert publishers["instagram"].checks == 1


def test_a_wrong_token_stops_only_that_platform(project):
    project.good("sokasi-a")
    project.good("sokasi-b")
    publishers = both(check_error=AuthError("the token in FACEBOOK_PAGE_TOKEN belongs to someone else"))
    outcomes, entries = run(project, publishers)
    assert outcomes[("sokasi-a", "facebook")] == ("stopped", "the token in FACEBOOK_PAGE_TOKEN belongs to someone else")
    assert outcomes[("sokasi-b", "facebook")][0] == "stopped"
    assert outcomes[("sokasi-a", "instagram")][0] == "posted"
    assert publishers["facebook"].checks == 1
    assert {e.platform for e in entries} == {"instagram"}  # nothing recorded for a post never attempted


def test_transient_errors_are_retried_then_left_pending(project):
    project.good("sokasi-a", platforms="[facebook]")
    publishers = both(fb=[TransientError("Facebook said: try later")] * 2)
    outcomes, entries = run(project, publishers)
    assert outcomes[("sokasi-a", "facebook")][0] == "posted"
    assert entries[0].attempts == 1
    assert entries[0].progress == {"tries": 3}  # each retry saw what the earlier attempt saved

    project.good("sokasi-b", platforms="[facebook]")
    publishers = both(fb=[TransientError("Facebook said: try later")] * 10)
    outcomes, entries = run(project, publishers, slugs=("sokasi-b",))
    assert outcomes[("sokasi-b", "facebook")] == ("retry-later", "Facebook said: try later")
    assert [e.state for e in entries if e.slug == "sokasi-b"] == ["pending"]
    outcomes, _ = run(project, both(), slugs=("sokasi-b",))  # the next run sends it
    assert outcomes[("sokasi-b", "facebook")][0] == "posted"


def test_throttling_stops_the_platform_for_the_run_and_keeps_posts_pending(project):
    for slug in ("sokasi-a", "sokasi-b"):
        project.good(slug, platforms="[instagram]")
    publishers = both(ig=[ThrottledError("Instagram asks to slow down")])
    outcomes, entries = run(project, publishers)
    said = ("Instagram asks to slow down — Instagram asked to slow down on Saturday, 28 November 2026 10:00 WITA; resting: "
            "nothing is sent to Instagram before Saturday, 28 November 2026 11:00 WITA (repeat 1 since the last good post)")
    assert outcomes[("sokasi-a", "instagram")] == ("retry-later", said)
    assert outcomes[("sokasi-b", "instagram")] == ("stopped", said)
    assert [(e.slug, e.state) for e in entries] == [("sokasi-a", "pending")]


def test_a_post_held_back_is_not_sent_and_the_next_run_sends_it(project):
    for slug in ("sokasi-a", "sokasi-b"):
        project.good(slug, platforms="[instagram]")
    said = "the photos are not online yet: publish the site first"
    publishers = both(ig=[HeldBackError(said)])
    outcomes, entries = run(project, publishers)
    assert outcomes[("sokasi-a", "instagram")] == ("stopped", said)  # needs the coordinator: the run says so
    assert outcomes[("sokasi-b", "instagram")][0] == "posted"  # only that post waits
    assert [(e.slug, e.state) for e in entries] == [("sokasi-a", "pending"), ("sokasi-b", "published")]
    outcomes, _ = run(project, both())
    assert outcomes[("sokasi-a", "instagram")][0] == "posted"


def test_a_platform_limit_holds_the_rest_of_the_run_without_calling_it_trouble(project):
    for slug in ("sokasi-a", "sokasi-b"):
        project.good(slug, platforms="[instagram]")
    said = "Instagram's limit of 25 posts in 24 hours is reached"
    publishers = both(ig=[HeldBackError(said, whole_platform=True)])
    outcomes, entries = run(project, publishers)
    assert outcomes[("sokasi-a", "instagram")] == ("held", said)
    assert outcomes[("sokasi-b", "instagram")] == ("held", said)  # not even tried
    assert publishers["instagram"].sent == []
    assert {outcome for outcome, _ in outcomes.values()} & TROUBLE == set()
    assert [(e.slug, e.state) for e in entries] == [("sokasi-a", "pending")]


def test_a_repost_starts_afresh_instead_of_resuming_what_the_earlier_post_used(project):
    project.good("sokasi-a", platforms="[instagram]")
    run(project, both())
    publishers = both()
    settings = load_settings(project.config)
    products = publishing.select_products(load_catalog(settings), ())
    with Ledger.open(settings.state_dir) as ledger:
        assert ledger.get("sokasi-a", "instagram").progress == {"tries": 1}
        publishing.publish(publishing.plan(products, settings), settings, ledger, lambda name: publishers[name], NOW,
                           publishing.PublishOptions(repost=("sokasi-a",)))
        assert ledger.get("sokasi-a", "instagram").progress == {"tries": 1}  # not 2: the earlier post's progress is spent
    assert publishers["instagram"].sent == ["sokasi-a"]


def test_a_refused_post_is_not_resent_until_it_changes(project):
    folder = project.good("sokasi-a", platforms="[facebook]")
    outcomes, entries = run(project, both(fb=[RejectedError("Facebook said: Invalid image")]))
    assert outcomes[("sokasi-a", "facebook")] == ("failed", "Facebook said: Invalid image")
    assert entries[0].state == "failed"
    publishers = both()
    outcomes, _ = run(project, publishers)
    assert outcomes[("sokasi-a", "facebook")] == ("failed", "refused before, unchanged since: Facebook said: Invalid image")
    assert publishers["facebook"].sent == []
    (folder / "post.yaml").write_text((folder / "post.yaml").read_text() + "maker: Ni Ketut Sari\n")
    outcomes, _ = run(project, publishers)
    assert outcomes[("sokasi-a", "facebook")][0] == "posted"


def test_an_unknown_outcome_is_looked_for_and_recorded_when_it_went_through(project):
    project.good("sokasi-a", platforms="[facebook]")
    outcomes, entries = run(project, both(fb=[UnknownOutcomeError("no clear answer from Facebook")]))
    assert outcomes[("sokasi-a", "facebook")] == ("unknown", "no clear answer from Facebook")
    assert entries[0].state == "unknown"
    publishers = facebook(on_platform={"sokasi-a"})
    outcomes, entries = run(project, publishers)
    assert outcomes[("sokasi-a", "facebook")] == ("found", "it had gone through after all: https://example.test/found")
    assert publishers["facebook"].sent == []
    assert (entries[0].state, entries[0].permalink) == ("published", "https://example.test/found")


def test_an_unknown_outcome_is_sent_again_only_when_provably_absent(project, monkeypatch):
    project.good("sokasi-a", platforms="[facebook]")
    run(project, both(fb=[UnknownOutcomeError("no clear answer from Facebook")]))
    pauses = []
    monkeypatch.setattr(publishing, "sleep", pauses.append)
    publishers = facebook()
    outcomes, entries = run(project, publishers)
    assert publishers["facebook"].looked == ["sokasi-a", "sokasi-a"]  # looked twice, with a pause between
    assert 20 in pauses  # reconcile.wait_seconds
    assert outcomes[("sokasi-a", "facebook")][0] == "posted"
    assert publishers["facebook"].sent == ["sokasi-a"]


def test_when_the_platform_cannot_be_asked_nothing_is_sent(project):
    project.good("sokasi-a", platforms="[facebook]")
    run(project, both(fb=[UnknownOutcomeError("no clear answer from Facebook")]))
    publishers = facebook(find_error=TransientError("cannot reach Facebook"))
    outcomes, entries = run(project, publishers)
    assert outcomes[("sokasi-a", "facebook")] == ("unknown", "could not look for it on Facebook: cannot reach Facebook")
    assert publishers["facebook"].sent == []
    assert entries[0].state == "unknown"


def test_a_run_killed_after_the_intent_looks_before_sending_again(project):
    project.good("sokasi-a", platforms="[facebook]")

    class Killed(BaseException):
        pass

    with pytest.raises(Killed):
        run(project, both(fb=[Killed()]))
    _, entries = run(project, facebook(check_error=AuthError("no token")))
    assert entries[0].state == "in_flight"  # the intent survived the kill
    publishers = facebook()
    outcomes, _ = run(project, publishers)
    assert publishers["facebook"].looked == ["sokasi-a", "sokasi-a"]
    assert outcomes[("sokasi-a", "facebook")][0] == "posted"


def test_an_edited_post_is_not_reposted_unless_asked(project):
    folder = project.good("sokasi-a", platforms="[facebook]")
    run(project, both())
    (folder / "post.yaml").write_text((folder / "post.yaml").read_text().replace("Anyaman", "Sokasi anyaman"))
    publishers = facebook()
    outcomes, _ = run(project, publishers)
    status, detail = outcomes[("sokasi-a", "facebook")]
    assert status == "changed"
    assert "`sokasi-post publish --repost sokasi-a` posts it again" in detail
    assert publishers["facebook"].sent == []
    settings = load_settings(project.config)
    planned = publishing.plan(load_catalog(settings).products, settings)
    ledger = Ledger.open(settings.state_dir)
    outcomes = publishing.publish(planned, settings, ledger, lambda name: publishers[name], NOW,
                                  publishing.PublishOptions(repost=("sokasi-a",)))
    ledger.close()
    assert [o.outcome for o in outcomes] == ["posted"]
    assert publishers["facebook"].sent == ["sokasi-a"]


def test_a_facebook_success_and_an_instagram_failure_retry_only_instagram(project):
    project.good("sokasi-a")
    publishers = both(ig=[TransientError("cannot reach Instagram")] * 4)
    run(project, publishers)
    again = both()
    outcomes, _ = run(project, again)
    assert outcomes[("sokasi-a", "facebook")][0] == "already"
    assert outcomes[("sokasi-a", "instagram")][0] == "posted"
    assert again["facebook"].sent == []


def test_publish_at_in_the_future_waits(project):
    project.good("sokasi-a", publish_at="2026-11-28 19:00")  # Bali time; NOW is 10:00 there
    outcomes, entries = run(project, both())
    assert outcomes[("sokasi-a", "facebook")] == ("waiting", "not before Saturday, 28 November 2026 19:00 WITA")
    assert entries == []
    outcomes, _ = run(project, both(), now=NOW + timedelta(hours=9))
    assert outcomes[("sokasi-a", "facebook")][0] == "posted"


def test_facebook_native_scheduling_sends_ahead_when_asked(project):
    project.config.write_text(project.config.read_text().replace("facebook:\n", "facebook:\n  native_schedule: true\n"))
    project.good("sokasi-a", publish_at="2026-11-28 19:00")
    outcomes, _ = run(project, both())
    assert outcomes[("sokasi-a", "facebook")][0] == "posted"  # the scripted publisher ignores the time
    assert outcomes[("sokasi-a", "instagram")][0] == "waiting"


def test_drafts_and_blocked_posts_are_not_sent(project):
    project.good("sokasi-draft", status="draft")
    project.product("sokasi-panjang", "title: S\ncaption: " + "x" * 2300 + "\n")
    publishers = both()
    outcomes, entries = run(project, publishers)
    assert outcomes[("sokasi-draft", "facebook")][0] == "draft"
    assert outcomes[("sokasi-panjang", "instagram")][0] == "blocked"
    assert outcomes[("sokasi-panjang", "facebook")][0] == "posted"
    assert publishers["instagram"].sent == []


def test_instagram_daily_limit_holds_the_rest_for_tomorrow(project):
    project.config.write_text(project.config.read_text().replace("instagram:\n", "instagram:\n  daily_limit: 2\n"))
    for slug in ("sokasi-a", "sokasi-b", "sokasi-c"):
        project.good(slug, platforms="[instagram]")
    outcomes, _ = run(project, both())
    assert [outcomes[(s, "instagram")][0] for s in ("sokasi-a", "sokasi-b", "sokasi-c")] == ["posted", "posted", "held"]
    tomorrow = NOW + timedelta(days=1)
    outcomes, _ = run(project, both(), now=tomorrow)
    assert outcomes[("sokasi-c", "instagram")][0] == "posted"


def test_retries_back_off_with_jitter_within_bounded_attempts_and_time():
    from sokasi_post.publishers import RETRY_ATTEMPTS, RETRY_FIRST_PAUSE, RETRY_TOTAL_PAUSE, with_retries

    pauses, calls = [], []

    def always_failing():
        calls.append(1)
        raise TransientError("try later")

    with pytest.raises(TransientError):
        with_retries(always_failing, pauses.append)
    assert len(calls) <= RETRY_ATTEMPTS
    assert sum(pauses) <= RETRY_TOTAL_PAUSE
    for number, pause in enumerate(pauses):  # doubling each time, with up to 50% jitter either way
        assert 0.5 * RETRY_FIRST_PAUSE * 2**number <= pause <= 1.5 * RETRY_FIRST_PAUSE * 2**number

    def rejected():
        calls.append(1)
        raise RejectedError("no")

    calls.clear()
    with pytest.raises(RejectedError):
        with_retries(rejected, pauses.append)
    assert len(calls) == 1  # only passing faults are retried


def with_slots(project, slots='["09:00", "19:00"]', per_run=1):
    project.config.write_text(project.config.read_text() + f"schedule:\n  slots: {slots}\n  max_per_run: {per_run}\n")


def test_slots_release_one_new_product_per_posting_time_oldest_first(project):
    with_slots(project)
    for slug in ("sokasi-a", "sokasi-b", "sokasi-c"):
        project.good(slug, platforms="[facebook]")
    at_0815 = datetime(2026, 11, 28, 0, 15, tzinfo=UTC)  # 08:15 in Bali: the 19:00 slot of the day before is current
    first, _ = run(project, both(), now=at_0815)
    assert [first[(s, "facebook")][0] for s in ("sokasi-a", "sokasi-b", "sokasi-c")] == ["posted", "queued", "queued"]
    assert first[("sokasi-b", "facebook")][1] == "in the queue for the next posting time (09:00, 19:00)"
    again, _ = run(project, both(), now=at_0815 + timedelta(minutes=15))  # same slot: nothing new
    assert [again[(s, "facebook")][0] for s in ("sokasi-a", "sokasi-b", "sokasi-c")] == ["already", "queued", "queued"]
    at_0900 = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)
    nine, _ = run(project, both(), now=at_0900)
    assert [nine[(s, "facebook")][0] for s in ("sokasi-a", "sokasi-b", "sokasi-c")] == ["already", "posted", "queued"]
    at_1900 = datetime(2026, 11, 28, 11, 0, tzinfo=UTC)
    seven, _ = run(project, both(), now=at_1900)
    assert seven[("sokasi-c", "facebook")][0] == "posted"


def test_a_product_that_is_not_ready_does_not_take_a_slot(project):
    with_slots(project)
    project.good("sokasi-a", platforms="[facebook]", status="draft")
    project.good("sokasi-b", platforms="[facebook]", publish_at="2026-12-24 09:00")
    project.good("sokasi-c", platforms="[facebook]")
    outcomes, _ = run(project, both(), now=datetime(2026, 11, 28, 1, 5, tzinfo=UTC))
    assert outcomes[("sokasi-c", "facebook")][0] == "posted"
    assert outcomes[("sokasi-b", "facebook")][0] == "waiting"


def test_now_ignores_the_slots_and_retries_need_no_slot(project):
    with_slots(project)
    for slug in ("sokasi-a", "sokasi-b"):
        project.good(slug)
    at = datetime(2026, 11, 28, 1, 5, tzinfo=UTC)
    outcomes, _ = run(project, both(ig=[TransientError("cannot reach Instagram")] * 4), now=at)
    assert outcomes[("sokasi-a", "instagram")][0] == "retry-later"
    outcomes, _ = run(project, both(), now=at + timedelta(minutes=15))
    assert outcomes[("sokasi-a", "instagram")][0] == "posted"  # already released: the retry needs no new slot
    assert outcomes[("sokasi-b", "facebook")][0] == "queued"
    settings = load_settings(project.config)
    planned = publishing.plan(load_catalog(settings).products, settings)
    ledger = Ledger.open(settings.state_dir)
    publishers = both()
    outcomes = publishing.publish(planned, settings, ledger, lambda name: publishers[name], at,
                                  publishing.PublishOptions(ignore_slots=True))
    ledger.close()
    assert {o.outcome for o in outcomes if o.post.product.slug == "sokasi-b"} == {"posted"}


def test_current_slot_wraps_to_yesterday_before_the_first_time():
    from types import SimpleNamespace
    from zoneinfo import ZoneInfo

    from sokasi_post.config import ScheduleSettings

    Fake = SimpleNamespace(timezone=ZoneInfo("Asia/Makassar"),
                           schedule=ScheduleSettings(slots=(datetime(2000, 1, 1, 9).time(), datetime(2000, 1, 1, 19).time())))

    assert publishing.current_slot(Fake, datetime(2026, 11, 28, 0, 15, tzinfo=UTC)) == "2026-11-27 19:00"
    assert publishing.current_slot(Fake, datetime(2026, 11, 28, 1, 0, tzinfo=UTC)) == "2026-11-28 09:00"
    assert publishing.current_slot(Fake, datetime(2026, 11, 28, 15, 59, tzinfo=UTC)) == "2026-11-28 19:00"


def test_quiet_publish_prints_only_what_needs_attention(project, monkeypatch):
    from sokasi_post.cli import cli
    from tests.fakegraph import FakeGraph

    project.good("sokasi-a", platforms="[facebook]")
    project.good("sokasi-b", platforms="[facebook]", status="draft")
    with FakeGraph(page_id="111222333444555") as graph:
        project.config.write_text(project.config.read_text().replace("facebook:\n", f"facebook:\n  graph_url: {graph.url}\n"))
        monkeypatch.setenv("FACEBOOK_PAGE_TOKEN", graph.page_token)
        from click.testing import CliRunner

        quiet = CliRunner().invoke(cli, ["--config", str(project.config), "-q", "publish"])
        assert quiet.exit_code == 0, quiet.output
        # Only the one-time reminder after the very first Facebook post, which cron's mail must carry too.
        assert quiet.stdout.startswith("First Facebook post: open https://www.facebook.com/111222333444555/posts/")
        assert len(quiet.stdout.splitlines()) == 1
        # and, on stderr, that a new ledger made it look on Facebook first (once: the ledger remembers from now on)
        assert quiet.stderr.startswith("note: The ledger remembers no Facebook post") and len(quiet.stderr.splitlines()) == 1
        project.good("sokasi-d", platforms="[facebook]")
        again = CliRunner().invoke(cli, ["--config", str(project.config), "-q", "publish"])
        assert again.exit_code == 0, again.output
        assert again.stdout == "" and again.stderr == ""  # said once, never again
        graph.fail_next("GET", "/me", code=190, message="Error validating access token", subcode=463)
        project.good("sokasi-c", platforms="[facebook]")
        trouble = CliRunner().invoke(cli, ["--config", str(project.config), "-q", "publish"])
        assert trouble.exit_code == 1
        assert trouble.stdout.startswith("sokasi-c → Facebook: held back: Facebook said: Error validating access token")


# -- cool-downs after anti-abuse answers -------------------------------------------------------------------


def test_after_feedback_required_the_next_runs_send_nothing_to_instagram_until_the_rest_is_over(project):
    project.good("sokasi-a")
    project.good("sokasi-b", platforms="[instagram]")
    first = both(ig=[ThrottledError("Instagram blocked this action for now", cooldown=BLOCKED)])
    outcomes, _ = run(project, first)
    assert outcomes[("sokasi-a", "instagram")][0] == "retry-later"
    assert "nothing is sent to Instagram before Sunday, 29 November 2026 10:00 WITA" in outcomes[("sokasi-a", "instagram")][1]
    resting = both()
    outcomes, _ = run(project, resting, now=NOW + timedelta(minutes=15))
    assert outcomes[("sokasi-a", "instagram")][0] == "cooling"
    assert outcomes[("sokasi-b", "instagram")][0] == "cooling"
    assert "cooling" not in TROUBLE  # a known wait, said when it began: cron's -q stays quiet
    assert (resting["instagram"].checks, resting["instagram"].sent, resting["instagram"].looked) == (0, [], [])
    assert outcomes[("sokasi-a", "facebook")][0] == "already"  # Facebook is not affected
    later = both()
    outcomes, _ = run(project, later, now=NOW + timedelta(hours=24, minutes=1))
    assert later["instagram"].sent == ["sokasi-a", "sokasi-b"]
    settings = load_settings(project.config)
    ledger = Ledger.open(settings.state_dir)
    assert ledger.cooldown("instagram", "sokasi.tigawasa") is None  # a good post clears the strikes
    ledger.close()


def test_a_repeated_anti_abuse_answer_doubles_the_rest(project):
    project.good("sokasi-a", platforms="[instagram]")
    run(project, both(ig=[ThrottledError("Please wait a few minutes")]))
    outcomes, _ = run(project, both(ig=[ThrottledError("Please wait a few minutes")]), now=NOW + timedelta(hours=1, minutes=1))
    detail = outcomes[("sokasi-a", "instagram")][1]
    assert "nothing is sent to Instagram before Saturday, 28 November 2026 13:01 WITA (repeat 2" in detail
    outcomes, _ = run(project, both(), now=NOW + timedelta(hours=2, minutes=30))
    assert outcomes[("sokasi-a", "instagram")][0] == "cooling"


def test_a_challenge_stops_instagram_until_the_next_login(project):
    project.good("sokasi-a", platforms="[instagram]")
    run(project, both(ig=[ThrottledError("Instagram wants to confirm it is really you", cooldown=CHALLENGE)]))
    publishers = both()
    outcomes, _ = run(project, publishers, now=NOW + timedelta(days=30))
    assert outcomes[("sokasi-a", "instagram")][0] == "stopped"  # needs a person: counts as trouble
    assert "run `sokasi-post login instagram`" in outcomes[("sokasi-a", "instagram")][1]
    assert publishers["instagram"].checks == 0
    settings = load_settings(project.config)
    ledger = Ledger.open(settings.state_dir)
    ledger.end_cooldown("instagram", "sokasi.tigawasa", kind=CHALLENGE)  # what a successful `login instagram` does
    ledger.close()
    outcomes, _ = run(project, both(), now=NOW + timedelta(days=30))
    assert outcomes[("sokasi-a", "instagram")][0] == "posted"


def test_a_post_in_doubt_is_not_even_looked_for_during_the_rest(project):
    project.good("sokasi-a", platforms="[instagram]")
    project.good("sokasi-b", platforms="[instagram]")
    run(project, both(ig=[UnknownOutcomeError("no clear answer"), ThrottledError("blocked", cooldown=BLOCKED)]))
    publishers = both()
    outcomes, _ = run(project, publishers, now=NOW + timedelta(hours=2))
    assert outcomes[("sokasi-a", "instagram")][0] == "cooling"
    assert publishers["instagram"].looked == []


def test_ignore_cooldown_sends_anyway(project):
    project.good("sokasi-a", platforms="[instagram]")
    run(project, both(ig=[ThrottledError("blocked", cooldown=BLOCKED)]))
    settings = load_settings(project.config)
    planned = publishing.plan(load_catalog(settings).products, settings)
    ledger = Ledger.open(settings.state_dir)
    publishers = both()
    outcomes = publishing.publish(planned, settings, ledger, lambda name: publishers[name], NOW + timedelta(hours=1),
                                  publishing.PublishOptions(ignore_cooldown=True))
    ledger.close()
    assert [o.outcome for o in outcomes] == ["posted"]


def test_a_throttle_without_a_cool_down_kind_only_stops_the_run(project):
    project.good("sokasi-a", platforms="[instagram]")
    run(project, both(ig=[ThrottledError("slow", cooldown=None)]))
    outcomes, _ = run(project, both(), now=NOW + timedelta(minutes=15))
    assert outcomes[("sokasi-a", "instagram")][0] == "posted"


class CaptionDroppingPublisher(ScriptedPublisher):
    def publish(self, post, resume, checkpoint):
        self.sent.append(post.product.slug)
        return Receipt(self.platform, "ig-1", "https://www.instagram.com/p/X/", NOW, problem="Instagram dropped the caption")


def test_a_post_that_came_back_without_its_caption_is_trouble_and_never_resent(project):
    project.good("sokasi-a", platforms="[instagram]")
    publishers = {"facebook": ScriptedPublisher("facebook"), "instagram": CaptionDroppingPublisher("instagram")}
    outcomes, entries = run(project, publishers)
    status, detail = outcomes[("sokasi-a", "instagram")]
    assert status == "flawed" and status in TROUBLE
    assert detail == "posted, but not as sent: Instagram dropped the caption (https://www.instagram.com/p/X/)"
    assert (entries[0].state, entries[0].last_error) == ("published", "Instagram dropped the caption")
    outcomes, _ = run(project, publishers)
    assert outcomes[("sokasi-a", "instagram")][0] == "already"
    assert publishers["instagram"].sent == ["sokasi-a"]
