"""Everything the tool says exists in Indonesian; the language is chosen by --lang, config, or the system."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from sokasi_post.config import early_language, system_language
from sokasi_post.i18n import _, format_date, read_po, set_language
from tests.messages import marked_messages, unmarked_messages

ROOT = Path(__file__).resolve().parent.parent
CATALOG = read_po((ROOT / "sokasi_post" / "locale" / "id.po").read_text(encoding="utf-8"))


def fields(text: str) -> list[str]:
    return sorted(re.findall(r"\{[^{}]*\}|%\(\w+\)s", text.replace("{{", "").replace("}}", "")))


def test_every_message_in_the_code_has_an_indonesian_translation_with_the_same_placeholders():
    missing = [msgid for msgid in marked_messages() if not CATALOG.get(msgid)]
    assert missing == [], f"{len(missing)} messages lack a translation: run python scripts/update_po.py and translate them"
    different = [msgid for msgid in marked_messages() if fields(msgid) != fields(CATALOG[msgid])]
    assert different == []


def test_no_message_shown_to_the_user_is_left_unmarked():
    assert unmarked_messages() == []


def test_the_unmarked_message_check_catches_one(tmp_path):
    (tmp_path / "bad.py").write_text('import click\n\ndef f(app):\n    click.echo("Posted everything")\n'
                                     '    app.say(f"Done with {app}")\n    click.echo(f"{app}: {app}")\n')
    assert unmarked_messages(tmp_path) == ["bad.py:4: 'Posted everything'", "bad.py:5: 'Done with '"]


def run_cli(*args: str, env: dict[str, str] | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in ("LANG", "LC_ALL", "LC_MESSAGES", "LANGUAGE")}
    environment.update(env or {})
    return subprocess.run([sys.executable, "-m", "sokasi_post", *args], capture_output=True, text=True, env=environment,
                          cwd=cwd)


def test_help_follows_the_system_locale_and_lang_overrides_it():
    indonesian = run_cli("--help", env={"LANG": "id_ID.UTF-8"})
    assert indonesian.returncode == 0
    assert indonesian.stdout.startswith("Penggunaan: ")
    assert "Opsi:" in indonesian.stdout and "Perintah:" in indonesian.stdout
    assert _("Post the bamboo crafts of Tigawasa on a Facebook Page and Instagram.") not in indonesian.stdout
    english = run_cli("--lang", "en", "--help", env={"LANG": "id_ID.UTF-8"})
    assert english.stdout.startswith("Usage: ")
    assert "Post the bamboo crafts of Tigawasa" in english.stdout
    assert run_cli("--help").stdout.startswith("Usage: ")  # no locale: English


def test_check_on_a_broken_product_and_status_speak_indonesian(project):
    project.product("sokasi-harga", "title: S\ncaption: C\nprice: -5\n")
    broken = project.run("--lang", "id", "check")
    assert broken.exit_code == 1
    expected = CATALOG["price: must be more than zero, got {value}"].format(value=-5)
    assert broken.stdout == f"posts/sokasi-harga/post.yaml: {expected}\n"
    project.good("sokasi-baik")
    status = project.run("--lang", "id", "status")
    assert "sokasi-baik" in status.stdout
    english = project.run("--lang", "en", "check")
    assert "price: must be more than zero, got -5" in english.stdout


def test_config_language_is_used_unless_lang_says_otherwise(project):
    project.config.write_text("language: id\n" + project.config.read_text())
    project.product("sokasi-harga", "title: S\ncaption: C\nprice: -5\n")
    assert CATALOG["price: must be more than zero, got {value}"].format(value=-5) in project.run("check").stdout
    assert "must be more than zero" in project.run("--lang", "en", "check").stdout


def test_the_language_is_chosen_by_option_then_config_then_system(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for variable in ("LANG", "LC_ALL", "LC_MESSAGES", "LANGUAGE", "SOKASI_POST_CONFIG"):
        monkeypatch.delenv(variable, raising=False)
    assert system_language() == "en"
    monkeypatch.setenv("LANG", "id_ID.UTF-8")
    assert system_language() == "id"
    assert early_language(["check"]) == "id"
    (tmp_path / "config.yaml").write_text("language: en\n")
    assert early_language(["check"]) == "en"
    assert early_language(["--lang", "id", "check"]) == "id"
    assert early_language(["--lang=en"]) == "en"
    monkeypatch.setenv("LC_ALL", "en_US.UTF-8")
    (tmp_path / "config.yaml").write_text("posts_dir: posts\n")
    assert early_language([]) == "en"  # LC_ALL wins over LANG, as in every POSIX program


def test_numbers_and_dates_are_written_the_languages_way():
    moment = datetime(2026, 11, 28, 9, 15, tzinfo=ZoneInfo("Asia/Makassar"))
    set_language("id")
    assert format_date(moment) == "Sabtu, 28 November 2026 09.15 WITA"
    assert _("{n:,}").format(n=1250000) == "1.250.000"
    assert _("{size:,} KB").format(size=1234) == CATALOG["{size:,} KB"].replace("{size:,}", "1.234")
    set_language("en")
    assert format_date(moment) == "Saturday, 28 November 2026 09:15 WITA"
    assert _("{n:,}").format(n=1250000) == "1,250,000"


def test_starter_files_are_written_in_the_chosen_language(tmp_path):
    from click.testing import CliRunner

    from sokasi_post.cli import cli

    CliRunner().invoke(cli, ["--lang", "id", "init", str(tmp_path / "desa")])
    config = (tmp_path / "desa" / "config.yaml").read_text(encoding="utf-8")
    assert "language: id" in config and "satu folder per produk" in config
    CliRunner().invoke(cli, ["--lang", "id", "--config", str(tmp_path / "desa" / "config.yaml"), "new", "sokasi-baru"])
    post = (tmp_path / "desa" / "posts" / "sokasi-baru" / "post.yaml").read_text(encoding="utf-8")
    assert "Tulis cerita produk di sini" in post


@pytest.mark.parametrize("encoding", ["ascii", "cp1252"])
def test_a_console_that_cannot_show_emoji_does_not_crash(encoding, tmp_path):
    environment = {k: v for k, v in os.environ.items() if k not in ("LANG", "LC_ALL", "LC_MESSAGES", "LANGUAGE")}
    environment["PYTHONIOENCODING"] = encoding
    shutil.copy(ROOT / "config.yaml", tmp_path)  # a copy: a dry run writes its state folder next to the config
    shutil.copytree(ROOT / "posts" / "sokasi-bundar-poleng", tmp_path / "posts" / "sokasi-bundar-poleng")
    result = subprocess.run([sys.executable, "-m", "sokasi_post", "publish", "--dry-run", "sokasi-bundar-poleng"],
                            capture_output=True, env=environment, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    if encoding == "cp1252":  # a Windows code page: what it cannot show becomes "?"
        assert "ke pura. ?" in result.stdout.decode("cp1252")
    else:  # Click treats a plain-ASCII stream as misconfigured and writes UTF-8
        assert "ke pura. 🌺" in result.stdout.decode("utf-8")
