"""feed.csv: Meta's catalogue data feed made from the products, checked against the rules in docs/catalogue-feed.md."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sokasi_post import feed
from sokasi_post.config import Settings, load_settings
from sokasi_post.feed import FeedItem, feed_csv, feed_items, feed_problems, format_price
from sokasi_post.models import Product
from tests.conftest import CONFIG

BASE = "https://tigawasa.github.io/sokasi/"
HEADER = ["id", "title", "description", "availability", "condition", "price", "link", "image_link", "brand",
          "additional_image_link"]


def settings_for(tmp_path: Path, site: str | None = "site:\n  base_url: " + BASE + "\n  name: Sokasi Tigawasa\n") -> Settings:
    (tmp_path / "posts").mkdir(exist_ok=True)
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG.replace("contact:\n", "contact:\n  name: Ni Wayan Murni\n") + (site or ""), encoding="utf-8")
    return load_settings(config)


def product(slug: str = "sokasi-bundar", *, status: str = "ready", price: int | None = 175000, photos: int = 3,
            title: str = "Sokasi bundar", caption: str = "Anyaman bambu dari Tigawasa.") -> Product:
    folder = Path("/posts") / slug
    return Product(slug=slug, folder=folder, title=title, caption=caption,
                   photos=tuple(folder / f"{n}.jpg" for n in range(1, photos + 1)), platforms=("facebook",),
                   price=price, status=status)


def page_url(p: Product) -> str:
    return f"{BASE}produk/{p.slug}/"


def image_urls(p: Product) -> list[str]:
    return [f"{BASE}foto/{p.slug}/{photo.stem}-1080.jpg" for photo in p.photos]


def items_of(tmp_path: Path, *products: Product, site: str | None = None) -> list[FeedItem]:
    settings = settings_for(tmp_path) if site is None else settings_for(tmp_path, site)
    return feed_items(products, settings, page_url, image_urls)


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_a_product_for_sale_becomes_an_item_with_every_field_meta_requires(tmp_path):
    [item] = items_of(tmp_path, product())
    assert item == FeedItem(
        id="sokasi-bundar", title="Sokasi bundar", description="Anyaman bambu dari Tigawasa.", availability="in stock",
        condition="new", price="175000.00 IDR", link=BASE + "produk/sokasi-bundar/",
        image_link=BASE + "foto/sokasi-bundar/1-1080.jpg", brand="Sokasi Tigawasa",
        additional_image_link=(BASE + "foto/sokasi-bundar/2-1080.jpg", BASE + "foto/sokasi-bundar/3-1080.jpg"))
    assert feed_problems([item]) == []


def test_a_sold_product_stays_in_the_feed_out_of_stock(tmp_path):
    [item] = items_of(tmp_path, product(status="sold"))
    assert item.availability == "out of stock"
    assert [row["availability"] for row in rows(feed_csv([item]))] == ["out of stock"]


def test_a_draft_is_absent_from_the_items_and_the_file(tmp_path):
    items = items_of(tmp_path, product("tempat-canang"), product("draf", status="draft"))
    assert [item.id for item in items] == ["tempat-canang"]
    assert "draf" not in feed_csv(items)


def test_a_product_without_a_price_is_reported_and_left_out_of_the_file(tmp_path):
    items = items_of(tmp_path, product("tanpa-harga", price=None), product("keben"))
    assert feed_problems(items) == [
        "tanpa-harga: no price, so it is left out of the catalogue feed; add one to its post.yaml, e.g. price: 150000"]
    assert [row["id"] for row in rows(feed_csv(items))] == ["keben"]


def test_a_product_without_photos_is_reported_and_left_out_of_the_file(tmp_path):
    items = items_of(tmp_path, product("tanpa-foto", photos=0))
    assert feed_problems(items) == ["tanpa-foto: no photo, so it is left out of the catalogue feed; put a photo in its folder"]
    assert rows(feed_csv(items)) == []


def test_the_brand_is_the_site_name_or_else_the_contact_name(tmp_path):
    assert items_of(tmp_path, product())[0].brand == "Sokasi Tigawasa"
    assert items_of(tmp_path, product(), site="")[0].brand == "Ni Wayan Murni"


def test_without_any_name_the_brand_is_the_name_the_site_shows(tmp_path):
    (tmp_path / "posts").mkdir()
    (tmp_path / "config.yaml").write_text(CONFIG, encoding="utf-8")
    items = feed_items([product()], load_settings(tmp_path / "config.yaml"), page_url, image_urls)
    assert items[0].brand == "Sokasi Tigawasa" and feed_problems(items) == []


def test_an_item_without_a_brand_is_reported_and_left_out_of_the_file(tmp_path):
    items = [replace(item, brand="") for item in items_of(tmp_path, product())]
    assert feed_problems(items) == ["sokasi-bundar: no brand, so it is left out of the catalogue feed; "
                                    "set site.name (or contact.name) in config.yaml"]
    assert rows(feed_csv(items)) == []


def test_a_long_caption_is_trimmed_to_the_description_limit_at_a_space(tmp_path):
    [item] = items_of(tmp_path, product(caption="bambu " * 2000))
    assert len(item.description) <= feed.DESCRIPTION_LIMIT
    assert item.description.endswith("bambu…")
    assert feed_problems([item]) == []


def test_a_caption_without_spaces_is_still_trimmed_to_the_limit():
    assert len(feed.trim_description("x" * 6000)) == feed.DESCRIPTION_LIMIT


@pytest.mark.parametrize(("field", "limit", "expected"), [
    ("title", feed.TITLE_LIMIT, "the title has {n} characters, more than the 150 Meta's catalogue takes; "
                                "shorten title: in its post.yaml"),
    ("description", feed.DESCRIPTION_LIMIT, "the description has {n} characters, more than the 5000 Meta's catalogue "
                                            "takes; shorten the caption"),
    ("brand", feed.BRAND_LIMIT, "the brand (site.name) has {n} characters, more than the 100 Meta's catalogue takes; "
                                "shorten site.name in config.yaml"),
])
def test_a_value_over_its_limit_is_reported_and_one_at_the_limit_is_not(tmp_path, field, limit, expected):
    [item] = items_of(tmp_path, product())
    at_limit = FeedItem(**{**item.__dict__, field: "a" * limit})
    over = FeedItem(**{**item.__dict__, field: "a" * (limit + 1)})
    assert feed_problems([at_limit]) == []
    assert feed_problems([over]) == ["sokasi-bundar: " + expected.format(n=limit + 1)]


def test_an_id_over_one_hundred_characters_is_reported(tmp_path):
    slug = "s" * 101
    assert feed_problems(items_of(tmp_path, product(slug))) == [
        f"{slug}: the folder name has 101 characters, more than the 100 Meta's catalogue takes as an id; "
        "give the folder a shorter name"]
    assert feed_problems(items_of(tmp_path, product("s" * 100))) == []


def test_only_ten_extra_photos_go_into_the_feed_and_more_are_reported_when_given(tmp_path):
    [item] = items_of(tmp_path, product(photos=15))
    assert len(item.additional_image_link) == feed.EXTRA_IMAGES_LIMIT
    assert item.additional_image_link[0].endswith("/2-1080.jpg")
    assert feed_problems([item]) == []
    crowded = FeedItem(**{**item.__dict__, "additional_image_link": item.additional_image_link + ("https://x.id/a.jpg",)})
    assert len(feed_problems([crowded])) == 1
    assert "11 extra photos" in feed_problems([crowded])[0]


def test_extra_photos_stop_before_their_addresses_pass_two_thousand_characters():
    urls = [f"https://tigawasa.github.io/{'p' * 480}/{n}.jpg" for n in range(6)]
    kept = feed._extra_images(urls)
    assert len(",".join(kept)) <= feed.EXTRA_IMAGES_CHARACTERS
    assert list(kept) == urls[:len(kept)] and 0 < len(kept) < 6


@pytest.mark.parametrize("url", ["/sokasi/produk/a/", "produk/a/", "ftp://x.id/a", "https://x.id/a b", "https://x.id/a,b",
                                 "javascript:alert(1)", "https:///no-host"])
def test_an_address_that_is_not_a_full_web_address_is_reported(tmp_path, url):
    [item] = items_of(tmp_path, product())
    assert feed_problems([FeedItem(**{**item.__dict__, "link": url})]) == [
        f"sokasi-bundar: the link address {url} is not a full web address Meta can open (https://…, no spaces or commas); "
        "check site.base_url in config.yaml"]


@pytest.mark.parametrize("price", ["175000 Rp", "Rp 175.000", "175.000 IDR", "175000,00 IDR", "0.00 IDR", "175000.5 IDR",
                                   "175000.00 idr", "175000.00IDR"])
def test_a_price_not_in_metas_form_is_reported(tmp_path, price):
    [item] = items_of(tmp_path, product())
    assert feed_problems([FeedItem(**{**item.__dict__, "price": price})]) == [
        f"sokasi-bundar: the price {price} is not one Meta's catalogue takes (an amount above zero and a currency, "
        "e.g. 175000.00 IDR); check price: in its post.yaml"]


def test_an_availability_or_condition_meta_does_not_know_is_reported(tmp_path):
    [item] = items_of(tmp_path, product())
    assert feed_problems([FeedItem(**{**item.__dict__, "availability": "sold", "condition": "handmade"})]) == [
        "sokasi-bundar: availability sold is not one Meta's catalogue knows "
        "(in stock, available for order, preorder, out of stock, discontinued)",
        "sokasi-bundar: condition handmade is not one Meta's catalogue knows (new, refurbished, used)"]


def test_two_items_with_one_id_are_reported_once(tmp_path):
    [item] = items_of(tmp_path, product())
    assert feed_problems([item, item]) == ["sokasi-bundar: two products have this id; Meta's catalogue keeps only one of them"]


def test_the_csv_round_trips_through_dictreader_with_metas_exact_header(tmp_path):
    items = items_of(tmp_path, product("keben", photos=1), product("sokasi-bundar"))
    text = feed_csv(items)
    reader = csv.DictReader(io.StringIO(text))
    assert reader.fieldnames == HEADER
    parsed = list(reader)
    assert [row["id"] for row in parsed] == ["keben", "sokasi-bundar"]
    assert parsed[0]["additional_image_link"] == ""
    assert parsed[1]["additional_image_link"].split(",") == list(items[1].additional_image_link)
    assert parsed[1] == {**items[1].__dict__, "additional_image_link": ",".join(items[1].additional_image_link)}


def test_every_field_is_quoted_and_lines_end_in_a_newline_without_a_bom(tmp_path):
    text = feed_csv(items_of(tmp_path, product()))
    first, second = text.splitlines()[:2]
    assert first == ",".join(f'"{name}"' for name in HEADER)
    assert second.startswith('"sokasi-bundar","Sokasi bundar",')
    assert text.endswith("\n") and "\r" not in text and not text.startswith("\ufeff")


def test_hostile_text_survives_the_csv_exactly():
    hostile = 'Sokasi "Dewi", 30 cm,\nanyaman; 🌺🙏🏽 | \t<b>&amp;'
    item = FeedItem(id="dewi", title=hostile, description=hostile + "\r\n" + hostile, availability="in stock",
                    condition="new", price="1.00 IDR", link=BASE, image_link=BASE + "a.jpg", brand='Koperasi "Tigawasa"',
                    additional_image_link=(BASE + "b.jpg", BASE + "c.jpg"))
    [row] = rows(feed_csv([item]))
    assert row["title"] == hostile
    assert row["description"] == hostile + "\r\n" + hostile
    assert row["brand"] == 'Koperasi "Tigawasa"'
    assert row["additional_image_link"] == BASE + "b.jpg," + BASE + "c.jpg"
    assert feed_csv([item]).encode("utf-8").decode("utf-8") == feed_csv([item])


def test_the_same_products_in_any_order_give_the_same_bytes(tmp_path):
    products = [product("keben"), product("sokasi-bundar", status="sold"), product("tempat-canang", photos=1)]
    first = feed_csv(items_of(tmp_path, *products))
    assert feed_csv(items_of(tmp_path, *reversed(products))) == first
    assert feed_csv(list(reversed(items_of(tmp_path, *products)))) == first
    assert [row["id"] for row in rows(first)] == ["keben", "sokasi-bundar", "tempat-canang"]


def test_an_empty_catalogue_gives_just_the_header():
    assert feed_csv([]) == ",".join(f'"{name}"' for name in HEADER) + "\n"


@given(st.integers(min_value=1, max_value=10**15))
def test_every_whole_rupiah_amount_is_written_in_metas_price_form(amount):
    text = format_price(amount)
    number, currency = text.split(" ")
    assert currency == "IDR"
    assert number == f"{amount}.00"
    assert int(number.split(".")[0]) == amount
    assert feed._PRICE.fullmatch(text)


@given(st.integers(min_value=1, max_value=10**12))
def test_a_formatted_price_never_counts_as_a_problem(amount):
    item = FeedItem(id="a", title="a", description="a", availability="in stock", condition="new", price=format_price(amount),
                    link=BASE, image_link=BASE + "a.jpg", brand="b")
    assert feed_problems([item]) == []
