"""Advisory file locks between processes that share a state folder (or a dev registry folder).

A :class:`FileLock` is an ``flock`` on a small file: the kernel drops it when the process that holds it exits,
however it exits (``kill -9`` included), so a lock never outlives its holder and nobody has to guess from
timestamps whether a holder is still alive. Locks are per open file, so two holders in one process exclude
each other as two processes do. On Windows (no ``flock``) every lock is granted at once: a state folder is then
safe for one process at a time only.

    lock = FileLock(folder / "queues.owner.lock")
    if lock.acquire(wait=False):      # True: held until release() (or exit)
        ...
    FileLock.held_elsewhere(path)     # is someone (not this handle) holding it?
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import BinaryIO

__all__ = ["FileLock", "flock"]


def flock(handle: BinaryIO, *, shared: bool = False, wait: bool = True) -> bool:
    """Take (or convert) an advisory lock on ``handle``; False if ``wait`` is off and it is held elsewhere."""
    if sys.platform == "win32":  # pragma: no cover - no flock; single-process use only
        return True
    import fcntl

    flags = (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | (0 if wait else fcntl.LOCK_NB)
    try:
        fcntl.flock(handle.fileno(), flags)
    except BlockingIOError:
        return False
    return True


class FileLock:
    """An exclusive (or shared) lock on ``path``, held from :meth:`acquire` until :meth:`release`."""

    def __init__(self, path: Path, *, shared: bool = False) -> None:
        self.path = path
        self.shared = shared
        self._handle: BinaryIO | None = None

    @property
    def held(self) -> bool:
        return self._handle is not None

    def acquire(self, *, wait: bool = False) -> bool:
        """Take the lock (True), or False when another holder has it and ``wait`` is off."""
        if self._handle is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+b")  # noqa: SIM115 - held until release()
        try:
            got = flock(handle, shared=self.shared, wait=wait)
        except BaseException:
            handle.close()
            raise
        if not got:
            handle.close()
            return False
        self._handle = handle
        return True

    def release(self) -> None:
        handle, self._handle = self._handle, None
        if handle is not None:
            handle.close()  # closing the file drops the lock

    def __enter__(self) -> FileLock:
        self.acquire(wait=True)
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    @staticmethod
    def held_elsewhere(path: Path) -> bool:
        """Does any holder (another process, or another handle of this one) have ``path`` locked?"""
        if sys.platform == "win32":  # pragma: no cover
            return False
        try:
            handle = open(path, "rb")  # noqa: SIM115 - closed below
        except FileNotFoundError:
            return False
        try:
            return not flock(handle, shared=True, wait=False)
        finally:
            handle.close()

    def __del__(self) -> None:  # a lock dropped without release() still frees its file descriptor
        if self._handle is not None:
            try:
                self._handle.close()
            except OSError:
                pass

