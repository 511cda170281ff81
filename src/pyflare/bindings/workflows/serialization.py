"""How step results, params, outputs and event payloads are stored: JSON, plus datetimes and bytes.

On Cloudflare these values cross into JavaScript (``to_js``) and are stored with structured clone, so
dicts, lists, tuples (as lists), strings, numbers, booleans, None, datetimes and bytes survive; anything
else is "not serialisable". Values read back are the same types, with dicts as :class:`JsDict` (attribute
access), whether the step ran just now or its result was replayed from storage.
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
import math
from typing import Any

from pyflare.kernel.jsdict import JsDict

_TAG = "__pyflare_type__"


class NotSerialisable(TypeError):
    pass


def _prepare(value: Any, depth: int = 0) -> Any:
    if depth > 200:
        raise NotSerialisable("value is nested too deeply")
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return {_TAG: "float", "v": repr(value)}
        return value
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if not isinstance(key, (str, int, float)):
                raise NotSerialisable(f"dict key {key!r} is not a string")
            out[str(key)] = _prepare(item, depth + 1)
        if _TAG in out:
            return {_TAG: "dict", "v": out}
        return out
    if isinstance(value, (list, tuple)):
        return [_prepare(item, depth + 1) for item in value]
    if isinstance(value, _dt.datetime):
        stamp = value if value.tzinfo else value.astimezone()
        return {_TAG: "Date", "ms": stamp.timestamp() * 1000}
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {_TAG: "bytes", "b64": base64.b64encode(bytes(value)).decode("ascii")}
    raise NotSerialisable(f"{type(value).__name__} cannot be stored")


def dumps(value: Any) -> str:
    """JSON text for ``value``; raises :class:`NotSerialisable` for values Cloudflare could not clone."""
    return json.dumps(_prepare(value), separators=(",", ":"), ensure_ascii=False)


def _restore(value: Any) -> Any:
    if isinstance(value, dict):
        tag = value.get(_TAG)
        if tag == "Date":
            return _dt.datetime.fromtimestamp(value["ms"] / 1000, _dt.timezone.utc)
        if tag == "bytes":
            return base64.b64decode(value["b64"])
        if tag == "float":
            return float(value["v"])
        if tag == "dict":
            return JsDict({k: _restore(v) for k, v in value["v"].items()})
        return JsDict({k: _restore(v) for k, v in value.items()})
    if isinstance(value, list):
        return [_restore(item) for item in value]
    return value


def loads(text: str | None) -> Any:
    return None if text is None else _restore(json.loads(text))


def plain(value: Any) -> Any:
    """A JSON-ready copy (datetimes as ISO strings, bytes as base64) for the CLI and logs."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, _dt.datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value
