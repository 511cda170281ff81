"""Time and the rest of the global scope's functions: timers on pyflare's clock, ``queueMicrotask``,
``scheduler.wait``, ``performance``, ``structuredClone``, ``reportError``, ``navigator``, ``Cloudflare``.

Timers (``setTimeout``, ``setInterval``, ``scheduler.wait``, ``AbortSignal.timeout``) fire when the clock of
the worker whose code set them reaches their time, so a test moves them with ``mf.clock.advance(...)``
instead of sleeping. A timer's callback runs as the worker's code; an ``async`` one runs as tracked
background work (``await mf.idle()`` waits for it), and an error is logged as an uncaught error.
``performance.now()`` is ``Date.now()``, as on Cloudflare (for Spectre reasons, workerd does not offer a
finer clock); ``performance.timeOrigin`` is 0.
"""

from __future__ import annotations

import asyncio
import contextvars
import itertools
from collections.abc import Callable
from typing import Any

from pyflare.kernel.clone import NOT_SEEN, StructuredClone
from pyflare.kernel.jsdate import JsDate
from pyflare.kernel.jsdict import JsDict, field, js_arguments
from pyflare.kernel.jserrors import DataCloneError, DOMException
from pyflare.kernel.jsobjects import (
    ArrayBuffer,
    DataView,
    JsArray,
    JsMap,
    JsProxy,
    JsSet,
    TypedArray,
)
from pyflare.kernel.jspromise import JsPromise
from pyflare.workers._events import call_back, clock_call_at, clock_call_later, clock_now, report_error, spawn
from pyflare.workers.host import compatibility

__all__ = [
    "Cloudflare", "Navigator", "Performance", "clearInterval", "clearTimeout", "clock_call_at", "clock_call_later",
    "clock_now", "navigator",
    "origin", "performance", "queueMicrotask", "reportError", "scheduler", "setInterval", "setTimeout",
    "structuredClone",
]

_ids = itertools.count(1)
_timers: dict[int, Any] = {}


def _delay(ms: Any) -> float:
    try:
        value = float(ms or 0)
    except (TypeError, ValueError):
        value = 0.0
    return 0.0 if value != value or value < 0 else value / 1000


def setTimeout(callback: Callable[..., Any], delay: Any = 0, *args: Any) -> int:  # noqa: N802 - JS names
    """Call ``callback(*args)`` once, ``delay`` milliseconds from now on pyflare's clock; returns the timer id."""
    timer_id = next(_ids)

    def fire() -> None:
        _timers.pop(timer_id, None)
        call_back(callback, *args, what="setTimeout callback")

    _timers[timer_id] = clock_call_later(_delay(delay), fire)
    return timer_id


def setInterval(callback: Callable[..., Any], delay: Any = 0, *args: Any) -> int:  # noqa: N802
    """Call ``callback(*args)`` every ``delay`` milliseconds on pyflare's clock until ``clearInterval``."""
    timer_id = next(_ids)
    seconds = max(_delay(delay), 0.001)
    due = [clock_now() + seconds]

    def fire() -> None:
        if timer_id not in _timers:
            return
        due[0] += seconds  # from when it was due, so a clock moved far ahead fires each tick in turn
        _timers[timer_id] = clock_call_at(due[0], fire)
        call_back(callback, *args, what="setInterval callback")

    _timers[timer_id] = clock_call_at(due[0], fire)
    return timer_id


def clearTimeout(timer_id: Any = None) -> None:  # noqa: N802
    handle = _timers.pop(timer_id, None) if isinstance(timer_id, int) else None
    if handle is not None:
        handle.cancel()


clearInterval = clearTimeout  # noqa: N816


def queueMicrotask(callback: Callable[[], Any]) -> None:  # noqa: N802
    """Run ``callback`` on the next turn of the event loop, before timers."""
    context = contextvars.copy_context()
    asyncio.get_running_loop().call_soon(context.run, call_back, callback)


def reportError(error: Any) -> None:  # noqa: N802
    report_error(error if isinstance(error, BaseException) else Exception(str(error)))


class _Scheduler(JsProxy):
    """``scheduler.wait(ms)``: a promise settled after ``ms`` milliseconds on pyflare's clock."""

    js_type = "Scheduler"

    def wait(self, ms: Any = 0, *args: Any, **kwargs: Any) -> JsPromise:
        (options, *_) = js_arguments(args, kwargs) or (None,)
        signal = field(options, "signal")
        promise = JsPromise()
        if signal is not None and signal.aborted:
            promise._reject(signal.reason)
            return promise
        handle = clock_call_later(_delay(ms), lambda: promise._resolve(None))
        if signal is not None:
            def aborted(*_: Any) -> None:
                handle.cancel()
                promise._reject(signal.reason)

            signal.addEventListener("abort", aborted)
        return promise


scheduler = _Scheduler()


class Performance(JsProxy):
    """``performance``: ``now()`` (the same as ``Date.now()``, as on Cloudflare), ``timeOrigin`` (0),
    ``mark``/``measure`` entries."""

    js_type = "Performance"
    timeOrigin = 0  # noqa: N815

    def __init__(self) -> None:
        self._entries: list[JsDict] = []

    @classmethod
    def new(cls, *_: Any) -> Any:
        raise TypeError("Illegal constructor")

    def now(self) -> int:
        return JsDate.now()

    def mark(self, name: str, *args: Any, **kwargs: Any) -> JsDict:
        (options, *_) = js_arguments(args, kwargs) or (None,)
        entry = JsDict(name=str(name), entryType="mark", startTime=field(options, "startTime", self.now()),
                       duration=0, detail=field(options, "detail"))
        self._entries.append(entry)
        return entry

    def measure(self, name: str, start: Any = None, end: Any = None) -> JsDict:
        def at(mark: Any, default: float) -> float:
            if mark is None:
                return default
            found = [e for e in self._entries if e.name == mark]
            if not found:
                raise DOMException(f"The mark '{mark}' does not exist.", "SyntaxError")
            return found[-1].startTime

        begin, finish = at(start, 0), at(end, self.now())
        entry = JsDict(name=str(name), entryType="measure", startTime=begin, duration=finish - begin)
        self._entries.append(entry)
        return entry

    def getEntries(self) -> JsArray:  # noqa: N802
        return JsArray(self._entries)

    def getEntriesByName(self, name: str, type: str | None = None) -> JsArray:  # noqa: N802
        return JsArray(e for e in self._entries if e.name == name and (type is None or e.entryType == type))

    def getEntriesByType(self, type: str) -> JsArray:  # noqa: N802
        return JsArray(e for e in self._entries if e.entryType == type)

    def clearMarks(self, name: str | None = None) -> None:  # noqa: N802
        self._entries = [e for e in self._entries if e.entryType != "mark" or (name is not None and e.name != name)]

    def clearMeasures(self, name: str | None = None) -> None:  # noqa: N802
        self._entries = [e for e in self._entries
                         if e.entryType != "measure" or (name is not None and e.name != name)]

    def toJSON(self) -> JsDict:  # noqa: N802
        return JsDict(timeOrigin=0)


performance = Performance()


# -- structuredClone -------------------------------------------------------------------------------------
class _JsClone(StructuredClone):
    """The kernel's structured clone with the JavaScript values of :mod:`pyflare.kernel.jsobjects`."""

    def copy(self, value: Any) -> Any:
        if isinstance(value, (JsArray, JsMap, JsSet, JsDate, ArrayBuffer, TypedArray, DataView, JsDict)):
            return self.other(value)
        return super().copy(value)

    def other(self, value: Any) -> Any:
        if isinstance(value, JsDate):
            self.size += 9
            return JsDate(value)
        if isinstance(value, JsMap):
            found = self.seen(value)
            if found is not NOT_SEEN:
                return found
            out = self.memo[id(value)] = JsMap()
            for k, v in list(value.items()):
                out[self.copy(k)] = self.copy(v)
            return out
        if isinstance(value, JsSet):
            return JsSet(self.set(value))
        if isinstance(value, JsArray):
            found = self.seen(value)
            if found is not NOT_SEEN:
                return found
            out = self.memo[id(value)] = JsArray()
            out.extend(self.copy(item) for item in value)
            return out
        if isinstance(value, ArrayBuffer):
            self.size += value.byteLength + 2
            return ArrayBuffer(value.to_bytes())
        if isinstance(value, (TypedArray, DataView)):
            found = self.seen(value.buffer)
            buffer = found if found is not NOT_SEEN else ArrayBuffer(value.buffer.to_bytes())
            self.memo[id(value.buffer)] = buffer
            self.size += value.byteLength + 4
            if isinstance(value, DataView):
                return DataView(buffer, value.byteOffset, value.byteLength)
            return type(value)(buffer, value.byteOffset, value.length)
        if isinstance(value, JsProxy) and not isinstance(value, dict):
            raise DataCloneError(f"{value!r} could not be cloned.")
        return super().other(value)

    def refuse(self, value: Any) -> Exception:
        if callable(value):
            return DataCloneError(f"{getattr(value, '__name__', type(value).__name__)} could not be cloned.")
        return DataCloneError(f"{type(value).__name__} object could not be cloned.")


def structuredClone(value: Any, *_: Any, **__: Any) -> Any:  # noqa: N802
    """``structuredClone(value)``: the kernel's structured clone (dicts come back as objects, JS values as
    themselves); a value that cannot be cloned is a DataCloneError."""
    return _JsClone.clone(value)[0]


# -- navigator, Cloudflare, origin -------------------------------------------------------------------------
class Navigator(JsProxy):
    """``navigator``: ``userAgent`` "Cloudflare-Workers", ``hardwareConcurrency`` 1, ``language`` "en"
    (with ``enable_navigator_language``), ``sendBeacon(url, body)``."""

    js_type = "Navigator"
    userAgent = "Cloudflare-Workers"  # noqa: N815
    hardwareConcurrency = 1  # noqa: N815
    platform = ""

    @classmethod
    def new(cls, *_: Any) -> Any:
        raise TypeError("Illegal constructor")

    def __getattr__(self, name: str) -> Any:
        if name in ("language", "languages") and compatibility().enabled(
                "enable_navigator_language", "disable_navigator_language", "2025-05-19"):
            return "en" if name == "language" else JsArray(["en"])
        raise AttributeError(name)

    def sendBeacon(self, url: str, body: Any = None) -> bool:  # noqa: N802
        """Send a POST in the background (as ``ctx.waitUntil(fetch(...))``); True once queued."""
        from pyflare.workers.js._fetchapi import fetch

        spawn(fetch(url, method="POST", body=body), "navigator.sendBeacon")
        return True


navigator = Navigator()


class _Cloudflare(JsProxy):
    """``Cloudflare.compatibilityFlags``: the worker's compatibility flags (those its config names), each True."""

    js_type = "Cloudflare"

    @property
    def compatibilityFlags(self) -> JsDict:  # noqa: N802
        return JsDict((flag, not flag.startswith("no_")) for flag in sorted(compatibility().flags))


Cloudflare = _Cloudflare()
origin = None  # workerd provides no origin (undefined)
