"""Events and cancellation: ``EventTarget``, ``Event``, ``CustomEvent``, ``AbortController``/``AbortSignal``,
``MessageChannel``/``MessagePort``, ``DOMException``, and the event classes of workerd's global scope.

Listeners are functions (sync or ``async``) or objects with ``handleEvent``; ``addEventListener`` takes
``once`` and ``signal`` options, refuses ``capture``/``passive`` as workerd does, and a listener that raises is
reported (logged) without stopping the others. ``AbortSignal.timeout(ms)`` fires on pyflare's clock.
The events only workerd itself makes (``FetchEvent``, ``ScheduledEvent``, ``TailEvent``) cannot be
constructed, as on Cloudflare (``TypeError: Illegal constructor``).
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import logging
from collections.abc import Callable
from typing import Any

from pyflare.kernel.context import current_worker
from pyflare.kernel.jsdate import JsDate
from pyflare.kernel.jsdict import JsDict, field, js_arguments
from pyflare.kernel.jserrors import DOMException, JsException
from pyflare.kernel.jsobjects import JsArray, JsProxy, js_call

__all__ = [
    "AbortController", "AbortSignal", "CloseEvent", "CustomEvent", "DOMException", "ErrorEvent", "Event",
    "EventTarget", "ExtendableEvent", "FetchEvent", "MessageChannel", "MessageEvent", "MessagePort",
    "PromiseRejectionEvent", "ScheduledEvent", "TailEvent", "TraceEvent", "report_error",
]

_log = logging.getLogger("pyflare.worker")


def report_error(error: BaseException) -> None:
    """An uncaught error of a callback (a listener, a timer): logged as workerd reports it, not raised."""
    _log.error("Uncaught %s: %s", getattr(error, "name", type(error).__name__), error, exc_info=error)


def _spawn(awaitable: Any, what: str) -> None:
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
        _spawn(result, what)


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


class CustomEvent(Event):
    """``CustomEvent.new(type, detail=...)``."""

    js_type = "CustomEvent"

    def __init__(self, type: str, init: Any = None) -> None:
        super().__init__(type, init)
        self.detail = field(init, "detail")


class ErrorEvent(Event):
    js_type = "ErrorEvent"

    def __init__(self, type: str, init: Any = None) -> None:
        super().__init__(type, init)
        self.message = field(init, "message", "")
        self.filename = field(init, "filename", "")
        self.lineno = field(init, "lineno", 0)
        self.colno = field(init, "colno", 0)
        self.error = field(init, "error")


class PromiseRejectionEvent(Event):
    js_type = "PromiseRejectionEvent"

    def __init__(self, type: str, init: Any = None) -> None:
        super().__init__(type, init)
        self.promise = field(init, "promise")
        self.reason = field(init, "reason")


class ExtendableEvent(Event):
    js_type = "ExtendableEvent"

    def waitUntil(self, awaitable: Any) -> None:  # noqa: N802
        _spawn(awaitable, "waitUntil")


class MessageEvent(Event):
    """``MessageEvent.new("message", data=...)``: what a MessagePort (and a WebSocket) delivers."""

    js_type = "MessageEvent"

    def __init__(self, type: str, init: Any = None) -> None:
        super().__init__(type, init)
        self.data = field(init, "data")
        self.origin = field(init, "origin", "")
        self.lastEventId = field(init, "lastEventId", "")
        self.source = field(init, "source")
        self.ports = JsArray(field(init, "ports", ()))


class CloseEvent(Event):
    js_type = "CloseEvent"

    def __init__(self, type: str, init: Any = None) -> None:
        super().__init__(type, init)
        self.code = field(init, "code", 0)
        self.reason = field(init, "reason", "")
        self.wasClean = bool(field(init, "wasClean", False))


class _RuntimeOnlyEvent(Event):
    """An event only the runtime makes (it has no public constructor on Cloudflare)."""

    @classmethod
    def new(cls, *_: Any, **__: Any) -> Event:
        raise TypeError("Illegal constructor")


class FetchEvent(_RuntimeOnlyEvent):
    js_type = "FetchEvent"


class ScheduledEvent(_RuntimeOnlyEvent):
    js_type = "ScheduledEvent"


class TailEvent(_RuntimeOnlyEvent):
    js_type = "TailEvent"


TraceEvent = TailEvent


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
        from pyflare.workers.js._timers import clock_call_later

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


# -- MessageChannel ---------------------------------------------------------------------------------------
class MessagePort(EventTarget):
    """One end of a :class:`MessageChannel`: ``postMessage(data)`` delivers a structured clone of ``data`` to
    the other end's ``onmessage`` / ``message`` listeners, on a later turn of the event loop."""

    js_type = "MessagePort"

    def __init__(self) -> None:
        super().__init__()
        self._peer: MessagePort | None = None
        self._started = False
        self._queue: list[Any] = []
        self._closed = False
        self._onmessage: Any = None
        self.onmessageerror: Any = None

    @classmethod
    def new(cls, *_: Any) -> Any:
        raise TypeError("Illegal constructor")

    @property
    def onmessage(self) -> Any:
        return self._onmessage

    @onmessage.setter
    def onmessage(self, handler: Any) -> None:
        self._onmessage = handler
        self.start()  # setting onmessage starts the port, as in the spec

    def postMessage(self, data: Any = None, *_: Any, **__: Any) -> None:  # noqa: N802
        from pyflare.workers.js._timers import structuredClone

        if self._closed or self._peer is None:
            return
        copy = structuredClone(data)
        peer = self._peer
        context = contextvars.copy_context()
        asyncio.get_running_loop().call_soon(context.run, peer._receive, copy)

    def _receive(self, data: Any) -> None:
        if self._closed:
            return
        if not self._started:
            self._queue.append(data)
            return
        self.dispatchEvent(MessageEvent("message", JsDict(data=data)))

    def addEventListener(self, type: str, listener: Any, *args: Any, **kwargs: Any) -> None:  # noqa: N802
        super().addEventListener(type, listener, *args, **kwargs)

    def start(self) -> None:
        if self._started:
            return
        self._started = True
        queued, self._queue = self._queue, []
        for data in queued:
            self._receive(data)

    def close(self) -> None:
        self._closed = True
        if self._peer is not None:
            self._peer._closed = True


class MessageChannel(JsProxy):
    """``MessageChannel.new()``: ``port1`` and ``port2``, entangled."""

    js_type = "MessageChannel"

    def __init__(self) -> None:
        self.port1, self.port2 = MessagePort(), MessagePort()
        self.port1._peer, self.port2._peer = self.port2, self.port1

    @classmethod
    def new(cls) -> MessageChannel:
        return cls()
