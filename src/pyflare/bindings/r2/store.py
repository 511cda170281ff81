"""One bucket's state and semantics: SQLite rows pointing at immutable blobs.

Layout (``<state>/r2/<bucket>.sqlite`` + ``<state>/r2/<bucket>/blobs/``):

- ``objects``: one row per key (the key is stored as its UTF-8 bytes, so keys are data and sort as R2
  sorts them). A single-part object points at one blob; a completed multipart object has no blob and
  owns the ``multipart_parts`` rows whose ``object_version`` is its version, read in part order.
- ``multipart_uploads``: every upload ever created with its state (in progress, completed, aborted),
  so ``abort()`` stays idempotent and completed/aborted uploads report NoSuchUpload.
- ``multipart_parts``: uploaded parts (in-progress ones have ``object_version`` NULL).
- ``bucket``: facts about the bucket itself (``created``: when it was first stored).

Durability: a value is streamed into a new blob (hashed as it goes by, never held whole), the blob is
fsynced and renamed into place, and only then is the row that points at it committed. Replaced blobs
are deleted after the commit. A crash therefore leaves the old object or the new one, and any blob no
row points to is removed by :meth:`BucketStore.collect_garbage` at the next start.

Readers lease the blobs they will stream; a blob deleted while leased is removed when released.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import secrets
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pyflare.bindings.r2 import constants as C
from pyflare.bindings.r2 import errors
from pyflare.bindings.r2.validation import Conditional, condition_holds, decode_key
from pyflare.kernel.clock import Clock
from pyflare.storage import BlobStore, Database, retrying
from pyflare.workers import ReadableStream

READ_CHUNK = 1 << 20  # 1 MiB per read when streaming a body
WRITE_CHUNK = 1 << 20  # bytes values are written in 1 MiB slices

SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    key BLOB PRIMARY KEY,
    blob_id TEXT,
    version TEXT NOT NULL,
    size INTEGER NOT NULL,
    etag TEXT NOT NULL,
    uploaded INTEGER NOT NULL,
    checksums TEXT NOT NULL,
    http_metadata TEXT NOT NULL,
    custom_metadata TEXT NOT NULL,
    storage_class TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS multipart_uploads (
    upload_id TEXT PRIMARY KEY,
    key BLOB NOT NULL,
    http_metadata TEXT NOT NULL,
    custom_metadata TEXT NOT NULL,
    storage_class TEXT NOT NULL,
    state INTEGER NOT NULL,
    created INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS multipart_parts (
    upload_id TEXT NOT NULL,
    part_number INTEGER NOT NULL,
    blob_id TEXT NOT NULL,
    size INTEGER NOT NULL,
    etag TEXT NOT NULL,
    checksum_md5 TEXT NOT NULL,
    object_version TEXT,
    PRIMARY KEY (upload_id, part_number)
);
CREATE INDEX IF NOT EXISTS multipart_parts_by_object ON multipart_parts (object_version);
CREATE TABLE IF NOT EXISTS bucket (
    name TEXT PRIMARY KEY,       -- 'created': when the bucket was first stored (ms since the epoch)
    value INTEGER NOT NULL
);
"""

_OBJECT_COLUMNS = (
    "key, blob_id, version, size, etag, uploaded, checksums, http_metadata, custom_metadata, storage_class"
)


@dataclass
class ObjectRecord:
    """One stored object's metadata (http metadata keeps cacheExpiry as epoch ms)."""

    key: str
    blob_id: str | None
    version: str
    size: int
    etag: str
    uploaded: int
    checksums: dict[str, str]
    http_metadata: dict[str, Any]
    custom_metadata: dict[str, str]
    storage_class: str = C.STORAGE_CLASS

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> ObjectRecord:
        return cls(
            key=decode_key(row[0]),
            blob_id=row[1],
            version=row[2],
            size=row[3],
            etag=row[4],
            uploaded=row[5],
            checksums=_stored_dict(row[6]),
            http_metadata=_stored_dict(row[7]),
            custom_metadata=_stored_dict(row[8]),
            storage_class=row[9],
        )


def _stored_dict(text: Any) -> dict[str, Any]:
    """A JSON column read defensively: whatever is in the file, reading an object never raises."""
    try:
        value = json.loads(text)
    except (TypeError, ValueError, RecursionError):
        return {}
    return value if isinstance(value, dict) else {}


@dataclass
class Segment:
    """A slice of one blob that is part of a body."""

    blob_id: str
    offset: int
    length: int


@dataclass
class ListPage:
    objects: list[ObjectRecord] = field(default_factory=list)
    prefixes: list[str] = field(default_factory=list)
    cursor: str | None = None


def encode_cursor(after: bytes) -> str:
    return base64.urlsafe_b64encode(after).decode("ascii")


def decode_cursor(cursor: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(cursor.encode("ascii") + b"=" * (-len(cursor) % 4))
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise errors.InvalidArgument("list", "Invalid cursor.") from None


def prefix_end(prefix: bytes) -> bytes | None:
    """The smallest byte string greater than every string starting with ``prefix`` (None: no bound)."""
    trimmed = prefix.rstrip(b"\xff")
    if not trimmed:
        return None
    return trimmed[:-1] + bytes([trimmed[-1] + 1])


def multipart_etag(md5_hexes: Iterable[str]) -> str:
    hexes = list(md5_hexes)
    digest = hashlib.md5()
    for md5_hex in hexes:
        digest.update(bytes.fromhex(md5_hex))
    return f"{digest.hexdigest()}-{len(hexes)}"


class _Hashing:
    """Wraps a byte stream: counts, hashes and enforces the size limit as chunks go by."""

    def __init__(self, method: str, chunks: AsyncIterator[bytes], algorithms: Sequence[str], limit: int) -> None:
        self.method = method
        self.chunks = chunks
        self.hashes = {name: hashlib.new(name) for name in algorithms}
        self.limit = limit
        self.size = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self.chunks:
            if not chunk:
                continue
            self.size += len(chunk)
            if self.size > self.limit:
                raise errors.EntityTooLarge(self.method)
            for h in self.hashes.values():
                h.update(chunk)
            yield chunk

    def digest(self, name: str) -> bytes:
        return self.hashes[name].digest()


class BodyStream(ReadableStream):
    """An object's bytes (or a range of them) read lazily from its blobs, chunk by chunk.

    The blobs are leased from the store when the stream is made and released once it is exhausted,
    closed, or garbage collected, so a concurrent overwrite never pulls a file from under a reader.
    """

    def __init__(self, store: BucketStore, segments: list[Segment]) -> None:
        self._store = store
        self._segments = segments
        self._index = 0
        self._handle: Any = None
        self._remaining = 0
        self._released = False
        self.disturbed = False  # set once reading starts, as a ReadableStream's "disturbed" flag
        self.length = sum(segment.length for segment in segments)  # lets a Response send Content-Length
        for segment in segments:
            store._lease(segment.blob_id)

    def __aiter__(self) -> BodyStream:
        return self

    async def __anext__(self) -> bytes:
        self.disturbed = True
        while True:
            if self._handle is None:
                if self._index >= len(self._segments):
                    self._release()
                    raise StopAsyncIteration
                segment = self._segments[self._index]
                self._handle = open(self._store.blobs.path(segment.blob_id), "rb")  # noqa: SIM115
                self._handle.seek(segment.offset)
                self._remaining = segment.length
            chunk = self._handle.read(min(READ_CHUNK, self._remaining)) if self._remaining else b""
            if chunk:
                self._remaining -= len(chunk)
                return chunk
            self._handle.close()
            self._handle = None
            self._store._release(self._segments[self._index].blob_id)
            self._index += 1

    async def aclose(self) -> None:
        self.disturbed = True
        self._release()

    def _release(self) -> None:
        if self._released:
            return
        self._released = True
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        for segment in self._segments[self._index :]:
            self._store._release(segment.blob_id)
        self._index = len(self._segments)

    def __del__(self) -> None:
        try:
            self._release()
        except Exception:  # interpreter shutdown
            pass


class BucketStore:
    """The semantics of one R2 bucket over its database and blob store."""

    def __init__(self, db: Database, blobs: BlobStore, clock: Clock) -> None:
        self.db = db
        self.blobs = blobs
        self.clock = clock
        # Limits are attributes so tests can shrink them (a 5 GiB object is not a unit test).
        self.max_value_size = C.MAX_VALUE_SIZE
        self.min_part_size = C.MIN_PART_SIZE
        self._leases: Counter[str] = Counter()
        self._doomed: set[str] = set()
        self.db.executescript(SCHEMA)
        # The bucket is created here the first time its store opens (Cloudflare: when it is created).
        self.db.blocking(self.db.execute, "INSERT OR IGNORE INTO bucket (name, value) VALUES ('created', ?)",
                         (clock.time_ms(),))  # another process may be opening the bucket too
        self._created_ms: int | None = None

    @property
    def created_ms(self) -> int:
        """When the bucket was created (ms since the epoch, on pyflare's clock)."""
        if self._created_ms is None:
            self._created_ms = int(self.db.one("SELECT value FROM bucket WHERE name = 'created'")[0])  # type: ignore[index]
        return self._created_ms

    # -- blob bookkeeping -----------------------------------------------------------------------
    def _lease(self, blob_id: str) -> None:
        self._leases[blob_id] += 1

    def _release(self, blob_id: str) -> None:
        self._leases[blob_id] -= 1
        if self._leases[blob_id] <= 0:
            del self._leases[blob_id]
            if blob_id in self._doomed:
                self._doomed.discard(blob_id)
                self.blobs.delete(blob_id)

    def _discard(self, blob_ids: Iterable[str]) -> None:
        """Delete blobs no row points to any more (after the commit that dropped them)."""
        for blob_id in blob_ids:
            if self._leases.get(blob_id):
                self._doomed.add(blob_id)
            else:
                self.blobs.delete(blob_id)

    def referenced_blobs(self) -> set[str]:
        rows = self.db.all(
            "SELECT blob_id FROM objects WHERE blob_id IS NOT NULL UNION SELECT blob_id FROM multipart_parts"
        )
        return {row[0] for row in rows}

    def collect_garbage(self) -> int:
        """Remove blobs no row refers to (left by a crash mid-put or mid-overwrite)."""
        return self.blobs.collect_garbage(self.referenced_blobs())

    async def _ingest(
        self, method: str, chunks: AsyncIterator[bytes], algorithms: Sequence[str]
    ) -> tuple[str, _Hashing]:
        hashing = _Hashing(method, chunks, algorithms, self.max_value_size)
        blob_id = await self.blobs.put_stream(hashing.__aiter__())
        return blob_id, hashing

    # -- reads ----------------------------------------------------------------------------------
    def _row(self, key: bytes) -> ObjectRecord | None:
        row = self.db.one(f"SELECT {_OBJECT_COLUMNS} FROM objects WHERE key = ?", (key,))
        return ObjectRecord.from_row(row) if row else None

    def head_now(self, key: bytes) -> ObjectRecord | None:
        return self._row(key)

    def segments(self, record: ObjectRecord, offset: int, length: int) -> list[Segment]:
        """The blob slices holding ``length`` bytes from ``offset`` (several for a multipart object)."""
        if record.blob_id is not None:
            return [Segment(record.blob_id, offset, length)] if length else []
        parts = self.db.all(
            "SELECT blob_id, size FROM multipart_parts WHERE object_version = ? ORDER BY part_number",
            (record.version,),
        )
        result: list[Segment] = []
        start, end = offset, offset + length
        position = 0
        for blob_id, size in parts:
            part_start, part_end = position, position + size
            position = part_end
            if part_end <= start or part_start >= end or size == 0:
                continue
            lo, hi = max(start, part_start), min(end, part_end)
            result.append(Segment(blob_id, lo - part_start, hi - lo))
        return result

    def open_body_now(self, record: ObjectRecord, offset: int, length: int) -> BodyStream:
        return BodyStream(self, self.segments(record, offset, length))

    def list_now(
        self,
        *,
        prefix: bytes,
        delimiter: bytes | None,
        start_after: bytes | None,
        limit: int,
    ) -> ListPage:
        """Objects and delimited prefixes in key order after ``start_after``, at most ``limit`` of them."""
        upper = prefix_end(prefix)
        items: list[tuple[bytes, ObjectRecord | str]] = []  # (position to resume after, item)
        position = start_after if start_after is not None and start_after >= prefix else None
        more = False
        while not more:
            where, params = ["key >= ?"], [prefix]
            if position is not None:
                where.append("key > ?")
                params.append(position)
            if upper is not None:
                where.append("key < ?")
                params.append(upper)
            batch = limit + 1 - len(items)
            rows = self.db.all(
                f"SELECT {_OBJECT_COLUMNS} FROM objects WHERE {' AND '.join(where)} ORDER BY key LIMIT ?",
                (*params, batch),
            )
            if not rows:
                break
            jumped = False
            for row in rows:
                raw: bytes = row[0]
                if len(items) == limit:
                    more = True
                    break
                if delimiter:
                    found = raw.find(delimiter, len(prefix))
                    if found >= 0:
                        common = raw[: found + len(delimiter)]
                        # 0xff never occurs in UTF-8, so this sorts after every key under ``common``.
                        position = common + b"\xff"
                        items.append((position, decode_key(common)))
                        jumped = True
                        break
                position = raw
                items.append((raw, ObjectRecord.from_row(row)))
            if not jumped and len(rows) < batch:
                break
        page = ListPage()
        for _, item in items:
            if isinstance(item, str):
                page.prefixes.append(item)
            else:
                page.objects.append(item)
        if more:
            page.cursor = encode_cursor(items[-1][0])
        return page

    # -- writes ---------------------------------------------------------------------------------
    def _drop_object(self, key: bytes) -> list[str]:
        """Delete a key's row (inside a transaction); returns the blob ids it owned."""
        row = self.db.one("SELECT blob_id, version FROM objects WHERE key = ?", (key,))
        if row is None:
            return []
        self.db.execute("DELETE FROM objects WHERE key = ?", (key,))
        if row[0] is not None:
            return [row[0]]
        parts = self.db.all("SELECT blob_id FROM multipart_parts WHERE object_version = ?", (row[1],))
        self.db.execute("DELETE FROM multipart_parts WHERE object_version = ?", (row[1],))
        return [p[0] for p in parts]

    def _insert(self, key: bytes, record: ObjectRecord) -> None:
        self.db.execute(
            f"INSERT INTO objects ({_OBJECT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                key,
                record.blob_id,
                record.version,
                record.size,
                record.etag,
                record.uploaded,
                json.dumps(record.checksums),
                json.dumps(record.http_metadata),
                json.dumps(record.custom_metadata),
                record.storage_class,
            ),
        )

    async def put(
        self,
        key: bytes,
        chunks: AsyncIterator[bytes],
        *,
        http_metadata: dict[str, Any],
        custom_metadata: dict[str, str],
        checksum: tuple[str, str, str, bytes] | None,
        only_if: Conditional | None,
        storage_class: str,
    ) -> ObjectRecord | None:
        """Store a value; None when ``only_if`` does not hold (nothing is changed then)."""
        if only_if is not None:  # fail fast before reading the value; checked again at commit
            current = await self.db.run(self._row, key)
            if not condition_holds(only_if, current and current.etag, current and current.uploaded):
                return None
        algorithms = ["md5"] + ([checksum[1]] if checksum and checksum[1] != "md5" else [])
        blob_id, hashing = await self._ingest("put", chunks, algorithms)
        try:
            checksums = {"md5": hashing.digest("md5").hex()}
            if checksum is not None:
                field_name, algorithm, display, expected = checksum
                actual = hashing.digest(algorithm)
                if actual != expected:
                    raise errors.BadDigest("put", display, expected, actual)
                checksums[field_name] = actual.hex()
            record = ObjectRecord(
                key=decode_key(key),
                blob_id=blob_id,
                version=secrets.token_hex(16),
                size=hashing.size,
                etag=checksums["md5"],
                uploaded=self.clock.time_ms(),
                checksums=checksums,
                http_metadata=http_metadata,
                custom_metadata=custom_metadata,
                storage_class=storage_class,
            )
            old = await self.db.run(self._commit_put, key, record, only_if)
        except _ConditionFailed:
            self.blobs.delete(blob_id)
            return None
        except BaseException:
            self.blobs.delete(blob_id)
            raise
        self._discard(old)
        return record

    def _commit_put(self, key: bytes, record: ObjectRecord, only_if: Conditional | None) -> list[str]:
        """Point ``key`` at the new object in one transaction; returns the blob ids it replaced."""
        with self.db.transaction():
            if only_if is not None:
                current = self._row(key)
                if not condition_holds(only_if, current and current.etag, current and current.uploaded):
                    raise _ConditionFailed
            old = self._drop_object(key)
            self._insert(key, record)
        return old

    def delete_now(self, keys: Sequence[bytes]) -> None:
        old: list[str] = []
        with self.db.transaction():
            for key in keys:
                old.extend(self._drop_object(key))
        self._discard(old)

    # -- multipart ------------------------------------------------------------------------------
    def create_upload_now(
        self, key: bytes, http_metadata: dict[str, Any], custom_metadata: dict[str, str], storage_class: str
    ) -> str:
        upload_id = secrets.token_urlsafe(64)
        with self.db.transaction():
            self.db.execute(
                "INSERT INTO multipart_uploads (upload_id, key, http_metadata, custom_metadata, storage_class,"
                " state, created) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    upload_id,
                    key,
                    json.dumps(http_metadata),
                    json.dumps(custom_metadata),
                    storage_class,
                    C.UPLOAD_IN_PROGRESS,
                    self.clock.time_ms(),
                ),
            )
        return upload_id

    def _upload(self, key: bytes, upload_id: str) -> tuple[Any, ...] | None:
        return self.db.one(
            "SELECT state, http_metadata, custom_metadata, storage_class FROM multipart_uploads"
            " WHERE upload_id = ? AND key = ?",
            (upload_id, key),
        )

    async def upload_part(self, key: bytes, upload_id: str, part_number: int, chunks: AsyncIterator[bytes]) -> str:
        """Store one part (replacing an earlier upload of the same number); returns its etag."""
        upload = await self.db.run(self._upload, key, upload_id)
        if upload is None or upload[0] != C.UPLOAD_IN_PROGRESS:
            raise errors.NoSuchUpload("uploadPart")
        blob_id, hashing = await self._ingest("uploadPart", chunks, ["md5"])
        etag = secrets.token_hex(16)
        try:
            old = await self.db.run(
                self._commit_part, key, upload_id, part_number, blob_id, hashing.size, etag,
                hashing.digest("md5").hex(),
            )
        except BaseException:
            self.blobs.delete(blob_id)
            raise
        self._discard(old)
        return etag

    def _commit_part(
        self, key: bytes, upload_id: str, part_number: int, blob_id: str, size: int, etag: str, md5: str
    ) -> list[str]:
        """Record an uploaded part in one transaction; returns the blob id of a part it replaced."""
        old: list[str] = []
        with self.db.transaction():
            upload = self._upload(key, upload_id)
            if upload is None or upload[0] != C.UPLOAD_IN_PROGRESS:
                raise errors.NoSuchUpload("uploadPart")
            previous = self.db.one(
                "SELECT blob_id FROM multipart_parts WHERE upload_id = ? AND part_number = ?",
                (upload_id, part_number),
            )
            if previous:
                old.append(previous[0])
            self.db.execute(
                "INSERT OR REPLACE INTO multipart_parts (upload_id, part_number, blob_id, size, etag,"
                " checksum_md5, object_version) VALUES (?, ?, ?, ?, ?, ?, NULL)",
                (upload_id, part_number, blob_id, size, etag, md5),
            )
        return old

    def complete_upload_now(self, key: bytes, upload_id: str, selected: Sequence[tuple[int, str]]) -> ObjectRecord:
        method = "completeMultipartUpload"
        old: list[str] = []
        with self.db.transaction():
            upload = self._upload(key, upload_id)
            if upload is None or upload[0] != C.UPLOAD_IN_PROGRESS:
                raise errors.NoSuchUpload(method)
            numbers = [number for number, _ in selected]
            if len(set(numbers)) != len(numbers):
                raise errors.InternalError(method)
            uploaded = {
                row[0]: row
                for row in self.db.all(
                    "SELECT part_number, size, etag, checksum_md5 FROM multipart_parts WHERE upload_id = ?",
                    (upload_id,),
                )
            }
            parts = []
            for number, etag in selected:
                row = uploaded.get(number)
                if row is None or row[2] != etag:
                    raise errors.InvalidPart(method)
                parts.append(row)
            # Every part but the last (in the order given) must reach the minimum size...
            for row in parts[:-1]:
                if row[1] < self.min_part_size:
                    raise errors.EntityTooSmall(method)
            # ...and in part-number order all but the last must be equal, the last no larger.
            parts.sort(key=lambda row: row[0])
            part_size = None
            for row in parts[:-1]:
                part_size = row[1] if part_size is None else part_size
                if row[1] < self.min_part_size or row[1] != part_size:
                    raise errors.BadUpload(method)
            if part_size is not None and parts[-1][1] > part_size:
                raise errors.BadUpload(method)
            total = sum(row[1] for row in parts)
            if total > self.max_value_size:
                raise errors.EntityTooLarge(method)
            record = ObjectRecord(
                key=decode_key(key),
                blob_id=None,
                version=secrets.token_hex(16),
                size=total,
                etag=multipart_etag(row[3] for row in parts),
                uploaded=self.clock.time_ms(),
                checksums={},
                http_metadata=_stored_dict(upload[1]),
                custom_metadata=_stored_dict(upload[2]),
                storage_class=upload[3],
            )
            old.extend(self._drop_object(key))
            self._insert(key, record)
            self.db.executemany(
                "UPDATE multipart_parts SET object_version = ? WHERE upload_id = ? AND part_number = ?",
                [(record.version, upload_id, row[0]) for row in parts],
            )
            unused = self.db.all(
                "SELECT blob_id FROM multipart_parts WHERE upload_id = ? AND object_version IS NULL", (upload_id,)
            )
            old.extend(row[0] for row in unused)
            self.db.execute("DELETE FROM multipart_parts WHERE upload_id = ? AND object_version IS NULL", (upload_id,))
            self.db.execute(
                "UPDATE multipart_uploads SET state = ? WHERE upload_id = ?", (C.UPLOAD_COMPLETED, upload_id)
            )
        self._discard(old)
        return record

    def abort_upload_now(self, key: bytes, upload_id: str) -> None:
        """Abort an upload; aborting again, or after completion, does nothing."""
        with self.db.transaction():
            upload = self._upload(key, upload_id)
            if upload is None:
                raise errors.NoSuchUpload("abortMultipartUpload")
            if upload[0] != C.UPLOAD_IN_PROGRESS:
                return
            parts = self.db.all("SELECT blob_id FROM multipart_parts WHERE upload_id = ?", (upload_id,))
            self.db.execute("DELETE FROM multipart_parts WHERE upload_id = ?", (upload_id,))
            self.db.execute("UPDATE multipart_uploads SET state = ? WHERE upload_id = ?", (C.UPLOAD_ABORTED, upload_id))
        self._discard(row[0] for row in parts)

    # What the binding calls: each waits while another process holds the write lock.
    head = retrying(head_now)
    open_body = retrying(open_body_now)
    list = retrying(list_now)
    delete = retrying(delete_now)
    create_upload = retrying(create_upload_now)
    complete_upload = retrying(complete_upload_now)
    abort_upload = retrying(abort_upload_now)


class _ConditionFailed(Exception):
    """Internal: a put's onlyIf did not hold at commit time."""
