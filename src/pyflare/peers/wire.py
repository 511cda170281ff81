"""Values and errors on the wire between pyflare processes.

RPC arguments and results have already passed the Python RPC rules (:func:`pyflare.workers.rpc.to_rpc`) on the
side that sends them; here they become bytes and back. The bytes are a pickle read by an unpickler that
rebuilds only the RPC data model (``None``, ``bool``, numbers, ``str``, ``bytes``, lists, dicts, sets,
``datetime``...) and :class:`Wire` records of pyflare's own types, so reading a peer's message can never run
code. Requests, responses, blobs and form data travel as records of their bytes (a body is read whole first);
an exception travels as its class and message and comes back as the same class when it is a built-in or one
of pyflare's (``TypeError``, ``DurableObjectError``...), else as a ``JsException`` carrying its name, as an
``Error`` crossing RPC on Cloudflare does. A function cannot cross between processes: that is a
``DataCloneError`` naming the limitation.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import importlib
import io
import pickle
from typing import Any

from pyflare.kernel.jsdict import JsDict
from pyflare.kernel.jserrors import DataCloneError, JsException
from pyflare.workers import Blob, File, FormData, Request, Response
from pyflare.workers.host import blob_data, has_body

__all__ = ["Wire", "decode", "decode_error", "encode", "encode_error"]

_ALLOWED = {
    ("datetime", "datetime"), ("datetime", "date"), ("datetime", "time"), ("datetime", "timedelta"),
    ("datetime", "timezone"), ("decimal", "Decimal"), ("builtins", "set"), ("builtins", "frozenset"),
    ("builtins", "bytearray"), ("pyflare.peers.wire", "Wire"),
}


class Wire:
    """A pyflare value in transit: ``kind`` names it, ``data`` holds it in built-in types only."""

    __slots__ = ("data", "kind")

    def __init__(self, kind: str, data: Any) -> None:
        self.kind = kind
        self.data = data

    def __reduce__(self) -> tuple[Any, ...]:
        return (Wire, (self.kind, self.data))


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"a message between pyflare processes may not contain {module}.{name}")


# -- errors -------------------------------------------------------------------------------------------
def encode_error(error: BaseException) -> dict[str, Any]:
    """An exception as plain data: its class, its message, and its simple attributes (``code``, ``name``...)."""
    kind = type(error)
    attributes = {key: value for key, value in vars(error).items()
                  if isinstance(value, (str, int, float, bool)) or value is None} if hasattr(error, "__dict__") else {}
    return {"module": kind.__module__, "class": kind.__qualname__, "message": str(error),
            "name": getattr(error, "name", None) if isinstance(getattr(error, "name", None), str) else None,
            "attributes": attributes}


def decode_error(data: dict[str, Any]) -> BaseException:
    """The exception :func:`encode_error` described: the same class for built-ins and pyflare's own."""
    module, qualname, message = data.get("module"), data.get("class"), str(data.get("message", ""))
    cls: Any = None
    if module == "builtins":
        cls = getattr(__import__("builtins"), str(qualname), None)
    elif isinstance(module, str) and (module == "pyflare" or module.startswith("pyflare.")) and "." not in str(qualname):
        try:
            cls = getattr(importlib.import_module(module), str(qualname), None)
        except ImportError:
            cls = None
    if isinstance(cls, type) and issubclass(cls, Exception):
        error = cls.__new__(cls)
        Exception.__init__(error, message)
        for key, value in (data.get("attributes") or {}).items():
            try:
                setattr(error, key, value)
            except (AttributeError, TypeError):
                pass
        return error
    error = JsException(message)
    error.name = str(data.get("name") or qualname or "Error")
    return error


# -- values -------------------------------------------------------------------------------------------
async def _freeze(value: Any, memo: dict[int, Any]) -> Any:
    """``value`` with pyflare's objects turned into :class:`Wire` records (bodies read)."""
    kind = type(value)
    if value is None or kind in (str, int, float, bool, bytes):
        return value
    key = id(value)
    if key in memo:
        return memo[key]
    if isinstance(value, dict):
        out: dict[Any, Any] = {}
        memo[key] = out
        for k, v in dict.items(value):
            out[k] = await _freeze(v, memo)
        return out
    if isinstance(value, list):
        items: list[Any] = []
        memo[key] = items
        for item in value:
            items.append(await _freeze(item, memo))
        return items
    if isinstance(value, (set, frozenset, _dt.datetime, _dt.date, _dt.time, _dt.timedelta, decimal.Decimal)):
        return value
    if isinstance(value, memoryview):  # bytes after the RPC rules (a view of an ArrayBuffer)
        return Wire("view", bytes(value))
    if isinstance(value, BaseException):
        return Wire("error", encode_error(value))
    if isinstance(value, Request):
        body = await value.clone().bytes() if has_body(value) else None
        return Wire("request", {"method": value.method, "url": value.url, "headers": value.headers.entries(),
                                "body": body})
    if isinstance(value, Response):
        body = await value.clone().bytes() if has_body(value) else None
        return Wire("response", {"status": value.status, "headers": value.headers.entries(), "body": body})
    if isinstance(value, File):
        return Wire("file", {"data": blob_data(value), "type": value.type, "name": value.name})
    if isinstance(value, Blob):
        return Wire("blob", {"data": blob_data(value), "type": value.type})
    if isinstance(value, FormData):
        return Wire("form", [(name, await _freeze(item, memo)) for name, item in value.items()])
    if callable(value):
        raise DataCloneError("DataCloneError: a function cannot be sent to a worker in another process (pyflare's dev "
                             "registry carries data, requests and responses; run both workers in one pyflare, "
                             "-c a -c b, to pass functions over RPC)")
    raise DataCloneError(f'DataCloneError: Could not serialize object of type "{kind.__name__}". '
                         "This type does not support serialization.")


def _thaw(value: Any) -> Any:
    kind = type(value)
    if kind is Wire:
        data = value.data
        if value.kind == "error":
            return decode_error(data)
        if value.kind == "request":
            return Request(data["url"], method=data["method"], headers=data["headers"], body=data["body"])
        if value.kind == "response":
            return Response(data["body"], status=data["status"], headers=data["headers"])
        if value.kind == "file":
            return File(data["data"], data["name"], data["type"])
        if value.kind == "blob":
            return Blob(data["data"], data["type"])
        if value.kind == "view":
            return memoryview(data)
        if value.kind == "form":
            form = FormData()
            for name, item in data:
                form.append(name, _thaw(item))
            return form
        raise pickle.UnpicklingError(f"unknown value kind {value.kind!r} from another pyflare process")
    if kind is dict:
        return JsDict({k: _thaw(v) for k, v in value.items()})
    if kind is list:
        return [_thaw(item) for item in value]
    return value


async def encode(value: Any) -> bytes:
    """The bytes of ``value`` (already a copy under the RPC rules) for another process."""
    return pickle.dumps(await _freeze(value, {}), protocol=5)


def decode(data: bytes) -> Any:
    """The value :func:`encode` wrote: dicts as JsDict, pyflare's objects rebuilt."""
    return _thaw(_Unpickler(io.BytesIO(data)).load())
