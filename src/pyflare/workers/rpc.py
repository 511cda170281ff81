"""The Python RPC type rules: what may cross a Workers RPC boundary (Durable Object stubs, service bindings,
Durable Object storage) and what the other side receives.

Cloudflare's Python SDK converts values with ``python_to_rpc`` on the way out and ``python_from_rpc`` on the
way in (workers-py ``rpc.py``); pyflare never leaves Python, so it checks and copies instead:

- Out (:func:`to_rpc`): ``None``, ``bool``, ``int``, ``float``, ``str``, ``bytes``/``memoryview``, ``list``,
  ``dict`` (any keys become what JavaScript keeps: strings for a plain object), ``set``, ``datetime`` (a
  ``Date``), exceptions (an ``Error`` carrying the message), ``Request``/``Response``/``Blob``/``FormData``
  and callables pass, copied so the receiver never shares mutable state with the sender.
  A ``tuple`` or ``bytearray`` anywhere raises ``TypeError: <class 'tuple'> cannot be sent over RPC.``; an
  awaitable raises ``TypeError: Awaitable <class ...> cannot be sent over RPC.``; any other object (custom
  classes, ``complex``, ``range``...) raises :class:`DataCloneError`. A value over 32 MiB serialized (the
  size V8's serializer writes, :mod:`pyflare.kernel.clone`) raises :class:`RpcSizeError`, a ``RangeError``,
  with Cloudflare's text.
- In (:func:`from_rpc`): dicts become :class:`~pyflare.workers.JsDict` (attribute access), ``bytes`` become
  ``memoryview`` (a JavaScript ``Uint8Array`` converts to one), the rest as sent.
"""

from __future__ import annotations

import datetime as _dt
import inspect
import weakref
from typing import Any

from pyflare.kernel.clone import StructuredClone, string_size
from pyflare.kernel.jsconvert import js_number, naive_utc
from pyflare.kernel.jsdict import JsDict
from pyflare.kernel.jserrors import DataCloneError, RangeError
from pyflare.workers._formdata import Blob, FormData
from pyflare.workers._request import Request
from pyflare.workers._response import Response

__all__ = ["MAX_RPC_SIZE", "DataCloneError", "RpcSizeError", "from_rpc", "python_from_rpc", "python_to_rpc",
           "rpc_method", "serialized_size", "to_rpc"]

MAX_RPC_SIZE = 32 * 1024 * 1024

_PASS = (str, int, float, bool, type(None))


class RpcSizeError(RangeError):
    """The serialized value is over the 32 MiB RPC limit (a JavaScript ``RangeError``)."""


# Objects that cross as themselves (JS-backed on Cloudflare): bodies, requests, responses.
_OPAQUE = (Request, Response, Blob, FormData)


def _not_serializable(kind: type) -> DataCloneError:
    return DataCloneError(f'DataCloneError: Could not serialize object of type "{kind.__name__}". '
                          "This type does not support serialization.")


class RpcClone(StructuredClone):
    """The structured clone under the Python SDK's RPC rules (see the module docstring)."""

    __slots__ = ()

    def other(self, value: Any) -> Any:
        kind = type(value)
        if kind is tuple or kind is bytearray:
            raise TypeError(f"{kind} cannot be sent over RPC.")
        if kind is memoryview:
            return self.copy(bytes(value))
        if isinstance(value, (set, frozenset)):
            for item in value:
                if type(item) is tuple:
                    raise TypeError(f"{tuple} cannot be sent over RPC.")
        if isinstance(value, (list, dict, set, frozenset, _dt.datetime)):
            return super().other(value)
        if isinstance(value, BaseException):
            message = str(value)
            self.size += string_size(message) + 4
            return Exception(message)
        if inspect.isawaitable(value):
            raise TypeError(f"Awaitable {kind} cannot be sent over RPC.")
        if isinstance(value, _OPAQUE) or (callable(value) and not isinstance(value, type)):
            self.size += 16
            return value
        if isinstance(value, (int, float, str)):  # subclasses (IntEnum, str enums) cross as the plain value
            return super().other(value)
        raise self.refuse(value)

    def refuse(self, value: Any) -> Exception:
        return _not_serializable(type(value))

    def key(self, key: Any) -> str:
        # A Python dict becomes a JavaScript object, whose keys are strings.
        if type(key) is str:
            self.size += string_size(key)
            return key
        if isinstance(key, bool):
            text = "true" if key else "false"
        elif isinstance(key, float) and key.is_integer():
            text = str(int(key))
        elif key is None:
            text = "null"
        elif isinstance(key, (int, float, str)):
            text = str(key)
        elif type(key) is tuple:
            raise TypeError(f"{tuple} cannot be sent over RPC.")
        else:
            raise _not_serializable(type(key))
        self.size += string_size(text)
        return text


def to_rpc(value: Any) -> Any:
    """Check ``value`` against the RPC type rules and return the copy the other side receives."""
    kind = type(value)
    if kind in _PASS and (kind is not str or len(value) <= MAX_RPC_SIZE // 3):  # the common case, kept cheap
        return value
    result, size = RpcClone.clone(value)
    _check_size(size)
    return result


def serialized_size(value: Any) -> int:
    """The bytes V8's serializer writes for ``value`` (header included), under the RPC rules."""
    return RpcClone.clone(value)[1]


def _check_size(size: int) -> None:
    if size > MAX_RPC_SIZE:
        raise RpcSizeError(
            "Serialized RPC arguments or return values are limited to 32MiB, "
            f"but the size of this value was: {size} bytes."
        )


def from_rpc(value: Any) -> Any:
    """What Python code receives for a value that crossed into JavaScript and back (RPC, Durable Object
    storage): dicts as JsDict, bytes as memoryview, a number by Pyodide's rule (``3.0`` comes back ``3``),
    a Date as a naive datetime in UTC."""
    kind = type(value)
    if kind is float:
        return js_number(value)
    if kind in _PASS:
        return value
    if kind is JsDict:
        return JsDict({k: from_rpc(v) for k, v in dict.items(value)})
    if isinstance(value, dict):
        return JsDict({k: from_rpc(v) for k, v in dict.items(value)})
    if kind is list:
        return [from_rpc(v) for v in value]
    if kind is bytes:
        return memoryview(value)
    if kind is set:
        return {from_rpc(v) for v in value}
    if kind is _dt.datetime:
        return naive_utc(value)
    return value


# class -> {name: is an RPC-callable method}; weak, so the classes of reloaded code can go
_CALLABLE: weakref.WeakKeyDictionary[type, dict[str, bool]] = weakref.WeakKeyDictionary()


def rpc_method(instance: Any, name: str) -> Any:
    """The bound public method ``name`` of ``instance`` (a Durable Object or a WorkerEntrypoint), or the
    TypeError Cloudflare's Python SDK raises: only public plain functions of the class are callable."""
    cls = type(instance)
    known = _CALLABLE.get(cls)
    if known is None:
        known = _CALLABLE[cls] = {}
    callable_ = known.get(name)
    if callable_ is None:
        attr = getattr(cls, name, None)
        callable_ = known[name] = not name.startswith("_") and inspect.isfunction(attr)
    if not callable_:
        raise TypeError(f"Method {name} does not exist")
    return getattr(instance, name)


def python_to_rpc(value: Any) -> Any:
    """What crosses RPC for ``value``, under Cloudflare's Python RPC type rules (a tuple is a TypeError...)."""
    return to_rpc(value)


def python_from_rpc(value: Any) -> Any:
    """What Python code receives for a value from RPC: dicts with attribute access, bytes as memoryview."""
    return from_rpc(value)
