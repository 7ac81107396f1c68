"""Files, archives and folders that are not what they claim: each is one named problem, and nothing blocks a run.

A named pipe called x.jpg, a 1 GB sparse photo, links that loop or lead out, YAML nested 50,000 deep, a chat zip
that unpacks to one 1.5 GB line, an export whose photo is a link to a secret, a preview folder that is not ours,
a permalink that is not a web address.
"""

from __future__ import annotations

import contextlib
import os
import re
import struct
import threading
import time
import tracemalloc
import zipfile
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from sokasi_post import importer, media
from sokasi_post.ledger import Ledger
from sokasi_post.models import Receipt
from sokasi_post.whatsapp import MAX_MESSAGE_CHARS
from sokasi_post.yamlfile import MAX_YAML_DEPTH
from tests.conftest import jpeg_bytes

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this system")
needs_links = pytest.mark.skipif(os.name == "nt", reason="symlinks need extra rights on Windows")


def lines_about(result, slug: str) -> list[str]:
    """The problem lines about `slug` (warnings, such as a missing price, left out)."""
    return [line for line in result.stdout.splitlines() if f"posts/{slug}" in line and ": warning: " not in line]


def run_within(project, seconds: float, *args: str, pipes: tuple[Path, ...] = ()):
    """Run the CLI in a thread; fail (after freeing it) when it is still running after `seconds`."""
    outcome = {}
    worker = threading.Thread(target=lambda: outcome.update(result=project.run(*args)), daemon=True)
    started = time.perf_counter()
    worker.start()
    worker.join(seconds)
    elapsed = time.perf_counter() - started
    if worker.is_alive():
        deadline = time.monotonic() + 30
        while worker.is_alive() and time.monotonic() < deadline:  # a writer that closes at once ends the reader's wait
            for pipe in pipes:
                with contextlib.suppress(OSError):  # no reader waiting (yet)
                    os.close(os.open(pipe, os.O_WRONLY | os.O_NONBLOCK))
            worker.join(0.05)
        pytest.fail(f"`sokasi-post {' '.join(args)}` was still running after {seconds} s")
    return outcome["result"], elapsed


# -- photos that are not ordinary files, or far too big ------------------------------------------------------


@needs_fifo
@pytest.mark.parametrize("command", [("check",), ("status",), ("preview",), ("publish", "--dry-run")])
def test_a_named_pipe_called_x_jpg_blocks_no_command_and_is_named(project, command):
    project.good("sokasi-baik")
    folder = project.product("sokasi-pipa", "title: S\ncaption: C\n", photos=("a.jpg",))
    os.mkfifo(folder / "x.jpg")
    result, elapsed = run_within(project, 10, *command, pipes=(folder / "x.jpg",))
    assert elapsed < 10
    assert "Traceback" not in result.output and "unexpected" not in result.output
    if command == ("check",):
        assert result.exit_code == 1
        assert lines_about(result, "sokasi-pipa") == [
            "posts/sokasi-pipa/x.jpg: is not an ordinary file but a named pipe; remove it, or put the real file in "
            "its place"]
        assert "Products with problems: 1 of 2;" in result.stderr
    if command == ("publish", "--dry-run"):
        assert "== sokasi-baik → Facebook ==" in result.stdout
        assert "  1. foto.jpg → 640 × 480" in result.stdout


def test_a_1_gb_sparse_photo_is_refused_by_its_size_without_being_read(project):
    project.good("sokasi-baik")
    folder = project.product("sokasi-besar", "title: S\ncaption: C\n", photos=("a.jpg",))
    with (folder / "x.jpg").open("wb") as handle:
        handle.truncate(1 << 30)  # 1 GB of nothing on disk: reading it whole would take 1 GB of memory
    tracemalloc.start()
    started = time.perf_counter()
    result = project.run("publish", "--dry-run")
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert elapsed < 5
    assert peak < 50_000_000
    assert "BLOCKED: photo x.jpg is 1,073 MB; a photo file must be under 100 MB (is it the right file?); save it " \
           "smaller or as JPEG" in result.stdout
    assert "== sokasi-baik → Facebook ==" in result.stdout  # the rest of the catalogue is prepared
    assert "== sokasi-baik → Instagram ==" in result.stdout


def test_a_big_photo_file_under_the_limit_is_hashed_in_chunks(project):
    folder = project.product("sokasi-berat", "title: S\ncaption: C\n", photos=())
    with (folder / "x.jpg").open("wb") as handle:
        handle.truncate(media.MAX_PHOTO_FILE_BYTES - 1)
    tracemalloc.start()
    result = project.run("check")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert lines_about(result, "sokasi-berat") == [
        "posts/sokasi-berat/x.jpg: is not a photo this tool can read (JPEG, PNG or WebP), although its name says so; "
        "export it again as JPEG"]
    assert peak < 20_000_000  # read 1 MB at a time, never 100 MB at once


@needs_links
def test_two_photos_that_link_to_each_other_are_each_named_and_the_rest_still_checks(project):
    project.good("sokasi-baik")
    folder = project.product("sokasi-putar", "title: S\ncaption: C\n", photos=("a.jpg",))
    (folder / "b.jpg").symlink_to("c.jpg")
    (folder / "c.jpg").symlink_to("b.jpg")
    result = project.run("check")
    assert "Traceback" not in result.output and "unexpected" not in result.output
    loop = "is a link that leads back to itself (a loop of links); delete it and copy the real file in"
    assert lines_about(result, "sokasi-putar") == [f"posts/sokasi-putar/b.jpg: {loop}", f"posts/sokasi-putar/c.jpg: {loop}"]
    assert "Products with problems: 1 of 2;" in result.stderr


@needs_fifo
def test_a_post_yaml_that_is_a_named_pipe_is_named_and_blocks_nothing(project):
    folder = project.product("sokasi-pipa", None)
    os.mkfifo(folder / "post.yaml")
    result, _elapsed = run_within(project, 10, "check", pipes=(folder / "post.yaml",))
    assert lines_about(result, "sokasi-pipa") == [
        "posts/sokasi-pipa/post.yaml: is not an ordinary file but a named pipe; remove it, or put the real file in "
        "its place"]


# -- bounded loading -----------------------------------------------------------------------------------------


def test_yaml_nested_50000_levels_deep_is_one_named_problem(project):
    project.good("sokasi-baik")
    project.product("sokasi-dalam", "title: S\ncaption: C\nfocus: " + "[" * 50_000 + "]" * 50_000 + "\n")
    result = project.run("check")
    assert "Traceback" not in result.output and "unexpected" not in result.output
    assert lines_about(result, "sokasi-dalam") == [
        f"posts/sokasi-dalam/post.yaml: line 3, column {8 + MAX_YAML_DEPTH - 1}: nested more than {MAX_YAML_DEPTH} "
        "levels deep; a post.yaml needs only a few (check the brackets)"]
    assert "Products with problems: 1 of 2;" in result.stderr


@needs_links
def test_a_product_folder_that_links_outside_the_catalogue_is_refused(project, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "post.yaml").write_text("title: S\ncaption: C\n", encoding="utf-8")
    (elsewhere / "foto.jpg").write_bytes(jpeg_bytes())
    (project.posts / "sokasi-luar").symlink_to(elsewhere)
    project.good("sokasi-baik")
    result = project.run("check")
    assert result.exit_code == 1
    assert lines_about(result, "sokasi-luar") == [
        f"posts/sokasi-luar: is a link to a folder outside the products folder ({elsewhere}); move the product folder "
        "into posts instead"]
    dry = project.run("publish", "--dry-run")
    assert "sokasi-luar →" not in dry.stdout


def test_a_folder_name_ending_in_a_newline_is_not_a_product_name(project):
    project.product("sokasi-baru\n", "title: S\ncaption: C\n")
    result = project.run("check")
    assert result.exit_code == 1
    assert "the folder name is not a valid product name" in result.stdout
    assert "Products: 0" in result.stderr or "Products with problems: 1 of 1" in result.stderr


# -- the WhatsApp importer -----------------------------------------------------------------------------------


def one_line_zip(path: Path, header: bytes, megabytes: int) -> int:
    """A zip whose _chat.txt is `header` and then `megabytes` MB of 'a' on one line; returns the unpacked size.

    Built by hand from one compressed megabyte repeated (each ends in a full flush, so the pieces are identical):
    writing it takes milliseconds. Its CRC is left wrong on purpose: the tool must stop long before it could check.
    """
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    start = packer.compress(header) + packer.flush(zlib.Z_FULL_FLUSH)
    piece = packer.compress(b"a" * (1 << 20)) + packer.flush(zlib.Z_FULL_FLUSH)
    end = packer.flush()
    packed = len(start) + len(piece) * megabytes + len(end)
    size = len(header) + megabytes * (1 << 20)
    name = b"_chat.txt"
    with path.open("wb") as out:
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x5B7C, 0, packed, size, len(name), 0) + name)
        out.write(start)
        for _ in range(megabytes):
            out.write(piece)
        out.write(end)
        directory = out.tell()
        entry = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x5B7C, 0, packed, size, len(name),
                            0, 0, 0, 0, 0, 0) + name
        out.write(entry)
        out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(entry), directory, 0))
    return size


def test_a_chat_zip_that_unpacks_to_one_1_5_gb_line_is_refused_quickly_in_little_memory(project, tmp_path):
    bomb = tmp_path / "chat.zip"
    size = one_line_zip(bomb, b"28/11/26 09.15 - Ni Ketut Sari: ", 1_430)
    assert bomb.stat().st_size < 1_600_000 and size > 1_490_000_000
    assert size < importer.MAX_ZIP_BYTES  # it passes the archive's own limits
    tracemalloc.start()
    started = time.perf_counter()
    result = project.run("import-whatsapp", str(bomb))
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert elapsed < 5
    assert peak < 200_000_000
    assert result.exit_code == 2
    assert result.stderr == (f"error: _chat.txt: line 1: a message longer than {MAX_MESSAGE_CHARS:,} characters, which "
                             "WhatsApp never writes; this is not a chat as WhatsApp exports it, so nothing was imported\n")
    assert list(project.posts.iterdir()) == []


def test_a_message_longer_than_whatsapp_writes_is_refused_before_anything_is_written(project, tmp_path):
    # The shape of a 200 MB message (which used to become a 212 MB post.yaml), just over the limit: many short lines.
    chat = tmp_path / "WhatsApp Chat with Sokasi.txt"
    lines = ["28/11/26 09.10 - Wayan: halo",
             "28/11/26 09.15 - Ni Ketut Sari: IMG-20261128-WA0001.jpg (file terlampir)",
             *(["sokasi bambu " * 7] * (MAX_MESSAGE_CHARS // 90 + 10))]
    chat.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "IMG-20261128-WA0001.jpg").write_bytes(jpeg_bytes())
    result = project.run("import-whatsapp", str(chat))
    assert result.exit_code == 2
    assert "line 2: a message longer than 100,000 characters, which WhatsApp never writes" in result.stderr
    assert list(project.posts.iterdir()) == []


def test_a_drafts_words_are_cut_at_the_caption_limit_with_a_warning_and_check_reads_it(project, tmp_path):
    words = "Sokasi bundar anyaman bambu. " * 300  # about 8,700 characters: a long message, but one WhatsApp sends
    chat = "".join(f"28/11/26 09.{10 + n} - Ni Ketut Sari: IMG-20261128-WA000{n}.jpg (file terlampir)\n{words}\n"
                   for n in range(1, 6))
    export = tmp_path / "a.zip"
    with zipfile.ZipFile(export, "w") as bundle:
        bundle.writestr("_chat.txt", chat)
        for n in range(1, 6):
            bundle.writestr(f"IMG-20261128-WA000{n}.jpg", jpeg_bytes())
    result = project.run("import-whatsapp", str(export))
    assert result.exit_code == 0, result.output
    assert (f"Ni Ketut Sari, 2026-11-28 09:11: the words are longer than {importer.MAX_CAPTION_CHARS:,} characters; "
            "the caption was cut there, check it") in result.stderr
    (post_file,) = project.posts.glob("*/post.yaml")
    caption = yaml.safe_load(post_file.read_text(encoding="utf-8"))["caption"]
    assert importer.MAX_CAPTION_CHARS - 100 < len(caption) <= importer.MAX_CAPTION_CHARS
    assert post_file.stat().st_size < 20_000
    named = [line for line in project.run("check").stdout.splitlines() if "post.yaml:" in line and ": warning: " not in line]
    assert named and all("the Instagram caption is" in line for line in named)  # read back whole; only too long to post


def test_a_long_run_of_photos_is_split_into_drafts_and_too_many_drafts_are_refused(project, tmp_path, monkeypatch):
    monkeypatch.setattr(importer, "MAX_DRAFT_PHOTOS", 2)
    names = [f"IMG-20261128-WA000{n}.jpg" for n in range(1, 6)]
    chat = "".join(f"28/11/26 09.1{n} - Ni Ketut Sari: {name} (file terlampir)\n" for n, name in enumerate(names))
    export = tmp_path / "a.zip"
    with zipfile.ZipFile(export, "w") as bundle:
        bundle.writestr("_chat.txt", chat)
        for name in names:
            bundle.writestr(name, jpeg_bytes())
    monkeypatch.setattr(importer, "MAX_DRAFTS", 2)
    refused = project.run("import-whatsapp", str(export))
    assert refused.exit_code == 2
    assert refused.stderr == ("error: _chat.txt: this chat would make more than 2 products at once; import it in parts "
                              "with --since\n")
    assert list(project.posts.iterdir()) == []
    monkeypatch.setattr(importer, "MAX_DRAFTS", 1_000)
    result = project.run("import-whatsapp", str(export))
    assert "Drafted: 3 products" in result.stderr
    counts = sorted(len(yaml.safe_load(p.read_text(encoding="utf-8"))["photos"]) for p in project.posts.glob("*/post.yaml"))
    assert counts == [1, 2, 2]


@needs_links
def test_a_folder_exports_photo_that_links_to_a_secret_is_not_copied(project, tmp_path):
    secret = tmp_path / "rahasia.jpg"
    secret.write_bytes(jpeg_bytes(colour=(1, 2, 3)))
    export = tmp_path / "export"
    export.mkdir()
    (export / "_chat.txt").write_text(
        "28/11/26 09.15 - Ni Ketut Sari: IMG-20261128-WA0001.jpg (file terlampir)\nSokasi\n"
        "28/11/26 09.16 - Ni Ketut Sari: IMG-20261128-WA0002.jpg (file terlampir)\n", encoding="utf-8")
    (export / "IMG-20261128-WA0001.jpg").symlink_to(secret)
    (export / "IMG-20261128-WA0002.jpg").write_bytes(jpeg_bytes())
    result = project.run("import-whatsapp", str(export))
    assert result.exit_code == 0, result.output
    assert ("IMG-20261128-WA0001.jpg is in the export but is a link, not the photo itself; it was not copied (put the "
            "real photo there)") in result.stderr
    copied = list(project.posts.rglob("*.jpg"))
    assert [p.name for p in copied] == ["IMG-20261128-WA0002.jpg"]
    assert all(p.read_bytes() != secret.read_bytes() for p in copied)


@needs_links
def test_a_chat_txt_in_an_export_folder_is_never_read_through_a_link(project, tmp_path):
    elsewhere = tmp_path / "other.txt"
    elsewhere.write_text("28/11/26 09.15 - Ni Ketut Sari: IMG-20261128-WA0001.jpg (file terlampir)\n", encoding="utf-8")
    export = tmp_path / "export"
    export.mkdir()
    (export / "_chat.txt").symlink_to(elsewhere)
    result = project.run("import-whatsapp", str(export))
    assert result.exit_code == 2
    assert "no chat .txt in this export" in result.stderr


def test_beside_a_bare_txt_only_whatsapp_photo_names_are_copied(project, tmp_path):
    downloads = tmp_path / "Downloads"
    downloads.mkdir()
    (downloads / "passport.jpg").write_bytes(jpeg_bytes(colour=(9, 9, 9)))
    (downloads / "IMG-20261128-WA0002.jpg").write_bytes(jpeg_bytes())
    chat = downloads / "WhatsApp Chat with Sokasi.txt"
    chat.write_text("28/11/26 09.15 - Ni Ketut Sari: passport.jpg (file terlampir)\n"
                    "28/11/26 09.16 - Ni Ketut Sari: IMG-20261128-WA0002.jpg (file terlampir)\nSokasi poleng\n",
                    encoding="utf-8")
    result = project.run("import-whatsapp", str(chat))
    assert result.exit_code == 0, result.output
    assert ("passport.jpg is not named the way WhatsApp names photos, so it is not taken from beside the .txt; import "
            "the chat's .zip to include it") in result.stderr
    assert [p.name for p in project.posts.rglob("*.jpg")] == ["IMG-20261128-WA0002.jpg"]


# -- the preview folder --------------------------------------------------------------------------------------


def test_preview_refuses_a_folder_it_did_not_make_and_touches_nothing_in_it(project):
    project.good("sokasi-a")
    mine = project.root / "dokumen"
    (mine / "foto-keluarga").mkdir(parents=True)
    (mine / "index.html").write_text("halaman saya", encoding="utf-8")
    (mine / "foto-keluarga" / "facebook-01.jpg").write_bytes(b"kenangan")
    result = project.run("preview", "--out", "dokumen")
    assert result.exit_code == 2
    assert result.stderr == ("error: dokumen: this folder has other files in it and was not made by `sokasi-post "
                             "preview`; nothing was written: choose a new or empty folder with --out\n")
    assert sorted(str(p.relative_to(mine)) for p in mine.rglob("*")) == [
        "foto-keluarga", "foto-keluarga/facebook-01.jpg", "index.html"]
    assert (mine / "index.html").read_text(encoding="utf-8") == "halaman saya"


def test_preview_writes_again_into_its_own_folder_and_removes_only_what_it_wrote(project):
    project.good("sokasi-a")
    project.good("sokasi-b")
    assert project.run("preview", "--out", "pratinjau").exit_code == 0
    out = project.root / "pratinjau"
    (out / "catatan.txt").write_text("jangan dihapus", encoding="utf-8")
    (out / "sokasi-b" / "catatan.txt").write_text("ini juga", encoding="utf-8")
    (out / "sokasi-a" / "facebook-01.jpg").write_bytes(b"diganti oleh orang")
    for slug in ("sokasi-a", "sokasi-b"):
        for child in (project.posts / slug).iterdir():
            child.unlink()
        (project.posts / slug).rmdir()
    project.good("sokasi-c")
    result = project.run("preview", "--out", "pratinjau")
    assert result.exit_code == 0, result.output
    assert (out / "sokasi-c" / "facebook-01.jpg").is_file()
    assert (out / "catatan.txt").read_text(encoding="utf-8") == "jangan dihapus"
    assert (out / "sokasi-b" / "catatan.txt").read_text(encoding="utf-8") == "ini juga"
    assert not (out / "sokasi-b" / "facebook-01.jpg").exists()  # its own old photo: removed
    assert (out / "sokasi-a" / "facebook-01.jpg").read_bytes() == b"diganti oleh orang"  # changed since: kept
    assert not (out / "sokasi-a" / "instagram-01.jpg").exists()


@needs_links
def test_a_link_put_in_place_of_the_page_is_replaced_never_written_through(project, tmp_path):
    project.good("sokasi-a")
    assert project.run("preview", "--out", "pratinjau").exit_code == 0
    victim = tmp_path / "penting.txt"
    victim.write_text("isi penting", encoding="utf-8")
    page = project.root / "pratinjau" / "index.html"
    page.unlink()
    page.symlink_to(victim)
    project.good("sokasi-b")
    assert project.run("preview", "--out", "pratinjau").exit_code == 0
    assert victim.read_text(encoding="utf-8") == "isi penting"
    assert not page.is_symlink() and "sokasi-b" in page.read_text(encoding="utf-8")


@needs_links
def test_a_product_folder_in_the_preview_replaced_by_a_link_is_refused_not_written_through(project, tmp_path):
    project.good("sokasi-a")
    assert project.run("preview", "--out", "pratinjau").exit_code == 0
    elsewhere = tmp_path / "lain"
    elsewhere.mkdir()
    (project.root / "pratinjau" / "sokasi-a" / "facebook-01.jpg").unlink()
    (project.root / "pratinjau" / "sokasi-a" / "instagram-01.jpg").unlink()
    (project.root / "pratinjau" / "sokasi-a").rmdir()
    (project.root / "pratinjau" / "sokasi-a").symlink_to(elsewhere)
    project.good("sokasi-b")
    result = project.run("preview", "--out", "pratinjau")
    assert result.exit_code == 2
    assert result.stderr == ("error: pratinjau/sokasi-a: is in the way of the preview (it was not made by it); move it "
                             "away or choose another folder with --out\n")
    assert list(elsewhere.iterdir()) == []


@pytest.mark.parametrize("link", ["javascript:alert(document.domain)", " JavaScript:alert(1)", "data:text/html,<b>x</b>",
                                  "https://www.facebook.com/1/posts/2\"onmouseover=\"alert(1)"])
def test_a_permalink_that_is_not_a_web_address_never_becomes_a_link(project, link):
    project.good("sokasi-a")
    ledger = Ledger.open(project.root / ".sokasi-post")
    ledger.begin("sokasi-a", "facebook", "x")
    ledger.succeed("sokasi-a", "facebook", Receipt("facebook", "1_2", link, datetime(2026, 11, 28, tzinfo=UTC)))
    ledger.close()
    assert project.run("preview", "--out", "pratinjau").exit_code == 0
    page = (project.root / "pratinjau" / "index.html").read_text(encoding="utf-8")
    hrefs = re.findall(r'href="([^"]*)"', page)
    assert all(href.startswith(("#", "preview.png", "https://", "http://")) for href in hrefs), hrefs
    assert not any("alert" in href for href in hrefs)
    assert '<span class="state done">posted</span>' in page


def test_an_https_permalink_is_a_link(project):
    project.good("sokasi-a")
    ledger = Ledger.open(project.root / ".sokasi-post")
    ledger.begin("sokasi-a", "facebook", "x")
    ledger.succeed("sokasi-a", "facebook", Receipt("facebook", "1_2", "https://www.facebook.com/1/posts/2",
                                                    datetime(2026, 11, 28, tzinfo=UTC)))
    ledger.close()
    project.run("preview", "--out", "pratinjau")
    page = (project.root / "pratinjau" / "index.html").read_text(encoding="utf-8")
    assert '<a href="https://www.facebook.com/1/posts/2">open</a>' in page
