"""Reading files safely (never blocking, never unbounded) and YAML files with what is wrong with them; PyYAML only here."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO

import yaml

from sokasi_post.i18n import _

# A post.yaml or config.yaml is a few kilobytes; anything far bigger is a mistake (or an attack) and is
# refused before it is read, so a stray video renamed post.yaml cannot eat the laptop's memory.
MAX_YAML_BYTES = 1_000_000
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


def open_regular(path: Path, follow_links: bool = True) -> tuple[BinaryIO, int]:
    """Open an ordinary file for reading without ever blocking; return it and its size, or raise NotAFileError.

    A named pipe called x.jpg would make a plain open() wait forever for a writer, and a device would never end:
    such a path is refused from its status before it is opened, and again from the open file itself, in case it
    was swapped in between. With follow_links False a link is refused too (the file must really be here).
    Other OSErrors (missing, no permission) pass through for the caller to word.
    """
    try:
        mode = os.stat(path, follow_symlinks=follow_links).st_mode
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
    """The path as the user should see it: relative to the current folder when inside it."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)
    return str(path) if relative.startswith("..") else relative


def read_yaml_mapping(path: Path, allow_empty: bool = False) -> dict:
    """Load a YAML file that must hold a mapping of keys; raise YamlFileError saying what is wrong."""
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
    try:
        loaded = yaml.load(text, Loader=_BoundedLoader)  # noqa: S506 - a SafeLoader
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
