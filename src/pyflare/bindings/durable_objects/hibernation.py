"""The Durable Object WebSocket hibernation API: ``ctx.acceptWebSocket`` and friends.

A :class:`HibernationManager` holds the hibernatable sockets of one object (their tags, the auto-response,
the event timeout). It belongs to the object's address, not to an instance: when the object layer evicts an
idle instance the sockets stay open, and the next message constructs the object again and calls its
``webSocketMessage`` / ``webSocketClose`` / ``webSocketError`` (or the legacy ``on_`` names). A message
equal to the auto-response request is answered here, without waking the object.

The ``ctx`` methods (:class:`~pyflare.bindings.durable_objects.state.DurableObjectState`) call the functions
here; the socket's side of it (its state checks, where its events go) is the socket model's
(:mod:`pyflare.websockets.socket`). Hibernatable sockets do not keep an object from idle eviction; sockets
``accept()``-ed inside it do (``holds_object``, the class's ``can_evict`` rule).
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import logging
from collections import deque
from typing import TYPE_CHECKING, Any

from pyflare.bindings.durable_objects.errors import DurableObjectAbort
from pyflare.kernel.context import call_as, fit_args
from pyflare.kernel.stash import StashKey
from pyflare.kernel.tracing import invocation
from pyflare.websockets import constants as c
from pyflare.websockets import validation
from pyflare.websockets.errors import WebSocketError
from pyflare.websockets.socket import (
    WebSocket,
    WebSocketRequestResponsePair,
    answer_close,
    auto_respond,
    auto_response_timestamp,
    check_hibernatable,
    hibernate,
    hibernation_of,
    is_accepted,
    message_payload,
    start_hibernated,
)

if TYPE_CHECKING:
    from pyflare.bindings.durable_objects.host import ClassHost
    from pyflare.objects import ObjectAddress

log = logging.getLogger("pyflare")

# The hibernation managers of every object (in ObjectLayer.stash).
MANAGERS = StashKey[dict[Any, "HibernationManager"]]("WebSocket hibernation managers")
EVENT_TIMEOUT_TEXT = "Actor exceeded event execution time and was disconnected."
# Messages waiting for the object before the connection stops reading from the client, and where it resumes.
BACKLOG_HIGH, BACKLOG_LOW = 64, 16


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
            auto_respond(ws, pair.response, _dt.datetime.fromtimestamp(manager.clock.time(), _dt.timezone.utc))
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
        hibernate(ws, _Hibernated(self, tags))
        self.sockets.insert(0, ws)
        for tag in tags:
            self.by_tag.setdefault(tag, []).append(ws)
        start_hibernated(ws)

    def remove(self, ws: WebSocket) -> None:
        record = hibernation_of(ws)
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
        try:
            async with host.layer.enter(self.address) as live:
                instance = live.instance
                handler = getattr(instance, name, None) or getattr(instance, "on_" + name, None)
                if not callable(handler):
                    return  # workerd delivers nothing (and fails nothing) without a handler
                kind = _EVENT_TYPES.get(name, name)
                with invocation(host.runtime.worker, "websocket", f"{host.class_name}.{name}", "websocket",
                                detached=True, event={"getWebSocketEvent": _event_info(kind, args)},
                                entrypoint=host.class_name, attributes={
                                    "cloudflare.execution_model": "stateful",
                                    "cloudflare.durable_object.id": self.address.id,
                                    "cloudflare.durable_object.class": host.class_name}):
                    await self._within_timeout(
                        call_as(host.runtime.worker, handler, *fit_args(handler, (ws, *args))), live)
        except DurableObjectAbort:
            pass  # ctx.abort() reset the object already
        except Exception as exc:
            log.error("Uncaught exception in %s of Durable Object %s: %s: %s", name, self.address,
                      type(exc).__name__, exc, exc_info=exc)
        finally:
            if name == "webSocketClose":
                # If the handler did not answer the client's Close, answer it, so no client waits forever.
                reserved = args[0] in c.RESERVED_CLOSE_CODES
                answer_close(ws, c.NORMAL_CLOSURE if reserved else args[0], "" if reserved else args[1])

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


def manager_of(host: ClassHost, address: ObjectAddress, create: bool = True) -> HibernationManager | None:
    managers = host.layer.stash.setdefault(MANAGERS, {})
    manager = managers.get(address)
    if manager is None and create:
        manager = managers[address] = HibernationManager(host, address)
    return manager


# -- the ctx methods (DurableObjectState calls them) ----------------------------------------------
def accept_websocket(host: ClassHost, address: ObjectAddress, ws: Any, tags: Any = None) -> None:
    if not isinstance(ws, WebSocket):
        raise TypeError(f"acceptWebSocket() takes a WebSocket (an end of a WebSocketPair), not {type(ws).__name__}")
    check_hibernatable(ws)
    distinct = validation.tags(tags)
    manager = manager_of(host, address)
    assert manager is not None
    manager.accept(ws, distinct)


def get_websockets(host: ClassHost, address: ObjectAddress, tag: str | None = None) -> list[WebSocket]:
    manager = manager_of(host, address, create=False)
    return [] if manager is None else manager.get(tag)


def get_tags(host: ClassHost, address: ObjectAddress, ws: Any) -> list[str]:
    if not is_accepted(ws):
        raise WebSocketError("you must call 'acceptWebSocket()' before attempting to access the tags of a WebSocket.")
    record = hibernation_of(ws)
    if record is None:
        raise WebSocketError("only hibernatable websockets can have tags.")
    return list(record.tags)


def set_auto_response(host: ClassHost, address: ObjectAddress, pair: WebSocketRequestResponsePair | None = None) -> None:
    if pair is None:
        manager = manager_of(host, address, create=False)
        if manager is not None:
            manager.auto_response = None
        return
    if not isinstance(pair, WebSocketRequestResponsePair):
        raise TypeError("setWebSocketAutoResponse() takes a WebSocketRequestResponsePair "
                        "(js.WebSocketRequestResponsePair.new(request, response)), or nothing to unset it")
    validation.auto_response_pair(pair.request, pair.response)
    manager = manager_of(host, address)
    assert manager is not None
    manager.auto_response = WebSocketRequestResponsePair.new(pair.request, pair.response)


def get_auto_response(host: ClassHost, address: ObjectAddress) -> WebSocketRequestResponsePair | None:
    manager = manager_of(host, address, create=False)
    if manager is None or manager.auto_response is None:
        return None
    return WebSocketRequestResponsePair.new(manager.auto_response.request, manager.auto_response.response)


def get_auto_response_timestamp(host: ClassHost, address: ObjectAddress, ws: Any) -> _dt.datetime | None:
    if not isinstance(ws, WebSocket):
        raise TypeError(f"getWebSocketAutoResponseTimestamp() takes a WebSocket, not {type(ws).__name__}")
    return auto_response_timestamp(ws)


def set_event_timeout(host: ClassHost, address: ObjectAddress, timeout_ms: Any = None) -> None:
    timeout = validation.event_timeout(timeout_ms)
    manager = manager_of(host, address, create=timeout is not None)
    if manager is not None:
        manager.event_timeout_ms = timeout


def get_event_timeout(host: ClassHost, address: ObjectAddress) -> int | None:
    manager = manager_of(host, address, create=False)
    return None if manager is None else manager.event_timeout_ms


# The hibernation handlers and the ``webSocketEventType`` a trace item names each by (workerd's trace.h).
_EVENT_TYPES = {"webSocketMessage": "message", "webSocketClose": "close", "webSocketError": "error"}


def _event_info(kind: str, args: list[Any]) -> dict[str, Any]:
    if kind == "close" and len(args) >= 3:
        return {"webSocketEventType": kind, "code": args[0], "wasClean": bool(args[2])}
    return {"webSocketEventType": kind}


# -- for tools (the explorer) ----------------------------------------------------------------------
def hibernation_addresses(layer: Any) -> list[ObjectAddress]:
    """The objects that hold hibernatable WebSockets (live or hibernated) or hibernation settings."""
    return list(layer.stash.get(MANAGERS, {}))


def describe_websockets(layer: Any, address: ObjectAddress) -> dict[str, Any]:
    """An object's hibernatable WebSockets as a tool shows them: each socket's state, tags and attachment
    (a copy, as ``deserializeAttachment()`` gives it), the auto-response and the event timeout."""
    manager = layer.stash.get(MANAGERS, {}).get(address)
    if manager is None:
        return {"websockets": [], "auto_response": None, "event_timeout_ms": None}
    sockets = []
    for ws in manager.sockets:
        record = hibernation_of(ws)
        stamp = auto_response_timestamp(ws)
        sockets.append({"ready_state": ws.readyState, "tags": list(record.tags) if record is not None else [],
                        "attachment": ws.deserializeAttachment(), "protocol": ws.protocol,
                        "auto_response_timestamp": stamp.isoformat() if stamp is not None else None,
                        "queued_events": len(record.events) if record is not None else 0})
    pair = manager.auto_response
    return {"websockets": sockets, "event_timeout_ms": manager.event_timeout_ms,
            "auto_response": None if pair is None else {"request": pair.request, "response": pair.response}}
