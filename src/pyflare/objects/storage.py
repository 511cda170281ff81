"""One object's storage: a SQLite file with the key-value rows, the alarm and the object's own SQL tables.

The file is ``<persist>/do/<worker>-<Class>/<id>.sqlite``, readable with ``sqlite3``: key-value pairs are in
``_cf_KV`` (key TEXT, value as :mod:`pyflare.objects.values` stores it), the alarm is row 1 of
``_cf_METADATA`` (milliseconds since the epoch), and the object's ``sql.exec`` tables sit beside them, as in
workerd's SQLite backend (which, like pyflare, creates its two tables only when first written). The file is
created by the first write; reads of an object that never wrote see empty storage without creating anything,
so only objects with data have a file. The name an id was made from is kept by the object layer, not here.

Every write commits before it returns (WAL, synchronous=NORMAL): an acknowledged write survives ``kill -9``.
The object layer may close the file between uses (it keeps a bounded number open); the next call reopens it.
"""

from __future__ import annotations

import sqlite3
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from pyflare.objects import values
from pyflare.objects.ids import ObjectAddress
from pyflare.storage.authorizer import Authorizer

if TYPE_CHECKING:
    from pyflare.storage import Database, Storage

PLUGIN = "do"
ALARM_KEY = 1
_FIRST_PAGE = 4096  # SQLite's default page size: a database's first page

# Created by the first write that needs them, as workerd creates its own: an object that never used the
# key-value API or an alarm shows no _cf_ table in its sqlite_master.
_TABLES = {
    "_cf_KV": "CREATE TABLE IF NOT EXISTS _cf_KV (key TEXT PRIMARY KEY, value BLOB) WITHOUT ROWID",
    "_cf_METADATA": "CREATE TABLE IF NOT EXISTS _cf_METADATA (key INTEGER PRIMARY KEY, value BLOB)",
}

MISSING: Any = object()


def _missing_table(exc: sqlite3.OperationalError) -> str | None:
    """The pyflare table an error says is missing (None: some other error)."""
    text = str(exc)
    for name in _TABLES:
        if text == f"no such table: {name}":
            return name
    return None


class ObjectStorage:
    """The storage of one object. Synchronous; every method is a few microseconds of SQLite."""

    def __init__(self, storage: Storage, address: ObjectAddress,
                 on_open: Callable[[ObjectStorage], None] | None = None,
                 on_close: Callable[[ObjectStorage], None] | None = None) -> None:
        self.address = address
        self._storage = storage
        self._db: Database | None = None
        self._authorizer = Authorizer(checks=False)  # pyflare's own statements by default; see user_sql()
        self._on_open, self._on_close = on_open, on_close  # the object layer counts open files (MAX_OPEN_FILES)
        self._cursors: weakref.WeakSet[Any] = weakref.WeakSet()  # user SQL cursors that may still be read
        self.path = storage.database_path(PLUGIN, address.id, folder=address.namespace)

    # -- the file ---------------------------------------------------------------------------------
    def exists(self) -> bool:
        return self._db is not None or self.path.exists()

    @property
    def db(self) -> Database:
        """The object's database, opened (created) on first use; its _cf_ tables come with their first write."""
        db = self._db
        if db is None:
            db = self._storage.database(PLUGIN, self.address.id, folder=self.address.namespace, listed=True)
            if hasattr(db.connection, "setconfig") and hasattr(sqlite3, "SQLITE_DBCONFIG_DEFENSIVE"):
                db.connection.setconfig(sqlite3.SQLITE_DBCONFIG_DEFENSIVE, True)  # as workerd's setupSecurity
            self._authorizer.install(db.connection)
            self._db = db
            if self._on_open is not None:
                self._on_open(self)
        return db

    def _read(self, default: Any, read: Callable[[Database], Any]) -> Any:
        """``read(db)``, or ``default`` when there is no file or the table it reads was never created."""
        db = self._reader()
        if db is None:
            return default
        try:
            return read(db)
        except sqlite3.OperationalError as exc:
            if _missing_table(exc) is None:
                raise
            return default

    def _write(self, write: Callable[[Database], Any]) -> Any:
        """``write(db)``, creating the table it needs on first use."""
        db = self.db
        try:
            return write(db)
        except sqlite3.OperationalError as exc:
            table = _missing_table(exc)
            if table is None:
                raise
            db.execute(_TABLES[table])
            return write(db)

    @property
    def is_open(self) -> bool:
        return self._db is not None

    def busy(self) -> bool:
        """Must the file stay open: a transaction in progress, or a ``sql.exec`` cursor not read to its end?"""
        if self._db is None:
            return False
        return self._db.connection.in_transaction or any(not cursor.done for cursor in self._cursors)

    def track_cursor(self, cursor: Any) -> None:
        """Keep the file open while ``cursor`` (with a ``done`` attribute) may still read rows from it."""
        self._cursors.add(cursor)

    @contextmanager
    def user_sql(self) -> Iterator[sqlite3.Connection]:
        """The object's connection, checking every statement prepared inside with workerd's authorizer (one
        file only, allowed pragmas and functions, no ``_cf_`` tables): for SQL a user wrote, from
        ``ctx.storage.sql`` or the explorer's console. ``denied_transaction`` tells whether a BEGIN or
        SAVEPOINT was refused."""
        connection = self.db.connection
        with self._authorizer.checking():
            yield connection

    @contextmanager
    def trusted_sql(self) -> Iterator[None]:
        """Inside :meth:`user_sql`: pyflare's own look at the connection (a statement's program, to count its
        rows), past the authorizer."""
        with self._authorizer.trusted():
            yield

    @property
    def denied_transaction(self) -> bool:
        return self._authorizer.denied_transaction

    def _reader(self) -> Database | None:
        """The database if the object has one; reads of an object without a file see nothing."""
        if self._db is None and not self.path.exists():
            return None
        return self.db

    def in_transaction(self) -> bool:
        return self._db is not None and self._db.connection.in_transaction

    def close(self) -> None:
        """Release the connection (the next call reopens it)."""
        if self._db is not None:
            db, self._db = self._db, None
            self._storage.release_database(db)
            if self._on_close is not None:
                self._on_close(self)

    def destroy(self) -> None:
        """Delete the object's file entirely: every key, table and the alarm."""
        db = self.db
        self._db = None
        self._storage.release_database(db, delete=True)
        if self._on_close is not None:
            self._on_close(self)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Writes inside commit together or not at all (nests as savepoints)."""
        with self.db.transaction():
            yield

    def size(self) -> int:
        """Bytes the database uses (pages in use, as ``databaseSize`` reports). workerd's database always
        holds at least its first page (written when it opens the file), so a new object's size is one page."""
        db = self._reader()
        if db is None:
            return _FIRST_PAGE
        (count,) = db.one("PRAGMA page_count")
        (free,) = db.one("PRAGMA freelist_count")
        (page,) = db.one("PRAGMA page_size")
        return max(count - free, 1) * page

    # -- key-value --------------------------------------------------------------------------------
    def get(self, key: str) -> Any:
        """The value of ``key``, or :data:`MISSING`."""
        row = self._read(None, lambda db: db.one("SELECT value FROM _cf_KV WHERE key = ?", (key,)))
        return MISSING if row is None else values.decode(row[0])

    def get_many(self, keys: list[str]) -> dict[str, Any]:
        """The keys that exist, in key order."""
        if not keys:
            return {}

        def read(db: Database) -> list[tuple[str, Any]]:
            rows: list[tuple[str, Any]] = []
            unique = list(dict.fromkeys(keys))
            for at in range(0, len(unique), 100):  # SQLite-backed objects allow 100 bound parameters
                chunk = unique[at:at + 100]
                marks = ",".join("?" * len(chunk))
                rows.extend(db.all(f"SELECT key, value FROM _cf_KV WHERE key IN ({marks})", chunk))
            return rows

        rows = self._read([], read)
        rows.sort(key=lambda row: row[0].encode("utf-8", "surrogatepass"))
        return {key: values.decode(value) for key, value in rows}

    def put(self, key: str, value: Any) -> None:
        self.put_encoded_one(key, values.encode(value))

    def put_encoded_one(self, key: str, data: str | bytes) -> None:
        self._write(lambda db: db.execute("INSERT OR REPLACE INTO _cf_KV (key, value) VALUES (?, ?)", (key, data)))

    def put_encoded(self, entries: list[tuple[str, str | bytes]]) -> None:
        """Store already-encoded values (see :func:`values.encode`) in one transaction."""
        with self.db.transaction():
            self._write(lambda db: db.executemany("INSERT OR REPLACE INTO _cf_KV (key, value) VALUES (?, ?)", entries))

    def put_many(self, entries: dict[str, Any]) -> None:
        self.put_encoded([(k, values.encode(v)) for k, v in entries.items()])

    def delete(self, key: str) -> bool:
        return self._read(False, lambda db: db.execute("DELETE FROM _cf_KV WHERE key = ?", (key,)).rowcount > 0)

    def delete_many(self, keys: list[str]) -> int:
        if not keys:
            return 0

        def delete(db: Database) -> int:
            with db.transaction():
                return sum(db.execute("DELETE FROM _cf_KV WHERE key = ?", (k,)).rowcount for k in dict.fromkeys(keys))

        return self._read(0, delete)

    def list(
        self,
        *,
        start: str | None = None,
        start_after: str | None = None,
        end: str | None = None,
        prefix: str | None = None,
        reverse: bool = False,
        limit: int | None = None,
    ) -> list[tuple[str, Any]]:
        """Pairs in key order (UTF-8 byte order) within the bounds; ``end`` is exclusive."""
        where, params = [], []
        if start is not None:
            where.append("key >= ?")
            params.append(start)
        if start_after is not None:
            where.append("key > ?")
            params.append(start_after)
        if end is not None:
            where.append("key < ?")
            params.append(end)
        if prefix:
            where.append("substr(key, 1, ?) = ?")
            params.extend([len(prefix), prefix])
        sql = "SELECT key, value FROM _cf_KV"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY key DESC" if reverse else " ORDER BY key"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [(key, values.decode(value)) for key, value in self._read([], lambda db: db.all(sql, params))]

    def delete_all_keys(self) -> None:
        self._read(None, lambda db: db.execute("DELETE FROM _cf_KV"))

    # -- the alarm (use ObjectLayer.set_alarm, which also schedules it) ---------------------------
    def read_alarm(self) -> int | None:
        row = self._read(None, lambda db: db.one("SELECT value FROM _cf_METADATA WHERE key = ?", (ALARM_KEY,)))
        return None if row is None or row[0] is None else int(row[0])

    def write_alarm(self, when_ms: int | None) -> None:
        if when_ms is None:
            self._read(None, lambda db: db.execute("DELETE FROM _cf_METADATA WHERE key = ?", (ALARM_KEY,)))
            return
        self._write(lambda db: db.execute("INSERT OR REPLACE INTO _cf_METADATA (key, value) VALUES (?, ?)",
                                          (ALARM_KEY, int(when_ms))))

    # -- for tools (explorer, tests) --------------------------------------------------------------
    def user_tables(self) -> list[str]:
        db = self._reader()
        if db is None:
            return []
        rows = db.all("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\' "
                      "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name")
        return [name for (name,) in rows]
