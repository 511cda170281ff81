"""Outgoing WebSockets: ``WebSocket.new(url)``, and the connection behind ``fetch(url, headers={"Upgrade":
"websocket"})`` (:func:`open_socket`; the SDK's ``fetch`` makes the 101 response, or the server's own answer
when it refuses the upgrade).

The connection is made with the ``websockets`` library; a :class:`RemoteConnection` is the peer of the
worker's end, and one of the worker's live connections (closed when its runtime closes).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections import deque
from typing import Any

from pyflare.websockets import constants as c
from pyflare.websockets.registry import WorkerSockets, current_sockets
from pyflare.websockets.socket import (
    ACCEPTED,
    CONNECTING_MODE,
    CloseEvent,
    ErrorEvent,
    Event,
    WebSocket,
    protocol_error,
)

log = logging.getLogger("pyflare")

# Headers the websockets library writes itself for the handshake.
_HANDSHAKE_HEADERS = {"upgrade", "connection", "sec-websocket-key", "sec-websocket-version",
                      "sec-websocket-extensions", "sec-websocket-protocol", "host", "content-length"}


def _ws_url(url: str) -> str:
    for http, ws in (("http://", "ws://"), ("https://", "wss://")):
        if url.lower().startswith(http):
            return ws + url[len(http):]
    return url


class RemoteConnection:
    """A connection to a remote WebSocket server, the peer of the worker's end."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self._peer: Any = None
        self._outbox: deque[tuple[str, Any]] = deque()
        self._writer: asyncio.Task[None] | None = None
        self._reader: asyncio.Task[None] | None = None
        self._closing = False
        self._done = asyncio.get_running_loop().create_future()
        self._registry: WorkerSockets | None = None

    def start(self, registry: WorkerSockets | None) -> None:
        self._registry = registry
        if registry is not None:
            registry.add(self)
        self._reader = asyncio.ensure_future(self._read())

    # -- what the worker's end sends -------------------------------------------------------------
    def _receive_message(self, data: str | bytes) -> None:
        if not self._closing:
            self._write(("send", data))

    def _receive_close(self, code: int, reason: str) -> None:
        if not self._closing:
            self._closing = True
            self._write(("close", (None if code == c.NO_STATUS_RECEIVED else code, reason)))

    def _receive_abort(self) -> None:
        self._receive_close(c.INTERNAL_ERROR, "")

    def _receive_error(self, error: BaseException) -> None:
        self._receive_close(c.INTERNAL_ERROR, "")

    def _write(self, item: tuple[str, Any]) -> None:
        self._outbox.append(item)
        if self._writer is None:
            self._writer = asyncio.ensure_future(self._drain())

    async def _drain(self) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            while self._outbox:
                kind, value = self._outbox.popleft()
                if kind == "send":
                    await self.conn.send(value)
                else:
                    code, reason = value
                    await self.conn.close(code, reason)
        except (ConnectionClosed, OSError):
            self._outbox.clear()
        finally:
            self._writer = None

    async def _read(self) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            async for message in self.conn:
                if self._peer is not None:
                    self._peer._receive_message(message)
        except ConnectionClosed:
            pass
        except Exception as exc:  # a broken connection must end in an event, never a stuck socket
            log.error("outgoing WebSocket failed: %s: %s", type(exc).__name__, exc, exc_info=exc)
        finally:
            self._ended()

    def _ended(self) -> None:
        peer = self._peer
        received, sent = self.conn.protocol.close_rcvd, self.conn.protocol.close_sent
        if peer is not None:
            if sent is not None and sent.code == c.MESSAGE_TOO_BIG and not self._closing:
                # the library refused a frame over the 32 MiB limit and closed with 1009
                peer._receive_error(protocol_error(sent.reason or f"Message is too large: > {c.MAX_MESSAGE_SIZE}"))
            elif received is not None:
                peer._receive_close(received.code, received.reason)
            else:
                peer._receive_abort()
        if self._registry is not None:
            self._registry.discard(self)
        if not self._done.done():
            self._done.set_result(None)

    # -- lifecycle -------------------------------------------------------------------------------
    def shutdown(self, code: int, reason: str) -> None:
        self._peer = None  # pyflare is stopping: the worker hears nothing more
        self._receive_close(c.GOING_AWAY, reason)  # as a client, pyflare is going away

    async def finished(self) -> None:
        await asyncio.shield(self._done)


async def _open(url: str, headers: list[tuple[str, str]], protocols: list[str]) -> Any:
    from websockets.asyncio.client import connect as ws_connect

    return await ws_connect(
        _ws_url(url), additional_headers=headers, subprotocols=protocols or None,  # type: ignore[arg-type]
        max_size=c.MAX_MESSAGE_SIZE, compression=None, proxy=None, user_agent_header=None,
        open_timeout=30, ping_interval=None,
    )


class UpgradeRefused(Exception):  # noqa: N818 - not a failure of pyflare's: the server said no
    """The server answered without upgrading; its answer is the result of ``fetch()``."""

    def __init__(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        super().__init__(f"the server answered {status} without upgrading")
        self.status, self.headers, self.body = status, headers, body


class ConnectFailed(Exception):  # noqa: N818
    """No connection: refused, unreachable, timed out, or a broken handshake."""


async def open_socket(url: str, headers: list[tuple[str, str]]) -> tuple[WebSocket, list[tuple[str, str]]]:
    """Connect for ``fetch(url)`` with ``Upgrade: websocket`` and the request's ``headers``: the worker's end of
    the new connection and the handshake's response headers. UpgradeRefused or ConnectFailed otherwise."""
    from websockets.exceptions import InvalidHandshake, InvalidStatus

    sent = [(k, v) for k, v in headers if k.lower() not in _HANDSHAKE_HEADERS]
    offered = next((v for k, v in headers if k.lower() == "sec-websocket-protocol"), "")
    protocols = [p.strip() for p in offered.split(",") if p.strip()]
    try:
        conn = await _open(url, sent, protocols)
    except InvalidStatus as exc:
        upstream = exc.response
        raise UpgradeRefused(upstream.status_code, list(upstream.headers.raw_items()),
                             bytes(upstream.body or b"")) from None
    except (OSError, InvalidHandshake, asyncio.TimeoutError) as exc:
        raise ConnectFailed(str(exc)) from exc
    remote = RemoteConnection(conn)
    socket = WebSocket._make(url=url)
    socket.protocol = conn.subprotocol or ""
    socket._peer, remote._peer = remote, socket
    remote.start(current_sockets())
    handshake = conn.response
    return socket, list(handshake.headers.raw_items()) if handshake else []


def open_client(url: str, protocols: str | list[str] | None = None) -> WebSocket:
    """``new WebSocket(url, protocols)``: connects in the background, then fires "open"."""
    url = str(url)
    if not url.lower().startswith(("ws://", "wss://", "http://", "https://")):
        from pyflare.kernel.jserrors import DOMException

        raise DOMException(f"WebSocket Constructor: The url scheme must be ws or wss: {url}", "SyntaxError")
    wanted = [protocols] if isinstance(protocols, str) else list(protocols or [])
    socket = WebSocket._make(url=url, mode=CONNECTING_MODE)
    socket._context = contextvars.copy_context()
    registry = current_sockets()

    async def establish() -> None:
        try:
            conn = await _open(url, [], wanted)
        except Exception as exc:
            if socket._mode != CONNECTING_MODE:
                return
            socket._mode = ACCEPTED
            socket._closed_incoming = socket._closed_outgoing = True
            socket._dispatch_soon(ErrorEvent(exc))
            socket._dispatch_soon(CloseEvent(c.ABNORMAL_CLOSURE, c.CONNECT_FAILED_REASON, False))
            return
        if socket._mode != CONNECTING_MODE:  # close() was called meanwhile
            await conn.close()
            return
        remote = RemoteConnection(conn)
        socket.protocol = conn.subprotocol or ""
        socket._peer, remote._peer = remote, socket
        socket._mode = ACCEPTED
        socket._dispatch_soon(Event("open"))
        socket._flush_inbox()
        remote.start(registry)

    socket._connecting = asyncio.ensure_future(establish())
    return socket


__all__ = ["ConnectFailed", "RemoteConnection", "UpgradeRefused", "open_client", "open_socket"]
