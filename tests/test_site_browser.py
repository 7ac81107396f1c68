"""The shop-window site in a real browser (the headless Chromium the preview tests use), at a phone's and a desktop's
width: every image loads, nothing is fetched from elsewhere or missing, nothing scrolls sideways, every link leads to
a file of the site, the WhatsApp button and the link-preview tags are right, and the index's first view is light."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import pytest

from sokasi_post.catalog import load_catalog
from sokasi_post.config import load_settings
from sokasi_post.site import build_site
from tests.test_preview import CHROMIUM, CHROMIUM_FLAGS

ROOT = Path(__file__).resolve().parent.parent
BASE = "https://tigawasa.github.io/sokasi/"
PHONE = (390, 844)  # CSS pixels; the phone is emulated at device pixel ratio 2
DESKTOP = (1280, 900)
FIRST_VIEW_BUDGET = 300_000  # bytes: the index's HTML and the photos it shows before any scrolling, on the phone
# Every page of the sample's site (the keben sold: its page, its maker's page with only sold work), both languages.
PAGES = tuple(f"{language}{page}" for language in ("", "en/") for page in (
    "index.html", "products/sokasi-bundar-poleng.html", "products/sokasi-polos-kecil.html",
    "products/keben-tutup-tinggi.html", "makers/ni-ketut-sari.html", "makers/i-made-budiasa.html",
    "makers/ni-wayan-murni.html"))

# Added to a copy of each page (the pages have no script): once the page has loaded, it notes the width, what
# scrolls, the images seen in the first screen, the links, the button and the tags; then it asks every lazy image
# to load, waits for all of them, and sends it all to the frame around it (HARNESS), which writes it into its DOM
# for --dump-dom to show.
PROBE = """<script>
addEventListener('load', () => {
  const images = [...document.images];
  const out = {width: innerWidth, ratio: devicePixelRatio, scroll: document.documentElement.scrollWidth,
    first: images.map((image, n) => image.loading !== 'lazy' || image.getBoundingClientRect().top < innerHeight ? n : -1)
      .filter(n => n >= 0),
    links: [...document.querySelectorAll('a[href]')].map(a => [a.className, a.href]),
    meta: [...document.querySelectorAll('meta[property], meta[name]')].map(m =>
      [m.getAttribute('property') || m.getAttribute('name'), m.content])};
  images.forEach(image => { image.loading = 'eager'; });
  Promise.all(images.map(image => image.complete ? 0 : new Promise(done => { image.onload = image.onerror = done; })))
    .then(() => {
      out.images = images.map(image => [image.currentSrc, image.naturalWidth]);
      parent.postMessage([location.href, out], '*');
    });
});
</script></body>"""

# Headless Chromium makes no window narrower than 500 pixels, so each page is opened in a frame of exactly the
# width (a frame is a viewport of its own: the page's media queries, `sizes` and innerWidth follow it), in a window
# at device pixel ratio 2, as on a phone. One browser opens every page at both widths, the frames on top of each other
# (all in view: a frame out of view may be left to load later).
HARNESS = """<!doctype html><html><head><script>const seen = {{}};
addEventListener('message', event => {{ seen[event.data[0]] = event.data[1];
  if (Object.keys(seen).length === {count}) document.body.dataset.probe = JSON.stringify(seen); }});</script></head>
<body style="margin:0">
{frames}
</body></html>"""
FRAME = '<iframe src="{page}" width="{width}" height="{height}" style="border:0;position:absolute;top:0;left:0"></iframe>'

pytestmark = pytest.mark.skipif(not CHROMIUM and not os.environ.get("SOKASI_POST_REQUIRE_BROWSER"),
                                reason="Debian's chromium is not installed (.ci/run installs it)")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The sample catalogue (full-size photos) with the keben sold, built once for both widths."""
    root = tmp_path_factory.mktemp("shop")
    shutil.copytree(ROOT / "posts", root / "posts")
    post = root / "posts" / "keben-tutup-tinggi" / "post.yaml"
    post.write_text(post.read_text(encoding="utf-8").replace("status: draft", "status: sold"), encoding="utf-8")
    (root / "config.yaml").write_text((ROOT / "config.yaml").read_text(encoding="utf-8").replace(
        "state_dir: .sokasi-post", f"state_dir: {root / '.sokasi-post'}") + f"\nsite:\n  base_url: {BASE}\n",
        encoding="utf-8")
    settings = load_settings(root / "config.yaml")
    result = build_site(load_catalog(settings).products, settings, root / "site", first_posted={})
    assert result.problems == ()
    assert sorted(PAGES) == sorted(page.relative_to(root / "site").as_posix() for page in (root / "site").rglob("*.html"))
    return root / "site"


def probe(site: Path, sizes: tuple[tuple[int, int], ...], profile: Path) -> dict[tuple[int, int], tuple[dict, list[str]]]:
    """Open a probing copy of every page of PAGES headless at each of `sizes`, in one browser: per size, what the
    probe found per page, and the console's complaints (the browser's, for every page at every size)."""
    copies = {(size, page): (site / page).with_name(f"probe-{size[0]}-{Path(page).name}")
              for size in sizes for page in PAGES}
    for (_size, page), copy in copies.items():
        copy.write_text((site / page).read_text(encoding="utf-8").replace("</body>", PROBE), encoding="utf-8")
    harness = site / "harness.html"
    harness.write_text(HARNESS.format(count=len(copies), frames="\n".join(
        FRAME.format(page=copy.relative_to(site).as_posix(), width=size[0], height=size[1])
        for (size, _page), copy in copies.items())), encoding="utf-8")
    window = f"--window-size={max(max(w for w, _h in sizes), 500) + 20},{max(h for _w, h in sizes) + 20}"
    try:
        run = subprocess.run([CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--enable-logging=stderr",
                              "--v=0", window, "--force-device-scale-factor=2", "--hide-scrollbars",
                              "--virtual-time-budget=20000", "--dump-dom", harness.as_uri()],
                             capture_output=True, text=True, timeout=120)
    finally:
        for copy in [*copies.values(), harness]:
            copy.unlink()
    found = re.search(r'data-probe="([^"]*)"', run.stdout)
    assert found, run.stderr[-2000:]
    console = [line for line in run.stderr.splitlines() if "CONSOLE" in line or "ERR_FILE_NOT_FOUND" in line
               or "Failed to load" in line]
    by_address = json.loads(html.unescape(found.group(1)))
    return {size: ({page: by_address[copies[(size, page)].as_uri()] for page in PAGES}, console) for size in sizes}


def local_file(address: str) -> Path:
    return Path(unquote(urlsplit(address).path))


@pytest.fixture(scope="module")
def seen(site, tmp_path_factory) -> dict[tuple[tuple[int, int], str], tuple[dict, list[str]]]:
    """Every page of PAGES at both widths, in one browser (one start of Chromium costs more than all the pages)."""
    runs = probe(site, (PHONE, DESKTOP), tmp_path_factory.mktemp("profile"))
    return {(size, page): (pages[page], console) for size, (pages, console) in runs.items() for page in pages}


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["390px", "1280px"])
def test_every_image_loads_nothing_is_missing_and_nothing_scrolls_sideways(seen, site, size):
    for page in PAGES:
        found, console = seen[(size, page)]
        assert found["width"] == size[0], page
        assert console == [], page
        assert found["images"] or page.endswith("ni-wayan-murni.html"), page  # her keben's photo: on its own page
        assert [src for src, width in found["images"] if width == 0 or not src.startswith("file:")] == [], page
        assert found["scroll"] <= found["width"], page  # no horizontal scroll


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["390px", "1280px"])
def test_every_link_leads_to_a_file_of_the_site_or_to_whatsapp(seen, site, size):
    for page in PAGES:
        found, _console = seen[(size, page)]
        for kind, address in found["links"]:
            if kind.startswith("order"):
                assert address.startswith("https://wa.me/6281234567890?text="), (page, address)
                continue
            assert address.startswith("file:"), (page, address)
            assert local_file(address).is_file() and local_file(address).is_relative_to(site), (page, address)


def test_the_whatsapp_button_orders_the_product_named_with_its_page(seen):
    found, _console = seen[(PHONE, "en/products/sokasi-bundar-poleng.html")]
    buttons = {address for kind, address in found["links"] if kind == "order"}
    message = (f"Halo, saya tertarik dengan Sokasi bundar motif poleng.\n{BASE}en/products/sokasi-bundar-poleng.html")
    assert buttons == {"https://wa.me/6281234567890?text=" + quote(message, safe="")}
    sold, _console = seen[(PHONE, "products/keben-tutup-tinggi.html")]
    assert [kind for kind, _address in sold["links"] if kind.startswith("order")] == ["order similar"] * 2


def test_link_preview_tags_carry_absolute_addresses_under_the_base_url(seen, site):
    for page in PAGES:
        meta = dict(seen[(DESKTOP, page)][0]["meta"])
        assert meta["og:url"] == BASE + page
        for key in ("og:image", "twitter:image"):
            assert meta[key].startswith(f"{BASE}img/"), (page, key)
            assert (site / meta[key].removeprefix(BASE)).is_file()
        assert meta["og:title"] and meta["og:description"] and meta["twitter:card"] == "summary_large_image"
    product = dict(seen[(DESKTOP, "en/products/sokasi-bundar-poleng.html")][0]["meta"])
    assert (product["og:type"], product["product:price:amount"], product["product:price:currency"]) == (
        "product", "175000", "IDR")


def first_view_bytes(site: Path, found: dict) -> int:
    """The index's HTML plus each photo the browser chose (srcset, at the phone's pixel ratio) for the images that are
    not lazy or are in the first screen: what a phone fetches before any scrolling. The page loads nothing else."""
    photos = {found["images"][n][0] for n in found["first"]}
    return (site / "index.html").stat().st_size + sum(local_file(src).stat().st_size for src in photos)


def test_the_first_view_of_the_index_on_a_phone_is_under_300_kb(seen, site):
    found, _console = seen[(PHONE, "index.html")]
    assert found["ratio"] == 2
    assert found["first"]  # the first products are in view and loaded at once
    assert all(src.endswith("-360.jpg") for src, _width in (found["images"][n] for n in found["first"]))
    assert first_view_bytes(site, found) < FIRST_VIEW_BUDGET


def test_a_product_page_on_a_phone_takes_the_middle_size_not_the_largest(seen):
    found, _console = seen[(PHONE, "products/sokasi-bundar-poleng.html")]
    chosen = [src.rsplit("/", 1)[-1] for src, width in found["images"] if width]
    assert chosen and all(name.endswith("-800.jpg") for name in chosen), chosen
