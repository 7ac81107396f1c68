"""Damaged and odd photos, made from valid ones: each is one named problem line or a good output, never a crash.

Every file here starts as a valid photo written by Pillow and is then cut at each PNG chunk and JPEG marker,
given wrong checksums, wrong frame counts, oversized text or impossible sizes, or has random bytes changed.
Whatever happens to one photo, the other photo of the same product is still prepared.
"""

from __future__ import annotations

import struct
import tempfile
import zlib
from io import BytesIO
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from PIL import Image, PngImagePlugin, TiffImagePlugin

from sokasi_post import media
from sokasi_post.config import load_settings
from sokasi_post.models import Product
from tests.conftest import CONFIG, jpeg_bytes

PLATFORMS = ("facebook", "instagram")
SIZE = (480, 360)


# -- valid files to start from ---------------------------------------------------------------------------------


def picture(mode: str = "RGB") -> Image.Image:
    """A small textured picture (so that PNGs take several IDAT chunks and JPEGs have real entropy data)."""
    noise = Image.effect_noise(SIZE, 40)
    base = Image.merge("RGB", (noise, Image.linear_gradient("L").resize(SIZE), noise.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))
    return base.convert(mode)


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def png_chunk(kind: bytes, data: bytes, crc: int | None = None) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) if crc is None else crc)


def png_chunks(data: bytes) -> list[tuple[int, int, bytes]]:
    """(start, end, type) of every chunk after the signature."""
    chunks, offset = [], 8
    while offset + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[offset:offset + 8])
        chunks.append((offset, offset + 12 + length, kind))
        offset += 12 + length
    return chunks


def rich_png() -> bytes:
    """An RGB PNG with text, EXIF, a colour profile and several IDAT chunks."""
    info = PngImagePlugin.PngInfo()
    info.add_text("Software", "CREATOR: gd-jpeg v1.0")
    info.add_text("Comment", "File written by Adobe Photoshop 4.0", zip=True)
    exif = Image.Exif()
    exif[0x0112] = 6
    return encoded(picture(), "PNG", pnginfo=info, exif=exif.tobytes(), compress_level=1)


def jpeg_segments(data: bytes) -> list[int]:
    """The offset of every marker in a JPEG, including those between a progressive JPEG's scans."""
    offsets, offset = [], 2
    while offset + 4 <= len(data):
        if data[offset] != 0xFF:
            offset += 1
            continue
        marker = data[offset + 1]
        if marker in (0x00, 0xFF) or 0xD0 <= marker <= 0xD7:
            offset += 1 if marker == 0xFF else 2
            continue
        offsets.append(offset)
        if marker == 0xD9:
            break
        length = struct.unpack(">H", data[offset + 2:offset + 4])[0]
        offset += 2 + length
    return offsets


def rich_jpeg() -> bytes:
    """A progressive JPEG with EXIF (orientation 6), a colour profile and a comment, as a phone or editor writes."""
    from PIL import ImageCms

    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "PhoneMaker"
    return encoded(picture(), "JPEG", progressive=True, exif=exif.tobytes(), comment=b"File written by Adobe Photoshop 4.0",
                   icc_profile=ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())


def apng() -> bytes:
    frames = [picture(), picture().transpose(Image.Transpose.FLIP_TOP_BOTTOM)]
    return encoded(frames[0], "PNG", save_all=True, append_images=frames[1:], duration=100)


def with_chunk(data: bytes, kind: bytes, change) -> bytes:
    """The PNG with every `kind` chunk's data passed through `change` (checksum made right again)."""
    out = bytearray(data[:8])
    for start, end, found in png_chunks(data):
        body = data[start + 8:end - 4]
        out += png_chunk(found, change(body)) if found == kind else data[start:end]
    return bytes(out)


def tiff(image: Image.Image, **tags) -> bytes:
    info = TiffImagePlugin.ImageFileDirectory_v2()
    for tag, value in tags.items():
        info[int(tag.removeprefix("t"))] = value
    return encoded(image, "TIFF", tiffinfo=info)


def tiff_set(data: bytes, tag: int, value: int, ifd: int = 0) -> bytes:
    """The little-endian TIFF with one SHORT/LONG tag of its `ifd`-th directory set to `value` (or removed: None)."""
    out = bytearray(data)
    offset = struct.unpack("<I", data[4:8])[0]
    for _ in range(ifd):
        count = struct.unpack("<H", data[offset:offset + 2])[0]
        offset = struct.unpack("<I", data[offset + 2 + 12 * count:offset + 6 + 12 * count])[0]
    count = struct.unpack("<H", data[offset:offset + 2])[0]
    for entry in range(offset + 2, offset + 2 + 12 * count, 12):
        found, kind = struct.unpack("<HH", data[entry:entry + 4])
        if found == tag:
            if value is None:
                out[entry:entry + 2] = struct.pack("<H", 0xFFF0)  # an unknown tag in its place: the tag is gone
            else:
                out[entry + 8:entry + 12] = struct.pack("<H", value) + b"\0\0" if kind == 3 else struct.pack("<I", value)
    return bytes(out)


def two_page_tiff() -> bytes:
    return encoded(picture(), "TIFF", save_all=True, append_images=[picture("L")])


def second_ifd_offset_field(data: bytes) -> int:
    """Where the first directory stores the offset of the next one."""
    offset = struct.unpack("<I", data[4:8])[0]
    count = struct.unpack("<H", data[offset:offset + 2])[0]
    return offset + 2 + 12 * count


def with_next_ifd(data: bytes, pointer: int) -> bytes:
    field = second_ifd_offset_field(data)
    return data[:field] + struct.pack("<I", pointer) + data[field + 4:]


# -- damaged and odd files -------------------------------------------------------------------------------------


def png_truncations() -> list[tuple[str, bytes]]:
    data = rich_png()
    cases = []
    for start, end, kind in png_chunks(data):
        cases.append((f"cut-before-{kind.decode()}-{start}.png", data[:start]))
        cases.append((f"cut-inside-{kind.decode()}-{start}.png", data[:start + (end - start) // 2]))
    return cases


def png_bad_checksums() -> list[tuple[str, bytes]]:
    data = rich_png()
    cases = []
    for start, end, kind in png_chunks(data):
        broken = bytearray(data)
        broken[end - 1] ^= 0xFF
        cases.append((f"bad-crc-{kind.decode()}-{start}.png", bytes(broken)))
    return cases


def jpeg_truncations() -> list[tuple[str, bytes]]:
    data = rich_jpeg()
    cases = []
    for offset in jpeg_segments(data):
        marker = data[offset + 1]
        cases.append((f"cut-before-{marker:02X}-{offset}.jpg", data[:offset]))
        cases.append((f"cut-after-{marker:02X}-{offset}.jpg", data[:offset + 4]))
    return cases


def odd_files() -> list[tuple[str, bytes]]:
    huge_text = zlib.compress(b"a" * (PngImagePlugin.MAX_TEXT_CHUNK + 1))
    text_chunk = png_chunk(b"zTXt", b"Comment\0\0" + huge_text)
    png = encoded(picture(), "PNG")
    animated = apng()
    first_fctl = next(start for start, _end, kind in png_chunks(animated) if kind == b"fcTL")
    sequence_error = bytearray(animated)
    sequence_error[first_fctl + 8:first_fctl + 12] = struct.pack(">I", 7)
    sequence_error[first_fctl + 8 + 26:first_fctl + 8 + 30] = struct.pack(
        ">I", zlib.crc32(bytes(sequence_error[first_fctl + 4:first_fctl + 8 + 26])))
    float_tiff = tiff(Image.linear_gradient("L").resize(SIZE).point(lambda v: v / 255, "F"))
    two_pages = two_page_tiff()
    return [
        ("huge-text.png", png[:33] + text_chunk + png[33:]),
        ("apng-sequence-error.png", bytes(sequence_error)),
        ("apng-cut-in-its-first-frame.png", animated[:next(end for _start, end, kind in png_chunks(animated)
                                                             if kind == b"IDAT") - 100]),
        ("apng-says-9-frames.png", with_chunk(animated, b"acTL", lambda body: struct.pack(">II", 9, 0))),
        ("apng-says-0-frames.png", with_chunk(animated, b"acTL", lambda body: struct.pack(">II", 0, 0))),
        ("apng-huge-frame.png", with_chunk(animated, b"fcTL", lambda body: body[:4] + struct.pack(">II", 60000, 60000)
                                           + body[12:])),
        ("zero-width.tif", tiff_set(encoded(picture(), "TIFF"), 256, 0)),
        ("zero-height.tif", tiff_set(encoded(picture(), "TIFF"), 257, 0)),
        ("no-width.tif", tiff_set(encoded(picture(), "TIFF"), 256, None)),
        ("second-page-no-width.tif", tiff_set(two_pages, 256, None, ifd=1)),
        ("second-page-beyond-the-end.tif", with_next_ifd(two_pages, len(two_pages) + 1000)),
        ("pages-in-a-loop.tif", with_next_ifd(two_pages, struct.unpack("<I", two_pages[4:8])[0])),
        ("float.tif", float_tiff),
        ("float-0-to-255.tif", tiff(Image.linear_gradient("L").resize(SIZE).convert("F"))),
        ("32-bit-int.tif", tiff(Image.linear_gradient("L").resize(SIZE).convert("I").point(lambda v: v * 70000))),
        ("empty.jpg", b""),
        ("only-the-signature.png", b"\x89PNG\r\n\x1a\n"),
        ("only-the-start.jpg", b"\xff\xd8\xff"),
        ("a-heic-cut-short.heic", b"\0\0\0\x18ftypheic" + b"\0" * 100),
    ]


CASES = png_truncations() + png_bad_checksums() + jpeg_truncations() + odd_files()


# -- preparing them ----------------------------------------------------------------------------------------------


def prepare_beside_a_good_photo(root: Path, name: str, data: bytes):
    """Prepare a product whose first photo is `data` and whose second is a good JPEG; return (prepared, bad, good)."""
    root.mkdir(parents=True, exist_ok=True)
    config = root / "config.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    folder = root / "posts" / "sokasi-uji"
    folder.mkdir(parents=True)
    bad, good = folder / name, folder / "baik.jpg"
    bad.write_bytes(data)
    good.write_bytes(jpeg_bytes())
    settings = load_settings(config)
    product = Product(slug="sokasi-uji", folder=folder, title="S", caption="C", photos=(bad, good), platforms=PLATFORMS)
    return media.prepare_products((product,), settings), bad, good


def assert_named_once_or_good(prepared, bad: Path, good: Path) -> None:
    for platform in PLATFORMS:
        assert [photo.source for photo in prepared.photos[("sokasi-uji", platform)]][-1] == good
    failed = [problem for problem in prepared.problems if problem.path == bad and not problem.warning]
    warned = [problem for problem in prepared.problems if problem.path == bad and problem.warning]
    assert len(warned) <= 1
    for problem in failed + warned:
        assert problem.message and "\n" not in problem.message and "Traceback" not in problem.message
        assert "site-packages" not in problem.message
    if failed:
        assert len(failed) == 1 and not warned  # named by its failure alone
        assert all(photo.source != bad for platform in PLATFORMS for photo in prepared.photos[("sokasi-uji", platform)])
        return
    for platform in PLATFORMS:
        (made,) = [photo for photo in prepared.photos[("sokasi-uji", platform)] if photo.source == bad]
        with Image.open(made.path) as image:
            image.load()
            assert image.format == "JPEG" and image.mode == "RGB" and image.size == (made.width, made.height)


@pytest.mark.parametrize(("name", "data"), CASES, ids=[name for name, _data in CASES])
def test_a_damaged_or_odd_photo_is_one_named_problem_or_a_good_output(tmp_path, name, data):
    prepared, bad, good = prepare_beside_a_good_photo(tmp_path, name, data)
    assert_named_once_or_good(prepared, bad, good)


def test_the_corpus_really_holds_damaged_files(tmp_path):
    """Most of the cases must fail: a corpus of files that all happen to decode would prove nothing. (All of them in
    one catalogue, a product each, prepared in one go.)"""
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    products = []
    for number, (name, data) in enumerate(CASES):
        folder = tmp_path / "posts" / f"sokasi-{number}"
        folder.mkdir(parents=True)
        (folder / name).write_bytes(data)
        products.append(Product(slug=f"sokasi-{number}", folder=folder, title="S", caption="C", photos=(folder / name,),
                                platforms=PLATFORMS))
    prepared = media.prepare_products(tuple(products), load_settings(config))
    failed = {problem.path for problem in prepared.problems if not problem.warning}
    assert len(failed) > len(CASES) * 2 // 3


SMALL_PNG = encoded(picture().resize((360, 270)), "PNG", compress_level=1)
SMALL_JPEG = rich_jpeg()


@hypothesis_settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.sampled_from([("flipped.png", SMALL_PNG), ("flipped.jpg", SMALL_JPEG)]),
       flips=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), min_size=1, max_size=8))
def test_random_byte_changes_never_escape(data, flips):
    name, original = data
    changed = bytearray(original)
    for where, value in flips:
        changed[int(where * len(changed))] = value
    with tempfile.TemporaryDirectory() as folder:
        prepared, bad, good = prepare_beside_a_good_photo(Path(folder), name, bytes(changed))
        assert_named_once_or_good(prepared, bad, good)


def test_prepare_over_a_catalogue_of_every_damaged_kind_prepares_all_the_good_photos(project, tmp_path):
    two_pages = two_page_tiff()
    png = rich_png()
    idat = [start for start, _end, kind in png_chunks(png) if kind == b"IDAT"]
    bad_crc_header = bytearray(png)
    bad_crc_header[8 + 12 + 13 - 1] ^= 0xFF
    jpeg = rich_jpeg()
    odd = dict(odd_files())
    damaged = {
        "potong.png": png[:idat[1] + 100],  # a PNG cut inside its pixels: getexif() used to end the whole run
        "crc.png": bytes(bad_crc_header),
        "potong.jpg": jpeg[:jpeg_segments(jpeg)[-2]],
        "teks.png": odd["huge-text.png"],
        "apng.png": odd["apng-sequence-error.png"],
        "tiff-tanpa-ukuran.jpg": tiff_set(encoded(picture(), "TIFF"), 256, None),  # a TIFF under a JPEG's name
        "tiff-halaman-2.jpg": tiff_set(two_pages, 256, None, ifd=1),
        "tiff-nol.jpg": tiff_set(encoded(picture(), "TIFF"), 257, 0),
        "kosong.jpg": b"",
        "IMG_0001.heic": odd["a-heic-cut-short.heic"],
    }
    for number, (name, data) in enumerate(damaged.items()):
        folder = project.product(f"sokasi-rusak-{number:02}", "title: S\ncaption: C\n", photos=("zz-baik.jpg",))
        (folder / name).write_bytes(data)
    float_folder = project.product("sokasi-float", "title: S\ncaption: C\n", photos=())
    (float_folder / "float.png").write_bytes(odd["float.tif"])  # a float TIFF: odd, but a good photo
    project.good("sokasi-baik")
    result = project.run("prepare", "--out", str(tmp_path / "keluar"))
    assert result.exit_code == 1
    assert "Traceback" not in result.output and "site-packages" not in result.output
    for number, name in enumerate(damaged):
        lines = [line for line in result.output.splitlines() if f"posts/sokasi-rusak-{number:02}/{name}" in line]
        assert len(lines) == 1, (name, lines)
        assert f"posts/sokasi-rusak-{number:02}/{name}: " in lines[0]
        assert "MAX_TEXT_CHUNK" not in lines[0]
    for slug in [f"sokasi-rusak-{number:02}" for number in range(len(damaged))] + ["sokasi-float", "sokasi-baik"]:
        made = sorted(p.name for p in (tmp_path / "keluar" / slug).iterdir())
        assert [name.split("-")[0] for name in made] == ["facebook", "instagram"], slug  # numbered by place in the post
    assert "zz-baik.jpg" not in result.output and "float.png" not in result.output


@pytest.mark.parametrize("command", [("check",), ("prepare", "--out", "keluar"), ("preview",), ("publish", "--dry-run"),
                                     ("status",)])
def test_every_command_that_touches_photos_names_a_cut_png_and_carries_on(project, command):
    project.good("sokasi-baik")
    folder = project.product("sokasi-potong", "title: S\ncaption: C\n", photos=("a.jpg",))
    png = encoded(picture(), "PNG", compress_level=1)
    idat = [start for start, _end, kind in png_chunks(png) if kind == b"IDAT"]
    (folder / "b.png").write_bytes(png[:idat[1] + 100])  # no EXIF chunk: Pillow reads the pixels to look for one after them
    result = project.run(*command)
    assert result.exit_code != 2, result.output  # 2: the whole run was refused
    assert "Traceback" not in result.output and "error:" not in result.output
    said = result.output
    if command == ("preview",):  # the preview says it on its page
        said = (project.root / ".sokasi-post" / "preview" / "index.html").read_text(encoding="utf-8")
    if command != ("status",):
        assert "b.png" in said and "image file is truncated" in said
