"""``serializeAttachment``: a structured clone of the value, and its size as V8's serializer counts it.

workerd keeps an attachment as V8-serialized bytes and refuses more than 16 KiB. pyflare keeps a deep
copy of the Python value and computes the size V8 would write (version-15 wire format), so the limit
trips where it trips on Cloudflare. What V8 cannot clone (functions, custom class instances) is refused.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from pyflare.websockets.errors import DataCloneError
from pyflare.workers._jsdict import JsDict

HEADER_BYTES = 2  # 0xFF, version


def _varint(n: int) -> int:
    size = 1
    while n >= 0x80:
        n >>= 7
        size += 1
    return size


def _string_size(text: str) -> int:
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        units = len(text.encode("utf-16-le")) // 2
        return 1 + _varint(2 * units) + 2 * units + 1  # two-byte string, with V8's alignment padding
    return 1 + _varint(len(text)) + len(text)


def clone(value: Any) -> tuple[Any, int]:
    """A deep copy of ``value`` as structured clone makes it, and its serialized size (header included)."""
    seen: dict[int, Any] = {}
    copy, size = _clone(value, seen)
    return copy, HEADER_BYTES + size


def _clone(value: Any, seen: dict[int, Any]) -> tuple[Any, int]:
    if value is None or isinstance(value, bool):
        return value, 1
    if isinstance(value, int):
        if -(2**31) <= value < 2**31:
            return value, 1 + _varint((value << 1) ^ (value >> 63) if value < 0 else value << 1)
        return value, 9
    if isinstance(value, float):
        return value, 9
    if isinstance(value, str):
        return value, _string_size(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
        return data, 1 + _varint(len(data)) + len(data)
    if isinstance(value, _dt.datetime):
        return value, 9
    if id(value) in seen:  # shared and cyclic references are kept, as structured clone does
        return seen[id(value)], 2
    if isinstance(value, dict):
        copy: Any = JsDict()
        seen[id(value)] = copy
        size = 1 + 1 + _varint(len(value))
        for key, item in value.items():
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                raise DataCloneError(f"{key!r} could not be cloned: object keys must be strings.")
            key_size = _string_size(str(key)) if isinstance(key, str) else _clone(key, seen)[1]
            copy[key], item_size = _clone(item, seen)
            size += key_size + item_size
        return copy, size
    if isinstance(value, (list, tuple)):
        copy = []
        seen[id(value)] = copy
        size = 1 + _varint(len(value)) + 1 + 1 + _varint(len(value))
        for item in value:
            item_copy, item_size = _clone(item, seen)
            copy.append(item_copy)
            size += item_size
        return copy, size
    if isinstance(value, (set, frozenset)):
        copy = set()
        seen[id(value)] = copy
        size = 1 + 1 + _varint(len(value))
        for item in value:
            item_copy, item_size = _clone(item, seen)
            copy.add(item_copy)
            size += item_size
        return copy, size
    raise DataCloneError(f"{type(value).__name__} object could not be cloned: use None, bool, numbers, str, "
                         "bytes, datetime, and lists, dicts and sets of those.")
