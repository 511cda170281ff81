"""``WebSocketPair`` and ``WebSocket`` as workerd implements them, in plain asyncio.

Each end of a pair sends to its *peer*: the other end, or (once an end is returned in a 101 response or
obtained from an outgoing ``fetch``) a network connection standing in for it. Anything a peer can be
implements ``_receive_message``, ``_receive_close``, ``_receive_abort`` and ``_receive_error``. Events
that arrive before ``accept()`` wait in the socket's inbox, as they wait in workerd's pipe.

What the rest of pyflare does with a socket, beyond what worker code does, is a function of this module
rather than a reach into the socket: :func:`couple` (a 101 response hands the end to a connection),
:func:`hibernate` and friends (the Durable Object hibernation API), :func:`holds_object` (an object with an
open ``accept()``-ed socket is not evicted as idle).
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import logging
from collections.abc import Callable
from typing import Any

from pyflare.kernel.clone import StructuredClone
from pyflare.kernel.context import current_object, current_worker
from pyflare.kernel.jserrors import DOMException
from pyflare.kernel.jsobjects import ArrayBuffer, JsClass
from pyflare.kernel.stash import StashKey
from pyflare.websockets import connect, validation
from pyflare.websockets import constants as c
from pyflare.websockets.errors import WebSocketError
from pyflare.websockets.registry import DEFAULT_SETTINGS, Settings, current_sockets

log = logging.getLogger("pyflare")

# Where a socket stands (workerd's AwaitingConnection / AwaitingAcceptanceOrCoupling / Accepted / Released).
CONNECTING_MODE = "connecting"  # made by ``WebSocket.new(url)``, handshake under way
PENDING = "pending"  # neither accepted nor used in a response yet
ACCEPTED = "accepted"  # ``accept()``: events go to listeners
HIBERNATABLE = "hibernatable"  # ``ctx.acceptWebSocket()``: events go to the Durable Object's handlers
RELEASED = "released"  # returned in a Response (coupled to a connection) or finished


class Event:
    def __init__(self, type: str) -> None:
        self.type = type
        self.target: Any = None

    @property
    def currentTarget(self) -> Any:  # noqa: N802
        return self.target


class MessageEvent(Event):
    def __init__(self, data: str | ArrayBuffer) -> None:
        super().__init__("message")
        self.data = data


class CloseEvent(Event):
    def __init__(self, code: int, reason: str, was_clean: bool) -> None:
        super().__init__("close")
        self.code, self.reason, self.wasClean = code, reason, was_clean

    @property
    def was_clean(self) -> bool:
        return self.wasClean


class ErrorEvent(Event):
    def __init__(self, error: BaseException) -> None:
        super().__init__("error")
        self.error = error
        self.message = f"{type(error).__name__}: {error}" if isinstance(error, Exception) else str(error)


def message_payload(data: str | bytes) -> str | ArrayBuffer:
    return data if isinstance(data, str) else ArrayBuffer(data)


def current_settings() -> Settings:
    sockets = current_sockets()
    return sockets.settings if sockets is not None else DEFAULT_SETTINGS


class WebSocket(metaclass=JsClass):
    """One end of a WebSocket connection (``WebSocket.new(url)`` opens an outgoing one)."""

    CONNECTING, OPEN, CLOSING, CLOSED = c.CONNECTING, c.OPEN, c.CLOSING, c.CLOSED
    READY_STATE_CONNECTING, READY_STATE_OPEN, READY_STATE_CLOSING, READY_STATE_CLOSED = 0, 1, 2, 3

    def __init__(self, *, url: str | None = None, mode: str = PENDING) -> None:
        self._peer: Any = None
        self._mode = mode
        self._inbox: list[tuple[Any, ...]] | None = []
        self._listeners: dict[str, list[Callable[..., Any]]] = {}
        self._context: contextvars.Context | None = None
        self._settings = current_settings()
        self._closed_outgoing = False
        self._closed_incoming = False
        self._outgoing_aborted = False
        self._error: BaseException | None = None
        self._allow_half_open = False
        self._attachment: tuple[Any] | None = None
        self._auto_response_timestamp: Any = None
        self._hibernation: Any = None  # the hibernation manager's record, once acceptWebSocket()ed
        self._connecting: Any = None  # the task of WebSocket.new(url)
        self.url = url
        self.protocol = ""
        self.extensions = ""
        self.binaryType = "arraybuffer"
        self.onopen: Callable[..., Any] | None = None
        self.onmessage: Callable[..., Any] | None = None
        self.onclose: Callable[..., Any] | None = None
        self.onerror: Callable[..., Any] | None = None

    @classmethod
    def new(cls, url: str, protocols: str | list[str] | None = None) -> WebSocket:
        """``new WebSocket(url, protocols)``: an outgoing connection; listen for "open" before sending."""
        return _open_client(url, protocols)

    # -- state -----------------------------------------------------------------------------------
    @property
    def readyState(self) -> int:  # noqa: N802
        if (self._closed_incoming and self._closed_outgoing) or self._error is not None:
            return c.CLOSED
        if self._closed_incoming or self._closed_outgoing:
            return c.CLOSING
        if self._mode == CONNECTING_MODE:
            return c.CONNECTING
        return c.OPEN

    def __repr__(self) -> str:
        return f"<WebSocket {self._mode} readyState={self.readyState}>"

    # -- the worker's API ------------------------------------------------------------------------
    def accept(self, options: Any = None, *, allowHalfOpen: bool | None = None,  # noqa: N803
               allow_half_open: bool | None = None) -> None:
        """Start receiving events on this end (listeners added with ``addEventListener``)."""
        if self._mode == CONNECTING_MODE:
            raise TypeError("Websockets obtained from the 'new WebSocket()' constructor cannot call accept")
        if self._mode == RELEASED:
            raise TypeError("Can't accept() WebSocket that was already used in a response.")
        if self._mode == HIBERNATABLE:
            raise TypeError("Can't accept() WebSocket after enabling hibernation.")
        if self._mode == ACCEPTED:
            return
        half_open = allowHalfOpen if allowHalfOpen is not None else allow_half_open
        if half_open is None and options is not None:
            half_open = options.get("allowHalfOpen") if hasattr(options, "get") else getattr(
                options, "allowHalfOpen", None)
        self._allow_half_open = bool(half_open)
        self._mode = ACCEPTED
        self._context = contextvars.copy_context()
        _belong_to_current_object(self)  # inside a Durable Object, an open socket keeps the object alive
        self._flush_inbox()

    def send(self, message: Any) -> None:
        data = validation.message_data(message)
        if self._closed_outgoing:
            raise TypeError("Can't call WebSocket send() after close().")
        if self._outgoing_aborted or self._mode == RELEASED:
            return  # the spec ignores sends on a dead connection
        if self._mode not in (ACCEPTED, HIBERNATABLE):
            raise TypeError("You must call one of accept() or state.acceptWebSocket() on this WebSocket before "
                            "sending messages.")
        self._peer._receive_message(data)

    def close(self, code: int | None = None, reason: str | None = None) -> None:
        code, reason = validation.close_args(code, reason, reason_limit=self._settings.close_reason_limit)
        if self._mode == CONNECTING_MODE:
            if self._connecting is not None:
                self._connecting.cancel()
            self._mode = RELEASED
            return
        if self._closed_outgoing or self._outgoing_aborted or self._mode == RELEASED:
            return  # a second close() is ignored
        if self._mode not in (ACCEPTED, HIBERNATABLE):
            raise TypeError("You must call one of accept() or state.acceptWebSocket() on this WebSocket before "
                            "sending messages.")
        if self._error is not None:
            raise self._error
        self._closed_outgoing = True
        # The Close frame travels like any frame: the peer sees it on a later turn of the loop.
        asyncio.get_running_loop().call_soon(self._peer._receive_close,
                                             c.NO_STATUS_RECEIVED if code is None else code, reason or "")

    def addEventListener(self, type: str, listener: Callable[..., Any], options: Any = None) -> None:  # noqa: N802
        listeners = self._listeners.setdefault(str(type), [])
        if listener not in listeners:
            listeners.append(listener)

    def removeEventListener(self, type: str, listener: Callable[..., Any], options: Any = None) -> None:  # noqa: N802
        listeners = self._listeners.get(str(type), [])
        if listener in listeners:
            listeners.remove(listener)

    add_event_listener = addEventListener
    remove_event_listener = removeEventListener

    def serializeAttachment(self, value: Any) -> None:  # noqa: N802
        """Keep a structured clone of ``value`` with this socket (it survives hibernation); 16 KiB at most."""
        copy, size = StructuredClone.clone(value)
        if size > c.MAX_ATTACHMENT_SIZE:
            raise WebSocketError(f"A WebSocket 'attachment' cannot be larger than {c.MAX_ATTACHMENT_SIZE} bytes."
                                 f"'attachment' was {size} bytes.")
        self._attachment = (copy,)

    def deserializeAttachment(self) -> Any:  # noqa: N802
        """A fresh copy of the attachment, or None."""
        if self._attachment is None:
            return None
        return StructuredClone.clone(self._attachment[0])[0]

    serialize_attachment = serializeAttachment
    deserialize_attachment = deserializeAttachment

    # -- coupling to a connection (see couple()) --------------------------------------------------
    def _couple(self, endpoint: Any) -> None:
        """Hand this end to ``endpoint`` (the connection a 101 response answers): from now on what the other
        end sends goes to ``endpoint``, and what ``endpoint`` receives reaches the other end."""
        if self._mode == CONNECTING_MODE:
            raise TypeError("Can't return WebSocket in a Response if it was created with `new WebSocket()`")
        if self._mode == RELEASED:
            raise TypeError("Can't return WebSocket that was already used in a response.")
        if self._mode == HIBERNATABLE:
            raise TypeError("Can't return WebSocket in a Response after calling acceptWebSocket().")
        if self._mode == ACCEPTED:
            raise TypeError("Can't return WebSocket in a Response after calling accept().")
        other = self._peer
        other._peer = endpoint
        endpoint._peer = other
        inbox, self._inbox = self._inbox or [], None
        self._mode, self._peer = RELEASED, None
        for event in inbox:
            getattr(endpoint, event[0])(*event[1:])

    def _peer_is_awaiting_coupling(self) -> bool:
        peer = self._peer
        return not isinstance(peer, WebSocket) or peer._mode == PENDING

    # -- what the peer delivers ------------------------------------------------------------------
    def _receive_message(self, data: str | bytes) -> None:
        if self._mode == PENDING or self._mode == CONNECTING_MODE:
            self._inbox.append(("_receive_message", data))  # type: ignore[union-attr]
        elif self._mode == ACCEPTED:
            self._dispatch_soon(MessageEvent(message_payload(data)))
        elif self._mode == HIBERNATABLE:
            self._hibernation.message(self, data)

    def _backlog(self) -> Any:
        """An awaitable while this end's events wait on a busy Durable Object (the connection reads no more
        until then), else None."""
        return self._hibernation.backlog() if self._mode == HIBERNATABLE else None

    def _receive_close(self, code: int, reason: str) -> None:
        if self._mode == PENDING or self._mode == CONNECTING_MODE:
            self._inbox.append(("_receive_close", code, reason))  # type: ignore[union-attr]
            return
        if self._closed_incoming or self._mode == RELEASED:
            return
        self._closed_incoming = True
        if self._mode == HIBERNATABLE:
            self._hibernation.close(self, code, reason, True)
            return
        if (self._settings.auto_reply_to_close and not self._allow_half_open and not self._closed_outgoing
                and not self._outgoing_aborted):
            # workerd (from 2026-04-07) answers a received Close with the same code, so readyState is
            # CLOSED when the close event fires.
            self._closed_outgoing = True
            asyncio.get_running_loop().call_soon(self._peer._receive_close, code, reason)
        self._dispatch_soon(CloseEvent(code, reason, True))

    def _receive_abort(self) -> None:
        """The other side went away without a Close frame."""
        if self._mode == PENDING or self._mode == CONNECTING_MODE:
            self._inbox.append(("_receive_abort",))  # type: ignore[union-attr]
            return
        self._outgoing_aborted = True
        if self._closed_incoming or self._mode == RELEASED:
            return
        self._closed_incoming = True
        if self._mode == HIBERNATABLE:
            self._hibernation.close(self, c.ABNORMAL_CLOSURE, c.DISCONNECTED_REASON, False)
        else:
            self._dispatch_soon(CloseEvent(c.ABNORMAL_CLOSURE, c.DISCONNECTED_REASON, False))

    def _receive_error(self, error: BaseException) -> None:
        """The connection failed (a protocol error such as an oversized message)."""
        if self._mode == PENDING or self._mode == CONNECTING_MODE:
            self._inbox.append(("_receive_error", error))  # type: ignore[union-attr]
            return
        self._outgoing_aborted = True
        if self._error is not None or self._mode == RELEASED:
            return
        self._closed_incoming = True
        self._error = error
        if self._mode == HIBERNATABLE:
            self._hibernation.error(self, error)
        else:
            self._dispatch_soon(ErrorEvent(error))

    def _flush_inbox(self) -> None:
        inbox, self._inbox = self._inbox or [], None
        for event in inbox:
            getattr(self, event[0])(*event[1:])

    # -- delivering events to listeners ----------------------------------------------------------
    def _dispatch_soon(self, event: Event) -> None:
        # Listeners run on a later turn of the loop, in order, as JavaScript delivers events.
        asyncio.get_running_loop().call_soon(self._dispatch, event, context=self._context)

    def _dispatch(self, event: Event) -> None:
        event.target = self
        handlers = list(self._listeners.get(event.type, ()))
        prop = getattr(self, "on" + event.type, None)
        if prop is not None:
            handlers.append(prop)
        for handler in handlers:
            try:
                result = handler(event)
            except Exception as exc:
                log.error("Uncaught exception in WebSocket %s listener: %s: %s", event.type, type(exc).__name__, exc,
                          exc_info=exc)
                continue
            if inspect.isawaitable(result):
                worker = current_worker.get()
                if worker is not None:
                    worker.spawn(result, f"WebSocket {event.type} listener")
                else:
                    asyncio.ensure_future(result)


class WebSocketPair(metaclass=JsClass):
    """Two connected ends: ``client, server = WebSocketPair.new().object_values()``."""

    def __init__(self) -> None:
        first, second = WebSocket._make(), WebSocket._make()
        first._peer, second._peer = second, first
        self._ends = (first, second)

    @classmethod
    def new(cls) -> WebSocketPair:
        return cls._make()

    def object_values(self) -> list[WebSocket]:
        return list(self._ends)

    def object_keys(self) -> list[str]:
        return ["0", "1"]

    def object_entries(self) -> list[list[Any]]:
        return [["0", self._ends[0]], ["1", self._ends[1]]]

    def __iter__(self) -> Any:
        return iter(self._ends)

    def __len__(self) -> int:
        return 2

    def __getitem__(self, index: int | str) -> WebSocket:
        return self._ends[int(index)]

    def __getattr__(self, name: str) -> WebSocket:
        if name in ("0", "1"):
            return self._ends[int(name)]
        raise AttributeError(name)


class WebSocketRequestResponsePair(metaclass=JsClass):
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


# -- what pyflare does with a socket beyond the worker's API ------------------------------------------------
def couple(ws: WebSocket, endpoint: Any) -> None:
    """Hand ``ws`` (the end a 101 response returns) to ``endpoint``, the connection that stands for it;
    TypeError (workerd's text) if that end may not be returned."""
    ws._couple(endpoint)


def is_open(ws: WebSocket) -> bool:
    """Neither closed nor broken, in either direction."""
    return ws._mode != RELEASED and not ws._closed_incoming and not ws._outgoing_aborted and ws._error is None


# Sockets accept()-ed inside a live object's event (in LiveObject.stash).
ACCEPTED_SOCKETS = StashKey[list[WebSocket]]("accept()-ed WebSockets")


def _belong_to_current_object(ws: WebSocket) -> None:
    """Inside a live object's event, the socket belongs to the object: workerd keeps the actor for it, and an
    object reset drops the connection."""
    live = current_object.get()
    if live is None:
        return
    sockets = live.stash.setdefault(ACCEPTED_SOCKETS, [])
    if not sockets:
        live.on_evict.append(_drop_accepted)
    sockets.append(ws)


def holds_object(live: Any) -> bool:
    """Does a live object have an open ``accept()``-ed socket (which keeps it from being evicted as idle)?"""
    return any(is_open(ws) for ws in live.stash.get(ACCEPTED_SOCKETS, ()))


def _drop_accepted(live: Any) -> None:
    for ws in live.stash.get(ACCEPTED_SOCKETS, ()):
        if is_open(ws) and ws._peer is not None and not ws._closed_outgoing:
            ws._closed_outgoing = ws._outgoing_aborted = True
            ws._peer._receive_abort()


# -- the Durable Object hibernation API's side of a socket (pyflare.bindings.durable_objects.hibernation) ----
def check_hibernatable(ws: WebSocket) -> None:
    """WebSocketError (workerd's text) unless ``ctx.acceptWebSocket(ws)`` may take ``ws``."""
    if ws._mode in (ACCEPTED, HIBERNATABLE):
        raise WebSocketError("Cannot call `acceptWebSocket()` if the WebSocket was already accepted via `accept()`")
    peer = ws._peer
    if ws._mode != PENDING or not (isinstance(peer, WebSocket) and peer._mode == PENDING):
        raise WebSocketError("Cannot call `acceptWebSocket()` on this WebSocket because its pair has already been "
                             "accepted or used in a Response.")


def hibernate(ws: WebSocket, record: Any) -> None:
    """``ctx.acceptWebSocket(ws)``: from now on ``ws``'s events go to ``record`` (its ``message``, ``close``,
    ``error`` and ``backlog``) instead of listeners."""
    ws._hibernation = record
    ws._mode = HIBERNATABLE


def start_hibernated(ws: WebSocket) -> None:
    """Deliver what arrived before ``ctx.acceptWebSocket(ws)`` (once its manager holds it)."""
    ws._flush_inbox()


def is_accepted(ws: Any) -> bool:
    return isinstance(ws, WebSocket) and ws._mode in (ACCEPTED, HIBERNATABLE)


def hibernation_of(ws: WebSocket) -> Any:
    """The hibernation record ``ctx.acceptWebSocket`` gave ``ws`` (None for any other socket)."""
    return ws._hibernation if ws._mode == HIBERNATABLE else None


def auto_respond(ws: WebSocket, response: str, when: Any) -> None:
    """Answer a message with the auto-response, without waking the object; ``when`` is recorded."""
    ws._auto_response_timestamp = when
    if not ws._closed_outgoing and not ws._outgoing_aborted:
        ws._peer._receive_message(response)


def auto_response_timestamp(ws: WebSocket) -> Any:
    return ws._auto_response_timestamp


def answer_close(ws: WebSocket, code: int, reason: str) -> None:
    """Send the Close the handler did not send, so no client waits forever for it."""
    if not ws._closed_outgoing and not ws._outgoing_aborted and ws._peer:
        ws._closed_outgoing = True
        ws._peer._receive_close(code, reason)


# -- outgoing sockets (the connection itself is pyflare.websockets.connect's) -----------------------------
async def open_socket(url: str, headers: list[tuple[str, str]]) -> tuple[WebSocket, list[tuple[str, str]]]:
    """Connect for ``fetch(url)`` with ``Upgrade: websocket`` and the request's ``headers``: the worker's end of
    the new connection and the handshake's response headers. ``connect.UpgradeRefused`` (the server said no)
    or ``connect.ConnectFailed`` otherwise."""
    remote = await connect.dial(url, headers)
    socket = WebSocket._make(url=url)
    socket.protocol = remote.subprotocol
    socket._peer = remote
    remote.start(socket, current_sockets())
    return socket, remote.handshake_headers


def _open_client(url: str, protocols: str | list[str] | None = None) -> WebSocket:
    """``new WebSocket(url, protocols)``: connects in the background, then fires "open"."""
    url = str(url)
    if not url.lower().startswith(("ws://", "wss://", "http://", "https://")):
        raise DOMException(f"WebSocket Constructor: The url scheme must be ws or wss: {url}", "SyntaxError")
    wanted = [protocols] if isinstance(protocols, str) else list(protocols or [])
    socket = WebSocket._make(url=url, mode=CONNECTING_MODE)
    socket._context = contextvars.copy_context()
    registry = current_sockets()

    async def establish() -> None:
        try:
            remote = await connect.dial(url, [], wanted)
        except Exception as exc:
            if socket._mode != CONNECTING_MODE:
                return
            socket._mode = ACCEPTED
            socket._closed_incoming = socket._closed_outgoing = True
            socket._dispatch_soon(ErrorEvent(exc))
            socket._dispatch_soon(CloseEvent(c.ABNORMAL_CLOSURE, c.CONNECT_FAILED_REASON, False))
            return
        if socket._mode != CONNECTING_MODE:  # close() was called meanwhile
            await remote.conn.close()
            return
        socket.protocol = remote.subprotocol
        socket._peer = remote
        socket._mode = ACCEPTED
        socket._dispatch_soon(Event("open"))
        socket._flush_inbox()
        remote.start(socket, registry)

    socket._connecting = asyncio.ensure_future(establish())
    return socket
