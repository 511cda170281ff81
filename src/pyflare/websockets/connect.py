"""Outgoing WebSocket connections: :func:`dial` connects with the ``websockets`` library (imported on first
use) and gives a :class:`RemoteConnection`, the peer of the worker's end of an outgoing socket
(``WebSocket.new(url)``, ``fetch(url, headers={"Upgrade": "websocket"})``: :mod:`.socket` makes the ends),
and one of the worker's live connections (closed when its runtime closes).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from pyflare.websockets import constants as c
from pyflare.websockets.errors import WebSocketError, protocol_error
from pyflare.websockets.outbox import Outbox, message_size
from pyflare.websockets.registry import WorkerSockets

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
        from websockets.exceptions import ConnectionClosed

        self.conn = conn
        self.subprotocol: str = conn.subprotocol or ""
        handshake = conn.response
        self.handshake_headers: list[tuple[str, str]] = list(handshake.headers.raw_items()) if handshake else []
        self._peer: Any = None
        self._outbox = Outbox(self._deliver, gone=(ConnectionClosed, OSError), overflow=self._overflowed)
        self._reader: asyncio.Task[None] | None = None
        self._closing = False
        self._done = asyncio.get_running_loop().create_future()
        self._registry: WorkerSockets | None = None

    def start(self, peer: Any, registry: WorkerSockets | None) -> None:
        """Carry messages between the server and ``peer`` (the worker's end) from now on."""
        self._peer = peer
        self._registry = registry
        if registry is not None:
            registry.add(self)
        self._reader = asyncio.ensure_future(self._read())

    # -- what the worker's end sends -------------------------------------------------------------
    def _receive_message(self, data: str | bytes) -> None:
        if not self._closing:
            self._outbox.put(("send", data), message_size(data))

    def _receive_close(self, code: int, reason: str) -> None:
        if not self._closing:
            self._closing = True
            self._outbox.put(("close", (None if code == c.NO_STATUS_RECEIVED else code, reason)))

    def _receive_abort(self) -> None:
        self._receive_close(c.INTERNAL_ERROR, "")

    def _receive_error(self, error: BaseException) -> None:
        self._receive_close(c.INTERNAL_ERROR, "")

    async def _deliver(self, item: tuple[str, Any]) -> None:
        kind, value = item
        if kind == "send":
            await self.conn.send(value)
        else:
            code, reason = value
            await self.conn.close(code, reason)

    def _overflowed(self) -> None:
        """The server stopped reading and MAX_SEND_BACKLOG bytes wait: close, and tell the worker's end."""
        text = c.SEND_BACKLOG_EXCEEDED.format(c.MAX_SEND_BACKLOG)
        log.warning("%s; the connection is closed", text)
        if self._peer is not None:
            self._peer._receive_error(WebSocketError(text))
        self._receive_close(c.INTERNAL_ERROR, "send queue exceeded")

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


class UpgradeRefused(Exception):  # noqa: N818 - not a failure of pyflare's: the server said no
    """The server answered without upgrading; its answer is the result of ``fetch()``."""

    def __init__(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        super().__init__(f"the server answered {status} without upgrading")
        self.status, self.headers, self.body = status, headers, body


class ConnectFailed(Exception):  # noqa: N818
    """No connection: refused, unreachable, timed out, or a broken handshake."""


async def dial(url: str, headers: list[tuple[str, str]], protocols: list[str] | None = None) -> RemoteConnection:
    """Open a connection to ``url`` with a request's ``headers`` (those of the handshake itself are the
    library's; ``protocols`` default to the offered ``Sec-WebSocket-Protocol``). UpgradeRefused or
    ConnectFailed when there is none."""
    from websockets.asyncio.client import connect as ws_connect
    from websockets.exceptions import InvalidHandshake, InvalidStatus

    sent = [(k, v) for k, v in headers if k.lower() not in _HANDSHAKE_HEADERS]
    if protocols is None:
        offered = next((v for k, v in headers if k.lower() == "sec-websocket-protocol"), "")
        protocols = [p.strip() for p in offered.split(",") if p.strip()]
    try:
        conn = await ws_connect(
            _ws_url(url), additional_headers=sent, subprotocols=protocols or None,  # type: ignore[arg-type]
            max_size=c.MAX_MESSAGE_SIZE, compression=None, proxy=None, user_agent_header=None,
            open_timeout=30, ping_interval=None,
        )
    except InvalidStatus as exc:
        upstream = exc.response
        raise UpgradeRefused(upstream.status_code, list(upstream.headers.raw_items()),
                             bytes(upstream.body or b"")) from None
    except (OSError, InvalidHandshake, asyncio.TimeoutError) as exc:
        raise ConnectFailed(str(exc)) from exc
    return RemoteConnection(conn)


__all__ = ["ConnectFailed", "RemoteConnection", "UpgradeRefused", "dial"]
