"""Which process hosts the live objects of a namespace when several processes share one state folder.

Each object must have exactly one live instance (its input gate, its in-memory state, its alarm), so among the
processes that use one state folder (``pyflare dev``, the CLI, test sessions with a persist folder) one *owns*
each namespace (``"<worker>-<Class>"``): it holds ``do/.owners/<namespace>.lock`` (``flock``, dropped by the
kernel when the process ends however it ends) and publishes beside it, in ``<namespace>.json`` (mode 0600),
how other processes reach it (its URL, instance id and token: :meth:`pyflare.peers.Peers.card`). The others
send their events there. When the owner stops or dies, the next process that needs the namespace takes the
lock and hosts it; every write the old owner acknowledged was committed to the object's SQLite file before
it was acknowledged, so nothing acknowledged is lost.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

from pyflare.storage import Storage, safe_name
from pyflare.storage.locks import FileLock

OWNERS = ".owners"


class NamespaceOwnership:
    """The ownership of one namespace in a state folder, from this process's side."""

    def __init__(self, storage: Storage, namespace: str) -> None:
        folder = storage.root / "do" / OWNERS
        stem = safe_name(namespace)
        self.namespace = namespace
        self.lock = FileLock(folder / f"{stem}.lock")
        self.card_path = folder / f"{stem}.json"

    @property
    def owned(self) -> bool:
        return self.lock.held

    def claim(self, card: dict[str, Any]) -> bool:
        """Own the namespace if nobody does (True), publishing ``card``; False while another process owns it."""
        if self.lock.held:
            return True
        if not self.lock.acquire(wait=False):
            return False
        partial = self.card_path.with_name(f".{self.card_path.name}.{os.getpid()}")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(card, handle)
        partial.replace(self.card_path)
        return True

    def owner(self) -> dict[str, Any] | None:
        """The card of the process that owns the namespace now (None if none does, or it is this one)."""
        if self.lock.held or not FileLock.held_elsewhere(self.lock.path):
            return None
        try:
            return dict(json.loads(self.card_path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            return None  # being written: the caller looks again

    def release(self) -> None:
        if self.lock.held:
            with contextlib.suppress(OSError):
                self.card_path.unlink()
            self.lock.release()


def owners_folder(root: Path) -> Path:
    return root / "do" / OWNERS
