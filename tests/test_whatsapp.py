"""WhatsApp chat exports: every header layout, system lines, attachments, dates, streaming and the real fixtures."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sokasi_post.whatsapp import ANDROID_HEADER, IOS_HEADER, ChatFormatError, Message, detect_date_order, parse_chat

REALDATA = Path(__file__).resolve().parent.parent.parent / "shared" / "realdata" / "whatsapp"

LRM = "\u200e"
NNBSP = "\u202f"


def lines_of(text: str) -> list[str]:
    """The lines of `text` as iterating over an open file gives them: ending in "\\n", split on "\\n" only."""
    return list(io.StringIO(text, newline=""))


def parse(text: str, date_order: str | None = "detect") -> list[tuple]:
    """(at, sender, text, attachment, kind) of every message, the date order detected first as the importer does."""
    if date_order == "detect":
        date_order = detect_date_order(lines_of(text))
    return [(m.at, m.sender, m.text, m.attachment, m.kind) for m in parse_chat(lines_of(text), date_order)]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_android_indonesian_dot_time():
    chat = (
        "28/11/26 09.15 - Pesan dan panggilan terenkripsi secara end-to-end. Tidak seorang pun di luar chat ini, termasuk "
        "WhatsApp, yang dapat membaca atau mendengarkannya. Ketuk untuk info selengkapnya.\n"
        '28/11/26 09.15 - Wayan Sukarta membuat grup "Sokasi Tigawasa"\n'
        "28/11/26 09.16 - Wayan Sukarta menambahkan Ni Ketut Sari\n"
        "28/11/26 09.20 - Ni Ketut Sari: IMG-20261128-WA0001.jpg (file terlampir)\n"
        "Sokasi bundar motif poleng\n"
        "Harga: Rp 175.000\n"
        "\n"
        "28/11/26 09.21 - Ni Ketut Sari: <Media tidak disertakan>\n"
        "28/11/26 09.22 - Wayan Sukarta: Pesan ini telah dihapus\n"
        "28/11/26 09.23 - Wayan Sukarta: Anda menghapus pesan ini\n"
        "28/11/26 09.30 - +62 812-3456-7890: Masih ada yang ukuran besar?\n"
        "28/11/26 09.31 - Wayan Sukarta: Ada. Jam buka: 08:00 - 17:00 <Pesan ini diedit>\n"
        "28/11/26 09.32 - Kode keamanan Anda dengan Ni Ketut Sari telah berubah.\n"
        "29/11/26 07.05 - Ni Ketut Sari keluar\n"
    )
    assert parse(chat) == [
        (at("2026-11-28 09:15"), None,
         "Pesan dan panggilan terenkripsi secara end-to-end. Tidak seorang pun di luar chat ini, termasuk WhatsApp, yang dapat "
         "membaca atau mendengarkannya. Ketuk untuk info selengkapnya.", None, "system"),
        (at("2026-11-28 09:15"), None, 'Wayan Sukarta membuat grup "Sokasi Tigawasa"', None, "system"),
        (at("2026-11-28 09:16"), None, "Wayan Sukarta menambahkan Ni Ketut Sari", None, "system"),
        (at("2026-11-28 09:20"), "Ni Ketut Sari", "Sokasi bundar motif poleng\nHarga: Rp 175.000", "IMG-20261128-WA0001.jpg", "media"),
        (at("2026-11-28 09:21"), "Ni Ketut Sari", "", None, "omitted"),
        (at("2026-11-28 09:22"), "Wayan Sukarta", "", None, "deleted"),
        (at("2026-11-28 09:23"), "Wayan Sukarta", "", None, "deleted"),
        (at("2026-11-28 09:30"), "+62 812-3456-7890", "Masih ada yang ukuran besar?", None, "text"),
        (at("2026-11-28 09:31"), "Wayan Sukarta", "Ada. Jam buka: 08:00 - 17:00", None, "text"),
        (at("2026-11-28 09:32"), None, "Kode keamanan Anda dengan Ni Ketut Sari telah berubah.", None, "system"),
        (at("2026-11-29 07:05"), None, "Ni Ketut Sari keluar", None, "system"),
    ]


def test_android_english_24_hours_four_digit_year():
    chat = (
        "28/11/2026, 09:15 - Messages and calls are end-to-end encrypted. No one outside of this chat, not even WhatsApp, "
        "can read or listen to them. Tap to learn more.\n"
        '28/11/2026, 09:15 - Wayan created group "Sokasi"\n'
        "28/11/2026, 09:16 - Wayan added Ketut\n"
        "28/11/2026, 09:20 - Ketut: IMG-20261128-WA0002.jpg (file attached)\n"
        "28/11/2026, 09:21 - Ketut: Katalog Sokasi 2026.pdf (file attached) (3 KB)\n"
        "28/11/2026, 09:22 - Ketut: <Media omitted>\n"
        "28/11/2026, 09:23 - Ketut: This message was deleted\n"
        "28/11/2026, 09:24 - Wayan: You deleted this message\n"
        "28/11/2026, 09:25 - Wayan: Ready at 08:00\n"
        "\n"
        "Second paragraph <This message was edited>\n"
        "28/11/2026, 09:26 - Your security code with Ketut changed. Tap to learn more.\n"
        '28/11/2026, 09:27 - Wayan changed the subject from "Sokasi" to "Sokasi: promo"\n'
        "28/11/2026, 21:40 - Ketut left\n"
    )
    assert parse(chat) == [
        (at("2026-11-28 09:15"), None,
         "Messages and calls are end-to-end encrypted. No one outside of this chat, not even WhatsApp, can read or listen to them. "
         "Tap to learn more.", None, "system"),
        (at("2026-11-28 09:15"), None, 'Wayan created group "Sokasi"', None, "system"),
        (at("2026-11-28 09:16"), None, "Wayan added Ketut", None, "system"),
        (at("2026-11-28 09:20"), "Ketut", "", "IMG-20261128-WA0002.jpg", "media"),
        (at("2026-11-28 09:21"), "Ketut", "", "Katalog Sokasi 2026.pdf", "media"),
        (at("2026-11-28 09:22"), "Ketut", "", None, "omitted"),
        (at("2026-11-28 09:23"), "Ketut", "", None, "deleted"),
        (at("2026-11-28 09:24"), "Wayan", "", None, "deleted"),
        (at("2026-11-28 09:25"), "Wayan", "Ready at 08:00\n\nSecond paragraph", None, "text"),
        (at("2026-11-28 09:26"), None, "Your security code with Ketut changed. Tap to learn more.", None, "system"),
        # The new subject holds ": ", yet this is no message from someone called 'Wayan changed the subject from "Sokasi" to "Sokasi'.
        (at("2026-11-28 09:27"), None, 'Wayan changed the subject from "Sokasi" to "Sokasi: promo"', None, "system"),
        (at("2026-11-28 21:40"), None, "Ketut left", None, "system"),
    ]


def test_android_us_12_hours_with_narrow_no_break_space():
    chat = (
        f"11/28/26, 9:15{NNBSP}AM - Ketut: Good morning\n"
        f"11/28/26, 12:05{NNBSP}PM - Ketut: Lunch at 12:30: ok?\n"
        f"11/28/26, 9:15{NNBSP}PM - Wayan: <Media omitted>\n"
        f"11/29/26, 12:30{NNBSP}AM - Wayan: Late\n"
    )
    assert detect_date_order(lines_of(chat)) == "mdy"
    assert parse(chat) == [
        (at("2026-11-28 09:15"), "Ketut", "Good morning", None, "text"),
        (at("2026-11-28 12:05"), "Ketut", "Lunch at 12:30: ok?", None, "text"),
        (at("2026-11-28 21:15"), "Wayan", "", None, "omitted"),
        (at("2026-11-29 00:30"), "Wayan", "Late", None, "text"),
    ]


def test_ios_indonesian_with_direction_marks_and_terlampir():
    chat = (
        f"{LRM}[28/11/26, 09.15.02] Sokasi Tigawasa: {LRM}Pesan dan panggilan terenkripsi secara end-to-end. Tidak seorang pun "
        "di luar chat ini, termasuk WhatsApp, yang dapat membaca atau mendengarkannya.\n"
        f"[28/11/26, 09.20.11] Ni Ketut Sari: {LRM}<terlampir: 00000012-PHOTO-2026-11-28-09-20-11.jpg>\n"
        "[28/11/26, 09.20.40] Ni Ketut Sari: Sokasi bundar, diameter 30 cm\n"
        f"[28/11/26, 09.21.05] Ni Ketut Sari: Katalog.pdf • 7 halaman {LRM}<terlampir: 00000013-Katalog.pdf>\n"
        f"{LRM}[28/11/26, 09.22.00] Wayan: {LRM}gambar tidak disertakan\n"
        f"{LRM}[28/11/26, 09.22.30] Wayan: {LRM}stiker tidak disertakan\n"
        f"{LRM}[28/11/26, 09.23.00] Wayan: {LRM}Pesan ini dihapus\n"
        f"[28/11/26, 09.24.00] Wayan: Siap, besok jam 08.00 {LRM}<Pesan ini telah diedit>\n"
        f"[28/11/26, 09.25.00] Wayan: {LRM}Kode keamanan Anda dengan Wayan telah berubah. Ketuk untuk info selengkapnya.\n"
    )
    assert parse(chat) == [
        (at("2026-11-28 09:15:02"), None,
         "Sokasi Tigawasa: Pesan dan panggilan terenkripsi secara end-to-end. Tidak seorang pun di luar chat ini, termasuk "
         "WhatsApp, yang dapat membaca atau mendengarkannya.", None, "system"),
        (at("2026-11-28 09:20:11"), "Ni Ketut Sari", "", "00000012-PHOTO-2026-11-28-09-20-11.jpg", "media"),
        (at("2026-11-28 09:20:40"), "Ni Ketut Sari", "Sokasi bundar, diameter 30 cm", None, "text"),
        (at("2026-11-28 09:21:05"), "Ni Ketut Sari", "Katalog.pdf • 7 halaman", "00000013-Katalog.pdf", "media"),
        (at("2026-11-28 09:22:00"), "Wayan", "", None, "omitted"),
        (at("2026-11-28 09:22:30"), "Wayan", "", None, "omitted"),
        (at("2026-11-28 09:23:00"), "Wayan", "", None, "deleted"),
        (at("2026-11-28 09:24:00"), "Wayan", "Siap, besok jam 08.00", None, "text"),
        (at("2026-11-28 09:25:00"), None, "Wayan: Kode keamanan Anda dengan Wayan telah berubah. Ketuk untuk info selengkapnya.", None,
         "system"),
    ]


def test_ios_english_12_hours_attached():
    chat = (
        f"[11/28/26, 9:15:02{NNBSP}PM] Ketut: {LRM}<attached: 00000021-PHOTO-2026-11-28-21-15-02.jpg>\n"
        f"[11/28/26, 9:15:30{NNBSP}PM] Ketut: {LRM}image omitted\n"
        f"[11/28/26, 9:16:00{NNBSP}PM] Ketut: {LRM}video omitted\n"
        f"[11/28/26, 9:16:10{NNBSP}PM] Ketut: {LRM}sticker omitted\n"
        f"[11/28/26, 9:17:00{NNBSP}PM] Ketut: Price list.pdf • 2 pages {LRM}document omitted\n"
        f"[11/28/26, 9:18:00{NNBSP}PM] Wayan: {LRM}This message was deleted.\n"
        f"[11/29/26, 12:01:00{NNBSP}AM] Wayan: Good night\n"
        "see you\n"
    )
    assert parse(chat) == [
        (at("2026-11-28 21:15:02"), "Ketut", "", "00000021-PHOTO-2026-11-28-21-15-02.jpg", "media"),
        (at("2026-11-28 21:15:30"), "Ketut", "", None, "omitted"),
        (at("2026-11-28 21:16:00"), "Ketut", "", None, "omitted"),
        (at("2026-11-28 21:16:10"), "Ketut", "", None, "omitted"),
        (at("2026-11-28 21:17:00"), "Ketut", "", None, "omitted"),
        (at("2026-11-28 21:18:00"), "Wayan", "", None, "deleted"),
        (at("2026-11-29 00:01:00"), "Wayan", "Good night\nsee you", None, "text"),
    ]


def test_other_attachment_markers():
    chat = (
        "28/11/26 09.15 - A: 4f2680f1db95a8454775cc2eefc95bfc.jpg (Datei angehängt)\n"
        "Frohe Ostern\n"
        "28/11/26 09.16 - A: VID-20261128-WA0003.mp4 (archivo adjunto)\n"
        "28/11/26 09.17 - A: PTT-20261128-WA0004.opus (fichier joint)\n"
        "28/11/26 09.18 - A: IMG-20261128-WA0005.jpg (arquivo anexado)\n"
        "28/11/26 09.19 - A: <Medien ausgeschlossen>\n"
        "28/11/26 09.20 - A: < attached: 00000042-PHOTO-2020-06-07-15-13-20.jpg >\n"
        "28/11/26 09.21 - A: 2015-08-04-PHOTO-00004762.jpg <attached>\n"
        "28/11/26 09.22 - A: Lihat foto (file attached) kemarin\n"
    )
    assert parse(chat) == [
        (at("2026-11-28 09:15"), "A", "Frohe Ostern", "4f2680f1db95a8454775cc2eefc95bfc.jpg", "media"),
        (at("2026-11-28 09:16"), "A", "", "VID-20261128-WA0003.mp4", "media"),
        (at("2026-11-28 09:17"), "A", "", "PTT-20261128-WA0004.opus", "media"),
        (at("2026-11-28 09:18"), "A", "", "IMG-20261128-WA0005.jpg", "media"),
        (at("2026-11-28 09:19"), "A", "", None, "omitted"),
        (at("2026-11-28 09:20"), "A", "", "00000042-PHOTO-2020-06-07-15-13-20.jpg", "media"),
        (at("2026-11-28 09:21"), "A", "", "2015-08-04-PHOTO-00004762.jpg", "media"),
        # Typed text that only mentions the marker is no attachment.
        (at("2026-11-28 09:22"), "A", "Lihat foto (file attached) kemarin", None, "text"),
    ]


@pytest.mark.parametrize(("header", "expected"), [
    ("2026/11/28, 21:15 - ", "2026-11-28 21:15"),
    ("[2026/11/28 21:15:46] ", "2026-11-28 21:15:46"),
    ("2026/11/28, 13:01. - ", "2026-11-28 13:01"),
    ("28.11.2026, 09:15 - ", "2026-11-28 09:15"),
    ("28-11-26 09:15 - ", "2026-11-28 09:15"),
    ("[28-11-26 09:15:00] ", "2026-11-28 09:15"),
    ("[28.11.26, 09:15:00] ", "2026-11-28 09:15"),
    ("28/11/2026 13:00 - ", "2026-11-28 13:00"),
    ("28/11/26, 09:15:45 - ", "2026-11-28 09:15:45"),
    ("28.11.26 21.25.15: ", "2026-11-28 21:25:15"),
    ("28.11.2026 klo 21.25.15 - ", "2026-11-28 21:25:15"),
    ("28/11/26, 9:15 pm - ", "2026-11-28 21:15"),
    ("28/11/26, 9:15 a.m. - ", "2026-11-28 09:15"),
    ("28/11/26, 9:15 p. m. - ", "2026-11-28 21:15"),
    ("28/11/26, 9:15 p.\u00a0m. - ", "2026-11-28 21:15"),
    ("[28/11/26 9:15:00 p. m.] ", "2026-11-28 21:15"),
    ("28/11/26, 12:15 a. m. - ", "2026-11-28 00:15"),
    ("28/11/26, 12:15 p.m. - ", "2026-11-28 12:15"),
])
def test_header_layouts(header, expected):
    assert parse(header + "Ketut: Halo: apa kabar?\n", "dmy") == [(at(expected), "Ketut", "Halo: apa kabar?", None, "text")]


def test_detect_date_order():
    assert detect_date_order(lines_of("01/11/26 09.15 - A: x\n28/11/26 09.15 - A: y\n")) == "dmy"
    assert detect_date_order(lines_of("11/01/26, 9:15 AM - A: x\n11/28/26, 9:15 AM - A: y\n")) == "mdy"
    assert detect_date_order(lines_of("[2026/11/01 09:15:00] A: x\n")) == "ymd"
    # 01/02 and 03/04 fit either way, and nothing in the order of the dates tells them apart.
    assert detect_date_order(lines_of("01/02/26 09.15 - A: x\n03/04/26 09.15 - A: y\n")) is None
    assert detect_date_order(lines_of("no chat here\n")) is None
    assert detect_date_order([]) is None


def test_detect_date_order_reads_the_whole_file_and_ignores_continuation_lines():
    chat = "01/11/26 09.15 - A: x\n" * 50 + "dikirim 11/28/26 jam 9\n" + "28/11/26 09.15 - A: y\n"
    assert detect_date_order(lines_of(chat)) == "dmy"


def test_detect_date_order_falls_back_to_the_field_that_goes_down_inside_a_year():
    # No field above 12, but the first one goes down from 10 to 2 within 2026: it is the day.
    assert detect_date_order(lines_of("10/01/26 09.15 - A: x\n02/02/26 09.15 - A: y\n")) == "dmy"
    assert detect_date_order(lines_of("01/10/26 09.15 - A: x\n02/02/26 09.15 - A: y\n")) == "mdy"


def test_date_order_is_applied_when_given():
    chat = "01/02/26 09.15 - A: x\n"
    assert parse(chat, "dmy")[0][0] == at("2026-02-01 09:15")
    assert parse(chat, "mdy")[0][0] == at("2026-01-02 09:15")
    assert parse(chat, None)[0][0] == at("2026-02-01 09:15")


def test_impossible_dates_and_times_are_not_headers():
    chat = (
        "28/02/26 09.15 - A: Daftar\n"
        "31/02/26 09.15 - B: bukan pesan baru\n"
        "29/02/25 09.15 - B: 2025 bukan tahun kabisat\n"
        "28/02/26 25.00 - B: jam 25 tidak ada\n"
        "28/02/26 09.75 - B: menit 75 tidak ada\n"
        "28/11/2026 09.00: ambil bambu\n"
        "29/02/24 09.15 - C: 2024 kabisat\n"
    )
    assert parse(chat, "dmy") == [
        (at("2026-02-28 09:15"), "A", "Daftar\n31/02/26 09.15 - B: bukan pesan baru\n29/02/25 09.15 - B: 2025 bukan tahun kabisat\n"
         "28/02/26 25.00 - B: jam 25 tidak ada\n28/02/26 09.75 - B: menit 75 tidak ada\n28/11/2026 09.00: ambil bambu", None, "text"),
        (at("2024-02-29 09:15"), "C", "2024 kabisat", None, "text"),
    ]


def test_a_date_impossible_in_the_files_order_is_read_the_other_way():
    # The phone went from English (US) to Indonesian halfway through the chat.
    chat = "11/28/26, 9:15 PM - A: before\n29/11/26 09.15 - A: after\n"
    assert [row[0] for row in parse(chat, "mdy")] == [at("2026-11-28 21:15"), at("2026-11-29 09:15")]


def test_crlf_and_bom():
    chat = "\ufeff28/11/26 09.15 - Ketut: halo\r\nbaris dua\r\n\r\n28/11/26 09.16 - Wayan: ok\r\n"
    messages = list(parse_chat(lines_of(chat)))
    assert [(m.line, m.sender, m.text) for m in messages] == [(1, "Ketut", "halo\nbaris dua"), (4, "Wayan", "ok")]


def test_a_file_without_a_final_newline_and_lines_of_the_messages():
    chat = "28/11/26 09.15 - A: satu\n\n28/11/26 09.16 - B: dua\ntiga"
    messages = list(parse_chat(lines_of(chat)))
    assert [(m.line, m.text) for m in messages] == [(1, "satu"), (3, "dua\ntiga")]


def test_zero_width_joiners_inside_emoji_are_kept():
    farmer = "\U0001f469\u200d\U0001f33e"
    [message] = parse_chat(lines_of(f"28/11/26 09.15 - Ni Ketut {farmer}: Sokasi {farmer}\n"))
    assert (message.sender, message.text) == (f"Ni Ketut {farmer}", f"Sokasi {farmer}")


def test_key_is_the_sha256_of_time_sender_attachment_and_text():
    import hashlib

    [message] = parse_chat(lines_of("28/11/26 09.20 - Ketut: IMG-20261128-WA0001.jpg (file terlampir)\nSokasi bundar\n"))
    expected = hashlib.sha256(b"2026-11-28T09:20:00|Ketut|IMG-20261128-WA0001.jpg|Sokasi bundar").hexdigest()[:32]
    assert message == Message(at("2026-11-28 09:20"), "Ketut", "Sokasi bundar", "IMG-20261128-WA0001.jpg", "media", 1, expected)


def test_parse_chat_streams():
    consumed = 0
    total = 1000

    def lines() -> Iterator[str]:
        nonlocal consumed
        for n in range(total):
            consumed += 1
            minute = n % 60
            yield f"28/11/26 {n // 60 % 24:02d}.{minute:02d} - A: pesan {n}\n"

    for message in parse_chat(lines()):
        # Message k is out as soon as the header of message k+1 was read, never later.
        assert consumed <= message.line + 1
    assert consumed == total


def test_parse_chat_does_not_read_ahead():
    def lines() -> Iterator[str]:
        yield "28/11/26 09.15 - A: satu\n"
        yield "dua\n"
        yield "28/11/26 09.16 - B: tiga\n"
        raise AssertionError("the parser read further than the next header")

    messages = parse_chat(lines())
    assert next(messages).text == "satu\ndua"


def test_a_text_that_is_no_chat_is_refused():
    with pytest.raises(ChatFormatError, match="no WhatsApp message lines found"):
        list(parse_chat(lines_of("Daftar harga sokasi\nSokasi bundar 175.000\n")))


def test_empty_input_gives_no_messages():
    assert list(parse_chat([])) == []
    assert list(parse_chat(lines_of("\n\n  \n"))) == []


def test_lines_before_the_first_header_are_dropped():
    assert parse("catatan\n28/11/26 09.15 - A: satu\n", "dmy") == [(at("2026-11-28 09:15"), "A", "satu", None, "text")]


# Property tests: whatever the text, the parser either parses it or says it is no chat, and the same text gives the same keys.

any_line = st.one_of(
    st.text(max_size=60),
    st.from_regex(ANDROID_HEADER, fullmatch=True),
    st.from_regex(IOS_HEADER, fullmatch=True),
)


@given(st.lists(any_line, max_size=20), st.sampled_from(["dmy", "mdy", "ymd", None]))
def test_any_text_never_crashes_and_keys_are_stable(lines, date_order):
    text = "\n".join(lines)
    detect_date_order(lines_of(text))
    try:
        first = list(parse_chat(lines_of(text), date_order))
    except ChatFormatError:
        return
    assert first == list(parse_chat(lines_of(text), date_order))
    assert all(re.fullmatch(r"[0-9a-f]{32}", m.key) for m in first)
    assert [m.line for m in first] == sorted({m.line for m in first})
    assert all(m.kind in {"text", "media", "omitted", "deleted", "system"} for m in first)


names = st.sampled_from(["Ni Ketut Sari", "Wayan", "+62 812-3456-7890", "I Made 🌺", "Bu Komang-Ayu"])
# Digits are left out so a typed line never looks like a header; ": " and times are still easy to produce.
body_line = st.text(alphabet=st.sampled_from(list("abc xyz:.-()<>ÀéŸ🌺")), max_size=30)


@given(st.lists(st.tuples(names, st.lists(body_line, min_size=1, max_size=4)), min_size=1, max_size=8))
def test_what_was_written_is_read_back(messages):
    chat = "".join(f"28/11/26 09.{n:02d} - {name}: " + "\n".join(body) + "\n" for n, (name, body) in enumerate(messages))
    parsed = list(parse_chat(lines_of(chat)))
    assert [m.sender for m in parsed] == [name for name, _ in messages]
    for message, (_, body) in zip(parsed, messages, strict=True):
        if message.kind == "text":
            assert message.text == "\n".join(body).strip()


# The fixtures of other projects. Two header lines of the Pustur parser tests are layouts that no phone is known to
# write today and that WHATSAPP-FORMATS.md leaves out on purpose: "13. 6. 2018. 21:25:15 a: m" (no separator after
# the time) and "[06/2018/13, …]" (year in the middle).
UNPARSED_ON_PURPOSE = {
    "Pustur-whatsapp-chat-parser__parser.test.ts.extracted.txt": {"13. 6. 2018. 21:25:15 a: m", "[06/2018/13, 21:25:15] a: m"},
}
LOOKS_LIKE_A_HEADER = re.compile(r"^\[?\d{1,4}[./-]\s?\d{1,4}[./-]\s?\d{1,4}")
EXPECTED = {
    # file: (date order detected, messages)
    "Pustur-issue-248__android-us-12h-nnbsp.reconstructed.txt": ("mdy", 8),
    "Pustur-whatsapp-chat-parser__index.test.ts.chatExample.txt": ("mdy", 5),
    "Pustur-whatsapp-chat-parser__index.test.ts.issue237.txt": ("dmy", 2),
    "Pustur-whatsapp-chat-parser__parser.test.ts.extracted.txt": ("dmy", 18),
    "joweich-chat-miner__test_[mmddyy]_24hrs.txt": ("mdy", 9),
    "joweich-chat-miner__test_dateformat2.txt": ("mdy", 4),
    "joweich-chat-miner__test_dateformat3.txt": ("ymd", 4),
    "joweich-chat-miner__test_dateformat4.txt": (None, 4),
    "joweich-chat-miner__test_dateformat5.txt": ("mdy", 4),
    "joweich-chat-miner__test_dateformat6.txt": ("dmy", 4),
    "joweich-chat-miner__test_ddmmyy_24hrs.txt": ("dmy", 9),
    "joweich-chat-miner__test_mmddyyyy_12hrs.txt": ("mdy", 9),
    "joweich-chat-miner__test_unicode.txt": (None, 3),
    "joweich-chat-miner__test_yyyymmdd_24hrs.txt": ("ymd", 9),
    "joweich-chat-miner__testlog.txt": ("mdy", 23),
    "lucasrodes-whatstk__lorem.txt": ("dmy", 500),
    "lucasrodes-whatstk__pokemon.txt": ("dmy", 20),
}


def realdata_files() -> list[Path]:
    return sorted(REALDATA.glob("*.txt")) if REALDATA.is_dir() else []


@pytest.mark.parametrize("path", realdata_files() or [None], ids=lambda path: path.name if path else "missing")
def test_real_chat_exports(path):
    if path is None:
        pytest.skip(f"{REALDATA} is not there")
    with path.open(encoding="utf-8") as file:
        date_order = detect_date_order(file)
    with path.open(encoding="utf-8") as file:
        messages = list(parse_chat(file, date_order))
    assert messages
    lines = path.read_text(encoding="utf-8").replace("\u200e", "").splitlines()
    header_like = {number for number, line in enumerate(lines, start=1) if LOOKS_LIKE_A_HEADER.match(line)}
    missed = {lines[number - 1] for number in header_like - {m.line for m in messages}}
    assert missed == UNPARSED_ON_PURPOSE.get(path.name, set())
    assert len(messages) >= 0.9 * len(header_like)
    if path.name in EXPECTED:
        assert (date_order, len(messages)) == EXPECTED[path.name]


def test_real_exports_details():
    if not REALDATA.is_dir():
        pytest.skip(f"{REALDATA} is not there")

    def read(name: str) -> list[Message]:
        with (REALDATA / name).open(encoding="utf-8") as file:
            date_order = detect_date_order(file)
        with (REALDATA / name).open(encoding="utf-8") as file:
            return list(parse_chat(file, date_order))

    issue_248 = read("Pustur-issue-248__android-us-12h-nnbsp.reconstructed.txt")
    assert [(m.at, m.sender, m.kind) for m in issue_248[:3]] == [
        (at("2023-01-04 19:02"), None, "system"),
        (at("2023-02-02 02:51"), "Person 2", "omitted"),
        (at("2023-02-04 22:02"), "Person 2", "omitted"),
    ]
    example = read("Pustur-whatsapp-chat-parser__index.test.ts.chatExample.txt")
    assert (example[-1].sender, example[-1].text) == ("+410123456789", "How are you?\n\nIs everything alright?")
    pokemon = read("lucasrodes-whatstk__pokemon.txt")
    # The old encryption notice comes after the group name; it is still a system line.
    assert [(m.sender, m.kind) for m in pokemon[:2]] == [(None, "system"), (None, "system")]
    assert pokemon[12].sender == "Jessie & James"
    extracted = read("Pustur-whatsapp-chat-parser__parser.test.ts.extracted.txt")
    assert [(m.attachment, m.text) for m in extracted if m.kind == "media"] == [
        ("00000042-PHOTO-2020-06-07-15-13-20.jpg", ""),
        ("IMG-20210428-WA0001.jpg", ""),
        ("2015-08-04-PHOTO-00004762.jpg", ""),
        ("4f2680f1db95a8454775cc2eefc95bfc.jpg", "Dir auch frohe Ostern."),
    ]


def test_ios_indonesian_lampiran_marker_is_an_attachment():
    lines = ["[28/11/26, 09.15.02] Ni Ketut Sari: \u200e<lampiran: 00000012-PHOTO-2026-11-28-09-15-02.jpg>\n"]
    (message,) = list(parse_chat(lines, "dmy"))
    assert (message.kind, message.attachment, message.text) == ("media", "00000012-PHOTO-2026-11-28-09-15-02.jpg", "")
