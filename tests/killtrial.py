"""Kill trials: `sokasi-post publish` killed with SIGKILL at a random moment, then run to completion.

Used by tests/test_exactly_once.py (a few trials) and scripts/kill_test.py (30 or more). Each trial has
its own catalogue, state folder and fake Graph API server (with latency, so a kill can land anywhere:
before the intent, between photo uploads, during the feed post, before the receipt is written).

Two backends: "facebook" posts on the Page; "graph" posts on Instagram through Meta's official API (Facebook off),
with the photos served from the shop-window site the run builds (tests/fakesite.py), so a kill can also land between
containers, during the status polls and around media_publish.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from tests.fakegraph import FakeGraph
from tests.fakesite import FakeSite

PRODUCTS = {  # slug -> number of photos
    "sokasi-bundar": 3,
    "sokasi-kotak": 1,
    "keben-tinggi": 2,
    "sokasi-mini": 1,
}
CONFIG = """\
posts_dir: posts
facebook:
  page_id: "{page}"
  graph_url: {url}
instagram:
  enabled: false
contact:
  whatsapp: "+62 813-3791-2468"
reconcile:
  wait_seconds: 0
"""
GRAPH_CONFIG = """\
posts_dir: posts
facebook:
  enabled: false
  page_id: "{page}"
  graph_url: {url}
instagram:
  username: {username}
  backend: graph
  user_id: "{user_id}"
contact:
  whatsapp: "+62 813-3791-2468"
reconcile:
  wait_seconds: 0
site:
  base_url: {site}
"""
BACKENDS = ("facebook", "graph")


@dataclass(frozen=True)
class TrialResult:
    """What one trial found on the fake server and in `status --json`."""

    killed_after: float
    calls_at_kill: int  # requests the server had seen when the run was killed
    posts_at_kill: int  # posts already on the Page then
    duplicates: int
    lost: int
    status_agrees: bool
    runs_to_finish: int


def make_catalogue(root: Path, graph: FakeGraph, site: FakeSite | None = None) -> Path:
    """A config pointing at `graph` (and, for Instagram's official API, at `site` for the photos) and a few products
    with real photos; returns the config path."""
    for number, (slug, photos) in enumerate(PRODUCTS.items()):
        folder = root / "posts" / slug
        folder.mkdir(parents=True)
        (folder / "post.yaml").write_text(f"title: {slug.replace('-', ' ').capitalize()}\ncaption: Anyaman bambu nomor "
                                          f"{number} dari Tigawasa.\nprice: {(number + 1) * 50000}\n", encoding="utf-8")
        for photo in range(photos):
            Image.new("RGB", (800, 600), (40 * number, 30 * photo, 120)).save(folder / f"{photo + 1}.jpg", quality=80)
    config = root / "config.yaml"
    if site is None:
        config.write_text(CONFIG.format(page=graph.page_id, url=graph.url), encoding="utf-8")
    else:
        config.write_text(GRAPH_CONFIG.format(page=graph.page_id, url=graph.url, username=graph.ig_username,
                                              user_id=graph.ig_user_id, site=site.url), encoding="utf-8")
    return config


def command(config: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "sokasi_post", "--config", str(config), "-q", *args]


def environment(graph: FakeGraph) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.upper().endswith("_PROXY")}
    env["FACEBOOK_PAGE_TOKEN"] = graph.page_token
    return env


# A full first run makes this many requests (measured): on Facebook the look for forgotten posts, the token check,
# the photos, posts and permalinks; on Instagram's official API the look, the account check, then per post the limit,
# the containers, their status, media_publish and the read-back; on both, then, one reading of each post's counts.
REQUESTS_IN_A_RUN = {"facebook": 26, "graph": 39}


def run_trial(seed: int, latency: float = 0.03, backend: str = "facebook") -> TrialResult:
    """Publish, SIGKILL at a random moment, publish again until done; then compare the server with the ledger.

    The moment: when the server has received a random one of the run's requests, plus a random part of
    the reply time, so kills land before, during and after requests and around the ledger's writes.
    """
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as temporary, FakeGraph(ig_scopes=backend == "graph") as graph, \
            FakeSite(Path(temporary) / "site") as site:
        root = Path(temporary)
        config = make_catalogue(root, graph, site if backend == "graph" else None)
        env = environment(graph)
        graph.latency = latency
        first = subprocess.Popen(command(config, "publish"), cwd=root, env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        started = time.monotonic()
        target = rng.randint(1, REQUESTS_IN_A_RUN[backend])
        while first.poll() is None and len(graph.calls) < target:
            time.sleep(0.001)
        time.sleep(rng.uniform(0, 2 * latency))
        killed_after = time.monotonic() - started
        if first.poll() is None:
            first.send_signal(signal.SIGKILL)
        first.wait()
        at_kill = (len(graph.calls), len(_published(graph, backend)))
        runs = 0
        for runs in range(1, 6):  # noqa: B007 - the count is reported
            finished = subprocess.run(command(config, "publish"), cwd=root, env=env, capture_output=True, text=True)
            if finished.returncode == 0:
                break
        status = json.loads(subprocess.run(command(config, "status", "--json"), cwd=root, env=env, capture_output=True,
                                           text=True, check=True).stdout)
        return _judge(graph, status, killed_after, at_kill, runs, backend)


def _published(graph: FakeGraph, backend: str) -> list[tuple[str, str]]:
    """(id, text) of every post buyers can see: the Page's published posts, or the Instagram account's media."""
    if backend == "graph":
        return [(media.id, media.caption) for media in graph.ig_media]
    return [(post.id, post.message) for post in graph.posts if post.published]


def _judge(graph: FakeGraph, status: list[dict], killed_after: float, at_kill: tuple[int, int], runs: int,
           backend: str = "facebook") -> TrialResult:
    published = _published(graph, backend)
    per_caption = Counter(text.splitlines()[0] for _id, text in published)
    titles = [slug.replace("-", " ").capitalize() for slug in PRODUCTS]
    duplicates = sum(max(0, per_caption[title] - 1) for title in titles)
    lost = sum(1 for title in titles if per_caption[title] == 0)
    by_title = {text.splitlines()[0]: post_id for post_id, text in published}
    platform = "instagram" if backend == "graph" else "facebook"
    rows = [row for row in status if row["platform"] == platform]
    agrees = all(
        row["state"] == "published" and row["post_id"] == by_title.get(row["slug"].replace("-", " ").capitalize())
        and (backend != "graph" or row["via"] == "graph")
        for row in rows
    ) and len(rows) == len(PRODUCTS)
    return TrialResult(killed_after, *at_kill, duplicates, lost, agrees, runs)
