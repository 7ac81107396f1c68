"""`sokasi-post inbox`, end to end: the real facebook-sdk against the fake Graph API (the Page and the Instagram
professional account), comments read once, questions marked, an answer sent exactly once even when the process is
killed at any moment, counts kept as a series, and TERJUAL / SOLD written once on a sold product's post."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from sokasi_post import publishing
from sokasi_post.cli import cli
from sokasi_post.config import load_settings
from sokasi_post.ledger import Ledger
from tests.fakegraph import FakeGraph
from tests.fakesite import FakeSite
from tests.killtrial import command, environment, make_catalogue

ANSWER = "Halo kak, harganya Rp 50.000. Pesan lewat WhatsApp ya."


class Shop:
    """The kill-trial catalogue posted on the Page (and, with `graph`, on Instagram through the official API)."""

    def __init__(self, root: Path, graph: FakeGraph, site: FakeSite | None, monkeypatch: pytest.MonkeyPatch):
        self.root, self.graph = root, graph
        self.config = make_catalogue(root, graph, site)
        monkeypatch.setattr(publishing, "sleep", lambda seconds: None)
        monkeypatch.setenv("FACEBOOK_PAGE_TOKEN", graph.page_token)
        monkeypatch.chdir(root)
        assert self.run("publish").exit_code == 0

    def run(self, *args: str):
        return CliRunner().invoke(cli, ["--config", str(self.config), *args])

    def inbox(self) -> list[dict]:
        result = self.run("inbox", "--json")
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    def post_of(self, title: str) -> str:
        return next(post.id for post in self.graph.posts if post.published and post.message.startswith(title))


@pytest.fixture
def shop(tmp_path, monkeypatch):
    with FakeGraph(engagement_scopes=True) as graph:
        yield Shop(tmp_path, graph, None, monkeypatch)


def test_new_comments_appear_once_by_product_with_questions_marked_and_a_suggested_answer(shop):
    post = shop.post_of("Sokasi bundar")
    shop.graph.add_comment(post, "brp kak harganya?", name="Made Wirawan", created_time=time.time() - 60)
    shop.graph.add_comment(post, "bagus sekali 😍", name="Komang Ayu")  # a minute later: listed first
    first = shop.inbox()
    assert [(item["slug"], item["text"], item["question"]) for item in first] == [
        ("sokasi-bundar", "bagus sekali 😍", None), ("sokasi-bundar", "brp kak harganya?", "price")]
    question = first[1]
    assert question["price"] == 50000 and question["answered"] is False
    assert "Rp 50.000" in question["suggestion"] and "https://wa.me/6281337912468" in question["suggestion"]
    assert shop.inbox() == first  # read again: nothing new, nothing twice
    listing = shop.run("inbox", "--offline").stdout
    assert "== Sokasi bundar — Rp 50.000 ==" in listing and "QUESTION, waiting" in listing


def test_an_answer_goes_out_once_as_the_page_and_the_question_is_then_answered(shop):
    post = shop.post_of("Sokasi bundar")
    comment = shop.graph.add_comment(post, "masih ada kak?")
    number = shop.inbox()[0]["number"]
    sent = shop.run("inbox", "reply", str(number), "--text", ANSWER)
    assert sent.exit_code == 0, sent.output
    again = shop.run("inbox", "reply", str(number), "--text", ANSWER)
    assert again.exit_code == 0 and "already answered" in again.stdout
    replies = [c for c in shop.graph.comments if c.parent_id == comment]
    assert [(c.message, c.author["id"]) for c in replies] == [(ANSWER, shop.graph.page_id)]
    assert shop.inbox()[0]["answered"] is True


def test_a_lost_reply_is_looked_for_and_never_sent_twice(shop):
    post = shop.post_of("Sokasi bundar")
    comment = shop.graph.add_comment(post, "harga brp?")
    number = shop.inbox()[0]["number"]
    shop.graph.drop_next("POST", f"/{comment}/comments", after_action=True)  # made, the answer lost on the way back
    first = shop.run("inbox", "reply", str(number), "--text", ANSWER)
    assert first.exit_code == 1 and "looks for it before sending anything" in first.output
    second = shop.run("inbox", "reply", str(number), "--text", ANSWER)
    assert second.exit_code == 0 and "gone out after all" in second.stdout
    assert len([c for c in shop.graph.comments if c.parent_id == comment]) == 1


def test_without_permission_to_answer_the_run_says_which_one(tmp_path, monkeypatch):
    with FakeGraph() as graph:  # the Page token lacks pages_manage_engagement
        shop = Shop(tmp_path, graph, None, monkeypatch)
        graph.add_comment(shop.post_of("Sokasi bundar"), "brp?")
        number = shop.inbox()[0]["number"]
        result = shop.run("inbox", "reply", str(number))
        assert result.exit_code == 1 and "pages_manage_engagement" in result.output
        assert graph.page_token not in result.output


def test_counts_are_kept_as_a_series(shop):
    post = shop.post_of("Sokasi bundar")
    shop.graph.set_reactions(post, 3)
    shop.run("inbox")
    shop.graph.set_reactions(post, 8)
    shop.graph.add_comment(post, "cantik")
    shop.run("publish")  # read by the first publish moments ago: not again (salesloop.READ_EVERY)
    shop.run("inbox")  # the coordinator's inbox always reads
    settings = load_settings(shop.config)
    with Ledger.open(settings.state_dir) as ledger:
        series = [(c.reactions, c.comments) for slug, c in ledger.attention("sokasi-bundar") if c.platform == "facebook"]
    assert series == [(0, 0), (3, 0), (8, 1)]  # the first publish's reading, then each inbox


def test_a_sold_product_gains_its_sold_line_on_facebook_exactly_once(shop):
    shop.run("sold", "sokasi-bundar")
    post = shop.post_of("Sokasi bundar")
    shop.graph.drop_next("POST", f"/{post}", after_action=True)  # the edit made, its answer lost
    shop.run("inbox")
    shop.run("inbox")
    shop.run("publish")
    message = next(p.message for p in shop.graph.posts if p.id == post)
    assert message.startswith("TERJUAL / SOLD\nSokasi bundar") and message.count("TERJUAL / SOLD") == 1
    assert len([edit for edit in shop.graph.edits if edit.object_id == post]) == 1


def test_through_the_official_instagram_api_a_sold_caption_is_left_to_the_coordinator(tmp_path, monkeypatch):
    with FakeGraph(ig_scopes=True, ig_comment_scopes=True) as graph, FakeSite(tmp_path / "site") as site:
        shop = Shop(tmp_path, graph, site, monkeypatch)
        media = next(m for m in graph.ig_media if m.caption.startswith("Sokasi bundar"))
        graph.add_ig_comment(media.id, "how much?", username="sarah.travels")
        items = shop.inbox()
        assert [(item["platform"], item["question"]) for item in items] == [("instagram", "price")]
        number = items[0]["number"]
        assert shop.run("inbox", "reply", str(number), "--text", "Rp 50.000").exit_code == 0
        assert [c.text for c in graph.ig_comments if c.parent_id] == ["Rp 50.000"]
        shop.run("sold", "sokasi-bundar")
        said = shop.run("inbox")
        assert "add the first line TERJUAL / SOLD to the post by hand in the Instagram app" in said.output
        assert "TERJUAL" not in media.caption
        assert "(add TERJUAL / SOLD to its Instagram caption by hand)" in shop.run("report").output
        assert "by hand" in shop.run("inbox").output  # said again: nothing hidden until it is done
        media.caption = "TERJUAL / SOLD\n" + media.caption  # the coordinator edits it in the app
        assert "by hand" not in shop.run("inbox").output
        assert "(add TERJUAL" not in shop.run("report").output


@pytest.mark.skipif(os.name == "nt", reason="SIGKILL is POSIX")
@pytest.mark.parametrize("seed", range(3))
def test_an_answer_killed_at_any_moment_goes_out_exactly_once(tmp_path, seed):
    """`inbox reply` as its own process, killed with SIGKILL once the server has seen a random one of its requests
    (plus a random part of a reply time), then run again until it finishes: one answer under the comment."""
    rng = random.Random(seed)
    with FakeGraph(engagement_scopes=True) as graph:
        config = make_catalogue(tmp_path, graph)
        env = environment(graph)
        subprocess.run(command(config, "publish"), cwd=tmp_path, env=env, check=True, capture_output=True)
        post = next(p.id for p in graph.posts if p.published and p.message.startswith("Sokasi bundar"))
        comment = graph.add_comment(post, "brp kak?")
        listed = subprocess.run(command(config, "inbox", "--json"), cwd=tmp_path, env=env, capture_output=True, text=True)
        number = str(json.loads(listed.stdout)[0]["number"])
        graph.latency = 0.03
        before = len(graph.calls)
        killed = subprocess.Popen(command(config, "inbox", "reply", number, "--text", ANSWER), cwd=tmp_path, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        target = before + rng.randint(1, 3)  # the token check, the answer, and a look among the replies
        while killed.poll() is None and len(graph.calls) < target:
            time.sleep(0.001)
        time.sleep(rng.uniform(0, 0.06))
        if killed.poll() is None:
            killed.send_signal(signal.SIGKILL)
        killed.wait()
        for _attempt in range(5):
            done = subprocess.run(command(config, "inbox", "reply", number, "--text", ANSWER), cwd=tmp_path, env=env,
                                  capture_output=True, text=True)
            if done.returncode == 0:
                break
        assert done.returncode == 0, done.stderr
        assert [c.message for c in graph.comments if c.parent_id == comment] == [ANSWER]


def test_with_auto_reply_a_fresh_price_question_is_answered_once_by_inbox_itself(shop):
    shop.config.write_text(shop.config.read_text(encoding="utf-8") + "inbox:\n  auto_reply: true\n", encoding="utf-8")
    post = shop.post_of("Sokasi bundar")
    comment = shop.graph.add_comment(post, "brp harganya kak?")
    other = shop.graph.add_comment(post, "masih ada?")
    first = shop.run("inbox")
    assert re.search(r"Answered automatically \(inbox.auto_reply\): #\d+ on sokasi-bundar", first.output)
    shop.run("inbox")
    answers = [c for c in shop.graph.comments if c.parent_id in (comment, other)]
    assert [(c.parent_id, c.author["id"]) for c in answers] == [(comment, shop.graph.page_id)]  # once, price only
    assert "Rp 50.000" in answers[0].message


def test_without_a_connection_inbox_says_so_in_one_line_lists_what_it_has_and_exits_1(shop):
    shop.graph.add_comment(shop.post_of("Sokasi bundar"), "brp kak?")
    shop.inbox()
    shop.graph.stop()  # the link is down
    result = shop.run("inbox")
    assert result.exit_code == 1
    assert "brp kak?" in result.stdout  # what the ledger has is still shown
    assert result.stderr.count("\n") == 2 and "warning: Facebook not read: no internet connection" in result.stderr
    assert "Traceback" not in result.output
    quiet = shop.run("-q", "inbox", "--json")  # as cron runs it: only what needs attention
    assert quiet.exit_code == 1 and quiet.stderr.startswith("warning: Facebook not read: no internet connection")
