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
  classes, ``complex``, ``range``...) raises :class:`DataCloneError`. A value larger than 32 MiB serialized
  raises ``RangeError``-like :class:`RpcSizeError` with Cloudflare's text.
- In (:func:`from_rpc`): dicts become :class:`~pyflare.workers.JsDict` (attribute access), ``bytes`` become
  ``memoryview`` (a JavaScript ``Uint8Array`` converts to one), the rest as sent.
"""

from __future__ import annotations

import datetime as _dt
import inspect
import weakref
from typing import Any

from pyflare.bindings.jsvalues import STACK_OVERFLOW, RangeError
from pyflare.workers._jsdict import JsDict
from pyflare.workers.pyodide.ffi import JsException

__all__ = ["MAX_RPC_SIZE", "DataCloneError", "RpcSizeError", "from_rpc", "rpc_method", "to_rpc"]

MAX_RPC_SIZE = 32 * 1024 * 1024

_PASS = (str, int, float, bool, type(None))


class DataCloneError(JsException):
    """A value the structured clone algorithm cannot copy (a JavaScript ``DataCloneError``)."""


class RpcSizeError(JsException):
    """The serialized value is over the 32 MiB RPC limit (a JavaScript ``RangeError``)."""


def _opaque_types() -> tuple[type, ...]:
    # Objects that cross as themselves (JS-backed on Cloudflare): bodies, requests, responses.
    from pyflare.workers import Blob, FormData, Request, Response

    return (Request, Response, Blob, FormData)


_OPAQUE: tuple[type, ...] | None = None


def to_rpc(value: Any) -> Any:
    """Check ``value`` against the RPC type rules and return the copy the other side receives."""
    kind = type(value)
    if kind in _PASS:  # the common case, kept cheap
        if kind is str and len(value) > MAX_RPC_SIZE // 3:
            _check_size(len(value.encode("utf-8", "surrogatepass")))
        return value
    size = [0]
    try:
        result = _clone(value, size, {})
    except RecursionError:  # V8's serializer runs out of stack the same way
        raise RangeError(STACK_OVERFLOW) from None
    _check_size(size[0])
    return result


def _check_size(size: int) -> None:
    if size > MAX_RPC_SIZE:
        raise RpcSizeError(
            "Serialized RPC arguments or return values are limited to 32MiB, "
            f"but the size of this value was: {size} bytes."
        )


def _clone(value: Any, size: list[int], memo: dict[int, Any]) -> Any:
    global _OPAQUE
    kind = type(value)
    if kind is str:
        size[0] += len(value) + 4
        return value
    if kind in _PASS:
        size[0] += 9
        return value
    if kind is tuple or kind is bytearray:
        raise TypeError(f"{kind} cannot be sent over RPC.")
    if kind is bytes or kind is memoryview:
        size[0] += len(value) + 8
        return bytes(value)
    key = id(value)
    if key in memo:
        return memo[key]
    if isinstance(value, list):
        out: list[Any] = []
        memo[key] = out
        size[0] += 8
        out.extend(_clone(item, size, memo) for item in value)
        return out
    if isinstance(value, dict):
        mapping = JsDict()
        memo[key] = mapping
        size[0] += 8
        for k, v in dict.items(value):
            # A Python dict becomes a JavaScript object, whose keys are strings.
            mapping[k if type(k) is str else _key(k)] = _clone(v, size, memo)
        return mapping
    if isinstance(value, (set, frozenset)):
        members: set[Any] = set()
        memo[key] = members
        for item in value:
            if type(item) is tuple:
                raise TypeError(f"{tuple} cannot be sent over RPC.")
            members.add(_clone(item, size, memo))
        return members
    if isinstance(value, _dt.datetime):
        size[0] += 9
        return value
    if isinstance(value, BaseException):
        size[0] += len(str(value)) + 16
        return Exception(str(value))
    if inspect.isawaitable(value):
        raise TypeError(f"Awaitable {kind} cannot be sent over RPC.")
    if _OPAQUE is None:
        _OPAQUE = _opaque_types()
    if isinstance(value, _OPAQUE) or (callable(value) and not isinstance(value, type)):
        size[0] += 16
        return value
    if isinstance(value, (int, float, str)):  # subclasses (IntEnum, str enums) cross as the plain value
        return _clone(kind.__mro__[[c in _PASS for c in kind.__mro__].index(True)](value), size, memo)
    raise DataCloneError(
        f'DataCloneError: Could not serialize object of type "{kind.__name__}". '
        "This type does not support serialization."
    )


def _key(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, float) and key.is_integer():
        return str(int(key))
    if key is None:
        return "null"
    if isinstance(key, (int, float, str)):
        return str(key)
    if type(key) is tuple:
        raise TypeError(f"{tuple} cannot be sent over RPC.")
    raise DataCloneError(
        f'DataCloneError: Could not serialize object of type "{type(key).__name__}". '
        "This type does not support serialization."
    )


def from_rpc(value: Any) -> Any:
    """What Python code receives for a value that crossed RPC: dicts as JsDict, bytes as memoryview."""
    kind = type(value)
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
