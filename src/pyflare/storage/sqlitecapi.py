"""The few parts of SQLite's C API that Python's ``sqlite3`` module does not expose, reached through ``ctypes``.

pyflare words SQLite's errors and counts rows as workerd does, and both need what only the C API tells:
``sqlite3_error_offset`` (where in the statement an error is, for ``... at offset N: SQLITE_ERROR``),
``sqlite3_changes`` and a prepared statement's own counters (``sqlite3_stmt_status``: how many times its
loops stepped, sorted, and how many virtual machine operations it ran). They are read from the very SQLite
library the ``sqlite3`` module is linked with, through the connection's ``sqlite3*`` handle.

Where that does not work (not CPython, a library without these functions, a connection layout the probe
does not recognise) :data:`AVAILABLE` is False and every function answers "unknown" (-1 or None); callers
then do without (an error message without its offset, row counters estimated from the rows alone).
"""

from __future__ import annotations

import ctypes
import sqlite3
import sys
from typing import Any

__all__ = [
    "AVAILABLE", "STMT_FULLSCAN_STEP", "STMT_OTHER_STEP", "STMT_AUTOINDEX", "STMT_SORT", "STMT_VM_STEP",
    "changes", "error_offset", "statement_counters",
]

# sqlite3_stmt_status() counters. SQLite keeps "loop advanced" counts in one array indexed by the loop's
# kind: 1 full scans, 3 automatic indexes, and 0 (read through the same call, which does not check its
# argument) every other loop: index ranges, sorters, temporary tables.
STMT_OTHER_STEP, STMT_FULLSCAN_STEP, STMT_SORT, STMT_AUTOINDEX, STMT_VM_STEP = 0, 1, 2, 3, 4


class _Api:
    def __init__(self, library: Any, header: int) -> None:
        self.library = library
        self.header = header  # offset of the sqlite3* in a Connection object

    def handle(self, connection: sqlite3.Connection) -> int | None:
        return ctypes.c_void_p.from_address(id(connection) + self.header).value


def _declare(library: Any, name: str, restype: Any, *argtypes: Any) -> Any:
    function = getattr(library, name)
    function.restype, function.argtypes = restype, list(argtypes)
    return function


def _load() -> _Api | None:
    if sys.implementation.name != "cpython":
        return None
    try:
        import _sqlite3

        library = ctypes.CDLL(_sqlite3.__file__)
        void = ctypes.c_void_p
        _declare(library, "sqlite3_error_offset", ctypes.c_int, void)
        _declare(library, "sqlite3_total_changes", ctypes.c_int, void)
        _declare(library, "sqlite3_changes", ctypes.c_int, void)
        _declare(library, "sqlite3_next_stmt", void, void, void)
        _declare(library, "sqlite3_sql", ctypes.c_char_p, void)
        _declare(library, "sqlite3_stmt_busy", ctypes.c_int, void)
        _declare(library, "sqlite3_stmt_status", ctypes.c_int, void, ctypes.c_int, ctypes.c_int)
    except (ImportError, OSError, AttributeError):
        return None
    # A Connection starts with the object header and then the sqlite3* handle (CPython 3.8 to 3.14); check it
    # on a connection of our own before trusting it with anyone's, and check the counters behave as read.
    api = _Api(library, object.__basicsize__)
    probe = sqlite3.connect(":memory:")
    try:
        probe.execute("CREATE TABLE t (a)")
        probe.execute("CREATE INDEX ta ON t (a)")
        probe.executemany("INSERT INTO t VALUES (?)", [(i % 3,) for i in range(7)])
        handle = api.handle(probe)
        if not handle or library.sqlite3_total_changes(handle) != probe.total_changes:
            return None
        sql = "SELECT a FROM t WHERE a = 1"
        probe.execute(sql).fetchall()
        counters = statement_counters(probe, sql, api=api)
        if counters is None or counters[STMT_OTHER_STEP] != 2:  # an index range: seek, then 2 steps
            return None
    except Exception:  # any surprise: do without
        return None
    finally:
        probe.close()
    return api


def error_offset(connection: sqlite3.Connection) -> int:
    """``sqlite3_error_offset`` of the connection's last error (-1: none, or not available here). Read it
    right after the failing call, before anything else runs on the connection."""
    if _API is None:
        return -1
    handle = _API.handle(connection)
    return _API.library.sqlite3_error_offset(handle) if handle else -1


def changes(connection: sqlite3.Connection) -> int:
    """``sqlite3_changes``: rows the last finished INSERT/UPDATE/DELETE changed itself (not its triggers'),
    -1 where unknown."""
    if _API is None:
        return -1
    handle = _API.handle(connection)
    return _API.library.sqlite3_changes(handle) if handle else -1


def statement_counters(connection: sqlite3.Connection, sql: str, *, reset: bool = False,
                       api: _Api | None = None) -> list[int] | None:
    """The counters (``sqlite3_stmt_status`` 0-8) of the connection's prepared statement whose text is ``sql``
    (the newest one if there are several), or None. ``reset``: zero them after reading."""
    api = api or _API
    if api is None:
        return None
    library = api.library
    handle = api.handle(connection)
    if not handle:
        return None
    wanted = sql.encode("utf-8", "surrogatepass")
    statement = library.sqlite3_next_stmt(handle, None)
    while statement:
        if library.sqlite3_sql(statement) == wanted:
            return [library.sqlite3_stmt_status(statement, op, int(reset)) for op in range(9)]
        statement = library.sqlite3_next_stmt(handle, statement)
    return None


_API = _load()
AVAILABLE = _API is not None
