"""``WebSocketPair`` and ``WebSocket`` as workerd implements them, in plain asyncio.

Each end of a pair sends to its *peer*: the other end, or (once an end is returned in a 101 response or
obtained from an outgoing ``fetch``) a network connection standing in for it. Anything a peer can be
implements ``_receive_message``, ``_receive_close``, ``_receive_abort`` and ``_receive_error``. Events
that arrive before ``accept()`` wait in the socket's inbox, as they wait in workerd's pipe.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import logging
from collections.abc import Callable
from typing import Any

from pyflare.kernel.clone import StructuredClone
from pyflare.kernel.context import current_worker
from pyflare.kernel.jsobjects import ArrayBuffer
from pyflare.websockets import constants as c
from pyflare.websockets import validation
from pyflare.websockets.errors import WebSocketError

log = logging.getLogger("pyflare")

# Where a socket stands (workerd's AwaitingConnection / AwaitingAcceptanceOrCoupling / Accepted / Released).
CONNECTING_MODE = "connecting"  # made by ``WebSocket.new(url)``, handshake under way
PENDING = "pending"  # neither accepted nor used in a response yet
ACCEPTED = "accepted"  # ``accept()``: events go to listeners
HIBERNATABLE = "hibernatable"  # ``ctx.acceptWebSocket()``: events go to the Durable Object's handlers
RELEASED = "released"  # returned in a Response (coupled to a connection) or finished


class _JsClass(type):
    """JavaScript classes are built with ``Cls.new(...)`` from Python, as in Pyodide; ``Cls()`` is refused."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(f"Class constructor {cls.__name__} cannot be invoked without 'new': "
                        f"use {cls.__name__}.new(...)")

    def _make(cls, *args: Any, **kwargs: Any) -> Any:
        return super().__call__(*args, **kwargs)


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


def protocol_error(description: str, code: int = c.MESSAGE_TOO_BIG) -> WebSocketError:
    """The error workerd reports when the connection breaks the protocol (kj's text, JSG-prefixed)."""
    return WebSocketError(f"WebSocket protocol error; statusCode = {code}; description = {description}")


class Settings:
    """Per-worker behaviour chosen by compatibility date/flags."""

    __slots__ = ("auto_reply_to_close", "close_reason_limit")

    def __init__(self, auto_reply_to_close: bool = True, close_reason_limit: bool = True) -> None:
        self.auto_reply_to_close = auto_reply_to_close
        self.close_reason_limit = close_reason_limit


DEFAULT_SETTINGS = Settings()
# Settings by id(env) of each running worker; the plugin registers them (an Env is a dict: not hashable).
settings_by_env: dict[int, Settings] = {}


def current_settings() -> Settings:
    worker = current_worker.get()
    if worker is None:
        return DEFAULT_SETTINGS
    return settings_by_env.get(id(worker.env), DEFAULT_SETTINGS)


class WebSocket(metaclass=_JsClass):
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
        from pyflare.websockets.outgoing import open_client

        return open_client(url, protocols)

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
        from pyflare.websockets.hibernation import track_accepted

        track_accepted(self)  # inside a Durable Object, an open socket keeps the object alive
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

    # -- coupling to a connection ----------------------------------------------------------------
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


class WebSocketPair(metaclass=_JsClass):
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
