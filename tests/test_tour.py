"""The README tour, followed literally: read from README.md and README.id.md themselves, and done line by line in a
fresh folder, with the same stand-ins for Facebook and Instagram as scripts/tour.py records it with.

How each line is followed:
* `$ sokasi-post …`: run through the CLI (CliRunner, with `--lang` the README's language, as the recording does).
* `$ cd X`: a change of folder.
* `$ # (…)`: a manual step, done by the function MANUAL_STEPS gives for its exact words. A step whose words
  changed, or a line of any other kind, fails the test until this table knows it.

What each command must do:
* never crash: no traceback, no `error: unexpected …`;
* exit 0, unless the README's recorded output shows an expected failure. The rule (scripts/tour.py shows_failure):
  a failure is expected exactly when the recorded output has a line starting with `error: ` (`kesalahan: `), and
  then the exit code must not be 0;
* print what the README records, after normalising only what changes from one run to the next (dates and times,
  the fakes' post ids and links, photo sizes in KB). A changed message fails until both READMEs are re-recorded:
      .venv/bin/python scripts/tour.py --lang en --write README.md
      .venv/bin/python scripts/tour.py --lang id --write README.id.md
"""

from __future__ import annotations

import os
import re
import shlex
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import tour  # noqa: E402

MANUAL_STEPS = {
    "edit config.yaml: your Page ID, Instagram account, WhatsApp number": tour.StandIns.edit_config,
    "edit config.yaml: ID Halaman, akun Instagram, dan nomor WhatsApp Anda": tour.StandIns.edit_config,
    "copy two photos into posts/sokasi-bundar-poleng/ and fill in its post.yaml": tour.StandIns.add_product,
    "salin dua foto ke posts/sokasi-bundar-poleng/ lalu isi post.yaml-nya": tour.StandIns.add_product,
    'connect Facebook and Instagram, as "Connecting Facebook and Instagram" below says': tour.StandIns.connect,
    'hubungkan Facebook dan Instagram, seperti di "Menghubungkan Facebook dan Instagram" di bawah':
        tour.StandIns.connect,
}

# What differs between two runs of the same tour, and nothing else.
VARIES = (
    (re.compile(r"\b[A-Z][a-z]+, \d{1,2} [A-Z][a-z]+ \d{4}\b"), "<date>"),  # Sunday, 29 November 2026 / Minggu, …
    (re.compile(r"\b\d{4}-\d{2}-\d{2}\b"), "<date>"),
    (re.compile(r"\b\d{1,2}:\d{2}\b"), "<time>"),
    (re.compile(r"(facebook\.com/\d+/posts/)\d+"), r"\1<id>"),
    (re.compile(r"(instagram\.com/p/)[\w-]+/"), r"\1<code>/"),
    (re.compile(r"\b\d+ KB\b"), "<size> KB"),
)


def normalise(output: str) -> str:
    text = "\n".join(line.rstrip() for line in output.rstrip().splitlines())
    for pattern, replacement in VARIES:
        text = pattern.sub(replacement, text)
    return text


def tour_steps(readme: Path) -> list[tuple[str, str]]:
    """(what is typed after `$ `, the output recorded under it) for every prompt line of the README's tour."""
    text = readme.read_text(encoding="utf-8")
    block = text.split("<!-- tour -->", 1)[1].split("<!-- /tour -->", 1)[0].strip()
    assert block.startswith("```console\n") and block.endswith("\n```"), f"{readme.name}: the tour is not one console block"
    steps: list[tuple[str, list[str]]] = []
    for line in block.removeprefix("```console\n").removesuffix("\n```").splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], []))
        else:
            assert steps, f"{readme.name}: the tour starts with output, not with a `$ ` line: {line!r}"
            steps[-1][1].append(line)
    return [(typed, "\n".join(output)) for typed, output in steps]


@pytest.mark.parametrize(("readme", "lang"), [("README.md", "en"), ("README.id.md", "id")])
def test_the_readme_tour_works_when_followed_line_by_line_in_a_fresh_folder(readme, lang, tmp_path, monkeypatch):
    steps = tour_steps(ROOT / readme)
    rerecord = f"if the change is meant, re-record: .venv/bin/python scripts/tour.py --lang {lang} --write {readme}"
    assert [typed for typed, _ in steps] == tour.tour(lang), f"{readme}'s tour is not the one scripts/tour.py records; {rerecord}"
    monkeypatch.chdir(tmp_path)
    with tour.stand_ins() as fakes:
        for typed, recorded in steps:
            if typed.startswith("cd "):
                assert recorded == ""
                os.chdir(shlex.split(typed)[1])
            elif (step := tour.manual_step(typed)) is not None:
                assert step in MANUAL_STEPS, f"{readme}: a manual step this test does not know how to do: {step!r}"
                assert recorded == ""
                MANUAL_STEPS[step](fakes, lang)
            else:
                assert typed.startswith("sokasi-post "), f"{readme}: a line this test cannot follow: {typed!r}"
                result = fakes.run(typed, lang)
                assert not tour.crashed(result.output, lang), f"`{typed}` crashed:\n{result.output}"
                assert result.exception is None or isinstance(result.exception, SystemExit), f"`{typed}`: {result.exception!r}"
                expected_failure = tour.shows_failure(recorded, lang)
                assert (result.exit_code != 0) == expected_failure, (
                    f"`{typed}` exited with {result.exit_code}; {readme} shows it "
                    f"{'failing' if expected_failure else 'succeeding'}:\n{result.output}")
                assert normalise(result.output) == normalise(recorded), f"`{typed}` now says something else; {rerecord}"


def test_the_tour_shows_the_cd_into_the_new_folder_and_every_manual_step():
    for readme, lang in (("README.md", "en"), ("README.id.md", "id")):
        typed = [line for line, _ in tour_steps(ROOT / readme)]
        assert typed[:3] == ["sokasi-post init tigawasa", "cd tigawasa", f"# ({tour.EDIT_CONFIG[lang]})"]
        assert {tour.manual_step(line) for line in typed} - {None} == {
            tour.EDIT_CONFIG[lang], tour.ADD_PRODUCT[lang], tour.CONNECT[lang]}


def test_the_config_edit_replaces_the_samples_with_the_persons_own_values(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with tour.stand_ins() as fakes:
        assert fakes.run("sokasi-post init .", "en").exit_code == 0
        starter = (tmp_path / "config.yaml").read_text(encoding="utf-8")
        tour.StandIns.edit_config(fakes, "en")
    edited = (tmp_path / "config.yaml").read_text(encoding="utf-8")
    assert f'page_id: "{tour.PAGE_ID}"' in edited and f"username: {tour.ACCOUNT}" in edited
    assert f'whatsapp: "{tour.WHATSAPP}"' in edited
    changed = {line.split(":")[0].strip() for line in set(starter.splitlines()) - set(edited.splitlines())}
    assert changed == {"page_id", "username", "whatsapp"}  # the rest of the person's config is left as it was
    assert fakes.graph.page_id == tour.PAGE_ID and fakes.fake.username == tour.ACCOUNT
