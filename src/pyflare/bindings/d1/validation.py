"""Every check D1 makes on its inputs, with D1's exact error texts.

``bind()`` converts values as Cloudflare's binding does (``d1-api.ts``): numbers and strings pass,
booleans become 1/0, ``None`` is NULL, bytes-like values and lists of byte values are BLOBs; anything
else raises ``D1_TYPE_ERROR`` at bind time, naming the JavaScript type the value would have had under
Pyodide (a dict is an ``object``, an int beyond 2**53 a ``bigint``).
"""

from __future__ import annotations

import math
import re
from typing import Any

from pyflare.bindings.d1 import constants
from pyflare.bindings.d1.errors import D1Error, D1TypeError
from pyflare.kernel.jsconvert import is_bigint, js_number, js_string
from pyflare.kernel.jsvalues import shown, usv

_PLAIN_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

NO_STATEMENTS = "No SQL statements detected."
WRONG_BINDINGS = "Wrong number of parameter bindings for SQL query."
MULTI_STATEMENT_PARAMS = (
    "When executing multiple SQL statements in a single call, only the last statement can have parameters."
)
TRANSACTIONS_REFUSED = (
    "To execute a transaction, please use the state.storage.transaction() or "
    "state.storage.transactionSync() APIs instead of the SQL BEGIN TRANSACTION or SAVEPOINT "
    "statements. The JavaScript API is safer because it will automatically roll back on "
    "exceptions, and because it interacts correctly with Durable Objects' automatic atomic "
    "write coalescing."
)
STATEMENT_TOO_LONG = "statement too long: SQLITE_TOOBIG"
TOO_MANY_VARIABLES = "too many SQL variables: SQLITE_ERROR"
VALUE_TOO_BIG = "string or blob too big: SQLITE_TOOBIG"
TOO_MANY_COLUMNS = "too many columns in result set: SQLITE_ERROR"


def js_typeof(value: Any) -> str:
    """The ``typeof`` a Python value has once Pyodide hands it to JavaScript."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "bigint" if is_bigint(value) else "number"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "object"
    return "function" if callable(value) else "object"


def _is_byte_list(value: Any) -> bool:
    return isinstance(value, list) and all(
        isinstance(b, int) and not isinstance(b, bool) and 0 <= b < 256 for b in value
    )


def bind_value(value: Any) -> Any:
    """One ``bind()`` argument as the SQLite value D1 stores, or ``D1_TYPE_ERROR``. Values travel to D1 as
    JSON: a whole number is stored as INTEGER (``1.0`` too: it was the JavaScript number 1), NaN and the
    infinities as NULL."""
    kind = type(value)
    if kind is str:
        return usv(value)
    if value is None:
        return None
    if kind is bool:
        return 1 if value else 0
    if isinstance(value, int):  # int and its subclasses (IntEnum); beyond 2**53 Pyodide makes a BigInt
        if not is_bigint(int(value)):
            return int(value)
    elif isinstance(value, float):
        number = js_number(value)
        return None if isinstance(number, float) and not math.isfinite(number) else number
    elif isinstance(value, str):
        return usv(str.__str__(value))
    elif isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    elif _is_byte_list(value):
        return bytes(value)
    raise D1TypeError(f"Type '{js_typeof(value)}' not supported for value '{_template_text(value)}'")


def _template_text(value: Any) -> str:
    """``${value}`` in JavaScript, for what the value became (``[object Object]``, ``1,2``)."""
    try:
        return js_string(value)
    except RecursionError:
        return shown(value)


def bind_values(values: tuple[Any, ...]) -> list[Any]:
    return [bind_value(v) for v in values]


def check_query_text(sql: Any) -> str:
    """The query text of ``prepare()``/``exec()``; D1 refuses statements longer than 100 000 bytes."""
    if not isinstance(sql, str):
        raise D1TypeError(f"Type '{js_typeof(sql)}' not supported for value '{shown(sql)}'")
    sql = usv(sql)
    if len(sql) > constants.MAX_STATEMENT_BYTES // 4 and len(sql.encode("utf-8")) > constants.MAX_STATEMENT_BYTES:
        raise D1Error(STATEMENT_TOO_LONG)
    return sql


def exec_query(query: Any) -> str:
    """``exec()``'s argument: D1's binding calls ``query.trim()``, so anything but a string is a TypeError."""
    if query is None:
        raise TypeError("Cannot read properties of undefined (reading 'trim')")
    if not isinstance(query, str):
        raise TypeError("query.trim is not a function")
    return usv(query)


def check_parameters(params: list[Any]) -> None:
    """Limits on bound values that Python 3.10 (no ``Connection.setlimit``) cannot leave to SQLite."""
    if len(params) > constants.MAX_BOUND_PARAMETERS:
        raise D1Error(TOO_MANY_VARIABLES)
    for value in params:
        if isinstance(value, (str, bytes)) and len(value) > constants.MAX_VALUE_BYTES // 4:
            size = len(value) if isinstance(value, bytes) else len(value.encode("utf-8"))
            if size > constants.MAX_VALUE_BYTES:
                raise D1Error(VALUE_TOO_BIG)


def raw_column_names(options: Any, column_names: bool | None) -> bool:
    """``raw(columnNames=True)`` or the JS-style ``raw({"columnNames": True})``."""
    if column_names is not None:
        return bool(column_names)
    if isinstance(options, dict):
        return bool(options.get("columnNames"))
    return False


def migration_file_name(number: int, message: str) -> str:
    """wrangler's name for a new migration: ``NNNN_message_with_underscores.sql``."""
    if not message or not message.strip():
        raise ValueError("a migration needs a message, e.g. `create_users`")
    if "/" in message or "\\" in message:
        raise ValueError(f"invalid migration message {message!r}: it may not contain path separators")
    return f"{number:04d}_{message.replace(' ', '_')}.sql"


def quote_identifier(name: str) -> str:
    """``name`` as an SQL identifier: bare when it is a plain word (as wrangler writes d1_migrations)."""
    if _PLAIN_IDENTIFIER.fullmatch(name):
        return name
    return '"' + name.replace('"', '""') + '"'


def escape_identifier(name: str) -> str:
    """``name`` always double-quoted (safe for any table or column name, keywords included)."""
    return '"' + name.replace('"', '""') + '"'
