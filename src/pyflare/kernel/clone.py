"""The structured clone: the copy V8 makes of a value, and the size of what its serializer writes.

On Cloudflare every value a worker hands over to be sent or kept is structured-cloned: RPC arguments and
results (Durable Object stubs, service bindings), queue messages (``contentType="v8"``), WebSocket
attachments, Durable Object storage values. pyflare copies the Python value the same way, here: the copy
shares no mutable state with the original (shared and cyclic references stay shared and cyclic, as in V8),
and :attr:`StructuredClone.size` is what V8's serializer (wire format 15) writes, header included, so each
limit (RPC's 32 MiB, an attachment's 16 KiB, a stored value's 128 KiB) trips where it trips on Cloudflare.

The data model: ``None``, ``bool``, ``int``, ``float``, ``str`` (subclasses, such as enums, as the plain
value), ``bytes``/``bytearray``/``memoryview`` (copied as ``bytes``), ``datetime`` (a ``Date``), ``list`` and
``tuple`` (an ``Array``, copied as a list), ``dict`` (an object, copied as a :class:`~pyflare.kernel.jsdict.JsDict`)
and ``set``/``frozenset`` (a ``Set``). Anything else raises :class:`~pyflare.kernel.jserrors.DataCloneError`;
a value nested deeper than the stack allows is ``RangeError: Maximum call stack size exceeded``.

Callers differ in what a Python value becomes before V8 sees it (Pyodide's ``to_js`` for queue messages and
attachments; the Python SDK's RPC rules for RPC and storage) and in their error texts: each is a small
subclass overriding :meth:`~StructuredClone.other` (a value outside the model), :meth:`~StructuredClone.key`
(a dict key) or :meth:`~StructuredClone.refuse` (the error text). Use ``copy, size = MyRules.clone(value)``.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from pyflare.kernel.jsdict import JsDict
from pyflare.kernel.jserrors import DataCloneError, RangeError
from pyflare.kernel.jsvalues import STACK_OVERFLOW

__all__ = ["HEADER_BYTES", "NOT_SEEN", "StructuredClone", "string_size", "structured_clone"]

HEADER_BYTES = 2  # 0xFF, version
_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1


def varint_size(n: int) -> int:
    """Bytes of ``n`` as a base-128 varint."""
    size = 1
    while n >= 0x80:
        n >>= 7
        size += 1
    return size


def string_size(text: str) -> int:
    """Bytes V8 writes for a string: one per character if Latin-1, else two (and one of alignment padding)."""
    if not text.isascii():
        try:
            text.encode("latin-1")
        except UnicodeEncodeError:
            units = len(text.encode("utf-16-le", "surrogatepass")) // 2
            return 1 + varint_size(2 * units) + 2 * units + 1
    return 1 + varint_size(len(text)) + len(text)


def _int_size(value: int) -> int:
    if _INT32_MIN <= value <= _INT32_MAX:
        return 1 + varint_size((value << 1) ^ (value >> 63) if value < 0 else value << 1)
    return 9  # a double


class StructuredClone:
    """One clone: :meth:`copy` walks the value, :attr:`size` counts what V8 would write."""

    __slots__ = ("memo", "size")

    mapping: type[dict[Any, Any]] = JsDict  # what a dict is copied as

    def __init__(self) -> None:
        self.memo: dict[int, Any] = {}
        self.size = HEADER_BYTES

    @classmethod
    def clone(cls, value: Any) -> tuple[Any, int]:
        """``(copy, serialized size)`` of ``value``; DataCloneError or RangeError as V8 raises them."""
        cloner = cls()
        try:
            copy = cloner.copy(value)
        except RecursionError:  # V8's serializer runs out of stack the same way
            raise RangeError(STACK_OVERFLOW) from None
        return copy, cloner.size

    # -- the walk ---------------------------------------------------------------------------------
    def copy(self, value: Any) -> Any:
        kind = type(value)
        if kind is str:
            self.size += string_size(value)
            return value
        if kind is int:
            self.size += _int_size(value)
            return value
        if kind is float:
            self.size += 9
            return value
        if value is None or kind is bool:
            self.size += 1
            return value
        if kind is bytes:
            self.size += 1 + varint_size(len(value)) + len(value)
            return value
        if kind is list:
            return self.array(value)
        if kind is dict or kind is JsDict:
            return self.object(value)
        return self.other(value)

    def other(self, value: Any) -> Any:
        """A value the fast paths of :meth:`copy` did not take: the rest of the data model, else refused."""
        if isinstance(value, (list, tuple)):
            return self.array(value)
        if isinstance(value, dict):
            return self.object(value)
        if isinstance(value, (set, frozenset)):
            return self.set(value)
        if isinstance(value, (bytes, bytearray, memoryview)):
            return self.copy(bytes(value))
        if isinstance(value, _dt.datetime):
            self.size += 9
            return value
        for plain in (bool, int, float, str):  # subclasses (IntEnum, str enums) cross as the plain value
            if isinstance(value, plain):
                return self.copy(plain(value))
        raise self.refuse(value)

    def refuse(self, value: Any) -> Exception:
        """The error for a value that cannot be cloned."""
        return DataCloneError(f"{type(value).__name__} object could not be cloned: use None, bool, numbers, str, "
                              "bytes, datetime, and lists, dicts and sets of those.")

    def key(self, key: Any) -> Any:
        """A dict key as the copy keeps it: strings and integers, as a JavaScript object's keys."""
        if isinstance(key, str):
            self.size += string_size(key)
            return key
        if isinstance(key, int) and not isinstance(key, bool):
            return self.copy(int(key))
        raise DataCloneError(f"{key!r} could not be cloned: object keys must be strings.")

    def seen(self, value: Any) -> Any:
        """The copy already made of ``value`` (a shared or cyclic reference), else :data:`_NEW`."""
        found = self.memo.get(id(value), _NEW)
        if found is not _NEW:
            self.size += 2  # a back-reference: tag and id
        return found

    def array(self, value: Any) -> list[Any]:
        found = self.seen(value)
        if found is not _NEW:
            return found  # type: ignore[no-any-return]
        out: list[Any] = []
        self.memo[id(value)] = out
        self.size += 3 + 2 * varint_size(len(value))  # tag, length ... end tag, properties, length
        copy = self.copy
        out.extend(copy(item) for item in value)
        return out

    def object(self, value: dict[Any, Any]) -> dict[Any, Any]:
        found = self.seen(value)
        if found is not _NEW:
            return found  # type: ignore[no-any-return]
        out = self.mapping()
        self.memo[id(value)] = out
        self.size += 2 + varint_size(len(value))  # begin tag ... end tag, properties
        copy, key = self.copy, self.key
        for k, v in dict.items(value):
            out[key(k)] = copy(v)
        return out

    def set(self, value: Any) -> set[Any]:
        found = self.seen(value)
        if found is not _NEW:
            return found  # type: ignore[no-any-return]
        out: set[Any] = set()
        self.memo[id(value)] = out
        self.size += 2 + varint_size(len(value))
        for item in value:
            member = self.copy(item)
            try:
                out.add(member)
            except TypeError:  # a tuple member became a list
                raise self.refuse(item) from None
        return out


_NEW: Any = object()
NOT_SEEN = _NEW  # what :meth:`StructuredClone.seen` returns for a value not copied yet


def structured_clone(value: Any) -> Any:
    """A structured clone of ``value`` under the plain rules above."""
    return StructuredClone.clone(value)[0]
