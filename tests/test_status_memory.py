"""`status` keeps what the last run did with a post it did not send: the reason, the tries, when; and shows broken folders.

The real facebook-sdk and instagrapi run against the local fakes (tests/fakegraph.py, tests/fakeinstagram.py), wired by
the `village` fixture of test_publish_e2e.py; the ledger is the real SQLite file.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from sokasi_post import publishing
from sokasi_post.catalog import load_catalog
from sokasi_post.config import load_settings
from sokasi_post.ledger import LEDGER_FILE, Ledger
from sokasi_post.models import Receipt
from sokasi_post.states import Outcome, Unsent
from tests.fakegraph import FakeGraph
from tests.fakeinstagram import fake_instagram_fixture  # noqa: F401
from tests.test_publish_e2e import SAMPLE_PAGE, Village


@pytest.fixture
def village(tmp_path, fake_instagram, monkeypatch):
    with FakeGraph(page_id=SAMPLE_PAGE) as graph:
        yield Village(tmp_path, graph, fake_instagram, monkeypatch, small_photos=True)


def rows_of(runner) -> dict[tuple[str, str], dict]:
    result = runner.run("status", "--json")
    assert result.exit_code == 0, result.output
    return {(row["slug"], row["platform"]): row for row in json.loads(result.stdout)}


def test_a_refused_facebook_token_shows_in_status_with_its_reason_and_one_more_try_each_run(village, monkeypatch):
    monkeypatch.setenv("FACEBOOK_PAGE_TOKEN", village.graph.user_token)
    assert village.run("publish").exit_code == 1
    row = rows_of(village)[("sokasi-polos-kecil", "facebook")]
    assert row["state"] == "held back"
    assert "it is a personal (user) token or another Page's token" in row["error"]
    assert row["attempts"] == 1
    assert datetime.now(UTC) - datetime.fromisoformat(row["updated_at"]) < timedelta(minutes=1)
    assert rows_of(village)[("sokasi-polos-kecil", "instagram")]["state"] == "published"  # Instagram carried on

    village.run("publish")
    again = rows_of(village)[("sokasi-polos-kecil", "facebook")]
    assert (again["state"], again["attempts"]) == ("held back", 2)

    monkeypatch.setenv("FACEBOOK_PAGE_TOKEN", village.graph.page_token)
    assert village.run("publish").exit_code == 0
    fixed = rows_of(village)[("sokasi-polos-kecil", "facebook")]
    assert (fixed["state"], fixed["error"], fixed["attempts"]) == ("published", None, 1)  # the setback is forgotten


def test_a_resting_platform_is_shown_as_resting_and_a_rest_is_not_counted_as_a_try(village):
    village.fake.fail_next("POST", "media/configure", "feedback_required")
    village.run("publish", "--platform", "instagram")
    first = rows_of(village)
    sent, stopped = first[("sokasi-bundar-poleng", "instagram")], first[("sokasi-polos-kecil", "instagram")]
    assert (sent["state"], sent["attempts"]) == ("pending", 1)  # it was sent, and refused with a block
    assert (stopped["state"], stopped["attempts"]) == ("held back", 1)  # never sent: the platform was stopped first

    village.run("publish", "--platform", "instagram")
    second = rows_of(village)
    resting = second[("sokasi-polos-kecil", "instagram")]
    assert (resting["state"], resting["attempts"]) == ("resting", 1)
    assert "nothing is sent to Instagram before" in resting["error"]
    pending = second[("sokasi-bundar-poleng", "instagram")]
    assert (pending["state"], pending["attempts"]) == ("pending", 1)  # the exactly-once state is the ledger's
    assert "nothing is sent to Instagram before" in pending["error"]  # but the newest reason is the last run's


def test_the_daily_limit_shows_held_for_tomorrow_without_a_try(village):
    village.config.write_text(village.config.read_text(encoding="utf-8").replace(
        "instagram:\n", "instagram:\n  daily_limit: 1\n"), encoding="utf-8")
    village.run("publish", "--platform", "instagram")
    held = rows_of(village)[("sokasi-polos-kecil", "instagram")]
    assert (held["state"], held["attempts"]) == ("held for tomorrow", 0)
    assert "the daily limit of 1 Instagram posts is reached" in held["error"]


def test_a_post_blocked_by_a_problem_keeps_todays_problem_and_once_fixed_shows_no_old_error(project):
    folder = project.good("sokasi-a", hashtags="[satu, dua, tiga, empat]")  # with the config's two: six on Instagram
    assert project.run("publish", "--platform", "instagram").exit_code == 1
    blocked = rows_of(project)[("sokasi-a", "instagram")]
    assert blocked["state"] == "blocked" and "6 hashtags" in blocked["error"]
    assert blocked["attempts"] == 0 and blocked["updated_at"] is not None  # never tried, but looked at by that run
    (folder / "post.yaml").write_text("title: Sokasi a\ncaption: Anyaman bambu.\nprice: 150000\n", encoding="utf-8")
    fixed = rows_of(project)[("sokasi-a", "instagram")]
    assert (fixed["state"], fixed["error"], fixed["attempts"], fixed["updated_at"]) == ("not sent", None, 0, None)


def test_a_run_without_credentials_leaves_its_reason_for_each_platform(project):
    project.good("sokasi-a")
    project.run("publish")
    rows = rows_of(project)
    assert rows[("sokasi-a", "facebook")]["error"].startswith("the Facebook Page token is not set")
    assert rows[("sokasi-a", "instagram")]["error"].startswith("no saved Instagram session in ")
    assert {row["state"] for row in rows.values()} == {"held back"}


def test_status_rows_list_a_broken_folder_once_with_each_problem_and_its_file(project):
    project.good("sokasi-a")
    project.product("sokasi-rusak", "title: Rusak\ncaption: x\nbogus: 1\n", photos=())
    settings = load_settings(project.config)
    catalog = load_catalog(settings)
    broken: dict = {}
    for problem in catalog.problems:
        broken[problem.slug] = (*broken.get(problem.slug, ()), problem)
    ledger = Ledger.open(settings.state_dir, read_only=True)
    rows = publishing.status_rows(publishing.plan(catalog.products, settings), ledger, broken=broken)
    ledger.close()
    (row,) = [row for row in rows if row.slug == "sokasi-rusak"]
    assert (row.platform, row.state, row.attempts) == ("-", Unsent.BROKEN, 0)
    assert row.error.startswith("posts/sokasi-rusak/post.yaml: unknown key 'bogus'")
    assert "; posts/sokasi-rusak/post.yaml: no photos in the folder" in row.error
    assert [r.slug for r in rows] == ["sokasi-a", "sokasi-a", "sokasi-rusak"]


def test_a_broken_folder_that_was_posted_before_shows_its_problem_beside_its_ledger_rows(project):
    settings = load_settings(project.config)
    ledger = Ledger.open(settings.state_dir)
    ledger.begin("sokasi-rusak", "facebook", "x")
    ledger.succeed("sokasi-rusak", "facebook", Receipt("facebook", "1_2", "https://www.facebook.com/1/posts/2",
                                                       datetime(2026, 11, 28, tzinfo=UTC)))
    project.product("sokasi-rusak", None)
    catalog = load_catalog(settings)
    broken = {"sokasi-rusak": catalog.problems}
    rows = publishing.status_rows(publishing.plan(catalog.products, settings), ledger, broken=broken)
    ledger.close()
    assert [(r.slug, r.platform, r.state) for r in rows] == [("sokasi-rusak", "-", "broken"),
                                                              ("sokasi-rusak", "facebook", "published")]
    assert rows[0].error.startswith("posts/sokasi-rusak/post.yaml: missing")


def test_a_warning_alone_does_not_make_a_folder_broken(project):
    from sokasi_post.models import Problem

    settings = load_settings(project.config)
    ledger = Ledger.open(settings.state_dir, read_only=True)
    warned = {"sokasi-a": (Problem(project.posts / "sokasi-a" / "foto.jpg", "is very large", warning=True),)}
    assert publishing.status_rows(publishing.Plan((), ()), ledger, broken=warned) == []
    ledger.close()


# -- the ledger's memory itself ----------------------------------------------------------------------


def test_setbacks_live_apart_from_the_posts_so_the_exactly_once_logic_still_sees_nothing_sent(tmp_path):
    ledger = Ledger.open(tmp_path)
    ledger.remember_setback("sokasi-a", "facebook", Outcome.STOPPED, "the token was refused")
    assert ledger.get("sokasi-a", "facebook") is None
    assert ledger.entries() == []
    assert not ledger.remembers("facebook")  # a lost ledger is still looked for on the platform first
    assert ledger.count_published_since("facebook", datetime(2000, 1, 1, tzinfo=UTC)) == 0
    ledger.close()


def test_a_setback_counts_tries_only_when_the_run_tried_and_is_forgotten_when_the_post_goes_out(tmp_path):
    clock = [datetime(2026, 11, 28, 1, tzinfo=UTC)]
    ledger = Ledger(tmp_path / LEDGER_FILE, clock=lambda: clock[0])
    ledger.remember_setback("sokasi-a", "instagram", Outcome.STOPPED, "no saved session")
    clock[0] = datetime(2026, 11, 28, 2, tzinfo=UTC)
    ledger.remember_setback("sokasi-a", "instagram", Outcome.COOLING, "resting until 09:00", tried=False)
    setback = ledger.setback("sokasi-a", "instagram")
    assert (setback.outcome, setback.detail, setback.tries) == (Outcome.COOLING, "resting until 09:00", 1)
    assert setback.at == datetime(2026, 11, 28, 2, tzinfo=UTC)
    assert ledger.setbacks() == [setback]
    ledger.forget_setback("sokasi-a", "instagram")
    assert ledger.setback("sokasi-a", "instagram") is None
    ledger.close()


def test_a_setbacks_reason_is_stored_without_secrets(tmp_path):
    token = "EAACANARYtokenDoNotLeak0123456789abcdefXYZ"
    ledger = Ledger.open(tmp_path)
    ledger.remember_setback("sokasi-a", "facebook", Outcome.STOPPED, f"refused: access_token={token}")
    assert token not in ledger.setback("sokasi-a", "facebook").detail
    ledger.close()
    db = sqlite3.connect(tmp_path / LEDGER_FILE)
    stored = db.execute("SELECT detail FROM setbacks").fetchone()[0]
    db.close()
    assert token not in stored and "refused: access_token=" in stored


def test_a_ledger_from_before_setbacks_is_brought_up_to_date(tmp_path):
    ledger = Ledger.open(tmp_path)
    ledger.close()
    db = sqlite3.connect(tmp_path / LEDGER_FILE)
    db.execute("DELETE FROM migrations WHERE name = '005_setbacks'")
    db.execute("DROP TABLE setbacks")
    db.commit()
    db.close()
    again = Ledger.open(tmp_path)  # written by the version before: migrated in place
    again.remember_setback("sokasi-a", "facebook", Outcome.HELD, "the daily limit", tried=False)
    assert again.setback("sokasi-a", "facebook").tries == 0
    again.close()
    reader = Ledger.open(tmp_path, read_only=True)
    assert [s.slug for s in reader.setbacks()] == ["sokasi-a"]
    reader.close()
