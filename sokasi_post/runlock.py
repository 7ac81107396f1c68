"""One publishing run at a time per state folder, with a lock the operating system drops when a run dies."""

from __future__ import annotations

import os
from pathlib import Path

LOCK_FILE = "publish.lock"

try:  # POSIX
    import fcntl

    def _try_lock(descriptor: int) -> bool:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

except ImportError:  # Windows
    import msvcrt

    def _try_lock(descriptor: int) -> bool:
        try:
            msvcrt.locking(descriptor, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True


class RunLock:
    """A held lock on state_dir/publish.lock; released by `release`, or by the system when the process ends.

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
        os.write(descriptor, str(os.getpid()).encode())
        return cls(descriptor)

    def release(self) -> None:
        os.close(self.descriptor)  # closing drops the lock
