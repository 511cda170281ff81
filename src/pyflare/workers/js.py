"""A small stand-in for Pyodide's ``js`` module, for workers that import a few JavaScript globals.

Only what Python workers commonly reach for is here: ``console``, ``JSON``, ``Object``, ``Date``,
``caches`` (the Cache API), ``Response``/``Request``/``Headers`` (pyflare's Python classes, with Pyodide's
``.new(...)`` constructors), ``fetch``, ``Uint8Array``/``ArrayBuffer``, ``ReadableStream``, ``HTMLRewriter`` and
``WebSocketPair``/``WebSocket`` (pyflare.websockets). Anything else raises ImportError naming it.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from pyflare.kernel import tracing
from pyflare.kernel.context import current_worker
from pyflare.kernel.jsdict import to_jsdict
from pyflare.kernel.tracing import current_span
from pyflare.websockets.socket import WebSocket, WebSocketPair, WebSocketRequestResponsePair
from pyflare.workers._htmlrewriter import HTMLRewriter
from pyflare.workers._jsapi import (
    ArrayBuffer,
    Headers,
    Object,
    ReadableStream,
    Request,
    Response,
    Uint8Array,
    fetch,
)
from pyflare.workers.host import CACHES

_log = logging.getLogger("pyflare.worker")


def _text(value: Any) -> str:
    """One console argument as a JS developer reads it: objects and arrays as JSON, null, true/false."""
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list, tuple)):
        try:
            return json.dumps(value, ensure_ascii=False, default=str)
        except (TypeError, ValueError):  # a cycle: fall back to Python's own rendering
            return repr(value)
    return str(value)


def _logged(value: Any) -> Any:
    """A console argument as a trace item keeps it: JSON values as they are (copied), anything else as text."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (dict, list, tuple)):
        try:
            return json.loads(json.dumps(value, default=str))
        except (TypeError, ValueError):
            return repr(value)
    return _text(value)


def _console(level: str, log_level: int, args: tuple[Any, ...]) -> None:
    if current_span.get() is not None:  # the running event records it (pyflare.kernel.tracing)
        tracing.log(level, [_logged(a) for a in args])
    if _log.isEnabledFor(log_level):
        _log.log(log_level, " ".join(_text(a) for a in args))


class console:  # noqa: N801 - JavaScript's name
    @staticmethod
    def log(*args: Any) -> None:
        _console("log", logging.INFO, args)

    @staticmethod
    def info(*args: Any) -> None:
        _console("info", logging.INFO, args)

    @staticmethod
    def debug(*args: Any) -> None:
        _console("debug", logging.INFO, args)

    @staticmethod
    def warn(*args: Any) -> None:
        _console("warn", logging.WARNING, args)

    @staticmethod
    def error(*args: Any) -> None:
        _console("error", logging.ERROR, args)


class JSON:
    @staticmethod
    def stringify(value: Any, *_: Any) -> str:
        return json.dumps(value, separators=(",", ":"))

    @staticmethod
    def parse(text: str) -> Any:
        return to_jsdict(json.loads(text))


class Date:
    @staticmethod
    def now() -> int:
        worker = current_worker.get()
        if worker is not None:
            return worker.clock.time_ms()
        return int(time.time() * 1000)


class _CacheStorage:
    """``caches``: the Cache API (pyflare.bindings.cache) of the worker whose code is running."""

    def _target(self) -> Any:
        worker = current_worker.get()
        factory = worker.stash.get(CACHES, None) if worker is not None else None
        if factory is None:
            raise RuntimeError("caches is only available inside a worker loaded by pyflare")
        return factory()

    @property
    def default(self) -> Any:
        return self._target().default

    async def open(self, name: str) -> Any:
        return await self._target().open(name)


caches = _CacheStorage()

__all__ = [
    "JSON", "ArrayBuffer", "Date", "HTMLRewriter", "Headers", "Object", "ReadableStream", "Request", "Response",
    "Uint8Array", "WebSocket", "WebSocketPair", "WebSocketRequestResponsePair", "caches", "console", "fetch",
]
