"""Cool-downs, end to end: after an anti-abuse answer the account rests, and every place the coordinator looks says so.

The real instagrapi and facebook-sdk run against the local fakes (tests/fakeinstagram.py, tests/fakegraph.py),
wired by the `village` fixture of test_publish_e2e.py.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from sokasi_post.ledger import Ledger
from tests.fakegraph import ERRORS, FakeGraph
from tests.fakeinstagram import fake_instagram_fixture  # noqa: F401
from tests.test_publish_e2e import SAMPLE_PAGE, Village


@pytest.fixture
def village(tmp_path, fake_instagram, monkeypatch):
    with FakeGraph(page_id=SAMPLE_PAGE) as graph:
        yield Village(tmp_path, graph, fake_instagram, monkeypatch, small_photos=True)


def cooldown_rows(village, platform: str) -> list[dict]:
    rows = json.loads(village.run("status", "--json").stdout)
    return [row["cooldown"] for row in rows if row["platform"] == platform]


def test_after_feedback_required_the_next_run_sends_nothing_to_instagram_and_status_says_until_when(village):
    village.fake.fail_next("POST", "configure", "feedback_required")
    first = village.run("publish")
    assert first.exit_code == 1
    assert "→ Instagram: not posted, will retry:" in first.stdout
    assert "nothing is sent to Instagram before" in first.stdout
    asked = len(village.fake.calls)

    second = village.run("publish")
    assert len(village.fake.calls) == asked  # zero requests to Instagram: no check, no look-up, no upload
    assert "sokasi-polos-kecil → Instagram: resting: Instagram blocked posting for a while on" in second.stdout
    assert "sokasi-polos-kecil → Facebook: already posted" in second.stdout  # Facebook carries on as usual
    assert village.fake.media == []

    rests = cooldown_rows(village, "instagram")
    assert rests and all(rest == rests[0] for rest in rests)
    until = datetime.fromisoformat(rests[0]["until"])
    assert rests[0]["kind"] == "blocked"
    assert timedelta(hours=23, minutes=59) < until - datetime.now(UTC) <= timedelta(hours=24)
    assert cooldown_rows(village, "facebook") == [None] * len(cooldown_rows(village, "facebook"))
    text = village.run("status").stdout
    assert "Instagram: resting. Instagram blocked posting for a while on" in text


def test_now_does_not_override_a_rest_and_ignore_cooldown_does_with_a_warning(village):
    village.fake.fail_next("POST", "configure", "please_wait")
    village.run("publish", "--platform", "instagram")
    asked = len(village.fake.calls)
    village.run("publish", "--now", "--platform", "instagram")
    assert len(village.fake.calls) == asked
    forced = village.run("publish", "--ignore-cooldown", "--platform", "instagram")
    assert "warning: --ignore-cooldown: sending to a resting platform" in forced.stderr
    assert len(village.fake.media) == 2
    assert cooldown_rows(village, "instagram")[0] is None  # a good post ends the rest and its strikes


def test_doctor_report_preview_and_dry_run_show_the_rest_and_doctor_asks_nothing(village):
    village.run("publish", "--platform", "facebook")
    village.fake.fail_next("POST", "configure", "challenge_required")
    village.run("publish", "--platform", "instagram")
    asked = len(village.fake.calls)

    doctor = village.run("doctor")
    assert doctor.exit_code == 1
    assert "[!!] Instagram: Instagram asked on " in doctor.stdout
    assert "run `sokasi-post login instagram`" in doctor.stdout
    assert len(village.fake.calls) == asked

    report = village.run("report").stdout
    assert "*Needs a look:*\n• Instagram asked on " in report
    assert "after the next login" in report  # not "next run" while nothing can go

    dry = village.run("publish", "--dry-run")
    assert "warning: Instagram asked on " in dry.stderr
    page = (village.settings.state_dir / "preview" / "index.html").read_text(encoding="utf-8")
    assert "confirm it is really you" in page
    assert len(village.fake.calls) == asked


def test_facebook_368_rests_facebook_for_a_day(village):
    village.graph.fail_next("POST", "/photos", **ERRORS[368])
    first = village.run("publish", "--platform", "facebook")
    assert first.exit_code == 1
    asked = len(village.graph.calls)
    second = village.run("publish", "--platform", "facebook")
    assert len(village.graph.calls) == asked
    assert "→ Facebook: resting: Facebook blocked posting for a while on" in second.stdout
    rest = cooldown_rows(village, "facebook")[0]
    assert rest["kind"] == "blocked"


def test_a_successful_login_ends_a_challenge_rest(village, monkeypatch):
    from sokasi_post.publishers import instagram as instagram_publisher

    village.fake.fail_next("POST", "configure", "challenge_required")
    village.run("publish", "--platform", "instagram")
    assert cooldown_rows(village, "instagram")[0]["until"] is None
    monkeypatch.setattr(instagram_publisher, "login", lambda *args, **kwargs: "@sokasi.tigawasa")
    monkeypatch.setenv("INSTAGRAM_PASSWORD", "a-password-for-the-test")
    result = village.run("login", "instagram")
    assert result.exit_code == 0, result.output
    assert cooldown_rows(village, "instagram")[0] is None
    ledger = Ledger.open(village.settings.state_dir)
    assert ledger.cooldown("instagram", "sokasi.tigawasa") is None
    ledger.close()
