"""``js.console``: the worker's log, written through the ``pyflare.worker`` logger (one line per call) and, while
an event runs, recorded in its trace (:mod:`pyflare.kernel.tracing`) with the level Cloudflare's tail names.

Arguments are shown as a JavaScript developer reads them: strings as they are, objects and arrays as JSON,
``null``, ``true``/``false``, a ``Map`` as ``Map(1) {'a' => 1}``, other JS-side objects as their JavaScript
text. ``console.assert_`` is ``console.assert`` (Pyodide adds ``_`` to names that are Python keywords).
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from pyflare.kernel import tracing
from pyflare.kernel.jsobjects import JsMap, JsProxy, JsSet, js_number
from pyflare.kernel.tracing import current_span

_log = logging.getLogger("pyflare.worker")


def _plain(value: Any) -> Any:
    if isinstance(value, JsProxy) and not isinstance(value, (dict, list)):
        return str(value)
    return value


def text(value: Any) -> str:
    """One console argument as a JS developer reads it: objects and arrays as JSON, null, true/false."""
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return js_number(value)
    if isinstance(value, JsMap):
        inner = ", ".join(f"{k!r} => {text(v) if not isinstance(v, str) else repr(v)}" for k, v in value.items())
        return f"Map({len(value)}) {{{inner}}}"
    if isinstance(value, JsSet):
        return f"Set({len(value)}) {{{', '.join(repr(v) for v in value)}}}"
    if isinstance(value, (dict, list, tuple)):
        try:
            return json.dumps(value, ensure_ascii=False, default=_plain)
        except (TypeError, ValueError):  # a cycle: fall back to Python's own rendering
            return repr(value)
    return str(value)


def _line(args: tuple[Any, ...]) -> str:
    return " ".join(text(a) for a in args)


def _logged(value: Any) -> Any:
    """A console argument as a trace item keeps it: JSON values as they are (copied), anything else as text."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (dict, list, tuple)) and not isinstance(value, (JsMap, JsSet)):
        try:
            return json.loads(json.dumps(value, default=_plain))
        except (TypeError, ValueError):
            return repr(value)
    return text(value)


class _Console:
    def __init__(self) -> None:
        self._timers: dict[str, float] = {}
        self._counts: dict[str, int] = {}
        self._depth = 0

    def _write(self, level: int, args: tuple[Any, ...], kind: str = "log") -> None:
        if current_span.get() is not None:  # the running event records it, as Cloudflare's tail shows it
            tracing.log(kind, [_logged(a) for a in args])
        if _log.isEnabledFor(level):
            _log.log(level, "  " * self._depth + _line(args))

    def log(self, *args: Any) -> None:
        self._write(logging.INFO, args)

    dir = log
    dirxml = log
    table = log

    def info(self, *args: Any) -> None:
        self._write(logging.INFO, args, "info")

    def debug(self, *args: Any) -> None:
        self._write(logging.INFO, args, "debug")

    def warn(self, *args: Any) -> None:
        self._write(logging.WARNING, args, "warn")

    def error(self, *args: Any) -> None:
        self._write(logging.ERROR, args, "error")

    def trace(self, *args: Any) -> None:
        self._write(logging.INFO, ("Trace:", *args))

    def assert_(self, condition: Any = False, *args: Any) -> None:
        if not condition:
            self._write(logging.ERROR, ("Assertion failed" + (":" if args else ""), *args), "error")

    def count(self, label: str = "default") -> None:
        self._counts[label] = self._counts.get(label, 0) + 1
        self._write(logging.INFO, (f"{label}: {self._counts[label]}",))

    def countReset(self, label: str = "default") -> None:  # noqa: N802 - JS names
        self._counts.pop(label, None)

    def time(self, label: str = "default") -> None:
        self._timers[label] = time.perf_counter()

    def timeLog(self, label: str = "default", *args: Any) -> None:  # noqa: N802
        started = self._timers.get(label)
        if started is None:
            self._write(logging.WARNING, (f"Timer '{label}' does not exist",), "warn")
            return
        self._write(logging.INFO, (f"{label}: {(time.perf_counter() - started) * 1000:.3f}ms", *args))

    def timeEnd(self, label: str = "default") -> None:  # noqa: N802
        self.timeLog(label)
        self._timers.pop(label, None)

    def group(self, *args: Any) -> None:
        if args:
            self.log(*args)
        self._depth += 1

    groupCollapsed = group  # noqa: N815

    def groupEnd(self) -> None:  # noqa: N802
        self._depth = max(0, self._depth - 1)

    def clear(self) -> None:
        return None


console = _Console()
