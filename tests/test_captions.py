"""Captions: the exact text per platform, rupiah, the order line, hashtags and the limits."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from urllib.parse import urlparse

from hypothesis import given
from hypothesis import strategies as st

from sokasi_post.captions import caption_problems, format_rupiah, normalise_hashtag, render_caption
from sokasi_post.config import load_settings
from sokasi_post.models import Product
from sokasi_post.platforms import rules_for

from .conftest import CONFIG


def settings_for(tmp_path: Path, extra: str = ""):
    path = tmp_path / "config.yaml"
    path.write_text(CONFIG + extra, encoding="utf-8")
    return load_settings(path)


PRODUCT = Product(
    slug="sokasi-bundar",
    folder=Path("posts/sokasi-bundar"),
    title="Sokasi bundar motif poleng",
    caption="Anyaman bambu hitam-putih. 🌺\n\nDiameter 30 cm.",
    photos=(Path("posts/sokasi-bundar/a.jpg"),),
    platforms=("facebook", "instagram"),
    price=175000,
    maker="Ni Ketut Sari",
    hashtags=("#Sokasi Bundar", "poleng", "sokasi"),
)


def test_instagram_caption_is_exact(tmp_path):
    text = render_caption(PRODUCT, "instagram", settings_for(tmp_path))
    assert text == (
        "Sokasi bundar motif poleng\n\n"
        "Anyaman bambu hitam-putih. 🌺\n\nDiameter 30 cm.\n\n"
        "Harga: Rp 175.000\n"
        "Karya: Ni Ketut Sari\n"
        "Pesan lewat WhatsApp: +62 813-3791-2468\n\n"
        "#sokasi #tigawasa #SokasiBundar #poleng"
    )


def test_facebook_order_line_is_a_short_wa_me_link_then_the_product_named_in_words(tmp_path):
    text = render_caption(PRODUCT, "facebook", settings_for(tmp_path))
    line = next(line for line in text.splitlines() if "wa.me" in line)
    link = next(word for word in line.split() if word.startswith("https://wa.me/"))
    assert urlparse(link).path == "/" + link.rsplit("/", 1)[1] and link.rsplit("/", 1)[1].isdigit()
    assert "%" not in line and "?" not in link  # no percent-encoded message in the post
    assert line.endswith(' — "Halo, saya tertarik dengan Sokasi bundar motif poleng."')


def test_local_number_gets_the_indonesian_country_code(tmp_path):
    settings = settings_for(tmp_path)
    settings = replace(settings, contact=replace(settings.contact, whatsapp="0812-3456-7890"))
    assert "https://wa.me/6281234567890 " in render_caption(PRODUCT, "facebook", settings)


def test_lines_of_missing_facts_are_left_out(tmp_path):
    bare = replace(PRODUCT, price=None, maker=None, hashtags=())
    text = render_caption(bare, "instagram", settings_for(tmp_path))
    assert "Harga" not in text
    assert "Karya" not in text
    assert "\n\n\n" not in text
    assert text.endswith("Pesan lewat WhatsApp: +62 813-3791-2468\n\n#sokasi #tigawasa")


def test_hashtags_already_in_the_caption_are_not_added_again(tmp_path):
    product = replace(PRODUCT, caption="Sokasi #Tigawasa asli", hashtags=())
    text = render_caption(product, "instagram", settings_for(tmp_path))
    assert text.endswith("#sokasi")
    assert text.lower().count("#tigawasa") == 1


def test_custom_template_per_platform(tmp_path):
    settings = settings_for(tmp_path, '  instagram: "{title} — {price}\\n{hashtags}"\n')
    assert render_caption(PRODUCT, "instagram", settings) == (
        "Sokasi bundar motif poleng — Rp 175.000\n#sokasi #tigawasa #SokasiBundar #poleng")


def test_caption_over_the_instagram_limit_says_by_how_much(tmp_path):
    text = "a" * 2_345
    assert caption_problems(text, "instagram") == [
        "the Instagram caption is 2,345 characters; the limit is 2,200: shorten it by 145"]
    assert caption_problems(text, "facebook") == []


def test_too_many_hashtags_and_mentions(tmp_path):
    tags = " ".join(f"#tag{i}" for i in range(7))
    mentions = " ".join(f"@orang{i}" for i in range(21)) + " tulis ke info@tigawasa.id"
    assert caption_problems(tags + " " + mentions, "instagram") == [
        "the Instagram caption has 7 hashtags; Instagram allows 5: drop 2, e.g. #tag5 #tag6 "
        "(hashtags for Facebook only go under hashtags: {facebook: [...]})",
        "the Instagram caption has 21 @-mentions; the limit is 20: remove 1",
    ]
    assert caption_problems(tags + " " + mentions, "facebook") == []  # Facebook keeps its own, far larger allowance


def test_instagram_counts_five_hashtags_with_repeats_and_passes_them():
    assert caption_problems("#a #b #c #d #e", "instagram") == []
    assert caption_problems("Sokasi #bambu asli\n\n#a #b #c #d #bambu", "instagram") == [
        "the Instagram caption has 6 hashtags; Instagram allows 5: drop 1, e.g. #bambu "
        "(hashtags for Facebook only go under hashtags: {facebook: [...]})"]


def test_hashtags_can_go_to_one_platform_only(tmp_path):
    settings_path = tmp_path / "config.yaml"
    settings_path.write_text(CONFIG.replace("  hashtags: [sokasi, tigawasa]\n",
                                            "  hashtags:\n    all: [sokasi]\n    facebook: [tigawasa, buleleng]\n"))
    settings = load_settings(settings_path)
    product = replace(PRODUCT, hashtags=("poleng",), hashtags_by_platform={"facebook": ("upakara", "banten", "bali")})
    instagram = render_caption(product, "instagram", settings)
    facebook = render_caption(product, "facebook", settings)
    assert instagram.endswith("\n#sokasi #poleng")
    assert facebook.endswith("\n#sokasi #tigawasa #buleleng #poleng #upakara #banten #bali")
    assert caption_problems(instagram, "instagram") == []


def test_an_over_long_product_is_blocked_in_the_dry_run_not_cut(project):
    project.product("sokasi-panjang", "title: Sokasi\ncaption: " + "panjang " * 300 + "\n")
    result = project.run("publish", "--dry-run")
    assert result.exit_code == 1
    assert "BLOCKED: the Instagram caption is 2," in result.stdout
    assert "panjang " * 299 in result.stdout  # shown whole, never silently cut
    assert "blocked: 0;" not in result.stderr


@given(st.integers(min_value=1, max_value=10**12))
def test_rupiah_uses_dots_for_thousands_and_reads_back(amount):
    text = format_rupiah(amount)
    assert text.startswith("Rp ")
    assert int(text[3:].replace(".", "")) == amount
    assert all(len(group) == 3 for group in text[3:].split(".")[1:])


@given(st.text())
def test_normalised_hashtags_are_single_words_without_hash(tag):
    normal = normalise_hashtag(tag)
    assert "#" not in normal
    assert not any(ch.isspace() for ch in normal)
    assert normalise_hashtag(normal) == normal


@given(st.text(max_size=3000))
def test_a_caption_within_every_limit_has_no_problems(text):
    problems = caption_problems(text, "instagram")
    assert (len(text) > rules_for("instagram").caption_characters) == any("characters" in p for p in problems)


def test_six_instagram_hashtags_are_blocked_at_check_naming_the_ones_to_drop(project):
    project.product("sokasi-tagar", "title: Sokasi\ncaption: Anyaman bambu.\nprice: 150000\n"
                    "hashtags: [bambu, bali, upakara, banten]\n")
    result = project.run("check")
    assert result.exit_code == 1
    assert result.stdout == (
        "posts/sokasi-tagar/post.yaml: the Instagram caption has 6 hashtags; Instagram allows 5: drop 1, e.g. #banten "
        "(hashtags for Facebook only go under hashtags: {facebook: [...]})\n")
    dry = project.run("publish", "--dry-run", "--platform", "instagram")
    assert dry.exit_code == 1
    assert "BLOCKED: the Instagram caption has 6 hashtags" in dry.stdout
    assert "#sokasi #tigawasa #bambu #bali #upakara #banten" in dry.stdout  # shown whole, never cut


def test_a_product_moves_extra_hashtags_to_facebook_and_passes(project):
    project.product("sokasi-tagar", "title: Sokasi\ncaption: Anyaman bambu.\n"
                    "hashtags:\n  all: [bambu, bali]\n  facebook: [upakara, banten]\n")
    assert project.run("check").exit_code == 0
    dry = project.run("publish", "--dry-run")
    assert "#sokasi #tigawasa #bambu #bali #upakara #banten" in dry.stdout  # Facebook
    assert "\n    #sokasi #tigawasa #bambu #bali\n" in dry.stdout  # Instagram


def test_a_misspelt_platform_under_hashtags_is_named(project):
    project.product("sokasi-tagar", "title: Sokasi\ncaption: Anyaman bambu.\nhashtags:\n  instagarm: [bambu]\n")
    result = project.run("check")
    assert result.exit_code == 1
    assert ("hashtags: unknown key 'instagarm' (did you mean instagram?); the keys here are: all, facebook, instagram"
            in result.stdout)


def test_the_bundled_samples_and_starter_files_stay_within_instagrams_five_hashtags(tmp_path):
    from sokasi_post.catalog import load_catalog
    from sokasi_post.i18n import set_language
    from sokasi_post.starter import init_project

    root = Path(__file__).resolve().parent.parent
    settings = load_settings(root / "config.yaml")
    for product in load_catalog(settings).products:
        assert caption_problems(render_caption(product, "instagram", settings), "instagram") == [], product.slug
    for language in ("en", "id"):
        folder = tmp_path / language
        folder.mkdir()
        set_language(language)
        init_project(folder)
        starter = load_settings(folder / "config.yaml")
        assert "kerajinanbambu" in starter.captions.hashtags
        assert len(starter.captions.hashtags) + len(starter.captions.hashtags_by_platform.get("instagram", ())) <= 3
