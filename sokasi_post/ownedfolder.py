"""A folder the tool writes whole (the preview, the site): claimed by the marker it keeps there, its files written
through a new file renamed into place, and only what it wrote removed, only while still as it wrote it."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import tempfile
from pathlib import Path

from sokasi_post.errors import UsageError
from sokasi_post.yamlfile import NotAFileError, open_regular

MAX_MARKER_BYTES = 10_000_000  # a marker lists a few thousand files at most; anything far bigger is not ours


def claim(folder: Path, marker: str, refuse: UsageError) -> object:
    """What the marker file `marker` in `folder` holds (parsed JSON, or None when unreadable); {} for a new or empty
    folder (made when missing). `refuse` is raised when the folder holds files but no marker: it is someone else's."""
    if not folder.exists() and not folder.is_symlink():
        folder.mkdir(parents=True)
        return {}
    if not folder.is_dir():
        raise refuse
    try:
        handle, size = open_regular(folder / marker, follow_links=False)
    except FileNotFoundError:
        if any(folder.iterdir()):
            raise refuse from None
        return {}
    except NotAFileError:
        raise refuse from None
    with handle:
        text = handle.read(MAX_MARKER_BYTES).decode("utf-8", "replace") if size <= MAX_MARKER_BYTES else ""
    try:
        return json.loads(text)
    except ValueError:
        return None


def write_atomically(path: Path, data: bytes, mode: int | None = None) -> None:
    """Write `path` through a new file in its folder renamed into place: never half a file, never through a link
    someone put at `path`. `mode`: the new file's permissions (mkstemp makes it private)."""
    descriptor, temporary = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        if mode is not None:
            os.chmod(temporary, mode)  # noqa: PTH101 - the path mkstemp gave, as a string
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def unchanged(path: Path, digest: str) -> bool:
    """True when `path` is an ordinary file (not a link) still holding exactly what was written (its sha256)."""
    try:
        if not stat.S_ISREG(path.lstat().st_mode):
            return False
        handle, _size = open_regular(path, follow_links=False)
    except OSError:
        return False
    with handle:
        found = hashlib.sha256()
        while chunk := handle.read(1 << 20):
            found.update(chunk)
    return found.hexdigest() == digest
