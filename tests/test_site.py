"""The shop-window site: what it shows and hides, its escaping and links, and that it rewrites only what changed."""

from __future__ import annotations

import functools
import io
import json
import re
import shutil
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from PIL import Image

from sokasi_post.catalog import load_catalog
from sokasi_post.config import load_settings
from sokasi_post.errors import UsageError
from sokasi_post.site import MANIFEST, build_site

ROOT = Path(__file__).resolve().parent.parent
BASE = "https://tigawasa.github.io/sokasi/"
SITE = f"""
site:
  base_url: {BASE}
  name: Sokasi Tigawasa
  about: Anyaman bambu dari Desa Tigawasa.
"""


class Page(HTMLParser):
    """Every tag of a page with its attributes, and its text."""

    def __init__(self, text: str):
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {name: value or "" for name, value in attrs}))

    def handle_data(self, data):
        if data.strip():
            self.text.append(data.strip())

    def all(self, tag: str) -> list[dict[str, str]]:
        return [attrs for name, attrs in self.tags if name == tag]

    def meta(self, key: str) -> str | None:
        return next((attrs["content"] for attrs in self.all("meta")
                     if attrs.get("property") == key or attrs.get("name") == key), None)

    def addresses(self) -> list[str]:
        """Every address the page names: href, src and each srcset candidate."""
        found = [attrs[key] for _tag, attrs in self.tags for key in ("href", "src") if key in attrs]
        found += [part.split()[0] for _tag, attrs in self.tags if "srcset" in attrs for part in attrs["srcset"].split(",")]
        return found


@functools.cache
def _small(relative: Path) -> bytes:
    """A sample photo at a third of its size: these tests look at pages and files, not at photos."""
    with Image.open(ROOT / relative) as image:
        small = image.resize((image.width // 3, image.height // 3))
    buffer = io.BytesIO()
    small.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


@pytest.fixture
def shop(tmp_path, monkeypatch):
    """The sample catalogue in tmp_path (photos a third of their size) with a site section in its config."""
    shutil.copytree(ROOT / "posts", tmp_path / "posts")
    for photo in (tmp_path / "posts").rglob("*.jpg"):
        photo.write_bytes(_small(photo.relative_to(tmp_path)))
    (tmp_path / "config.yaml").write_text((ROOT / "config.yaml").read_text(encoding="utf-8") + SITE, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def build(root: Path, out: Path | None = None, first_posted: dict | None = None):
    settings = load_settings(root / "config.yaml")
    products = load_catalog(settings).products
    return build_site(products, settings, out or root / "site", first_posted=first_posted or {})


def read(root: Path, page: str) -> str:
    return (root / "site" / page).read_text(encoding="utf-8")


def edit(root: Path, slug: str, old: str, new: str) -> None:
    post = root / "posts" / slug / "post.yaml"
    text = post.read_text(encoding="utf-8")
    assert old in text
    post.write_text(text.replace(old, new), encoding="utf-8")


def set_status(root: Path, slug: str, status: str) -> None:
    post = root / "posts" / slug / "post.yaml"
    text = re.sub(r"(?m)^status:.*\n", "", post.read_text(encoding="utf-8"))
    post.write_text(text + f"status: {status}\n", encoding="utf-8")


def cards(text: str) -> list[str]:
    return re.findall(r'<li class="card"><a class="look" href="products/([a-z0-9-]+)\.html"', text)


def test_the_index_shows_every_available_product_newest_first_and_never_a_draft(shop):
    build(shop, first_posted={"sokasi-polos-kecil": datetime(2026, 11, 1, tzinfo=UTC),
                              "sokasi-bundar-poleng": datetime(2026, 11, 20, tzinfo=UTC)})
    index = read(shop, "index.html")
    assert cards(index) == ["sokasi-bundar-poleng", "sokasi-polos-kecil"]
    assert "keben-tutup-tinggi" not in index  # a draft
    assert not (shop / "site" / "products" / "keben-tutup-tinggi.html").exists()
    text = Page(index).text
    assert "Rp 175.000" in text and "Rp 85.000" in text and "Ni Ketut Sari" in text
    assert "Anyaman bambu dari Desa Tigawasa." in text


def test_a_product_never_posted_comes_first_and_equal_times_go_by_name(shop):
    set_status(shop, "keben-tutup-tinggi", "ready")
    same = datetime(2026, 11, 20, tzinfo=UTC)
    build(shop, first_posted={"sokasi-polos-kecil": same, "sokasi-bundar-poleng": same})
    assert cards(read(shop, "index.html")) == ["keben-tutup-tinggi", "sokasi-bundar-poleng", "sokasi-polos-kecil"]


def test_the_index_lists_the_makers_each_linking_to_their_page_with_their_work(shop):
    build(shop)
    page = Page(read(shop, "index.html"))
    makers = [attrs["href"] for attrs in page.all("a") if attrs.get("href", "").startswith("makers/")]
    assert "makers/ni-ketut-sari.html" in makers and "makers/i-made-budiasa.html" in makers
    maker = read(shop, "makers/ni-ketut-sari.html")
    assert cards(maker.replace('href="../products/', 'href="products/')) == ["sokasi-bundar-poleng"]
    assert "<h1>Ni Ketut Sari</h1>" in maker


def test_a_sold_product_keeps_its_page_with_a_badge_and_leaves_the_index(shop):
    set_status(shop, "sokasi-polos-kecil", "sold")
    build(shop)
    assert cards(read(shop, "index.html")) == ["sokasi-bundar-poleng"]
    page = read(shop, "products/sokasi-polos-kecil.html")
    assert '<span class="badge">Terjual</span>' in page
    assert "Pesan lewat WhatsApp" not in page and "Tanya karya serupa lewat WhatsApp" in page
    assert Page(page).meta("product:price:amount") is None  # a sold piece offers no price to a link preview
    assert '<span class="badge">Sold</span>' in read(shop, "en/products/sokasi-polos-kecil.html")
    maker = read(shop, "makers/i-made-budiasa.html")
    assert maker.index("<h2>Sudah terjual</h2>") < maker.index("sokasi-polos-kecil.html")
    assert '"sokasi-polos-kecil",' in read(shop, "feed.csv") and '"out of stock"' in read(shop, "feed.csv")


def test_the_whatsapp_button_names_the_product_and_its_page(shop):
    build(shop)
    for page, address in (("products/sokasi-bundar-poleng.html", f"{BASE}products/sokasi-bundar-poleng.html"),
                          ("en/products/sokasi-bundar-poleng.html", f"{BASE}en/products/sokasi-bundar-poleng.html")):
        buttons = [attrs["href"] for attrs in Page(read(shop, page)).all("a") if attrs.get("class") == "order"]
        assert buttons, page
        parts = urlsplit(buttons[0])
        assert (parts.scheme, parts.netloc, parts.path) == ("https", "wa.me", "/6281234567890")
        assert unquote(parts.query.removeprefix("text=")) == (
            f"Halo, saya tertarik dengan Sokasi bundar motif poleng.\n{address}")
    assert "Order on WhatsApp" in read(shop, "en/products/sokasi-bundar-poleng.html")


def test_hostile_text_is_escaped_everywhere(shop):
    folder = shop / "posts" / "sokasi-jahat"
    folder.mkdir()
    shutil.copy(shop / "posts" / "sokasi-polos-kecil" / "sokasi.jpg", folder / "a.jpg")
    (folder / "post.yaml").write_text(
        'title: "<script>alert(1)</script>\\" onload=\\"x"\ncaption: "<img src=x onerror=alert(2)> & \'q\'\\nline two"\n'
        "maker: \"Made \\\"><b>\"\nprice: 1000\nalt: {a.jpg: '\" onerror=\"alert(3)'}\n", encoding="utf-8")
    build(shop)
    for path in sorted((shop / "site").rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        page = Page(text)
        assert page.all("script") == [] and "<script>" not in text and "<b>" not in text, path
        assert not [attrs for _tag, attrs in page.tags for name in attrs if name.startswith("on")], path
    product = read(shop, "products/sokasi-jahat.html")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&quot; onload=&quot;x" in product
    assert "&lt;img src=x onerror=alert(2)&gt; &amp; &#x27;q&#x27;<br>\nline two" in product
    assert 'alt="&quot; onerror=&quot;alert(3)"' in product


def test_building_twice_gives_the_same_bytes_and_writes_nothing_the_second_time(shop, tmp_path):
    first = build(shop)
    assert first.written and first.pages == 10 and first.problems == ()
    stamps = {path: path.stat().st_mtime_ns for path in (shop / "site").rglob("*") if path.is_file()}
    again = build(shop)
    assert (again.written, again.removed, again.unchanged) == ((), (), len(first.written))
    assert {path: path.stat().st_mtime_ns for path in (shop / "site").rglob("*") if path.is_file()} == stamps
    build(shop, tmp_path / "elsewhere")
    assert {p.relative_to(shop / "site"): p.read_bytes() for p in (shop / "site").rglob("*") if p.is_file()} == {
        p.relative_to(tmp_path / "elsewhere"): p.read_bytes() for p in (tmp_path / "elsewhere").rglob("*") if p.is_file()}


def test_a_changed_price_rewrites_only_the_pages_that_show_it(shop):
    build(shop)
    edit(shop, "sokasi-polos-kecil", "price: 85000", "price: 90000")
    result = build(shop)
    assert set(result.written) == {"index.html", "en/index.html", "products/sokasi-polos-kecil.html",
                                   "en/products/sokasi-polos-kecil.html", "makers/i-made-budiasa.html",
                                   "en/makers/i-made-budiasa.html", "feed.csv"}
    assert "Rp 90.000" in read(shop, "index.html")


def test_what_the_site_no_longer_needs_is_removed_but_never_a_file_it_did_not_write(shop):
    build(shop)
    (shop / "site" / "CNAME").write_text("toko.example\n")  # the user's own, e.g. for GitHub Pages
    (shop / "site" / "img" / "sokasi-polos-kecil" / "catatan.txt").write_text("jangan dihapus")
    shutil.rmtree(shop / "posts" / "sokasi-polos-kecil")
    result = build(shop)
    assert "products/sokasi-polos-kecil.html" in result.removed and "img/sokasi-polos-kecil/1-360.jpg" in result.removed
    assert "makers/i-made-budiasa.html" in result.removed
    assert not (shop / "site" / "products" / "sokasi-polos-kecil.html").exists()
    assert (shop / "site" / "CNAME").read_text() == "toko.example\n"
    assert (shop / "site" / "img" / "sokasi-polos-kecil" / "catatan.txt").read_text() == "jangan dihapus"
    assert not (shop / "site" / "makers" / "i-made-budiasa.html").exists()
    assert sorted(json.loads((shop / "site" / MANIFEST).read_text())["files"]) == sorted(
        str(p.relative_to(shop / "site")) for p in (shop / "site").rglob("*")
        if p.is_file() and p.name not in (MANIFEST, "CNAME", "catatan.txt"))


def test_a_folder_of_other_files_is_refused_and_left_as_it_is(shop):
    out = shop / "Dokumen"
    out.mkdir()
    (out / "surat.txt").write_text("penting")
    with pytest.raises(UsageError, match=r"Dokumen: this folder has other files in it and was not made by `sokasi-post "
                                         r"site`; nothing was written: choose a new or empty folder"):
        build(shop, out)
    assert [p.name for p in out.iterdir()] == ["surat.txt"]


def test_a_manifest_naming_other_files_never_gets_them_removed(shop):
    build(shop)
    (shop / "keep.txt").write_text("mine")
    (shop / "site" / "notes.html").write_text("mine")
    manifest = shop / "site" / MANIFEST
    data = json.loads(manifest.read_text())
    data["files"].update({"../keep.txt": "x", "notes.html": "y", "../config.yaml": "z"})
    manifest.write_text(json.dumps(data))
    build(shop)
    assert (shop / "keep.txt").exists() and (shop / "site" / "notes.html").exists() and (shop / "config.yaml").exists()


def test_a_file_the_user_changed_after_the_site_wrote_it_is_not_removed(shop):
    build(shop)
    (shop / "site" / "products" / "sokasi-polos-kecil.html").write_text("edited by hand")
    shutil.rmtree(shop / "posts" / "sokasi-polos-kecil")
    result = build(shop)
    assert "products/sokasi-polos-kecil.html" not in result.removed
    assert (shop / "site" / "products" / "sokasi-polos-kecil.html").read_text() == "edited by hand"


def test_no_page_asks_for_anything_from_elsewhere_and_every_link_names_a_file_of_the_site(shop):
    build(shop)
    site = shop / "site"
    for path in sorted(site.rglob("*.html")):
        page = Page(path.read_text(encoding="utf-8"))
        assert [attrs for attrs in page.all("link") if attrs.get("rel") not in ("icon", "canonical")] == [], path
        for address in page.addresses():
            if address.startswith(("https://wa.me/", BASE)) or address == "data:,":
                continue
            assert not urlsplit(address).scheme and not address.startswith("/"), (path, address)
            assert (path.parent / unquote(address)).resolve().is_file(), (path, address)
        assert [a for a in page.addresses() if a.startswith(BASE)] == [page.meta("og:url")], path  # only canonical


def test_every_page_says_its_language_and_links_to_its_twin(shop):
    build(shop)
    site = shop / "site"
    for path in sorted(site.rglob("*.html")):
        relative = path.relative_to(site).as_posix()
        english = relative.startswith("en/")
        page = Page(path.read_text(encoding="utf-8"))
        assert page.all("html")[0]["lang"] == ("en" if english else "id")
        assert page.all("meta")[1] == {"name": "viewport", "content": "width=device-width, initial-scale=1"}
        twin = next(attrs["href"] for attrs in page.all("a") if attrs.get("class") == "lang")
        assert (path.parent / twin).resolve() == site / (relative.removeprefix("en/") if english else f"en/{relative}")


def test_english_is_at_the_root_when_the_config_speaks_english(shop):
    config = shop / "config.yaml"
    config.write_text("language: en\n" + config.read_text(encoding="utf-8"), encoding="utf-8")
    build(shop)
    assert Page(read(shop, "index.html")).all("html")[0]["lang"] == "en"
    assert Page(read(shop, "id/index.html")).all("html")[0]["lang"] == "id"
    assert not (shop / "site" / "en").exists()


def test_every_image_has_alt_text_srcset_sizes_and_only_the_first_ones_load_at_once(shop):
    build(shop)
    product = Page(read(shop, "products/sokasi-bundar-poleng.html"))
    images = product.all("img")
    assert [image["alt"] for image in images] == [
        "Sokasi bundar bertutup dari depan, anyaman bambu hitam dan kuning muda",
        "Tutup sokasi dilihat dari atas, motif kotak-kotak poleng", "Sokasi dari samping di atas meja kayu"]
    assert ["loading" in image for image in images] == [False, True, True]
    for image in images:
        assert image["decoding"] == "async" and image["sizes"] and int(image["width"]) > 0 and int(image["height"]) > 0
        assert re.fullmatch(r"(\.\./img/sokasi-bundar-poleng/\d-\d+\.jpg \d+w)(, \.\./img/[^ ]+ \d+w)*", image["srcset"])
    assert Page(read(shop, "products/sokasi-polos-kecil.html")).all("img")[0]["alt"] == "Sokasi polos kecil"  # no alt: title


def test_link_previews_carry_absolute_addresses_the_price_and_the_photo(shop):
    build(shop)
    page = Page(read(shop, "en/products/sokasi-bundar-poleng.html"))
    assert page.meta("og:url") == f"{BASE}en/products/sokasi-bundar-poleng.html"
    assert page.meta("og:type") == "product"
    assert (page.meta("product:price:amount"), page.meta("product:price:currency")) == ("175000", "IDR")
    image = page.meta("og:image")
    assert image and image.startswith(f"{BASE}img/sokasi-bundar-poleng/1-") and page.meta("twitter:image") == image
    assert (Path.cwd() / "site" / image.removeprefix(BASE)).is_file()
    assert page.meta("twitter:card") == "summary_large_image"
    assert "Rp 175.000" in (page.meta("og:title") or "") and "Ni Ketut Sari" in (page.meta("og:description") or "")


def test_without_a_base_url_there_are_no_absolute_addresses_sitemap_or_feed(shop):
    config = shop / "config.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace(f"  base_url: {BASE}\n", ""), encoding="utf-8")
    result = build(shop)
    assert result.problems == ()  # loading config.yaml warned already (tests/test_shop_window.py), not said twice
    assert "site.base_url: not set" in load_settings(config).warnings[0]
    assert not (shop / "site" / "sitemap.xml").exists() and not (shop / "site" / "feed.csv").exists()
    assert "Sitemap" not in read(shop, "robots.txt")
    page = Page(read(shop, "products/sokasi-polos-kecil.html"))
    assert page.meta("og:url") is None and page.meta("og:image") is None and page.meta("og:title")
    button = next(attrs["href"] for attrs in page.all("a") if attrs.get("class") == "order")
    assert unquote(button.split("text=")[1]) == "Halo, saya tertarik dengan Sokasi polos kecil."


def test_the_sitemap_lists_every_page_in_both_languages_and_robots_lets_meta_in(shop):
    result = build(shop)
    sitemap = read(shop, "sitemap.xml")
    pages = sorted(p.relative_to(shop / "site").as_posix() for p in (shop / "site").rglob("*.html"))
    assert re.findall(r"<loc>([^<]+)</loc>", sitemap) == [BASE + page for page in pages]
    assert len(pages) == result.pages
    robots = read(shop, "robots.txt")
    assert "User-agent: facebookexternalhit\nAllow: /\n" in robots and "User-agent: Facebot\nAllow: /\n" in robots
    assert f"Sitemap: {BASE}sitemap.xml" in robots and "Disallow" not in robots


def test_only_the_makers_the_config_names_are_shown(shop):
    config = shop / "config.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "  makers: [Ni Ketut Sari]\n", encoding="utf-8")
    build(shop)
    assert cards(read(shop, "index.html")) == ["sokasi-bundar-poleng"]
    assert not (shop / "site" / "makers" / "i-made-budiasa.html").exists()
    assert not (shop / "site" / "products" / "sokasi-polos-kecil.html").exists()


def test_a_photo_that_cannot_be_prepared_is_reported_and_its_page_still_builds(shop):
    (shop / "posts" / "sokasi-bundar-poleng" / "2-atas.jpg").write_bytes(b"\xff\xd8\xff not really a photo")
    result = build(shop)
    assert [problem.path.name for problem in result.problems if not problem.warning] == ["2-atas.jpg"]
    images = [image["src"] for image in Page(read(shop, "products/sokasi-bundar-poleng.html")).all("img")]
    assert [src.split("/")[-1].split("-")[0] for src in images] == ["1", "3"]


def test_the_feed_is_written_beside_the_index_and_its_problems_are_reported(shop):
    edit(shop, "sokasi-polos-kecil", "price: 85000\n", "")
    result = build(shop)
    feed = read(shop, "feed.csv")
    assert f'"{BASE}products/sokasi-bundar-poleng.html","{BASE}img/sokasi-bundar-poleng/1-' in feed
    assert "sokasi-polos-kecil" not in feed  # no price: Meta would refuse the row
    assert [problem.message for problem in result.problems if problem.path.name == "feed.csv"] == [
        "sokasi-polos-kecil: no price, so it is left out of the catalogue feed; add one to its post.yaml, e.g. price: 150000"]
    assert "Harga: tanya lewat WhatsApp" in read(shop, "products/sokasi-polos-kecil.html")


def test_without_a_site_section_the_missing_address_is_said_once_by_the_site(shop):
    config = shop / "config.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text[: text.index("site:")], encoding="utf-8")
    assert load_settings(config).site is None
    result = build(shop)
    assert [problem.message.split(":")[0] for problem in result.problems] == ["site.base_url is not set"]


def use_official_instagram(root: Path) -> None:
    config = root / "config.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("instagram:\n", "instagram:\n  backend: graph\n", 1), encoding="utf-8")


def test_with_instagrams_official_api_the_site_carries_each_instagram_photo_byte_for_byte(shop):
    from sokasi_post import publishing
    from sokasi_post.media import public_photo_name

    use_official_instagram(shop)
    set_status(shop, "keben-tutup-tinggi", "sold")
    build(shop)
    settings = load_settings(shop / "config.yaml")
    planned = publishing.plan(load_catalog(settings).products, settings)
    photos = [photo for post in planned.posts if post.platform == "instagram" for photo in post.prepared]
    assert photos and all(post.product.slug != "keben-tutup-tinggi" for post in planned.posts)
    for photo in photos:  # exactly the bytes publish will ask Meta to fetch, at the address it will give
        assert (shop / "site" / public_photo_name(photo.path)).read_bytes() == photo.path.read_bytes()
    hosted = sorted(path.name for path in (shop / "site" / "ig").iterdir())
    assert hosted == sorted({public_photo_name(photo.path).removeprefix("ig/") for photo in photos})  # a sold one's left out


def test_without_the_official_api_the_site_carries_no_instagram_photos(shop):
    build(shop)
    assert not (shop / "site" / "ig").exists()
