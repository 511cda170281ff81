"""D1's errors: every message starts with D1's prefix (``D1_ERROR: ...``) exactly as Cloudflare's binding.

On Cloudflare these are plain JavaScript ``Error`` objects (not ``TypeError``, even for
``D1_TYPE_ERROR``); in Python they are :class:`D1Error` and its subclasses, so ``except Exception``
catches them as ``catch (e)`` does, and ``str(e)`` is Cloudflare's message.
"""

from __future__ import annotations

import sqlite3

# Names of SQLite's primary result codes, as workerd appends them to messages ("...: SQLITE_ERROR").
_PRIMARY_NAMES = {
    1: "SQLITE_ERROR", 2: "SQLITE_INTERNAL", 3: "SQLITE_PERM", 4: "SQLITE_ABORT", 5: "SQLITE_BUSY",
    6: "SQLITE_LOCKED", 7: "SQLITE_NOMEM", 8: "SQLITE_READONLY", 9: "SQLITE_INTERRUPT", 10: "SQLITE_IOERR",
    11: "SQLITE_CORRUPT", 12: "SQLITE_NOTFOUND", 13: "SQLITE_FULL", 14: "SQLITE_CANTOPEN",
    15: "SQLITE_PROTOCOL", 16: "SQLITE_EMPTY", 17: "SQLITE_SCHEMA", 18: "SQLITE_TOOBIG",
    19: "SQLITE_CONSTRAINT", 20: "SQLITE_MISMATCH", 21: "SQLITE_MISUSE", 22: "SQLITE_NOLFS",
    23: "SQLITE_AUTH", 24: "SQLITE_FORMAT", 25: "SQLITE_RANGE", 26: "SQLITE_NOTADB",
}

# Python 3.10 exceptions carry no result code; the class is the best hint.
_CLASS_CODES: list[tuple[type[BaseException], int]] = [
    (sqlite3.IntegrityError, 19),
    (sqlite3.DataError, 18),
    (sqlite3.OperationalError, 1),
    (sqlite3.InternalError, 2),
    (sqlite3.NotSupportedError, 1),
    (sqlite3.DatabaseError, 1),
]


class D1Error(Exception):
    """``D1_ERROR: <message>``: a statement failed (SQLite's message and result code name)."""

    prefix = "D1_ERROR"

    def __init__(self, message: str) -> None:
        self.cause_message = message
        super().__init__(f"{self.prefix}: {message}")


class D1TypeError(D1Error):
    """``D1_TYPE_ERROR: Type 'x' not supported for value 'y'``: bind() got a value D1 cannot store."""

    prefix = "D1_TYPE_ERROR"


class D1ColumnNotFoundError(D1Error):
    """``D1_COLUMN_NOTFOUND: Column not found (col)``: first(col) named a column the row lacks."""

    prefix = "D1_COLUMN_NOTFOUND"


class D1ExecError(D1Error):
    """``D1_EXEC_ERROR: Error in line N: <line>: <message>``: a line of exec() failed."""

    prefix = "D1_EXEC_ERROR"


class D1SessionError(D1Error):
    """``D1_SESSION_ERROR: ...``: withSession() got an unusable bookmark or constraint."""

    prefix = "D1_SESSION_ERROR"


def sqlite_message(exc: sqlite3.Error) -> str:
    """SQLite's error as workerd words it: ``<message>: SQLITE_<CODE>[ (extended: SQLITE_<CODE>_<X>)]``."""
    code = getattr(exc, "sqlite_errorcode", None)
    extended_name = getattr(exc, "sqlite_errorname", None)
    if code is None:  # Python 3.10
        text = str(exc)
        if text.startswith("not authorized") or (text.startswith("access to ") and text.endswith("prohibited")):
            code = 23
        elif text.startswith(("database is locked", "database table is locked")):
            code = 6 if text.startswith("database table") else 5  # SQLITE_LOCKED / SQLITE_BUSY
        else:
            code = next((c for cls, c in _CLASS_CODES if isinstance(exc, cls)), 1)
    primary = code & 0xFF
    primary_name = _PRIMARY_NAMES.get(primary, f"SQLITE_UNKNOWN_{primary}")
    message = f"{exc}: {primary_name}"
    if extended_name and code != primary and extended_name != primary_name:
        message += f" (extended: {extended_name})"
    return message


class D1DumpError(D1Error):
    """``D1_DUMP_ERROR: ...``: the deprecated dump() (no longer callable on Cloudflare)."""

    prefix = "D1_DUMP_ERROR"
