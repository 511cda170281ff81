"""The texts of workerd's SQL errors beyond SQLite's own, for D1 and ``ctx.storage.sql``.

SQLite's errors themselves are worded by :func:`pyflare.storage.errors.sqlite_text`, as workerd words them
(src/workerd/util/sqlite.c++, ``dbErrorMessage``): ``<message>[ at offset N]: SQLITE_<CODE>`` and, when the
extended result code is one it names, `` (extended: SQLITE_<CODE>_<DETAIL>)``:
``UNIQUE constraint failed: t.a: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_UNIQUE)``. The offset is
``sqlite3_error_offset``: Python's ``sqlite3`` does not expose it, so :func:`error_offset` reads it through
``ctypes`` (:mod:`pyflare.storage.sqlitecapi`; where that does not work, it is left out). SQLite places
errors found while parsing (``near "x": syntax error``, ``no such column``, ``table t already exists``) and
not others (``no such table``, constraint failures).

The checks workerd makes before running anything have their texts here too: a query with no statement in
it, parameters given to more than the last statement, a wrong number of parameters.
"""

from __future__ import annotations

from pyflare.storage.sqlitecapi import error_offset

__all__ = [
    "MULTI_STATEMENT_PARAMETERS", "NO_STATEMENT", "VACUUM_IN_TRANSACTION", "WRONG_PARAMETER_COUNT",
    "error_offset",
]

NO_STATEMENT = "SQL code did not contain a statement."
WRONG_PARAMETER_COUNT = "Wrong number of parameter bindings for SQL query."
MULTI_STATEMENT_PARAMETERS = (
    "When executing multiple SQL statements in a single call, only the last statement can have parameters."
)
# workerd runs every statement of a worker inside a transaction, where SQLite refuses VACUUM.
VACUUM_IN_TRANSACTION = "cannot VACUUM from within a transaction: SQLITE_ERROR"
