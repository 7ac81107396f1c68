"""A third platform needs one publisher module, one rules entry and a fake: nothing else in the tool changes."""

from __future__ import annotations

import json
from io import BytesIO

import pytest
from PIL import Image

from sokasi_post import platforms
from tests import toyplatform
from tests.conftest import jpeg_bytes


@pytest.fixture
def toy(project, monkeypatch):
    monkeypatch.setattr(platforms, "RULES", {**platforms.RULES})  # registered for this test only
    platforms.register(toyplatform.RULES)
    toyplatform.SERVER.posts.clear()
    project.config.write_text(project.config.read_text().replace("facebook:\n", "facebook:\n  enabled: false\n")
                              .replace("instagram:\n", "instagram:\n  enabled: false\n") + "toy:\n  enabled: true\n")
    folder = project.good("sokasi-bundar")
    (folder / "foto.jpg").write_bytes(jpeg_bytes((1200, 900)))
    return project


def test_check_the_dry_run_status_and_the_preview_know_a_registered_platform(toy):
    check = toy.run("check")
    assert check.exit_code == 0, check.output
    dry = toy.run("publish", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "== sokasi-bundar → ToyNet ==" in dry.stdout
    assert "  1. foto.jpg → 600 × 600" in dry.stdout  # the toy's square shape and width, from its rules
    assert "of 300 characters" in dry.stdout
    rows = json.loads(toy.run("status", "--json").stdout)
    assert [(row["slug"], row["platform"], row["state"]) for row in rows] == [("sokasi-bundar", "toy", "not sent")]
    assert toy.run("preview").exit_code == 0
    page = (toy.root / ".sokasi-post" / "preview" / "index.html").read_text(encoding="utf-8")
    assert 'data-platform="toy"' in page and "<h3>ToyNet " in page  # its label, from its rules


def test_its_rules_block_what_it_refuses_before_anything_is_sent(toy):
    toy.product("sokasi-tagar", "title: Tagar\ncaption: \"Anyaman #a #b #c #d\"\nprice: 1000\n")
    check = toy.run("check")
    assert check.exit_code == 1
    assert "the ToyNet caption has 6 hashtags; ToyNet allows 3" in check.stdout


def test_publish_sends_through_its_publisher_module_once(toy):
    first = toy.run("publish")
    assert first.exit_code == 0, first.output
    assert "sokasi-bundar → ToyNet: posted: https://toy.example/toy-1" in first.stdout
    assert toy.run("publish").exit_code == 0  # a second run sends nothing new
    [post] = toyplatform.SERVER.posts
    assert "Harga: Rp 150.000" in post["caption"]
    [photo] = post["photos"]
    with Image.open(BytesIO(photo)) as image:
        assert image.size == (600, 600)
