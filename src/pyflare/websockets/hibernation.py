"""The Durable Object WebSocket hibernation API: ``ctx.acceptWebSocket`` and friends.

A :class:`HibernationManager` holds the hibernatable sockets of one object (their tags, the auto-response,
the event timeout). It belongs to the object's address, not to an instance: when the object layer evicts an
idle instance the sockets stay open, and the next message constructs the object again and calls its
``webSocketMessage`` / ``webSocketClose`` / ``webSocketError`` (or the legacy ``on_`` names). A message
equal to the auto-response request is answered here, without waking the object.

The methods are added to the Durable Object ``ctx`` through ``STATE_EXTENSIONS`` of
``pyflare.bindings.durable_objects.state``; :func:`install` does it, and gives every hosted class the
eviction rule (an object with open ``accept()``-ed sockets stays; hibernatable ones do not hold it).
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import logging
from collections import deque
from typing import Any

from pyflare.kernel.context import call_as, fit_args
from pyflare.kernel.stash import StashKey
from pyflare.websockets import constants as c
from pyflare.websockets import validation
from pyflare.websockets.errors import WebSocketError
from pyflare.websockets.socket import (
    ACCEPTED,
    HIBERNATABLE,
    PENDING,
    RELEASED,
    WebSocket,
    _JsClass,
    message_payload,
)

log = logging.getLogger("pyflare")

# The hibernation managers of every object (in ObjectLayer.stash), and the sockets an object accept()-ed
# (in LiveObject.stash).
MANAGERS = StashKey[dict[Any, "HibernationManager"]]("WebSocket hibernation managers")
ACCEPTED_SOCKETS = StashKey[list[WebSocket]]("accept()-ed WebSockets")
EVENT_TIMEOUT_TEXT = "Actor exceeded event execution time and was disconnected."
# Messages waiting for the object before the connection stops reading from the client, and where it resumes.
BACKLOG_HIGH, BACKLOG_LOW = 64, 16


class WebSocketRequestResponsePair(metaclass=_JsClass):
    """``WebSocketRequestResponsePair.new(request, response)`` for ``ctx.setWebSocketAutoResponse``."""

    def __init__(self, request: str, response: str) -> None:
        if not isinstance(request, str) or not isinstance(response, str):
            raise TypeError("WebSocketRequestResponsePair takes two strings: the request and the response")
        self.request = request
        self.response = response

    @classmethod
    def new(cls, request: str, response: str) -> WebSocketRequestResponsePair:
        return cls._make(request, response)

    def __repr__(self) -> str:
        return f"WebSocketRequestResponsePair({self.request!r}, {self.response!r})"


class _Hibernated:
    """One hibernatable socket's place in its manager: tags, and its events waiting for the object."""

    __slots__ = ("manager", "tags", "events", "task", "ended", "drained")

    def __init__(self, manager: HibernationManager, tags: list[str]) -> None:
        self.manager = manager
        self.tags = tags
        self.events: deque[tuple[Any, ...]] = deque()
        self.task: asyncio.Task[None] | None = None
        self.ended = False
        self.drained: asyncio.Future[None] | None = None  # set while the connection waits for the object

    def backlog(self) -> asyncio.Future[None] | None:
        """A future to await before reading more from the client, when the object has fallen behind (as
        workerd reads the next message only after the previous event); None when it keeps up."""
        if len(self.events) < BACKLOG_HIGH:
            return None
        if self.drained is None:
            self.drained = asyncio.get_running_loop().create_future()
        return self.drained

    # What WebSocket._receive_* hand over.
    def message(self, ws: WebSocket, data: str | bytes) -> None:
        manager = self.manager
        pair = manager.auto_response
        if pair is not None and isinstance(data, str) and data == pair.request:
            # Answered here: the object is neither woken nor constructed.
            ws._auto_response_timestamp = _dt.datetime.fromtimestamp(manager.clock.time(), _dt.timezone.utc)
            if not ws._closed_outgoing and not ws._outgoing_aborted:
                ws._peer._receive_message(pair.response)
            return
        self._queue(("webSocketMessage", ws, message_payload(data)))

    def close(self, ws: WebSocket, code: int, reason: str, was_clean: bool) -> None:
        self._queue(("webSocketClose", ws, code, reason, was_clean))

    def error(self, ws: WebSocket, error: BaseException) -> None:
        self._queue(("webSocketError", ws, error))

    def _queue(self, event: tuple[Any, ...]) -> None:
        self.events.append(event)
        if self.task is None:
            self.task = asyncio.ensure_future(self._drain())

    async def _drain(self) -> None:
        # One socket's events reach the object in order, each after the previous one finished (workerd
        # awaits every hibernation event in the socket's read loop).
        try:
            while self.events:
                event = self.events.popleft()
                await self.manager.deliver(event)
                if event[0] != "webSocketMessage":
                    self.manager.remove(event[1])
                if self.drained is not None and len(self.events) <= BACKLOG_LOW:
                    self._release()
        finally:
            self.task = None
            self._release()

    def _release(self) -> None:
        drained, self.drained = self.drained, None
        if drained is not None and not drained.done():
            drained.set_result(None)


class HibernationManager:
    """The hibernatable WebSockets of one Durable Object."""

    def __init__(self, host: Any, address: Any) -> None:
        self.host = host
        self.address = address
        self.clock = host.clock
        self.sockets: list[WebSocket] = []  # newest first, as workerd lists them
        self.by_tag: dict[str, list[WebSocket]] = {}
        self.auto_response: WebSocketRequestResponsePair | None = None
        self.event_timeout_ms: int | None = None

    def accept(self, ws: WebSocket, tags: list[str]) -> None:
        if len(self.sockets) >= c.MAX_HIBERNATABLE_SOCKETS:
            raise WebSocketError(f"only {c.MAX_HIBERNATABLE_SOCKETS} websockets can be accepted on a single "
                                 "Durable Object instance")
        ws._hibernation = _Hibernated(self, tags)
        ws._mode = HIBERNATABLE
        self.sockets.insert(0, ws)
        for tag in tags:
            self.by_tag.setdefault(tag, []).append(ws)
        ws._flush_inbox()

    def remove(self, ws: WebSocket) -> None:
        record = ws._hibernation
        if record is None or record.ended:
            return
        record.ended = True
        if ws in self.sockets:
            self.sockets.remove(ws)
        for tag in record.tags:
            bucket = self.by_tag.get(tag)
            if bucket is not None and ws in bucket:
                bucket.remove(ws)
                if not bucket:
                    del self.by_tag[tag]
        if not self.sockets:
            managers = self.host.layer.stash.get(MANAGERS, {})
            if managers.get(self.address) is self and self.auto_response is None and self.event_timeout_ms is None:
                del managers[self.address]

    def get(self, tag: str | None) -> list[WebSocket]:
        if tag is None:
            return list(self.sockets)
        return list(self.by_tag.get(str(tag), ()))

    async def deliver(self, event: tuple[Any, ...]) -> None:
        """Deliver one event to the object, constructing it if it hibernated."""
        name, ws, *args = event
        host = self.host
        from pyflare.bindings.durable_objects.state import DurableObjectAbort

        try:
            async with host.layer.enter(self.address) as live:
                instance = live.instance
                handler = getattr(instance, name, None) or getattr(instance, "on_" + name, None)
                if not callable(handler):
                    return  # workerd delivers nothing (and fails nothing) without a handler
                await self._within_timeout(call_as(host.runtime.worker, handler, *fit_args(handler, (ws, *args))),
                                           live)
        except DurableObjectAbort:
            pass  # ctx.abort() reset the object already
        except Exception as exc:
            log.error("Uncaught exception in %s of Durable Object %s: %s: %s", name, self.address,
                      type(exc).__name__, exc, exc_info=exc)
        finally:
            if name == "webSocketClose" and not ws._closed_outgoing and not ws._outgoing_aborted and ws._peer:
                # The handler did not answer the client's Close: answer it, so no client waits forever.
                ws._closed_outgoing = True
                ws._peer._receive_close(args[0] if args[0] not in c.RESERVED_CLOSE_CODES else c.NORMAL_CLOSURE,
                                        args[1] if args[0] not in c.RESERVED_CLOSE_CODES else "")

    async def _within_timeout(self, awaitable: Any, live: Any) -> None:
        if self.event_timeout_ms is None:
            await awaitable
            return
        task = asyncio.ensure_future(awaitable)
        expired = False

        def expire() -> None:
            nonlocal expired
            expired = True
            task.cancel()

        timer = self.clock.call_later(self.event_timeout_ms / 1000, expire)
        try:
            await task
        except asyncio.CancelledError:
            if not expired:
                raise
            log.error("Durable Object %s: %s", self.address, EVENT_TIMEOUT_TEXT)
            self.host.layer.evict(self.address, "reset: event timeout")
        finally:
            timer.cancel()


def manager_of(state: Any, create: bool = True) -> HibernationManager | None:
    host, address = state._host, state._live.address
    managers = host.layer.stash.setdefault(MANAGERS, {})
    manager = managers.get(address)
    if manager is None and create:
        manager = managers[address] = HibernationManager(host, address)
    return manager


# -- ctx methods (registered in STATE_EXTENSIONS) --------------------------------------------------
def accept_websocket(state: Any, ws: Any, tags: Any = None) -> None:
    if not isinstance(ws, WebSocket):
        raise TypeError(f"acceptWebSocket() takes a WebSocket (an end of a WebSocketPair), not {type(ws).__name__}")
    if ws._mode in (ACCEPTED, HIBERNATABLE):
        raise WebSocketError("Cannot call `acceptWebSocket()` if the WebSocket was already accepted via `accept()`")
    peer = ws._peer
    if ws._mode != PENDING or not (isinstance(peer, WebSocket) and peer._mode == PENDING):
        raise WebSocketError("Cannot call `acceptWebSocket()` on this WebSocket because its pair has already been "
                             "accepted or used in a Response.")
    distinct = validation.tags(tags)
    manager = manager_of(state)
    assert manager is not None
    manager.accept(ws, distinct)


def get_websockets(state: Any, tag: str | None = None) -> list[WebSocket]:
    manager = manager_of(state, create=False)
    return [] if manager is None else manager.get(tag)


def get_tags(state: Any, ws: Any) -> list[str]:
    if not isinstance(ws, WebSocket) or ws._mode not in (ACCEPTED, HIBERNATABLE):
        raise WebSocketError("you must call 'acceptWebSocket()' before attempting to access the tags of a WebSocket.")
    if ws._mode != HIBERNATABLE:
        raise WebSocketError("only hibernatable websockets can have tags.")
    return list(ws._hibernation.tags)


def set_auto_response(state: Any, pair: WebSocketRequestResponsePair | None = None) -> None:
    if pair is None:
        manager = manager_of(state, create=False)
        if manager is not None:
            manager.auto_response = None
        return
    if not isinstance(pair, WebSocketRequestResponsePair):
        raise TypeError("setWebSocketAutoResponse() takes a WebSocketRequestResponsePair "
                        "(js.WebSocketRequestResponsePair.new(request, response)), or nothing to unset it")
    validation.auto_response_pair(pair.request, pair.response)
    manager = manager_of(state)
    assert manager is not None
    manager.auto_response = WebSocketRequestResponsePair.new(pair.request, pair.response)


def get_auto_response(state: Any) -> WebSocketRequestResponsePair | None:
    manager = manager_of(state, create=False)
    if manager is None or manager.auto_response is None:
        return None
    return WebSocketRequestResponsePair.new(manager.auto_response.request, manager.auto_response.response)


def get_auto_response_timestamp(state: Any, ws: Any) -> _dt.datetime | None:
    if not isinstance(ws, WebSocket):
        raise TypeError(f"getWebSocketAutoResponseTimestamp() takes a WebSocket, not {type(ws).__name__}")
    return ws._auto_response_timestamp


def set_event_timeout(state: Any, timeout_ms: Any = None) -> None:
    timeout = validation.event_timeout(timeout_ms)
    manager = manager_of(state, create=timeout is not None)
    if manager is not None:
        manager.event_timeout_ms = timeout


def get_event_timeout(state: Any) -> int | None:
    manager = manager_of(state, create=False)
    return None if manager is None else manager.event_timeout_ms


CTX_METHODS = {
    "acceptWebSocket": accept_websocket,
    "getWebSockets": get_websockets,
    "getTags": get_tags,
    "setWebSocketAutoResponse": set_auto_response,
    "getWebSocketAutoResponse": get_auto_response,
    "getWebSocketAutoResponseTimestamp": get_auto_response_timestamp,
    "setHibernatableWebSocketEventTimeout": set_event_timeout,
    "getHibernatableWebSocketEventTimeout": get_event_timeout,
}


# -- sockets accepted with accept() inside an object keep it alive -------------------------------
def track_accepted(ws: WebSocket) -> None:
    """Called by ``WebSocket.accept()``: inside a Durable Object event, the object must not be evicted while
    this socket is open (workerd keeps the actor for it), and an object reset drops the connection."""
    try:
        from pyflare.objects.layer import current_object
    except ImportError:  # pragma: no cover - an older object layer
        return
    live = current_object.get()
    if live is None:
        return
    sockets = live.stash.setdefault(ACCEPTED_SOCKETS, [])
    if not sockets:
        live.on_evict.append(_drop_accepted)
        from pyflare.bindings.durable_objects.state import STATE

        host = getattr(live.stash.get(STATE, None), "_host", None)
        if host is not None and host.object_class.can_evict is None:  # a class hosted after install()
            host.object_class.can_evict = can_evict
    sockets.append(ws)


def _open(ws: WebSocket) -> bool:
    return ws._mode != RELEASED and not ws._closed_incoming and not ws._outgoing_aborted and ws._error is None


def can_evict(live: Any) -> bool:
    return not any(_open(ws) for ws in live.stash.get(ACCEPTED_SOCKETS, ()))


def _drop_accepted(live: Any) -> None:
    for ws in live.stash.get(ACCEPTED_SOCKETS, ()):
        if _open(ws) and ws._peer is not None and not ws._closed_outgoing:
            ws._closed_outgoing = ws._outgoing_aborted = True
            ws._peer._receive_abort()


def install(layer: Any) -> None:
    """Add the hibernation API to Durable Object ctx objects and the eviction rule to every hosted class."""
    try:
        from pyflare.bindings.durable_objects.state import STATE_EXTENSIONS
    except ImportError:  # pragma: no cover
        return
    STATE_EXTENSIONS.update(CTX_METHODS)
    if layer is None:
        return
    from pyflare.bindings.durable_objects.host import HOSTS

    for host in layer.stash.get(HOSTS, {}).values():
        if host.object_class.can_evict is None:
            host.object_class.can_evict = can_evict
