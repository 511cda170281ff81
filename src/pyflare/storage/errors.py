"""Storage failures (a full disk, an I/O error, a file that cannot be opened) and SQLite's error texts.

The stores raise :class:`StorageError` when the disk fails them, from SQLite (:meth:`Database.run`,
:meth:`Database.blocking`) or from blob files (:class:`BlobStore`), so each binding can turn it into the error
its Cloudflare binding raises (``D1_ERROR: database or disk is full: SQLITE_FULL``, ``KV PUT failed: 500
...``, R2's ``InternalError``...) instead of letting ``sqlite3.OperationalError`` or ``OSError`` reach worker
code. A failed write leaves nothing half-done: SQLite rolls the transaction back, a blob being written is
removed, and what was acknowledged before stays.

:func:`sqlite_text` words any SQLite error as workerd does: ``<message>[ at offset N]: SQLITE_<CODE>``.
"""

from __future__ import annotations

import errno
import sqlite3

from pyflare.kernel.jserrors import JsException

# Names of SQLite's primary result codes, as workerd appends them to messages ("...: SQLITE_ERROR").
PRIMARY_NAMES = {
    1: "SQLITE_ERROR", 2: "SQLITE_INTERNAL", 3: "SQLITE_PERM", 4: "SQLITE_ABORT", 5: "SQLITE_BUSY",
    6: "SQLITE_LOCKED", 7: "SQLITE_NOMEM", 8: "SQLITE_READONLY", 9: "SQLITE_INTERRUPT", 10: "SQLITE_IOERR",
    11: "SQLITE_CORRUPT", 12: "SQLITE_NOTFOUND", 13: "SQLITE_FULL", 14: "SQLITE_CANTOPEN",
    15: "SQLITE_PROTOCOL", 16: "SQLITE_EMPTY", 17: "SQLITE_SCHEMA", 18: "SQLITE_TOOBIG",
    19: "SQLITE_CONSTRAINT", 20: "SQLITE_MISMATCH", 21: "SQLITE_MISUSE", 22: "SQLITE_NOLFS",
    23: "SQLITE_AUTH", 24: "SQLITE_FORMAT", 25: "SQLITE_RANGE", 26: "SQLITE_NOTADB",
}

# The extended codes workerd names in its messages (namedExtendedErrorCode); others are left out.
NAMED_EXTENDED = frozenset(
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
    (sqlite3.IntegrityError, 19),
    (sqlite3.DataError, 18),
    (sqlite3.OperationalError, 1),
    (sqlite3.InternalError, 2),
    (sqlite3.NotSupportedError, 1),
    (sqlite3.DatabaseError, 1),
]
# ... and its message is the hint for the codes that mean "the disk failed".
_TEXT_CODES = (("database or disk is full", 13), ("disk I/O error", 10), ("unable to open database file", 14),
               ("attempt to write a readonly database", 8), ("database disk image is malformed", 11),
               ("file is not a database", 26), ("out of memory", 7))

# Primary codes that say the storage failed, not the statement: the disk is full, an I/O error, a file that
# cannot be opened or written, a damaged file.
_STORAGE_CODES = frozenset({7, 8, 10, 11, 13, 14, 15, 22, 26})

FULL = "database or disk is full: SQLITE_FULL"
_FULL_ERRNOS = frozenset({errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC), errno.EFBIG})


def result_code(exc: sqlite3.Error) -> int:
    """SQLite's (extended) result code for ``exc``, read from its message where Python does not say."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code
    text = str(exc)
    if text.startswith("not authorized") or (text.startswith("access to ") and text.endswith("prohibited")):
        return 23
    if text.startswith(("database is locked", "database table is locked")):
        return 6 if text.startswith("database table") else 5  # SQLITE_LOCKED / SQLITE_BUSY
    for prefix, code in _TEXT_CODES:
        if text.startswith(prefix):
            return code
    return next((c for cls, c in _CLASS_CODES if isinstance(exc, cls)), 1)


def sqlite_text(exc: sqlite3.Error, offset: int = -1) -> str:
    """SQLite's error as workerd words it (src/workerd/util/sqlite.c++, ``dbErrorMessage``):
    ``<message>[ at offset N]: SQLITE_<CODE>[ (extended: SQLITE_<CODE>_<X>)]``, the extended code only when
    it is one workerd names. ``offset``: where SQLite placed a parse error
    (:func:`pyflare.storage.sqlitecapi.error_offset`, read right after the failure), -1 for none."""
    code = result_code(exc)
    extended_name = getattr(exc, "sqlite_errorname", None)
    primary = code & 0xFF
    primary_name = PRIMARY_NAMES.get(primary, f"SQLITE_UNKNOWN_ERROR_CODE({primary})")
    message = f"{exc} at offset {offset}: {primary_name}" if offset >= 0 else f"{exc}: {primary_name}"
    if extended_name and code != primary and extended_name in NAMED_EXTENDED:
        message += f" (extended: {extended_name})"
    return message


class StorageError(JsException):
    """The disk failed a read or a write; ``str()`` is the storage's text (``database or disk is full:
    SQLITE_FULL``), as workerd's storage errors read. A JavaScript ``Error`` to worker code."""


def storage_error(exc: BaseException) -> StorageError | None:
    """``exc`` as a :class:`StorageError` if it says the disk failed (None for a statement's own error, such
    as a constraint, a syntax error or another process's lock)."""
    if isinstance(exc, StorageError):
        return exc
    if isinstance(exc, sqlite3.DatabaseError):
        if result_code(exc) & 0xFF in _STORAGE_CODES:
            return StorageError(sqlite_text(exc))
        return None
    if isinstance(exc, OSError) and exc.errno is not None:
        if exc.errno in _FULL_ERRNOS:
            return StorageError(FULL)
        return StorageError(f"disk I/O error ({exc.strerror}): SQLITE_IOERR")
    return None
