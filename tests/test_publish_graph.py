"""`sokasi-post publish` with Instagram through Meta's official API, end to end.

The real facebook-sdk code talks to FakeGraph (tests/fakegraph.py), which fetches every photo over HTTP from the
shop-window site each run builds, served by FakeSite (tests/fakesite.py); nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from sokasi_post import publishing
from sokasi_post.catalog import load_catalog
from sokasi_post.cli import cli
from sokasi_post.config import load_settings
from sokasi_post.ledger import Ledger
from sokasi_post.models import Receipt
from tests.conftest import small_sample_photo
from tests.fakegraph import FakeGraph
from tests.fakesite import FakeSite

ROOT = Path(__file__).resolve().parent.parent
PAGE = "109284736150294"
CANARY = "EAACANARYtokenDoNotLeak0123456789abcdefXYZ"


class Shop:
    """The bundled sample (photos a third of their size, one product tagged with its maker's account), posting on the
    Page and on Instagram through the official API."""

    def __init__(self, root: Path, graph: FakeGraph, site: FakeSite, monkeypatch: pytest.MonkeyPatch):
        self.root, self.graph, self.site = root, graph, site
        shutil.copytree(ROOT / "posts", root / "posts")
        for photo in (root / "posts").rglob("*.jpg"):
            photo.write_bytes(small_sample_photo(photo.relative_to(root)))
        post = root / "posts" / "sokasi-bundar-poleng" / "post.yaml"
        post.write_text(post.read_text(encoding="utf-8") + "maker_instagram: ketut.sari.anyaman\n", encoding="utf-8")
        text = (ROOT / "config.yaml").read_text(encoding="utf-8")
        text = text.replace('"123456789012345"', f'"{PAGE}"').replace('"+62 812-3456-7890"', '"+62 813-3791-2468"')
        text = text.replace("  api_version: v25.0", f"  api_version: v25.0\n  graph_url: {graph.url}")
        text = text.replace("instagram:\n", f'instagram:\n  backend: graph\n  user_id: "{graph.ig_user_id}"\n')
        text += f"\nsite:\n  base_url: {site.url}\n"
        self.config = root / "config.yaml"
        self.config.write_text(text, encoding="utf-8")
        monkeypatch.setattr(publishing, "sleep", lambda seconds: None)
        monkeypatch.setenv("FACEBOOK_PAGE_TOKEN", graph.page_token)
        monkeypatch.chdir(root)

    def run(self, *args: str):
        return CliRunner().invoke(cli, ["--config", str(self.config), *args])

    def planned(self, slug: str):
        settings = load_settings(self.config)
        products = tuple(p for p in load_catalog(settings).products if p.slug == slug)
        return next(p for p in publishing.plan(products, settings).posts if p.platform == "instagram")


@pytest.fixture
def shop(tmp_path, monkeypatch):
    with FakeGraph(page_id=PAGE, ig_scopes=True) as graph, FakeSite(tmp_path / "site") as site:
        yield Shop(tmp_path, graph, site, monkeypatch)


def dry_run_posts(output: str) -> dict[str, dict]:
    """What `publish --dry-run` showed for each Instagram post: the photo addresses in order, and the caption."""
    posts = {}
    for block in re.split(r"(?m)^== ", output)[1:]:
        head, _, body = block.partition("\n")
        slug, platform = head.removesuffix(" ==").split(" → ")
        if platform != "Instagram":
            continue
        caption = body.split(" characters):\n", 1)[1].split("\n\n== ")[0]
        posts[slug] = {"urls": re.findall(r"Instagram fetches it from: (\S+)", body),
                       "caption": "\n".join(line[4:] for line in caption.rstrip("\n").splitlines())}
    return posts


def test_publish_through_the_official_api_posts_what_the_dry_run_showed(shop):
    dry = shop.run("publish", "--dry-run")
    assert dry.exit_code == 0, dry.output
    shown = dry_run_posts(dry.stdout)
    assert set(shown) == {"keben-tutup-tinggi", "sokasi-bundar-poleng", "sokasi-polos-kecil"}
    assert shop.graph.ig_containers == {}  # the dry run sent nothing

    result = shop.run("publish")
    assert result.exit_code == 0, result.output
    media = {item.caption.splitlines()[0]: item for item in shop.graph.ig_media}
    assert set(media) == {"Sokasi bundar motif poleng", "Sokasi polos kecil"}  # the draft stays home
    for slug, title in (("sokasi-bundar-poleng", "Sokasi bundar motif poleng"), ("sokasi-polos-kecil", "Sokasi polos kecil")):
        item, post = media[title], shop.planned(slug)
        assert item.caption == shown[slug]["caption"] == post.caption
        # The bytes Meta fetched, in the post's order, are the files the dry run named, which are the prepared photos.
        assert len(shown[slug]["urls"]) == len(post.prepared) == len(item.images)
        for url, image, photo in zip(shown[slug]["urls"], item.images, post.prepared, strict=True):
            assert (shop.root / "site" / url.removeprefix(shop.site.url)).read_bytes() == image == photo.path.read_bytes()
        assert item.alt_texts == [post.product.alt.get(photo.source.name) for photo in post.prepared]
    carousel = media["Sokasi bundar motif poleng"]
    assert carousel.media_type == "CAROUSEL_ALBUM"
    assert [[tag["username"] for tag in tags] for tags in carousel.user_tags] == [["ketut.sari.anyaman"]] * 3
    assert media["Sokasi polos kecil"].media_type == "IMAGE"
    assert len([post for post in shop.graph.posts if post.published]) == 2  # Facebook went out as before

    rows = json.loads(shop.run("status", "--json").stdout)
    assert {(row["slug"], row["via"]) for row in rows if row["platform"] == "instagram" and row["state"] == "published"} == {
        ("sokasi-bundar-poleng", "graph"), ("sokasi-polos-kecil", "graph")}
    assert "instagram (graph)" in shop.run("status").stdout
    again = shop.run("publish")
    assert again.exit_code == 0 and len(shop.graph.ig_media) == 2  # a second run sends nothing


def test_photos_that_are_not_online_hold_the_post_back_and_nothing_is_sent(shop):
    shop.site.down = True
    result = shop.run("publish", "--platform", "instagram")
    assert result.exit_code == 1, result.output
    lines = [line for line in result.stdout.splitlines() if "→ Instagram" in line and "draft" not in line]
    assert len(lines) == 2 and all("site" in line for line in lines), lines
    assert shop.graph.ig_containers == {} and shop.graph.ig_media == []
    shop.site.down = False
    result = shop.run("publish", "--platform", "instagram")
    assert result.exit_code == 0, result.output
    assert len(shop.graph.ig_media) == 2


def test_a_photo_online_with_other_bytes_holds_the_post_back(shop):
    """The site online is an older copy whose photo differs from the one publish prepared: Meta would fetch the wrong
    picture, so nothing is sent."""
    shop.run("site")
    online = shop.root / "online"
    shutil.copytree(shop.root / "site", online)
    for photo in (online / "ig").iterdir():
        photo.write_bytes(photo.read_bytes()[:-100])  # same address, other bytes
    with FakeSite(online) as old_site:
        shop.config.write_text(shop.config.read_text(encoding="utf-8").replace(shop.site.url, old_site.url), encoding="utf-8")
        result = shop.run("publish", "--platform", "instagram", "sokasi-polos-kecil")
    assert result.exit_code == 1, result.output
    assert shop.graph.ig_containers == {}  # nothing was sent


def test_doctor_reports_the_account_the_permissions_the_quota_and_a_photo_fetched_from_outside(shop, monkeypatch):
    monkeypatch.setenv("FACEBOOK_APP_ID", shop.graph.app_id)
    monkeypatch.setenv("FACEBOOK_APP_SECRET", shop.graph.app_secret)
    shop.run("site")
    shop.graph.ig_quota_total = 25
    result = shop.run("doctor")
    lines = [line for line in result.stdout.splitlines() if "Instagram:" in line]
    user = shop.graph.ig_user_id
    assert f"[ok] Instagram: @sokasi.tigawasa (account {user}, through Meta's official API)" in lines
    assert f"[ok] Instagram: account: {user} is the professional account linked to the Page {PAGE}" in lines
    assert any(line.startswith("[ok] Instagram: permissions: instagram_basic, instagram_content_publish, "
                               "pages_read_engagement") for line in lines), lines
    assert "[ok] Instagram: publishing limit: 0 of 25 posts in the last 24 hours" in lines  # read, not assumed
    assert any(line.startswith(f"[ok] Instagram: photo host: {shop.site.url}ig/") for line in lines), lines
    assert shop.graph.page_token not in result.output and shop.graph.app_secret not in result.output

    shop.graph.add_token(shop.graph.page_token, scopes=["pages_manage_posts", "pages_read_engagement", "pages_show_list"])
    lines = [line for line in shop.run("doctor").stdout.splitlines() if "Instagram:" in line]
    assert len(lines) == 1 and lines[0].startswith("[!!] Instagram: Instagram said: (#10)"), lines  # the account unread
    assert ("the token in FACEBOOK_PAGE_TOKEN may not publish on the Instagram account: it needs instagram_basic, "
            "instagram_content_publish and pages_read_engagement") in lines[0]


def test_switching_backends_never_posts_a_product_twice(shop):
    settings = load_settings(shop.config)
    with Ledger.open(settings.state_dir) as ledger:  # posted earlier through instagrapi
        ledger.begin("sokasi-polos-kecil", "instagram", publishing.fingerprint(shop.planned("sokasi-polos-kecil")))
        ledger.succeed("sokasi-polos-kecil", "instagram", Receipt("instagram", "3011_1", "https://www.instagram.com/p/A/",
                                                                   datetime.now(UTC), via="instagrapi"))
    result = shop.run("publish", "--platform", "instagram")
    assert result.exit_code == 0, result.output
    assert [item.caption.splitlines()[0] for item in shop.graph.ig_media] == ["Sokasi bundar motif poleng"]
    status = shop.run("status").stdout
    assert "instagram (instagrapi)" in status and "instagram (graph)" in status


def test_no_secret_reaches_the_output_or_the_state_folder(shop, monkeypatch):
    monkeypatch.setenv("FACEBOOK_PAGE_TOKEN", CANARY)
    shop.graph.add_token(CANARY, scopes=["pages_manage_posts", "pages_read_engagement", "pages_show_list",
                                         "instagram_basic", "instagram_content_publish"])
    result = shop.run("-v", "publish")
    assert CANARY not in result.output
    for path in (shop.root / ".sokasi-post").rglob("*"):
        if path.is_file():
            assert CANARY.encode() not in path.read_bytes(), path
