"""Click's own words (Usage:, Options:, its errors) are translated by replacing Click's private `_` and `ngettext`.

sokasi_post/cli.py swaps the gettext functions that Click's modules import for the ones of sokasi_post.i18n. They
are not Click's public interface: a new Click may rename, move or drop them, and nothing would raise; Click's
messages would quietly come out in English on the Indonesian screen. pyproject.toml keeps Click below its next
major version; these tests say what changed when a minor one moves them anyway.
"""

from __future__ import annotations

import ast
import importlib
import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from sokasi_post import i18n
from sokasi_post.cli import cli

CLICK = f"Click {version('click')}"
PATCH = "the patch at the top of sokasi_post/cli.py"

# The Click modules whose gettext functions the patch replaces, and which of the two each one imports.
PATCHED = {"core": {"_", "ngettext"}, "decorators": {"_"}, "exceptions": {"_", "ngettext"}, "formatting": {"_"},
           "parser": {"_", "ngettext"}, "termui": {"_"}, "types": {"_", "ngettext"}}
# Click modules that translate words this tool never shows, left alone: the standard-stream names of
# get_text_stream, the editor and progress bar, shell completion, and Windows console errors.
NOT_SHOWN = {"utils": {"_"}, "_termui_impl": {"_"}, "shell_completion": {"_"}, "_winconsole": {"_"}}
OURS = {"_": i18n._, "ngettext": i18n.ngettext}


def gettext_names(source: str) -> set[str]:
    """The names a module binds from the gettext module: `from gettext import gettext as _` gives "_"."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module == "gettext":
            names.update(alias.asname or alias.name for alias in node.names)
        elif isinstance(node, ast.Import) and any(alias.name == "gettext" for alias in node.names):
            names.add("gettext (the whole module)")
    return names


def click_sources() -> dict[str, str]:
    folder = Path(click.__file__).parent
    return {path.stem: path.read_text(encoding="utf-8") for path in sorted(folder.glob("*.py"))}


@pytest.mark.parametrize(("module", "name"), sorted((m, n) for m, names in PATCHED.items() for n in names))
def test_each_gettext_function_the_patch_replaces_is_there_and_replaced(module, name):
    where = importlib.import_module(f"click.{module}")
    assert hasattr(where, name), (
        f"click.{module} no longer has `{name}` ({CLICK}): Click changed how it translates its own messages, so "
        f"{PATCH} no longer reaches them and they stay in English under --lang id. Find where they went and patch that.")
    assert getattr(where, name) is OURS[name], f"click.{module}.{name} is not sokasi_post.i18n's ({CLICK}): {PATCH} missed it"


def test_no_click_module_translates_through_a_function_the_patch_does_not_know():
    found = {module: names for module, names in
             ((module, gettext_names(source)) for module, source in click_sources().items()) if names}
    unknown = {module: sorted(names - PATCHED.get(module, set()) - NOT_SHOWN.get(module, set()))
               for module, names in found.items()}
    unknown = {module: names for module, names in unknown.items() if names}
    assert unknown == {}, (
        f"{CLICK} translates through gettext names {PATCH} does not replace: {unknown}. If people can see those "
        "messages, add them to the patch (and their Indonesian to sokasi_post/locale/id.po); then list them here.")
    gone = sorted(f"click.{module}" for module in PATCHED if module not in found)
    assert gone == [], f"{CLICK}: {gone} no longer import gettext; its messages go another way now: {PATCH} must follow"


# A message Click writes, for each patched module but core's help page, decorators and termui (below):
# (arguments, English, Indonesian).
USAGE = [
    (["status", "--no-such-option"], "Error: No such option '--no-such-option'.",  # exceptions
     "Kesalahan: Tidak ada opsi '--no-such-option'."),
    (["status", "--no-such-option"], "Try 'cli status --help' for help.", "Coba 'cli status --help' untuk bantuan."),
    (["status", "--no-such-option"], "Usage: cli status [OPTIONS]", "Penggunaan: cli status [OPTIONS]"),  # formatting
    (["status", "extra"], "Got unexpected extra argument (extra)",  # core, through ngettext
     "Ada argumen tambahan yang tidak diharapkan (extra)"),
    (["statsu"], "No such command 'statsu'. Did you mean 'status'?",  # exceptions, through ngettext
     "Tidak ada perintah 'statsu'. Mungkin maksud Anda 'status'?"),
    (["new"], "Missing argument 'SLUG'.", "Kurang argumen 'SLUG'."),
    (["status", "--config"], "Option '--config' requires an argument.",  # parser, through ngettext
     "Opsi '--config' memerlukan nilai."),
    (["status", "--lang", "xx"], "'xx' is not one of 'en', 'id'.", "'xx' bukan salah satu dari 'en', 'id'."),  # types
]


def said_in(language: str, arguments: list[str]) -> str:
    i18n.set_language(language)  # as sokasi_post.main does from --lang, before Click reads a word
    return CliRunner().invoke(cli, ["--lang", language, *arguments]).output


def untranslated(english: str, said: str) -> str:
    return (f"{CLICK}'s {english!r} did not come out in Indonesian under --lang id: Click no longer sends it through "
            f"the `_`/`ngettext` {PATCH} replaces, or changed its English words (then update sokasi_post/locale/id.po). "
            f"It said:\n{said}")


@pytest.mark.parametrize(("arguments", "english", "indonesian"), USAGE)
def test_clicks_own_messages_come_out_in_indonesian_with_lang_id(arguments, english, indonesian):
    said = said_in("en", arguments)
    assert english in said, f"{CLICK} no longer says {english!r} for {arguments}; it said:\n{said}"
    said = said_in("id", arguments)
    assert indonesian in said, untranslated(english, said)


def test_a_help_page_comes_out_in_indonesian(tmp_path):
    """core and decorators: a help page, in a program of its own, as Click words and keeps a command's --help option
    the first time the command runs (in this process that would be in English for the tests after this one)."""
    english = said_in("en", ["status", "--help"])
    assert "Options:" in english and "Show this message and exit." in english, english
    environment = {key: value for key, value in os.environ.items() if not key.startswith("SOKASI_POST")}
    said = subprocess.run([sys.executable, "-m", "sokasi_post", "--lang", "id", "status", "--help"], cwd=tmp_path,
                          env=environment, capture_output=True, text=True, timeout=60).stdout
    assert "Opsi:" in said, untranslated("Options:", said)
    assert "Tampilkan pesan ini lalu keluar." in said, untranslated("Show this message and exit.", said)


def test_click_still_keeps_each_commands_help_option_where_the_tests_forget_it():
    """tests/conftest.py forgets the --help options Click keeps, so that one test's language does not reach the next."""
    command = click.Command("probe")
    context = click.Context(command)
    kept = command.get_help_option(context)
    if kept is not command.get_help_option(context):
        return  # built anew each time (Click before 8.1.8): nothing is kept, nothing to forget
    assert getattr(command, "_help_option", None) is kept, (
        f"{CLICK} keeps a command's --help option somewhere other than Command._help_option: make "
        "tests/conftest.py forget it there, or a test in Indonesian leaves its words in the next test's help pages")


def test_a_prompts_complaint_comes_out_in_indonesian():
    """termui: what click.prompt says about an answer it cannot take (as for login's questions)."""
    @click.command()
    def ask():
        click.echo(click.prompt("n", type=int))

    i18n.set_language("id")
    said = CliRunner().invoke(ask, input="x\n3\n").output
    assert "Kesalahan: " in said and said.rstrip().endswith("3"), (
        f"{CLICK}: click.prompt's 'Error: ...' did not come out in Indonesian; {PATCH} no longer reaches click.termui. "
        f"It said:\n{said}")

