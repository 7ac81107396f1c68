"""`import-whatsapp` and `report`: chat exports in the formats phones write -> exact drafts; a report from the ledger."""

from __future__ import annotations

import io
import tracemalloc
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from sokasi_post import importer
from sokasi_post.captions import format_rupiah
from sokasi_post.importer import parse_price
from sokasi_post.ledger import Ledger
from sokasi_post.models import Receipt

ANDROID_ID = """\
28/11/26 09.10 - Pesan dan panggilan terenkripsi secara end-to-end. Tidak ada orang di luar chat ini yang dapat membaca.
28/11/26 09.12 - Ni Ketut Sari bergabung menggunakan tautan undangan grup ini
28/11/26 09.15 - Ni Ketut Sari: Sokasi bundar motif poleng, diameter 30 cm, Rp 175.000
28/11/26 09.15 - Ni Ketut Sari: IMG-20261128-WA0001.jpg (file terlampir)
28/11/26 09.16 - Ni Ketut Sari: IMG-20261128-WA0002.jpg (file terlampir)
28/11/26 09.20 - Wayan Koordinator: Bagus! Jam 08:00 besok kita foto lagi
28/11/26 09.21 - Wayan Koordinator: Pesan ini telah dihapus
28/11/26 10.02 - I Made Budiasa: IMG-20261128-WA0003.jpg (file terlampir)
Sokasi kecil polos
harga 85rb
28/11/26 10.30 - +62 812-3456-7890: IMG-20261128-WA0004.jpg (file terlampir)
28/11/26 10.31 - +62 812-3456-7890: Keben tinggi 1,2 jt
"""

IOS_EN = """\
[28/11/2026, 09:15:02] Sokasi Tigawasa: \u200eMessages and calls are end-to-end encrypted. No one outside of this chat can read them.
[28/11/2026, 09:15:30] Ni Ketut Sari: \u200e<attached: 00000012-PHOTO-2026-11-28-09-15-30.jpg>
[28/11/2026, 09:16:10] Ni Ketut Sari: \u200e<attached: 00000013-PHOTO-2026-11-28-09-16-10.jpg>
[28/11/2026, 09:17:00] Ni Ketut Sari: Round sokasi with lid
Natural bamboo, 25 cm
IDR 150,000
[28/11/2026, 13:40:00] I Made Budiasa: Keben hitam Rp175rb
[28/11/2026, 13:41:00] I Made Budiasa: \u200e<attached: 00000020-PHOTO-2026-11-28-13-41-00.jpg>
"""

US_12H = """\
11/28/26, 9:15\u202fAM - Ni Ketut Sari: IMG-20261128-WA0001.jpg (file attached)
Sokasi poleng 175k
11/28/26, 2:05\u202fPM - I Made Budiasa: <Media omitted>
11/28/26, 2:06\u202fPM - I Made Budiasa: Keben 200 ribu
"""


def jpeg(colour=(180, 140, 90)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), colour).save(buffer, "JPEG")
    return buffer.getvalue()


def make_zip(path: Path, chat: str, chat_name: str = "_chat.txt", photos: tuple[str, ...] = (), extra: dict | None = None,
             encoding: str = "utf-8") -> Path:
    with zipfile.ZipFile(path, "w") as bundle:
        bundle.writestr(chat_name, chat.encode(encoding))
        for number, name in enumerate(photos):
            bundle.writestr(name, jpeg((40 * number % 255, 120, 90)))
        for name, data in (extra or {}).items():
            bundle.writestr(name, data)
    return path


def drafts(project) -> dict[str, dict]:
    found = {}
    for post_file in sorted(project.posts.glob("*/post.yaml")):
        data = yaml.safe_load(post_file.read_text(encoding="utf-8"))
        found[post_file.parent.name] = data
    return found


ANDROID_PHOTOS = tuple(f"IMG-20261128-WA000{n}.jpg" for n in range(1, 5))


def test_android_indonesian_export_becomes_exact_drafts(project, tmp_path):
    export = make_zip(tmp_path / "WhatsApp Chat dengan Sokasi Tigawasa.zip", ANDROID_ID,
                      "WhatsApp Chat dengan Sokasi Tigawasa.txt", ANDROID_PHOTOS)
    result = project.run("import-whatsapp", str(export))
    assert result.exit_code == 0, result.output
    assert drafts(project) == {
        "sokasi-bundar-motif-poleng-diameter-30-cm": {
            "title": "Sokasi bundar motif poleng, diameter 30 cm",
            "caption": "Sokasi bundar motif poleng, diameter 30 cm, Rp 175.000",
            "price": 175000, "maker": "Ni Ketut Sari",
            "photos": ["IMG-20261128-WA0001.jpg", "IMG-20261128-WA0002.jpg"], "status": "draft"},
        "sokasi-kecil-polos": {
            "title": "Sokasi kecil polos", "caption": "Sokasi kecil polos\nharga 85rb", "price": 85000,
            "maker": "I Made Budiasa", "photos": ["IMG-20261128-WA0003.jpg"], "status": "draft"},
        "keben-tinggi": {
            "title": "Keben tinggi", "caption": "Keben tinggi 1,2 jt", "price": 1200000,
            "photos": ["IMG-20261128-WA0004.jpg"], "status": "draft"},
    }
    text = (project.posts / "keben-tinggi" / "post.yaml").read_text(encoding="utf-8")
    assert "812" not in text  # the sender's phone number is never copied
    assert text.startswith("# Drafted from the WhatsApp chat (WhatsApp Chat dengan Sokasi Tigawasa.txt, lines 11–12")
    photo = project.posts / "sokasi-kecil-polos" / "IMG-20261128-WA0003.jpg"
    assert photo.read_bytes() == zipfile.ZipFile(export).read("IMG-20261128-WA0003.jpg")
    assert "the sender is a phone number, so maker is left empty" in result.stderr
    check = project.run("check")
    assert check.exit_code == 0, check.output  # the drafts are valid product folders


def test_ios_english_export(project, tmp_path):
    photos = ("00000012-PHOTO-2026-11-28-09-15-30.jpg", "00000013-PHOTO-2026-11-28-09-16-10.jpg",
              "00000020-PHOTO-2026-11-28-13-41-00.jpg")
    export = make_zip(tmp_path / "chat.zip", IOS_EN, photos=photos)
    assert project.run("import-whatsapp", str(export)).exit_code == 0
    found = drafts(project)
    assert found["round-sokasi-with-lid"] == {
        "title": "Round sokasi with lid", "caption": "Round sokasi with lid\nNatural bamboo, 25 cm\nIDR 150,000",
        "price": 150000, "maker": "Ni Ketut Sari", "photos": list(photos[:2]), "status": "draft"}
    assert found["keben-hitam"] == {"title": "Keben hitam", "caption": "Keben hitam Rp175rb", "price": 175000,
                                    "maker": "I Made Budiasa", "photos": [photos[2]], "status": "draft"}


def test_a_bare_txt_with_photos_beside_it_and_a_us_12_hour_clock(project, tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "WhatsApp Chat with Sokasi.txt").write_text(US_12H, encoding="utf-8")
    (folder / "IMG-20261128-WA0001.jpg").write_bytes(jpeg())
    result = project.run("import-whatsapp", str(folder / "WhatsApp Chat with Sokasi.txt"))
    assert result.exit_code == 0, result.output
    found = drafts(project)
    assert found["sokasi-poleng"]["price"] == 175000
    assert found["sokasi-poleng"]["photos"] == ["IMG-20261128-WA0001.jpg"]
    assert found["keben"] == {"title": "Keben", "caption": "Keben 200 ribu", "price": 200000, "maker": "I Made Budiasa",
                              "status": "draft"}
    assert ("this export was made 'without media' (photos left out: 1; of them sent without any words, so not drafted: 0)"
            in result.stderr)


def test_importing_again_or_an_overlapping_later_export_drafts_nothing_twice(project, tmp_path):
    first = make_zip(tmp_path / "a.zip", ANDROID_ID, photos=ANDROID_PHOTOS)
    project.run("import-whatsapp", str(first))
    again = project.run("import-whatsapp", str(first))
    assert "Drafted: 0 products from 10 messages; already imported before: 3" in again.stderr
    later = ANDROID_ID + "29/11/26 08.00 - Ni Ketut Sari: IMG-20261129-WA0001.jpg (file terlampir)\nSokasi mini Rp 60.000\n"
    more = make_zip(tmp_path / "b.zip", later, photos=(*ANDROID_PHOTOS, "IMG-20261129-WA0001.jpg"))
    result = project.run("import-whatsapp", str(more))
    assert "Drafted: 1 products" in result.stderr
    assert sorted(drafts(project)) == ["keben-tinggi", "sokasi-bundar-motif-poleng-diameter-30-cm", "sokasi-kecil-polos",
                                       "sokasi-mini"]


def test_dry_run_since_and_from(project, tmp_path):
    export = make_zip(tmp_path / "a.zip", ANDROID_ID, photos=ANDROID_PHOTOS)
    dry = project.run("import-whatsapp", str(export), "--dry-run", "--from", "i made budiasa")
    assert dry.stdout == "posts/sokasi-kecil-polos: Sokasi kecil polos · Rp 85.000 · I Made Budiasa · photos: 1\n"
    assert drafts(project) == {}
    assert "Would draft: 1 products" in dry.stderr
    later = project.run("import-whatsapp", str(export), "--since", "2026-11-29")
    assert "Drafted: 0 products" in later.stderr
    bad = project.run("import-whatsapp", str(export), "--since", "kemarin")
    assert bad.exit_code == 2 and "--since kemarin: expected a date like 2026-11-28" in bad.stderr


def test_slugs_are_unique_against_existing_folders(project, tmp_path):
    project.good("sokasi-kecil-polos")
    project.run("import-whatsapp", str(make_zip(tmp_path / "a.zip", ANDROID_ID, photos=ANDROID_PHOTOS)))
    assert (project.posts / "sokasi-kecil-polos-2" / "post.yaml").is_file()


def test_zip_names_never_choose_where_files_are_written(project, tmp_path):
    chat = "28/11/26 09.15 - Ni Ketut Sari: IMG-1.jpg (file terlampir)\nSokasi\n"
    export = make_zip(tmp_path / "evil.zip", chat, extra={"../../IMG-1.jpg": jpeg(), "/tmp/absolute-evil.jpg": jpeg(),
                                                          "../../../../outside.txt": b"x"})
    result = project.run("import-whatsapp", str(export))
    assert result.exit_code == 0, result.output
    assert (project.posts / "sokasi" / "IMG-1.jpg").is_file()
    assert not (tmp_path.parent / "IMG-1.jpg").exists() and not (tmp_path.parent.parent / "IMG-1.jpg").exists()
    assert not Path("/tmp/absolute-evil.jpg").exists()
    assert sorted(p.name for p in (project.posts / "sokasi").iterdir()) == ["IMG-1.jpg", "post.yaml"]


def test_a_zip_bomb_is_refused_by_count_and_by_size(project, tmp_path, monkeypatch):
    monkeypatch.setattr(importer, "MAX_ZIP_MEMBERS", 5)
    many = make_zip(tmp_path / "many.zip", ANDROID_ID, extra={f"x{n}.bin": b"" for n in range(10)})
    result = project.run("import-whatsapp", str(many))
    assert result.exit_code == 2
    assert "the zip holds more than a chat export can hold (11 files" in result.stderr
    monkeypatch.setattr(importer, "MAX_ZIP_MEMBERS", 5000)
    monkeypatch.setattr(importer, "MAX_PHOTO_BYTES", 1000)
    chat = "28/11/26 09.15 - Ni Ketut Sari: IMG-1.jpg (file terlampir)\nSokasi besar\n"
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("_chat.txt", chat)
        bundle.writestr("IMG-1.jpg", b"\0" * 5_000_000)  # 5 MB of zeros: a few kB packed
    result = project.run("import-whatsapp", str(bomb))
    assert "IMG-1.jpg is too large for a photo" in result.stderr
    assert not (project.posts / "sokasi-besar" / "IMG-1.jpg").exists()


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig"])
def test_chat_files_in_utf16_or_with_a_bom(project, tmp_path, encoding):
    export = make_zip(tmp_path / "a.zip", ANDROID_ID, photos=ANDROID_PHOTOS, encoding=encoding)
    project.run("import-whatsapp", str(export))
    assert len(drafts(project)) == 3


def test_an_empty_export_and_a_missing_photo(project, tmp_path):
    empty = make_zip(tmp_path / "empty.zip", "")
    result = project.run("import-whatsapp", str(empty))
    assert result.exit_code == 0
    assert "Drafted: 0 products from 0 messages" in result.stderr
    missing = make_zip(tmp_path / "missing.zip", ANDROID_ID, photos=ANDROID_PHOTOS[1:])
    result = project.run("import-whatsapp", str(missing))
    assert "IMG-20261128-WA0001.jpg is mentioned in the chat but not in the export; the product is drafted without it" \
        in result.stderr
    assert drafts(project)["sokasi-bundar-motif-poleng-diameter-30-cm"]["photos"] == ["IMG-20261128-WA0002.jpg"]


def test_a_message_with_only_a_price(project, tmp_path):
    chat = "28/11/26 09.15 - Ni Ketut Sari: IMG-1.jpg (file terlampir)\n28/11/26 09.16 - Ni Ketut Sari: Rp 90.000\n"
    project.run("import-whatsapp", str(make_zip(tmp_path / "a.zip", chat, photos=("IMG-1.jpg",))))
    assert drafts(project)["sokasi-from-ni-ketut-sari"] == {
        "title": "Sokasi from Ni Ketut Sari", "caption": "Rp 90.000", "price": 90000, "maker": "Ni Ketut Sari",
        "photos": ["IMG-1.jpg"], "status": "draft"}


def test_a_big_chat_log_is_streamed_not_read_whole(project, tmp_path):
    """A log ten times longer takes about the same memory: neither the file, nor its lines, nor what is kept per
    message (some 70 bytes each would show) grows with it."""
    line = "28/11/26 09.15 - Wayan Koordinator: " + "obrolan biasa tentang bambu " * 8 + "\n"

    def peak_while_importing(lines: int) -> tuple[int, int]:
        log = tmp_path / str(lines) / "_chat.txt"
        log.parent.mkdir(exist_ok=True)
        log.write_text(line * lines, encoding="utf-8")
        tracemalloc.start()
        try:
            result = project.run("import-whatsapp", str(log))
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert result.exit_code == 0, result.output
        return log.stat().st_size, peak

    peak_while_importing(200)  # the first import loads and compiles what every later one reuses
    _, small = peak_while_importing(1_000)
    size, big = peak_while_importing(10_000)
    assert size > 2_500_000
    assert big - small < size // 20, (small, big)


@pytest.mark.parametrize(("text", "expected"), [
    ("Rp 175.000", 175000), ("Rp175rb", 175000), ("175 ribu", 175000), ("175k", 175000), ("IDR 175,000", 175000),
    ("1,2 jt", 1200000), ("Rp 1.250.000", 1250000), ("Rp. 175.000,-", 175000), ("harga 85rb nego", 85000),
    ("1.5jt", 1500000), ("diameter 30 cm", None), ("08:00 besok", None), ("2 juta", 2000000),
])
def test_prices_written_the_indonesian_ways(text, expected):
    assert parse_price(text) == expected


@given(st.integers(min_value=1, max_value=10**9))
def test_a_rupiah_price_reads_back(amount):
    assert parse_price(format_rupiah(amount)) == amount


def test_report_lists_what_went_online_per_craftsman_with_links_and_what_failed(project):
    project.good("sokasi-a", maker="Ni Ketut Sari")
    project.good("sokasi-b", maker="I Made Budiasa")
    project.good("sokasi-c", maker="I Made Budiasa", publish_at="2026-12-24 09:00")
    ledger = Ledger.open(project.root / ".sokasi-post")
    at = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
    for slug, platform, link in (("sokasi-a", "facebook", "https://www.facebook.com/1/posts/2"),
                                 ("sokasi-a", "instagram", "https://www.instagram.com/p/AAA/"),
                                 ("sokasi-b", "facebook", "https://www.facebook.com/1/posts/3")):
        ledger.begin(slug, platform, "x")
        ledger.succeed(slug, platform, Receipt(platform, "id", link, at))
    ledger.begin("sokasi-b", "instagram", "x")
    ledger.settle("sokasi-b", "instagram", "failed", "Instagram refused the post: bad image")
    ledger.close()
    english = project.run("report", "--lang", "en").stdout
    assert english.splitlines()[0].startswith("*sokasi-post report* — ")
    assert ("*Online:*\n_I Made Budiasa_\n• *Sokasi b*\n  FB: https://www.facebook.com/1/posts/3\n"
            "_Ni Ketut Sari_\n• *Sokasi a*\n  FB: https://www.facebook.com/1/posts/2\n  IG: https://www.instagram.com/p/AAA/") \
        in english
    assert "*Next:*\n• Sokasi c — Thursday, 24 December 2026 09:00 WITA" in english
    assert "*Needs a look:*\n_I Made Budiasa_\n• Sokasi b (IG): Instagram refused the post: bad image — " in english
    indonesian = project.run("report", "--lang", "id").stdout  # the second report: nothing new since the first
    assert "*Online sejak" in indonesian and "_tidak ada yang baru_" in indonesian
    assert "• Sokasi c — Kamis, 24 Desember 2026 09.00 WITA" in indonesian
    since = project.run("report", "--lang", "id", "--since", "2026-11-01").stdout
    assert "https://www.instagram.com/p/AAA/" in since
