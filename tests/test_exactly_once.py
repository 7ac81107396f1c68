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
from tests.killtrial import PRODUCTS, command, environment, make_catalogue, run_trial


@pytest.fixture
def shop(tmp_path, monkeypatch):
    """The kill-trial catalogue, run in this process with no real waiting."""
    monkeypatch.setattr(publishing, "sleep", lambda seconds: None)
    monkeypatch.chdir(tmp_path)
    with FakeGraph() as graph:
        monkeypatch.setenv("FACEBOOK_PAGE_TOKEN", graph.page_token)
        config = make_catalogue(tmp_path, graph)

        def run(*args):
            return CliRunner().invoke(cli, ["--config", str(config), *args])

        yield graph, run


def published_per_title(graph: FakeGraph) -> Counter:
    return Counter(post.message.splitlines()[0] for post in graph.posts if post.published)


def status_matches_server(graph: FakeGraph, run) -> bool:
    rows = json.loads(run("status", "--json").stdout)
    ids = {post.message.splitlines()[0]: post.id for post in graph.posts if post.published}
    return all(row["state"] == "published" and row["post_id"] == ids[row["slug"].replace("-", " ").capitalize()]
               for row in rows) and len(rows) == len(PRODUCTS)


@pytest.mark.skipif(os.name == "nt", reason="SIGKILL is POSIX")
@pytest.mark.parametrize("seed", range(4))
def test_a_run_killed_at_a_random_moment_then_finished_posts_each_product_exactly_once(seed):
    result = run_trial(seed)
    assert (result.duplicates, result.lost) == (0, 0), result
    assert result.status_agrees, result


@pytest.mark.parametrize("where", ["/feed", "/photos"])
def test_a_reply_lost_after_the_post_was_made_is_recorded_not_reposted(shop, where):
    graph, run = shop
    graph.html_next("POST", where, status=503, after_action=True)  # Facebook made it; the proxy answered 503
    first = run("publish")
    assert first.exit_code in (0, 1), first.output
    second = run("publish")
    assert second.exit_code == 0, second.output
    assert set(published_per_title(graph).values()) == {1}
    assert len(published_per_title(graph)) == len(PRODUCTS)
    assert status_matches_server(graph, run)


def test_a_dropped_connection_after_the_post_was_made_is_recorded_not_reposted(shop):
    graph, run = shop
    graph.drop_next("POST", "/feed", after_action=True)
    run("publish")
    second = run("publish")
    assert "was posted after all" in second.stdout
    assert set(published_per_title(graph).values()) == {1}
    assert status_matches_server(graph, run)


def test_a_transient_storm_converges_to_exactly_one_post_each(shop):
    graph, run = shop
    graph.storm(rate=0.3, lost_share=0.3, seed=7)
    for _attempt in range(25):
        if run("publish").exit_code == 0:
            break
    else:
        pytest.fail("publish never finished cleanly under a 30% storm")
    counts = published_per_title(graph)
    assert len(counts) == len(PRODUCTS)
    assert set(counts.values()) == {1}
    assert status_matches_server(graph, run)


def test_a_second_run_while_one_holds_the_lock_does_nothing_and_exits_0(shop, tmp_path):
    graph, run = shop
    lock = RunLock.try_acquire(tmp_path / ".sokasi-post")
    try:
        result = run("publish")
    finally:
        lock.release()
    assert result.exit_code == 0
    assert "Another run is in progress" in result.stderr
    assert graph.posts == []
    assert run("publish").exit_code == 0  # released: the next run works
    assert set(published_per_title(graph).values()) == {1}


@pytest.mark.skipif(os.name == "nt", reason="uses POSIX process handling")
def test_two_runs_started_together_post_each_product_once(tmp_path):
    with FakeGraph() as graph:
        config = make_catalogue(tmp_path, graph)
        graph.latency = 0.02
        env = environment(graph)
        runs = [subprocess.Popen(command(config, "publish"), cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True) for _ in range(2)]
        results = [(process.wait(timeout=120), process.communicate()) for process in runs]
        assert [code for code, _ in results] == [0, 0], results
        counts = published_per_title(graph)
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
