"""The sales loop over our own Engagement interface: comments kept once, answers sent exactly once, attention kept as a
series, "sold" written once, texts forgotten in time, and the report's weekly section.

The real platform code runs against the fakes in tests/test_inbox_e2e.py; here a scripted platform shows each
decision on its own.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sokasi_post import publishing, salesloop
from sokasi_post.catalog import load_catalog
from sokasi_post.config import load_settings
from sokasi_post.errors import TransientError, UnknownOutcomeError
from sokasi_post.ledger import Ledger
from sokasi_post.models import Comment, Counts, Receipt
from sokasi_post.weekly import weekly_section

NOW = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


class ScriptedPlatform:
    """A platform with posts, comments and counts held in memory; `lose_next_reply` makes the next answer go out with
    its reply lost (UnknownOutcomeError), `fail_reads` makes every read a passing fault."""

    def __init__(self, platform: str = "facebook", can_reply: bool = True, can_edit_caption: bool = True):
        self.platform, self.can_reply, self.can_edit_caption = platform, can_reply, can_edit_caption
        self.comments_on: dict[str, list[Comment]] = {}
        self.captions: dict[str, str] = {}
        self.likes: dict[str, int] = {}
        self.sent: list[tuple[str, str]] = []
        self.edits: list[tuple[str, str]] = []
        self.lose_next_reply = False
        self.lose_next_edit = False
        self.checks = 0
        self.now = NOW  # when a reading is made (read() below sets it)

    def check(self) -> str:
        self.checks += 1
        return "ok"

    def comment(self, post_id: str, text: str, author: str = "Made Wirawan", minutes: int = 0) -> Comment:
        made = Comment(self.platform, f"c{sum(map(len, self.comments_on.values())) + 1}", post_id, author, text,
                       NOW - timedelta(hours=1) + timedelta(minutes=minutes))
        self.comments_on.setdefault(post_id, []).append(made)
        return made

    def comments(self, post_id: str) -> list[Comment]:
        return list(self.comments_on.get(post_id, []))

    def replies(self, comment_id: str) -> list[Comment]:
        return [c for cs in self.comments_on.values() for c in cs if c.parent_id == comment_id]

    def reply(self, comment_id: str, text: str) -> str:
        post_id = next(post for post, cs in self.comments_on.items() if any(c.remote_id == comment_id for c in cs))
        made = Comment(self.platform, f"r{len(self.sent) + 1}", post_id, "Sokasi Tigawasa", text, NOW, comment_id, ours=True)
        self.comments_on[post_id].append(made)
        self.sent.append((comment_id, text))
        if self.lose_next_reply:
            self.lose_next_reply = False
            raise UnknownOutcomeError("no answer from Facebook (the connection broke)")
        return made.remote_id

    def counts(self, post_id: str) -> Counts:
        return Counts(self.platform, post_id, self.now, reactions=self.likes.get(post_id, 0),
                      comments=len(self.comments_on.get(post_id, [])))

    def caption(self, post_id: str) -> str:
        return self.captions.get(post_id, "Sokasi a\n\nHarga: Rp 150.000")

    def edit_caption(self, post_id: str, text: str) -> None:
        self.captions[post_id] = text
        self.edits.append((post_id, text))
        if self.lose_next_edit:
            self.lose_next_edit = False
            raise UnknownOutcomeError("no answer from Facebook (the connection broke)")


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch):
    monkeypatch.setattr(publishing, "sleep", lambda seconds: None)


@pytest.fixture
def shop(project):
    """Two products by two makers, each posted on Facebook yesterday (in the ledger)."""
    project.good("sokasi-a", platforms="[facebook]", maker="Ni Ketut Sari")
    project.good("sokasi-b", platforms="[facebook]", maker="I Made Rai")
    settings = load_settings(project.config)
    with Ledger.open(settings.state_dir) as ledger:
        for slug in ("sokasi-a", "sokasi-b"):
            ledger.begin(slug, "facebook", "x")
            ledger.succeed(slug, "facebook", Receipt("facebook", f"page_{slug}", f"https://fb.test/{slug}",
                                                     NOW - timedelta(days=1)))
    return project


def products(project):
    return load_catalog(load_settings(project.config)).products


def with_ledger(project, work):
    settings = load_settings(project.config)
    with Ledger.open(settings.state_dir) as ledger:
        return work(settings, ledger)


def read(project, platform, now=NOW):
    platform.now = now
    return with_ledger(project, lambda settings, ledger: salesloop.read(settings, ledger, lambda name: platform, now))


def items(project):
    return with_ledger(project, lambda settings, ledger: salesloop.inbox_items(settings, products(project), ledger))


def answer(project, platform, number, text=None):
    return with_ledger(project, lambda settings, ledger: salesloop.answer(settings, products(project), ledger,
                                                                          lambda name: platform, number, text, NOW))


def test_new_comments_are_kept_once_and_questions_are_marked(shop):
    fb = ScriptedPlatform()
    fb.comment("page_sokasi-a", "brp kak?")
    fb.comment("page_sokasi-a", "bagus sekali 😍", author="Komang")
    assert len(read(shop, fb).new) == 2
    fb.comment("page_sokasi-b", "masih ada?")
    again = read(shop, fb)
    assert len(again.new) == 1  # the first two are not stored again
    shown = items(shop)
    assert [(item.comment.text, item.kind is not None) for item in shown] == [
        ("masih ada?", True), ("bagus sekali 😍", False), ("brp kak?", True)]  # the newest product's first
    assert shown[0].suggestion and "Rp 150.000" in shown[0].suggestion  # a waiting question gets an answer to send
    assert shown[1].suggestion is None


def test_an_answer_is_sent_once_and_a_lost_reply_is_looked_for_before_sending_again(shop):
    fb = ScriptedPlatform()
    fb.comment("page_sokasi-a", "harga brp?")
    read(shop, fb)
    number = items(shop)[0].comment.number
    fb.lose_next_reply = True
    first = answer(shop, fb, number, "Rp 150.000, kak")
    assert first.outcome == "in_doubt"
    second = answer(shop, fb, number, "Rp 150.000, kak")
    assert second.outcome == "already"  # found among the comment's replies: not sent again
    third = answer(shop, fb, number, "another text")
    assert third.outcome == "already"
    assert fb.sent == [("c1", "Rp 150.000, kak")]
    read(shop, fb)
    assert items(shop)[0].answered


def test_an_answer_in_doubt_that_did_not_go_out_is_sent_again(shop):
    fb = ScriptedPlatform()
    fb.comment("page_sokasi-a", "harga brp?")
    read(shop, fb)
    number = items(shop)[0].comment.number
    settings = load_settings(shop.config)
    with Ledger.open(settings.state_dir) as ledger:  # a run killed after the intent, before sending
        ledger.begin_reply("facebook", "c1", "Rp 150.000, kak")
    assert answer(shop, fb, number, "Rp 150.000, kak").outcome == "sent"
    assert fb.sent == [("c1", "Rp 150.000, kak")]


def test_an_answer_made_in_the_app_counts_as_answered(shop):
    fb = ScriptedPlatform()
    question = fb.comment("page_sokasi-a", "masih ada kak?")
    fb.comments_on["page_sokasi-a"].append(Comment("facebook", "r9", "page_sokasi-a", "Sokasi Tigawasa", "Masih, kak",
                                                   NOW, question.remote_id, ours=True))
    read(shop, fb)
    (item,) = items(shop)
    assert item.answered and item.suggestion is None


def test_without_replies_through_the_platform_the_text_is_given_to_paste(shop):
    ig = ScriptedPlatform(can_reply=False)
    ig.comment("page_sokasi-a", "how much?")
    read(shop, ig)
    said = answer(shop, ig, items(shop)[0].comment.number)
    assert said.outcome == "by_hand" and "Rp 150.000" in said.detail
    assert ig.sent == []


def test_attention_is_kept_as_a_series(shop):
    fb = ScriptedPlatform()
    fb.likes["page_sokasi-a"] = 3
    read(shop, fb, NOW - timedelta(hours=2))
    fb.likes["page_sokasi-a"] = 7
    read(shop, fb, NOW)
    series = with_ledger(shop, lambda settings, ledger: ledger.attention("sokasi-a"))
    assert [counts.reactions for _slug, counts in series] == [3, 7]


def test_a_publish_run_reads_a_post_again_only_after_some_hours(shop):
    fb = ScriptedPlatform()

    def cron(now):
        fb.now = now
        return with_ledger(shop, lambda settings, ledger: salesloop.read(
            settings, ledger, lambda name: fb, now, comments=False, every=salesloop.READ_EVERY)).readings

    assert cron(NOW) == 2
    assert cron(NOW + timedelta(hours=1)) == 0  # an hourly cron job does not ask every hour
    assert cron(NOW + timedelta(hours=6)) == 2


def test_posts_older_than_the_attention_days_are_not_read(shop):
    fb = ScriptedPlatform()
    fb.comment("page_sokasi-a", "brp?")
    assert read(shop, fb, NOW + timedelta(days=40)).readings == 0


def test_a_platform_that_fails_is_said_and_the_rest_is_kept(shop):
    fb = ScriptedPlatform()
    fb.comments = lambda post_id: (_ for _ in ()).throw(TransientError("Facebook said: try later"))
    run = read(shop, fb)
    assert len(run.problems) == 2 and "try later" in run.problems[0]


def test_sold_is_written_once_even_when_the_reply_to_the_edit_was_lost(shop):
    (shop.posts / "sokasi-a" / "post.yaml").write_text(
        (shop.posts / "sokasi-a" / "post.yaml").read_text(encoding="utf-8") + "status: sold\n", encoding="utf-8")
    fb = ScriptedPlatform()
    fb.lose_next_edit = True

    def mark():
        return with_ledger(shop, lambda settings, ledger: salesloop.mark_sold(settings, products(shop), ledger,
                                                                              lambda name: fb, NOW))

    assert mark() == [("sokasi-a", "facebook", "in_doubt")]
    assert mark() == [("sokasi-a", "facebook", "done")]  # the text already begins with it: not written again
    assert mark() == []
    assert fb.edits == [("page_sokasi-a", "TERJUAL / SOLD\nSokasi a\n\nHarga: Rp 150.000")]


def test_where_captions_cannot_be_edited_the_coordinator_is_asked_until_it_is_done(shop):
    (shop.posts / "sokasi-a" / "post.yaml").write_text(
        (shop.posts / "sokasi-a" / "post.yaml").read_text(encoding="utf-8") + "status: sold\n", encoding="utf-8")
    official = ScriptedPlatform(can_edit_caption=False)

    def mark():
        return with_ledger(shop, lambda s, ledger: salesloop.mark_sold(s, products(shop), ledger, lambda name: official, NOW))

    assert mark() == [("sokasi-a", "facebook", "by_hand")]
    assert mark() == [("sokasi-a", "facebook", "by_hand")]  # asked again on each run until it is done
    official.captions["page_sokasi-a"] = "TERJUAL / SOLD\nSokasi a"  # done by hand in the app
    assert mark() == [("sokasi-a", "facebook", "done")]
    assert mark() == []
    assert official.edits == []


def test_comment_texts_are_forgotten_after_the_retention_time_and_on_request(shop):
    fb = ScriptedPlatform()
    fb.comment("page_sokasi-a", "brp kak? wa saya 0812 3456 7890")
    fb.comment("page_sokasi-b", "masih ada?")
    read(shop, fb)
    first, second = sorted(item.comment.number for item in items(shop))
    assert with_ledger(shop, lambda settings, ledger: ledger.forget_comment(first))
    assert [item.comment.text for item in items(shop)] == ["masih ada?"]
    read(shop, fb, NOW + timedelta(days=91))  # past inbox.retention_days (90)
    assert items(shop) == []
    read(shop, fb)
    assert items(shop) == []  # forgotten comments are not stored again
    stored = with_ledger(shop, lambda settings, ledger: ledger.stored_comments())
    assert {comment.text for comment in stored} == {None} and {comment.author for comment in stored} == {None}


def test_the_weekly_section_names_each_craftsman_with_questions_attention_and_sales(shop):
    fb = ScriptedPlatform()
    fb.likes["page_sokasi-a"] = 4
    read(shop, fb, NOW - timedelta(days=8))
    fb.likes["page_sokasi-a"] = 10
    fb.comment("page_sokasi-a", "brp kak? wa 0812-3456-7890", author="Made Wirawan")
    fb.comment("page_sokasi-b", "masih ada kak?", author="Komang Ayu")
    read(shop, fb, NOW)
    lines = with_ledger(shop, lambda settings, ledger: weekly_section(products(shop), settings, ledger, NOW))
    text = "\n".join(lines)
    assert "_Ni Ketut Sari_" in text and "_I Made Rai_" in text
    assert "• attention: 7 likes, reactions, comments and shares (the week before: 4)" in text  # 10 + 1 comment - 4
    assert "– Made asked about Sokasi a (`sokasi-post inbox`)" in text  # a phone number: not quoted
    assert "0812" not in text and "Wirawan" not in text
    assert "– Komang asked about Sokasi b: \"masih ada kak?\"" in text
    assert text.count("1 waiting for an answer") == 2


def auto(project, platform, now=NOW):
    return with_ledger(project, lambda settings, ledger: salesloop.auto_answer(settings, products(project), ledger,
                                                                               lambda name: platform, now))


def switch_on_auto_reply(project, per_post=1, per_hour=3):
    project.config.write_text(project.config.read_text(encoding="utf-8") + f"inbox:\n  auto_reply: true\n"
                              f"  auto_reply_per_post: {per_post}\n  auto_reply_per_hour: {per_hour}\n", encoding="utf-8")


def test_automatic_answers_are_off_unless_switched_on(shop):
    fb = ScriptedPlatform()
    fb.comment("page_sokasi-a", "brp kak?")
    read(shop, fb)
    assert auto(shop, fb) == [] and fb.sent == []


def test_automatic_answers_go_to_fresh_price_questions_only_once_each_within_the_caps(shop):
    switch_on_auto_reply(shop, per_post=1, per_hour=3)
    fb = ScriptedPlatform()
    fb.comment("page_sokasi-a", "brp kak?", author="Made Wirawan")
    fb.comment("page_sokasi-a", "harganya berapa?", author="Komang")  # the same post: over its cap of one
    fb.comment("page_sokasi-b", "masih ada?", author="Ayu")  # not about the price: left to the coordinator
    fb.comment("page_sokasi-b", "bagus 😍", author="Ketut")
    read(shop, fb)
    done = auto(shop, fb)
    assert [(comment.text, said.outcome) for comment, said in done] == [("brp kak?", "sent")]
    assert fb.sent[0][0] == "c1" and "Rp 150.000" in fb.sent[0][1]
    assert auto(shop, fb) == []  # nothing twice, and the post's cap holds
    waiting = {item.comment.text: item for item in items(shop)}
    assert waiting["harganya berapa?"].suggestion and not waiting["harganya berapa?"].answered
    fb.comment("page_sokasi-b", "hrg brp?")
    read(shop, fb)
    assert [comment.text for comment, _said in auto(shop, fb)] == ["hrg brp?"]
    lines = "\n".join(with_ledger(shop, lambda settings, ledger: weekly_section(products(shop), settings, ledger, NOW)))
    assert "1 answered (1 automatically)" in lines


def test_the_hourly_cap_holds_across_posts(shop):
    switch_on_auto_reply(shop, per_post=5, per_hour=1)
    fb = ScriptedPlatform()
    fb.comment("page_sokasi-a", "brp kak?")
    fb.comment("page_sokasi-b", "hrg brp?")
    read(shop, fb)
    assert len(auto(shop, fb)) == 1 and len(fb.sent) == 1


def test_no_automatic_answer_to_an_old_question_a_sold_product_or_through_instagrapi(shop):
    switch_on_auto_reply(shop, per_post=5, per_hour=10)
    fb = ScriptedPlatform()
    fb.comment("page_sokasi-a", "brp kak?", minutes=-3 * 24 * 60)  # asked three days ago
    read(shop, fb)
    assert auto(shop, fb) == []
    (shop.posts / "sokasi-b" / "post.yaml").write_text(
        (shop.posts / "sokasi-b" / "post.yaml").read_text(encoding="utf-8") + "status: sold\n", encoding="utf-8")
    fb.comment("page_sokasi-b", "brp kak?")
    read(shop, fb)
    assert auto(shop, fb) == []
    private = ScriptedPlatform(can_reply=False)
    private.comments_on = fb.comments_on
    fb.comment("page_sokasi-a", "harga?")
    read(shop, private)
    assert auto(shop, private) == [] and private.sent == []


def test_after_switching_instagram_backends_the_other_ways_posts_are_not_read_and_sold_is_left_to_the_coordinator(project):
    project.good("sokasi-a", platforms="[instagram]")
    settings = load_settings(project.config)
    with Ledger.open(settings.state_dir) as ledger:  # posted through instagrapi; the config now says graph
        ledger.begin("sokasi-a", "instagram", "x")
        ledger.succeed("sokasi-a", "instagram", Receipt("instagram", "3011_4242", None, NOW - timedelta(days=1),
                                                        via="instagrapi"))
    project.config.write_text(project.config.read_text(encoding="utf-8").replace(
        "instagram:\n", "instagram:\n  backend: graph\n  photo_host: page\n"), encoding="utf-8")
    official = ScriptedPlatform("instagram")
    official.comment("3011_4242", "brp?")
    assert read(project, official).readings == 0  # an instagrapi id means nothing to the official API
    (project.posts / "sokasi-a" / "post.yaml").write_text(
        (project.posts / "sokasi-a" / "post.yaml").read_text(encoding="utf-8") + "status: sold\n", encoding="utf-8")
    marks = with_ledger(project, lambda s, ledger: salesloop.mark_sold(s, products(project), ledger, lambda n: official, NOW))
    assert marks == [("sokasi-a", "instagram", "by_hand")] and official.edits == []
    again = with_ledger(project, lambda s, ledger: salesloop.mark_sold(s, products(project), ledger, lambda n: official, NOW))
    assert again == []  # said once: it cannot be read back through this backend to see it done
