"""The command line: each command's output, exit codes, help, and the starter commands."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from sokasi_post.cli import cli

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = sorted(cli.commands)


def test_dry_run_shows_caption_photos_and_alt_per_platform(project):
    folder = project.product(
        "sokasi-bundar",
        "title: Sokasi bundar\ncaption: Anyaman poleng.\nprice: 175000\nmaker: Ni Ketut Sari\n"
        "photos: [b.jpg, a.jpg]\nalt: {b.jpg: Sokasi dari depan}\n",
        photos=("a.jpg", "b.jpg"),
    )
    result = project.run("publish", "--dry-run", "--platform", "instagram")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "== sokasi-bundar → Instagram ==\n"
        "Photos (2, 5 KB to upload):\n"
        "  1. b.jpg → 640 × 480, 2 KB\n"
        "     alt: Sokasi dari depan\n"
        "  2. a.jpg → 640 × 480, 2 KB\n"
        "Caption (129 of 2,200 characters):\n"
        "    Sokasi bundar\n"
        "\n"
        "    Anyaman poleng.\n"
        "\n"
        "    Harga: Rp 175.000\n"
        "    Karya: Ni Ketut Sari\n"
        "    Pesan lewat WhatsApp: +62 813-3791-2468\n"
        "\n"
        "    #sokasi #tigawasa\n"
        "\n"
    )
    assert result.stderr == ("Preview with the photos as they will look: .sokasi-post/preview/index.html\n"
                             "Dry run, nothing was sent. Posts ready: 1; blocked: 0; drafts: 0; "
                             "products with problems: 0\n")
    assert folder.exists()


def test_dry_run_needs_no_credentials_and_reads_no_secret(project):
    project.good("sokasi-a")
    result = project.run("publish", "--dry-run", env={"FACEBOOK_PAGE_TOKEN": "", "INSTAGRAM_PASSWORD": ""})
    assert result.exit_code == 0


def test_dry_run_of_named_products_only(project):
    project.good("sokasi-a")
    project.good("sokasi-b")
    result = project.run("publish", "--dry-run", "sokasi-b")
    assert "sokasi-a" not in result.stdout
    assert "== sokasi-b → Facebook ==" in result.stdout


def test_dry_run_of_an_unknown_product_is_a_usage_error(project):
    project.good("sokasi-a")
    result = project.run("publish", "--dry-run", "sokasi-z")
    assert result.exit_code == 2
    assert result.stderr == ("error: no product named sokasi-z in the products folder; "
                             "`sokasi-post check` lists them\n")


def test_drafts_are_shown_but_neither_posted_nor_counted_as_blocked(project):
    project.good("sokasi-a", status="draft", publish_at="2026-12-05 09:00")
    result = project.run("publish", "--dry-run", "--platform", "facebook")
    assert result.exit_code == 0
    assert "Draft: will not be posted (set status: ready in post.yaml)" in result.stdout
    assert "Not before: Saturday, 5 December 2026 09:00 WITA" in result.stdout
    assert "Posts ready: 0; blocked: 0; drafts: 1;" in result.stderr


def test_publish_at_with_an_offset_is_shown_in_bali_time(project):
    project.good("sokasi-a", publish_at="2026-12-05T01:00:00Z")
    result = project.run("publish", "--dry-run", "--platform", "facebook")
    assert "Not before: Saturday, 5 December 2026 09:00 WITA" in result.stdout


def test_platforms_key_limits_where_a_product_goes(project):
    project.good("sokasi-a", platforms="[instagram]")
    result = project.run("publish", "--dry-run")
    assert "Facebook" not in result.stdout
    assert "== sokasi-a → Instagram ==" in result.stdout


def test_a_disabled_platform_is_skipped_with_a_warning_from_check(project):
    project.config.write_text(project.config.read_text().replace("instagram:\n", "instagram:\n  enabled: false\n"))
    project.good("sokasi-a", platforms="[instagram, facebook]")
    result = project.run("check")
    assert result.exit_code == 0
    assert result.stdout == ("posts/sokasi-a/post.yaml: warning: platforms: instagram is switched off in the config, "
                             "so this product will not go there\n")
    assert "Instagram" not in project.run("publish", "--dry-run").stdout


def test_more_than_ten_photos_is_blocked(project):
    project.product("sokasi-banyak", "title: S\ncaption: C\n", photos=tuple(f"f{i}.jpg" for i in range(11)))
    result = project.run("publish", "--dry-run", "--platform", "instagram")
    assert result.exit_code == 1
    assert ("BLOCKED: Instagram takes at most 10 photos in one post; this product has 11: list the best 10 under "
            "photos:") in result.stdout


def test_check_reports_caption_limits_too(project):
    project.product("sokasi-panjang", "title: S\ncaption: " + "x" * 2300 + "\n")
    result = project.run("check")
    assert result.exit_code == 1
    assert "posts/sokasi-panjang/post.yaml: the Instagram caption is 2,3" in result.stdout


def test_quiet_keeps_output_but_drops_the_summary(project):
    project.good("sokasi-a")
    result = project.run("-q", "check")
    assert result.exit_code == 0
    assert result.stderr == ""


def test_new_creates_a_commented_draft_that_check_explains(project):
    result = project.run("new", "sokasi-baru")
    assert result.exit_code == 0, result.output
    post = project.posts / "sokasi-baru" / "post.yaml"
    assert result.stdout == "posts/sokasi-baru/post.yaml\n"
    text = post.read_text(encoding="utf-8")
    assert "title: Sokasi baru\n" in text
    assert "status: draft" in text
    assert "# price: 175000" in text
    check = project.run("check")
    assert check.stdout.startswith("posts/sokasi-baru/post.yaml: no photos in the folder")


def test_new_refuses_an_existing_folder_and_a_bad_name(project):
    project.good("sokasi-a")
    existing = project.run("new", "sokasi-a")
    assert existing.exit_code == 2
    assert existing.stderr == "error: posts/sokasi-a already exists; choose another name\n"
    bad = project.run("new", "Sokasi Bundar!")
    assert bad.exit_code == 2
    assert bad.stderr == ("error: 'Sokasi Bundar!' is not a valid product name: use lowercase letters, digits and "
                          "dashes, e.g. sokasi-bundar\n")


def test_init_writes_a_project_whose_check_asks_only_for_its_example_values(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["init", "tigawasa"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "tigawasa/config.yaml",
        "tigawasa/posts/contoh-sokasi/post.yaml",
        "tigawasa/posts/contoh-sokasi/sokasi.jpg",
        "tigawasa/.gitignore",
    ]
    assert ".sokasi-post/" in (tmp_path / "tigawasa" / ".gitignore").read_text()
    check = CliRunner().invoke(cli, ["--config", "tigawasa/config.yaml", "check"])
    assert check.exit_code == 1, check.output
    errors = [line for line in check.stdout.splitlines() if ": warning: " not in line]
    assert [line.split(": ")[2].split(" is still")[0] for line in errors] == [
        "facebook.page_id", "instagram.username", "contact.whatsapp"]
    dry = CliRunner().invoke(cli, ["--config", "tigawasa/config.yaml", "publish", "--dry-run"])
    assert "== contoh-sokasi → Instagram ==" in dry.stdout
    assert "Draft: will not be posted" in dry.stdout  # the example never goes out by accident


def test_init_refuses_to_overwrite(tmp_path):
    (tmp_path / "config.yaml").write_text("mine: true\n")
    result = CliRunner().invoke(cli, ["init", str(tmp_path)])
    assert result.exit_code == 2
    assert "config.yaml already exists" in result.stderr
    assert (tmp_path / "config.yaml").read_text() == "mine: true\n"
    assert not (tmp_path / "posts").exists()


def test_a_file_that_cannot_be_written_is_one_line_not_a_traceback(tmp_path):
    (tmp_path / "posts").symlink_to(tmp_path / "nowhere")  # a dangling link where init wants a folder
    result = CliRunner().invoke(cli, ["init", str(tmp_path)])
    assert result.exit_code == 1
    assert result.stderr == f"error: {tmp_path / 'posts'}: File exists\n"


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command):
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0
    assert "Example: sokasi-post " in result.output


def test_global_options_and_version():
    result = CliRunner().invoke(cli, ["--help"])
    for option in ("--config PATH", "-v, --verbose", "-q, --quiet", "--version"):
        assert option in result.output
    version = CliRunner().invoke(cli, ["--version"])
    assert version.output.startswith("sokasi-post, version ")


def test_verbose_shows_details_of_an_error(project):
    result = project.run("-v", "publish", "--dry-run", "nope")
    assert result.exit_code == 2
    assert "Traceback" in result.stderr
    assert "UsageError" in result.stderr


def test_runs_as_a_module_and_as_the_installed_command(tmp_path):
    shutil.copy(ROOT / "config.yaml", tmp_path)  # a copy: status keeps its ledger next to the config
    shutil.copytree(ROOT / "posts", tmp_path / "posts")
    config = tmp_path / "config.yaml"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    module = subprocess.run([sys.executable, "-m", "sokasi_post", "--config", str(config), "status"],
                            capture_output=True, text=True, cwd=elsewhere)
    assert module.returncode == 0, module.stderr
    assert "sokasi-polos-kecil" in module.stdout
    script = Path(sys.executable).with_name("sokasi-post")
    if script.exists():
        installed = subprocess.run([str(script), "--config", str(config), "status"],
                                   capture_output=True, text=True, cwd=elsewhere)
        assert installed.returncode == 0, installed.stderr
        assert installed.stdout == module.stdout


def test_start_up_does_not_import_the_platform_libraries():
    code = ("import sys; from sokasi_post.cli import cli; "
            "print(sorted(m for m in ('facebook', 'instagrapi', 'requests', 'curl_cffi') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_publish_keeps_its_log_lines_in_the_log_file_not_on_the_terminal(tmp_path):
    (tmp_path / "config.yaml").write_text((ROOT / "config.yaml").read_text().replace(
        '"123456789012345"', '"109284736150294"').replace('"+62 812-3456-7890"', '"+62 813-3791-2468"'))  # filled in
    (tmp_path / "posts").mkdir()
    shutil.copytree(ROOT / "posts" / "sokasi-polos-kecil", tmp_path / "posts" / "sokasi-polos-kecil")
    environment = {k: v for k, v in os.environ.items() if k not in ("FACEBOOK_PAGE_TOKEN", "LANG", "LC_ALL")}
    result = subprocess.run([sys.executable, "-m", "sokasi_post", "publish"], capture_output=True, text=True, cwd=tmp_path,
                            env=environment)
    assert result.returncode == 1
    assert "sokasi-polos-kecil → Facebook: held back: the Facebook Page token is not set" in result.stdout
    assert "INFO" not in result.stderr
    log = (tmp_path / ".sokasi-post" / "logs" / "sokasi-post.log").read_text()
    assert "INFO sokasi_post.publish: sokasi-polos-kecil → Facebook: held back" in log


def test_check_says_which_instagram_place_posts_are_tagged_with(project):
    project.good("sokasi-a")
    text = project.config.read_text().replace("  username: sokasi.tigawasa\n", "  username: sokasi.tigawasa\n"
                                              "  location: {name: \"Tigawasa, Buleleng\", lat: -8.17, lng: 115.05}\n")
    project.config.write_text(text)
    unresolved = project.run("check")
    assert unresolved.exit_code == 0
    assert ("warning: Instagram location: Tigawasa, Buleleng has no place id yet, so posts go without a location; "
            "run `sokasi-post doctor` to look it up") in unresolved.stderr
    project.config.write_text(text.replace("lng: 115.05}", "lng: 115.05, facebook_places_id: 213385402}"))
    fixed = project.run("check")
    assert "Instagram location: Tigawasa, Buleleng, place id 213385402 (fixed in config.yaml)" in fixed.stderr
    assert "warning: Instagram location" not in fixed.stderr


def test_an_unexpected_error_is_one_line_and_its_traceback_goes_to_the_log_file(project, monkeypatch):
    from sokasi_post import cli as cli_module

    def broken(settings):
        raise RuntimeError("a bug in the catalogue\nwith a second line")

    monkeypatch.setattr(cli_module, "load_catalog", broken)
    project.good("sokasi-a")
    result = project.run("check")
    assert result.exit_code == 1
    assert result.stderr == ("error: unexpected RuntimeError: a bug in the catalogue (the details are in "
                             ".sokasi-post/logs/sokasi-post.log; please report it)\n")
    log = (project.root / ".sokasi-post" / "logs" / "sokasi-post.log").read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in log and "RuntimeError: a bug in the catalogue" in log
    verbose = project.run("-v", "check")
    assert "Traceback (most recent call last)" in verbose.stderr


def test_an_unexpected_error_before_the_config_is_read_still_is_one_line(project, monkeypatch):
    from sokasi_post import cli as cli_module

    def broken(path):
        raise KeyError("odd")

    monkeypatch.setattr(cli_module, "load_settings", broken)
    result = project.run("status")
    assert result.exit_code == 1
    assert result.stderr == "error: unexpected KeyError: 'odd' (run with -v for details; please report it)\n"
