"""Drafts a coordinator need not fix: no phone numbers, no price words in titles, no attachment lines in captions,
left-out media in any language, no "~ " before names, and a damaged zip said as such."""

from __future__ import annotations

import re
import zipfile

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from sokasi_post.captions import format_rupiah
from sokasi_post.importer import TITLE_LENGTH, remove_phone_numbers, title_words
from sokasi_post.whatsapp import is_attachment_line, parse_chat
from tests.test_import_whatsapp import drafts, make_zip

PHOTOS = tuple(f"IMG-20261128-WA000{n}.jpg" for n in range(1, 6))


def messages(text: str) -> list[tuple]:
    return [(m.sender, m.kind, m.attachment, m.text) for m in parse_chat(text.splitlines(keepends=True), "dmy")]


# -- phone numbers ----------------------------------------------------------------------------------


def test_a_phone_number_typed_in_a_message_reaches_no_title_caption_or_folder(project, tmp_path):
    chat = (
        "28/11/26 09.15 - Ni Ketut Sari: IMG-20261128-WA0001.jpg (file terlampir)\n"
        "Sokasi bundar, hub 0812 3456 7890\n"
        "Rp 175.000\n"
        "28/11/26 10.02 - I Made Budiasa: IMG-20261128-WA0002.jpg (file terlampir)\n"
        "Keben hitam (WA: +62 813-1234-5678)\n"
        "Pesan lewat 62.857.1234.5678 atau 0361 123456 ya\n"
        "28/11/26 11.00 - Wayan: IMG-20261128-WA0003.jpg (file terlampir)\n"
        "Sokasi kecil diameter 20 cm, harga 85rb\n"
    )
    result = project.run("import-whatsapp", str(make_zip(tmp_path / "a.zip", chat, photos=PHOTOS[:3])))
    assert result.exit_code == 0, result.output
    found = drafts(project)
    assert sorted(found) == ["keben-hitam", "sokasi-bundar", "sokasi-kecil-diameter-20-cm"]
    assert found["sokasi-bundar"]["title"] == "Sokasi bundar"
    assert found["sokasi-bundar"]["caption"] == "Sokasi bundar\nRp 175.000"
    assert found["sokasi-bundar"]["price"] == 175000
    assert found["keben-hitam"]["caption"] == "Keben hitam\nPesan lewat atau ya"
    for folder in project.posts.iterdir():
        text = (folder / "post.yaml").read_text(encoding="utf-8")
        assert not re.search(r"0812|3456|813|1234|5678|0361|123456", text), text
    # One warning for each draft that had a number, naming it; none for the one that had none.
    assert result.stderr.count("a phone number in the message was left out of the title and caption") == 2
    assert "sokasi-bundar: a phone number in the message was left out" in result.stderr
    assert "keben-hitam: a phone number in the message was left out" in result.stderr
    assert "sokasi-kecil-diameter-20-cm: a phone" not in result.stderr


@pytest.mark.parametrize(("text", "expected"), [
    ("Sokasi bundar, hub 0812 3456 7890", "Sokasi bundar"),
    ("Info: 0812-3456-7890", "Info"),
    ("WA +62 812-3456-7890 ya", "ya"),
    ("telp. 0812.3456.7890", ""),
    ("Keben (081234567890) hitam", "Keben hitam"),
    ("Rp 175.000 0812 3456 7890", "Rp 175.000"),
    ("0812 3456 7890 30 cm", "30 cm"),
    ("kontak: 6281234567890", ""),
    ("(0361) 123456 Tigawasa", "Tigawasa"),
    ("call +44 7123 456789", ""),
])
def test_phone_numbers_are_removed_with_the_word_that_names_them(text, expected):
    assert remove_phone_numbers(text) == (expected, 1)


@pytest.mark.parametrize("text", [
    "Rp 175.000", "Rp 1.250.000", "Rp. 625.000.000,-", "625.000.000", "harga 625 000 000", "IDR 175,000", "175rb",
    "1,2 jt", "diameter 30 cm", "30 x 40 cm", "jam 08.00-17.00", "tgl 01-12-2026 08.00", "28/11/2026",
    "IMG-20261128-WA0001.jpg", "2 buah 150rb",
])
def test_prices_sizes_dates_and_times_are_no_phone_numbers(text):
    assert remove_phone_numbers(text) == (text, 0)


def phone_numbers() -> st.SearchStrategy[str]:
    """Indonesian mobile and landline numbers and foreign ones, written the ways people type them."""

    @st.composite
    def build(draw) -> str:
        prefix = draw(st.sampled_from(["0", "+62 ", "+62", "62", "62-", "(+62) ", "+62-"]))
        operator = "8" + draw(st.from_regex(r"[1-9]\d", fullmatch=True))
        rest = draw(st.from_regex(r"\d{6,8}", fullmatch=True))
        separator = draw(st.sampled_from([" ", "-", ".", ""]))
        size = draw(st.sampled_from([3, 4]))
        groups = [operator, *(rest[i:i + size] for i in range(0, len(rest), size))]
        return prefix + separator.join(groups)

    landline = st.builds(lambda area, number, sep: f"{area}{sep}{number}", st.sampled_from(["0361", "021", "(0361)", "(021)"]),
                         st.from_regex(r"[2-9]\d{5,7}", fullmatch=True), st.sampled_from([" ", "-", ""]))
    foreign = st.builds(lambda code, a, b: f"+{code} {a} {b}", st.sampled_from(["44", "61", "31", "1"]),
                        st.from_regex(r"[1-9]\d{3}", fullmatch=True), st.from_regex(r"\d{6}", fullmatch=True))
    return st.one_of(build(), landline, foreign)


def prices_and_sizes() -> st.SearchStrategy[str]:
    amount = st.integers(min_value=1, max_value=10**9)
    small = st.integers(min_value=1, max_value=999)
    return st.one_of(
        amount.map(format_rupiah), amount.map(lambda n: f"{n:,}".replace(",", ".")), small.map(lambda n: f"{n}rb"),
        small.map(lambda n: f"{n} ribu"), small.map(lambda n: f"{n}k"), small.map(lambda n: f"{n / 10:.1f} jt".replace(".", ",")),
        small.map(lambda n: f"{n} cm"), st.tuples(small, small).map(lambda t: f"{t[0]} x {t[1]} cm"),
        small.map(lambda n: f"diameter {n}cm"), small.map(lambda n: f"{n} buah"),
    )


words = st.sampled_from(["Sokasi bundar", "motif poleng", "hub", "WA", "harga", "ukuran", "ready", "Tigawasa", "pesan"])


@example(["Rp 125.000.000"], "0810 000 000", [])
@given(st.lists(st.one_of(words, prices_and_sizes()), max_size=4), phone_numbers(),
       st.lists(st.one_of(words, prices_and_sizes()), max_size=4))
def test_a_phone_number_in_any_written_form_is_always_removed_and_what_is_around_it_kept(before, number, after):
    # Words stand between the number and a price: "0812 3456 7890 175.000" is ambiguous even to a person.
    text = " ".join([*before, "ini", number, "ya", *after])
    cleaned, count = remove_phone_numbers(text)
    assert count == 1
    assert number not in cleaned
    # Between "ini" and "ya", where the number was (a price before it may hold the same digits: Rp 125.000.000).
    where = cleaned.split("ini", 1)[1].split("ya", 1)[0]
    assert re.sub(r"\D", "", number)[-6:] not in re.sub(r"\D", "", where)
    for part in [*before, *after]:
        if re.search(r"\d", part):
            assert part in cleaned


@example(["62.000", "1.000"])  # two prices side by side whose digits start like Indonesia's country code
@given(st.lists(st.one_of(words, prices_and_sizes()), min_size=1, max_size=6))
def test_a_price_or_a_size_is_never_taken_for_a_phone_number(parts):
    text = " ".join(parts)
    assert remove_phone_numbers(text) == (text, 0)


def test_a_sender_named_with_a_number_keeps_only_the_name(project, tmp_path):
    chat = "28/11/26 09.15 - Ketut 0812 3456 7890: IMG-20261128-WA0001.jpg (file terlampir)\nSokasi poleng\n"
    project.run("import-whatsapp", str(make_zip(tmp_path / "a.zip", chat, photos=PHOTOS[:1])))
    assert drafts(project)["sokasi-poleng"]["maker"] == "Ketut"


# -- titles -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("line", "title"), [
    ("Sokasi bundar 30cm harga", "Sokasi bundar 30cm"),
    ("Sokasi bundar 30cm harga 175rb", "Sokasi bundar 30cm"),
    ("Sokasi harga 175rb motif poleng", "Sokasi motif poleng"),
    ("Keben tinggi 1,2 jt", "Keben tinggi"),
    ("Sokasi besar 175.000", "Sokasi besar"),
    ("Sokasi 175 ribu/pcs", "Sokasi"),
    ("Sokasi cuma 175k", "Sokasi"),
    ("Sokasi (Rp 175.000) poleng", "Sokasi poleng"),
    ("Sokasi ,, poleng , 175k", "Sokasi, poleng"),
    ("Sokasi hanya satu", "Sokasi hanya satu"),
    ("Harga: Rp 175.000", ""),
    ("Rp 90.000 nego", ""),
    ("- Sokasi bundar -", "Sokasi bundar"),
    ("Sokasi bundar anyaman bambu tali motif poleng khas Tigawasa yang dibuat tangan",
     "Sokasi bundar anyaman bambu tali motif poleng khas Tigawasa"),
])
def test_a_title_has_no_price_no_stray_punctuation_and_ends_at_a_word(line, title):
    assert title_words(line) == title


@given(st.lists(st.sampled_from(["Sokasi", "bundar", "anyaman", "bambu", "poleng", "Tigawasa", "keben", "x", "diameter"]),
                min_size=1, max_size=30))
def test_a_long_title_is_cut_at_the_end_of_a_word(parts):
    title = title_words(" ".join(parts))
    assert len(title) <= TITLE_LENGTH
    assert title.split() == parts[:len(title.split())]


def test_the_title_of_a_draft_skips_a_line_that_is_only_a_price(project, tmp_path):
    chat = ("28/11/26 09.15 - Ni Ketut Sari: IMG-20261128-WA0001.jpg (file terlampir)\n"
            "Harga: 175.000\nSokasi kecil polos, diameter 20 cm,\n")
    project.run("import-whatsapp", str(make_zip(tmp_path / "a.zip", chat, photos=PHOTOS[:1])))
    assert drafts(project)["sokasi-kecil-polos-diameter-20-cm"] == {
        "title": "Sokasi kecil polos, diameter 20 cm", "caption": "Harga: 175.000\nSokasi kecil polos, diameter 20 cm,",
        "price": 175000, "maker": "Ni Ketut Sari", "photos": ["IMG-20261128-WA0001.jpg"], "status": "draft"}


# -- attachment lines and markers -----------------------------------------------------------------


def test_attachment_lines_never_land_in_a_caption(project, tmp_path):
    chat = (
        "28/11/26 09.15 - Ni Ketut Sari: Sokasi bundar motif poleng\n"
        "IMG-20261128-WA0009.png (file attached)\n"
        "28/11/26 09.16 - Ni Ketut Sari: IMG-20261128-WA0001.jpg (file terlampir)\n"
        "IMG-20261128-WA0008.jpg\n"
        "\u200e<attached: 00000012-PHOTO-2026-11-28-09-15-30.jpg>\n"
        "diameter 30 cm\n"
        "28/11/26 09.17 - Ni Ketut Sari: <Media tidak disertakan>\n"
    )
    project.run("import-whatsapp", str(make_zip(tmp_path / "a.zip", chat, photos=PHOTOS[:1])))
    assert drafts(project)["sokasi-bundar-motif-poleng"]["caption"] == "Sokasi bundar motif poleng\n\ndiameter 30 cm"


# "Media omitted" as each language's phone writes it (sources in sokasi_post/whatsapp.py beside MEDIA_OMITTED).
OMITTED = {
    "en": "<Media omitted>", "id": "<Media tidak disertakan>", "es": "<Multimedia omitido>", "pt": "<Mídia omitida>",
    "de": "<Medien ausgelassen>", "de-2": "<Medien ausgeschlossen>", "fr": "<Médias omis>", "it": "<Media omessi>",
    "nl": "<Media weggelaten>", "tr": "<Medya dahil edilmedi>", "ru": "<Без медиафайлов>", "ar": "<تم استبعاد الوسائط>",
    "hi": "<मीडिया के बिना>", "ja": "<メディアなし>", "zh": "<省略多媒体文件>", "zh-tw": "<忽略多媒體檔>", "ko": "<미디어 파일 제외됨>",
    "cs": "< Média vynechána >", "ios-en": "image omitted", "ios-id": "gambar tidak disertakan", "ios-es": "imagen omitida",
}


@pytest.mark.parametrize("marker", OMITTED.values(), ids=OMITTED.keys())
def test_media_omitted_in_every_common_language(marker):
    assert messages(f"28/11/26 09.15 - ~ Ketut: \u200e{marker}\n") == [("Ketut", "omitted", None, "")]
    assert is_attachment_line(marker)


ATTACHED = {
    "en": "(file attached)", "id": "(file terlampir)", "de": "(Datei angehängt)", "es": "(archivo adjunto)",
    "pt": "(arquivo anexado)", "fr": "(fichier joint)", "it": "(file allegato)", "ja": "(ファイル添付)",
    "zh": "（文件附件）", "ko": "(파일 첨부)", "unknown": "(attachement inconnu)",
}


@pytest.mark.parametrize("marker", ATTACHED.values(), ids=ATTACHED.keys())
def test_file_attached_in_every_common_language(marker):
    line = f"IMG-20261128-WA0001.png {marker}"
    assert messages(f"28/11/26 09.15 - Ketut: {line}\nSokasi\n") == [("Ketut", "media", "IMG-20261128-WA0001.png", "Sokasi")]
    assert is_attachment_line(line)


def test_a_document_keeps_its_name_only_with_a_known_marker():
    assert messages("28/11/26 09.15 - Ketut: Daftar harga.pdf (fichier joint)\n") == [("Ketut", "media", "Daftar harga.pdf", "")]
    # Any words in brackets after an ordinary name are typed text, not a file.
    assert messages("28/11/26 09.15 - Ketut: Katalog.pdf (nanti saya kirim)\n") == [
        ("Ketut", "text", None, "Katalog.pdf (nanti saya kirim)")]


@pytest.mark.parametrize("line", ["Sokasi bundar", "Lihat foto (file attached) kemarin", "Katalog.pdf • 7 halaman", ""])
def test_words_are_no_attachment_line(line):
    assert not is_attachment_line(line)


# -- names --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mark", ["~ ", "~\u202f", "~\u00a0", "~"])
def test_the_mark_of_a_sender_who_is_no_contact_is_dropped(project, tmp_path, mark):
    chat = f"28/11/26 09.15 - {mark}Ni Ketut Sari: IMG-20261128-WA0001.jpg (file terlampir)\nSokasi poleng\n"
    project.run("import-whatsapp", str(make_zip(tmp_path / "a.zip", chat, photos=PHOTOS[:1])))
    assert drafts(project)["sokasi-poleng"]["maker"] == "Ni Ketut Sari"


def test_dropping_the_mark_keeps_the_key_so_an_old_import_is_still_known():
    [marked] = parse_chat(["28/11/26 09.15 - ~ Ketut: halo\n"])
    [plain] = parse_chat(["28/11/26 09.15 - Ketut: halo\n"])
    assert marked.sender == plain.sender == "Ketut"
    assert marked.key != plain.key  # the key is that of the line as it was written, as before


# -- left-out media -------------------------------------------------------------------------------------


def test_a_message_that_is_only_left_out_media_drafts_nothing_and_the_advice_is_given_once(project, tmp_path):
    chat = (
        "28/11/26 09.15 - Ni Ketut Sari: <Media omitted>\n"
        "28/11/26 11.15 - I Made Budiasa: <Media tidak disertakan>\n"
        "28/11/26 13.15 - Wayan: <Medien ausgelassen>\n"
        "28/11/26 13.16 - Wayan: Keben 200 ribu\n"
        "28/11/26 15.15 - Komang: IMG-20261128-WA0001.jpg (file terlampir)\nSokasi mini\n"
    )
    result = project.run("import-whatsapp", str(make_zip(tmp_path / "a.zip", chat, photos=PHOTOS[:1])))
    assert result.exit_code == 0, result.output
    assert sorted(drafts(project)) == ["keben", "sokasi-mini"]
    assert result.stderr.count("without media") == 1
    assert ("this export was made 'without media' (photos left out: 3; of them sent without any words, so not "
            "drafted: 2)") in result.stderr


# -- a damaged zip --------------------------------------------------------------------------------------


def test_a_zip_cut_short_is_said_to_be_damaged(project, tmp_path):
    whole = make_zip(tmp_path / "whole.zip", "28/11/26 09.15 - A: x\n" * 200, photos=PHOTOS[:2]).read_bytes()
    for name in ("cut.zip", "cut-without-suffix"):
        (tmp_path / name).write_bytes(whole[:len(whole) // 2])
        result = project.run("import-whatsapp", str(tmp_path / name))
        assert result.exit_code == 2
        assert f"{tmp_path / name}: the zip is damaged (its table of contents is missing)" in result.stderr
        assert "no WhatsApp message lines found" not in result.stderr


def test_a_zip_with_a_broken_directory_is_said_to_be_damaged(project, tmp_path):
    data = bytearray(make_zip(tmp_path / "whole.zip", "28/11/26 09.15 - A: x\n").read_bytes())
    directory = data.rindex(b"PK\x01\x02")
    data[directory:directory + 4] = b"XXXX"  # the central directory's first entry no longer reads
    (tmp_path / "broken.zip").write_bytes(bytes(data))
    assert zipfile.is_zipfile(tmp_path / "broken.zip")
    result = project.run("import-whatsapp", str(tmp_path / "broken.zip"))
    assert result.exit_code == 2
    assert f"{tmp_path / 'broken.zip'}: the zip is damaged (" in result.stderr


@pytest.mark.parametrize("text", ["1 " * 50_000 + "x", "(1)" * 30_000, "0812 " * 20_000 + "a", "Rp 1 " * 20_000])
def test_a_100_000_character_message_of_digits_is_cleaned_in_linear_time(text):
    import time

    start = time.monotonic()
    remove_phone_numbers(text)
    title_words(text)
    is_attachment_line(text)
    assert time.monotonic() - start < 5  # read group by group it took minutes
