"""Reading YAML files safely and explaining what is wrong with them; PyYAML only here."""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from sokasi_post.i18n import _

# A post.yaml or config.yaml is a few kilobytes; anything far bigger is a mistake (or an attack) and is
# refused before it is read, so a stray video renamed post.yaml cannot eat the laptop's memory.
MAX_YAML_BYTES = 1_000_000


class YamlFileError(Exception):
    """A YAML file that cannot be used, with the reason in words."""


def display_path(path: Path) -> str:
    """The path as the user should see it: relative to the current folder when inside it."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)
    return str(path) if relative.startswith("..") else relative


def read_yaml_mapping(path: Path, allow_empty: bool = False) -> dict:
    """Load a YAML file that must hold a mapping of keys; raise YamlFileError saying what is wrong."""
    try:
        size = path.stat().st_size
        if size > MAX_YAML_BYTES:
            raise YamlFileError(
                _("the file is {size:,} bytes; a YAML file here must be under {limit:,} bytes (is it the right file?)")
                .format(size=size, limit=MAX_YAML_BYTES)
            )
        data = path.read_bytes()
    except OSError as error:
        raise YamlFileError(_("cannot be read ({reason})").format(reason=error.strerror or error)) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise YamlFileError(
            _("line {line}: not valid UTF-8 text (byte {byte}); save the file as UTF-8 in your editor")
            .format(line=line, byte=error.start)
        ) from None
    try:
        loaded = yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = _("line {line}, column {column}: ").format(line=mark.line + 1, column=mark.column + 1) if mark else ""
        problem = error.problem or error.context or _("invalid YAML")
        raise YamlFileError(_("{where}YAML syntax error: {problem}").format(where=where, problem=problem)) from None
    except yaml.YAMLError as error:
        raise YamlFileError(_("YAML syntax error: {problem}").format(problem=error)) from None
    if loaded is None:
        if allow_empty:
            return {}
        raise YamlFileError(_("the file is empty; it needs at least a title and a caption"))
    if not isinstance(loaded, dict):
        raise YamlFileError(
            _("expected keys and values (like `title: ...`), but the file holds {kind}").format(
                kind=_("a list") if isinstance(loaded, list) else _("a single value")
            )
        )
    return loaded


def dump_yaml(data: dict) -> str:
    """YAML text for a mapping, keys in the given order, Unicode (Indonesian, emoji) written as is."""
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
