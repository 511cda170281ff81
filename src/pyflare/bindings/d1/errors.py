"""D1's errors: every message starts with D1's prefix (``D1_ERROR: ...``) exactly as Cloudflare's binding.

On Cloudflare these are plain JavaScript ``Error`` objects (not ``TypeError``, even for
``D1_TYPE_ERROR``); in Python they are :class:`D1Error` and its subclasses, so ``except Exception``
catches them as ``catch (e)`` does, and ``str(e)`` is Cloudflare's message.
"""

from __future__ import annotations


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


class D1DumpError(D1Error):
    """``D1_DUMP_ERROR: ...``: the deprecated dump() (no longer callable on Cloudflare)."""

    prefix = "D1_DUMP_ERROR"
