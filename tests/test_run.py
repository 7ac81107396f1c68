"""A run through the core (sokasi_post/run.py), without Click: the real publishers against the local fakes.

The same village as test_publish_e2e.py: the bundled sample catalogue, FakeGraph for Facebook and FakeInstagram
for Instagram, both on 127.0.0.1.
"""

from __future__ import annotations

import pytest

from sokasi_post import publishing, run
from sokasi_post.catalog import load_catalog
from sokasi_post.config import load_settings
from sokasi_post.errors import UsageError
from sokasi_post.ledger import Ledger
from sokasi_post.publishing import PublishOptions
from sokasi_post.runlock import RunLock
from sokasi_post.states import Outcome, State
from tests.fakegraph import FakeGraph
from tests.fakeinstagram import fake_instagram_fixture  # noqa: F401
from tests.test_publish_e2e import SAMPLE_PAGE, Village


@pytest.fixture
def village(tmp_path, fake_instagram, monkeypatch):
    with FakeGraph(page_id=SAMPLE_PAGE) as graph:
        yield Village(tmp_path, graph, fake_instagram, monkeypatch, small_photos=True)


def products(settings, options=None):
    """The products a run with `options` is asked for, as the CLI chooses them."""
    return publishing.chosen_products(load_catalog(settings), options or PublishOptions())


def test_a_publishing_run_posts_the_catalogue_reports_each_post_and_tallies_it(village):
    settings = village.settings
    reported, notices = [], []
    tally = run.publish(settings, products(settings), PublishOptions(),
                        report=lambda result, line: reported.append(line), notice=notices.append)

    assert not tally.busy
    assert (tally.count(Outcome.POSTED), tally.count(Outcome.ALREADY), tally.count(Outcome.DRAFT), tally.trouble) == (4, 0, 2, 0)
    assert sorted(line.split(": ")[1] for line in reported) == ["draft", "draft", "posted", "posted", "posted", "posted"]
    assert "sokasi-polos-kecil → Instagram: posted: https://www.instagram.com/p/" in "\n".join(reported)
    assert tally.first_facebook.startswith("First Facebook post: open https://www.facebook.com/")
    assert any("The ledger remembers no Facebook post" in text for text in notices)  # a new ledger: looked first
    with Ledger.open(settings.state_dir) as ledger:
        assert {(e.slug, e.platform, e.state) for e in ledger.entries()} == {
            (slug, platform, State.PUBLISHED) for slug in ("sokasi-bundar-poleng", "sokasi-polos-kecil")
            for platform in ("facebook", "instagram")}

    again = run.publish(settings, products(settings), PublishOptions(platform="facebook"))
    assert (again.count(Outcome.ALREADY), again.count(Outcome.POSTED), again.first_facebook) == (2, 0, None)
    assert {result.post.platform for result in again.results} == {"facebook"}
    assert len([post for post in village.graph.posts if post.published]) == 2  # nothing twice


def test_a_run_while_another_holds_the_lock_plans_nothing_and_sends_nothing(village):
    settings = village.settings
    planned = []

    def planner(*args):
        planned.append(args)
        return publishing.plan(*args)

    with RunLock.try_acquire(settings.state_dir):
        tally = run.publish(settings, products(settings), PublishOptions(), planner=planner)
        doubt = run.reconcile(settings, products(settings), planner=planner)
    assert tally.busy and doubt.busy
    assert (tally.results, planned, village.graph.calls) == ((), [], [])
    assert not run.publish(settings, products(settings), PublishOptions(), planner=planner).busy  # released
    assert planned


def test_the_products_the_platform_and_repost_are_options_of_the_run(village):
    settings = village.settings
    one = PublishOptions(slugs=("sokasi-polos-kecil",), platform="facebook")
    first = run.publish(settings, products(settings, one), one)
    assert [(r.post.product.slug, r.post.platform, r.outcome) for r in first.results] == [
        ("sokasi-polos-kecil", "facebook", Outcome.POSTED)]
    again = PublishOptions(slugs=("sokasi-polos-kecil",), platform="facebook", repost=("sokasi-polos-kecil",))
    assert run.publish(settings, products(settings, again), again).count(Outcome.POSTED) == 1
    assert len([post for post in village.graph.posts if post.published]) == 2  # posted again, as asked
    assert village.fake.media == []  # Instagram was not asked for
    with pytest.raises(UsageError, match="--repost sokasi-bundar-poleng: no such product here"):
        products(settings, PublishOptions(slugs=("sokasi-polos-kecil",), repost=("sokasi-bundar-poleng",)))


def test_reconcile_through_the_core_records_a_post_whose_reply_was_lost(village):
    village.config.write_text(village.config.read_text() + "reconcile:\n  wait_seconds: 0\n")
    settings = load_settings(village.config)
    one = PublishOptions(slugs=("sokasi-polos-kecil",), platform="facebook")
    village.graph.drop_next("POST", "/photos", after_action=True)
    sent = run.publish(settings, products(settings, one), one)
    assert [r.outcome for r in sent.results] == [Outcome.IN_DOUBT] and sent.trouble == 1

    looked = run.reconcile(settings, products(settings, one))
    assert [(r.post.product.slug, r.post.platform, r.outcome) for r in looked.results] == [
        ("sokasi-polos-kecil", "facebook", Outcome.FOUND)]
    assert looked.results[0].detail.startswith("it had gone through after all: https://www.facebook.com/")
    with Ledger.open(settings.state_dir, read_only=True) as ledger:
        assert ledger.get("sokasi-polos-kecil", "facebook").state == State.PUBLISHED
    assert len([post for post in village.graph.posts if post.published]) == 1
