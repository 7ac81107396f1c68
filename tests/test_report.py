"""`report` tells the group what is stuck, per craftsman: broken folders, blocked, held back, failing and resting posts,
each with a reason a craftsman understands and what happens next; "Next" never promises the next run to a stuck post."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sokasi_post.catalog import load_catalog
from sokasi_post.config import load_settings
from sokasi_post.ledger import Cooldown, Ledger
from sokasi_post.models import Receipt
from sokasi_post.publishing import plan
from sokasi_post.report import MAX_ITEMS, build_report
from tests.conftest import jpeg_bytes
from tests.fakegraph import FakeGraph
from tests.fakeinstagram import fake_instagram_fixture  # noqa: F401
from tests.test_publish_e2e import SAMPLE_PAGE, Village


@pytest.fixture
def village(tmp_path, fake_instagram, monkeypatch):
    with FakeGraph(page_id=SAMPLE_PAGE) as graph:
        yield Village(tmp_path, graph, fake_instagram, monkeypatch, small_photos=True)


def section(report: str, heading: str) -> str:
    """The lines of one section of the report, from its heading to the next blank line."""
    start = report.index(heading)
    end = report.find("\n\n", start)
    return report[start:] if end == -1 else report[start:end]


def report_of(project, broken: bool = True, now: datetime | None = None) -> str:
    """build_report on the project's real files and ledger, with its broken folders as the CLI gathers them."""
    settings = load_settings(project.config)
    catalog = load_catalog(settings)
    folders: dict = {}
    for problem in catalog.problems:
        folders[problem.slug] = (*folders.get(problem.slug, ()), problem)
    ledger = Ledger.open(settings.state_dir)
    try:
        return build_report(plan(catalog.products, settings), settings, ledger, None, now or datetime.now(UTC),
                            broken=folders if broken else None)
    finally:
        ledger.close()


def test_a_refused_token_puts_the_post_under_its_maker_and_not_under_next(village, monkeypatch):
    monkeypatch.setenv("FACEBOOK_PAGE_TOKEN", village.graph.user_token)
    village.run("publish")
    report = village.run("report").stdout
    look = section(report, "*Needs a look:*")
    assert ("_I Made Budiasa_\n• Sokasi polos kecil (FB): not sent: Facebook could not be used (its login or the "
            "connection) — the coordinator will sort out Facebook, then it goes out") in look
    assert "_Ni Ketut Sari_\n• Sokasi bundar motif poleng (FB): not sent: Facebook could not be used" in look
    assert "FACEBOOK_PAGE_TOKEN" not in report  # the coordinator's words stay in `status`
    assert section(report, "*Next:*") == "*Next:*\n_nothing queued_"  # not "next run": nothing can go until it is fixed


def test_blocked_held_back_and_broken_products_are_listed_per_craftsman_with_what_happens_next(project):
    project.good("sokasi-a", maker="Ni Ketut Sari")
    project.good("sokasi-b", maker="I Made Budiasa", hashtags="[satu, dua, tiga, empat]")  # six on Instagram
    (project.good("sokasi-c", maker="I Made Budiasa") / "foto.jpg").write_bytes(b"not a photo")
    project.product("sokasi-d", "title: Sokasi d\ncaption: x\nmaker: Ni Ketut Sari\nbogus: 1\n")
    project.run("publish")  # no token, no Instagram session: both platforms stop before anything is sent
    report = report_of(project)
    look = section(report, "*Needs a look:*")
    assert look.splitlines()[1:] == [
        "_I Made Budiasa_",
        "• Sokasi b (IG): not sent: the Instagram caption has 6 hashtags — the coordinator will fix the text",
        "• Sokasi c (FB, IG): not sent: photo foto.jpg is not a photo this tool can read, although its name says so — "
        "the coordinator will fix the photo",
        "• Sokasi b (FB): not sent: Facebook could not be used (its login or the connection) — the coordinator will "
        "sort out Facebook, then it goes out",
        "_Ni Ketut Sari_",
        "• Sokasi d: the product details have a problem: post.yaml: unknown key 'bogus' — the coordinator will fix the "
        "product details",
        "• Sokasi a (FB): not sent: Facebook could not be used (its login or the connection) — the coordinator will "
        "sort out Facebook, then it goes out",
        "• Sokasi a (IG): not sent: Instagram could not be used (its login or the connection) — the coordinator will "
        "sort out Instagram, then it goes out",
    ]
    assert "next run" not in report


def test_a_broken_folder_whose_post_yaml_does_not_read_is_listed_by_its_folder_name(project):
    project.product("sokasi-kosong", None)
    look = section(report_of(project), "*Needs a look:*")
    assert ("_(maker not given)_\n• sokasi-kosong: the product details have a problem: post.yaml: missing — the "
            "coordinator will fix the product details") in look


def test_a_refusal_is_said_in_its_first_clause_without_library_text_and_cut_short(project):
    project.good("sokasi-a", maker="Ni Ketut Sari")
    project.good("sokasi-b", maker="Ni Ketut Sari")
    ledger = Ledger.open(project.root / ".sokasi-post")
    ledger.begin("sokasi-a", "instagram", "x")
    ledger.settle("sokasi-a", "instagram", "failed", "Instagram refused the post: the photo is too wide "
                  "(ClientError: 400 Bad Request {'status': 'fail', 'message': 'Uploaded image isn't in an allowed aspect "
                  "ratio'}); change the photo and publish again")
    ledger.begin("sokasi-b", "instagram", "x")
    ledger.settle("sokasi-b", "instagram", "unknown", "no clear answer from Instagram " + "and then " * 40)
    ledger.close()
    look = section(report_of(project), "*Needs a look:*")
    assert ("• Sokasi a (IG): Instagram refused the post: the photo is too wide — the coordinator will change the post, "
            "then send it again") in look
    assert "ClientError" not in look
    line = next(line for line in look.splitlines() if line.startswith("• Sokasi b (IG): "))
    reason = line.removeprefix("• Sokasi b (IG): ").split(" — ")[0]
    assert len(reason) == 160 and reason.endswith("…")
    assert line.endswith(" — the coordinator will check whether it is online before sending it again")


def test_a_post_online_but_not_as_sent_and_a_passing_fault_say_what_comes_next(project):
    project.good("sokasi-a")
    ledger = Ledger.open(project.root / ".sokasi-post")
    ledger.begin("sokasi-a", "instagram", "x")
    ledger.succeed("sokasi-a", "instagram", Receipt("instagram", "1", "https://www.instagram.com/p/A/",
                                                    datetime.now(UTC), problem="Instagram dropped the caption"))
    ledger.begin("sokasi-a", "facebook", "x")
    ledger.settle("sokasi-a", "facebook", "pending", "cannot reach Facebook (ConnectionResetError)")
    ledger.close()
    look = section(report_of(project), "*Needs a look:*")
    assert ("• Sokasi a (IG): online, but not as sent: Instagram dropped the caption — the coordinator will correct it "
            "on Instagram") in look
    assert "• Sokasi a (FB): cannot reach Facebook — the next run tries again" in look


def test_a_held_post_waits_for_tomorrow_and_a_resting_platform_for_its_end(project):
    project.good("sokasi-a")
    project.good("sokasi-b")
    now = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)  # 14:00 in Bali
    ledger = Ledger.open(project.root / ".sokasi-post")
    ledger.remember_setback("sokasi-a", "instagram", "held", "the daily limit of 5 Instagram posts is reached", tried=False)
    ledger.cool_down(Cooldown("facebook", "111222333444555", "blocked", 1, now - timedelta(hours=1),
                              now + timedelta(hours=23), "blocked"))
    for slug in ("sokasi-a", "sokasi-b"):
        ledger.begin(slug, "facebook" if slug == "sokasi-a" else "instagram", "x")
        ledger.succeed(slug, "facebook" if slug == "sokasi-a" else "instagram",
                       Receipt("x", "1", "https://example.invalid/1", now))
    ledger.close()
    report = report_of(project, now=now)
    assert section(report, "*Next:*").splitlines()[1:] == [
        "• Sokasi a — tomorrow (today's limit is reached)",
        "• Sokasi b — Sunday, 29 November 2026 13:00 WITA",  # after Facebook's rest, not "next run"
    ]
    assert ("*Needs a look:*\n• Facebook paused our posting on Saturday, 28 November 2026 13:00 WITA: nothing goes to "
            "Facebook before Sunday, 29 November 2026 13:00 WITA; then posting starts again by itself") in report


def test_needs_a_look_stays_short_enough_for_a_phone(project):
    for number in range(MAX_ITEMS + 3):
        project.good(f"sokasi-{number:02d}", maker="Ni Ketut Sari", hashtags="[satu, dua, tiga, empat]")
    look = section(report_of(project), "*Needs a look:*")
    assert len([line for line in look.splitlines() if line.startswith("• ")]) == MAX_ITEMS
    assert look.endswith("…and 3 more (see `sokasi-post status`)")


def test_the_report_in_indonesian_says_the_coordinator_will_fix_the_photo(project):
    (project.good("sokasi-a", maker="Ni Ketut Sari") / "foto.jpg").write_bytes(jpeg_bytes()[:200])  # cut off
    report = project.run("report", "--lang", "id").stdout
    assert "\n*Perlu dicek:*\n_Ni Ketut Sari_\n" in report
    line = next(line for line in report.splitlines() if line.startswith("• Sokasi a (FB, IG): "))
    assert line.endswith(" — Koordinator akan memperbaiki foto")
    assert "saat berikutnya" not in report  # "next run": a blocked post is not coming
