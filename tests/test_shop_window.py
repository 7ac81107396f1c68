"""The shop window from the coordinator's side: `sold`, the `site` section of config.yaml, `site --publish`, and
`publish` keeping the site current. The pages themselves are tested in test_site.py, the feed in test_feed.py and
the git pushing in test_sitepush.py; here they are used through the commands, against the fakes."""

from __future__ import annotations

import csv
import hashlib
import json
import subprocess
from pathlib import Path

import pytest

from sokasi_post.config import load_settings
from sokasi_post.errors import ConfigError
from tests.fakegraph import FakeGraph
from tests.fakeinstagram import fake_instagram_fixture  # noqa: F401
from tests.test_publish_e2e import SAMPLE_PAGE, Village

BASE = "https://tigawasa.github.io/sokasi/"


@pytest.fixture
def village(tmp_path, fake_instagram, monkeypatch):
    with FakeGraph(page_id=SAMPLE_PAGE) as graph:
        place = Village(tmp_path / "village", graph, fake_instagram, monkeypatch, small_photos=True)
        yield place


def with_site(village, **keys: str) -> Path:
    """The village's config with a site section (base_url and any other keys); returns the site folder."""
    lines = [f"  base_url: {BASE}", *(f"  {key}: {value}" for key, value in keys.items())]
    with village.config.open("a", encoding="utf-8") as config:
        config.write("site:\n" + "\n".join(lines) + "\n")
    return village.root / "site"


def published_titles(village) -> list[str]:
    """The first line of every post out, after the "TERJUAL / SOLD" line a sold product's posts gain."""
    facebook = [post.message for post in village.graph.posts if post.published]
    instagram = [media.caption for media in village.fake.media if not media.deleted]
    return sorted(text.removeprefix("TERJUAL / SOLD\n").splitlines()[0] for text in facebook + instagram)


def digests(folder: Path) -> dict[str, str]:
    return {str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in folder.rglob("*") if path.is_file()}


def test_sold_writes_status_sold_keeping_every_other_line_and_undo_puts_it_back(village):
    post_file = village.root / "posts" / "sokasi-polos-kecil" / "post.yaml"
    before = post_file.read_text(encoding="utf-8")
    result = village.run("sold", "sokasi-polos-kecil")
    assert result.exit_code == 0, result.output
    assert result.stdout == "sokasi-polos-kecil: sold (status: sold)\n"
    after = post_file.read_text(encoding="utf-8")
    assert after.startswith(before.rstrip("\n")) and after.endswith("\nstatus: sold\n")  # comments and all kept
    assert village.run("sold", "sokasi-polos-kecil").stdout == "sokasi-polos-kecil: already sold\n"
    back = village.run("sold", "--undo", "sokasi-polos-kecil")
    assert back.stdout == "sokasi-polos-kecil: back on sale (status: ready)\n"
    assert "status: ready" in post_file.read_text(encoding="utf-8")
    assert load_settings(village.config) is not None


def test_sold_replaces_the_status_line_where_it_is(village):
    post_file = village.root / "posts" / "keben-tutup-tinggi" / "post.yaml"
    assert "status: draft" in post_file.read_text(encoding="utf-8")
    village.run("sold", "keben-tutup-tinggi")
    text = post_file.read_text(encoding="utf-8")
    assert "status: sold" in text and "status: draft" not in text and text.count("status:") == 1


def test_sold_with_an_unknown_name_changes_nothing(village):
    posts = village.root / "posts"
    before = digests(posts)
    result = village.run("sold", "sokasi-polos-kecil", "sokasi-tidak-ada")
    assert result.exit_code == 2
    assert "Traceback" not in result.output and "sokasi-tidak-ada" in result.output
    assert digests(posts) == before


def test_a_sold_product_is_never_posted_and_status_and_check_say_sold(village):
    village.run("sold", "sokasi-polos-kecil")
    result = village.run("publish")
    assert result.exit_code == 0, result.output
    assert published_titles(village) == ["Sokasi bundar motif poleng"] * 2
    rows = json.loads(village.run("status", "--json").stdout)
    assert {row["platform"]: row["state"] for row in rows if row["slug"] == "sokasi-polos-kecil"} == {
        "facebook": "sold", "instagram": "sold"}
    check = village.run("check")
    assert "Sold, never posted again (their pages on the site say so): sokasi-polos-kecil" in check.output


def test_a_product_sold_after_it_was_posted_keeps_its_link_and_is_not_posted_again(village):
    assert village.run("publish").exit_code == 0
    links = {row["platform"]: row["url"] for row in json.loads(village.run("status", "--json").stdout)
             if row["slug"] == "sokasi-polos-kecil"}
    village.run("sold", "sokasi-polos-kecil")
    (village.root / "posts" / "sokasi-polos-kecil" / "post.yaml").open("a", encoding="utf-8").write("price: 99000\n")
    again = village.run("publish", "--repost", "sokasi-polos-kecil")
    assert again.exit_code == 0
    assert again.stdout.startswith("sokasi-polos-kecil: sold, never posted again (`sokasi-post sold --undo")
    assert published_titles(village).count("Sokasi polos kecil") == 2  # once per platform, never again
    marked = [text for text in [post.message for post in village.graph.posts if post.published]
              + [media.caption for media in village.fake.media if not media.deleted] if "Sokasi polos kecil" in text]
    assert len(marked) == 2 and all(text.startswith("TERJUAL / SOLD\nSokasi polos kecil\n") for text in marked)
    assert village.run("publish").exit_code == 0
    facebook = [post.message for post in village.graph.posts if post.published]
    assert sorted(text.count("TERJUAL / SOLD") for text in facebook) == [0, 1]  # once on the sold product's post only
    rows = [row for row in json.loads(village.run("status", "--json").stdout) if row["slug"] == "sokasi-polos-kecil"]
    assert {row["platform"]: (row["state"], row["url"]) for row in rows} == {
        platform: ("sold", url) for platform, url in links.items()}


def test_the_site_section_is_checked_like_every_other_key(village):
    text = village.config.read_text(encoding="utf-8")
    village.config.write_text(text + "site:\n  base_url: tigawasa dot github\n  git_branch: ..x\n  makers: Wayan\n",
                              encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_settings(village.config)
    said = "\n".join(raised.value.problems)
    assert "site.makers: expected a list of makers' names" in said
    village.config.write_text(text + "site:\n  base_url: tigawasa dot github\n  git_branch: ..x\n", encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_settings(village.config)
    said = "\n".join(raised.value.problems)
    assert "site.base_url: expected the site's address" in said and "site.git_branch: expected a branch name" in said


@pytest.mark.parametrize("address", ["https://{token}@github.com/tigawasa/sokasi.git",
                                     "https://tigawasa:{token}@github.com/tigawasa/sokasi.git",
                                     "ssh://git:{token}@github.com/tigawasa/sokasi.git"])
def test_a_token_in_the_git_address_is_refused_without_being_shown(village, address):
    token = "ghp_CANARYtokenDoNotLeak0123456789"
    text = village.config.read_text(encoding="utf-8")
    village.config.write_text(text + f"site:\n  base_url: {BASE}\n  git_remote: {address.format(token=token)}\n",
                              encoding="utf-8")
    for command in (("check",), ("doctor",), ("site", "--publish")):
        result = village.run(*command)
        assert result.exit_code == 2, command
        assert "site.git_remote: holds a password or token" in result.output and token not in result.output


@pytest.mark.parametrize("address", ["git@github.com:tigawasa/sokasi.git", "ssh://git@github.com/tigawasa/sokasi.git"])
def test_an_ssh_address_naming_the_servers_account_is_accepted(village, address):
    with_site(village, git_remote=address)
    assert load_settings(village.config).site.git_remote == address


def test_check_warns_when_the_site_has_no_address(village):
    with village.config.open("a", encoding="utf-8") as config:
        config.write("site:\n  name: Koperasi Tigawasa\n")
    result = village.run("check")
    assert "site.base_url: not set; link previews in WhatsApp and Facebook" in result.output
    assert village.run("site").exit_code == 0  # the site is still built, without absolute links


def test_publish_puts_a_new_product_on_the_site_and_a_sold_one_gets_its_badge(village):
    site = with_site(village)
    assert village.run("publish").exit_code == 0
    index = (site / "index.html").read_text(encoding="utf-8")
    assert "products/sokasi-polos-kecil.html" in index and "keben-tutup-tinggi" not in index  # a draft stays off
    village.run("sold", "sokasi-polos-kecil")
    assert village.run("publish").exit_code == 0
    assert "products/sokasi-polos-kecil.html" not in (site / "index.html").read_text(encoding="utf-8")
    page = (site / "products" / "sokasi-polos-kecil.html").read_text(encoding="utf-8")
    assert '<span class="badge">Terjual</span>' in page
    assert '<span class="badge">Sold</span>' in (site / "en" / "products" / "sokasi-polos-kecil.html").read_text(
        encoding="utf-8")
    with (site / "feed.csv").open(encoding="utf-8", newline="") as feed:
        availability = {row["id"]: row["availability"] for row in csv.DictReader(feed)}
    assert availability == {"sokasi-bundar-poleng": "in stock", "sokasi-polos-kecil": "out of stock"}


def test_a_site_that_cannot_be_built_is_said_and_the_posts_go_out_all_the_same(village):
    site = with_site(village)
    site.mkdir()
    (site / "notes.txt").write_text("the coordinator's own file", encoding="utf-8")  # not a folder the site made
    result = village.run("publish")
    assert result.exit_code == 0, result.output
    assert "the shop-window site was not updated" in result.output
    assert published_titles(village).count("Sokasi polos kecil") == 2
    assert (site / "notes.txt").read_text(encoding="utf-8") == "the coordinator's own file"


def git(*args: str) -> str:
    return subprocess.run(["git", *args], check=True, capture_output=True, text=True).stdout


def test_site_publish_to_a_bare_repository_then_pushes_exactly_the_changed_files(village, tmp_path):
    remote = tmp_path / "remote.git"
    git("init", "-q", "--bare", str(remote))
    site = with_site(village, git_remote=str(remote), git_branch="gh-pages")
    first = village.run("site", "--publish")
    assert first.exit_code == 0, first.output
    assert "Put online:" in first.output
    pushed = set(git("--git-dir", str(remote), "ls-tree", "-r", "--name-only", "gh-pages").split())
    assert {"index.html", "en/index.html", "feed.csv", "sitemap.xml", "robots.txt",
            "products/sokasi-bundar-poleng.html"} <= pushed
    assert not (site / ".git").exists()
    before = digests(site)
    old = git("--git-dir", str(remote), "rev-parse", "gh-pages").strip()

    post_file = village.root / "posts" / "sokasi-bundar-poleng" / "post.yaml"
    post_file.write_text(post_file.read_text(encoding="utf-8").replace("price: 175000", "price: 185000"),
                         encoding="utf-8")
    second = village.run("site", "--publish")
    assert second.exit_code == 0, second.output
    new = git("--git-dir", str(remote), "rev-parse", "gh-pages").strip()
    changed = set(git("--git-dir", str(remote), "diff", "--name-only", old, new).split())
    after = digests(site)
    rewritten = {name for name in after if before.get(name) != after[name]} - {".sokasi-site.json"}
    assert changed == rewritten - {".nojekyll"}
    assert "products/sokasi-bundar-poleng.html" in changed and "feed.csv" in changed
    assert not any("sokasi-polos-kecil" in name for name in changed)  # the other product's files were left alone
    assert "Nothing new to put online" in village.run("site", "--publish").output


@pytest.mark.parametrize("config", ["config.yaml", "sokasi_post/starter/en/config.yaml", "sokasi_post/starter/id/config.yaml"])
def test_the_commented_site_section_of_the_bundled_configs_works_once_uncommented(tmp_path, config):
    root = Path(__file__).resolve().parent.parent
    lines = (root / config).read_text(encoding="utf-8").splitlines()
    start = lines.index("# site:")
    block = [line[2:] for line in lines[start:] if line.startswith(("# site:", "#   "))]
    text = "\n".join([*lines[:start], *block]).replace('"123456789012345"', '"109284736150294"')
    (tmp_path / "posts").mkdir()
    (tmp_path / "config.yaml").write_text(text + "\n", encoding="utf-8")
    site = load_settings(tmp_path / "config.yaml").site
    assert site is not None and site.base_url is not None and site.base_url.endswith("/sokasi/")
    assert site.git_remote is not None and site.about


def test_publish_pushes_the_site_and_a_push_that_failed_is_tried_again_by_the_next_run(village, tmp_path, monkeypatch):
    site = with_site(village, git_remote="../remote.git")  # beside the project: read from config.yaml's folder
    monkeypatch.chdir(tmp_path)
    offline = village.run("publish")  # the remote is not there yet (like a run without a connection)
    assert offline.exit_code == 0, offline.output
    assert "the shop-window site was not updated" in offline.output
    assert published_titles(village).count("Sokasi polos kecil") == 2  # the posts went out all the same
    remote = village.root.parent / "remote.git"
    git("init", "-q", "--bare", str(remote))
    again = village.run("publish")  # nothing new on the site, but what is online is not it yet
    assert "the shop-window site was not updated" not in again.output
    pushed = set(git("--git-dir", str(remote), "ls-tree", "-r", "--name-only", "gh-pages").split())
    assert "index.html" in pushed and ".sokasi-site.json" not in pushed and (site / ".sokasi-site.json").is_file()
    head = git("--git-dir", str(remote), "rev-parse", "gh-pages")
    village.run("publish")
    assert git("--git-dir", str(remote), "rev-parse", "gh-pages") == head  # nothing changed: nothing pushed


def test_the_site_is_not_put_online_with_the_starters_example_whatsapp_number(village, tmp_path):
    remote = tmp_path / "remote.git"
    git("init", "-q", "--bare", str(remote))
    with_site(village, git_remote=str(remote))
    text = village.config.read_text(encoding="utf-8")
    village.config.write_text(text.replace('"+62 813-3791-2468"', '"+62 812-3456-7890"'), encoding="utf-8")
    built = village.run("site")
    assert built.exit_code == 0 and "contact.whatsapp is still the example value" in built.output  # said, built
    refused = village.run("site", "--publish")
    assert refused.exit_code == 2 and "the site was not put online" in refused.output
    assert git("--git-dir", str(remote), "branch", "--list") == ""  # nothing went out


def test_sold_on_a_post_yaml_it_cannot_change_safely_says_what_to_write_and_changes_nothing(village):
    post_file = village.root / "posts" / "sokasi-polos-kecil" / "post.yaml"
    text = post_file.read_text(encoding="utf-8") + "status:\n  - ready\n"  # a list under status: not one plain line
    post_file.write_text(text, encoding="utf-8")
    result = village.run("sold", "sokasi-polos-kecil")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.output.startswith("error: posts/sokasi-polos-kecil/post.yaml: ")
    assert post_file.read_text(encoding="utf-8") == text



def test_doctor_says_whether_git_can_put_the_site_online(village, monkeypatch, tmp_path):
    with_site(village, git_remote="git@github.com:tigawasa/sokasi.git")
    found = village.run("doctor")
    assert "[ok] site: git is installed; `site --publish` pushes to branch gh-pages of git@github.com:tigawasa/sokasi.git" \
        in found.output
    monkeypatch.setenv("PATH", str(tmp_path / "no-git-here"))
    missing = village.run("doctor")
    assert "[!!] site: the git command is not installed" in missing.output and "Traceback" not in missing.output



def test_sold_never_changes_a_caption_line_that_looks_like_a_status(village):
    post_file = village.root / "posts" / "sokasi-polos-kecil" / "post.yaml"
    # YAML reads the quoted caption over two lines: its second line looks like `status:` but is the caption's.
    text = 'title: Sokasi polos kecil\ncaption: "Siap kirim\nstatus: ready untuk Bali"\nprice: 85000\nmaker: Wayan\n'
    post_file.write_text(text, encoding="utf-8")
    result = village.run("sold", "sokasi-polos-kecil")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "write status: sold on a line of its own" in result.output
    assert post_file.read_text(encoding="utf-8") == text  # the caption is untouched


def test_a_maker_named_in_the_site_section_with_a_typo_is_said_by_check_and_site(village):
    with_site(village, makers="[Ni Ketut Sarii, I Made Budiasa]")
    expected = ("config.yaml: warning: site.makers: no product has Ni Ketut Sarii as its maker, so the site shows "
                "nothing of theirs (did you mean Ni Ketut Sari?)")
    check = village.run("check")
    assert expected in check.output and check.exit_code == 0
    site = village.run("site")
    assert expected in site.output
    index = (village.root / "site" / "index.html").read_text(encoding="utf-8")
    assert "sokasi-polos-kecil" in index and "sokasi-bundar-poleng" not in index  # only the maker spelled right
