"""WhatsApp chat exports -> draft product folders: the craftsmen's photos and words, ready to check.

An export is a .zip, its unpacked folder, or a bare chat .txt with the photos beside it. Nothing in it
is trusted: names inside a zip never choose where a file is written, sizes and counts are bounded,
the chat log is read as a stream of bounded lines, only ordinary files are copied (never through a
link), and beside a bare .txt only files named the way WhatsApp names photos (docs/products.md).
"""

from __future__ import annotations

import io
import re
import stat
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import IO, cast

from sokasi_post.catalog import PHOTO_SUFFIXES, POST_FILE, slugify
from sokasi_post.config import Settings
from sokasi_post.errors import UsageError
from sokasi_post.i18n import _
from sokasi_post.ledger import Ledger
from sokasi_post.whatsapp import (
    PHOTO_NAME,
    ChatFormatError,
    Message,
    bounded_lines,
    detect_date_order,
    drop_attachment_lines,
    parse_chat,
)
from sokasi_post.yamlfile import NotAFileError, dump_yaml, open_regular

MAX_ZIP_MEMBERS = 5_000
MAX_ZIP_BYTES = 4_000_000_000  # uncompressed, all members together
MAX_PHOTO_BYTES = 60_000_000  # one photo; more is not a phone photo
# A draft's words are cut here, with a warning: far more than a product needs (Instagram takes 2,200 characters),
# and it keeps every post.yaml the importer writes far under the 1 MB the tool reads back.
MAX_CAPTION_CHARS = 10_000
# A sender's run of photos longer than this is several products: it is split into drafts of at most this many.
MAX_DRAFT_PHOTOS = 30
MAX_DRAFTS = 1_000  # new products from one import; a larger chat is imported in parts with --since
MAX_MAKER_CHARS = 100  # a sender's name, as written into maker:
_HELD = 200  # senders whose last words or open photos are remembered at once; the oldest are let go
TITLE_LENGTH = 60
_CHUNK = 1 << 20
_PHONE = re.compile(r"^\+?[\d\s\-().]{7,}$")
_CHAT_NAMES = ("_chat.txt",)

# Ways Indonesians write a price: Rp 175.000 / Rp175rb / 175 ribu / 175k / IDR 175,000 / 1,2 jt / Rp. 175.000,-
_AMOUNT = r"(\d{1,3}(?:[.,]\d{3})+|\d+(?:[.,]\d+)?)"
_PRICE = re.compile(
    r"(?:(?:\bRp\.?|\bIDR)\s*" + _AMOUNT + r"(?:,-)?\s*(rb|ribu|k|jt|juta)?\b)"
    r"|(?:\b" + _AMOUNT + r"\s*(rb|ribu|k|jt|juta)\b)"
    # "harga 175.000", "Hrg: 85.000,-": thousands without "Rp" after the word for price.
    r"|(?:\b(?:harga|hrg)\.?\s*[:=]?\s*(\d{1,3}(?:\.\d{3})+)(?:,-)?(?!\w))",
    re.IGNORECASE,
)


# -- words that must not reach a post ----------------------------------------------------------------

# A phone number typed into a message ("hub 0812 3456 7890", "WA +62 812-3456-7890", "62.813.1234.5678") would be
# published with the product; it is taken out of every draft. A run of digit groups joined by single spaces, dots,
# dashes or brackets is looked at group by group, because a price or a size may stand right beside a number.
# Possessive: a run is read once, never again from each of its digits (a message of "1 1 1 …" stays linear).
_DIGIT_RUN = re.compile(r"(?<![\w.,])\+?\(?\+?\d++\)?(?:(?:[ .\-]{1,3}|(?<=\)))\(?\d++\)?)*+")
_GROUP = re.compile(r"\+?\(?\+?\d+\)?")
# Words that name the number ("hub", "WA", "telp:") go with it; "Sokasi bundar, hub" would be no title.
_PHONE_CUE = re.compile(
    r"(?:(?:\(\s*)?\b(?:hub(?:ungi)?|kontak|contact|call|tel[pf]?|tlp|phone|hp|wa|whatsapp|sms|cp|no(?:mor|mer)?|nmr)\b\.?"
    r"\s*(?:(?:hp|wa)\b\.?\s*)?[:=]?\s*(?:\(\s*)?|[(/|]\s*)$", re.I)
_PRICE_BEFORE = re.compile(r"(?:\bRp\.?|\bIDR|\bharga|\bhrg)\s*[:=]?\s*$", re.I)
_UNIT_AFTER = re.compile(r"\s*(?:,-)?\s*(?:rb|ribu|k|jt|juta|cm|mm|m|kg|gr?|x|buah|pcs|biji|set|lembar)\b", re.I)


def _phone_length(groups: list[str]) -> int | None:
    """How many of `groups` (digit groups, in order) make a phone number from the first one, or None if none does."""
    first = groups[0].replace("(", "").replace(")", "")
    digits = re.sub(r"\D", "", first)
    if first.startswith("+"):
        longest = 15  # the longest number the world's numbering plan allows
    elif digits.startswith("0") and len(digits) >= 3:  # 0812 (mobile), 021 / 0361 (a town's code); never "01" of a date
        longest = 13
    elif digits.startswith("62"):  # Indonesia's country code written without the "+"
        longest = 14
    else:
        return None
    count, best = 0, None
    for number, group in enumerate(groups, start=1):
        count += len(re.sub(r"\D", "", group))
        if count > longest:
            break
        if count >= 9:  # a number shorter than this is a time, a date or a size, not a phone
            best = number
    return best


def _is_price_written(run: str) -> bool:
    """'625.000.000': digits in groups of three joined by dots or commas are an amount of money, never a phone."""
    return re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,-)?|\d{1,3}(?:,\d{3})+", run) is not None


def remove_phone_numbers(text: str) -> tuple[str, int]:
    """`text` without the phone numbers written in it (and the word that named one), and how many were taken out.

    Prices (Rp 175.000, 625.000.000, 175rb) and sizes (30 cm, 30 x 40 cm) are never taken for a number.
    """
    lines, found = [], 0
    for line in text.split("\n"):
        kept, count = _remove_in_line(line)
        if kept or not count:  # a line that was only a number goes with it
            lines.append(kept)
        found += count
    return "\n".join(lines), found


def _remove_in_line(text: str) -> tuple[str, int]:
    """One line without its phone numbers, tidied where something was taken out; and how many were."""
    found = 0
    pieces: list[str] = []
    position = 0
    for run in _DIGIT_RUN.finditer(text):
        if all(_is_price_written(part) for part in run[0].split()):  # "62.000 1.000": two prices side by side
            continue
        groups = [(group.start() + run.start(), group.end() + run.start()) for group in _GROUP.finditer(run[0])]
        if _UNIT_AFTER.match(text, run.end()) or re.match(r"\w", text[run.end():run.end() + 1]):
            groups = groups[:-1]  # the last group is a size, an amount or part of a word: "0812 3456 7890 30 cm", "30x40"
        index = 0
        while index < len(groups):
            start = groups[index][0]
            # A number starts a run, unless money is named before it ("Rp 175.000", "harga 625 000 000"), or follows
            # a space: the "000" of "175.000" never starts one.
            starts = (not _PRICE_BEFORE.search(text, max(0, start - 12), start) if index == 0
                      else text[groups[index - 1][1]:start].strip(" -") == "")
            # At most 15 digits, so at most 15 groups: only those are looked at, whatever the length of the run.
            length = _phone_length([text[a:b] for a, b in groups[index:index + 15]]) if starts else None
            if not length:
                index += 1
                continue
            end = groups[index + length - 1][1]
            cue = _PHONE_CUE.search(text, max(position, start - 40), start)
            cut_from = cue.start() if cue else start
            if end < len(text) and text[end] == ")" and "(" in text[cut_from:start]:
                end += 1
            pieces.append(text[position:cut_from])
            position = end
            found += 1
            index += length
    if not found:
        return text, 0
    pieces.append(text[position:])
    return _tidy("".join(pieces)), found


def _tidy(line: str) -> str:
    """A line without the stray marks a removal leaves: empty brackets, doubled commas and spaces, dangling ends."""
    line = re.sub(r"\(\s*\)|\[\s*\]", "", line)
    line = re.sub(r"\s+([,;:.!?])", r"\1", line)
    line = re.sub(r"([,;:/|-])(?:\s*[,;:/|-])+", r"\1", line)
    line = re.sub(r"[ \t]{2,}", " ", line)
    return line.strip(" ,;:/|-–—·•(")


def parse_price(text: str) -> int | None:
    """Whole rupiah from the first price written in `text` ('Rp 175.000', '175rb', '1,2 jt'...), else None."""
    match = _PRICE.search(text)
    if not match:
        return None
    if match.group(5):
        amount, unit = match.group(5), None
    else:
        amount, unit = (match.group(1), match.group(2)) if match.group(1) else (match.group(3), match.group(4))
    if len(amount) > 20:  # a run of hundreds of digits is no price (and would not fit a float)
        return None
    unit = (unit or "").lower()
    # Groups of three digits are thousands (175.000, 1.250.000, 175,000); anything else is a decimal (1,2 jt).
    thousands = re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", amount)
    number = float(re.sub(r"[.,]", "", amount)) if thousands else float(amount.replace(",", "."))
    multiplier = {"rb": 1_000, "ribu": 1_000, "k": 1_000, "jt": 1_000_000, "juta": 1_000_000}.get(unit, 1)
    value = round(number * multiplier)
    return value if value > 0 else None


@dataclass
class Draft:
    """One product as found in the chat: a sender's photos and the words around them."""

    sender: str
    first: Message  # the earliest message it is made of
    last: Message  # the latest
    photos: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    omitted: int = 0
    slug: str = ""
    missing: list[str] = field(default_factory=list)
    length: int = 0  # of the words kept so far
    cut: bool = False  # words were left out at MAX_CAPTION_CHARS
    phones: int = 0  # phone numbers taken out of the words

    def include(self, message: Message) -> None:
        """Make `message` part of the draft: its words, its key, and it is now the latest."""
        self.add_text(message.text)
        self.keys.append(message.key)
        self.last = message

    def add_text(self, text: str) -> None:
        """Keep the words of one message, up to MAX_CAPTION_CHARS for the whole draft, without the lines that
        only stand for a file and without phone numbers."""
        text, phones = remove_phone_numbers(drop_attachment_lines(text))
        self.phones += phones
        text = text.strip()
        if not text:
            return
        room = MAX_CAPTION_CHARS - self.length
        if len(text) > room:
            self.cut = True
            text = text[:max(room, 0)].rstrip()
            if not text:
                return
        self.texts.append(text)
        self.length += len(text) + 2  # and the blank line between messages

    @property
    def photo_count(self) -> int:
        return len(self.photos) + self.omitted

    @property
    def caption(self) -> str:
        return "\n\n".join(text.strip() for text in self.texts if text.strip())

    @property
    def price(self) -> int | None:
        return parse_price(self.caption)

    @property
    def maker(self) -> str | None:
        """The sender's name; a phone number is never copied into a post, alone or beside the name."""
        if _PHONE.match(self.sender):
            return None
        name = remove_phone_numbers(self.sender[:MAX_MAKER_CHARS])[0].strip()
        return name or None

    @property
    def title(self) -> str:
        """The first line of the words that is more than a price, tidied and at most TITLE_LENGTH characters."""
        for line in self.caption.splitlines():
            if words := title_words(line):
                return words
        name = self.maker or _("a craftsman")
        return _("Sokasi from {maker}").format(maker=name)


# The price has its own field: its amount and the words around it are no part of a title. Dotted thousands without
# "Rp" ("175.000") are money too: a size or a count is never written that way.
_PRICE_WORDS = re.compile(
    r"\b(?:harga|hrg|price|nego)\b\.?\s*[:=]?\s*(?:(?:Rp\.?|IDR)\s*)?(?:\d{1,3}(?:\.\d{3})+(?:,-)?)?"
    r"|\b\d{1,3}(?:\.\d{3})+(?:,-)?(?!\w)|(?:\bRp\.?|\bIDR\b)(?!\w)|\B/\s*(?:pcs|buah|biji|set)\b|@(?=\s|$)", re.I)
# Words that only lead up to an amount: "cuma 175rb", "hanya Rp 90.000", "@ 50rb" ("hanya satu" stays).
_AMOUNT_LEAD = re.compile(r"(?:\b(?:cuma|hanya|only|nett?|net)\b|@)\s*(?=(?:Rp\.?|IDR)?\s*\d)", re.I)


def title_words(line: str) -> str:
    """One line of a message as a title: no price or price words, no stray punctuation, cut at a word's end."""
    # A title is 60 characters: the first 2,000 of a line are plenty, and a 10,000-character line stays quick.
    words = _PRICE.sub(" ", _AMOUNT_LEAD.sub(" ", line[:2_000]))
    words = _PRICE_WORDS.sub(" ", words)
    words = re.sub(r"\(\s*\)|\[\s*\]", " ", words)
    words = re.sub(r"\s+([,;:.!?])", r"\1", words)
    words = re.sub(r"([,;:])(?:\s*[,;:.])+", r"\1", words)
    words = re.sub(r"\s{2,}", " ", words).strip(" ,.;:-–—/|·•*(")
    if not re.search(r"\w", words):
        return ""
    return _shorten(words)


def _shorten(text: str) -> str:
    """`text` cut to at most TITLE_LENGTH characters at the end of a word (a single longer word is cut with '…')."""
    if len(text) <= TITLE_LENGTH:
        return text
    head = text[:TITLE_LENGTH + 1]
    cut = head.rsplit(None, 1)[0] if re.search(r"\s", head) else ""
    cut = cut.rstrip(" ,.;:-–—/|(")
    return cut if cut else text[:TITLE_LENGTH - 1] + "…"


# -- reading the export -----------------------------------------------------------------------------


class Export:
    """A chat export opened for reading: its chat log, and the files that are the chat's own attachments, by name.

    In a zip: every member (by the last part of its name). In an unpacked folder: the ordinary files directly in
    it, never a link. Beside a bare .txt, which may sit in any folder (Downloads, the home folder): only ordinary
    files named the way WhatsApp names photos (IMG-20261128-WA0001.jpg, 00000012-PHOTO-2026-11-28-09-15-30.jpg),
    so a message typed as "passport.jpg (file terlampir)" never copies a file that happens to be there.
    """

    def __init__(self, path: Path):
        self.path = path
        self.zip: zipfile.ZipFile | None = None
        self.members: dict[str, zipfile.ZipInfo] = {}  # in a zip: file name -> its member
        self.files: dict[str, Path] = {}  # in a folder or beside a .txt: file name -> its path
        self.chat: Path  # the chat log: its path, or in a zip its name there
        self.refused: dict[str, str] = {}  # file name -> why it is not copied (a link, a pipe ...)
        self.bare = False
        if path.is_file() and zipfile.is_zipfile(path):
            self._open_zip(path)
        elif path.is_file() and _looks_like_a_zip(path):
            # A zip cut short (a download that stopped) or damaged: not a chat .txt to be read as text.
            raise UsageError(_damaged(path, _("its table of contents is missing")))
        elif path.is_dir():
            self._open_folder(path)
        elif path.is_file():
            self.chat = path
            self.bare = True
            self.files = self._ordinary_files(path.parent, lambda name: PHOTO_NAME.fullmatch(name) is not None)
        else:
            raise UsageError(_("{path}: no such file or folder").format(path=path))

    def _open_zip(self, path: Path) -> None:
        try:
            self.zip = zipfile.ZipFile(path)
            members = [info for info in self.zip.infolist() if not info.is_dir()]
        except (zipfile.BadZipFile, OSError) as error:
            raise UsageError(_damaged(path, str(error))) from None
        if len(members) > MAX_ZIP_MEMBERS or sum(info.file_size for info in members) > MAX_ZIP_BYTES:
            raise UsageError(_("{path}: the zip holds more than a chat export can hold ({count} files, {size:,} "
                               "bytes unpacked); refused").format(path=path, count=len(members),
                                                           size=sum(i.file_size for i in members)))
        # Only the last part of each name is used, to look files up: a name like ../../etc/passwd or
        # /absolute/path never decides where anything is written; a name no folder could hold is left out.
        for info in members:
            name = Path(info.filename.replace("\\", "/")).name
            if _usable_name(name):
                self.members[name] = info
        self.chat = Path(self._chat_name(list(self.members)))

    def _open_folder(self, path: Path) -> None:
        self.files = self._ordinary_files(path, lambda name: True)
        self.chat = path / self._chat_name(list(self.files))

    def _ordinary_files(self, folder: Path, wanted: Callable[[str], bool]) -> dict[str, Path]:
        """The wanted names in `folder` that are ordinary files (not links, pipes or folders); the others in `refused`."""
        found: dict[str, Path] = {}
        for entry in folder.iterdir():
            if not wanted(entry.name):
                continue
            try:
                mode = entry.lstat().st_mode
            except OSError:
                continue
            if stat.S_ISREG(mode):
                found[entry.name] = entry
            elif not stat.S_ISDIR(mode):
                self.refused[entry.name] = _("a link") if stat.S_ISLNK(mode) else _("a special file")
        return found

    def _chat_name(self, names: list[str]) -> str:
        for name in _CHAT_NAMES:
            if name in names:
                return name
        texts = sorted(name for name in names if name.lower().endswith(".txt"))
        if not texts:
            raise UsageError(_("{path}: no chat .txt in this export; use WhatsApp's \"Export chat\"").format(path=self.path))
        return texts[0]

    @contextmanager
    def chat_lines(self) -> Iterator[Iterator[str]]:
        """The chat log's lines, decoded (UTF-8 or UTF-16, with or without BOM), read as a stream of bounded lines."""
        with self._open_chat() as buffered:
            head = buffered.peek(4)[:4]
            if head.startswith((b"\xff\xfe", b"\xfe\xff")):
                encoding = "utf-16"
            elif head.startswith(b"\xef\xbb\xbf"):
                encoding = "utf-8-sig"
            else:
                encoding = "utf-8"
            yield bounded_lines(io.TextIOWrapper(buffered, encoding=encoding, errors="replace", newline=None))

    def _open_chat(self) -> io.BufferedReader:
        """The chat log opened for reading, buffered so that its first bytes can be looked at before it is read."""
        if self.zip is not None:
            # ZipFile.open reads through a ZipExtFile (typeshed says only IO[bytes]).
            return io.BufferedReader(cast(zipfile.ZipExtFile, self.zip.open(self.members[self.chat.name])))
        try:
            # The .txt named on the command line may be a link; inside an export folder nothing is read through one.
            return open_regular(self.chat, follow_links=self.bare)[0]
        except NotAFileError as error:
            raise UsageError(f"{self.chat}: {error}") from None

    def has(self, name: str) -> bool:
        """Whether the export holds a file called `name` that may be copied."""
        return name in self.members or name in self.files

    def why_missing(self, name: str) -> str:
        """Why an attachment the chat names is not copied, in words for a warning."""
        if name in self.refused:
            return _("{name} is in the export but is {kind}, not the photo itself; it was not copied (put the real "
                     "photo there)").format(name=name, kind=self.refused[name])
        if self.bare and not PHOTO_NAME.fullmatch(name):
            return _("{name} is not named the way WhatsApp names photos, so it is not taken from beside the .txt; "
                     "import the chat's .zip to include it").format(name=name)
        return _("{name} is mentioned in the chat but not in the export; the product is drafted without it").format(
            name=name)

    def copy(self, name: str, target: Path) -> None:
        """Copy one attached file to `target` (a new file; never more than MAX_PHOTO_BYTES); raise UsageError if not."""
        try:
            member: IO[bytes]
            if self.zip is not None:
                info = self.members[name]
                member, size = self.zip.open(info), info.file_size
            else:  # copied, never moved: the export stays as it was
                member, size = open_regular(self.files[name], follow_links=False)
            with member:
                if size > MAX_PHOTO_BYTES:
                    raise UsageError(_("{name} is too large for a photo").format(name=name))
                self._copy_bounded(member, target, name)
        except NotAFileError as error:
            raise UsageError(f"{name}: {error}") from None
        except (OSError, zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError) as error:
            raise UsageError(_("{name} cannot be copied ({reason})").format(
                name=name, reason=getattr(error, "strerror", None) or error)) from None

    @staticmethod
    def _copy_bounded(member: IO[bytes], target: Path, name: str) -> None:
        written = 0
        with target.open("xb") as out:  # "x": a new file, never one already there, never through a link
            try:
                while chunk := member.read(_CHUNK):
                    written += len(chunk)
                    if written > MAX_PHOTO_BYTES:  # the size in a zip's directory can lie; count what comes out
                        raise UsageError(_("{name} is too large for a photo").format(name=name))
                    out.write(chunk)
            except BaseException:
                out.close()
                target.unlink()
                raise

    def close(self) -> None:
        if self.zip:
            self.zip.close()


def _looks_like_a_zip(path: Path) -> bool:
    """A file named .zip, or one that starts the way every zip does ("PK")."""
    if path.suffix.lower() == ".zip":
        return True
    try:
        with path.open("rb") as file:
            return file.read(4) in (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
    except OSError:
        return False


def _damaged(path: Path, reason: str) -> str:
    return _("{path}: the zip is damaged ({reason}); copy it from the phone again, or export the chat again").format(
        path=path, reason=reason)


def _usable_name(name: str) -> bool:
    """A name that can be a file in a product folder: not empty, no NUL, not . or .., at most 255 bytes."""
    return (bool(name) and name not in (".", "..") and "\0" not in name
            and len(name.encode("utf-8", "surrogateescape")) <= 255)


# -- from messages to drafts ------------------------------------------------------------------------


def _is_photo(message: Message) -> bool:
    if message.kind == "omitted":
        return True
    return message.kind == "media" and Path(message.attachment or "").suffix.lower() in PHOTO_SUFFIXES


def group_messages(messages: Iterator[Message], gap: timedelta, since: date | None = None,
                   senders: tuple[str, ...] = ()) -> Iterator[Draft]:
    """Drafts from a message stream: a sender's photos within `gap` of each other, with that sender's
    text just before (within `gap`) and just after. Other people's messages in between do not matter.

    Memory stays bounded whatever the chat: a draft keeps at most MAX_CAPTION_CHARS of words and
    MAX_DRAFT_PHOTOS photos (the next photo starts a new draft), and at most _HELD senders are followed at once.
    """
    wanted = {name.casefold() for name in senders}
    drafts = _Drafting(gap)
    for message in messages:
        sender = message.sender
        if sender is None or message.kind in ("system", "deleted"):
            continue
        if (since and message.at.date() < since) or (wanted and sender.casefold() not in wanted):
            continue
        yield from drafts.take(message, sender)
    yield from drafts.open.values()


class _Drafting:
    """The drafts still open, per sender, and each sender's last words not yet part of a draft."""

    def __init__(self, gap: timedelta):
        self.gap = gap
        self.open: dict[str, Draft] = {}
        self.last_text: dict[str, Message] = {}

    def take(self, message: Message, sender: str) -> Iterator[Draft]:
        """Take in the next message, from `sender`; yield the drafts it closes."""
        for other, draft in list(self.open.items()):  # close drafts whose sender went quiet
            if message.at - draft.last.at > self.gap:
                yield self.open.pop(other)
        if _is_photo(message):
            yield from self._photo(message, sender)
        elif message.kind == "text":
            yield from self._text(message, sender)

    def _photo(self, message: Message, sender: str) -> Iterator[Draft]:
        """A photo joins the sender's open draft, or starts one (closing a full one)."""
        draft = self.open.get(sender)
        if draft is not None and draft.photo_count >= MAX_DRAFT_PHOTOS:
            yield self.open.pop(sender)
            draft = None
        if draft is None:
            if len(self.open) >= _HELD:
                yield self.open.pop(min(self.open, key=lambda name: self.open[name].last.at))
            draft = self.open[sender] = self._start(message, sender)
        if message.attachment is None:  # "<Media omitted>": a photo left out of the export
            draft.omitted += 1
        else:
            draft.photos.append(message.attachment)
        draft.include(message)

    def _start(self, message: Message, sender: str) -> Draft:
        """A new draft from its first photo, with the sender's words just before it (within the gap)."""
        draft = Draft(sender=sender, first=message, last=message)
        before = self.last_text.pop(sender, None)
        if before and message.at - before.at <= self.gap:
            draft.include(before)
            draft.first = before
        return draft

    def _text(self, message: Message, sender: str) -> Iterator[Draft]:
        """Words after a sender's photos close their draft; other words are kept for the sender's next photo."""
        draft = self.open.get(sender)
        if draft is not None:
            draft.include(message)
            yield self.open.pop(sender)  # the words after the photos close the product
            return
        self.last_text.pop(sender, None)
        # Only what a caption can hold is kept of it; the key still names the whole message.
        self.last_text[sender] = replace(message, text=message.text[:MAX_CAPTION_CHARS + 1])
        if len(self.last_text) > _HELD:
            del self.last_text[next(iter(self.last_text))]


@dataclass
class ImportPlan:
    """What an import would create, and what it found worth saying."""

    drafts: list[Draft]
    already: int
    warnings: list[str]
    messages: int
    left_out: int = 0  # messages that were only a photo left out of the export ("without media"), drafting nothing


def plan_import(export: Export, settings: Settings, ledger: Ledger, since: date | None = None,
                senders: tuple[str, ...] = (), date_order: str | None = None) -> ImportPlan:
    """Read the chat, group it into drafts, leave out what an earlier import took, choose unique slugs."""
    plan, order, omitted = _read_chat(export, settings, ledger, since, senders, date_order)
    if order is None:
        plan.warnings.append(_("the date order cannot be told from this chat; read as day/month (use --date-order mdy "
                               "if wrong)"))
    taken = {p.name for p in settings.posts_dir.iterdir()} if settings.posts_dir.is_dir() else set()
    if omitted:
        # Said once for the whole chat: the same advice after every product would hide the other warnings.
        plan.warnings.append(_("this export was made 'without media' (photos left out: {count}; of them sent without "
                               "any words, so not drafted: {left_out}); export the chat again with \"Attach media\" to "
                               "draft them with their photos").format(count=omitted, left_out=plan.left_out))
    for draft in plan.drafts:
        draft.missing = [name for name in draft.photos if not export.has(name)]
        plan.warnings.extend(_draft_warnings(draft, export))
        draft.slug = _unique_slug(draft.title, taken)
        if draft.phones:
            plan.warnings.append(_("{slug}: a phone number in the message was left out of the title and caption, so it "
                                   "is never published; write it back by hand only if it should be public").format(
                slug=draft.slug))
    return plan


def _read_chat(export: Export, settings: Settings, ledger: Ledger, since: date | None, senders: tuple[str, ...],
               date_order: str | None) -> tuple[ImportPlan, str | None, int]:
    """The chat's new drafts (no warnings yet), the date order it was read in (None: a guess), and its photos left
    out of the export."""
    counted = {"messages": 0}

    def counting(stream: Iterator[Message]) -> Iterator[Message]:
        for message in stream:
            counted["messages"] += 1
            yield message

    drafts: list[Draft] = []
    already = left_out = omitted = 0
    try:
        with export.chat_lines() as lines:
            order = date_order or detect_date_order(lines)
        with export.chat_lines() as lines:
            # Only new drafts are kept while the chat is read: what an earlier import took is counted and let go.
            for draft in group_messages(counting(parse_chat(lines, order or "dmy")), settings.whatsapp_gap, since, senders):
                if ledger.imported(draft.keys):
                    already += 1
                elif not draft.photos and not draft.caption:
                    # Only "<Media omitted>" and no words: nothing to draft; the export is made again with media.
                    left_out += draft.omitted
                    omitted += draft.omitted
                elif draft.photos or draft.omitted:
                    omitted += draft.omitted
                    drafts.append(draft)
                    if len(drafts) > MAX_DRAFTS:
                        raise UsageError(_("{chat}: this chat would make more than {limit:,} products at once; import it "
                                           "in parts with --since").format(chat=export.chat, limit=MAX_DRAFTS))
    except ChatFormatError as error:
        raise UsageError(f"{export.chat}: {error}") from None
    except (OSError, zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError) as error:
        raise UsageError(_("{chat}: the chat cannot be read ({reason})").format(
            chat=export.chat, reason=getattr(error, "strerror", None) or error)) from None
    return ImportPlan(drafts, already, [], counted["messages"], left_out), order, omitted


def _draft_warnings(draft: Draft, export: Export) -> list[str]:
    """What to say of one draft before it is written: photos it will lack, words cut, no maker."""
    warnings = [export.why_missing(name) for name in draft.missing]
    if draft.cut:
        warnings.append(_("{sender}, {when}: the words are longer than {limit:,} characters; the caption was cut there, "
                          "check it").format(sender=draft.maker or _("a sender"), when=_when(draft.first),
                                             limit=MAX_CAPTION_CHARS))
    if draft.maker is None:
        warnings.append(_("a product from {when}: the sender is a phone number, so maker is left empty; fill it in")
                        .format(when=_when(draft.first)))
    return warnings


def _unique_slug(title: str, taken: set[str]) -> str:
    """A folder name from `title` that is not in `taken` (which it joins): sokasi-bundar, sokasi-bundar-2 ..."""
    base = slugify(title) or "sokasi"
    slug, number = base, 1
    while slug in taken:
        number += 1
        slug = f"{base}-{number}"
    taken.add(slug)
    return slug


def _when(message: Message | None) -> str:
    return message.at.strftime("%Y-%m-%d %H:%M") if message else "?"


def write_drafts(plan: ImportPlan, export: Export, settings: Settings, ledger: Ledger) -> list[Path]:
    """Write each draft as posts_dir/<slug>/ with its photos copied and a post.yaml (status: draft)."""
    written = []
    for draft in plan.drafts:
        folder = settings.posts_dir / draft.slug
        folder.mkdir(parents=True)
        photos = []
        for name in draft.photos:
            if name in draft.missing:
                continue
            target = folder / Path(name).name
            try:
                export.copy(name, target)
            except UsageError as error:
                plan.warnings.append(str(error))
                continue
            photos.append(target.name)
        post: dict[str, object] = {"title": draft.title, "caption": draft.caption or draft.title}
        if draft.price:
            post["price"] = draft.price
        if draft.maker:
            post["maker"] = draft.maker
        if photos:
            post["photos"] = photos
        post["status"] = "draft"
        lines = sorted({draft.first.line, draft.last.line})
        header = _("# Drafted from the WhatsApp chat ({chat}, lines {lines}, {start} to {end}).\n"
                   "# Check the title, caption and price, then set status: ready.\n").format(
            chat=Path(str(export.chat)).name, lines="–".join(str(n) for n in lines), start=_when(draft.first),
            end=_when(draft.last))
        (folder / POST_FILE).write_text(header + dump_yaml(post), encoding="utf-8")
        ledger.remember_import(draft.keys, draft.slug)  # after the folder is complete: a crash re-imports, never loses
        written.append(folder)
    return written


def parse_since(text: str | None) -> date | None:
    """--since as a date (2026-11-28)."""
    if not text:
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise UsageError(_("--since {text}: expected a date like 2026-11-28").format(text=text)) from None
