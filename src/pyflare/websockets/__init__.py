"""WebSockets: the ``WebSocket`` / ``WebSocketPair`` model worker code uses, and everything that carries it.

- :mod:`.socket`: ``WebSocketPair``, ``WebSocket`` (accept, send, close, events), as workerd behaves.
- :mod:`.asgi`: an incoming upgrade (``pyflare dev`` over uvicorn, or in-process over ASGI) handed to the
  worker, and the ``client`` end of the pair it returns coupled to that connection.
- :mod:`.outgoing`: ``fetch(url, headers={"Upgrade": "websocket"})`` and ``js.WebSocket.new(url)``.
- :mod:`.hibernation`: the Durable Object hibernation API (``ctx.acceptWebSocket`` and friends).
- :mod:`.constants` (limits, close codes), :mod:`.validation` (every check with workerd's text),
  :mod:`.attachment` (structured-clone sizes for ``serializeAttachment``).
- :mod:`.plugin`: per-worker settings (compatibility flags) and closing every socket when pyflare stops.
- :mod:`.client`: an in-process WebSocket client for tests (httpx-ws over the ASGI app).
"""

from pyflare.websockets.socket import (
    ArrayBuffer,
    CloseEvent,
    ErrorEvent,
    MessageEvent,
    WebSocket,
    WebSocketPair,
)

__all__ = ["ArrayBuffer", "CloseEvent", "ErrorEvent", "MessageEvent", "WebSocket", "WebSocketPair"]


def create(platform):  # noqa: ANN001, ANN201 - the bindings registry's entry point
    from pyflare.websockets.plugin import create as create_plugin

    return create_plugin(platform)
