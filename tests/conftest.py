"""Shared test helpers: a project folder with a real config and real photos, and a CLI runner."""

from __future__ import annotations

import functools
import io
import os
import sys
import textwrap
from pathlib import Path

# The suite starts about a hundred Python processes (every command without a terminal, the kill trials, the
# installed command). Where the environment says not to write compiled files (PYTHONDONTWRITEBYTECODE, as on CI),
# each of them compiled every module of sokasi_post again: some 15 s of the suite's processor time. The suite
# writes them, as Python does by default, in the __pycache__ folders beside the sources (ignored by git).
# (A separate folder through PYTHONPYCACHEPREFIX would also hide the compiled files of the installed libraries,
# so each library was compiled again there: ~2.5 s more on a fresh clone.)
if sys.dont_write_bytecode:
    sys.dont_write_bytecode = False
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)

import pytest
from click.testing import CliRunner
from hypothesis import settings as hypothesis_settings
from PIL import Image

from sokasi_post.cli import cli

# The property tests check what comes out, not how fast: without a deadline a busy machine (CI with two workers and
# the kill trials' processes) cannot fail one for taking longer than Hypothesis's default 200 ms per example.
hypothesis_settings.register_profile("sokasi-post", deadline=None)
hypothesis_settings.load_profile("sokasi-post")

ROOT = Path(__file__).resolve().parent.parent
CONFIG = """\
posts_dir: posts
facebook:
  page_id: "111222333444555"
instagram:
  username: sokasi.tigawasa
contact:
  whatsapp: "+62 813-3791-2468"
captions:
  hashtags: [sokasi, tigawasa]
"""


@functools.cache
def small_sample_photo(relative: Path) -> bytes:
    """A photo of the bundled sample (a path such as posts/x/1.jpg) at a third of its size, made once per process:
    for tests that look at anything but the photos' pixels."""
    with Image.open(ROOT / relative) as image:
        small = image.resize((image.width // 3, image.height // 3), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    small.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def jpeg_bytes(size: tuple[int, int] = (640, 480), colour: tuple[int, int, int] = (200, 160, 100)) -> bytes:
    """A small real JPEG."""
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG")
    return buffer.getvalue()


class Project:
    """A throw-away project folder: config.yaml, posts/, and helpers to add products and run commands."""

    def __init__(self, root: Path):
        self.root = root
        self.posts = root / "posts"
        self.posts.mkdir()
        self.config = root / "config.yaml"
        self.config.write_text(CONFIG, encoding="utf-8")

    def product(self, slug: str, post_yaml: str | None, photos: tuple[str, ...] = ("foto.jpg",)) -> Path:
        folder = self.posts / slug
        folder.mkdir()
        if post_yaml is not None:
            (folder / "post.yaml").write_text(textwrap.dedent(post_yaml), encoding="utf-8")
        for name in photos:
            (folder / name).write_bytes(jpeg_bytes())
        return folder

    def good(self, slug: str, **extra: str) -> Path:
        body = f"title: {slug.replace('-', ' ').capitalize()}\ncaption: Anyaman bambu dari Tigawasa.\nprice: 150000\n"
        body += "".join(f"{key}: {value}\n" for key, value in extra.items())
        return self.product(slug, body)

    def run(self, *args: str, env: dict[str, str] | None = None, input: str | None = None):
        runner = CliRunner()
        return runner.invoke(cli, ["--config", str(self.config), *args], env=env, input=input, catch_exceptions=False)


@pytest.fixture(autouse=True)
def english():
    """Every test starts in English, whatever an earlier test chose with --lang.

    That includes the --help option Click builds once per command, worded in the language of that moment and kept
    (Command._help_option, since Click 8.1.8; tests/test_click_internals.py checks it is still there): one process
    speaks one language, but a test process runs many commands in both, in an order xdist may change.
    """
    from sokasi_post.i18n import set_language

    set_language("en")
    forget_help_options()
    yield
    set_language("en")


def forget_help_options() -> None:
    for command in (cli, *cli.commands.values()):
        command._help_option = None


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SOKASI_POST_CONFIG", raising=False)
    monkeypatch.delenv("SOKASI_POST_DEBUG", raising=False)
    return Project(tmp_path)
