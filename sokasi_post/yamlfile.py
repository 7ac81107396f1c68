"""Reading files safely (never blocking, never unbounded) and YAML files with what is wrong with them; PyYAML only here."""

from __future__ import annotations

import errno
import io
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sokasi_post.i18n import _

# A post.yaml or config.yaml is a few kilobytes; anything far bigger is a mistake (or an attack) and is
# refused before it is read, so a stray video renamed post.yaml cannot eat the laptop's memory.
MAX_YAML_BYTES = 1_000_000
# The file that makes a folder a project; config.CONFIG_NAME (here too, for display_path's sake).
CONFIG_NAME = "config.yaml"
# A post.yaml needs three levels (focus: {photo: [x, y]}). PyYAML builds nested values by recursion, so a
# file of 50,000 opening brackets would end in a RecursionError; it is refused at this depth instead.
MAX_YAML_DEPTH = 50


class YamlFileError(Exception):
    """A YAML file that cannot be used, with the reason in words."""


class NotAFileError(OSError):
    """A path that is not an ordinary file (a folder, pipe, device, socket or link loop); the message says what to do."""


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return _("a folder")
    if stat.S_ISLNK(mode):
        return _("a link")
    if stat.S_ISFIFO(mode):
        return _("a named pipe")
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return _("a device")
    if stat.S_ISSOCK(mode):
        return _("a socket")
    return _("a special file")


def _refuse(mode: int) -> NotAFileError:
    return NotAFileError(_("is not an ordinary file but {kind}; remove it, or put the real file in its place").format(
        kind=_kind(mode)))


def open_regular(path: Path, follow_links: bool = True) -> tuple[io.BufferedReader, int]:
    """Open an ordinary file for reading without ever blocking; return it and its size, or raise NotAFileError.

    A named pipe called x.jpg would make a plain open() wait forever for a writer, and a device would never end:
    such a path is refused from its status before it is opened, and again from the open file itself, in case it
    was swapped in between. With follow_links False a link is refused too (the file must really be here).
    Other OSErrors (missing, no permission) pass through for the caller to word.
    """
    try:
        mode = path.stat(follow_symlinks=follow_links).st_mode
        if not stat.S_ISREG(mode):
            raise _refuse(mode)
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
        if not follow_links:
            flags |= getattr(os, "O_NOFOLLOW", 0)
        descriptor = os.open(path, flags)
    except NotAFileError:
        raise
    except OSError as error:
        if error.errno == errno.ELOOP:
            if not follow_links:
                raise _refuse(stat.S_IFLNK) from None
            raise NotAFileError(_("is a link that leads back to itself (a loop of links); delete it and copy the real "
                                  "file in")) from None
        raise
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            raise _refuse(status.st_mode)
        return os.fdopen(descriptor, "rb"), status.st_size
    except BaseException:
        os.close(descriptor)
        raise


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing values nested deeper than MAX_YAML_DEPTH before it recurses into them."""

    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent, index):
        self._depth += 1
        try:
            if self._depth > MAX_YAML_DEPTH:
                mark = self.peek_event().start_mark
                raise YamlFileError(_("line {line}, column {column}: nested more than {limit} levels deep; a post.yaml "
                                      "needs only a few (check the brackets)").format(
                    line=mark.line + 1, column=mark.column + 1, limit=MAX_YAML_DEPTH))
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def display_path(path: Path) -> str:
    """The path as the user should see it: relative to the current folder when inside it, or inside the project
    the current folder is in (`../config.yaml` from posts/, like git); else in full."""
    try:
        relative = os.path.relpath(path)
        if not relative.startswith(".."):
            return relative
        here = Path.cwd()
    except (ValueError, OSError):  # another drive on Windows; a current folder that was deleted
        return str(path)
    root = project_folder(here)
    # abspath, not Path.resolve: ".." is taken out by the letters, never by following a link.
    if root is not None and root != here and Path(os.path.abspath(path)).is_relative_to(root):  # noqa: PTH100
        return relative
    return str(path)


def project_folder(start: Path) -> Path | None:
    """The nearest folder, `start` or one above it, that holds a config.yaml (None when there is none)."""
    for folder in (start, *start.parents):
        candidate = folder / CONFIG_NAME
        try:
            if candidate.exists() or candidate.is_symlink():
                return folder
        except OSError:  # no permission to look in a folder above: look no further
            return None
    return None


@dataclass(frozen=True)
class YamlDocument:
    """A YAML file's mapping, with where each key stands and how each plain value was typed.

    Keys below the top level are dotted (`facebook.page_id`), list items numbered (`schedule.slots[0]`).
    """

    values: Any  # what the text holds (parse_yaml); always a dict from read_yaml_document, which checks it
    text: str = ""
    lines: dict[str, int] = field(default_factory=dict)  # key -> its line, counted from 1
    written: dict[str, str] = field(default_factory=dict)  # key -> a plain value exactly as typed (`150.000`, `17:00`)

    def line_text(self, key: str) -> str:
        """The text of the line that holds `key` ("" when the key is not in the file)."""
        line = self.lines.get(key)
        if line is None:
            return ""
        lines = self.text.splitlines()
        return lines[line - 1] if line <= len(lines) else ""


def _index_nodes(node: yaml.Node, prefix: str, lines: dict[str, int], written: dict[str, str], seen: set[int]) -> None:
    """Note the line of every key under `node`, and the text of every plain value, by dotted name."""
    if id(node) in seen:  # an alias (*name) repeats a node: walked once, or nested aliases would multiply the walk
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                continue
            name = f"{prefix}.{key_node.value}" if prefix else key_node.value
            lines[name] = key_node.start_mark.line + 1  # a repeated key: the last one counts, as for its value
            _index_nodes(value_node, name, lines, written, seen)
    elif isinstance(node, yaml.SequenceNode):
        for number, item in enumerate(node.value):
            name = f"{prefix}[{number}]"
            lines[name] = item.start_mark.line + 1
            _index_nodes(item, name, lines, written, seen)
    elif isinstance(node, yaml.ScalarNode) and prefix:
        written[prefix] = node.value


# `hashtags: [#sokasi, #bambu]` or `{instagram: #sokasi}`: there a # starts a comment, so the brackets are never closed.
_HASH_IN_LIST = re.compile(r"[\[{,]\s*#|:\s*#[^\s#]")
_KEY_ON_LINE = re.compile(r"^\s*(?:-\s+)?([^\s:#\[\]{},]+)\s*:")


def _syntax_problem(error: yaml.MarkedYAMLError, text: str) -> str:
    """PyYAML's complaint in the user's terms, with the line, and the usual cause when it is a known one."""
    mark = error.problem_mark or error.context_mark
    lines = text.splitlines()
    if mark is not None and "flow" in (error.context or ""):  # a list or section in brackets left open
        for number in range(min(mark.line, len(lines) - 1), -1, -1):  # the nearest such line above the error
            if _HASH_IN_LIST.search(lines[number]):
                key = _KEY_ON_LINE.match(lines[number])
                return _("line {line}: # starts a comment in YAML: write the tags without # ({key}: [a, b]) or in "
                         "quotes").format(line=number + 1, key=key.group(1) if key else "hashtags")
    where = _("line {line}, column {column}: ").format(line=mark.line + 1, column=mark.column + 1) if mark else ""
    problem = error.problem or error.context or _("invalid YAML")
    line = lines[mark.line] if mark is not None and mark.line < len(lines) else ""
    if "\\t" in problem or "tab" in problem.split() or "\t" in line[: len(line) - len(line.lstrip())]:
        problem = _("a tab where YAML expects spaces; use spaces, not tabs, to indent")
    return _("{where}YAML syntax error: {problem}").format(where=where, problem=problem)


def parse_yaml(text: str) -> YamlDocument:
    """Parse YAML text (safely, at most MAX_YAML_DEPTH deep) into a YamlDocument; raise YamlFileError in words."""
    loader = None
    try:
        loader = _BoundedLoader(text)  # its reader refuses control characters here already
        node = loader.get_single_node()
        loaded = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as error:
        raise YamlFileError(_syntax_problem(error, text)) from None
    except yaml.reader.ReaderError as error:  # a character no text file holds (NUL, a bell...), refused before parsing
        raise YamlFileError(_("line {line}: holds a control character ({code}) that is not text; copy the text into a "
                              "new file in a text editor").format(line=text[: error.position].count("\n") + 1,
                                                                   code=f"#x{error.character:04x}")) from None
    except yaml.YAMLError as error:
        raise YamlFileError(_("YAML syntax error: {problem}").format(problem=error)) from None
    finally:
        if loader is not None:
            loader.dispose()
    lines: dict[str, int] = {}
    written: dict[str, str] = {}
    if node is not None:
        _index_nodes(node, "", lines, written, set())
    return YamlDocument(loaded, text, lines, written)


def read_yaml_mapping(path: Path, allow_empty: bool = False) -> dict:
    """Load a YAML file that must hold a mapping of keys; raise YamlFileError saying what is wrong."""
    return read_yaml_document(path, allow_empty).values


def read_yaml_document(path: Path, allow_empty: bool = False) -> YamlDocument:
    """Load a YAML file that must hold a mapping of keys, with the line of each key; raise YamlFileError in words."""
    try:
        handle, size = open_regular(path)
        with handle:
            # Never more than the limit is read, even when the size said otherwise (a file still growing).
            data = b"" if size > MAX_YAML_BYTES else handle.read(MAX_YAML_BYTES + 1)
        size = max(size, len(data))
        if size > MAX_YAML_BYTES:
            raise YamlFileError(
                _("the file is {size:,} bytes; a YAML file here must be under {limit:,} bytes (is it the right file?)")
                .format(size=size, limit=MAX_YAML_BYTES)
            )
    except NotAFileError as error:
        raise YamlFileError(str(error)) from None
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
    document = parse_yaml(text)
    if document.values is None:
        if allow_empty:
            return YamlDocument({}, text)
        raise YamlFileError(_("the file is empty; it needs at least a title and a caption"))
    if not isinstance(document.values, dict):
        raise YamlFileError(
            _("expected keys and values (like `title: ...`), but the file holds {kind}").format(
                kind=_("a list") if isinstance(document.values, list) else _("a single value")
            )
        )
    return document


def dump_yaml(data: dict) -> str:
    """YAML text for a mapping, keys in the given order, Unicode (Indonesian, emoji) written as is."""
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
