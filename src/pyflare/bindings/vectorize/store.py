"""Vectorize indexes in SQLite: one file per index, its vectors, metadata indexes and pending mutations.

``<persist>/vectorize/<index name>.sqlite`` holds one index (readable with ``sqlite3``):

- ``vectorize_index``: its name, dimensions, metric and description (fixed at creation, as on Cloudflare),
  the number of vectors, the last processed mutation and a *generation* that every applied change bumps;
- ``vectors``: ``id`` (unique in the index), ``namespace``, ``vals`` (float32, little-endian),
  ``metadata`` (JSON) and ``indexed`` (JSON: what the metadata indexes held of it when it was written);
- ``metadata_indexes``: ``property`` and ``type``;
- ``mutations`` / ``mutation_vectors``: acknowledged changes not processed yet (only with a mutation delay).

Mutations are asynchronous on Cloudflare: ``insert`` answers with a ``mutationId`` and the vectors become
queryable "typically a few seconds" later. pyflare processes a mutation at once by default; with
``mutation_delay = N`` (``[pyflare.vectorize.<index>]``) it is processed N seconds later on pyflare's clock
(``mf.clock.advance`` makes it visible), in order, by the first call that comes after it is due. Either way
the mutation is committed before the call returns, so an acknowledged mutation survives a kill -9.

Metadata indexes are mutations too, and a vector's indexed values are computed when its insert or upsert is
processed: vectors written before a metadata index existed are not filtered by it until written again, as
Cloudflare documents. Queries run on an in-memory :class:`~pyflare.bindings.vectorize.search.VectorTable`
that this store keeps current after each change it applies; another store (another process, another
worker's copy) that changed the file is noticed through the generation and the table is reloaded.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pyflare.bindings.vectorize import constants as c
from pyflare.bindings.vectorize import errors as e
from pyflare.bindings.vectorize.errors import VectorizeApiError, refuse
from pyflare.bindings.vectorize.filters import Filter, indexed_values
from pyflare.bindings.vectorize.search import VectorTable, numpy_module
from pyflare.bindings.vectorize.validation import Vector
from pyflare.kernel.clock import Clock
from pyflare.kernel.jsvalues import json_parse
from pyflare.storage import Database, Storage, retrying

SCHEMA = """
CREATE TABLE IF NOT EXISTS vectorize_index (
    one INTEGER PRIMARY KEY CHECK (one = 1),
    name TEXT NOT NULL,
    dimensions INTEGER NOT NULL,
    metric TEXT NOT NULL,           -- euclidean | cosine | dot-product
    description TEXT,
    created_on TEXT NOT NULL,       -- ISO 8601, pyflare's clock
    modified_on TEXT NOT NULL,
    vector_count INTEGER NOT NULL DEFAULT 0,
    processed_mutation TEXT,        -- the last processed mutation's id
    processed_at TEXT,              -- when it was processed (ISO 8601)
    generation INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS vectors (
    id TEXT PRIMARY KEY,
    namespace TEXT,
    vals BLOB NOT NULL,             -- float32 little-endian, `dimensions` of them
    metadata TEXT,                  -- JSON object
    indexed TEXT                    -- JSON object {property: value}: what the metadata indexes hold of it
);
CREATE INDEX IF NOT EXISTS vectors_namespace ON vectors (namespace) WHERE namespace IS NOT NULL;
CREATE TABLE IF NOT EXISTS metadata_indexes (
    property TEXT PRIMARY KEY,      -- dotted path into the metadata
    type TEXT NOT NULL              -- string | number | boolean
);
CREATE TABLE IF NOT EXISTS mutations (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    mutation_id TEXT NOT NULL,
    kind TEXT NOT NULL,             -- insert | upsert | delete | create-metadata-index | delete-metadata-index
    due REAL NOT NULL,              -- clock time from which it is processed
    property TEXT,
    type TEXT
);
CREATE TABLE IF NOT EXISTS mutation_vectors (
    seq INTEGER NOT NULL,
    position INTEGER NOT NULL,
    id TEXT NOT NULL,
    namespace TEXT,
    vals BLOB,                      -- NULL for a delete
    metadata TEXT,
    PRIMARY KEY (seq, position)
);
"""

_INFO = ("SELECT name, dimensions, metric, description, created_on, modified_on, vector_count, processed_mutation, "
         "processed_at, generation FROM vectorize_index")
_CHUNK = 500  # ids per IN (...) lookup


def iso(seconds: float) -> str:
    """A clock time as Cloudflare writes timestamps: ``2024-07-19T13:11:44.064Z``."""
    return datetime.fromtimestamp(seconds, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _chunks(items: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


class IndexStore:
    """The stored state of one Vectorize index."""

    def __init__(self, db: Database, clock: Clock, mutation_delay: float = 0.0) -> None:
        self.db = db
        self.clock = clock
        self.mutation_delay = max(0.0, float(mutation_delay))
        self.closed = False
        self._table: VectorTable | None = None
        self._table_generation = -1
        row = db.one(_INFO)
        if row is None:
            raise LookupError(f"{db.path} holds no Vectorize index")
        self.name, self.dimensions, self.metric = row[0], row[1], row[2]

    # -- index information -----------------------------------------------------------------------
    # Each ``name_now`` runs at once; ``await store.name(...)`` runs it under the file's retry policy
    # (waiting, without blocking the event loop, while another process holds the lock).
    def info_now(self) -> dict[str, Any]:
        """The index's configuration and state (processing any due mutation first)."""
        self._process_due()
        row = self.db.one(_INFO)
        assert row is not None
        return {"name": row[0], "dimensions": row[1], "metric": row[2], "description": row[3],
                "created_on": row[4], "modified_on": row[5], "vector_count": row[6],
                "processed_mutation": row[7], "processed_at": row[8]}

    info = retrying(info_now)

    def metadata_indexes_now(self) -> dict[str, str]:
        """``{property: type}`` of the index's metadata indexes."""
        self._process_due()
        return self._metadata_indexes()

    metadata_indexes = retrying(metadata_indexes_now)

    def _metadata_indexes(self) -> dict[str, str]:
        return dict(self.db.all("SELECT property, type FROM metadata_indexes ORDER BY rowid"))

    # -- mutations -------------------------------------------------------------------------------
    def write_now(self, kind: str, vectors: list[Vector]) -> str:
        """Insert or upsert (``kind``) checked vectors; returns the mutation id once it is committed."""
        return self._mutate(kind, vectors, None, None)

    write = retrying(write_now)

    def delete_now(self, ids: list[str]) -> str:
        return self._mutate("delete", [Vector(i, b"") for i in ids], None, None)

    delete = retrying(delete_now)

    def create_metadata_index_now(self, prop: str, kind: str) -> str:
        self._process_due()
        known = self._metadata_indexes()
        if prop not in known and len(known) >= c.MAX_METADATA_INDEXES:
            raise VectorizeApiError(e.API_BAD_REQUEST, f"an index has at most {c.MAX_METADATA_INDEXES} metadata "
                                                       f"indexes; delete one first ({', '.join(known)})")
        return self._mutate("create-metadata-index", [], prop, kind)

    create_metadata_index = retrying(create_metadata_index_now)

    def delete_metadata_index_now(self, prop: str) -> str:
        self._process_due()
        if prop not in self._metadata_indexes():
            raise VectorizeApiError(e.API_METADATA_INDEX_NOT_FOUND, f'no metadata index on property "{prop}"')
        return self._mutate("delete-metadata-index", [], prop, None)

    delete_metadata_index = retrying(delete_metadata_index_now)

    def _mutate(self, kind: str, vectors: list[Vector], prop: str | None, prop_type: str | None) -> str:
        """Commit one mutation: processed now, or queued until the mutation delay has passed."""
        self._process_due()
        mutation_id = str(uuid.uuid4())
        now = self.clock.time()
        if kind in ("insert", "upsert"):
            self._check_capacity(kind, vectors)
        if self.mutation_delay <= 0:
            changes: list[tuple[Any, ...]] = []
            with self.db.transaction():
                generation = self._generation()
                self._apply(kind, vectors, prop, prop_type, changes)
                self._processed(mutation_id, now)
            self._follow(generation, changes)
            return mutation_id
        with self.db.transaction():
            seq = self.db.execute(
                "INSERT INTO mutations (mutation_id, kind, due, property, type) VALUES (?, ?, ?, ?, ?)",
                (mutation_id, kind, now + self.mutation_delay, prop, prop_type)).lastrowid
            self.db.executemany(
                "INSERT INTO mutation_vectors (seq, position, id, namespace, vals, metadata) VALUES (?, ?, ?, ?, ?, ?)",
                [(seq, i, v.id, v.namespace, v.values or None, v.metadata) for i, v in enumerate(vectors)])
        return mutation_id

    def _check_capacity(self, kind: str, vectors: list[Vector]) -> None:
        op = e.VECTOR_INSERT if kind == "insert" else e.VECTOR_UPSERT
        count = self.db.one("SELECT vector_count FROM vectorize_index")[0]  # type: ignore[index]
        if count + len(vectors) > c.MAX_VECTORS_PER_INDEX:
            new = len({v.id for v in vectors} - self._existing({v.id for v in vectors}))
            if count + new > c.MAX_VECTORS_PER_INDEX:
                raise refuse(op, e.INDEX_FULL, max=c.MAX_VECTORS_PER_INDEX)
        namespaces = {v.namespace for v in vectors if v.namespace is not None}
        fresh = [ns for ns in namespaces
                 if self.db.one("SELECT 1 FROM vectors WHERE namespace = ? LIMIT 1", (ns,)) is None]
        if fresh:
            known = self.db.one("SELECT COUNT(DISTINCT namespace) FROM vectors WHERE namespace IS NOT NULL")[0]  # type: ignore[index]
            if known + len(fresh) > c.MAX_NAMESPACES:
                raise refuse(op, e.TOO_MANY_NAMESPACES, max=c.MAX_NAMESPACES)

    def _generation(self) -> int:
        return self.db.one("SELECT generation FROM vectorize_index")[0]  # type: ignore[index]

    def _processed(self, mutation_id: str, when: float) -> None:
        self.db.execute("UPDATE vectorize_index SET generation = generation + 1, processed_mutation = ?, "
                        "processed_at = ?", (mutation_id, iso(when)))

    def _follow(self, generation: int, changes: list[tuple[Any, ...]]) -> None:
        """After a commit: bring the in-memory table along, if it was current before the change."""
        table = self._table
        if table is None or self._table_generation != generation:
            return
        puts: list[tuple[Any, ...]] = []
        for change in changes:  # consecutive puts go in as one block
            if change[0] == "put":
                puts.append(change[1:])
                continue
            if puts:
                table.put(puts)  # type: ignore[arg-type]
                puts = []
            if change[0] == "remove":
                table.remove(change[1])
            else:
                table.drop_indexed(change[1])
        if puts:
            table.put(puts)  # type: ignore[arg-type]
        self._table_generation = generation + 1

    def _existing(self, ids: Iterable[str]) -> set[str]:
        found: set[str] = set()
        for chunk in _chunks(list(ids)):
            marks = ",".join("?" * len(chunk))
            found.update(row[0] for row in self.db.all(f"SELECT id FROM vectors WHERE id IN ({marks})", chunk))
        return found

    def _apply(self, kind: str, vectors: list[Vector], prop: str | None, prop_type: str | None,
               changes: list[tuple[Any, ...]]) -> None:
        """Process one mutation (inside a transaction), noting the table changes it implies."""
        if kind == "create-metadata-index":
            self.db.execute("INSERT OR IGNORE INTO metadata_indexes (property, type) VALUES (?, ?)", (prop, prop_type))
            return
        if kind == "delete-metadata-index":
            self.db.execute("DELETE FROM metadata_indexes WHERE property = ?", (prop,))
            updates = []  # in Python rather than with SQLite's JSON functions, which old builds may lack
            for rowid, text in self.db.all("SELECT rowid, indexed FROM vectors WHERE indexed IS NOT NULL"):
                indexed = json.loads(text)
                if prop in indexed:
                    del indexed[prop]
                    updates.append((json.dumps(indexed, ensure_ascii=False) if indexed else None, rowid))
            self.db.executemany("UPDATE vectors SET indexed = ? WHERE rowid = ?", updates)
            changes.append(("drop-indexed", prop))
            return
        existing = self._existing(v.id for v in vectors)
        if kind == "delete":
            gone = [v.id for v in vectors if v.id in existing]
            self.db.executemany("DELETE FROM vectors WHERE id = ?", [(i,) for i in dict.fromkeys(gone)])
            self.db.execute("UPDATE vectorize_index SET vector_count = vector_count - ?", (len(set(gone)),))
            changes.extend(("remove", i) for i in dict.fromkeys(gone))
            return
        if kind == "insert":  # existing ids are left alone; within a batch the first of an id wins
            chosen: dict[str, Vector] = {}
            for vector in vectors:
                if vector.id not in existing:
                    chosen.setdefault(vector.id, vector)
        else:  # upsert: a vector replaces any with its id; within a batch the last one wins
            chosen = {vector.id: vector for vector in vectors}
        indexes = self._metadata_indexes()
        rows = []
        for vector in chosen.values():
            indexed = indexed_values(json.loads(vector.metadata), indexes) if indexes and vector.metadata else {}
            rows.append((vector.id, vector.namespace, vector.values, vector.metadata,
                         json.dumps(indexed, ensure_ascii=False) if indexed else None))
            changes.append(("put", vector.id, vector.values, vector.namespace, indexed))
        self.db.executemany("INSERT OR REPLACE INTO vectors (id, namespace, vals, metadata, indexed) "
                            "VALUES (?, ?, ?, ?, ?)", rows)
        added = len(chosen) - len(existing & chosen.keys())
        self.db.execute("UPDATE vectorize_index SET vector_count = vector_count + ?", (added,))

    def _process_due(self) -> None:
        """Process every queued mutation that is due, in order (a no-op without a mutation delay)."""
        row = self.db.one("SELECT MIN(due) FROM mutations")
        if row is None or row[0] is None or row[0] > self.clock.time():
            return
        changes: list[tuple[Any, ...]] = []
        with self.db.transaction():
            generation = self._generation()
            due = self.db.all("SELECT seq, mutation_id, kind, due, property, type FROM mutations WHERE due <= ? "
                              "ORDER BY seq", (self.clock.time(),))
            for seq, mutation_id, kind, when, prop, prop_type in due:
                vectors = [Vector(i, vals or b"", ns, meta) for i, ns, vals, meta in self.db.all(
                    "SELECT id, namespace, vals, metadata FROM mutation_vectors WHERE seq = ? ORDER BY position",
                    (seq,))]
                self._apply(kind, vectors, prop, prop_type, changes)
                self.db.execute("UPDATE vectorize_index SET processed_mutation = ?, processed_at = ?",
                                (mutation_id, iso(when)))
                self.db.execute("DELETE FROM mutation_vectors WHERE seq = ?", (seq,))
                self.db.execute("DELETE FROM mutations WHERE seq = ?", (seq,))
            self.db.execute("UPDATE vectorize_index SET generation = generation + 1")
        self._follow(generation, changes)

    # -- reads -----------------------------------------------------------------------------------
    def table_now(self) -> VectorTable:
        """The in-memory table, current with the file (loaded on first use and after another writer)."""
        self._process_due()
        generation = self._generation()
        if self._table is None or self._table_generation != generation:
            table = VectorTable(self.name, self.dimensions, self.metric, numpy_module())
            rows = self.db.connection.execute("SELECT id, namespace, vals, indexed FROM vectors")
            table.load((i, ns, vals, indexed or {}) for i, ns, vals, indexed in rows)
            self._table, self._table_generation = table, generation
        return self._table

    table = retrying(table_now)

    async def search(self, query: bytes, top_k: int, namespace: str | None,
                     flt: Filter | None) -> tuple[VectorTable, list[tuple[str, float]]]:
        table = await self.table()
        return table, table.search(query, top_k, namespace, flt)

    async def values_of(self, vector_id: str) -> bytes | None:
        return (await self.table()).values_bytes(vector_id)

    def records_now(self, ids: list[str]) -> dict[str, tuple[str | None, bytes, str | None]]:
        """``{id: (namespace, float32 bytes, metadata JSON)}`` of the stored vectors among ``ids``."""
        self._process_due()
        found = {}
        for chunk in _chunks(list(dict.fromkeys(ids))):
            marks = ",".join("?" * len(chunk))
            for vector_id, namespace, vals, metadata in self.db.all(
                    f"SELECT id, namespace, vals, metadata FROM vectors WHERE id IN ({marks})", chunk):
                found[vector_id] = (namespace, vals, metadata)
        return found

    records = retrying(records_now)

    async def metadata_of(self, ids: list[str]) -> dict[str, Any]:
        records = await self.records(ids)
        return {i: json_parse(meta) if meta else None for i, (_, _, meta) in records.items()}

    def list_ids_now(self, count: int, after: str | None) -> tuple[list[str], int, bool]:
        """Vector ids in order after ``after``: ``(ids, total count, more?)`` (``wrangler vectorize list-vectors``)."""
        self._process_due()
        rows = self.db.all("SELECT id FROM vectors WHERE id > ? ORDER BY id LIMIT ?", (after or "", count + 1))
        total = self.db.one("SELECT vector_count FROM vectorize_index")[0]  # type: ignore[index]
        return [r[0] for r in rows[:count]], total, len(rows) > count

    list_ids = retrying(list_ids_now)


class Catalog:
    """The Vectorize indexes of one storage root, by name (what ``wrangler vectorize list`` lists).

    Stores are opened once and shared by every binding and worker of the pyflare instance, so an index
    has one in-memory table per process."""

    def __init__(self, storage: Storage, clock: Clock) -> None:
        self.storage = storage
        self.clock = clock
        self.delays: dict[str, float] = {}  # index name -> mutation delay (from the config's declarations)
        self._stores: dict[Path, IndexStore] = {}

    def _path(self, name: str) -> Path:
        return self.storage.database_path(c.PLUGIN, name)

    def open(self, name: str) -> IndexStore | None:
        """The index called ``name``, or None when local state has no such index."""
        path = self._path(name)
        store = self._stores.get(path)
        if store is not None and not store.closed:
            return store
        if not path.exists():
            return None
        return self._open(path, name)

    def _open(self, path: Path, name: str | None) -> IndexStore | None:
        db = self.storage.database(c.PLUGIN, path.stem, listed=True)  # the catalog lists index files
        db.executescript(SCHEMA)
        try:
            store = IndexStore(db, self.clock)
        except LookupError:  # a file without an index (an interrupted create): not an index
            return None
        if name is not None and store.name != name:
            return None
        store.mutation_delay = self.delays.get(store.name, 0.0)
        self._stores[path] = store
        return store

    def names(self) -> list[str]:
        folder = self.storage.root / c.PLUGIN
        found = []
        for path in sorted(folder.glob("*.sqlite")) if folder.is_dir() else []:
            store = self._stores.get(path)
            if store is None or store.closed:
                store = self._open(path, None)
            if store is not None:
                found.append(store.name)
        return sorted(found)

    def create(self, name: str, dimensions: int, metric: str, description: str | None = None) -> IndexStore:
        if self.open(name) is not None:
            raise VectorizeApiError(e.API_INDEX_EXISTS, f'an index named "{name}" already exists')
        path = self._path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        db = self.storage.database(c.PLUGIN, path.stem, listed=True)  # the catalog lists index files
        db.executescript(SCHEMA)
        now = iso(self.clock.time())
        db.blocking(db.execute, "INSERT INTO vectorize_index (one, name, dimensions, metric, description, created_on, "
                    "modified_on) VALUES (1, ?, ?, ?, ?, ?, ?)", (name, dimensions, metric, description, now, now))
        store = self._open(path, name)
        assert store is not None
        return store

    def require(self, name: str) -> IndexStore:
        store = self.open(name)
        if store is None:
            raise VectorizeApiError(e.API_INDEX_NOT_FOUND, f'no index named "{name}" in local state')
        return store

    def delete(self, name: str) -> None:
        store = self.require(name)
        store.closed = True
        self._stores.pop(store.db.path, None)
        self.storage.release_database(store.db, delete=True)
