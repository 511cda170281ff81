"""Events, cancellation and callbacks on the clock: ``Event``, ``EventTarget``, ``AbortSignal``/``AbortController``
(``js`` re-exports them), and how a callback JavaScript would call (a listener, a timer) runs.

Listeners are functions (sync or ``async``) or objects with ``handleEvent``; ``addEventListener`` takes
``once`` and ``signal`` options and refuses ``capture``/``passive`` as workerd does; a listener that raises is
reported (logged) without stopping the others. :func:`clock_call_at` runs a callback when the clock of the
worker whose code set it reaches a time: ``AbortSignal.timeout`` and the timers of ``js`` use it, so tests move
them with ``mf.clock.advance(...)``.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import logging
import time
from collections.abc import Callable
from typing import Any

from pyflare.kernel.context import current_worker
from pyflare.kernel.jsdate import JsDate
from pyflare.kernel.jsdict import field, js_arguments
from pyflare.kernel.jserrors import DOMException, JsException
from pyflare.kernel.jsobjects import JsArray, JsProxy, js_call

__all__ = ["AbortController", "AbortSignal", "Event", "EventTarget", "call_back", "clock_call_at",
           "clock_call_later", "clock_now", "report_error", "spawn"]

_log = logging.getLogger("pyflare.worker")


def report_error(error: BaseException) -> None:
    """An uncaught error of a callback (a listener, a timer): logged as workerd reports it, not raised."""
    _log.error("Uncaught %s: %s", getattr(error, "name", type(error).__name__), error, exc_info=error)


def spawn(awaitable: Any, what: str) -> None:
    worker = current_worker.get()
    if worker is not None:
        worker.spawn(awaitable, what)
    else:
        task = asyncio.ensure_future(awaitable)
        task.add_done_callback(lambda t: t.cancelled() or t.exception() is None or report_error(t.exception()))


def call_back(callback: Callable[..., Any], *args: Any, what: str = "callback") -> None:
    """Call a callback JavaScript would call (a listener, a timer): an ``async`` one runs as tracked
    background work; an error is reported, not raised."""
    try:
        result = js_call(callback, *args)
    except Exception as exc:
        report_error(exc)
        return
    if inspect.isawaitable(result):
        spawn(result, what)


def clock_now() -> float:
    """Now, in seconds since the epoch, on the running worker's clock (real time outside a worker)."""
    worker = current_worker.get()
    return worker.clock.time() if worker is not None else time.time()


def clock_call_at(when: float, callback: Callable[[], Any]) -> Any:
    """Run ``callback`` (in the caller's context) once the running worker's clock reaches ``when`` (real time
    outside a worker). Returns a handle with ``cancel()``."""
    context = contextvars.copy_context()
    worker = current_worker.get()
    if worker is not None:
        return worker.clock.call_at(when, lambda: context.run(callback))
    return asyncio.get_running_loop().call_later(max(0.0, when - time.time()), context.run, callback)


def clock_call_later(seconds: float, callback: Callable[[], Any]) -> Any:
    """Run ``callback`` once ``seconds`` have passed on the running worker's clock."""
    return clock_call_at(clock_now() + max(0.0, seconds), callback)


class Event(JsProxy):
    """``Event.new(type, bubbles=..., cancelable=...)``."""

    js_type = "Event"
    NONE, CAPTURING_PHASE, AT_TARGET, BUBBLING_PHASE = 0, 1, 2, 3

    def __init__(self, type: str, init: Any = None) -> None:
        self.type = str(type)
        self.bubbles = bool(field(init, "bubbles", False))
        self.cancelable = bool(field(init, "cancelable", False))
        self.composed = bool(field(init, "composed", False))
        self.defaultPrevented = False
        self.isTrusted = False
        self.timeStamp = JsDate.now()
        self.target: Any = None
        self.currentTarget: Any = None
        self.eventPhase = 0
        self._stopped = False

    @classmethod
    def new(cls, *args: Any, **kwargs: Any) -> Event:
        args = js_arguments(args, kwargs)
        if not args:
            raise TypeError(f"Failed to construct '{cls.js_type}': 1 argument required, but only 0 present.")
        return cls(*args[:2])

    @property
    def returnValue(self) -> bool:  # noqa: N802 - JS names
        return not self.defaultPrevented

    @property
    def cancelBubble(self) -> bool:  # noqa: N802
        return self._stopped

    @property
    def srcElement(self) -> Any:  # noqa: N802
        return self.target

    def preventDefault(self) -> None:  # noqa: N802
        if self.cancelable:
            self.defaultPrevented = True

    def stopPropagation(self) -> None:  # noqa: N802
        self._stopped = True

    def stopImmediatePropagation(self) -> None:  # noqa: N802
        self._stopped = True
        self._immediate = True

    def composedPath(self) -> JsArray:  # noqa: N802
        return JsArray([self.currentTarget] if self.currentTarget is not None else [])

    def _own_entries(self) -> list[tuple[str, Any]]:
        return [("isTrusted", self.isTrusted)]


class EventTarget(JsProxy):
    """``EventTarget.new()``: ``addEventListener``, ``removeEventListener``, ``dispatchEvent``."""

    js_type = "EventTarget"

    def __init__(self) -> None:
        self._listeners: dict[str, list[tuple[Any, bool]]] = {}

    @classmethod
    def new(cls) -> EventTarget:
        return cls()

    def addEventListener(self, type: str, listener: Any, *args: Any, **kwargs: Any) -> None:  # noqa: N802
        if listener is None:
            return
        (options, *_) = js_arguments(args, kwargs) or (None,)
        once = False
        if isinstance(options, bool):
            if options:
                raise TypeError("addEventListener(): useCapture must be false.")
        elif options is not None:
            if field(options, "capture", False):
                raise TypeError("addEventListener(): options.capture must be false.")
            if field(options, "passive", False):
                raise TypeError("addEventListener(): options.passive must be false.")
            once = bool(field(options, "once", False))
            signal = field(options, "signal")
            if signal is not None:
                if signal.aborted:
                    return
                signal.addEventListener("abort", lambda *_: self.removeEventListener(type, listener))
        entries = self._listeners.setdefault(str(type), [])
        if all(existing is not listener for existing, _ in entries):
            entries.append((listener, once))

    def removeEventListener(self, type: str, listener: Any, *_: Any, **__: Any) -> None:  # noqa: N802
        entries = self._listeners.get(str(type), [])
        self._listeners[str(type)] = [(fn, once) for fn, once in entries if fn is not listener]

    def dispatchEvent(self, event: Event) -> bool:  # noqa: N802
        if not isinstance(event, Event):
            raise TypeError("Failed to execute 'dispatchEvent' on 'EventTarget': parameter 1 is not of type 'Event'.")
        event.target = event.currentTarget = self
        event.eventPhase = Event.AT_TARGET
        handler = getattr(self, "on" + event.type, None) if event.type.isidentifier() else None
        listeners = list(self._listeners.get(event.type, []))
        if callable(handler):
            listeners.insert(0, (handler, False))
        for listener, once in listeners:
            if once:
                self.removeEventListener(event.type, listener)
            target = listener if callable(listener) else getattr(listener, "handleEvent", None)
            if target is not None:
                call_back(target, event, what=f"{event.type} listener")
            if getattr(event, "_immediate", False):
                break
        event.currentTarget, event.eventPhase = None, Event.NONE
        return not event.defaultPrevented


# -- AbortController / AbortSignal ---------------------------------------------------------------------
def _abort_error(reason: Any = None) -> Any:
    return DOMException("The operation was aborted", "AbortError") if reason is None else reason


class AbortSignal(EventTarget):
    """``controller.signal``; ``AbortSignal.abort(reason)``, ``.timeout(ms)`` (pyflare's clock), ``.any([...])``."""

    js_type = "AbortSignal"

    def __init__(self) -> None:
        super().__init__()
        self.aborted = False
        self.reason: Any = None
        self.onabort: Any = None

    @classmethod
    def new(cls, *_: Any) -> Any:
        raise TypeError("Illegal constructor")

    def throwIfAborted(self) -> None:  # noqa: N802
        if self.aborted:
            reason = self.reason
            raise reason if isinstance(reason, BaseException) else JsException(str(reason))

    def _abort(self, reason: Any = None) -> None:
        if self.aborted:
            return
        self.aborted, self.reason = True, _abort_error(reason)
        self.dispatchEvent(Event("abort"))

    @classmethod
    def abort(cls, reason: Any = None) -> AbortSignal:
        signal = cls()
        signal.aborted, signal.reason = True, _abort_error(reason)
        return signal

    @classmethod
    def timeout(cls, ms: float) -> AbortSignal:
        signal = cls()
        clock_call_later(float(ms) / 1000, lambda: signal._abort(
            DOMException("The operation was aborted due to timeout", "TimeoutError")))
        return signal

    @classmethod
    def any(cls, signals: Any) -> AbortSignal:
        combined = cls()
        for signal in signals:
            if signal.aborted:
                combined.aborted, combined.reason = True, signal.reason
                return combined
        for signal in signals:
            signal.addEventListener("abort", lambda event, s=signal: combined._abort(s.reason))
        return combined


class AbortController(JsProxy):
    """``AbortController.new()``: ``signal`` and ``abort(reason)``."""

    js_type = "AbortController"

    def __init__(self) -> None:
        self.signal = AbortSignal()

    @classmethod
    def new(cls) -> AbortController:
        return cls()

    def abort(self, reason: Any = None) -> None:
        self.signal._abort(reason)
