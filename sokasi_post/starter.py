"""Starter files: a new config with an example product (`init`), and a new product folder (`new`)."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

from sokasi_post.catalog import EXAMPLE_PHOTO, POST_FILE, SLUG_PATTERN, slugify
from sokasi_post.config import CONFIG_NAME, STARTER
from sokasi_post.errors import UsageError
from sokasi_post.i18n import _, language
from sokasi_post.yamlfile import display_path

EXAMPLE_SLUG = "contoh-sokasi"


def _starter_text(name: str, translated: bool = True) -> str:
    """A starter file, with its comments in the user's language."""
    folder = STARTER / language() if translated else STARTER
    return (folder / name).read_text(encoding="utf-8")


def init_project(folder: Path) -> list[Path]:
    """Write a starter config.yaml and one example product into `folder`; never overwrite anything."""
    config = folder / CONFIG_NAME
    posts = folder / "posts"
    for existing in (config, posts):
        if existing.exists():
            raise UsageError(_("{path} already exists; `init` only writes into a folder without a config and products")
                             .format(path=display_path(existing)))
    example = posts / EXAMPLE_SLUG
    example.mkdir(parents=True)
    written = [config, example / POST_FILE, example / EXAMPLE_PHOTO]
    config.write_text(_starter_text("config.yaml"), encoding="utf-8")
    (example / POST_FILE).write_text(_starter_text("example-post.yaml"), encoding="utf-8")
    with resources.as_file(STARTER / EXAMPLE_PHOTO) as photo:
        shutil.copyfile(photo, example / EXAMPLE_PHOTO)
    gitignore = folder / ".gitignore"
    if not gitignore.exists():
        gitignore.write_text(_starter_text("gitignore", translated=False), encoding="utf-8")
        written.append(gitignore)
    return written


def new_product(posts_dir: Path, slug: str) -> Path:
    """Create `posts_dir/slug/post.yaml` as a commented draft to fill in; return its path."""
    if not SLUG_PATTERN.match(slug):
        suggestion = slugify(slug) or "sokasi-baru"
        raise UsageError(_("{slug!r} is not a valid product name: use lowercase letters, digits and dashes, e.g. {suggestion}")
                         .format(slug=slug, suggestion=suggestion))
    folder = posts_dir / slug
    if folder.exists():
        raise UsageError(_("{path} already exists; choose another name").format(path=display_path(folder)))
    text = _starter_text("post.yaml").replace("{title}", slug.replace("-", " ").capitalize())
    folder.mkdir(parents=True)
    post_file = folder / POST_FILE
    post_file.write_text(text, encoding="utf-8")
    return post_file
