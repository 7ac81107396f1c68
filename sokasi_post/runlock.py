"""One publishing run at a time per state folder, with a lock the operating system drops when a run dies."""

from __future__ import annotations

import contextlib
import os
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

LOCK_FILE = "publish.lock"
# A run holding the lock longer than this is stuck (a hung upload, a file that blocks): the next run and
# `status` say so instead of quietly doing nothing. Ten Instagram posts with pauses take well under an hour.
STUCK_AFTER = timedelta(hours=2)

if sys.platform == "win32":
    import msvcrt

    def _try_lock(descriptor: int, shared: bool = False) -> bool:
        """Lock the file's first byte at once, or False when another process has it (Windows has no shared lock)."""
        try:
            msvcrt.locking(descriptor, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

else:  # POSIX
    import fcntl

    def _try_lock(descriptor: int, shared: bool = False) -> bool:
        """Lock the file at once (shared: only to look whether someone holds it), or False when another process has it."""
        try:
            fcntl.flock(descriptor, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True


@dataclass(frozen=True)
class Holder:
    """The run that holds the lock: its process id and when it started."""

    pid: int
    started: datetime

    def stuck(self, now: datetime) -> bool:
        """True when it has held the lock for longer than any healthy run takes."""
        return now - self.started > STUCK_AFTER


class RunLock:
    """A held lock on state_dir/publish.lock; released by `release` (or at the end of a `with` block), or by the
    system when the process ends.

    The lock is on the open file, not the file's existence, so a run killed with SIGKILL (or a laptop
    switched off) never leaves a lock behind that blocks the next run.
    """

    def __init__(self, descriptor: int):
        self.descriptor = descriptor

    @classmethod
    def try_acquire(cls, state_dir: Path) -> RunLock | None:
        """The lock, or None at once when another run holds it (never waits)."""
        state_dir.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(state_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        if not _try_lock(descriptor):
            os.close(descriptor)
            return None
        os.ftruncate(descriptor, 0)
        os.write(descriptor, f"{os.getpid()} {datetime.now(UTC).isoformat(timespec='seconds')}".encode())
        return cls(descriptor)

    @staticmethod
    def holder(state_dir: Path) -> Holder | None:
        """Who holds the lock now, or None when nobody does (or it cannot be told). Writes nothing."""
        with contextlib.suppress(OSError, ValueError, IndexError):
            descriptor = os.open(state_dir / LOCK_FILE, os.O_RDONLY)
            try:
                if _try_lock(descriptor, shared=True):
                    return None  # nobody holds it (our look-in lock goes with the descriptor)
                pid, started = os.read(descriptor, 100).decode("ascii").split()[:2]
            finally:
                os.close(descriptor)
            return Holder(int(pid), datetime.fromisoformat(started))
        return None

    def release(self) -> None:
        """Let the next run in."""
        os.close(self.descriptor)  # closing drops the lock

    def __enter__(self) -> RunLock:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()
