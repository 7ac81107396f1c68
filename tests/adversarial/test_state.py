"""Lost, damaged, newer, read-only or locked state, a stuck run, and config values that would fail at run time.

The publishing tests run the real facebook-sdk and instagrapi against the local fakes (tests/fakegraph.py,
tests/fakeinstagram.py), with the bundled sample catalogue (the `village` of test_publish_e2e.py).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from sokasi_post.errors import StateError
from sokasi_post.ledger import LEDGER_FILE, Ledger, _state_error
from sokasi_post.runlock import LOCK_FILE, RunLock
from tests.fakegraph import ERRORS, FakeGraph
from tests.fakeinstagram import fake_instagram_fixture  # noqa: F401
from tests.test_publish_e2e import SAMPLE_PAGE, Village


@pytest.fixture
def village(tmp_path, fake_instagram, monkeypatch):
    with FakeGraph(page_id=SAMPLE_PAGE) as graph:
        yield Village(tmp_path, graph, fake_instagram, monkeypatch, small_photos=True)


def ledger_files(village) -> list:
    state = village.settings.state_dir
    return [state / f"{LEDGER_FILE}{suffix}" for suffix in ("", "-wal", "-shm")]


def posted_once(village):
    first = village.run("publish")
    assert first.exit_code == 0, first.output
    return len(village.graph.posts), len(village.fake.media)


def test_deleting_the_ledger_and_publishing_again_creates_no_new_post(village):
    before = posted_once(village)
    for path in ledger_files(village):
        path.unlink(missing_ok=True)
    again = village.run("publish")
    assert again.exit_code == 0, again.output
    assert (len(village.graph.posts), len(village.fake.media)) == before  # 0 new posts on either platform
    assert "note: The ledger remembers no Facebook post (it is new, or was emptied or lost)" in again.stderr
    assert "sokasi-polos-kecil → Facebook: was posted after all: already on Facebook, the ledger had forgotten it: " \
           "https://www.facebook.com/" in again.stdout
    assert "sokasi-polos-kecil → Instagram: was posted after all: already on Instagram" in again.stdout
    third = village.run("publish")  # the ledger remembers again: no more looking, and still nothing new
    assert "note:" not in third.stderr and "already posted" in third.stdout
    assert (len(village.graph.posts), len(village.fake.media)) == before


def test_an_emptied_ledger_file_is_the_same_as_a_lost_one(village):
    before = posted_once(village)
    for path in ledger_files(village):
        if path.exists():
            path.write_bytes(b"")
    again = village.run("publish")
    assert again.exit_code == 0, again.output
    assert (len(village.graph.posts), len(village.fake.media)) == before


def test_a_damaged_ledger_is_put_aside_with_a_note_and_nothing_is_posted_twice(village):
    before = posted_once(village)
    state = village.settings.state_dir
    for path in ledger_files(village):
        path.unlink(missing_ok=True)
    (state / LEDGER_FILE).write_bytes(b"this is not a database, a phone saved over it" * 100)
    again = village.run("publish")
    assert again.exit_code == 0, again.output
    assert "Traceback" not in again.output
    assert f"note: the ledger {os.path.relpath(state / LEDGER_FILE)} is damaged (file is not a database): it was moved to" \
        in again.stderr
    kept = [path.name for path in state.iterdir() if path.name.startswith("ledger.damaged-")]
    assert len(kept) == 1 and (state / kept[0]).read_bytes().startswith(b"this is not a database")  # kept, not deleted
    assert (len(village.graph.posts), len(village.fake.media)) == before


def test_a_ledger_from_a_newer_version_is_put_aside_not_used(village):
    before = posted_once(village)
    db = sqlite3.connect(village.settings.state_dir / LEDGER_FILE)
    db.execute("INSERT INTO migrations VALUES ('099_something_new', '2027-01-01')")
    db.commit()
    db.close()
    again = village.run("publish")
    assert again.exit_code == 0, again.output
    assert "was written by a newer version of sokasi-post (it has the changes 099_something_new" in again.stderr
    assert (len(village.graph.posts), len(village.fake.media)) == before


def test_a_platform_that_cannot_be_asked_gets_nothing_while_the_ledger_is_lost(village):
    posted_once(village)
    uploads = len(village.graph.calls_to("POST", "/photos"))
    for path in ledger_files(village):
        path.unlink(missing_ok=True)
    village.graph.fail_next("GET", "/posts", **ERRORS[190])
    again = village.run("publish", "--platform", "facebook")
    assert again.exit_code == 1
    assert "not sent: the ledger does not know whether it was posted before, and Facebook could not be asked" in again.stdout
    assert len(village.graph.calls_to("POST", "/photos")) == uploads  # nothing uploaded, nothing posted
    follow = village.run("publish", "--platform", "facebook")  # asked again next time, then found
    assert "the ledger had forgotten it" in follow.stdout


def test_status_reads_a_damaged_ledger_without_changing_it_and_says_what_to_do(village):
    state = village.settings.state_dir
    state.mkdir(parents=True, exist_ok=True)
    (state / LEDGER_FILE).write_bytes(b"garbage" * 500)
    result = village.run("status")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.stderr.startswith(f"error: the ledger {os.path.relpath(state / LEDGER_FILE)} cannot be read (file is "
                                    "not a database); run `sokasi-post doctor` once to put it aside")
    assert (state / LEDGER_FILE).read_bytes() == b"garbage" * 500


def test_a_read_only_ledger_says_so_in_words_and_nothing_is_sent(tmp_path):
    Ledger(tmp_path / LEDGER_FILE).close()
    reading = Ledger(tmp_path / LEDGER_FILE, read_only=True)
    with pytest.raises(StateError) as caught:
        reading.begin("sokasi-a", "facebook", "f")
    reading.close()
    assert str(caught.value).startswith("the state folder is read-only, so the ledger ")
    assert str(caught.value).endswith("Nothing was sent; make the folder writable (or copy the project to a folder of your "
                                      "own) and run again")


@pytest.mark.parametrize(("said", "expected"), [
    ("database is locked", "stayed locked by another program for 30 seconds. Nothing was sent twice"),
    ("database or disk is full", "the disk is full, so the ledger"),
    ("disk I/O error", "cannot be used (disk I/O error). Nothing will be sent twice"),
])
def test_locked_full_and_broken_ledgers_are_one_sentence_with_what_to_do(tmp_path, said, expected):
    error = _state_error(tmp_path / LEDGER_FILE, sqlite3.OperationalError(said))
    assert isinstance(error, StateError) and expected in str(error)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="file permissions do not bind root")
def test_status_and_report_work_on_a_read_only_state_folder(village):
    posted_once(village)
    state = village.settings.state_dir
    modes = {path: path.stat().st_mode for path in [state, *state.rglob("*")]}
    try:
        for path in [*state.rglob("*"), state]:
            path.chmod(0o555 if path.is_dir() else 0o444)
        status = village.run("status")
        assert status.exit_code == 0, status.output
        assert "published" in status.stdout
        report = village.run("report")
        assert report.exit_code == 0, report.output
        publish = village.run("publish")
        assert "Traceback" not in publish.output
    finally:
        for path, mode in modes.items():
            path.chmod(mode)


def test_a_stuck_run_is_reported_by_the_next_run_and_by_status(village):
    state = village.settings.state_dir
    lock = RunLock.try_acquire(state)
    try:
        recent = village.run("publish")
        assert recent.exit_code == 0 and "Another run is in progress" in recent.stderr  # a healthy run: nothing to say
        started = (datetime.now(UTC) - timedelta(hours=3)).isoformat(timespec="seconds")
        os.pwrite(lock.descriptor, f"{os.getpid()} {started}".encode().ljust(60), 0)
        stuck = village.run("publish")
        assert stuck.exit_code == 1
        assert f"(process {os.getpid()}) still holds the lock {os.path.relpath(state / LOCK_FILE)}: it is stuck" in stuck.stderr
        status = village.run("status")
        assert status.exit_code == 0
        assert "warning: a run started" in status.stderr and "it is stuck" in status.stderr
        assert village.graph.calls == []
    finally:
        lock.release()
    assert "stuck" not in village.run("status").stderr


@pytest.mark.parametrize(("change", "expected"), [
    (("", ""), None),  # the sane config passes
    (("", "reconcile:\n  wait_seconds: -1\n"), "reconcile.wait_seconds: expected a number from 0 to 600, got -1"),
    (("", "whatsapp:\n  group_minutes: 100000000000\n"),
     "whatsapp.group_minutes: expected a number from 1 to 1440, got 100000000000"),
    (("", "captions:\n  instagram: \"{title}\\n{price:,}\"\n"), "captions.instagram: {price:,}: a field takes no format here; "
     "write just {price}"),
    (("", "captions:\n  facebook: \"{title:>99999999999}\"\n"), "captions.facebook: {title:>99999999999}: a field takes no "
     "format here; write just {title}"),
    (("", "captions:\n  facebook: \"{title!r}\"\n"), "captions.facebook: {title!r}: a field takes no format here; write just "
     "{title}"),
    (("", "instagram:\n  username: sokasi.tigawasa\n  daily_limit: 1000000\n"),
     "instagram.daily_limit: expected a number from 1 to 25, got 1000000"),
])
def test_config_values_that_would_fail_at_run_time_are_refused_at_check(project, change, expected):
    text = project.config.read_text()
    if "captions:\n" in change[1]:
        text = text.replace("captions:\n  hashtags: [sokasi, tigawasa]\n", "")
    if "instagram:\n" in change[1]:
        text = text.replace("instagram:\n  username: sokasi.tigawasa\n", "")
    project.config.write_text(text + change[1])
    project.good("sokasi-a")
    result = project.run("check")
    if expected is None:
        assert result.exit_code == 0, result.output
        return
    assert result.exit_code == 2
    assert f"config.yaml: {expected}" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize("when", ["9999-12-31 23:59-12:00", "0001-01-01 00:00+14:00", "2150-01-01 09:00"])
def test_a_publish_at_too_far_away_is_one_problem_at_check_not_a_crash_later(project, when):
    project.good("sokasi-jauh", publish_at=f'"{when}"')
    project.good("sokasi-baik")
    check = project.run("check")
    assert check.exit_code == 1
    assert check.stdout == (f"posts/sokasi-jauh/post.yaml: publish_at: {when} is not a date the posts can wait for; use a "
                            "date between 2000 and 2099\n")
    dry = project.run("publish", "--dry-run")
    assert "== sokasi-baik → Facebook ==" in dry.stdout and "Traceback" not in dry.output


def test_status_and_report_read_a_state_folder_they_cannot_write_to(village):
    """Root ignores file permissions, so the state folder's cache is made unwritable by a file where its folder goes."""
    posted_once(village)
    state = village.settings.state_dir
    shutil.rmtree(state / "cache")
    (state / "cache").write_text("not a folder")
    # (logs/ is left out: the earlier `publish` of this same test process left its log handler attached)
    before = {path: path.stat().st_mtime_ns for path in state.rglob("*") if "logs" not in path.parts}
    status = village.run("status")
    assert status.exit_code == 0, status.output
    assert ["sokasi-polos-kecil", "instagram", "(instagrapi)", "published"] in [
        line.split()[:4] for line in status.stdout.splitlines()]
    report = village.run("report", "--since", "2026-01-01")
    assert report.exit_code == 0, report.output
    assert "*Online since" in report.stdout
    changed = {path for path, stamp in before.items() if path.exists() and path.stat().st_mtime_ns != stamp}
    assert changed <= {state / LEDGER_FILE, state / f"{LEDGER_FILE}-wal", state / f"{LEDGER_FILE}-shm"}
    assert (state / "cache").read_text() == "not a folder"


def test_status_brings_an_older_versions_ledger_up_to_date_instead_of_refusing_it(village):
    posted_once(village)
    db = sqlite3.connect(village.settings.state_dir / LEDGER_FILE)
    db.execute("DELETE FROM migrations WHERE name = '004_cooldowns_and_notices'")
    db.execute("DROP TABLE cooldowns")
    db.execute("DROP TABLE notices")
    db.commit()
    db.close()
    status = village.run("status")
    assert status.exit_code == 0, status.output
    assert "published" in status.stdout
