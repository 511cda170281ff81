"""Outgoing WebSockets: ``fetch(url, headers={"Upgrade": "websocket"})`` and ``WebSocket.new(url)``.

The connection is made with the ``websockets`` library; a :class:`RemoteConnection` is the peer of the
worker's end. ``fetch`` answers 101 with ``response.web_socket`` (the worker calls ``accept()``), or the
server's own response when it refuses the upgrade.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections import deque
from typing import Any

from pyflare.kernel.context import current_worker
from pyflare.websockets import constants as c
from pyflare.websockets.plugin import plugin_for_env
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
        self._registry: set[Any] | None = None

    def start(self, registry: set[Any] | None) -> None:
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


def _registry() -> set[Any] | None:
    worker = current_worker.get()
    plugin = plugin_for_env(worker.env) if worker is not None else None
    return plugin.connections if plugin is not None else None


async def connect(request: Any) -> Any:
    """``fetch()`` of a request with ``Upgrade: websocket``."""
    from websockets.exceptions import InvalidHandshake, InvalidStatus

    from pyflare.workers._response import FetchResponse
    from pyflare.workers.pyodide.http import AbortError

    headers = [(k, v) for k, v in request.headers.items() if k.lower() not in _HANDSHAKE_HEADERS]
    protocols = [p.strip() for p in (request.headers.get("sec-websocket-protocol") or "").split(",") if p.strip()]
    try:
        conn = await _open(request.url, headers, protocols)
    except InvalidStatus as exc:  # the server answered without upgrading: that response is the result
        upstream = exc.response
        response = FetchResponse(bytes(upstream.body or b"") or None, status=upstream.status_code,
                                 headers=list(upstream.headers.raw_items()))
        response.url = request.url
        return response
    except (OSError, InvalidHandshake, asyncio.TimeoutError) as exc:
        raise AbortError(f"fetch to {request.url} failed: {exc}") from exc
    remote = RemoteConnection(conn)
    socket = WebSocket._make(url=request.url)
    socket.protocol = conn.subprotocol or ""
    socket._peer, remote._peer = remote, socket
    remote.start(_registry())
    handshake = conn.response
    response = FetchResponse(None, status=101, headers=list(handshake.headers.raw_items()) if handshake else None,
                             web_socket=socket)
    response.url = request.url
    return response


def open_client(url: str, protocols: str | list[str] | None = None) -> WebSocket:
    """``new WebSocket(url, protocols)``: connects in the background, then fires "open"."""
    url = str(url)
    if not url.lower().startswith(("ws://", "wss://", "http://", "https://")):
        from pyflare.kernel.jserrors import DOMException

        raise DOMException(f"WebSocket Constructor: The url scheme must be ws or wss: {url}", "SyntaxError")
    wanted = [protocols] if isinstance(protocols, str) else list(protocols or [])
    socket = WebSocket._make(url=url, mode=CONNECTING_MODE)
    socket._context = contextvars.copy_context()
    registry = _registry()

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


__all__ = ["RemoteConnection", "connect", "open_client"]
