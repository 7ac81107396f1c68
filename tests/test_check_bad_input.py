"""Every kind of bad product folder gets one clear line naming the file, and the rest still works."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PIL import Image

from sokasi_post.yamlfile import MAX_YAML_BYTES


def only_problem(result, slug: str) -> str:
    """The single problem line printed for `slug` (fails if there is not exactly one); warnings are not problems."""
    lines = [line for line in result.stdout.splitlines()
             if (f"posts/{slug}/" in line or line.startswith(f"posts/{slug}:")) and ": warning: " not in line]
    assert len(lines) == 1, result.stdout
    return lines[0]


def test_a_clean_catalogue_passes(project):
    project.good("sokasi-bundar")
    result = project.run("check")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "All good. Products: 1;" in result.stderr


def test_yaml_syntax_error_names_the_line_and_the_rest_still_checks(project):
    project.good("sokasi-baik")
    project.product("sokasi-rusak", "title: Sokasi\ncaption: [tidak ditutup\nprice: 1000\n")
    result = project.run("check")
    assert result.exit_code == 1
    line = only_problem(result, "sokasi-rusak")
    assert line.startswith("posts/sokasi-rusak/post.yaml: line ")
    assert "YAML syntax error" in line
    assert "sokasi-baik" not in result.stdout
    assert "Products with problems: 1 of 2;" in result.stderr


def test_yaml_error_line_number_is_the_real_line(project):
    project.product("sokasi-tab", "title: Sokasi\ncaption: ok\nprice: 1000\n\tmaker: Made\n")
    line = only_problem(project.run("check"), "sokasi-tab")
    assert "line 4" in line


def test_a_tab_used_to_indent_says_to_use_spaces(project):
    project.product("sokasi-tab", "title: Sokasi\ncaption: ok\nalt:\n\tfoto.jpg: Sokasi dari depan\n")
    assert only_problem(project.run("check"), "sokasi-tab") == (
        "posts/sokasi-tab/post.yaml: line 4, column 1: YAML syntax error: a tab where YAML expects spaces; "
        "use spaces, not tabs, to indent")


@pytest.mark.parametrize(
    ("hashtags", "expected"),
    [
        ("hashtags: [#sokasi, #bambu]", "line 3: # starts a comment in YAML: write the tags without # "
                                        "(hashtags: [a, b]) or in quotes"),
        ("hashtags: #sokasi", "line 3: hashtags: # starts a comment in YAML: write the tags without # "
                              "(hashtags: [a, b]) or in quotes"),
        ("hashtags: {instagram: #sokasi}", "line 3: # starts a comment in YAML: write the tags without # "
                                           "(hashtags: [a, b]) or in quotes"),
    ],
)
def test_hashtags_written_with_a_hash_say_that_hash_starts_a_comment(project, hashtags, expected):
    project.product("sokasi-tagar", f"title: S\ncaption: C\n{hashtags}\nstatus: ready\n")
    assert only_problem(project.run("check"), "sokasi-tagar") == f"posts/sokasi-tagar/post.yaml: {expected}"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("focus: [1.5, 0.4]", "focus: expected photo names with a point to keep in view, e.g. focus: "
                              "{depan.jpg: [0.5, 0.4]} (across, down; 0 to 1), got a list"),
        ("focus: {foto.jpg: [1.5, 0.4]}", "focus: foto.jpg: expected two fractions from 0 to 1, e.g. focus: "
                                          "{depan.jpg: [0.5, 0.4]} (across, down; 0 to 1)"),
        ("alt: Sokasi dari depan", "alt: expected photo names with their descriptions, e.g. alt: "
                                   "{depan.jpg: Sokasi dari depan}, got text ('Sokasi dari depan')"),
        ("platforms: facebook", "platforms: expected a list, e.g. platforms: [facebook], got text ('facebook')"),
        ("photos: foto.jpg", "photos: expected a list, e.g. photos: [depan.jpg, atas.jpg], got text ('foto.jpg')"),
    ],
)
def test_examples_in_messages_show_the_key_itself_with_single_braces(project, line, expected):
    project.product("sokasi-contoh", f"title: S\ncaption: C\n{line}\n")
    assert only_problem(project.run("check"), "sokasi-contoh") == f"posts/sokasi-contoh/post.yaml: {expected}"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("- title: Sokasi\n- caption: x\n", "expected keys and values (like `title: ...`), but the file holds a list"),
        ("", "the file is empty; it needs at least a title and a caption"),
        ("# only a comment\n", "the file is empty; it needs at least a title and a caption"),
        ("just some words\n", "expected keys and values (like `title: ...`), but the file holds a single value"),
    ],
)
def test_post_yaml_that_is_not_a_mapping(project, body, expected):
    project.product("sokasi-aneh", body)
    result = project.run("check")
    assert result.exit_code == 1
    assert only_problem(result, "sokasi-aneh") == f"posts/sokasi-aneh/post.yaml: {expected}"


def test_unknown_key_suggests_the_right_one(project):
    project.product("sokasi-typo", "title: Sokasi\ncaption: Bagus\nprcie: 1000\n")
    line = only_problem(project.run("check"), "sokasi-typo")
    assert line.startswith("posts/sokasi-typo/post.yaml: unknown key 'prcie' (did you mean price?)")


def test_missing_title_and_caption_are_both_reported(project):
    project.product("sokasi-kosong", "price: 1000\n")
    result = project.run("check")
    lines = [line for line in result.stdout.splitlines() if "sokasi-kosong" in line]
    assert lines == [
        "posts/sokasi-kosong/post.yaml: title: missing; add a line like `title: ...`",
        "posts/sokasi-kosong/post.yaml: caption: missing; add a line like `caption: ...`",
    ]


def test_listed_photo_that_is_missing(project):
    project.product("sokasi-foto", "title: S\ncaption: C\nphotos: [foto.jpg, fotoo2.jpg]\n", photos=("foto.jpg", "foto2.jpg"))
    line = only_problem(project.run("check"), "sokasi-foto")
    assert line == "posts/sokasi-foto/post.yaml: photos: fotoo2.jpg is listed but not in the folder (did you mean foto2.jpg?)"


def test_folder_without_photos(project):
    project.product("sokasi-tanpa-foto", "title: S\ncaption: C\n", photos=())
    line = only_problem(project.run("check"), "sokasi-tanpa-foto")
    assert line == ("posts/sokasi-tanpa-foto/post.yaml: no photos in the folder; "
                    "add .jpg, .jpeg, .png or .webp files next to post.yaml")


def test_a_text_file_named_jpg_is_refused_naming_the_photo(project):
    folder = project.product("sokasi-palsu", "title: S\ncaption: C\n", photos=("a.jpg",))
    (folder / "b.JPG").write_text("this is not a photo")
    line = only_problem(project.run("check"), "sokasi-palsu")
    assert line == ("posts/sokasi-palsu/b.JPG: is not a photo this tool can read (JPEG, PNG or WebP), although its "
                    "name says so; export it again as JPEG")


def test_photo_suffixes_are_case_insensitive_and_sorted_naturally(project):
    folder = project.product("sokasi-urut", "title: S\ncaption: C\n", photos=("foto10.JPG", "foto2.jpeg"))
    Image.new("RGB", (640, 480)).save(folder / "foto1.Png", "PNG")
    (folder / "catatan.txt").write_text("bukan foto")
    result = project.run("publish", "--dry-run", "--platform", "facebook")
    assert result.exit_code == 0, result.output
    listed = [line.split(" → ")[0] for line in result.stdout.splitlines() if " → 640 × 480" in line]
    assert listed == ["  1. foto1.Png", "  2. foto2.jpeg", "  3. foto10.JPG"]


@pytest.mark.skipif(os.name == "nt", reason="symlinks need extra rights on Windows")
def test_symlink_out_of_the_product_folder_is_refused(project, tmp_path):
    secret = tmp_path / "rahasia.jpg"
    secret.write_bytes(b"\xff\xd8\xff" + b"\0" * 20)
    folder = project.product("sokasi-tautan", "title: S\ncaption: C\n", photos=("a.jpg",))
    (folder / "b.jpg").symlink_to(secret)
    line = only_problem(project.run("check"), "sokasi-tautan")
    assert line.startswith("posts/sokasi-tautan/b.jpg: is a link to a file outside the product folder")


@pytest.mark.skipif(os.name == "nt", reason="symlinks need extra rights on Windows")
def test_symlink_inside_the_product_folder_is_fine(project):
    folder = project.product("sokasi-tautan-dalam", "title: S\ncaption: C\n", photos=("a.jpg",))
    (folder / "b.jpg").symlink_to(folder / "a.jpg")
    assert project.run("check").exit_code == 0


@pytest.mark.parametrize(
    ("price", "expected"),
    [
        ("-5000", "price: must be more than zero, got -5000"),
        ("0", "price: must be more than zero, got 0"),
        ("seratus ribu", "price: expected whole rupiah as a number, e.g. price: 150000, got text ('seratus ribu')"),
        ("Rp 150.000", "price: Rp 150.000 — write whole rupiah as a plain number, without Rp or dots: price: 150000"),
        ("1.500.000", "price: 1.500.000 — write whole rupiah as a plain number, without Rp or dots: price: 1500000"),
        ("150.000", "price: 150.000 — the dot makes YAML read 150; write whole rupiah without dots: price: 150000"),
        ("1.500", "price: 1.500 — the dot makes YAML read 1.5; write whole rupiah without dots: price: 1500"),
        ("1.5", "price: expected whole rupiah as a number, e.g. price: 150000, got a number (1.5)"),
        ("true", "price: expected whole rupiah as a number, e.g. price: 150000, got true/false"),
    ],
)
def test_bad_prices(project, price, expected):
    project.product("sokasi-harga", f"title: S\ncaption: C\nprice: {price}\n")
    assert only_problem(project.run("check"), "sokasi-harga") == f"posts/sokasi-harga/post.yaml: {expected}"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("besok pagi", "publish_at: expected a date and time like 2026-12-01 09:00 (or 2026-12-01T09:00+08:00), "
                       "got text ('besok pagi')"),
        ("2026-13-45 09:00", "publish_at: expected a date and time like 2026-12-01 09:00 (or 2026-12-01T09:00+08:00), "
                             "got text ('2026-13-45 09:00')"),
        ("2026-12-01", "publish_at: 2026-12-01 has no time; add one, e.g. publish_at: 2026-12-01 09:00"),
        ("12", "publish_at: expected a date and time like 2026-12-01 09:00 (or 2026-12-01T09:00+08:00), "
               "got a number (12)"),
    ],
)
def test_bad_publish_at(project, value, expected):
    project.product("sokasi-jadwal", f"title: S\ncaption: C\npublish_at: {value}\n")
    assert only_problem(project.run("check"), "sokasi-jadwal") == f"posts/sokasi-jadwal/post.yaml: {expected}"


def test_invalid_utf8_names_the_line(project):
    folder = project.product("sokasi-latin1", None)
    (folder / "post.yaml").write_bytes("title: Sokasi\ncaption: Caf\xe9\n".encode("latin-1"))
    line = only_problem(project.run("check"), "sokasi-latin1")
    assert line == ("posts/sokasi-latin1/post.yaml: line 2: not valid UTF-8 text (byte 26); "
                    "save the file as UTF-8 in your editor")


def test_a_huge_post_yaml_is_refused_by_size_before_reading(project):
    folder = project.product("sokasi-besar", None)
    with (folder / "post.yaml").open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)  # 50 MB, sparse: refused without being read
    line = only_problem(project.run("check"), "sokasi-besar")
    assert line == (f"posts/sokasi-besar/post.yaml: the file is 52,428,800 bytes; a YAML file here must be under "
                    f"{MAX_YAML_BYTES:,} bytes (is it the right file?)")


def test_yaml_is_loaded_safely(project):
    project.product("sokasi-jahat", "title: !!python/object/apply:os.system ['echo hacked']\ncaption: C\n")
    line = only_problem(project.run("check"), "sokasi-jahat")
    assert "YAML syntax error" in line
    assert "could not determine a constructor" in line


def test_hash_in_a_yaml_hashtag_list_is_explained(project):
    project.product("sokasi-tagar", "title: S\ncaption: C\nhashtags:\n  - #sokasi\n")
    line = only_problem(project.run("check"), "sokasi-tagar")
    assert 'in YAML a # starts a comment, so write sokasi or "#sokasi" in quotes' in line


def test_status_must_be_ready_draft_or_sold(project):
    project.product("sokasi-status", "title: S\ncaption: C\nstatus: siap\n")
    assert only_problem(project.run("check"), "sokasi-status") == (
        "posts/sokasi-status/post.yaml: status: expected ready, draft or sold, got text ('siap')")


def test_unknown_platform_and_alt_for_a_missing_photo(project):
    project.product("sokasi-x", "title: S\ncaption: C\nplatforms: [tiktok]\nalt: {lain.jpg: deskripsi}\n")
    lines = [line for line in project.run("check").stdout.splitlines() if "sokasi-x" in line]
    assert lines == [
        "posts/sokasi-x/post.yaml: platforms: unknown platform 'tiktok'; expected facebook, instagram",
        "posts/sokasi-x/post.yaml: alt: lain.jpg is not one of this product's photos (foto.jpg)",
    ]


def test_folder_name_that_is_not_a_slug(project):
    project.product("Sokasi Bundar", "title: S\ncaption: C\n")
    line = only_problem(project.run("check"), "Sokasi Bundar")
    assert line == ("posts/Sokasi Bundar: the folder name is not a valid product name: use lowercase letters, "
                    "digits and dashes, e.g. sokasi-bundar")


def test_folder_without_post_yaml(project):
    project.product("sokasi-lupa", None)
    assert only_problem(project.run("check"), "sokasi-lupa") == (
        "posts/sokasi-lupa/post.yaml: missing; every product folder needs one "
        "(create it with `sokasi-post new sokasi-lupa`)")


def test_every_bad_folder_is_reported_and_good_ones_still_publish(project):
    project.good("sokasi-baik")
    project.product("sokasi-list", "- a\n")
    project.product("sokasi-harga", "title: S\ncaption: C\nprice: -1\n")
    result = project.run("publish", "--dry-run")
    assert result.exit_code == 1
    assert "== sokasi-baik → Facebook ==" in result.stdout
    assert "== sokasi-baik → Instagram ==" in result.stdout
    assert "posts/sokasi-list/post.yaml:" in result.stdout
    assert "posts/sokasi-harga/post.yaml: price: must be more than zero" in result.stdout
    assert "Traceback" not in result.output


def test_a_zero_byte_photo_is_named_and_its_product_blocked(project):
    folder = project.product("sokasi-kosong", "title: S\ncaption: C\n", photos=("a.jpg",))
    (folder / "b.jpg").write_bytes(b"")
    result = project.run("publish", "--dry-run", "--platform", "facebook")
    assert result.exit_code == 1
    assert "  1. a.jpg → 640 × 480" in result.stdout
    assert "BLOCKED: photo b.jpg is not a photo this tool can read" in result.stdout


def test_a_photo_that_cannot_be_read_is_named(project):
    folder = project.product("sokasi-folder", "title: S\ncaption: C\n", photos=("a.jpg",))
    (folder / "b.jpg").mkdir()
    line = only_problem(project.run("check"), "sokasi-folder")
    assert line == ("posts/sokasi-folder/b.jpg: is not an ordinary file but a folder; remove it, or put the real file "
                    "in its place")


def test_a_list_item_that_is_not_text_is_named_by_its_number_as_in_config_yaml(project):
    project.product("sokasi-daftar", "title: S\ncaption: C\nplatforms: [facebook, {instagram: ya}]\n")
    assert only_problem(project.run("check"), "sokasi-daftar") == (
        "posts/sokasi-daftar/post.yaml: platforms: item 2 should be text, got a section of keys")


def test_the_nearest_photo_name_is_suggested_in_indonesian_too(project):
    from sokasi_post.i18n import read_po

    catalog = read_po((Path(__file__).resolve().parent.parent / "sokasi_post/locale/id.po").read_text(encoding="utf-8"))
    project.product("sokasi-foto", "title: S\ncaption: C\nphotos: [foto.jpg, fotoo2.jpg]\n", photos=("foto.jpg", "foto2.jpg"))
    hint = catalog[" (did you mean {key}?)"].format(key="foto2.jpg")
    expected = catalog["photos: {name} is listed but not in the folder{hint}"].format(name="fotoo2.jpg", hint=hint)
    assert only_problem(project.run("--lang", "id", "check"), "sokasi-foto") == f"posts/sokasi-foto/post.yaml: {expected}"
    assert "(maksudnya foto2.jpg?)" in expected


def test_a_control_character_in_post_yaml_is_one_line_naming_the_file_and_the_line(project):
    project.product("sokasi-nul", "title: S\ncaption: C\x00\n")
    assert only_problem(project.run("check"), "sokasi-nul") == (
        "posts/sokasi-nul/post.yaml: line 2: holds a control character (#x0000) that is not text; copy the text into a "
        "new file in a text editor")
