"""The language the tool speaks: messages marked with _(), translated from sokasi_post/locale/<lang>.po.

The catalogues are plain .po files read when a language is chosen (a few milliseconds): no compile
step at build or install time, and translators edit the very file the tool reads (docs/decisions.md).
"""

from __future__ import annotations

import ast
import string
from datetime import datetime
from importlib import resources

LANGUAGES = ("en", "id")
SOURCE_LANGUAGE = "en"

_catalog: dict[str, str] = {}
_language = SOURCE_LANGUAGE

_DAYS = {"id": ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"),
         "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")}
_MONTHS = {"id": ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
                  "November", "Desember"),
           "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                  "November", "December")}


_SWAP_SEPARATORS = str.maketrans(",.", ".,")  # 1,250,000.5 -> 1.250.000,5


class _Formatter(string.Formatter):
    """str.format, with numbers grouped the way the language writes them: 1.250.000 in Indonesian."""

    def format_field(self, value: object, spec: str) -> str:
        text = format(value, spec)
        if _language == "id" and isinstance(value, int | float) and not isinstance(value, bool) and ("," in spec or "." in spec):
            text = text.translate(_SWAP_SEPARATORS)
        return text


_FORMATTER = _Formatter()


class Message(str):
    """A translated message; its .format() writes numbers the language's way."""

    __slots__ = ()

    def format(self, *args: object, **kwargs: object) -> str:
        return _FORMATTER.format(self, *args, **kwargs)


def _(message: str) -> str:
    """Return the message in the user's language."""
    return Message(_catalog.get(message) or message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """The singular or plural message for `count` (Indonesian uses one form for both)."""
    if _language != SOURCE_LANGUAGE:
        return _catalog.get(singular if count == 1 else plural) or _catalog.get(singular) or (singular if count == 1 else plural)
    return singular if count == 1 else plural


def N_(message: str) -> str:  # the gettext convention for "translate later"
    """Mark a message for translation where it is defined; it is translated with _() where it is shown."""
    return message


def language() -> str:
    """The language messages are in now ('en' or 'id')."""
    return _language


def set_language(code: str) -> None:
    """Speak `code` ('en', 'id', or a locale such as 'id_ID.UTF-8') from now on; unknown codes mean English."""
    global _catalog, _language
    code = normalise(code)
    _language = code
    _catalog = {} if code == SOURCE_LANGUAGE else read_po((resources.files("sokasi_post") / "locale" / f"{code}.po")
                                                          .read_text(encoding="utf-8"))


def normalise(code: str | None) -> str:
    """'id_ID.UTF-8' -> 'id'; anything not translated -> 'en'."""
    short = (code or "").replace("-", "_").split("_")[0].split(".")[0].lower()
    return short if short in LANGUAGES else SOURCE_LANGUAGE


def read_po(text: str) -> dict[str, str]:
    """msgid -> msgstr from the text of a .po file (untranslated and fuzzy entries left out)."""
    catalog: dict[str, str] = {}
    entry: dict[str, str] = {}
    field = "ignored"
    fuzzy = False

    def finish() -> None:
        nonlocal fuzzy
        if entry.get("msgid") and entry.get("msgstr") and not fuzzy:
            catalog[entry["msgid"]] = entry["msgstr"]
        entry.clear()
        fuzzy = False

    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("#,") and "fuzzy" in line:
            fuzzy = True
        if not line or line.startswith("#"):
            continue
        keyword, _space, rest = line.partition(" ")
        if line.startswith('"'):
            entry[field] = entry.get(field, "") + ast.literal_eval(line)
            continue
        if keyword == "msgid":
            finish()
        field = "msgstr" if keyword.startswith("msgstr") else keyword
        if keyword.startswith("msgstr[") and not keyword.startswith("msgstr[0]"):
            field = "ignored"
        entry[field] = entry.get(field, "") + ast.literal_eval(rest)
    finish()
    return catalog


def format_date(moment: datetime, with_time: bool = True) -> str:
    """'Sabtu, 28 November 2026 09.15 WITA' in Indonesian, 'Saturday, 28 November 2026 09:15 WITA' in English."""
    days, months = _DAYS[_language], _MONTHS[_language]
    text = f"{days[moment.weekday()]}, {moment.day} {months[moment.month - 1]} {moment.year}"
    if with_time:
        separator = "." if _language == "id" else ":"
        text += f" {moment.hour:02d}{separator}{moment.minute:02d} {moment.strftime('%Z')}".rstrip()
    return text
