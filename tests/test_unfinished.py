"""Unfinished is not ready: text, photo and config values left from the starter files are named with file and line."""

from __future__ import annotations

import re
import shutil
from importlib import resources
from pathlib import Path

import pytest
from click.testing import CliRunner

from sokasi_post.catalog import load_catalog, starter_texts
from sokasi_post.cli import cli
from sokasi_post.config import load_settings, starter_samples
from sokasi_post.i18n import set_language
from sokasi_post.starter import init_project, new_product

from .conftest import jpeg_bytes

STARTER = resources.files("sokasi_post") / "starter"


def lines_for(result, slug: str) -> list[str]:
    """The lines `check` printed for one product, its missing price aside."""
    return [line for line in result.stdout.splitlines() if line.startswith(f"posts/{slug}/") and "No price" not in line]


def initialised(tmp_path: Path, language: str = "en") -> Path:
    """A folder as `init` leaves it, written in `language`, with the tests back in English afterwards."""
    set_language(language)
    init_project(tmp_path)
    set_language("en")
    return tmp_path / "config.yaml"


def finish_config(config: Path) -> None:
    """Put real-looking values where the starter config has its samples."""
    text = config.read_text(encoding="utf-8")
    text = re.sub(r'page_id: "\d+"', 'page_id: "111222333444555"', text)
    text = re.sub(r"username: \S+", "username: sokasi.tigawasa", text)
    text = re.sub(r'whatsapp: "[^"]+"', 'whatsapp: "+62 813-3791-2468"', text)
    config.write_text(text, encoding="utf-8")


# --- template text in a product -------------------------------------------------------------------------------------


def test_a_new_draft_still_holding_the_story_placeholder_passes_check_with_a_warning_naming_the_line(project):
    post_file = new_product(project.posts, "sokasi-baru")
    (post_file.parent / "foto.jpg").write_bytes(jpeg_bytes())
    result = project.run("check")
    assert result.exit_code == 0, result.output
    assert lines_for(result, "sokasi-baru") == [
        "posts/sokasi-baru/post.yaml: warning: line 5: caption: still the example text from `sokasi-post new`; "
        "write the product's own story"]


def test_set_ready_the_story_placeholder_blocks_the_product(project):
    post_file = new_product(project.posts, "sokasi-baru")
    (post_file.parent / "foto.jpg").write_bytes(jpeg_bytes())
    post_file.write_text(post_file.read_text().replace("status: draft", "status: ready"))
    result = project.run("check")
    assert result.exit_code == 1
    assert lines_for(result, "sokasi-baru") == [
        "posts/sokasi-baru/post.yaml: line 5: caption: still the example text from `sokasi-post new`; "
        "write the product's own story"]
    catalog = load_catalog(load_settings(project.config))
    assert [p.slug for p in catalog.products] == []  # nothing to publish
    assert [(p.slug, p.warning) for p in catalog.problems] == [("sokasi-baru", False)]


def test_the_indonesian_placeholder_is_caught_whatever_language_check_speaks(project):
    set_language("id")
    post_file = new_product(project.posts, "sokasi-baru")
    set_language("en")
    assert "Tulis cerita produk di sini" in post_file.read_text()
    (post_file.parent / "foto.jpg").write_bytes(jpeg_bytes())
    post_file.write_text(post_file.read_text().replace("status: draft", "status: ready"))
    line, = lines_for(project.run("check"), "sokasi-baru")
    assert line.startswith("posts/sokasi-baru/post.yaml: line 5: caption: still the example text from `sokasi-post new`")


def test_the_placeholder_with_a_story_written_below_it_is_still_caught(project):
    project.product("sokasi-baru", "title: Sokasi baru\ncaption: |\n  Write the product's story here: what it is, its "
                                   "size, how it is made.\n  Sokasi bundar 30 cm.\n")
    line, = lines_for(project.run("check"), "sokasi-baru")
    assert line.startswith("posts/sokasi-baru/post.yaml: line 2: caption: still the example text")


@pytest.mark.parametrize("language", ["en", "id"])
def test_a_fresh_init_passes_check_and_says_what_is_still_the_example(tmp_path, monkeypatch, language):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SOKASI_POST_CONFIG", raising=False)
    finish_config(initialised(tmp_path, language))
    result = CliRunner().invoke(cli, ["--lang", "en", "check"])
    assert result.exit_code == 0, result.output
    assert lines_for(result, "contoh-sokasi") == [
        "posts/contoh-sokasi/post.yaml: warning: line 4: title: still the example title from `sokasi-post init`; "
        "write the product's own name",
        "posts/contoh-sokasi/post.yaml: warning: line 5: caption: still the example text from `sokasi-post init`; "
        "write the product's own story",
        "posts/contoh-sokasi/post.yaml: warning: line 10: maker: still the example name from `sokasi-post init`; "
        "write the name of the craftsman who made it",
        "posts/contoh-sokasi/sokasi.jpg: warning: the example photo from `sokasi-post init`; replace it with a photo "
        "of the product",
    ]


def test_the_example_product_set_ready_is_blocked_by_each_example_text_and_its_photo(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    finish_config(initialised(tmp_path, "id"))
    post_file = tmp_path / "posts" / "contoh-sokasi" / "post.yaml"
    post_file.write_text(post_file.read_text().replace("status: draft", "status: ready"))
    result = CliRunner().invoke(cli, ["--lang", "en", "check"])
    assert result.exit_code == 1
    lines = lines_for(result, "contoh-sokasi")
    assert [line.split(": still")[0] for line in lines] == [
        "posts/contoh-sokasi/post.yaml: line 4: title",
        "posts/contoh-sokasi/post.yaml: line 5: caption",
        "posts/contoh-sokasi/post.yaml: line 10: maker",
        "posts/contoh-sokasi/sokasi.jpg: the example photo from `sokasi-post init`; replace it with a photo of the product",
    ]


def test_each_fixed_text_clears_its_own_problem(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    finish_config(initialised(tmp_path))
    folder = tmp_path / "posts" / "contoh-sokasi"
    (folder / "post.yaml").write_text("title: Sokasi kecil polos\ncaption: Anyaman bambu, 18 cm.\nmaker: Ni Wayan Sari Dewi\n"
                                      "price: 85000\nstatus: ready\n")
    (folder / "sokasi.jpg").write_bytes(jpeg_bytes())
    result = CliRunner().invoke(cli, ["check"])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""


def test_an_example_photo_description_left_in_alt_is_named_with_its_line(project):
    project.good("sokasi-alt", alt="\n  foto.jpg: Sokasi bundar dari depan, anyaman hitam putih")
    line, = lines_for(project.run("check"), "sokasi-alt")
    assert line == ("posts/sokasi-alt/post.yaml: line 5: alt: foto.jpg: still the example description from "
                    "`sokasi-post new`; describe what this photo shows")


def test_the_example_texts_are_read_from_the_starter_files_commented_keys_included():
    texts = starter_texts()
    for language in ("en", "id"):
        new_post = (STARTER / language / "post.yaml").read_text(encoding="utf-8")
        story = re.search(r"caption: \|\n  (.+)\n", new_post).group(1)
        assert texts["caption"][" ".join(story.split()).casefold()] == "sokasi-post new"
        example = (STARTER / language / "example-post.yaml").read_text(encoding="utf-8")
        title = re.search(r"^title: (.+)$", example, re.MULTILINE).group(1)
        assert texts["title"][title.casefold()] == "sokasi-post init"
    assert "ni wayan sari" in texts["maker"]
    assert "sokasi bundar dari depan, anyaman hitam putih" in texts["alt"]  # from a commented-out line


def test_the_example_photo_is_recognised_byte_for_byte_not_by_name(project):
    folder = project.good("sokasi-foto")
    shutil.copyfile(STARTER / "sokasi.jpg", folder / "depan.jpg")
    (folder / "sokasi.jpg").write_bytes(jpeg_bytes())
    lines = lines_for(project.run("check"), "sokasi-foto")
    assert lines == ["posts/sokasi-foto/depan.jpg: the example photo from `sokasi-post init`; replace it with a photo "
                     "of the product"]


# --- sample values in config.yaml ----------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "id"])
def test_the_starter_config_names_each_sample_value_with_its_line_and_platform(tmp_path, language):
    config = initialised(tmp_path, language)
    settings = load_settings(config)
    assert [(p.path, p.warning, p.platform) for p in settings.unfinished] == [
        (config, False, "facebook"), (config, False, "instagram"), (config, False, None)]
    assert [p.message.split(" is still")[0] for p in settings.unfinished] == [
        "line 11: facebook.page_id", "line 18: instagram.username", "line 25: contact.whatsapp"]
    assert settings.unfinished[0].message == (
        "line 11: facebook.page_id is still the example value from `sokasi-post init`; put your Page's ID "
        "(on Facebook: your Page > About > Page transparency)")


def test_check_on_the_starter_config_shows_the_sample_values(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    initialised(tmp_path)
    settings = load_settings(Path("config.yaml"))
    assert len(settings.unfinished) == 3
    finish_config(tmp_path / "config.yaml")
    assert load_settings(Path("config.yaml")).unfinished == ()


def test_a_sample_value_written_another_way_is_still_the_sample(tmp_path):
    config = initialised(tmp_path)
    text = config.read_text().replace('"123456789012345"', "123456789012345").replace(
        '"+62 812-3456-7890"', '"0812 3456 7890"').replace("your_account_name", '"@Your_Account_Name"')
    config.write_text(text)
    assert [p.platform for p in load_settings(config).unfinished] == ["facebook", "instagram", None]


def test_a_switched_off_platform_keeps_its_sample_value_without_complaint(tmp_path):
    config = initialised(tmp_path)
    config.write_text(config.read_text().replace("facebook:\n  enabled: true", "facebook:\n  enabled: false"))
    assert [p.platform for p in load_settings(config).unfinished] == ["instagram", None]


def test_the_tests_own_config_is_finished(project):
    assert load_settings(project.config).unfinished == ()


def test_the_starter_account_name_is_a_valid_instagram_name_that_is_plainly_a_placeholder():
    names = starter_samples()["instagram.username"]
    assert names == {"your_account_name", "nama_akun_anda"}
    assert all(re.fullmatch(r"[a-z0-9._]{1,30}", name) for name in names)


def test_one_sentence_shared_with_the_example_caption_is_not_unfinished(project):
    project.product("sokasi-asli", "title: Sokasi asli\ncaption: Sokasi anyaman bambu dari Desa Tigawasa, dibuat dengan "
                                   "tangan. Diameter 30 cm.\nprice: 150000\n")
    result = project.run("check")
    assert result.exit_code == 0, result.output
    assert lines_for(result, "sokasi-asli") == []
