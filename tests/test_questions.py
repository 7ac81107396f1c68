"""Questions in the comments: which ask to buy and about what, what may be quoted, the name to greet, the answer."""

from __future__ import annotations

import fnmatch
import tomllib
from dataclasses import replace
from pathlib import Path

import pytest

from sokasi_post import questions
from sokasi_post.config import InboxSettings, load_settings
from sokasi_post.models import Product
from sokasi_post.questions import first_name, is_question, question_kind, quotable, read_comment, suggest_reply
from sokasi_post.yamlfile import read_yaml_mapping

from .conftest import CONFIG, ROOT

RULES = ROOT / "sokasi_post" / "questions.yaml"

# Comments as buyers in and around Tigawasa write them (and as visitors write in English), with the kind each asks.
PHRASINGS = [
    # price, in Indonesian, Balinese-Indonesian and chat short forms
    ("brp kak?", "price"), ("hrg brp gan", "price"), ("harga?", "price"), ("Harganya berapa kak", "price"),
    ("berapaaa kakk", "price"), ("brapa ni bli", "price"), ("hrgnya brp sis", "price"), ("HARGA?????", "price"),
    ("Hargane kuda mbok?", "price"), ("aji kuda bli?", "price"), ("brp-an ini kak?", "price"),
    ("info harga dong", "price"), ("info kak", "price"), ("bisa nego?", "price"), ("ｈａｒｇａ？", "price"),
    ("Berápa harganya kak, cantik sekali 😍", "price"), ("PM harga ya kak", "price"),
    ("harganya murah kak? brp", "price"),
    # price, in English
    ("Price?", "price"), ("How much?", "price"), ("how much is this basket", "price"), ("What's the price?", "price"),
    ("Price please", "price"), ("cost?", "price"), ("pls DM me the price", "price"),
    # still there?
    ("masih ada kak?", "available"), ("msh ada?", "available"), ("ready?", "available"), ("ready gk", "available"),
    ("Ready kak", "available"), ("stoknya ada?", "available"), ("udah laku belum?", "available"),
    ("masih ready sis", "available"), ("adakah yang warna merah?", "available"), ("ada gak kak", "available"),
    ("masih ada? brp?", "available"), ("sisa brp kak", "available"),
    ("is it still available", "available"), ("still available?", "available"), ("is this sold?", "available"),
    ("Available?", "available"), ("any left?", "available"),
    # ordering
    ("mau 2 kak", "order"), ("mau beli 1", "order"), ("saya ambil ya", "order"), ("mau dong kak", "order"),
    ("order 1 ya", "order"), ("pesan satu kak", "order"), ("cara pesannya gimana?", "order"), ("minat bli", "order"),
    ("keep ya kak", "order"), ("tiang ambil nggih", "order"),
    ("I want one!", "order"), ("I'll take it", "order"), ("where can I buy this?", "order"), ("can I order one?", "order"),
    ("interested 🙋", "order"),
    # shipping
    ("bisa kirim ke jkt?", "shipping"), ("ongkir ke surabaya brp", "shipping"), ("bisa COD?", "shipping"),
    ("kirim ke Jakarta bisa kak", "shipping"), ("ke bandung bisa?", "shipping"), ("pake JNE bisa?", "shipping"),
    ("bisa dikirim ke luar Bali?", "shipping"), ("brp ongkirnya ke Lombok", "shipping"),
    ("do you ship to Australia", "shipping"), ("Shipping to Japan?", "shipping"), ("Do you deliver?", "shipping"),
    # talk elsewhere
    ("PM ya", "contact"), ("japri dong", "contact"), ("DM me", "contact"), ("no WA nya?", "contact"),
    ("cek inbox kak", "contact"), ("Minta nomor WA nya kak", "contact"), ("Sudah PM ya kak", "contact"),
    ("WA kak?", "contact"), ("Please DM me", "contact"), ("@sokasi.tigawasa japri kak", "contact"),
    # not questions: praise, emoji, a friend tagged, "?" alone, sayings that hold a buyer's word
    ("bagus sekali", None), ("bagus banget 😍", None), ("mantap bli", None), ("mantappp", None), ("cantik 😍", None),
    ("😍😍🙏", None), ("👍", None), ("?", None), ("??", None), ("@komang lihat ini", None), ("@wayan lihat ini", None),
    ("@komang beli yang ini", None), ("@made_art keren ya", None), ("keren gak ada obat", None), ("ada2 aja", None),
    ("kirim salam buat keluarga", None), ("semoga laku ya kak", None), ("sukses selalu bli 🙏", None),
    ("Rapi sekali anyamannya", None), ("ini dari bambu apa?", None), ("wah keren, ada ya yang bikin sebagus ini", None),
    ("tidak ada duanya kak", None), ("masih tidak percaya ini buatan tangan", None), ("terima kasih infonya kak", None),
    ("harganya murah banget", None), ("the price is fair", None), ("nice price", None),
    ("Luar biasa", None), ("Beautiful work!", None), ("So pretty 😍", None), ("Love this", None),
    ("amazing craftsmanship", None), ("keep it up!", None), ("Nice 👍👍", None),
]


def test_the_table_is_large_and_covers_every_kind_in_both_languages():
    asked = [kind for _, kind in PHRASINGS if kind]
    assert len(PHRASINGS) >= 60 and len(asked) >= 40 and len(PHRASINGS) - len(asked) >= 20
    assert set(asked) == set(questions.KINDS)


@pytest.mark.parametrize(("text", "kind"), PHRASINGS)
def test_each_phrasing_is_read_as_its_kind(text, kind):
    assert question_kind(text) == kind
    assert is_question(text) is (kind is not None)


def test_the_rules_file_has_the_five_kinds_and_only_words_in_its_lists():
    data = read_yaml_mapping(RULES)
    assert tuple(data["kinds"]) == ("shipping", "available", "price", "order", "contact")  # the order is the precedence
    lists = [data[key] for key in ("endings", "address", "asking", "or_not", "numbers", "places", "not_asking")]
    lists += [words for spec in data["kinds"].values() for words in spec.values()]
    # A bare `no` or `yes` in YAML is a true/false, not a word: every entry must stay text.
    assert all(isinstance(word, str) and word.strip() for words in lists for word in words)


def test_the_examples_in_the_rules_file_are_read_as_it_says():
    examples = read_yaml_mapping(RULES)["examples"]
    for kind, texts in examples.items():
        for text in texts:
            assert question_kind(text) == (None if kind == "none" else kind), text


def test_the_rules_file_is_shipped_in_the_package():
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["package-data"]
    assert any(fnmatch.fnmatch("questions.yaml", pattern) for pattern in package_data["sokasi_post"])


def test_a_question_mark_alone_asks_nothing_but_makes_a_loose_word_ask():
    assert question_kind("?") is None
    assert question_kind("ready") is None
    assert question_kind("ready?") == "available"


def test_letters_typed_many_times_accents_and_signs_do_not_hide_a_question():
    assert read_comment("BERAPAAA kakkk??!!").text == "berapa kak"
    assert question_kind("berapaaaa") == "price"
    assert question_kind("Brápa") == "price"
    assert question_kind("ONGKIRRR...") == "shipping"


def test_endings_are_read_on_the_word():
    assert question_kind("hrgnya") == "price"
    assert question_kind("hargane") == "price"
    assert question_kind("pesanan 1") == "order"
    assert question_kind("ready") is None and question_kind("readykah") == "available"


def test_a_loose_word_asks_with_an_address_word_or_an_or_not_at_the_end():
    assert question_kind("ada") is None
    assert question_kind("ada kak") == "available"
    assert question_kind("ada gak") == "available"
    assert question_kind("ada gak ya kak") == "available"
    assert question_kind("masih tidak percaya") is None  # "tidak" in the middle of a sentence asks nothing


def test_a_friend_tagged_without_an_asking_word_is_no_question():
    assert question_kind("beli yang ini") == "order"
    assert question_kind("@komang beli yang ini") is None
    assert question_kind("@komang beli yang ini?") == "order"
    assert question_kind("@komang harganya brp?") == "price"
    assert question_kind("@sokasi.tigawasa harga kak") == "price"


def test_sayings_listed_as_asking_nothing_are_taken_out():
    assert question_kind("keren gak ada obat") is None
    assert question_kind("ada gak") == "available"
    assert question_kind("kirim salam") is None
    assert question_kind("kirim kak") == "shipping"


def test_when_a_comment_asks_several_things_the_first_kind_in_the_file_names_it():
    assert question_kind("brp ongkir ke sby?") == "shipping"
    assert question_kind("brp? masih ada?") == "available"
    assert question_kind("mau 2, brp?") == "price"
    assert question_kind("PM harga") == "price"
    assert question_kind("mau 2, PM ya") == "order"


PHONES = ["0812 3456 7890", "081234567890", "0812-3456-7890", "0812.3456.7890", "+62 812 3456 7890",
          "+62-812-3456-7890", "+6281234567890", "62 812 3456 7890", "6281234567890", "(0361) 234567",
          "(+62) 812 3456 789", "+61 412 345 678", "0812\u200b3456\u200b7890", "０８１２３４５６７８９０"]


@pytest.mark.parametrize("number", PHONES)
def test_a_phone_number_in_any_common_form_is_never_quoted(number):
    assert quotable(f"mau kak, WA saya {number} ya") is False


@pytest.mark.parametrize("text", ["email saya wayan.art@gmail.com", "Jl. Raya Ubud No. 12", "Jalan Gatot Subroto 45",
                                  "kirim ke Gg. Mawar 3 ya", "RT 02/RW 05 Tigawasa", "rt/rw 02/05", "rumah no. 7",
                                  "Perum Asri Blok C3", "Kode pos 80361", "kirim ke Denpasar 80361 ya",
                                  "Gianyar, 80552"])
def test_an_e_mail_or_an_address_is_never_quoted(text):
    assert quotable(text) is False


@pytest.mark.parametrize("text", ["brp kak?", "harga 50000?", "harganya 75000 bisa?", "Rp 175.000 ya?", "Rp 1.500.000",
                                  "bisa 150.000 kak?", "mau 2", "kirim ke Jakarta bisa?", "50000 aja ya", "ready 3 pcs",
                                  "jam 08.00 bisa ambil?"])
def test_questions_with_prices_and_counts_may_be_quoted(text):
    assert quotable(text) is True


@pytest.mark.parametrize(("author", "name"), [("Made Wirawan", "Made"), ("I Made Wirawan", "Made"),
                                              ("Ni Luh Putu Ayu", "Putu"), ("Ketut", "Ketut"), ("", ""), ("   ", ""),
                                              ("komang.art_bali", "komang.art_bali"), ("Sarah O'Connor", "Sarah")])
def test_first_name(author, name):
    assert first_name(author) == name


REPLY = {
    "id": "Halo kak {name}, terima kasih sudah bertanya 🙏\n{title}: {price}.\nLihat foto dan detailnya: {link}\n"
          "Pesan lewat WhatsApp: {order}",
    "en": "Hi {name}, thank you for asking 🙏\n{title}: {price}.\nPhotos and details: {link}\nOrder on WhatsApp: {order}",
}
SOLD = {
    "id": "Halo kak {name}, maaf, {title} sudah terjual 🙏\nKarya lain dari pembuatnya: {others}\nTanya lewat WhatsApp: {order}",
    "en": "Hi {name}, sorry, {title} is sold 🙏\nOther work by its maker: {others}\nAsk on WhatsApp: {order}",
}
PAGE = "https://tigawasa.github.io/sokasi/products/sokasi-bundar.html"
ORDER = 'https://wa.me/6281337912468 — "Halo, saya tertarik dengan Sokasi bundar motif poleng."'


def product(slug: str = "sokasi-bundar", title: str = "Sokasi bundar motif poleng", price: int | None = 175000,
            status: str = "ready") -> Product:
    return Product(slug=slug, folder=Path("posts") / slug, title=title, caption="Anyaman bambu.",
                   photos=(Path("posts") / slug / "a.jpg",), platforms=("facebook", "instagram"), price=price,
                   maker="Ni Ketut Sari", status=status)


OTHERS = (product("keben-kecil", "Keben kecil", 90000), product("tamas", "Tamas anyaman", None))


@pytest.fixture
def settings(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    return replace(load_settings(path), inbox=InboxSettings(reply_template=REPLY, sold_template=SOLD))


def test_the_indonesian_answer_names_the_price_the_page_and_the_whatsapp_link(settings):
    text = suggest_reply("price", "Made Wirawan", product(), settings, "id", PAGE, OTHERS)
    assert text == ("Halo kak Made, terima kasih sudah bertanya 🙏\n"
                    "Sokasi bundar motif poleng: Rp 175.000.\n"
                    f"Lihat foto dan detailnya: {PAGE}\n"
                    f"Pesan lewat WhatsApp: {ORDER}")


def test_the_english_answer_without_a_site_leaves_the_link_line_out(settings):
    text = suggest_reply("price", "Sarah Jones", product(), settings, "en", None, OTHERS)
    assert text == ("Hi Sarah, thank you for asking 🙏\n"
                    "Sokasi bundar motif poleng: Rp 175.000.\n"
                    f"Order on WhatsApp: {ORDER}")


def test_without_a_name_the_greeting_drops_it_cleanly(settings):
    assert suggest_reply("price", "", product(), settings, "id", PAGE, ()).startswith(
        "Halo kak, terima kasih sudah bertanya 🙏\n")
    assert suggest_reply("price", "", product(), settings, "en", PAGE, ()).startswith("Hi, thank you for asking 🙏\n")


def test_a_product_without_a_price_leaves_the_price_line_out(settings):
    text = suggest_reply("available", "Made", product(price=None), settings, "id", PAGE, ())
    assert "Rp" not in text and "poleng:" not in text
    assert text.splitlines()[1] == f"Lihat foto dan detailnya: {PAGE}"


def test_a_sold_product_is_answered_with_the_makers_other_work_by_title_and_price(settings):
    sold = product(status="sold")
    text = suggest_reply("price", "Made Wirawan", sold, settings, "id", PAGE, (*OTHERS, sold))
    assert text == ("Halo kak Made, maaf, Sokasi bundar motif poleng sudah terjual 🙏\n"
                    "Karya lain dari pembuatnya: Keben kecil (Rp 90.000), Tamas anyaman\n"
                    f"Tanya lewat WhatsApp: {ORDER}")
    english = suggest_reply("available", "Sarah", sold, settings, "en", PAGE, OTHERS)
    assert english.splitlines()[:2] == ["Hi Sarah, sorry, Sokasi bundar motif poleng is sold 🙏",
                                        "Other work by its maker: Keben kecil (Rp 90.000), Tamas anyaman"]


def test_a_sold_product_with_no_other_work_leaves_that_line_out(settings):
    text = suggest_reply("price", "Sarah", product(status="sold"), settings, "en", PAGE, ())
    assert text == f"Hi Sarah, sorry, Sokasi bundar motif poleng is sold 🙏\nAsk on WhatsApp: {ORDER}"


def test_the_templates_come_from_the_settings(settings):
    mine = replace(settings, inbox=InboxSettings(reply_template={"id": "{title} = {price}", "en": "{title}"},
                                                 sold_template=SOLD))
    assert suggest_reply("price", "Made", product(), mine, "id", None, ()) == "Sokasi bundar motif poleng = Rp 175.000"


def test_the_default_templates_are_the_ones_tested_here(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    inbox = load_settings(path).inbox
    assert (inbox.reply_template, inbox.sold_template) == (REPLY, SOLD)
