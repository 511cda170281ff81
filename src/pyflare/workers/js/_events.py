"""Events and cancellation: ``EventTarget``, ``Event``, ``CustomEvent``, ``AbortController``/``AbortSignal``,
``MessageChannel``/``MessagePort``, ``DOMException``, and the event classes of workerd's global scope.

``Event``, ``EventTarget`` and ``AbortSignal``/``AbortController`` are :mod:`pyflare.workers._events` (the
Streams API uses them too). The events only workerd itself makes (``FetchEvent``, ``ScheduledEvent``, ``TailEvent``) cannot be
constructed, as on Cloudflare (``TypeError: Illegal constructor``).
"""

from __future__ import annotations

import asyncio
import contextvars
from typing import Any

from pyflare.kernel.jsdict import JsDict, field
from pyflare.kernel.jserrors import DOMException
from pyflare.kernel.jsobjects import JsArray, JsProxy
from pyflare.workers._events import (
    AbortController,
    AbortSignal,
    Event,
    EventTarget,
    report_error,
    spawn,
)

__all__ = [
    "AbortController", "AbortSignal", "CloseEvent", "CustomEvent", "DOMException", "ErrorEvent", "Event",
    "EventTarget", "ExtendableEvent", "FetchEvent", "MessageChannel", "MessageEvent", "MessagePort",
    "PromiseRejectionEvent", "ScheduledEvent", "TailEvent", "TraceEvent", "report_error",
]

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
        spawn(awaitable, "waitUntil")


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
