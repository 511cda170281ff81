"""One D1 database: a plain SQLite file run with D1's semantics (limits, authorizer, results, meta).

The file is ``<persist>/d1/<database_name>.sqlite`` (from the shared :class:`~pyflare.storage.Storage`),
in WAL mode, readable by the ``sqlite3`` shell. Queries run synchronously on the event loop: a whole
``prepare()`` query, ``batch()`` or ``exec()`` executes without yielding, inside one SQLite
transaction, so concurrent requests never see half of it, and it is committed before the call returns
(so it survives a kill -9).

User SQL goes through workerd's authorizer (:mod:`pyflare.storage.authorizer`, the one every SQL surface
shares): no other database file (ATTACH, VACUUM INTO), no temporary objects, no ``BEGIN``/``SAVEPOINT``
(use ``batch()``), no reserved ``_cf_`` tables, only allowed pragmas, functions and virtual table modules
(FTS5, R*Tree). pyflare's own statements (transactions, size) run *trusted*.

``meta.duration`` is measured with ``time.perf_counter`` (a measurement, not a point in time, so it does
not come from the emulated clock). ``rows_read``/``rows_written`` are the last statement's, counted as
workerd counts them (:mod:`pyflare.storage.rowcounts`).
"""

from __future__ import annotations

import math
import re
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from pyflare.bindings.d1 import constants
from pyflare.bindings.d1.errors import D1Error, D1ExecError
from pyflare.bindings.d1.validation import (
    MULTI_STATEMENT_PARAMS,
    NO_STATEMENTS,
    TOO_MANY_COLUMNS,
    TRANSACTIONS_REFUSED,
    WRONG_BINDINGS,
    check_parameters,
    check_query_text,
)
from pyflare.kernel.jsconvert import js_number
from pyflare.storage.authorizer import Authorizer
from pyflare.storage.errors import StorageError, sqlite_text
from pyflare.storage.rowcounts import RowCounter
from pyflare.storage.sql import (
    READ_KEYWORDS,
    TRANSACTION_KEYWORDS,
    first_keyword,
    lenient_text,
    parameter_names,
    split_statements,
)
from pyflare.storage.sqlerrors import NO_STATEMENT, VACUUM_IN_TRANSACTION, error_offset
from pyflare.storage.sqlite import is_busy

if TYPE_CHECKING:
    from pyflare.kernel.clock import Clock
    from pyflare.storage import Database

T = TypeVar("T")

_HAS_SETLIMIT = hasattr(sqlite3.Connection, "setlimit")

# What D1 drops before running a query: nothing but whitespace, and lines that are a comment after some
# whitespace (Miniflare's D1: ``sql.replace(/^\s+--.*/gm, "").trim() === ""``).
_D1_BLANK = re.compile(r"(?:\s|(?<=\n)[ \t\r\f\v]+--[^\n]*|\A[ \t\r\f\v]+--[^\n]*)*")

_SIZE_SQL = (
    "SELECT /* pyflare d1 size */ (SELECT page_count FROM pragma_page_count())"
    " - (SELECT freelist_count FROM pragma_freelist_count()),"
    " (SELECT page_size FROM pragma_page_size())"
)


def _bound(statement: str, params: Sequence[Any]) -> Sequence[Any] | dict[str, Any]:
    """Values bound by position whatever the placeholders look like (``?1``, ``:name``), as D1 binds them."""
    names = parameter_names(statement)
    if names is not None and len(names) == len(params):
        return {name[1:]: value for name, value in zip(names, params, strict=True)}
    return params


def _to_d1_value(value: Any) -> Any:
    """A column value as it reaches a Python worker through D1's JSON: a blob as a list of byte values, a
    number as Pyodide converts the JSON number (a whole one is an int; beyond 2**53 it was rounded to a
    double; an infinity was written as null)."""
    kind = type(value)
    if kind is bytes:
        return list(value)
    if kind is int or kind is float:
        number = js_number(value)
        return None if kind is float and not math.isfinite(value) else number
    return value


@dataclass
class StatementResult:
    """What one query (one ``prepare()``, one ``batch()`` entry, one ``exec()`` line) produced."""

    columns: list[str]
    rows: list[list[Any]]
    meta: dict[str, Any] = field(default_factory=dict)


class D1Store:
    """The SQLite file behind one D1 database, queried with D1's rules."""

    def __init__(self, db: Database, clock: Clock, *, name: str = "") -> None:
        self.name = name
        self.path = db.path
        self.db = db
        self.connection = db.connection
        self.authorizer = Authorizer(checks=True)  # user SQL by default; pyflare's own statements say trusted()
        self._commits = 0
        self._last_row_id = 0
        self._programs: dict[Any, Any] = {}  # statements' programs, for counting their rows
        self._bookmark_base = clock.time_ms()
        self.connection.execute("PRAGMA foreign_keys = ON")  # D1 enforces foreign keys
        self.connection.text_factory = lenient_text
        if hasattr(self.connection, "setconfig") and hasattr(sqlite3, "SQLITE_DBCONFIG_DEFENSIVE"):
            self.connection.setconfig(sqlite3.SQLITE_DBCONFIG_DEFENSIVE, True)
        if _HAS_SETLIMIT:
            for limit, value in constants.SQLITE_LIMITS.items():
                category = getattr(sqlite3, limit, None)
                if category is not None:
                    self.connection.setlimit(category, value)
        self.authorizer.install(self.connection)
        self._size = self._read_size()

    @contextmanager
    def trusted(self) -> Iterator[sqlite3.Connection]:
        """Run pyflare's own statements (not user SQL) past the authorizer."""
        with self.authorizer.trusted():
            yield self.connection

    # -- waiting for other processes ---------------------------------------------------------------
    async def call(self, operation: Callable[..., T], *args: Any) -> T:
        """Run ``operation`` (a query, batch or exec) from the event loop. While another process holds the
        write lock it waits without blocking other requests (:meth:`~pyflare.storage.Database.run`); past
        the busy timeout it fails as D1 does: ``D1_ERROR: database is locked: SQLITE_BUSY``."""
        try:
            return await self.db.run(operation, *args)
        except sqlite3.OperationalError as exc:
            raise D1Error(sqlite_text(exc)) from None
        except StorageError as exc:  # the disk failed (full, I/O error): D1_ERROR with SQLite's text
            raise D1Error(str(exc)) from exc

    def call_blocking(self, operation: Callable[..., T], *args: Any) -> T:
        """:meth:`call` for tools with no event loop to yield to (CLI commands, migrations): it sleeps."""
        try:
            return self.db.blocking(operation, *args)
        except sqlite3.OperationalError as exc:
            raise D1Error(sqlite_text(exc)) from None
        except StorageError as exc:
            raise D1Error(str(exc)) from exc

    # -- queries ---------------------------------------------------------------------------------
    def query(self, sql: str, params: Sequence[Any] = ()) -> StatementResult:
        """Run one ``prepare()``d query (several statements allowed; only the last may take params)."""
        return self.transaction([(sql, params)])[0]

    def transaction(self, queries: Sequence[tuple[str, Sequence[Any]]]) -> list[StatementResult]:
        """Run queries atomically: all of them are committed, or (on the first error) none.

        A failing query's :class:`D1Error` carries ``index``, its position in ``queries``.
        """
        if not queries:
            raise D1Error(NO_STATEMENTS)
        if len(queries) == 1:
            plan = self._indexed(0, self._plan, *queries[0])
            if len(plan[0]) == 1:  # one statement: SQLite's autocommit is already atomic
                results = [self._indexed(0, self._run_planned, *plan)]
                if results[0].meta["changed_db"]:
                    self._commits += 1
                return results
        results = []
        with self.trusted() as conn:
            conn.execute("BEGIN IMMEDIATE")
        try:
            for index, (sql, params) in enumerate(queries):
                plan = self._indexed(index, self._plan, sql, params)
                results.append(self._indexed(index, self._run_planned, *plan))
        except BaseException:
            with self.trusted() as conn:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
            self._size = self._read_size()
            raise
        with self.trusted() as conn:
            conn.execute("COMMIT")
        if any(r.meta["changed_db"] for r in results):
            self._commits += 1
        return results

    @staticmethod
    def _indexed(index: int, action: Any, *args: Any) -> Any:
        try:
            return action(*args)
        except D1Error as exc:
            exc.index = index  # type: ignore[attr-defined]
            raise

    def _plan(self, sql: str, params: Sequence[Any]) -> tuple[tuple[str, ...], Sequence[Any]]:
        sql = check_query_text(sql)
        statements = split_statements(sql)
        if not statements:
            # Whitespace (or a comment after whitespace) is no query at all for D1; anything else with no
            # statement in it reaches SQLite, which says so.
            raise D1Error(NO_STATEMENTS if _D1_BLANK.fullmatch(sql) else NO_STATEMENT)
        for statement in statements:
            keyword = first_keyword(statement)
            if keyword in TRANSACTION_KEYWORDS:
                raise D1Error(TRANSACTIONS_REFUSED)
            if keyword == "VACUUM":  # D1 runs queries inside a transaction, where SQLite refuses VACUUM
                raise D1Error(VACUUM_IN_TRANSACTION)
        if not _HAS_SETLIMIT:
            check_parameters(list(params))
        return statements, params

    def _run_planned(self, statements: tuple[str, ...], params: Sequence[Any]) -> StatementResult:
        conn = self.connection
        started = time.perf_counter()
        changes_before = conn.total_changes
        last = len(statements) - 1
        size_may_change = False
        columns: list[str] = []
        rows: list[list[Any]] = []
        counter: RowCounter | None = None
        for index, statement in enumerate(statements):
            keyword = first_keyword(statement)
            if keyword not in READ_KEYWORDS:
                size_may_change = True
            if index < last:
                # As workerd runs every statement before the last: one step (its rows are not read).
                self._execute(statement, (), True).close()
                continue
            bound = _bound(statement, params)
            counter = RowCounter(conn, statement, bound, self.trusted, self._programs)
            cursor = self._execute(statement, params, False)
            description = cursor.description
            if description is not None:
                if not _HAS_SETLIMIT and len(description) > constants.MAX_COLUMNS:
                    raise D1Error(TOO_MANY_COLUMNS)
                columns = [d[0] for d in description]
                rows = self._fetch(cursor)
        # Only the last statement's rows count, as D1 (on workerd) reads its statement's counters.
        rows_read, rows_written = counter.counts(len(rows), True) if counter is not None else (0, 0)
        changes = conn.total_changes - changes_before
        if changes or size_may_change:
            size_after = self._read_size()
        else:
            size_after = self._size
        with self.trusted() as trusted:  # the connection's last rowid, as D1 reads it (CREATE TABLE sets it too)
            (last_row_id,) = trusted.execute("SELECT last_insert_rowid()").fetchone()
        changed_db = bool(changes) or size_after != self._size or last_row_id != self._last_row_id
        self._size = size_after
        self._last_row_id = last_row_id
        meta = {
            "served_by": constants.SERVED_BY,
            "duration": (time.perf_counter() - started) * 1000.0,
            "changes": changes,
            "last_row_id": last_row_id,
            "changed_db": changed_db,
            "size_after": size_after,
            "rows_read": rows_read,
            "rows_written": rows_written,
        }
        return StatementResult(columns, rows, meta)

    def _execute(self, statement: str, params: Sequence[Any], more_follow: bool) -> sqlite3.Cursor:
        self.authorizer.denied_transaction = False
        try:
            return self.connection.execute(statement, _bound(statement, params))
        except sqlite3.ProgrammingError as exc:
            text = str(exc)
            if text.startswith(("Incorrect number of bindings", "You did not supply a value")):
                raise D1Error(MULTI_STATEMENT_PARAMS if more_follow else WRONG_BINDINGS) from None
            if "too large" in text:
                raise D1Error("statement too long: SQLITE_TOOBIG") from None
            raise D1Error(text) from None
        except sqlite3.Error as exc:
            offset = error_offset(self.connection)  # before anything else runs on the connection
            if self.authorizer.denied_transaction:
                raise D1Error(TRANSACTIONS_REFUSED) from None
            if is_busy(exc):
                raise  # another process holds the lock: the caller waits and retries (Database.run)
            raise D1Error(sqlite_text(exc, offset)) from None
        except (OverflowError, UnicodeError, ValueError) as exc:
            raise D1Error(str(exc)) from None

    @staticmethod
    def _fetch(cursor: sqlite3.Cursor) -> list[list[Any]]:
        try:
            raw = cursor.fetchall()
        except sqlite3.Error as exc:
            raise D1Error(sqlite_text(exc)) from None
        rows: list[list[Any]] = []
        for row in raw:
            rows.append([_to_d1_value(v) for v in row])
        return rows

    def exec_lines(self, query: str) -> tuple[int, float]:
        """``exec()``: every line is one query (blank ones skipped), all in one transaction -> (count,
        duration ms). A failure is reported as D1's binding reports it (d1-api.ts): as line 1, quoting the
        first line, whichever line failed (the database returns only the first error)."""
        lines = query.strip().split("\n")
        queries = [line for line in lines if not _D1_BLANK.fullmatch(line)]
        if not queries:
            raise D1ExecError(f"Error in line 1: {lines[0]}: {NO_STATEMENTS}")
        try:
            results = self.transaction([(line, ()) for line in queries])
        except D1Error as exc:
            raise D1ExecError(f"Error in line 1: {lines[0]}: {exc.cause_message}") from None
        return len(results), sum(r.meta["duration"] for r in results)

    # -- state -----------------------------------------------------------------------------------
    def _read_size(self) -> int:
        with self.trusted() as conn:
            pages, page_size = conn.execute(_SIZE_SQL).fetchone()
        return int(pages) * int(page_size)

    def bookmark(self) -> str:
        """A session bookmark: later writes give lexically greater bookmarks (see docs/d1.md)."""
        return f"{self._bookmark_base:012x}-{self._commits:08x}"

    def restore_from(self, source: sqlite3.Connection) -> None:
        """Replace the whole database with a copy of ``source`` (SQLite's online backup)."""
        with self.trusted():
            source.backup(self.connection)
            self.connection.execute("PRAGMA foreign_keys = ON")
        self._size = self._read_size()
        self._commits += 1

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        """pyflare's own reads (export, migrations listing), past the authorizer."""
        with self.trusted() as conn:
            return conn.execute(sql, params).fetchall()

