"""How fast sokasi-post makes photos ready, compared with a naive Pillow script and with libvips.

It generates its own 12-megapixel phone photos (4032 x 3024 as stored, EXIF orientation 6, so upright
they are 3024 x 4032 portrait; seeded, textured, about 3 MB each) in a temporary folder, then times on
those same files:

  a. our pipeline (sokasi_post.media.prepare_products) with media.workers: 1, from an empty cache;
  b. the same with media.workers: 0 (one thread per processor core);
  c. a naive Pillow script: open, exif_transpose, ImageOps.fit / contain with LANCZOS, save, per platform;
  d. libvips' thumbnail per platform (only when `pyvips` is installed; it shrinks while decoding too);
  e. a second `sokasi-post publish --dry-run` on a larger catalogue whose photos are all cached.

Each row is run twice and the better run is shown; rows a-d report milliseconds per photo (Facebook
and Instagram outputs together) and the bytes the photo becomes on both platforms together.

Run from the repository root:  python benchmarks/photos.py [--photos 24] [--catalogue 100]
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from io import BytesIO
from pathlib import Path

import PIL
from PIL import Image, ImageDraw, ImageOps

from sokasi_post.catalog import load_catalog
from sokasi_post.config import load_settings
from sokasi_post.media import prepare_products

try:
    import pyvips
except (ImportError, OSError):
    pyvips = None

REPO = Path(__file__).resolve().parent.parent
STORED = (4032, 3024)  # as the phone stores it; EXIF orientation 6 turns it into 3024 x 4032
# Our Facebook photo is 1512x2016: the half-size JPEG decode, within 5% of the 2048 limit (docs/media.md).
# The baselines resize to exactly 2048, a little more work and 3% more pixels.
EXPECTED = {"instagram": (1080, 1350), "facebook": (1512, 2016)}
BASELINE = {"instagram": (1080, 1350), "facebook": (1536, 2048)}
PER_FOLDER = 10  # Instagram's carousel limit; the plan blocks larger folders
CONFIG = """\
posts_dir: posts
state_dir: state
facebook:
  page_id: "111222333444555"
instagram:
  username: bench
contact:
  whatsapp: "+62 812-3456-7890"
media:
  workers: {workers}
"""


def make_photo(seed: int) -> bytes:
    """A deterministic, textured 4032 x 3024 JPEG with EXIF orientation 6, like a phone's."""
    rng = random.Random(seed)
    width, height = STORED
    ramp = Image.linear_gradient("L")
    base = Image.merge("RGB", [ramp.resize(STORED), ramp.rotate(90).resize(STORED), ImageOps.invert(ramp).resize(STORED)])
    draw = ImageDraw.Draw(base)
    for _ in range(80):
        x, y, r = rng.randrange(width), rng.randrange(height), rng.randrange(40, 600)
        shape = draw.ellipse if rng.random() < 0.5 else draw.rectangle
        shape((x - r, y - r, x + r, y + r), fill=tuple(rng.randrange(256) for _ in range(3)))
    for _ in range(120):
        ends = [(rng.randrange(width), rng.randrange(height)) for _ in range(2)]
        draw.line(ends, fill=tuple(rng.randrange(256) for _ in range(3)), width=rng.randrange(2, 12))
    grain_size = (width // 2, height // 2)
    grain = Image.frombytes("RGB", grain_size, rng.randbytes(grain_size[0] * grain_size[1] * 3))
    photo = Image.blend(base, grain.resize(STORED, Image.Resampling.BICUBIC), 0.06)
    exif = Image.Exif()
    exif[0x0112] = 6
    buffer = BytesIO()
    photo.save(buffer, "JPEG", quality=92, exif=exif.tobytes())
    return buffer.getvalue()


def with_comment(jpeg: bytes, text: str) -> bytes:
    """The same JPEG with a COM segment after its APPn (JFIF, EXIF) segments: other bytes, another content hash."""
    assert jpeg[:2] == b"\xff\xd8", "not a JPEG"
    end = 2
    while jpeg[end] == 0xFF and 0xE0 <= jpeg[end + 1] <= 0xEF:
        end += 2 + int.from_bytes(jpeg[end + 2:end + 4], "big")
    comment = text.encode()
    return jpeg[:end] + b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment + jpeg[end:]


def write_project(folder: Path, photos: list[bytes], workers: int) -> Path:
    """config.yaml and posts/product-NN/ folders of at most PER_FOLDER photos; returns the config path."""
    folder.mkdir(parents=True)
    (folder / "config.yaml").write_text(CONFIG.format(workers=workers), encoding="utf-8")
    for start in range(0, len(photos), PER_FOLDER):
        product = folder / "posts" / f"product-{start // PER_FOLDER + 1:02d}"
        product.mkdir(parents=True)
        (product / "post.yaml").write_text("title: Sokasi\ncaption: Bench\n", encoding="utf-8")
        for number, data in enumerate(photos[start:start + PER_FOLDER], 1):
            (product / f"photo-{number:02d}.jpg").write_bytes(data)
    return folder / "config.yaml"


def best_of(runs: int, job):
    """(fastest seconds, result of that run) over `runs` calls of job()."""
    best = None
    for _ in range(runs):
        start = time.perf_counter()
        result = job()
        elapsed = time.perf_counter() - start
        if best is None or elapsed < best[0]:
            best = (elapsed, result)
    return best


def run_pipeline(config: Path) -> int:
    """prepare_products from an empty cache; checks every output's size; returns the total bytes."""
    settings = load_settings(config)
    shutil.rmtree(settings.state_dir, ignore_errors=True)
    prepared = prepare_products(load_catalog(settings).products, settings)
    for problem in prepared.problems:
        print(f"  problem: {problem.path}: {problem.message}")
    total = 0
    for (_slug, platform_name), outputs in prepared.photos.items():
        for photo in outputs:
            assert (photo.width, photo.height) == EXPECTED[platform_name], (platform_name, photo)
            total += photo.size
    return total


def run_naive(paths: list[Path]) -> int:
    """Open, turn upright, resize and encode each photo once per platform, the obvious way."""
    total = 0
    for path in paths:
        for platform_name, size in BASELINE.items():
            with Image.open(path) as opened:
                upright = ImageOps.exif_transpose(opened)
                if platform_name == "instagram":
                    picture = ImageOps.fit(upright, size, Image.Resampling.LANCZOS)
                else:
                    picture = ImageOps.contain(upright, (2048, 2048), Image.Resampling.LANCZOS)
            assert picture.size == size, (platform_name, picture.size)
            buffer = BytesIO()
            picture.save(buffer, "JPEG", quality=85, optimize=True, progressive=True)
            total += buffer.tell()
    return total


def run_vips(paths: list[Path]) -> int:
    """libvips' thumbnail (shrink-on-load, EXIF orientation applied), once per platform and photo."""
    total = 0
    for path in paths:
        for platform_name, image in (("instagram", pyvips.Image.thumbnail(str(path), 1080, height=1350, crop="centre")),
                                     ("facebook", pyvips.Image.thumbnail(str(path), 2048))):
            assert (image.width, image.height) == BASELINE[platform_name], (platform_name, image.width, image.height)
            try:
                data = image.jpegsave_buffer(Q=85, optimize_coding=True, interlace=True, keep="none")
            except pyvips.Error:  # libvips older than 8.15 has strip= instead of keep=
                data = image.jpegsave_buffer(Q=85, optimize_coding=True, interlace=True, strip=True)
            total += len(data)
    return total


def cached_rerun(folder: Path, photos: list[bytes], count: int) -> tuple[float, float]:
    """(best seconds of a fully cached `publish --dry-run`, best seconds of `python -c pass`)."""
    catalogue = [with_comment(photos[i % len(photos)], f"catalogue photo {i}") for i in range(count)]
    config = write_project(folder, catalogue, workers=0)
    command = [sys.executable, "-m", "sokasi_post", "-q", "--config", str(config), "publish", "--dry-run"]

    def publish() -> None:  # exit code 1 is fine here: we only time it
        subprocess.run(command, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)

    publish()  # fills the cache
    cached = list((folder / "state" / "cache" / "photos").glob("*.jpg"))
    assert len(cached) == 2 * count, f"the first run cached {len(cached)} photos, expected {2 * count}"
    seconds, _ = best_of(3, publish)
    interpreter, _ = best_of(3, lambda: subprocess.run([sys.executable, "-c", "pass"], check=True))
    return seconds, interpreter


def sample_catalogue_sizes() -> None:
    """Upload bytes per product and platform for the repository's own posts/, with a throwaway state_dir."""
    with tempfile.TemporaryDirectory() as temporary:
        copy = Path(temporary)
        shutil.copy(REPO / "config.yaml", copy / "config.yaml")
        shutil.copytree(REPO / "posts", copy / "posts")
        settings = load_settings(copy / "config.yaml")
        assert settings.state_dir.is_relative_to(copy), settings.state_dir
        prepared = prepare_products(load_catalog(settings).products, settings)
        print("\nUpload size of the repository's sample catalogue (posts/):")
        for (slug, platform_name), outputs in sorted(prepared.photos.items()):
            print(f"  {slug:<24} {platform_name:<10} {len(outputs):>2} photo(s) {sum(p.size for p in outputs) / 1000:>8.1f} kB")
        for problem in prepared.problems:
            print(f"  problem: {problem.path.name}: {problem.message}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=24, help="photos to time rows a-d on (default 24)")
    parser.add_argument("--catalogue", type=int, default=100, help="photos in the cached re-run's catalogue (default 100)")
    args = parser.parse_args()

    versions = f"Python {platform.python_version()}, Pillow {PIL.__version__}"
    if pyvips:
        pyvips.cache_set_max(0)  # no operation cache: the second run must not reuse the first one's thumbnails
        versions += f", libvips {pyvips.version(0)}.{pyvips.version(1)}.{pyvips.version(2)}"
    print(f"{datetime.date.today()}  {os.cpu_count()} CPUs  {versions}")
    print(f"{args.photos} photos of 4032x3024 (EXIF orientation 6), best of 2 runs; cached re-run best of 3")

    with tempfile.TemporaryDirectory() as temporary:
        root = Path(temporary)
        photos = [make_photo(seed) for seed in range(args.photos)]
        print(f"generated JPEGs: {sum(map(len, photos)) / len(photos) / 1e6:.1f} MB on average\n")
        one = write_project(root / "one-thread", photos, workers=1)
        every = write_project(root / "all-cores", photos, workers=0)
        paths = sorted((root / "one-thread" / "posts").glob("*/*.jpg"))

        rows: list[tuple[str, float | None, int]] = [
            ("sokasi-post pipeline, 1 thread (both platforms)", *best_of(2, lambda: run_pipeline(one))),
            ("sokasi-post pipeline, all cores (both platforms)", *best_of(2, lambda: run_pipeline(every))),
            ("naive Pillow baseline (both platforms)", *best_of(2, lambda: run_naive(paths))),
        ]
        vips_label = "libvips thumbnail (both platforms)"
        rows.append((vips_label, *best_of(2, lambda: run_vips(paths))) if pyvips else (vips_label, None, 0))
        cached, interpreter = cached_rerun(root / "catalogue", photos, args.catalogue)

    print(f"{'':<52}{'ms/photo':>10}{'kB/photo (FB+IG)':>19}")
    for label, seconds, size in rows:
        if seconds is None:
            print(f"{label:<52}  not installed (pip install pyvips pyvips-binary)")
        else:
            print(f"{label:<52}{seconds * 1000 / args.photos:>10.0f}{size / args.photos / 1000:>19.1f}")
    print(f"{f'cached re-run, {args.catalogue}-photo catalogue':<52}{cached:>9.2f} s total, "
          f"{cached - interpreter:.2f} s beyond interpreter start-up ({interpreter:.2f} s)")
    naive = rows[2][1]
    print(f"speed-up vs naive: {naive / rows[0][1]:.1f}× (1 thread), {naive / rows[1][1]:.1f}× (all cores)")
    sample_catalogue_sizes()


if __name__ == "__main__":
    main()
