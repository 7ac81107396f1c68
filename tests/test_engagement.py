"""The sales loop's reads and writes on each platform (docs/platforms.md E1-E4): the REAL facebook-sdk against
tests/fakegraph.py and the REAL instagrapi against tests/fakeinstagram.py.

Comments (every page, each once, replies included), replies (where an answer lands), a reply as the Page or the
account sent once (a lost answer is unknown, and then found), the counts, the caption and its edit, and every
failure in the publishing flow's own kinds, with no secret in any message.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sokasi_post import publishing
from sokasi_post.catalog import load_catalog
from sokasi_post.config import Settings, load_settings
from sokasi_post.errors import (
    BLOCKED,
    SLOW_DOWN,
    AuthError,
    RejectedError,
    ThrottledError,
    UnknownOutcomeError,
)
from sokasi_post.models import PlannedPost
from sokasi_post.publishers import Engagement
from sokasi_post.publishers.facebook import FacebookPublisher
from sokasi_post.publishers.instagram import InstagramPublisher, save_session
from sokasi_post.publishers.instagram_graph import InstagramGraphPublisher
from tests.fakegraph import FakeGraph
from tests.fakeinstagram import FakeInstagram, fake_instagram_fixture, make_client  # noqa: F401

PAGE = "111222333444555"  # the page_id in tests/conftest.py's config
CAPTION = "Sokasi bundar\nAnyaman bambu dari Tigawasa."
SOLD = "TERJUAL / SOLD"


class Saved(dict):
    def __call__(self, update: dict) -> None:
        self.update(update)


class Pauses(list):
    """The publisher's sleep: records each pause, waits for none."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def quiet(publisher) -> Pauses:
    pauses = Pauses()
    publisher.sleep = pauses
    return pauses


# -- Facebook (docs/platforms.md E1) -----------------------------------------------------------------------------

@pytest.fixture
def graph():
    with FakeGraph(page_id=PAGE, engagement_scopes=True) as fake:
        yield fake
        assert fake.crashes == []


def facebook_settings(project, graph: FakeGraph) -> Settings:
    text = project.config.read_text().replace("facebook:\n", f"facebook:\n  graph_url: {graph.url}\n")
    project.config.write_text(text.replace("instagram:\n", "instagram:\n  enabled: false\n"), encoding="utf-8")
    return load_settings(project.config)


def facebook(settings: Settings, graph: FakeGraph, token: str | None = None) -> FacebookPublisher:
    return FacebookPublisher(settings, token or graph.page_token, sleep=lambda seconds: None)


def planned(settings: Settings, slug: str, platform: str) -> PlannedPost:
    products = tuple(p for p in load_catalog(settings).products if p.slug == slug)
    return next(p for p in publishing.plan(products, settings).posts if p.platform == platform)


def published(project, graph: FakeGraph, photos: tuple[str, ...] = ("1.jpg",)) -> tuple[Settings, str]:
    """A product posted on the Page through the publisher; its remote id, as the ledger keeps it."""
    project.product("sokasi", "title: Sokasi bundar\ncaption: Anyaman bambu dari Tigawasa.\nprice: 150000\n"
                              "platforms: [facebook]\n", photos=photos)
    settings = facebook_settings(project, graph)
    receipt = facebook(settings, graph).publish(planned(settings, "sokasi", "facebook"), {}, Saved())
    return settings, receipt.remote_id


def test_the_three_publishers_are_engagements_with_what_each_can_do():
    assert isinstance(FacebookPublisher.can_reply, bool)
    capabilities = {kind.__name__: (kind.can_reply, kind.can_edit_caption)
                    for kind in (FacebookPublisher, InstagramGraphPublisher, InstagramPublisher)}
    assert capabilities == {"FacebookPublisher": (True, True), "InstagramGraphPublisher": (True, False),
                            "InstagramPublisher": (False, True)}
    for kind in (FacebookPublisher, InstagramGraphPublisher, InstagramPublisher):
        assert all(callable(getattr(kind, name)) for name in Engagement.__dict__ if not name.startswith("_")
                   and callable(getattr(Engagement, name)))


def test_facebook_comments_across_several_pages_come_once_each_with_their_replies(project, graph):
    settings, post_id = published(project, graph)
    first = graph.add_comment(post_id, "harga berapa kak?", name="Made Wirawan", created_time=1_780_000_000)
    graph.add_comment(post_id, "sudah saya PM", name="Made Wirawan", parent_id=first, created_time=1_780_000_100)
    graph.add_comment(post_id, "masih ada?", hide_from=True, created_time=1_780_000_200)
    for n in range(110):
        graph.add_comment(post_id, f"bagus {n}", name=f"Orang {n}", created_time=1_780_001_000 + n)
    found = facebook(settings, graph).comments(post_id)
    assert sorted(c.remote_id for c in found) == sorted(c.id for c in graph.comments)
    assert len(found) == 113 and len({c.remote_id for c in found}) == 113
    pages = graph.calls_to("GET", "/comments")
    assert len(pages) == 3  # 50 + 50 + 13, each page asked once
    assert {(p.query["filter"], p.query["order"]) for p in pages} == {("stream", "reverse_chronological")}
    by_text = {c.text: c for c in found}
    assert by_text["harga berapa kak?"].author == "Made Wirawan" and by_text["harga berapa kak?"].parent_id is None
    assert by_text["sudah saya PM"].parent_id == first
    assert by_text["masih ada?"].author == ""  # `from` left out: the person did not allow it
    assert by_text["harga berapa kak?"].created_at == datetime.fromtimestamp(1_780_000_000, UTC)
    assert {c.post_id for c in found} == {post_id} and {c.platform for c in found} == {"facebook"}
    assert not any(c.ours for c in found)


def test_a_reply_is_sent_as_the_page_and_is_ours_in_the_listings(project, graph):
    settings, post_id = published(project, graph)
    question = graph.add_comment(post_id, "hrg brp kak?")
    page = facebook(settings, graph)
    reply_id = page.reply(question, "Rp 150.000, kak")
    [sent] = [c for c in graph.comments if c.id == reply_id]
    assert sent.author == {"id": PAGE, "name": graph.page_name} and sent.parent_id == question
    [listed] = page.replies(question)
    assert (listed.remote_id, listed.text, listed.ours, listed.parent_id) == (reply_id, "Rp 150.000, kak", True, question)
    ours = [c for c in page.comments(post_id) if c.ours]
    assert [c.remote_id for c in ours] == [reply_id]


def test_a_lost_reply_is_unknown_never_sent_again_and_replies_then_show_it(project, graph):
    settings, post_id = published(project, graph)
    question = graph.add_comment(post_id, "masih ada kak?")
    page = facebook(settings, graph)
    graph.drop_next("POST", f"/{question}/comments", after_action=True)
    with pytest.raises(UnknownOutcomeError) as lost:
        page.reply(question, "Masih ada, kak")
    assert len(graph.calls_to("POST", f"/{question}/comments")) == 1  # no blind resend
    assert graph.page_token not in str(lost.value)
    found = [c for c in page.replies(question) if c.ours]
    assert [c.text for c in found] == ["Masih ada, kak"]


def test_the_answer_to_a_reply_is_found_in_the_thread_it_landed_in(project, graph):
    settings, post_id = published(project, graph)
    top = graph.add_comment(post_id, "bagus sekali")
    question = graph.add_comment(post_id, "bisa kirim ke Jakarta?", name="Ayu", parent_id=top)
    page = facebook(settings, graph)
    graph.drop_next("POST", f"/{question}/comments", after_action=True)
    with pytest.raises(UnknownOutcomeError):
        page.reply(question, "Bisa, kak")
    [landed] = [c for c in graph.comments if c.author and c.author["id"] == PAGE]
    assert landed.parent_id == top  # the fake puts a reply to a reply under the top-level comment
    assert [(c.text, c.ours) for c in page.replies(question)] == [("Bisa, kak", True)]


def test_replying_without_pages_manage_engagement_is_an_auth_error_naming_it(project):
    with FakeGraph(page_id=PAGE) as graph:  # the Page token without pages_manage_engagement
        settings, post_id = published(project, graph)
        question = graph.add_comment(post_id, "brp?")
        with pytest.raises(AuthError) as refused:
            facebook(settings, graph).reply(question, "Rp 150.000")
        text = str(refused.value)
        assert "pages_manage_engagement" in text and "Facebook Page token" in text and "FACEBOOK_PAGE_TOKEN" in text
        assert graph.page_token not in text
        assert [c.id for c in graph.comments] == [question]


def test_reading_comments_without_pages_read_engagement_names_it(project, graph):
    settings, post_id = published(project, graph)
    graph.add_token("EAAPAGE-no-read", scopes=["pages_manage_posts", "pages_manage_engagement"])
    with pytest.raises(AuthError) as refused:
        facebook(settings, graph, token="EAAPAGE-no-read").comments(post_id)
    assert "pages_read_engagement" in str(refused.value) and "EAAPAGE-no-read" not in str(refused.value)


def test_facebook_counts_are_read_in_one_request(project, graph):
    settings, post_id = published(project, graph)
    graph.set_reactions(post_id, 12)
    graph.set_shares(post_id, 3)
    top = graph.add_comment(post_id, "harga?")
    graph.add_comment(post_id, "PM ya", parent_id=top)
    graph.add_comment(post_id, "cantik")
    before = len(graph.calls)
    counts = facebook(settings, graph).counts(post_id)
    assert len(graph.calls) == before + 1
    assert (counts.platform, counts.post_id, counts.reactions, counts.comments, counts.shares, counts.likes) == (
        "facebook", post_id, 12, 2, 3, None)
    assert counts.at.tzinfo is not None


def test_a_post_nobody_shared_counts_no_shares(project, graph):
    settings, post_id = published(project, graph)
    counts = facebook(settings, graph).counts(post_id)
    assert (counts.reactions, counts.comments, counts.shares) == (0, 0, 0)


@pytest.mark.parametrize("photos", [("1.jpg",), ("1.jpg", "2.jpg")], ids=["single photo", "several photos"])
def test_a_facebook_posts_text_is_edited_on_the_id_the_ledger_keeps(project, graph, photos):
    settings, post_id = published(project, graph, photos)
    page = facebook(settings, graph)
    text = page.caption(post_id)
    assert text == planned(settings, "sokasi", "facebook").caption
    page.edit_caption(post_id, f"{SOLD}\n{text}")
    assert page.caption(post_id) == f"{SOLD}\n{text}"
    [edit] = graph.edits
    assert (edit.object_id, edit.field, edit.after) == (post_id, "message", f"{SOLD}\n{text}")
    [change] = [c for c in graph.calls if c.method == "POST" and c.path.endswith(f"/{post_id}")]
    assert change.form["message"] == f"{SOLD}\n{text}" and set(change.form) == {"message", "access_token"}


def test_a_lost_edit_is_unknown_and_not_sent_again(project, graph):
    settings, post_id = published(project, graph)
    page = facebook(settings, graph)
    graph.drop_next("POST", f"/{post_id}", after_action=True)
    with pytest.raises(UnknownOutcomeError):
        page.edit_caption(post_id, f"{SOLD}\nteks")
    assert len([c for c in graph.calls if c.method == "POST" and c.path.endswith(f"/{post_id}")]) == 1
    assert page.caption(post_id).startswith(SOLD)  # it had arrived: the caller reads the caption before a second try


def test_a_passing_fault_on_a_read_is_retried_and_a_rate_limit_is_a_cooldown(project, graph):
    settings, post_id = published(project, graph)
    graph.add_comment(post_id, "harga?")
    page = facebook(settings, graph)
    pauses = quiet(page)
    graph.fail_next("GET", "/comments", 2, "An unexpected error has occurred. Please retry your request later.",
                    is_transient=True)
    assert [c.text for c in page.comments(post_id)] == ["harga?"]
    assert len(pauses) == 1 and len(graph.calls_to("GET", "/comments")) == 2
    graph.fail_next("GET", f"/{post_id}", 32, "(#32) Page request limited reached", http_status=403, is_transient=True)
    with pytest.raises(ThrottledError) as limited:
        page.counts(post_id)
    assert limited.value.cooldown == SLOW_DOWN and len(pauses) == 1  # never retried


def test_the_token_never_reaches_a_message_even_when_facebook_echoes_it(project, graph):
    settings, post_id = published(project, graph)
    question = graph.add_comment(post_id, "harga?")
    page = facebook(settings, graph)
    graph.echo_next("GET", "/comments")  # the request, token in its query string, reflected in the error
    with pytest.raises(RejectedError) as echoed:
        page.comments(post_id)
    graph.echo_next("POST", f"/{question}/comments")
    with pytest.raises(RejectedError) as echoed_reply:
        page.reply(question, "Rp 150.000")
    for error in (echoed.value, echoed_reply.value):
        assert graph.page_token not in str(error) and "***" in str(error)


# -- Instagram through the official API (docs/platforms.md E2) ---------------------------------------------------

@pytest.fixture
def ig_graph():
    with FakeGraph(page_id=PAGE, ig_scopes=True, ig_comment_scopes=True) as fake:
        yield fake
        assert fake.crashes == []


def official(project, graph: FakeGraph, token: str | None = None) -> InstagramGraphPublisher:
    text = project.config.read_text().replace("facebook:\n", f"facebook:\n  graph_url: {graph.url}\n")
    text = text.replace("instagram:\n", f"instagram:\n  backend: graph\n  user_id: \"{graph.ig_user_id}\"\n")
    project.config.write_text(text + "site:\n  base_url: https://sokasi.example.org/\n", encoding="utf-8")
    return InstagramGraphPublisher(load_settings(project.config), token or graph.page_token, sleep=lambda s: None)


def test_instagram_comments_and_their_nested_replies_come_flat_once_each_across_pages(project, ig_graph):
    media = ig_graph.add_ig_media(CAPTION)
    busy = ig_graph.add_ig_comment(media, "harga berapa kak?", username="made.wirawan", timestamp=1_780_000_000)
    for n in range(30):  # more replies than come nested (25): the rest through the replies edge
        ig_graph.add_ig_comment(media, f"ikut tanya {n}", username=f"orang{n}", parent_id=busy, timestamp=1_780_000_100 + n)
    answered = ig_graph.add_ig_comment(media, "masih ada?", username="ayu.bali", timestamp=1_780_000_500)
    ours = ig_graph.add_ig_comment(media, "Masih, kak", username=ig_graph.ig_username, parent_id=answered,
                                   timestamp=1_780_000_600)
    for n in range(55):
        ig_graph.add_ig_comment(media, f"bagus {n}", username=f"teman{n}", timestamp=1_780_001_000 + n)
    found = official(project, ig_graph).comments(media)
    assert sorted(c.remote_id for c in found) == sorted(c.id for c in ig_graph.ig_comments)
    assert len(found) == len({c.remote_id for c in found}) == 88
    assert len(ig_graph.calls_to("GET", f"/{media}/comments")) == 2  # 50 top-level comments a page
    assert len(ig_graph.calls_to("GET", f"/{busy}/replies")) == 1  # 25 came nested, with a next page: all 30 listed
    by_id = {c.remote_id: c for c in found}
    assert by_id[ours].ours and by_id[ours].parent_id == answered and by_id[ours].author == ig_graph.ig_username
    assert not by_id[answered].ours and by_id[answered].author == "ayu.bali" and by_id[answered].parent_id is None
    assert {c.parent_id for c in found if c.text.startswith("ikut tanya")} == {busy}
    assert by_id[busy].created_at == datetime.fromtimestamp(1_780_000_000, UTC)
    assert {c.post_id for c in found} == {media} and {c.platform for c in found} == {"instagram"}


def test_an_instagram_reply_goes_out_once_and_a_lost_one_is_found_where_it_landed(project, ig_graph):
    media = ig_graph.add_ig_media(CAPTION)
    question = ig_graph.add_ig_comment(media, "brp kak?")
    account = official(project, ig_graph)
    reply_id = account.reply(question, "Rp 150.000, kak")
    assert [(c.text, c.ours) for c in account.replies(question)] == [("Rp 150.000, kak", True)]
    assert [c.id for c in ig_graph.ig_comments if c.parent_id == question] == [reply_id]
    follow_up = ig_graph.add_ig_comment(media, "bisa COD?", username="ayu.bali", parent_id=question)
    ig_graph.drop_next("POST", f"/{follow_up}/replies", after_action=True)
    with pytest.raises(UnknownOutcomeError):
        account.reply(follow_up, "Bisa, kak")
    assert len(ig_graph.calls_to("POST", f"/{follow_up}/replies")) == 1
    # "replies to a reply will be added to the top-level comment": that is where it is looked for
    assert [c.text for c in account.replies(follow_up) if c.ours] == ["Rp 150.000, kak", "Bisa, kak"]


def test_instagram_comments_without_instagram_manage_comments_are_an_auth_error_naming_it(project):
    with FakeGraph(page_id=PAGE, ig_scopes=True) as graph:
        media = graph.add_ig_media(CAPTION)
        question = graph.add_ig_comment(media, "harga?")
        account = official(project, graph)
        for attempt in (lambda: account.comments(media), lambda: account.reply(question, "Rp 150.000")):
            with pytest.raises(AuthError) as refused:
                attempt()
            text = str(refused.value)
            assert "instagram_manage_comments" in text and "Instagram through the official API" in text
            assert graph.page_token not in text
        assert [c.id for c in graph.ig_comments] == [question]


def test_instagram_counts_give_likes_and_comments(project, ig_graph):
    media = ig_graph.add_ig_media(CAPTION)
    ig_graph.set_ig_likes(media, 9)
    top = ig_graph.add_ig_comment(media, "harga?")
    ig_graph.add_ig_comment(media, "PM ya", parent_id=top)
    counts = official(project, ig_graph).counts(media)
    assert (counts.platform, counts.post_id, counts.likes, counts.comments, counts.reactions, counts.shares) == (
        "instagram", media, 9, 2, None, None)


def test_the_official_api_reads_the_caption_and_refuses_to_edit_it_with_the_reason(project, ig_graph):
    media = ig_graph.add_ig_media(CAPTION)
    account = official(project, ig_graph)
    assert account.caption(media) == CAPTION
    before = len(ig_graph.calls)
    with pytest.raises(RejectedError) as refused:
        account.edit_caption(media, f"{SOLD}\n{CAPTION}")
    assert str(refused.value) == ("Instagram's official API cannot change the caption of a published post: change it by "
                                  "hand in the Instagram app")
    assert len(ig_graph.calls) == before and ig_graph.edits == []


# -- Instagram through instagrapi (docs/platforms.md E3) ---------------------------------------------------------

INSTAGRAPI_CONFIG = """\
posts_dir: posts
state_dir: state
timezone: Asia/Makassar
facebook:
  enabled: false
instagram:
  username: sokasi.tigawasa
  pause_min_seconds: 1
  pause_max_seconds: 2
contact:
  whatsapp: "+62 813-3791-2468"
"""


@pytest.fixture
def private(tmp_path, fake_instagram: FakeInstagram) -> InstagramPublisher:
    (tmp_path / "config.yaml").write_text(INSTAGRAPI_CONFIG, encoding="utf-8")
    (tmp_path / "posts").mkdir()
    settings = load_settings(tmp_path / "config.yaml")
    save_session(fake_instagram.session_settings(), settings.instagram.session_file)
    publisher = InstagramPublisher(settings, client_factory=lambda: make_client(fake_instagram))
    quiet(publisher)
    return publisher


def test_instagrapi_comments_come_once_each_across_pages_with_replies_and_ours(private, fake_instagram):
    media = fake_instagram.add_media(CAPTION)
    question = fake_instagram.add_comment(media, "hrg brp kak?", username="made.wirawan", created_at=1_780_000_000)
    ours = fake_instagram.add_comment(media, "Rp 150.000, kak", username="sokasi.tigawasa", replied_to=question,
                                      created_at=1_780_000_100)
    for n in range(38):
        fake_instagram.add_comment(media, f"bagus {n}", username=f"teman{n}", created_at=1_780_001_000 + n)
    found = private.comments(media.id)
    assert sorted(c.remote_id for c in found) == sorted(str(c.pk) for c in fake_instagram.comments)
    assert len(found) == 40 and len(fake_instagram.calls_to("/comments/", "GET")) == 3  # pages of 15
    by_id = {c.remote_id: c for c in found}
    assert by_id[str(ours.pk)].ours and by_id[str(ours.pk)].parent_id == str(question.pk)
    assert by_id[str(question.pk)].author == "made.wirawan" and not by_id[str(question.pk)].ours
    assert by_id[str(question.pk)].created_at == datetime.fromtimestamp(1_780_000_000, UTC)
    assert [c.remote_id for c in private.replies(str(question.pk))] == [str(ours.pk)]
    assert fake_instagram.calls_to("/comments/", "POST") == []  # reads only


def test_instagrapi_reads_a_bounded_number_of_comments(private, fake_instagram):
    media = fake_instagram.add_media(CAPTION)
    for n in range(130):
        fake_instagram.add_comment(media, f"bagus {n}", created_at=1_780_000_000 + n)
    assert len(private.comments(media.id)) == 100
    assert len(fake_instagram.calls_to("/comments/", "GET")) == 7  # 7 pages of 15 reach 100, the eighth is not asked


def test_instagrapi_counts_come_from_the_media_info(private, fake_instagram):
    media = fake_instagram.add_media(CAPTION)
    fake_instagram.set_likes(media, 14)
    first = fake_instagram.add_comment(media, "harga?")
    fake_instagram.add_comment(media, "PM", replied_to=first)
    counts = private.counts(media.id)
    assert (counts.platform, counts.post_id, counts.likes, counts.comments, counts.reactions) == (
        "instagram", media.id, 14, 2, None)
    fake_instagram.set_likes(media, 14, hidden=True)
    assert private.counts(media.id).likes is None  # the account hides its like counts


def test_instagrapi_edits_the_caption_keeping_the_posts_place(private, fake_instagram):
    media = fake_instagram.add_media(CAPTION)
    place = {"name": "Tigawasa", "address": "", "lat": -8.17, "lng": 115.04, "external_source": "facebook_places",
             "facebook_places_id": "1093"}
    media.location = dict(place)
    text = private.caption(media.id)
    assert text == CAPTION
    private.edit_caption(media.id, f"{SOLD}\n{text}")
    private.edit_caption(media.id, f"{SOLD}\n{text}")  # the same edit again changes nothing more
    assert private.caption(media.id) == f"{SOLD}\n{text}"
    assert [edit.after for edit in fake_instagram.edits] == [f"{SOLD}\n{text}"] * 2
    assert fake_instagram.edits[-1].location_after["facebook_places_id"] in ("1093", 1093)
    assert len(private.sleep) == 1  # the second write waited like a person


def test_instagrapi_refuses_to_reply_and_sends_nothing(private, fake_instagram):
    media = fake_instagram.add_media(CAPTION)
    question = fake_instagram.add_comment(media, "brp?")
    with pytest.raises(RejectedError) as refused:
        private.reply(str(question.pk), "Rp 150.000")
    assert str(refused.value) == "no automated replies through the private API: paste it in the Instagram app"
    assert fake_instagram.calls == [] and len(fake_instagram.comments) == 1


def test_a_lost_caption_edit_is_unknown_and_not_sent_again(private, fake_instagram):
    media = fake_instagram.add_media(CAPTION)
    fake_instagram.drop_next("POST", "/edit_media/", after_action=True)
    with pytest.raises(UnknownOutcomeError) as lost:
        private.edit_caption(media.id, f"{SOLD}\n{CAPTION}")
    assert "look at the post" in str(lost.value)
    assert len(fake_instagram.calls_to("/edit_media/")) == 1
    assert private.caption(media.id).startswith(SOLD)


@pytest.mark.parametrize(("answer", "cooldown"), [("feedback_required", BLOCKED), ("please_wait", SLOW_DOWN)])
def test_an_anti_abuse_answer_is_a_cooldown_never_a_retry(private, fake_instagram, answer, cooldown):
    media = fake_instagram.add_media(CAPTION)
    fake_instagram.fail_next("GET", "/comments/", answer)
    with pytest.raises(ThrottledError) as read:
        private.comments(media.id)
    fake_instagram.fail_next("POST", "/edit_media/", answer)
    with pytest.raises(ThrottledError) as write:
        private.edit_caption(media.id, f"{SOLD}\n{CAPTION}")
    assert read.value.cooldown == write.value.cooldown == cooldown
    assert len(fake_instagram.calls_to("/comments/")) == 1 and len(fake_instagram.calls_to("/edit_media/")) == 1
    assert private.sleep == []


def test_the_session_never_reaches_a_message_even_when_instagram_echoes_it(private, fake_instagram):
    media = fake_instagram.add_media(CAPTION)
    fake_instagram.echo_next("GET", "/comments/", said="bad request: ")
    with pytest.raises(RejectedError) as echoed:
        private.comments(media.id)
    assert "FakeSessionSecret" not in str(echoed.value) and fake_instagram.sessionid not in str(echoed.value)
