"""Storage roots: a persist folder or a temporary one, and safe file names inside them."""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import shutil
import tempfile
from pathlib import Path

from pyflare.storage.blobs import BlobStore
from pyflare.storage.locks import FileLock
from pyflare.storage.sqlite import Database

_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_PROCESS_ID = re.compile(r"^[0-9a-f]{16}$")
PROCESSES = ".processes"  # presence locks of the processes using a persist folder


def safe_name(name: str) -> str:
    """A file-name-safe form of a configured name (namespace id, bucket, database name).

    Ordinary names stay as they are, so a D1 database ``my-db`` is ``my-db.sqlite``; anything that could
    escape the folder or is not portable becomes a readable prefix plus a hash.
    """
    if _SAFE.match(name) and ".." not in name:
        return name
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    readable = re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_")[:40]
    return f"{readable}-{digest}" if readable else digest


def _memory_folder() -> str | None:
    """Where temporary storage goes: a RAM-backed folder (Linux's /dev/shm) when there is one, so a fresh
    per-test storage costs no disk writes or fsyncs; else the system's temporary folder.
    ``PYFLARE_TMPDIR`` overrides both."""
    chosen = os.environ.get("PYFLARE_TMPDIR")
    if chosen:
        return chosen
    shm = "/dev/shm"
    if os.path.isdir(shm) and os.access(shm, os.W_OK | os.X_OK):
        return shm
    return None


class Storage:
    """Where one pyflare instance keeps its state."""

    def __init__(self, root: str | Path | None = None, *, synchronous: str = "NORMAL") -> None:
        self.synchronous = synchronous
        if root is None:
            self.root = Path(tempfile.mkdtemp(prefix="pyflare-", dir=_memory_folder()))
            self.persistent = False
        else:
            self.root = Path(root).resolve()
            self.root.mkdir(parents=True, exist_ok=True)
            self.persistent = True
        self._databases: dict[Path, Database] = {}
        self._blob_stores: dict[Path, BlobStore] = {}
        # This process among those sharing the folder: an id, and a lock held while it runs (see alive()).
        self.process_id = secrets.token_hex(8)
        self._presence: FileLock | None = None

    def folder(self, plugin: str, *names: str) -> Path:
        """A folder under the root for ``plugin`` (e.g. ``kv``), created on demand."""
        path = self.root.joinpath(safe_name(plugin), *(safe_name(n) for n in names))
        path.mkdir(parents=True, exist_ok=True)
        return path

    def database(
        self, plugin: str, name: str, *, file_name: str | None = None, folder: str | None = None,
        listed: bool = False,
    ) -> Database:
        """The SQLite database ``<root>/<plugin>/[<folder>/]<name>.sqlite`` (one connection per file, reused).

        ``listed``: its file must exist from its first use even in temporary storage, where a new database lives
        in memory (the object layer finds objects by their files); other temporary databases have no file."""
        path = self.database_path(plugin, name, file_name=file_name, folder=folder)
        db = self._databases.get(path)
        if db is None:
            if self.persistent or listed:
                path.parent.mkdir(parents=True, exist_ok=True)
            db = self._databases[path] = Database(path, synchronous=self.synchronous, durable=self.persistent,
                                                  listed=listed)
        return db

    def database_path(
        self, plugin: str, name: str, *, file_name: str | None = None, folder: str | None = None
    ) -> Path:
        """Where :meth:`database` keeps that database (nothing is created)."""
        parts = [safe_name(plugin)] + ([safe_name(folder)] if folder is not None else [])
        return self.root.joinpath(*parts, f"{safe_name(file_name or name)}.sqlite")

    def release_database(self, db: Database, *, delete: bool = False) -> None:
        """Close ``db`` (a later :meth:`database` call reopens it); ``delete`` also removes its files."""
        if self._databases.get(db.path) is db:
            del self._databases[db.path]
        db.close(keep=not delete)
        if delete:
            for suffix in ("", "-wal", "-shm", "-journal"):
                db.path.with_name(db.path.name + suffix).unlink(missing_ok=True)

    def blobs(self, plugin: str, name: str) -> BlobStore:
        """The blob store ``<root>/<plugin>/<name>/blobs``."""
        path = self.root.joinpath(safe_name(plugin), safe_name(name), "blobs")
        store = self._blob_stores.get(path)
        if store is None:
            store = self._blob_stores[path] = BlobStore(path, shared=self.persistent)
        return store

    # -- other processes using this folder --------------------------------------------------------------
    def announce_presence(self) -> str:
        """Hold this process's presence lock (``<root>/.processes/<id>.lock``) until :meth:`close`, so others
        can tell whether what it leased (queue messages in flight...) is still being worked on; returns the id."""
        if self._presence is None and self.persistent:
            self._presence = FileLock(self.root / PROCESSES / f"{self.process_id}.lock")
            self._presence.acquire(wait=False)
        return self.process_id

    def alive(self, process_id: str) -> bool:
        """Is the process that announced ``process_id`` still running (on this machine)?"""
        if process_id == self.process_id or not self.persistent:
            return True
        if not _PROCESS_ID.match(process_id):
            return False
        return FileLock.held_elsewhere(self.root / PROCESSES / f"{process_id}.lock")

    def close(self) -> None:
        if self._presence is not None:
            self._presence.release()
            (self.root / PROCESSES / f"{self.process_id}.lock").unlink(missing_ok=True)
            self._presence = None
        for db in self._databases.values():
            db.close(keep=self.persistent)
        for store in self._blob_stores.values():
            store.close()
        self._databases.clear()
        self._blob_stores.clear()
        if not self.persistent:
            shutil.rmtree(self.root, ignore_errors=True)
