"""The command line as people type it, and as cron and systemd run it: options in either place, no terminal at all."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from sokasi_post.cli import cli

COMMANDS = (
    ("check",), ("status",), ("status", "--json"), ("publish", "--dry-run"), ("preview",), ("report",), ("doctor",),
    ("reconcile",), ("login", "instagram"), ("prepare", "--out", "siap"), ("new", "sokasi-baru"), ("init", "baru"),
    ("import-whatsapp", "chat.txt", "--dry-run"), ("publish",), ("--help",),
)


def run_cli(project, *args: str, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            shell_suffix: str = ""):
    """The installed command in a real process (no test runner between it and the streams), offline."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("SOKASI_POST", "FACEBOOK_",
                                                                                             "INSTAGRAM_"))}
    environment.update(SOKASI_POST_CONFIG=str(project.config), NO_PROXY="*", HTTPS_PROXY="http://127.0.0.1:9",
                       HTTP_PROXY="http://127.0.0.1:9")
    words = " ".join(f"'{word}'" for word in args)
    return subprocess.run(f"'{sys.executable}' -m sokasi_post {words} {shell_suffix}", shell=True, cwd=project.root,
                          env=environment, stdin=stdin, stdout=stdout, stderr=stderr, timeout=60)


@pytest.fixture
def catalogue(project):
    project.good("sokasi-bundar")
    project.good("keben-tinggi")
    (project.root / "chat.txt").write_text("28/11/2026, 09.00 - Wayan: Sokasi baru Rp 150.000\n", encoding="utf-8")
    return project


def test_global_options_work_after_the_command_name_too(catalogue, monkeypatch):
    monkeypatch.chdir(catalogue.root.parent)  # so only --config finds the project
    runner = CliRunner()
    after = runner.invoke(cli, ["check", "--config", str(catalogue.config), "--lang", "id"])
    before = runner.invoke(cli, ["--config", str(catalogue.config), "--lang", "id", "check"])
    assert after.exit_code == before.exit_code == 0
    assert after.output == before.output and "Semua beres" in after.output
    quiet = runner.invoke(cli, ["status", "-q", "--config", str(catalogue.config)])
    assert quiet.exit_code == 0 and "sokasi-bundar" in quiet.stdout


def test_every_command_lists_the_global_options_in_its_help(project):
    result = CliRunner().invoke(cli, ["status", "--help"])
    assert "--config PATH" in result.output and "--quiet" in result.output and "--lang" in result.output


def test_the_report_keeps_its_own_language_option(project):
    project.good("sokasi-bundar")
    english, indonesian = project.run("report", "--lang", "en").output, project.run("report", "--lang", "id").output
    assert "*Next:*" in english and "*Next:*" not in indonesian


def test_no_command_crashes_without_a_terminal_or_with_stdout_or_stderr_closed(catalogue, tmp_path):
    """Every command with stdin closed (cron, systemd), once with stdout closed and once with stderr closed: never a
    traceback, never an "unexpected error" in the log. A command that trips over the missing terminal trips in the
    run with stdout closed too, where stderr shows its traceback, so a third run with both streams open would prove
    nothing more (login's own words for that case are checked below)."""
    import shutil
    from concurrent.futures import ThreadPoolExecutor

    def attempt(job):
        number, command, closed = job
        copy = tmp_path / f"run-{number}"
        shutil.copytree(catalogue.root, copy, ignore=shutil.ignore_patterns("run-*"))
        copied = type(catalogue).__new__(type(catalogue))
        copied.root, copied.config = copy, copy / "config.yaml"
        result = run_cli(copied, *command, shell_suffix=f"0<&- {closed}")
        log = copy / ".sokasi-post" / "logs" / "sokasi-post.log"
        crashed = log.exists() and "unexpected error" in log.read_text(encoding="utf-8")
        return command, closed, result, crashed

    jobs = [(number, command, closed) for number, (command, closed) in
            enumerate((command, closed) for command in COMMANDS for closed in (">&-", "2>&-"))]
    with ThreadPoolExecutor(max_workers=6) as pool:
        for command, closed, result, crashed in pool.map(attempt, jobs):
            said = (result.stdout or b"").decode() + (result.stderr or b"").decode()
            assert "Traceback" not in said and "unexpected" not in said, (command, closed, said)
            assert result.returncode in (0, 1, 2) and not crashed, (command, closed, said)


def test_login_without_a_terminal_says_how_instead_of_crashing(catalogue):
    result = run_cli(catalogue, "login", "instagram", shell_suffix="0<&-")
    assert result.returncode == 2
    assert result.stderr.decode().strip() == ("error: no password: set INSTAGRAM_PASSWORD, or run `sokasi-post login "
                                               "instagram` in a terminal")


def test_a_reader_that_stops_early_ends_the_output_quietly(catalogue):
    process = subprocess.Popen([sys.executable, "-m", "sokasi_post", "--config", str(catalogue.config), "status"],
                               cwd=catalogue.root, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()  # like `| head -0`: nobody reads
    errors = process.stderr.read().decode()
    assert process.wait(timeout=60) == 0
    assert errors == ""


def test_init_into_a_new_folder_says_to_go_into_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["--lang", "en", "init", "tigawasa"])
    assert result.exit_code == 0
    assert "Go into the folder (`cd tigawasa`)" in result.output
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    result = CliRunner().invoke(cli, ["--lang", "en", "init"])
    assert "cd " not in result.output and "Edit config.yaml" in result.output


def test_a_dry_run_refuses_to_repost_a_product_that_does_not_exist(catalogue):
    result = catalogue.run("publish", "--dry-run", "--repost", "no-such-product")
    assert result.exit_code == 2
    assert "--repost no-such-product: no such product here" in result.output


def test_the_help_of_the_group_says_options_work_after_the_command(project):
    assert "command name too" in " ".join(CliRunner().invoke(cli, ["--help"]).output.split())


def test_status_has_a_header_and_columns_that_fit_a_long_product_name(project):
    long = "sokasi-bundar-besar-motif-poleng-hitam-putih"
    project.good(long)
    project.good("keben")
    lines = project.run("status").stdout.splitlines()
    assert lines[0].split() == ["PRODUCT", "PLATFORM", "STATE", "WHEN", "LINK", "/", "LAST", "PROBLEM"]
    starts = {line.index("facebook") if "facebook" in line else line.index("instagram") for line in lines[1:]}
    assert starts == {lines[0].index("PLATFORM")}  # every platform in its column, after the longest name
    assert any(line.startswith(long + "  ") for line in lines)


@pytest.mark.parametrize("slugs", [(), ("sokasi-rusak", "sokasi-panjang", "sokasi-baik")])
def test_the_dry_run_counts_products_with_problems_as_check_does(project, slugs):
    project.good("sokasi-baik")
    project.product("sokasi-rusak", "title: Rusak\ncaption: x\nprice: 1000\nwarna: merah\n")  # an unknown key
    project.product("sokasi-panjang", "title: Panjang\nstatus: draft\nprice: 1000\ncaption: " + "kata " * 600 + "\n")
    check = project.run("check")
    assert "Products with problems: 2 of 3" in check.stderr
    dry = project.run("publish", "--dry-run", *slugs)
    assert dry.exit_code == 1
    assert "products with problems: 2" in dry.stderr


def test_a_broken_product_folder_shows_in_the_preview_with_its_problem(project):
    project.good("sokasi-baik")
    project.product("sokasi-rusak", "title: Rusak\ncaption: x\nprice: 1000\nwarna: merah\n")
    result = project.run("preview")
    assert result.exit_code == 0, result.output
    page = (project.root / ".sokasi-post" / "preview" / "index.html").read_text(encoding="utf-8")
    assert "sokasi-rusak" in page and "warna" in page


def test_a_broken_product_folder_shows_in_status_status_json_and_the_report(project):
    import json

    project.good("sokasi-baik")
    project.product("sokasi-rusak", "title: Rusak\ncaption: x\nprice: 1000\nwarna: merah\n")
    rows = json.loads(project.run("status", "--json").stdout)
    broken = [row for row in rows if row["slug"] == "sokasi-rusak"]
    assert [row["state"] for row in broken] == ["broken"]
    assert "posts/sokasi-rusak/post.yaml" in broken[0]["error"] and "warna" in broken[0]["error"]
    table = project.run("status").stdout
    assert any(line.split()[:3] == ["sokasi-rusak", "-", "broken"] and "warna" in line for line in table.splitlines())
    report = project.run("report").stdout
    assert "• Rusak: the product details have a problem" in report.split("Needs a look")[1]


def starter_project(tmp_path, monkeypatch):
    """A fresh `init`, its example values left as they are."""
    monkeypatch.chdir(tmp_path)
    assert CliRunner().invoke(cli, ["--lang", "en", "init", "tigawasa"]).exit_code == 0
    monkeypatch.chdir(tmp_path / "tigawasa")
    return tmp_path / "tigawasa"


def test_publish_refuses_the_example_values_of_init_naming_each_line_and_sends_nothing(tmp_path, monkeypatch):
    folder = starter_project(tmp_path, monkeypatch)
    monkeypatch.setenv("FACEBOOK_PAGE_TOKEN", "EAAnot-a-real-token")
    result = CliRunner().invoke(cli, ["publish", "--platform", "facebook"])
    assert result.exit_code == 2
    errors = result.stderr.splitlines()
    assert errors[0].startswith("error: config.yaml: line 11: facebook.page_id is still the example value")
    assert errors[1].startswith("error: config.yaml: line 25: contact.whatsapp is still the example value")
    assert not any("instagram.username" in line for line in errors)  # only Facebook was asked for
    assert errors[-1] == "error: nothing was sent: replace the example values above, then run `sokasi-post check`"
    assert not (folder / ".sokasi-post" / "ledger.sqlite3").exists()


def test_check_doctor_and_status_name_the_example_values_and_the_dry_run_shows_them(tmp_path, monkeypatch):
    starter_project(tmp_path, monkeypatch)
    check = CliRunner().invoke(cli, ["check"])
    assert check.exit_code == 1
    assert sum("is still the example value" in line for line in check.stdout.splitlines()) == 3
    assert "3 example values from `sokasi-post init` still to replace" in check.stderr
    doctor = CliRunner().invoke(cli, ["doctor"])
    assert sum(line.startswith("[!!] config.yaml: line ") for line in doctor.stdout.splitlines()) == 3
    status = CliRunner().invoke(cli, ["status", "--json"])
    assert status.exit_code == 0 and "facebook.page_id is still the example value" in status.stderr
    dry = CliRunner().invoke(cli, ["publish", "--dry-run"])
    assert dry.exit_code == 0, dry.output  # a dry run is what one does before filling them in
    assert "config.yaml: warning: line 11: facebook.page_id is still the example value" in dry.stdout
    assert "`publish` sends nothing until they are replaced" in dry.stderr


def test_a_deep_crop_is_warned_of_by_check_and_the_dry_run_as_in_the_preview(project):
    from tests.conftest import jpeg_bytes

    folder = project.good("sokasi-tinggi")
    (folder / "foto.jpg").write_bytes(jpeg_bytes((400, 1600)))  # Instagram's tallest shape is 4:5
    warning = "posts/sokasi-tinggi/post.yaml: warning: Photo 1 (foto.jpg): the crop removes 69% of it"
    check = project.run("check")
    assert check.exit_code == 0
    assert any(line.startswith(warning) for line in check.stdout.splitlines()), check.stdout
    dry = project.run("publish", "--dry-run")
    assert any(line.startswith(warning) for line in dry.stdout.splitlines()), dry.stdout
    page = (project.root / ".sokasi-post" / "preview" / "index.html").read_text(encoding="utf-8")
    assert "the crop removes 69% of it" in page


def test_a_note_to_the_coordinator_is_said_once_on_the_terminal_and_kept_in_the_log(catalogue):
    result = run_cli(catalogue, "publish")
    said = result.stderr.decode()
    assert said.count("The ledger remembers no") == 2, said  # one per platform, not again as a WARNING log line
    assert "WARNING" not in said
    log = (catalogue.root / ".sokasi-post" / "logs" / "sokasi-post.log").read_text(encoding="utf-8")
    assert log.count("The ledger remembers no") == 2
