"""The dev registry: a folder where ``pyflare dev`` processes on one machine announce their workers.

As wrangler's (``~/.wrangler/registry``, ``WRANGLER_REGISTRY_PATH``; Miniflare's ``shared/dev-registry.ts``),
each process writes one JSON file per worker it serves, named after the worker, saying how to reach it.
pyflare's folder is ``$PYFLARE_REGISTRY_PATH``, else ``$XDG_CONFIG_HOME/pyflare/registry`` (``~/.config/
pyflare/registry``); ``pyflare dev --registry-dir DIR`` chooses another.

- ``<name>.json``: ``{"name", "url", "instance", "pid", "queues": [...], "classes": [...], "workflows": {...},
  "state": "<state folder>"}``, written atomically (a temporary file renamed into place).
- ``<name>.lock``: held (``flock``) by the process that serves the worker for as long as it runs. wrangler tells
  live entries from stale ones by a heartbeat (files touched every 10 s, dropped after 90 s unchanged); a lock
  the kernel drops when its holder exits is exact: a worker killed with ``kill -9`` is gone from the registry
  at once, and a restarted one is back as soon as it writes its file. A reader that finds a file whose lock
  is free removes it (after taking the lock, so it never races a process registering).
- ``secret``: 32 random bytes (hex), created once with mode 0600 in a folder of mode 0700. Calls between
  processes carry it, so only processes that can read the folder (the same user) can call each other.

A worker name another live process has registered is not taken over: the second process serves it locally
but is not reachable from the registry, and logs why (wrangler's rule too).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyflare.storage import safe_name
from pyflare.storage.locks import FileLock

ENV_VARIABLE = "PYFLARE_REGISTRY_PATH"
SECRET_FILE = "secret"
FORMAT = 1


def default_registry_path() -> Path:
    """``$PYFLARE_REGISTRY_PATH``, else ``$XDG_CONFIG_HOME/pyflare/registry`` (``~/.config/pyflare/registry``)."""
    chosen = os.environ.get(ENV_VARIABLE)
    if chosen:
        return Path(chosen).expanduser().resolve()
    config_home = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config_home).expanduser().resolve() / "pyflare" / "registry"


@dataclass(frozen=True)
class WorkerEntry:
    """One registered worker: where its process answers and what it serves."""

    name: str
    url: str
    instance: str
    pid: int = 0
    queues: tuple[str, ...] = ()  # queues whose consumer this worker is
    classes: tuple[str, ...] = ()  # Durable Object classes it hosts
    workflows: tuple[tuple[str, str], ...] = ()  # (workflow name, class name) it runs
    entrypoints: tuple[str, ...] = ()  # named WorkerEntrypoint classes it exports
    state: str = ""  # its state folder ("" if temporary)
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def to_json(self) -> str:
        return json.dumps({
            "format": FORMAT, "name": self.name, "url": self.url, "instance": self.instance, "pid": self.pid,
            "queues": list(self.queues), "classes": list(self.classes),
            "workflows": {name: cls for name, cls in self.workflows}, "entrypoints": list(self.entrypoints),
            "state": self.state,
        }, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> WorkerEntry | None:
        try:
            data = json.loads(text)
            return cls(
                name=str(data["name"]), url=str(data["url"]), instance=str(data["instance"]),
                pid=int(data.get("pid") or 0), queues=tuple(str(q) for q in data.get("queues") or ()),
                classes=tuple(str(c) for c in data.get("classes") or ()),
                workflows=tuple((str(k), str(v)) for k, v in (data.get("workflows") or {}).items()),
                entrypoints=tuple(str(e) for e in data.get("entrypoints") or ()), state=str(data.get("state") or ""),
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            return None


class RegistryFolder:
    """The registry folder: its secret, the entries of live workers, and this process's own entries."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._locks: dict[str, FileLock] = {}  # our own entries' locks, by worker name

    def ensure(self) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(OSError):
            os.chmod(self.path, 0o700)

    def secret(self) -> str:
        """The registry's shared secret, created on first use (mode 0600)."""
        self.ensure()
        path = self.path / SECRET_FILE
        try:
            text = path.read_text(encoding="ascii").strip()
            if text:
                return text
        except FileNotFoundError:
            pass
        value = secrets.token_hex(32)
        partial = self.path / f".{SECRET_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(value)
        try:
            os.link(partial, path)  # fails if another process made it first: then theirs is the secret
        except FileExistsError:
            pass
        finally:
            partial.unlink(missing_ok=True)
        return path.read_text(encoding="ascii").strip()

    def _files(self, name: str) -> tuple[Path, Path]:
        stem = safe_name(name)
        return self.path / f"{stem}.json", self.path / f"{stem}.lock"

    # -- our own entries -----------------------------------------------------------------------------
    def register(self, entry: WorkerEntry) -> bool:
        """Announce ``entry``; False if another live process has registered a worker of that name."""
        self.ensure()
        entry_path, lock_path = self._files(entry.name)
        lock = self._locks.get(entry.name)
        if lock is None:
            lock = FileLock(lock_path)
            if not lock.acquire(wait=False):
                return False
            self._locks[entry.name] = lock
        partial = entry_path.with_name(f".{entry_path.name}.{os.getpid()}")
        partial.write_text(entry.to_json(), encoding="utf-8")
        partial.replace(entry_path)
        return True

    def unregister(self, name: str) -> None:
        """Withdraw our entry (its file first, then the lock, so nobody sees a file with a free lock)."""
        lock = self._locks.pop(name, None)
        if lock is None:
            return
        entry_path, _ = self._files(name)
        entry_path.unlink(missing_ok=True)
        lock.release()

    def unregister_all(self) -> None:
        for name in list(self._locks):
            self.unregister(name)

    def owns(self, name: str) -> bool:
        return name in self._locks

    # -- everyone's entries ----------------------------------------------------------------------------
    def entries(self) -> dict[str, WorkerEntry]:
        """The live workers, by name. Files of dead processes are removed on the way."""
        found: dict[str, WorkerEntry] = {}
        try:
            names = os.listdir(self.path)
        except FileNotFoundError:
            return found
        for file_name in names:
            if not file_name.endswith(".json") or file_name.startswith("."):
                continue
            entry_path = self.path / file_name
            try:
                entry = WorkerEntry.from_json(entry_path.read_text(encoding="utf-8"))
            except OSError:
                continue
            if entry is None:
                continue
            lock_path = entry_path.with_suffix(".lock")
            if entry.name in self._locks or FileLock.held_elsewhere(lock_path):
                found[entry.name] = entry
            else:
                self._remove_stale(entry_path, lock_path)
        return found

    @staticmethod
    def _remove_stale(entry_path: Path, lock_path: Path) -> None:
        lock = FileLock(lock_path)
        if lock.acquire(wait=False):  # nobody is registering it right now
            try:
                entry_path.unlink(missing_ok=True)
            finally:
                lock.release()
