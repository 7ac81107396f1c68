"""Draw the sample product photos in posts/ and the starter photo: woven bamboo baskets, made here.

Run from the repository root: python scripts/make_sample_photos.py
The output is deterministic, so re-running it changes no file.
"""

from __future__ import annotations

import random
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

ROOT = Path(__file__).resolve().parent.parent
BAMBOO = (214, 178, 118)
BAMBOO_DARK = (150, 108, 58)
BLACK = (38, 30, 26)


def weave(size: tuple[int, int], strip: int, colours: tuple, seed: int) -> Image.Image:
    """A square-plaited bamboo texture: strips that go over one, under one."""
    rng = random.Random(seed)
    width, height = size
    image = Image.new("RGB", size, colours[0])
    draw = ImageDraw.Draw(image)
    for row in range(0, height, strip):
        for col in range(0, width, strip):
            over = ((row // strip) + (col // strip)) % 2
            base = colours[over % len(colours)]
            jitter = rng.randint(-14, 14)
            colour = tuple(max(0, min(255, c + jitter)) for c in base)
            draw.rectangle([col + 1, row + 1, col + strip - 2, row + strip - 2], fill=colour)
            # a highlight along each strip gives the bamboo its sheen
            shine = tuple(min(255, c + 30) for c in colour)
            if over:
                draw.line([col + 2, row + strip // 3, col + strip - 3, row + strip // 3], fill=shine, width=2)
            else:
                draw.line([col + strip // 3, row + 2, col + strip // 3, row + strip - 3], fill=shine, width=2)
    return image


def basket(size: tuple[int, int], body: tuple, lid: tuple, background: tuple, seed: int, view: str) -> Image.Image:
    """A round lidded sokasi seen from the front, the top or the side."""
    width, height = size
    photo = Image.new("RGB", size, background)
    shade = ImageDraw.Draw(photo)
    for y in range(height):  # a table under soft window light
        t = y / height
        shade.line([0, y, width, y], fill=tuple(int(c * (1.05 - 0.25 * t)) for c in background))
    texture = weave(size, strip=max(12, width // 48), colours=body, seed=seed)
    lid_texture = weave(size, strip=max(12, width // 56), colours=lid, seed=seed + 1)
    mask = Image.new("L", size, 0)
    lid_mask = Image.new("L", size, 0)
    m, lm = ImageDraw.Draw(mask), ImageDraw.Draw(lid_mask)
    cx, cy = width // 2, height // 2
    if view == "top":
        r = int(min(size) * 0.38)
        lm.ellipse([cx - r, cy - r, cx + r, cy + r], fill=255)
    else:
        w = int(width * (0.30 if view == "front" else 0.26))
        h = int(height * 0.22)
        m.rectangle([cx - w, cy - h // 2, cx + w, cy + h], fill=255)
        m.ellipse([cx - w, cy + h - h // 3, cx + w, cy + h + h // 3], fill=255)
        lm.ellipse([cx - w - 12, cy - h // 2 - h // 3, cx + w + 12, cy - h // 2 + h // 3], fill=255)
        shadow = Image.new("L", size, 0)
        ImageDraw.Draw(shadow).ellipse([cx - w - 30, cy + h, cx + w + 30, cy + h + h // 2], fill=110)
        photo.paste((20, 16, 12), (0, 0), shadow.filter(ImageFilter.GaussianBlur(25)))
    photo.paste(texture, (0, 0), mask)
    photo.paste(lid_texture, (0, 0), lid_mask)
    return photo


SAMPLES = {
    "posts/sokasi-bundar-poleng/1-depan.jpg": dict(body=(BAMBOO, BLACK), lid=(BAMBOO, BLACK), view="front"),
    "posts/sokasi-bundar-poleng/2-atas.jpg": dict(body=(BAMBOO, BLACK), lid=(BAMBOO, BLACK), view="top"),
    "posts/sokasi-bundar-poleng/3-samping.jpg": dict(body=(BAMBOO, BLACK), lid=(BAMBOO, BLACK), view="side"),
    "posts/sokasi-polos-kecil/sokasi.jpg": dict(body=(BAMBOO, BAMBOO_DARK), lid=(BAMBOO_DARK, BAMBOO), view="front"),
    "posts/keben-tutup-tinggi/keben.jpg": dict(body=(BAMBOO_DARK, BLACK), lid=(BAMBOO, BAMBOO_DARK), view="side"),
    "sokasi_post/starter/sokasi.jpg": dict(body=(BAMBOO, BAMBOO_DARK), lid=(BAMBOO, BLACK), view="front"),
}


def main() -> None:
    for seed, (name, look) in enumerate(sorted(SAMPLES.items())):
        photo = basket((1200, 900), look["body"], look["lid"], background=(196, 170, 140), seed=seed, view=look["view"])
        target = ROOT / name
        target.parent.mkdir(parents=True, exist_ok=True)
        photo.save(target, "JPEG", quality=80, optimize=True, progressive=True)
        print(f"{name}: {target.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
