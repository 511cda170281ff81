"""WebSockets: the socket model worker code uses, and the connections that carry it.

- :mod:`.socket`: ``WebSocketPair``, ``WebSocket`` (accept, send, close, events, attachments), as workerd
  behaves, and what the rest of pyflare does with a socket (coupling it to a connection, the socket's side of
  Durable Object hibernation, which object an accepted socket keeps alive).
- :mod:`.connect`: outgoing sockets, ``js.WebSocket.new(url)`` and the connection behind
  ``fetch(url, headers={"Upgrade": "websocket"})``.
- :mod:`.registry`: a worker's WebSocket state (settings from its compatibility flags, its live connections),
  owned by the worker's runtime.
- :mod:`.constants` (limits, close codes), :mod:`.validation` (every check with workerd's text),
  :mod:`.errors` (``WebSocketError``).
- :mod:`.client`: an in-process WebSocket client for tests (httpx-ws over the ASGI app).

Elsewhere: the incoming upgrade is the runtime's WebSocket front (:mod:`pyflare.runtime.upgrade`); the
hibernation API is the Durable Objects binding's (:mod:`pyflare.bindings.durable_objects.hibernation`).
"""

from pyflare.kernel.jsobjects import ArrayBuffer
from pyflare.websockets.socket import (
    CloseEvent,
    ErrorEvent,
    MessageEvent,
    WebSocket,
    WebSocketPair,
    WebSocketRequestResponsePair,
)

__all__ = ["ArrayBuffer", "CloseEvent", "ErrorEvent", "MessageEvent", "WebSocket", "WebSocketPair",
           "WebSocketRequestResponsePair"]
