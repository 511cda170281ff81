"""Builders for the operations of a sequence (the JSON both workers run; see worker.mjs).

A sequence is ``{"id", "binding", "ops"}`` (plus ``"object"``, the Durable Object namespace it runs in).
Arguments are Python values written as JSON: ints as numbers, and tags for what JSON lacks.
"""

from __future__ import annotations

import base64
from typing import Any


def call(on: str, method: str, *args: Any, as_: str | None = None, no_await: bool = False, raw: bool = False,
         **kwargs: Any) -> dict:
    """``on.method(*args, **kwargs)``; ``as_`` keeps the result for later operations (``ref(name)``).
    ``raw``: ``on`` is a plain JavaScript object for a Python worker (a WebSocket, the Cache API), not an
    SDK-wrapped binding: Pyodide converts the arguments itself, so ``None`` is ``undefined`` there."""
    op: dict[str, Any] = {"on": on, "call": method, "args": [value(a) for a in args]}
    if raw:
        op["raw"] = True
    if kwargs:
        op["kwargs"] = {k: value(v) for k, v in kwargs.items()}
    if as_:
        op["as"] = as_
    if no_await:
        op["noAwait"] = True
    return op


def chain(on: str, *steps: tuple, as_: str | None = None) -> dict:
    """Calls one after the other, each on the previous result: ``chain("DB", ("prepare", sql), ("all",))``.
    A step is ``(method, *args)``; a dict as its last item (``kw(...)``) is its keyword arguments."""
    out = []
    for method, *args in steps:
        kwargs = None
        if args and isinstance(args[-1], Kwargs):
            kwargs = {k: value(v) for k, v in args.pop().items()}
        out.append([method, [value(a) for a in args], kwargs])
    op: dict[str, Any] = {"on": on, "chain": out}
    if as_:
        op["as"] = as_
    return op


class Kwargs(dict):
    """Keyword arguments of one step of a chain."""


def kw(**kwargs: Any) -> Kwargs:
    return Kwargs(kwargs)


def get(on: str, attribute: str, as_: str | None = None) -> dict:
    """Read ``on.attribute``."""
    op: dict[str, Any] = {"on": on, "get": attribute}
    if as_:
        op["as"] = as_
    return op


def value(v: Any) -> Any:
    """A Python value as a sequence writes it."""
    if isinstance(v, bool) or v is None or isinstance(v, str) and not _has_surrogates(v):
        return v
    if isinstance(v, str):
        data = v.encode("utf-16-le", "surrogatepass")
        return {"$str": [int.from_bytes(data[i : i + 2], "little") for i in range(0, len(data), 2)]}
    if isinstance(v, int):
        return v if -(2**53) <= v <= 2**53 else {"$int": str(v)}
    if isinstance(v, float):
        return {"$float": "nan" if v != v else repr(v)}
    if isinstance(v, (bytes, bytearray)):
        return {"$bytes": base64.b64encode(bytes(v)).decode("ascii")}
    if isinstance(v, (list, tuple)):
        return [value(item) for item in v]
    if isinstance(v, set):
        return {"$set": [value(item) for item in v]}
    if isinstance(v, Tag):
        return v.json
    if isinstance(v, dict):
        converted = {str(k): value(item) for k, item in v.items()}
        return {"$dict": converted} if any(str(k).startswith("$") for k in v) else converted
    raise TypeError(f"no sequence form for {type(v).__name__}")


def _has_surrogates(text: str) -> bool:
    return any("\ud800" <= ch <= "\udfff" for ch in text)


class Tag:
    """A value only the workers can build (a kept result, a long string, a Request...)."""

    def __init__(self, json: dict[str, Any]) -> None:
        self.json = json

    def __repr__(self) -> str:
        return f"Tag({self.json!r})"


def ref(name: str) -> Tag:
    return Tag({"$ref": name})


def ref_field(name: str, field: str) -> Tag:
    """A field of a kept result (``kept[field]``, or its attribute)."""
    return Tag({"$refField": name, "field": field})


def repeat(text: str, n: int) -> Tag:
    """``text * n``, built by the worker (long values stay short in the sequence)."""
    return Tag({"$repeat": text, "n": n})


def filled(byte: int, n: int) -> Tag:
    """``bytes([byte]) * n``, built by the worker."""
    return Tag({"$bytesOf": byte, "n": n})


def date(ms: int) -> Tag:
    """A date (a ``datetime`` in Python, a ``Date`` in JavaScript) at epoch milliseconds ``ms``."""
    return Tag({"$date": ms})


def now_plus(seconds: int) -> Tag:
    """Seconds since the epoch, ``seconds`` from the worker's now (KV's absolute ``expiration``)."""
    return Tag({"$nowPlus": seconds})


def request(url: str, **init: Any) -> Tag:
    return Tag({"$request": url, "init": value(init)})


def response(body: Any, **init: Any) -> Tag:
    return Tag({"$response": value(body), "init": value(init)})


def settle(wait_seconds: float = 0) -> dict:
    """Let the queue consumers run until nothing more is due. Miniflare runs on real timers, so a sequence
    whose messages are delayed says how long to wait (pyflare moves its clock instead)."""
    return {"settle": True, "waitMs": int(wait_seconds * 1000)} if wait_seconds else {"settle": True}


def observe(seq: str, batches: bool = False) -> dict:
    """What the queue consumers saw of this sequence's messages (every delivery of each); ``batches`` adds
    the sizes of the batches (deterministic only when the messages were sent in one ``sendBatch``)."""
    return {"observe": seq, "batches": True} if batches else {"observe": seq}


def ws_pair(name: str) -> dict:
    """A WebSocketPair whose ends are kept as ``name.client`` and ``name.server``, with every event recorded."""
    return {"wsPair": name}


def ws_events(name: str) -> dict:
    """The events one end has received so far, and its readyState."""
    return {"events": name}


def sequence(id: str, binding: str, ops: list[dict], *, object: str | None = None, heavy: bool = False) -> dict:
    """A sequence; ``object`` runs it inside a Durable Object of that namespace, ``heavy`` (values of many
    MiB) runs it in a request of its own."""
    out: dict[str, Any] = {"id": id, "binding": binding, "ops": ops}
    if object:
        out["object"] = object
    if heavy:
        out["heavy"] = True
    return out
