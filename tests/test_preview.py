"""The preview pack: one card per product and platform with the exact photos and captions, escaped, offline."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PIL import Image

from sokasi_post.catalog import load_catalog
from sokasi_post.config import load_settings
from sokasi_post.ledger import Ledger
from sokasi_post.models import Receipt
from sokasi_post.preview import render_preview
from sokasi_post.publishing import fingerprint, plan
from tests.conftest import small_sample_photo

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


class Page(HTMLParser):
    """The parts of index.html the tests look at."""

    def __init__(self, text: str):
        super().__init__()
        self.images, self.cards, self.scripts, self.stylesheets = [], [], 0, 0
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            self.images.append(attrs["src"])
        if tag == "div" and "card" in (attrs.get("class") or "").split():
            self.cards.append(attrs["data-platform"])
        self.scripts += tag == "script"
        self.stylesheets += tag == "link"


@pytest.fixture
def sample(tmp_path, monkeypatch):
    """The bundled sample, its photos a third of their size (shrunk once per process): the page is looked at here,
    not the photos' pixels, and preparing the full-size ones again in every test took a third of this file's time."""
    shutil.copytree(ROOT / "posts", tmp_path / "posts")
    for photo in (tmp_path / "posts").rglob("*.jpg"):
        photo.write_bytes(small_sample_photo(photo.relative_to(tmp_path)))
    shutil.copy(ROOT / "config.yaml", tmp_path / "config.yaml")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def render(root: Path, out: Path | None = None, now: datetime = NOW):
    settings = load_settings(root / "config.yaml")
    planned = plan(load_catalog(settings).products, settings)
    return render_preview(planned, settings, out or settings.state_dir / "preview", now), planned, settings


def test_every_product_and_platform_has_a_card_and_every_image_exists(sample):
    made, planned, _ = render(sample)
    text = made.index.read_text(encoding="utf-8")
    page = Page(text)
    assert sorted(page.cards) == sorted(post.platform for post in planned.posts)
    for post in planned.posts:
        assert f'data-slug="{post.product.slug}"' in text
    assert page.images
    for src in page.images:
        assert not src.startswith(("http:", "https:", "/")), src
        assert (made.index.parent / src).is_file(), src
    assert (page.scripts, page.stylesheets) == (0, 0)  # no JavaScript, nothing fetched from the internet
    assert "Rp 175.000" in text
    # the exact prepared photos: byte for byte what publish sends
    post = next(p for p in planned.posts if p.product.slug == "sokasi-bundar-poleng" and p.platform == "instagram")
    for number, photo in enumerate(post.prepared, start=1):
        assert (made.index.parent / "sokasi-bundar-poleng" / f"instagram-{number:02d}.jpg").read_bytes() == photo.path.read_bytes()


def test_untrusted_text_is_escaped(sample):
    folder = sample / "posts" / "sokasi-jahat"
    folder.mkdir()
    shutil.copy(sample / "posts" / "sokasi-polos-kecil" / "sokasi.jpg", folder / "a.jpg")
    (folder / "post.yaml").write_text('title: "<b>Sokasi</b>"\ncaption: "<script>alert(1)</script> & <img src=x>"\n'
                                      'maker: "Made <i>"\n', encoding="utf-8")
    made, _, _ = render(sample)
    text = made.index.read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;img src=x&gt;" in text
    assert "&lt;b&gt;Sokasi&lt;/b&gt;" in text and "Made &lt;i&gt;" in text
    assert Page(text).scripts == 0


def test_warnings_say_what_to_check(sample):
    folder = sample / "posts" / "sokasi-lebar"
    folder.mkdir()
    Image.new("RGB", (4000, 1000), (200, 160, 100)).save(folder / "a.jpg")
    (folder / "post.yaml").write_text("title: Sokasi lebar\ncaption: " + "kata " * 400 + "\n", encoding="utf-8")
    made, _, _ = render(sample)
    text = made.index.read_text(encoding="utf-8")
    card = text.split('data-slug="sokasi-lebar"')[1].split("</article>")[0]
    assert "No price: buyers will have to ask" in card
    assert "the crop removes 52% of it" in card
    assert "The caption is near the limit: 2," in card
    draft = text.split('data-slug="keben-tutup-tinggi"')[1].split("</article>")[0]
    assert "Draft: it will not be posted" in draft
    assert "Scheduled: not before Saturday, 5 December 2026 09:00 WITA" in draft


def test_the_grid_puts_the_next_post_first_then_what_is_already_posted(sample):
    settings = load_settings(sample / "config.yaml")
    planned = plan(load_catalog(settings).products, settings)
    ledger = Ledger.open(settings.state_dir)
    posted = next(p for p in planned.posts if p.product.slug == "sokasi-polos-kecil" and p.platform == "instagram")
    ledger.begin("sokasi-polos-kecil", "instagram", fingerprint(posted))
    ledger.succeed("sokasi-polos-kecil", "instagram", Receipt("instagram", "1_2", "https://www.instagram.com/p/ABC/", NOW))
    ledger.close()
    made = render_preview(planned, settings, settings.state_dir / "preview", NOW)
    grid = made.index.read_text(encoding="utf-8").split('<div class="grid">')[1].split("</div>")[0]
    tiles = re.findall(r'href="#([^"]+)"', grid)
    assert tiles == ["sokasi-bundar-poleng", "sokasi-polos-kecil"]  # the draft is left out
    assert grid.count('class="new"') == 1


def test_the_contact_sheet_is_a_small_png(sample):
    made, planned, _ = render(sample)
    with Image.open(made.sheet) as sheet:
        assert sheet.format == "PNG"
        assert sheet.width <= 1000
    assert made.sheet.stat().st_size < 1_000_000


def test_a_new_preview_replaces_the_old_but_leaves_other_files_alone(sample, tmp_path):
    out = tmp_path / "untuk-grup"
    out.mkdir()  # empty: the preview may write here, and marks the folder as its own
    render(sample, out)
    (out / "catatan.txt").write_text("jangan dihapus")
    shutil.rmtree(sample / "posts" / "sokasi-polos-kecil")
    render(sample, out)
    assert (out / "catatan.txt").read_text() == "jangan dihapus"
    assert not (out / "sokasi-polos-kecil").exists()
    assert (out / "sokasi-bundar-poleng" / "instagram-03.jpg").exists()


def test_dry_run_renders_the_preview_and_says_where(project):
    project.good("sokasi-a")
    result = project.run("publish", "--dry-run")
    assert "Preview with the photos as they will look: .sokasi-post/preview/index.html" in result.stderr
    assert (project.root / ".sokasi-post" / "preview" / "sokasi-a" / "instagram-01.jpg").is_file()


def test_preview_command_writes_the_pack(project):
    project.good("sokasi-a")
    result = project.run("preview", "--out", "pratinjau")
    assert result.exit_code == 0, result.output
    assert result.stdout == "pratinjau/index.html\n"
    assert (project.root / "pratinjau" / "preview.png").is_file()


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.mark.skipif(not CHROMIUM and not os.environ.get("SOKASI_POST_REQUIRE_BROWSER"),
                    reason="Debian's chromium is not installed (.ci/run installs it)")
def test_the_page_loads_every_image_in_a_real_browser_without_console_errors(sample, tmp_path):
    assert CHROMIUM, "chromium is required here (SOKASI_POST_REQUIRE_BROWSER is set)"
    made, planned, _ = render(sample)
    # A copy with a probe script: the page itself has none. It writes how many images really loaded into the DOM.
    probe = made.index.with_name("probe.html")
    probe.write_text(made.index.read_text(encoding="utf-8").replace("</body>", (
        "<script>window.addEventListener('load', () => {const all = [...document.images];"
        "document.body.dataset.loaded = all.filter(i => i.complete && i.naturalWidth > 0).length + '/' + all.length;});"
        "</script></body>")), encoding="utf-8")
    profile = tmp_path / "chromium-profile"
    dom = subprocess.run([CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0",
                          "--virtual-time-budget=5000", "--dump-dom", probe.as_uri()],
                         capture_output=True, text=True, timeout=120)
    loaded = re.search(r'data-loaded="(\d+)/(\d+)"', dom.stdout)
    assert loaded, dom.stderr[-2000:]
    assert loaded.group(1) == loaded.group(2) == str(len(Page(made.index.read_text(encoding="utf-8")).images))
    console = [line for line in dom.stderr.splitlines() if "CONSOLE" in line or "ERR_FILE_NOT_FOUND" in line]
    assert console == []
    shot = tmp_path / "preview.png"
    subprocess.run([CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--window-size=412,1800", "--hide-scrollbars",
                    f"--screenshot={shot}", made.index.as_uri()], capture_output=True, timeout=120)
    assert shot.stat().st_size > 10_000


def test_an_unchanged_catalogue_is_not_rendered_again(sample, monkeypatch):
    import sokasi_post.preview as preview

    first, _, _ = render(sample)
    before = first.index.stat().st_mtime_ns

    def fail(*args, **kwargs):
        raise AssertionError("rendered again")

    monkeypatch.setattr(preview, "contact_sheet", fail)
    again, _, _ = render(sample)
    assert again.index.stat().st_mtime_ns == before
    post_yaml = sample / "posts" / "sokasi-polos-kecil" / "post.yaml"
    post_yaml.write_text(post_yaml.read_text().replace("Sokasi kecil", "Sokasi mungil"))
    with pytest.raises(AssertionError, match="rendered again"):
        render(sample)


def test_the_page_speaks_the_users_language(sample):
    from sokasi_post.i18n import _, set_language

    set_language("id")
    made, _planned, _settings = render(sample)
    text = made.index.read_text(encoding="utf-8")
    assert '<html lang="id">' in text
    assert f"<h1>{_('Preview of the next posts')}</h1>" in text
    assert "Preview of the next posts" not in text
    assert "Sabtu, 28 November 2026" in text
