"""Blob files: immutable bodies named by random ids, never by user keys.

A blob is written to a temporary file, flushed to disk and renamed into place, so a crash leaves either
no blob or a whole one; a write the disk refuses (full, I/O error) removes the temporary file and raises
:class:`~pyflare.storage.errors.StorageError`. Whoever records the blob id (a metadata row) commits that row after the blob is
in place; blobs no row points to are removed by :meth:`BlobStore.collect_garbage` at the next start.

Every process with a store open holds a shared lock on the folder, and garbage is collected only by a
process that can take the lock alone: a ``pyflare r2 object put`` run beside ``pyflare dev`` never deletes
the half-written blob of the other.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from pyflare.storage.errors import storage_error
from pyflare.storage.locks import flock

CHUNK = 1 << 16
_BLOB_ID = re.compile(r"^[0-9a-f]{32}$")


class BlobStore:
    """A folder of immutable blob files (created with the first blob). ``shared``: other processes may open
    it too (a persist folder), so it is locked as the module says; a temporary store is this process's alone."""

    def __init__(self, folder: Path, *, shared: bool = True) -> None:
        self.folder = folder
        self._lock: BinaryIO | None = None
        if shared:
            folder.mkdir(parents=True, exist_ok=True)
            self._lock = open(folder.parent / f"{folder.name}.lock", "a+b")  # noqa: SIM115 - held until close()
            flock(self._lock, shared=True)
        self._folder_exists = shared

    def close(self) -> None:
        if self._lock is not None and not self._lock.closed:
            self._lock.close()  # releases the lock

    def path(self, blob_id: str) -> Path:
        if not _BLOB_ID.match(blob_id):
            raise ValueError(f"invalid blob id {blob_id!r}")
        return self.folder / blob_id

    @contextmanager
    def _writing(self) -> Iterator[tuple[str, BinaryIO]]:
        """A new blob's id and a file to write it to; sealed (fsynced, renamed) on success, removed on error."""
        blob_id = secrets.token_hex(16)
        if not self._folder_exists:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._folder_exists = True
        tmp = self.folder / f".tmp-{blob_id}"
        try:
            handle = open(tmp, "wb")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise _failure(exc) from exc
        try:
            yield blob_id, handle
            handle.flush()
            os.fsync(handle.fileno())
            handle.close()
            os.replace(tmp, self.path(blob_id))
        except BaseException as exc:
            with contextlib.suppress(OSError):  # closing flushes: on a full disk that fails too
                handle.close()
            tmp.unlink(missing_ok=True)
            if isinstance(exc, OSError):  # the disk failed (full, I/O): nothing of the blob is left
                raise _failure(exc) from exc
            raise

    def put_bytes(self, data: bytes) -> str:
        return self.put_chunks((data,))

    def put_chunks(self, chunks: Iterable[bytes]) -> str:
        with self._writing() as (blob_id, handle):
            for chunk in chunks:
                handle.write(chunk)
        return blob_id

    async def put_stream(self, chunks: AsyncIterable[bytes]) -> str:
        """Write an async stream to a new blob without holding it whole in memory."""
        with self._writing() as (blob_id, handle):
            async for chunk in chunks:
                handle.write(chunk)
        return blob_id

    def read(self, blob_id: str, offset: int = 0, length: int | None = None) -> bytes:
        with open(self.path(blob_id), "rb") as handle:
            handle.seek(offset)
            return handle.read() if length is None else handle.read(length)

    async def stream(self, blob_id: str, offset: int = 0, length: int | None = None) -> AsyncIterator[bytes]:
        """Yield a blob's bytes (or a range of them) in chunks."""
        with open(self.path(blob_id), "rb") as handle:
            handle.seek(offset)
            remaining = length
            while remaining is None or remaining > 0:
                chunk = handle.read(CHUNK if remaining is None else min(CHUNK, remaining))
                if not chunk:
                    break
                if remaining is not None:
                    remaining -= len(chunk)
                yield chunk

    def size(self, blob_id: str) -> int:
        return self.path(blob_id).stat().st_size

    def delete(self, blob_id: str) -> None:
        self.path(blob_id).unlink(missing_ok=True)

    def collect_garbage(self, referenced: set[str]) -> int:
        """Remove temporary files and blobs nothing refers to; returns how many were removed.

        Skipped (returns 0) while another process has this store open: its writes may be in flight."""
        if self._lock is None:
            return self._remove_unreferenced(referenced) if self._folder_exists else 0
        if not flock(self._lock, shared=False, wait=False):
            return 0
        try:
            return self._remove_unreferenced(referenced)
        finally:
            flock(self._lock, shared=True)

    def _remove_unreferenced(self, referenced: set[str]) -> int:
        removed = 0
        for entry in self.folder.iterdir():
            if entry.name.startswith(".tmp-") or (_BLOB_ID.match(entry.name) and entry.name not in referenced):
                entry.unlink(missing_ok=True)
                removed += 1
        return removed


def _failure(exc: OSError) -> BaseException:
    return storage_error(exc) or exc
