"""Pure functions on comments: is it a buyer asking (the rules in questions.yaml), may it be quoted, and the answer to suggest."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from typing import Any

from sokasi_post.captions import HASHTAG, MENTION, format_rupiah, order_line
from sokasi_post.config import Settings
from sokasi_post.models import Product
from sokasi_post.yamlfile import read_yaml_mapping

KINDS = ("price", "available", "order", "shipping", "contact")

_LINK = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}")
_DOUBLED = re.compile(r"(?<!\w)([^\W\d_]{2,})2(?!\w)")  # "ada2" is "ada ada"
_KAH = re.compile(r"(?<!\w)([^\W\d_]{3,})kah(?!\w)")  # "adakah" is "ada kah"
_REPEATED = re.compile(r"([^\W\d_])\1+")  # "berapaaa" is "berapa"
_SIGNS = re.compile(r"[\W_]+")

# A phone number: Indonesian (08.., +62 8.., 62 8.., (0361) ..) with any spaces, dots, dashes or brackets between the
# digits; any other number written with its country code (+61 ...); or a run of ten digits or more (a number or a
# bank account, however it is written).
_PHONE = re.compile(
    r"(?<![\w+])(?:\(?\+\s?62\)?|\(?62\)?|\(?0)[\s.\-()]{0,2}\d(?:[\s.\-()]{0,2}\d){7,12}(?!\d)"
    r"|\+\s?\d(?:[\s.\-()]{0,2}\d){6,14}(?!\d)"
    r"|(?<!\d)\d(?:[\s.\-]?\d){9,}"
)
_ADDRESS = re.compile(
    r"\b(?:jl|jln|jalan|gg|gang)\b\.?[^\n\d]{0,40}?\d"  # Jl. Raya Ubud 12, Gg. Mawar III/4
    r"|\b(?:rt|rw|no|nomor|nmr|kav)\b\s*[.:]?\s*\d"  # RT 02, RW.05, No. 12, Kav. 7
    r"|\bblok\s*[a-z]?\s*\d"  # Blok C3
    r"|\brt\s*/\s*rw\b",
    re.IGNORECASE,
)
_POSTCODE_LABEL = re.compile(r"\b(?:kode\s?pos|kodepos|kd\.?\s?pos|post\s?code|postal\s?code|zip(?:\s?code)?)\b\s*[.:]?\s*\d{5}\b",
                             re.IGNORECASE)
# Five digits after a comma or after a place's name ("Denpasar 80361", "Gianyar, 80552"): a postcode. After a word
# of money ("harga 50000", "bisa 75000?") they are a price, which may be quoted.
_FIVE_DIGITS = re.compile(r"(?:(,)|(?<!\w)(\w+))\s*\b([1-9]\d{4})\b(?![.,]?\d)(?!\s*(?:(?:rb|ribu|k|an)\b|,-|\.-))", re.IGNORECASE)
MONEY_WORDS = frozenset({"harga", "hrg", "rp", "idr", "bisa", "bs", "nego", "cuma", "hanya", "kalau", "kalo", "klo", "jadi",
                         "total", "ongkir", "ongkos", "only", "price", "for", "at", "dp", "bayar", "tf", "transfer",
                         "tawar", "sekitar", "budget", "mau", "dengan", "dgn", "yang", "yg", "sampai", "ada", "ya", "is"})
# Balinese names begin with a word that says man (I) or woman (Ni, Ni Luh): "I Made Wirawan" is called Made.
NAME_PREFIXES = frozenset({"i", "ni", "luh"})


@dataclass(frozen=True)
class _Kind:
    name: str
    always: re.Pattern[str]  # any of these marks a question of this kind
    when_asking: re.Pattern[str]  # these only in a comment that asks


@dataclass(frozen=True)
class _Rules:
    kinds: tuple[_Kind, ...]
    not_asking: re.Pattern[str]
    asks: re.Pattern[str]  # an asking word, an address word, or "ready gak"
    tag_needs_asking: bool


@dataclass(frozen=True)
class _Reading:
    text: str  # normalised: words of letters and digits, one space apart
    marked: bool  # a "?" was in it
    tagged: bool  # it names someone with @


def _plain(text: str) -> str:
    """Lowercase, without accents or invisible characters, compatibility forms folded (full-width ？ is ?)."""
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(c for c in decomposed if not unicodedata.combining(c) and unicodedata.category(c) != "Cf")
    return kept.casefold()


def _words(text: str) -> str:
    """Signs to spaces, "ada2" doubled, "-kah" split off, letters typed many times kept once; one space between words."""
    text = _SIGNS.sub(" ", _DOUBLED.sub(r"\1 \1", text))
    text = _REPEATED.sub(r"\1", text)
    return " ".join(_KAH.sub(r"\1 kah", text).split())


def read_comment(text: str) -> _Reading:
    """A comment as the rules read it (how, in questions.yaml's first lines)."""
    text = _EMAIL.sub(" ", _LINK.sub(" ", _plain(text)))
    tagged = bool(MENTION.search(text))
    text = HASHTAG.sub(" ", MENTION.sub(" ", text))
    return _Reading(_words(text), "?" in text, tagged)


def _phrase(phrase: str, endings: tuple[str, ...], groups: dict[str, str]) -> str:
    """The regular expression, without its word boundaries, for one phrase of questions.yaml."""
    parts = []
    for token in str(phrase).split():
        if token in groups:
            parts.append(groups[token])
            continue
        for word in _words(_plain(token)).split():
            forms = {word} | {_REPEATED.sub(r"\1", word + ending) for ending in endings if len(word) >= 3}
            parts.append("(?:" + "|".join(re.escape(form) for form in sorted(forms, key=len, reverse=True)) + ")")
    return " ".join(parts)


def _either(phrases: Iterable[Any], endings: tuple[str, ...], groups: dict[str, str]) -> str:
    """One expression matching any of the phrases as whole words; one that never matches for none."""
    bodies = [_phrase(p, endings, groups) for p in phrases]
    bodies = [body for body in bodies if body]
    return r"(?<!\S)(?:" + "|".join(bodies) + r")(?!\S)" if bodies else "(?!)"


@functools.cache
def rules() -> _Rules:
    """The rules in questions.yaml, read once and compiled."""
    with resources.as_file(resources.files("sokasi_post") / "questions.yaml") as path:
        data = read_yaml_mapping(path)
    endings = tuple(data["endings"])
    plain: dict[str, str] = {}
    groups = {
        "{address}": _either(data["address"], (), plain),
        "{place}": _either(data["places"], (), plain),
        "{number}": r"(?:\d+[^\W\d_]*|" + _either(data["numbers"], (), plain) + ")",
    }
    kinds = tuple(_Kind(name, re.compile(_either(spec["always"], endings, groups)),
                        re.compile(_either(spec["when_asking"], endings, groups)))
                  for name, spec in data["kinds"].items())
    asking = _either(data["asking"], (), plain) + "|" + groups["{address}"]
    any_when = "|".join(kind.when_asking.pattern for kind in kinds)
    or_not = f"(?:{any_when}) {_either(data['or_not'], (), plain)}(?:$| (?:{asking}))"
    return _Rules(kinds=kinds, not_asking=re.compile(_either(data["not_asking"], endings, groups)),
                  asks=re.compile(f"{asking}|{or_not}"), tag_needs_asking=bool(data["tag_needs_asking"]))


def question_kind(text: str) -> str | None:
    """What a buyer asks in this comment: "price", "available", "order", "shipping" or "contact"; None: no question."""
    found = rules()
    reading = read_comment(text)
    words = " ".join(found.not_asking.sub(" ", reading.text).split())
    asks = reading.marked or bool(found.asks.search(words))
    if reading.tagged and found.tag_needs_asking and not asks:
        return None  # "@wayan lihat ini": said to a friend
    for kind in found.kinds:
        if kind.always.search(words) or (asks and kind.when_asking.search(words)):
            return kind.name
    return None


def is_question(text: str) -> bool:
    """True when the comment is a buyer asking to buy: the price, whether it is there, an order, shipping, PM/DM."""
    return question_kind(text) is not None


def _has_postcode(text: str) -> bool:
    if _POSTCODE_LABEL.search(text):
        return True
    for match in _FIVE_DIGITS.finditer(text):
        comma, word = match.group(1), match.group(2)
        if comma or (word and not word.isdigit() and word.casefold().removesuffix("nya") not in MONEY_WORDS):
            return True
    return False


def quotable(text: str) -> bool:
    """False when the comment holds a phone number, an e-mail address or a street address: it is then never quoted."""
    text = unicodedata.normalize("NFKC", "".join(c for c in text if unicodedata.category(c) != "Cf"))
    return not (_PHONE.search(text) or _EMAIL.search(text) or _ADDRESS.search(text) or _has_postcode(text))


def first_name(author: str) -> str:
    """The name to greet someone by: "Made Wirawan" -> "Made", "I Made Wirawan" -> "Made"; a username as given."""
    words = author.split()
    while len(words) > 1 and words[0].casefold() in NAME_PREFIXES:
        words = words[1:]
    return words[0] if words else ""


def _others(product: Product, available: tuple[Product, ...]) -> str:
    """The maker's other work for sale, by title and price: "Keben kecil (Rp 90.000), Sokasi bundar (Rp 175.000)"."""
    return ", ".join(f"{other.title} ({format_rupiah(other.price)})" if other.price else other.title
                     for other in available if other.slug != product.slug)


def fill_template(template: str, values: dict[str, str]) -> str:
    """The template with its fields filled; a line with a field that has no value is left out, except {name}, which
    is dropped with the space before it ("Halo kak {name}, ..." -> "Halo kak, ...")."""
    lines = []
    for line in template.splitlines():
        if not values.get("name"):
            line = re.sub(r"\s*\{name\}", "", line)
        fields = re.findall(r"\{(\w+)\}", line)
        if any(name in values and not values[name] for name in fields):
            continue
        lines.append(re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), line))
    return "\n".join(lines).strip()


def suggest_reply(kind: str | None, author: str, product: Product, settings: Settings, language: str,
                  page_url: str | None, available: tuple[Product, ...]) -> str:
    """The answer to suggest for a question about `product`, from the config's template in `language`; for a sold
    product the sold template, naming the maker's other work in `available` (already chosen by the caller).

    `kind` does not change the words today: one template per language answers every kind (price, link, order).
    """
    inbox = settings.inbox
    templates = inbox.sold_template if product.is_sold else inbox.reply_template
    template = templates.get(language) or templates.get("id") or next(iter(templates.values()), "")
    values = {
        "name": first_name(author),
        "title": product.title,
        "price": format_rupiah(product.price) if product.price else "",
        "link": page_url or "",
        # The link in the form a tap opens (wa.me, as Facebook captions give it): in a reply it is the way to order.
        "order": order_line(product, "facebook", settings.contact),
        "others": _others(product, available),
    }
    return fill_template(template, values)
