"""The fakes' comments, replies, counts and edits behave as Meta's do (docs/platforms.md E1-E3).

FakeGraph is driven with plain `requests`, so these tests check the fake itself; FakeInstagram is driven with the REAL
instagrapi Client, whose strict models must parse what the fake answers.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
import requests
from instagrapi import exceptions as igx
from instagrapi.types import Location
from PIL import Image

from tests.fakegraph import ENGAGEMENT_PERMISSION_MESSAGE, ERRORS, IG_PERMISSION_MESSAGE, PAGE_SCOPES, FakeGraph
from tests.fakeinstagram import FakeInstagram, fake_ig_client_fixture, fake_instagram_fixture  # noqa: F401

VERSION = "v25.0"
COMMENT_FIELDS = "id,message,from{id,name},created_time,parent{id}"
IG_COMMENT_FIELDS = "id,text,timestamp,username,from{id,username},replies{id,text,timestamp,username}"
COUNT_FIELDS = "reactions.summary(total_count).limit(0),comments.summary(total_count).limit(0),shares"
T0 = 1_795_000_000  # 2026-11-18, seconds


def iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def jpeg(size: tuple[int, int] = (64, 80)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 160, 100)).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
def graph():
    with FakeGraph() as fake:
        yield fake
        assert fake.crashes == []


@pytest.fixture
def engaged():
    """A fake whose Page token may reply as the Page and moderate Instagram comments."""
    with FakeGraph(ig_scopes=True, engagement_scopes=True, ig_comment_scopes=True) as fake:
        yield fake
        assert fake.crashes == []


def get(graph: FakeGraph, path: str, token: str | None = None, **params) -> requests.Response:
    return requests.get(f"{graph.url}/{VERSION}/{path}", params={**params, "access_token": token or graph.page_token},
                        timeout=10)


def post(graph: FakeGraph, path: str, token: str | None = None, **form) -> requests.Response:
    return requests.post(f"{graph.url}/{VERSION}/{path}", data={**form, "access_token": token or graph.page_token},
                         timeout=10)


def text_post(graph: FakeGraph, message: str = "Keranjang ata Rp 150.000") -> str:
    return post(graph, f"{graph.page_id}/feed", message=message).json()["id"]


def error(reply: requests.Response) -> tuple[int, int, int | None, str]:
    body = reply.json()["error"]
    return reply.status_code, body["code"], body.get("error_subcode"), body["message"]


def every_page(first: requests.Response) -> list[list[dict]]:
    """Follow paging.next (a full URL, token included) to the end; the pages' data."""
    pages, reply = [], first.json()
    while True:
        pages.append(reply["data"])
        following = reply.get("paging", {}).get("next")
        if not following:
            return pages
        reply = requests.get(following, timeout=10).json()


# -- Facebook: listing comments --------------------------------------------------------------------------------------
def test_comment_pages_followed_by_next_give_every_comment_once_in_order(graph):
    post_id = text_post(graph)
    made = [graph.add_comment(post_id, f"harga? {i}", created_time=T0 + i) for i in range(7)]
    first = get(graph, f"{post_id}/comments", fields=COMMENT_FIELDS, limit=3)
    pages = every_page(first)
    assert [len(page) for page in pages] == [3, 3, 1]
    assert [c["id"] for page in pages for c in page] == made  # chronological by default
    assert graph.page_token in first.json()["paging"]["next"] and "fields=" in first.json()["paging"]["next"]
    assert "previous" not in first.json()["paging"]


def test_the_after_cursor_gives_the_rest_and_a_cursor_the_fake_did_not_give_is_refused(graph):
    post_id = text_post(graph)
    made = [graph.add_comment(post_id, f"c{i}", created_time=T0 + i) for i in range(4)]
    first = get(graph, f"{post_id}/comments", limit=2).json()
    rest = get(graph, f"{post_id}/comments", limit=2, after=first["paging"]["cursors"]["after"]).json()
    assert [c["id"] for c in rest["data"]] == made[2:] and "next" not in rest["paging"]
    assert error(get(graph, f"{post_id}/comments", after="bm9wZQ"))[:2] == (400, 100)


def test_toplevel_is_the_default_and_stream_adds_the_replies(graph):
    post_id = text_post(graph)
    question = graph.add_comment(post_id, "masih ada?", created_time=T0)
    answer = graph.add_comment(post_id, "ikut tanya", name="Ketut Sari", parent_id=question, created_time=T0 + 5)
    later = graph.add_comment(post_id, "brp kak", created_time=T0 + 9)
    toplevel = get(graph, f"{post_id}/comments", fields=COMMENT_FIELDS).json()["data"]
    stream = get(graph, f"{post_id}/comments", fields=COMMENT_FIELDS, filter="stream").json()["data"]
    assert [c["id"] for c in toplevel] == [question, later]
    assert [c["id"] for c in stream] == [question, answer, later]
    assert stream[1]["parent"] == {"id": question} and "parent" not in stream[0]
    assert stream[1]["from"]["name"] == "Ketut Sari" and stream[0]["from"] == {"id": stream[2]["from"]["id"], "name": "Made Wirawan"}


def test_reverse_chronological_lists_newest_first_across_pages(graph):
    post_id = text_post(graph)
    made = [graph.add_comment(post_id, f"c{i}", created_time=T0 + i) for i in range(5)]
    pages = every_page(get(graph, f"{post_id}/comments", order="reverse_chronological", filter="stream", limit=2))
    assert [c["id"] for page in pages for c in page] == made[::-1]


def test_a_person_who_did_not_allow_it_comes_without_from(graph):
    post_id = text_post(graph)
    graph.add_comment(post_id, "PM kak", hide_from=True)
    (comment,) = get(graph, f"{post_id}/comments", fields=COMMENT_FIELDS).json()["data"]
    assert "from" not in comment and comment["message"] == "PM kak"


def test_a_bad_filter_order_or_field_is_error_100(graph):
    post_id = text_post(graph)
    assert error(get(graph, f"{post_id}/comments", filter="all"))[:2] == (400, 100)
    assert error(get(graph, f"{post_id}/comments", order="newest"))[:2] == (400, 100)
    assert "nonexisting field (author)" in error(get(graph, f"{post_id}/comments", fields="id,author"))[3]


def test_reading_comments_needs_pages_read_engagement_and_a_user_token_reads_nothing(graph):
    post_id = text_post(graph)
    graph.add_comment(post_id, "harga?")
    graph.add_token("EAAPAGE-no-read", scopes=["pages_manage_posts", "pages_show_list"])
    assert error(get(graph, f"{post_id}/comments", token="EAAPAGE-no-read"))[:2] == (403, 10)
    assert error(get(graph, f"{post_id}/comments", token=graph.app_token))[:2] == (403, 10)
    assert get(graph, f"{post_id}/comments", token=graph.user_token).json() == {"data": []}
    graph.add_token("EAAOTHER-page", id="999", name="Other Page")
    assert error(get(graph, f"{post_id}/comments", token="EAAOTHER-page"))[:3] == (400, 100, 33)


# -- Facebook: replying as the Page ----------------------------------------------------------------------------------
def test_the_default_page_token_cannot_reply_and_keeps_its_exact_scopes(graph):
    post_id = text_post(graph)
    question = graph.add_comment(post_id, "harga?")
    refused = post(graph, f"{question}/comments", message="Rp 150.000")
    assert error(refused) == (403, 200, None, ENGAGEMENT_PERMISSION_MESSAGE)
    assert len(graph.comments) == 1  # nothing was written
    debug = get(graph, "debug_token", token=graph.app_token, input_token=graph.page_token).json()["data"]
    assert debug["scopes"] == PAGE_SCOPES


def test_a_user_token_cannot_reply_either(engaged):
    question = engaged.add_comment(text_post(engaged), "harga?")
    assert error(post(engaged, f"{question}/comments", token=engaged.user_token, message="hi"))[:2] == (403, 200)


def test_a_reply_is_written_as_the_page_and_listed_under_its_comment(engaged):
    scopes = get(engaged, "debug_token", token=engaged.app_token, input_token=engaged.page_token).json()["data"]["scopes"]
    assert "pages_manage_engagement" in scopes and "instagram_manage_comments" in scopes
    post_id = text_post(engaged)
    question = engaged.add_comment(post_id, "harga?", created_time=T0)
    reply = post(engaged, f"{question}/comments", message="Rp 150.000, kak")
    assert reply.status_code == 200 and set(reply.json()) == {"id"}
    replies = get(engaged, f"{question}/comments", fields=COMMENT_FIELDS).json()["data"]
    assert [(r["id"], r["message"], r["from"]) for r in replies] == [
        (reply.json()["id"], "Rp 150.000, kak", {"id": engaged.page_id, "name": engaged.page_name})]
    assert replies[0]["parent"] == {"id": question}
    assert engaged.comments[-1].author == {"id": engaged.page_id, "name": engaged.page_name}


def test_a_reply_to_a_reply_is_put_under_the_top_level_comment(engaged):
    post_id = text_post(engaged)
    question = engaged.add_comment(post_id, "harga?")
    follow_up = engaged.add_comment(post_id, "ongkir ke Jakarta?", parent_id=question)
    answer = post(engaged, f"{follow_up}/comments", message="Rp 30.000").json()["id"]
    assert [r["id"] for r in get(engaged, f"{question}/comments").json()["data"]] == [follow_up, answer]
    assert get(engaged, f"{follow_up}/comments").json() == {"data": []}
    assert get(engaged, answer, fields="parent{id}").json()["parent"] == {"id": question}


def test_a_reply_without_a_message_is_refused(engaged):
    question = engaged.add_comment(text_post(engaged), "harga?")
    assert error(post(engaged, f"{question}/comments", message=" "))[:2] == (400, 100)


# -- Facebook: counts ------------------------------------------------------------------------------------------------
def test_counts_give_reactions_top_level_comments_and_shares_only_when_there_are_some(graph):
    post_id = text_post(graph)
    question = graph.add_comment(post_id, "harga?")
    graph.add_comment(post_id, "masih?")
    graph.add_comment(post_id, "sama", parent_id=question)
    graph.set_reactions(post_id, 12)
    counts = get(graph, post_id, fields=COUNT_FIELDS).json()
    assert counts == {"id": post_id, "reactions": {"data": [], "summary": {"total_count": 12}},
                      "comments": {"data": [], "summary": {"total_count": 2}}}  # no shares: left out
    graph.set_shares(post_id, 3)
    assert get(graph, post_id, fields="shares").json()["shares"] == {"count": 3}
    stream = get(graph, post_id, fields="comments.filter(stream).summary(true).limit(0)").json()["comments"]
    assert stream["summary"] == {"order": "chronological", "total_count": 3, "can_comment": True}


def test_a_single_photo_post_shares_its_comments_and_counts_with_the_photo(graph):
    answer = requests.post(f"{graph.url}/{VERSION}/{graph.page_id}/photos", data={"message": "Tas",
                           "access_token": graph.page_token}, files={"source": ("a.jpg", jpeg())}, timeout=10).json()
    graph.add_comment(answer["post_id"], "harga?")
    graph.set_reactions(answer["post_id"], 5)
    on_photo = get(graph, f"{answer['id']}/comments").json()["data"]
    assert [c["message"] for c in on_photo] == ["harga?"]
    assert get(graph, answer["id"], fields="reactions.summary(total_count).limit(0)").json()["reactions"]["summary"] == {
        "total_count": 5}
    assert "nonexisting field (shares)" in error(get(graph, answer["id"], fields="shares"))[3]  # a Photo has none


# -- Facebook: editing a post's text ---------------------------------------------------------------------------------
def test_editing_a_post_changes_its_message_and_is_recorded(graph):
    post_id = text_post(graph, "Keranjang ata")
    reply = requests.post(f"{graph.url}/{VERSION}/{post_id}", data={"message": "TERJUAL / SOLD\nKeranjang ata",
                                                                    "access_token": graph.page_token}, timeout=10)
    assert reply.json() == {"success": True}
    assert get(graph, post_id, fields="message").json()["message"] == "TERJUAL / SOLD\nKeranjang ata"
    (edit,) = graph.edits
    assert (edit.object_id, edit.field, edit.before, edit.after) == (post_id, "message", "Keranjang ata",
                                                                     "TERJUAL / SOLD\nKeranjang ata")


def test_a_post_edit_needs_pages_manage_posts_and_takes_only_a_message(graph):
    post_id = text_post(graph)
    graph.add_token("EAAPAGE-read-only", scopes=["pages_read_engagement", "pages_show_list"])
    assert error(post(graph, post_id, token="EAAPAGE-read-only", message="x"))[:2] == (403, 200)
    assert error(post(graph, post_id, message="x", is_hidden="true"))[:2] == (400, 100)
    assert error(post(graph, post_id))[:2] == (400, 100)
    assert graph.edits == []


def test_a_photo_id_refuses_a_caption_the_post_id_takes_it(graph):
    answer = requests.post(f"{graph.url}/{VERSION}/{graph.page_id}/photos", data={"message": "Tas",
                           "access_token": graph.page_token}, files={"source": ("a.jpg", jpeg())}, timeout=10).json()
    for field in ("caption", "message"):
        assert error(post(graph, answer["id"], **{field: "TERJUAL"}))[:3] == (400, 100, 33)
    assert post(graph, answer["post_id"], message="TERJUAL\nTas").json() == {"success": True}
    assert graph.photos[answer["id"]].message == "TERJUAL\nTas"


# -- Facebook: failure injection on these paths ----------------------------------------------------------------------
def test_fail_next_and_html_next_reach_the_comment_paths(engaged):
    post_id = text_post(engaged)
    question = engaged.add_comment(post_id, "harga?")
    engaged.fail_next("GET", "/comments", **ERRORS[4])
    assert error(get(engaged, f"{post_id}/comments"))[:2] == (403, 4)
    engaged.html_next("POST", "/comments")
    refused = post(engaged, f"{question}/comments", message="Rp 150.000")
    assert refused.status_code == 502 and refused.headers["Content-Type"].startswith("text/html")
    assert len(engaged.comments) == 1  # before the action: nothing written


def test_a_reply_dropped_after_the_action_exists_though_no_answer_came(engaged):
    question = engaged.add_comment(text_post(engaged), "harga?")
    engaged.drop_next("POST", "/comments", after_action=True)
    with pytest.raises(requests.ConnectionError):
        post(engaged, f"{question}/comments", message="Rp 150.000")
    assert [c.message for c in engaged.comments] == ["harga?", "Rp 150.000"]


def test_a_storm_fails_replies_and_edits_without_doing_them(engaged):
    post_id = text_post(engaged)
    question = engaged.add_comment(post_id, "harga?")
    engaged.storm(rate=1.0)
    assert error(post(engaged, f"{question}/comments", message="x"))[:2] == (503, 2)
    assert error(post(engaged, post_id, message="x"))[:2] == (503, 2)
    assert len(engaged.comments) == 1 and engaged.edits == []


# -- Instagram's official API ----------------------------------------------------------------------------------------
def test_ig_comments_come_newest_first_with_their_replies_nested(engaged):
    media = engaged.add_ig_media("Keranjang")
    old = engaged.add_ig_comment(media, "brp kak?", timestamp=T0)
    new = engaged.add_ig_comment(media, "ready?", username="ketut.sari", timestamp=T0 + 60)
    reply = engaged.add_ig_comment(media, "sama", username="ketut.sari", parent_id=old, timestamp=T0 + 90)
    data = get(engaged, f"{media}/comments", fields=IG_COMMENT_FIELDS).json()["data"]
    assert [c["id"] for c in data] == [new, old]
    assert data[1]["replies"] == {"data": [{"id": reply, "text": "sama", "timestamp": iso(T0 + 90),
                                            "username": "ketut.sari"}],
                                  "paging": data[1]["replies"]["paging"]}
    assert "replies" not in data[0]  # none: left out
    assert data[1]["from"] == {"id": data[1]["from"]["id"], "username": "made.wirawan"}


def test_ig_comment_pages_give_each_top_level_comment_once(engaged):
    media = engaged.add_ig_media()
    made = [engaged.add_ig_comment(media, f"c{i}", timestamp=T0 + i) for i in range(6)]
    for i in range(3):
        engaged.add_ig_comment(media, f"r{i}", parent_id=made[0])
    pages = every_page(get(engaged, f"{media}/comments", fields="id,text", limit=4))
    assert [c["id"] for page in pages for c in page] == made[::-1]


def test_ig_nested_replies_beyond_the_limit_point_to_the_replies_edge(engaged):
    media = engaged.add_ig_media()
    question = engaged.add_ig_comment(media, "harga?", timestamp=T0)
    replies = [engaged.add_ig_comment(media, f"r{i}", parent_id=question, timestamp=T0 + i + 1) for i in range(3)]
    nested = get(engaged, f"{media}/comments", fields="id,replies.limit(2){id,text}").json()["data"][0]["replies"]
    assert [r["id"] for r in nested["data"]] == replies[:2]
    rest = requests.get(nested["paging"]["next"], timeout=10).json()
    assert [r["id"] for r in rest["data"]] == replies[2:]
    assert [r["id"] for r in get(engaged, f"{question}/replies").json()["data"]] == replies


def test_ig_reply_to_a_reply_goes_to_the_top_level_comment(engaged):
    media = engaged.add_ig_media()
    question = engaged.add_ig_comment(media, "harga?")
    follow_up = engaged.add_ig_comment(media, "@made.wirawan sama", username="ketut.sari", parent_id=question)
    answer = post(engaged, f"{follow_up}/replies", message="Rp 150.000")
    assert answer.status_code == 200 and set(answer.json()) == {"id"}
    listed = get(engaged, f"{question}/replies", fields="id,username,parent_id").json()["data"]
    assert [(r["id"], r["username"], r["parent_id"]) for r in listed] == [
        (follow_up, "ketut.sari", question), (answer.json()["id"], engaged.ig_username, question)]
    assert get(engaged, f"{follow_up}/replies").json() == {"data": []}


def test_ig_reply_to_a_hidden_comment_or_without_a_message_is_refused(engaged):
    media = engaged.add_ig_media()
    hidden = engaged.add_ig_comment(media, "spam", hidden=True)
    assert error(post(engaged, f"{hidden}/replies", message="hi"))[:2] == (400, 100)
    assert get(engaged, hidden, fields="hidden").json()["hidden"] is True
    shown = engaged.add_ig_comment(media, "harga?")
    assert error(post(engaged, f"{shown}/replies"))[:2] == (400, 100)
    assert len(engaged.ig_comments) == 2


def test_ig_comments_need_instagram_manage_comments():
    with FakeGraph(ig_scopes=True) as graph:
        media = graph.add_ig_media()
        question = graph.add_ig_comment(media, "harga?")
        assert error(get(graph, f"{media}/comments")) == (403, 10, None, IG_PERMISSION_MESSAGE)
        assert error(get(graph, f"{question}/replies"))[:2] == (403, 10)
        assert error(post(graph, f"{question}/replies", message="Rp 150.000"))[:2] == (403, 10)
        assert len(graph.ig_comments) == 1
        assert get(graph, media, fields="like_count,comments_count").json()["comments_count"] == 1  # basic read
        assert graph.crashes == []


def test_ig_counts_give_likes_and_comments_with_replies(engaged):
    media = engaged.add_ig_media()
    question = engaged.add_ig_comment(media, "harga?")
    engaged.add_ig_comment(media, "sama", parent_id=question)
    engaged.set_ig_likes(media, 21)
    assert get(engaged, media, fields="like_count,comments_count").json() == {"id": media, "like_count": 21,
                                                                             "comments_count": 2}


def test_ig_caption_edit_is_refused_and_comment_enabled_is_taken(engaged):
    media = engaged.add_ig_media("Keranjang")
    assert error(post(engaged, media, caption="TERJUAL\nKeranjang"))[:3] == (400, 100, 33)
    assert error(post(engaged, media, caption="TERJUAL", comment_enabled="true"))[:3] == (400, 100, 33)
    assert get(engaged, media, fields="caption").json()["caption"] == "Keranjang"
    assert post(engaged, media, comment_enabled="false").json() == {"success": True}
    assert get(engaged, media, fields="is_comment_enabled").json()["is_comment_enabled"] is False
    question = engaged.add_ig_comment(media, "harga?")
    assert error(post(engaged, f"{question}/replies", message="Rp 150.000"))[:2] == (400, 100)  # comments are off
    assert [(e.field, e.before, e.after) for e in engaged.edits] == [("comment_enabled", True, False)]


def test_ig_reply_dropped_after_the_action_exists(engaged):
    question = engaged.add_ig_comment(engaged.add_ig_media(), "harga?")
    engaged.drop_next("POST", "/replies", after_action=True)
    with pytest.raises(requests.ConnectionError):
        post(engaged, f"{question}/replies", message="Rp 150.000")
    assert [c.text for c in engaged.ig_comments] == ["harga?", "Rp 150.000"]


# -- Instagram's private API through the real instagrapi ---------------------------------------------------------------
def test_media_comments_reads_a_one_page_post_with_its_replies_flat(fake_instagram, fake_ig_client):
    media = fake_instagram.add_media("Keranjang")
    made = [fake_instagram.add_comment(media, f"harga {i}?", created_at=T0 + i) for i in range(4)]
    reply = fake_instagram.add_comment(media, "@made.wirawan sama", username="ketut.sari", created_at=T0 + 20,
                                       replied_to=made[0])
    comments = fake_ig_client.media_comments(media.id, amount=0)
    assert [c.pk for c in comments] == [str(c.pk) for c in [reply, *made[::-1]]]  # newest first
    assert comments[0].replied_to_comment_id == str(made[0].pk) and comments[0].user.username == "ketut.sari"
    assert comments[1].replied_to_comment_id is None and comments[1].text == "harga 3?"
    assert comments[-1].created_at_utc == datetime.fromtimestamp(T0, UTC)
    assert [c.method for c in fake_instagram.calls_to("/comments/")] == ["GET"]


def test_every_page_comes_once_through_get_with_next_min_id(fake_instagram, fake_ig_client):
    media = fake_instagram.add_media("Keranjang")
    made = [fake_instagram.add_comment(media, f"harga {i}?", created_at=T0 + i) for i in range(9)]
    fake_instagram.comment_page_size = 4
    seen, params = [], {}
    while True:
        page = fake_ig_client.private_request(f"media/{media.id}/comments/", params=params)
        seen += [c["pk"] for c in page["comments"]]
        if not page["has_more_headload_comments"]:
            break
        assert page["has_more_comments"] is False
        params = {"min_id": page["next_min_id"]}
    assert seen == [str(c.pk) for c in made[::-1]]
    assert len(fake_instagram.calls_to("/comments/", "GET")) == 3  # 4 + 4 + 1


def test_media_comments_posts_its_cursor_and_so_sees_the_first_page_again(fake_instagram, fake_ig_client):
    # instagrapi 3.2.2 passes the cursor of every further page as POST data; the endpoint reads its query string.
    media = fake_instagram.add_media("Keranjang")
    made = [fake_instagram.add_comment(media, f"harga {i}?", created_at=T0 + i) for i in range(6)]
    fake_instagram.comment_page_size = 4
    comments = fake_ig_client.media_comments(media.id, amount=10)
    assert len(comments) == 10 and {c.pk for c in comments} == {str(c.pk) for c in made[2:]}  # the oldest two never
    assert [c.method for c in fake_instagram.calls_to("/comments/")] == ["GET", "POST", "POST"]
    assert not fake_instagram.writes_blocked and fake_instagram.calls_to("/comments/", "POST")[0].signed["min_id"]


def test_a_reply_to_a_reply_names_the_reply_it_answers(fake_instagram, fake_ig_client):
    media = fake_instagram.add_media("Keranjang")
    question = fake_instagram.add_comment(media, "harga?")
    follow_up = fake_instagram.add_comment(media, "sama", username="ketut.sari", replied_to=question)
    again = fake_instagram.add_comment(media, "@ketut.sari ikut", username="wayan", replied_to=follow_up)
    assert again.parent_pk == question.pk and again.replied_to_pk == follow_up.pk
    replies = fake_ig_client.media_comment_replies(media.id, question.pk)
    assert [(c.pk, c.replied_to_comment_id) for c in replies] == [(str(follow_up.pk), str(question.pk)),
                                                                  (str(again.pk), str(follow_up.pk))]


def test_threaded_listing_gives_top_level_comments_only(fake_instagram, fake_ig_client):
    media = fake_instagram.add_media("Keranjang")
    question = fake_instagram.add_comment(media, "harga?", created_at=T0)
    fake_instagram.add_comment(media, "sama", replied_to=question, created_at=T0 + 1)
    comments, _, _ = fake_ig_client.media_comments_v1_chunk(media.id)  # sends can_support_threading=true
    assert [c.pk for c in comments] == [str(question.pk)]


def test_media_info_gives_the_counts(fake_instagram, fake_ig_client):
    media = fake_instagram.add_media("Keranjang")
    question = fake_instagram.add_comment(media, "harga?")
    fake_instagram.add_comment(media, "sama", replied_to=question)
    fake_instagram.set_likes(media, 17)
    info = fake_ig_client.media_info_v1(media.pk)
    assert (info.like_count, info.comment_count, info.caption_text) == (17, 2, "Keranjang")
    fake_instagram.set_likes(media, 17, hidden=True)
    assert fake_ig_client.media_info(media.pk, use_cache=False).like_and_view_counts_disabled is True


def test_media_edit_changes_the_caption_and_is_recorded(fake_instagram, fake_ig_client):
    media = fake_instagram.add_media("Keranjang ata")
    answer = fake_ig_client.media_edit(media.id, "TERJUAL / SOLD\nKeranjang ata")
    assert answer["status"] == "ok"
    info = fake_ig_client.media_info_v1(media.pk)
    assert info.caption_text == "TERJUAL / SOLD\nKeranjang ata" and info.caption_is_edited is True
    (edit,) = fake_instagram.edits
    assert (edit.media_id, edit.before, edit.after) == (media.id, "Keranjang ata", "TERJUAL / SOLD\nKeranjang ata")
    assert edit.request["caption_text"] == "TERJUAL / SOLD\nKeranjang ata"


def test_media_edit_without_a_location_removes_the_posts_location(fake_instagram, fake_ig_client):
    media = fake_instagram.add_media("Keranjang")
    media.location = {"name": "Tigawasa", "facebook_places_id": "110000000000001", "lat": -8.1, "lng": 115.0}
    fake_ig_client.media_edit(media.id, "TERJUAL\nKeranjang")
    assert media.location is None and fake_instagram.edits[0].location_before["name"] == "Tigawasa"
    kept = Location(name="Tigawasa", external_id=110000000000001, external_id_source="facebook_places", lat=-8.1, lng=115.0)
    fake_ig_client.media_edit(media.id, "TERJUAL\nKeranjang", location=kept)
    assert str(media.location["facebook_places_id"]) == "110000000000001"


def test_an_edit_over_the_caption_limits_drops_the_caption(fake_instagram, fake_ig_client):
    media = fake_instagram.add_media("Keranjang")
    fake_ig_client.media_edit(media.id, "TERJUAL " + " ".join(f"#t{i}" for i in range(6)))
    assert media.caption == "" and fake_instagram.edits[0].after == ""


def test_failures_reach_the_comment_info_and_edit_paths(fake_instagram, fake_ig_client):
    media = fake_instagram.add_media("Keranjang")
    fake_instagram.fail_next("GET", "/comments/", "rate_limit")
    with pytest.raises(igx.ClientThrottledError):
        fake_ig_client.media_comments(media.id)
    fake_instagram.fail_next("GET", "/info/", "feedback_required")
    with pytest.raises(igx.FeedbackRequired):
        fake_ig_client.media_info_v1(media.pk)
    fake_instagram.drop_next("POST", "/edit_media/", after_action=True)
    with pytest.raises(igx.ClientConnectionError):
        fake_ig_client.media_edit(media.id, "TERJUAL\nKeranjang")
    assert media.caption == "TERJUAL\nKeranjang"  # done, though no answer came


def test_an_edit_after_feedback_required_is_held_back_by_the_cooldown(fake_instagram, fake_ig_client):
    media = fake_instagram.add_media("Keranjang")
    fake_instagram.fail_next("POST", "/edit_media/", "feedback_required")
    for _ in range(2):
        with pytest.raises(igx.FeedbackRequired):
            fake_ig_client.media_edit(media.id, "TERJUAL\nKeranjang")
    assert media.caption == "Keranjang" and fake_instagram.edits == []


def test_a_deleted_post_has_no_comments_or_info(fake_instagram, fake_ig_client):
    media = fake_instagram.add_media("Keranjang")
    media.deleted = True
    with pytest.raises(igx.ClientError, match="Media not found"):
        fake_ig_client.media_comments(media.id)
    with pytest.raises(igx.MediaNotFound):
        fake_ig_client.media_info_v1(media.pk)
    assert isinstance(fake_instagram, FakeInstagram)
