"""Exactly once, shown: killed runs, lost replies, transient storms and two runs at once never post twice or lose a post.

The long version of the kill test is scripts/kill_test.py (30 trials); these are the short ones.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter

import pytest
from click.testing import CliRunner

from sokasi_post import publishing
from sokasi_post.cli import cli
from sokasi_post.runlock import RunLock
from tests.fakegraph import FakeGraph
from tests.fakesite import FakeSite
from tests.killtrial import BACKENDS, PRODUCTS, command, environment, make_catalogue, run_trial


class Shop:
    """The kill-trial catalogue wired to the fakes, for one backend: "facebook" posts on the Page, "graph" on Instagram
    through Meta's official API (Facebook off), its photos served from the site each run builds."""

    def __init__(self, root, graph: FakeGraph, site: FakeSite, backend: str):
        self.graph, self.backend = graph, backend
        self.config = make_catalogue(root, graph, site if backend == "graph" else None)
        self.platform = "instagram" if backend == "graph" else "facebook"
        # Where a reply can be lost after the post was made public.
        self.creates = ("/media_publish",) if backend == "graph" else ("/feed", "/photos")

    def run(self, *args):
        return CliRunner().invoke(cli, ["--config", str(self.config), *args])

    def published(self) -> list[tuple[str, str]]:
        if self.backend == "graph":
            return [(media.id, media.caption) for media in self.graph.ig_media]
        return [(post.id, post.message) for post in self.graph.posts if post.published]

    def published_per_title(self) -> Counter:
        return Counter(text.splitlines()[0] for _id, text in self.published())

    def status_matches_server(self) -> bool:
        rows = [row for row in json.loads(self.run("status", "--json").stdout) if row["platform"] == self.platform]
        ids = {text.splitlines()[0]: post_id for post_id, text in self.published()}
        return all(row["state"] == "published" and row["post_id"] == ids[row["slug"].replace("-", " ").capitalize()]
                   for row in rows) and len(rows) == len(PRODUCTS)


@pytest.fixture(params=BACKENDS)
def shop(request, tmp_path, monkeypatch):
    """The kill-trial catalogue, run in this process with no real waiting, once per backend."""
    monkeypatch.setattr(publishing, "sleep", lambda seconds: None)
    monkeypatch.chdir(tmp_path)
    with FakeGraph(ig_scopes=request.param == "graph") as graph, FakeSite(tmp_path / "site") as site:
        monkeypatch.setenv("FACEBOOK_PAGE_TOKEN", graph.page_token)
        yield Shop(tmp_path, graph, site, request.param)


@pytest.mark.skipif(os.name == "nt", reason="SIGKILL is POSIX")
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("seed", range(4))
def test_a_run_killed_at_a_random_moment_then_finished_posts_each_product_exactly_once(seed, backend):
    result = run_trial(seed, backend=backend)
    assert (result.duplicates, result.lost) == (0, 0), result
    assert result.status_agrees, result


@pytest.mark.parametrize(("shop", "where"), [("facebook", "/feed"), ("facebook", "/photos"), ("graph", "/media_publish")],
                         indirect=["shop"])
def test_a_reply_lost_after_the_post_was_made_is_recorded_not_reposted(shop, where):
    shop.graph.html_next("POST", where, status=503, after_action=True)  # it was made; the proxy answered 503
    first = shop.run("publish")
    assert first.exit_code in (0, 1), first.output
    second = shop.run("publish")
    assert second.exit_code == 0, second.output
    assert set(shop.published_per_title().values()) == {1}
    assert len(shop.published_per_title()) == len(PRODUCTS)
    assert shop.status_matches_server()


def test_a_dropped_connection_after_the_post_was_made_is_recorded_not_reposted(shop):
    shop.graph.drop_next("POST", shop.creates[0], after_action=True)
    shop.run("publish")
    second = shop.run("publish")
    assert "was posted after all" in second.stdout
    assert set(shop.published_per_title().values()) == {1}
    assert shop.status_matches_server()


def test_a_transient_storm_converges_to_exactly_one_post_each(shop):
    shop.graph.storm(rate=0.3, lost_share=0.3, seed=7)
    for _attempt in range(25):
        if shop.run("publish").exit_code == 0:
            break
    else:
        pytest.fail("publish never finished cleanly under a 30% storm")
    counts = shop.published_per_title()
    assert len(counts) == len(PRODUCTS)
    assert set(counts.values()) == {1}
    assert shop.status_matches_server()


def test_a_second_run_while_one_holds_the_lock_does_nothing_and_exits_0(shop, tmp_path):
    lock = RunLock.try_acquire(tmp_path / ".sokasi-post")
    try:
        result = shop.run("publish")
    finally:
        lock.release()
    assert result.exit_code == 0
    assert "Another run is in progress" in result.stderr
    assert shop.published() == []
    assert shop.run("publish").exit_code == 0  # released: the next run works
    assert set(shop.published_per_title().values()) == {1}


@pytest.mark.skipif(os.name == "nt", reason="uses POSIX process handling")
@pytest.mark.parametrize("backend", BACKENDS)
def test_two_runs_started_together_post_each_product_once(tmp_path, backend):
    with FakeGraph(ig_scopes=backend == "graph") as graph, FakeSite(tmp_path / "site") as site:
        shop = Shop(tmp_path, graph, site, backend)
        graph.latency = 0.02
        env = environment(graph)
        runs = [subprocess.Popen(command(shop.config, "publish"), cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True) for _ in range(2)]
        results = [(process.wait(timeout=120), process.communicate()) for process in runs]
        assert [code for code, _ in results] == [0, 0], results
        counts = shop.published_per_title()
        assert len(counts) == len(PRODUCTS) and set(counts.values()) == {1}


def test_a_run_that_was_killed_leaves_no_lock_behind(tmp_path):
    script = ("import os, sys; from pathlib import Path; from sokasi_post.runlock import RunLock; "
              "RunLock.try_acquire(Path(sys.argv[1])); os._exit(9)")  # dies holding the lock, without releasing it
    subprocess.run([sys.executable, "-c", script, str(tmp_path)], check=False)
    lock = RunLock.try_acquire(tmp_path)
    assert lock is not None
    lock.release()


def test_the_ledger_is_migrated_in_place(tmp_path):
    import sqlite3

    from sokasi_post.ledger import Ledger

    old = sqlite3.connect(tmp_path / "ledger.sqlite3")  # a ledger from the first schema, with one post in it
    old.executescript("""
        CREATE TABLE migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL);
        INSERT INTO migrations VALUES ('001_create_posts', '2026-11-01T00:00:00+00:00');
        CREATE TABLE posts (slug TEXT NOT NULL, platform TEXT NOT NULL, state TEXT NOT NULL, fingerprint TEXT, remote_id TEXT,
            permalink TEXT, progress TEXT NOT NULL DEFAULT '{}', attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT,
            created_at TEXT NOT NULL, updated_at TEXT NOT NULL, published_at TEXT, scheduled_for TEXT,
            PRIMARY KEY (slug, platform));
        INSERT INTO posts (slug, platform, state, remote_id, created_at, updated_at, published_at)
            VALUES ('sokasi-a', 'facebook', 'published', '1_2', '2026-11-01T00:00:00+00:00', '2026-11-01T00:00:00+00:00',
                    '2026-11-01T00:00:00+00:00');
    """)
    old.close()
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    (entry,) = ledger.entries()
    assert (entry.slug, entry.state, entry.remote_id) == ("sokasi-a", "published", "1_2")
    assert entry.sent_at == entry.updated_at
    assert ledger.first_ready("sokasi-b")  # the new queue table exists
    ledger.close()
