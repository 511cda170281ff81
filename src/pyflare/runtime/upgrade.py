"""The WebSocket front of the runtime: an incoming upgrade over ASGI, answered by the worker's fetch
handler; a 101 response's ``client`` end is coupled to the connection.

Beside :mod:`pyflare.runtime.app` (which hands ``websocket`` scopes here), it serves ``pyflare dev``
(uvicorn) and in-process clients (httpx-ws over the ASGI app) alike, and answers a worker that failed with
the same error page as HTTP requests (:func:`pyflare.runtime.respond.error_page`). The :class:`Connection`
is the peer of the worker's ``server`` end: what the worker sends is written to the client, and what the
client sends reaches the worker. It is one of the worker's live connections (its runtime's
:class:`~pyflare.websockets.registry.WorkerSockets`), closed with 1012 when the runtime closes.
Disconnects, oversized messages and shutdown end in the close codes Cloudflare uses.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pyflare.kernel.jsdict import JsDict
from pyflare.runtime.errors import worker_mistake
from pyflare.runtime.incoming import LOCAL_CF, head_refusal, request_url
from pyflare.runtime.respond import error_page, plain
from pyflare.runtime.worker import WorkerLoadError
from pyflare.websockets import constants as c
from pyflare.websockets.errors import WebSocketError, protocol_error
from pyflare.websockets.outbox import Outbox, message_size
from pyflare.websockets.registry import WorkerSockets
from pyflare.websockets.socket import WebSocket, couple
from pyflare.workers import Headers
from pyflare.workers.host import has_body, header_items, trusted_request

if TYPE_CHECKING:
    from pyflare.runtime.runtime import Runtime

log = logging.getLogger("pyflare")

# Response headers that belong to the handshake itself, which the ASGI server writes.
# How the websockets library (under uvicorn) words a frame over max_size in the 1009 it sends.
_OVERSIZED = re.compile(r"exceeds limit of (\d+)")

_HANDSHAKE_HEADERS = {b"upgrade", b"connection", b"sec-websocket-accept", b"sec-websocket-protocol",
                      b"sec-websocket-extensions", b"content-length", b"transfer-encoding"}


class Connection:
    """One client connection, the peer of the worker's end of the pair."""

    def __init__(self, send: Any, registry: WorkerSockets | None) -> None:
        self._send = send
        self._peer: Any = None
        # Writes wait for the handshake's accept; a client gone makes uvicorn raise ClientDisconnected and
        # transports OSError.
        self._outbox = Outbox(send, gone=(Exception,), overflow=self._overflowed, started=False)
        self._close_sent: tuple[int, str] | None = None
        self._finished = False
        self._shutting_down = False
        self._registry = registry
        if registry is not None:
            registry.add(self)

    # -- what the worker's end sends -------------------------------------------------------------
    def _receive_message(self, data: str | bytes) -> None:
        if self._close_sent is None and not self._finished:
            self._outbox.put({"type": "websocket.send", "text": data} if isinstance(data, str)
                             else {"type": "websocket.send", "bytes": data}, message_size(data))

    def _receive_close(self, code: int, reason: str) -> None:
        if self._close_sent is None and not self._finished:
            self._close_sent = (code, reason)
            # 1005 means "no code": the closest a server can put in a frame is an empty close, which
            # ASGI servers write for 1000 with no reason... so keep 1000 there.
            wire_code = c.NORMAL_CLOSURE if code == c.NO_STATUS_RECEIVED else code
            self._outbox.put({"type": "websocket.close", "code": wire_code, "reason": reason})

    def _receive_abort(self) -> None:
        self._receive_close(c.INTERNAL_ERROR, "")

    def _receive_error(self, error: BaseException) -> None:
        self._receive_close(c.INTERNAL_ERROR, "")

    def _overflowed(self) -> None:
        """The client stopped reading and MAX_SEND_BACKLOG bytes wait: close it, and tell the worker's end."""
        text = c.SEND_BACKLOG_EXCEEDED.format(c.MAX_SEND_BACKLOG)
        log.warning("%s; the connection is closed", text)
        self._close_sent = (c.INTERNAL_ERROR, "")
        self._outbox.put({"type": "websocket.close", "code": c.INTERNAL_ERROR, "reason": "send queue exceeded"})
        self._notify("_receive_error", WebSocketError(text))

    # -- lifecycle -------------------------------------------------------------------------------
    def open(self) -> None:
        self._outbox.start()

    def shutdown(self, code: int, reason: str) -> None:
        """pyflare is stopping: close the client's side; the worker hears nothing more."""
        self._shutting_down = True
        self._receive_close(code, reason)

    async def finished(self) -> None:
        """Once what was queued for the client (the Close above all) is written; the ASGI server (or the
        in-process client) completes the closing handshake on its own."""
        writer = self._outbox.writer
        if writer is not None:
            await asyncio.shield(writer)

    def abandon(self) -> None:
        """The upgrade was refused after all: this connection never opens."""
        self._finished = True
        if self._registry is not None:
            self._registry.discard(self)

    async def run(self, receive: Any) -> None:
        """Carry what the client sends to the worker until the connection ends."""
        try:
            await self._read(receive)
        finally:
            writer = self._outbox.writer
            if writer is not None:
                try:
                    await asyncio.wait_for(asyncio.shield(writer), 1.0)
                except (asyncio.TimeoutError, Exception):
                    pass
            self._finished = True
            if self._registry is not None:
                self._registry.discard(self)

    async def _read(self, receive: Any) -> None:
        too_big = False
        while True:
            message = await receive()
            kind = message["type"]
            if kind == "websocket.receive":
                text = message.get("text")
                data: str | bytes = text if text is not None else (message.get("bytes") or b"")
                if too_big or self._close_sent is not None:
                    continue  # after our Close, data frames are discarded until the client's Close
                size = len(data) if isinstance(data, bytes) or len(data) * 4 <= c.MAX_MESSAGE_SIZE else len(
                    data.encode())
                if size > c.MAX_MESSAGE_SIZE:
                    too_big = True
                    description = f"Message is too large: {size} > {c.MAX_MESSAGE_SIZE}"
                    self._close_sent = (c.MESSAGE_TOO_BIG, description)
                    self._outbox.put({"type": "websocket.close", "code": c.MESSAGE_TOO_BIG, "reason": description})
                    self._notify("_receive_error", protocol_error(description))
                    continue
                self._notify("_receive_message", data)
                backlog = getattr(self._peer, "_backlog", None)
                waiting = backlog() if backlog is not None else None
                if waiting is not None:
                    await waiting
            elif kind == "websocket.disconnect":
                self._disconnected(message, too_big)
                return

    def _disconnected(self, message: dict[str, Any], too_big: bool) -> None:
        code = message.get("code")
        if too_big:
            return
        if self._close_sent is not None:
            # The client answered our Close (servers do not always report the code it echoed).
            self._notify("_receive_close", *self._close_sent)
        elif code == c.MESSAGE_TOO_BIG and (oversized := _OVERSIZED.search(str(message.get("reason") or ""))):
            # The ASGI server refused a frame over its size limit (set to Cloudflare's 32 MiB) and sent 1009.
            self._notify("_receive_error", protocol_error(f"Message is too large: over {oversized[1]} bytes"))
        elif code is None or code == c.ABNORMAL_CLOSURE or (code == c.NO_STATUS_RECEIVED and "reason" not in message):
            # The TCP connection ended without a Close frame (uvicorn reports 1005 without a reason then).
            self._notify("_receive_abort")
        else:
            self._notify("_receive_close", code, message.get("reason") or "")

    def _notify(self, method: str, *args: Any) -> None:
        if self._shutting_down or self._peer is None:
            return
        try:
            getattr(self._peer, method)(*args)
        except Exception as exc:  # a peer's bookkeeping must never break the connection loop
            log.error("WebSocket delivery failed: %s: %s", type(exc).__name__, exc, exc_info=exc)


def _request_url(scope: dict[str, Any], headers: Any) -> str:
    scheme = {"ws": "http", "wss": "https"}.get(scope.get("scheme", "ws"), "http")
    return request_url({**scope, "scheme": scheme}, headers.get("host"))


async def _deny(send: Any, scope: dict[str, Any], status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    """Answer the upgrade with a plain HTTP response (ASGI's websocket denial response extension)."""
    if "websocket.http.response" in (scope.get("extensions") or {}):
        await send({"type": "websocket.http.response.start", "status": status, "headers": headers})
        await send({"type": "websocket.http.response.body", "body": body})
    else:  # a server without the extension can only refuse (HTTP 403)
        await send({"type": "websocket.close", "code": c.PROTOCOL_ERROR})


async def serve(runtime: Runtime, scope: dict[str, Any], receive: Any, send: Any, *, dev: bool = True,
                answered: Callable[[int], None] | None = None) -> int:
    """Handle one ``websocket`` scope for ``runtime``; ``answered(status)`` is called once the handshake is
    answered (101, or the HTTP status of a refusal). Returns that status."""
    return await _serve(runtime, scope, receive, send, dev, answered or (lambda status: None))


async def _serve(runtime: Runtime, scope: dict[str, Any], receive: Any, send: Any, dev: bool,
                 answered: Callable[[int], None]) -> int:
    message = await receive()
    if message["type"] != "websocket.connect":
        return 499
    refusal = head_refusal(scope)  # Cloudflare's URL and header limits, as for any request
    if refusal is not None:
        await _deny(send, scope, *plain(refusal.status, refusal.text))
        answered(refusal.status)
        return refusal.status
    headers = Headers.from_raw(scope["headers"])
    request = trusted_request(_request_url(scope, headers), "GET", header_items(headers), None, JsDict(LOCAL_CF))
    try:
        response = await runtime.fetch(request)
    except WorkerLoadError as exc:
        await _deny(send, scope, *error_page(exc, dev=dev))
        answered(500)
        return 500
    except Exception as exc:
        log.error("Uncaught exception in fetch handler for WebSocket upgrade %s", scope["path"], exc_info=exc)
        await _deny(send, scope, *error_page(exc, dev=dev))
        answered(500)
        return 500
    socket = response.web_socket
    if response.status != 101 or socket is None:
        body = await response.bytes() if has_body(response) else b""
        raw = [(k, v) for k, v in response.headers.raw() if k.lower() != b"content-length"]
        raw.append((b"content-length", str(len(body)).encode()))
        await _deny(send, scope, response.status, raw, body)
        answered(response.status)
        return response.status
    sockets = runtime.sockets
    if sockets.closing:
        await _deny(send, scope, *plain(503, "pyflare is shutting down"))
        answered(503)
        return 503
    connection = Connection(send, sockets)
    try:
        if not isinstance(socket, WebSocket):
            raise TypeError(f"Response(web_socket=...) takes the client end of a WebSocketPair, "
                            f"not {type(socket).__name__}")
        couple(socket, connection)
    except TypeError as exc:
        connection.abandon()
        log.error("Uncaught exception in fetch handler for WebSocket upgrade %s: TypeError: %s", scope["path"], exc)
        await _deny(send, scope, *error_page(worker_mistake(exc), dev=dev))
        answered(500)
        return 500
    raw = [(k, v) for k, v in response.headers.raw() if k.lower() not in _HANDSHAKE_HEADERS]
    accept: dict[str, Any] = {"type": "websocket.accept", "headers": raw}
    protocol = response.headers.get("sec-websocket-protocol")
    if protocol:
        accept["subprotocol"] = protocol.split(",")[0].strip()
    await send(accept)
    answered(101)
    # Messages the worker sent before returning wait in the outbox; they follow the accept.
    connection.open()
    await connection.run(receive)
    return 101
