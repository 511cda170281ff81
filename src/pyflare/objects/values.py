"""Stored values: how a Python value becomes a row in an object's ``_cf_KV`` table, and back.

Values JSON can hold exactly (``None``, ``bool``, ``int``, finite ``float``, ``str``, lists and dicts with
string keys of those) are stored as readable JSON ``TEXT``, so ``sqlite3`` shows them as they are. Anything
else that may cross RPC (``bytes``, ``set``, ``datetime``, non-finite floats, exceptions...) is stored as a
``BLOB`` written by pickle and read by an unpickler that rebuilds only those types: reading stored data can
never run code.
"""

from __future__ import annotations

import io
import json
import pickle
from typing import Any

_ALLOWED_GLOBALS = {
    ("datetime", "datetime"), ("datetime", "date"), ("datetime", "time"), ("datetime", "timedelta"),
    ("datetime", "timezone"), ("builtins", "set"), ("builtins", "frozenset"), ("builtins", "Exception"),
    ("builtins", "bytearray"), ("decimal", "Decimal"),
}

_dumps = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"), check_circular=False).encode


def _json_exact(value: Any, depth: int = 0) -> bool:
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return True
    if kind is float:
        return value == value and value not in (float("inf"), float("-inf"))
    if depth > 64:
        return False
    if kind is list:
        return all(_json_exact(v, depth + 1) for v in value)
    if isinstance(value, dict) and (kind is dict or kind.__module__.startswith("pyflare.")):
        return all(type(k) is str and _json_exact(v, depth + 1) for k, v in value.items())
    return False


def encode(value: Any) -> str | bytes:
    """The stored form of ``value`` (already checked against the RPC rules)."""
    kind = type(value)
    if kind is int or kind is bool or value is None:  # the common counters and flags, without the encoder
        return "true" if value is True else "false" if value is False else "null" if value is None else str(value)
    if _json_exact(value):
        text = _dumps(value)
        try:
            text.encode("utf-8")
            return text
        except UnicodeEncodeError:  # lone surrogates: not valid TEXT
            pass
    return pickle.dumps(_plain(value), protocol=5)


def _plain(value: Any) -> Any:
    """Dict subclasses (JsDict) as plain dicts, so the pickle names no pyflare class."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, BaseException):
        return Exception(str(value))
    return value


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"a stored Durable Object value may not contain {module}.{name}")


def decode(stored: str | bytes) -> Any:
    """The value a stored row holds (dicts plain; the RPC layer makes them JsDicts)."""
    if type(stored) is str:
        return json.loads(stored)
    return _Unpickler(io.BytesIO(stored)).load()


def size(stored: str | bytes) -> int:
    return len(stored.encode("utf-8")) if type(stored) is str else len(stored)


__all__ = ["decode", "encode", "size"]
