"""Photo preparation: upright, sRGB, no metadata, inside Instagram's ratios, small, cached; bad photos named."""

from __future__ import annotations

import hashlib
import struct
import warnings
import zlib
from io import BytesIO
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image, ImageCms, PngImagePlugin, TiffImagePlugin

from sokasi_post import media
from sokasi_post.catalog import load_catalog
from sokasi_post.config import load_settings
from sokasi_post.media import prepare_products
from sokasi_post.platforms import rules_for

from .icc import swapped_primaries_profile

INSTAGRAM_MIN_RATIO = rules_for("instagram").min_ratio or 0
INSTAGRAM_MAX_RATIO = rules_for("instagram").max_ratio or 0

RED, GREEN, BLUE, YELLOW = (220, 20, 20), (20, 200, 20), (20, 20, 220), (230, 220, 20)


def quadrants(size=(800, 600)) -> Image.Image:
    """Upright test picture: red top-left, green top-right, blue bottom-left, yellow bottom-right."""
    width, height = size
    image = Image.new("RGB", size, RED)
    image.paste(GREEN, (width // 2, 0, width, height // 2))
    image.paste(BLUE, (0, height // 2, width // 2, height))
    image.paste(YELLOW, (width // 2, height // 2, width, height))
    return image


# How a camera stores an upright picture for each EXIF orientation: the inverse of what a viewer applies.
STORE = {
    1: [], 2: [Image.Transpose.FLIP_LEFT_RIGHT], 3: [Image.Transpose.ROTATE_180], 4: [Image.Transpose.FLIP_TOP_BOTTOM],
    5: [Image.Transpose.TRANSPOSE], 6: [Image.Transpose.ROTATE_90], 7: [Image.Transpose.TRANSVERSE],
    8: [Image.Transpose.ROTATE_270],
}


def save(image: Image.Image, path: Path, fmt: str = "JPEG", **options) -> Path:
    image.save(path, fmt, **options)
    return path


def prepared_for(project, slug: str):
    settings = load_settings(project.config)
    catalog = load_catalog(settings)
    products = tuple(p for p in catalog.products if p.slug == slug)
    assert products, catalog.problems
    return prepare_products(products, settings)


def output(prepared, slug: str, platform: str, number: int = 0) -> Image.Image:
    photo = prepared.photos[(slug, platform)][number]
    image = Image.open(photo.path)
    image.load()
    return image


def close(pixel, colour, tolerance=40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour, strict=False))


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_is_turned_upright(project, orientation):
    folder = project.product("sokasi-putar", "title: S\ncaption: C\n", photos=())
    stored = quadrants()
    for method in STORE[orientation]:
        stored = stored.transpose(method)
    exif = Image.Exif()
    exif[0x0112] = orientation
    save(stored, folder / "foto.jpg", exif=exif.tobytes())
    prepared = prepared_for(project, "sokasi-putar")
    facebook = output(prepared, "sokasi-putar", "facebook")
    assert facebook.size == (800, 600)
    assert close(facebook.getpixel((20, 20)), RED)
    assert close(facebook.getpixel((780, 20)), GREEN)
    assert close(facebook.getpixel((20, 580)), BLUE)
    instagram = output(prepared, "sokasi-putar", "instagram")
    assert instagram.size == (800, 600)  # 4:3 is within Instagram's range; never enlarged
    assert close(instagram.getpixel((20, 20)), RED)
    assert not instagram.getexif()


def test_gps_and_all_metadata_are_stripped_and_the_original_is_untouched(project):
    folder = project.product("sokasi-gps", "title: S\ncaption: C\n", photos=())
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x0112] = 1
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "S", (8.0, 10.0, 30.0), "E", (115.0, 20.0, 10.0)
    source = save(quadrants(), folder / "foto.jpg", exif=exif.tobytes(), icc_profile=ImageCms.ImageCmsProfile(
        ImageCms.createProfile("sRGB")).tobytes(), comment=b"rumah Made")
    before = hashlib.sha256(source.read_bytes()).hexdigest()
    prepared = prepared_for(project, "sokasi-gps")
    for platform in ("facebook", "instagram"):
        image = output(prepared, "sokasi-gps", platform)
        assert not image.getexif()
        assert not image.getexif().get_ifd(0x8825)
        assert "icc_profile" not in image.info
        assert "comment" not in image.info
        assert b"PhoneMaker" not in prepared.photos[("sokasi-gps", platform)][0].path.read_bytes()
    assert hashlib.sha256(source.read_bytes()).hexdigest() == before
    assert Image.open(source).getexif().get_ifd(0x8825)  # the original still has its GPS


def test_credit_writes_only_artist_and_copyright(project):
    project.config.write_text(project.config.read_text() + "media:\n  credit: true\n")
    folder = project.product("sokasi-kredit", "title: S\ncaption: C\nmaker: Ni Ketut Sari\n", photos=())
    exif = Image.Exif()
    exif.get_ifd(0x8825)[1] = "S"
    save(quadrants(), folder / "foto.jpg", exif=exif.tobytes())
    image = output(prepared_for(project, "sokasi-kredit"), "sokasi-kredit", "instagram")
    assert dict(image.getexif()) == {0x013B: "Ni Ketut Sari", 0x8298: "Ni Ketut Sari"}
    assert not image.getexif().get_ifd(0x8825)


def test_embedded_colour_profile_is_converted_to_srgb(project):
    folder = project.product("sokasi-icc", "title: S\ncaption: C\n", photos=())
    save(Image.new("RGB", (640, 480), (255, 0, 0)), folder / "foto.jpg", icc_profile=swapped_primaries_profile(),
         quality=95)
    image = output(prepared_for(project, "sokasi-icc"), "sokasi-icc", "facebook")
    assert close(image.getpixel((320, 240)), (0, 255, 0), tolerance=25)  # "red" in that profile is sRGB green


def test_cmyk_becomes_rgb(project):
    folder = project.product("sokasi-cmyk", "title: S\ncaption: C\n", photos=())
    save(Image.new("CMYK", (640, 480), (0, 255, 255, 0)), folder / "foto.jpg")
    image = output(prepared_for(project, "sokasi-cmyk"), "sokasi-cmyk", "instagram")
    assert image.mode == "RGB"
    assert close(image.getpixel((320, 240)), (255, 0, 0))


def test_transparency_lands_on_the_background_colour(project):
    project.config.write_text(project.config.read_text() + "media:\n  background: '#102030'\n")
    folder = project.product("sokasi-png", "title: S\ncaption: C\n", photos=())
    picture = Image.new("RGBA", (640, 480), (0, 0, 0, 0))
    picture.paste((200, 100, 50, 255), (0, 0, 320, 480))
    save(picture, folder / "foto.png", "PNG")
    image = output(prepared_for(project, "sokasi-png"), "sokasi-png", "facebook")
    assert image.mode == "RGB"
    assert close(image.getpixel((100, 240)), (200, 100, 50), tolerance=8)
    assert close(image.getpixel((540, 240)), (16, 32, 48), tolerance=8)


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda: Image.new("L", (640, 480), 128), (128, 128, 128)),
        (lambda: Image.new("LA", (640, 480), (128, 0)), (255, 255, 255)),
        (lambda: Image.new("I;16", (640, 480), 32768), (128, 128, 128)),
        (lambda: Image.new("1", (640, 480), 1), (255, 255, 255)),
        (lambda: Image.new("RGB", (640, 480), (10, 120, 200)).convert("P", palette=Image.Palette.ADAPTIVE), (10, 120, 200)),
    ],
    ids=["grey", "grey-with-alpha", "16-bit", "bilevel", "palette"],
)
def test_other_modes_become_clean_rgb(project, make, expected):
    folder = project.product("sokasi-mode", "title: S\ncaption: C\n", photos=())
    save(make(), folder / "foto.png", "PNG")
    image = output(prepared_for(project, "sokasi-mode"), "sokasi-mode", "instagram")
    assert image.mode == "RGB"
    assert close(image.getpixel((320, 240)), expected, tolerance=6)


def test_palette_transparency_goes_on_white(project):
    folder = project.product("sokasi-gif", "title: S\ncaption: C\n", photos=())
    picture = Image.new("P", (640, 480), 0)
    picture.putpalette([0, 0, 0, 200, 30, 30] + [0] * 762)
    picture.paste(1, (0, 0, 320, 480))
    save(picture, folder / "foto.png", "PNG", transparency=0)
    image = output(prepared_for(project, "sokasi-gif"), "sokasi-gif", "facebook")
    assert close(image.getpixel((100, 240)), (200, 30, 30), tolerance=8)
    assert close(image.getpixel((540, 240)), (255, 255, 255), tolerance=8)


@pytest.mark.parametrize(
    ("size", "expected", "facebook_side"),
    [
        ((4000, 1000), (1080, 566), 2048),  # Instagram's crop needs more than half: decoded whole; 1080 × 565 is 1.9115
        ((1000, 4000), (1000, 1250), 2048),  # Instagram needs every pixel of the width: decoded whole
        ((3024, 4032), (1080, 1350), 2016),  # a phone photo, decoded at half size: 2016 is within 5% of 2048
        ((3000, 3000), (1080, 1080), 2048),  # half size (1500) would be too small: decoded whole, resized
        ((2000, 1500), (1080, 810), 2000),  # under the limit: never enlarged
    ],
)
def test_instagram_ratio_is_always_within_range_and_never_enlarged(project, size, expected, facebook_side):
    folder = project.product("sokasi-rasio", "title: S\ncaption: C\n", photos=())
    save(quadrants(size), folder / "foto.jpg")
    prepared = prepared_for(project, "sokasi-rasio")
    image = output(prepared, "sokasi-rasio", "instagram")
    assert image.size == expected
    assert INSTAGRAM_MIN_RATIO <= image.width / image.height <= INSTAGRAM_MAX_RATIO
    facebook = output(prepared, "sokasi-rasio", "facebook")
    assert max(facebook.size) == facebook_side


def test_a_carousel_shares_the_first_photos_ratio(project):
    folder = project.product("sokasi-korsel", "title: S\ncaption: C\n", photos=())
    save(quadrants((1200, 1500)), folder / "1.jpg")
    save(quadrants((1600, 900)), folder / "2.jpg")
    save(quadrants((1000, 1000)), folder / "3.jpg")
    prepared = prepared_for(project, "sokasi-korsel")
    sizes = [Image.open(p.path).size for p in prepared.photos[("sokasi-korsel", "instagram")]]
    assert sizes == [(1080, 1350), (720, 900), (800, 1000)]
    assert {round(w / h, 2) for w, h in sizes} == {0.8}


def test_focus_point_keeps_the_basket_in_the_crop(project):
    project.config.write_text(project.config.read_text() + "media:\n  instagram: {width: 1000}\n")
    picture = Image.new("RGB", (4000, 1000), (240, 240, 240))
    picture.paste(RED, (3700, 400, 3900, 600))  # the basket, far to the right
    for slug, focus in (("sokasi-fokus", "focus: {foto.jpg: [0.95, 0.5]}\n"), ("sokasi-tengah", "")):
        folder = project.product(slug, "title: S\ncaption: C\n" + focus, photos=())
        save(picture, folder / "foto.jpg")
    focused = output(prepared_for(project, "sokasi-fokus"), "sokasi-fokus", "instagram")
    centred = output(prepared_for(project, "sokasi-tengah"), "sokasi-tengah", "instagram")
    # 4:1 cropped to 1.91:1 keeps 1910 of 4000 pixels: around the focus point, the basket stays whole
    assert focused.size == centred.size == (1000, 524)
    assert close(focused.getpixel((895, 262)), RED)
    assert close(focused.getpixel((835, 262)), (240, 240, 240)) and close(focused.getpixel((955, 262)), (240, 240, 240))
    assert not any(close(centred.getpixel((x, 262)), RED) for x in range(0, 1000, 5))


def test_pad_keeps_the_whole_photo_and_fills_with_the_background(project):
    project.config.write_text(project.config.read_text() + "media:\n  background: '#000000'\n")
    folder = project.product("sokasi-pad", "title: S\ncaption: C\nfit: pad\n", photos=())
    save(Image.new("RGB", (3000, 1000), (230, 230, 230)), folder / "foto.jpg")
    image = output(prepared_for(project, "sokasi-pad"), "sokasi-pad", "instagram")
    assert image.size == (1080, 566)
    assert close(image.getpixel((540, 5)), (0, 0, 0), tolerance=10)  # band above the photo
    assert close(image.getpixel((540, 282)), (230, 230, 230), tolerance=10)
    assert close(image.getpixel((2, 282)), (230, 230, 230), tolerance=10)  # the edges are not cut


def test_outputs_are_progressive_and_smaller_than_the_source(project):
    folder = project.product("sokasi-kecil", "title: S\ncaption: C\n", photos=())
    noise = Image.effect_noise((3000, 4000), 60).convert("RGB")
    source = save(noise, folder / "foto.jpg", quality=95)
    prepared = prepared_for(project, "sokasi-kecil")
    for platform in ("facebook", "instagram"):
        photo = prepared.photos[("sokasi-kecil", platform)][0]
        assert Image.open(photo.path).info.get("progressive") == 1
        assert photo.size < source.stat().st_size / 3


def test_a_second_run_reuses_the_cache_without_decoding(project, monkeypatch):
    project.good("sokasi-a")
    first = prepared_for(project, "sokasi-a")

    def fail(*args, **kwargs):
        raise AssertionError("decoded again")

    monkeypatch.setattr(media, "_decode", fail)
    second = prepared_for(project, "sokasi-a")
    assert second.photos == first.photos
    project.config.write_text(project.config.read_text() + "media:\n  quality: 70\n")
    again = prepared_for(project, "sokasi-a")  # other rules, other output: never a stale cached file
    assert [problem.message for problem in again.problems] == ["is damaged or incomplete (decoded again); copy it from "
                                                               "the phone again"]


def test_a_changed_photo_is_prepared_again(project):
    folder = project.good("sokasi-a")
    first = prepared_for(project, "sokasi-a").photos[("sokasi-a", "facebook")][0]
    save(Image.new("RGB", (700, 500), (1, 2, 3)), folder / "foto.jpg")
    second = prepared_for(project, "sokasi-a").photos[("sokasi-a", "facebook")][0]
    assert second.path != first.path
    assert (second.width, second.height) == (700, 500)


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims to be width x height: a decompression bomb's signature, without the bomb."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))


def truncated_jpeg() -> bytes:
    buffer = BytesIO()
    Image.effect_noise((800, 600), 50).convert("RGB").save(buffer, "JPEG")
    return buffer.getvalue()[: len(buffer.getvalue()) // 2]


def animated_webp() -> bytes:
    buffer = BytesIO()
    frames = [Image.new("RGB", (640, 480), colour) for colour in (RED, GREEN)]
    frames[0].save(buffer, "WEBP", save_all=True, append_images=frames[1:], duration=100)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("rusak.jpg", truncated_jpeg(), "is damaged or incomplete (image file is truncated"),
        ("bom.png", png_header_only(30000, 30000), "is too large to open safely (30000 × 30000 pixels, over 60 megapixels)"),
        ("garis.png", png_header_only(1, 20000), "is only 1 pixels wide; a photo must be at least 320 pixels wide"),
        ("pita.png", None, "is 8000 × 300 pixels, far too long and thin for a post; crop it first"),
    ],
)
def test_a_bad_photo_is_named_and_the_others_are_still_prepared(project, tmp_path, name, data, expected):
    folder = project.product("sokasi-campur", "title: S\ncaption: C\n", photos=("a.jpg",))
    if data is None:
        save(Image.new("RGB", (8000, 300), RED), folder / name, "PNG")
    else:
        (folder / name).write_bytes(data)
    result = project.run("prepare", "--out", str(tmp_path / "keluar"))
    assert result.exit_code == 1
    assert f"posts/sokasi-campur/{name}: {expected}" in result.stderr
    assert sorted(p.name for p in (tmp_path / "keluar" / "sokasi-campur").iterdir()) == ["facebook-01.jpg", "instagram-01.jpg"]
    assert "Traceback" not in result.output


def test_an_animated_photo_uses_its_first_frame_with_a_warning(project):
    folder = project.product("sokasi-gerak", "title: S\ncaption: C\n", photos=())
    (folder / "foto.webp").write_bytes(animated_webp())
    result = project.run("publish", "--dry-run", "--platform", "instagram")
    assert result.exit_code == 0, result.output
    assert "posts/sokasi-gerak/foto.webp: warning: is animated; only its first frame is posted" in result.stdout
    image = output(prepared_for(project, "sokasi-gerak"), "sokasi-gerak", "instagram")
    assert close(image.getpixel((320, 240)), RED)


def test_a_heic_photo_asks_for_jpeg(project):
    folder = project.product("sokasi-iphone", "title: S\ncaption: C\n", photos=("a.jpg",))
    (folder / "IMG_0001.HEIC").write_bytes(b"\0\0\0\x18ftypheic" + b"\0" * 100)
    result = project.run("check")
    assert result.exit_code == 1
    assert ("posts/sokasi-iphone/IMG_0001.HEIC: is a HEIC photo, which this computer cannot read: convert it to JPEG"
            in result.stdout)


def test_a_photo_too_small_for_instagram_once_cropped_blocks_only_instagram(project):
    folder = project.product("sokasi-sempit", "title: S\ncaption: C\n", photos=())
    save(Image.new("RGB", (1300, 350), RED), folder / "foto.jpg")
    assert project.run("publish", "--dry-run").exit_code == 0  # 1300x350 -> 668x350 at 1.91:1: wide enough
    save(Image.new("RGB", (1300, 160), RED), folder / "foto.jpg")  # ...but 1300x160 leaves 305 px
    result = project.run("publish", "--dry-run")
    assert result.exit_code == 1
    assert "BLOCKED: photo foto.jpg is too small for Instagram once cropped to 1.91:1 (305 pixels wide" in result.stdout
    facebook = result.stdout.split("== sokasi-sempit → Instagram ==")[0]
    assert "BLOCKED" not in facebook


def test_prepare_writes_numbered_photos_per_platform_in_post_order(project, tmp_path):
    project.product("sokasi-urut", "title: S\ncaption: C\nphotos: [b.jpg, a.jpg]\nplatforms: [instagram]\n",
                    photos=("a.jpg", "b.jpg"))
    project.good("sokasi-lain")
    result = project.run("prepare", "sokasi-urut", "--out", str(tmp_path / "siap"))
    assert result.exit_code == 0, result.output
    folder = tmp_path / "siap" / "sokasi-urut"
    assert sorted(p.name for p in folder.iterdir()) == ["instagram-01.jpg", "instagram-02.jpg"]
    assert not (tmp_path / "siap" / "sokasi-lain").exists()
    assert result.stdout.splitlines() == ["siap/sokasi-urut/instagram-01.jpg", "siap/sokasi-urut/instagram-02.jpg"]
    assert "Preparing photos" not in result.stderr  # no progress bar off a terminal (cron)


# -- photos as they come from real phones and editors ---------------------------------------------------------


def jpeg_markers(data: bytes) -> list[tuple[int, bytes]]:
    """Every marker segment of a JPEG up to its first scan, as (marker, payload)."""
    assert data[:2] == b"\xff\xd8"
    segments, offset = [], 2
    while data[offset + 1] != 0xDA:
        marker = data[offset + 1]
        length = struct.unpack(">H", data[offset + 2:offset + 4])[0]
        segments.append((marker, data[offset + 4:offset + 2 + length]))
        offset += 2 + length
    return segments


def with_app13(jpeg: bytes) -> bytes:
    """The JPEG with a Photoshop IPTC block (APP13) holding a caption and a place, as newsroom tools write it."""
    iptc = b"\x1c\x02\x78" + struct.pack(">H", 14) + b"rumah Made Ari" + b"\x1c\x02\x5a" + struct.pack(">H", 7) + b"Tigawasa"
    block = b"Photoshop 3.0\x008BIM\x04\x04\x00\x00" + struct.pack(">I", len(iptc)) + iptc
    return jpeg[:2] + b"\xff\xed" + struct.pack(">H", len(block) + 2) + block + jpeg[2:]


XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description GPSLatitude="8,10.5S"/></rdf:RDF></x:xmpmeta>'


def metadata_rich_sources() -> dict[str, bytes]:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif.get_ifd(0x8825)[1] = "S"
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    jpeg, with_profile = BytesIO(), BytesIO()
    quadrants().save(jpeg, "JPEG", exif=exif.tobytes(), xmp=XMP, comment=b"File written by Adobe Photoshop 4.0")
    quadrants().save(with_profile, "JPEG", exif=exif.tobytes(), icc_profile=profile, xmp=XMP, comment=b"CREATOR: gd-jpeg")
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "CREATOR: gd-jpeg v1.0 (using IJG JPEG v80), quality = 90")
    info.add_text("comment", "File written by Adobe Photoshop 4.0", zip=True)
    info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    png = BytesIO()
    quadrants().save(png, "PNG", pnginfo=info, exif=exif.tobytes(), icc_profile=profile)
    return {"foto.jpg": with_app13(jpeg.getvalue()), "profil.jpg": with_app13(with_profile.getvalue()),
            "foto.png": png.getvalue()}


@pytest.mark.parametrize("name", ["foto.jpg", "profil.jpg", "foto.png"])
def test_outputs_carry_no_metadata_segment_at_all(project, name):
    folder = project.product("sokasi-bersih", "title: S\ncaption: C\n", photos=())
    (folder / name).write_bytes(metadata_rich_sources()[name])
    prepared = prepared_for(project, "sokasi-bersih")
    for platform in ("facebook", "instagram"):
        data = prepared.photos[("sokasi-bersih", platform)][0].path.read_bytes()
        markers = jpeg_markers(data)
        # Only the format's own segments: JFIF header, tables, frame. No COM (0xFE), no APP1 (EXIF, XMP),
        # APP2 (ICC), APP13 (IPTC) or any other APPn.
        assert {marker for marker, _payload in markers} <= {0xE0, 0xDB, 0xC4, 0xC2, 0xC0}, [hex(m) for m, _ in markers]
        assert [payload[:5] for marker, payload in markers if marker == 0xE0] == [b"JFIF\0"]
        for leak in (b"Photoshop", b"CREATOR", b"PhoneMaker", b"Tigawasa", b"xmpmeta", b"sRGB"):
            assert leak not in data


def test_with_credit_the_only_metadata_segment_is_an_exif_with_artist_and_copyright(project):
    project.config.write_text(project.config.read_text() + "media:\n  credit: true\n")
    folder = project.product("sokasi-kredit", "title: S\ncaption: C\nmaker: Ni Ketut Sari\n", photos=())
    (folder / "foto.jpg").write_bytes(metadata_rich_sources()["foto.jpg"])
    data = prepared_for(project, "sokasi-kredit").photos[("sokasi-kredit", "instagram")][0].path.read_bytes()
    markers = jpeg_markers(data)
    assert {marker for marker, _payload in markers} - {0xDB, 0xC4, 0xC2, 0xC0} == {0xE0, 0xE1}
    (exif,) = [payload for marker, payload in markers if marker == 0xE1]
    assert exif.startswith(b"Exif\0\0")
    parsed = Image.Exif()
    parsed.load(exif[6:])
    assert dict(parsed) == {0x013B: "Ni Ketut Sari", 0x8298: "Ni Ketut Sari"}
    assert b"Photoshop" not in data and b"xmpmeta" not in data


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_a_tiff_is_turned_upright_exactly_once(project, orientation):
    folder = project.product("sokasi-tiff", "title: S\ncaption: C\n", photos=())
    stored = quadrants()
    for method in STORE[orientation]:
        stored = stored.transpose(method)
    info = TiffImagePlugin.ImageFileDirectory_v2()
    info[0x0112] = orientation
    stored.save(folder / "foto.png", "TIFF", tiffinfo=info, compression="tiff_deflate")  # a TIFF under a photo's name
    facebook = output(prepared_for(project, "sokasi-tiff"), "sokasi-tiff", "facebook")
    assert facebook.size == (800, 600)
    assert close(facebook.getpixel((20, 20)), RED)
    assert close(facebook.getpixel((780, 20)), GREEN)
    assert close(facebook.getpixel((20, 580)), BLUE)


def colour_key_png(mode: str) -> Image.Image:
    """Left half the product colour, right half a colour key (PNG tRNS) that means "see-through"."""
    if mode == "RGB":
        picture = Image.new("RGB", (640, 480), (1, 2, 3))
        picture.paste((200, 100, 50), (0, 0, 320, 480))
        picture.info["transparency"] = (1, 2, 3)
    elif mode == "L":
        picture = Image.new("L", (640, 480), 7)
        picture.paste(150, (0, 0, 320, 480))
        picture.info["transparency"] = 7
    else:
        picture = Image.new("P", (640, 480), 0)
        picture.putpalette([1, 2, 3, 200, 100, 50] + [0] * 762)
        picture.paste(1, (0, 0, 320, 480))
        picture.info["transparency"] = bytes([0, 255])  # a tRNS of alpha bytes, as most editors write it
    return picture


@pytest.mark.parametrize(("mode", "kept"), [("RGB", (200, 100, 50)), ("L", (150, 150, 150)), ("P", (200, 100, 50))])
def test_a_colour_key_transparency_lands_on_the_background(project, mode, kept):
    project.config.write_text(project.config.read_text() + "media:\n  background: '#102030'\n")
    folder = project.product("sokasi-kunci", "title: S\ncaption: C\n", photos=())
    picture = colour_key_png(mode)
    picture.save(folder / "foto.png", "PNG", transparency=picture.info["transparency"])
    for platform in ("facebook", "instagram"):
        image = output(prepared_for(project, "sokasi-kunci"), "sokasi-kunci", platform)
        assert close(image.getpixel((100, 240)), kept, tolerance=8)
        assert close(image.getpixel((540, 240)), (16, 32, 48), tolerance=8)


def float_picture(top: float) -> Image.Image:
    return Image.linear_gradient("L").resize((640, 480)).point(lambda v: v * top / 255, "F")


@pytest.mark.parametrize(
    ("make", "fmt", "expected"),
    [
        (lambda: float_picture(1.0), "TIFF", 128),  # 0..1, as scientific and HDR tools write it
        (lambda: float_picture(255.0), "TIFF", 128),  # 0..255
        (lambda: Image.linear_gradient("L").resize((640, 480)).convert("I").point(lambda v: v * 257).convert("I;16"), "PNG",
         128),
        (lambda: Image.linear_gradient("L").resize((640, 480)).convert("I").point(lambda v: v * 1_000_000), "TIFF", 128),
        (lambda: Image.new("YCbCr", (640, 480), (128, 128, 128)), "TIFF", 128),
        (lambda: Image.new("LAB", (640, 480), (136, 128, 128)), "TIFF", 128),
        (lambda: Image.new("CMYK", (640, 480), (127, 127, 127, 0)), "TIFF", 128),
        (lambda: Image.new("LA", (640, 480), (128, 255)), "PNG", 128),
    ],
    ids=["float-0-1", "float-0-255", "16-bit-png", "32-bit-int", "ycbcr", "lab", "cmyk-tiff", "grey-alpha"],
)
def test_every_pillow_mode_becomes_clean_rgb(project, make, fmt, expected):
    folder = project.product("sokasi-mode", "title: S\ncaption: C\n", photos=())
    make().save(folder / "foto.png", fmt)
    prepared = prepared_for(project, "sokasi-mode")
    assert not prepared.problems
    image = output(prepared, "sokasi-mode", "facebook")
    assert image.mode == "RGB"
    assert close(image.getpixel((320, 240)), (expected,) * 3, tolerance=12)


@given(width=st.integers(media.MIN_SOURCE_WIDTH, 1440), ratio=st.floats(INSTAGRAM_MIN_RATIO, INSTAGRAM_MAX_RATIO))
def test_an_instagram_outputs_own_width_and_height_are_inside_the_range(width, ratio):
    height = media._height_within_range(width, ratio)
    assert INSTAGRAM_MIN_RATIO <= width / height <= INSTAGRAM_MAX_RATIO
    assert abs(height - width / ratio) <= 1


def mpo_bytes() -> bytes:
    buffer = BytesIO()
    left = Image.new("RGB", (640, 480), RED)
    left.save(buffer, "MPO", save_all=True, append_images=[Image.new("RGB", (640, 480), GREEN)])
    return buffer.getvalue()


def test_a_phones_3d_or_depth_pair_posts_its_first_picture_and_is_not_called_animated(project):
    folder = project.product("sokasi-mpo", "title: S\ncaption: C\n", photos=())
    (folder / "foto.jpg").write_bytes(mpo_bytes())
    prepared = prepared_for(project, "sokasi-mpo")
    assert [p.message for p in prepared.problems] == [
        "holds 2 pictures (a phone's 3D or depth pair); the first, the photo itself, is posted"]
    assert close(output(prepared, "sokasi-mpo", "instagram").getpixel((320, 240)), RED)


def test_an_animated_gif_is_still_called_animated(project):
    folder = project.product("sokasi-gif", "title: S\ncaption: C\n", photos=())
    frames = [Image.new("RGB", (640, 480), colour) for colour in (RED, GREEN)]
    frames[0].save(folder / "foto.png", "GIF", save_all=True, append_images=frames[1:])  # a GIF under a PNG's name
    prepared = prepared_for(project, "sokasi-gif")
    assert [p.message for p in prepared.problems] == ["is animated; only its first frame is posted"]


def test_a_damaged_heic_says_damaged_when_heic_support_is_installed(project, monkeypatch):
    monkeypatch.setattr(media, "HEIC_SUPPORT", True)
    folder = project.product("sokasi-iphone", "title: S\ncaption: C\n", photos=())
    (folder / "IMG_0001.HEIC").write_bytes(b"\0\0\0\x18ftypheic" + b"\0" * 100)
    prepared = prepared_for(project, "sokasi-iphone")
    assert [p.message for p in prepared.problems] == [
        "is a HEIC photo, but it is damaged or incomplete; copy it from the phone again"]


def jpeg_with_damaged_exif(colour) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker" * 20  # stored after the directory, which the cut below removes
    buffer = BytesIO()
    Image.new("RGB", (640, 480), colour).save(buffer, "JPEG", exif=exif.tobytes()[:60])
    return buffer.getvalue()


def test_pillows_warnings_are_said_once_in_words_against_their_photo(project, capsys):
    folder = project.product("sokasi-exif", "title: S\ncaption: C\n", photos=("baik.jpg",))
    for number in range(6):  # several at once, in the thread pool: each photo hears only its own warnings
        (folder / f"rusak-{number}.jpg").write_bytes(jpeg_with_damaged_exif((200, 10 * number, 10)))
    project.config.write_text(project.config.read_text() + "media:\n  workers: 4\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a warning that escaped would fail the test here
        prepared = prepared_for(project, "sokasi-exif")
    said = {p.path.name: p.message for p in prepared.problems}
    assert said == {f"rusak-{number}.jpg": "its camera information (EXIF) is damaged and was skipped; if the prepared "
                    "photo lies on its side, turn the original upright on the phone" for number in range(6)}
    assert all(p.warning for p in prepared.problems)
    assert len(prepared.photos[("sokasi-exif", "facebook")]) == 7
    assert "site-packages" not in capsys.readouterr().err


def test_check_names_a_photo_with_damaged_exif_in_one_warning_line(project):
    folder = project.product("sokasi-exif", "title: S\ncaption: C\n", photos=())
    (folder / "foto.jpg").write_bytes(jpeg_with_damaged_exif(RED))
    result = project.run("check")
    lines = [line for line in result.output.splitlines() if "foto.jpg" in line]
    assert lines == ["posts/sokasi-exif/foto.jpg: warning: its camera information (EXIF) is damaged and was skipped; if "
                     "the prepared photo lies on its side, turn the original upright on the phone"]
    assert "site-packages" not in result.output and "UserWarning" not in result.output


def test_a_full_disk_in_the_state_folder_is_not_called_a_damaged_photo(project, monkeypatch):
    project.good("sokasi-a")

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(media._Cache, "store", full)
    prepared = prepared_for(project, "sokasi-a")
    assert [p.message for p in prepared.problems] == [
        "its prepared copy cannot be written in .sokasi-post/cache/photos (No space left on device)"]


def test_a_run_from_the_cache_says_the_same_of_a_photo_as_the_run_that_decoded_it(project, monkeypatch):
    folder = project.product("sokasi-ulang", "title: S\ncaption: C\n", photos=())
    (folder / "a.jpg").write_bytes(jpeg_with_damaged_exif(RED))
    (folder / "b.jpg").write_bytes(mpo_bytes())
    first = prepared_for(project, "sokasi-ulang")
    assert sorted(p.path.name for p in first.problems) == ["a.jpg", "b.jpg"]

    def fail(*args, **kwargs):
        raise AssertionError("decoded again")

    monkeypatch.setattr(media, "_decode", fail)
    second = prepared_for(project, "sokasi-ulang")
    assert sorted((p.path.name, p.message, p.warning) for p in second.problems) == sorted(
        (p.path.name, p.message, p.warning) for p in first.problems)


def web_photos(project, widths=(360, 720, 1080)):
    settings = load_settings(project.config)
    return media.prepare_web_photos(load_catalog(settings).products, settings, widths)


def test_the_sites_photos_come_at_each_width_in_their_own_shape_never_enlarged(project):
    wide = project.product("sokasi-lebar", "title: L\ncaption: C\n", photos=())
    save(Image.new("RGB", (1600, 1200), (200, 160, 100)), wide / "foto.jpg")
    tall = project.product("sokasi-tinggi", "title: T\ncaption: C\n", photos=())
    save(Image.new("RGB", (600, 900), (90, 60, 30)), tall / "foto.jpg")
    found = web_photos(project)
    assert found.problems == ()
    assert [(p.width, p.height) for p in found.photos[wide / "foto.jpg"]] == [(360, 270), (720, 540), (1080, 810)]
    # 600 pixels wide: 360 wide, then the photo as it is (once, not enlarged to 720 or 1080).
    assert [(p.width, p.height) for p in found.photos[tall / "foto.jpg"]] == [(360, 540), (600, 900)]
    for prepared in found.photos[wide / "foto.jpg"]:
        with Image.open(prepared.path) as image:
            assert image.format == "JPEG" and image.size == (prepared.width, prepared.height)


def test_the_sites_photos_are_cached_and_a_damaged_one_is_named(project, monkeypatch):
    project.good("sokasi-a")
    broken = project.product("sokasi-rusak", "title: R\ncaption: C\n", photos=())
    (broken / "foto.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a photo")
    first = web_photos(project)
    assert [(p.path.name, p.slug) for p in first.problems] == [("foto.jpg", "sokasi-rusak")]
    assert first.photos[broken / "foto.jpg"] == ()

    def fail(*args, **kwargs):
        raise AssertionError("decoded again")

    monkeypatch.setattr(media, "_decode", fail)
    again = web_photos(project)
    good = project.root / "posts" / "sokasi-a" / "foto.jpg"
    assert again.photos[good] == first.photos[good]
