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
from pyflare.kernel.jsconvert import js_number, js_string, js_to_number
from pyflare.kernel.jsdict import JsDict
from pyflare.kernel.jsvalues import usv
from pyflare.kernel.tracing import traced
from pyflare.storage.errors import sqlite_text, storage_error
from pyflare.storage.rowcounts import RowCounter
from pyflare.storage.sql import first_keyword, lenient_text, parameter_names, split_statements
from pyflare.storage.sqlerrors import (
    MULTI_STATEMENT_PARAMETERS,
    NO_STATEMENT,
    VACUUM_IN_TRANSACTION,
    WRONG_PARAMETER_COUNT,
    error_offset,
)

if TYPE_CHECKING:
    from pyflare.bindings.durable_objects.host import ClassHost
    from pyflare.objects import ObjectAddress

_TRANSACTION_KEYWORDS = frozenset({"BEGIN", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE"})
_UNSET: Any = object()
_HAS_SETLIMIT = hasattr(sqlite3.Connection, "setlimit")  # Python 3.11+

_LIMITS = (
    ("SQLITE_LIMIT_SQL_LENGTH", C.MAX_SQL_STATEMENT_BYTES),
    ("SQLITE_LIMIT_VARIABLE_NUMBER", C.MAX_SQL_BOUND_PARAMETERS),
    ("SQLITE_LIMIT_COLUMN", C.MAX_SQL_COLUMNS),
    ("SQLITE_LIMIT_LENGTH", C.MAX_SQL_ROW_BYTES),
    ("SQLITE_LIMIT_FUNCTION_ARG", C.MAX_SQL_FUNCTION_ARGS),
    ("SQLITE_LIMIT_LIKE_PATTERN_LENGTH", C.MAX_SQL_LIKE_PATTERN_BYTES),
)

class SqlError(Exception):
    """An error from SQLite, worded as workerd words it (``<message>[ at offset N]: SQLITE_<CODE>``)."""


def _sql_error(exc: sqlite3.Error, connection: sqlite3.Connection) -> SqlError:
    return SqlError(sqlite_text(exc, error_offset(connection)))


def _binding(value: Any) -> Any:
    """A value as workerd binds what JavaScript passed (``SqlStorage::BindingValue``: a double, a string, an
    ArrayBuffer or null): every number is REAL (an int beyond 2**53, a BigInt, cannot be one), a boolean or
    any other object is its JavaScript string (``"true"``, ``"[object Object]"``)."""
    if value is None:
        return None
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, str):
        return usv(value)  # workerd receives text as UTF-8
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return usv(js_string(value))
    return js_to_number(value)  # BigIntError (a TypeError) beyond 2**53


def _span_attributes(sql: SqlStorage, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    """``sql.exec``'s span attributes, as workerd's sql.c++ sets them."""
    return {"db.system.name": "cloudflare-durable-object-sql", "db.operation.name": "exec",
            "cloudflare.durable_object.id": sql._address.id,
            "cloudflare.durable_object.sql.query.statement": args[0] if args and isinstance(args[0], str) else None}


@traced("do_storage", {"exec": "durable_object_storage_exec"}, _span_attributes)
class SqlStorage:
    """``ctx.storage.sql`` of one SQLite-backed object."""

    def __init__(self, host: ClassHost, address: ObjectAddress) -> None:
        self._host = host
        self._address = address
        self._limited: object | None = None
        self._programs: dict[Any, Any] = {}  # statements' programs, for counting their rows

    def _prepare(self, connection: sqlite3.Connection) -> None:
        """Once per opened connection: workerd's limits, foreign keys on (workerd enforces them), text that
        is not UTF-8 read as workerd reads it."""
        if self._limited is not connection:
            setlimit = getattr(connection, "setlimit", None)
            if setlimit is not None:
                for name, value in _LIMITS:
                    if hasattr(sqlite3, name):
                        setlimit(getattr(sqlite3, name), value)
            if not connection.in_transaction:
                connection.execute("PRAGMA foreign_keys = ON")
            connection.text_factory = lenient_text
            self._limited = connection

    def exec(self, query: Any = _UNSET, *bindings: Any) -> SqlStorageCursor:  # noqa: A003 - Cloudflare's name
        if query is _UNSET:
            raise TypeError("Failed to execute 'exec' on 'SqlStorage': parameter 1 is not of type 'JsString'.")
        query = usv(js_string(query))  # workerd reads the query as a string: exec(5) runs "5"
        if len(query.encode("utf-8", "surrogatepass")) > C.MAX_SQL_STATEMENT_BYTES:
            raise SqlError("statement too long: SQLITE_TOOBIG")
        params = [_binding(v) for v in bindings]
        statements = split_statements(query)
        if not statements:
            raise SqlError(NO_STATEMENT)
        for statement in statements:
            keyword = first_keyword(statement)
            if keyword in _TRANSACTION_KEYWORDS:
                raise SqlError(C.SQL_TRANSACTION)
            if keyword == "VACUUM":  # workerd runs a worker's SQL inside a transaction, where VACUUM fails
                raise SqlError(VACUUM_IN_TRANSACTION)
        if len(bindings) > C.MAX_SQL_BOUND_PARAMETERS and not _HAS_SETLIMIT:  # else SQLite says so, placed
            raise SqlError("too many SQL variables: SQLITE_ERROR")
        store = self._host.layer.storage(self._address)
        self._prepare(store.db.connection)
        cursor: sqlite3.Cursor | None = None
        counter: RowCounter | None = None
        statement = statements[0]
        with store.user_sql() as connection:
            try:
                for index, statement in enumerate(statements):
                    if index < len(statements) - 1:
                        # workerd runs each statement before the last one step, reading none of its rows
                        connection.execute(statement).close()
                        continue
                    # Bindings belong to the last statement (workerd binds them to the single or final one).
                    bound = _bound(statement, params)
                    counter = RowCounter(connection, statement, bound, store.trusted_sql, self._programs)
                    cursor = connection.execute(statement, bound)
            except sqlite3.ProgrammingError as exc:
                if not str(exc).startswith(("Incorrect number of bindings", "You did not supply a value")):
                    raise SqlError(str(exc)) from None
                raise SqlError(WRONG_PARAMETER_COUNT if statement is statements[-1]
                               else MULTI_STATEMENT_PARAMETERS) from None
            except sqlite3.Error as exc:
                error = _sql_error(exc, connection)  # the error's offset before anything else runs
                if store.denied_transaction:
                    raise SqlError(C.SQL_TRANSACTION) from None
                if storage_error(exc) is not None:  # the disk failed: the object is reset, as by workerd
                    self._host.layer.evict(self._address, f"reset: storage failed: {exc}")
                raise error from None
        assert cursor is not None and counter is not None
        result = SqlStorageCursor(cursor, counter)
        if not result.done:
            store.track_cursor(result)  # the file stays open while rows remain to be read
        return result

    @property
    def databaseSize(self) -> int:  # noqa: N802
        return self._host.layer.storage(self._address).size()

    database_size = databaseSize


class SqlStorageCursor:
    """Rows of one ``exec()``: iterate (dicts), ``next()``, ``toArray()``, ``one()``, ``raw()``, counters."""

    def __init__(self, cursor: sqlite3.Cursor, counter: RowCounter) -> None:
        self._cursor = cursor
        self._counter = counter
        self._returned = 0
        self.columnNames: list[str] = [d[0] for d in cursor.description] if cursor.description else []
        self.done = cursor.description is None

    @property
    def rowsRead(self) -> int:  # noqa: N802 - Cloudflare's name
        """Rows read so far, counted as workerd counts them (:mod:`pyflare.storage.rowcounts`)."""
        return self._counter.counts(self._returned, self.done)[0]

    @property
    def rowsWritten(self) -> int:  # noqa: N802 - Cloudflare's name
        return self._counter.counts(self._returned, self.done)[1]

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
            raise _sql_error(exc, self._cursor.connection) from None
        if row is None:
            self.done = True
            self._counter.counts(self._returned, True)  # the final counts, while the statement still has them
            return None
        self._returned += 1
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
    # A SQLite number reaches JavaScript as a double, and Python as Pyodide converts it: an int while it is
    # whole and within 2**53 (REAL 1.0 too), else a float. A blob arrives as an ArrayBuffer: a memoryview.
    kind = type(value)
    if kind is int or kind is float:
        return js_number(value)
    if kind is bytes:
        return memoryview(value)
    return value


def _bound(statement: str, params: list[Any]) -> Any:
    """Values for a statement, bound by position as workerd binds them whatever the placeholders look like
    (Python's sqlite3 binds a sequence only to plain ``?``)."""
    names = parameter_names(statement)
    if names is not None and len(names) == len(params):
        return {name[1:]: value for name, value in zip(names, params, strict=True)}
    return params
