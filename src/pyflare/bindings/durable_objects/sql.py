"""``ctx.storage.sql``: SQL on the object's own SQLite file, with workerd's cursor API and refusals.

``exec(query, *bindings)`` runs every statement in ``query``; the cursor reads the last one's rows lazily,
as workerd does (an unconsumed cursor keeps its statement open). Statements go through workerd's authorizer
(:mod:`pyflare.storage.authorizer`): tables whose names start with ``_cf_`` are pyflare's (the key-value rows,
the alarm) and refused, as are other database files (ATTACH, VACUUM INTO), pragmas and functions off
workerd's lists, and transaction statements: use ``storage.transaction()`` / ``transactionSync()``. SQLite's limits are set to Cloudflare's where Python
allows (3.11+: ``setlimit``); the statement length and bound parameter count are checked on every version.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from pyflare.bindings.durable_objects import constants as C
from pyflare.kernel.jsdict import JsDict
from pyflare.kernel.jsvalues import usv
from pyflare.storage.errors import sqlite_text, storage_error
from pyflare.storage.sql import first_keyword, split_statements

if TYPE_CHECKING:
    from pyflare.bindings.durable_objects.host import ClassHost
    from pyflare.objects import ObjectAddress

_TRANSACTION_KEYWORDS = frozenset({"BEGIN", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE"})

_LIMITS = (
    ("SQLITE_LIMIT_SQL_LENGTH", C.MAX_SQL_STATEMENT_BYTES),
    ("SQLITE_LIMIT_VARIABLE_NUMBER", C.MAX_SQL_BOUND_PARAMETERS),
    ("SQLITE_LIMIT_COLUMN", C.MAX_SQL_COLUMNS),
    ("SQLITE_LIMIT_LENGTH", C.MAX_SQL_ROW_BYTES),
    ("SQLITE_LIMIT_FUNCTION_ARG", C.MAX_SQL_FUNCTION_ARGS),
    ("SQLITE_LIMIT_LIKE_PATTERN_LENGTH", C.MAX_SQL_LIKE_PATTERN_BYTES),
)

class SqlError(Exception):
    """An error from SQLite, worded as workerd words it (``<message>: SQLITE_<CODE>``)."""


def _sql_error(exc: sqlite3.Error) -> SqlError:
    return SqlError(sqlite_text(exc))


def _binding(value: Any) -> Any:
    if isinstance(value, str):
        return usv(value)  # workerd receives text as UTF-8 (lone surrogates become U+FFFD)
    if value is None or isinstance(value, (int, float, bytes)):
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int) and not -(2**63) <= value < 2**63:
            raise TypeError(f"Unsupported value for a SQL binding: {value} does not fit in 64 bits")
        return value
    if isinstance(value, (memoryview, bytearray)):
        return bytes(value)
    raise TypeError(f"Unsupported type for a SQL binding: {type(value).__name__} (use str, number, bytes or None)")


class SqlStorage:
    """``ctx.storage.sql`` of one SQLite-backed object."""

    def __init__(self, host: ClassHost, address: ObjectAddress) -> None:
        self._host = host
        self._address = address
        self._limited: object | None = None

    def _limit(self, connection: sqlite3.Connection) -> None:
        if self._limited is not connection:  # once per opened connection
            setlimit = getattr(connection, "setlimit", None)
            if setlimit is not None:
                for name, value in _LIMITS:
                    if hasattr(sqlite3, name):
                        setlimit(getattr(sqlite3, name), value)
            self._limited = connection

    def exec(self, query: str, *bindings: Any) -> SqlStorageCursor:  # noqa: A003 - Cloudflare's name
        if not isinstance(query, str):
            raise TypeError(f"exec() takes the SQL text as a str, not {type(query).__name__}")
        query = usv(query)
        if len(query.encode("utf-8", "surrogatepass")) > C.MAX_SQL_STATEMENT_BYTES:
            raise SqlError("statement too long: SQLITE_TOOBIG")
        if len(bindings) > C.MAX_SQL_BOUND_PARAMETERS:
            raise SqlError("too many SQL variables: SQLITE_ERROR")
        params = [_binding(v) for v in bindings]
        statements = split_statements(query) or (query,)
        for statement in statements:
            if first_keyword(statement) in _TRANSACTION_KEYWORDS:
                raise SqlError(C.SQL_TRANSACTION)
        store = self._host.layer.storage(self._address)
        with store.user_sql() as connection:
            self._limit(connection)
            before = connection.total_changes
            try:
                cursor: sqlite3.Cursor | None = None
                for index, statement in enumerate(statements):
                    last = index == len(statements) - 1
                    # Bindings belong to the last statement (workerd binds them to the single or final one).
                    cursor = connection.execute(statement, params if last else ())
                    if not last:
                        cursor.fetchall()
            except sqlite3.Error as exc:
                if store.denied_transaction:
                    raise SqlError(C.SQL_TRANSACTION) from None
                if storage_error(exc) is not None:  # the disk failed: the object is reset, as by workerd
                    self._host.layer.evict(self._address, f"reset: storage failed: {exc}")
                raise _sql_error(exc) from None
        assert cursor is not None
        result = SqlStorageCursor(cursor, connection.total_changes - before)
        if not result.done:
            store.track_cursor(result)  # the file stays open while rows remain to be read
        return result

    @property
    def databaseSize(self) -> int:  # noqa: N802
        return self._host.layer.storage(self._address).size()

    database_size = databaseSize


class SqlStorageCursor:
    """Rows of one ``exec()``: iterate (dicts), ``next()``, ``toArray()``, ``one()``, ``raw()``, counters."""

    def __init__(self, cursor: sqlite3.Cursor, rows_written: int) -> None:
        self._cursor = cursor
        self.columnNames: list[str] = [d[0] for d in cursor.description] if cursor.description else []
        self.rowsRead = 0
        self.rowsWritten = rows_written
        self.done = cursor.description is None
        if self.done and rows_written:
            self.rowsRead = rows_written  # an UPDATE/DELETE reads the rows it changes

    @property
    def column_names(self) -> list[str]:
        return self.columnNames

    @property
    def rows_read(self) -> int:
        return self.rowsRead

    @property
    def rows_written(self) -> int:
        return self.rowsWritten

    def _next_raw(self) -> tuple[Any, ...] | None:
        if self.done:
            return None
        try:
            row = self._cursor.fetchone()
        except sqlite3.Error as exc:
            raise _sql_error(exc) from None
        if row is None:
            self.done = True
            return None
        self.rowsRead += 1
        return row

    def _as_dict(self, row: tuple[Any, ...]) -> JsDict:
        return JsDict(zip(self.columnNames, (_value(v) for v in row), strict=False))

    def __iter__(self) -> Iterator[JsDict]:
        while (row := self._next_raw()) is not None:
            yield self._as_dict(row)

    def next(self) -> JsDict:  # noqa: A003 - the JavaScript iterator protocol
        row = self._next_raw()
        if row is None:
            return JsDict(done=True)
        return JsDict(done=False, value=self._as_dict(row))

    def toArray(self) -> list[JsDict]:  # noqa: N802
        return list(self)

    to_array = toArray

    def one(self) -> JsDict:
        first = self._next_raw()
        if first is None:
            raise SqlError("Expected exactly one result from SQL query, but got no results.")
        if self._next_raw() is not None:
            raise SqlError("Expected exactly one result from SQL query, but got multiple results.")
        return self._as_dict(first)

    def raw(self) -> Iterator[list[Any]]:
        while (row := self._next_raw()) is not None:
            yield [_value(v) for v in row]


def _value(value: Any) -> Any:
    # SQLite integers reach JavaScript as numbers (doubles): Python gets an int while it is exact, else a float.
    # Blobs arrive as ArrayBuffers, which Python sees as memoryview.
    if type(value) is int and not -(2**53) <= value <= 2**53:
        return float(value)
    if type(value) is bytes:
        return memoryview(value)
    return value
