"""WhatsApp "Export chat" text -> Message values, one at a time; formats as described in WHATSAPP-FORMATS.md."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TextIO

from sokasi_post.i18n import _

# A message WhatsApp writes is at most a few pages long; a longer one, or a longer line, is not from WhatsApp (a
# damaged file, or one made to exhaust memory: a 1.5 MB zip can unpack to a single 1.5 GB line). Such a file is
# refused as a whole rather than cut: a cut message would become a draft made of a fragment of garbage, and
# nothing a phone exports comes near the limit. A line holds a header (time, sender) and at most one message.
MAX_MESSAGE_CHARS = 100_000
MAX_LINE_CHARS = MAX_MESSAGE_CHARS + 1_000

# Marks that phones put around names and times (see WHATSAPP-FORMATS.md §2, "Invisible characters"). They are
# why a header "does not match", so every line is cleaned before anything looks at it. U+200D (zero-width
# joiner) is kept on purpose: it glues emoji such as 👩‍🌾 together.
_INVISIBLE = str.maketrans({
    **dict.fromkeys(["\ufeff", "\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u2066", "\u2067", "\u2068", "\u2069"]),
    **dict.fromkeys(["\u202f", "\u00a0", "\u2009"], " "),
    "\r": None,
})

# Header regexes from WHATSAPP-FORMATS.md §2, with the date split into its three fields and the seconds named.
_DATE = r"(?P<first>\d{1,4})[./-]\s?(?P<second>\d{1,2})[./-]\s?(?P<third>\d{1,4})\.?"
_TIME = r"(?P<hour>\d{1,2})[:.](?P<minute>\d{2})(?:[:.](?P<second_of_minute>\d{2}))?"
_AMPM = r"(?:\s?(?P<ampm>[ap]\.?\s?m\.?))?"
IOS_HEADER = re.compile(r"^\[" + _DATE + r",?\s" + _TIME + _AMPM + r"\]\s(?P<rest>.*)$", re.I)
ANDROID_HEADER = re.compile(
    r"^" + _DATE + r",?\s(?:klo\s)?" + _TIME + _AMPM + r"\.?(?P<separator>\s[-\u2013]\s|:\s)(?P<rest>.*)$", re.I)

# The part before the first ": " of a system line that quotes typed text (a new group subject "Promo: diskon").
# Lower-case whole words only, so a contact called "Left Hand Crafts" still counts as a sender.
_SYSTEM_PHRASE = re.compile(
    r"(?<![\w-])(?:created group|added|left|removed|joined using|changed the subject|changed the group|changed this group's icon"
    r"|security code changed|[Yy]our security code|membuat grup|menambahkan|keluar|mengeluarkan|mengubah subjek|mengubah nama grup"
    r"|[Kk]ode keamanan|terenkripsi secara end-to-end|end-to-end encrypted)(?![\w-])")
# Notices that iOS (and old Android) write after the chat's name, "Pokemon Chat: Messages and calls are end-to-end encrypted."
_NOTICE = re.compile(
    r"^(?:Messages and calls are end-to-end encrypted|Messages (?:to|you send to) this group are now secured"
    r"|Pesan dan panggilan terenkripsi secara end-to-end|Your security code with .+ changed|Kode keamanan Anda dengan .+ berubah)")

# The phrase Android writes after an attached file's name, per language of the phone. English, Indonesian, German,
# Spanish, Portuguese and French are from WHATSAPP-FORMATS.md §3 (seen in exports and other parsers' tests). The
# others are NOT confirmed from a real export: European Portuguese ("ficheiro anexado"), Italian, Dutch, Russian,
# Japanese, Chinese and Korean follow the
# language files of wafy80/whatsapp-chat-transcriber and the placeholder lists of other chat tools, Turkish, Arabic
# and Hindi are our best reading of WhatsApp's wording. That uncertainty matters little: a file named the way WhatsApp
# names attachments (IMG-…-WA0001.jpg) counts with any short phrase in brackets (see _ANDROID_ATTACHMENT).
ATTACHED_PHRASES = (
    "file attached", "file terlampir", "Datei angehängt", "archivo adjunto", "arquivo anexado", "ficheiro anexado",
    "fichier joint", "file allegato", "bestand bijgevoegd", "dosya eklendi", "dosya ekli", "файл прикреплен",
    "файл прикреплён", "файл приложен", "ملف مرفق", "फ़ाइल संलग्न", "फ़ाइल संलग्न है", "ファイル添付", "ファイルが添付されています",
    "附件", "文件附件", "已附加文件", "파일 첨부", "첨부 파일",
)
_PHRASES = "|".join(re.escape(phrase) for phrase in ATTACHED_PHRASES)
# The names WhatsApp gives exported attachments (WHATSAPP-FORMATS.md §1): Android IMG-/VID-/PTT-/AUD-/STK-/DOC-
# 20261128-WA0001.ext, iOS 00000012-PHOTO-2026-11-28-09-15-30.jpg (and -VIDEO-, -AUDIO-, -STICKER-, -GIF-, or the
# document's own name after the number), very old iOS 2015-08-04-PHOTO-00004762.jpg.
_WHATSAPP_FILE = (r"(?:(?:IMG|VID|PTT|AUD|STK|DOC)-\d{8}-WA\d{4,}|\d{8}-[^\s<>()/\\]{1,200}"
                  r"|\d{4}-\d{2}-\d{2}-(?:PHOTO|VIDEO|AUDIO)-\d{8})\.\w{1,5}")
WHATSAPP_FILE_NAME = re.compile(_WHATSAPP_FILE, re.I)
# Android: "IMG-20261128-WA0001.jpg (file terlampir)", maybe a size "(3 KB)" after it. Documents keep their own
# name, spaces included, so the name is everything before the marker that ends in an extension. CJK phones write
# full-width brackets. A WhatsApp-named file takes any short phrase: the language of the phone does not matter.
_ANDROID_ATTACHMENT = re.compile(
    r"^(?:(?P<name>.+?\.\w{1,5})(?: • [^()]*)? [(（](?:" + _PHRASES + r")[)）]"
    r"|(?P<whatsapp_name>" + _WHATSAPP_FILE + r") ?[(（][^()（）<>\d]{2,40}[)）])"
    r"(?:\s*\([^()]*\))?\s*$", re.I)
# iOS: "<attached: 00000012-PHOTO-….jpg>" anywhere on the first line, often after "Katalog.pdf • 7 halaman ".
_IOS_ATTACHMENT = re.compile(
    r"<\s*(?:attached|terlampir|lampiran|Anhang|adjunto|anexado|allegato|bijgevoegd|pièce jointe|joint)\s*:\s*"
    r"(?P<name>[^<>]+?)\s*>", re.I)
# Very old iOS exports put the name first: "2015-08-04-PHOTO-00004762.jpg <attached>"; Turkish iOS "<… eklendi>".
_OLD_IOS_ATTACHMENT = re.compile(r"^(?P<name>\S+\.\w{1,5})\s*<attached>$|^<(?P<turkish>[^<>]+?\.\w{1,5}) eklendi>$", re.I)

# The names WhatsApp gives the photos it exports (WHATSAPP-FORMATS.md §1): Android IMG-20261128-WA0001.jpg,
# iOS 00000012-PHOTO-2026-11-28-09-15-30.jpg, very old iOS 2015-08-04-PHOTO-00004762.jpg.
PHOTO_NAME = re.compile(
    r"(?:IMG-\d{8}-WA\d{4,}|\d{8}-PHOTO-\d{4}(?:-\d{2}){5}|\d{4}-\d{2}-\d{2}-PHOTO-\d{8})\.(?:jpe?g|png|webp|heic|heif)",
    re.I)

# What Android writes instead of a file in an export "without media", per language. Source: the list of
# mlomb/chat-analytics (pipeline/parse/parsers/WhatsApp.ts, gathered from users' exports), WHATSAPP-FORMATS.md §3,
# and "<Medien ausgelassen>", reported from a real German export. Compared case-insensitively, spaces inside the brackets ignored.
MEDIA_OMITTED = (
    "Media omitted", "Media tidak disertakan", "Medien ausgeschlossen", "Medien weggelassen", "Medien ausgelassen",
    "Multimedia omitido", "Archivo omitido", "Mídia omitida", "Ficheiro não revelado", "Multimédia omitido",
    "Médias omis", "Fichier omis", "Media omessi", "Media omesso", "Media weggelaten", "Medya dahil edilmedi",
    "Medya atlanmış", "Без медиафайлов", "Файл пропущен", "تم استبعاد الوسائط", "मीडिया के बिना", "メディアなし",
    "メディアは含まれていません", "忽略多媒體檔", "省略多媒体文件", "미디어 파일 제외됨", "미디어 파일을 생략한 대화내용",
    "media weggelaat", "media buraxıldı", "Media çıxarılmışdır", "Без файл", "মিডিয়া বাদ দেওয়া হয়েছে",
    "fitxers multimèdia omesos", "Mitjans omesos", "média vynechány", "Média vynechána", "medier udeladt",
    "Mediefil udeladt", "αρχείο παραλήφθηκε", "Εξαίρεση πολυμέσων", "meedia välja jäetud", "Meedia ära jäetud",
    "رسانه حذف شد", "media jätettiin pois", "Media jätetty pois", "medijski zapis izostavljen", "média elhagyva",
    "Hiányzó médiafájl", "המדיה לא נכללה", "מדיה הושמטה", "medija praleista", "Praleistas medijos turinys",
    "nav iekļauta multivide", "Bez multivides", "без фајлови", "Без фајл", "मीडिया वगळण्यात आला", "मीडिया वगळले",
    "media dikecualikan", "Media disingkirkan", "media utelatt", "Uten vedlegg", "pominięto multimedia",
    "pliki pominięto", "conținut media omis", "Médiá vynechané", "datoteke izpuščene", "Medij izpuščen",
    "media u hoq", "Media hequr", "медији су изостављени", "media utelämnat", "Media har utelämnats",
    "media hazijajumuishwa", "Media imerukwa", "ไฟล์สื่อถูกลบ", "สื่อถูกลบ", "Walang kalakip na media",
    "медіа пропущено", "میڈیا چھوڑ دیا گیا", "bỏ qua tệp phương tiện", "Bỏ qua Media",
)
# iOS writes the kind of file: "image omitted", "gambar tidak disertakan", "imagen omitida" (same sources).
_IOS_OMITTED = (
    r"(?:image|video|audio|sticker|GIF|Contact card) omitted|(?:gambar|video|audio|stiker|GIF|kartu kontak) tidak disertakan"
    r"|(?:imagen|video|audio|sticker|GIF) omitid[ao]|(?:Bild|Video|Audio|Sticker|GIF) weggelassen"
    r"|(?:imagem|vídeo|áudio|figurinha|GIF) omitid[ao]|(?:image|vidéo|audio|autocollant|GIF) omise?"
)
_OMITTED = re.compile(
    r"<\s*(?:" + "|".join(re.escape(marker) for marker in MEDIA_OMITTED) + r")\s*>"
    r"|" + _IOS_OMITTED +
    # An iOS document keeps its name and page count in front: "Katalog.pdf • 7 halaman dokumen tidak disertakan".
    r"|(?:\S.*\s)?(?:document omitted|dokumen tidak disertakan|documento omitido|Dokument weggelassen|document omis)", re.I)
_DELETED = re.compile(
    r"(?:This message was deleted|You deleted this message|Pesan ini telah dihapus|Pesan ini dihapus|Anda menghapus pesan ini)\.?",
    re.I)
_EDITED = re.compile(r"\s*<(?:This message was edited|Pesan ini (?:telah )?diedit)>$", re.I)


@dataclass(frozen=True)
class Message:
    """One chat message (or system line), as WhatsApp exported it."""

    at: datetime
    sender: str | None
    text: str
    attachment: str | None
    kind: str
    line: int
    key: str


class ChatFormatError(ValueError):
    """The text is not a WhatsApp chat export (no header line found), with a plain explanation."""


def _clean_line(raw: str) -> str:
    """One line of the export without its line ending, BOM and direction marks; odd spaces become plain ones."""
    return raw.rstrip("\n").translate(_INVISIBLE)


def _too_long(line: int) -> ChatFormatError:
    return ChatFormatError(_("line {line}: a message longer than {limit:,} characters, which WhatsApp never writes; "
                             "this is not a chat as WhatsApp exports it, so nothing was imported").format(
        line=line, limit=MAX_MESSAGE_CHARS))


def bounded_lines(stream: TextIO) -> Iterator[str]:
    """The stream's lines, never holding more than MAX_LINE_CHARS of one: a longer line raises ChatFormatError."""
    number = 0
    while line := stream.readline(MAX_LINE_CHARS + 2):  # +2: room for the line ending
        number += 1
        if len(line) > MAX_LINE_CHARS and len(line.rstrip("\r\n")) > MAX_LINE_CHARS:
            raise _too_long(number)
        yield line


def _match_header(line: str) -> re.Match[str] | None:
    """The header match of a cleaned line, or None when the line continues the previous message."""
    match = IOS_HEADER.match(line) or ANDROID_HEADER.match(line)
    # Only the Finnish layout "13.06.18 21.25.15: Name: text" ends the header with ": ", and it always has
    # seconds; without that condition a typed line "28.11.2026 09.00: ambil bambu" would start a new message.
    if match and match.re is ANDROID_HEADER and match["separator"].strip() == ":" and not match["second_of_minute"]:
        return None
    return match


def detect_date_order(lines: Iterable[str]) -> str | None:
    """'dmy', 'mdy' or 'ymd' decided from the whole file (a day above 12 settles it), or None when it cannot be told."""
    # The rules are those of WHATSAPP-FORMATS.md §2; the importer reads the file once for this, then again to parse it.
    settled: Counter[str] = Counter()
    hinted: Counter[str] = Counter()
    previous: tuple[int, int, str] | None = None
    length, start = None, 0  # the message so far (once the first header is seen): its length, its first line
    for number, raw in enumerate(lines, start=1):
        line = _clean_line(raw)
        match = _match_header(line)
        if match is None:
            if length is not None:
                length += len(line) + 1
                if length > MAX_MESSAGE_CHARS:  # found here already, before a second pass over a huge file
                    raise _too_long(start)
            continue
        length, start = len(match["rest"]), number
        if len(match["first"]) >= 3:
            settled["ymd"] += 1
            continue
        first, second, year = int(match["first"]), int(match["second"]), match["third"]
        if first > 12:
            settled["dmy"] += 1
        elif second > 12:
            settled["mdy"] += 1
        elif previous is not None and previous[2] == year:
            # An export is in time order, and inside one year only the day can go down: that field is the day.
            if first < previous[0] and second >= previous[1]:
                hinted["dmy"] += 1
            elif second < previous[1] and first >= previous[0]:
                hinted["mdy"] += 1
        previous = (first, second, year)
    votes = settled or hinted
    if not votes:
        return None
    # A tie goes to day-first, what Indonesian phones write.
    return max(("dmy", "mdy", "ymd"), key=lambda order: votes[order])


_SWAPPED = {"dmy": "mdy", "mdy": "dmy"}


def _year(digits: str) -> int | None:
    """A 2- or 4-digit year as a full year; any other length is not a year."""
    if len(digits) == 2:
        return 2000 + int(digits)
    return int(digits) if len(digits) == 4 else None


def _timestamp(match: re.Match[str], date_order: str) -> datetime | None:
    """The naive local time of a header, or None for an impossible date or time (31/02, 25:00)."""
    first, second, third = match["first"], match["second"], match["third"]
    if len(first) >= 3 or (date_order == "ymd" and len(third) <= 2):
        year, month, day = _year(first), second, third
    elif date_order == "mdy":
        month, day, year = first, second, _year(third)
    else:
        day, month, year = first, second, _year(third)
    hour = int(match["hour"])
    marker = (match["ampm"] or "").lower()[:1]
    # An hour above 12 with "p.m." (seen in hand-written fixtures) is already on the 24-hour clock.
    if marker and hour <= 12:
        hour = hour % 12 + (12 if marker == "p" else 0)
    if year is None:
        return None
    try:
        # datetime() refuses 31/02 instead of rolling it over to March, which is what we want.
        return datetime(year, int(month), int(day), hour, int(match["minute"]), int(match["second_of_minute"] or 0))
    except ValueError:
        return None


def _attached_name(match: re.Match[str]) -> str:
    """The file name an attachment marker names, whichever of its forms matched."""
    groups = match.groupdict()
    return next(groups[key] for key in ("name", "whatsapp_name", "turkish") if groups.get(key))


def is_attachment_line(line: str) -> bool:
    """A line that only stands for a file: an attachment marker in any form, an omitted-media marker, or a bare
    WhatsApp attachment name (IMG-20261128-WA0001.jpg). Such a line is no part of a product's words."""
    line = line.translate(_INVISIBLE).strip()
    if not line or len(line) > 1_000:  # a file name is at most 255 bytes; a longer line is words
        return False
    return bool(_ANDROID_ATTACHMENT.match(line) or _OLD_IOS_ATTACHMENT.match(line) or _OMITTED.fullmatch(line)
                or WHATSAPP_FILE_NAME.fullmatch(line)
                or ((match := _IOS_ATTACHMENT.search(line)) and not line.replace(match[0], "").strip(" •")))


def drop_attachment_lines(text: str) -> str:
    """`text` without the lines that only stand for a file (see is_attachment_line)."""
    return "\n".join(line for line in text.split("\n") if not is_attachment_line(line))


# WhatsApp writes "~ Name" (with a plain, no-break or narrow no-break space) for a sender who is not in the
# exporting phone's contacts; the mark is no part of the name.
_NOT_A_CONTACT = re.compile(r"^~\s*")


def _sender_and_text(rest: str) -> tuple[str | None, str]:
    """Split what follows the header at the first ": "; (None, rest) for a system line."""
    candidate, separator, text = rest.partition(": ")
    if not separator:
        # "Luke:" is a message with an empty body whose trailing space an editor took away.
        if rest.endswith(":") and len(rest) > 1 and not _SYSTEM_PHRASE.search(rest):
            return rest[:-1], ""
        return None, rest
    if not candidate.strip() or _SYSTEM_PHRASE.search(candidate) or _NOTICE.match(text):
        return None, rest
    return candidate, text


def _message_key(at: datetime, sender: str | None, attachment: str | None, text: str) -> str:
    """A stable id of a message, the same on every import of the same export."""
    return hashlib.sha256(f"{at.isoformat()}|{sender}|{attachment or ''}|{text}".encode()).hexdigest()[:32]


def _build(line: int, at: datetime, rest: str, continuation: list[str]) -> Message:
    """The Message for a header and the lines that follow it."""
    raw_sender, first = _sender_and_text(rest)
    sender = None if raw_sender is None else (_NOT_A_CONTACT.sub("", raw_sender) or raw_sender)
    attachment = None
    if sender is None:
        body = [first, *continuation]
    elif match := _ANDROID_ATTACHMENT.match(first) or _OLD_IOS_ATTACHMENT.match(first):
        # On Android the caption typed with the photo is on the lines after the file name.
        attachment, body = _attached_name(match), continuation
    elif match := _IOS_ATTACHMENT.search(first):
        attachment = match["name"]
        body = [(first[:match.start()] + " " + first[match.end():]).strip(), *continuation]
    else:
        body = [first, *continuation]
    text = _EDITED.sub("", "\n".join(body).strip()).strip()
    if sender is None:
        kind = "system"
    elif attachment is not None:
        kind = "media"
    elif _OMITTED.fullmatch(text):
        kind, text = "omitted", ""
    elif _DELETED.fullmatch(text):
        kind, text = "deleted", ""
    else:
        kind = "text"
    # The key keeps the sender as written ("~ Ketut"), so a chat imported before the mark was dropped is still known.
    return Message(at, sender, text, attachment, kind, line, _message_key(at, raw_sender, attachment, text))


def parse_chat(lines: Iterable[str], date_order: str | None = None) -> Iterator[Message]:
    """Messages of an exported chat, in order, streamed (never the whole file); date_order None means 'dmy'."""
    # The caller gets date_order from detect_date_order; when even that cannot tell, day-first is what Indonesian phones write.
    order = date_order or "dmy"
    # Only the message being assembled is held: its header line number, time, header text and later lines.
    pending: tuple[int, datetime, str, list[str]] | None = None
    length = 0  # of the pending message
    saw_text = False
    for number, raw in enumerate(lines, start=1):
        line = _clean_line(raw)
        match = _match_header(line)
        # A phone whose language changed from English (US) to Indonesian mid-chat writes both orders in one
        # file; a date impossible in the file's order but fine in the other is read the other way.
        at = (_timestamp(match, order) or _timestamp(match, _SWAPPED.get(order, order))) if match else None
        if match is None or at is None:
            if pending is not None:
                length += len(line) + 1
                if length > MAX_MESSAGE_CHARS:
                    raise _too_long(pending[0])
                pending[3].append(line)
            elif line.strip():
                # Text before the first header cannot belong to any message; it is dropped.
                saw_text = True
            continue
        if pending is not None:
            yield _build(*pending)
        pending, length = (number, at, match["rest"], []), len(match["rest"])
    if pending is not None:
        yield _build(*pending)
    elif saw_text:
        raise ChatFormatError(_("no WhatsApp message lines found; is this the .txt from \"Export chat\"?"))
