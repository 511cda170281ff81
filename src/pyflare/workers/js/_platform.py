"""The platform's globals that reach pyflare's other parts: ``caches`` (the Cache API binding), the WebSocket
classes (:mod:`pyflare.websockets`), ``HTMLRewriter``, ``EventSource``, ``globalThis``/``self``.

``EventSource.new(url)`` connects with the worker's ``fetch`` (``fetcher=`` a service binding to go through
one), parses the event stream and reconnects as workerd does (after 2 s, or the stream's ``retry:`` clamped to
1-10 s, on pyflare's clock); ``EventSource.from_(stream)`` reads events from a ReadableStream.
"""

from __future__ import annotations

import asyncio
import codecs
from typing import Any

from pyflare.kernel.context import current_worker
from pyflare.kernel.jsdict import JsDict, field, js_arguments
from pyflare.kernel.jserrors import DOMException, JsException
from pyflare.kernel.jsobjects import JsProxy
from pyflare.websockets.socket import WebSocket, WebSocketPair, WebSocketRequestResponsePair
from pyflare.workers._events import Event, EventTarget, clock_call_later
from pyflare.workers._htmlrewriter import HTMLRewriter
from pyflare.workers.host import CACHES
from pyflare.workers.js._events import MessageEvent

__all__ = [
    "Cache", "CacheStorage", "EventSource", "HTMLRewriter", "WebSocket", "WebSocketPair",
    "WebSocketRequestResponsePair", "WorkerGlobalScope", "caches", "globalThis", "self",
]


class CacheStorage(JsProxy):
    """``caches``: the Cache API (pyflare.bindings.cache) of the worker whose code is running."""

    js_type = "CacheStorage"

    @classmethod
    def new(cls, *_: Any) -> Any:
        raise TypeError("Illegal constructor")

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


class Cache(JsProxy):
    """The class of ``caches.default`` and of what ``caches.open()`` gives (not constructible, as on Cloudflare)."""

    js_type = "Cache"

    @classmethod
    def new(cls, *_: Any) -> Any:
        raise TypeError("Illegal constructor")


caches = CacheStorage()


# -- EventSource -----------------------------------------------------------------------------------------
DEFAULT_RECONNECT_MS, MIN_RECONNECT_MS, MAX_RECONNECT_MS = 2000, 1000, 10000


class EventSource(EventTarget):
    """``EventSource.new(url)`` / ``EventSource.from_(stream)``: ``open``, ``message`` (and named) and ``error``
    events, ``readyState``, ``lastEventId``, ``close()``."""

    js_type = "EventSource"
    CONNECTING, OPEN, CLOSED = 0, 1, 2

    def __init__(self, url: str | None, fetcher: Any = None) -> None:
        super().__init__()
        self.url = url or ""
        self.withCredentials = False
        self.readyState = self.CONNECTING
        self.lastEventId = ""
        self.onopen: Any = None
        self.onmessage: Any = None
        self.onerror: Any = None
        self._fetcher = fetcher
        self._reconnect_ms = DEFAULT_RECONNECT_MS
        self._task: asyncio.Task[Any] | None = None
        self._no_body_before = False

    @classmethod
    def new(cls, url: Any, *args: Any, **kwargs: Any) -> EventSource:
        (init, *_) = js_arguments(args, kwargs) or (None,)
        if current_worker.get() is None:
            raise DOMException("An EventSource can only be created within the context of a worker request.",
                               "NotSupportedError")
        if field(init, "withCredentials", False):
            raise DOMException("The init.withCredentials option is not supported. It must be false or undefined.",
                               "NotSupportedError")
        from pyflare.workers.js._url import URL

        text = url.href if isinstance(url, URL) else str(url)
        if not URL.canParse(text):
            raise DOMException(f"Cannot open an EventSource to '{text}'. The URL is invalid.", "SyntaxError")
        source = cls(URL(text).href, field(init, "fetcher"))
        source._start()
        return source

    @classmethod
    def from_(cls, stream: Any) -> EventSource:
        if stream.locked:
            raise TypeError("This ReadableStream is locked.")
        if stream.disturbed:
            raise TypeError("This ReadableStream has already been read from.")
        source = cls(None)
        source._task = asyncio.ensure_future(source._run(stream, reconnect=False))
        return source

    def close(self) -> None:
        self.readyState = self.CLOSED
        if self._task is not None:
            self._task.cancel()

    # -- connecting --------------------------------------------------------------------------------
    def _start(self) -> None:
        if self.readyState == self.CLOSED:
            return
        self._task = asyncio.ensure_future(self._connect())

    async def _connect(self) -> None:
        from pyflare.workers.js._fetchapi import fetch

        headers = {"accept": "text/event-stream", "cache-control": "no-cache"}
        if self.lastEventId:
            headers["last-event-id"] = self.lastEventId
        try:
            if self._fetcher is not None:
                response = await self._fetcher.fetch(self.url, headers=headers)
            else:
                response = await fetch(self.url, headers=headers)
        except Exception as exc:
            self._fail(exc)
            return
        if self.readyState == self.CLOSED:
            return
        if not response.ok:
            self._fail(DOMException(f"The response status code was {response.status}.", "AbortError"))
            return
        content_type = response.headers.get("content-type")
        if content_type is None:
            self._fail(DOMException("No content type header was present in the response.", "AbortError"))
            return
        if content_type.split(";")[0].strip().lower() != "text/event-stream":
            self._fail(DOMException(f"The content type '{content_type}' is invalid.", "AbortError"))
            return
        if response.body is None:
            if self._no_body_before:
                self._fail(JsException("The server provided no content."))
            else:
                self._no_body_before = True
                self._error(JsException("The server provided no content. Will try reconnecting."), True)
                self._reconnect()
            return
        await self._run(response.body, reconnect=True)

    async def _run(self, stream: Any, reconnect: bool) -> None:
        self.readyState = self.OPEN
        self.dispatchEvent(Event("open"))
        parser = _EventStreamParser(self)
        try:
            async for chunk in stream:
                parser.feed(chunk)
                if self.readyState == self.CLOSED:
                    return
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._fail(exc)
            return
        if self.readyState == self.CLOSED:
            return
        self._error(JsException("The server disconnected."), reconnect)
        if reconnect:
            self._reconnect()
        else:
            self.readyState = self.CLOSED

    def _reconnect(self) -> None:
        self.readyState = self.CONNECTING
        clock_call_later(self._reconnect_ms / 1000, self._start)

    def _error(self, error: BaseException, reconnecting: bool) -> None:
        if not reconnecting:
            self.readyState = self.CLOSED
        event = Event("error")
        event.error = error  # type: ignore[attr-defined]
        self.dispatchEvent(event)

    def _fail(self, error: BaseException) -> None:
        self._error(error, False)

    def _deliver(self, kind: str, data: str, last_id: str) -> None:
        self.lastEventId = last_id
        self.dispatchEvent(MessageEvent(kind, JsDict(data=data, lastEventId=last_id, origin=self.url)))


class _EventStreamParser:
    """The text/event-stream parser of the HTML standard (fields, comments, ``retry``, ``id``)."""

    def __init__(self, source: EventSource) -> None:
        self.source = source
        self.buffer = ""
        self.decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self.data: list[str] = []
        self.kind = ""
        self.last_id = source.lastEventId
        self.first = True

    def feed(self, chunk: bytes) -> None:
        text = self.decoder.decode(chunk)
        if self.first and text:
            self.first = False
            text = text.removeprefix("\ufeff")
        self.buffer += text
        while True:
            positions = [p for p in (self.buffer.find("\r"), self.buffer.find("\n")) if p >= 0]
            if not positions:
                return
            end = min(positions)
            if self.buffer[end] == "\r" and end + 1 == len(self.buffer):
                return  # a \r that may be followed by \n
            line = self.buffer[:end]
            skip = 2 if self.buffer[end:end + 2] == "\r\n" else 1
            self.buffer = self.buffer[end + skip:]
            self.line(line)

    def line(self, line: str) -> None:
        if not line:
            self.dispatch()
            return
        if line.startswith(":"):
            return
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self.data.append(value)
        elif name == "event":
            self.kind = value
        elif name == "id":
            if "\0" not in value:
                self.last_id = value
        elif name == "retry" and value.isdigit():
            self.source._reconnect_ms = max(min(int(value), MAX_RECONNECT_MS), MIN_RECONNECT_MS)

    def dispatch(self) -> None:
        self.source.lastEventId = self.last_id
        if not self.data:
            self.kind = ""
            return
        data, kind = "\n".join(self.data), self.kind or "message"
        self.data, self.kind = [], ""
        self.source._deliver(kind, data, self.last_id)


# -- the global object ----------------------------------------------------------------------------------
class WorkerGlobalScope(EventTarget):
    """``globalThis`` / ``self``: every global as an attribute (``js.globalThis.fetch``)."""

    js_type = "ServiceWorkerGlobalScope"

    @classmethod
    def new(cls, *_: Any) -> Any:
        raise TypeError("Illegal constructor")

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        import pyflare.workers.js as js

        return getattr(js, name)


globalThis = WorkerGlobalScope()  # noqa: N816 - JS names
self = globalThis
