"""SQLite's errors worded as workerd words them, for D1 and ``ctx.storage.sql``.

workerd (src/workerd/util/sqlite.c++, ``dbErrorMessage``) writes ``<message>[ at offset N]: SQLITE_<CODE>``
and, when the extended result code is one it names, `` (extended: SQLITE_<CODE>_<DETAIL>)``:
``UNIQUE constraint failed: t.a: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_UNIQUE)``. The offset is
``sqlite3_error_offset``: Python's ``sqlite3`` does not expose it, so it is read through ``ctypes``
(:mod:`pyflare.storage.sqlitecapi`; where that does not work, it is left out). SQLite places errors found
while parsing (``near "x": syntax error``, ``no such column``, ``table t already exists``) and not others
(``no such table``, constraint failures).

The checks workerd makes before running anything have their texts here too: a query with no statement in
it, parameters given to more than the last statement, a wrong number of parameters.
"""

from __future__ import annotations

import sqlite3

from pyflare.storage.sqlitecapi import error_offset

__all__ = [
    "MULTI_STATEMENT_PARAMETERS", "NO_STATEMENT", "VACUUM_IN_TRANSACTION", "WRONG_PARAMETER_COUNT",
    "error_offset", "workerd_message",
]

NO_STATEMENT = "SQL code did not contain a statement."
WRONG_PARAMETER_COUNT = "Wrong number of parameter bindings for SQL query."
MULTI_STATEMENT_PARAMETERS = (
    "When executing multiple SQL statements in a single call, only the last statement can have parameters."
)
# workerd runs every statement of a worker inside a transaction, where SQLite refuses VACUUM.
VACUUM_IN_TRANSACTION = "cannot VACUUM from within a transaction: SQLITE_ERROR"

_PRIMARY_NAMES = {
    1: "SQLITE_ERROR", 2: "SQLITE_INTERNAL", 3: "SQLITE_PERM", 4: "SQLITE_ABORT", 5: "SQLITE_BUSY",
    6: "SQLITE_LOCKED", 7: "SQLITE_NOMEM", 8: "SQLITE_READONLY", 9: "SQLITE_INTERRUPT", 10: "SQLITE_IOERR",
    11: "SQLITE_CORRUPT", 12: "SQLITE_NOTFOUND", 13: "SQLITE_FULL", 14: "SQLITE_CANTOPEN",
    15: "SQLITE_PROTOCOL", 16: "SQLITE_EMPTY", 17: "SQLITE_SCHEMA", 18: "SQLITE_TOOBIG",
    19: "SQLITE_CONSTRAINT", 20: "SQLITE_MISMATCH", 21: "SQLITE_MISUSE", 22: "SQLITE_NOLFS",
    23: "SQLITE_AUTH", 24: "SQLITE_FORMAT", 25: "SQLITE_RANGE", 26: "SQLITE_NOTADB",
}
# The extended codes workerd names (namedExtendedErrorCode); others are left out of its message.
_NAMED_EXTENDED = frozenset(
    "SQLITE_ABORT_ROLLBACK SQLITE_AUTH_USER SQLITE_BUSY_RECOVERY SQLITE_BUSY_SNAPSHOT SQLITE_BUSY_TIMEOUT "
    "SQLITE_CANTOPEN_CONVPATH SQLITE_CANTOPEN_DIRTYWAL SQLITE_CANTOPEN_FULLPATH SQLITE_CANTOPEN_ISDIR "
    "SQLITE_CANTOPEN_NOTEMPDIR SQLITE_CANTOPEN_SYMLINK SQLITE_CONSTRAINT_CHECK SQLITE_CONSTRAINT_COMMITHOOK "
    "SQLITE_CONSTRAINT_DATATYPE SQLITE_CONSTRAINT_FOREIGNKEY SQLITE_CONSTRAINT_FUNCTION "
    "SQLITE_CONSTRAINT_NOTNULL SQLITE_CONSTRAINT_PINNED SQLITE_CONSTRAINT_PRIMARYKEY SQLITE_CONSTRAINT_ROWID "
    "SQLITE_CONSTRAINT_TRIGGER SQLITE_CONSTRAINT_UNIQUE SQLITE_CONSTRAINT_VTAB SQLITE_CORRUPT_INDEX "
    "SQLITE_CORRUPT_SEQUENCE SQLITE_CORRUPT_VTAB SQLITE_ERROR_MISSING_COLLSEQ SQLITE_ERROR_RETRY "
    "SQLITE_ERROR_SNAPSHOT SQLITE_LOCKED_SHAREDCACHE SQLITE_LOCKED_VTAB SQLITE_READONLY_CANTINIT "
    "SQLITE_READONLY_CANTLOCK SQLITE_READONLY_DBMOVED SQLITE_READONLY_DIRECTORY SQLITE_READONLY_RECOVERY "
    "SQLITE_READONLY_ROLLBACK".split()
) | {f"SQLITE_IOERR_{name}" for name in (
    "ACCESS AUTH BEGIN_ATOMIC BLOCKED CHECKRESERVEDLOCK CLOSE COMMIT_ATOMIC CONVPATH CORRUPTFS DATA DELETE "
    "DELETE_NOENT DIR_CLOSE DIR_FSYNC FSTAT FSYNC GETTEMPPATH LOCK MMAP NOMEM RDLOCK READ ROLLBACK_ATOMIC SEEK "
    "SHMLOCK SHMMAP SHMOPEN SHMSIZE SHORT_READ TRUNCATE UNLOCK VNODE WRITE").split()}

# Python 3.10 exceptions carry no result code; the class is the best hint.
_CLASS_CODES: list[tuple[type[BaseException], int]] = [
    (sqlite3.IntegrityError, 19), (sqlite3.DataError, 18), (sqlite3.OperationalError, 1),
    (sqlite3.InternalError, 2), (sqlite3.NotSupportedError, 1), (sqlite3.DatabaseError, 1),
]

# -- the message ---------------------------------------------------------------------------------------
def workerd_message(exc: sqlite3.Error, offset: int = -1) -> str:
    """``exc`` worded as workerd words SQLite's errors. ``offset``: :func:`error_offset`, read right after the
    failure."""
    text = str(exc)
    code = getattr(exc, "sqlite_errorcode", None)
    extended_name = getattr(exc, "sqlite_errorname", None)
    if code is None:  # Python 3.10
        if text.startswith("not authorized") or (text.startswith("access to ") and text.endswith("prohibited")):
            code = 23
        elif text.startswith(("database is locked", "database table is locked")):
            code = 6 if text.startswith("database table") else 5
        else:
            code = next((c for cls, c in _CLASS_CODES if isinstance(exc, cls)), 1)
    primary = code & 0xFF
    primary_name = _PRIMARY_NAMES.get(primary, f"SQLITE_UNKNOWN_ERROR_CODE({primary})")
    message = f"{text} at offset {offset}: {primary_name}" if offset >= 0 else f"{text}: {primary_name}"
    if extended_name and code != primary and extended_name in _NAMED_EXTENDED:
        message += f" (extended: {extended_name})"
    return message
