"""Nothing hidden in the preview: broken product folders, drafts, blocked posts and ledger states are all said in words."""

from __future__ import annotations

from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
from PIL import Image

import sokasi_post.preview as preview
from sokasi_post.catalog import load_catalog
from sokasi_post.config import load_settings
from sokasi_post.i18n import _, set_language
from sokasi_post.ledger import Ledger
from sokasi_post.media import contact_sheet
from sokasi_post.preview import render_preview, sheet_label
from sokasi_post.publishing import fingerprint, plan
from sokasi_post.states import State, phrase_for
from tests.conftest import jpeg_bytes

NOW = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


class Text(HTMLParser):
    """The page's visible text, one string per text node, and the order of its sections."""

    def __init__(self, page: str):
        super().__init__()
        self.parts: list[str] = []
        self.sections: list[str] = []
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        if tag == "section":
            self.sections.append(dict(attrs).get("class") or "")

    def handle_data(self, data):
        if data.strip():
            self.parts.append(data.strip())


def broken_project(project):
    """Two good products (one a draft), and two folders that do not load: one without photos, one with a bad key."""
    project.good("sokasi-baik", maker="Ni Ketut Sari")
    project.good("keben-draf", maker="I Made Budiasa", status="draft")
    project.product("sokasi-kosong", "title: Sokasi kosong\ncaption: Anyaman.\n", photos=())
    project.product("keben-salah", 'title: Keben\ncaption: Anyaman.\n"<i>harga</i>": 5\n')


def render(project, broken: bool = True, out=None):
    settings = load_settings(project.config)
    catalog = load_catalog(settings)
    by_slug: dict[str, list] = {}
    for problem in catalog.problems:
        by_slug.setdefault(problem.slug, []).append(problem)
    planned = plan(catalog.products, settings)
    folders = {slug: tuple(problems) for slug, problems in by_slug.items()} if broken else {}
    made = render_preview(planned, settings, out or project.root / "pratinjau", NOW, broken=folders)
    return made, planned, folders


def test_broken_folders_are_listed_first_with_every_problem(project):
    broken_project(project)
    made, _planned, folders = render(project)
    assert sorted(folders) == ["keben-salah", "sokasi-kosong"]
    page = made.index.read_text(encoding="utf-8")
    text = Text(page)
    assert text.sections[0] == "broken"  # above the Instagram grid and the product cards
    assert "Product folders with problems" in text.parts
    for slug, problems in folders.items():
        assert slug in text.parts
        for problem in problems:
            # the file, relative as `check` shows it, then the message
            assert f"{preview.display_path(problem.path)}: {problem.message}" in text.parts
    assert "posts/sokasi-kosong" in page
    assert "&#x27;&lt;i&gt;harga&lt;/i&gt;&#x27;" in page and "<i>" not in page  # a folder's text is escaped


def test_broken_folders_are_listed_in_indonesian(project):
    broken_project(project)
    set_language("id")
    made, _planned, _folders = render(project)
    page = made.index.read_text(encoding="utf-8")
    assert f"<h2>{_('Product folders with problems')}</h2>" in page
    assert "Folder produk yang bermasalah" in page
    assert "Product folders with problems" not in page


def test_a_preview_without_broken_folders_has_no_such_section(project):
    broken_project(project)
    made, _planned, _folders = render(project, broken=False)
    assert "Product folders with problems" not in made.index.read_text(encoding="utf-8")


def test_a_broken_folder_appearing_or_changing_renders_the_preview_again(project, monkeypatch):
    broken_project(project)
    render(project, broken=False)
    made, _planned, _folders = render(project)
    assert "Product folders with problems" in made.index.read_text(encoding="utf-8")
    before = made.index.stat().st_mtime_ns

    def fail(*args, **kwargs):
        raise AssertionError("rendered again")

    real = preview.contact_sheet
    monkeypatch.setattr(preview, "contact_sheet", fail)
    again, _planned, _folders = render(project)  # the same broken folders: the files are kept
    assert again.index.stat().st_mtime_ns == before
    (project.posts / "keben-salah" / "post.yaml").write_text("title: Keben\ncaption: Anyaman.\nwarna: 5\n")
    with pytest.raises(AssertionError, match="rendered again"):  # a changed problem is not kept from the page
        render(project)
    monkeypatch.setattr(preview, "contact_sheet", real)
    fixed, _planned, _folders = render(project)
    assert "warna" in fixed.index.read_text(encoding="utf-8")


def test_the_contact_sheet_counts_and_names_the_broken_folders(project, monkeypatch):
    broken_project(project)
    calls = []

    def spy(tiles, path, notes=()):
        calls.append((tiles, list(notes)))
        return contact_sheet(tiles, path, notes=notes)

    monkeypatch.setattr(preview, "contact_sheet", spy)
    made, _planned, _folders = render(project, out=project.root / "with")
    (_tiles, notes), = calls
    assert notes[0] == "Product folders with problems: 2; they are not on this sheet (see `sokasi-post check`)"
    assert any(note.startswith("keben-salah: ") for note in notes)
    assert any(note.startswith("sokasi-kosong: ") for note in notes)
    plain, _planned, _folders = render(project, broken=False, out=project.root / "without")
    with Image.open(made.sheet) as with_notes, Image.open(plain.sheet) as without:
        assert with_notes.height > without.height  # the lines above the tiles are really drawn
        assert with_notes.width == without.width <= 1000
    assert made.sheet.stat().st_size < 1_000_000


def test_only_broken_folders_still_give_a_sheet_that_says_so(project):
    project.product("sokasi-kosong", "title: Sokasi kosong\ncaption: Anyaman.\n", photos=())
    made, planned, _folders = render(project)
    assert not planned.posts
    assert made.sheet.is_file()
    assert 'href="preview.png"' in made.index.read_text(encoding="utf-8")


def test_the_sheet_labels_a_draft_with_its_price_and_maker(project):
    broken_project(project)
    _made, planned, _folders = render(project)
    draft = next(post for post in planned.posts if post.product.slug == "keben-draf")
    banner, lines = sheet_label(draft, None)
    assert banner == "DRAFT"
    assert "Rp 150.000 · I Made Budiasa" in lines
    assert any(line.startswith("DRAFT: not posted") for line in lines)
    ready = next(post for post in planned.posts if post.product.slug == "sokasi-baik")
    banner, lines = sheet_label(ready, None)
    assert banner is None
    assert "Rp 150.000 · Ni Ketut Sari" in lines
    assert lines[-1] == "not posted yet"
    set_language("id")
    banner, lines = sheet_label(draft, None)
    assert banner == "DRAF"
    assert any(line.startswith("DRAF: tidak diposting") for line in lines)


def test_the_sheet_labels_a_blocked_post_and_one_without_price(project):
    project.product("sokasi-murah", "title: Sokasi murah\ncaption: Anyaman.\n")
    project.product("sokasi-panjang", "title: Sokasi panjang\ncaption: " + "kata " * 500 + "\nprice: 90000\n")
    settings = load_settings(project.config)
    planned = plan(load_catalog(settings).products, settings)
    no_price = next(post for post in planned.posts if post.product.slug == "sokasi-murah")
    assert sheet_label(no_price, None)[1][1] == "no price"
    blocked = next(post for post in planned.posts if post.product.slug == "sokasi-panjang" and post.blocked)
    banner, lines = sheet_label(blocked, None)
    assert banner == "BLOCKED"
    assert f"BLOCKED: {blocked.problems[0].message}" in lines


def test_the_sheet_passed_to_contact_sheet_carries_the_labels(project, monkeypatch):
    broken_project(project)
    calls = []
    monkeypatch.setattr(preview, "contact_sheet", lambda tiles, path, notes=(): calls.append(tiles) or path)
    render(project, broken=False)
    (tiles,) = calls
    drafts = [(banner, lines) for _photo, banner, lines in tiles if banner == "DRAFT"]
    assert len(drafts) == 2  # the draft's Facebook and Instagram posts
    assert all("Rp 150.000 · I Made Budiasa" in lines for _banner, lines in drafts)


def test_a_banner_is_drawn_across_the_photo(tmp_path):
    photo = tmp_path / "a.jpg"
    photo.write_bytes(jpeg_bytes((300, 300), (255, 255, 255)))
    plain = contact_sheet([(photo, None, ["Sokasi"])], tmp_path / "plain.png")
    marked = contact_sheet([(photo, "DRAFT", ["Sokasi"])], tmp_path / "marked.png")
    with Image.open(plain) as without, Image.open(marked) as with_banner:
        assert with_banner.size == without.size
        red, green, blue = with_banner.convert("RGB").getpixel((20, 16))
        assert red > 150 and green < 60 and blue < 80
        # The white photo, with no band (the 256-colour palette may move white by a few steps).
        assert min(without.convert("RGB").getpixel((20, 16))) >= 240


def test_ledger_states_are_words_in_both_languages(project):
    project.good("sokasi-a")
    project.good("sokasi-b")
    settings = load_settings(project.config)
    planned = plan(load_catalog(settings).products, settings)
    ledger = Ledger.open(settings.state_dir)
    for post in planned.posts:
        ledger.begin(post.product.slug, post.platform, fingerprint(post))  # in_flight: sending began
    ledger.settle("sokasi-b", "facebook", State.FAILED, "the photo is too small")
    ledger.close()
    page = render_preview(planned, settings, project.root / "en", NOW).index.read_text(encoding="utf-8")
    assert "in_flight" not in page
    assert "sending not finished: the next run looks on the platform first" in page
    assert ">refused<" in page and "Last try: the photo is too small" in page
    set_language("id")
    page = render_preview(planned, settings, project.root / "id", NOW).index.read_text(encoding="utf-8")
    assert "in_flight" not in page and ">failed<" not in page
    assert _("sending not finished: the next run looks on the platform first") in page
    assert "pengiriman belum selesai" in page and ">ditolak<" in page


def test_every_ledger_state_has_words():
    states = tuple(State)
    words = [phrase_for(state) for state in states]
    assert len(set(words)) == len(states) == 6
    assert not set(words) & set(states) - {"scheduled"}  # "scheduled" is already a word
    set_language("id")
    assert not {phrase_for(state) for state in states} & set(states)


def test_the_sheet_writes_dashes_and_arrows_in_characters_its_font_has():
    from PIL import Image, ImageDraw, ImageFont

    from sokasi_post.media import _wrap

    draw = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    [line] = _wrap(draw, "price: 150.000 — the dot… a → b “x”", ImageFont.load_default(size=15), 2000)
    assert line == 'price: 150.000 - the dot... a -> b "x"'
