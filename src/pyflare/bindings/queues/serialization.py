"""Message bodies: turning a Python value into stored bytes for each content type, and back.

Content types (what ``contentType=`` accepts) and what the consumer's ``message.body`` is:

- ``text``: a ``str``; delivered as the same ``str``.
- ``json``: anything ``json.dumps`` takes (tuples become lists); delivered parsed, objects as ``JsDict``.
- ``bytes``: ``bytes``/``bytearray``/``memoryview``; delivered as ``bytes``.
- ``v8``: what the structured clone algorithm copies, in Python terms: ``None``, ``bool``, ``int``,
  ``float``, ``str``, ``bytes`` (``bytearray``/``memoryview`` become ``bytes``), ``list`` (``tuple``
  becomes ``list``), ``dict`` (any keys of these types), ``set`` (``frozenset`` becomes ``set``),
  ``datetime``/``date``/``time``/``timedelta`` and ``Decimal``, nested and even cyclic. Anything else
  (class instances, functions, generators...) is refused with ``DataCloneError`` at send time, as V8
  refuses to clone it; so what a consumer gets is always an independent copy of what was sent.
  The copy is stored with pickle and read back with an unpickler that only rebuilds those types, so a
  stored message can never run code when it is read.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import io
import pickle
from typing import Any

from pyflare.bindings.queues.constants import BYTES, JSON, TEXT, V8
from pyflare.bindings.queues.errors import DataCloneError
from pyflare.kernel.clone import StructuredClone
from pyflare.kernel.jsconvert import BigIntError, js_number, naive_utc
from pyflare.kernel.jserrors import RangeError
from pyflare.kernel.jsvalues import STACK_OVERFLOW, json_parse, json_stringify, usv

_SCALARS = (_dt.datetime, _dt.date, _dt.time, _dt.timedelta, decimal.Decimal)  # kept as they are

# What the restricted unpickler may rebuild (pickle refers to these by module and name).
_ALLOWED_GLOBALS = {
    ("datetime", "datetime"), ("datetime", "date"), ("datetime", "time"), ("datetime", "timedelta"),
    ("datetime", "timezone"), ("decimal", "Decimal"), ("builtins", "set"), ("builtins", "frozenset"),
    ("builtins", "bytearray"),
}


def js_typeof(value: Any) -> str:
    """The JavaScript ``typeof`` of the value a Python value becomes (for Cloudflare's error texts)."""
    if value is None:
        return "undefined"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if callable(value):
        return "function"
    return "object"


# -- v8: structured clone ------------------------------------------------------------------------------
class MessageClone(StructuredClone):
    """The structured clone of a ``v8`` body, as Pyodide's ``to_js`` hands it to V8: a dict is a ``Map``
    (any clonable keys, copied as a plain dict), and dates, times, durations and decimals are kept."""

    __slots__ = ()

    mapping = dict

    def other(self, value: Any) -> Any:
        kind = type(value)
        if kind is _dt.datetime and value.tzinfo is not None and type(value.tzinfo) is not _dt.timezone:
            self.size += 9
            return value.astimezone(_dt.timezone.utc)  # a Date holds an instant, not a zone
        if kind in _SCALARS:
            self.size += 9
            return value
        return super().other(value)

    def key(self, key: Any) -> Any:
        result = self.copy(key)
        try:
            hash(result)
        except TypeError:
            raise DataCloneError(f"{_describe(key)} could not be cloned as a key.") from None
        return result

    def refuse(self, value: Any) -> Exception:
        return DataCloneError(f"{_describe(value)} could not be cloned.")


def structured_clone(value: Any) -> Any:
    """Copy ``value`` as the structured clone algorithm would, or raise :class:`DataCloneError`."""
    return MessageClone.clone(value)[0]


def _describe(value: Any) -> str:
    if callable(value) and hasattr(value, "__name__"):
        return f"{type(value).__name__} {value.__name__}"
    return f"#<{type(value).__name__}>"


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"a v8 queue message may not contain {module}.{name}")


# -- encode / decode -------------------------------------------------------------------------------------
def encode(body: Any, content_type: str) -> bytes:
    """The stored bytes of ``body`` as ``content_type``; raises TypeError/DataCloneError as Cloudflare does."""
    if content_type == TEXT:
        if not isinstance(body, str):
            raise TypeError(f'Content Type "text" requires a value of type string, but received: {js_typeof(body)}')
        return usv(body).encode("utf-8")
    if content_type == BYTES:
        if not isinstance(body, (bytes, bytearray, memoryview)):
            raise TypeError(
                f'Content Type "bytes" requires a value of type ArrayBufferView, but received: {js_typeof(body)}'
            )
        return bytes(body)
    if content_type == JSON:
        try:
            text = json_stringify(body)
        except BigIntError:
            raise  # JSON.stringify's own TypeError: "Do not know how to serialize a BigInt"
        except TypeError as exc:
            raise TypeError(f"Failed to serialize the message body as JSON: {exc}") from None
        return text.encode("utf-8")
    if content_type == V8:
        try:
            return pickle.dumps(structured_clone(body), protocol=5)
        except RecursionError:  # pickling what the clone made: as deep as the clone could go
            raise RangeError(STACK_OVERFLOW) from None
    raise TypeError(f"Unsupported queue message content type: {content_type}")


def _as_received(value: Any, memo: dict[int, Any]) -> Any:
    """A structured-clone copy as a Python worker receives it (cycles kept): bytes-likes as memoryview, a
    whole number as an int, a datetime naive in UTC."""
    kind = type(value)
    if kind is float:
        return js_number(value)
    if kind in (bytes, bytearray):
        return memoryview(bytes(value))
    if kind is _dt.datetime:
        return naive_utc(value)
    if kind not in (dict, list):
        return value
    if id(value) in memo:
        return memo[id(value)]
    if kind is list:
        out_list: list[Any] = []
        memo[id(value)] = out_list
        out_list.extend(_as_received(item, memo) for item in value)
        return out_list
    out_dict: dict[Any, Any] = {}
    memo[id(value)] = out_dict
    for key, item in value.items():
        out_dict[key] = _as_received(item, memo)
    return out_dict


def decode(data: bytes, content_type: str) -> Any:
    """The ``message.body`` a consumer sees for stored bytes."""
    if content_type == TEXT:
        return data.decode("utf-8", "surrogatepass")
    if content_type == BYTES:
        return memoryview(bytes(data))  # an ArrayBuffer, as Pyodide hands it to Python
    if content_type == JSON:
        return json_parse(data.decode("utf-8", "surrogatepass"))
    if content_type == V8:
        # what crossed JavaScript and back: a Uint8Array is a memoryview, 3.0 is 3, a Date a naive UTC datetime
        return _as_received(_RestrictedUnpickler(io.BytesIO(data)).load(), {})
    raise TypeError(f"Unsupported queue message content type: {content_type}")
